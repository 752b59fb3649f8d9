#!/usr/bin/env bash
# `make run`: boot the test kernel with rovl as the guest's root filesystem and a host
# directory as its top layer (issue 14, part 4); or one of the demos. Builds/reuses the
# kernel and builds the module first.
#
#   scripts/run.sh              rovl as /: the host directory ROVL_SHARE (default out/share/
#                               in the repository, made with a hello.txt and a script
#                               usr/local/bin/hello on first use) on top over 9p without a
#                               cache, the initramfs below it, a fresh ext4 disk as the
#                               upper layer (run-guest.sh modes run, run-shell;
#                               qemu/rootfs.sh with rovl.run=). A file of the directory is
#                               at the same path in the guest: hello.txt is /hello.txt.
#                 on a terminal (stdin a tty): prints how to try it, then a shell in the
#                               guest; edit the directory on the host, the guest sees it at
#                               once; exiting the shell shuts the guest down cleanly.
#                 without one (CI; make run </dev/null): the guest shows its / in
#                               /proc/mounts, cats /hello.txt and prints
#                               ROVL-RUN-WAITING-FOR-HOST-EDIT; this script, watching the
#                               serial log, appends a line to hello.txt in the directory
#                               (creating the file first if the directory has none); the
#                               guest prints the new content, "seen without a remount", and
#                               shuts down. Exit status 0 only if the guest saw the edit,
#                               shut down cleanly and its log has no kernel trouble.
#   DEMO=basic scripts/run.sh   the demo of rovl's mounts (qemu/demo.sh; make run DEMO=basic)
#   DEMO=podman scripts/run.sh  the drop-in demo: podman on rovl loaded as overlay
#                               (qemu/demo-podman.sh; make run DEMO=podman; DEMO=NAME runs
#                               qemu/demo-NAME.sh)
#   scripts/run.sh shell        an interactive shell in the guest (the initramfs as /)
#   scripts/run.sh rootfs-shell a shell on the test's rootfs stack (run-guest.sh rootfs-shell)
#
# Environment: ROVL_SHARE (the host directory on top), ROVL_RUN_WAIT (how long the guest
# waits for the host's edit, seconds; default 60), ROVL_DISK (the upper layer's disk image;
# default a fresh one per boot, so the guest's writes go with it), ROVL_TIMEOUT,
# ROVL_APPEND and the others of scripts/run-guest.sh. The serial log of a non-interactive
# run: $ROVL_CACHE/logs/guest-run-DATE-PID.log ($ROVL_CACHE/guest-run.log: the latest).
set -euo pipefail
. "$(dirname "$0")/env.sh"
mode=${1:-}
if [ -z "$mode" ]; then
    case ${DEMO:-} in
        '') mode=run ;;
        *) mode=demo ;;
    esac
fi
case $mode in
    demo) [ -z "${DEMO:-}" ] || [ "$DEMO" = basic ] || ROVL_APPEND="rovl.demo=$DEMO ${ROVL_APPEND:-}" ;;
    run|shell|rootfs-shell) ;;
    *) echo "usage: [DEMO=basic|podman] $0 [run|demo|shell|rootfs-shell]" >&2; exit 2 ;;
esac

# make run's settings, checked before anything is built
if [ "$mode" = run ]; then
    share=${ROVL_SHARE:-$ROVL_TOP/out/share}
    mkdir -p "$share"
    share=$(cd "$share" && pwd)
    case $share in
        *,*) echo "rovl: ROVL_SHARE: a path with a comma cannot be given to qemu's -virtfs: $share" >&2
             exit 2 ;;
    esac
    wait_s=${ROVL_RUN_WAIT:-60}
    case $wait_s in
        ''|*[!0-9]*) echo "rovl: ROVL_RUN_WAIT: a number of seconds, not '$wait_s'" >&2; exit 2 ;;
    esac
fi

kdir=$("$ROVL_TOP/scripts/build-kernel.sh" test)
make -C "$ROVL_TOP" modules KDIR="$kdir" >&2
initrd=$(mktemp "${TMPDIR:-/tmp}/rovl-initramfs.XXXXXX")
watcher=
cleanup() {
    # the watcher below is this script's own child: ended by its pid
    [ -z "$watcher" ] || kill "$watcher" 2>/dev/null || true
    rm -f "$initrd"
}
trap cleanup EXIT
ROVL_KMODS=$kdir/modroot "$ROVL_TOP/scripts/make-initramfs.sh" "$initrd" >/dev/null
export ROVL_KERNEL=$kdir/arch/x86/boot/bzImage ROVL_INITRD=$initrd

if [ "$mode" != run ]; then
    export ROVL_APPEND=${ROVL_APPEND:-}
    "$ROVL_TOP/scripts/run-guest.sh" "$mode"
    exit
fi

# --- make run: rovl as /, the host directory on top ------------------------------------
if [ -z "${ROVL_SHARE:-}" ]; then
    # the default directory (git-ignored, out/): what to try it with, made once and then
    # left as the user changes it
    if [ ! -e "$share/hello.txt" ]; then
        cat > "$share/hello.txt" <<'EOF'
Hello from the host.

This file is out/share/hello.txt in the rovl repository. `make run` boots a guest whose
root filesystem is rovl, with out/share/ as its top layer (over 9p): in the guest this
file is /hello.txt. Edit it here while the guest runs, and `cat /hello.txt` in the guest
shows the change at once, without a remount.
EOF
    fi
    if [ ! -e "$share/usr/local/bin/hello" ]; then
        mkdir -p "$share/usr/local/bin"
        cat > "$share/usr/local/bin/hello" <<'EOF'
#!/bin/sh
# out/share/usr/local/bin/hello on the host, /usr/local/bin/hello in the guest (on the
# guest shell's PATH): change it on the host and run `hello` again in the guest.
echo "hello from the host's out/share, run in the guest $(uname -n) on a $(awk '$2 == "/" { print $3 }' /proc/mounts) root"
EOF
        chmod 755 "$share/usr/local/bin/hello"
    fi
fi

append="rovl.runwait=$wait_s"
# the host's name of the directory, for the guest's hint (only a path the kernel command
# line carries as one word)
if [[ $share =~ ^[A-Za-z0-9._/+-]+$ ]]; then append="$append rovl.share=$share"; fi
export ROVL_SCRATCH=$share ROVL_APPEND="$append ${ROVL_APPEND:-}"

if [ -t 0 ]; then
    example=SOME/FILE
    [ ! -f "$share/hello.txt" ] || example=hello.txt
    cat >&2 <<EOF
rovl: make run: the guest's / will be rovl, with the host directory
rovl:     $share
rovl: as its top layer (9p, read-only, no cache), the initramfs below it and an ext4 disk
rovl: as the upper layer (the guest's writes go there; a fresh disk per boot, unless
rovl: ROVL_DISK names one).
rovl: A file of the directory is at the same path in the guest: $share/$example
rovl: is /$example. Once the guest's shell is up, edit it here (another terminal) and
rovl: cat /$example there again: the change is seen at once. Exit the shell to shut down.
EOF
    "$ROVL_TOP/scripts/run-guest.sh" run-shell
    exit
fi

# Non-interactive: the guest waits for an edit of hello.txt; a watcher here makes it when
# the guest says so on the serial console (run-guest.sh tees it to $log).
file=$share/hello.txt
if [ ! -e "$file" ]; then
    echo "rovl: no hello.txt in $share: creating it, for the guest to watch and this script to edit" >&2
    echo "hello.txt: the file make run (non-interactive) edits from the host" > "$file"
fi
limit=${ROVL_TIMEOUT:-600}
wlimit=3600
case $limit in ''|*[!0-9]*|0) ;; *) wlimit=$((limit + 30)) ;; esac
mkdir -p "$ROVL_CACHE/logs"
log=$ROVL_CACHE/logs/guest-run-$(date +%Y%m%d-%H%M%S)-$$.log
: > "$log"; ln -sfn "$log" "$ROVL_CACHE/guest-run.log"
export ROVL_LOG=$log
marker=ROVL-RUN-WAITING-FOR-HOST-EDIT
echo "rovl: make run without a terminal: the guest's / will be rovl with $share on top;" >&2
echo "rovl: when the guest prints $marker, this script appends a line to $file" >&2

# the watcher: bounded by the guest's own limit; killed when the guest ends before that
edit_when_asked() {
    local t=0 line
    while [ "$t" -lt "$wlimit" ]; do
        if grep -aq "$marker" "$log" 2>/dev/null; then
            line="edited on the host at $(date '+%Y-%m-%d %H:%M:%S')"
            if printf '%s\n' "$line" >> "$file"; then
                echo "rovl: (host) the guest is waiting: appended \"$line\" to $file" >&2
            else
                echo "rovl: (host) the guest is waiting, but $file could not be written" >&2
            fi
            return 0
        fi
        sleep 1
        t=$((t + 1))
    done
    echo "rovl: (host) the guest never printed $marker: $file left unedited" >&2
}
edit_when_asked &
watcher=$!

set +e
"$ROVL_TOP/scripts/run-guest.sh" run
qrc=$?
set -e
kill "$watcher" 2>/dev/null || true
wait "$watcher" 2>/dev/null || true
watcher=

# --- the verdict -----------------------------------------------------------------------
bad=0
fail() { echo "rovl: make run: FAIL: $*" >&2; bad=1; }
[ "$qrc" -ne 124 ] || fail "the guest was killed after ${limit}s (ROVL_TIMEOUT)"
grep -aq "$marker" "$log" || fail "the guest never got to waiting for the host's edit ($marker)"
if grep -aq 'ROVL-RUN-SEEN' "$log"; then
    :
elif grep -aq 'ROVL-RUN-NOT-SEEN' "$log"; then
    fail "the guest did not see the host's edit of $file in ${wait_s}s (ROVL_RUN_WAIT)"
else
    fail "the guest did not say whether it saw the host's edit"
fi
grep -aE '^(# )?not ok ' "$log" | sed 's/^/rovl: /' >&2 || true
if grep -aq '^ROVL-GUEST-END .* rc=0' "$log"; then
    :
elif grep -aq '^ROVL-GUEST-END ' "$log"; then
    fail "the guest reported failed cases (the 'not ok' lines above)"
else
    fail "no end marker (ROVL-GUEST-END): the guest hung, crashed or timed out"
fi
set +e
scan=$("$ROVL_TOP/scripts/scan-log.sh" "$log")
nrep=$?
set -e
if [ "$nrep" -gt 0 ]; then
    sed 's/^/rovl: /' <<<"$scan" >&2
    fail "kernel log: $nrep report(s) of kernel trouble"
fi
if [ "$bad" -eq 0 ]; then
    echo "rovl: make run: the guest saw the host's edit of $file through its rovl root, without a remount, and shut down cleanly (log $log)"
else
    echo "rovl: make run: failed (qemu exit $qrc; serial log $log)" >&2
fi
exit "$bad"
