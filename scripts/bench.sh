#!/usr/bin/env bash
# Host side of `make bench`: builds (or reuses) the release kernel, builds
# rust_ovl.ko against it (in a copy of the sources under the cache, so the
# test build in the tree is left alone), the static benchmark helper, an ext4
# disk image and a source tarball, boots one guest that runs bench/run.sh,
# and turns the BENCH lines of its serial log into RESULTS/results.csv,
# results.md, summary.csv and chart.svg (bench/report.py).
#
# Environment:
#   BENCH_MODE    tcg (default; wall clock, multi-threaded TCG) or icount
#                 (QEMU -icount: guest time follows the instructions executed,
#                 so the host's load does not move the figures)
#   BENCH_OUT     results directory (default bench/results/$BENCH_MODE)
#   BENCH_KO      a rust_ovl.ko built against the release kernel to use instead
#                 (to compare two versions of rovl)
#   BENCH_REPS, BENCH_BACKINGS, BENCH_FS, BENCH_WORKLOADS and the sizes read
#                 by bench/run.sh are passed on to the guest.
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$ROVL_TOP"
mode=${BENCH_MODE:-tcg}
out=${BENCH_OUT:-$ROVL_TOP/bench/results/$mode}
case $mode in
    tcg) accel="-accel tcg,thread=multi"; mode_text="QEMU TCG (multi-threaded, 2 vCPUs), wall clock" ;;
    # shift=0: while a vCPU runs, guest time advances one nanosecond per
    # instruction, whatever the host's load. sleep=on: while the guest is idle
    # (waiting for the disk image), time follows the host's clock; sleep=off
    # would jump to the next timer instead, which turns an I/O wait into
    # whatever timeout happens to be pending (seconds, measured).
    icount) accel="-accel tcg -icount shift=0,sleep=on"
            mode_text="QEMU -icount shift=0,sleep=on (guest clock counts instructions; idle waits follow the host clock), 2 vCPUs" ;;
    *) echo "rovl: BENCH_MODE is tcg or icount" >&2; exit 2 ;;
esac

"$ROVL_TOP/scripts/install-deps.sh" bench
kdir=$("$ROVL_TOP/scripts/build-kernel.sh" release)
echo "rovl: release kernel $kdir"

work=$ROVL_CACHE/bench
mkdir -p "$work"
# the module, built against the release kernel in a copy of the sources
ko=${BENCH_KO:-}
if [ -z "$ko" ]; then
    rm -rf "$work/module"; mkdir -p "$work/module"
    cp -r Kbuild rust_ovl.rs src "$work/module/"
    rm -f "$work/module/src/vfs/bindings_generated.rs"
    make -C "$ROVL_TOP" modules KDIR="$kdir" ROVL_TOP="$work/module" >&2
    ko=$work/module/rust_ovl.ko
fi
[ -f "$ko" ] || { echo "rovl: no module $ko" >&2; exit 1; }

# what the guest gets as /bench
stage=$(mktemp -d "${TMPDIR:-/tmp}/rovl-bench.XXXXXX")
initrd=$stage.cpio.gz
trap 'rm -rf "$stage" "$initrd"' EXIT
clang-19 -O2 -static -Wall -Wextra -o "$stage/rovl-bench" bench/rovl-bench.c
cp bench/run.sh "$stage/run.sh"
ROVL_KO=$ko ROVL_BENCH_DIR=$stage \
    "$ROVL_TOP/scripts/make-initramfs.sh" "$initrd" >/dev/null

# the real-workload tree: the kernel's fs/ directory (about 2400 files, 52 MB)
tarball=$work/linux-fs.tar
if [ ! -f "$tarball" ]; then
    ksrc=$(readlink -f "$kdir/source")
    tar -C "$ksrc" --transform 's,^fs,src,' -cf "$tarball.tmp" fs
    mv "$tarball.tmp" "$tarball"
fi
# a fresh ext4 image every run (no lazy init: nothing may write behind the runs)
disk=$work/disk.img
rm -f "$disk"; truncate -s 3G "$disk"
mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$disk"

# The BENCH_* settings go to the guest on the kernel command line (as words:
# run.sh turns commas back into spaces); the command that reproduces this run
# is make bench with the same settings.
settings="BENCH_SRC_TAR=$tarball"
cmd="make bench"
for v in $(compgen -v BENCH_); do
    case $v in BENCH_OUT|BENCH_SRC_TAR|BENCH_KO) continue ;; esac
    val=${!v}; cmd+=" $v=${val// /,}"
    [ "$v" = BENCH_MODE ] || settings+=" $v=${val// /,}"
done

mkdir -p "$ROVL_CACHE/logs" "$out"
log=$ROVL_CACHE/logs/guest-bench-$(date +%Y%m%d-%H%M%S)-$$.log
t0=$(date +%s)
set +e
ROVL_KERNEL=$kdir/arch/x86/boot/bzImage ROVL_INITRD=$initrd ROVL_LOG=$log ROVL_MEM=3G \
    ROVL_ACCEL="$accel" ROVL_APPEND="$settings" \
    ROVL_QEMU_ARGS="-drive file=$disk,if=virtio,format=raw,cache=unsafe" \
    "$ROVL_TOP/scripts/run-guest.sh" bench >/dev/null
qrc=$?
set -e
echo "rovl: guest ran $(($(date +%s) - t0))s (qemu exit $qrc), serial log $log"

{
    echo "workload,variant,backing,fs,rep,seconds,count"
    grep -a '^BENCH,' "$log" | cut -d, -f2-
} > "$out/results.csv"
grep -a '^BENCH-ERROR' "$log" >&2 || true
"$ROVL_TOP/scripts/scan-log.sh" "$log" >&2 || echo "rovl: the kernel log has reports (above)" >&2
python3 bench/report.py "$out/results.csv" "$out" --title "rovl benchmarks: $(uname -m), Linux $KERNEL_VERSION release kernel" \
    --mode "$mode_text; $(date -u +%Y-%m-%d)" --command "$cmd"
grep -aq '^BENCH-END errors=0' "$log"
