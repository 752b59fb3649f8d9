#!/bin/sh
# pivot_root(2) into a writable mount and back, from the running guest (issue 14, part 3:
# rovl as the root). Each case runs tests/t_pivot.sh in a mount namespace of its own
# (busybox unshare -m: private propagation), once on overlayfs and once on rovl, and the
# answers are compared as everywhere. The lower layer is a small root: busybox with its
# applet links, /etc/hello, empty /proc, /oldroot and /dir/sub.
#
# What the VFS answers (fs/namespace.c, path_pivot_root(), in the order it checks), the
# same for both filesystems: nothing in it asks the filesystem; the mount is what counts.
#   EINVAL  put_old, new_root's parent or the current root's parent is a shared mount
#           (systemd makes / rshared: mount --make-rprivate / first, or unshare -m, whose
#           default is private)
#   EBUSY   new_root or put_old is on the current root's own mount: pivot_root / or
#           pivot_root . from inside a chroot into the overlay ("Device or resource busy":
#           a chroot cannot pivot into itself; pivot from outside it), or a put_old that
#           is a directory of the current root filesystem rather than one under new_root
#   EINVAL  new_root is not a mount point (a directory inside the overlay: bind-mount it on
#           itself first), or put_old is not under new_root
# and the initramfs: the guest's root is rootfs. On this kernel rootfs is mounted on top
# of an immutable nullfs (fs/nullfs.c, init_mount_tree()), so it has a parent and
# pivot_root from the initramfs works (the first case does it). On kernels without nullfs,
# rootfs is the absolute root and pivot_root from it is EINVAL ("not attached"): such an
# initramfs must use switch_root (move the new root over / and chroot), which is what the
# guest's rovl.mode=rootfs boot does (qemu/rootfs.sh, scripts/test-rootfs.sh).
# After the pivot, umount /oldroot is EBUSY (mounts below it), umount -l detaches it and
# the new root keeps working (its layers are private clones); umount / is the VFS's
# special case for the root: it remounts the root read-only and succeeds.
. "$(dirname "$0")/lib.sh"
plan 9
setup

# the lower: a root of its own
mkdir -p "$L/bin" "$L/etc" "$L/proc" "$L/oldroot" "$L/dir/sub"
# busybox at the path its applet links name (what /proc/self/exe says: /bin/busybox here)
_bb=$(readlink -f /bin/busybox)
mkdir -p "$L${_bb%/*}" && cp "$_bb" "$L$_bb"
"$_bb" --install -s "$L/bin"
echo "from the lower" > "$L/etc/hello"
upper_mount

PIVOT=$_LIB_DIR/t_pivot.sh
export PIVOT
BB="pivot_root: (null)"   # how busybox's pivot_root reports an errno

check "pivot_root . oldroot from the initramfs root into the mount: / is the mount, a lower file at /, a write lands in the upper; pivot_root back" \
"before: / is rootfs
pivot_root . oldroot: ok
after: / is FSTYPE, statfs 794c7630
from the lower
upper: written at /
lower: untouched
pivot_root back: ok
back: / is rootfs, @M is 794c7630, written at /" \
    'unshare -m sh $PIVOT pivot'

upper_reset
check "pivot_root . . then umount -l . (the old root stacked on the new one, then detached)" \
"pivot_root . .: ok
umount -l .: ok
/ is FSTYPE, statfs 794c7630, 2 mounts
from the lower" \
    'unshare -m sh $PIVOT dotdot'

check "after pivot_root: umount /oldroot is EBUSY (mounts below it); umount -l detaches it, the new root works on" \
"pivot_root . oldroot: ok
umount: can't unmount /oldroot: Device or resource busy
umount /oldroot: rc 1
umount -l /oldroot: ok
/ is FSTYPE, 2 mounts, /oldroot: 0 entries
from the lower
new" \
    'unshare -m sh $PIVOT oldroot'

upper_reset
check "after pivot_root: umount / remounts the root read-only (the VFS's case of the root), remount,rw undoes it" \
"pivot_root . oldroot: ok
umount /: ok
/ is FSTYPE, ro
touch: /x: Read-only file system
remount,rw: rw
touch /x: ok" \
    'unshare -m sh $PIVOT umountroot'

check "new_root not a mount point (a directory in the mount): EINVAL" \
"$BB: Invalid argument
rc=1" \
    'unshare -m sh $PIVOT notmnt'

check "put_old not under new_root (a directory of another mount): EINVAL" \
"$BB: Invalid argument
rc=1" \
    'unshare -m sh $PIVOT notunder'

check "put_old on the current root's own mount: EBUSY" \
"/mnt: on the root's own mount
$BB: Device or resource busy
rc=1" \
    'unshare -m sh $PIVOT rootput'

check "from a chroot into the mount, new_root is the current root: EBUSY" \
"$BB: Device or resource busy
in the chroot: rc 1
$BB: Device or resource busy
in the chroot, new_root /: rc 1" \
    'unshare -m sh $PIVOT chroot'

check "shared mounts (unshare --propagation shared): EINVAL; after mount --make-rprivate / it works" \
"$BB: Invalid argument
shared: rc 1
mount --make-rprivate /: ok
pivot_root . oldroot: ok
/ is FSTYPE" \
    'unshare -m --propagation shared sh $PIVOT shared'

finish
