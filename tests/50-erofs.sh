#!/bin/sh
# Every modification through a lower-only mount fails with EROFS and leaves
# the lower untouched.
. "$(dirname "$0")/lib.sh"
plan 6
setup
mkdir -p "$L/dir" "$L/empty"
echo hello > "$L/file"; ln -s file "$L/link"
have_hpy   # start python once before taking the "before" picture
mount_both
before=$(cd "$L" && ls -lanR | grep -v ' \.\.$')


check "create, write, append, truncate" "touch: @M/new: Read-only file system
sh: can't create @M/file: Read-only file system
sh: can't create @M/file: Read-only file system
truncate: @M/file: open: Read-only file system
touch: @M/file: Read-only file system" \
    'touch $M/new; sh -c "echo x > $M/file"; sh -c "echo x >> $M/file"; truncate -s 0 $M/file; touch $M/file; true'
check "unlink, rmdir, mkdir, rename" "rm: can't remove '@M/file': Read-only file system
rmdir: '@M/empty': Read-only file system
mkdir: can't create directory '@M/newdir': Read-only file system
mv: can't rename '@M/file': Read-only file system" \
    'rm -f $M/file; rmdir $M/empty; mkdir $M/newdir; mv $M/file $M/file2; true'
check "chmod, chown, link, symlink, mknod, mkfifo" "chmod: @M/file: Read-only file system
chown: @M/file: Read-only file system
ln: @M/hard: Read-only file system
ln: @M/sym: Read-only file system
mknod: @M/node: Read-only file system
mkfifo: @M/fifo: Read-only file system" \
    'chmod 600 $M/file; chown 1:1 $M/file; ln $M/file $M/hard; ln -s x $M/sym; mknod $M/node c 1 3; mkfifo $M/fifo; true'
check "the files are still there and unchanged" "hello
file" 'cat $M/file; readlink $M/link'
if have_hpy; then
    cat > "$T/t_erofs.py" <<'PY'
import errno, os, sys
m = sys.argv[1]
f, d = os.path.join(m, "file"), os.path.join(m, "dir")
ops = [
    ("open O_WRONLY", lambda: os.open(f, os.O_WRONLY)),
    ("open O_RDWR", lambda: os.open(f, os.O_RDWR)),
    ("open O_RDONLY|O_TRUNC", lambda: os.open(f, os.O_RDONLY | os.O_TRUNC)),
    ("open O_CREAT new", lambda: os.open(os.path.join(m, "new"), os.O_CREAT | os.O_WRONLY, 0o644)),
    ("open O_CREAT|O_EXCL existing", lambda: os.open(f, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)),
    ("truncate", lambda: os.truncate(f, 0)),
    ("utime", lambda: os.utime(f, (0, 0))),
    ("chmod", lambda: os.chmod(f, 0o600)),
    ("lchown", lambda: os.lchown(f, 1, 1)),
    ("unlink", lambda: os.unlink(f)),
    ("rmdir", lambda: os.rmdir(d)),
    ("mkdir", lambda: os.mkdir(os.path.join(m, "nd"))),
    ("rename", lambda: os.rename(f, os.path.join(m, "f2"))),
    ("link", lambda: os.link(f, os.path.join(m, "h"))),
    ("symlink", lambda: os.symlink("x", os.path.join(m, "s"))),
    ("mknod fifo", lambda: os.mkfifo(os.path.join(m, "p"))),
    ("setxattr", lambda: os.setxattr(f, "user.x", b"1")),
    ("removexattr", lambda: os.removexattr(f, "user.x")),
]
for name, op in ops:
    try:
        op()
        print(name, "SUCCEEDED")
    except OSError as e:
        print(name, errno.errorcode[e.errno])
PY
    check "syscalls via python: every write-type call fails with EROFS" "open O_WRONLY EROFS
open O_RDWR EROFS
open O_RDONLY|O_TRUNC EROFS
open O_CREAT new EROFS
open O_CREAT|O_EXCL existing EEXIST
truncate EROFS
utime EROFS
chmod EROFS
lchown EROFS
unlink EROFS
rmdir EROFS
mkdir EROFS
rename EROFS
link EROFS
symlink EROFS
mknod fifo EROFS
setxattr EROFS
removexattr EROFS" 'hpy $T/t_erofs.py $M'
else
    skip "syscalls via python: every write-type call fails with EROFS" "host python3 not usable via /host"
fi
check "the lower is untouched" "$before" 'cd $L && ls -lanR | grep -v " \.\.$"'
finish
