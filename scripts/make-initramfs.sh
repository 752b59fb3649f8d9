#!/usr/bin/env bash
# Builds the guest initramfs: busybox-static with every applet linked, /init
# (qemu/init), the demo scripts, /sbin/rovl-rootfs (qemu/rootfs.sh: rovl.mode=rootfs),
# the tests/ directory (with tests/kunit-suites,
# the names of the module's KUnit suites, taken from the sources) and, when it
# has been built, ./rust_ovl.ko (installed as /lib/modules/rust_ovl.ko).
#
#   scripts/make-initramfs.sh OUT.cpio.gz
#
# ROVL_KO= names another module file to pack; ROVL_KO=none packs no module.
# ROVL_TESTS_DIR= packs another tests directory (default: tests/).
# ROVL_BENCH_DIR= packs that directory as /bench (scripts/bench.sh).
# ROVL_KMODS= a kernel's installed modules (DIR/lib/modules/VERSION, with
# modules.dep: scripts/build-kernel.sh's modroot) to pack as /lib/modules, for
# modprobe (overlay.ko in the test kernel).
# ROVL_SELFTESTS= a directory of the kernel's selftest programs
# (scripts/build-selftests.sh) to pack as /selftests.
# Needs no root: owners are forced to 0:0 by cpio and /dev/console is added
# as a hand-written newc entry.
set -euo pipefail
. "$(dirname "$0")/env.sh"
out=${1:?usage: $0 OUT.cpio.gz}
case $out in /*) ;; *) out=$PWD/$out ;; esac

busybox=$(command -v busybox || true)
[ -n "$busybox" ] && file -L "$busybox" 2>/dev/null | grep -q 'statically linked' \
    || busybox=/bin/busybox
[ -x "$busybox" ] || { echo "rovl: no static busybox (install busybox-static)" >&2; exit 1; }

stage=$(mktemp -d "${TMPDIR:-/tmp}/rovl-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT
cd "$stage"
mkdir -p bin sbin usr/bin usr/sbin proc sys dev tmp host rovl etc root lib/modules mnt
cp "$busybox" bin/busybox
for applet in $(bin/busybox --list-full); do
    [ "$applet" = bin/busybox ] || [ -e "$applet" ] || ln -s /bin/busybox "$applet"
done
install -m 755 "$ROVL_TOP/qemu/init" init
install -m 755 "$ROVL_TOP/qemu/demo.sh" demo.sh
install -m 755 "$ROVL_TOP/qemu/demo-podman.sh" demo-podman.sh
install -m 755 "$ROVL_TOP/qemu/rootfs.sh" sbin/rovl-rootfs
cp -r "${ROVL_TESTS_DIR:-$ROVL_TOP/tests}" tests
# The module's KUnit suites, which tests/run.sh expects results of.
cat "$ROVL_TOP/rust_ovl.rs" $(find "$ROVL_TOP/src" -name '*.rs' | LC_ALL=C sort) |
    sed -n 's/.*#\[kunit_tests(\([A-Za-z0-9_]*\))\].*/\1/p' > tests/kunit-suites
[ -z "${ROVL_BENCH_DIR:-}" ] || cp -r "$ROVL_BENCH_DIR" bench
[ -z "${ROVL_KMODS:-}" ] || [ ! -d "$ROVL_KMODS/lib/modules" ] || cp -r "$ROVL_KMODS/lib/modules/." lib/modules/
[ -z "${ROVL_SELFTESTS:-}" ] || [ ! -d "$ROVL_SELFTESTS" ] || cp -r "$ROVL_SELFTESTS" selftests
echo 'root:x:0:0:root:/root:/bin/sh' > etc/passwd
echo 'root:x:0:' > etc/group

ko=${ROVL_KO:-$ROVL_TOP/rust_ovl.ko}
if [ "$ko" != none ] && [ -f "$ko" ]; then
    cp "$ko" lib/modules/rust_ovl.ko
    echo "rovl: initramfs includes $ko" >&2
else
    echo "rovl: initramfs without rust_ovl.ko" >&2
fi

# A newc entry for the character device /dev/console (5,1), so the kernel
# can open the initial console without mknod (and so without root).
console_entry() {
    local name="dev/console" ; local namesize=$(( ${#name} + 1 ))
    # magic ino mode uid gid nlink mtime filesize devmaj devmin rdevmaj rdevmin namesize check
    printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
        1 $((8#020600)) 0 0 1 0 0 0 0 5 1 "$namesize" 0
    printf '%s\0' "$name"
    # header (110) + name is padded to a multiple of 4
    local pad=$(( (4 - (110 + namesize) % 4) % 4 ))
    head -c "$pad" /dev/zero
}

{
    find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet
    console_entry
    printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
        0 0 0 0 1 0 0 0 0 0 0 11 0
    printf 'TRAILER!!!\0'; head -c 3 /dev/zero
} | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
echo "$out"
