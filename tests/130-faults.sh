#!/bin/sh
# Failed allocations in the middle of operations on a writable mount (see
# t_faults.py): a systematic sweep with /proc/self/task/TID/fail-nth over
# lookup, readdir, copy-up (open for write, chmod, setxattr, truncate, link,
# rename), create, mkdir, symlink, rename, unlink, rmdir, write (each call
# either does all or nothing, a success does it all, the mount's view equals
# the layers on disk, the work dir stays clean, the op works again once the
# faults stop; a remount shows the union of the layers); then random
# failslab/fail_page_alloc faults (task-filter, make-it-fail) under
# t_stress.py's workload, followed by 120-stress.sh's checks. Leaks are
# kmemleak's business (the harness scans the log). overlay runs the same as
# the sanity check; which call fails may differ, only the invariants count.
#
# ROVL_FAULT_CAP (default 4): faulted calls per op for rovl (every fault site
# when an op has fewer; else the last 3 and the rest evenly spread), half as
# many for overlay; ROVL_FAULT_SECS (default 5) and ROVL_FAULT_PROB (percent,
# default 2) for the random part.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/stress-lib.sh"
CAP=$(stress_env ROVL_FAULT_CAP 4)
FSECS=$(stress_env ROVL_FAULT_SECS 5)
PROB=$(stress_env ROVL_FAULT_PROB 2)
plan 8
setup
if ! have_hpy || [ ! -e /proc/self/fail-nth ] || [ ! -d /sys/kernel/debug/failslab ]; then
    why="no host python"; have_hpy && why="no fault injection (fail-nth, debugfs failslab)"
    for c in $(seq 8); do skip "fault case $c" "$why"; done
    finish
fi
fpy() { hpy "$TESTS_DIR/t_faults.py" "$@"; }

result() {   # KEY DESC FSTYPE LOG
    _rc=$(cat "$OUT/$1.rc" 2>/dev/null || echo 1)
    verdict "$2" "$3" "$_rc" "$(cat "$OUT/$1.txt" 2>/dev/null ||
        printf 'no result: t_faults.py died or hung; its output:\n%s' "$(tail -n 40 "$4" 2>/dev/null)")"
}

L1=$T/l1; L2=$T/l2
mkdir -p "$L1" "$L2"
fpy prepare "$L1" "$L2" "$CAP" || diag "prepare failed"
for fs in $FSTYPES; do
    OUT=$T/out-$fs
    cap=$CAP; [ "$fs" = rovl ] || cap=$(( CAP > 3 ? CAP / 2 : CAP ))
    PYTHONHOME=$HOST_ROOT/usr PYTHONDONTWRITEBYTECODE=1 timeout -s KILL $((600 + cap * 100)) \
        "$HOST_LD" --library-path "$HOST_LIBS" "$HOST_ROOT/usr/bin/python3" -S \
        "$TESTS_DIR/t_faults.py" sweep "$fs" "$T/$fs" "$T/upper-$fs" "$T/work-$fs" "$L1" "$L2" "$OUT" "$cap" \
        > "$T/$fs.log" 2>&1 || diag "$fs: t_faults.py sweep: rc=$? $(cat "$T/$fs.log")"
    cd /; umount "$T/$fs" 2>/dev/null
    [ ! -f "$OUT/figures.txt" ] || _diag_block "$fs: fail-nth sweep" "$(cat "$OUT/figures.txt")"
    result sweep "fail-nth sweep: every call did all or nothing, view = disk, work dir clean, works again without faults" $fs "$T/$fs.log"
    result after "after the sweep: the view after a remount equals the union of the layers" $fs "$T/$fs.log"
done
result selfcheck "self-check: a planted half-done rename is caught by the sweep's judge" rovl "$T/rovl.log"

# random faults under the stress workload (lowers of t_stress.py)
S1=$T/s1; S2=$T/s2
mkdir -p "$S1" "$S2"
stpy populate "$S1" "$S2" || diag "populate failed"
for fs in $FSTYPES; do
    OUT=$T/rnd-$fs
    PYTHONHOME=$HOST_ROOT/usr PYTHONDONTWRITEBYTECODE=1 timeout -s KILL $((FSECS + 600)) \
        "$HOST_LD" --library-path "$HOST_LIBS" "$HOST_ROOT/usr/bin/python3" -S \
        "$TESTS_DIR/t_faults.py" random "$fs" "$T/r-$fs" "$T/rupper-$fs" "$T/rwork-$fs" "$S1" "$S2" "$OUT" \
        "$FSECS" "$PROB" > "$T/r$fs.log" 2>&1 || diag "$fs: t_faults.py random: rc=$? $(cat "$T/r$fs.log")"
    cd /; umount "$T/r-$fs" 2>/dev/null
    [ ! -f "$OUT/random-figures.txt" ] || diag "$fs: $(cat "$OUT/random-figures.txt")"
    [ ! -s "$OUT/random-other.txt" ] || diag "$fs: $(cat "$OUT/random-other.txt")"
    result random "random faults (${PROB}%, ${FSECS}s) under the stress workload: consistent afterwards, still works" $fs "$T/r$fs.log"
done
# the faults are off again for everyone
check_rovl "fault injection is off again (fail-nth 0, make-it-fail 0, probabilities 0)" "0 0 0 0" \
    'echo $(cat /proc/self/fail-nth) $(cat /proc/self/make-it-fail) $(cat /sys/kernel/debug/failslab/probability) $(cat /sys/kernel/debug/fail_page_alloc/probability)'
finish
