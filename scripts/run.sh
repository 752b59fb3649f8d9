#!/usr/bin/env bash
# `make run`: boot the test kernel in demo mode and show the rovl demo
# (qemu/demo.sh). Builds/reuses the kernel and builds the module first.
#   scripts/run.sh            the demo
#   DEMO=podman scripts/run.sh  the drop-in demo: podman on rovl loaded as
#                             overlay (qemu/demo-podman.sh; make run DEMO=podman)
#   scripts/run.sh shell      an interactive shell in the guest instead
set -euo pipefail
. "$(dirname "$0")/env.sh"
mode=${1:-demo}
kdir=$("$ROVL_TOP/scripts/build-kernel.sh" test)
make -C "$ROVL_TOP" modules KDIR="$kdir" >&2
initrd=$(mktemp "${TMPDIR:-/tmp}/rovl-initramfs.XXXXXX")
trap 'rm -f "$initrd"' EXIT
ROVL_KMODS=$kdir/modroot "$ROVL_TOP/scripts/make-initramfs.sh" "$initrd" >/dev/null
[ -z "${DEMO:-}" ] || ROVL_APPEND="rovl.demo=$DEMO ${ROVL_APPEND:-}"
export ROVL_APPEND
ROVL_KERNEL=$kdir/arch/x86/boot/bzImage ROVL_INITRD=$initrd "$ROVL_TOP/scripts/run-guest.sh" "$mode"
