#!/bin/sh
# Revalidation forwarded to the real dentries (overlayfs's ovl_dentry_revalidate,
# ovl_dentry_weak_revalidate): a lower layer on 9p with cache=loose, whose dentries
# have d_revalidate and d_weak_revalidate, changed "on the host" through a second
# 9p mount of the same host directory, and through the layer's own 9p mount.
# Every case compares rovl with overlayfs over the very same 9p dentries.
#
# What 9p itself notices decides what both show. With cache=loose it re-checks
# only an inode its own client changed (a setattr or an unlink through that
# mount): a change made on the host alone is not seen, through the 9p mount
# either, until the dentries are dropped. Once 9p re-checks a file the host
# replaced by a directory, it calls the dentry invalid: overlayfs then answers
# ESTALE, and keeps answering it while its dentry stays; a real check that
# fails (ENOENT: the file is gone) fails the lookup with that error. Negative
# dentries are not revalidated: a name the host creates stays missing until
# they are dropped. Before each change the cached names must stay valid (a cwd
# inside one is not "deleted").
#
# Cases: a local layer (tmpfs, nothing to forward) as the control; the 9p
# layer unchanged, changed in place through its own mount, changed on the host
# (control: nothing seen), re-checked by 9p (ESTALE, ENOENT), after drop_caches
# (the new state); the same ESTALE through two levels (overlay on overlay,
# rovl on rovl), which rovl shows only if its own dentries ask for revalidation.
#
# Needs the writable scratch share of scripts/run-guest.sh, exported twice (9p
# tags scratch and scratch2, one host directory): scratch is mounted with
# cache=loose as the layer's filesystem, scratch2 without a cache as "the
# host". Without them the 9p cases are skipped.
. "$(dirname "$0")/lib.sh"
plan 11
setup

# drop_all: drop every unused dentry and inode. Each pass of drop_caches gives
# a recently used dentry a second chance, and an overlay dentry's real dentry
# becomes unused only once the overlay's inode is evicted, so it takes passes.
drop_all() {
    sync
    for _i in 1 2 3 4 5 6 7 8; do echo 2 > /proc/sys/vm/drop_caches; done
}

# --- the control: a local layer ---------------------------------------------
echo tf > "$L/tf"
mount_both
check "a tmpfs layer: a file as made" "regular file 1
tf" 'stat -c "%F %h" $M/tf; cat $M/tf'
rm "$L/tf"
check "a tmpfs layer (no revalidation): a file deleted behind the mount stays as first seen" \
    "regular file 0
tf" 'stat -c "%F %h" $M/tf; cat $M/tf'
stack_umount

# --- a 9p layer ----------------------------------------------------------------
NINE=$T/nine; HOSTSIDE=$T/hostside
mkdir -p "$NINE" "$HOSTSIDE"
p9=trans=virtio,version=9p2000.L,msize=524288
if ! mount -t 9p -o "$p9,cache=loose" scratch "$NINE" 2>/dev/null ||
    ! mount -t 9p -o "$p9" scratch2 "$HOSTSIDE" 2>/dev/null; then
    while [ "$_n" -lt "$_plan" ]; do
        skip "9p case $((_n + 1))" "no writable 9p scratch share (tags scratch, scratch2: scripts/run-guest.sh)"
    done
    finish
fi
# this test's directory in the scratch share: HS as the host sees it, L as the
# layer's 9p mount does
d=$(basename "$T")
HS=$HOSTSIDE/$d
L=$NINE/$d
export L
mkdir "$HS" "$HS/keepdir" "$HS/deep"
echo kept > "$HS/keep"
echo f > "$HS/keepdir/f"
echo old > "$HS/repl"
echo hg > "$HS/hostgone"
echo gone > "$HS/gone"
echo old > "$HS/deep/repl2"
mount_both

check "9p layer, nothing changed: names stay valid at each lookup, a cwd inside is not deleted" \
    "kept
f
directory
regular file
directory
kept
f
@M/keepdir" \
    'cd $M/keepdir && cat $M/keep f && stat -c %F $M $M/keep . && cat $M/keep ./f &&
     readlink /proc/self/cwd'

check "9p layer, changed in place through its own mount (touch): 9p re-checks, the names stay valid" \
    "directory
kept
f
regular file
directory
@M/keepdir" \
    'touch -c $L $L/keep $L/keepdir && stat -c %F $M && cd $M/keepdir && cat $M/keep f &&
     stat -c %F $M/keep . && readlink /proc/self/cwd'

check "9p layer, before the changes: the files as made, a missing name" "regular file
regular file
regular file
old
gone
stat: can't stat '@M/later': No such file or directory
rc=1" 'stat -c %F $M/repl $M/hostgone $M/gone; cat $M/repl $M/gone; stat $M/later'

# on the host: a file replaced by a directory, one deleted, one created
rm "$HS/repl"
mkdir "$HS/repl"
echo inside > "$HS/repl/inside"
rm "$HS/hostgone"
echo later > "$HS/later"

check "changed on the host: 9p (cache=loose) does not see it, through its own mount either; both show what they found" \
    "regular file
regular file
regular file
regular file
directory
cat: can't open '@M/later': No such file or directory
rc=1" \
    'stat -c %F $M/repl $L/repl $M/hostgone $L/hostgone "$HS/repl"; cat $M/later'

# through the layer's own 9p mount: a setattr on the replaced file's name
# (9p will re-check that inode and find a directory), and an unlink
touch -c "$L/repl" || diag "touch -c $L/repl failed"
rm "$L/gone" || diag "rm $L/gone failed"

check "re-checked by 9p: the replaced file is stale (ESTALE, again at the next lookup), the deleted one ENOENT" \
    "stat: can't stat '@M/repl': Stale file handle
stat: can't stat '@M/repl': Stale file handle
stat: can't stat '@M/gone': No such file or directory
cat: can't open '@M/gone': No such file or directory
regular file
directory" \
    'stat -c %F $M/repl; stat -c %F $M/repl; stat -c %F $M/gone; cat $M/gone;
     stat -c %F $M/keep $M'

drop_all
check "once the dentries are dropped (drop_caches): what the host has now" "directory
regular file
inside
later
stat: can't stat '@M/hostgone': No such file or directory
stat: can't stat '@M/gone': No such file or directory
rc=1" \
    'stat -c %F $M/repl $M/keep; cat $M/repl/inside $M/later; stat -c %F $M/hostgone $M/gone'
stack_umount

# --- two levels: overlay on overlay, rovl on rovl over the 9p layer -----------
mkdir -p "$T/b-overlay" "$T/b-rovl"
for fs in $FSTYPES; do
    _msg=$(mnt "$fs" "$L" "$T/b-$fs" 2>&1) || diag "mount -t $fs (bottom) failed: $_msg"
done
_need_mount=1
for fs in $FSTYPES; do
    _msg=$(mnt "$fs" "$T/b-$fs" "$T/$fs" 2>&1) || diag "mount -t $fs (top) failed: $_msg"
done
check "two levels: a file as made" "regular file
regular file
old" 'stat -c %F $M/deep/repl2 $T/b-$FSTYPE/deep/repl2; cat $M/deep/repl2'

rm "$HS/deep/repl2"
mkdir "$HS/deep/repl2"
touch -c "$L/deep/repl2" || diag "touch -c $L/deep/repl2 failed"

check "two levels: replaced on the host and re-checked by 9p: stale through both" \
    "stat: can't stat '@M/deep/repl2': Stale file handle
stat: can't stat '@B/deep/repl2': Stale file handle" \
    'stat -c %F $M/deep/repl2; stat -c %F $T/b-$FSTYPE/deep/repl2 2>&1 | sed "s|$T/b-$FSTYPE|@B|"'

drop_all
check "two levels, once the dentries are dropped: the directory" "directory
directory" 'stat -c %F $M/deep/repl2 $T/b-$FSTYPE/deep/repl2'

for fs in $FSTYPES; do umount "$T/$fs"; umount "$T/b-$fs"; done
_need_mount=
rm -rf "$HS"
umount "$NINE"
umount "$HOSTSIDE"
finish
