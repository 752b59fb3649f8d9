#!/bin/sh
# Writable mounts, data and attributes: every way to copy a lower file up
# (open for writing, truncate, chmod, chown, utimes, setxattr, removexattr,
# link, rename) keeps data, mode, owner, mtime and xattrs except the one
# changed; a directory is copied up alone; a read-only fd opened before the
# copy-up; writes (pwrite, O_APPEND, fallocate, truncate, mmap, fsync, syncfs);
# a non-root user (EACCES, setuid dropped on write). The lower layer is
# never written.
. "$(dirname "$0")/lib.sh"
plan 13
setup
need_hpy "upper data"

cd "$L" || exit 1
CU="open_w open_rw open_a trunc chmod chown utime setx rmx link ren"
mkdir -p cu/sub/deeper wr perm/ro perm/open
for f in $CU keep; do
    echo "data of $f" > "cu/$f"
    chmod 640 "cu/$f"; chown 12:34 "cu/$f"
    hostrun /usr/bin/setfattr -n user.x -v 1 "cu/$f"
    hostrun /usr/bin/setfattr -n trusted.other -v kept "cu/$f"
    hostrun /usr/bin/setfattr -n trusted.overlay.origin -v junk "cu/$f"
    touch -d "2001-02-03 04:05:06" "cu/$f"
done
echo child > cu/sub/child; echo deeper > cu/sub/deeper/f
chmod 750 cu/sub; chown 7:8 cu/sub; touch -d "2002-03-04 05:06:07" cu/sub
echo original > cu/rofd
printf '0123456789\n' > wr/pw; echo abc > wr/app; echo fa > wr/fa; echo tu > wr/tu
echo truncate-down > wr/td; echo mmap-target > wr/mm; echo sync > wr/sy
echo root-only > perm/ro/f; chmod 644 perm/ro/f
printf '#!/bin/sh\necho suid\n' > perm/suid; chown 1000:1000 perm/suid; chmod 4755 perm/suid
printf 'open\n' > perm/open/suid2; chmod 4766 perm/open/suid2; chmod 777 perm/open
cd /
LOWER_DIGEST='cd $L && find . | LC_ALL=C sort | while read -r p; do echo "$p $(stat -c "%A %u %g %s %Y" "$p")"; done | md5sum
              find . -type f | LC_ALL=C sort | xargs md5sum | md5sum
              hostrun /usr/bin/getfattr -R -d -m - --absolute-names . 2>&1 | md5sum'
export LOWER_DIGEST
LOWER_BEFORE=$(run_on overlay "$LOWER_DIGEST")

upper_mount

# --- copy-up ------------------------------------------------------------------
COPYUP='sysops "open cu/open_w w" "open cu/open_rw rw" "open cu/open_a a" "truncate cu/trunc 4" \
            "chmod cu/chmod 600" "chown cu/chown 56 78" "utime cu/utime 1234567890" \
            "setxattr cu/setx user.y 2" "removexattr cu/rmx user.x" "link cu/link cu/link2" \
            "rename cu/ren cu/ren2" "chmod cu/sub 700"'
export COPYUP
# the line of a copied-up file: every attribute kept but what the op changed
cu_line() { # NAME [CONTENT-FMT [MODE [OWNER [XATTRS]]]]
    echo "$(tree_file "cu/$1" "${2:-data of $1\n}" "${3:-640}" "${4:-12:34}") ${5:-trusted.other=kept user.x=1}"
}
scenario "each way to copy up a lower file; a directory is copied up alone" \
    "open cu/open_w w: OK
open cu/open_rw rw: OK
open cu/open_a a: OK
truncate cu/trunc 4: OK
chmod cu/chmod 600: OK
chown cu/chown 56 78: OK
utime cu/utime 1234567890: OK
setxattr cu/setx user.y 2: OK
removexattr cu/rmx user.x: OK
link cu/link cu/link2: OK
rename cu/ren cu/ren2: OK
chmod cu/sub 700: OK
child deeper" \
    'eval "$COPYUP"; echo $(ls cu/sub)' \
    ". d 755 0:0
cu d 755 0:0
$(cu_line chmod '' 600)
$(cu_line chown '' 640 56:78)
$(cu_line link)
$(cu_line link2 'data of link\n')
$(cu_line open_a)
$(cu_line open_rw)
$(cu_line open_w)
cu/ren WHITEOUT
$(cu_line ren2 'data of ren\n')
$(cu_line rmx '' 640 12:34 trusted.other=kept)
$(cu_line setx '' 640 12:34 'trusted.other=kept user.x=1 user.y=2')
cu/sub d 700 7:8
$(cu_line trunc 'data')
$(cu_line utime)"
# still mounted from the scenario above
check "copy-up keeps mtime (but for truncate and utimes); trusted.overlay.* of the lower is not copied" \
    "chmod same-mtime not-copied
chown same-mtime not-copied
link same-mtime not-copied
link2 same-mtime not-copied
open_a same-mtime not-copied
open_rw same-mtime not-copied
open_w same-mtime not-copied
ren2 same-mtime not-copied
rmx same-mtime not-copied
setx same-mtime not-copied
sub same-mtime not-copied
trunc new-mtime not-copied
utime 1234567890 not-copied" \
    'cd $U/cu && for f in *; do
         [ -c $f ] && continue   # the whiteout left by the rename
         case $f in link2|ren2) low=$L/cu/${f%2} ;; *) low=$L/cu/$f ;; esac
         m=$(stat -c %Y $f); if [ "$m" = "$(stat -c %Y $low)" ]; then m=same-mtime
         elif [ "$m" -gt 1577836800 ] && [ "$m" != 1234567890 ]; then m=new-mtime; fi
         v=$(hostrun /usr/bin/getfattr --only-values -n trusted.overlay.origin $f 2>/dev/null)
         [ "$v" = junk ] && v=copied || v=not-copied
         echo $f $m $v
     done'
check "the merged view of copied-up files: xattrs, mode, owner, link count" \
    "trusted.other user.x user.y
640 12:34 2
600 12:34 1
640 56:78 1" \
    'cd $M/cu && echo $(hostrun /usr/bin/getfattr -m - --absolute-names setx | grep -v "^#")
     stat -c "%a %u:%g %h" link chmod chown'

scenario "a read-only fd opened before the copy-up reads the new data afterwards" \
    "before: b'original\\n'
old fd: b'changed!\\n' size 9
new fd: b'changed!\\n'" \
    'hpy -c "
import os
r = os.open(\"cu/rofd\", os.O_RDONLY)
print(\"before:\", os.pread(r, 100, 0))
w = os.open(\"cu/rofd\", os.O_WRONLY | os.O_TRUNC)
os.write(w, b\"changed!\\n\")
os.close(w)
print(\"old fd:\", os.pread(r, 100, 0), \"size\", os.fstat(r).st_size)
n = os.open(\"cu/rofd\", os.O_RDONLY)
print(\"new fd:\", os.read(n, 100))
"' \
    ". d 755 0:0
cu d 755 0:0
$(tree_file cu/rofd 'changed!\n')"

# --- writes -------------------------------------------------------------------
MMAP='hpy -c "
import mmap, os
fd = os.open(\"wr/mm\", os.O_RDWR)
m = mmap.mmap(fd, 0, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
m[0:5] = b\"MMAP!\"
m.flush()
m.close()
os.fsync(fd)
os.fdatasync(fd)
os.close(fd)
print(\"mmap ok\")
"'
export MMAP
scenario "writes: new file, pwrite, O_APPEND, fallocate, truncate up and down, mmap, fsync, syncfs" \
    "pwrite wr/pw 2 XY: OK
append wr/app def: OK
fallocate wr/fa 0 8192: OK
truncate wr/tu 10: OK
truncate wr/td 4: OK
read wr/pw: b'01XY456789\\n'
read wr/app: b'abc\\ndef'
stat wr/fa: 100644 8192 1
read wr/tu: b'tu\\n\\x00\\x00\\x00\\x00\\x00\\x00\\x00'
read wr/td: b'trun'
mmap ok
MMAP!target
synced
upper and merged agree" \
    'echo new > wr/new
     sysops "pwrite wr/pw 2 XY" "append wr/app def" "fallocate wr/fa 0 8192" "truncate wr/tu 10" "truncate wr/td 4" \
            "read wr/pw" "read wr/app" "stat wr/fa" "read wr/tu" "read wr/td"
     eval "$MMAP"; cat wr/mm; echo more >> wr/sy && sync -f $M && sync -f wr/sy && echo synced
     for f in wr/*; do cmp -s $f $U/$f || echo "$f: upper differs"; done; echo upper and merged agree' \
    ". d 755 0:0
wr d 755 0:0
$(tree_file wr/app 'abc\ndef')
$({ printf 'fa\n'; head -c 8189 /dev/zero; } | tree_file wr/fa -)
$(tree_file wr/mm 'MMAP!target\n')
$(tree_file wr/new 'new\n')
$(tree_file wr/pw '01XY456789\n')
$(tree_file wr/sy 'sync\nmore\n')
$(tree_file wr/td 'trun')
$({ printf 'tu\n'; head -c 7 /dev/zero; } | tree_file wr/tu -)"

# --- a non-root user ----------------------------------------------------------
# asuser OP...: sysops as uid:gid 1000:1000 (no supplementary groups)
asuser() {
    hpy -c 'import os; os.setgroups([]); os.setgid(1000); os.setuid(1000); exec(os.environ["SYSOPS_PY"])' "$@"
}
export SYSOPS_PY
scenario "a non-root user: EACCES for files and dirs it may not write, nothing copied up for them" \
    "open perm/ro/f w: EACCES
open perm/ro/new wc: EACCES
truncate perm/ro/f 0: EACCES
chmod perm/ro/f 666: EPERM
unlink perm/ro/f: EACCES
open perm/open/mine wc: OK
root-only" \
    'asuser "open perm/ro/f w" "open perm/ro/new wc" "truncate perm/ro/f 0" "chmod perm/ro/f 666" \
            "unlink perm/ro/f" "open perm/open/mine wc"
     cat perm/ro/f' \
    ". d 755 0:0
perm d 755 0:0
perm/open d 777 0:0
perm/open/mine f 644 1000:1000 0 d41d8cd98f00b204e9800998ecf8427e"
scenario "a non-root write drops the setuid bit (a file it owns, a file it may write)" \
    "append perm/suid #: OK
append perm/open/suid2 x: OK
755 1000:1000
766 0:0" \
    'asuser "append perm/suid #" "append perm/open/suid2 x"
     stat -c "%a %u:%g" perm/suid perm/open/suid2' \
    ". d 755 0:0
perm d 755 0:0
perm/open d 777 0:0
$(tree_file perm/open/suid2 'open\nx' 766 0:0)
$(tree_file perm/suid '#!/bin/sh\necho suid\n#' 755 1000:1000)"

check "the lower layer is untouched" "$LOWER_BEFORE" "$LOWER_DIGEST"
upper_umount
finish
