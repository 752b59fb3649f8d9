#!/bin/sh
# open/read/mmap/exec of regular files through one lower layer.
. "$(dirname "$0")/lib.sh"
plan 12
setup
mkdir -p "$L/dir"
echo hello > "$L/file"
: > "$L/empty"
head -c 1048583 /dev/urandom > "$L/big"   # 1 MiB + 7: not page aligned
truncate -s 10485760 "$L/sparse"; echo middle | dd of="$L/sparse" bs=1 seek=5000000 conv=notrunc 2>/dev/null
printf '#!/bin/sh\necho script-ran "$@"\n' > "$L/script.sh"; chmod 755 "$L/script.sh"
# busybox picks its applet by argv[0]: name the copy and the link "busybox"
cp /bin/busybox "$L/busybox"; chmod 755 "$L/busybox"
mkdir -p "$L/links"; ln -s ../busybox "$L/links/busybox"
chmod 644 "$L/file"
mount_both

check "cat a small file and an empty one" "hello
0" 'cat $M/file; wc -c < $M/empty'
check "read a 1 MiB file: same bytes as the lower" "$(md5sum < "$L/big")" 'md5sum < $M/big'
check "read at offsets (dd skip), and past EOF" "$(dd if="$L/big" bs=4096 skip=100 count=3 2>/dev/null | md5sum)
$(dd if="$L/big" bs=10 skip=104857 2>/dev/null | od -An -tx1)
0" \
    'dd if=$M/big bs=4096 skip=100 count=3 2>/dev/null | md5sum
     dd if=$M/big bs=10 skip=104857 2>/dev/null | od -An -tx1
     dd if=$M/big bs=4096 skip=1000 2>/dev/null | wc -c'
check "sparse file: size, blocks and content" "$(stat -c '%s %b' "$L/sparse"; md5sum < "$L/sparse")" \
    'stat -c "%s %b" $M/sparse; md5sum < $M/sparse'
check "reading a directory fails with EISDIR" "cat: read error: Is a directory
rc=1" 'cat $M/dir'
check "a file used as a directory fails with ENOTDIR" "cat: can't open '@M/file/x': Not a directory
rc=1" 'cat $M/file/x'
check "exec a shell script" "script-ran a b" '$M/script.sh a b'
check "exec a static binary, directly and through a symlink" "static-ran
link-ran" '$M/busybox echo static-ran; $M/links/busybox echo link-ran'
check "exec of a non-executable file fails with EACCES" "sh: @M/file: Permission denied
rc=126" 'sh -c "$M/file"'

if have_hpy; then
    cat > "$T/t_mmap.py" <<'PY'
import errno, mmap, os, sys
path, ref = sys.argv[1], sys.argv[2]
want = open(ref, "rb").read()
with open(path, "rb") as f:
    m = mmap.mmap(f.fileno(), 0, mmap.MAP_SHARED, mmap.PROT_READ)
    print("shared-ro", "equal" if m[:] == want else "DIFFERENT", len(m))
    print("slice", m[1000:1008] == want[1000:1008])
    m.close()
    p = mmap.mmap(f.fileno(), 0, mmap.MAP_PRIVATE, mmap.PROT_READ | mmap.PROT_WRITE)
    p[0:4] = b"XXXX"
    print("private-write", p[0:4], "file-unchanged", open(path, "rb").read(4) == want[:4])
    p.close()
    try:
        mmap.mmap(f.fileno(), 0, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        print("shared-rw mapped")
    except OSError as e:
        print("shared-rw", errno.errorcode[e.errno])
PY
    check "mmap: shared read, private write, shared write refused" "shared-ro equal 1048583
slice True
private-write b'XXXX' file-unchanged True
shared-rw EACCES" 'hpy $T/t_mmap.py $M/big $L/big'
else
    skip "mmap: shared read, private write, shared write refused" "host python3 not usable via /host"
fi
check "4 readers in parallel (find, stat, read)" "$(for i in 1 2 3 4; do echo "$i: $(cd "$L" && find . | wc -l) $(md5sum < "$L/big")"; done)" \
    'for i in 1 2 3 4; do
         ( echo "$i: $(cd $M && find . | wc -l) $(md5sum < $M/big)" > $T/par.$i.$FSTYPE
           for j in 1 2 3 4 5; do stat $M/file $M/dir $M/links/busybox > /dev/null; cat $M/file > /dev/null; done ) &
     done; wait; cat $T/par.[1-4].$FSTYPE'
check "the lower is unchanged" "$(cd "$L" && ls -lan; md5sum big)" 'cd $L && ls -lan; md5sum big'
finish
