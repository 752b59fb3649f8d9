# tests/stress-lib.sh: helpers shared by the stress, race, fault and
# behind-the-mount tests (120-, 125-, 130-, 135-*.sh); sourced after lib.sh.
#
# These tests run one writable mount per FSTYPE and judge invariants (the
# merged view equals the union of the layers, the work directory is clean,
# nothing hangs) rather than comparing outputs line by line; overlay runs the
# same test as the sanity check of the test itself. A failure on overlay says
# "overlay: the test itself is wrong".
#
#   TESTS_DIR                  the directory of the tests (t_stress.py)
#   stpy ARGS...               hpy t_stress.py ARGS
#   rw_mount FSTYPE MNT UPPER WORK LOWERDIRS   fresh empty UPPER and WORK, mount
#   rw_remount FSTYPE MNT UPPER WORK LOWERDIRS mount again, UPPER/WORK as they are
#   verdict DESC FSTYPE STATUS [DETAIL]  pass/fail a case for FSTYPE; DETAIL
#                              (text) goes into the diagnostics on failure
#   stress_env NAME DEFAULT    the value of $NAME, or DEFAULT when unset or
#                              not a number
#   stpy_t SECS ARGS...        stpy, killed after SECS (exit 124 or 137): a
#                              hang becomes a failing case, not a stuck run

TESTS_DIR=$(cd "$(dirname "$0")" && pwd)
export TESTS_DIR

stpy() { hpy "$TESTS_DIR/t_stress.py" "$@"; }

rw_mount() {   # FSTYPE MNT UPPER WORK LOWERDIRS
    rm -rf "$3" "$4"; mkdir -p "$2" "$3" "$4"
    rw_remount "$@"
}
rw_remount() {
    mount -t "$1" -o "lowerdir=$5,upperdir=$3,workdir=$4" none "$2"
}

verdict() {   # DESC FSTYPE STATUS [DETAIL]
    if [ "$3" -eq 0 ]; then
        pass "$2: $1"
    else
        fail "$2: $1"
        [ "$2" != overlay ] || diag "overlay: the test itself is wrong (or overlayfs has a bug)"
        [ -z "${4:-}" ] || _diag_block detail "$4"
    fi
}

stress_env() {   # NAME DEFAULT
    eval "_v=\${$1:-}"
    case $_v in ''|*[!0-9]*) echo "$2" ;; *) echo "$_v" ;; esac
}

stpy_t() {   # SECS ARGS...
    _s=$1; shift
    PYTHONHOME=$HOST_ROOT/usr PYTHONDONTWRITEBYTECODE=1 timeout -s KILL "$_s" \
        "$HOST_LD" --library-path "$HOST_LIBS" "$HOST_ROOT/usr/bin/python3" -S \
        "$TESTS_DIR/t_stress.py" "$@"
}
