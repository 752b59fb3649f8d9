#!/bin/sh
# rovl under overlayfs's name: the module parameter as_overlay=1 registers the
# filesystem type as "overlay" instead of "rovl" (README.md, "Loading rovl as
# overlay"). Module loading has no overlay counterpart, so most cases are
# rovl-only (check_rovl).
#
# Where "overlay" is registered already (overlayfs built in, as in the test
# kernel today, CONFIG_OVERLAY_FS=y; or loaded), insmod as_overlay=1 must fail
# with EBUSY, say why in a "rovl:" line, and leave nothing loaded or
# registered. A bad value is refused by the kernel's parameter parser (EINVAL);
# as_overlay=0 is the default, "rovl".
#
# The drop-in cases proper need overlayfs as a module this file can unload:
# each records overlayfs's answer first (FSTYPE=overlay, M=$T/overlay), then
# overlayfs is unloaded, rovl loaded as "overlay", and the same snippet must
# give the same answer on rovl (FSTYPE=rovl, M=$T/rovl; snippets mount with
# -t overlay). Then rovl's own view: the kernel log says "rovl:" where the
# fsopen() log says "overlay:", and -t rovl is gone. At the end overlayfs is
# loaded again (modprobe overlay). With overlayfs built in, these are skipped.
#
# The file ends with rust_ovl loaded as "rovl" again, as run.sh expects (also
# when it dies half-way: see rovl_back and the EXIT trap).
. "$(dirname "$0")/lib.sh"
plan 9
setup
echo hello > "$L/file"
MOD=$(basename "$ROVL_KO" .ko)
TAB=$(printf '\t')
export MOD ROVL_KO

# kmark NAME: writes a unique line to the kernel log and prints it, for
# klog_since
kmark() {
    _mk="rovl-test-mark-$$-$(date +%s)-$1"
    echo "$_mk" > /dev/kmsg
    echo "$_mk"
}
# klog_since MARK: the kernel log from MARK on, each repeated line once: busybox's insmod
# tries finit_module() and, when that fails, init_module() again, so every message of a
# failed load comes twice.
klog_since() { dmesg | sed -n "/$1/,\$p" | uniq; }
# no_insmod_path: insmod's error without the module's path ("insmod: ERRNO")
no_insmod_path() { sed "s/^insmod: .*: /insmod: /"; }

# rovl_back: nothing of ours mounted; rust_ovl loaded as "rovl"; overlayfs
# loaded again if this file unloaded it. Prints what failed, if anything.
_unloaded_overlay=
rovl_back() {
    for _m in "$T/rovl" "$T/overlay"; do
        while is_mounted "$_m"; do umount "$_m" || break; done
    done
    if ! grep -qw rovl /proc/filesystems; then
        if grep -q "^$MOD " /proc/modules; then rmmod "$MOD" || echo "rmmod $MOD failed"; fi
    fi
    if [ -n "$_unloaded_overlay" ]; then
        if modprobe overlay; then _unloaded_overlay=; else echo "modprobe overlay failed"; fi
    fi
    if ! grep -q "^$MOD " /proc/modules; then insmod "$ROVL_KO" || echo "insmod $ROVL_KO failed"; fi
}
trap '_st=$?; rovl_back 2>&1 | sed "s/^/# /"; (exit $_st); cleanup' EXIT

# overlay must be registered for the EBUSY case: it is when overlayfs is built
# in; as a module it may need loading
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null
if grep -qw overlay /proc/filesystems; then
    check_rovl "as_overlay=1 where overlay is registered: EBUSY, a rovl: line, nothing left loaded" \
        "insmod: Device or resource busy
rovl: cannot register as filesystem type 'overlay': a filesystem of that name is registered already (built into the kernel, or by another module)
not loaded
0
nodev${TAB}overlay
nodev${TAB}rovl" \
        'rmmod "$MOD" || exit
         mark=$(kmark ebusy)
         insmod "$ROVL_KO" as_overlay=1 2>&1 | no_insmod_path
         klog_since "$mark" | grep -o "rovl: .*"
         grep -q "^$MOD " /proc/modules || [ -e "/sys/module/$MOD" ] || echo "not loaded"
         grep -cw rovl /proc/filesystems
         grep -w overlay /proc/filesystems
         insmod "$ROVL_KO" && grep -w rovl /proc/filesystems'
else
    skip "as_overlay=1 where overlay is registered: EBUSY, a rovl: line, nothing left loaded" \
        "no overlayfs: overlay is not registered"
fi
check_rovl "as_overlay=maybe, or with no value: EINVAL from the kernel's parser, nothing loaded" \
    "insmod: Invalid argument
$MOD: \`maybe' invalid for parameter \`as_overlay'
insmod: Invalid argument
$MOD: \`' invalid for parameter \`as_overlay'
not loaded
nodev${TAB}rovl" \
    'rmmod "$MOD" || exit
     mark=$(kmark einval)
     insmod "$ROVL_KO" as_overlay=maybe 2>&1 | no_insmod_path
     klog_since "$mark" | grep -o "$MOD: .*"
     mark=$(kmark einval-bare)
     insmod "$ROVL_KO" as_overlay 2>&1 | no_insmod_path
     klog_since "$mark" | grep -o "$MOD: .*"
     grep -q "^$MOD " /proc/modules || echo "not loaded"
     insmod "$ROVL_KO" && grep -w rovl /proc/filesystems'
check_rovl "as_overlay=0: registered as rovl, as by default, with no word about it" \
    "nodev${TAB}rovl
0" \
    'rmmod "$MOD" || exit
     mark=$(kmark zero)
     insmod "$ROVL_KO" as_overlay=0 || exit
     grep -w rovl /proc/filesystems
     klog_since "$mark" | grep -c "rovl: registered as"; true'

# --- the drop-in cases -------------------------------------------------------
# dropin_cases HOW: calls HOW DESC EXPECTED SNIPPET for each case that compares
# rovl as overlay with overlayfs (HOW: dropin_record, or dropin_skip)
dropin_cases() {
    "$1" "as overlay: /proc/filesystems lists overlay" "nodev${TAB}overlay" \
        'grep -w overlay /proc/filesystems'
    "$1" "as overlay: a mount's type in /proc/mounts, its statfs magic, its files" "none overlay
794c7630
file" \
        'mount -t overlay -o lowerdir=$L:$E none $M || exit
         awk -v m="$M" "\$2 == m { print \$1, \$3 }" /proc/mounts
         stat -f -c %t $M; ls $M; umount $M'
    _c="as overlay: the fsopen() log gives overlayfs's message, prefixed overlay:"
    if have_hpy || [ "$1" = dropin_skip ]; then
        "$1" "$_c" "fsconfig lowerdir+: Invalid argument
log: ['e overlay: lowerdir+ and datadir+ cannot follow lowerdir']" \
            'hpy -c "$FSLOG" lowerdir=$L:$E lowerdir+=$L'
    else
        skip "$_c" "no host python"
    fi
}
# FSLOG: fsopen("overlay"), one fsconfig per KEY=VALUE argument; at the first
# that fails, its errno and the fs_context log as read (the prefixes kept)
FSLOG='
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.syscall(430, b"overlay", 0)
if fd < 0:
    sys.exit("fsopen: " + os.strerror(ctypes.get_errno()))
for kv in sys.argv[1:]:
    k, _, v = kv.partition("=")
    if libc.syscall(431, fd, 1, k.encode(), v.encode(), 0) < 0:
        print("fsconfig %s: %s" % (k, os.strerror(ctypes.get_errno())))
        out, buf = [], ctypes.create_string_buffer(512)
        while True:
            n = libc.read(fd, buf, 511)
            if n <= 0:
                break
            out.append(buf.raw[:n].decode(errors="replace").strip())
        print("log:", out)
        sys.exit(0)
print("configured")
'
export FSLOG

_dn=0
# dropin_record DESC EXPECTED SNIPPET: runs SNIPPET now, on overlayfs, and
# keeps DESC, EXPECTED, SNIPPET and overlayfs's output for dropin_check
dropin_record() {
    _dn=$((_dn + 1))
    eval "_dd_$_dn=\$1; _de_$_dn=\$2; _ds_$_dn=\$3"
    _o=$(run_on overlay "$3")
    eval "_do_$_dn=\$_o"
}
# dropin_check: each recorded SNIPPET again, on rovl as overlay, judged as
# check judges: overlayfs gave EXPECTED, rovl gives the same
dropin_check() {
    _i=1
    while [ "$_i" -le "$_dn" ]; do
        eval "_d=\$_dd_$_i; _e=\$_de_$_i; _s=\$_ds_$_i; _o=\$_do_$_i"
        _judge "$_d" "$_e" "$_o" "$(run_on rovl "$_s")" "rovl as overlay"
        _i=$((_i + 1))
    done
}
dropin_skip() { skip "$1" "$DROPIN_SKIP"; }

# the rovl-only cases with rovl as overlay, and the way back
C_LOAD="as overlay: loading says so in the kernel log; no rovl type"
C_KLOG="as overlay: the kernel log says rovl: for rovl's messages, the VFS's own name the type; -t rovl is gone"
C_BACK="back: overlayfs loaded again, rust_ovl as rovl"

if ! grep -q "^overlay " /proc/modules; then
    if grep -qw overlay /proc/filesystems; then
        DROPIN_SKIP="overlayfs is built in (CONFIG_OVERLAY_FS=y): the name cannot be freed"
    else
        DROPIN_SKIP="no overlayfs module to compare with"
    fi
    dropin_cases dropin_skip
    for _c in "$C_LOAD" "$C_KLOG" "$C_BACK"; do skip "$_c" "$DROPIN_SKIP"; done
    finish
fi

dropin_cases dropin_record
# overlayfs out, rovl in as overlay; what insmod and the kernel log said
mark=$(kmark swap)
{
    rmmod "$MOD" && rmmod overlay && _unloaded_overlay=1 &&
        insmod "$ROVL_KO" as_overlay=1 && echo loaded
} > "$T/swap.out" 2>&1
klog_since "$mark" | grep -o "rovl: .*" >> "$T/swap.out"

check_rovl "$C_LOAD" "loaded
rovl: registered as filesystem type 'overlay'
0" \
    'cat "$T/swap.out"; grep -cw rovl /proc/filesystems; true'
dropin_check
check_rovl "$C_KLOG" \
    "mount: mounting none on @M failed: Invalid argument
mount: mounting none on @M failed: Invalid argument
mount: mounting none on @M failed: No such device
rovl: missing 'lowerdir'
overlay: Unknown parameter 'bogus'" \
    'mark=$(kmark klog)
     mount -t overlay none $M
     mount -t overlay -o lowerdir=$L:$E,bogus none $M
     mount -t rovl -o lowerdir=$L none $M
     klog_since "$mark" | grep -o -e "rovl: .*" -e "overlay: .*"
     true'
rovl_back > "$T/back.out" 2>&1
check_rovl "$C_BACK" "nodev${TAB}overlay
nodev${TAB}rovl" \
    'cat "$T/back.out"; grep -w -e overlay -e rovl /proc/filesystems | sort'
finish
