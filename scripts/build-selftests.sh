#!/usr/bin/env bash
# Builds two of the kernel's own overlayfs selftests,
# tools/testing/selftests/filesystems/overlayfs/{set_layers_via_fds,dev_in_maps}.c,
# unmodified, as static x86-64 programs for the guest (tests/156-kselftests.sh
# runs them with overlayfs and with rovl behind the name "overlay"). Prints the
# directory holding them; messages go to stderr.
#
#   scripts/build-selftests.sh KDIR
#
# KDIR is a kernel build directory (scripts/build-kernel.sh's): its `source`
# link names the kernel source the programs and the UAPI headers they need
# (linux/mount.h: FSCONFIG_SET_FD, ...) come from. The headers are installed
# with `make O=<a directory of this cache> headers`, never in KDIR or
# the source tree. The flags are the selftest Makefile's (and lib.mk's):
# -Wall, the UAPI headers as -isystem, -D_GNU_SOURCE=, the selftests directory
# on the include path, LDLIBS -lcap; set_layers_via_fds also gets ../utils.c.
# The programs are compiled from their own directory, so their messages name
# the file as upstream's do ("set_layers_via_fds.c:NNN:...").
#
# The printed directory holds, for each program, PROG and PROG.tests: the
# names of the tests it reports, one a line, in order (the harness's `-l`
# listing for set_layers_via_fds; the single test of dev_in_maps, which has
# no harness, from its source), so that the guest knows the plan beforehand.
# The result is cached under $ROVL_CACHE/selftests/, keyed by the kernel
# version, the compiler and this script's own hash.
set -euo pipefail
. "$(dirname "$0")/env.sh"

die() { echo "rovl: build-selftests: $*" >&2; exit 1; }
[ $# -eq 1 ] || die "usage: scripts/build-selftests.sh KDIR"
kdir=$1
[ -d "$kdir" ] || die "no kernel build directory $kdir"
if [ -d "$kdir/source" ]; then
    src=$(cd "$kdir/source" && pwd -P)
elif [ -n "${KERNEL_SRC:-}" ] && [ -d "$KERNEL_SRC" ]; then
    src=$(cd "$KERNEL_SRC" && pwd -P)
else
    die "$kdir has no 'source' link to the kernel source (and KERNEL_SRC names no directory)"
fi
st=$src/tools/testing/selftests
ovl=$st/filesystems/overlayfs
for f in "$ovl/set_layers_via_fds.c" "$ovl/dev_in_maps.c" "$ovl/log.h" "$st/filesystems/utils.c" \
         "$st/filesystems/wrappers.h" "$st/pidfd/pidfd.h" "$st/kselftest_harness.h"; do
    [ -f "$f" ] || die "missing $f"
done

# The version from the source's Makefile (no make run in the source tree).
mkvar() { sed -n "s/^$1 *= *\(.*\)$/\1/p" "$src/Makefile" | head -n1; }
version=$(mkvar VERSION).$(mkvar PATCHLEVEL).$(mkvar SUBLEVEL)$(mkvar EXTRAVERSION)
[ "$version" != .. ] || die "cannot read the kernel version from $src/Makefile"

if command -v clang-19 >/dev/null; then
    cc=clang-19
    # lib.mk's, for clang
    ccflags=(-Wno-address-of-packed-member -Wno-gnu-variable-sized-type-not-at-end)
elif command -v gcc >/dev/null; then
    cc=gcc; ccflags=()
else
    die "no C compiler (clang-19 or gcc)"
fi
readelf=$(command -v readelf || command -v llvm-readelf-19) || die "no readelf (binutils or llvm-19)"
# glibc's and libcap's static libraries (libc6-dev, libcap-dev: scripts/install-deps.sh)
for f in sys/capability.h:libcap.a stdio.h:libc.a; do
    [ -f "/usr/include/${f%%:*}" ] && [ -f "/usr/lib/x86_64-linux-gnu/${f#*:}" ] ||
        die "no /usr/include/${f%%:*} or static ${f#*:}: install libc6-dev and libcap-dev (scripts/install-deps.sh)"
done
key=$( (echo "$version"; "$cc" --version | head -n1; cat "${BASH_SOURCE[0]}") | sha256sum | cut -c1-12)
out=$ROVL_CACHE/selftests/$version-$key
if [ -f "$out/.rovl-built" ]; then
    echo "$out/bin"; exit 0
fi

echo "rovl: building the overlayfs selftests of Linux $version in $out" >&2
work=$(mktemp -d "$ROVL_CACHE/selftests.tmp.XXXXXX")
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

# --- the kernel's UAPI headers -------------------------------------------------
# `make headers` (headers_install would only copy them on, with rsync)
make -C "$src" O="$work/obj" ARCH=x86 HOSTCC="$cc" -s headers >&2 || die "make headers failed"
[ -f "$work/obj/usr/include/linux/mount.h" ] || die "no usr/include/linux/mount.h after make headers"
mkdir -p "$work/headers"
mv "$work/obj/usr/include" "$work/headers/include"
rm -rf "$work/obj"

# --- the programs ------------------------------------------------------------
mkdir -p "$work/bin"
cflags=(-Wall "${ccflags[@]}" -isystem "$work/headers/include" -D_GNU_SOURCE= -I"$st" -static)
build() {   # build PROG [MORE-SOURCES...]
    local prog=$1; shift
    echo "rovl:   CC $prog" >&2
    (cd "$ovl" && "$cc" "${cflags[@]}" "$prog.c" "$@" -lcap -o "$work/bin/$prog") >&2 ||
        die "compiling $prog failed"
    # static: no program interpreter (the guest has no dynamic loader of its own)
    if LC_ALL=C "$readelf" -l "$work/bin/$prog" | grep -q 'INTERP'; then
        die "$prog is not statically linked"
    fi
}
build set_layers_via_fds ../utils.c
build dev_in_maps

# --- the tests each program reports --------------------------------------------
# set_layers_via_fds: kselftest_harness.h's `-l` prints "%-20s %-25s %s" rows
# (FIXTURE VARIANT TEST, a fixture's name on its first row only, variants and
# tests side by side); the harness runs every test of a fixture once per
# variant as FIXTURE[.VARIANT].TEST.
"$work/bin/set_layers_via_fds" -l > /dev/null 2> "$work/list.raw" || [ $? -eq 4 ] ||
    die "set_layers_via_fds -l failed"
awk '
    function trim(s) { sub(/^ +/, "", s); sub(/ +$/, "", s); return s }
    function flush(   i, j, nv) {
        if (fx == "") return
        nv = (nvar > 0) ? nvar : 1
        for (i = 1; i <= nv; i++)
            for (j = 1; j <= ntest; j++)
                print fx (nvar > 0 ? "." var[i] : "") "." test[j]
        nvar = 0; ntest = 0
    }
    /^# FIXTURE/ { next }
    /^-----/ { flush(); fx = ""; next }
    {
        if (length($0) > 47 && (substr($0, 21, 1) != " " || substr($0, 47, 1) != " ")) {
            print "unexpected -l row: " $0 > "/dev/stderr"; bad = 1; exit 1
        }
        f = trim(substr($0, 1, 20)); v = trim(substr($0, 22, 25)); t = trim(substr($0, 48))
        if (f != "") fx = f
        if (v != "") var[++nvar] = v
        if (t != "") test[++ntest] = t
    }
    END { if (!bad) flush() }
' "$work/list.raw" > "$work/bin/set_layers_via_fds.tests" || die "cannot parse set_layers_via_fds -l"
# Cross-check with the source: one TEST_F per test, no variants.
want=$(grep -c '^TEST_F(set_layers_via_fds, ' "$ovl/set_layers_via_fds.c")
have=$(wc -l < "$work/bin/set_layers_via_fds.tests")
[ "$want" -eq "$have" ] && ! grep -q '^FIXTURE_VARIANT' "$ovl/set_layers_via_fds.c" ||
    die "set_layers_via_fds -l lists $have tests, its source has $want TEST_F"
# dev_in_maps: no harness; it plans one test and names it when it passes.
[ "$(grep -c 'ksft_set_plan(' "$ovl/dev_in_maps.c")" -eq 1 ] && grep -q 'ksft_set_plan(1);' "$ovl/dev_in_maps.c" ||
    die "dev_in_maps.c no longer plans exactly one test"
sed -n 's/.*ksft_test_result_pass("\(.*\)\\n");.*/\1/p' "$ovl/dev_in_maps.c" > "$work/bin/dev_in_maps.tests"
[ "$(wc -l < "$work/bin/dev_in_maps.tests")" -eq 1 ] || die "cannot find dev_in_maps's test name"

{
    echo "Linux $version selftests from $src"
    echo "compiler: $("$cc" --version | head -n1)"
    echo "flags: ${cflags[*]//$work/$out} -lcap (headers: make headers)"
} > "$work/bin/BUILD"

touch "$work/.rovl-built"
rm -rf "$out"; mkdir -p "$ROVL_CACHE/selftests"
if mv -T "$work" "$out" 2>/dev/null; then
    trap - EXIT
else
    [ -f "$out/.rovl-built" ] || die "cannot move the result to $out"   # built meanwhile
fi
echo "rovl: selftests in $out/bin: $(cd "$out/bin" && ls -l dev_in_maps set_layers_via_fds | awk '{ printf "%s %s bytes; ", $NF, $5 }')" >&2
echo "$out/bin"
