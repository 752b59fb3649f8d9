#!/usr/bin/env bash
# The static checks (`make check`, and .ci/run before the tests):
#   clippy  the kernel's CLIPPY=1 build of the module prints no warning
#   fmt     rustfmt --check with the kernel's .rustfmt.toml finds no difference
#   unsafe  `unsafe` only in src/vfs/, each block under a // SAFETY: comment
#           (scripts/check-unsafe.sh)
#
#   scripts/check.sh [clippy|fmt|unsafe ...]    (default: all three)
#
# Prints "rovl: check NAME: ok" or "rovl: FAIL: check NAME: ..." per check and
# exits with the number of checks that failed. clippy and fmt need the test
# kernel tree; the Makefile builds it on first use (scripts/build-kernel.sh),
# so the kernel is built once for these checks and `make test`.
set -uo pipefail
. "$(dirname "$0")/env.sh"
cd "$ROVL_TOP"
checks=${*:-clippy fmt unsafe}
failed=0
fail() { echo "rovl: FAIL: check $*"; failed=$((failed + 1)); }

for check in $checks; do
    case $check in
    clippy)
        out=$(mktemp "${TMPDIR:-/tmp}/rovl-clippy.XXXXXX")
        # The objects are rebuilt so that every warning is printed again, not only
        # those of files changed since the last build.
        rm -f rust_ovl.o rust_ovl_crate.o
        make clippy 2>&1 | tee "$out"
        rc=${PIPESTATUS[0]}
        nwarn=$(grep -E '^warning(\[[^]]*\])?: ' "$out" |
            grep -vcE '^warning: [0-9]+ warnings? emitted')
        if [ $rc -ne 0 ]; then
            fail "clippy: the CLIPPY=1 build failed (make clippy exited $rc)"
        elif [ "$nwarn" -gt 0 ]; then
            fail "clippy: $nwarn warning(s) in the CLIPPY=1 build (make clippy, above)"
        else
            echo "rovl: check clippy: ok"
        fi
        rm -f "$out" ;;
    fmt)
        if make -s fmt-check; then
            echo "rovl: check fmt: ok"
        else
            fail "fmt: rustfmt --check found differences (above; 'make fmt' fixes them)"
        fi ;;
    unsafe)
        if scripts/check-unsafe.sh; then
            echo "rovl: check unsafe: ok"
        else
            fail "unsafe: scripts/check-unsafe.sh found offences (above)"
        fi ;;
    *)
        fail "$check: no such check (clippy, fmt, unsafe)" ;;
    esac
done
exit $failed
