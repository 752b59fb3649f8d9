# SPDX-License-Identifier: GPL-2.0
"""An idmapped mount: a detached copy of the mount tree at SRC (open_tree), idmapped
with a new user namespace's mapping (mount_setattr MOUNT_ATTR_IDMAP), attached at DST.

    hpy t_idmap.py SRC DST "NS-ID HOST-ID COUNT" ...

Each map line is given to both uid_map and gid_map of the namespace. Through the new
mount, a file whose owner on disk is NS-ID shows as HOST-ID; one whose owner is in no
line shows as the overflow id (65534), and nothing can be written with it as owner.
Prints "idmapped: OK" or the errno's name of the step that failed.
"""

import ctypes
import errno
import os
import sys

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long

SYS_open_tree, SYS_move_mount, SYS_mount_setattr = 428, 429, 442
AT_FDCWD, AT_EMPTY_PATH, AT_RECURSIVE = -100, 0x1000, 0x8000
OPEN_TREE_CLONE = 1
MOVE_MOUNT_F_EMPTY_PATH = 4
MOUNT_ATTR_IDMAP = 0x00100000
CLONE_NEWUSER = 0x10000000


class MountAttr(ctypes.Structure):
    _fields_ = [("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64),
                ("propagation", ctypes.c_uint64), ("userns_fd", ctypes.c_uint64)]


def check(what, r):
    if r < 0:
        e = ctypes.get_errno()
        print("idmapped: %s: %s" % (what, errno.errorcode.get(e, str(e))))
        sys.exit(1)
    return r


def userns_fd(lines):
    """A user namespace with `lines` as its uid and gid maps, as an open fd."""
    r, w = os.pipe()            # parent -> child: done with your namespace
    ready_r, ready_w = os.pipe()  # child -> parent: in the new namespace (or not)
    pid = os.fork()
    if pid == 0:
        os.close(w)
        os.close(ready_r)
        ok = libc.unshare(CLONE_NEWUSER) == 0
        os.write(ready_w, b"y" if ok else b"n")
        os.read(r, 1)
        os._exit(0)
    os.close(r)
    os.close(ready_w)
    try:
        if os.read(ready_r, 1) != b"y":
            raise OSError(errno.EPERM, "unshare(CLONE_NEWUSER) failed in the child")
        text = "\n".join(lines) + "\n"
        for name in ("uid_map", "gid_map"):
            with open("/proc/%d/%s" % (pid, name), "w") as f:
                f.write(text)
        return os.open("/proc/%d/ns/user" % pid, os.O_RDONLY | os.O_CLOEXEC)
    finally:
        os.close(ready_r)
        os.write(w, b"x")
        os.close(w)
        os.waitpid(pid, 0)


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    src, dst, lines = sys.argv[1], sys.argv[2], sys.argv[3:]
    try:
        ns = userns_fd(lines)
    except OSError as e:
        print("idmapped: userns: %s" % errno.errorcode.get(e.errno, str(e.errno)))
        sys.exit(1)
    tree = check("open_tree", libc.syscall(SYS_open_tree, AT_FDCWD, src.encode(),
                                           OPEN_TREE_CLONE | os.O_CLOEXEC))
    attr = MountAttr(MOUNT_ATTR_IDMAP, 0, 0, ns)
    check("mount_setattr", libc.syscall(SYS_mount_setattr, tree, b"", AT_EMPTY_PATH,
                                        ctypes.byref(attr), ctypes.sizeof(attr)))
    check("move_mount", libc.syscall(SYS_move_mount, tree, b"", AT_FDCWD, dst.encode(),
                                     MOVE_MOUNT_F_EMPTY_PATH))
    print("idmapped: OK")


if __name__ == "__main__":
    main()
