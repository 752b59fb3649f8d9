"""The new mount API, one step per argument: fsopen/fspick, fsconfig (every kind of
value, layers given as open directories too), create, fsmount + move_mount, run from
another process (a child, one without capabilities, one in another user namespace).

    hpy t_fsconfig.py FSTYPE STEP...

Prints one line per step, "STEP: OK" or "STEP: ERRNO-NAME" (EINVAL, ENOENT, ...), and
goes on after a failure, as sysops in lib.sh does, so that one run can show a refusal
and what works next. Paths are printed as given, for lib.sh to normalise. Steps (a
KEY is an option name, a PATH any path):

  fsopen | fspick PATH           a context for a new mount of FSTYPE, or for
                                 reconfiguring the mount at PATH
  flag KEY | str KEY VALUE       FSCONFIG_SET_FLAG, FSCONFIG_SET_STRING
  path KEY PATH                  FSCONFIG_SET_PATH (from the working directory)
  fd KEY PATH                    FSCONFIG_SET_FD of PATH opened O_RDONLY (a
                                 directory, or not)
  opath KEY PATH                 ... of PATH opened O_PATH|O_DIRECTORY
  fds N KEY PREFIX               "opath KEY PREFIXi" for i in 0..N-1; one line,
                                 the first failure's index if one fails
  tree KEY PATH                  ... of a detached copy of the mount tree at PATH
                                 (open_tree OPEN_TREE_CLONE), kept open
  clone PATH | in-clone KEY SUB  a detached copy of PATH, kept open; then
                                 "opath KEY" of SUB inside that copy
  create | reconfigure           FSCONFIG_CMD_CREATE, FSCONFIG_CMD_RECONFIGURE
  mount [ATTR...]                fsmount (mount attributes: nodev, noatime,
                                 nosuid, rdonly) and move_mount to $M
  log                            the context's log so far, one message a line, the
                                 "e fstype: " prefix dropped
  mknod PATH                     a character device 1:5 at PATH
  child STEP                     STEP in a forked child (which shares the context)
  nocaps STEP                    ... in a child without CAP_MKNOD and CAP_SYS_ADMIN
                                 in its effective set
  userns                         (before fsopen) start a process in a new user
                                 namespace beside ours, then move this process into a
                                 new user and mount namespace of its own (its root
                                 mapped to our user and group)
  sibling STEP                   STEP in that process (the context passed over a
                                 socket): outside our user namespace
  child-userns STEP              STEP in a child in a user namespace below ours
"""

import ctypes
import errno
import os
import socket
import sys

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long

SYS_open_tree, SYS_move_mount, SYS_fsopen, SYS_fsconfig, SYS_fsmount, SYS_fspick = \
    428, 429, 430, 431, 432, 433
SYS_capget, SYS_capset = 125, 126
SET_FLAG, SET_STRING, SET_PATH, SET_FD, CMD_CREATE, CMD_RECONFIGURE = 0, 1, 3, 5, 6, 7
AT_FDCWD = -100
OPEN_TREE_CLONE = 1
MOVE_MOUNT_F_EMPTY_PATH = 4
ATTRS = {"rdonly": 0x1, "nosuid": 0x2, "nodev": 0x4, "noatime": 0x10}
CLONE_NEWNS, CLONE_NEWUSER = 0x00020000, 0x10000000
CAP_SYS_ADMIN, CAP_MKNOD = 21, 27


def check(r):
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return r


def fsconfig(ctx, cmd, key, value, aux):
    key = key.encode() if key is not None else None
    if isinstance(value, str):
        value = value.encode()
    check(libc.syscall(SYS_fsconfig, ctx, cmd, key, value, aux))


def set_fd(ctx, key, fd):
    try:
        fsconfig(ctx, SET_FD, key, None, fd)
    finally:
        os.close(fd)


def drop_caps(*caps):
    """Lowers caps in the effective set (as the selftests' cap_down)."""
    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]
    hdr = Header(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (Data * 2)()
    check(libc.syscall(SYS_capget, ctypes.byref(hdr), data))
    for cap in caps:
        data[cap // 32].effective &= ~(1 << (cap % 32))
    check(libc.syscall(SYS_capset, ctypes.byref(hdr), data))


class Run:
    def __init__(self, fstype):
        self.fstype = fstype
        self.ctx = -1
        self.mnt = -1
        self.kept = []      # detached trees, open until the end
        self.sibling = None  # socket to the process beside us (userns)

    def step(self, words):
        """Runs one step; returns its result line (without the step)."""
        try:
            return self.run(words[0], words[1:]) or "OK"
        except OSError as e:
            return errno.errorcode.get(e.errno, str(e.errno))

    def run(self, op, a):
        ctx = self.ctx
        if op == "fsopen":
            self.ctx = check(libc.syscall(SYS_fsopen, self.fstype.encode(), 0))
        elif op == "fspick":
            self.ctx = check(libc.syscall(SYS_fspick, AT_FDCWD, a[0].encode(), 0))
        elif op == "flag":
            fsconfig(ctx, SET_FLAG, a[0], None, 0)
        elif op == "str":
            fsconfig(ctx, SET_STRING, a[0], " ".join(a[1:]), 0)
        elif op == "path":
            fsconfig(ctx, SET_PATH, a[0], a[1], AT_FDCWD)
        elif op == "fd":
            set_fd(ctx, a[0], os.open(a[1], os.O_RDONLY))
        elif op == "opath":
            set_fd(ctx, a[0], os.open(a[1], os.O_PATH | os.O_DIRECTORY))
        elif op == "fds":
            n, key, prefix = int(a[0]), a[1], a[2]
            for i in range(n):
                try:
                    set_fd(ctx, key, os.open(prefix + str(i), os.O_PATH | os.O_DIRECTORY))
                except OSError as e:
                    return "failed at %d: %s" % (i, errno.errorcode.get(e.errno, str(e.errno)))
        elif op == "tree":
            fd = check(libc.syscall(SYS_open_tree, AT_FDCWD, a[1].encode(),
                                    OPEN_TREE_CLONE | os.O_CLOEXEC))
            self.kept.append(fd)
            fsconfig(ctx, SET_FD, a[0], None, fd)
        elif op == "clone":
            self.kept.append(check(libc.syscall(SYS_open_tree, AT_FDCWD, a[0].encode(),
                                                OPEN_TREE_CLONE | os.O_CLOEXEC)))
        elif op == "in-clone":
            set_fd(ctx, a[0], os.open(a[1], os.O_PATH | os.O_DIRECTORY, dir_fd=self.kept[-1]))
        elif op == "create":
            fsconfig(ctx, CMD_CREATE, None, None, 0)
        elif op == "reconfigure":
            fsconfig(ctx, CMD_RECONFIGURE, None, None, 0)
        elif op == "mount":
            attrs = 0
            for w in a:
                attrs |= ATTRS[w]
            self.mnt = check(libc.syscall(SYS_fsmount, ctx, 0, attrs))
            check(libc.syscall(SYS_move_mount, self.mnt, b"", AT_FDCWD,
                               os.environ["M"].encode(), MOVE_MOUNT_F_EMPTY_PATH))
        elif op == "log":
            lines = []
            while True:
                try:
                    msg = os.read(ctx, 1024)
                except OSError:
                    break
                lines.append(msg.decode(errors="replace").strip().split(": ", 1)[-1])
            return "\n".join(lines) or "(empty)"
        elif op == "mknod":
            os.mknod(a[0], 0o20644, os.makedev(1, 5))
        elif op == "child":
            return self.in_child(a, lambda: None)
        elif op == "nocaps":
            return self.in_child(a, lambda: drop_caps(CAP_MKNOD, CAP_SYS_ADMIN))
        elif op == "child-userns":
            return self.in_child(a, lambda: check(libc.unshare(CLONE_NEWUSER)))
        elif op == "userns":
            self.start_sibling()
            check(libc.unshare(CLONE_NEWUSER | CLONE_NEWNS))
            # Root of the new namespace is our own user and group, so that a namespace can
            # be made below it (its owner must be mapped here).
            for name, text in (("uid_map", "0 0 1"), ("setgroups", "deny"),
                               ("gid_map", "0 0 1")):
                with open("/proc/self/" + name, "w") as f:
                    f.write(text)
        elif op == "sibling":
            socket.send_fds(self.sibling, [" ".join(a).encode()], [ctx])
            return self.sibling.recv(4096).decode()
        else:
            sys.exit("t_fsconfig: unknown step " + op)
        return None

    def in_child(self, words, prepare):
        """Runs the step `words` in a forked child after `prepare`; returns its result."""
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(r)
            try:
                prepare()
                res = self.step(words)
            except OSError as e:
                res = "setup: " + errno.errorcode.get(e.errno, str(e.errno))
            os.write(w, res.encode())
            os._exit(0)
        os.close(w)
        with os.fdopen(r, "rb") as f:
            res = f.read().decode()
        os.waitpid(pid, 0)
        return res or "child died"

    def start_sibling(self):
        """Forks a process that moves to a new user namespace (a child of ours, so a
        sibling of the one we move to next) and runs the steps it is sent, on the context
        sent with each."""
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:
            mine.close()
            try:
                check(libc.unshare(CLONE_NEWUSER))
            except OSError as e:
                theirs.send(b"setup failed")
                os._exit(1)
            while True:
                msg, fds, _, _ = socket.recv_fds(theirs, 4096, 1)
                if not msg:
                    os._exit(0)
                self.ctx = fds[0]
                theirs.send(self.step(msg.decode().split(" ")).encode())
                os.close(fds[0])
        theirs.close()
        self.sibling = mine


def main():
    run = Run(sys.argv[1])
    for arg in sys.argv[2:]:
        print("%s: %s" % (arg, run.step(arg.split(" "))), flush=True)
    if run.sibling is not None:
        run.sibling.close()
        os.wait()


main()
