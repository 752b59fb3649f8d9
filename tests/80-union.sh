#!/bin/sh
# The read-only union of several lower layers: name resolution across layers,
# whiteouts (both forms) and opaque directories, merged readdir (order, d_type,
# tiny getdents buffers, seekdir/telldir, rewind), identity, private xattrs,
# statfs, /proc/mounts escaping. Both filesystems mount the very same stack.
. "$(dirname "$0")/lib.sh"
plan 22
setup

set_trusted() { # FILE NAME VALUE
    hostrun /usr/bin/setfattr -n "$2" -v "$3" "$1"
}

# top (l1) over middle (l2) over bottom (l3)
l1=$T/l1; l2=$T/l2; l3=$T/l3
mkdir -p "$l1/merged/sub" "$l2/merged/sub" "$l3/merged/sub" \
    "$l2/opaque" "$l3/opaque" "$l3/gone-dir" "$l3/replaced" \
    "$l2/xw" "$l3/xw" "$l3/onlybottom"
echo top > "$l1/merged/top"
echo mid > "$l2/merged/mid"
echo bot > "$l3/merged/bot"
echo shadow-top > "$l1/merged/shadow"
echo shadow-mid > "$l2/merged/shadow"
echo shadow-bot > "$l3/merged/shadow"
echo in-sub-1 > "$l1/merged/sub/one"
echo in-sub-3 > "$l3/merged/sub/three"
# whiteouts in the middle layer hide the bottom's entries
echo hidden > "$l3/merged/whited"
mknod "$l2/merged/whited" c 0 0
echo hidden > "$l3/gone-dir/x"
mknod "$l2/gone-dir" c 0 0
# an opaque directory in the middle hides the bottom's contents
echo mid-opaque > "$l2/opaque/mine"
echo below-opaque > "$l3/opaque/theirs"
set_trusted "$l2/opaque" trusted.overlay.opaque y
# a file in the top replaces a directory below it
echo now-a-file > "$l1/replaced"
# xattr whiteouts: an empty file with overlay.whiteout in a dir marked opaque=x
echo hidden-by-xattr > "$l3/xw/gone"
echo visible > "$l3/xw/kept"
: > "$l2/xw/gone"
set_trusted "$l2/xw/gone" trusted.overlay.whiteout y
set_trusted "$l2/xw" trusted.overlay.opaque x
# a character device that is not a whiteout stays visible
mknod "$l2/merged/realchar" c 1 3
# private and ordinary xattrs
set_trusted "$l1/merged/top" trusted.overlay.origin junk
hostrun /usr/bin/setfattr -n user.colour -v blue "$l1/merged/top"
# enough names in a merged directory to need many getdents calls
for i in $(seq 150); do : > "$l1/merged/t-$i-some-longer-name"; : > "$l3/merged/b-$i-some-longer-name"; done
: > "$l1/merged/b-7-some-longer-name"

stack_mount "lowerdir=$l1:$l2:$l3"
# what the merged directory must list: the union of the layers, minus the whiteout
EXPCOUNT=$( (ls -a "$l1/merged"; ls -a "$l2/merged"; ls -a "$l3/merged") | sort -u | grep -c -v -x whited)

check "a merged directory lists each name once, whiteouts and what they hide left out" \
    "$( (cd "$l1/merged" && ls -A; cd "$l2/merged" && ls -A; cd "$l3/merged" && ls -A) | sort -u | grep -v -x -e whited | tr '\n' ' ')" \
    'ls -A $M/merged | tr "\n" " "'
check "the topmost layer's file wins; lower ones are hidden" "shadow-top" 'cat $M/merged/shadow'
check "files from every layer read back" "top mid bot" \
    'echo $(cat $M/merged/top $M/merged/mid $M/merged/bot)'
check "a subdirectory merges too" "one three" 'echo $(ls $M/merged/sub)'
check "whiteouts: the hidden file and directory do not exist" \
    "stat: can't stat '@M/merged/whited': No such file or directory
stat: can't stat '@M/gone-dir': No such file or directory
rc=1" \
    'stat -c %n $M/merged/whited $M/gone-dir'
check "an opaque directory shows only its own layer" "mine" 'ls $M/opaque'
check "a file above a directory replaces it" "now-a-file
regular file" 'cat $M/replaced; stat -c %F $M/replaced'
check "xattr whiteouts hide the name below; other names stay" "kept" 'ls $M/xw'
check "a character device that is not 0/0 is not a whiteout" "character special file 1 3" \
    'stat -c "%F %t %T" $M/merged/realchar'
# (busybox find prints a directory in readdir order; ls would sort it)
check "raw readdir order is overlay's" "$(run_on overlay 'find $M/merged -mindepth 1 -maxdepth 1')" \
    'find $M/merged -mindepth 1 -maxdepth 1'
check "the root lists the union of the layers' roots" \
    "$( (ls -A "$l1"; ls -A "$l2"; ls -A "$l3") | sort -u | grep -v -x gone-dir | tr '\n' ' ')" \
    'ls -A $M | tr "\n" " "'

if have_hpy; then
    # getdents64 with a tiny buffer, telldir/seekdir, and rewind
    GETDENTS='
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
def entries(fd, bufsize):
    buf = ctypes.create_string_buffer(bufsize)
    out = []
    while True:
        n = libc.syscall(217, fd, buf, bufsize)
        if n < 0:
            sys.exit("getdents64: errno %d" % ctypes.get_errno())
        if n == 0:
            return out
        off = 0
        while off < n:
            ino, d_off, reclen, dtype = __import__("struct").unpack_from("QqHB", buf.raw, off)
            name = buf.raw[off + 19:off + reclen].split(b"\0")[0].decode()
            out.append((name, dtype, d_off))
            off += reclen
d = os.path.join(os.environ["M"], "merged")
fd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
small = entries(fd, 80)
os.lseek(fd, 0, 0)
big = entries(fd, 65536)
print("tiny buffer same as big:", [e[:2] for e in small] == [e[:2] for e in big])
print("count", len(big), "dot entries", sorted(n for n, t, o in big if n in (".", "..")))
print("each name once:", len(set(n for n, t, o in big)) == len(big))
# seek back to the offset after the 40th entry, read on
os.lseek(fd, big[39][2], 0)
rest = entries(fd, 4096)
print("seekdir resumes:", [e[0] for e in rest] == [e[0] for e in big[40:]])
types = dict((n, t) for n, t, o in big)
print("d_type", types["sub"], types["top"], types["realchar"], types["."])
os.close(fd)
'
    export GETDENTS
    check "getdents with an 80-byte buffer, telldir/seekdir, d_type" \
        "tiny buffer same as big: True
count $EXPCOUNT dot entries ['.', '..']
each name once: True
seekdir resumes: True
d_type 4 8 2 4" 'hpy -c "$GETDENTS"'
    check "readdir d_ino equals st_ino for every entry of a merged directory" "all equal" \
        'hpy -c "
import os
d = os.environ[\"M\"] + \"/merged\"
bad = [e.name for e in os.scandir(d) if e.inode() != os.lstat(e.path).st_ino]
print(\"all equal\" if not bad else bad)
"'
    check "rewinddir lists the whole directory again" "$EXPCOUNT $EXPCOUNT" \
        'hpy -c "
import os
fd = os.open(os.environ[\"M\"] + \"/merged\", os.O_RDONLY | os.O_DIRECTORY)
first = os.listdir(fd)
os.lseek(fd, 0, 0)
print(len(first) + 2, len(os.listdir(fd)) + 2)
"'
else
    skip "getdents with an 80-byte buffer, telldir/seekdir, d_type" "no host python"
    skip "readdir d_ino equals st_ino for every entry of a merged directory" "no host python"
    skip "rewinddir lists the whole directory again" "no host python"
fi

check "identity on one filesystem: real inode numbers, the overlay's st_dev" "ino-real dev-overlay" \
    'r=$(stat -c %d $M); f=$(stat -c "%i %d" $M/merged/mid)
     [ "${f% *}" = "$(stat -c %i '"$l2"'/merged/mid)" ] && a=ino-real || a=ino-other
     [ "${f#* }" = "$r" ] && b=dev-overlay || b=dev-other; echo $a $b'
check "trusted.overlay.* is hidden, user.* passes through" \
    "user.colour=\"blue\"" \
    'hostrun /usr/bin/getfattr -d -m - --absolute-names $M/merged/top 2>&1 | grep -v "^#" | grep .'
check "statfs answers for the top layer's filesystem" "$(stat -f -c '%b %f %c %l' "$l1")" \
    'stat -f -c "%b %f %c %l" $M'
stack_umount

# layers on two filesystems: directories on the overlay's st_dev with their own
# numbers, other files on one anonymous device per real filesystem
mkdir -p "$T/fs2"
mount -t tmpfs -o noatime fs2 "$T/fs2"
mkdir -p "$T/fs2/low/d"; echo x > "$T/fs2/low/f"; mkdir -p "$l1/d"
stack_mount "lowerdir=$l1:$T/fs2/low"
check "identity across two filesystems" "dir: dev-overlay file: dev-pseudo ino-real" \
    'r=$(stat -c %d $M); d=$(stat -c %d $M/d); f=$(stat -c "%d %i" $M/f)
     [ "$d" = "$r" ] && a=dev-overlay || a=dev-other
     [ "${f% *}" != "$r" ] && [ "${f% *}" != "$(stat -c %d '"$T"'/fs2)" ] && b=dev-pseudo || b=dev-wrong
     [ "${f#* }" = "$(stat -c %i '"$T"'/fs2/low/f)" ] && c=ino-real || c=ino-other
     echo dir: $a file: $b $c'
stack_umount

# escaping in lowerdir and /proc/mounts
mkdir -p "$T/a:b" "$T/c,d"
echo colon > "$T/a:b/f1"; echo comma > "$T/c,d/f2"
check "an escaped colon and comma in lowerdir; /proc/mounts escapes the option" \
    'colon comma
lowerdir=@T/a\134:b:@T/c\134\054d' \
    'mount -t $FSTYPE -o "lowerdir=$T/a\\:b:$T/c\\,d" none $M
     echo $(cat $M/f1 $M/f2); grep " $M " /proc/mounts | grep -o "lowerdir=[^ ,]*"; umount $M'
check "mount errors: layer twice, nested layers, missing layer" \
    "mount: mounting none on @M failed: Too many levels of symbolic links
mount: mounting none on @M failed: Too many levels of symbolic links
mount: mounting none on @M failed: No such file or directory" \
    'mount -t $FSTYPE -o lowerdir=$T/l1:$T/l2:$T/l1 none $M
     mount -t $FSTYPE -o lowerdir=$T/l1:$T/l1/merged none $M
     mount -t $FSTYPE -o lowerdir=$T/l1:$T/nope none $M; true'

# many layers: paths relative to the working directory keep the option string
# under a page
mkdir -p "$T/many"
(cd "$T/many" && for i in $(seq 501); do mkdir -p $i/shared; echo "layer $i" > $i/own-$i; echo "$i" > $i/shared/top; done)
layers() { seq "$1" | tr '\n' ':' | sed 's/:$//'; }
L100=$(layers 100); L500=$(layers 500); L501=$(layers 501)
export L100 L500 L501
check "100 layers: mount, list, read" "101 1 layer 73" \
    'cd $T/many && mount -t $FSTYPE -o lowerdir=$L100 none $M && echo $(ls $M | wc -l) $(cat $M/shared/top) $(cat $M/own-73) ; umount $M'
check "500 layers mount, list and read; 501 are refused" \
    "501 1 layer 500
mount: mounting none on @M failed: Invalid argument" \
    'cd $T/many && mount -t $FSTYPE -o lowerdir=$L500 none $M && echo $(ls $M | wc -l) $(cat $M/shared/top) $(cat $M/own-500); umount $M
     mount -t $FSTYPE -o lowerdir=$L501 none $M; true'
finish
