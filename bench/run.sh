#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rovl benchmarks, guest side (busybox sh; started by init in rovl.mode=bench,
# see scripts/bench.sh for the host side and the README for the workloads).
#
# For every backing filesystem (ext4 on /dev/vda, tmpfs) it builds one stack
# of three lower layers, then runs each workload REPS times against every
# filesystem in FSLIST, rotating the order each repetition (A B C D, then
# B C D A, ...). Every measured run gets a fresh mount and an empty upper and
# work directory; "cold" runs drop the page, dentry and inode caches first,
# "warm" runs do the same work once unmeasured. The timing is done by
# rovl-bench (CLOCK_MONOTONIC around the work itself) and printed as
#   BENCH,workload,variant,backing,fs,rep,seconds,count
# "count" (entries, bytes, files) must be the same on every filesystem, or
# the run is reported as BENCH-ERROR: a workload that did less is no result.
#
# Settings (kernel command line words, which the kernel hands to init as
# environment): BENCH_REPS, BENCH_BACKINGS, BENCH_FS, BENCH_WORKLOADS and the
# sizes below.
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
REPS=${BENCH_REPS:-5}
# (lists come with commas: the kernel command line splits words at spaces)
BACKINGS=$(echo "${BENCH_BACKINGS:-ext4 tmpfs}" | tr , ' ')
FSLIST=$(echo "${BENCH_FS:-native overlay rovl fuse-overlayfs}" | tr , ' ')
WORKLOADS=$(echo "${BENCH_WORKLOADS:-walk readdir seqread seqwrite randread copyup churn srctree mount100}" | tr , ' ')
TREE_DIRS=${BENCH_TREE_DIRS:-50}        # per layer; files per dir per layer below
TREE_FILES=${BENCH_TREE_FILES:-100}     # 3 layers x 50 dirs x 100 = 15000 files
RD_ENTRIES=${BENCH_RD_ENTRIES:-10000}   # one merged directory, split over 3 layers
RD_WARM_PASSES=${BENCH_RD_WARM_PASSES:-10}
BIG_MIB=${BENCH_BIG_MIB:-256}
RAND_READS=${BENCH_RAND_READS:-20000}
MID_MIB=${BENCH_MID_MIB:-64}
CHMOD_FILES=${BENCH_CHMOD_FILES:-1000}
CHURN=${BENCH_CHURN:-5000}
STACK_LAYERS=${BENCH_STACK_LAYERS:-100}
STACK_MOUNTS=${BENCH_STACK_MOUNTS:-10}
SRC_TAR=${BENCH_SRC_TAR:-}              # host path of the source tarball
GREP_PATTERN=${BENCH_GREP_PATTERN:-EXPORT_SYMBOL}   # a fixed string
# BENCH_PROFILE=N: count the kernel functions each timed run calls (ftrace's
# function profiler; it slows every call, so the times of such a run mean
# nothing) and print the N hottest, by hits, as PROFILE lines
PROFILE=${BENCH_PROFILE:-}

RB=/bench/rovl-bench
HOST_ROOT=/host
HOST_LD=$HOST_ROOT/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
HOST_LIBS=$HOST_ROOT/lib/x86_64-linux-gnu:$HOST_ROOT/usr/lib/x86_64-linux-gnu
errors=0

say() { echo "bench: $*"; }
error() { echo "BENCH-ERROR: $*"; errors=$((errors + 1)); }
drop_caches() { sync; echo 3 > /proc/sys/vm/drop_caches; }
fuse_overlayfs() {
    "$HOST_LD" --library-path "$HOST_LIBS" "$HOST_ROOT/usr/bin/fuse-overlayfs" "$@"
}

# ---- layers ------------------------------------------------------------------
# $R/l1 (bottom) .. $R/l3 (top), the merged copy $R/native that the native
# runs use, and $R/stack/1..N for the many-layer mount.
make_layers() {
    R=$1
    say "building layers on $R"
    for k in 1 2 3; do
        mkdir -p "$R/l$k/tree" "$R/l$k/rd"
        d=0
        while [ $d -lt "$TREE_DIRS" ]; do
            dir=$R/l$k/tree/d$d
            mkdir -p "$dir"
            # neighbouring layers share 5 names per directory: shadowed files
            $RB populate "$dir" f $(( (k - 1) * (TREE_FILES - 5) )) "$TREE_FILES" 100 >/dev/null
            d=$((d + 1))
        done
        per=$(( (RD_ENTRIES + 2) / 3 ))
        first=$(( (k - 1) * per )); n=$per
        [ $((first + n)) -le "$RD_ENTRIES" ] || n=$((RD_ENTRIES - first))
        $RB populate "$R/l$k/rd" e "$first" "$n" 0 >/dev/null
    done
    $RB write "$R/l1/big" "$BIG_MIB" >/dev/null
    $RB write "$R/l1/mid" "$MID_MIB" >/dev/null
    mkdir -p "$R/l1/many"
    $RB populate "$R/l1/many" m 0 "$CHMOD_FILES" 100 >/dev/null
    mkdir -p "$R/l2/work-area"    # the untar and churn target, a lower dir
    # native: the same names as the merged view, on the same filesystem
    mkdir -p "$R/native"
    for k in 1 2 3; do cp -a "$R/l$k/." "$R/native/"; done
    rm -f "$R/native/big"; ln "$R/l1/big" "$R/native/big"   # the very same file
    i=1
    while [ $i -le "$STACK_LAYERS" ]; do
        mkdir -p "$R/stack/$i"; echo "$i" > "$R/stack/$i/layer-$i"; i=$((i + 1))
    done
    LOWERS=$R/l3:$R/l2:$R/l1
    STACK_LOWERS=$(i=$STACK_LAYERS; s=; while [ $i -ge 1 ]; do s=$s${s:+:}$R/stack/$i; i=$((i - 1)); done; echo "$s")
    sync
}

# ---- mounts ------------------------------------------------------------------
MNT=/bench/merged
# mount_fs FS: a fresh mount of the three-layer stack (empty upper and work);
# sets D to the directory the workload runs in.
mount_fs() {
    rm -rf "$R/upper" "$R/work"; mkdir -p "$R/upper" "$R/work" "$MNT"
    D=$MNT
    case $1 in
        native)
            D=$R/native
            # native churn/untar/write targets start empty like the upper
            rm -rf "$R/native/work-area" "$R/native/new"; mkdir "$R/native/work-area" ;;
        overlay|rovl)
            mount -t "$1" -o "lowerdir=$LOWERS,upperdir=$R/upper,workdir=$R/work" none "$MNT" ;;
        fuse-overlayfs)
            fuse_overlayfs -o "lowerdir=$LOWERS,upperdir=$R/upper,workdir=$R/work" "$MNT" ;;
    esac
}
umount_fs() {
    [ "$1" = native ] || umount "$MNT" || { error "umount $1 failed"; umount -l "$MNT"; }
}

# measure WORKLOAD VARIANT FS REP rovl-bench-args...: one timed run and its line
measure() {
    # (names of their own: sh variables are global, and the callers have wl, fs, rep)
    m_wl=$1 m_var=$2 m_fs=$3 m_rep=$4; shift 4
    [ -z "$PROFILE" ] || profile_start
    out=$($RB "$@") || { error "$m_wl $m_var $m_fs on $BACKING: rovl-bench $* failed"; return; }
    [ -z "$PROFILE" ] || profile_stop "$m_wl,$m_var,$BACKING,$m_fs"
    secs=${out% *}; count=${out#* }
    key=$(echo "$m_wl-$m_var-$BACKING" | tr -c 'a-z0-9\n' _)
    eval "want=\${COUNT_$key:-}"
    if [ -z "$want" ]; then
        eval "COUNT_$key=$count"
    elif [ "$want" != "$count" ]; then
        error "$m_wl $m_var $m_fs on $BACKING: count $count, other filesystems $want"
    fi
    echo "BENCH,$m_wl,$m_var,$BACKING,$m_fs,$m_rep,$secs,$count"
}

TR=/sys/kernel/tracing
profile_start() {
    [ -e $TR/function_profile_enabled ] || mount -t tracefs nodev $TR
    echo 0 > $TR/options/graph-time 2>/dev/null   # a function's own time, not its callees'
    echo 1 > $TR/function_profile_enabled         # (enabling resets the counts)
}
# profile_stop LABEL: the hottest functions over both CPUs, by hits
profile_stop() {
    echo 0 > $TR/function_profile_enabled
    cat $TR/trace_stat/function* | awk -v label="$1" '
        $2 ~ /^[0-9]+$/ { hits[$1] += $2 }
        END { for (f in hits) print hits[f], f }' | sort -rn | head -n "$PROFILE" |
        while read -r hits fn; do echo "PROFILE,$1,$fn,$hits"; done
}

# run_one WORKLOAD FS REP: mount, run the variants, unmount
run_one() {
    wl=$1 fs=$2 rep=$3
    case $1 in
        walk|readdir|seqread|randread)
            case $wl in
                walk) args="walk @D/tree" ;;
                readdir) args="readdir @D/rd 1" ;;
                seqread) args="read @D/big" ;;
                randread) args="randread @D/big $RAND_READS 1" ;;
            esac
            for var in cold warm; do
                mount_fs "$fs"
                set -- $(echo "$args" | sed "s|@D|$D|g")
                if [ $var = cold ]; then
                    drop_caches
                else
                    $RB "$@" >/dev/null
                    # warm readdir: several passes, so the time is not just one open
                    [ "$wl" != readdir ] || set -- readdir "$D/rd" "$RD_WARM_PASSES"
                fi
                measure "$wl" $var "$fs" "$rep" "$@"
                umount_fs "$fs"
            done ;;
        seqwrite)
            mount_fs "$fs"; drop_caches
            measure seqwrite - "$fs" "$rep" write "$D/new" "$BIG_MIB"
            rm -f "$D/new"; umount_fs "$fs" ;;
        copyup)
            mount_fs "$fs"; drop_caches
            measure copyup-append - "$fs" "$rep" append "$D/mid"
            measure copyup-chmod - "$fs" "$rep" chmod "$D/many"
            umount_fs "$fs"
            # native has no copy-up: put the modified copies back
            if [ "$fs" = native ]; then
                truncate -s $((MID_MIB * 1048576)) "$R/native/mid"; chmod 644 "$R/native/many"/*
            fi ;;
        churn)
            mount_fs "$fs"
            measure churn - "$fs" "$rep" churn "$D/work-area" "$CHURN"
            umount_fs "$fs" ;;
        srctree)
            mount_fs "$fs"
            measure untar - "$fs" "$rep" run tar xf /tmp/src.tar -C "$D/work-area"
            measure grep - "$fs" "$rep" run sh -c 'grep -r -c -F "$1" "$0" >/dev/null' \
                "$D/work-area" "$GREP_PATTERN"
            measure rm - "$fs" "$rep" run rm -rf "$D/work-area/src"
            umount_fs "$fs" ;;
        mount100)
            [ "$fs" != native ] || return 0
            rm -rf "$R/upper" "$R/work"; mkdir -p "$R/upper" "$R/work" "$MNT"
            opts="lowerdir=$STACK_LOWERS,upperdir=$R/upper,workdir=$R/work"
            if [ "$fs" = fuse-overlayfs ]; then
                mnt="$HOST_LD --library-path $HOST_LIBS $HOST_ROOT/usr/bin/fuse-overlayfs -o $opts $MNT"
            else
                mnt="mount -t $fs -o $opts none $MNT"
            fi
            # mount, look at one file of the bottom layer, unmount; STACK_MOUNTS times
            measure mount100 - "$fs" "$rep" run sh -c \
                'i=0; while [ $i -lt $1 ]; do $0 || exit 1; cat '"$MNT"'/layer-1 >/dev/null || exit 1;
                 umount '"$MNT"' || exit 1; i=$((i + 1)); done' "$mnt" "$STACK_MOUNTS" ;;
    esac
}

# rotate N WORD...: the words, the first N moved to the end (the order of
# repetition N+1)
rotate() {
    n=$(( $1 % ($# - 1) )); shift
    while [ "$n" -gt 0 ]; do w=$1; shift; set -- "$@" "$w"; n=$((n - 1)); done
    echo "$@"
}

# ---- main --------------------------------------------------------------------
say "kernel $(uname -r), $(nproc) CPUs, reps $REPS, backings: $BACKINGS"
say "filesystems: $FSLIST; workloads: $WORKLOADS"
insmod /lib/modules/rust_ovl.ko || { error "insmod rust_ovl.ko failed"; exit 1; }
if echo "$FSLIST" | grep -q fuse-overlayfs && ! fuse_overlayfs --version >/dev/null 2>&1; then
    error "fuse-overlayfs is not runnable from the host share; left out"
    FSLIST=$(echo "$FSLIST" | sed 's/fuse-overlayfs//')
fi
if echo "$WORKLOADS" | grep -q srctree; then
    cp "$HOST_ROOT$SRC_TAR" /tmp/src.tar || { error "no source tarball $SRC_TAR"; WORKLOADS=$(echo "$WORKLOADS" | sed 's/srctree//'); }
fi
mkdir -p /bench/ext4 /bench/tmpfs
for BACKING in $BACKINGS; do
    case $BACKING in
        ext4) mount -t ext4 /dev/vda /bench/ext4 || { error "no ext4 disk (/dev/vda)"; continue; } ;;
        tmpfs) mount -t tmpfs -o size=75% tmpfs /bench/tmpfs ;;
    esac
    make_layers "/bench/$BACKING"
    for wl in $WORKLOADS; do
        say "$BACKING: $wl"
        rep=1
        while [ $rep -le "$REPS" ]; do
            order=$(rotate $((rep - 1)) $FSLIST)
            for fs in $order; do run_one "$wl" "$fs" "$rep"; done
            rep=$((rep + 1))
        done
    done
    umount "/bench/$BACKING"
done
rmmod rust_ovl || error "rmmod rust_ovl failed"
echo "BENCH-END errors=$errors"
[ $errors -eq 0 ]
