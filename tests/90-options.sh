#!/bin/sh
# Mount options through both interfaces: the new mount API (fsopen/fsconfig/
# fsmount, with lowerdir+ and the fs_context log), and a seeded fuzzer of
# malformed option strings through mount(2) and fsconfig. Every rejected mount
# must fail with an errno (never crash or leak: the harness checks the kernel
# log and kmemleak) and, for rovl, say why in a line starting "rovl:".
. "$(dirname "$0")/lib.sh"
plan 17
setup
need_hpy "mount option"

mkdir -p "$T/a/d" "$T/b/d" "$T/c"
echo a > "$T/a/d/fa"; echo b > "$T/b/d/fb"; echo c > "$T/c/fc"

# fsmount.py FSTYPE KEY=VALUE...: builds a mount with fsopen/fsconfig/fsmount,
# attaches it at $M with move_mount, and prints the fs_context log on failure.
FSMOUNT='
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
SYS_fsopen, SYS_fsconfig, SYS_fsmount, SYS_move_mount = 430, 431, 432, 429
SET_FLAG, SET_STRING, CMD_CREATE = 0, 1, 6
def call(*a):
    r = libc.syscall(*a)
    return r, ctypes.get_errno()
def log(fd):
    out = []
    buf = ctypes.create_string_buffer(512)
    while True:
        n = libc.read(fd, buf, 511)
        if n <= 0:
            return out
        out.append(buf.raw[:n].decode(errors="replace").strip())
fstype = sys.argv[1].encode()
fd, e = call(SYS_fsopen, fstype, 0)
if fd < 0:
    sys.exit("fsopen: " + os.strerror(e))
for kv in sys.argv[2:]:
    k, _, v = kv.partition("=")
    if v:
        r, e = call(SYS_fsconfig, fd, SET_STRING, k.encode(), v.encode(), 0)
    else:
        r, e = call(SYS_fsconfig, fd, SET_FLAG, k.encode(), None, 0)
    if r < 0:
        print("fsconfig %s: %s" % (k, os.strerror(e)))
        print("log:", [l.split(": ", 1)[-1] for l in log(fd)])
        sys.exit(0)
r, e = call(SYS_fsconfig, fd, CMD_CREATE, None, None, 0)
if r < 0:
    print("create:", os.strerror(e))
    print("log:", [l.split(": ", 1)[-1] for l in log(fd)])
    sys.exit(0)
mfd, e = call(SYS_fsmount, fd, 0, 0)
if mfd < 0:
    sys.exit("fsmount: " + os.strerror(e))
r, e = call(SYS_move_mount, mfd, b"", -100, os.environ["M"].encode(), 4)
if r < 0:
    sys.exit("move_mount: " + os.strerror(e))
print("mounted")
'
export FSMOUNT

check "fsconfig: lowerdir+ one layer per call; /proc/mounts lists them" "mounted
d fc
fa fb
lowerdir+=@T/a,lowerdir+=@T/b,lowerdir+=@T/c" \
    'hpy -c "$FSMOUNT" $FSTYPE lowerdir+=$T/a lowerdir+=$T/b lowerdir+=$T/c || exit
     echo $(ls $M); echo $(ls $M/d)
     grep " $M " /proc/mounts | grep -o "lowerdir[^ ]*" | sed "s/,redirect_dir=[a-z]*//"; umount $M'
check_diff "fsconfig: errors reach the fs_context log" "fsconfig lowerdir+: No such file or directory
log: []
fsconfig lowerdir+: Invalid argument
log: ['lowerdir+ and datadir+ cannot follow lowerdir']
create: Invalid argument
log: []" "fsconfig lowerdir+: No such file or directory
log: [\"failed to resolve '@T/nope': -2\"]
fsconfig lowerdir+: Invalid argument
log: ['lowerdir+ and datadir+ cannot follow lowerdir']
create: Invalid argument
log: [\"missing 'lowerdir'\"]" "overlayfs reports some errors to dmesg only; rovl also puts them in the fsopen() log" \
    'hpy -c "$FSMOUNT" $FSTYPE lowerdir+=$T/nope
     hpy -c "$FSMOUNT" $FSTYPE lowerdir=$T/a:$T/b lowerdir+=$T/c
     hpy -c "$FSMOUNT" $FSTYPE'

# The fuzzer: option strings built from pieces that matter to the parser
# (keys, separators, escapes, layer paths good and bad, huge values), with a
# fixed seed. It prints one line per errno seen (sorted), so the two
# filesystems can be compared where they should agree.
FUZZ='
import ctypes, os, random, sys
libc = ctypes.CDLL(None, use_errno=True)
T, M, fstype, mode = os.environ["T"], os.environ["M"], sys.argv[1], sys.argv[2]
rng = random.Random(20261122)
good = [T + "/a", T + "/b", T + "/c"]
bad = [T + "/nope", T + "/c/fc", "", "relative/x", T + "/a/../b", "/" * 300, "x" * 5000,
       T + "/a\\:b", T + "/a\\", M, T]
keys = ["lowerdir", "lowerdir+", "source", "ro", "bogus", "", "lowerdir=", "=", "datadir+"]
def layer_list():
    n = rng.choice([0, 1, 2, 3, 5, 40])
    sep = rng.choice([":", ":", ":", "::", "\\:", ","])
    return sep.join(rng.choice(good if rng.random() < 0.7 else bad) for _ in range(n))
def opts():
    parts = []
    for _ in range(rng.choice([1, 1, 2, 3])):
        k = rng.choice(keys)
        v = layer_list() if k.startswith("lowerdir") else rng.choice(["", "x", "on", layer_list()])
        parts.append(k + ("=" + v if rng.random() < 0.9 else ""))
    s = rng.choice([",", ",,", ", "]).join(parts)
    return rng.choice(["", ",", "\\"]) + s + rng.choice(["", ",", "\\"])
def by_mount(o):
    r = libc.mount(b"none", M.encode(), fstype.encode(), 0, o.encode())
    e = ctypes.get_errno() if r < 0 else 0
    if r == 0:
        libc.umount2(M.encode(), 0)
    return e
def by_fsconfig(o):
    fd = libc.syscall(430, fstype.encode(), 0)
    if fd < 0:
        return ctypes.get_errno()
    try:
        for part in o.split(","):
            k, eq, v = part.partition("=")
            if eq:
                r = libc.syscall(431, fd, 1, k.encode(), v.encode(), 0)
            else:
                r = libc.syscall(431, fd, 0, k.encode(), None, 0)
            if r < 0:
                return ctypes.get_errno()
        if libc.syscall(431, fd, 6, None, None, 0) < 0:
            return ctypes.get_errno()
        mfd = libc.syscall(432, fd, 0, 0)
        if mfd < 0:
            return ctypes.get_errno()
        os.close(mfd)
        return 0
    finally:
        os.close(fd)
if len(sys.argv) > 4 and sys.argv[4] == "writable":
    # upperdir= and workdir= too: good pairs (per filesystem, so the two never share an
    # upper), and bad ones: missing, files, the mount point, inside a lower layer, a lower
    # inside them, on another filesystem, relative, the same directory twice.
    U, W = T + "/up-" + fstype, T + "/wk-" + fstype
    for d in (U, W):
        os.makedirs(d, exist_ok=True)
    ups = [U, U, U, T + "/nope", T + "/c/fc", M, T + "/a/d", T, "/proc", "relative", W, ""]
    wks = [W, W, W, T + "/nope", U, U + "/x", "/sys", "", T + "/c/fc"]
    keys[:] = ["lowerdir", "lowerdir", "upperdir", "workdir", "lowerdir+", "bogus", "volatile",
               "index", "upperdir", "workdir"]
    plain_layer_list = layer_list
    def layer_list():
        return plain_layer_list()
    def opts():
        parts = []
        for _ in range(rng.choice([2, 3, 3, 4, 5])):
            k = rng.choice(keys)
            if k == "upperdir":
                v = rng.choice(ups)
            elif k == "workdir":
                v = rng.choice(wks)
            elif k.startswith("lowerdir"):
                v = layer_list()
            else:
                v = rng.choice(["", "on", "off", "x"])
            parts.append(k + ("=" + v if rng.random() < 0.92 else ""))
        if not any(p.startswith("upperdir") for p in parts):
            # Always an upperdir (good or bad): a single lower layer without one mounts on
            # rovl only, the deliberate difference 10-mount.sh tests.
            parts.insert(rng.randrange(len(parts) + 1), "upperdir=" + rng.choice(ups))
        return ",".join(parts)
seen = set()
for i in range(int(sys.argv[3])):
    e = (by_mount if mode == "mount" else by_fsconfig)(opts())
    seen.add(os.strerror(e) if e else "mounted")
print("\n".join(sorted(seen)))
'
export FUZZ
check "fuzzed mount(2) option strings: the same set of outcomes" \
    "$(run_on overlay 'hpy -c "$FUZZ" overlay mount 400')" \
    'hpy -c "$FUZZ" $FSTYPE mount 400'
check "fuzzed fsconfig calls: the same set of outcomes" \
    "$(run_on overlay 'hpy -c "$FUZZ" overlay fsconfig 400')" \
    'hpy -c "$FUZZ" $FSTYPE fsconfig 400'
check "fuzzed writable mount(2) option strings (upperdir, workdir): the same set of outcomes" \
    "$(run_on overlay 'hpy -c "$FUZZ" overlay mount 300 writable')" \
    'hpy -c "$FUZZ" $FSTYPE mount 300 writable'
check "fuzzed writable fsconfig calls (upperdir, workdir): the same set of outcomes" \
    "$(run_on overlay 'hpy -c "$FUZZ" overlay fsconfig 300 writable')" \
    'hpy -c "$FUZZ" $FSTYPE fsconfig 300 writable'
check_rovl "fuzzed option strings: every rejected rovl mount logged a 'rovl:' line" "ok" \
    'mark="rovl-test-mark-$$-$(date +%s)"; echo "$mark" > /dev/kmsg; n=$(hpy -c "
import ctypes, os, random
libc = ctypes.CDLL(None, use_errno=True)
rng = random.Random(7)
T, M = os.environ[\"T\"], os.environ[\"M\"]
fails = 0
for i in range(200):
    o = rng.choice([\"lowerdir=\", \"bogus\", \"lowerdir=\" + T + \"/nope\", \"lowerdir=\" + T + \"/c/fc\",
                    \"lowerdir=\" + T + \"/a:\" + T + \"/a\", \"lowerdir=:\" + T + \"/a\", \"datadir+=x\",
                    \"lowerdir=\" + \":\".join([T + \"/a\"] * 501), \"upperdir=\" + T])
    if libc.mount(b\"none\", M.encode(), b\"rovl\", 0, o.encode()) < 0:
        fails += 1
    else:
        libc.umount2(M.encode(), 0)
print(fails)
"); logged=$(dmesg | sed -n "/$mark/,\$p" | grep -c "rovl: ")
     [ "$n" -gt 0 ] && [ "$logged" -ge "$n" ] && echo ok || echo "failed $n, logged $logged"'
check "a 4000-byte layer name through mount(2): ENAMETOOLONG" \
    "mount: mounting none on @M failed: File name too long" \
    'mount -t $FSTYPE -o lowerdir=$T/a:$T/$(printf "%04000d" 0) none $M; true'
# overlayfs options: userxattr, uuid=, and the options of features rovl lacks
mkdir -p "$T/u1/op" "$T/u2/op" "$T/u1/xw" "$T/u2/xw" "$T/u1/tr" "$T/u2/tr" "$T/w"
echo mine > "$T/u1/op/mine"; echo below > "$T/u2/op/below"
hostrun /usr/bin/setfattr -n user.overlay.opaque -v y "$T/u1/op"
echo gone > "$T/u2/xw/gone"; : > "$T/u1/xw/gone"; echo kept > "$T/u2/xw/kept"
hostrun /usr/bin/setfattr -n user.overlay.whiteout -v y "$T/u1/xw/gone"
hostrun /usr/bin/setfattr -n user.overlay.opaque -v x "$T/u1/xw"
echo top > "$T/u1/tr/top"; echo low > "$T/u2/tr/low"
hostrun /usr/bin/setfattr -n trusted.overlay.opaque -v y "$T/u1/tr"
hostrun /usr/bin/setfattr -n user.colour -v red "$T/u1/op/mine"
check "userxattr: user.overlay.* marks opaque dirs and whiteouts, and is hidden; trusted.overlay.* is not ours then" \
    "mine
kept
low top
user.colour
userxattr" \
    'mount -t $FSTYPE -o lowerdir=$T/u1:$T/u2,userxattr none $M || exit
     echo $(ls $M/op); echo $(ls $M/xw); echo $(ls $M/tr)
     hostrun /usr/bin/getfattr -m - --absolute-names $M/op/mine $M/op 2>&1 | grep -v "^#" | grep .
     grep " $M " /proc/mounts | grep -o userxattr; umount $M'
check "statfs f_fsid: zero by default (uuid=auto), the top layer's with uuid=off" \
    "0 $(stat -f -c %i "$T/u1") uuid=off" \
    'mount -t $FSTYPE -o lowerdir=$T/u1:$T/u2 none $M || exit; a=$(stat -f -c %i $M); umount $M
     mount -t $FSTYPE -o lowerdir=$T/u1:$T/u2,uuid=off none $M || exit
     echo $((0x$a)) $(stat -f -c %i $M) $(grep " $M " /proc/mounts | grep -o "uuid=[a-z]*"); umount $M'
mkdir -p "$T/dd" "$T/fs1/d"; echo lower > "$T/fs1/d/f"
check_diff "options of features rovl lacks: 'off' values mount, 'on' values are refused (metacopy=on must stay EINVAL: containers/storage reads it as 'not supported'), datadir+ too" \
    "mounted
xino=on: ok
metacopy=on: ok
redirect_dir=follow: ok
datadir+: ok" "mounted
xino=on: Invalid argument
metacopy=on: Invalid argument
redirect_dir=follow: Invalid argument
datadir+: Invalid argument" \
    "rovl has no xino, metacopy, redirect following or data-only layers yet" \
    'mount -t $FSTYPE -o lowerdir=$T/u1:$T/u2,index=off,xino=off,metacopy=off,redirect_dir=nofollow,nfs_export=off,verity=off,volatile,workdir=$T/w none $M && echo mounted; umount $M
     for o in xino=on metacopy=on redirect_dir=follow; do
         if mount -t $FSTYPE -o lowerdir=$T/u1:$T/u2,$o none $M 2>/dev/null; then echo "$o: ok"; umount $M
         else echo "$o: Invalid argument"; fi
     done
     if mount -t $FSTYPE -o lowerdir+=$T/u1,lowerdir+=$T/u2,datadir+=$T/dd none $M 2>/dev/null; then echo "datadir+: ok"; umount $M
     else echo "datadir+: Invalid argument"; fi'
check "default_permissions: taken and shown in /proc/mounts (overlayfs 7.3 checks permissions the same with it)" \
    "default_permissions" \
    'mount -t $FSTYPE -o lowerdir=$T/u1:$T/u2,default_permissions none $M || exit
     grep " $M " /proc/mounts | tr ", " "\n\n" | grep -x default_permissions; umount $M'
check "fsync=strict|volatile|auto and volatile over an upper layer: /proc/mounts shows fsync= unless auto (volatile as fsync=volatile), the last one counts; copy-up works with each" \
    "fsync=strict: lower more fsync=strict
fsync=volatile: lower more fsync=volatile
volatile: lower more fsync=volatile
fsync=auto: lower more
volatile,fsync=auto: lower more
fsync=auto,volatile: lower more fsync=volatile
fsync=strict,volatile: lower more fsync=volatile" \
    'for o in fsync=strict fsync=volatile volatile fsync=auto volatile,fsync=auto fsync=auto,volatile fsync=strict,volatile; do
         rm -rf $U $W; mkdir -p $U $W
         mount -t $FSTYPE -o lowerdir=$T/fs1,upperdir=$U,workdir=$W,$o none $M || continue
         echo more >> $M/d/f; touch $M/d
         echo $o: $(cat $M/d/f) $(grep " $M " /proc/mounts | tr ", " "\n\n" | grep "^fsync=")
         umount $M
     done'
check "without an upper layer volatile is dropped, fsync=strict stays (and is shown)" \
    "volatile: mounted
fsync=strict: mounted fsync=strict" \
    'for o in volatile fsync=strict; do
         mount -t $FSTYPE -o lowerdir=$T/u1:$T/u2,$o none $M || continue
         echo $o: mounted $(grep " $M " /proc/mounts | tr ", " "\n\n" | grep "^fsync=")
         umount $M
     done'
check "flags with a value, enums without one or with a bad one, 'no' forms of other flags: EINVAL; override_creds and nooverride_creds through mount(2)" \
    "fsync=bogus: refused
fsync: refused
volatile=1: refused
default_permissions=1: refused
userxattr=on: refused
override_creds=1: refused
nooverride_creds=1: refused
nouserxattr: refused
override_creds: mounted
nooverride_creds: mounted" \
    'for o in fsync=bogus fsync volatile=1 default_permissions=1 userxattr=on override_creds=1 nooverride_creds=1 nouserxattr override_creds nooverride_creds; do
         if mount -t $FSTYPE -o lowerdir=$T/u1:$T/u2,$o none $M 2>/dev/null; then echo "$o: mounted"; umount $M
         else echo "$o: refused"; fi
     done'
# mount(2) with the option string as given, printing each string's last option and
# the result
RAWMOUNT='
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
for o in sys.argv[2:]:
    r = libc.mount(b"none", os.environ["M"].encode(), sys.argv[1].encode(), 0, o.encode())
    e = ctypes.get_errno()
    print("%s: %s" % (o.split(",")[-1], "mounted" if r == 0 else os.strerror(e)))
    if r == 0:
        libc.umount2(os.environ["M"].encode(), 0)
'
export RAWMOUNT
check "noatime, nodev, nosuid are the VFS's mount flags (mount(8) and fsmount() give them), never the filesystem's options: in the option string they are unknown (EINVAL), as is context= in a kernel without an LSM" \
    "nosuid
nodev
noatime
noatime: Invalid argument
nodev: Invalid argument
context=system_u:object_r:tmp_t:s0: Invalid argument
fsopen: OK
flag nodev: EINVAL
str lowerdir @T/u1:@T/u2: OK
create: OK
mount nodev noatime: OK
nodev
noatime" \
    'mount -t $FSTYPE -o lowerdir=$T/u1:$T/u2,noatime,nodev,nosuid none $M || exit
     for o in nosuid nodev noatime; do grep " $M " /proc/mounts | tr ", " "\n\n" | grep -x $o; done; umount $M
     hpy -c "$RAWMOUNT" $FSTYPE "lowerdir=$T/u1:$T/u2,noatime" "lowerdir=$T/u1:$T/u2,nodev" \
         "lowerdir=$T/u1:$T/u2,context=system_u:object_r:tmp_t:s0"
     fsc $FSTYPE fsopen "flag nodev" "str lowerdir $T/u1:$T/u2" create "mount nodev noatime"
     is_mounted $M || exit
     for o in nodev noatime; do grep " $M " /proc/mounts | tr ", " "\n\n" | grep -x $o; done; umount $M'
check "upperdir= and workdir= lose their backslash escapes (a comma in the names); /proc/mounts shows them as given" \
    'new
upperdir=@U\134\054x
workdir=@W\134\054x' \
    'rm -rf "$U,x" "$W,x"; mkdir -p "$U,x" "$W,x"
     mount -t $FSTYPE -o "lowerdir=$T/u1,upperdir=$U\\,x,workdir=$W\\,x" none $M || exit
     touch $M/new; ls "$U,x"
     grep " $M " /proc/mounts | tr ", " "\n\n" | grep -E "^(upperdir|workdir)="; umount $M'
finish
