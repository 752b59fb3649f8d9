#!/bin/sh
# Real container tools, unmodified, on rovl loaded as "overlay": Debian's
# buildah and podman (with crun and conmon) from the host's userland build a
# 3-layer image, mount it, run a container that changes files, diff and
# commit it, and report containers/storage's own probes (tests/t_podman.sh,
# the scenario). It runs twice in a chroot of the host's root (read-only 9p)
# with fresh tmpfs storage: once with overlayfs behind the name "overlay",
# once with rovl (rust_ovl loaded with as_overlay=1). Each part of the
# scenario is one case: overlayfs must give the expected output (a case that
# fails on overlayfs is a wrong test) and rovl the same.
#
# podman runs rootful, with --network none, --cgroups disabled (the cgroup2
# hierarchy is mounted, no controller is used), the cgroupfs manager, file
# events, crun's default seccomp profile; the image's root file system is
# made here (busybox-static and files of every kind), nothing is pulled.
# Needs overlayfs as a module (CONFIG_OVERLAY_FS=m) and podman, buildah, crun,
# conmon, bash and python3 on the host (scripts/install-deps.sh).
. "$(dirname "$0")/lib.sh"
plan 8
# One run of the scenario may take this long (seconds) before it is stopped.
PODMAN_TIMEOUT=${ROVL_PODMAN_TIMEOUT:-420}

C_SWAP="the name overlay: overlayfs, then rovl loaded as overlay"
C_LAYERS="buildah: from scratch, copy, commit; from, mount, change, commit; copy, commit (3 layers)"
C_TREE="podman image mount: the 3-layer image's merged tree"
C_RUN="podman run: a container writes, deletes, renames, replaces a directory"
C_DIFF="podman diff: the container's changes"
C_COMMIT="podman commit: the new layer's entries (whiteouts, opaque directory)"
C_INFO="podman info: containers/storage's probes (native diff, d_type, metacopy)"
C_END="the scenario ran to its end and left nothing mounted"
ALL="$C_SWAP|$C_LAYERS|$C_TREE|$C_RUN|$C_DIFF|$C_COMMIT|$C_INFO|$C_END"
skip_all() {
    _ifs=$IFS; IFS='|'
    for _c in $ALL; do skip "$_c" "$1"; done
    IFS=$_ifs
    finish
}

why=$(host_has_podman) || skip_all "$why"
why=$(overlay_swappable) || skip_all "$why"

setup
R=$T/root
hostroot_up "$R" || { diag "hostroot_up failed"; }
trap '_st=$?; umount_below "$R/var"; umount_below "$R/run"; overlay_name_restore 2>&1 | sed "s/^/# /"; (exit $_st); cleanup' EXIT
trap 'exit 143' TERM INT

# scenario FS: overlay_name_is FS, then t_podman.sh in the chroot with fresh
# storage; its output in $T/out.FS; afterwards every mount of the storage
# is undone (overlay mounts and containers/storage's private bind mounts),
# so that the module behind "overlay" can be unloaded.
scenario() {
    : > "$T/out.$1"
    if ! _why=$(overlay_name_is "$1" 2>&1); then
        echo "overlay_name_is $1: $_why" > "$T/swap.$1"
        return 1
    fi
    mkdir -p "$R/var/lib/containers"
    mount -t tmpfs -o mode=700 podman-store "$R/var/lib/containers"
    mount -t tmpfs -o mode=755 podman-run "$R/run"
    _t0=$(cut -d. -f1 /proc/uptime)
    timeout -s KILL "$PODMAN_TIMEOUT" chroot "$R" /usr/bin/bash /tests/t_podman.sh /tmp/podman-work \
        > "$T/out.$1" 2>&1
    _rc=$?
    _t1=$(cut -d. -f1 /proc/uptime)
    diag "scenario on $1: exit $_rc, $((_t1 - _t0)) s"
    [ $_rc -ne 137 ] || echo "== killed after ${PODMAN_TIMEOUT} s" >> "$T/out.$1"
    # what the scenario left mounted under the storage (checked in the last case)
    awk -v d="$R/var/lib/containers" -v r="$R/run" \
        'index($2, d) == 1 && $2 != d || index($2, r "/") == 1 { print $3, $2 }' /proc/mounts |
        sed "s|$R|@R|" > "$T/left.$1"
    umount_below "$R/var/lib/containers"; umount "$R/var/lib/containers"
    umount_below "$R/run"; umount "$R/run"
    # the work directory of the scenario (/tmp in the chroot)
    rm -rf "$R/tmp/podman-work"
}
# section FS NAMES: the lines of the scenario's output on FS under the "== NAME"
# headers named (a regular expression), headers included
section() {
    awk -v re="^== ($2)\$" '/^== / { on = ($0 ~ re) } on' "$T/out.$1"
}

# --- what overlayfs gives (and rovl must give) ---------------------------------
EXP_LAYERS=$(cat <<'EOF'
== layer 1
== layer 2
changes through the mount: rc=0
== layer 3
== img3's layers
3
EOF
)
EXP_TREE=$(cat <<'EOF'
. d 555 0:0
bin d 755 0:0
bin/busybox f 755 0:0 nlink=1 <busybox>
bin/cat l 777 0:0 nlink=1 -> busybox
bin/chmod l 777 0:0 nlink=1 -> busybox
bin/echo l 777 0:0 nlink=1 -> busybox
bin/ln l 777 0:0 nlink=1 -> busybox
bin/ls l 777 0:0 nlink=1 -> busybox
bin/mkdir l 777 0:0 nlink=1 -> busybox
bin/mv l 777 0:0 nlink=1 -> busybox
bin/rm l 777 0:0 nlink=1 -> busybox
bin/sh l 777 0:0 nlink=1 -> busybox
bin/suid f 4755 0:0 nlink=1 5 d0baf2b17fd8854200693b9716ae7605
bin/touch l 777 0:0 nlink=1 -> busybox
data d 755 0:0
data/big f 644 0:0 nlink=1 288894 c1d4ba52c72ac7bcc71ff2d6c083e684
data/link-to-renamed l 777 0:0 nlink=1 -> renamed
data/log f 644 0:0 nlink=1 18 9aae9780eaeb04eb7b041ade5e5946ef
data/old-hardlink f 644 0:0 nlink=2 9 027e24be4fc10616519ebe0f3c6ee22c
data/renamed f 644 0:0 nlink=1 9 027e24be4fc10616519ebe0f3c6ee22c
dir d 755 0:0
dir/fifo p 644 0:0 nlink=1
dir/sub d 755 0:0
dir/sub/deeper d 755 0:0
dir/sub/deeper/two f 644 0:0 nlink=1 4 c193497a1a06b2c72230e6146ff47080
dir/sub/one f 644 0:0 nlink=1 4 5bbf5a52328e7439ae6e719dfe712200
empty d 755 0:0
etc d 755 0:0
etc/added f 644 0:0 nlink=1 6 2832e21254f4d3b0ed755a827d07ce58
etc/hostname-orig f 644 0:0 nlink=1 11 bcd923d4207fcf48973e84ba9ebb92fd
etc/link-to-old l 777 0:0 nlink=1 -> ../data/old
etc/mode f 600 0:0 nlink=1 5 464cd9eb2f1cbfa3fb7c13a03cc063f1
gone d 755 0:0
gone/fresh f 644 0:0 nlink=1 6 a00afb7c433b1a8fab592af77ed20eef
newdir d 755 0:0
newdir/x f 644 0:0 nlink=1 2 401b30e3b8b5d629635a5c613cdb7919
opt d 755 0:0
opt/sub d 755 0:0
opt/sub/file f 644 0:0 nlink=1 6 7b48666b13c02ffd7122df4275adc002
tmp d 1777 0:0
EOF
)
EXP_RUN=$(cat <<'EOF'
append to me
more
even-more
extra
fresh
/dir/sub:
again

/gone:
fresh
-rw-------
EOF
)
EXP_DIFF=$(cat <<'EOF'
A /data/renamed-again
A /dir/sub/again
A /new
C /data
C /data/log
C /dir
C /etc
D /data/renamed
D /dir/sub
D /etc/added
EOF
)
EXP_COMMIT=$(cat <<'EOF'
== img4's new layer
layers: 4
data d 755 0:0
data/.wh.renamed f 0 0:0 0 d41d8cd98f00b204e9800998ecf8427e
data/log f 644 0:0 28 b2d583a974a122c0eb4e62bce09be574
data/renamed-again f 644 0:0 9 027e24be4fc10616519ebe0f3c6ee22c
dev d 1755 0:0
dir d 755 0:0
dir/sub d 755 0:0
dir/sub/.wh..wh..opq f 755 0:0 0 d41d8cd98f00b204e9800998ecf8427e
dir/sub/again f 644 0:0 6 9a929dc52cdcb99b173e5183a3b7571c
etc d 755 0:0
etc/.wh.added f 0 0:0 0 d41d8cd98f00b204e9800998ecf8427e
etc/hostname f 700 0:0 0 d41d8cd98f00b204e9800998ecf8427e
etc/hosts f 700 0:0 0 d41d8cd98f00b204e9800998ecf8427e
etc/mtab l 777 0:0 -> /proc/mounts
new f 644 0:0 4 9cd599a3523898e6a12e13ec787da50a
proc d 755 0:0
run d 755 0:0
run/.containerenv f 700 0:0 0 d41d8cd98f00b204e9800998ecf8427e
sys d 755 0:0
EOF
)
EXP_INFO=$(cat <<'EOF'
backing tmpfs
native diff true
d_type true
metacopy false
driver overlay
EOF
)

scenario overlay; swap_o=$?
scenario rovl; swap_r=$?
overlay_name_restore > "$T/restore" 2>&1
if [ $swap_o -eq 0 ] && [ $swap_r -eq 0 ] && [ ! -s "$T/restore" ]; then
    pass "$C_SWAP"
else
    fail "$C_SWAP"
    for _f in swap.overlay swap.rovl restore; do [ ! -s "$T/$_f" ] || _diag_block "$_f" "$(cat "$T/$_f")"; done
fi
# judge DESC EXPECTED NAMES: the sections NAMES of both outputs, judged as check
# judges (overlayfs gives EXPECTED, rovl the same)
judge() {
    _judge "$1" "$2" "$(section overlay "$3")" "$(section rovl "$3")"
}
judge "$C_LAYERS" "$EXP_LAYERS" "layer 1|layer 2|layer 3|img3's layers"
judge "$C_TREE" "== podman image mount img3
$EXP_TREE" "podman image mount img3"
judge "$C_RUN" "== podman run
$EXP_RUN" "podman run"
judge "$C_DIFF" "== podman diff
$EXP_DIFF" "podman diff"
judge "$C_COMMIT" "== podman commit c1 img4
$EXP_COMMIT" "podman commit c1 img4|img4's new layer"
judge "$C_INFO" "== podman info
$EXP_INFO" "podman info"
_judge "$C_END" "== done
left mounted:" "$(section overlay done; echo "left mounted:"; cat "$T/left.overlay")" \
    "$(section rovl done; echo "left mounted:"; cat "$T/left.rovl")"
finish
