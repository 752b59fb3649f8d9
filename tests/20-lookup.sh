#!/bin/sh
# Lookup, stat, inode numbers, readdir, symlinks and special files through
# one lower layer. Both filesystems mount the same lower, so their answers
# are compared with each other and with the real files' (st_dev excepted).
. "$(dirname "$0")/lib.sh"
plan 19
setup
mkdir -p "$L/a/b/c/d" "$L/a/empty" "$L/many"
printf 'deep\n' > "$L/a/b/c/d/file"
echo hello > "$L/file"
chmod 640 "$L/file"; chown 1234:5678 "$L/file"
touch -d '2001-02-03 04:05:06' "$L/a/b/c/d/file"
ln "$L/file" "$L/hard"
echo 'with space' > "$L/sp ace"
ln -s file "$L/link"
ln -s a/b/c/d/file "$L/deeplink"
ln -s /nonexistent "$L/dangling"
ln -s ../../file "$L/a/b/uplink"
ln -s a/b "$L/dirlink"
ln -s loop "$L/loop"
LONG=$(printf '%0255d' 0 | tr 0 n); TOOLONG=${LONG}n
echo long > "$L/$LONG"
mkfifo "$L/fifo"
mknod "$L/null" c 1 3
mknod "$L/zero" c 1 5
mknod "$L/blk" b 7 0
# enough entries, with long names, to need several getdents calls
set --
for i in $(seq 400); do set -- "$@" "entry-$i-with-a-rather-long-name-to-fill-getdents-buffers"; done
(cd "$L/many" && touch "$@")
set --
mount_both

F='%f %s %h %u %g %X %Y %Z %b %i'
export F
check "stat at depth a/b/c/d/file equals the real file's" \
    "$(stat -c "$F" "$L/a/b/c/d/file")" 'stat -c "$F" $M/a/b/c/d/file'
check "stat of the directories on the way equals the real ones'" \
    "$(cd "$L" && stat -c "%n $F" a a/b a/b/c a/b/c/d a/empty many)" \
    'cd $M && stat -c "%n $F" a a/b a/b/c a/b/c/d a/empty many'
check "lstat of every kind of entry equals the real one's" \
    "$(cd "$L" && stat -c "%n $F %F %t %T" file hard "sp ace" link deeplink dangling dirlink fifo null zero blk)" \
    'cd $M && stat -c "%n $F %F %t %T" file hard "sp ace" link deeplink dangling dirlink fifo null zero blk'
check "hard links: nlink 2 and one inode number" "2 2 same" \
    'a=$(stat -c %i $M/file); b=$(stat -c %i $M/hard); echo $(stat -c %h $M/file) $(stat -c %h $M/hard) $([ $a = $b ] && echo same || echo differ)'
check "inode numbers stable across lookups and drop_caches" "stable" \
    'i1=$(stat -c %i $M/a/b/c/d/file $M/a/b $M/file $M/link)
     i2=$(stat -c %i $M/a/b/c/d/file $M/a/b $M/file $M/link)
     echo 2 > /proc/sys/vm/drop_caches
     i3=$(stat -c %i $M/a/b/c/d/file $M/a/b $M/file $M/link)
     [ "$i1" = "$i2" ] && [ "$i1" = "$i3" ] && echo stable || echo "changed: $i1 / $i2 / $i3"'
# (the root's own "." line is left out: see the root nlink case in 10-mount.sh)
check "ls -lan of the root" "$(cd "$L" && ls -lan | grep -v ' \.$')" 'cd $M && ls -lan | grep -v " \.$"'
check "ls -lan at depth and of an empty directory" "$(cd "$L" && ls -lan a/b a/b/c/d a/empty)" \
    'cd $M && ls -lan a/b a/b/c/d a/empty'
check "find lists the whole tree" "$(cd "$L" && find . | sort | md5sum)" 'cd $M && find . | sort | md5sum'
check "find -type per kind" "$(cd "$L" && for t in f d l p c b; do echo "$t: $(find . -type $t | sort | grep -v ^./many/ | tr '\n' ' ')"; done)" \
    'cd $M && for t in f d l p c b; do echo "$t: $(find . -type $t | sort | grep -v ^./many/ | tr "\n" " ")"; done'
check "a large directory: 400 entries" "400" 'ls $M/many | wc -l'

if have_hpy; then
    cat > "$T/readdir.py" <<'PY'
# readdir through libc: telldir/seekdir/rewinddir, d_ino and d_type against lstat
import ctypes, os, stat, sys
libc = ctypes.CDLL("libc.so.6", use_errno=True)
class Dirent(ctypes.Structure):
    _fields_ = [("ino", ctypes.c_uint64), ("off", ctypes.c_int64),
                ("reclen", ctypes.c_ushort), ("type", ctypes.c_ubyte),
                ("name", ctypes.c_char * 256)]
libc.opendir.restype = ctypes.c_void_p; libc.opendir.argtypes = [ctypes.c_char_p]
libc.readdir.restype = ctypes.POINTER(Dirent); libc.readdir.argtypes = [ctypes.c_void_p]
libc.telldir.restype = ctypes.c_long; libc.telldir.argtypes = [ctypes.c_void_p]
libc.seekdir.argtypes = [ctypes.c_void_p, ctypes.c_long]
libc.rewinddir.argtypes = [ctypes.c_void_p]
libc.closedir.argtypes = [ctypes.c_void_p]
DT = {stat.S_IFDIR: 4, stat.S_IFREG: 8, stat.S_IFLNK: 10, stat.S_IFIFO: 1,
      stat.S_IFCHR: 2, stat.S_IFBLK: 6, stat.S_IFSOCK: 12}
def entries(d):
    out = []
    while True:
        pos = libc.telldir(d)
        e = libc.readdir(d)
        if not e:
            return out
        out.append((pos, e.contents.name.decode(), e.contents.ino, e.contents.type))
for path in sys.argv[1:]:
    d = libc.opendir(path.encode())
    if not d:
        print(path, "opendir:", os.strerror(ctypes.get_errno())); continue
    first = entries(d)
    names = [e[1] for e in first]
    seek = "ok"
    for i in list(range(0, len(first), 37)) + [len(first) - 1]:
        libc.seekdir(d, first[i][0])
        if [e[1] for e in entries(d)] != names[i:]:
            seek = "mismatch at %d" % i
    libc.rewinddir(d)
    rewind = "ok" if [e[1] for e in entries(d)] == names else "mismatch"
    libc.closedir(d)
    bad_ino = [n for _, n, ino, _ in first if n != ".." and os.lstat(os.path.join(path, n)).st_ino != ino]
    bad_type = [n for _, n, _, t in first if DT[stat.S_IFMT(os.lstat(os.path.join(path, n)).st_mode)] != t]
    listdir = "ok" if sorted(os.listdir(path)) == sorted(n for n in names if n not in (".", "..")) else "differs"
    print(os.path.basename(path), "entries=%d" % len(first), "unique=%d" % len(set(names)),
          "seekdir=" + seek, "rewinddir=" + rewind, "listdir=" + listdir,
          "d_ino=" + ("ok" if not bad_ino else "bad:" + ",".join(bad_ino[:5])),
          "d_type=" + ("ok" if not bad_type else "bad:" + ",".join(bad_type[:5])))
PY
    check "readdir via libc: telldir/seekdir/rewinddir, d_ino, d_type" \
        "many entries=402 unique=402 seekdir=ok rewinddir=ok listdir=ok d_ino=ok d_type=ok
. entries=17 unique=17 seekdir=ok rewinddir=ok listdir=ok d_ino=ok d_type=ok" \
        'cd $M && hpy $T/readdir.py $M/many .'
else
    skip "readdir via libc: telldir/seekdir/rewinddir, d_ino, d_type" "host python3 not usable via /host"
fi

check "readlink of every symlink" "file
a/b/c/d/file
/nonexistent
../../file
a/b" 'cd $M && for l in link deeplink dangling a/b/uplink dirlink; do readlink $l; done'
check "following symlinks (relative, deep, upward, to a dir, dangling)" "hello
deep
hello
@M/file
@M/a/b/c
c uplink
cat: can't open '@M/dangling': No such file or directory" \
    'cat $M/link $M/deeplink $M/a/b/uplink; readlink -f $M/a/b/uplink; cd $M/dirlink/c && pwd -P; echo $(ls $M/dirlink); cat $M/dangling 2>&1; true'
check "stat -L through a symlink equals the target's" "$(stat -c "$F" "$L/a/b/c/d/file")" \
    'stat -L -c "$F" $M/deeplink'
check "special files: types and device numbers" "fifo fifo 0 0
null character special file 1 3
zero character special file 1 5
blk block special file 7 0" \
    'cd $M && stat -c "%n %F %t %T" fifo null zero blk'
check "special files work: read zero, write null, fifo round trip" " 00 00 00 00
wrote-null
through-fifo" \
    'head -c 4 $M/zero | od -An -tx1
     echo x > $M/null && echo wrote-null
     cat $M/fifo > $T/fifo.$FSTYPE & echo through-fifo > $M/fifo; wait; cat $T/fifo.$FSTYPE'
export LONG TOOLONG
check "missing names: ENOENT, twice (negative dentries), also below a file" "stat: can't stat '@M/nope': No such file or directory
stat: can't stat '@M/a/b/nope': No such file or directory
stat: can't stat '@M/nope': No such file or directory
stat: can't stat '@M/file/x': Not a directory" \
    'stat $M/nope; stat $M/a/b/nope; stat $M/nope; stat $M/file/x; true'
check "255-byte name found, 256-byte name: ENAMETOOLONG" "long
cat: can't open '@M/$TOOLONG': File name too long" \
    'cat $M/$LONG; cat $M/$TOOLONG; true'
check "symlink loop: ELOOP; dot and dot-dot" "cat: can't open '@M/loop': Too many levels of symbolic links
same-as-root
@T" \
    'cat $M/loop; [ $(stat -c %i $M/a/..) = $(stat -c %i $M) ] && echo same-as-root; cd $M/.. && pwd; true'
finish
