// SPDX-License-Identifier: GPL-2.0

//! Raw bindings for the C APIs that `kernel::bindings` does not carry: `fs_context.h`,
//! `fs_parser.h`, `namei.h`, `backing-file.h`, `statfs.h` and `iversion.h`, the constants of
//! `bindings_helper.h` for macros bindgen cannot evaluate, and the tracepoints of rovl's own
//! trace events (`rovl_events.h`). Generated at build time by the rule in `Kbuild`; everything
//! else is re-exported from `kernel::bindings`.
//!
//! Please abstract the needed symbols in the other `vfs` modules instead of using these
//! outside `vfs/`.

#![allow(
    dead_code,
    improper_ctypes,
    missing_docs,
    non_camel_case_types,
    non_snake_case,
    non_upper_case_globals,
    unreachable_pub,
    unsafe_op_in_unsafe_fn,
    unnecessary_transmutes,
    clippy::all,
    clippy::undocumented_unsafe_blocks,
    clippy::ptr_as_ptr,
    clippy::ref_as_ptr,
    clippy::cast_lossless,
    clippy::as_underscore
)]

include!("bindings_generated.rs");
