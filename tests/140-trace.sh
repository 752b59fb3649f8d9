#!/bin/sh
# rovl's trace events (the "rovl" system in tracefs; README.md, "Watching
# rovl"): the events are there; a copy-up (a lower file of 12345 bytes opened
# for append and written through the merged view) emits exactly one
# rovl:copy_up, with the file's name and size, and a second write none;
# unlinking a lower file emits rovl:whiteout, creating a file rovl:create,
# renaming rovl:rename, looking up a missing or whited-out name
# rovl:lookup_miss. Self-check: with rovl:copy_up off, a copy-up counts 0 of
# them while another event, on, still shows. rovl-only (check_rovl):
# overlayfs has no trace events, so only rovl is mounted. The events are
# traced in a trace instance of their own (the global buffer is left alone)
# and are all off again at the end.
. "$(dirname "$0")/lib.sh"
plan 9
setup

TR=/sys/kernel/tracing
_tr_mounted=
if [ ! -e "$TR/instances" ]; then
    mount -t tracefs nodev "$TR" 2>/dev/null && _tr_mounted=1
fi
if [ ! -e "$TR/instances" ]; then
    while [ "$_n" -lt "$_plan" ]; do skip "trace case $((_n + 1))" "no tracefs at $TR"; done
    finish
fi
I=$TR/instances/rovl-140
rmdir "$I" 2>/dev/null
mkdir "$I" || I=$TR
export TR I

# all rovl events off, the instance and any tracefs mount of ours gone; then
# lib.sh's cleanup, with the exit status the test had
trace_off() {
    [ -w "$I/events/rovl/enable" ] && echo 0 > "$I/events/rovl/enable"
    [ "$I" = "$TR" ] || rmdir "$I" 2>/dev/null
    [ -z "$_tr_mounted" ] || umount "$TR" 2>/dev/null
}
trap '_st=$?; trace_off; (exit $_st); cleanup' EXIT

# traced "EVENTS" COMMAND: the trace lines (no header) that COMMAND (shell
# code, run with eval) makes with only the rovl events EVENTS enabled
traced() {
    echo 0 > "$I/events/rovl/enable"
    echo > "$I/trace"
    for _e in $1; do echo 1 > "$I/events/rovl/$_e/enable" || return 1; done
    eval "$2"
    echo 0 > "$I/events/rovl/enable"
    grep -v '^#' "$I/trace"
}
# fields EVENT FIELD...: for each EVENT line on stdin, "FIELD=VALUE ..."
fields() {
    _ev=$1; shift
    grep " $_ev: " | while read -r _line; do
        _out=
        for _f in "$@"; do
            _v=$(printf '%s\n' "$_line" | sed -n "s/.* $_f=\([^ ]*\).*/\1/p")
            _out="$_out${_out:+ }$_f=$_v"
        done
        echo "$_out"
    done
}
# count EVENT: how many EVENT lines are on stdin
count() { grep -c " $1: "; }

head -c 12345 /dev/zero > "$L/big"
head -c 777 /dev/zero > "$L/big2"
echo gone > "$L/gone"
echo ren > "$L/ren"

FSTYPES=rovl
upper_mount

check_rovl "the rovl trace system has its events" \
    "copy_up create link lookup_miss mkdir mknod removexattr rename rmdir setattr setxattr symlink unlink whiteout" \
    'cd $I/events/rovl && echo $(for d in */; do echo "${d%/}"; done)'

check_rovl "a copy-up (append to a lower file of 12345 bytes) emits one rovl:copy_up with its name and size" \
    "1
dir=/ name=big size=12345 err=0
timed" \
    'traced copy_up "echo x >> \$M/big" > $T/tr.out
     count copy_up < $T/tr.out
     fields copy_up dir name size err < $T/tr.out
     d=$(fields copy_up duration_ns < $T/tr.out); d=${d#duration_ns=}
     [ "${d:-0}" -gt 0 ] && echo timed'

check_rovl "a second write to the copied-up file emits no rovl:copy_up" "0 12349" \
    'n=$(traced copy_up "echo y >> \$M/big" | count copy_up); echo $n $(wc -c < $M/big)'

check_rovl "self-check: with rovl:copy_up off, a copy-up counts 0 of them; rovl:create, on, shows its temporary file" \
    "copy_up 0
create in work 1" \
    'traced create "echo x >> \$M/big2" > $T/tr.out
     echo copy_up $(count copy_up < $T/tr.out)
     echo create in work $(fields create dir < $T/tr.out | grep -c "^dir=work$")'

# (nothing looks "gone" up before the lookup_miss case below)
check_rovl "unlinking a lower file emits rovl:whiteout (made in the work directory)" \
    "1
dir=work err=0" \
    'traced whiteout "rm \$M/gone" > $T/tr.out
     count whiteout < $T/tr.out
     fields whiteout dir err < $T/tr.out'

check_rovl "creating a file emits rovl:create at its name in the upper directory" \
    "1
dir=upper-rovl name=newfile err=0
type 0100" \
    'traced create ": > \$M/newfile" > $T/tr.out
     grep " name=newfile " $T/tr.out | count create
     fields create dir name err < $T/tr.out | grep " name=newfile "
     m=$(fields create mode < $T/tr.out | tail -n 1); m=${m#mode=}; echo type ${m%???}'

check_rovl "renaming a lower file emits rovl:rename (RENAME_WHITEOUT: the lower file is hidden)" \
    "1
old_dir=upper-rovl old_name=ren new_dir=upper-rovl new_name=ren2 flags=0x4 err=0
ren" \
    'traced rename "mv \$M/ren \$M/ren2" > $T/tr.out
     grep " old_name=ren " $T/tr.out | count rename
     fields rename old_dir old_name new_dir new_name flags err < $T/tr.out | grep " old_name=ren "
     cat $M/ren2'

check_rovl "looking up a missing name (2 layers asked) and a whited-out one (1) emits rovl:lookup_miss" \
    "name=nosuch layers=2
name=gone layers=1" \
    'traced lookup_miss "[ -e \$M/nosuch ]; [ -e \$M/gone ]" | fields lookup_miss name layers'

check_rovl "every rovl event is off again" "0" 'cat $I/events/rovl/enable'

finish
