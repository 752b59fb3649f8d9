# SPDX-License-Identifier: GPL-2.0
"""Canonical descriptions of a directory tree, for comparing layers and merged
views line by line: lib.sh's upper_tree (python3 t_tree.py DIR prints the
upper-layer form) and t_randops.py (both forms).

One line per entry (the top itself as "."), sorted by path:
  PATH d|f|l|p|s|c|b MODE(octal, permission bits) UID:GID
    [nlink=N, merged form, not for directories]
    then for a file SIZE MD5, for a symlink "-> TARGET", for a device MAJ,MIN,
    then " XATTR=VALUE" for every xattr but trusted.overlay.* (except
    trusted.overlay.opaque); the merged form shows user.* xattrs only
  PATH WHITEOUT   a character device 0/0 (upper-layer form only)
"""
import hashlib
import os
import stat
import sys

KINDS = {stat.S_IFDIR: "d", stat.S_IFREG: "f", stat.S_IFLNK: "l", stat.S_IFIFO: "p",
         stat.S_IFSOCK: "s", stat.S_IFCHR: "c", stat.S_IFBLK: "b"}


def xattrs(p, merged=False):
    out = []
    try:
        names = os.listxattr(p, follow_symlinks=False)
    except OSError as e:
        return ["listxattr:" + os.strerror(e.errno)]
    for n in sorted(names):
        if merged and not n.startswith("user."):
            continue
        if n.startswith("trusted.overlay.") and n != "trusted.overlay.opaque":
            continue
        try:
            v = os.getxattr(p, n, follow_symlinks=False)
        except OSError as e:
            v = ("<" + os.strerror(e.errno) + ">").encode()
        out.append("%s=%s" % (n, v.decode(errors="backslashreplace")))
    return out


def line(rel, p, merged=False):
    st = os.lstat(p)
    m = st.st_mode
    if not merged and stat.S_ISCHR(m) and st.st_rdev == 0:
        return rel + " WHITEOUT"
    kind = KINDS[stat.S_IFMT(m)]
    f = [rel, kind, "%o" % stat.S_IMODE(m), "%d:%d" % (st.st_uid, st.st_gid)]
    if merged and kind != "d":
        f.append("nlink=%d" % st.st_nlink)
    if kind == "f":
        h = hashlib.md5()
        with open(p, "rb") as fh:
            for b in iter(lambda: fh.read(1 << 20), b""):
                h.update(b)
        f += [str(st.st_size), h.hexdigest()]
    elif kind == "l":
        f += ["->", os.readlink(p)]
    elif kind in "cb":
        f.append("%d,%d" % (os.major(st.st_rdev), os.minor(st.st_rdev)))
    return " ".join(f + xattrs(p, merged))


def tree(top, merged=False):
    """The lines describing the tree at `top`: a merged view or an upper layer."""
    out = [line(".", top, merged)]
    for d, dirs, files in os.walk(top):
        for n in dirs + files:
            p = os.path.join(d, n)
            out.append(line(os.path.relpath(p, top), p, merged))
    out[1:] = sorted(out[1:], key=lambda l: l.split(" ", 1)[0].encode())
    return out


if __name__ == "__main__":
    print("\n".join(tree(sys.argv[1])))
