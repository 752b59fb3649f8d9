#!/bin/sh
# Layers through idmapped mounts (mount_setattr MOUNT_ATTR_IDMAP), as containerd
# (uidmap=/gidmap=: the lower layers through an idmapped mount) and
# containers/storage (its idmapped-lower probe) use them: ownership is what the
# layer's mount shows, in the merged view, in permission checks, in what a
# copy-up writes, and in what a create or chown writes through an idmapped
# upper layer. Never the owner on disk.
#
# One mapping for all (tests/t_idmap.py): ns 0 <-> 0, ns 1000 <-> 2000. So a
# lower file owned by 1000 on disk shows as 2000; one owned by 5 is in no line
# and shows as the overflow id 65534: even root may not write it (no
# capability over an unmapped owner: EACCES) nor set its xattrs (EPERM), and
# it cannot be renamed (EOVERFLOW); an owner 3000 cannot be written through
# the idmapped upper (EOVERFLOW).
. "$(dirname "$0")/lib.sh"
plan 8
setup
need_hpy "idmapped layers"
echo root > "$L/root"
echo u1000 > "$L/u1000"; chown 1000:1000 "$L/u1000"; chmod 600 "$L/u1000"
echo u5 > "$L/u5"; chown 5:5 "$L/u5"
mkdir "$L/dir"; chown 1000:1000 "$L/dir"
mkdir "$L/sgid"; chown 1000:1000 "$L/sgid"; chmod 2777 "$L/sgid"
MAP="'0 0 1' '1000 2000 1'"
# $T/mlower: the lower layer through an idmapped mount; $T/mup-FSTYPE: each
# filesystem's upper and work directories (on disk $T/up-FSTYPE) likewise
mkdir -p "$T/mlower"
idm=$(eval hpy "$_LIB_DIR/t_idmap.py" "$L" "$T/mlower" "$MAP" 2>&1)
for _t in $FSTYPES; do
    mkdir -p "$T/up-$_t/u" "$T/up-$_t/w" "$T/mup-$_t"
    idm="$idm $(eval hpy "$_LIB_DIR/t_idmap.py" "$T/up-$_t" "$T/mup-$_t" "$MAP" 2>&1)"
done
[ "$idm" = "idmapped: OK idmapped: OK idmapped: OK" ] || diag "making the idmapped mounts: $idm"
export MAP
OWNERS='stat -c "%u:%g %n" $M/root $M/u1000 $M/u5 $M/dir'
# AS_PY UID[:GID] read|create PATH: reads or creates PATH as that user and
# group (no capabilities); prints what happened
AS_PY='
import os, sys
ids = sys.argv[1].split(":")
uid, gid = int(ids[0]), int(ids[-1])
os.setgroups([]); os.setgid(gid); os.setuid(uid)
what, path = sys.argv[2], sys.argv[3]
try:
    if what == "read":
        with open(path) as f:
            res = f.read().strip()
    else:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        res = "OK"
except OSError as e:
    res = e.strerror
print("uid %s %ss %s: %s" % (sys.argv[1], what, path, res))
'
export OWNERS AS_PY

check "the idmapped mount of the lower layer shows the mapped owners (the reference)" "0:0 @T/mlower/root
2000:2000 @T/mlower/u1000
65534:65534 @T/mlower/u5
2000:2000 @T/mlower/dir" \
    'stat -c "%u:%g %n" $T/mlower/root $T/mlower/u1000 $T/mlower/u5 $T/mlower/dir'

mnt_lower() { _need_mount=1; for _t in $FSTYPES; do mnt "$_t" "$T/mlower" "$T/$_t" || diag "mount -t $_t failed"; done; }
mnt_lower
check "read-only over an idmapped lower layer: the merged view shows the mapped owners" "0:0 @M/root
2000:2000 @M/u1000
65534:65534 @M/u5
2000:2000 @M/dir" \
    "$OWNERS"
check "permission checks use the mapped owner (mode 600: uid 2000 reads, uid 1000 does not)" \
    "uid 2000 reads @M/u1000: u1000
uid 1000 reads @M/u1000: Permission denied" \
    'hpy -c "$AS_PY" 2000 read $M/u1000; hpy -c "$AS_PY" 1000 read $M/u1000'
for _t in $FSTYPES; do umount "$T/$_t"; done
_need_mount=

upper_mount "$T/mlower"
check "a plain upper over an idmapped lower: a copy-up writes the mapped owner; a new file is root's" \
    "2000:2000 @M/u1000
2000:2000 @U/u1000
0:0 @U/new
append @M/u5 x: EACCES" \
    'echo more >> $M/u1000; touch $M/new
     stat -c "%u:%g %n" $M/u1000 $U/u1000 $U/new
     sysops "append $M/u5 x"'
check "an owner the idmapped lower does not map: a rename (a copy-up) is EOVERFLOW, a trusted xattr EPERM (the VFS refuses unmapped owners), nothing left behind" \
    "rename @M/u5 @M/u5b: EOVERFLOW
setxattr @M/u5 trusted.test x: EPERM
65534:65534 @M/u5
work: 0 entries
upper: new u1000" \
    'sysops "rename $M/u5 $M/u5b" "setxattr $M/u5 trusted.test x"
     stat -c "%u:%g %n" $M/u5
     echo "work: $(ls -A $W/work | wc -l) entries"
     echo "upper:" $(ls -A $U)'
upper_umount

# the idmapped upper: mounted by each snippet itself (upper and work inside $T/mup-FSTYPE)
# (the upper emptied first: each case starts from a fresh one)
MUP='rm -rf $T/up-$FSTYPE/u/* 2>/dev/null
     mount -t $FSTYPE -o lowerdir=$T/mlower,upperdir=$T/mup-$FSTYPE/u,workdir=$T/mup-$FSTYPE/w none $M || exit'
export MUP
check "an idmapped upper: a copy-up is stored with the owner mapped back (1000 on disk, 2000 through the mounts)" \
    "2000:2000 @M/u1000
1000:1000 @T/up-@FSTYPE/u/u1000
2000:2000 @T/mup-@FSTYPE/u/u1000" \
    'eval "$MUP"; echo more >> $M/u1000
     stat -c "%u:%g %n" $M/u1000 $T/up-$FSTYPE/u/u1000 $T/mup-$FSTYPE/u/u1000 | sed "s|-$FSTYPE/|-@FSTYPE/|"
     umount $M'
check "an idmapped upper: create and chown are stored mapped back; an owner the mapping lacks is EOVERFLOW" \
    "chown @M/new 2000 2000: OK
1000:1000 @T/up-@FSTYPE/u/new
2000:2000 @M/new
chown @M/new 3000 3000: EOVERFLOW
mkdir @M/dir/sub: OK
1000:1000 @T/up-@FSTYPE/u/dir
2000:2000 @M/dir" \
    'eval "$MUP"; touch $M/new
     sysops "chown $M/new 2000 2000"
     stat -c "%u:%g %n" $T/up-$FSTYPE/u/new $M/new | sed "s|-$FSTYPE/|-@FSTYPE/|"
     sysops "chown $M/new 3000 3000" "mkdir $M/dir/sub"
     stat -c "%u:%g %n" $T/up-$FSTYPE/u/dir $M/dir | sed "s|-$FSTYPE/|-@FSTYPE/|"
     umount $M'
check "an idmapped upper: uid 2000 with group 3000 (which it does not map) creates in a set-group-ID directory: the directory's group" \
    "uid 2000:3000 creates @M/sgid/f: OK
1000:1000 @T/up-@FSTYPE/u/sgid/f
2000:2000 @M/sgid/f
uid 2000:3000 creates @M/dir/f: Value too large for defined data type" \
    'eval "$MUP"
     hpy -c "$AS_PY" 2000:3000 create $M/sgid/f
     stat -c "%u:%g %n" $T/up-$FSTYPE/u/sgid/f $M/sgid/f | sed "s|-$FSTYPE/|-@FSTYPE/|"
     chmod 777 $M/dir; hpy -c "$AS_PY" 2000:3000 create $M/dir/f
     umount $M'
finish
