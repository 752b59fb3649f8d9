#!/bin/sh
# The kernel's own overlayfs selftests, unmodified, on both filesystems:
# tools/testing/selftests/filesystems/overlayfs/dev_in_maps.c and
# set_layers_via_fds.c of the pinned kernel, built statically on the host by
# scripts/build-selftests.sh and packed as /selftests (PROG, and PROG.tests:
# the names of the tests PROG reports, in order, from the harness's own `-l`
# listing, so the plan is known before anything runs).
#
# The programs know the filesystem only as "overlay" (fsopen("overlay")), so
# each runs twice: once with overlayfs behind that name, once with rovl loaded
# as overlay (as_overlay=1; lib.sh's overlay_name_is), then overlayfs and rovl
# are back as run.sh expects (overlay_name_restore, also from the EXIT trap).
# That needs overlayfs as a module (CONFIG_OVERLAY_FS=m); else every case is
# skipped. One case per selftest test, judged as check() judges: it passes
# when overlayfs passes it and rovl passes it too; a test overlayfs does not
# pass is a wrong test environment (the case fails and says so); a test
# overlayfs skips is skipped, with its reason. A failed case prints both
# programs' output of that test.
#
# Expected differences (the case passes only when overlayfs passes and rovl
# fails at exactly the assertion written down below, and no other):
#   set_layers_via_fds.set_layers_via_fds   datadir+ (data-only layers) is refused
#   set_layers_via_fds.set_override_creds   metacopy=on is refused
#   set_layers_via_fds.set_override_creds_invalid
#                                           mounting from a user namespace:
#                                           rovl's type has no FS_USERNS_MOUNT
# Known broken upstream: set_layers_via_fds.set_layers_via_detached_mount_fds
# looks for "workdir=/tmp/w" etc. in mountinfo, but layers given as detached
# mounts (open_tree) show as paths inside those mounts ("lowerdir+=/", ...), so
# overlayfs fails it at its mountinfo check (reported by Al Viro on fsdevel,
# June 2025). When overlayfs fails it exactly there, the case is skipped (and
# rovl's result is shown); otherwise it is judged as the others (rovl then
# expected to refuse its datadir+).
#
# The programs make directories at / (/set_layers_via_fds{,_tmpfs}: the
# initramfs root) and mount in mount namespaces of their own; each runs from /
# in a subshell, and the directories are removed after it.
. "$(dirname "$0")/lib.sh"
KST=${ROVL_KSELFTESTS:-/selftests}
PROGS="dev_in_maps set_layers_via_fds"
MOD=$(basename "$ROVL_KO" .ko)

# the plan: one case per listed test; a program without its listing, one (skipped)
n=0
for p in $PROGS; do
    if [ -x "$KST/$p" ] && [ -s "$KST/$p.tests" ]; then
        n=$((n + $(wc -l < "$KST/$p.tests")))
    else
        n=$((n + 1))
    fi
done
plan $n
setup
[ ! -f "$KST/BUILD" ] || diag "$(cat "$KST/BUILD")"
_swapped=
trap '_st=$?; [ -z "$_swapped" ] || overlay_name_restore 2>&1 | sed "s/^/# /"; (exit $_st); cleanup' EXIT

# The documented failures of rovl, as "TEST|REASON|the harness's assertion
# line" (the line numbers are the pinned 7.3.4 source's).
EXPECTED_ROVL_FAILURES='set_layers_via_fds.set_layers_via_fds|no data-only lower layers: datadir+ is refused|# set_layers_via_fds.c:116:set_layers_via_fds:Expected sys_fsconfig(fd_context, FSCONFIG_SET_FD, "datadir+", NULL, layer_fds[6]) (-1) == 0 (0)
set_layers_via_fds.set_override_creds|no metacopy: metacopy=on is refused|# set_layers_via_fds.c:279:set_override_creds:Expected sys_fsconfig(fd_context, FSCONFIG_SET_STRING, "metacopy", "on", 0) (-1) == 0 (0)
set_layers_via_fds.set_override_creds_invalid|no mounting from a user namespace (no FS_USERNS_MOUNT): FSCONFIG_CMD_CREATE is EPERM|# set_layers_via_fds.c:437:set_override_creds_invalid:Expected sys_fsconfig(fd_context, FSCONFIG_CMD_CREATE, NULL, NULL, 0) (-1) == 0 (0)
set_layers_via_fds.set_layers_via_detached_mount_fds|no data-only lower layers: datadir+ is refused|# set_layers_via_fds.c:670:set_layers_via_detached_mount_fds:Expected sys_fsconfig(fd_context, FSCONFIG_SET_FD, "datadir+", NULL, layer_fds[6]) (-1) == 0 (0)'
# Tests broken upstream: "TEST|REASON|overlayfs's assertion lines (\n-separated)"
BROKEN_UPSTREAM='set_layers_via_fds.set_layers_via_detached_mount_fds|broken upstream: it looks for workdir=/tmp/w etc. in mountinfo, but layers given as detached mounts show as paths inside them (lowerdir+=/); overlayfs fails it there too|# set_layers_via_fds.c:711:set_layers_via_detached_mount_fds:Expected layers_found[i] (0) == true (1)\n# set_layers_via_fds.c:39:set_layers_via_detached_mount_fds:Expected rmdir("/set_layers_via_fds") (-1) == 0 (0)'

# field TABLE TEST N: field N of TEST's row in TABLE (empty if none)
field() {
    printf '%s\n' "$1" | awk -F'|' -v t="$2" -v n="$3" '$1 == t { print $n; exit }'
}

# clean_root: the directories set_layers_via_fds makes at /, removed (they
# are left behind when a test dies with a mount on one, in its namespace)
clean_root() {
    for _d in /set_layers_via_fds /set_layers_via_fds_tmpfs; do
        [ ! -e "$_d" ] || rmdir "$_d" || echo "cannot remove $_d"
    done
}

# settle MODULE: wait (up to 10 s) until nothing holds MODULE (the programs'
# mounts go with their mount namespaces, maybe a little after they exit)
settle() {
    _i=0
    while [ "$(cat "/sys/module/$1/refcnt" 2>/dev/null || echo 0)" != 0 ] && [ $_i -lt 100 ]; do
        sleep 0.1; _i=$((_i + 1))
    done
}

# run_prog PROG FS: PROG with FS (overlay or rovl) as "overlay", its
# output (stdout and stderr, in order) to $T/PROG.FS; what went wrong around
# it to $T/PROG.FS.env
run_prog() {
    : > "$T/$1.$2.env"
    if ! _why=$(overlay_name_is "$2" 2>&1); then
        echo "cannot make $2 the filesystem 'overlay': $_why" >> "$T/$1.$2.env"
        : > "$T/$1.$2"
        return
    fi
    clean_root >> "$T/$1.$2.env" 2>&1
    ( cd / && exec timeout -s KILL 600 "$KST/$1" ) > "$T/$1.$2" 2>&1
    echo "# (exit status $?)" >> "$T/$1.$2"
    clean_root >> "$T/$1.$2.env" 2>&1
    case $2 in overlay) settle overlay ;; rovl) settle "$MOD" ;; esac
}

# status FILE N NAME: the result of test N (named NAME) in the program's output:
# pass, fail, "skip REASON", none (not reported), or "misnamed LINE" (passed
# under another name: the listing does not fit the program)
status() {
    awk -v n="$2" -v name="$3" '
        $0 ~ "^not ok " n "( |$)" { print "fail"; found = 1; exit }
        $0 ~ "^ok " n "( |$)" {
            found = 1
            rest = substr($0, length("ok " n) + 2)
            if (match(rest, /(^| )# SKIP/)) {
                r = substr(rest, RSTART + RLENGTH); sub(/^ +/, "", r)
                print "skip " r
            } else if (rest == name) print "pass"
            else print "misnamed " $0
            exit
        }
        END { if (!found) print "none" }
    ' "$1"
}

# plan_of FILE: the plan the program printed (1..N), if any
plan_of() { sed -n 's/^1\.\.\([0-9]*\).*/\1/p' "$1" | head -n1; }

# section FILE NAME: the output of test NAME (the harness's "#  RUN NAME ..."
# to its result line); the whole output for a program without the harness
section() {
    if grep -q "^#  RUN  *$2 \.\.\.$" "$1"; then
        awk -v name="$2" '
            $0 ~ /^#  RUN  / && $3 == name { on = 1 }
            on { print }
            on && /^(not )?ok [0-9]+ / { exit }
        ' "$1"
    else
        cat "$1"
    fi
}
# asserts FILE NAME: the harness's failed assertions in test NAME's output
asserts() { section "$1" "$2" | grep "^# .*:Expected " ; }

# show_both PROG NAME: both programs' output of test NAME, as diagnostics
show_both() {
    for _fs in overlay rovl; do
        _out=$(cat "$T/$1.$_fs.env"; section "$T/$1.$_fs" "$2")
        [ -n "$_out" ] || _out="(no output)"
        _diag_block "$1 on $_fs$( [ $_fs = rovl ] && echo " (as overlay)")" "$_out"
    done
}

# judge PROG I NAME: the case of test NAME (number I) of PROG
judge() {
    _p=$1; _i=$2; _name=$3
    _desc="$_p: $_name"
    _so=$(status "$T/$_p.overlay" "$_i" "$_name")
    _sr=$(status "$T/$_p.rovl" "$_i" "$_name")
    _why=$(field "$EXPECTED_ROVL_FAILURES" "$_name" 2)
    [ -z "$_why" ] || _desc="$_desc [differs from overlay: $_why]"
    _known=$(field "$EXPECTED_ROVL_FAILURES" "$_name" 3)
    _broken=$(field "$BROKEN_UPSTREAM" "$_name" 2)
    _planned=$(wc -l < "$KST/$_p.tests")
    for _fs in overlay rovl; do
        _pl=$(plan_of "$T/$_p.$_fs")
        if [ -n "$_pl" ] && [ "$_pl" != "$_planned" ]; then
            fail "$_desc"
            diag "$_p planned $_pl tests on $_fs, its listing ($KST/$_p.tests) has $_planned: rebuild it (scripts/build-selftests.sh)"
            show_both "$_p" "$_name"
            return
        fi
    done
    case $_so in
        "skip "*)
            skip "$_desc" "overlayfs skips it: ${_so#skip }"
            return ;;
    esac
    if [ -n "$_broken" ] && [ "$_so" = fail ] &&
        [ "$(asserts "$T/$_p.overlay" "$_name")" = "$(printf '%b' "$(field "$BROKEN_UPSTREAM" "$_name" 3)")" ]; then
        skip "$_desc" "$_broken"
        diag "(rovl: $_sr$(asserts "$T/$_p.rovl" "$_name" | sed 's/^# / at /' | head -n1))"
        return
    fi
    if [ "$_so" != pass ]; then
        fail "$_desc"
        diag "overlayfs does not pass it ($_so): the test environment is wrong"
        show_both "$_p" "$_name"
        return
    fi
    if [ -z "$_known" ]; then
        if [ "$_sr" = pass ]; then
            pass "$_desc"
        else
            fail "$_desc"
            diag "rovl: $_sr"
            show_both "$_p" "$_name"
        fi
        return
    fi
    # a documented difference: rovl fails at exactly that assertion
    _ar=$(asserts "$T/$_p.rovl" "$_name")
    if [ "$_sr" = fail ] && [ "$_ar" = "$_known" ]; then
        pass "$_desc"
    else
        fail "$_desc"
        if [ "$_sr" = pass ]; then
            diag "rovl passes it now: drop its entry from EXPECTED_ROVL_FAILURES"
        else
            diag "rovl: $_sr, not (only) at the documented assertion"
        fi
        _diag_block "expected (rovl)" "not ok: $_known"
        show_both "$_p" "$_name"
    fi
}

if ! _noswap=$(overlay_swappable); then
    for p in $PROGS; do
        if [ -s "$KST/$p.tests" ]; then
            while IFS= read -r t; do skip "$p: $t" "$_noswap"; done < "$KST/$p.tests"
        else
            skip "$p" "$_noswap"
        fi
    done
    finish
fi

for p in $PROGS; do
    if ! [ -x "$KST/$p" ] || ! [ -s "$KST/$p.tests" ]; then
        skip "$p" "not built: no $KST/$p or $KST/$p.tests (scripts/build-selftests.sh)"
        continue
    fi
    _swapped=1
    run_prog "$p" overlay
    run_prog "$p" rovl
    _back=$(overlay_name_restore 2>&1) || diag "restoring overlayfs and rovl after $p: $_back"
    i=0
    while IFS= read -r t; do
        i=$((i + 1))
        judge "$p" "$i" "$t" < /dev/null
    done < "$KST/$p.tests"
done
finish
