#!/bin/sh
# rovl drop-in demo (make run DEMO=podman): rovl loaded as "overlay", then
# Debian's buildah and podman, unmodified, from the host's userland (a chroot
# of the read-only host share, see hostroot_up in tests/lib.sh) build a
# one-layer image and run a container on it. Says why when it cannot.
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
KO=${ROVL_KO:-/lib/modules/rust_ovl.ko}
. /tests/lib.sh
_LIB_DIR=/tests
run() { echo; echo "\$ $*"; sh -c "$*" </dev/null; }

echo "=== rovl drop-in demo: podman on rovl loaded as overlay ==="
why=$(host_has_podman) || { echo "demo: cannot run podman here: $why"; exit 1; }
if grep -qw overlay /proc/filesystems && ! grep -q "^overlay " /proc/modules; then
    echo "demo: overlayfs is built into this kernel (CONFIG_OVERLAY_FS=y): the name"
    echo "demo: 'overlay' is taken, rovl cannot have it (the test kernel builds it as a module)"
    exit 1
fi
grep -q "^overlay " /proc/modules && run "rmmod overlay"
run "insmod $KO as_overlay=1" || { echo "demo: cannot load rovl as overlay"; exit 1; }
run "grep overlay /proc/filesystems"
run "dmesg | grep 'rovl: registered'"

R=/tmp/hostroot
hostroot_up "$R" || { echo "demo: cannot build the chroot of the host's userland at $R"; exit 1; }
mkdir -p "$R/var/lib/containers"
mount -t tmpfs -o mode=700 demo-store "$R/var/lib/containers"
mount -t tmpfs -o mode=755 demo-run "$R/run"
echo
echo "--- in a chroot of the host's userland (podman $(chroot "$R" podman --version | cut -d' ' -f3)), storage on tmpfs ---"
chroot "$R" /usr/bin/bash -c '
    export PATH=/usr/sbin:/usr/bin HOME=/root BUILDAH_ISOLATION=chroot
    # The host'"'"'s /etc is read-only here: the settings a machine would keep in
    # /etc/containers come from files named by the environment instead.
    printf "[storage]\ndriver = \"overlay\"\ngraphroot = \"/var/lib/containers/storage\"\nrunroot = \"/run/containers/storage\"\n" > /tmp/storage.conf
    printf "[engine]\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\n" > /tmp/containers.conf
    export CONTAINERS_STORAGE_CONF=/tmp/storage.conf CONTAINERS_CONF=/tmp/containers.conf
    run() { echo; echo "\$ $*"; eval "$*"; }
    mkdir -p /tmp/rootfs/bin /tmp/rootfs/etc
    cp /bin/busybox /tmp/rootfs/bin/
    for a in sh ls cat echo grep cut; do ln -s busybox /tmp/rootfs/bin/$a; done
    echo "an image made in the guest" > /tmp/rootfs/etc/motd
    run "c=\$(buildah from scratch)"
    run "buildah copy \$c /tmp/rootfs / >/dev/null"
    run "buildah commit -q \$c demo >/dev/null && buildah rm \$c >/dev/null"
    run "podman images --format \"{{.Repository}}:{{.Tag}} {{.Size}}\""
    run "podman run --rm --network none --cgroups disabled demo sh -c \"cat /etc/motd; grep \\\" / \\\" /proc/mounts | cut -c1-72; echo written > /new-file; ls /\""
    run "podman info --format \"driver {{.Store.GraphDriverName}}, native diff {{index .Store.GraphStatus \\\"Native Overlay Diff\\\"}}, d_type {{index .Store.GraphStatus \\\"Supports d_type\\\"}}\""
    podman rmi -a -f >/dev/null 2>&1
'
rc=$?
umount_below "$R"; umount "$R"
run "rmmod rust_ovl"
echo
echo "=== end of demo (podman exit $rc) ==="
exit $rc
