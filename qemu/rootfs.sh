#!/bin/sh
# rovl as the root filesystem (rovl.mode=rootfs; issue 14, part 3). Installed in the
# initramfs as /sbin/rovl-rootfs; each stage runs as PID 1:
#
#   stage1  exec'd by /init in the initramfs. Loads the filesystem (rovl.rootfs=rovl, the
#           default, or overlay for the reference run) and builds the stack:
#             base   the guest's own root: the initramfs, copied to a tmpfs (switch_root
#                    empties rootfs, so rootfs itself cannot stay a layer)
#             top    a host directory over 9p, read-only (tag scratch: ROVL_SCRATCH of
#                    scripts/run-guest.sh), as a host's build output would be shared
#             upper  ext4 on the first virtio disk (/dev/vda), upper/ and work/ in it
#           all under /run/layers; mounts lowerdir=top:base at /newroot, moves /dev, /proc,
#           /sys, /tmp, /host, /rovl and /run (with the layers) under it and switch_roots.
#   stage2  exec'd by switch_root, / is the stack. The checks: / is the filesystem, the
#           pseudo filesystems are there, a host file at its path, the layers' order, a
#           write lands in the upper layer (and a copy-up and a whiteout), mount -o
#           remount,ro and rw. Then the shutdown: sync, a tmpfs with busybox, pivot_root
#           into it (the old root at /oldroot: pivot_root out of a running rovl root) and
#           exec its final stage. rovl.shell=1: an interactive shell before the shutdown.
#           rovl.run=wait|shell (make run, scripts/run.sh; issue 14, part 4): the top layer is
#           mounted with cache=none, stage 2 keeps only its first three checks (the ones
#           that do not depend on the host directory's files nor write to /), then:
#             wait   shows the / line of /proc/mounts and cats /hello.txt (a file of the
#                    host directory), prints ROVL-RUN-WAITING-FOR-HOST-EDIT and reads it
#                    again each second, up to rovl.runwait=N seconds (60), until the host
#                    has changed it (scripts/run.sh does, when it sees the marker); prints
#                    the new content, "ROVL-RUN-SEEN ..." (or "ROVL-RUN-NOT-SEEN ...") and
#                    one case for it
#             shell  prints how to try it (rovl.share=PATH: the host's name of the directory)
#                    and runs a shell on the root, as rovl.shell=1
#           then the same shutdown.
#   final   on the tmpfs: moves /dev, /proc, /sys back out, the disk to /disk, unmounts the
#           rest and then the old root (not busy: nothing runs from it any more), unmounts
#           the disk (ext4 clean on the disk: scripts/test-rootfs.sh looks at it after the
#           boot), unloads the module, kmemleak, totals, end marker, power off.
#
# The results are KTAP, one plan over the three stages (the counts travel in the
# environment: switch_root and exec keep it); the host judges "# Totals:" and
# "ROVL-GUEST-END" as for the test boot. A stage that cannot go on reports every case it
# did not reach as failed and powers off (PID 1 must not exit: the kernel would panic).
export PATH=/sbin:/bin:/usr/sbin:/usr/bin HOME=/root
# the number of cases: 18 (scripts/test-rootfs.sh judges them); with rovl.run= (make run)
# stage 2 has 3 checks instead of 10, and wait adds the host's edit
set_plan() {
    case ${RT_RUN:-} in
        '') PLAN=18 ;;
        wait) PLAN=12 ;;
        *) PLAN=11 ;;
    esac
}
set_plan
LAYERS=/run/layers
B=$LAYERS/base
TOP=$LAYERS/top
D=$LAYERS/disk
P9OPTS=trans=virtio,version=9p2000.L,msize=524288

ok() { RT_N=$((RT_N + 1)); RT_PASS=$((RT_PASS + 1)); echo "ok $RT_N $1"; }
notok() { RT_N=$((RT_N + 1)); RT_FAIL=$((RT_FAIL + 1)); echo "not ok $RT_N $1"; }
diag() { printf '%s\n' "$*" | sed 's/^/# /'; }
_block() { echo "# $1:"; printf '%s\n' "$2" | sed 's/^/#     /'; }

# check DESC EXPECTED SNIPPET: the snippet's stdout and stderr ("rc=N" added when it
# fails) must be EXPECTED. It runs in a subshell (what it does to the system stays).
check() {
    _out=$(eval "$3" 2>&1)
    _rc=$?
    [ "$_rc" -eq 0 ] || _out="$_out
rc=$_rc"
    if [ "$_out" = "$2" ]; then
        ok "$1"
    else
        notok "$1"
        _block expected "$2"
        _block got "$_out"
    fi
}

# the type of the mount at / (the top of a stack there), FSTYPE when it is the one
# under test
roottype() {
    _rt=$(awk '$5 == "/" { t = $0; sub(/.* - /, "", t); split(t, f, " "); ty = f[1] } END { print ty }' /proc/self/mountinfo)
    [ "$_rt" != "$RT_FS" ] || _rt=FSTYPE
    echo "$_rt"
}
# "ro" or "rw": the mount at / in /proc/mounts
rootopt() {
    awk '$2 == "/" { split($4, o, ","); r = o[1] } END { print r }' /proc/mounts
}

kmemleak_report() {
    k=/sys/kernel/debug/kmemleak
    [ -w $k ] || { echo "rootfs: kmemleak not available"; return; }
    echo "rootfs: kmemleak scan"
    echo scan > $k
    sleep 6            # objects younger than 5 s are never reported
    echo scan > $k
    cat $k
    echo "rootfs: kmemleak done"
}

# the end: every case not reached fails, totals, end marker, power off
finish() {
    while [ "$RT_N" -lt "$PLAN" ]; do notok "not reached: $1"; done
    kmemleak_report
    echo "# Totals: pass:$RT_PASS fail:$RT_FAIL xfail:0 xpass:0 skip:0 error:0"
    rc=0; [ "$RT_FAIL" -eq 0 ] || rc=1
    echo "ROVL-GUEST-END mode=${RT_RUN:+run}${RT_RUN:-rootfs} fs=$RT_FS rc=$rc"
    sync
    poweroff -f
    sleep 3
    reboot -f          # qemu runs with -no-reboot: a reboot ends it too
    sleep 10
    exit "$rc"
}

stage1() {
    RT_N=0; RT_PASS=0; RT_FAIL=0; RT_FS=rovl; RT_SHELL=; RT_RUN=; RT_WAIT=60; RT_SHARE=
    for arg in $(cat /proc/cmdline); do
        case $arg in
            rovl.rootfs=*) RT_FS=${arg#rovl.rootfs=} ;;
            rovl.shell=1) RT_SHELL=1 ;;
            rovl.run=wait) RT_RUN=wait ;;
            rovl.run=shell) RT_RUN=shell; RT_SHELL=1 ;;
            rovl.runwait=*) RT_WAIT=${arg#rovl.runwait=} ;;
            rovl.share=*) RT_SHARE=${arg#rovl.share=} ;;
        esac
    done
    case $RT_WAIT in ''|*[!0-9]*) RT_WAIT=60 ;; esac
    export RT_N RT_PASS RT_FAIL RT_FS RT_SHELL RT_RUN RT_WAIT RT_SHARE
    set_plan
    echo "TAP version 13"
    echo "1..$PLAN"
    diag "rootfs stage 1 (initramfs, PID $$): the stack ($RT_FS) to become the root"

    case $RT_FS in
        rovl) out=$(insmod /lib/modules/rust_ovl.ko 2>&1) ;;
        overlay) out=$(modprobe overlay 2>&1) ;;
        *) out="rovl.rootfs=$RT_FS: rovl or overlay" ;;
    esac
    if grep -qw "$RT_FS" /proc/filesystems; then
        ok "stage 1: $RT_FS loaded"
    else
        notok "stage 1: $RT_FS loaded"
        diag "$out"
        finish "no filesystem"
    fi

    # the layers: base (the initramfs, copied), top (9p), upper and work (ext4 on the disk)
    mkdir -p /run && mount -t tmpfs -o mode=755 run /run &&
        mkdir -p $B $TOP $D && mount -t tmpfs -o mode=755 base $B
    for e in /*; do
        case $e in
            # mount points (their filesystems are moved, not copied) and stage 1's own
            /dev|/proc|/sys|/tmp|/host|/rovl|/run|/newroot) mkdir -p "$B$e" ;;
            *) cp -a "$e" "$B/" ;;
        esac
    done
    chmod 1777 $B/tmp
    echo base > $B/etc/rootfs-layer
    # make run: no 9p cache, so that the host's edits are read fresh (README, "Using it")
    cache=loose
    [ -z "$RT_RUN" ] || cache=none
    mount -t 9p -o "$P9OPTS,ro,cache=$cache" scratch $TOP ||
        diag "no host directory to put on top (9p tag scratch)"
    if [ -b /dev/vda ]; then
        mount -t ext4 /dev/vda $D || diag "cannot mount /dev/vda (ext4)"
    else
        diag "no disk (/dev/vda): the upper layer on a tmpfs"
        mount -t tmpfs -o mode=755 disk $D
    fi
    mkdir -p $D/upper $D/work
    check "stage 1: the layers: the initramfs copied to a tmpfs, the host directory (9p), the disk (ext4)" \
"$B tmpfs
$D ext4
$TOP 9p" \
        'awk -v l=$LAYERS/ '\''index($2, l) == 1 { print $2, $3 }'\'' /proc/mounts | sort'

    mkdir -p /newroot
    out=$(mount -t "$RT_FS" -o "lowerdir=$TOP:$B,upperdir=$D/upper,workdir=$D/work" "$RT_FS" /newroot 2>&1)
    # switch_root's condition: the new root a file system of its own (st_dev differs)
    if [ "$(stat -c %d /newroot)" != "$(stat -c %d /)" ] && [ -x /newroot/sbin/rovl-rootfs ]; then
        ok "stage 1: $RT_FS mounted at /newroot (lowerdir=top:base), stage 2 in it"
    else
        notok "stage 1: $RT_FS mounted at /newroot (lowerdir=top:base), stage 2 in it"
        diag "$out"
        finish "no new root"
    fi

    # what the new root takes along: the pseudo filesystems, the shares, the layers
    moved=; failed=
    for m in $(awk '$2 ~ /^\/(dev|proc|sys|tmp|host|rovl|run)$/ { print $2 }' /proc/mounts); do
        if mount --move "$m" "/newroot$m"; then moved="$moved $m"; else failed="$failed $m"; fi
    done
    if [ -z "$failed" ]; then
        ok "stage 1: moved under /newroot:$moved"
    else
        notok "stage 1: moved under /newroot:$moved"
        diag "mount --move failed for:$failed"
    fi
    echo "rootfs: exec switch_root /newroot /sbin/rovl-rootfs stage2"
    exec switch_root /newroot /sbin/rovl-rootfs stage2
}

# stage 2's checks that need the test's host directory (scripts/test-rootfs.sh's make_top)
# and write to /: not in rovl.run= mode (make run), where the directory is the user's
stage2_checks() {
    check "a file of the host directory at its path in /: /usr/local/bin/rootfs-hello runs" \
        "hello from the host" \
        '/usr/local/bin/rootfs-hello'
    check "the layers' order: the host's /etc/rootfs-layer hides the base's, the base's own files show" \
"host
root:x:0:0:root:/root:/bin/sh" \
        'cat /etc/rootfs-layer; head -n 1 /etc/passwd'
    check "a write lands in the upper layer (ext4 on the disk), not in a lower one" \
"written in the guest
upper: written in the guest
base: -
top: -" \
        'echo "written in the guest" > /root/rootfs-written && cat /root/rootfs-written
         echo "upper: $(cat $D/upper/root/rootfs-written)"
         echo "base: $(cat $B/root/rootfs-written 2>/dev/null || echo -)"
         echo "top: $(cat $TOP/root/rootfs-written 2>/dev/null || echo -)"'
    check "a copy-up from the host directory: an append to /etc/rootfs-layer; the host's file stays" \
"host
appended in the guest
upper: 2 lines
top: host" \
        'echo "appended in the guest" >> /etc/rootfs-layer && cat /etc/rootfs-layer
         echo "upper: $(wc -l < $D/upper/etc/rootfs-layer) lines"
         echo "top: $(cat $TOP/etc/rootfs-layer)"'
    check "deleting a host file leaves a whiteout in the upper layer" \
"rm: ok
ls: /usr/local/share/rootfs/remove-me: No such file or directory
upper: character special file 0,0
top: still there" \
        'rm /usr/local/share/rootfs/remove-me && echo "rm: ok"
         ls /usr/local/share/rootfs/remove-me
         echo "upper: $(stat -c "%F %t,%T" $D/upper/usr/local/share/rootfs/remove-me)"
         [ -e $TOP/usr/local/share/rootfs/remove-me ] && echo "top: still there"'
    check "mount -o remount,ro /: / is read-only, a write fails with EROFS" \
"ro
touch: /root/after-ro: Read-only file system
touch: rc 1" \
        'mount -o remount,ro / && rootopt
         touch /root/after-ro
         echo "touch: rc $?"'
    check "mount -o remount,rw /: writes work again" \
"rw
written" \
        'mount -o remount,rw / && rootopt
         echo "after remount,rw" > /root/after-rw && echo written'
}

# rovl.run=wait (make run without a terminal): the host edits /hello.txt while the guest
# reads it through /; one case: the edit is seen, through / as through the layer's mount
RUN_FILE=/hello.txt
run_wait() {
    echo "rovl: / is $(roottype | sed "s/FSTYPE/$RT_FS/"); its line in /proc/mounts:"
    awk '$2 == "/"' /proc/mounts | sed 's/^/rovl:   /'
    echo "rovl: its top layer, the host directory (9p, no cache):"
    awk -v t=$TOP '$2 == t' /proc/mounts | sed 's/^/rovl:   /'
    if ! before=$(cat $RUN_FILE 2>&1); then
        notok "the host's edit of $RUN_FILE seen through / without a remount"
        diag "cat $RUN_FILE: $before (no $RUN_FILE in the host directory)"
        return
    fi
    echo "rovl: cat $RUN_FILE"
    printf '%s\n' "$before" | sed 's/^/rovl:   | /'
    echo "ROVL-RUN-WAITING-FOR-HOST-EDIT: waiting up to ${RT_WAIT}s for $RUN_FILE to change on the host"
    i=0; now=$before
    while [ "$i" -lt "$RT_WAIT" ]; do
        sleep 1
        i=$((i + 1))
        now=$(cat $RUN_FILE 2>/dev/null) || { now=$before; continue; }
        [ "$now" = "$before" ] || break
    done
    if [ "$now" = "$before" ]; then
        echo "ROVL-RUN-NOT-SEEN: $RUN_FILE unchanged after ${RT_WAIT}s"
        notok "the host's edit of $RUN_FILE seen through / without a remount"
        diag "no change in ${RT_WAIT}s (did the host edit it?)"
        return
    fi
    echo "rovl: $RUN_FILE changed on the host; cat $RUN_FILE after ${i}s:"
    printf '%s\n' "$now" | sed 's/^/rovl:   | /'
    echo "ROVL-RUN-SEEN: the host's edit, seen through / without a remount"
    # the same through the layer's own mount, and no copy in the upper layer
    top=$(cat $TOP$RUN_FILE 2>&1)
    if [ "$top" = "$now" ] && [ ! -e $D/upper$RUN_FILE ]; then
        ok "the host's edit of $RUN_FILE seen through / without a remount (${i}s)"
    else
        notok "the host's edit of $RUN_FILE seen through / without a remount (${i}s)"
        _block "through the top layer's mount ($TOP$RUN_FILE)" "$top"
        [ ! -e $D/upper$RUN_FILE ] || diag "a copy in the upper layer: $D/upper$RUN_FILE"
    fi
}

# rovl.run=shell (make run on a terminal): how to try it, before the shell
run_hint() {
    share=${RT_SHARE:-the host directory (ROVL_SHARE, default out/share/ in the repository)}
    cat <<EOT

rovl: / is $(roottype | sed "s/FSTYPE/$RT_FS/"): the host directory
rovl:     $share
rovl: on top (9p, read-only, no cache), the initramfs below it, the ext4 disk as the
rovl: upper layer (your writes in the guest go there). A file of the host directory is
rovl: at the same path in /: DIR/a/b there is /a/b here.
EOT
    if [ -f $TOP$RUN_FILE ]; then
        hello=
        [ ! -x $TOP/usr/local/bin/hello ] || hello="; hello"
        cat <<EOT
rovl: Try it:
rovl:     cat $RUN_FILE$hello         (here, in the guest)
rovl:     edit ${RUN_FILE#/}${hello:+ or usr/local/bin/hello} in that directory (on the host)
rovl:     cat $RUN_FILE$hello         (here again: the host's change, no remount)
EOT
    fi
    cat <<EOT
rovl: A file the host replaces by a rename, or a name this guest looked up before it
rovl: existed, shows after: echo 2 > /proc/sys/vm/drop_caches (README, "Using it").
rovl: grep ' / ' /proc/mounts shows the stack; exit the shell to shut down cleanly.

EOT
}

stage2() {
    cd /
    diag "rootfs stage 2 (PID $$): / is the stack"
    check "/ is $RT_FS: the type of the mount at / (/proc/self/mountinfo), overlayfs's statfs magic" \
        "/ is FSTYPE, statfs 794c7630" \
        'echo "/ is $(roottype), statfs $(stat -f -c %t /)"'
    check "/dev, /proc and /sys are mounted under the new root" \
"/dev devtmpfs
/proc proc
/sys sysfs" \
        'awk '\''$2 == "/dev" || $2 == "/proc" || $2 == "/sys" { print $2, $3 }'\'' /proc/mounts | sort'
    check "the layers, as /proc/mounts shows them: the host directory over the base, upper and work on the disk" \
"lowerdir=$TOP:$B
upperdir=$D/upper
workdir=$D/work" \
        'awk '\''$2 == "/" { print $4 }'\'' /proc/mounts | tr , "\n" | grep -E "^(lowerdir|upperdir|workdir)="'
    case $RT_RUN in
        '') stage2_checks ;;
        wait) run_wait ;;
        shell) run_hint ;;
    esac

    if [ -n "$RT_SHELL" ]; then
        echo "rootfs: a shell on the $RT_FS root (the layers under $LAYERS); exit it to shut down"
        if [ -n "$RT_RUN" ]; then
            # make run: the host directory's usr/local/bin on the shell's PATH (its hello);
            # only the shell's: the shutdown below keeps the usual one
            PATH=/usr/local/sbin:/usr/local/bin:$PATH setsid cttyhack sh -l
        else
            setsid cttyhack sh -l
        fi
    fi

    # The shutdown: a tmpfs with busybox becomes the root, the stack is unmounted from there.
    echo "rootfs: shutdown: sync, pivot_root into a tmpfs"
    sync
    F=/run/final
    if mkdir -p $F && mount -t tmpfs -o mode=755 final $F &&
        mkdir -p $F/bin $F/oldroot $F/proc $F/sys $F/dev $F/disk &&
        cp /bin/busybox $F/bin/busybox && cp /sbin/rovl-rootfs $F/rovl-rootfs; then
        # the applets' links, to /bin/busybox (what /proc/self/exe names): the copy there
        # once the tmpfs is the root
        /bin/busybox --install -s $F/bin
    else
        diag "cannot make the shutdown root at $F"
    fi
    cd $F
    out=$(pivot_root . oldroot 2>&1)
    if [ "$(stat -c %d /)" = "$(stat -c %d /rovl-rootfs 2>/dev/null)" ] && [ -d /oldroot/run ]; then
        ok "pivot_root out of the $RT_FS root into a tmpfs (the old root at /oldroot)"
        exec chroot . /bin/sh /rovl-rootfs final
    fi
    notok "pivot_root out of the $RT_FS root into a tmpfs (the old root at /oldroot)"
    diag "$out"
    cd /
    sync
    finish "the root could not be left"
}

final() {
    cd /
    diag "rootfs final stage (PID $$): / is a tmpfs, the old root at /oldroot"
    for m in proc sys dev; do mount --move "/oldroot/$m" "/$m" || diag "mount --move /oldroot/$m /$m failed"; done
    mount --move /oldroot$D /disk || diag "mount --move /oldroot$D /disk failed"
    check "the old root's mounts moved out or unmounted, then umount /oldroot ($RT_FS): not busy" \
        "umount /oldroot: ok" \
        'for m in $(awk '\''index($2, "/oldroot/") == 1 { print $2 }'\'' /proc/mounts | sort -r); do
             umount "$m" || echo "umount $m failed"
         done
         umount /oldroot && echo "umount /oldroot: ok"'
    if grep -q " /oldroot " /proc/mounts; then
        diag "still mounted:"; grep " /oldroot" /proc/mounts | sed 's/^/#   /'
        umount -l /oldroot
    fi
    check "the disk (ext4: upper and work) unmounts, its super block is gone" \
"umount /disk: ok
ext4 vda: gone" \
        'umount /disk && echo "umount /disk: ok"
         [ -e /proc/fs/ext4/vda ] && echo "ext4 vda: still there" || echo "ext4 vda: gone"'
    case $RT_FS in rovl) mod=rust_ovl ;; *) mod=$RT_FS ;; esac
    check "rmmod $mod: nothing holds the filesystem any more" \
        "rmmod $mod: ok" \
        'rmmod "$mod" && ! grep -qw "$RT_FS" /proc/filesystems && echo "rmmod $mod: ok"'
    sync
    finish "final stage"
}

case $1 in
    stage1) stage1 ;;
    stage2) stage2 ;;
    final) final ;;
    *) echo "usage: $0 stage1|stage2|final"; exit 2 ;;
esac
# a stage that returns (it should not): report and power off
finish "stage $1 returned"
