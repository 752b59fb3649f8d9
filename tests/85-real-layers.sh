#!/bin/sh
# Lower layers on real filesystems and a real-world stack: squashfs and 9p
# lowers read correctly through the union (data, mmap, exec through the host
# loader), and a 3-layer stack made of the host's /etc (over 9p), a layer of
# deletions (whiteouts) and a replaced directory (opaque), and a layer of
# additions merges exactly as a hand-made merge of the same trees: every path,
# type, mode, owner, size, link target and checksum.
. "$(dirname "$0")/lib.sh"
plan 5
setup

# tree_digest DIR: one line per path (type, mode, owner, link target; size for
# non-directories, whose sizes do not depend on the filesystem) and the md5 of
# every file
tree_digest() {
    (cd "$1" && hostrun /usr/bin/find . -printf '%p %y %m %U %G %l\n' | LC_ALL=C sort &&
        hostrun /usr/bin/find . ! -type d -printf '%p %s\n' | LC_ALL=C sort &&
        hostrun /usr/bin/find . -type f -print0 | LC_ALL=C hostrun /usr/bin/sort -z |
        xargs -0 -r md5sum) | md5sum
}

# --- squashfs ------------------------------------------------------------
mkdir -p "$T/sqsrc/dir/deeper" "$T/sq" "$T/sqtop"
head -c 3000000 /dev/urandom > "$T/sqsrc/dir/big"
echo small > "$T/sqsrc/dir/deeper/small"
ln -s dir/big "$T/sqsrc/biglink"
printf '#!/bin/sh\necho squashfs-script-ran\n' > "$T/sqsrc/script"; chmod 755 "$T/sqsrc/script"
if hostrun /usr/bin/mksquashfs "$T/sqsrc" "$T/img.sqfs" -quiet -noappend -no-progress >/dev/null 2>&1 &&
    mount -t squashfs -o loop,ro "$T/img.sqfs" "$T/sq"; then
    echo top-layer > "$T/sqtop/extra"
    stack_mount "lowerdir=$T/sqtop:$T/sq"
    SQSUM=$(cd "$T/sq" && md5sum dir/big dir/deeper/small biglink)
    export SQSUM
    check "a squashfs lower: every file reads back the same" "$SQSUM
top-layer" 'cd $M && md5sum dir/big dir/deeper/small biglink; cat extra'
    check "a squashfs lower: exec a script and mmap a file" "squashfs-script-ran
$(md5sum < "$T/sq/dir/big")" \
        '$M/script; if have_hpy; then hpy -c "
import mmap, os, hashlib
f = open(os.environ[\"M\"] + \"/dir/big\", \"rb\")
m = mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ)
print(hashlib.md5(m[:]).hexdigest() + \"  -\")
"; else md5sum < $M/dir/big; fi'
    stack_umount
else
    skip "a squashfs lower: every file reads back the same" "cannot build or mount a squashfs image"
    skip "a squashfs lower: exec a script and mmap a file" "cannot build or mount a squashfs image"
fi

# --- 9p ------------------------------------------------------------------
NINE=$HOST_ROOT/usr/share/common-licenses
if grep -q " $HOST_ROOT 9p " /proc/mounts && [ -d "$NINE" ]; then
    mkdir -p "$T/ninetop"
    echo mine > "$T/ninetop/local"
    stack_mount "lowerdir=$T/ninetop:$NINE"
    NINESUM=$(cd "$NINE" && find . -type f | sort | xargs md5sum | md5sum)
    export NINESUM
    check "a 9p lower: every file reads back the same" "$NINESUM
mine" 'cd $M && find . -type f ! -name local | sort | xargs md5sum | md5sum; cat local'
    stack_umount
    # a dynamically linked host binary run from a 9p layer: the loader maps it
    mkdir -p "$T/bintop"
    stack_mount "lowerdir=$T/bintop:$HOST_ROOT/usr/bin"
    check "a 9p lower: run a host binary through the union (mmap by the loader)" "rovl-9p-exec" \
        '"$HOST_LD" --library-path "$HOST_LIBS" $M/echo rovl-9p-exec'
    stack_umount
else
    skip "a 9p lower: every file reads back the same" "no 9p host share"
    skip "a 9p lower: run a host binary through the union (mmap by the loader)" "no 9p host share"
fi

# --- a real-world stack ----------------------------------------------------
ETC=$HOST_ROOT/etc
if grep -q " $HOST_ROOT 9p " /proc/mounts && [ -d "$ETC/apt" ]; then
    mid=$T/mid; top=$T/top; hand=$T/hand
    mkdir -p "$mid/apt" "$top/default"
    # deletions: whiteouts for a file, a symlink and a directory of /etc
    for n in hostname os-release default; do mknod "$mid/$n" c 0 0; done
    # a replaced directory: /etc/apt becomes opaque with new contents
    hostrun /usr/bin/setfattr -n trusted.overlay.opaque -v y "$mid/apt"
    echo 'replaced apt config' > "$mid/apt/only-this"
    # additions, and a file shadowing one of /etc
    echo 'new hosts file' > "$top/hosts"
    echo 'new default' > "$top/default/new"
    mkdir -p "$top/added/dir"; echo added > "$top/added/dir/file"; ln -s ../hosts "$top/added/link"
    # the same merge made by hand
    mkdir -p "$hand"
    cp -a "$ETC/." "$hand/"
    rm -rf "$hand/hostname" "$hand/os-release" "$hand/default" "$hand/apt"
    mkdir "$hand/apt"; cp -a "$mid/apt/only-this" "$hand/apt/"
    cp -a "$top/." "$hand/"
    # a merged directory shows its topmost layer's attributes: the hand-made
    # root and apt/ were made the same way as $top and $mid/apt
    HAND=$(cd "$hand" && tree_digest .)
    export HAND
    stack_mount "lowerdir=$top:$mid:$ETC"
    check "the host's /etc under a layer of deletions and a layer of additions equals a hand-made merge" \
        "$HAND" 'tree_digest $M'
    stack_umount
else
    skip "the host's /etc under a layer of deletions and a layer of additions equals a hand-made merge" "no 9p host share"
fi
finish
