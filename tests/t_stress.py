# t_stress.py: concurrent random operations on a writable overlay/rovl mount,
# and the union model the result is checked against. Run with the host's
# python (lib.sh's hpy); used by 120-stress.sh, 130-faults.sh, 135-behind.sh.
#
#   t_stress.py populate L1 L2       build two lower layers (L1 on top): files,
#                                    dirs, hard links, symlinks, user.* xattrs,
#                                    a whiteout, an opaque directory, big files;
#                                    their raw listing goes to ../lowers.before
#   t_stress.py stress FSTYPE MNT UPPER WORK L1 L2 OUT [--workers N] [--secs S] [--seed X]
#                                    mount, run, umount, check, remount, check
#                                    (the cases of 120-stress.sh): OUT/KEY.rc
#                                    and OUT/KEY.txt for KEY = run, after,
#                                    live, again, lowers; OUT/summary.txt
#   t_stress.py selfcheck FSTYPE MNT UPPER WORK L1 L2 OUT
#                                    plant a change in UPPER, see it is caught
#                                    (OUT/selfcheck.rc, .txt)
#   t_stress.py run MNT [--workers N] [--secs S] [--seed X] [--ops K]
#                                    N processes (fork) doing random operations
#                                    for S seconds (or K ops each); prints one
#                                    JSON line of statistics; exit 1 on an
#                                    unexpected errno, 2 on a hang (a worker
#                                    still running 120 s after its deadline;
#                                    its kernel stack is printed)
#   t_stress.py behind MNT L... [--workers N] [--secs S] [--seed X]
#                                    use the mount while changing its layers
#                                    directly (135-behind.sh); exit 2 on a hang
#   t_stress.py viewcheck FSTYPE MNT UPPER WORK L...  work dir clean; mount,
#                                    view = union model, umount
#   t_stress.py walk DIR             read everything, count errors
#   t_stress.py race-rename DIR N    rename against open-for-write (see there)
#   t_stress.py tree DIR             canonical listing of a merged view
#   t_stress.py model UPPER L1 [L2..]  the listing the union rules give for
#                                    these layers (whiteouts, opaque dirs)
#   t_stress.py raw DIR              listing of a real directory, whiteouts
#                                    and trusted.overlay.* xattrs included
#   t_stress.py checkupper UPPER     every regular file in UPPER can be read
#   t_stress.py workdir W FSTYPE     what is left in W/work; overlay may keep
#                                    its shared whiteout "#N" there
#   t_stress.py diff A B             compare two listings, print differences
#
# The union rules modelled (overlayfs without redirect_dir, metacopy, index):
# a name is taken from the topmost layer that has it; a whiteout (character
# device 0/0) there hides it; a directory merges with the directories of the
# same name in the layers below it, down to the first layer where the name
# is a non-directory or a whiteout (not included), or the first opaque one
# (trusted.overlay.opaque=y, included).
import errno, hashlib, json, mmap, os, random, select, signal, stat, sys, time, traceback


def read_to_eof(fd):
    """Everything a pipe delivers until its writers close it."""
    buf = b""
    while True:
        b = os.read(fd, 1 << 16)
        if not b:
            return buf
        buf += b


def write_all(fd, data):
    while data:
        data = data[os.write(fd, data):]


def kernel_stack(pid):
    try:
        with open("/proc/%d/stack" % pid) as f:
            return f.read()
    except OSError as e:
        return str(e)


class WorkerFailed(Exception):
    """How a forked worker ended without a result. kind: "raised" (text is
    its traceback), "signal", "silent" (exited without a word) or "hung"
    (text holds its kernel stack; it was killed)."""
    def __init__(self, kind, text):
        super().__init__("%s: %s" % (kind, text))
        self.kind, self.text = kind, text


class Child:
    """fn() in a forked process. What it returns (JSON) comes back through a
    pipe; when it raises, its traceback comes back instead, so a worker's
    failure is explained in the parent's report, not lost on its stderr."""

    def __init__(self, fn):
        rfd, wfd = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(rfd)
            code = 0
            try:
                msg = {"value": fn()}
            except BaseException:
                msg, code = {"traceback": traceback.format_exc()}, 1
            try:
                write_all(wfd, json.dumps(msg).encode())
            except BaseException:
                code = 3
            os._exit(code)
        os.close(wfd)
        self.pid, self.rfd = pid, rfd

    def _hung(self):
        stack = kernel_stack(self.pid)
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        os.close(self.rfd)
        return WorkerFailed("hung", "pid %d, still running at its time limit (killed); kernel stack:\n%s"
                            % (self.pid, stack))

    def collect(self, deadline=None):
        """fn()'s value; raises WorkerFailed when there is none. deadline
        (time.monotonic()): after it the child counts as hung."""
        def left():
            return None if deadline is None else max(0.0, deadline - time.monotonic())
        buf = b""
        while True:
            if not select.select([self.rfd], [], [], left())[0]:
                raise self._hung()
            b = os.read(self.rfd, 1 << 16)
            if not b:
                break
            buf += b
        # the pipe closes early in exit; the rest of exit may still hang
        while True:
            done, st = os.waitpid(self.pid, os.WNOHANG)
            if done:
                break
            if left() == 0.0:
                raise self._hung()
            time.sleep(0.05)
        os.close(self.rfd)
        msg = {}
        try:
            msg = json.loads(buf) if buf else {}
        except ValueError:
            pass
        if "value" in msg:
            return msg["value"]
        if "traceback" in msg:
            raise WorkerFailed("raised", "pid %d raised:\n%s" % (self.pid, msg["traceback"].rstrip()))
        if os.WIFSIGNALED(st):
            raise WorkerFailed("signal", "pid %d was killed by %s" % (self.pid, signal.Signals(os.WTERMSIG(st)).name))
        raise WorkerFailed("silent", "pid %d exited with status %d and sent nothing%s" % (
            self.pid, os.WEXITSTATUS(st), (": %r" % buf[:200]) if buf else ""))


# --- listings ------------------------------------------------------------------


def _xattrs(p, raw=False):
    try:
        names = os.listxattr(p, follow_symlinks=False)
    except OSError as e:
        return ["listxattr:" + errno.errorcode.get(e.errno, str(e.errno))]
    out = []
    for n in sorted(names):
        if not (n.startswith("user.") or (raw and n.startswith("trusted.overlay."))):
            continue
        try:
            v = os.getxattr(p, n, follow_symlinks=False)
        except OSError as e:
            v = ("<%s>" % errno.errorcode.get(e.errno, e.errno)).encode()
        out.append("%s=%s" % (n, v.hex()))
    return out


def describe(p, st=None, raw=False):
    """One line for the object at real path p (no path in it)."""
    st = st or os.lstat(p)
    m = st.st_mode
    if stat.S_ISCHR(m) and st.st_rdev == 0:
        return "WHITEOUT"
    kind = {stat.S_IFDIR: "d", stat.S_IFREG: "f", stat.S_IFLNK: "l", stat.S_IFIFO: "p",
            stat.S_IFSOCK: "s", stat.S_IFCHR: "c", stat.S_IFBLK: "b"}[stat.S_IFMT(m)]
    f = [kind, "%o" % stat.S_IMODE(m), "%d:%d" % (st.st_uid, st.st_gid)]
    if kind == "f":
        h = hashlib.sha1()
        with open(p, "rb") as fh:
            while True:
                b = fh.read(1 << 20)
                if not b:
                    break
                h.update(b)
        f += [str(st.st_size), h.hexdigest()[:16]]
    elif kind == "l":
        f += ["->", os.readlink(p)]
    elif kind in "cb":
        f.append("%d,%d" % (os.major(st.st_rdev), os.minor(st.st_rdev)))
    return " ".join(f + _xattrs(p, raw))


def tree(top, raw=False):
    """The listing of a directory tree as a sorted list of 'path desc' lines."""
    out = ["/ " + describe(top, raw=raw)]
    for d, dirs, files in os.walk(top, onerror=lambda e: out.append("walk ERR %s" % e)):
        dirs.sort()
        for n in sorted(dirs + files):
            p = os.path.join(d, n)
            try:
                desc = describe(p, raw=raw)
            except OSError as e:   # listed by readdir, yet not there
                desc = "ERR " + errno.errorcode.get(e.errno, str(e.errno))
            out.append("/%s %s" % (os.path.relpath(p, top), desc))
    return sorted(out)


def _is_opaque(p):
    try:
        return os.getxattr(p, "trusted.overlay.opaque", follow_symlinks=False) == b"y"
    except OSError:
        return False


def _is_whiteout(st):
    return stat.S_ISCHR(st.st_mode) and st.st_rdev == 0


def model(layers):
    """The merged view of real directories `layers` (top first) by the union rules."""
    out = []

    def chain(first, rest):
        # the real directories making up a merged directory found at `first`
        dirs = [first]
        if _is_opaque(first):
            return dirs
        for q in rest:
            try:
                sq = os.lstat(q)
            except FileNotFoundError:
                continue
            if not stat.S_ISDIR(sq.st_mode):
                break           # a whiteout or a non-directory ends the merge
            dirs.append(q)
            if _is_opaque(q):
                break
        return dirs

    def walk(rel, dirs):
        first = {}
        for i, d in enumerate(dirs):
            for n in os.listdir(d):
                first.setdefault(n, i)
        for n in sorted(first):
            i = first[n]
            p = os.path.join(dirs[i], n)
            st = os.lstat(p)
            if _is_whiteout(st):
                continue
            r = rel + "/" + n
            out.append("%s %s" % (r, describe(p, st)))
            if stat.S_ISDIR(st.st_mode):
                walk(r, chain(p, [os.path.join(d, n) for d in dirs[i + 1:]]))

    root = chain(layers[0], layers[1:])
    out.append("/ " + describe(layers[0]))
    walk("", root)
    return sorted(out)


def diff(a, b, limit=20):
    """Lines of a not in b ('-') and of b not in a ('+'), sorted by path."""
    sa, sb = set(a), set(b)
    d = sorted([("-", l) for l in sa - sb] + [("+", l) for l in sb - sa], key=lambda x: (x[1], x[0]))
    out = ["%s %s" % x for x in d]
    if len(out) > limit:
        out = out[:limit] + ["... %d more" % (len(out) - limit)]
    return out


# --- lower layers --------------------------------------------------------------

NAMES = ["a", "b", "c", "d", "e"]
MMDIRS = 8
PARENTS = ["", "d0", "d0/s0", "d1", "d1/s1", "op", "h"]


def populate(l1, l2):
    rnd = random.Random(4242)

    def w(layer, rel, size=None, data=None):
        p = os.path.join(layer, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        if data is None:
            data = rnd.randbytes(size if size is not None else rnd.randrange(1, 6000))
        with open(p, "wb") as f:
            f.write(data)
        return p
    # bottom layer: a tree with files in every directory
    for par in PARENTS:
        os.makedirs(os.path.join(l2, par), exist_ok=True)
        for n in NAMES[:3]:
            w(l2, os.path.join(par, n))
    for i in range(MMDIRS):
        for n in NAMES[:3]:
            w(l2, "mm%d/%s" % (i, n))
    w(l2, "big1", 1 << 20)
    w(l2, "d0/big2", 300 << 10)
    os.link(os.path.join(l2, "h/a"), os.path.join(l2, "h/d"))   # a hard link pair
    os.link(os.path.join(l2, "h/a"), os.path.join(l2, "d1/e"))  # and across dirs
    os.symlink("a", os.path.join(l2, "d0/e"))
    os.symlink("../nowhere", os.path.join(l2, "d1/d"))
    os.setxattr(os.path.join(l2, "d0/a"), "user.k0", b"lower2")
    os.mkdir(os.path.join(l2, "d1/s1/deep"))
    w(l2, "d1/s1/deep/x")
    # top layer: shadows some, adds some, whites one out, an opaque directory
    for par in ["", "d0", "d1/s1"]:
        os.makedirs(os.path.join(l1, par), exist_ok=True)
        w(l1, os.path.join(par, "b"))
        w(l1, os.path.join(par, "d"))
    os.mknod(os.path.join(l1, "d0/c"), stat.S_IFCHR | 0o600, 0)   # hides d0/c
    os.mknod(os.path.join(l1, "d1/s1/deep"), stat.S_IFCHR | 0o600, 0)  # hides a dir
    os.makedirs(os.path.join(l1, "op"))
    os.setxattr(os.path.join(l1, "op"), "trusted.overlay.opaque", b"y")
    w(l1, "op/e")
    w(l1, "h/e")
    os.link(os.path.join(l1, "h/e"), os.path.join(l1, "h/b"))
    os.setxattr(os.path.join(l1, "h/e"), "user.k1", b"lower1")
    os.chmod(os.path.join(l1, "d0/d"), 0o600)


# --- the workload --------------------------------------------------------------

ALLOWED = {"ENOENT", "EEXIST", "ENOTDIR", "EISDIR", "ENOTEMPTY", "EXDEV", "EINVAL",
           "EPERM", "EMLINK", "ENODATA", "ELOOP", "SIGBUS", "SHRUNK"}

try:
    import ctypes
    _libc = ctypes.CDLL(None, use_errno=True)
    _renameat2 = _libc.renameat2
except (OSError, AttributeError, ImportError):
    _renameat2 = None
RENAME_NOREPLACE, RENAME_EXCHANGE = 1, 2


class OpError(Exception):
    def __init__(self, name):
        self.name = name


class ScriptError(Exception):
    """A bug in this script (not a filesystem's answer)."""


def renameat2(a, b, flags):
    if _renameat2 is None:
        raise OSError(errno.ENOSYS, "no renameat2")
    if _renameat2(-100, a.encode(), -100, b.encode(), flags) < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))


def in_child(fn):
    """Run fn in a forked child (mmap may SIGBUS when another worker
    truncates the file); its errno or signal is the result. It reports by
    exit status, which needs no allocation (faults may be on): only an
    unexpected exception also sends its traceback."""
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rfd)
        code = 0
        try:
            fn()
        except OSError as e:
            code = e.errno or 255
        except MemoryError:
            code = errno.ENOMEM   # the child's own allocation (under faults)
        except (ValueError, IndexError):
            code = 253   # the file shrank between fstat and mmap (another worker)
        except BaseException:
            code = 254
            try:
                write_all(wfd, traceback.format_exc().encode())
            except BaseException:
                pass
        os._exit(code)
    os.close(wfd)
    try:
        tb = read_to_eof(rfd)
    finally:
        os.close(rfd)
        _, st = os.waitpid(pid, 0)
    if os.WIFSIGNALED(st):
        raise OpError(signal.Signals(os.WTERMSIG(st)).name)
    code = os.WEXITSTATUS(st)
    if code == 253:
        raise OpError("SHRUNK")
    if code == 254:
        raise ScriptError("the mmap child raised:\n" + (tb.decode(errors="replace").rstrip() or "(no traceback)"))
    if code:
        raise OSError(code, os.strerror(code))


class Worker:
    def __init__(self, mnt, seed, idx=0):
        self.idx = idx
        self.m = mnt
        self.r = random.Random(seed)
        self.ops = 0
        self.per_op = {}
        self.errs = {}
        self.secs = {}

    def path(self):
        r = self.r
        p = r.choice(PARENTS)
        for _ in range(r.choice([1, 1, 1, 2])):
            p = os.path.join(p, r.choice(NAMES))
        return os.path.join(self.m, p)

    def data(self, n=None):
        return self.r.randbytes(n if n is not None else self.r.randrange(0, 9000))

    # the operations; each may raise OSError
    def op_create(self):
        fd = os.open(self.path(), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, self.data())
        finally:
            os.close(fd)

    def op_write(self):
        fd = os.open(self.path(), os.O_WRONLY)
        try:
            os.pwrite(fd, self.data(), self.r.randrange(0, 20000))
        finally:
            os.close(fd)

    def op_append(self):
        fd = os.open(self.path(), os.O_WRONLY | os.O_APPEND)
        try:
            os.write(fd, self.data(self.r.randrange(1, 300)))
            if self.r.random() < 0.2:
                os.fsync(fd)
        finally:
            os.close(fd)

    def op_read(self):
        with open(self.path(), "rb") as f:
            f.read()

    def _mmap(self, p, write):
        off, data = self.r.randrange(0, 4096), self.data(self.r.randrange(1, 200))

        def go():
            with open(p, "r+b" if write else "rb") as f:
                n = os.fstat(f.fileno()).st_size
                if not n:
                    return
                prot = mmap.PROT_READ | (mmap.PROT_WRITE if write else 0)
                m = mmap.mmap(f.fileno(), n, mmap.MAP_SHARED, prot)
                if write:
                    o = off % n
                    m[o:o + len(data[:n - o])] = data[:n - o]
                    m.flush()
                else:
                    hashlib.sha1(m[:]).digest()
                m.close()
        return go

    # mmap on this worker's own directory /mmN (no other worker truncates
    # there, so no SIGBUS) in this process; on any path in a forked child
    # (slow under TCG: 0.1 s a fork), where SIGBUS is an expected result
    def op_mmap_read(self):
        self._mmap(self.own(), False)()

    def op_mmap_write(self):
        self._mmap(self.own(), True)()

    def op_mmap_any(self):
        in_child(self._mmap(self.path(), self.r.random() < 0.5))

    def own(self):
        return os.path.join(self.m, "mm%d" % self.idx, self.r.choice(NAMES))

    def op_own_truncate(self):
        os.truncate(self.own(), self.r.choice([0, 10, 4096, 9000]))

    def op_own_create(self):
        with open(self.own(), "wb") as f:
            f.write(self.data())

    def op_truncate(self):
        os.truncate(self.path(), self.r.choice([0, 1, 100, 4096, 5000, 20000]))

    def op_rename(self):
        os.rename(self.path(), self.path())

    def op_rename2(self):
        renameat2(self.path(), self.path(), self.r.choice([RENAME_NOREPLACE, RENAME_EXCHANGE]))

    def op_link(self):
        os.link(self.path(), self.path())

    def op_symlink(self):
        os.symlink(self.r.choice(NAMES + ["../a", "/nowhere"]), self.path())

    def op_unlink(self):
        os.unlink(self.path())

    def op_mkdir(self):
        os.mkdir(self.path())

    def op_rmdir(self):
        p = self.path()
        try:
            os.rmdir(p)
        except OSError as e:
            if e.errno != errno.ENOTEMPTY or self.r.random() < 0.8:
                raise
            # empty it one level deep (whiteouts in a merged directory), try again
            for n in sorted(os.listdir(p)):
                try:
                    os.unlink(os.path.join(p, n))
                except IsADirectoryError:
                    try:
                        os.rmdir(os.path.join(p, n))
                    except OSError:
                        pass
                except FileNotFoundError:
                    pass
            os.rmdir(p)

    def op_readdir(self):
        d = os.path.join(self.m, self.r.choice(PARENTS))
        if self.r.random() < 0.5:
            os.listdir(d)
        else:
            with os.scandir(d) as it:
                for e in it:
                    try:
                        e.stat(follow_symlinks=False)
                    except FileNotFoundError:
                        pass

    def op_stat(self):
        os.lstat(self.path())

    def op_setxattr(self):
        os.setxattr(self.path(), "user.k%d" % self.r.randrange(3), self.data(self.r.randrange(1, 40)),
                    follow_symlinks=False)

    def op_rmxattr(self):
        os.removexattr(self.path(), "user.k%d" % self.r.randrange(3), follow_symlinks=False)

    def op_chmod(self):
        os.chmod(self.path(), self.r.choice([0o600, 0o644, 0o755, 0o400, 0o700]))

    WEIGHTS = {"create": 8, "write": 8, "append": 4, "read": 10, "mmap_read": 2, "mmap_write": 2,
               "mmap_any": 0.3, "own_truncate": 0.5, "own_create": 0.5,
               "truncate": 4, "rename": 8, "rename2": 2, "link": 4, "symlink": 2, "unlink": 7,
               "mkdir": 3, "rmdir": 5, "readdir": 8, "stat": 8, "setxattr": 4, "rmxattr": 2,
               "chmod": 4}

    def one(self):
        names = list(self.WEIGHTS)
        name = self.r.choices(names, weights=[self.WEIGHTS[n] for n in names])[0]
        self.ops += 1
        self.per_op[name] = self.per_op.get(name, 0) + 1
        t0 = time.monotonic()
        res = "OK"
        try:
            getattr(self, "op_" + name)()
        except OpError as e:
            res = e.name
        except OSError as e:
            res = errno.errorcode.get(e.errno, str(e.errno))
        self.secs[name] = self.secs.get(name, 0) + time.monotonic() - t0
        if res != "OK":
            self.errs[res] = self.errs.get(res, 0) + 1
        return name, res


def run(mnt, workers, secs, seed, ops):
    t0 = time.monotonic()
    deadline = t0 + secs

    def work(i):
        w = Worker(mnt, seed * 1000 + i, i)
        if i >= MMDIRS:   # the lower layer has mm0..mm7; more workers get new ones
            try:
                os.mkdir(os.path.join(mnt, "mm%d" % i))
            except OSError:
                pass
        bad = []
        while (ops and w.ops < ops) or (not ops and time.monotonic() < deadline):
            name, res = w.one()
            if res != "OK" and res not in ALLOWED and len(bad) < 10:
                bad.append("%s %s" % (name, res))
        return {"ops": w.ops, "per_op": w.per_op, "errs": w.errs, "secs": w.secs, "bad": bad}
    kids = [Child(lambda i=i: work(i)) for i in range(workers)]
    stats = {"workers": workers, "ops": 0, "errs": {}, "per_op": {}, "op_secs": {}, "bad": [],
             "hung": []}
    limit = (deadline if not ops else t0 + 600) + 120
    for kid in kids:
        try:
            r = kid.collect(limit)
        except WorkerFailed as e:
            if e.kind == "hung":
                stats["hung"].append({"pid": kid.pid, "stack": e.text})
            else:
                stats["bad"].append("worker %s" % e.text)
            continue
        stats["ops"] += r["ops"]
        stats["bad"] += r["bad"]
        for k, sk in (("errs", "errs"), ("per_op", "per_op"), ("secs", "op_secs")):
            for n, c in r[k].items():
                stats[sk][n] = stats[sk].get(n, 0) + c
    stats["secs"] = round(time.monotonic() - t0, 1)
    return stats


def run_code(stats):
    return 2 if stats["hung"] else 1 if stats["bad"] else 0


def summary(st):
    secs = st["secs"] or 1
    lines = ["%d ops by %d workers in %.1f s, %d ops/s; errnos: %s" % (
        st["ops"], st["workers"], secs, st["ops"] / secs,
        " ".join("%s=%d" % kv for kv in sorted(st["errs"].items())) or "none")]
    slow = sorted(((v / st["per_op"][k], k) for k, v in st["op_secs"].items() if st["per_op"].get(k)),
                  reverse=True)[:6]
    lines.append("ms per op, slowest: " + " ".join("%s=%.1f" % (k, 1000 * v) for v, k in slow))
    lines += ["unexpected: " + b for b in st["bad"]]
    lines += ["hung worker " + h["stack"] for h in st["hung"]]
    return lines


# --- checks after the fact -----------------------------------------------------

def checkupper(u):
    out = []
    bad = []
    n = 0
    for d, dirs, files in os.walk(u):
        for f in files:
            p = os.path.join(d, f)
            st = os.lstat(p)
            if stat.S_ISREG(st.st_mode):
                n += 1
                try:
                    with open(p, "rb") as fh:
                        got = len(fh.read())
                    if got != st.st_size:
                        bad.append("%s: read %d of %d bytes" % (p, got, st.st_size))
                except OSError as e:
                    bad.append("%s: %s" % (p, e))
    out = bad + ["%d regular files in upper, %d unreadable" % (n, len(bad))]
    return (1 if bad else 0), out


def workdir(w, fstype):
    work = os.path.join(w, "work")
    left = []
    for n in sorted(os.listdir(work)):
        p = os.path.join(work, n)
        st = os.lstat(p)
        if fstype == "overlay" and n.startswith("#") and _is_whiteout(st):
            continue   # overlayfs's shared whiteout, linked to for new whiteouts
        left.append("%s %s" % (n, describe(p, st, raw=True)))
    return (1 if left else 0), ["left in work: " + l for l in left]


def sh(*cmd):
    import subprocess
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    return r.returncode, r.stdout.decode(errors="replace").strip()


def rw_mount(fs, mnt, upper, work, lowers):
    return sh("mount", "-t", fs, "-o", "lowerdir=%s,upperdir=%s,workdir=%s" % (":".join(lowers), upper, work),
              "none", mnt)


class Results:
    """Case results for the shell: OUT/KEY.rc (0 pass) and OUT/KEY.txt (detail)."""
    def __init__(self, out):
        self.out = out
        os.makedirs(out, exist_ok=True)

    def put(self, key, rc, lines):
        with open(os.path.join(self.out, key + ".txt"), "w") as f:
            f.write("\n".join(lines) + "\n" if lines else "")
        with open(os.path.join(self.out, key + ".rc"), "w") as f:
            f.write("%d\n" % rc)


def save(path, lines):
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def load(path):
    return open(path).read().splitlines()


def stress(fs, mnt, upper, work, lowers, out, workers, secs, seed):
    """The whole sequence of 120-stress.sh for one filesystem; results in out."""
    res = Results(out)
    os.chdir("/")
    import shutil
    for d in (upper, work):
        shutil.rmtree(d, ignore_errors=True)
    for d in (mnt, upper, work):
        os.makedirs(d, exist_ok=True)
    rc, msg = rw_mount(fs, mnt, upper, work, lowers)
    if rc:
        for k in ("run", "after", "live", "again", "lowers"):
            res.put(k, 1, ["mount failed: " + msg])
        return
    t0 = time.monotonic()
    st = run(mnt, workers, secs, seed, 0)
    t1 = time.monotonic()
    with open(os.path.join(out, "stats.json"), "w") as f:
        json.dump(st, f, sort_keys=True)
    res.put("summary", 0, summary(st))
    res.put("run", run_code(st), summary(st))
    live = tree(mnt)
    rc, msg = sh("umount", mnt)
    rc1, wk = workdir(work, fs)
    rc2, up = checkupper(upper)
    res.put("after", rc + rc1 + rc2, ["umount: rc=%d %s" % (rc, msg)] + wk + up)
    m = model([upper] + lowers)
    save(os.path.join(out, "model"), m)
    d = diff(m, live)
    res.put("live", 1 if d else 0, ["(- model, + merged view)"] + d)
    rc, msg = rw_mount(fs, mnt, upper, work, lowers)
    if rc:
        res.put("again", 1, ["remount failed: " + msg])
    else:
        again = tree(mnt)
        rc, msg = sh("umount", mnt)
        d = diff(m, again)
        res.put("again", 1 if d or rc else 0, ["(- model, + merged view)"] + d + ([msg] if rc else []))
    before = load(os.path.join(os.path.dirname(lowers[0]), "lowers.before"))
    d = diff(before, lowers_raw(lowers))
    res.put("lowers", 1 if d else 0, d)
    res.put("summary", 0, summary(st) + ["%d entries in the merged view; checks took %.1f s" %
                                         (len(m), time.monotonic() - t1)])


def lowers_raw(lowers):
    return ["%s%s" % (l, line) for l in lowers for line in tree(l, raw=True)]


def selfcheck(fs, mnt, upper, work, lowers, out):
    """Plant a change in the upper layer behind the filesystem's back (one
    file's data, a new file, one whiteout less if there is one): the model
    made before must differ from the merged view at those paths, the model
    made after must equal it."""
    res = Results(out)
    try:
        old = load(os.path.join(out, "model"))
    except OSError as e:
        res.put("selfcheck", 1, ["no model from the stress run: %s" % e])
        return
    planted = []
    for d, dirs, files in os.walk(upper):
        for f in sorted(files):
            p = os.path.join(d, f)
            st = os.lstat(p)
            if stat.S_ISREG(st.st_mode) and "/" + os.path.relpath(p, upper) + " f" in "\n".join(old):
                with open(p, "ab") as fh:
                    fh.write(b"planted")
                planted.append(p)
                break
        if planted:
            break
    with open(os.path.join(upper, "planted-by-selfcheck"), "w") as fh:
        fh.write("planted")
    planted.append(os.path.join(upper, "planted-by-selfcheck"))
    gone = None
    for d, dirs, files in os.walk(upper):
        for f in files:
            p = os.path.join(d, f)
            if _is_whiteout(os.lstat(p)):
                gone = p
                break
        if gone:
            break
    if gone:
        os.unlink(gone)
    rc, msg = rw_mount(fs, mnt, upper, work, lowers)
    if rc:
        res.put("selfcheck", 1, ["mount failed: " + msg])
        return
    view = tree(mnt)
    sh("umount", mnt)
    new = model([upper] + lowers)
    d_old, d_new = diff(old, view, 1000), diff(new, view)
    rc = 0
    lines = ["planted: " + " ".join("/" + os.path.relpath(p, upper) for p in planted) +
             (" (whiteout removed: /%s)" % os.path.relpath(gone, upper) if gone else "")]
    for p in planted + ([gone] if gone else []):
        r = "/" + os.path.relpath(p, upper) + " "
        if not any(l[2:].startswith(r) for l in d_old):
            rc = 1
            lines.append("not seen: " + r)
    if d_new:
        rc = 1
        lines += ["the new model differs from the view:"] + d_new
    res.put("selfcheck", rc, lines)


class BehindWorker(Worker):
    """t_stress's workload on a real layer directory behind a mount's back,
    plus overlay metadata games: whiteouts, opaque marks, directories renamed
    or replaced by files."""
    WEIGHTS = dict(Worker.WEIGHTS, mmap_any=0, whiteout=3, opaque=3, rename_top=2, dir_to_file=1)

    def op_whiteout(self):
        os.mknod(self.path(), stat.S_IFCHR | 0o600, 0)

    def op_opaque(self):
        p = os.path.join(self.m, self.r.choice(PARENTS))
        if self.r.random() < 0.5:
            os.setxattr(p, "trusted.overlay.opaque", b"y")
        else:
            os.removexattr(p, "trusted.overlay.opaque")

    def op_rename_top(self):
        a = os.path.join(self.m, self.r.choice(PARENTS[1:]))
        os.rename(a, a + ".moved")
        time.sleep(0.01)
        os.rename(a + ".moved", a)

    def op_dir_to_file(self):
        p = self.path()
        import shutil
        shutil.rmtree(p)
        with open(p, "w") as f:
            f.write("was a directory")


def behind(mnt, layers, workers, secs, seed):
    """workers processes use the mount while one process per layer changes
    that layer directly; this process holds files open (read, write), its
    cwd inside, and uses them at the end. Prints figures; exit 2 on a hang."""
    t0 = time.monotonic()
    deadline = t0 + secs
    held = []
    for rel, flags in (("d0/a", os.O_RDONLY), ("d1/b", os.O_RDWR), ("big1", os.O_RDONLY), ("h/a", os.O_RDWR)):
        try:
            held.append(os.open(os.path.join(mnt, rel), flags))
        except OSError:
            pass
    os.chdir(os.path.join(mnt, "d1/s1"))

    def work(i):
        if i < workers:
            w = Worker(mnt, seed * 1000 + i, i)
        else:
            w = BehindWorker(layers[i - workers], seed * 1000 + i, i)
        tracebacks = {}
        while time.monotonic() < deadline:
            try:
                w.one()
            except BaseException as e:   # not an OSError: a bug in this script
                k = "PY " + type(e).__name__
                w.errs[k] = w.errs.get(k, 0) + 1
                tracebacks.setdefault(k, traceback.format_exc())
        return {"ops": w.ops, "errs": w.errs, "behind": i >= workers, "tracebacks": tracebacks}
    kids = [Child(lambda i=i: work(i)) for i in range(workers + len(layers))]
    stats = {"mount_ops": 0, "behind_ops": 0, "mount_errs": {}, "behind_errs": {}, "hung": [], "held": {},
             "failed": [], "tracebacks": {}}
    limit = deadline + 180
    for kid in kids:
        try:
            r = kid.collect(limit)
        except WorkerFailed as e:
            stats["hung" if e.kind == "hung" else "failed"].append(e.text)
            continue
        k = "behind" if r["behind"] else "mount"
        stats[k + "_ops"] += r["ops"]
        for n, c in r["errs"].items():
            stats[k + "_errs"][n] = stats[k + "_errs"].get(n, 0) + c
        for n, t in r["tracebacks"].items():
            stats["tracebacks"].setdefault(n, t)
    # use what this process held through all that
    def note(what, fn):
        try:
            fn()
            stats["held"][what] = "ok"
        except OSError as e:
            stats["held"][what] = errno.errorcode.get(e.errno, str(e.errno))
    for fd in held:
        note("fstat", lambda: os.fstat(fd))
        note("pread", lambda: os.pread(fd, 4096, 0))
        note("pwrite", lambda: os.pwrite(fd, b"late", 0))
        os.close(fd)
    note("readdir cwd", lambda: os.listdir("."))
    note("create in cwd", lambda: open("late-file", "w").close())
    note("rename in cwd", lambda: os.rename("late-file", "late-file2"))
    note("stat ..", lambda: os.stat(".."))
    os.chdir("/")
    stats["secs"] = round(time.monotonic() - t0, 1)
    return stats


def race_rename(d, n):
    """In directory d of a mount, with d/x a lower file: a renamer moves x to
    y and back n times while two writers append numbered lines to x and to y
    (open without O_CREAT, errors tolerated). Afterwards exactly one of x, y
    exists and holds the original line plus every successful append, whole
    and in each writer's order. Then `replace`: a writer keeps d/r open and
    writes while another process renames new files over d/r n times: the
    writes all succeed (into the unlinked file), d/r is one complete file."""
    x, y = os.path.join(d, "x"), os.path.join(d, "y")
    first = open(x, "rb").read()

    def writer(tag):
        ok = []
        for i in range(n):
            try:
                fd = os.open(os.path.join(d, tag), os.O_WRONLY | os.O_APPEND)
            except FileNotFoundError:
                continue
            line = b"%s%d\n" % (tag.encode(), i)
            try:
                if os.write(fd, line) == len(line):
                    ok.append(line)
            except OSError as e:
                ok.append(b"ERR %d\n" % e.errno)
            finally:
                os.close(fd)
        return ok

    def renamer():
        errs = 0
        for i in range(n):
            for a, b in ((x, y), (y, x)):
                try:
                    os.rename(a, b)
                except FileNotFoundError:
                    errs += 1
        return errs

    def forked(fn):
        def run():   # lines go through JSON as text
            res = fn()
            return [l.decode() for l in res] if isinstance(res, list) else res
        return Child(run)

    def collect(kid):
        try:
            return kid.collect(time.monotonic() + 600), None
        except WorkerFailed as e:
            return None, e.text
    kids = [forked(renamer), forked(lambda: writer("x")), forked(lambda: writer("y"))]
    (_, f1), (wx, f2), (wy, f3) = [collect(k) for k in kids]
    out = []
    names = [p for p in (x, y) if os.path.exists(p)]
    failed = [f for f in (f1, f2, f3) if f]
    if failed:
        out += ["pingpong: a worker failed: " + f for f in failed]
    elif len(names) != 1:
        out.append("pingpong: %d of x, y exist" % len(names))
    else:
        got = open(names[0], "rb").read()
        lines = got[len(first):].decode(errors="replace").splitlines(True)
        problems = []
        if not got.startswith(first):
            problems.append("the original data is gone")
        if any(l.startswith("ERR") for l in wx + wy):
            problems.append("a write failed: %s" % [l for l in wx + wy if l.startswith("ERR")][:3])
        if sorted(lines) != sorted(wx + wy):
            problems.append("lines differ from the successful writes (%d lines, %d writes)" %
                            (len(lines), len(wx + wy)))
        for tag, mine in (("x", wx), ("y", wy)):
            if [l for l in lines if l.startswith(tag)] != mine:
                problems.append("%s's lines out of order" % tag)
        out.append("pingpong: " + ("; ".join(problems) if problems else "one name, every write once"))
        diag = "pingpong: %d+%d appends succeeded" % (len(wx), len(wy))
        sys.stderr.write(diag + "\n")

    # replace over an open file
    r = os.path.join(d, "r")
    fd = os.open(r, os.O_WRONLY | os.O_APPEND)

    def replacer():
        bad = 0
        for i in range(n):
            t = os.path.join(d, "t")
            with open(t, "wb") as f:
                f.write(b"version %d\n" % i * 50)
            os.rename(t, r)
        return bad
    kid = forked(replacer)
    wbad = 0
    for i in range(n):
        try:
            os.write(fd, b"into the old file\n")
        except OSError:
            wbad += 1
    _, failed = collect(kid)
    if failed:
        out.append("replace: the replacer failed: " + failed)
    os.close(fd)
    got = open(r, "rb").read()
    good = got == b"version %d\n" % (n - 1) * 50
    out.append("replace: " + ("ok" if good and not wbad else "%d writes failed, final r %r" % (wbad, got[:40])))
    print("\n".join(out))
    return 0


def main(argv):
    cmd = argv[1]
    opts = {"--workers": 4, "--secs": 20, "--seed": 1, "--ops": 0}
    while len(argv) > 3 and argv[-2] in opts:
        opts[argv[-2]] = int(argv[-1])
        argv = argv[:-2]
    if cmd == "populate":
        populate(argv[2], argv[3])
        save(os.path.join(os.path.dirname(argv[2]), "lowers.before"), lowers_raw(argv[2:4]))
        return 0
    if cmd == "run":
        st = run(argv[2], opts["--workers"], opts["--secs"], opts["--seed"], opts["--ops"])
        print(json.dumps(st, sort_keys=True))
        return run_code(st)
    if cmd == "stress":
        stress(argv[2], argv[3], argv[4], argv[5], argv[6:8], argv[8],
               opts["--workers"], opts["--secs"], opts["--seed"])
        return 0
    if cmd == "behind":
        st = behind(argv[2], argv[3:], opts["--workers"], opts["--secs"], opts["--seed"])
        fmt = lambda e: " ".join("%s=%d" % kv for kv in sorted(e.items())) or "none"
        print("%d ops through the mount, %d behind it, in %.1f s" % (st["mount_ops"], st["behind_ops"], st["secs"]))
        print("errnos through the mount: " + fmt(st["mount_errs"]))
        print("errnos behind it: " + fmt(st["behind_errs"]))
        print("held files and cwd afterwards: " + " ".join("%s=%s" % kv for kv in sorted(st["held"].items())))
        for n, t in sorted(st["tracebacks"].items()):
            print("first %s, in a worker:\n%s" % (n, t.rstrip()))
        for h in st["hung"]:
            print("HUNG " + h)
        for f in st["failed"]:
            print("WORKER FAILED " + f)
        return 2 if st["hung"] else 1 if st["failed"] else 0
    if cmd == "walk":
        # walk a view, tolerating any error; print how much was seen
        n = errs = 0
        for d, dirs, files in os.walk(argv[2], onerror=lambda e: None):
            for f in dirs + files:
                n += 1
                p = os.path.join(d, f)
                try:
                    st = os.lstat(p)
                    if stat.S_ISREG(st.st_mode):
                        with open(p, "rb") as fh:
                            fh.read()
                except OSError:
                    errs += 1
        print("%d entries walked, %d errors" % (n, errs))
        return 0
    if cmd == "viewcheck":
        # FSTYPE MNT UPPER WORK L...: (unmounted) work dir clean; mount, the
        # view equals the union model; umount
        fs, mnt, upper, work, lowers = argv[2], argv[3], argv[4], argv[5], argv[6:]
        rc, lines = workdir(work, fs)
        print("work: clean" if not rc else "\n".join(lines))
        r, msg = rw_mount(fs, mnt, upper, work, lowers)
        if r:
            print("mount: " + msg)
            return 1
        view = tree(mnt)
        os.chdir("/")
        r, msg = sh("umount", mnt)
        d = diff(model([upper] + lowers), view)
        print("\n".join(d) if d else "view: equals the model")
        return 1 if rc or d or r else 0
    if cmd == "race-rename":
        return race_rename(argv[2], int(argv[3]))
    if cmd == "selfcheck":
        selfcheck(argv[2], argv[3], argv[4], argv[5], argv[6:8], argv[8])
        return 0
    if cmd in ("tree", "raw"):
        print("\n".join(tree(argv[2], raw=cmd == "raw")))
        return 0
    if cmd == "model":
        print("\n".join(model(argv[2:])))
        return 0
    if cmd in ("checkupper", "workdir"):
        rc, lines = checkupper(argv[2]) if cmd == "checkupper" else workdir(argv[2], argv[3])
        if lines:
            print("\n".join(lines))
        return rc
    if cmd == "diff":
        a = open(argv[2]).read().splitlines()
        b = open(argv[3]).read().splitlines()
        d = diff(a, b)
        if d:
            print("\n".join(d))
        return 1 if d else 0
    sys.exit("usage: see the header of t_stress.py")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
