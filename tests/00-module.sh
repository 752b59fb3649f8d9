#!/bin/sh
# Module load/unload. rovl-only: overlay is built in, it has no counterpart.
. "$(dirname "$0")/lib.sh"
plan 5
setup
echo hello > "$L/file"
MOD=$(basename "$ROVL_KO" .ko)
export MOD ROVL_KO
TAB=$(printf '\t')

check_rovl "module loaded, rovl registered in /proc/filesystems" "nodev${TAB}rovl" \
    'grep -qw "^$MOD" /proc/modules || echo "$MOD not loaded"; grep -w rovl /proc/filesystems'
check_rovl "rmmod unregisters rovl" "0
rc=1" \
    'rmmod "$MOD" && grep -cw rovl /proc/filesystems'
check_rovl "insmod again registers rovl" "nodev${TAB}rovl" \
    'insmod "$ROVL_KO" && grep -w rovl /proc/filesystems'
check_rovl "rmmod refused while a rovl mount exists" "mounted
rmmod: Resource temporarily unavailable
still-registered
hello" \
    'mount -t rovl -o lowerdir=$L none $M && echo mounted
     rmmod "$MOD" 2>&1 | sed "s/^rmmod:.*: /rmmod: /"
     grep -qw rovl /proc/filesystems && echo still-registered
     cat $M/file'
check_rovl "umount then rmmod succeeds, insmod again" "unloaded
reloaded" \
    'umount $M && rmmod "$MOD" && echo unloaded; insmod "$ROVL_KO" && echo reloaded'
finish
