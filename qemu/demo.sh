#!/bin/sh
# rovl demo (make run DEMO=basic): load the module, mount one read-only lower layer,
# look around, show that writes fail with EROFS, unmount, unload.
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
KO=${ROVL_KO:-/lib/modules/rust_ovl.ko}
run() { echo; echo "\$ $*"; sh -c "$*" </dev/null; }

echo "=== rovl demo ==="
run "insmod $KO" || { echo "demo: cannot load the module"; exit 1; }
run "grep rovl /proc/filesystems"

mkdir -p /tmp/lower/docs /tmp/merged
echo "hello from the lower layer" > /tmp/lower/hello.txt
printf 'line one\nline two\n' > /tmp/lower/docs/notes.txt
ln -s docs/notes.txt /tmp/lower/notes-link
mkfifo /tmp/lower/pipe
run "mount -t rovl -o lowerdir=/tmp/lower none /tmp/merged"
run "grep /tmp/merged /proc/mounts"
run "ls -la /tmp/merged /tmp/merged/docs"
run "cat /tmp/merged/hello.txt /tmp/merged/notes-link"
run "stat /tmp/merged/hello.txt"
run "readlink /tmp/merged/notes-link"
run "stat -c '%n: %F' /tmp/merged/pipe"
run "stat -f /tmp/merged"
run "echo change > /tmp/merged/hello.txt"
run "touch /tmp/merged/new-file"
run "rm -f /tmp/merged/hello.txt"
run "mkdir /tmp/merged/newdir"
run "umount /tmp/merged"

echo; echo "--- a stack of layers, as a container image has them ---"
mkdir -p /tmp/base/etc /tmp/base/app /tmp/app/app /tmp/patch/app
echo "base config" > /tmp/base/etc/config
echo "base binary" > /tmp/base/app/run
echo "stale file" > /tmp/base/app/old
echo "app binary v2" > /tmp/app/app/run
mknod /tmp/patch/app/old c 0 0          # a whiteout: deletes app/old from the layers below
echo "hotfix" > /tmp/patch/app/fix
run "mount -t rovl -o lowerdir=/tmp/patch:/tmp/app:/tmp/base none /tmp/merged"
run "ls -l /tmp/merged/app"
run "cat /tmp/merged/app/run /tmp/merged/etc/config"
run "cat /tmp/merged/app/old"
run "umount /tmp/merged"
run "rmmod rust_ovl"
run "grep -c rovl /proc/filesystems"
echo
echo "=== end of demo ==="
