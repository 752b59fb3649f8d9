# t_randops.py: a seeded, sequence-level differential test of writable mounts.
#
#   hpy t_randops.py FSTYPE_A FSTYPE_B LEN SEED...  compare A with B, per seed
#   hpy t_randops.py --selfcheck FSTYPE LEN SEED    the comparison can fail
#
# Builds two lower layers (files, dirs, symlinks, hard links in both layers, a
# whiteout, an opaque directory, a whiteout in a merged directory), generates
# LEN random operations from SEED over paths that start in different layers,
# and applies the same list to a mount of FSTYPE_A and one of FSTYPE_B (each
# with its own upper and work directory, both on the same lowers). Compared,
# in this order: the result of every step (OK, the errno, or what was read),
# the merged view afterwards (path, type, mode, owner, size, md5, link target,
# nlink of non-directories, user.* xattrs) and the upper layers (the form of
# lib.sh's upper_tree; both from t_tree.py). The lower layers must be untouched.
#
# On a divergence it prints the seed, the shortest failing prefix (prefixes
# re-run on fresh mounts, binary search) and the first diverging step or line,
# and exits 1. --selfcheck perturbs the data of one successful write in B's
# list and must see the divergence, found at exactly that op.
#
# Needs root (mount(2)), and T (a scratch directory) in the environment.
# RANDOPS_STATS=FILE: write a line of statistics there.
import ctypes, errno, hashlib, os, random, shutil, stat, sys

from t_tree import tree   # the merged view (merged=True) and upper_tree's form

libc = ctypes.CDLL(None, use_errno=True)
T = os.environ["T"]
BASE = os.path.join(T, "randops")

# --- the lower layers -----------------------------------------------------------
def w(path, data, mode=0o644, owner=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)
    if owner:
        os.chown(path, *owner)

def build_lowers(top, bottom):
    for d in (top, bottom):
        os.makedirs(d)
    # the bottom layer
    w(bottom + "/a/f1", b"bottom a/f1\n")
    w(bottom + "/a/f2", b"bottom a/f2\n" * 50, 0o600)
    w(bottom + "/a/sub/g", b"bottom a/sub/g\n", 0o755, (5, 6))
    w(bottom + "/b/bb", b"bottom b/bb\n")
    w(bottom + "/b/keep", b"bottom b/keep\n")
    w(bottom + "/x", b"bottom x\n" * 300)
    w(bottom + "/y", b"bottom y, whited out\n")
    w(bottom + "/hl1", b"bottom hard link\n")
    os.link(bottom + "/hl1", bottom + "/hl2")
    os.symlink("x", bottom + "/s")
    w(bottom + "/o/old", b"bottom o/old, under an opaque dir\n")
    w(bottom + "/d/deep/e", b"bottom d/deep/e\n")
    os.makedirs(bottom + "/n0/empty")
    os.setxattr(bottom + "/a/f1", "user.from", b"bottom (hidden by the top's a/f1)")
    os.setxattr(bottom + "/x", "user.from", b"bottom")
    os.chmod(bottom + "/d", 0o750)
    os.chown(bottom + "/d/deep", 7, 8)
    # the top layer
    w(top + "/a/f1", b"top a/f1 shadows the bottom's\n")
    w(top + "/a/f3", b"top a/f3\n")
    w(top + "/c/cf", b"top c/cf\n")
    w(top + "/z", b"top z\n", 0o640)
    w(top + "/k1", b"top hard link\n")
    os.link(top + "/k1", top + "/c/k2")
    os.symlink("a", top + "/t")
    os.mknod(top + "/y", stat.S_IFCHR | 0o000, 0)          # whiteout of the bottom's y
    os.makedirs(top + "/b")
    os.mknod(top + "/b/bb", stat.S_IFCHR | 0o000, 0)       # whiteout in a merged dir
    w(top + "/o/new", b"top o/new\n")
    os.setxattr(top + "/o", "trusted.overlay.opaque", b"y")   # opaque dir
    os.setxattr(top + "/z", "user.colour", b"blue")
    os.setxattr(top + "/a/f3", "user.from", b"top")

def digest(tree):
    h = hashlib.md5()
    for d, dirs, files in sorted(os.walk(tree)):
        dirs.sort()
        for n in sorted(dirs + files):
            p = os.path.join(d, n)
            st = os.lstat(p)
            h.update(("%s %o %d %d %d %d %d\n" % (os.path.relpath(p, tree), st.st_mode, st.st_uid,
                      st.st_gid, st.st_size, st.st_mtime_ns, st.st_rdev)).encode())
            for x in sorted(os.listxattr(p, follow_symlinks=False)):
                h.update(x.encode() + os.getxattr(p, x, follow_symlinks=False))
            if stat.S_ISREG(st.st_mode):
                with open(p, "rb") as f:
                    h.update(f.read())
    return h.hexdigest()

# --- operations ---------------------------------------------------------------
DIRS = ["", "a", "a/sub", "b", "c", "o", "d", "d/deep", "n0", "n0/empty", "n", "n/m", "t"]
NAMES = ["f1", "f2", "f3", "g", "bb", "keep", "x", "y", "z", "hl1", "hl2", "k1", "k2",
         "s", "t", "e", "new", "old", "cf", "sub", "m", "q"]
WEIGHTS = [("write", 14), ("append", 7), ("create", 8), ("truncate", 6), ("chmod", 4),
           ("chown", 3), ("link", 5), ("symlink", 4), ("rename", 10), ("unlink", 8),
           ("rmdir", 5), ("mkdir", 7), ("mkfifo", 1), ("setxattr", 4), ("removexattr", 2),
           ("read", 6), ("stat", 4), ("readdir", 4)]
KINDS = [k for k, n in WEIGHTS for _ in range(n)]

def scan(mnt):
    """The files and directories in the merged view (symlinks count as files)."""
    files, dirs = [], [""]
    for d, ds, fs in os.walk(mnt):
        rel = os.path.relpath(d, mnt)
        rel = "" if rel == "." else rel + "/"
        for x in ds:
            (files if os.path.islink(os.path.join(d, x)) else dirs).append(rel + x)
        files += [rel + x for x in fs]
    return sorted(files), sorted(dirs)

class Gen:
    """Makes the ops while they run on the first mount, looking at what is
    there (rescanned every few ops and after renames, kept up to date for
    the others), so that most ops act on something that exists; a quarter of
    the names are made up (an ENOENT, or a new name for ops that create).
    The list it makes is then replayed on the other mount."""
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.xat = ["z", "x", "a/f3"]

    def fresh(self):
        d = self.rng.choice(self.dirs + ["n", "n/m", "nope"])
        return (d + "/" if d else "") + self.rng.choice(NAMES)
    def path(self):
        return self.rng.choice(self.files) if self.files and self.rng.random() < 0.75 else self.fresh()
    def newname(self):
        return self.fresh() if self.rng.random() < 0.8 else self.path()
    def dpath(self):
        return self.rng.choice(self.dirs[1:]) if len(self.dirs) > 1 and self.rng.random() < 0.75 else self.fresh()
    def data(self):
        return "".join(self.rng.choice("abcdefgh \n") for _ in range(self.rng.choice([1, 7, 100, 700])))

    def op(self):
        rng = self.rng
        k = rng.choice(KINDS)
        if k == "write":
            return (k, self.path(), rng.choice([0, 0, 3, 100, 4096, 10000]), self.data())
        if k == "append":
            return (k, self.path(), self.data())
        if k == "create":
            return (k, self.newname(), rng.choice([0o644, 0o600, 0o755]))
        if k == "truncate":
            return (k, self.path(), rng.choice([0, 1, 10, 5000, 70000]))
        if k == "chmod":
            return (k, rng.choice([self.path(), self.path(), self.dpath()]), rng.choice([0o644, 0o600, 0o755, 0o700, 0o4755]))
        if k == "chown":
            return (k, rng.choice([self.path(), self.path(), self.dpath()]), rng.choice([0, 5, 1000]), rng.choice([0, 6, 1000]))
        if k == "link":
            return (k, self.path(), self.newname())
        if k == "symlink":
            return (k, rng.choice(["x", "f1", "sub", "nowhere", "g", "a/f3"]), self.newname())
        if k == "rename":
            flags = rng.choice([0, 0, 0, 0, 1, 2])   # RENAME_NOREPLACE, RENAME_EXCHANGE
            if rng.random() < 0.7:
                return (k, self.path(), self.newname() if flags != 2 else self.path(), flags)
            return (k, self.dpath(), self.fresh() if rng.random() < 0.8 else self.dpath(), flags)
        if k in ("unlink", "mkfifo"):
            return (k, self.path() if k == "unlink" else self.newname())
        if k in ("read", "stat"):
            return (k, rng.choice([self.path(), self.path(), self.dpath()]))
        if k in ("rmdir", "readdir"):
            return (k, self.dpath())
        if k == "mkdir":
            return (k, self.fresh())
        if k == "setxattr":
            op = (k, rng.choice([self.path(), self.dpath()]), rng.choice(["user.a", "user.b", "user.from"]), self.data()[:20])
            self.xat.append(op[1])
            return op
        if k == "removexattr":
            return (k, rng.choice(self.xat), rng.choice(["user.a", "user.b", "user.from", "user.colour"]))

    def __call__(self, mnt, n):
        ops, steps = [], []
        for i in range(n):
            if i % 8 == 0:
                self.files, self.dirs = scan(mnt)
            op = self.op()
            res = apply(op, mnt)
            ops.append(op)
            steps.append(res)
            if res != "OK":
                continue
            k = op[0]
            if k in ("create", "link", "symlink", "mkfifo"):
                name = op[1] if k in ("create", "mkfifo") else op[2]
                if name not in self.files:
                    self.files.append(name)
            elif k == "mkdir":
                self.dirs.append(op[1])
            elif k == "unlink" and op[1] in self.files:
                self.files.remove(op[1])
            elif k in ("rmdir", "rename"):
                self.files, self.dirs = scan(mnt)
        return ops, steps

def show(op):
    a = [op[0]] + [("%o" % x if op[0] in ("create", "chmod") and i == 2 else
                    repr(x) if isinstance(x, str) and (len(x) > 24 or "\n" in x or " " in x) and i > 1 else str(x))
                   for i, x in enumerate(op) if i > 0]
    if op[0] == "write" or op[0] == "append" or op[0] == "setxattr":
        d = op[-1]
        a[-1] = "%d bytes %s" % (len(d), hashlib.md5(d.encode()).hexdigest()[:6])
    return " ".join(a)

NB = os.O_NONBLOCK   # a fifo must not block an open (ENXIO for a writer instead)

def apply(op, root):
    k = op[0]
    P = lambda p: os.path.join(root, p)
    try:
        if k == "write":
            fd = os.open(P(op[1]), os.O_WRONLY | NB)
            try:
                os.pwrite(fd, op[3].encode(), op[2])
            finally:
                os.close(fd)
        elif k == "append":
            fd = os.open(P(op[1]), os.O_WRONLY | os.O_APPEND | NB)
            try:
                os.write(fd, op[2].encode())
            finally:
                os.close(fd)
        elif k == "create":
            os.close(os.open(P(op[1]), os.O_WRONLY | os.O_CREAT | NB, op[2]))
        elif k == "truncate":
            os.truncate(P(op[1]), op[2])
        elif k == "chmod":
            os.chmod(P(op[1]), op[2])
        elif k == "chown":
            os.chown(P(op[1]), op[2], op[3])
        elif k == "link":
            os.link(P(op[1]), P(op[2]))
        elif k == "symlink":
            os.symlink(op[1], P(op[2]))
        elif k == "rename":
            if op[3] == 0:
                os.rename(P(op[1]), P(op[2]))
            elif libc.syscall(316, -100, P(op[1]).encode(), -100, P(op[2]).encode(), op[3]) < 0:
                e = ctypes.get_errno()
                raise OSError(e, os.strerror(e))
        elif k == "unlink":
            os.unlink(P(op[1]))
        elif k == "rmdir":
            os.rmdir(P(op[1]))
        elif k == "mkdir":
            os.mkdir(P(op[1]))
        elif k == "mkfifo":
            os.mkfifo(P(op[1]))
        elif k == "setxattr":
            os.setxattr(P(op[1]), op[2], op[3].encode())
        elif k == "removexattr":
            os.removexattr(P(op[1]), op[2])
        elif k == "read":
            fd = os.open(P(op[1]), os.O_RDONLY | NB)
            try:
                b = b"".join(iter(lambda: os.read(fd, 1 << 20), b""))
            finally:
                os.close(fd)
            return "read %d %s" % (len(b), hashlib.md5(b).hexdigest()[:8])
        elif k == "stat":
            st = os.lstat(P(op[1]))
            return "stat %o %d:%d %s" % (st.st_mode, st.st_uid, st.st_gid,
                                         "-" if stat.S_ISDIR(st.st_mode) else "%d %d" % (st.st_size, st.st_nlink))
        elif k == "readdir":
            return "readdir " + " ".join(sorted(os.listdir(P(op[1]))))
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
    return "OK"

# --- one run --------------------------------------------------------------------
runs = [0]

def run(fstype, ops=None, gen=None):
    """Apply ops (or the ops gen makes as it goes, gen=(Gen, n)) to a fresh
    mount of fstype: (ops, step results, merged view, upper tree)."""
    runs[0] += 1
    d = os.path.join(BASE, "run-%d-%s" % (runs[0], fstype))
    up, wk, mnt = d + "/upper", d + "/work", d + "/mnt"
    for x in (up, wk, mnt):
        os.makedirs(x)
    opts = "lowerdir=%s/l1:%s/l2,upperdir=%s,workdir=%s" % (BASE, BASE, up, wk)
    if libc.mount(b"none", mnt.encode(), fstype.encode(), 0, opts.encode()) < 0:
        e = ctypes.get_errno()
        print("%s: mount failed: %s (%s)" % (fstype, errno.errorcode.get(e, e), os.strerror(e)))
        sys.exit(1)
    try:
        if gen:
            ops, steps = gen[0](mnt, gen[1])
        else:
            steps = [apply(op, mnt) for op in ops]
        view = tree(mnt, True)
    finally:
        if libc.umount2(mnt.encode(), 0) < 0:
            e = ctypes.get_errno()
            print("%s: umount failed: %s" % (fstype, os.strerror(e)))
            sys.exit(1)
    upper = tree(up, False)
    shutil.rmtree(d)
    return ops, steps, view, upper

def compare(a, b):
    """None if the runs agree, else a description of the first difference."""
    (_, sa, va, ua), (_, sb, vb, ub) = a, b
    for i, (x, y) in enumerate(zip(sa, sb)):
        if x != y:
            return ("step", i, x, y)
    for what, xa, xb in (("merged view", va, vb), ("upper layer", ua, ub)):
        if xa != xb:
            for i in range(max(len(xa), len(xb))):
                x = xa[i] if i < len(xa) else "(nothing)"
                y = xb[i] if i < len(xb) else "(nothing)"
                if x != y:
                    return (what, i, x, y)
    return None

def diverges(fa, fb, ops_a, ops_b, n):
    return compare(run(fa, ops_a[:n]), run(fb, ops_b[:n]))

def shortest(fa, fb, ops_a, ops_b):
    """The shortest failing prefix length (binary search: prefixes on fresh mounts)."""
    lo, hi = 1, len(ops_a)
    while lo < hi:
        mid = (lo + hi) // 2
        if diverges(fa, fb, ops_a, ops_b, mid):
            hi = mid
        else:
            lo = mid + 1
    return lo

def report(fa, fb, seed, ops_a, ops_b, diff):
    n = shortest(fa, fb, ops_a, ops_b)
    d = diverges(fa, fb, ops_a, ops_b, n) or diff
    print("DIVERGENCE %s vs %s, seed %d: shortest failing prefix %d ops "
          "(ROVL_RANDOPS_SEEDS=%d ROVL_RANDOPS_LEN=%d)" % (fa, fb, seed, n, seed, n))
    for i in range(max(0, n - 8), n):
        mark = "" if ops_a[i] == ops_b[i] else "   [B: %s]" % show(ops_b[i])
        print("  op %d: %s%s" % (i, show(ops_a[i]), mark))
    kind, i, x, y = d
    if kind == "step":
        print("first divergence: op %d (%s): %s gives %s, %s gives %s" % (i, show(ops_a[i]), fa, x, fb, y))
    else:
        print("first divergence: %s, line %d:\n  %s: %s\n  %s: %s" % (kind, i, fa, x, fb, y))
    return n

def prepare():
    shutil.rmtree(BASE, ignore_errors=True)
    build_lowers(BASE + "/l1", BASE + "/l2")
    return digest(BASE + "/l1") + digest(BASE + "/l2")

def one_seed(fa, fb, seed, n, lower):
    """Compare fa with fb for one seed; False on a divergence (reported)."""
    a = run(fa, gen=(Gen(seed), n))
    ops = a[0]
    b = run(fb, ops)
    if digest(BASE + "/l1") + digest(BASE + "/l2") != lower:
        print("seed %d: the lower layers changed" % seed)
        return False
    diff = compare(a, b)
    if diff:
        report(fa, fb, seed, ops, ops, diff)
        return False
    ok = sum(1 for s in a[1] if s == "OK" or s.split(" ")[0] in ("read", "stat", "readdir"))
    errs = sorted(set(s for s in a[1] if s.isupper() and s != "OK"))
    kinds_ok = set(op[0] for op, s in zip(ops, a[1]) if s == "OK" or s.startswith(op[0]))
    stats = "seed %d: %d ops, %d succeeded, errnos %s, kinds never successful: %s, %d upper entries" % (
        seed, n, ok, " ".join(errs), " ".join(sorted(set(KINDS) - kinds_ok)) or "none", len(a[3]))
    if os.environ.get("RANDOPS_STATS"):
        with open(os.environ["RANDOPS_STATS"], "a") as f:
            f.write(stats + "\n")
    # not vacuous: most kinds of op did something, and some failed
    enough = ok >= n // 3 and len(errs) >= 3 and len(set(KINDS) - kinds_ok) <= 1
    print("seed %d, %d ops: the same results, merged view and upper layer%s" % (
        seed, n, "" if enough else " (but too few ops did anything: " + stats + ")"))
    return True

def selfcheck(fs, seed, n):
    ops, steps = run(fs, gen=(Gen(seed), n))[:2]
    # a successful write in the latter part of the list to a path no later op
    # names (so nothing overwrites it), its data changed in B's list
    cands = [i for i, op in enumerate(ops) if op[0] == "write" and steps[i] == "OK" and i >= n // 3
             and not any(op[1] in later[1:] for later in ops[i + 1:])]
    for k in cands[:3]:
        ops_b = list(ops)
        ops_b[k] = ops[k][:3] + (ops[k][3].upper() + "PERTURBED",)
        diff = compare(run(fs, ops), run(fs, ops_b))
        if not diff:
            print("self-check: the perturbed op %d went unnoticed" % k)
            continue
        found = report(fs, fs, seed, ops, ops_b, diff)
        if found == k + 1:
            print("self-check: the divergence is found at the perturbed op")
            return True
        print("self-check: perturbed op %d, shortest prefix found %d" % (k, found))
    print("self-check FAILED (%d candidates)" % len(cands))
    return False

def main():
    args = sys.argv[1:]
    lower = prepare()
    if args[:1] == ["--selfcheck"]:
        sys.exit(0 if selfcheck(args[1], int(args[3]), int(args[2])) else 1)
    fa, fb, n = args[0], args[1], int(args[2])
    good = [one_seed(fa, fb, int(seed), n, lower) for seed in args[3:]]
    sys.exit(0 if all(good) else 1)

main()
