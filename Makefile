# SPDX-License-Identifier: GPL-2.0
# rovl: top-level developer entry points. `make` builds rust_ovl.ko against the
# cached test kernel (built on first use); `KDIR=` builds against your own
# Rust-enabled kernel tree instead.

ROVL_TOP := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
RUSTC ?= /usr/bin/rustc
RUST_LIB_SRC ?= /usr/lib/rustlib/src/rust/library
ROVL_CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/rovl
BINDGEN ?= $(ROVL_CACHE)/bindgen/bin/bindgen
KFLAVOUR ?= test

KBUILD_ARGS = LLVM=-19 RUSTC=$(RUSTC) BINDGEN=$(BINDGEN) RUST_LIB_SRC=$(RUST_LIB_SRC) \
	CLIPPY_DRIVER=/usr/bin/clippy-driver RUSTFMT=/usr/bin/rustfmt

.PHONY: all modules clean test test-rootfs run stress bench clippy fmt fmt-check check kernel

all: modules

kernel:
	@$(ROVL_TOP)/scripts/build-kernel.sh $(KFLAVOUR) >/dev/null

modules:
	@kdir="$(KDIR)"; [ -n "$$kdir" ] || kdir=$$($(ROVL_TOP)/scripts/build-kernel.sh $(KFLAVOUR)); \
	$(MAKE) -C "$$kdir" M=$(ROVL_TOP) $(KBUILD_ARGS) $(if $(CLIPPY),CLIPPY=1) modules

clippy:
	@$(MAKE) modules CLIPPY=1

fmt:
	@kdir="$(KDIR)"; [ -n "$$kdir" ] || kdir=$$($(ROVL_TOP)/scripts/build-kernel.sh $(KFLAVOUR)); \
	/usr/bin/rustfmt --edition 2021 --config-path "$$(readlink -f $$kdir/source)/.rustfmt.toml" $(ROVL_TOP)/rust_ovl.rs

# `make fmt-check`: as `make fmt`, but only reports the differences (and fails on one).
fmt-check:
	@kdir="$(KDIR)"; [ -n "$$kdir" ] || kdir=$$($(ROVL_TOP)/scripts/build-kernel.sh $(KFLAVOUR)); \
	/usr/bin/rustfmt --check --edition 2021 --config-path "$$(readlink -f $$kdir/source)/.rustfmt.toml" $(ROVL_TOP)/rust_ovl.rs

# `make check`: no clippy warning, no formatting difference, `unsafe` only in src/vfs/
# with a `// SAFETY:` comment on each block (scripts/check.sh; .ci/run runs it first).
check:
	@$(ROVL_TOP)/scripts/check.sh

test:
	@$(ROVL_TOP)/scripts/test.sh

# `make test-rootfs`: only the boots with rovl (and overlayfs) as the guest's root
# filesystem (scripts/test-rootfs.sh; `make test` runs them after the test boot).
# ROVL_ROOTFS_TYPES=rovl for rovl's boot alone.
test-rootfs:
	@$(ROVL_TOP)/scripts/test-rootfs.sh

# `make stress`: the stress, race, fault and behind-the-mount tests with long
# settings, passed to the guest on the kernel command line (init hands
# NAME=VALUE words without a dot to the tests as environment variables).
# Override any of them: make stress STRESS_SECS=600 STRESS_WORKERS=16
STRESS_TESTS ?= 120-stress.sh 125-races.sh 130-faults.sh 135-behind.sh
STRESS_SECS ?= 300
STRESS_WORKERS ?= 8
STRESS_SEED ?= 1
RACE_ROUNDS ?= 5
RACE_N ?= 2000
FAULT_CAP ?= 200
FAULT_SECS ?= 120
FAULT_PROB ?= 2
BEHIND_SECS ?= 120
STRESS_TIMEOUT ?= 10800

stress:
	@ROVL_TESTS="$(STRESS_TESTS)" ROVL_TIMEOUT=$(STRESS_TIMEOUT) \
	ROVL_APPEND="ROVL_STRESS_SECS=$(STRESS_SECS) ROVL_STRESS_WORKERS=$(STRESS_WORKERS) \
	ROVL_STRESS_SEED=$(STRESS_SEED) ROVL_RACE_ROUNDS=$(RACE_ROUNDS) ROVL_RACE_N=$(RACE_N) \
	ROVL_FAULT_CAP=$(FAULT_CAP) ROVL_FAULT_SECS=$(FAULT_SECS) ROVL_FAULT_PROB=$(FAULT_PROB) \
	ROVL_BEHIND_SECS=$(BEHIND_SECS) ROVL_TEST_TIMEOUT=$(STRESS_TIMEOUT) $(ROVL_APPEND)" \
	$(ROVL_TOP)/scripts/test.sh

# `make bench`: rovl against overlay, the native filesystem and fuse-overlayfs
# on the release kernel (qemu/kernel-release.config), results in
# bench/results/$(BENCH_MODE)/. BENCH_MODE=icount for the deterministic clock;
# BENCH_REPS, BENCH_FS, BENCH_WORKLOADS, BENCH_BACKINGS and the sizes in
# bench/run.sh pass through the environment (lists comma-separated).
bench:
	@$(ROVL_TOP)/scripts/bench.sh

# `make run`: the guest with rovl as its root filesystem and a host directory on top
# (ROVL_SHARE, default out/share/): on a terminal a shell in it, where the host's edits
# show at once; without one (CI, make run </dev/null) the host edits out/share/hello.txt
# and the guest must see it (scripts/run.sh). `make run DEMO=basic`: the demo of rovl's
# mounts (qemu/demo.sh); `make run DEMO=podman`: podman and buildah on rovl loaded as
# overlay (qemu/demo-podman.sh).
run:
	@DEMO=$(DEMO) $(ROVL_TOP)/scripts/run.sh

clean:
	@kdir="$(KDIR)"; [ -n "$$kdir" ] || kdir=$$($(ROVL_TOP)/scripts/build-kernel.sh $(KFLAVOUR)); \
	$(MAKE) -C "$$kdir" M=$(ROVL_TOP) $(KBUILD_ARGS) clean
	@rm -f $(ROVL_TOP)/src/vfs/bindings_generated.rs
