#!/bin/sh
# In-guest runner (kselftest style). Loads the module, reads the results of its
# KUnit suites (run by the kernel at load), runs every tests/N-*.sh in numeric
# order (or the ones named as arguments), unloads the module, and prints
# "# Totals: ..." counting test cases (the ok/not ok lines of every test and
# every KUnit case). Each test's own KTAP output is nested, indented with "# ".
#   sh /tests/run.sh [NN-name.sh ...]
# ROVL_TEST_TIMEOUT: per-test limit in seconds (default 600).
# The KUnit suites expected are listed in kunit-suites next to this script
# (scripts/make-initramfs.sh writes it from the #[kunit_tests] in the sources),
# or found in ../src and ../rust_ovl.rs (the live copy, /rovl/tests/run.sh).
# ROVL_KUNIT_DIR: where KUnit's debugfs results are (/sys/kernel/debug/kunit).
dir=$(cd "$(dirname "$0")" && pwd)
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
ROVL_KO=${ROVL_KO:-/lib/modules/rust_ovl.ko}
MOD=$(basename "$ROVL_KO" .ko)
export ROVL_KO
cd "$dir" || exit 1
if [ $# -gt 0 ]; then tests="$*"; else tests=$(ls [0-9]*-*.sh | sort -n); fi
ntests=0; for t in $tests; do ntests=$((ntests + 1)); done
if [ -f kunit-suites ]; then
    suites=$(cat kunit-suites)
else
    suites=$(cat ../rust_ovl.rs $(find ../src -name '*.rs' 2>/dev/null) 2>/dev/null |
        sed -n 's/.*#\[kunit_tests(\([A-Za-z0-9_]*\))\].*/\1/p')
fi
# No list at all is a failure of its own, not silence: a pseudo-suite "-".
[ -n "$suites" ] || suites=-
nsuites=0; for s in $suites; do nsuites=$((nsuites + 1)); done
KUNIT_DIR=${ROVL_KUNIT_DIR:-/sys/kernel/debug/kunit}

pass=0; fail=0; skip=0; n=0
top() { # top ok|notok DESC [SKIP-REASON]
    n=$((n + 1))
    case $1 in
        ok)    pass=$((pass + 1)); echo "ok $n $2" ;;
        notok) fail=$((fail + 1)); echo "not ok $n $2" ;;
        skip)  skip=$((skip + 1)); echo "ok $n $2 # SKIP $3" ;;
    esac
}

echo "TAP version 13"
echo "1..$((ntests + nsuites + 2))"

# overlayfs, the oracle, is a module in the test kernel (CONFIG_OVERLAY_FS=m):
# loaded here, so that every test finds it registered. Where it cannot be
# loaded, the tests' own mounts of -t overlay fail and say so.
grep -qw overlay /proc/filesystems || modprobe overlay 2>&1 | sed 's/^/# modprobe overlay: /'

# 1: the module loads and registers "rovl"
if grep -qw "^$(basename "$ROVL_KO" .ko)" /proc/modules && grep -qw rovl /proc/filesystems; then
    top ok "rust_ovl already loaded; rovl in /proc/filesystems"
elif [ ! -f "$ROVL_KO" ]; then
    echo "# no module at $ROVL_KO"
    top notok "insmod rust_ovl.ko"
elif out=$(insmod "$ROVL_KO" 2>&1) && grep -qw rovl /proc/filesystems; then
    top ok "insmod rust_ovl.ko; rovl in /proc/filesystems"
else
    echo "# insmod: $out"
    top notok "insmod rust_ovl.ko; rovl in /proc/filesystems"
fi

# KUnit: the results of one suite (debugfs "results", KTAP) as
# "PASS SKIP FAIL PLANNED SUITE": its cases (at one indent; parameterised
# sub-cases are summed up in their case's line), the plan of its cases ("-"
# if none), and its own result line: ok, skip, notok or "-".
kunit_counts() {
    awk '
        /^    1\.\.[0-9]+$/       { planned = substr($0, 8) }
        /^    ok [0-9]+ /         { if ($0 ~ /# SKIP/) s++; else p++ }
        /^    not ok [0-9]+ /     { f++ }
        /^ok [0-9]+ /             { suite = ($0 ~ /# SKIP/) ? "skip" : "ok" }
        /^not ok [0-9]+ /         { suite = "notok" }
        END { printf "%d %d %d %s %s\n", p, s, f, planned == "" ? "-" : planned, suite == "" ? "-" : suite }
    ' "$1"
}

# Self-check: results with a failed assertion (as lib/kunit writes them) must
# count as one failure; if they do not, no suite's count can be trusted.
planted=$(printf '%s\n' 'KTAP version 1' '1..1' '    KTAP version 1' '    # Subtest: planted' \
    '    1..3' '    ok 1 a' '    # b: ASSERTION FAILED at src/x.rs:1' \
    '    Expected false to be true, but is false' '    not ok 2 b' '    ok 3 c # SKIP' \
    '# planted: pass:1 fail:1 skip:1 total:3' 'not ok 1 planted' | kunit_counts -)
parser_ok=1
[ "$planted" = "1 1 1 3 notok" ] || parser_ok=0

# 2..: one entry per KUnit suite, each of its cases counted as a test case
for s in $suites; do
    res=$KUNIT_DIR/$s/results
    n=$((n + 1))
    [ "$s" = - ] || echo "# kunit: $s"
    if [ "$s" = - ]; then
        echo "# no KUnit suites listed: $dir/kunit-suites is missing and no sources at $dir/.."
        fail=$((fail + 1))
        echo "not ok $n kunit: the module's suites"
        continue
    fi
    if [ ! -r "$res" ]; then
        echo "# $s: no KUnit results at $res (module not loaded, built without its tests, or a kernel without KUnit)"
        fail=$((fail + 1))
        echo "not ok $n kunit: $s"
        continue
    fi
    sed 's/^/# /' "$res"
    read -r p sk f planned suite <<EOF
$(kunit_counts "$res")
EOF
    if [ "$suite" = skip ] && [ "$planned" = - ]; then
        echo "# $s: pass:0 fail:0 skip:1 (suite skipped)"
        skip=$((skip + 1))
        echo "ok $n kunit: $s # SKIP"
        continue
    fi
    ran=$((p + sk + f))
    if [ $parser_ok -eq 0 ]; then
        echo "# $s: the KUnit results parser miscounted a planted failure ('$planted')"
        f=$((f + 1))
    fi
    if [ "$planned" = - ] || [ "$ran" -ne "$planned" ]; then
        echo "# $s: planned ${planned#-} cases, reported $ran"
        f=$((f + 1))
    elif [ "$suite" != ok ] && [ $f -eq 0 ]; then
        echo "# $s: suite result '$suite' without a failing case"
        f=$((f + 1))
    fi
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + sk))
    echo "# $s: pass:$p fail:$f skip:$sk"
    if [ $f -gt 0 ]; then
        echo "not ok $n kunit: $s"
    else
        echo "ok $n kunit: $s"
    fi
done

start=$(cut -d. -f1 /proc/uptime)
for t in $tests; do
    t0=$(cut -d. -f1 /proc/uptime)
    refs0=$(awk -v m="$MOD" '$1 == m { print $3 }' /proc/modules)
    echo "# selftests: rovl: $t"
    out=/tmp/.rovl-$t.out
    timeout "${ROVL_TEST_TIMEOUT:-600}" sh "./$t" > "$out" 2>&1
    rc=$?
    sed 's/^/# /' "$out"
    p=$(grep -c '^ok [0-9]' "$out")
    s=$(grep -c '^ok [0-9].*# SKIP' "$out")
    f=$(grep -c '^not ok [0-9]' "$out")
    p=$((p - s))
    planned=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$out" | head -n1)
    ran=$((p + s + f))
    if [ -z "$planned" ] || [ "$ran" -ne "$planned" ]; then
        echo "# $t: planned ${planned:-?} cases, reported $ran"
        f=$((f + 1))
    fi
    if [ $rc -ne 0 ] && [ $rc -ne 4 ] && [ $f -eq 0 ]; then
        echo "# $t: exited $rc without a failing case"
        f=$((f + 1))
    fi
    [ $rc -ne 124 ] || echo "# $t: timed out"
    # a test must leave no rovl mount and no reference to the module behind
    left=$(awk '$3 == "rovl" { print $2 }' /proc/mounts)
    refs=$(awk -v m="$MOD" '$1 == m { print $3 }' /proc/modules)
    if [ -n "$left" ]; then
        echo "# $t: left rovl mounts behind: $left"
        f=$((f + 1))
    elif [ -n "$refs" ] && [ "$refs" -gt "${refs0:-0}" ]; then
        echo "# $t: module $MOD references went ${refs0:-0} -> $refs with no rovl mount left: leaked superblock?"
        f=$((f + 1))
    fi
    pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
    t1=$(cut -d. -f1 /proc/uptime)
    echo "# $t: pass:$p fail:$f skip:$s (${rc}, $((t1 - t0))s)"
    n=$((n + 1))
    if [ $f -gt 0 ] || { [ $rc -ne 0 ] && [ $rc -ne 4 ]; }; then
        echo "not ok $n selftests: rovl: $t # exit=$rc"
    elif [ $rc -eq 4 ]; then
        echo "ok $n selftests: rovl: $t # SKIP"
    else
        echo "ok $n selftests: rovl: $t"
    fi
    rm -f "$out"
done

# last: nothing left mounted, the module unloads and "rovl" is gone
left=$(awk '$3 == "rovl" { print $2 }' /proc/mounts)
if [ -n "$left" ]; then
    echo "# rovl mounts left behind: $left"
    top notok "rmmod rust_ovl at the end"
elif ! grep -qw "^$(basename "$ROVL_KO" .ko)" /proc/modules; then
    echo "# module not loaded"
    top notok "rmmod rust_ovl at the end"
elif out=$(rmmod "$(basename "$ROVL_KO" .ko)" 2>&1) && ! grep -qw rovl /proc/filesystems; then
    top ok "rmmod rust_ovl at the end; rovl gone from /proc/filesystems"
else
    echo "# rmmod: $out"
    top notok "rmmod rust_ovl at the end; rovl gone from /proc/filesystems"
fi

end=$(cut -d. -f1 /proc/uptime)
echo "# tests took $((end - start))s"
echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
[ $fail -eq 0 ]
