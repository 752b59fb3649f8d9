#!/bin/sh
# Layers given as file descriptors (fsconfig FSCONFIG_SET_FD) and the other
# new-mount-API cases of the kernel's own selftest,
# tools/testing/selftests/filesystems/overlayfs/set_layers_via_fds.c, ported
# to the differential harness: layers as open directories (O_PATH ones too,
# and detached mounts), 500 of them and not 501, override_creds from a child,
# from a child without CAP_MKNOD (its mknod then fails), from outside the
# context's user namespace; plus the kinds of value overlayfs refuses, the
# lowerdir/lowerdir+ order, the fs_context log, and a remount's options.
# Left out of the port: datadir+ and metacopy=on, which rovl refuses (data-only
# layers and metacopy are not implemented; 90-options.sh checks the refusal).
. "$(dirname "$0")/lib.sh"
plan 11
setup
need_hpy "layers as fds"

for i in 1 2 3 4; do mkdir -p "$T/l$i"; echo "$i" > "$T/l$i/f$i"; done
i=0; while [ $i -le 500 ]; do mkdir "$T/m$i"; i=$((i + 1)); done
echo deep > "$T/m499/deep"

# the layer options of the mount at $M, one a line
layer_opts() {
    grep " $M " /proc/mounts | tr ", " "\n\n" | grep -E "^(lowerdir|datadir|upperdir|workdir)"
}
# the first option of the mount at $M ("rw" or "ro")
rwro() {
    awk -v m="$M" '$2 == m { split($4, o, ","); print o[1] }' /proc/mounts
}

# The super block's ro/rw (mountinfo's super options), not the mount's: a remount through
# mount(2) sets both, a reconfigure through fspick() only the super block's.
sbro() {
    awk -v m="$M" '$5 == m { for (i = 7; i <= NF; i++) if ($i == "-") { split($(i + 3), o, ","); print o[1]; exit } }' /proc/self/mountinfo
}

check "SET_FD: workdir, upperdir and four lowerdir+ as open directories (lowerdir takes none); /proc/mounts names them by path" \
    "fsopen: OK
fd lowerdir @T/l1: EINVAL
fd workdir @W: OK
fd upperdir @U: OK
fd lowerdir+ @T/l1: OK
fd lowerdir+ @T/l2: OK
fd lowerdir+ @T/l3: OK
fd lowerdir+ @T/l4: OK
create: OK
mount: OK
f1 f2 f3 f4 new
new
lowerdir+=@T/l1
lowerdir+=@T/l2
lowerdir+=@T/l3
lowerdir+=@T/l4
upperdir=@U
workdir=@W" \
    'rm -rf $U $W; mkdir -p $U $W
     fsc $FSTYPE fsopen "fd lowerdir $T/l1" "fd workdir $W" "fd upperdir $U" \
         "fd lowerdir+ $T/l1" "fd lowerdir+ $T/l2" "fd lowerdir+ $T/l3" "fd lowerdir+ $T/l4" create mount
     is_mounted $M || exit
     touch $M/new; echo $(ls $M); ls $U; layer_opts; umount $M'

check "values of the wrong kind: a path (SET_PATH), no value, an empty string, a file that is no directory, an fd for a flag, an enum, an unknown key or source; then strings and O_PATH fds mixed" \
    "fsopen: OK
path lowerdir+ @T/l1: EINVAL
flag lowerdir+: EINVAL
str lowerdir+ : EINVAL
fd lowerdir+ @T/l1/f1: EINVAL
fd upperdir @T/l1/f1: EINVAL
fd userxattr @T/l1: EINVAL
fd index @T/l1: EINVAL
fd bogus @T/l1: EINVAL
fd source @T/l1: EINVAL
str lowerdir+ @T/nope: ENOENT
str lowerdir+ @T/l1: OK
opath lowerdir+ @T/l2: OK
str upperdir @U: OK
opath workdir @W: OK
create: OK
mount: OK
f1 f2
lowerdir+=@T/l1
lowerdir+=@T/l2
upperdir=@U
workdir=@W" \
    'rm -rf $U $W; mkdir -p $U $W
     fsc $FSTYPE fsopen "path lowerdir+ $T/l1" "flag lowerdir+" "str lowerdir+ " \
         "fd lowerdir+ $T/l1/f1" "fd upperdir $T/l1/f1" "fd userxattr $T/l1" "fd index $T/l1" \
         "fd bogus $T/l1" "fd source $T/l1" "str lowerdir+ $T/nope" \
         "str lowerdir+ $T/l1" "opath lowerdir+ $T/l2" "str upperdir $U" "opath workdir $W" create mount
     is_mounted $M || exit
     echo $(ls $M); layer_opts; umount $M'

check "the fs_context log says why, in the kernel option parser's words" \
    "fsopen: OK
fd lowerdir @T/l1: EINVAL
flag lowerdir+: EINVAL
fd userxattr @T/l1: EINVAL
fd index @T/l1: EINVAL
fd bogus @T/l1: EINVAL
fd upperdir @T/l1/f1: EINVAL
str lowerdir @T/l1:@T/l2: OK
fd lowerdir+ @T/l3: EINVAL
log: Bad value for 'lowerdir'
Bad value for 'lowerdir+'
Unexpected value for 'userxattr'
Bad value for 'index'
Unknown parameter 'bogus'
@T/l1/f1 is not a directory
lowerdir+ and datadir+ cannot follow lowerdir" \
    'fsc $FSTYPE fsopen "fd lowerdir $T/l1" "flag lowerdir+" "fd userxattr $T/l1" "fd index $T/l1" \
         "fd bogus $T/l1" "fd upperdir $T/l1/f1" "str lowerdir $T/l1:$T/l2" "fd lowerdir+ $T/l3" log'

check "lowerdir= replaces every lower layer, lowerdir+ cannot follow it (a missing one is ENOENT first), an empty lowerdir= lets it again" \
    "fsopen: OK
str lowerdir @T/l1:@T/l2: OK
fd lowerdir+ @T/l3: EINVAL
str lowerdir+ @T/nope: ENOENT
str lowerdir : OK
fd lowerdir+ @T/l3: OK
fd lowerdir+ @T/l4: OK
str lowerdir @T/l1:@T/l2: OK
create: OK
mount: OK
f1 f2
lowerdir=@T/l1:@T/l2" \
    'fsc $FSTYPE fsopen "str lowerdir $T/l1:$T/l2" "fd lowerdir+ $T/l3" "str lowerdir+ $T/nope" \
         "str lowerdir " "fd lowerdir+ $T/l3" "fd lowerdir+ $T/l4" "str lowerdir $T/l1:$T/l2" create mount
     is_mounted $M || exit
     echo $(ls $M); layer_opts; umount $M'

check "a lowerdir= that fails (a missing layer) still bars a later lowerdir+, as overlayfs keeps the option before it finds the layers" \
    "fsopen: OK
str lowerdir @T/l1:@T/nope: ENOENT
str lowerdir+ @T/l2: EINVAL" \
    'fsc $FSTYPE fsopen "str lowerdir $T/l1:$T/nope" "str lowerdir+ $T/l2"'

check "500 lowerdir+ as O_PATH fds with an upper layer; the 501st is refused (EINVAL); the bottom layer shows" \
    "fsopen: OK
opath workdir @W: OK
opath upperdir @U: OK
fds 500 lowerdir+ @T/m: OK
opath lowerdir+ @T/m500: EINVAL
create: OK
mount: OK
deep
500" \
    'rm -rf $U $W; mkdir -p $U $W
     fsc $FSTYPE fsopen "opath workdir $W" "opath upperdir $U" "fds 500 lowerdir+ $T/m" \
         "opath lowerdir+ $T/m500" create mount
     is_mounted $M || exit
     cat $M/deep; layer_opts | grep -c "^lowerdir+="; umount $M'

# Detached mounts (open_tree OPEN_TREE_CLONE): upper and work inside one, each
# lower layer one of its own. d_path() names a detached mount from its own root.
check "layers on detached mounts (open_tree clones): upper and work in one, a lower in each of two; named from the detached roots" \
    "fsopen: OK
clone @U: OK
in-clone upperdir upper: OK
in-clone workdir work: OK
tree lowerdir+ @T/l1: OK
tree lowerdir+ @T/l2: OK
create: OK
mount: OK
f1 f2 new
new
lowerdir+=/
lowerdir+=/
upperdir=/upper
workdir=/work" \
    'rm -rf $U; mkdir -p $U/upper $U/work
     fsc $FSTYPE fsopen "clone $U" "in-clone upperdir upper" "in-clone workdir work" \
         "tree lowerdir+ $T/l1" "tree lowerdir+ $T/l2" create mount
     is_mounted $M || exit
     touch $M/new; echo $(ls $M); ls $U/upper; layer_opts; umount $M'

check "override_creds and nooverride_creds from a child process (the last counts); with a value they are refused (EINVAL), as a 'no' form of another flag" \
    "fsopen: OK
fd workdir @W: OK
fd upperdir @U: OK
fd lowerdir+ @T/l1: OK
fd lowerdir+ @T/l2: OK
child flag override_creds: OK
child flag nooverride_creds: OK
child flag override_creds: OK
str override_creds on: EINVAL
str nooverride_creds on: EINVAL
flag nouserxattr: EINVAL
create: OK
mount: OK
f1 f2 new" \
    'rm -rf $U $W; mkdir -p $U $W
     fsc $FSTYPE fsopen "fd workdir $W" "fd upperdir $U" "fd lowerdir+ $T/l1" "fd lowerdir+ $T/l2" \
         "child flag override_creds" "child flag nooverride_creds" "child flag override_creds" \
         "str override_creds on" "str nooverride_creds on" "flag nouserxattr" create mount
     is_mounted $M || exit
     touch $M/new; echo $(ls $M); umount $M'

check "override_creds from a child without CAP_MKNOD and CAP_SYS_ADMIN: the layers are then used with its rights, so mknod fails (EPERM); without override_creds it works" \
    "fsopen: OK
fd workdir @W: OK
fd upperdir @U: OK
fd lowerdir+ @T/l1: OK
fd lowerdir+ @T/l2: OK
flag userxattr: OK
nocaps flag override_creds: OK
create: OK
mount: OK
mknod @M/dev-zero: EPERM
fsopen: OK
fd workdir @W: OK
fd upperdir @U: OK
fd lowerdir+ @T/l1: OK
fd lowerdir+ @T/l2: OK
flag userxattr: OK
create: OK
mount: OK
mknod @M/dev-zero: OK
dev-zero" \
    'for creds in "nocaps flag override_creds" ""; do
         rm -rf $U $W; mkdir -p $U $W
         fsc $FSTYPE fsopen "fd workdir $W" "fd upperdir $U" "fd lowerdir+ $T/l1" "fd lowerdir+ $T/l2" \
             "flag userxattr" ${creds:+"$creds"} create mount "mknod $M/dev-zero"
         is_mounted $M || exit
         [ -z "$creds" ] && ls $U
         umount $M
     done'

check "override_creds from outside the context's user namespace: EINVAL; from a user namespace below it, and from it: taken" \
    "userns: OK
fsopen: OK
sibling flag override_creds: EINVAL
child-userns flag override_creds: OK
child flag override_creds: OK" \
    'fsc $FSTYPE userns fsopen "sibling flag override_creds" "child-userns flag override_creds" "child flag override_creds"'

check "a remount's options: ignored through mount(2) (bad ones too), refused through fsconfig on an fspick context; ro and rw are the VFS's" \
    "ro
fspick @M: OK
str lowerdir+ @T/l3: EINVAL
flag userxattr: EINVAL
flag rw: OK
reconfigure: OK
rw" \
    'rm -rf $U $W; mkdir -p $U $W
     mount -t $FSTYPE -o lowerdir=$T/l1,upperdir=$U,workdir=$W none $M || exit
     mount -o remount,ro,bogus,lowerdir=$T/nope,upperdir=$T/nope $M; sbro
     fsc $FSTYPE "fspick $M" "str lowerdir+ $T/l3" "flag userxattr" "flag rw" reconfigure; sbro
     umount $M'
finish
