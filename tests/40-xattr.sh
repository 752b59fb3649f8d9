#!/bin/sh
# getxattr/listxattr pass through to the lower (user.* xattrs on tmpfs);
# setxattr/removexattr fail with EROFS.
. "$(dirname "$0")/lib.sh"
plan 6
setup
mkdir -p "$L/dir"
echo hello > "$L/file"; echo plain > "$L/plain"
if [ ! -x "$HOST_LD" ]; then
    for i in 1 2 3 4 5 6; do skip "xattr case $i" "host tools not usable via /host"; done
    finish
fi
sfa() { hostrun /usr/bin/setfattr "$@"; }
gfa() { hostrun /usr/bin/getfattr "$@"; }
sfa -n user.color -v blue "$L/file"
sfa -n user.empty "$L/file"
sfa -n user.big -v "$(head -c 2000 /dev/zero | tr '\0' a)" "$L/file"
sfa -n user.dir -v yes "$L/dir"
mount_both

GF="$HOST_LD --library-path $HOST_LIBS $HOST_ROOT/usr/bin/getfattr"
SF="$HOST_LD --library-path $HOST_LIBS $HOST_ROOT/usr/bin/setfattr"
export GF SF
check "getfattr -d of a file and a dir" \
    "$(cd "$L" && gfa -d -e text -m '^user\.' file dir 2>&1 | md5sum; gfa -n user.color file 2>&1)" \
    'cd $M && $GF -d -e text -m "^user\." file dir 2>&1 | md5sum; $GF -n user.color file 2>&1'
check "listxattr: names of a file, a dir, a file without xattrs" \
    "$(cd "$L" && gfa -m - file dir plain 2>&1)" 'cd $M && $GF -m - file dir plain 2>&1'
check "a 2000-byte value" "$(cd "$L" && gfa --only-values -n user.big file | md5sum)" \
    'cd $M && $GF --only-values -n user.big file | md5sum'
check "getxattr of a missing name fails with ENODATA" "file: user.nope: No such attribute
rc=1" 'cd $M && $GF -n user.nope file'
check "setxattr and removexattr fail with EROFS" "setfattr: file: Read-only file system
rc=1
setfattr: file: Read-only file system
rc=1" 'cd $M && { $SF -n user.new -v 1 file; echo rc=$?; $SF -x user.color file; echo rc=$?; } 2>&1 | sed "s/^[^ ]*setfattr:/setfattr:/"'
if have_hpy; then
    check "python os.listxattr/os.getxattr" "['user.big', 'user.color', 'user.empty']
b'blue' b''
ENODATA" \
        'hpy -c "
import errno, os, sys
p = sys.argv[1]
print(sorted(os.listxattr(p)))
print(os.getxattr(p, \"user.color\"), os.getxattr(p, \"user.empty\"))
try: os.getxattr(p, \"user.nope\")
except OSError as e: print(errno.errorcode[e.errno])
" $M/file'
else
    skip "python os.listxattr/os.getxattr" "host python3 not usable via /host"
fi
finish
