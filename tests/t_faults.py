# t_faults.py: failed allocations in the middle of operations on a writable
# overlay/rovl mount (130-faults.sh). Run with the host's python (hpy).
#
#   t_faults.py prepare L1 L2 CAP        lower layers: CAP+3 fresh targets per op
#   t_faults.py sweep FSTYPE MNT UPPER WORK L1 L2 OUT CAP
#       for every op: count the fault sites it passes (/proc/self/task/TID/
#       fail-nth set high), then fail the 1st, 2nd, ... of them (every k-th
#       when there are more than CAP), each on a fresh target; after each
#       call (faults off): the call either did all or nothing (the target's
#       merged view equals its state before or after the op done on a plain
#       directory), a success did it all, the mount's view equals the union
#       of the layers on disk, the work dir is clean. Finally each op once
#       more without faults must succeed; umount, remount, the whole view
#       equals the union model. Results: OUT/sweep.rc, OUT/sweep.txt,
#       OUT/figures.txt
#   t_faults.py random FSTYPE MNT UPPER WORK L1 L2 OUT SECS PROB
#       t_stress.py's workload in one process with /proc/self/make-it-fail
#       set, failslab and fail_page_alloc at PROB percent with task-filter;
#       then (faults off) the same checks as 120-stress.sh. Faults injected
#       are counted with the `times` budget. Results: OUT/random.rc, .txt
#
# Fault injection settings: failslab and fail_page_alloc with ignore-gfp-wait
# N (sleeping allocations fail too), fail_page_alloc min-order 0 and
# ignore-gfp-highmem Y (user and page cache pages do not fail: the python
# process itself must keep running), verbose 0. Restored afterwards.
import errno, os, random, shutil, stat, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import t_stress as ts

DBG = "/sys/kernel/debug"

# --- the ops -------------------------------------------------------------------
# Every op works in its own target directory B = OP/N, which the lower layers
# make like this (L1 over L2):
#   L2: f (data, user.k), h, sub/x, d/ (empty), w
#   L1: sub/y, w (whiteout: hides L2's w), h2
# prep(B) runs before the faulted call, without faults; do(B) is the call and
# returns a value to compare (None mostly).


def _wr(p, data, flags):
    fd = os.open(p, flags, 0o644)
    try:
        return os.write(fd, data)
    finally:
        os.close(fd)


def _clear_sub(b):
    os.unlink(b + "/sub/x")
    os.unlink(b + "/sub/y")


OPS = {
    "lookup": (None, lambda b: stat.S_IFMT(os.stat(b + "/sub/x").st_mode)),
    "readdir": (None, lambda b: (sorted(os.listdir(b)), sorted(os.listdir(b + "/sub")))),
    "open_w": (None, lambda b: os.close(os.open(b + "/f", os.O_WRONLY))),
    "write": (None, lambda b: _wr(b + "/f", b"W" * 3000, os.O_WRONLY)),
    "append": (None, lambda b: _wr(b + "/f", b"A" * 100, os.O_WRONLY | os.O_APPEND)),
    "truncate": (None, lambda b: os.truncate(b + "/f", 10)),
    "chmod": (None, lambda b: os.chmod(b + "/f", 0o600)),
    "chmod_dir": (None, lambda b: os.chmod(b + "/sub", 0o700)),
    "setxattr": (None, lambda b: os.setxattr(b + "/f", "user.new", b"v")),
    "setxattr_dir": (None, lambda b: os.setxattr(b + "/sub", "user.new", b"v")),
    "create": (None, lambda b: os.close(os.open(b + "/new", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))),
    "create_whiteout": (None, lambda b: os.close(os.open(b + "/w", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))),
    "mkdir": (None, lambda b: os.mkdir(b + "/sub/nd")),
    "mkdir_whiteout": (lambda b: (_clear_sub(b), os.rmdir(b + "/sub")), lambda b: os.mkdir(b + "/sub")),
    "symlink": (None, lambda b: os.symlink("f", b + "/s")),
    "link": (None, lambda b: os.link(b + "/f", b + "/sub/l")),
    "rename": (None, lambda b: os.rename(b + "/f", b + "/g")),
    "rename_over": (None, lambda b: os.rename(b + "/f", b + "/h")),
    "rename_into": (None, lambda b: os.rename(b + "/f", b + "/sub/f")),
    "rename_upper_dir": (lambda b: os.mkdir(b + "/ud"), lambda b: os.rename(b + "/ud", b + "/sub/ud")),
    "unlink": (None, lambda b: os.unlink(b + "/f")),
    "unlink_upper": (lambda b: _wr(b + "/up", b"u", os.O_WRONLY | os.O_CREAT), lambda b: os.unlink(b + "/up")),
    "rmdir": (None, lambda b: os.rmdir(b + "/d")),
    "rmdir_merged": (_clear_sub, lambda b: os.rmdir(b + "/sub")),
}


def prepare(l1, l2, cap):
    rnd = random.Random(77)
    for op in OPS:
        for n in range(cap + 3):
            b1, b2 = "%s/%s/%d" % (l1, op, n), "%s/%s/%d" % (l2, op, n)
            os.makedirs(b2 + "/sub")
            os.makedirs(b2 + "/d")
            os.makedirs(b1 + "/sub")
            with open(b2 + "/f", "wb") as f:
                f.write(rnd.randbytes(5000))
            os.setxattr(b2 + "/f", "user.k", b"lower")
            for p, d in ((b2 + "/h", b"h\n"), (b2 + "/sub/x", b"x\n"), (b2 + "/w", b"w\n"),
                         (b1 + "/sub/y", b"y\n"), (b1 + "/h2", b"h2\n")):
                with open(p, "wb") as f:
                    f.write(d)
            os.mknod(b1 + "/w", stat.S_IFCHR | 0o600, 0)


# --- views of one target -----------------------------------------------------------

def tree(top):
    """t_stress.tree, but an error on an entry is part of the listing."""
    out = []

    def one(rel, p):
        try:
            out.append("%s %s" % (rel, ts.describe(p)))
        except OSError as e:
            out.append("%s ERR %s" % (rel, errno.errorcode.get(e.errno, e.errno)))
    one("/", top)
    try:
        for d, dirs, files in os.walk(top, onerror=lambda e: out.append("walk ERR %s" % e)):
            for n in sorted(dirs + files):
                p = os.path.join(d, n)
                one("/" + os.path.relpath(p, top), p)
    except OSError as e:
        out.append("walk ERR %s" % e)
    return sorted(out)


def chain_of(layers, rel):
    """The real directories making up merged directory rel (None: no such dir)."""
    dirs = list(layers)
    for comp in [c for c in rel.split("/") if c]:
        nxt = []
        for d in dirs:
            p = os.path.join(d, comp)
            try:
                st = os.lstat(p)
            except FileNotFoundError:
                continue
            if not stat.S_ISDIR(st.st_mode):
                if not nxt and not ts._is_whiteout(st):
                    return None        # a non-directory on top
                break
            nxt.append(p)
            if ts._is_opaque(p):
                break
        if not nxt:
            return None
        dirs = nxt
    return dirs


def model_sub(layers, rel):
    """The model's listing of merged directory rel, in tree()'s form."""
    dirs = chain_of(layers, rel)
    if dirs is None:
        return ["/ ERR ENOENT"]
    lines = ts.model(dirs)
    return sorted(lines)


def materialize(layers, rel, dst):
    """Copy merged directory rel, by the model, to the plain directory dst."""
    dirs = chain_of(layers, rel)

    def copy(dirs, dst):
        first = {}
        for i, d in enumerate(dirs):
            for n in os.listdir(d):
                first.setdefault(n, i)
        for n, i in first.items():
            p = os.path.join(dirs[i], n)
            st = os.lstat(p)
            q = os.path.join(dst, n)
            if ts._is_whiteout(st):
                continue
            if stat.S_ISDIR(st.st_mode):
                os.mkdir(q)
                sub = chain_of([p] + [os.path.join(d, n) for d in dirs[i + 1:]], "")
                copy(sub if not ts._is_opaque(p) else [p], q)
                os.chmod(q, stat.S_IMODE(st.st_mode))
            elif stat.S_ISLNK(st.st_mode):
                os.symlink(os.readlink(p), q)
            else:
                shutil.copyfile(p, q)
                os.chmod(q, stat.S_IMODE(st.st_mode))
                for x in os.listxattr(p):
                    if x.startswith("user."):
                        os.setxattr(q, x, os.getxattr(p, x))
    os.makedirs(dst)
    copy(dirs, dst)
    os.chmod(dst, stat.S_IMODE(os.lstat(dirs[0]).st_mode))


# --- fault injection -----------------------------------------------------------------

def _wfile(p, v):
    with open(p, "w") as f:
        f.write(str(v))


def _rfile(p):
    with open(p) as f:
        return f.read().strip()


class Faults:
    SETTINGS = [("failslab/ignore-gfp-wait", "N"), ("fail_page_alloc/ignore-gfp-wait", "N"),
                ("fail_page_alloc/ignore-gfp-highmem", "Y"), ("fail_page_alloc/min-order", "0"),
                ("failslab/verbose", "0"), ("fail_page_alloc/verbose", "0")]

    def __init__(self):
        if not os.path.isdir(DBG + "/failslab"):
            os.system("mount -t debugfs debugfs %s 2>/dev/null" % DBG)
        self.saved = {}
        for k, v in self.SETTINGS:
            self.saved[k] = _rfile(os.path.join(DBG, k))
            _wfile(os.path.join(DBG, k), v)
        self.nth = os.open("/proc/thread-self/fail-nth", os.O_RDWR)

    def restore(self):
        for k, v in self.saved.items():
            _wfile(os.path.join(DBG, k), v)

    def call(self, n, fn, *a):
        """fn(*a) with the n-th fault site failing: (value, errno name, injected)."""
        os.write(self.nth, b"%d" % n)
        val, err = None, None
        try:
            val = fn(*a)
        except OSError as e:
            err = errno.errorcode.get(e.errno, str(e.errno))
        except MemoryError:
            err = "MemoryError"
        try:
            left = int(os.pread(self.nth, 32, 0))
        except (OSError, ValueError):
            left = 0
        os.write(self.nth, b"0")
        return val, err, left == 0, left


def faults_off(fd):
    """End this task's faults through fd, its /proc/self/make-it-fail opened
    beforehand; a write that fails (its own allocation, under the faults it
    ends) is tried again."""
    for _ in range(1000):
        try:
            os.write(fd, b"0")
            if os.pread(fd, 16, 0).strip() == b"0":
                break
        except OSError:
            pass
    os.close(fd)


def positions(sites, cap):
    """Which fault sites to fail: all of them, or cap of them: the last few
    (where a call has done most of its work) and the rest evenly spread."""
    if sites <= cap:
        return list(range(1, sites + 1))
    tail = min(3, cap // 2)
    spread = cap - tail
    head = sorted({1 + (i * (sites - tail - 1)) // max(1, spread - 1) for i in range(spread)})
    return head + list(range(sites - tail + 1, sites + 1))


def workdir_left(work, fs):
    return ts.workdir(work, fs)[1]


# --- the sweep -------------------------------------------------------------------

def sweep(fs, mnt, upper, work, lowers, out, cap):
    os.makedirs(out, exist_ok=True)
    for d in (upper, work):
        shutil.rmtree(d, ignore_errors=True)
    for d in (mnt, upper, work):
        os.makedirs(d, exist_ok=True)
    rc, msg = ts.rw_mount(fs, mnt, upper, work, lowers)
    res = ts.Results(out)
    if rc:
        res.put("sweep", 1, ["mount failed: " + msg])
        res.put("after", 1, ["mount failed: " + msg])
        return
    layers = [upper] + lowers
    scratch = os.path.join(os.path.dirname(upper), "scratch-" + fs)
    flt = Faults()
    problems, figures = [], []
    total_inj = total_fail = 0
    t0 = time.monotonic()
    try:
        for op, (prep, do) in OPS.items():
            def target(n):
                return "%s/%d" % (op, n)

            def expect(n):
                """before and after listings and the value, from a plain copy"""
                shutil.rmtree(scratch, ignore_errors=True)
                materialize(layers, target(n), scratch + "/b")
                if prep:
                    prep(scratch + "/b")
                before = tree(scratch + "/b")
                try:
                    val = do(scratch + "/b")
                except OSError as e:
                    val = "ERR " + errno.errorcode.get(e.errno, str(e.errno))
                return before, tree(scratch + "/b"), val
            # how many fault sites does the op pass? (target cap)
            if prep:
                prep(os.path.join(mnt, target(cap)))
            _, err, _, left = flt.call(1 << 30, do, os.path.join(mnt, target(cap)))
            sites = (1 << 30) - left
            inj = nfail = done_anyway = half = 0
            errs = {}
            for k, n in enumerate(positions(sites, cap)):
                b = os.path.join(mnt, target(k))
                before, after, val = expect(k)
                if prep:
                    prep(b)
                got, err, injected, _ = flt.call(n, do, b)
                inj += injected
                if err:
                    nfail += 1
                    errs[err] = errs.get(err, 0) + 1
                live = tree(b)
                disk = model_sub(layers, target(k))
                what = "%s fault %d of %d: %s" % (op, n, sites, err or "succeeded")
                if live != disk:
                    problems.append("%s: the mount's view differs from the layers on disk" % what)
                    problems += ["   " + l for l in ts.diff(disk, live, 8)]
                if err is None and (live != after or got != val):
                    problems.append("%s: but the result is wrong (value %r, expected %r)" % (what, got, val))
                    problems += ["   " + l for l in ts.diff(after, live, 8)]
                elif err and live not in (before, after):
                    half += 1
                    problems.append("%s: half done" % what)
                    problems += ["   (- before) " + l for l in ts.diff(before, live, 8)]
                    problems += ["   (- after)  " + l for l in ts.diff(after, live, 8)]
                elif err and live == after and before != after:
                    done_anyway += 1
                left_ = workdir_left(work, fs)
                if left_:
                    problems.append("%s: left in the work dir: %s" % (what, left_))
                    for l in os.listdir(os.path.join(work, "work")):
                        p = os.path.join(work, "work", l)
                        shutil.rmtree(p) if os.path.isdir(p) and not os.path.islink(p) else os.unlink(p)
                if len(problems) > 60:
                    break
            total_inj += inj
            total_fail += nfail
            # once more, faults off: it must work
            b = os.path.join(mnt, target(cap + 1))
            before, after, val = expect(cap + 1)
            if prep:
                prep(b)
            try:
                got, err = do(b), None
            except OSError as e:
                got, err = None, errno.errorcode.get(e.errno, str(e.errno))
            if err or tree(b) != after or got != val:
                problems.append("%s without faults: %s, view %s" % (op, err or "succeeded",
                                "as expected" if tree(b) == after else ts.diff(after, tree(b), 6)))
            figures.append("%s: %d sites, %d calls, %d faults injected, %d failed (%s)%s" % (
                op, sites, k + 1, inj, nfail, " ".join("%s=%d" % kv for kv in sorted(errs.items())),
                ", %d failed but done" % done_anyway if done_anyway else ""))
    finally:
        flt.restore()
    # self-check: a half-done rename (a link, no unlink), done on purpose
    # through the mount, must be judged half done
    b = os.path.join(mnt, "rename/%d" % (cap + 2))
    shutil.rmtree(scratch, ignore_errors=True)
    materialize(layers, "rename/%d" % (cap + 2), scratch + "/b")
    before = tree(scratch + "/b")
    os.rename(scratch + "/b/f", scratch + "/b/g")
    after = tree(scratch + "/b")
    os.link(b + "/f", b + "/g")
    live = tree(b)
    res.put("selfcheck", 0 if live not in (before, after) else 1,
            ["a planted half-done rename was judged %s" % ("half done" if live not in (before, after) else "fine")])
    secs = time.monotonic() - t0
    figures.insert(0, "%d ops, %d faulted calls, %d faults injected, %d calls failed, %.0f s" % (
        len(OPS), sum(int(f.split(", ")[1].split()[0]) for f in figures), total_inj, total_fail, secs))
    res.put("figures", 0, figures)
    res.put("sweep", 1 if problems else 0, problems[:80])
    # the whole view, after a remount, equals the union of the layers
    os.chdir("/")
    rc, msg = ts.sh("umount", mnt)
    lines = [] if not rc else ["umount: " + msg]
    lines += workdir_left(work, fs)
    rc2, msg2 = ts.rw_mount(fs, mnt, upper, work, lowers)
    if rc2:
        lines.append("remount: " + msg2)
    else:
        lines += ts.diff(ts.model(layers), tree(mnt))
        rc3, msg3 = ts.sh("umount", mnt)
        if rc3:
            lines.append("umount: " + msg3)
    res.put("after", 1 if lines else 0, lines)


# --- random faults while t_stress's workload runs ------------------------------------

def random_faults(fs, mnt, upper, work, lowers, out, secs, prob):
    os.makedirs(out, exist_ok=True)
    for d in (upper, work):
        shutil.rmtree(d, ignore_errors=True)
    for d in (mnt, upper, work):
        os.makedirs(d, exist_ok=True)
    res = ts.Results(out)
    rc, msg = ts.rw_mount(fs, mnt, upper, work, lowers)
    if rc:
        res.put("random", 1, ["mount failed: " + msg])
        return
    flt = Faults()
    budget = 10 ** 7
    knobs = {}
    for cap in ("failslab", "fail_page_alloc"):
        for k, v in (("task-filter", "Y"), ("probability", prob), ("interval", 1), ("times", budget),
                     ("space", 0)):
            p = "%s/%s/%s" % (DBG, cap, k)
            knobs[p] = _rfile(p)
            _wfile(p, v)

    def worker():
        # Everything the worker needs is made before its faults start: under
        # them any allocation of this process may fail, the harness's own
        # (opening /proc/self/make-it-fail to end them, say) included.
        w = ts.Worker(mnt, 99, 0)
        unexpected, memory_errors = {}, 0
        mif = os.open("/proc/self/make-it-fail", os.O_RDWR)
        deadline = time.monotonic() + secs
        os.write(mif, b"1")
        try:
            while time.monotonic() < deadline:
                try:
                    name, r = w.one()
                    if r != "OK" and r not in ts.ALLOWED and r != "ENOMEM":
                        k = "%s %s" % (name, r)
                        unexpected[k] = unexpected.get(k, 0) + 1
                except MemoryError:
                    # this process's own allocation (python's heap): not the
                    # filesystem's answer, so not judged; try the next op
                    memory_errors += 1
        finally:
            faults_off(mif)
        return {"ops": w.ops, "errs": w.errs, "unexpected": unexpected, "memory_errors": memory_errors}
    kid = ts.Child(worker)
    r, failure = None, None
    try:
        r = kid.collect(time.monotonic() + secs + 300)
    except ts.WorkerFailed as e:
        failure = e.text
    injected = {}
    for cap in ("failslab", "fail_page_alloc"):
        injected[cap] = budget - int(_rfile("%s/%s/times" % (DBG, cap)))
    # Probabilities first: with task-filter back to N while a probability is still set,
    # every task in the guest would get faults (init included, which then dies).
    for p, v in knobs.items():
        if p.endswith("/probability"):
            _wfile(p, 0)
    for p, v in knobs.items():
        if not p.endswith("/probability"):
            _wfile(p, v)
    for p, v in knobs.items():
        if p.endswith("/probability"):
            _wfile(p, v)
    flt.restore()
    lines = []
    if failure:
        lines.append("the worker failed: " + failure)
        r = {"ops": 0, "errs": {}, "unexpected": {}, "memory_errors": 0}
    fig = "%d ops in %d s with faults at %s%%: %s; errnos: %s%s" % (
        r["ops"], secs, prob, " ".join("%s=%d" % kv for kv in injected.items()),
        " ".join("%s=%d" % kv for kv in sorted(r["errs"].items())),
        "; the worker's own MemoryError: %d" % r["memory_errors"] if r["memory_errors"] else "")
    res.put("random-figures", 0, [fig])
    # errnos other than the races' and ENOMEM: listed, not judged (a failed
    # allocation may surface as another errno on some paths)
    if r["unexpected"]:
        res.put("random-other", 0, ["other errnos: " + " ".join("%s=%d" % kv for kv in sorted(r["unexpected"].items()))])
    # faults off: the checks of 120-stress.sh, and the mount still works
    live = tree(mnt)
    probe = os.path.join(mnt, "after-faults")
    try:
        with open(probe, "wb") as f:
            f.write(b"fine")
        os.rename(probe, probe + "2")
        if open(probe + "2", "rb").read() != b"fine":
            lines.append("a file written after the faults reads back wrong")
        os.unlink(probe + "2")
    except OSError as e:
        lines.append("after the faults, create/rename/read/unlink fails: %s" % e)
    os.chdir("/")
    rc, msg = ts.sh("umount", mnt)
    if rc:
        lines.append("umount: " + msg)
    lines += workdir_left(work, fs)
    rc2, up = ts.checkupper(upper)
    if rc2:
        lines += up
    m = ts.model([upper] + lowers)
    d = ts.diff(m, live)
    if d:
        lines += ["live view vs model:"] + d
    rc, msg = ts.rw_mount(fs, mnt, upper, work, lowers)
    if rc:
        lines.append("remount: " + msg)
    else:
        d = ts.diff(m, tree(mnt))
        if d:
            lines += ["view after remount vs model:"] + d
        ts.sh("umount", mnt)
    res.put("random", 1 if lines else 0, lines)


def main(argv):
    cmd = argv[1]
    if cmd == "prepare":
        prepare(argv[2], argv[3], int(argv[4]))
    elif cmd == "sweep":
        sweep(argv[2], argv[3], argv[4], argv[5], argv[6:8], argv[8], int(argv[9]))
    elif cmd == "random":
        random_faults(argv[2], argv[3], argv[4], argv[5], argv[6:8], argv[8], int(argv[9]), argv[10])
    else:
        sys.exit("usage: see the header of t_faults.py")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
