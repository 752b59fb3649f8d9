#!/bin/sh
# Bad mount input: the errno mount(2) returns must be overlay's; rovl must
# also explain itself in dmesg with a line starting "rovl:" (rovl-only).
. "$(dirname "$0")/lib.sh"
plan 7
setup
mkdir -p "$L/dir"; echo hello > "$L/file"

# bad DESC ERRNO-TEXT OPTIONS: mount must fail with that errno and mount
# nothing. OPTIONS is expanded inside the snippet, so $(lower_opt DIR) gives
# overlay its extra empty layer (see lib.sh) and rovl the bare DIR.
bad() {
    BAD_OPTS=$3; export BAD_OPTS
    check "$1" "mount: mounting none on @M failed: $2
not-mounted
rc=255" 'eval "mount -t \$FSTYPE $BAD_OPTS none \$M"; rc=$?; grep -q " $M " /proc/mounts && { echo mounted; umount $M; } || echo not-mounted; exit $rc'
}
bad "no options at all: EINVAL" "Invalid argument" ''
bad "no lowerdir option: EINVAL" "Invalid argument" '-o ro'
bad "nonexistent lowerdir: ENOENT" "No such file or directory" '-o $(lower_opt $T/nonexistent)'
# overlay answers EINVAL ("... is not a directory" via invalfc), not ENOTDIR
bad "a regular file as lowerdir: EINVAL" "Invalid argument" '-o $(lower_opt $L/file)'
bad "unknown option: EINVAL" "Invalid argument" '-o $(lower_opt $L),bogus=1'
bad "empty lowerdir value: EINVAL" "Invalid argument" '-o lowerdir='

check_rovl "every rejected mount logs a line starting 'rovl:' in dmesg" "6 of 6" \
    'n=0
     for o in "" "-o ro" "-o lowerdir=$T/nonexistent" "-o lowerdir=$L/file" "-o lowerdir=$L,bogus=1" "-o lowerdir="; do
         dmesg -c > /dev/null
         mount -t rovl $o none $M 2>/dev/null && umount $M
         dmesg | grep -q "^rovl:" && n=$((n + 1))
     done
     echo "$n of 6"'
finish
