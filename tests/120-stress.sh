#!/bin/sh
# Concurrent random operations on one writable mount over two lower layers
# (t_stress.py: create, write, append, read, mmap read/write, truncate,
# rename, renameat2 NOREPLACE/EXCHANGE, link, symlink, unlink, mkdir, rmdir,
# readdir, stat, set/remove user.* xattrs, chmod; errors are expected and
# counted). Then, for overlay and for rovl alike: only the errnos such races
# give (no EIO, ESTALE, ENOMEM...), no hang; after umount the work directory
# is clean and every upper file reads; the merged view (live and after a
# remount) equals what the union rules make of upper + lowers; the lowers are
# unchanged. A self-check plants a change in the upper layer and must see it.
#
# Defaults for CI: 4 workers, 20 s per filesystem, seed 1. Longer runs (see
# `make stress`): ROVL_STRESS_SECS, ROVL_STRESS_WORKERS, ROVL_STRESS_SEED in
# the guest's environment (init gets NAME=VALUE words of the kernel command
# line without a dot in its environment).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/stress-lib.sh"
SECS=$(stress_env ROVL_STRESS_SECS 20)
WORKERS=$(stress_env ROVL_STRESS_WORKERS 4)
SEED=$(stress_env ROVL_STRESS_SEED 1)
plan 11
setup
need_hpy "stress"
L1=$T/l1; L2=$T/l2
mkdir -p "$L1" "$L2"
stpy populate "$L1" "$L2" || diag "populate failed"

# result KEY DESC FSTYPE: the case t_stress.py judged (OUT/KEY.rc, .txt)
result() {
    _rc=$(cat "$OUT/$1.rc" 2>/dev/null || echo 1)
    verdict "$2" "$3" "$_rc" "$(cat "$OUT/$1.txt" 2>/dev/null || echo "no result: t_stress.py died or hung")"
}

for fs in $FSTYPES; do
    OUT=$T/out-$fs
    stpy_t $((SECS + 400)) stress "$fs" "$T/$fs" "$T/upper-$fs" "$T/work-$fs" "$L1" "$L2" "$OUT" \
        --workers "$WORKERS" --secs "$SECS" --seed "$SEED" > "$T/$fs.log" 2>&1 ||
        diag "$fs: t_stress.py stress: rc=$? $(cat "$T/$fs.log")"
    cd /; umount "$T/$fs" 2>/dev/null
    [ ! -f "$OUT/summary.txt" ] || diag "$fs: $(cat "$OUT/summary.txt")"
    result run "$WORKERS workers, ${SECS}s of random operations: only the errnos races give, no hang" $fs
    result after "after umount: the work dir is clean, every upper file reads" $fs
    result live "the merged view after the run equals the union of upper and lowers" $fs
    result again "after a remount, the merged view equals the union model" $fs
    result lowers "the lower layers are unchanged" $fs
done

# The checker must be able to fail: change rovl's upper layer behind its back.
stpy_t 300 selfcheck rovl "$T/rovl" "$T/upper-rovl" "$T/work-rovl" "$L1" "$L2" "$OUT" > "$T/sc.log" 2>&1 ||
    diag "selfcheck: rc=$? $(cat "$T/sc.log")"
cd /; umount "$T/rovl" 2>/dev/null
result selfcheck "self-check: a change planted in the upper layer (data, new file, whiteout) is seen" rovl
finish
