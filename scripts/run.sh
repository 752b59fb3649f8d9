#!/usr/bin/env bash
# `make run`: boot the test kernel in demo mode and show the rovl demo
# (qemu/demo.sh). Builds/reuses the kernel and builds the module first.
#   scripts/run.sh            the demo
#   scripts/run.sh shell      an interactive shell in the guest instead
set -euo pipefail
. "$(dirname "$0")/env.sh"
mode=${1:-demo}
kdir=$("$ROVL_TOP/scripts/build-kernel.sh" test)
make -C "$ROVL_TOP" modules KDIR="$kdir" >&2
ROVL_KERNEL=$kdir/arch/x86/boot/bzImage exec "$ROVL_TOP/scripts/run-guest.sh" "$mode"
