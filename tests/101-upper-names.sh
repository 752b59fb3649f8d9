#!/bin/sh
# Writable mounts, names: create (file, dir, fifo, symlink, hard link) in a
# merged and in a deep lower-only directory (parents copied up), whiteouts
# and opaque directories made by delete and re-create, rmdir (ENOTEMPTY, an
# emptied merged dir), rm -rf of a lower tree, rename of lower files and dirs
# (EXDEV for a lower dir with rename(2); mv copies), renameat2 NOREPLACE and
# EXCHANGE. Each scenario starts from an empty upper; the merged view and
# then the upper layer (upper_tree) must be overlay's.
. "$(dirname "$0")/lib.sh"
plan 29
setup
need_hpy "upper names"

cd "$L" || exit 1
mkdir -p d deep/a/b/c gone/sub m empt tree/x/y wd ren/ldir/sub ren/mdir
echo f > d/f; echo g > d/g; echo file > deep/a/b/c/file
chmod 750 deep/a; chown 5:6 deep/a; chmod 711 deep/a/b
echo x > gone/x; echo s > gone/sub/s; echo wh > wh; echo wf > wf; echo inwd > wd/in
echo m1 > m/m1; echo e1 > empt/e1; echo e2 > empt/e2
for f in tree/t1 tree/x/t2 tree/x/y/t3; do echo "$f" > "$f"; done
for f in a b c d e; do echo "ren-$f" > "ren/$f"; done
echo l1 > ren/ldir/l1; echo l2 > ren/ldir/sub/l2; echo m > ren/mdir/m
cd /
# the lower layer, to check at the end that nothing wrote to it
LOWER_DIGEST='cd $L && find . | LC_ALL=C sort | while read -r p; do echo "$p $(stat -c "%A %u %g %s %Y" "$p")"; done | md5sum
              find . -type f | LC_ALL=C sort | xargs md5sum | md5sum'
export LOWER_DIGEST
LOWER_BEFORE=$(run_on overlay "$LOWER_DIGEST")

upper_mount

# --- create -------------------------------------------------------------------
scenario "create a file, dir, fifo, symlink and hard link in a merged directory" \
    "f g hl nd new p sl
f
2 2 same inode" \
    'echo new > d/new && mkdir d/nd && mknod d/p p && ln -s g d/sl && ln d/f d/hl &&
     echo $(ls d); cat d/hl; echo $(stat -c %h d/f d/hl) $([ d/f -ef d/hl ] && echo same inode)' \
    ". d 755 0:0
d d 755 0:0
$(tree_file d/f 'f\n')
$(tree_file d/hl 'f\n')
d/nd d 755 0:0
$(tree_file d/new 'new\n')
d/p p 644 0:0
d/sl l 777 0:0 -> g"
scenario "create deep in a lower-only directory: the parents are copied up with their mode and owner" \
    "ff file hl nd2 new sl
drwxr-x--- 5 6
drwx--x--x 0 0" \
    'c=deep/a/b/c; echo n > $c/new && mkdir $c/nd2 && mknod $c/ff p && ln -s x $c/sl && ln $c/file $c/hl &&
     echo $(ls $c); stat -c "%A %u %g" deep/a deep/a/b' \
    ". d 755 0:0
deep d 755 0:0
deep/a d 750 5:6
deep/a/b d 711 0:0
deep/a/b/c d 755 0:0
deep/a/b/c/ff p 644 0:0
$(tree_file deep/a/b/c/file 'file\n')
$(tree_file deep/a/b/c/hl 'file\n')
deep/a/b/c/nd2 d 755 0:0
$(tree_file deep/a/b/c/new 'n\n')
deep/a/b/c/sl l 777 0:0 -> x"
scenario "mkdir where a lower dir was removed: an opaque dir that hides the old contents" \
    "(empty)
y" \
    'rm -r gone && mkdir gone && echo "$(ls -A gone)(empty)"; echo y > gone/y && ls -A gone' \
    ". d 755 0:0
gone d 755 0:0 trusted.overlay.opaque=y
$(tree_file gone/y 'y\n')"
scenario "a file where a lower file was removed, a dir where a lower file was, a file where a lower dir was" \
    "again
dir-now
file-now" \
    'rm wh && echo again > wh && cat wh; rm wf && mkdir wf && echo dir-now > wf/in && cat wf/in
     rm -r wd && echo file-now > wd && cat wd' \
    ". d 755 0:0
$(tree_file wd 'file-now\n')
wf d 755 0:0 trusted.overlay.opaque=y
$(tree_file wf/in 'dir-now\n')
$(tree_file wh 'again\n')"

# --- delete -------------------------------------------------------------------
scenario "rm of a lower file leaves a whiteout; of an upper-only file nothing" \
    "g" \
    'rm d/f && echo tmp > d/tmp && rm d/tmp && echo $(ls d)' \
    ". d 755 0:0
d d 755 0:0
d/f WHITEOUT"
scenario "rmdir of a merged dir that is not empty in the merged view: ENOTEMPTY, nothing changes" \
    "rmdir: 'm': Directory not empty
rmdir: 'd': Directory not empty
m1
f g new" \
    'echo new > d/new; rmdir m; rmdir d; ls m; echo $(ls d)' \
    ". d 755 0:0
d d 755 0:0
$(tree_file d/new 'new\n')"
scenario "rmdir of a dir emptied by removing its lower children works and leaves a whiteout" \
    "ls: empt: No such file or directory
rc=1" \
    'rm empt/e1 empt/e2 && rmdir empt && ls empt' \
    ". d 755 0:0
empt WHITEOUT"
scenario "rm -rf of a lower tree; an upper-only tree" \
    "ls: tree: No such file or directory
ls: new: No such file or directory
rc=1" \
    'rm -rf tree && ls tree; mkdir -p new/a/b && echo x > new/a/b/x && rm -rf new && ls new' \
    ". d 755 0:0
tree WHITEOUT"

# --- rename -------------------------------------------------------------------
# A directory moved into a merged directory becomes opaque (overlay marks it so
# that a lower directory of the new name never merges into it); one made by
# mkdir in a merged directory does not (it goes over nothing, or is opaque
# when it goes over a whiteout).
scenario "rename a lower file within a dir, across dirs, and over another lower file" \
    "a2 c e
b f g
ren-d" \
    'mv ren/a ren/a2 && mv ren/b d/b && mv ren/d ren/e && echo $(ls ren | grep -v dir); echo $(ls d); cat ren/e' \
    ". d 755 0:0
d d 755 0:0
$(tree_file d/b 'ren-b\n')
ren d 755 0:0
ren/a WHITEOUT
$(tree_file ren/a2 'ren-a\n')
ren/b WHITEOUT
ren/d WHITEOUT
$(tree_file ren/e 'ren-d\n')"
scenario "rename(2) of a lower dir and of a merged dir: EXDEV; of an upper-only dir: ok" \
    "rename ren/ldir ren/ldir2: EXDEV
rename ren/mdir ren/mdir2: EXDEV
rename ren/udir ren/udir2: OK
l1 sub
m new
x" \
    'touch ren/mdir/new && mkdir ren/udir && echo x > ren/udir/x &&
     sysops "rename ren/ldir ren/ldir2" "rename ren/mdir ren/mdir2" "rename ren/udir ren/udir2"
     echo $(ls ren/ldir); echo $(ls ren/mdir); ls ren/udir2' \
    ". d 755 0:0
ren d 755 0:0
ren/mdir d 755 0:0
ren/mdir/new f 644 0:0 0 d41d8cd98f00b204e9800998ecf8427e
ren/udir2 d 755 0:0 trusted.overlay.opaque=y
$(tree_file ren/udir2/x 'x\n')"
scenario "mv of a lower dir works (it copies on EXDEV)" \
    "l1 sub
l2
ls: ren/ldir: No such file or directory
rc=1" \
    'mv ren/ldir ren/ldir2 && echo $(ls ren/ldir2); cat ren/ldir2/sub/l2; ls ren/ldir' \
    ". d 755 0:0
ren d 755 0:0
ren/ldir WHITEOUT
ren/ldir2 d 755 0:0
$(tree_file ren/ldir2/l1 'l1\n')
ren/ldir2/sub d 755 0:0
$(tree_file ren/ldir2/sub/l2 'l2\n')"
scenario "renameat2 RENAME_NOREPLACE: EEXIST over a lower file, a rename to a free name" \
    "renameat2 ren/a ren/b noreplace: EEXIST
renameat2 ren/a ren/new noreplace: OK
renameat2 ren/c d/f noreplace: EEXIST
ren-b" \
    'sysops "renameat2 ren/a ren/b noreplace" "renameat2 ren/a ren/new noreplace" "renameat2 ren/c d/f noreplace"; cat ren/b' \
    ". d 755 0:0
ren d 755 0:0
ren/a WHITEOUT
$(tree_file ren/new 'ren-a\n')"
scenario "renameat2 RENAME_EXCHANGE: a lower file with an upper file, two lower files" \
    "renameat2 ren/a ren/up exchange: OK
renameat2 ren/b ren/c exchange: OK
upper ren-a ren-c ren-b" \
    'echo upper > ren/up && sysops "renameat2 ren/a ren/up exchange" "renameat2 ren/b ren/c exchange"
     echo $(cat ren/a ren/up ren/b ren/c)' \
    ". d 755 0:0
ren d 755 0:0
$(tree_file ren/a 'upper\n')
$(tree_file ren/b 'ren-c\n')
$(tree_file ren/c 'ren-b\n')
$(tree_file ren/up 'ren-a\n')"
scenario "renameat2 RENAME_EXCHANGE of a lower dir: EXDEV; of a lower file with an upper-only dir" \
    "renameat2 ren/ldir ren/udir exchange: EXDEV
renameat2 ren/a ren/udir exchange: OK
ren-a
x" \
    'mkdir ren/udir && echo x > ren/udir/x &&
     sysops "renameat2 ren/ldir ren/udir exchange" "renameat2 ren/a ren/udir exchange"; cat ren/udir; cat ren/a/x' \
    ". d 755 0:0
ren d 755 0:0
ren/a d 755 0:0 trusted.overlay.opaque=y
$(tree_file ren/a/x 'x\n')
$(tree_file ren/udir 'ren-a\n')"

check "the lower layer is untouched" "$LOWER_BEFORE" "$LOWER_DIGEST"
upper_umount
finish
