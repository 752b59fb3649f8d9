#!/usr/bin/env bash
# Installs everything rovl needs to build a Rust-for-Linux kernel, the module
# and the QEMU guest. Idempotent: does nothing when all is present.
#
#   scripts/install-deps.sh [bench]
#
# The guest runs host programs from the read-only host share: python3,
# setfattr/getfattr (attr) and setfacl/getfacl (acl, tests/158-acl.sh), the
# container tools of tests/160-podman.sh (podman, buildah, crun, conmon), and
# the kernel's overlayfs selftests, built statically against libc6-dev and
# libcap-dev (scripts/build-selftests.sh). "bench" adds what only `make bench`
# needs: fuse-overlayfs.
set -euo pipefail
. "$(dirname "$0")/env.sh"

debs=(rustc-web rust-web-src clang-19 lld-19 llvm-19 libclang-19-dev
      qemu-system-x86 busybox-static flex bison bc libelf-dev libssl-dev
      cpio kmod xz-utils make e2fsprogs squashfs-tools attr acl python3
      rust-web-clippy rustfmt-web
      libc6-dev libcap-dev
      podman buildah crun conmon)
[ "${1:-}" != bench ] || debs+=(fuse-overlayfs)

missing=()
for p in "${debs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "rovl: installing Debian packages: ${missing[*]}"
    sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd=sudo
    $sudo_cmd apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if ! "$BINDGEN" --version 2>/dev/null | grep -q "$BINDGEN_VERSION"; then
    echo "rovl: installing bindgen-cli $BINDGEN_VERSION into $ROVL_CACHE/bindgen"
    LIBCLANG_PATH=/usr/lib/llvm-19/lib cargo install --locked bindgen-cli \
        --version "$BINDGEN_VERSION" --root "$ROVL_CACHE/bindgen"
fi
