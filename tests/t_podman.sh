#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The container-tool scenario of tests/160-podman.sh: Debian's buildah and
# podman, unmodified, on containers/storage's overlay driver, which mounts the
# filesystem type "overlay" (overlayfs, or rovl loaded as overlay: the caller
# decides). It runs in a chroot of the host's userland (160-podman.sh builds
# it) and prints only what must not depend on which filesystem answered:
# exit codes, trees (paths, types, modes, owners, sizes, md5s), `podman diff`,
# the committed layers' entries, containers/storage's probe results. No image
# or layer IDs, no times.
#
#   t_podman.sh WORKDIR         (WORKDIR: scratch space, made empty)
#
# Steps (each prints "== STEP" and then its output; "rc=N" when a command
# fails):
#   1. layer 1: `buildah from scratch`, `buildah copy` of a small root file
#      system (busybox-static and files of every kind), `buildah commit` img1
#   2. layer 2: `buildah from img1`, `buildah mount`, then through that mount
#      (the overlay's merged directory): add, delete (a whiteout), rename (a
#      copy-up and a whiteout), chmod (a metadata copy-up), replace a whole
#      directory (an opaque directory), append to a lower file; `buildah
#      commit` img2
#   3. layer 3: `buildah copy` one more directory; `buildah commit` img3
#   4. `podman image mount img3`: the merged tree
#   5. `podman run` of img3 that writes, deletes and renames files; its output;
#      `podman diff`; `podman commit` img4; the new layer's entries (from
#      `podman save`, docker-archive)
#   6. `podman info`: containers/storage's own probes (native diff, d_type,
#      metacopy) and the backing filesystem
set -u
work=${1:?usage: $0 WORKDIR}
here=$(cd "$(dirname "$0")" && pwd)
export PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C TZ=UTC HOME=/root
export BUILDAH_ISOLATION=chroot
# One store for both tools; no systemd (cgroupfs), no journald (a file).
store=(--root /var/lib/containers/storage --runroot /run/containers/storage
       --storage-driver overlay)
podman() { command podman "${store[@]}" --cgroup-manager cgroupfs --events-backend file "$@"; }
buildah() { command buildah "${store[@]}" "$@"; }
RUN_OPTS=(--network none --cgroups disabled --pull never --log-driver k8s-file
          ${ROVL_PODMAN_RUN_OPTS:-})

rm -rf "$work"; mkdir -p "$work"
cd "$work" || exit 1

# step NAME CMD...: "== NAME", the command's output, "rc=N" if it failed
step() {
    local name=$1; shift
    echo "== $name"
    "$@" 2>&1
    local rc=$?
    [ $rc -eq 0 ] || echo "rc=$rc"
    return $rc
}
# quiet CMD...: the command's output only if it failed (with rc=N); for
# commands whose success output is an ID or a path
quiet() {
    local out rc
    out=$("$@" 2>&1); rc=$?
    [ $rc -eq 0 ] || printf '%s\nrc=%d\n' "$out" "$rc"
    return $rc
}
# The host's busybox is in the image: its size and md5 are the host's
# business, written as "<busybox>" so that the expected output holds anywhere.
bb_sum="$(stat -c %s /bin/busybox) $(md5sum < /bin/busybox | cut -c1-32)"
tree() {
    python3 -S -c 'import sys; sys.path.insert(0, sys.argv[1]); import t_tree
print("\n".join(t_tree.tree(sys.argv[2], merged=True)))' "$here" "$1" |
        sed "s/ $bb_sum\$/ <busybox>/"
}
# layer_entries IMAGE: the entries of IMAGE's top layer, as `podman save`
# writes it (docker-archive): path, type, mode, owner, size, md5; whiteouts
# are the AUFS-style .wh. files the layer tar carries
layer_entries() {
    rm -rf "$work/save"; mkdir "$work/save"
    quiet podman save --format docker-archive -o "$work/save/img.tar" "$1" || return
    python3 -S -c '
import hashlib, json, sys, tarfile
outer = tarfile.open(sys.argv[1])
manifest = json.load(outer.extractfile("manifest.json"))
top = manifest[0]["Layers"][-1]
print("layers:", len(manifest[0]["Layers"]))
layer = tarfile.open(fileobj=outer.extractfile(top))
kinds = {tarfile.REGTYPE: "f", tarfile.DIRTYPE: "d", tarfile.SYMTYPE: "l",
         tarfile.LNKTYPE: "h", tarfile.FIFOTYPE: "p", tarfile.CHRTYPE: "c"}
for m in sorted(layer.getmembers(), key=lambda m: m.name):
    f = [m.name.rstrip("/") or ".", kinds.get(m.type, "?"), "%o" % (m.mode & 0o7777), "%d:%d" % (m.uid, m.gid)]
    if m.isfile():
        f += [str(m.size), hashlib.md5(layer.extractfile(m).read()).hexdigest()]
    elif m.issym() or m.islnk():
        f += ["->", m.linkname]
    print(" ".join(f))
' "$work/save/img.tar"
}

# --- the root file system of layer 1 ----------------------------------------
r=$work/rootfs
mkdir -p "$r"/bin "$r"/etc "$r"/data "$r"/dir/sub/deeper "$r"/gone/inner "$r"/empty "$r"/tmp
cp /bin/busybox "$r/bin/busybox"
for a in sh ls cat echo mv rm mkdir chmod ln touch; do ln -s busybox "$r/bin/$a"; done
echo "rovl-image" > "$r/etc/hostname-orig"
printf 'remove me\n' > "$r/etc/removeme"
printf 'mode\n' > "$r/etc/mode"; chmod 644 "$r/etc/mode"
printf 'old data\n' > "$r/data/old"
seq 1 50000 > "$r/data/big"
printf 'append to me\n' > "$r/data/log"
printf 'one\n' > "$r/dir/sub/one"; printf 'two\n' > "$r/dir/sub/deeper/two"
printf 'gone\n' > "$r/gone/file"; printf 'inner\n' > "$r/gone/inner/file"
ln "$r/data/old" "$r/data/old-hardlink"
ln -s ../data/old "$r/etc/link-to-old"
mkfifo "$r/dir/fifo"
printf 'suid\n' > "$r/bin/suid"; chmod 4755 "$r/bin/suid"
chmod 1777 "$r/tmp"
mkdir -p "$work/extra/sub"; printf 'extra\n' > "$work/extra/sub/file"

# --- 1. layer 1 ---------------------------------------------------------------
echo "== layer 1"
c1=$(buildah from scratch 2>&1) || { printf '%s\nrc=1\n' "$c1"; exit 1; }
quiet buildah copy "$c1" "$r" / &&
    quiet buildah config --cmd /bin/sh "$c1" &&
    quiet buildah commit -q "$c1" img1 &&
    quiet buildah rm "$c1" || exit 1

# --- 2. layer 2: changes through the overlay's merged directory ---------------
echo "== layer 2"
c2=$(buildah from --pull-never img1 2>&1) || { printf '%s\nrc=1\n' "$c2"; exit 1; }
m=$(buildah mount "$c2" 2>&1) || { printf '%s\nrc=1\n' "$m"; exit 1; }
(
    set -e
    cd "$m"
    echo added > etc/added                      # a new file
    rm etc/removeme                             # a whiteout
    mv data/old data/renamed                    # a copy-up and a whiteout
    chmod 600 etc/mode                          # a metadata-only change
    rm -r gone; mkdir gone; echo fresh > gone/fresh   # an opaque directory
    echo more >> data/log                       # a copy-up of data
    mkdir newdir; echo x > newdir/x             # a new directory
    ln -s renamed data/link-to-renamed
)
echo "changes through the mount: rc=$?"
quiet buildah umount "$c2" &&
    quiet buildah commit -q "$c2" img2 &&
    quiet buildah rm "$c2" || exit 1

# --- 3. layer 3 ---------------------------------------------------------------
echo "== layer 3"
c3=$(buildah from --pull-never img2 2>&1) || { printf '%s\nrc=1\n' "$c3"; exit 1; }
quiet buildah copy "$c3" "$work/extra" /opt &&
    quiet buildah commit -q "$c3" img3 &&
    quiet buildah rm "$c3" || exit 1
step "img3's layers" podman image inspect --format '{{len .RootFS.Layers}}' img3

# --- 4. the image's merged tree -----------------------------------------------
echo "== podman image mount img3"
im=$(podman image mount img3 2>&1) || { printf '%s\nrc=1\n' "$im"; exit 1; }
tree "$im"
quiet podman image unmount img3

# --- 5. a container ----------------------------------------------------------
step "podman run" podman run --name c1 "${RUN_OPTS[@]}" img3 sh -c '
    echo new > /new
    rm /etc/added
    mv /data/renamed /data/renamed-again
    rm -r /dir/sub; mkdir /dir/sub; echo again > /dir/sub/again
    echo even-more >> /data/log
    cat /data/log /opt/sub/file /gone/fresh
    ls /gone /dir/sub
    ls -l /etc/mode | cut -c1-10'
step "podman diff" sh -c 'podman diff c1 | sort'
echo "== podman commit c1 img4"
quiet podman commit -q c1 img4
step "img4's new layer" layer_entries img4

# --- 6. containers/storage's probes ---------------------------------------------
step "podman info" podman info --format \
    'backing {{index .Store.GraphStatus "Backing Filesystem"}}
native diff {{index .Store.GraphStatus "Native Overlay Diff"}}
d_type {{index .Store.GraphStatus "Supports d_type"}}
metacopy {{index .Store.GraphStatus "Using metacopy"}}
driver {{.Store.GraphDriverName}}'

# --- cleanup: nothing of ours left mounted -------------------------------------
quiet podman rm -f -a >/dev/null
quiet podman image unmount -a >/dev/null
quiet buildah rm -a >/dev/null
quiet podman rmi -a -f >/dev/null
echo "== done"
