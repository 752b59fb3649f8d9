#!/usr/bin/env bash
# Boots the rovl test kernel under QEMU (TCG: KVM hangs on our machines).
#
#   scripts/run-guest.sh test|demo|bench|shell|rootfs|rootfs-shell|run|run-shell
#
# rootfs: the guest's root becomes a rovl stack (qemu/rootfs.sh: the initramfs as the
# base, the scratch share on top, an upper on the disk), which checks itself and powers
# off (scripts/test-rootfs.sh runs and judges it); rootfs-shell: the same with an
# interactive shell on that root before the shutdown.
# run, run-shell: make run (scripts/run.sh): the same stack with the scratch share (the
# user's directory, exported read-only) mounted without a 9p cache (rovl.run=): run waits
# for the host to edit hello.txt in it and shows the guest seeing the change; run-shell
# is an interactive shell on that root.
#
# Environment:
#   ROVL_KERNEL   bzImage to boot   (default: build/reuse with build-kernel.sh test)
#   ROVL_INITRD   initramfs to use  (default: build one with make-initramfs.sh)
#   ROVL_LOG      serial log file   (default: a new $ROVL_CACHE/logs/guest-MODE-DATE-PID.log,
#                 with $ROVL_CACHE/guest-MODE.log pointing at the latest)
#   ROVL_TIMEOUT  hard limit for the boot, seconds (default 3600 test, 600 demo, rootfs
#                 and run; no limit for the shells)
#   ROVL_APPEND   extra kernel command line
#   ROVL_QEMU_ARGS extra qemu arguments
#   ROVL_ACCEL    qemu accelerator arguments (default: -accel tcg,thread=multi;
#                 scripts/bench.sh passes -icount for its deterministic mode)
#   ROVL_MEM      guest memory (default 2G)
#   ROVL_SCRATCH  host directory for the writable 9p scratch share (default: a new
#                 empty one in $TMPDIR, removed when the guest ends); in the rootfs
#                 and run modes it is the top layer of the root (mounted read-only; in
#                 the run modes also exported read-only)
#   ROVL_DISK     a raw disk image for the guest's first virtio disk, /dev/vda (default:
#                 none; in the rootfs and run modes a new 64 MiB ext4 image, removed at
#                 the end)
#
# The guest gets three 9p shares: the repository (tag rovl, read-only), the
# host root (tag host, read-only), and a writable scratch directory exported
# twice, as tags scratch and scratch2: two 9p mounts of one host directory, so
# that a test can use one as a layer's filesystem and change the files through
# the other as the host would (tests/145-revalidate.sh). The guest's init
# mounts the first two; tests mount the scratch tags themselves (a tag can be
# mounted once at a time).
# Exits with qemu's status (124 when the timeout killed it).
set -euo pipefail
. "$(dirname "$0")/env.sh"
mode=${1:-shell}
case $mode in test|demo|bench|shell|rootfs|rootfs-shell|run|run-shell) ;;
    *) echo "usage: $0 test|demo|bench|shell|rootfs|rootfs-shell|run|run-shell" >&2; exit 2 ;; esac
# what the guest's init is told (rovl.mode=), and whether qemu is on this terminal
gmode=$mode; interactive=
case $mode in
    shell) interactive=1 ;;
    rootfs-shell) gmode="rootfs rovl.shell=1"; interactive=1 ;;
    run) gmode="rootfs rovl.run=wait" ;;
    run-shell) gmode="rootfs rovl.run=shell"; interactive=1 ;;
esac

kernel=${ROVL_KERNEL:-}
if [ -z "$kernel" ]; then
    kernel=$("$ROVL_TOP/scripts/build-kernel.sh" test)/arch/x86/boot/bzImage
fi
[ -f "$kernel" ] || { echo "rovl: no kernel image $kernel" >&2; exit 1; }
# what to remove when the guest ends
temps=()
trap '[ ${#temps[@]} -eq 0 ] || rm -rf "${temps[@]}"' EXIT
initrd=${ROVL_INITRD:-}
if [ -z "$initrd" ]; then
    initrd=$(mktemp "${TMPDIR:-/tmp}/rovl-initramfs.XXXXXX")
    temps+=("$initrd")
    "$ROVL_TOP/scripts/make-initramfs.sh" "$initrd" >/dev/null
fi
scratch=${ROVL_SCRATCH:-}
if [ -z "$scratch" ]; then
    scratch=$(mktemp -d "${TMPDIR:-/tmp}/rovl-scratch.XXXXXX")
    temps+=("$scratch")
fi
disk=${ROVL_DISK:-}
if [ -z "$disk" ] && { [ "${mode%-shell}" = rootfs ] || [ "${mode%-shell}" = run ]; }; then
    disk=$(mktemp "${TMPDIR:-/tmp}/rovl-disk.XXXXXX")
    temps+=("$disk")
    truncate -s 64M "$disk"
    PATH=$PATH:/usr/sbin:/sbin mkfs.ext4 -q -F -L rovl-upper "$disk"
fi
# make run's share is the user's directory: the guest gets no way to write to it
scratchro=
[ "${mode%-shell}" != run ] || scratchro=,readonly=on
diskargs=()
[ -z "$disk" ] || diskargs=(-drive "file=$disk,format=raw,if=virtio")
log=${ROVL_LOG:-}
if [ -z "$log" ]; then
    mkdir -p "$ROVL_CACHE/logs"
    log=$ROVL_CACHE/logs/guest-$mode-$(date +%Y%m%d-%H%M%S)-$$.log
    : > "$log"; ln -sfn "$log" "$ROVL_CACHE/guest-$mode.log"
fi
case $mode in test) def=3600 ;; demo|rootfs|run) def=600 ;; bench) def=14400 ;; shell|rootfs-shell|run-shell) def=0 ;; esac
limit=${ROVL_TIMEOUT:-$def}

qemu=(qemu-system-x86_64 ${ROVL_ACCEL:--accel tcg,thread=multi} -m "${ROVL_MEM:-2G}" -smp 2
      -nographic -no-reboot
      -kernel "$kernel" -initrd "$initrd"
      -append "console=ttyS0 pci=noacpi panic=-1 tsc=reliable rovl.mode=$gmode ${ROVL_APPEND:-}"
      -virtfs "local,path=$ROVL_TOP,mount_tag=rovl,security_model=none,readonly=on,multidevs=remap"
      -virtfs "local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap"
      -virtfs "local,path=$scratch,mount_tag=scratch,security_model=none$scratchro"
      -virtfs "local,path=$scratch,mount_tag=scratch2,security_model=none$scratchro"
      "${diskargs[@]}"
      ${ROVL_QEMU_ARGS:-})

echo "rovl: booting $kernel, mode $mode, log $log" >&2
mkdir -p "$(dirname "$log")"
if [ -n "$interactive" ]; then
    "${qemu[@]}"
    exit
fi
set +e
timeout -k 10 "$limit" "${qemu[@]}" </dev/null 2>&1 | sed -u 's/\r$//' | tee "$log"
rc=${PIPESTATUS[0]}
set -e
[ "$rc" -ne 124 ] || echo "rovl: guest killed after ${limit}s" >&2
exit "$rc"
