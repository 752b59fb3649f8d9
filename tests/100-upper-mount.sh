#!/bin/sh
# Writable mounts, the mount itself: upperdir/workdir option checks (errno
# and, for rovl, a "rovl:" line in dmesg), workdir leftovers cleaned at mount,
# an upper in use by another mount, remount ro/rw, an upper on ext4 and a
# squashfs lower, and a full upper filesystem (ENOSPC, nothing half done).
. "$(dirname "$0")/lib.sh"
plan 24
setup
need_hpy "upper mount"

mkdir -p "$L/d/sub" "$E/e"
echo hello > "$L/d/f"; echo low > "$L/file"; echo deep > "$L/d/sub/deep"

# upbad DESC ERRNO-TEXT OPTIONS [PREP]: the mount must fail with that errno
# and mount nothing. OPTIONS is expanded in the snippet (U, W, M are the
# FSTYPE's); upper and work start empty, then PREP runs.
upbad() {
    BAD_OPTS=$3; BAD_PREP=${4:-true}; export BAD_OPTS BAD_PREP
    check "$1" "mount: mounting none on @M failed: $2
not-mounted" \
        'rm -rf $U $W; mkdir -p $U $W; eval "$BAD_PREP"
         eval "mount -t \$FSTYPE -o $BAD_OPTS none \$M"
         grep -q " $M " /proc/mounts && { echo mounted; umount $M; } || echo not-mounted'
}
# the first option of the mount at $M ("rw" or "ro")
RWRO='awk -v m=$M '\''$2 == m { split($4, o, ","); print o[1] }'\'' /proc/mounts'
export RWRO

upbad "upperdir without workdir: EINVAL" "Invalid argument" 'lowerdir=$L,upperdir=$U'
check "workdir without upperdir: ignored, a read-only mount (two lowers: overlay needs them without an upper)" \
    "ro
no workdir in /proc/mounts
touch: @M/new: Read-only file system" \
    'rm -rf $U $W; mkdir -p $W
     mount -t $FSTYPE -o lowerdir=$L:$E,workdir=$W none $M || exit
     eval "$RWRO"; grep " $M " /proc/mounts | grep -q workdir= && echo "workdir shown" || echo "no workdir in /proc/mounts"
     touch $M/new; umount $M'
mkdir -p "$T/other"
mount -t tmpfs -o noatime other "$T/other"
upbad "upperdir and workdir on different filesystems: EINVAL" "Invalid argument" \
    'lowerdir=$L,upperdir=$U,workdir=$T/other'
upbad "workdir inside upperdir: EINVAL" "Invalid argument" 'lowerdir=$L,upperdir=$U,workdir=$U/w' 'mkdir $U/w'
upbad "upperdir inside workdir: EINVAL" "Invalid argument" 'lowerdir=$L,upperdir=$W/u,workdir=$W' 'mkdir $W/u'
upbad "upperdir and workdir the same directory: EINVAL" "Invalid argument" 'lowerdir=$L,upperdir=$U,workdir=$U'
upbad "upperdir is the lower layer: ELOOP" "Too many levels of symbolic links" 'lowerdir=$L,upperdir=$L,workdir=$W'
upbad "the lower layer inside upperdir: ELOOP" "Too many levels of symbolic links" \
    'lowerdir=$U/low,upperdir=$U,workdir=$W' 'mkdir $U/low'
check "upperdir inside the lower layer mounts (overlay only refuses a layer below the upper)" \
    "mounted rw" \
    'rm -rf $U $W $L/up-$FSTYPE; mkdir -p $L/up-$FSTYPE $W
     mount -t $FSTYPE -o lowerdir=$L,upperdir=$L/up-$FSTYPE,workdir=$W none $M && echo mounted $(eval "$RWRO")
     umount $M; rm -rf $L/up-$FSTYPE'
upbad "a missing upperdir: ENOENT" "No such file or directory" 'lowerdir=$L,upperdir=$U/nope,workdir=$W'
upbad "upperdir is a regular file: EINVAL" "Invalid argument" 'lowerdir=$L,upperdir=$U/f,workdir=$W' 'echo > $U/f'
mkdir -p "$T/rofs" "$T/robind" "$T/rw-under"
mount -t tmpfs -o ro rofs "$T/rofs"
mkdir -p "$T/rw-under/u" "$T/rw-under/w"
mount --bind "$T/rw-under" "$T/robind" && mount -o remount,bind,ro "$T/robind"
upbad "upperdir on a read-only filesystem: EINVAL" "Invalid argument" 'lowerdir=$L,upperdir=$T/rofs,workdir=$T/rofs'
upbad "upperdir on a read-only bind mount: EINVAL" "Invalid argument" \
    'lowerdir=$L,upperdir=$T/robind/u,workdir=$T/robind/w'

check_rovl "every refused upper mount logs a line starting 'rovl:' in dmesg" "7 of 7" \
    'n=0; mkdir -p $T/rw-under/f
     for o in "upperdir=$U" "upperdir=$U,workdir=$T/other" "upperdir=$U,workdir=$U" \
              "upperdir=$L,workdir=$W" "upperdir=$U/nope,workdir=$W" \
              "upperdir=$T/rofs,workdir=$T/rofs" "upperdir=$T/robind/u,workdir=$T/robind/w"; do
         rm -rf $U $W; mkdir -p $U $W
         dmesg -c > /dev/null
         mount -t rovl -o "lowerdir=$L,$o" none $M 2>/dev/null && umount $M
         dmesg | grep -q "^rovl:" && n=$((n + 1))
     done
     echo "$n of 7"'

# workdir leftovers of a "crash": overlay empties $W/work at mount, one level
# deep (a directory of files goes; see the next case for deeper)
check "workdir leftovers (a file, a whiteout, a directory of files) are removed at mount" \
    "rw
work
(work is empty)
created" \
    'rm -rf $U $W; mkdir -p $U $W/work/#junkdir
     echo junk > $W/work/#junk; echo junk > $W/work/#junkdir/x; mknod $W/work/#wh c 0 0
     mount -t $FSTYPE -o lowerdir=$L,upperdir=$U,workdir=$W none $M || exit
     eval "$RWRO"; ls -A $W; [ -z "$(ls -A $W/work)" ] && echo "(work is empty)"
     touch $M/new && echo created; umount $M'
check_diff "workdir leftovers two levels deep are removed" \
    "ro
#junkdir
touch: @M/new: Read-only file system" \
    "rw" \
    "overlayfs cannot remove a tree two levels deep from the work directory and mounts read-only; rovl removes it" \
    'rm -rf $U $W; mkdir -p $U $W/work/#junkdir/deeper
     echo junk > $W/work/#junkdir/deeper/x
     mount -t $FSTYPE -o lowerdir=$L,upperdir=$U,workdir=$W none $M || exit
     eval "$RWRO"; ls -A $W/work; touch $M/new; umount $M'

# an upper in use: with index=off (the default) overlay mounts anyway and warns
# in dmesg ("upperdir is in-use as upperdir/workdir of another mount, ...";
# with index=on it would refuse, EBUSY). The warning is counted by "in-use".
# A directory in use as an upper, taken as a lower by another mount: the same.
upper_mount
check "upperdir in use by another mount: mounts anyway, with a warning; so does a lower in use as upper" \
    "mounted rw, 1 warning
mounted ro, 1 warning" \
    'mkdir -p $M.2 $T/w2-$FSTYPE; rm -rf $T/w2-$FSTYPE/*
     dmesg -c > /dev/null
     mount -t $FSTYPE -o lowerdir=$L,upperdir=$U,workdir=$T/w2-$FSTYPE none $M.2 &&
         echo "mounted $(M=$M.2; eval "$RWRO"), $(dmesg | grep -c "in-use") warning"
     umount $M.2
     dmesg -c > /dev/null
     mount -t $FSTYPE -o lowerdir=$U:$E none $M.2 &&
         echo "mounted $(M=$M.2; eval "$RWRO"), $(dmesg | grep -c "in-use") warning"
     umount $M.2'
# (overlay also shows uuid=on with an upper: it keeps a uuid in the upper's
# root, trusted.overlay.uuid; not compared)
check "/proc/mounts shows lowerdir, upperdir and workdir" \
    "lowerdir=@L,upperdir=@U,workdir=@W" \
    'grep " $M " /proc/mounts | grep -o "lowerdir=[^,]*,upperdir=[^,]*,workdir=[^, ]*"'
check "remount,ro: writes fail with EROFS; remount,rw: they work again" \
    "ro
touch: @M/new: Read-only file system
mkdir: can't create directory '@M/d/nd': Read-only file system
rw
@M/d/nd/new @M/new" \
    'mount -o remount,ro $M || exit; eval "$RWRO"
     touch $M/new; mkdir $M/d/nd
     mount -o remount,rw $M || exit; eval "$RWRO"
     mkdir $M/d/nd && touch $M/new $M/d/nd/new && echo $(find $M -name new | sort)'
upper_umount

# A fixed mix of operations for the layer cases: create, copy-up (append,
# chmod), delete (a lower file, a lower dir), rename, symlink, mkdir.
OPS='cd $M && echo new > new && echo more >> d/f && chmod 600 file && rm d/sub/deep && rmdir d/sub &&
     mv file file2 && ln -s d/f sl && mkdir -p nd/x && echo y > nd/x/y && echo done'
# the merged view: path, mode, and size and checksum of non-directories
MERGED='cd $M && find . | LC_ALL=C sort | while read -r p; do
            if [ -L "$p" ] || [ ! -d "$p" ]; then s=$(stat -c "%A %s" "$p"); else s=$(stat -c %A "$p"); fi
            [ -f "$p" ] && [ ! -L "$p" ] && s="$s $(md5sum < "$p" | cut -c1-8)"
            echo "$p $s"
        done'
export OPS MERGED
EXP_MERGED="done
. drwxr-xr-x
./d drwxr-xr-x
./d/f -rw-r--r-- 11 $(md5_of 'hello\nmore\n' | cut -c1-8)
./file2 -rw------- 4 $(md5_of 'low\n' | cut -c1-8)
./nd drwxr-xr-x
./nd/x drwxr-xr-x
./nd/x/y -rw-r--r-- 2 $(md5_of 'y\n' | cut -c1-8)
./new -rw-r--r-- 4 $(md5_of 'new\n' | cut -c1-8)
./sl lrwxrwxrwx 3"
EXP_UPPER=". d 755 0:0
d d 755 0:0
d/f f 644 0:0 11 $(md5_of 'hello\nmore\n')
d/sub WHITEOUT
file WHITEOUT
file2 f 600 0:0 4 $(md5_of 'low\n')
nd d 755 0:0
nd/x d 755 0:0
nd/x/y f 644 0:0 2 $(md5_of 'y\n')
new f 644 0:0 4 $(md5_of 'new\n')
sl l 777 0:0 -> d/f"

# --- an upper layer on ext4, the lower on tmpfs -------------------------------
X4=$T/x4
if [ -x "$HOST_LD" ] && truncate -s 32M "$T/x4.img" &&
   hostrun /usr/sbin/mke2fs -q -t ext4 -F "$T/x4.img" >/dev/null 2>&1 &&
   mkdir -p "$X4" && mount -o loop "$T/x4.img" "$X4" 2>/dev/null; then
    UPPER_BASE=$X4
    upper_mount
    check "an ext4 upper over a tmpfs lower: the same operations give the same merged view" \
        "$EXP_MERGED" \
        'eval "$OPS"; eval "$MERGED"'
    check "an ext4 upper: the upper layer afterwards" "$EXP_UPPER" 'upper_tree $U'
    upper_umount
    UPPER_BASE=
else
    skip "an ext4 upper over a tmpfs lower: the same operations give the same merged view" "cannot make an ext4 image"
    skip "an ext4 upper: the upper layer afterwards" "cannot make an ext4 image"
fi

# --- a squashfs lower under a tmpfs upper -------------------------------------
mkdir -p "$T/sq"
if hostrun /usr/bin/mksquashfs "$L" "$T/l.sqfs" -quiet -noappend -no-progress -all-root >/dev/null 2>&1 &&
    mount -t squashfs -o loop,ro "$T/l.sqfs" "$T/sq"; then
    upper_mount "$T/sq"
    check "a squashfs lower under a tmpfs upper: copy-up, delete, rename; merged view and upper" \
        "$EXP_MERGED
$EXP_UPPER" \
        'eval "$OPS"; eval "$MERGED"; upper_tree $U'
    upper_umount
else
    skip "a squashfs lower under a tmpfs upper: copy-up, delete, rename; merged view and upper" "cannot build or mount a squashfs image"
fi

# --- a full upper: 512 KiB of tmpfs for upper and work, one per FSTYPE --------
head -c 1048576 /dev/urandom > "$L/big"
BIGSUM=$(md5sum < "$L/big"); export BIGSUM
for t in $FSTYPES; do mkdir -p "$T/small-$t"; mount -t tmpfs -o size=512k,noatime small "$T/small-$t"; done
UPPER_BASE=$T/small-%t
upper_mount
check "a full upper: copy-up of a 1 MiB lower file fails with ENOSPC, nothing half done" \
    "dd: can't open '@M/big': No space left on device
chmod: @M/big: No space left on device
merged view intact
upper: .
work: (empty)" \
    'echo x | dd of=$M/big conv=notrunc oflag=append status=none; chmod 600 $M/big
     [ "$(md5sum < $M/big)" = "$BIGSUM" ] && [ "$(stat -c %a $M/big)" = 644 ] && echo merged view intact
     echo upper: $(cd $U && find . | sort); echo "work: $(ls -A $W/work)$([ -z "$(ls -A $W/work)" ] && echo "(empty)")"'
check "a full upper: writing past the limit fails with ENOSPC; the lower stays intact" \
    "dd: error writing '@M/fill': No space left on device
lower intact
work: (empty)" \
    'dd if=/dev/zero of=$M/fill bs=64k count=16 status=none
     [ "$(md5sum < $L/big)" = "$BIGSUM" ] && [ ! -e $L/fill ] && echo lower intact
     echo "work: $(ls -A $W/work)$([ -z "$(ls -A $W/work)" ] && echo "(empty)")"; rm -f $M/fill'
upper_umount
UPPER_BASE=
finish
