#!/usr/bin/env bash
# Host side of `make test` (and so of .ci/run): install the dependencies,
# build or reuse the test kernel, build the module, pack the initramfs, boot
# the guest in test mode and judge its serial log; then boot it with rovl (and
# overlayfs) as its root filesystem (scripts/test-rootfs.sh, two short boots),
# whose cases count in the same totals.
#
# The last line printed is always "N passed, N failed" (test cases). Besides
# the failing cases, each of these counts as one more failure: the module
# does not build, the guest reports no totals or no end marker (hang,
# timeout, crash), and every kernel splat in the log (Oops, BUG, WARNING,
# KASAN, lockdep, kmemleak leaks, panic, unexpected Call Trace).
#
# Environment: ROVL_CHECKS_FAILED (how many static checks failed before,
# counted as failures: .ci/run), ROVL_TIMEOUT (guest time limit, s), ROVL_LOG (serial log),
# ROVL_TESTS (names of tests/NN-*.sh to run instead of all of them),
# ROVL_APPEND (more kernel command line; NAME=VALUE words without a dot reach
# the tests as environment variables, e.g. ROVL_STRESS_SECS=300: `make stress`),
# ROVL_ROOTFS_TYPES (the root filesystem boots: default "overlay rovl"; "none"
# skips them; ROVL_ROOTFS_TIMEOUT their time limit, see scripts/test-rootfs.sh).
set -uo pipefail
. "$(dirname "$0")/env.sh"
. "$(dirname "$0")/judge-log.sh"
cd "$ROVL_TOP"

passed=0; failed=0
extra() { echo "rovl: FAIL: $*"; failed=$((failed + 1)); }
summary() { echo "$passed passed, $failed failed"; }
for _ in $(seq "${ROVL_CHECKS_FAILED:-0}"); do extra "a static check failed (scripts/check.sh, above)"; done

"$ROVL_TOP/scripts/install-deps.sh" || { extra "scripts/install-deps.sh failed"; summary; exit 1; }
kdir=$("$ROVL_TOP/scripts/build-kernel.sh" test) || { extra "kernel build failed"; summary; exit 1; }
echo "rovl: kernel $kdir"

ko=$ROVL_TOP/rust_ovl.ko
rm -f "$ko"
if make -C "$ROVL_TOP" modules KDIR="$kdir" && [ -f "$ko" ]; then
    echo "rovl: module built: $ko"
else
    extra "module build failed (make modules); testing overlay alone"
    ko=none
fi

# The kernel's overlayfs selftests (tests/156-kselftests.sh), built statically
selftests=$("$ROVL_TOP/scripts/build-selftests.sh" "$kdir") ||
    { extra "the kernel's overlayfs selftests did not build (scripts/build-selftests.sh)"; selftests=; }

initrd=$(mktemp "${TMPDIR:-/tmp}/rovl-initramfs.XXXXXX")
trap 'rm -f "$initrd"' EXIT
ROVL_KO=$ko ROVL_KMODS=$kdir/modroot ROVL_SELFTESTS=$selftests \
    "$ROVL_TOP/scripts/make-initramfs.sh" "$initrd" >/dev/null ||
    { extra "initramfs build failed"; summary; exit 1; }

log=${ROVL_LOG:-}
if [ -z "$log" ]; then   # one log per run (runs may overlap); guest-test.log: the latest
    mkdir -p "$ROVL_CACHE/logs"
    log=$ROVL_CACHE/logs/guest-test-$(date +%Y%m%d-%H%M%S)-$$.log
    : > "$log"; ln -sfn "$log" "$ROVL_CACHE/guest-test.log"
fi
append=
[ -z "${ROVL_TESTS:-}" ] || append="rovl.tests=$(echo $ROVL_TESTS | tr ' ' ,)"
t0=$(date +%s)
ROVL_KERNEL=$kdir/arch/x86/boot/bzImage ROVL_INITRD=$initrd ROVL_LOG=$log \
    ROVL_APPEND="$append ${ROVL_APPEND:-}" "$ROVL_TOP/scripts/run-guest.sh" test
qrc=$?
t1=$(date +%s)
echo "rovl: guest ran $((t1 - t0))s (qemu exit $qrc), serial log $log"

# --- judge the log ----------------------------------------------------------
[ "$qrc" -ne 124 ] || extra "guest timed out (ROVL_TIMEOUT=${ROVL_TIMEOUT:-3600}s)"
# run.sh's totals, the end marker, the kernel's reports (scripts/judge-log.sh)
judge_log "$log" "rovl: "

# --- rovl as the root filesystem: its own boots, judged by test-rootfs.sh ------------
rootfs_types=${ROVL_ROOTFS_TYPES:-overlay rovl}
[ "$rootfs_types" != none ] || rootfs_types=
if [ "$ko" = none ]; then   # no module: its failure is counted above already
    rootfs_types=$(echo " $rootfs_types " | sed 's/ rovl / /g; s/^ *//; s/ *$//')
fi
if [ -n "$rootfs_types" ]; then
    rootfs_out=$(mktemp "${TMPDIR:-/tmp}/rovl-rootfs-out.XXXXXX")
    trap 'rm -f "$initrd" "$rootfs_out"' EXIT
    ROVL_KERNEL=$kdir/arch/x86/boot/bzImage ROVL_INITRD=$initrd ROVL_ROOTFS_TYPES=$rootfs_types \
        "$ROVL_TOP/scripts/test-rootfs.sh" | tee "$rootfs_out" |
        # its own "N passed, N failed" reworded: only this script's last line is the total
        sed -u '$s/^\([0-9]*\) passed, \([0-9]*\) failed$/rovl: rootfs boots: \1 cases passed and \2 failed (in the totals below)/'
    last=$(tail -n1 "$rootfs_out")
    if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
        passed=$((passed + BASH_REMATCH[1]))
        failed=$((failed + BASH_REMATCH[2]))
    else
        extra "scripts/test-rootfs.sh gave no 'N passed, N failed' line"
    fi
fi
summary
[ "$failed" -eq 0 ]
