#!/usr/bin/env bash
# Installs everything rovl needs to build a Rust-for-Linux kernel, the module
# and the QEMU guest. Idempotent: does nothing when all is present.
#
#   scripts/install-deps.sh [bench]
#
# "bench" adds what only `make bench` needs: fuse-overlayfs (run in the guest
# from the read-only host share) and a static C library for the benchmark
# helper.
set -euo pipefail
. "$(dirname "$0")/env.sh"

debs=(rustc-web rust-web-src clang-19 lld-19 llvm-19 libclang-19-dev
      qemu-system-x86 busybox-static flex bison bc libelf-dev libssl-dev
      cpio kmod xz-utils make e2fsprogs squashfs-tools attr python3
      rust-web-clippy rustfmt-web)
[ "${1:-}" != bench ] || debs+=(fuse-overlayfs libc6-dev)

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
