#!/bin/sh
# tests/t_pivot.sh CASE: the steps of one case of 165-pivot-root.sh. The test runs it
# in a mount namespace of its own (unshare -m, so that no pivot_root here can change the
# guest's root), once with FSTYPE=overlay and once with FSTYPE=rovl; it sees M (that
# filesystem's writable mount, over L, with its upper directory U) and T. The lower L is a
# small root of its own: /bin/busybox and its applet links, /etc/hello, empty /proc,
# /oldroot and /dir/sub. Each step prints one line; lib.sh writes the paths as @M, @U...
#
#   pivot     pivot_root . oldroot from the guest's root (the initramfs, rootfs) into the
#             mount, / is the mount, a lower file at /, a write lands in the upper layer;
#             then pivot_root back (put_old: the mount's old mount point)
#   dotdot    pivot_root . . and umount -l . (the old root stacked on the new one, then
#             detached: what runc does)
#   oldroot   after pivot_root, umount /oldroot is EBUSY (mounts below it), umount -l
#             detaches it and the new root goes on working without its layers in sight
#   umountroot  after pivot_root, umount / remounts the root read-only (the VFS's special
#             case for "unmounting" the root)
#   notmnt    new_root not a mount point (a directory inside the mount): EINVAL
#   notunder  put_old not under new_root (a directory of another mount): EINVAL
#   rootput   put_old on the current root's own mount: EBUSY
#   chroot    from a chroot into the mount, new_root is the current root: EBUSY
#   shared    the mounts shared (unshare --propagation shared, as systemd leaves them):
#             EINVAL; after mount --make-rprivate / it works
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

# the type of the mount at / (the last one listed there: the top of a stack), written
# as FSTYPE when it is the filesystem under test
roottype() {
    _rt=$(awk '$5 == "/" { t = $0; sub(/.* - /, "", t); split(t, f, " "); ty = f[1] } END { print ty }' /proc/self/mountinfo)
    [ "$_rt" != "$FSTYPE" ] || _rt=FSTYPE
    echo "$_rt"
}
# "ro" or "rw": the mount at / as /proc/mounts shows it
rootopt() {
    awk '$2 == "/" { split($4, o, ","); r = o[1] } END { print r }' /proc/mounts
}

case $1 in
pivot)
    echo "before: / is $(roottype)"
    cd "$M" || exit 1
    pivot_root . oldroot && echo "pivot_root . oldroot: ok"
    cd /
    mount -t proc proc /proc
    echo "after: / is $(roottype), statfs $(stat -f -c %t /)"
    cat /etc/hello
    echo "written at /" > /written
    echo "upper: $(cat "/oldroot$U/written")"
    [ -e "/oldroot$L/written" ] && echo "lower: written" || echo "lower: untouched"
    umount /proc
    pivot_root /oldroot "/oldroot$M" && echo "pivot_root back: ok"
    cd /
    echo "back: / is $(roottype), $M is $(stat -f -c %t "$M"), $(cat "$M/written")"
    ;;
dotdot)
    cd "$M" || exit 1
    pivot_root . . && echo "pivot_root . .: ok"
    umount -l . && echo "umount -l .: ok"
    cd /
    mount -t proc proc /proc
    echo "/ is $(roottype), statfs $(stat -f -c %t /), $(grep -c . /proc/self/mountinfo) mounts"
    cat /etc/hello
    ;;
oldroot)
    cd "$M" || exit 1
    pivot_root . oldroot && echo "pivot_root . oldroot: ok"
    cd /
    umount /oldroot
    echo "umount /oldroot: rc $?"
    umount -l /oldroot && echo "umount -l /oldroot: ok"
    mount -t proc proc /proc
    echo "/ is $(roottype), $(grep -c . /proc/self/mountinfo) mounts, /oldroot: $(ls -A /oldroot | wc -l) entries"
    cat /etc/hello
    echo new > /new && cat /new
    ;;
umountroot)
    cd "$M" || exit 1
    pivot_root . oldroot && echo "pivot_root . oldroot: ok"
    cd /
    mount -t proc proc /proc
    umount / && echo "umount /: ok"
    echo "/ is $(roottype), $(rootopt)"
    touch /x
    mount -o remount,rw / && echo "remount,rw: $(rootopt)"
    touch /x && echo "touch /x: ok"
    ;;
notmnt)
    pivot_root "$M/dir" "$M/dir/sub"
    ;;
notunder)
    mkdir -p "$T/elsewhere"
    pivot_root "$M" "$T/elsewhere"
    ;;
rootput)
    [ "$(stat -c %d /mnt)" = "$(stat -c %d /)" ] && echo "/mnt: on the root's own mount"
    pivot_root "$M" /mnt
    ;;
chroot)
    chroot "$M" /bin/sh -c 'cd / && pivot_root . oldroot'
    echo "in the chroot: rc $?"
    chroot "$M" /bin/sh -c 'pivot_root / /oldroot'
    echo "in the chroot, new_root /: rc $?"
    ;;
shared)
    cd "$M" || exit 1
    pivot_root . oldroot
    echo "shared: rc $?"
    mount --make-rprivate / && echo "mount --make-rprivate /: ok"
    pivot_root . oldroot && echo "pivot_root . oldroot: ok"
    cd /
    mount -t proc proc /proc
    echo "/ is $(roottype)"
    ;;
*)
    echo "t_pivot.sh: unknown case '$1'"
    exit 2 ;;
esac
