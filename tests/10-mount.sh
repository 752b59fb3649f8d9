#!/bin/sh
# Mounting one read-only lower layer: mount -t X -o lowerdir=DIR none MNT.
. "$(dirname "$0")/lib.sh"
plan 13
setup
mkdir -p "$L/dir"; echo hello > "$L/file"; ln -s file "$L/link"
mount_both

check "mount succeeds" "mounted" 'grep -q " $M " /proc/mounts && echo mounted'
check "/proc/mounts: type, source" "type-ok none" \
    'awk -v m="$M" -v t="$FSTYPE" '\''$2 == m { print ($3 == t ? "type-ok" : "type=" $3), $1 }'\'' /proc/mounts'
check "/proc/mounts: mounted read-only, shows lowerdir" "ro
lowerdir=$L" \
    'awk -v m="$M" '\''$2 == m { print $4 }'\'' /proc/mounts | tr , "\n" | grep -e "^ro$" -e "^rw$" -e "^lowerdir="'
check "root directory lists the lower's entries" "$(ls -A "$L")" 'ls -A $M'
check "root directory stat equals the lower's (mode uid gid size ino)" \
    "$(stat -c '%f %u %g %s %i' "$L")" 'stat -c "%f %u %g %s %i" $M'
check_diff "root directory nlink" "1" "$(stat -c %h "$L")" \
    "overlay's root merges the extra empty layer, merged dirs report nlink 1; rovl's root is a plain lower dir" \
    'stat -c %h $M'
check "mount with explicit ro, then umount" "mounted
gone" \
    'mkdir -p $M.2; mnt $FSTYPE $L $M.2 ro && grep -q " $M.2 " /proc/mounts && echo mounted
     umount $M.2; grep -q " $M.2 " /proc/mounts || echo gone'
check "two mounts of the same lower at once" "hello
hello" \
    'mkdir -p $M.3; mnt $FSTYPE $L $M.3 && cat $M/file $M.3/file; umount $M.3'
check "lowerdir with a trailing slash" "dir file link" \
    'mkdir -p $M.4; mnt $FSTYPE $L/ $M.4 && echo $(ls $M.4); umount $M.4'
check_diff "a single lowerdir and no upperdir" "mount: mounting none on @M.5 failed: Invalid argument
rc=255" "mounted" "overlayfs needs 2 lower layers without an upper; one read-only lower is what rovl is for" \
    'mkdir -p $M.5; mount -t $FSTYPE -o lowerdir=$L none $M.5 && echo mounted && umount $M.5'
check "umount refused while a file is open (EBUSY)" "umount: can't unmount @M.6: Device or resource busy
hello
unmounted" \
    'mkdir -p $M.6; mnt $FSTYPE $L $M.6 || exit
     exec 3< $M.6/file; umount $M.6; cat <&3; exec 3<&-; umount $M.6 && echo unmounted'
check "lazy umount with an open file: reads go on, then it goes away" "hello
detached
dir file link" \
    'mkdir -p $M.7; mnt $FSTYPE $L $M.7 || exit
     exec 3< $M.7/dir; cd $M.7 || exit; umount -l $M.7; cat file; grep -q " $M.7 " /proc/mounts || echo detached
     echo $(ls); cd /; exec 3<&-'
check "a mount of the same type as the lower (stacking), fresh lookups" "hello
dir file link
ro" \
    'mkdir -p $M.8 $M.9; mnt $FSTYPE $L $M.9 && mnt $FSTYPE $M.9 $M.8 || exit
     cat $M.8/file; echo $(ls $M.8)
     awk -v m="$M.8" '\''$2 == m { split($4, o, ","); print o[1] }'\'' /proc/mounts
     umount $M.8; umount $M.9'
finish
