#!/bin/sh
# POSIX ACLs through the overlay: getfacl shows the real object's ACL (a named
# user, a mask, a directory's default ACL); permission checks use it (a named
# user reads a 640 file and walks into a 700 directory, RCU walk included; a
# mask denies); setfacl and the removal of an ACL through the mount (a
# copy-up); a chmod moves the mask; a copy-up by a write keeps the ACL; new
# objects in a directory with a default ACL inherit it, also where a whiteout
# was (overlayfs's ovl_create_over_whiteout: the object is made in the work
# directory, which has no default ACL, and given its mode after: a directory
# in a set-group-ID directory gets the bit); a directory copied up keeps its
# default ACL; an idmapped lower layer (tests/t_idmap.py, ns 1000 <-> 2000)
# shows its ACL mapped (user:1000 on disk is user:2000), and a copy-up to a
# plain upper layer stores it so.
#
# getfacl -cnEp: no header, numeric ids, no "#effective" comments (the mask is
# shown), absolute names; each file's entries on one line ("acl" below).
. "$(dirname "$0")/lib.sh"
plan 13
setup
need_hpy "POSIX ACLs"
if [ ! -x "$HOST_ROOT/usr/bin/setfacl" ] || [ ! -x "$HOST_ROOT/usr/bin/getfacl" ]; then
    while [ "$_n" -lt "$_plan" ]; do
        skip "POSIX ACLs case $((_n + 1))" "no setfacl/getfacl on the host (Debian package acl)"
    done
    finish
fi
setfacl() { hostrun /usr/bin/setfacl "$@"; }
# acl FILE...: "FILE: ENTRY ENTRY ..." for each FILE
acl() {
    for _f; do echo "$_f:" $(hostrun /usr/bin/getfacl -cnEp "$_f" 2>&1); done
}

cd "$L" || exit 1
echo secret > f; chmod 640 f; setfacl -m u:1000:r f
echo plain > plain; chmod 644 plain
echo masked > masked; chmod 640 masked; setfacl -m u:1000:r,m::- masked
mkdir private; echo inside > private/inside; chmod 644 private/inside
chmod 700 private; setfacl -m u:1000:rx private
echo g > g; chmod 644 g
mkdir e; chmod 755 e
for x in c w r; do echo $x > $x; chmod 640 $x; setfacl -m u:1000:r $x; done
echo n > noacl; chmod 640 noacl
# d1 and d2 get their default ACL after their contents are made (which so have none)
mkdir d1 d2 d2/sub; echo old > d2/old; chmod 755 d1 d2 d2/sub
setfacl -d -m u:1000:rwx d1 d2
# a set-group-ID directory without a default ACL (sub made first, so without the bit)
mkdir sg sg/sub; chmod 755 sg/sub; chmod 2775 sg
cd /
D_ACL="user::rwx group::r-x other::r-x default:user::rwx default:user:1000:rwx default:group::r-x default:mask::rwx default:other::r-x"
# what a default ACL of d1/d2 gives a new file (mode 666 asked for) and a new directory (777)
NEW_FILE="user::rw- user:1000:rwx group::r-x mask::rw- other::r--"
NEW_DIR="user::rwx user:1000:rwx group::r-x mask::rwx other::r-x default:user::rwx default:user:1000:rwx default:group::r-x default:mask::rwx default:other::r-x"
# AS_PY UID[:GID] read PATH: reads PATH as that user and group (no
# capabilities); prints what happened (as in 157-idmapped-layers.sh)
AS_PY='
import os, sys
ids = sys.argv[1].split(":")
uid, gid = int(ids[0]), int(ids[-1])
os.setgroups([]); os.setgid(gid); os.setuid(uid)
try:
    with open(sys.argv[3]) as f:
        res = f.read().strip()
except OSError as e:
    res = e.strerror
print("uid %s %ss %s: %s" % (sys.argv[1], sys.argv[2], sys.argv[3], res))
'
export AS_PY

# --- read-only ----------------------------------------------------------------
mount_both
check "read-only: getfacl shows the lower files' ACLs (a named user, a mask, a default ACL, none); a file without one has no system.posix_acl_access" \
    "@M/f: user::rw- user:1000:r-- group::r-- mask::r-- other::---
@M/masked: user::rw- user:1000:r-- group::r-- mask::--- other::---
@M/d1: $D_ACL
@M/plain: user::rw- group::r-- other::r--
getxattr @M/plain system.posix_acl_access: ENODATA
listxattr @M/f: system.posix_acl_access" \
    'acl $M/f $M/masked $M/d1 $M/plain
     sysops "getxattr $M/plain system.posix_acl_access" "listxattr $M/f"'
check "read-only: permission checks use the ACL (a named user reads a 640 file and walks into a 700 directory; a mask denies; others are denied)" \
    "uid 1000 reads @M/f: secret
uid 1001 reads @M/f: Permission denied
uid 1000 reads @M/masked: Permission denied
uid 1000 reads @M/private/inside: inside
uid 1001 reads @M/private/inside: Permission denied" \
    'for a in "1000 read $M/f" "1001 read $M/f" "1000 read $M/masked" \
              "1000 read $M/private/inside" "1001 read $M/private/inside"; do
         hpy -c "$AS_PY" $a
     done'
check "read-only: setfacl fails with EROFS" \
    "setfacl: @M/f: Read-only file system
rc=1" \
    'setfacl -m u:1001:r $M/f'
for _t in $FSTYPES; do umount "$T/$_t"; done
_need_mount=

# --- writable -----------------------------------------------------------------
upper_mount
check "writable: getfacl and a named user's reads before any copy-up (nothing copied up)" \
    "@M/f: user::rw- user:1000:r-- group::r-- mask::r-- other::---
@M/d1: $D_ACL
uid 1000 reads @M/f: secret
uid 1000 reads @M/private/inside: inside
upper:" \
    'acl $M/f $M/d1
     hpy -c "$AS_PY" 1000 read $M/f; hpy -c "$AS_PY" 1000 read $M/private/inside
     echo "upper:" $(ls -A $U)'
check "setfacl through the mount copies up: the merged and the upper file have the ACL, its mask as group bits; a default ACL set on a lower directory likewise" \
    "@M/g: user::rw- user:1001:rw- group::r-- mask::rw- other::r--
@U/g: user::rw- user:1001:rw- group::r-- mask::rw- other::r--
664 @M/g
664 @U/g
@M/e: user::rwx group::r-x other::r-x default:user::rwx default:user:1001:r-x default:group::r-x default:mask::r-x default:other::r-x
@U/e: user::rwx group::r-x other::r-x default:user::rwx default:user:1001:r-x default:group::r-x default:mask::r-x default:other::r-x
uid 1001 reads @M/g: g" \
    'setfacl -m u:1001:rw $M/g && setfacl -d -m u:1001:rx $M/e
     acl $M/g $U/g; stat -c "%a %n" $M/g $U/g; acl $M/e $U/e
     hpy -c "$AS_PY" 1001 read $M/g'
check "chmod of a lower file with an ACL (a copy-up): the mask follows the group bits, in getfacl and in permission checks, and back" \
    "600 @M/c
@M/c: user::rw- user:1000:r-- group::r-- mask::--- other::---
@U/c: user::rw- user:1000:r-- group::r-- mask::--- other::---
uid 1000 reads @M/c: Permission denied
@M/c: user::rw- user:1000:r-- group::r-- mask::r-- other::---
uid 1000 reads @M/c: c" \
    'chmod 600 $M/c; stat -c "%a %n" $M/c; acl $M/c $U/c; hpy -c "$AS_PY" 1000 read $M/c
     chmod 640 $M/c; acl $M/c; hpy -c "$AS_PY" 1000 read $M/c'
check "a copy-up by a write keeps the ACL" \
    "@U/w: user::rw- user:1000:r-- group::r-- mask::r-- other::---
640 @U/w
uid 1000 reads @M/w: w
more" \
    'echo more >> $M/w; acl $U/w; stat -c "%a %n" $U/w; hpy -c "$AS_PY" 1000 read $M/w'
check "removexattr system.posix_acl_access: of a lower file without an ACL ENODATA, and no copy-up; of one with an ACL, a copy-up without it" \
    "removexattr @M/noacl system.posix_acl_access: ENODATA
removexattr @M/r system.posix_acl_access: OK
@M/r: user::rw- group::r-- other::---
@U/r: user::rw- group::r-- other::---
noacl not copied up" \
    'sysops "removexattr $M/noacl system.posix_acl_access" "removexattr $M/r system.posix_acl_access"
     acl $M/r $U/r
     if [ -e $U/noacl ]; then echo "noacl copied up"; else echo "noacl not copied up"; fi'
check "a new file and directory in a lower directory with a default ACL inherit it (no umask); the directory, copied up, keeps its default ACL" \
    "@M/d1/new: $NEW_FILE
@M/d1/sub: $NEW_DIR
664 @M/d1/new
775 @M/d1/sub
@U/d1: $D_ACL
@U/d1/new: $NEW_FILE
@U/d1/sub: $NEW_DIR" \
    'touch $M/d1/new; mkdir $M/d1/sub
     acl $M/d1/new $M/d1/sub; stat -c "%a %n" $M/d1/new $M/d1/sub; acl $U/d1 $U/d1/new $U/d1/sub'
check "a file and a directory made where a whiteout is (rm, rmdir, then create) inherit the directory's default ACL" \
    "@M/d2/old: $NEW_FILE
@M/d2/sub: $NEW_DIR
664 @M/d2/old
775 @M/d2/sub
@U/d2/old: $NEW_FILE
@U/d2/sub: $NEW_DIR
sub:" \
    'rm $M/d2/old && touch $M/d2/old && rmdir $M/d2/sub && mkdir $M/d2/sub
     acl $M/d2/old $M/d2/sub; stat -c "%a %n" $M/d2/old $M/d2/sub; acl $U/d2/old $U/d2/sub
     echo "sub:" $(ls -A $M/d2/sub)'
check "a directory made where a whiteout is in a set-group-ID directory gets the bit, as one made where none is (umask 022)" \
    "2755 @M/sg/sub
2755 @U/sg/sub
2755 @M/sg/new" \
    '(umask 022; rmdir $M/sg/sub && mkdir $M/sg/sub && mkdir $M/sg/new)
     stat -c "%a %n" $M/sg/sub $U/sg/sub $M/sg/new'
upper_umount

# --- an idmapped lower layer ----------------------------------------------------
mkdir -p "$T/ilower" "$T/mlower"
echo idf > "$T/ilower/idf"; chmod 640 "$T/ilower/idf"
setfacl -m u:1000:r,g:1000:r "$T/ilower/idf"
idm=$(hpy "$_LIB_DIR/t_idmap.py" "$T/ilower" "$T/mlower" "0 0 1" "1000 2000 1" 2>&1)
[ "$idm" = "idmapped: OK" ] || diag "making the idmapped mount: $idm"
ID_ACL="user::rw- user:2000:r-- group::r-- group:2000:r-- mask::r-- other::---"
_need_mount=1
for _t in $FSTYPES; do mnt "$_t" "$T/mlower" "$T/$_t" || diag "mount -t $_t failed"; done
check "read-only over an idmapped lower layer: the ACL's user:1000 and group:1000 show as 2000, as through the layer's mount; uid 2000 reads, uid 1000 does not" \
    "@T/mlower/idf: $ID_ACL
@M/idf: $ID_ACL
uid 2000 reads @M/idf: idf
uid 1000 reads @M/idf: Permission denied" \
    'acl $T/mlower/idf $M/idf
     hpy -c "$AS_PY" 2000 read $M/idf; hpy -c "$AS_PY" 1000 read $M/idf'
for _t in $FSTYPES; do umount "$T/$_t"; done
_need_mount=
upper_mount "$T/mlower"
check "a plain upper over the idmapped lower layer: a copy-up stores the ACL as the layer shows it (user:2000 and group:2000 on disk)" \
    "@U/idf: $ID_ACL
@M/idf: $ID_ACL
uid 2000 reads @M/idf: idf
more" \
    'echo more >> $M/idf; acl $U/idf $M/idf; hpy -c "$AS_PY" 2000 read $M/idf'
upper_umount
finish
