#!/bin/sh
# Random operations on writable mounts (t_randops.py): for a few fixed seeds,
# several hundred create/write/truncate/chmod/chown/link/symlink/rename/
# unlink/rmdir/mkdir/xattr/read operations over paths starting in either
# lower layer or in none, applied to an overlay mount and to one of $FSTYPE;
# every step's result, the merged view and the upper layer must be the same
# (for FSTYPE=overlay this checks that overlay itself is deterministic).
# A divergence prints the seed and the shortest failing prefix.
#
# Longer runs: ROVL_RANDOPS_SEEDS (extra seeds, comma- or space-separated;
# one more case) and ROVL_RANDOPS_LEN (ops per seed, default 300), from the
# environment of the guest shell, or on the kernel command line (init gets
# name=value words without a dot in its environment):
#   ROVL_APPEND="rovl.tests=110-random-ops.sh ROVL_RANDOPS_SEEDS=11,12,13 ROVL_RANDOPS_LEN=3000" \
#       scripts/run-guest.sh test
. "$(dirname "$0")/lib.sh"
SEEDS="1 2 3"
EXTRA=$(echo "${ROVL_RANDOPS_SEEDS:-}" | tr ',' ' ')
LEN=${ROVL_RANDOPS_LEN:-300}
if [ -n "$EXTRA" ]; then plan 3; else plan 2; fi
setup
TESTS_DIR=$(cd "$(dirname "$0")" && pwd)
export TESTS_DIR LEN SEEDS EXTRA
if ! have_hpy; then
    skip "random ops, seeds $SEEDS" "no host python"
    [ -z "$EXTRA" ] || skip "random ops, seeds $EXTRA" "no host python"
    skip "self-check: a perturbed op is reported as a divergence" "no host python"
    finish
fi

# expect_seeds SEED...: the output when every seed agrees
expect_seeds() {
    for s in "$@"; do echo "seed $s, $LEN ops: the same results, merged view and upper layer"; done
}
# shellcheck disable=SC2086
check "random ops, seeds $SEEDS, $LEN ops each: the same step results, merged view and upper layer as overlay" \
    "$(expect_seeds $SEEDS)" \
    'RANDOPS_STATS=$T/stats-$FSTYPE hpy $TESTS_DIR/t_randops.py overlay $FSTYPE $LEN $SEEDS'
if [ -n "$EXTRA" ]; then
    # shellcheck disable=SC2086
    check "random ops, seeds $EXTRA, $LEN ops each: the same as overlay" "$(expect_seeds $EXTRA)" \
        'RANDOPS_STATS=$T/stats-$FSTYPE hpy $TESTS_DIR/t_randops.py overlay $FSTYPE $LEN $EXTRA'
fi
[ -f "$T/stats-overlay" ] && diag "$(cat "$T/stats-overlay")"

# The comparison can fail: the data of one write changed in the second list
# must be reported, and the shortest failing prefix must end at that write.
# (Overlay against itself, so run once, not through check.)
SELF_EXP="DIVERGENCE
first divergence: merged view
self-check: the divergence is found at the perturbed op"
out=$(hpy "$TESTS_DIR/t_randops.py" --selfcheck overlay 80 4 2>&1 | sed -n -e "s/^\(DIVERGENCE\) .*/\1/p" \
         -e "s/^\(first divergence: [a-z ]*\),.*/\1/p" -e "/^self-check/p")
if [ "$out" = "$SELF_EXP" ]; then
    pass "self-check: a perturbed op is reported as a divergence, at that op [overlay against itself]"
else
    fail "self-check: a perturbed op is reported as a divergence, at that op [overlay against itself]"
    _diag_block expected "$SELF_EXP"
    _diag_block got "$out"
fi
finish
