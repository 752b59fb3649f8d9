#!/bin/sh
# statfs through the mount answers for the layer's filesystem (sizes, free
# counts, name length). f_type is left out: overlay reports its own magic.
. "$(dirname "$0")/lib.sh"
plan 3
setup
mkdir -p "$L/a/b"; echo hello > "$L/a/b/file"
mount_both
SF='%s %S %b %f %a %c %d %l'
export SF
check "stat -f of the root equals the layer's" "$(stat -f -c "$SF" "$L")" 'stat -f -c "$SF" $M'
check "stat -f of a file at depth equals the layer's" "$(stat -f -c "$SF" "$L/a/b/file")" \
    'stat -f -c "$SF" $M/a/b/file'
# a layer on another filesystem: a read-only ext4 image on a loop device
X4=$T/ext4
if [ -x "$HOST_LD" ] && truncate -s 16M "$T/ext4.img" &&
   hostrun /usr/sbin/mke2fs -q -t ext4 -F -d "$L" "$T/ext4.img" >/dev/null 2>&1 &&
   mkdir -p "$X4" && mount -o loop,ro "$T/ext4.img" "$X4" 2>/dev/null; then
    export X4
    check "stat -f with an ext4 layer equals ext4's" "$(stat -f -c "$SF" "$X4"; stat -f -c "$SF" "$X4/a/b/file")" \
        'mkdir -p $M.e && mnt $FSTYPE $X4 $M.e && stat -f -c "$SF" $M.e $M.e/a/b/file; umount $M.e'
else
    skip "stat -f with an ext4 layer equals ext4's" "cannot make an ext4 image (host mke2fs via /host, loop)"
fi
diag "f_type (not compared): overlay $(stat -f -c %t "$T/overlay") rovl $(stat -f -c %t "$T/rovl")"
finish
