# tests/lib.sh: helpers for the rovl kselftest-style tests (busybox sh).
#
# A test file sources this, states its plan and builds its layers:
#
#   . "$(dirname "$0")/lib.sh"
#   plan 3
#   setup                      # fresh tmpfs at $T (noatime), empty $L = $T/lower
#   mkdir -p "$L/a"; ...        # build the lower layer
#   mount_both                 # overlay at $T/overlay, rovl at $T/rovl, both -o lowerdir=$L
#   check "readdir" "$(ls $L)" 'ls $M'
#   finish
#
# The overlay reference: overlayfs refuses a single lower layer without an
# upper ("at least 2 lowerdir are needed while upperdir nonexistent", EINVAL),
# rovl accepts it (that is rovl's point). So the reference overlay mount gets
# a second, empty lower layer $E: lowerdir=$L:$E. Outputs drop ":$E", so
# /proc/mounts compares. The one visible effect: overlay's root directory is
# then a merged directory (nlink 1, merged readdir); tests that look at the
# root's nlink mark that with check_diff. Use `mnt FSTYPE LOWER MNT [OPTS]`
# (or "$(lower_opt LOWER)") to mount in a snippet: it adds ":$E" for overlay.
#
# Comparison rule (check): the shell snippet runs twice, once with FSTYPE=overlay
# and M=$T/overlay, once with FSTYPE=rovl and M=$T/rovl (L and T are the same
# both times: both filesystems are mounted on the very same lower directory).
# Its stdout+stderr is captured, "rc=N" is appended when it exits non-zero,
# and the paths are normalised ($M -> @M, $L -> @L, $T -> @T). The case passes
# only if overlay's output equals EXPECTED (the test's own statement of the
# right answer: a case that fails on overlay is a wrong test) AND rovl's output
# equals overlay's. After mount_both, a snippet whose $M is not mounted is
# not run at all (its output is "NOT MOUNTED: @M"), so a failed mount can never
# pass by acting on the empty mount-point directory. Snippets see FSTYPE, M,
# L, T, E and whatever the test exported.
#   check_diff DESC EXP_OVERLAY EXP_ROVL REASON SNIPPET
#              a deliberate, documented difference between rovl and overlay
#   check_rovl DESC EXPECTED SNIPPET
#              rovl only (no overlay counterpart, e.g. module unloading)
#   skip DESC REASON
#
# Host tools: the host root is mounted read-only over 9p at /host. Host
# binaries run through the host's dynamic loader with the host's libraries,
# so paths inside the guest stay the same for them (no chroot):
#   hostrun /usr/bin/getfattr -d FILE
#   hpy -c 'import os; ...'          (python3 -S with PYTHONHOME=/host/usr)
#   have_hpy || skip ...             (is the host python usable?)
#   need_hpy WHAT                    (skip the whole file without it)
# Python scripts written to $T run with $T first on sys.path: never name one
# like a stdlib module (mmap.py would shadow mmap); the tests use t_*.py.
# A writable scratch directory of the host is exported twice over 9p, as tags
# scratch and scratch2 (scripts/run-guest.sh), for a layer on 9p that "the
# host" changes through the other mount; tests mount them themselves, each tag
# once at a time (145-revalidate.sh).
#
# The new mount API step by step (tests/t_fsconfig.py, which lists the steps):
#   fsc FSTYPE fsopen "fd lowerdir+ $T/a" "str upperdir $U" ... create mount
# prints one "STEP: OK" or "STEP: ERRNO-NAME" line per step.
#
# Writable mounts (an upper layer): upper_mount mounts each FSTYPE with its
# own upper and work directory, $T/upper-FSTYPE and $T/work-FSTYPE (fresh and
# empty; overlay takes one lower layer when there is an upper, so no $E):
#   upper_mount [LOWERDIRS [EXTRA-OPTS]]   LOWERDIRS defaults to $L
#   upper_reset          unmount both, empty upper and work, mount again
#   upper_umount         unmount both (the directories stay)
# Snippets then also see U (the upper dir) and W (the work dir); outputs
# write them as @U and @W. UPPER_BASE (default $T) moves upper-* and work-*
# to another filesystem (set it before upper_mount; "%t" in it stands for the
# FSTYPE, for one filesystem each). upper_tree DIR prints a canonical
# description of a tree (see there) to compare the upper layers; md5_of FMT
# the md5 of printf FMT (to write down a file's expected checksum).
#
# tests/run.sh also fails a test that leaves a rovl mount or an extra
# reference to the module behind (a leaked superblock).
#
# Output is KTAP (TAP version 13); exit status is kselftest's: 0 pass,
# 1 fail, 4 skip (every case skipped).

export PATH=/sbin:/bin:/usr/sbin:/usr/bin
ROVL_KO=${ROVL_KO:-/lib/modules/rust_ovl.ko}
HOST_ROOT=${HOST_ROOT:-/host}
# the tests directory (helpers such as t_tree.py live there)
_LIB_DIR=$(cd "$(dirname "$0")" && pwd)
# (not /host/lib64/ld-linux-x86-64.so.2: that is an absolute symlink, which
# would resolve to the guest's /lib)
HOST_LD=$HOST_ROOT/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
[ -e "$HOST_LD" ] || HOST_LD=$HOST_ROOT/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
HOST_LIBS=$HOST_ROOT/lib/x86_64-linux-gnu:$HOST_ROOT/usr/lib/x86_64-linux-gnu
FSTYPES="overlay rovl"

_n=0; _pass=0; _fail=0; _skip=0; _plan=0; T=; L=; E=; M=; U=; W=; _need_mount=; _have_hpy=
UPPER_BASE=

plan() {
    _plan=$1
    echo "TAP version 13"
    echo "1..$1"
}

diag() { printf '%s\n' "$*" | sed 's/^/# /'; }
_diag_block() {   # _diag_block LABEL TEXT
    echo "# $1:"
    printf '%s\n' "$2" | sed 's/^/#     /'
}

pass() { _n=$((_n + 1)); _pass=$((_pass + 1)); echo "ok $_n $1"; }
fail() { _n=$((_n + 1)); _fail=$((_fail + 1)); echo "not ok $_n $1"; }
skip() { _n=$((_n + 1)); _skip=$((_skip + 1)); echo "ok $_n $1 # SKIP $2"; }

finish() {
    if [ "$_n" -ne "$_plan" ]; then
        diag "planned $_plan cases, ran $_n"
        _fail=$((_fail + 1))
    fi
    diag "$(basename "$0"): pass:$_pass fail:$_fail skip:$_skip"
    [ "$_fail" -eq 0 ] || exit 1
    [ "$_pass" -gt 0 ] || [ "$_skip" -eq 0 ] || exit 4
    exit 0
}

# run_on FSTYPE SNIPPET: the normalised output of SNIPPET for FSTYPE.
run_on() {
    FSTYPE=$1
    M=${T:-/nonexistent}/$1
    U=$(_upper_base "$1")/upper-$1
    W=$(_upper_base "$1")/work-$1
    if [ -n "$_need_mount" ] && ! is_mounted "$M"; then
        _norm "NOT MOUNTED: $M"
        return
    fi
    _out=$( cd / && export FSTYPE M L T E U W && eval "$2" 2>&1 )
    _rc=$?
    [ "$_rc" -eq 0 ] || _out="$_out
rc=$_rc"
    _norm "$_out"
}

_norm() {
    set -- "$1"
    [ -z "$E" ] || set -- "$@" -e "s|:$E||g"
    # U and W first: they start with $T (and maybe with $M's or $L's text)
    [ -z "$U" ] || set -- "$@" -e "s|$U|@U|g"
    [ -z "$W" ] || set -- "$@" -e "s|$W|@W|g"
    [ -z "$M" ] || set -- "$@" -e "s|$M|@M|g"
    [ -z "$L" ] || set -- "$@" -e "s|$L|@L|g"
    [ -z "$E" ] || set -- "$@" -e "s|$E|@E|g"
    [ -z "$T" ] || set -- "$@" -e "s|$T|@T|g"
    _in=$1; shift
    if [ $# -eq 0 ]; then
        printf '%s\n' "$_in"
    else
        printf '%s\n' "$_in" | sed "$@" || echo "(lib.sh: normalising the output failed)"
    fi
}

# _tool_misuse OUTPUT: the snippet called a tool wrongly (an option busybox
# lacks, a missing applet), so its output would match on both sides whatever
# the filesystems did. Such a case fails, so that it cannot pass by accident.
_tool_misuse() {
    case $1 in
        *"invalid option"*|*"unrecognized option"*|*"applet not found"*|*"BusyBox v"*"multi-call binary"*)
            return 0 ;;
    esac
    return 1
}
# _reject_misuse DESC OUTPUT: fails case DESC (and says why) if OUTPUT shows a
# misused tool; returns 1 otherwise.
_reject_misuse() {
    _tool_misuse "$2" || return 1
    fail "$1"
    diag "the snippet misuses a tool (see the output); fix the test"
    _diag_block output "$2"
}

# _judge DESC EXPECTED OVERLAY_OUTPUT ROVL_OUTPUT [ROVL_LABEL]: the verdict of check(), for
# answers already taken: passes when overlayfs gave EXPECTED and rovl gave the same.
_judge() {
    _exp=$(_norm "$2")
    if _reject_misuse "$1" "$3$4"; then
        :
    elif [ "$3" = "$_exp" ] && [ "$4" = "$3" ]; then
        pass "$1"
    else
        fail "$1"
        [ "$3" = "$_exp" ] || diag "overlay does not give the expected answer: the test itself is wrong"
        _diag_block expected "$_exp"
        _diag_block overlay "$3"
        _diag_block "${5:-rovl}" "$4"
    fi
}

# check DESC EXPECTED SNIPPET
check() {
    _judge "$1" "$2" "$(run_on overlay "$3")" "$(run_on rovl "$3")"
}

# check_diff DESC EXP_OVERLAY EXP_ROVL REASON SNIPPET
check_diff() {
    _eo=$(_norm "$2"); _er=$(_norm "$3")
    _o=$(run_on overlay "$5")
    _r=$(run_on rovl "$5")
    if _reject_misuse "$1 [differs from overlay: $4]" "$_o$_r"; then
        :
    elif [ "$_o" = "$_eo" ] && [ "$_r" = "$_er" ]; then
        pass "$1 [differs from overlay: $4]"
    else
        fail "$1 [differs from overlay: $4]"
        _diag_block "expected (overlay)" "$_eo"
        _diag_block overlay "$_o"
        _diag_block "expected (rovl)" "$_er"
        _diag_block rovl "$_r"
    fi
}

# check_rovl DESC EXPECTED SNIPPET
check_rovl() {
    _exp=$(_norm "$2")
    _r=$(run_on rovl "$3")
    if _reject_misuse "$1 [rovl-only]" "$_r"; then
        :
    elif [ "$_r" = "$_exp" ]; then
        pass "$1 [rovl-only]"
    else
        fail "$1 [rovl-only]"
        _diag_block expected "$_exp"
        _diag_block rovl "$_r"
    fi
}

# setup: a fresh tmpfs for this test's layers and mount points.
setup() {
    T=$(mktemp -d /tmp/rovl-test.XXXXXX)
    mount -t tmpfs -o noatime,mode=755 "rovl-layers" "$T" || { diag "cannot mount tmpfs on $T"; exit 1; }
    L=$T/lower
    E=$T/empty-layer
    mkdir -p "$L" "$E" "$T/overlay" "$T/rovl"
    export T L E
    trap cleanup EXIT
}

# lower_opt LOWER: the lowerdir= option for $FSTYPE (overlay gets ":$E")
lower_opt() {
    if [ "$FSTYPE" = overlay ] && [ -n "$1" ]; then echo "lowerdir=$1:$E"; else echo "lowerdir=$1"; fi
}
# mnt FSTYPE LOWER MOUNTPOINT [EXTRA-OPTIONS]
mnt() {
    _lo=$(FSTYPE=$1 lower_opt "$2")
    mount -t "$1" -o "$_lo${4:+,$4}" none "$3"
}
# mount_both [EXTRA-OPTIONS]: mount overlay at $T/overlay and rovl at $T/rovl on $L.
mount_both() {
    _need_mount=1
    for _t in $FSTYPES; do
        _msg=$(mnt "$_t" "$L" "$T/$_t" "$1" 2>&1) || diag "mount -t $_t failed: $_msg"
    done
}

# stack_mount OPTIONS: mount overlay at $T/overlay and rovl at $T/rovl with the
# very same options (a stack of two or more layers, which overlay takes as is).
stack_mount() {
    _need_mount=1
    for _t in $FSTYPES; do
        _msg=$(mount -t "$_t" -o "$1" none "$T/$_t" 2>&1) || diag "mount -t $_t failed: $_msg"
    done
}
# stack_umount: undo stack_mount.
stack_umount() {
    for _t in $FSTYPES; do umount "$T/$_t" 2>/dev/null; done
    _need_mount=
}

# --- writable mounts ---------------------------------------------------------
# _upper_base FSTYPE: where upper-FSTYPE and work-FSTYPE live: $UPPER_BASE
# (default $T), "%t" in it replaced by FSTYPE (one filesystem per FSTYPE)
_upper_base() {
    _b=${UPPER_BASE:-${T:-/nonexistent}}
    case $_b in *%t*) _b=${_b%%%t*}$1${_b#*%t} ;; esac
    echo "$_b"
}
# upper_mount [LOWERDIRS [EXTRA-OPTS]]: for each FSTYPE, fresh empty
# $UPPER_BASE/upper-FSTYPE and work-FSTYPE, then mount at $T/FSTYPE with
# lowerdir=LOWERDIRS,upperdir=...,workdir=...[,EXTRA-OPTS].
upper_mount() {
    _up_lower=${1:-$L}; _up_extra=$2
    _need_mount=1
    for _t in $FSTYPES; do
        _u=$(_upper_base "$_t")/upper-$_t; _w=$(_upper_base "$_t")/work-$_t
        rm -rf "$_u" "$_w"; mkdir -p "$_u" "$_w"
        _msg=$(mount -t "$_t" -o "lowerdir=$_up_lower,upperdir=$_u,workdir=$_w${_up_extra:+,$_up_extra}" none "$T/$_t" 2>&1) ||
            diag "mount -t $_t failed: $_msg"
    done
}
# upper_umount: unmount both writable mounts (upper and work stay as they are)
upper_umount() {
    for _t in $FSTYPES; do
        while is_mounted "$T/$_t"; do umount "$T/$_t" || break; done
    done
    _need_mount=
}
# upper_reset: start again from an empty upper, with the same layers and options
upper_reset() {
    upper_umount
    upper_mount "$_up_lower" "$_up_extra"
}

# upper_tree DIR: one line per entry of DIR (itself as "."), sorted by path,
# in the form tests/t_tree.py describes: type, mode, owner, size and md5,
# link target, device, xattrs but trusted.overlay.* (except opaque); a
# whiteout as "PATH WHITEOUT".
# Left out on purpose: inode numbers, nlink (overlay shares one whiteout inode
# by hard links), times, directory sizes (the filesystem's business), and
# trusted.overlay.{origin,impure,uuid,...}: overlay writes file handles of
# the lower files and a uuid there, rovl deliberately does not (it has no
# index, no NFS export and no inode-number persistence that would need them).
upper_tree() {
    hpy "$_LIB_DIR/t_tree.py" "$1"
}
# sysops "OP ARG..." ...: run system calls one after the other (in one host
# python, relative paths from the current directory) and print one line each,
# "OP ARG...: OK" (or the value read) or "OP ARG...: ERRNO-NAME". OPs:
#   rename A B | renameat2 A B noreplace|exchange | link A B | symlink TARGET B
#   unlink A | rmdir A | mkdir A | mkfifo A | open A FLAGS (r w rw a c t x:
#   read, write, both, append, create, truncate, exclusive) | pwrite A OFFSET
#   TEXT | append A TEXT | read A | truncate A LEN | fallocate A OFFSET LEN
#   chmod A OCTAL | chown A UID GID | utime A SECONDS | setxattr A NAME VALUE
#   getxattr A NAME | removexattr A NAME | listxattr A | stat A (mode size nlink)
SYSOPS_PY='
import ctypes, errno, os, stat, sys
libc = ctypes.CDLL(None, use_errno=True)
def check(r):
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
def oflags(s):
    f = {"r": os.O_RDONLY, "w": os.O_WRONLY, "rw": os.O_RDWR, "a": os.O_WRONLY | os.O_APPEND}
    acc = "rw" if "rw" in s else next((c for c in "raw" if c in s), "r")
    fl = f[acc]
    for c, v in (("c", os.O_CREAT), ("t", os.O_TRUNC), ("x", os.O_EXCL)):
        if c in s:
            fl |= v
    return fl
def run(op, a):
    if op == "rename": os.rename(a[0], a[1])
    elif op == "renameat2":
        fl = {"noreplace": 1, "exchange": 2}[a[2]]
        check(libc.syscall(316, -100, a[0].encode(), -100, a[1].encode(), fl))
    elif op == "link": os.link(a[0], a[1])
    elif op == "symlink": os.symlink(a[0], a[1])
    elif op == "unlink": os.unlink(a[0])
    elif op == "rmdir": os.rmdir(a[0])
    elif op == "mkdir": os.mkdir(a[0])
    elif op == "mkfifo": os.mkfifo(a[0])
    elif op == "open": os.close(os.open(a[0], oflags(a[1]), 0o644))
    elif op in ("pwrite", "append"):
        fd = os.open(a[0], os.O_WRONLY | (os.O_APPEND if op == "append" else 0))
        try:
            if op == "append": os.write(fd, a[1].encode())
            else: os.pwrite(fd, a[2].encode(), int(a[1]))
        finally: os.close(fd)
    elif op == "read":
        with open(a[0], "rb") as f: return repr(f.read())
    elif op == "truncate": os.truncate(a[0], int(a[1]))
    elif op == "fallocate":
        fd = os.open(a[0], os.O_WRONLY)
        try: os.posix_fallocate(fd, int(a[1]), int(a[2]))
        finally: os.close(fd)
    elif op == "chmod": os.chmod(a[0], int(a[1], 8))
    elif op == "chown": os.chown(a[0], int(a[1]), int(a[2]))
    elif op == "utime": os.utime(a[0], (int(a[1]), int(a[1])))
    elif op == "setxattr": os.setxattr(a[0], a[1], a[2].encode())
    elif op == "getxattr": return os.getxattr(a[0], a[1]).decode(errors="backslashreplace")
    elif op == "removexattr": os.removexattr(a[0], a[1])
    elif op == "listxattr": return " ".join(sorted(os.listxattr(a[0]))) or "(none)"
    elif op == "stat":
        st = os.lstat(a[0])
        return "%o %d %d" % (st.st_mode, st.st_size, st.st_nlink)
    else: sys.exit("sysops: unknown op " + op)
    return "OK"
for arg in sys.argv[1:]:
    w = arg.split(" ")
    try:
        res = run(w[0], w[1:])
    except OSError as e:
        res = errno.errorcode.get(e.errno, str(e.errno))
    print("%s: %s" % (arg, res))
'
sysops() {
    hpy -c "$SYSOPS_PY" "$@"
}
# fsc FSTYPE STEP...: the new mount API step by step (see tests/t_fsconfig.py)
fsc() {
    hpy "$_LIB_DIR/t_fsconfig.py" "$@"
}

# tree_file PATH FMT [MODE [UID:GID]]: upper_tree's line for a regular file
# PATH holding what printf FMT prints (FMT "-": what is on stdin; default
# mode 644, owner 0:0)
tree_file() {
    _tf=$(mktemp)
    # shellcheck disable=SC2059
    if [ "$2" = - ]; then cat > "$_tf"; else printf "$2" > "$_tf"; fi
    echo "$1 f ${3:-644} ${4:-0:0} $(wc -c < "$_tf") $(md5sum < "$_tf" | cut -c1-32)"
    rm -f "$_tf"
}
# md5_of FMT: the md5 of what printf FMT prints
md5_of() {
    # shellcheck disable=SC2059
    printf "$1" | md5sum | cut -c1-32
}

cleanup() {
    _st=$?
    [ -n "$T" ] || exit $_st
    cd /
    for _t in $FSTYPES; do
        while grep -q " $T/$_t " /proc/mounts; do umount "$T/$_t" || break; done
    done
    # anything else a test left mounted below $T, innermost first
    for _m in $(awk -v t="$T/" 'index($2, t) == 1 { print $2 }' /proc/mounts | sort -r); do
        umount "$_m" 2>/dev/null || umount -l "$_m"
    done
    # loop devices backed by files in $T
    for _d in $(losetup -a 2>/dev/null | grep "$T/" | cut -d: -f1); do losetup -d "$_d"; done
    umount "$T" 2>/dev/null || { diag "cannot unmount $T"; umount -l "$T"; }
    rmdir "$T" 2>/dev/null
    exit $_st
}

is_mounted() { grep -q " $1 " /proc/mounts; }


# --- the name "overlay": overlayfs, or rovl loaded as overlay ------------------
# For the drop-in tests, whose clients (the kernel's selftests, podman) know
# the type only as "overlay": they run once with overlayfs behind that name,
# once with rovl (rust_ovl loaded with as_overlay=1), and the answers are
# compared. This needs overlayfs as a module that can be unloaded
# (CONFIG_OVERLAY_FS=m, the test kernel).
#   overlay_swappable        overlayfs is a loadable module here (else: the
#                            reason on stdout, status 1)
#   overlay_name_is overlay|rovl
#                            makes "overlay" that filesystem; prints why not
#                            and returns 1 on failure
#   overlay_name_restore     overlayfs loaded, rust_ovl loaded as "rovl" (the
#                            state run.sh expects after every file); call it
#                            from the file's EXIT trap too
_ROVL_MOD=$(basename "$ROVL_KO" .ko)
overlay_swappable() {
    grep -q "^overlay " /proc/modules && return 0
    if grep -qw overlay /proc/filesystems; then
        echo "overlayfs is built in (CONFIG_OVERLAY_FS=y): the name cannot be freed"
    elif modprobe overlay 2>/dev/null && grep -q "^overlay " /proc/modules; then
        return 0
    else
        echo "no overlayfs module to compare with"
    fi
    return 1
}
overlay_name_is() {
    case $1 in
        overlay)
            if ! grep -q "^overlay " /proc/modules; then
                if grep -q "^$_ROVL_MOD " /proc/modules && ! grep -qw rovl /proc/filesystems; then
                    rmmod "$_ROVL_MOD" || { echo "rmmod $_ROVL_MOD (as overlay) failed"; return 1; }
                fi
                modprobe overlay || { echo "modprobe overlay failed"; return 1; }
            fi
            grep -q "^$_ROVL_MOD " /proc/modules || insmod "$ROVL_KO" ||
                { echo "insmod $ROVL_KO failed"; return 1; } ;;
        rovl)
            grep -q "^$_ROVL_MOD " /proc/modules && ! grep -qw rovl /proc/filesystems && return 0
            if grep -q "^$_ROVL_MOD " /proc/modules; then
                rmmod "$_ROVL_MOD" || { echo "rmmod $_ROVL_MOD failed"; return 1; }
            fi
            if grep -q "^overlay " /proc/modules; then
                rmmod overlay || { echo "rmmod overlay failed (in use?)"; return 1; }
            fi
            insmod "$ROVL_KO" as_overlay=1 || { echo "insmod $ROVL_KO as_overlay=1 failed"; return 1; } ;;
        *) echo "overlay_name_is: overlay or rovl, not '$1'"; return 1 ;;
    esac
    grep -qw overlay /proc/filesystems || { echo "no filesystem 'overlay' registered"; return 1; }
}
overlay_name_restore() {
    overlay_name_is overlay
}
# --- the host's userland as a root of its own ---------------------------------
# For programs that want a whole distribution around them (podman, buildah):
#   hostroot_up R      R becomes a tmpfs (a mount point, so that a container
#                      runtime can pivot_root out of it) with /usr and /etc
#                      bound from the host (read-only 9p), writable tmpfs at
#                      /var, /run, /tmp and /root, the guest's /dev, fresh proc,
#                      sysfs and cgroup2 (created here if the guest has none),
#                      the tests at /tests. Then: chroot R /usr/bin/bash ...
#   umount_below DIR   every mount below DIR (not DIR), innermost first
#   host_has_podman    podman, buildah, crun, conmon, bash and python3 are on
#                      the host (else: what is missing, status 1)
hostroot_up() {
    _hr=$1
    mkdir -p "$_hr" && mount -t tmpfs -o mode=755 hostroot "$_hr" || return 1
    for _d in usr etc proc sys dev var run tmp root tests; do mkdir -p "$_hr/$_d"; done
    for _l in bin lib lib64 sbin; do ln -s "usr/$_l" "$_hr/$_l"; done
    mount --bind "$HOST_ROOT/usr" "$_hr/usr" &&
        mount --bind "$HOST_ROOT/etc" "$_hr/etc" &&
        mount -t proc proc "$_hr/proc" &&
        mount -t sysfs sysfs "$_hr/sys" &&
        mount -t cgroup2 cgroup2 "$_hr/sys/fs/cgroup" &&
        mount --rbind /dev "$_hr/dev" &&
        mount --bind "$_LIB_DIR" "$_hr/tests" || return 1
    for _d in var tmp root; do mount -t tmpfs -o mode=755 "hostroot-$_d" "$_hr/$_d" || return 1; done
    chmod 1777 "$_hr/tmp"
    mkdir -p -m 1777 "$_hr/var/tmp"
}
umount_below() {
    for _m in $(awk -v d="$1/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r); do
        umount "$_m" 2>/dev/null || umount -l "$_m"
    done
}
host_has_podman() {
    _missing=
    for _p in /usr/bin/podman /usr/bin/buildah /usr/bin/crun /usr/bin/conmon /usr/bin/bash /usr/bin/python3; do
        [ -x "$HOST_ROOT$_p" ] || _missing="$_missing $_p"
    done
    [ -z "$_missing" ] && return 0
    echo "not on the host:$_missing (scripts/install-deps.sh installs them)"
    return 1
}

# host tools through the host's loader (see the header)
hostrun() {
    _prog=$1; shift
    "$HOST_LD" --library-path "$HOST_LIBS" "$HOST_ROOT$_prog" "$@"
}
hpy() {
    PYTHONHOME=$HOST_ROOT/usr PYTHONDONTWRITEBYTECODE=1 \
        "$HOST_LD" --library-path "$HOST_LIBS" "$HOST_ROOT/usr/bin/python3" -S "$@"
}
have_hpy() {
    if [ -z "$_have_hpy" ]; then
        [ -x "$HOST_LD" ] && hpy -c 'import ctypes, mmap, os' >/dev/null 2>&1
        _have_hpy=$?
    fi
    return $_have_hpy
}
# need_hpy WHAT: without a usable host python, skip every planned case not
# yet run (as "WHAT case N") and finish; for files whose cases all need it
need_hpy() {
    have_hpy && return 0
    while [ "$_n" -lt "$_plan" ]; do skip "$1 case $((_n + 1))" "no host python"; done
    finish
}

# scenario DESC EXPECTED SNIPPET EXPECTED-UPPER: from an empty upper, SNIPPET
# (run in $M) prints EXPECTED; then the upper layer is EXPECTED-UPPER
scenario() {
    upper_reset
    check "$1" "$2" "cd \$M && { $3
}"
    check "$1: the upper layer" "$4" 'upper_tree $U'
}
