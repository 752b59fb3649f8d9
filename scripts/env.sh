# Sourced by the scripts: where things live and which versions are pinned.
ROVL_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROVL_CACHE=${ROVL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rovl}
KERNEL_VERSION=7.3.4
BINDGEN_VERSION=0.72.1
BINDGEN=$ROVL_CACHE/bindgen/bin/bindgen
RUSTC=/usr/bin/rustc
RUST_LIB_SRC=/usr/lib/rustlib/src/rust/library
export ROVL_TOP ROVL_CACHE KERNEL_VERSION BINDGEN_VERSION BINDGEN RUSTC RUST_LIB_SRC
mkdir -p "$ROVL_CACHE"
