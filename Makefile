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

.PHONY: all modules clean test run stress bench clippy fmt kernel

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

test:
	@$(ROVL_TOP)/scripts/test.sh

run:
	@$(ROVL_TOP)/scripts/run.sh

clean:
	@kdir="$(KDIR)"; [ -n "$$kdir" ] || kdir=$$($(ROVL_TOP)/scripts/build-kernel.sh $(KFLAVOUR)); \
	$(MAKE) -C "$$kdir" M=$(ROVL_TOP) $(KBUILD_ARGS) clean
	@rm -f $(ROVL_TOP)/src/vfs/bindings_generated.rs
