#!/usr/bin/env bash
# rovl as the root filesystem (issue 14, part 3): boots the guest in rovl.mode=rootfs,
# once per filesystem (overlayfs first, the reference, then rovl), and judges each boot.
# scripts/test.sh runs it after the test boot; `make test-rootfs` runs it alone.
#
# Each boot gets a fresh host directory as the stack's top layer (the 9p scratch share:
# /usr/local/bin/rootfs-hello, /etc/rootfs-layer, /usr/local/share/rootfs/remove-me) and
# a fresh 64 MiB ext4 image as its disk (the upper layer). The guest (qemu/rootfs.sh)
# switch_roots into the stack, checks it from inside and shuts down cleanly: pivot_root
# into a tmpfs, the stack and then the disk unmounted. Judged like the test boot: the
# guest's "# Totals:" line and end marker, kernel splats (scripts/scan-log.sh); and
# then here, on the host, what the shutdown left:
#   - the ext4 image is clean (dumpe2fs: state clean, no journal to recover; e2fsck -fn)
#   - the guest's writes are on it: upper/root/rootfs-written, the copied-up
#     upper/etc/rootfs-layer, the whiteout upper/usr/local/share/rootfs/remove-me
#     (debugfs, which reads the image without mounting it)
#   - the host directory is as it was (a lower layer is never written)
#
# The last line printed is "N passed, N failed" (cases of all boots; a boot without
# totals or end marker, and each kernel splat, count as failures, as in test.sh).
#
# Environment: ROVL_KERNEL, ROVL_INITRD (default: built as test.sh builds them),
# ROVL_ROOTFS_TYPES (default "overlay rovl"; none: no boot), ROVL_ROOTFS_TIMEOUT (per boot, seconds;
# default 600); the logs go to $ROVL_CACHE/logs/guest-rootfs-FS-DATE-PID.log
# ($ROVL_CACHE/guest-rootfs-FS.log: the latest).
set -uo pipefail
. "$(dirname "$0")/env.sh"
. "$(dirname "$0")/judge-log.sh"
cd "$ROVL_TOP"
export PATH=$PATH:/usr/sbin:/sbin    # mkfs.ext4, dumpe2fs, debugfs, e2fsck

passed=0; failed=0
ok() { echo "rovl: rootfs $fs: ok: $*"; passed=$((passed + 1)); }
extra() { echo "rovl: rootfs${fs:+ $fs}: FAIL: $*"; failed=$((failed + 1)); }
summary() { echo "$passed passed, $failed failed"; }
fs=

temps=()
trap '[ ${#temps[@]} -eq 0 ] || rm -rf "${temps[@]}"' EXIT
kernel=${ROVL_KERNEL:-}
initrd=${ROVL_INITRD:-}
if [ -z "$kernel" ] || [ -z "$initrd" ]; then
    kdir=$("$ROVL_TOP/scripts/build-kernel.sh" test) || { extra "kernel build failed"; summary; exit 1; }
    kernel=${kernel:-$kdir/arch/x86/boot/bzImage}
fi
if [ -z "$initrd" ]; then
    ko=${ROVL_KO:-$ROVL_TOP/rust_ovl.ko}
    if [ -z "${ROVL_KO:-}" ]; then
        make -C "$ROVL_TOP" modules KDIR="$kdir" >&2 || extra "module build failed (make modules)"
    fi
    initrd=$(mktemp "${TMPDIR:-/tmp}/rovl-initramfs.XXXXXX")
    temps+=("$initrd")
    ROVL_KO=$ko ROVL_KMODS=$kdir/modroot "$ROVL_TOP/scripts/make-initramfs.sh" "$initrd" >/dev/null ||
        { extra "initramfs build failed"; summary; exit 1; }
fi

# the top layer: a host directory as a host's build output would be
make_top() {
    mkdir -p "$1/usr/local/bin" "$1/usr/local/share/rootfs" "$1/etc"
    chmod 755 "$1"
    printf '#!/bin/sh\necho hello from the host\n' > "$1/usr/local/bin/rootfs-hello"
    chmod 755 "$1/usr/local/bin/rootfs-hello"
    echo host > "$1/etc/rootfs-layer"
    echo "remove me" > "$1/usr/local/share/rootfs/remove-me"
}
# what the top layer holds, to compare after the boot
top_state() {
    (cd "$1" && find . | LC_ALL=C sort && find . -type f | LC_ALL=C sort | xargs md5sum)
}
# debugfs IMAGE REQUEST: what debugfs prints for it, without its banner
dbg() {
    debugfs -R "$2" "$1" 2>/dev/null
}

types=${ROVL_ROOTFS_TYPES:-overlay rovl}
[ "$types" != none ] || types=
for fs in $types; do
    case $fs in overlay|rovl) ;; *) extra "ROVL_ROOTFS_TYPES: overlay, rovl or none, not '$fs'"; continue ;; esac
    top=$(mktemp -d "${TMPDIR:-/tmp}/rovl-rootfs-top.XXXXXX")
    disk=$(mktemp "${TMPDIR:-/tmp}/rovl-rootfs-disk.XXXXXX")
    temps+=("$top" "$disk")
    make_top "$top"
    before=$(top_state "$top")
    truncate -s 64M "$disk"
    if ! mkfs.ext4 -q -F -L rovl-upper "$disk"; then
        extra "mkfs.ext4 of the disk image failed"
        continue
    fi
    mkdir -p "$ROVL_CACHE/logs"
    log=$ROVL_CACHE/logs/guest-rootfs-$fs-$(date +%Y%m%d-%H%M%S)-$$.log
    : > "$log"; ln -sfn "$log" "$ROVL_CACHE/guest-rootfs-$fs.log"

    t0=$(date +%s)
    ROVL_KERNEL=$kernel ROVL_INITRD=$initrd ROVL_LOG=$log ROVL_SCRATCH=$top ROVL_DISK=$disk \
        ROVL_TIMEOUT=${ROVL_ROOTFS_TIMEOUT:-600} ROVL_APPEND="rovl.rootfs=$fs ${ROVL_APPEND:-}" \
        "$ROVL_TOP/scripts/run-guest.sh" rootfs
    qrc=$?
    t1=$(date +%s)
    echo "rovl: rootfs $fs: guest ran $((t1 - t0))s (qemu exit $qrc), serial log $log"

    # --- the guest's own verdict ---------------------------------------------------------
    [ "$qrc" -ne 124 ] || extra "guest timed out (ROVL_ROOTFS_TIMEOUT=${ROVL_ROOTFS_TIMEOUT:-600}s)"
    finished=1
    judge_log "$log" "rovl: rootfs $fs: " || finished=

    # --- what the shutdown left on the disk ------------------------------------------------
    sb=$(dumpe2fs -h "$disk" 2>/dev/null)
    state=$(sed -n 's/^Filesystem state: *//p' <<<"$sb")
    feats=$(sed -n 's/^Filesystem features: *//p' <<<"$sb")
    mounts=$(sed -n 's/^Mount count: *//p' <<<"$sb")
    fsck=$(e2fsck -fn "$disk" 2>&1); fsckrc=$?
    # (a fresh image is clean too: the guest must have mounted it)
    if [ "${mounts:-0}" -ge 1 ] && [ "$state" = clean ] && ! grep -qw needs_recovery <<<"$feats" &&
        [ $fsckrc -eq 0 ]; then
        ok "the upper's ext4 is clean after the shutdown (mounted, unmounted, nothing to recover, e2fsck -fn)"
    else
        extra "the upper's ext4 is clean after the shutdown (mount count '$mounts', state '$state', features: $feats; e2fsck -fn exit $fsckrc)"
        sed 's/^/rovl:     /' <<<"$fsck"
    fi
    want="written in the guest
host
appended in the guest
after remount,rw
Type: character special
-"
    got="$(dbg "$disk" 'cat /upper/root/rootfs-written')
$(dbg "$disk" 'cat /upper/etc/rootfs-layer')
$(dbg "$disk" 'cat /upper/root/after-rw')
$(dbg "$disk" 'stat /upper/usr/local/share/rootfs/remove-me' | grep -o 'Type: character special')
$(dbg "$disk" 'stat /upper/root/after-ro' | grep -q 'Inode:' && echo 'after-ro exists' || echo -)"
    if [ "$got" = "$want" ]; then
        ok "the guest's writes are on the disk: the new file, the copy-up, the whiteout (none from the read-only time)"
    else
        extra "the guest's writes are on the disk: the new file, the copy-up, the whiteout (none from the read-only time)"
        echo "rovl:   expected:"; sed 's/^/rovl:     /' <<<"$want"
        echo "rovl:   on the disk:"; sed 's/^/rovl:     /' <<<"$got"
    fi
    if [ -z "$finished" ]; then
        extra "the host directory (the top layer) is as it was: not judged, the guest did not finish"
    elif [ "$(top_state "$top")" = "$before" ]; then
        ok "the host directory (the top layer) is as it was"
    else
        extra "the host directory (the top layer) is as it was"
        diff <(echo "$before") <(top_state "$top") | sed 's/^/rovl:     /'
    fi
done
fs=
summary
[ "$failed" -eq 0 ]
