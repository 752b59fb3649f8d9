# Sourced by scripts/test.sh and scripts/test-rootfs.sh: the verdict on one guest's serial
# log. The caller has `passed`, `failed` and `extra MESSAGE` (one more failure, said).
#
# judge_log LOG PREFIX: adds the guest's "# Totals:" line (tests/run.sh's, or
# qemu/rootfs.sh's: KUnit's own "# Totals: pass:N fail:N skip:N total:N" lines have no
# "xfail:" and never stand in for them) to passed and failed; a missing totals line, a
# missing end marker and each kernel report (scripts/scan-log.sh: Oops, BUG, WARNING,
# KASAN, lockdep, kmemleak, panic) count as failures. The failing cases are listed with
# PREFIX. Returns 1 when the end marker is missing (the guest hung, crashed or timed out).
judge_log() {
    local log=$1 prefix=$2 totals scan nrep ended=0
    totals=$(grep -a '^# Totals: pass:[0-9]* fail:[0-9]* xfail:' "$log" | tail -n1)
    if [ -n "$totals" ]; then
        passed=$((passed + $(sed -n 's/.*Totals: pass:\([0-9]*\).*/\1/p' <<<"$totals")))
        failed=$((failed + $(sed -n 's/.* fail:\([0-9]*\).*/\1/p' <<<"$totals")))
    else
        extra "the guest printed no '# Totals:' line"
    fi
    grep -aq '^ROVL-GUEST-END ' "$log" ||
        { ended=1; extra "no end marker: the guest hung, crashed or timed out"; }
    grep -aE '^(# )?not ok ' "$log" | sed "s/^/$prefix/"
    scan=$("$ROVL_TOP/scripts/scan-log.sh" "$log")
    nrep=$?
    if [ "$nrep" -gt 0 ]; then
        sed 's/^/rovl: /' <<<"$scan"
        extra "kernel log: $nrep report(s) of kernel trouble (counted as $nrep failures)"
        failed=$((failed + nrep - 1))
    fi
    return $ended
}
