#!/usr/bin/env bash
# Builds the pinned kernel (bzImage + modules, for Module.symvers) into a cache
# keyed by kernel version and config hash, and prints the build directory.
# A second run with the same source and config reuses the cached tree.
#
#   scripts/build-kernel.sh [test|release]
#
# KERNEL_SRC= may name an unpacked tree or a tarball to use instead of
# ../shared/linux-source-7.3.tar.xz.
set -euo pipefail
. "$(dirname "$0")/env.sh"
flavour=${1:-test}
fragment=$ROVL_TOP/qemu/kernel-$flavour.config
[ -f "$fragment" ] || { echo "rovl: no config fragment $fragment" >&2; exit 1; }

"$ROVL_TOP/scripts/install-deps.sh" >&2

# --- source ---------------------------------------------------------------
tarball=${KERNEL_SRC:-$ROVL_TOP/../shared/linux-source-7.3.tar.xz}
if [ -d "$tarball" ]; then
    src=$(cd "$tarball" && pwd)
else
    [ -f "$tarball" ] || tarball=$("$ROVL_TOP/scripts/fetch-kernel-source.sh")
    if [ -f "$tarball.sha256" ]; then
        want=$(cut -d' ' -f1 "$tarball.sha256")
        stamp=$ROVL_CACHE/src/.verified-$want
        if [ ! -e "$stamp" ]; then
            have=$(sha256sum "$tarball" | cut -d' ' -f1)
            [ "$have" = "$want" ] || { echo "rovl: checksum mismatch for $tarball" >&2; exit 1; }
        fi
    fi
    top=$( (tar tJf "$tarball" 2>/dev/null || true) | head -n1 | cut -d/ -f1)
    src=$ROVL_CACHE/src/$top
    if [ ! -f "$src/.rovl-unpacked" ]; then
        echo "rovl: unpacking $tarball" >&2
        rm -rf "$src"; mkdir -p "$ROVL_CACHE/src"
        tar xJf "$tarball" -C "$ROVL_CACHE/src"
        touch "$src/.rovl-unpacked"
    fi
    [ -z "${want:-}" ] || touch "$ROVL_CACHE/src/.verified-$want"
fi
version=$(make -s --no-print-directory -C "$src" kernelversion)
[ "$version" = "$KERNEL_VERSION" ] || echo "rovl: warning: source is $version, pinned is $KERNEL_VERSION" >&2

# --- build ----------------------------------------------------------------
key=$( (echo "$version"; cat "$fragment") | sha256sum | cut -c1-12)
out=$ROVL_CACHE/kernel/$version-$flavour-$key
kmake=(make -C "$src" O="$out" LLVM=-19 RUSTC="$RUSTC" BINDGEN="$BINDGEN"
       RUST_LIB_SRC="$RUST_LIB_SRC" -j"$(nproc)")
# The modules (overlay.ko in the test kernel) installed with their modules.dep
# under $out/modroot, for the guest's modprobe (scripts/make-initramfs.sh).
install_modules() {
    rm -rf "$out/modroot"
    "${kmake[@]}" -s INSTALL_MOD_PATH="$out/modroot" INSTALL_MOD_STRIP=1 modules_install >&2
}
if [ -f "$out/.rovl-built" ]; then
    [ -d "$out/modroot/lib/modules" ] || install_modules
    echo "$out"; exit 0
fi
echo "rovl: building Linux $version ($flavour) in $out; about 20 minutes" >&2
mkdir -p "$out"
"${kmake[@]}" -s tinyconfig >&2
"${kmake[@]}" -s rustavailable >&2
KCONFIG_CONFIG=$out/.config "$src/scripts/kconfig/merge_config.sh" -m -O "$out" \
    "$out/.config" "$fragment" >&2
"${kmake[@]}" -s olddefconfig >&2
# Every symbol the fragment asks for must have survived dependency resolution.
bad=0
while IFS= read -r line; do
    case "$line" in
        CONFIG_*=*) grep -qxF "$line" "$out/.config" || { echo "rovl: config lost: $line" >&2; bad=1; } ;;
        "# CONFIG_"*" is not set")
            sym=${line#\# }; sym=${sym%% *}
            if grep -q "^$sym=" "$out/.config"; then echo "rovl: config kept: $sym" >&2; bad=1; fi ;;
    esac
done < "$fragment"
[ $bad -eq 0 ] || exit 1
"${kmake[@]}" bzImage modules >&2
install_modules
touch "$out/.rovl-built"
echo "$out"
