#!/bin/sh
# The option strings, mount flags and probe sequences of the real tools that mount
# overlayfs, each run against both filesystems (issue 13, part 5). Read from their
# sources (README.md, "What real tools pass", has the table with files and functions):
#   Docker (moby/moby daemon/graphdriver/overlay2, overlayutils): the driver's probes,
#     a container's mount with and without index=off and with userxattr, a committed
#     layer read-only, 128 layers mounted from the driver's home with relative l/ paths;
#   containerd (plugins/snapshots/overlay, core/mount/mount_linux.go): a container, a CRI
#     image volume (volatile), a view, 100 layers made relative to their common directory;
#   containers/storage (drivers/overlay): its probes, Fedora's mountopt "nodev,metacopy=on"
#     (metacopy and the native-diff probe, then the container mount without metacopy=on
#     where the probe failed), 128 layers passed as /proc/self/fd/N;
#   systemd: systemd-sysext read-only and --mutable (src/sysext/sysext.c), and mstack's
#     fsopen()/FSCONFIG_SET_FD from a child's mount namespace (src/shared/mstack.c);
#   LXC (src/lxc/storage/overlay.c), dracut (modules.d/70overlayfs, 88squash-lib: an upper
#     layer on ramfs, which has no xattrs), OpenWrt fstools (libfstools/mount.c: lowerdir=/).
# Every mount goes through mount(2) (or fsopen/fsconfig) with the tool's exact option
# string and flags, from its working directory, by a small helper (TOOLPY); dracut's go
# through busybox mount, as its shell scripts do. FSTYPE stands for "overlay".
#
# /proc/mounts: overlayfs shows options it derives from state rovl does not keep: uuid=on
# for a new upper layer (it writes a uuid xattr into the upper root; uuid=null where the
# upper has no xattrs), redirect_dir=on without an upper layer (its default, follow, is then
# on), redirect_dir=nofollow with userxattr or an upper without xattrs. The tool cases
# compare the options without uuid= and redirect_dir= (mopts); the last four cases show the
# whole strings, each difference as a documented one (check_diff).
. "$(dirname "$0")/lib.sh"
plan 21
setup
need_hpy "tool option"

# --- helpers ----------------------------------------------------------------------------
# tool mount FSTYPE SOURCE TARGET FLAGS DATA
#     mount(2) with exactly DATA; FLAGS: 0 or a comma list of rdonly, nosuid, nodev,
#     noexec, noatime, mgc (MS_MGC_VAL, which LXC passes). Prints "mount: OK" or the errno.
# tool mountfrom FSTYPE HOME SOURCE TARGET FLAGS DATA
#     containers/storage's re-exec'd mount helper (drivers/overlay/mount.go,
#     mountOverlayFromMain): chdir to HOME; DATA under a page is mounted as it is; else
#     upperdir/workdir/target are made absolute and each lower is opened and named by its
#     descriptor number, mounted from /proc/self/fd. The descriptors are moved to 100, 101,
#     ... so that the string is the same on every run (the tool takes what open() gives).
# tool mstack FSTYPE SOURCE TMPDIR TARGET RW|- LAYER... (top layer first)
#     systemd's mstack_make_overlayfs(): fsopen() here; in a forked child with a mount
#     namespace of its own (slave), each layer is cloned (open_tree), attached at TMPDIR
#     (all on that one directory) and given by an O_PATH fd as lowerdir+; the rw layer first,
#     its data/ and work/ as upperdir and workdir; then the flags ro (read-only only) and
#     userxattr, source, and FSCONFIG_CMD_CREATE, all in the child; then fsmount(),
#     mount_setattr() (read-only or not) and move_mount() to TARGET here.
# tool hasx PATH NAME: "yes" if PATH has the xattr NAME, "no" if not
TOOLPY='
import ctypes, errno, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_char_p]
MS = {"0": 0, "rdonly": 0x1, "nosuid": 0x2, "nodev": 0x4, "noexec": 0x8, "noatime": 0x400,
      "mgc": 0xC0ED0000}
SYS_open_tree, SYS_move_mount, SYS_fsopen, SYS_fsconfig, SYS_fsmount = 428, 429, 430, 431, 432
SYS_mount_setattr = 442
AT_FDCWD, AT_EMPTY_PATH, OPEN_TREE_CLONE, O_CLOEXEC = -100, 0x1000, 1, 0o2000000
MOVE_MOUNT_F_EMPTY_PATH, MOUNT_ATTR_RDONLY = 4, 1
SET_FLAG, SET_STRING, SET_FD, CMD_CREATE = 0, 1, 5, 6
CLONE_NEWNS, MS_REC, MS_SLAVE = 0x20000, 0x4000, 0x80000

class MountAttr(ctypes.Structure):
    _fields_ = [("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64),
                ("propagation", ctypes.c_uint64), ("userns_fd", ctypes.c_uint64)]

def name(e):
    return errno.errorcode.get(e, str(e))

def sc(*a):
    r = libc.syscall(*a)
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return r

def do_mount(fstype, source, target, flags, data):
    fl = 0
    for f in flags.split(","):
        fl |= MS[f]
    r = libc.mount(source.encode(), target.encode(), fstype.encode(), fl, data.encode())
    print("mount: " + ("OK" if r == 0 else name(ctypes.get_errno())))
    return r == 0

def mountfrom(fstype, home, source, target, flags, label):
    os.chdir(home)
    if len(label) < 4096:
        return do_mount(fstype, source, target, flags, label)
    upperk = upperv = workk = workv = lowerk = lowerv = labelk = labelv = others = ""
    for arg in label.split(","):
        key, _, val = arg.partition("=")
        if key == "upperdir":
            upperk, upperv = "upperdir=", val
        elif key == "workdir":
            workk, workv = "workdir=", val
        elif key == "lowerdir":
            lowerk, lowerv = "lowerdir=", val
        elif key == "label":
            labelk, labelv = "label=", val
        else:
            others = arg if others == "" else others + "," + arg
    if upperv and not upperv.startswith("/"):
        upperv = os.path.join(home, upperv)
    if workv and not workv.startswith("/"):
        workv = os.path.join(home, workv)
    if not target.startswith("/"):
        target = os.path.join(home, target)
    if lowerv:
        new, data_only, n = [], False, 100
        for p in lowerv.split(":"):
            if p == "":
                data_only = True
                continue
            fd = os.open(p, os.O_RDONLY)
            os.dup2(fd, n)
            os.close(fd)
            new.append((":" if data_only else "") + str(n))
            data_only = False
            n += 1
        lowerv = ":".join(new)
    label = (upperk + upperv + "," + workk + workv + "," + lowerk + lowerv + "," +
             labelk + labelv + "," + others)
    label = label.replace(",,", ",")
    print("data: " + label)
    os.chdir("/proc/self/fd")
    return do_mount(fstype, source, target, flags, label)

def mstack(fstype, source, tmp, target, rw, *layers):
    writable = rw != "-"
    sb = sc(SYS_fsopen, fstype.encode(), 1)
    sys.stdout.flush()
    pid = os.fork()
    if pid == 0:
        step = "unshare"
        try:
            if libc.unshare(CLONE_NEWNS) < 0:
                raise OSError(ctypes.get_errno(), "unshare")
            step = "make / a slave"
            if libc.mount(None, b"/", None, MS_REC | MS_SLAVE, None) < 0:
                raise OSError(ctypes.get_errno(), "mount")
            for kind, path in ([("rw", rw)] if writable else []) + [("layer", p) for p in layers]:
                step = "attach " + path
                c = sc(SYS_open_tree, AT_FDCWD, path.encode(), OPEN_TREE_CLONE | O_CLOEXEC)
                sc(SYS_move_mount, c, b"", AT_FDCWD, tmp.encode(), MOVE_MOUNT_F_EMPTY_PATH)
                t = os.open(tmp, os.O_PATH | os.O_CLOEXEC)
                if kind == "layer":
                    step = "lowerdir+ " + path
                    sc(SYS_fsconfig, sb, SET_FD, b"lowerdir+", None, t)
                    continue
                for sub, key in (("data", "upperdir"), ("work", "workdir")):
                    step = key + " " + path + "/" + sub
                    try:
                        os.mkdir(sub, 0o755, dir_fd=t)
                    except FileExistsError:
                        pass
                    d = os.open(sub, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC,
                                dir_fd=t)
                    sc(SYS_fsconfig, sb, SET_FD, key.encode(), None, d)
            for key in ([] if writable else ["ro"]) + ["userxattr"]:
                step = key
                sc(SYS_fsconfig, sb, SET_FLAG, key.encode(), None, 0)
            step = "source"
            sc(SYS_fsconfig, sb, SET_STRING, b"source", source.encode(), 0)
            step = "create"
            sc(SYS_fsconfig, sb, CMD_CREATE, None, None, 0)
            print("child: OK")
        except OSError as e:
            print("child: %s: %s" % (step, name(e.errno)))
        sys.stdout.flush()
        os._exit(0)
    os.waitpid(pid, 0)
    step = "fsmount"
    try:
        m = sc(SYS_fsmount, sb, 1, 0)
        print("fsmount: OK")
        step = "mount_setattr"
        a = MountAttr(0 if writable else MOUNT_ATTR_RDONLY, MOUNT_ATTR_RDONLY if writable else 0, 0, 0)
        sc(SYS_mount_setattr, m, b"", AT_EMPTY_PATH, ctypes.byref(a), ctypes.sizeof(a))
        print("mount_setattr: OK")
        step = "move_mount"
        sc(SYS_move_mount, m, b"", AT_FDCWD, target.encode(), MOVE_MOUNT_F_EMPTY_PATH)
        print("move_mount: OK")
        return True
    except OSError as e:
        print("%s: %s" % (step, name(e.errno)))
        return False

def hasx(path, attr):
    try:
        os.getxattr(path, attr, follow_symlinks=False)
        print("yes")
    except OSError as e:
        print("no" if e.errno == errno.ENODATA else name(e.errno))

ok = {"mount": do_mount, "mountfrom": mountfrom, "mstack": mstack, "hasx": hasx}[sys.argv[1]](*sys.argv[2:])
sys.exit(1 if ok is False else 0)
'
tool() {
    hpy -c "$TOOLPY" "$@"
}
# mline MNT: the source and the options of the mount at MNT, as /proc/mounts has them
mline() {
    awk -v m="$1" '$2 == m { print $1, $4 }' /proc/mounts
}
# mopts MNT: mline without uuid= and redirect_dir= (see the header; the last four cases
# compare them)
mopts() {
    mline "$1" | sed -e 's/,redirect_dir=[a-z]*//' -e 's/,uuid=[a-z]*//'
}
# shorten TEXT LABEL: stdin with TEXT (a long layer list) written as LABEL
shorten() {
    awk -v s="$1" -v r="$2" '{ while ((i = index($0, s)) > 0) $0 = substr($0, 1, i - 1) r substr($0, i + length(s)); print }'
}
# fresh DIR...: unmount what is mounted at or below each DIR, then make it an empty directory
fresh() {
    for _f in "$@"; do
        for _m in $(awk -v d="$_f" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/mounts | sort -r); do
            umount "$_m" 2>/dev/null || umount -l "$_m"
        done
        rm -rf "$_f"
        mkdir -p "$_f"
    done
}
# free_mp MNT: nothing mounted at MNT (left over by a failed case)
free_mp() {
    while is_mounted "$1"; do umount "$1" || return; done
}
# tree DIR: the paths below DIR, sorted, on one line
tree() {
    ( cd "$1" && echo $(find . | sort | sed 1d) )
}
# devnum PATH: st_dev of PATH as major:minor (systemd's FORMAT_DEVNUM)
devnum() {
    _d=$(stat -c %d "$1")
    echo "$(( (_d >> 8) & 0xfff )):$(( (_d & 0xff) | ((_d >> 12) & 0xfff00) ))"
}
# native_diff DIR FLAGS [OPTIONS]: doesSupportNativeDiff() of Docker (overlay2/check.go)
# and containers/storage (drivers/overlay/check.go, which adds its configured mount
# options): an opaque middle layer must not stay opaque when copied up, and renaming a
# lower directory must give EXDEV (no redirect_dir); a redirect means "naive diff".
native_diff() {
    _d=$1/opaque-bug-check
    mkdir -p "$_d/l1/d" "$_d/l1/d1" "$_d/l2/d" "$_d/l3" "$_d/work" "$_d/merged"
    sysops "setxattr $_d/l2/d trusted.overlay.opaque y" > /dev/null
    tool mount "$FSTYPE" overlay "$_d/merged" "$2" "lowerdir=$_d/l2:$_d/l1,upperdir=$_d/l3,workdir=$_d/work${3:+,$3}" ||
        { echo "native diff: no (the test mount failed)"; return 0; }
    : > "$_d/merged/d/f"
    sysops "getxattr $_d/l3/d trusted.overlay.opaque" "rename $_d/merged/d1 $_d/merged/d2"
    if [ -d "$_d/l3/d2" ]; then
        sysops "getxattr $_d/l3/d2 trusted.overlay.redirect"
        echo "native diff: no (a directory rename leaves a redirect)"
    else
        echo "native diff: yes (a directory rename gives EXDEV)"
    fi
    umount "$_d/merged"
}

# --- the layers -------------------------------------------------------------------------
# Docker's overlay2 home, which is also containers/storage's layout: each layer is
# <id>/diff, and l/<26-character link id> is a symbolic link to ../<id>/diff. 128 layers
# (Docker's limit), layer i holding top (its number) and f<i>; 127 is the top one.
lid() { printf 'L%025d' "$1"; }
lay() { printf 'layer%059d' "$1"; }
GRAPH=$T/graph
CID=$(printf 'ctr%061d' 1)
CSID=$(printf 'cs%062d' 1)
mkdir -p "$GRAPH/l"
REL=; ABS=
i=0
while [ $i -lt 128 ]; do
    li=$(lay $i); ld=$(lid $i)
    mkdir -p "$GRAPH/$li/diff"
    echo "$i" > "$GRAPH/$li/diff/top"
    : > "$GRAPH/$li/diff/f$i"
    ln -s "../$li/diff" "$GRAPH/l/$ld"
    REL="l/$ld${REL:+:$REL}"
    ABS="$GRAPH/l/$ld${ABS:+:$ABS}"
    i=$((i + 1))
done
FDS=; i=100
while [ $i -le 227 ]; do FDS="$FDS${FDS:+:}$i"; i=$((i + 1)); done
DL="$GRAPH/l/$(lid 127):$GRAPH/l/$(lid 126)"
DUP="upperdir=$GRAPH/$CID/diff,workdir=$GRAPH/$CID/work"
D_ABS="index=off,lowerdir=$ABS,$DUP"
D_REL="index=off,lowerdir=$REL,upperdir=$CID/diff,workdir=$CID/work"

# containerd's snapshots: <root>/snapshots/<n>/fs; 1 to 100, 100 the top one
CTDS=$T/ctd/snapshots
CTDLOW=; CTDREL=
i=1
while [ $i -le 100 ]; do
    mkdir -p "$CTDS/$i/fs"
    echo "$i" > "$CTDS/$i/fs/top"
    : > "$CTDS/$i/fs/f$i"
    CTDLOW="$CTDS/$i/fs${CTDLOW:+:$CTDLOW}"
    CTDREL="$i/fs${CTDREL:+:$CTDREL}"
    i=$((i + 1))
done

# systemd-sysext: the host's /usr, two extensions; the meta layer is made per mount
SYSX=$T/sysext
mkdir -p "$SYSX/root/usr/bin" "$SYSX/root/usr/lib" "$SYSX/ext/foo/usr/bin" "$SYSX/ext/bar/usr/bin" \
    "$SYSX/ext/foo/usr/lib/extension-release.d" "$SYSX/ext/bar/usr/lib/extension-release.d"
echo host > "$SYSX/root/usr/bin/host-tool"; echo ID=test > "$SYSX/root/usr/lib/os-release"
echo foo > "$SYSX/ext/foo/usr/bin/foo-tool"; echo ID=test > "$SYSX/ext/foo/usr/lib/extension-release.d/extension-release.foo"
echo bar > "$SYSX/ext/bar/usr/bin/bar-tool"; echo ID=test > "$SYSX/ext/bar/usr/lib/extension-release.d/extension-release.bar"
SXL="$SYSX/run/meta/usr:$SYSX/ext/foo/usr:$SYSX/ext/bar/usr:$SYSX/root/usr"
SXMUT=$SYSX/var/lib/extensions.mutable

# systemd mstack: a directory with layer@1, layer@2 and rw
MSTK=$T/mstack/foo.mstack
mkdir -p "$MSTK/layer@1" "$MSTK/layer@2" "$T/mstack/tmp"
echo 1 > "$MSTK/layer@1/both"; echo a > "$MSTK/layer@1/a"
echo 2 > "$MSTK/layer@2/both"; echo b > "$MSTK/layer@2/b"

# LXC: two base root filesystems
LXCD=$T/lxc
mkdir -p "$LXCD/base/rootfs/etc" "$LXCD/base2/rootfs/etc"
echo base > "$LXCD/base/rootfs/etc/hostname"; echo base2 > "$LXCD/base2/rootfs/etc/issue"

# dracut: the real root (bind-mounted at run/rootfsbase), a persistent read-only overlay
# (run/overlayfs-r), and the tree of dracut's squash image
DRAC=$T/dracut
mkdir -p "$DRAC/sysroot/etc" "$DRAC/persist/etc" "$T/squash-img/etc"
echo NAME=base > "$DRAC/sysroot/etc/os-release"; : > "$DRAC/sysroot/etc/fstab"
echo kept > "$DRAC/persist/etc/persisted"
echo base > "$T/squash-img/etc/conf"; echo old > "$T/squash-img/etc/old"
DSQ=$T/dsquash
# dracut_squash: 88squash-lib/init-squash.sh: ramfs at /squash, the image at
# /squash/root, upper and work on the ramfs (workdir with a trailing slash)
dracut_squash() {
    fresh "$DSQ"; mkdir -p "$DSQ/squash"
    mount -t ramfs ramfs "$DSQ/squash"
    mkdir -p "$DSQ/squash/root" "$DSQ/squash/overlay/upper" "$DSQ/squash/overlay/work"
    mount --bind "$T/squash-img" "$DSQ/squash/root"
    mount -t "$FSTYPE" overlay -o "lowerdir=$DSQ/squash/root,upperdir=$DSQ/squash/overlay/upper,workdir=$DSQ/squash/overlay/work/" "$M/"
}
DSQ_OPTS="lowerdir=$DSQ/squash/root,upperdir=$DSQ/squash/overlay/upper,workdir=$DSQ/squash/overlay/work/"

OWRT=$T/owrt

# --- Docker -----------------------------------------------------------------------------
check "Docker overlay2 probes: SupportsOverlay (two lowers and an upper), doesSupportNativeDiff (opaque flag not copied up, a lower directory rename gives EXDEV: native diff), usingMetacopy (chmod copies up without a metacopy xattr)" \
    "SupportsOverlay:
mount: OK
doesSupportNativeDiff:
mount: OK
getxattr $T/docker-check/opaque-bug-check/l3/d trusted.overlay.opaque: ENODATA
rename $T/docker-check/opaque-bug-check/merged/d1 $T/docker-check/opaque-bug-check/merged/d2: EXDEV
native diff: yes (a directory rename gives EXDEV)
usingMetacopy:
mount: OK
metacopy xattr on the copy: no" \
    'P=$T/docker-check; fresh $P
     mkdir -p $P/s/lower1 $P/s/lower2 $P/s/upper $P/s/work $P/s/merged
     echo "SupportsOverlay:"
     tool mount $FSTYPE overlay $P/s/merged 0 "lowerdir=$P/s/lower2:$P/s/lower1,upperdir=$P/s/upper,workdir=$P/s/work" &&
         umount $P/s/merged
     echo "doesSupportNativeDiff:"
     native_diff $P 0
     echo "usingMetacopy:"
     mkdir -p $P/m/l1 $P/m/l2 $P/m/work $P/m/merged; : > $P/m/l1/f; chmod 700 $P/m/l1/f
     tool mount $FSTYPE overlay $P/m/merged 0 "lowerdir=$P/m/l1,upperdir=$P/m/l2,workdir=$P/m/work" || exit
     chmod 600 $P/m/merged/f
     echo "metacopy xattr on the copy: $(tool hasx $P/m/l2/f trusted.overlay.metacopy)"
     umount $P/m/merged'

DOCKER_RW="mount: OK
top 127, merged: f126 f127 new top, upper: f126 new
overlay rw,relatime,lowerdir=$DL,$DUP"
check "Docker: a container (overlay2 Get): [index=off,][userxattr,]lowerdir=home/l/ID:...,upperdir=home/ID/diff,workdir=home/ID/work, no flags; index=off only where /sys/module/overlay/parameters/index exists, userxattr in a user namespace" \
    "[index=off]
$DOCKER_RW
[]
$DOCKER_RW
[index=off,userxattr]
$DOCKER_RW,userxattr" \
    'for o in "index=off," "" "index=off,userxattr,"; do
         echo "[${o%,}]"
         fresh $GRAPH/$CID; mkdir -p $GRAPH/$CID/diff $GRAPH/$CID/work $GRAPH/$CID/merged
         tool mount $FSTYPE overlay $GRAPH/$CID/merged 0 "${o}lowerdir=$DL,$DUP" || continue
         echo new > $GRAPH/$CID/merged/new; chmod 600 $GRAPH/$CID/merged/f126
         echo "top $(cat $GRAPH/$CID/merged/top), merged: $(echo $(ls $GRAPH/$CID/merged)), upper: $(echo $(ls $GRAPH/$CID/diff))"
         mopts $GRAPH/$CID/merged
         umount $GRAPH/$CID/merged
     done'

check "Docker: a committed layer (overlay2 Get, read-only): index=off,lowerdir=home/ID/diff:home/l/ID:..., no upper layer" \
    "mount: OK
top 127, merged: f125 f126 f127 top
touch: @M/x: Read-only file system
overlay ro,relatime,lowerdir=$GRAPH/$(lay 127)/diff:$GRAPH/l/$(lid 126):$GRAPH/l/$(lid 125)" \
    'free_mp $M
     tool mount $FSTYPE overlay $M 0 "index=off,lowerdir=$GRAPH/$(lay 127)/diff:$GRAPH/l/$(lid 126):$GRAPH/l/$(lid 125)" || exit
     echo "top $(cat $M/top), merged: $(echo $(ls $M))"
     touch $M/x
     mopts $M; umount $M'

check "Docker: 128 layers; the absolute option string is over a page (len > pagesize-1), so Docker mounts from its home (mountFrom: chdir) with relative l/ID lowers, ID/diff, ID/work and target ID/merged; /proc/mounts shows them as passed" \
    "absolute paths: ${#D_ABS} bytes, over a page: Docker mounts from its home with relative paths
relative paths: ${#D_REL} bytes
mount: OK
top 127, 129 names
upper: new
overlay rw,relatime,lowerdir=(the 128 relative l/ paths as passed),upperdir=$CID/diff,workdir=$CID/work" \
    'fresh $GRAPH/$CID; mkdir -p $GRAPH/$CID/diff $GRAPH/$CID/work $GRAPH/$CID/merged
     [ ${#D_ABS} -gt 4095 ] && echo "absolute paths: ${#D_ABS} bytes, over a page: Docker mounts from its home with relative paths"
     [ ${#D_REL} -le 4095 ] && echo "relative paths: ${#D_REL} bytes"
     ( cd $GRAPH && tool mount $FSTYPE overlay $CID/merged 0 "$D_REL" ) || exit
     echo "top $(cat $GRAPH/$CID/merged/top), $(ls $GRAPH/$CID/merged | wc -l) names"
     touch $GRAPH/$CID/merged/new; echo "upper: $(ls $GRAPH/$CID/diff)"
     mopts $GRAPH/$CID/merged | shorten "$REL" "(the 128 relative l/ paths as passed)"
     umount $GRAPH/$CID/merged'

# --- containerd -------------------------------------------------------------------------
CTD_LOW2="lowerdir=$CTDS/100/fs:$CTDS/99/fs"
check "containerd overlayfs snapshotter: a container (workdir=,upperdir=,lowerdir=,index=off), a CRI image volume (...,index=off,volatile), a view with two parents (lowerdir=,index=off: read-only)" \
    "container:
mount: OK
top 100, merged: f100 f99 new top, upper: [new]
overlay rw,relatime,$CTD_LOW2,upperdir=$CTDS/101/fs,workdir=$CTDS/101/work
image volume:
mount: OK
top 100, merged: f100 f99 new top, upper: [new]
overlay rw,relatime,$CTD_LOW2,upperdir=$CTDS/101/fs,workdir=$CTDS/101/work,fsync=volatile
view:
mount: OK
touch: @M/new: Read-only file system
top 100, merged: f100 f99 top
overlay ro,relatime,$CTD_LOW2" \
    'free_mp $M
     up="workdir=$CTDS/101/work,upperdir=$CTDS/101/fs"
     for kind in container "image volume" view; do
         fresh $CTDS/101; mkdir -p $CTDS/101/fs $CTDS/101/work
         case $kind in
             container) o="$up,$CTD_LOW2,index=off" ;;
             "image volume") o="$up,$CTD_LOW2,index=off,volatile" ;;
             view) o="$CTD_LOW2,index=off" ;;
         esac
         echo "$kind:"
         tool mount $FSTYPE overlay $M 0 "$o" || continue
         touch $M/new
         u=; [ "$kind" = view ] || u=", upper: [$(ls $CTDS/101/fs)]"
         echo "top $(cat $M/top), merged: $(echo $(ls $M))$u"
         mopts $M; umount $M
     done'

check "containerd: 100 layers; the options add up to over pagesize-512 bytes, so mount_linux.go makes lowerdir relative to the layers' common directory, moves it last and mounts from there (chdir)" \
    "options: over 4096-512 bytes: lowerdir relative to $CTDS/, moved last
mount: OK
top 100, 101 names
upper: [new]
overlay rw,relatime,lowerdir=100/fs:...:1/fs,upperdir=$CTDS/101/fs,workdir=$CTDS/101/work" \
    'free_mp $M; fresh $CTDS/101; mkdir -p $CTDS/101/fs $CTDS/101/work
     o1="workdir=$CTDS/101/work"; o2="upperdir=$CTDS/101/fs"; o3="lowerdir=$CTDLOW"; o4=index=off
     [ $(( ${#o1} + ${#o2} + ${#o3} + ${#o4} )) -ge 3584 ] &&
         echo "options: over 4096-512 bytes: lowerdir relative to $CTDS/, moved last"
     ( cd $CTDS/ && tool mount $FSTYPE overlay $M 0 "$o1,$o2,$o4,lowerdir=$CTDREL" ) || exit
     echo "top $(cat $M/top), $(ls $M | wc -l) names"
     touch $M/new; echo "upper: [$(ls $CTDS/101/fs)]"
     mopts $M | shorten "$CTDREL" "100/fs:...:1/fs"
     umount $M'

# --- containers/storage -----------------------------------------------------------------
check "containers/storage probes: supportsOverlay (lowerdir=lower1:lower2 with a 0/0 whiteout made in the upper first; removing a lower directory through the mount must work), doesVolatile (volatile,lowerdir=...)" \
    "supportsOverlay:
mount: OK
removed a lower directory through the mount
merged: []
upper: subdir character special file 0:0
upper: whiteout character special file 0:0
doesVolatile:
mount: OK" \
    'P=$T/cs-check; fresh $P
     mkdir -p $P/compat/merged $P/compat/lower1 $P/compat/lower2/subdir $P/compat/upper $P/compat/work
     chmod 700 $P/compat/merged $P/compat/lower1 $P/compat/lower2 $P/compat/lower2/subdir $P/compat/upper $P/compat/work
     : > $P/compat/lower2/subdir/file
     mknod -m 600 $P/compat/upper/whiteout c 0 0
     echo "supportsOverlay:"
     tool mount $FSTYPE overlay $P/compat/merged 0 "lowerdir=$P/compat/lower1:$P/compat/lower2,upperdir=$P/compat/upper,workdir=$P/compat/work" || exit
     rm -rf $P/compat/merged/subdir && echo "removed a lower directory through the mount"
     echo "merged: [$(ls -A $P/compat/merged)]"
     for f in $(ls -A $P/compat/upper); do echo "upper: $f $(stat -c "%F %t:%T" $P/compat/upper/$f)"; done
     umount $P/compat/merged
     echo "doesVolatile:"
     mkdir -p $P/v/lower $P/v/upper $P/v/work $P/v/merged
     tool mount $FSTYPE overlay $P/v/merged 0 "volatile,lowerdir=$P/v/lower,upperdir=$P/v/upper,workdir=$P/v/work" &&
         umount $P/v/merged'

CS_HEAD="doesMetacopy (MS_NODEV, metacopy=on):"
CS_NATIVE="doesSupportNativeDiff (with the configured mountopt):"
CS_CTR="a container (metacopy=on only if usingMetacopy):
mount: OK
top 127 mode 600, upper: [top]"
CS_CTR_OPTS="rw,nodev,relatime,lowerdir=$DL,upperdir=$GRAPH/$CSID/diff,workdir=$GRAPH/$CSID/work"
check_diff "containers/storage with Fedora's mountopt = \"nodev,metacopy=on\": doesMetacopy, doesSupportNativeDiff (which gets metacopy=on too), supportsDataOnlyLayers (lowerdir=a::b,...,metacopy=on), then a container: lowerdir=,upperdir=,workdir= with MS_NODEV, and metacopy=on where the probe found metacopy" \
    "$CS_HEAD
mount: OK
usingMetacopy: true
$CS_NATIVE
mount: OK
getxattr $T/cs-meta/opaque-bug-check/l3/d trusted.overlay.opaque: ENODATA
rename $T/cs-meta/opaque-bug-check/merged/d1 $T/cs-meta/opaque-bug-check/merged/d2: OK
getxattr $T/cs-meta/opaque-bug-check/l3/d2 trusted.overlay.redirect: d1
native diff: no (a directory rename leaves a redirect)
supportsDataOnlyLayers:
mount: OK
$CS_CTR
overlay $CS_CTR_OPTS,redirect_dir=on,uuid=on,metacopy=on" \
    "$CS_HEAD
mount: EINVAL
usingMetacopy: false
$CS_NATIVE
mount: EINVAL
native diff: no (the test mount failed)
supportsDataOnlyLayers:
mount: EINVAL
$CS_CTR
overlay $CS_CTR_OPTS" \
    "rovl refuses metacopy=on and data-only layers (EINVAL, which containers/storage reads as 'not supported': it drops metacopy=on from its mounts); both end with naive diff, overlayfs because metacopy=on turns redirect_dir on" \
    'P=$T/cs-meta; fresh $P
     echo "doesMetacopy (MS_NODEV, metacopy=on):"
     mkdir -p $P/m/l1 $P/m/l2 $P/m/work $P/m/merged; printf "\377" > $P/m/l1/f; chmod 700 $P/m/l1/f
     mc=false
     if tool mount $FSTYPE overlay $P/m/merged nodev "lowerdir=$P/m/l1,upperdir=$P/m/l2,workdir=$P/m/work,metacopy=on"; then
         chmod 600 $P/m/merged/f
         [ "$(tool hasx $P/m/l2/f trusted.overlay.metacopy)" = yes ] && mc=true
         umount $P/m/merged
     fi
     echo "usingMetacopy: $mc"
     echo "doesSupportNativeDiff (with the configured mountopt):"
     native_diff $P nodev metacopy=on
     echo "supportsDataOnlyLayers:"
     mkdir -p $P/c/merged $P/c/lower $P/c/lower-data $P/c/upper $P/c/work
     tool mount $FSTYPE overlay $P/c/merged 0 "lowerdir=$P/c/lower::$P/c/lower-data,upperdir=$P/c/upper,workdir=$P/c/work,metacopy=on" &&
         umount $P/c/merged
     echo "a container (metacopy=on only if usingMetacopy):"
     fresh $GRAPH/$CSID; mkdir -p $GRAPH/$CSID/diff $GRAPH/$CSID/work $GRAPH/$CSID/merged
     x=; [ $mc = true ] && x=,metacopy=on
     tool mount $FSTYPE overlay $GRAPH/$CSID/merged nodev "lowerdir=$DL,upperdir=$GRAPH/$CSID/diff,workdir=$GRAPH/$CSID/work$x" || exit
     chmod 600 $GRAPH/$CSID/merged/top
     echo "top $(cat $GRAPH/$CSID/merged/top) mode $(stat -c %a $GRAPH/$CSID/merged/top), upper: [$(ls $GRAPH/$CSID/diff)]"
     mline $GRAPH/$CSID/merged; umount $GRAPH/$CSID/merged'

check "containers/storage: 128 layers; over a page even with upperdir/workdir relative to the home, so its mount helper opens each lower and mounts upperdir=ABS,workdir=ABS,lowerdir=N:N:...,(a trailing comma) from /proc/self/fd" \
    "data: upperdir=$GRAPH/$CSID/diff,workdir=$GRAPH/$CSID/work,lowerdir=$FDS,
mount: OK
top 127, 129 names
upper: [new]
overlay rw,nodev,relatime,lowerdir=$FDS,upperdir=$GRAPH/$CSID/diff,workdir=$GRAPH/$CSID/work" \
    'fresh $GRAPH/$CSID; mkdir -p $GRAPH/$CSID/diff $GRAPH/$CSID/work $GRAPH/$CSID/merged
     tool mountfrom $FSTYPE $GRAPH overlay $CSID/merged nodev "lowerdir=$ABS,upperdir=$CSID/diff,workdir=$CSID/work" || exit
     echo "top $(cat $GRAPH/$CSID/merged/top), $(ls $GRAPH/$CSID/merged | wc -l) names"
     touch $GRAPH/$CSID/merged/new; echo "upper: [$(ls $GRAPH/$CSID/diff)]"
     mopts $GRAPH/$CSID/merged; umount $GRAPH/$CSID/merged'

# --- systemd ----------------------------------------------------------------------------
check "systemd-sysext merge: lowerdir=meta:ext...:host with MS_RDONLY|MS_NODEV, source sysext; then .systemd-sysext/ written into the meta layer behind the mount, and is_our_mount_point() reads its dev file through the mount" \
    "mount: OK
bin: bar-tool foo-tool host-tool
extensions: foo bar
is_our_mount_point: yes
touch: @M/bin/x: Read-only file system
sysext ro,nodev,relatime,lowerdir=$SXL" \
    'free_mp $M; fresh $SYSX/run; mkdir -p $SYSX/run/meta/usr; chmod 755 $SYSX/run/meta/usr
     tool mount $FSTYPE sysext $M rdonly,nodev "lowerdir=$SXL" || exit
     mkdir -p $SYSX/run/meta/usr/.systemd-sysext
     printf "foo\nbar" > $SYSX/run/meta/usr/.systemd-sysext/extensions
     devnum $M > $SYSX/run/meta/usr/.systemd-sysext/dev
     echo "bin: $(echo $(ls $M/bin))"
     echo "extensions: $(echo $(cat $M/.systemd-sysext/extensions))"
     [ "$(cat $M/.systemd-sysext/dev)" = "$(devnum $M)" ] && echo "is_our_mount_point: yes" || echo "is_our_mount_point: no"
     touch $M/bin/x
     mopts $M; umount $M'

SX_RW="lowerdir=$SXL,upperdir=$SXMUT/usr,workdir=$SXMUT/.systemd-usr-workdir"
check_diff "systemd-sysext --mutable: upperdir=,workdir= and MUTABLE_EXTENSIONS_MOUNT_OPTIONS (redirect_dir=on,noatime,metacopy=off,index=off: noatime becomes MS_NOATIME), MS_NODEV" \
    "mount: OK
rename @M/lib @M/lib2: OK
upper: ./bin ./bin/new-tool ./lib ./lib2
sysext rw,nodev,noatime,$SX_RW,redirect_dir=on,uuid=on" \
    "mount: EINVAL" \
    "rovl refuses redirect_dir=on (it makes no redirects): systemd-sysext's mutable modes fail on rovl unless SYSTEMD_SYSEXT_OVERLAYFS_MOUNT_OPTIONS replaces the defaults (next case)" \
    'free_mp $M; fresh $SYSX/run $SYSX/var
     mkdir -p $SYSX/run/meta/usr $SXMUT/usr $SXMUT/.systemd-usr-workdir
     tool mount $FSTYPE sysext $M nodev,noatime "$SX_RW,redirect_dir=on,metacopy=off,index=off" || exit 0
     echo new > $M/bin/new-tool
     sysops "rename $M/lib $M/lib2"
     echo "upper: $(tree $SXMUT/usr)"
     mline $M; umount $M'

check "systemd-sysext --mutable with SYSTEMD_SYSEXT_OVERLAYFS_MOUNT_OPTIONS=noatime,metacopy=off,index=off (the defaults without redirect_dir=on): a lower directory rename gives EXDEV" \
    "mount: OK
rename @M/lib @M/lib2: EXDEV
upper: ./bin ./bin/new-tool
sysext rw,nodev,noatime,$SX_RW" \
    'free_mp $M; fresh $SYSX/run $SYSX/var
     mkdir -p $SYSX/run/meta/usr $SXMUT/usr $SXMUT/.systemd-usr-workdir
     tool mount $FSTYPE sysext $M nodev,noatime "$SX_RW,metacopy=off,index=off" || exit
     echo new > $M/bin/new-tool
     sysops "rename $M/lib $M/lib2"
     echo "upper: $(tree $SXMUT/usr)"
     mopts $M; umount $M'

MS_STEPS="child: OK
fsmount: OK
mount_setattr: OK
move_mount: OK"
check "systemd mstack: fsopen() here; in a child's own mount namespace each layer cloned, attached at one directory and given as an O_PATH fd (lowerdir+, the rw layer's data/ and work/ as upperdir/workdir), flags ro and userxattr, source, FSCONFIG_CMD_CREATE; fsmount() and mount_setattr() here" \
    "read-only:
$MS_STEPS
merged: a b both, both=2
touch: @M/new: Read-only file system
$MSTK ro,relatime,lowerdir+=$T/mstack/tmp,lowerdir+=$T/mstack/tmp,userxattr
writable:
$MS_STEPS
merged: a b both new, both=2
rw: [data work], data: [new]
$MSTK rw,relatime,lowerdir+=$T/mstack/tmp,lowerdir+=$T/mstack/tmp,upperdir=$T/mstack/tmp/data,workdir=$T/mstack/tmp/work,userxattr" \
    'free_mp $M; fresh $MSTK/rw
     echo "read-only:"
     tool mstack $FSTYPE $MSTK $T/mstack/tmp $M - $MSTK/layer@2 $MSTK/layer@1 || exit
     echo "merged: $(echo $(ls $M)), both=$(cat $M/both)"
     touch $M/new
     mopts $M; umount $M
     echo "writable:"
     tool mstack $FSTYPE $MSTK $T/mstack/tmp $M $MSTK/rw $MSTK/layer@2 $MSTK/layer@1 || exit
     touch $M/new
     echo "merged: $(echo $(ls $M)), both=$(cat $M/both)"
     echo "rw: [$(echo $(ls $MSTK/rw))], data: [$(ls $MSTK/rw/data)]"
     mopts $M; umount $M'

# --- LXC, dracut, OpenWrt ---------------------------------------------------------------
LXC_UP="upperdir=$LXCD/c1/overlay/delta,workdir=$LXCD/c1/overlay/work"
check "LXC ovl_mount(): mount(lower, dest, \"overlay\", MS_MGC_VAL, \"upperdir=...,lowerdir=...,workdir=...\"), the source being the lower path; one lower layer and two (rootfs overlay:A:B:delta)" \
    "mount: OK
hostname c1, delta: ./etc ./etc/hostname
$LXCD/base/rootfs rw,relatime,lowerdir=$LXCD/base/rootfs,$LXC_UP
mount: OK
hostname c1, issue base2, delta: ./etc ./etc/hostname
$LXCD/base/rootfs:$LXCD/base2/rootfs rw,relatime,lowerdir=$LXCD/base/rootfs:$LXCD/base2/rootfs,$LXC_UP" \
    'free_mp $M
     for low in $LXCD/base/rootfs $LXCD/base/rootfs:$LXCD/base2/rootfs; do
         fresh $LXCD/c1; mkdir -p $LXCD/c1/overlay/delta $LXCD/c1/overlay/work
         tool mount $FSTYPE $low $M mgc "upperdir=$LXCD/c1/overlay/delta,lowerdir=$low,workdir=$LXCD/c1/overlay/work" || continue
         echo c1 > $M/etc/hostname
         i=; [ -e $M/etc/issue ] && i=", issue $(cat $M/etc/issue)"
         echo "hostname $(cat $M/etc/hostname)$i, delta: $(tree $LXCD/c1/overlay/delta)"
         mopts $M; umount $M
     done'

DRAC_UP="upperdir=$DRAC/run/overlayfs,workdir=$DRAC/run/ovlwork"
check "dracut 70overlayfs (busybox mount): mount -t overlay LiveOS_rootfs -o lowerdir=/run/rootfsbase,upperdir=/run/overlayfs,workdir=/run/ovlwork, rootfsbase a bind mount, upper and work symbolic links into /run/initramfs/overlay; with rd.overlay.readonly lowerdir=/run/overlayfs-r:/run/rootfsbase" \
    "etc: fstab hostname os-release, upper: ./etc ./etc/hostname ./etc/os-release
LiveOS_rootfs rw,relatime,lowerdir=$DRAC/run/rootfsbase,$DRAC_UP
rd.overlay.readonly:
etc: fstab hostname os-release persisted, upper: ./etc ./etc/hostname ./etc/os-release
LiveOS_rootfs rw,relatime,lowerdir=$DRAC/run/overlayfs-r:$DRAC/run/rootfsbase,$DRAC_UP" \
    'free_mp $M; fresh $DRAC/run
     mkdir -p $DRAC/run/rootfsbase $DRAC/run/initramfs/overlay/overlayfs $DRAC/run/initramfs/overlay/ovlwork
     mount --bind $DRAC/sysroot $DRAC/run/rootfsbase
     ln -s $DRAC/run/initramfs/overlay/overlayfs $DRAC/run/overlayfs
     ln -s $DRAC/run/initramfs/overlay/ovlwork $DRAC/run/ovlwork
     ln -s $DRAC/persist $DRAC/run/overlayfs-r
     for low in $DRAC/run/rootfsbase $DRAC/run/overlayfs-r:$DRAC/run/rootfsbase; do
         case $low in *:*) echo "rd.overlay.readonly:" ;; esac
         rm -rf $DRAC/run/initramfs/overlay/overlayfs $DRAC/run/initramfs/overlay/ovlwork
         mkdir -p $DRAC/run/initramfs/overlay/overlayfs $DRAC/run/initramfs/overlay/ovlwork
         mount -t $FSTYPE LiveOS_rootfs -o "lowerdir=$low,upperdir=$DRAC/run/overlayfs,workdir=$DRAC/run/ovlwork" $M || continue
         echo live > $M/etc/hostname; echo more >> $M/etc/os-release
         echo "etc: $(echo $(ls $M/etc)), upper: $(tree $DRAC/run/overlayfs/)"
         mopts $M; umount $M
     done
     umount $DRAC/run/rootfsbase'

check "dracut 88squash-lib: mount -t overlay overlay -o lowerdir=/squash/root,upperdir=/squash/overlay/upper,workdir=/squash/overlay/work/ /newroot/, upper and work on ramfs (no xattrs, no RENAME_WHITEOUT): create, copy-up, whiteout" \
    "etc: conf, conf: base more
upper: ./etc directory
upper: ./etc/conf regular file
upper: ./etc/old character special file
upper: ./newfile regular file
overlay rw,relatime,$DSQ_OPTS" \
    'free_mp $M
     dracut_squash || exit
     echo new > $M/newfile; echo more >> $M/etc/conf; rm $M/etc/old
     echo "etc: $(echo $(ls $M/etc)), conf: $(echo $(cat $M/etc/conf))"
     ( cd $DSQ/squash/overlay/upper && find . | sort | sed 1d | while read -r p; do echo "upper: $p $(stat -c %F $p)"; done )
     mopts $M; umount $M
     fresh $DSQ'

check "OpenWrt fstools: find_filesystem() (\"overlay\" in /proc/filesystems), ramoverlay(): a tmpfs at /tmp/root, then fopivot(): mount(\"overlayfs:/tmp/root\", \"/mnt\", \"overlay\", MS_NOATIME, \"lowerdir=/,upperdir=/tmp/root/upper,workdir=/tmp/root/work\"); find_overlay_mount() in /proc/mounts" \
    "find_filesystem: found
mount: OK
bin/busybox: there
upper/etc: config-test
find_overlay_mount: found
overlayfs:$OWRT/root rw,noatime,lowerdir=/,upperdir=$OWRT/root/upper,workdir=$OWRT/root/work" \
    'free_mp $M; fresh $OWRT; mkdir -p $OWRT/root
     grep -q "$FSTYPE" /proc/filesystems && echo "find_filesystem: found"
     mount -t tmpfs -o noatime,mode=0755 tmpfs $OWRT/root
     mkdir $OWRT/root/upper $OWRT/root/work
     tool mount $FSTYPE overlayfs:$OWRT/root $M noatime "lowerdir=/,upperdir=$OWRT/root/upper,workdir=$OWRT/root/work" || exit
     [ -x $M/bin/busybox ] && echo "bin/busybox: there"
     echo "option x" > $M/etc/config-test
     echo "upper/etc: $(echo $(ls $OWRT/root/upper/etc))"
     grep -q "^overlayfs:$OWRT/root " /proc/mounts && echo "find_overlay_mount: found"
     mopts $M; umount $M; umount $OWRT/root'

# --- what overlayfs shows in /proc/mounts beyond rovl -----------------------------------
check_diff "/proc/mounts, a new upper layer (Docker's container): overlayfs adds uuid=on" \
    "overlay rw,relatime,lowerdir=$DL,$DUP,uuid=on" \
    "overlay rw,relatime,lowerdir=$DL,$DUP" \
    "overlayfs upgrades uuid=auto to uuid=on for a new upper layer and keeps a uuid in trusted.overlay.uuid; rovl writes no uuid xattr (README: Deliberate differences) and shows no uuid=" \
    'fresh $GRAPH/$CID; mkdir -p $GRAPH/$CID/diff $GRAPH/$CID/work $GRAPH/$CID/merged
     tool mount $FSTYPE overlay $GRAPH/$CID/merged 0 "index=off,lowerdir=$DL,$DUP" > /dev/null || exit
     mline $GRAPH/$CID/merged; umount $GRAPH/$CID/merged'

check_diff "/proc/mounts, no upper layer (systemd-sysext): overlayfs adds redirect_dir=on" \
    "sysext ro,nodev,relatime,lowerdir=$SXL,redirect_dir=on" \
    "sysext ro,nodev,relatime,lowerdir=$SXL" \
    "overlayfs turns its default redirect_dir=follow into on without an upper layer and shows it; rovl follows no redirects and shows none (README: Deliberate differences)" \
    'free_mp $M; fresh $SYSX/run; mkdir -p $SYSX/run/meta/usr
     tool mount $FSTYPE sysext $M rdonly,nodev "lowerdir=$SXL" > /dev/null || exit
     mline $M; umount $M'

check_diff "/proc/mounts, userxattr (Docker or containerd in a user namespace, systemd mstack): overlayfs adds redirect_dir=nofollow" \
    "overlay rw,relatime,lowerdir=$DL,$DUP,redirect_dir=nofollow,uuid=on,userxattr" \
    "overlay rw,relatime,lowerdir=$DL,$DUP,userxattr" \
    "userxattr makes overlayfs's redirect_dir nofollow, which it shows; rovl follows no redirects in any mode and shows no redirect_dir= (nor uuid=on)" \
    'fresh $GRAPH/$CID; mkdir -p $GRAPH/$CID/diff $GRAPH/$CID/work $GRAPH/$CID/merged
     tool mount $FSTYPE overlay $GRAPH/$CID/merged 0 "index=off,userxattr,lowerdir=$DL,$DUP" > /dev/null || exit
     mline $GRAPH/$CID/merged; umount $GRAPH/$CID/merged'

check_diff "/proc/mounts, an upper layer without xattrs (dracut's ramfs): overlayfs adds redirect_dir=nofollow,uuid=null" \
    "overlay rw,relatime,$DSQ_OPTS,redirect_dir=nofollow,uuid=null" \
    "overlay rw,relatime,$DSQ_OPTS" \
    "overlayfs falls back to redirect_dir=nofollow and uuid=null when the upper filesystem takes no trusted.* xattrs, and shows both; rovl shows neither" \
    'free_mp $M
     dracut_squash || exit
     mline $M; umount $M
     fresh $DSQ'
finish
