// SPDX-License-Identifier: GPL-2.0

//! A thin, safe layer over the kernel's VFS for a stacking filesystem.
//!
//! This directory is the only place in rovl that touches raw pointers, `bindings::` items,
//! `extern "C"` functions, C operation tables or refcount hand-offs. Everything above it is safe
//! Rust. Nothing here knows about overlays: no layer stack, no "upper" or "lower", no rules
//! about whiteouts. Where the kernel itself has a name for such a thing (its whiteouts:
//! `vfs_whiteout()`, `RENAME_WHITEOUT`, `DCACHE_WHITEOUT_TYPE`; the `I_OVL_INUSE` inode
//! state bit, [`inode_state::StateBit`]), it appears here by that name, as a mechanism, and
//! what to do with it is decided above. A passthrough or any other stacking filesystem could
//! reuse these files unchanged.
//!
//! What callers get:
//! - counted references to C objects as [`ARef`](kernel::sync::aref::ARef)s ([`Dentry`],
//!   [`Inode`], [`Mount`], [`kernel::fs::File`], [`kernel::cred::Credential`]) and owned
//!   [`Path`]s;
//! - two kinds of objects, two kinds of types: [`Dentry`], [`Inode`], [`SuperBlock`] and
//!   `File` are any filesystem's (in practice the real layers'); [`OwnDentry<T>`],
//!   [`OwnInode<T>`], [`sb::OwnSuperBlock<T>`] and
//!   [`file::OwnFile<T>`] are the stacking filesystem `T`'s own, handed out only where the C
//!   side guarantees it (an operation of `T`'s tables, a dentry or file of `T`), so their
//!   data and their mount's data come without a run-time check. [`NewDentry<T>`] is the
//!   negative dentry of a create, the only one that can be instantiated;
//!   [`file::PosLocked`] proves the file position lock is held;
//! - a [`FileSystem`] trait whose implementation is registered with [`Registration`] under a
//!   type name its module chooses at load time, and
//!   `#[vtable]` traits for inode and file operations whose tables are built at compile time;
//! - the calls a stacking filesystem makes on the real objects below it: lookup, getattr,
//!   statfs, readlink, xattrs, POSIX ACLs, opening backing files and forwarding I/O to them;
//! - trace events ([`trace`]): every change made to a real filesystem emits one, from the one
//!   function here that makes that kind of change. The events themselves (`rovl_events.h` and
//!   `.c`) are rovl's, so `trace` is the one file here a reuser would rename.
//!
//! The module's C is in two small files here: `rovl_events.c` (Rust cannot define
//! tracepoints) and `rovl_helpers.c`, which gives the C API's static inlines (`dget`,
//! `override_creds`, `i_size_read`, `inode_lock`, ...) a symbol, so that they are called
//! rather than re-implemented.

pub(crate) mod attr;
pub(crate) mod backing;
mod bindings;
pub(crate) mod cred;
pub(crate) mod dentry;
pub(crate) mod dirop;
pub(crate) mod file;
pub(crate) mod fs_type;
pub(crate) mod inode;
pub(crate) mod inode_ops;
pub(crate) mod inode_state;
pub(crate) mod namei;
pub(crate) mod own_inode;
pub(crate) mod path;
pub(crate) mod posix_acl;
pub(crate) mod readdir;
pub(crate) mod sb;
pub(crate) mod seq;
pub(crate) mod trace;
pub(crate) mod xattr;

pub(crate) use cred::CredGuard;

use kernel::prelude::*;

/// Turns a C `ssize_t` result (a length, or a negative errno) into a `Result`.
fn len_result(ret: isize) -> Result<usize> {
    usize::try_from(ret).map_err(|_| Error::from_errno(ret as c_int))
}
pub(crate) use attr::{InodeParams, Kstat};
pub(crate) use dentry::{Dentry, InodeDentry, NewDentry, OwnDentry};
pub(crate) use file::FileOps;
pub(crate) use fs_type::{FileSystem, FsContextLog, Param, ParamValue, Purpose, Registration};
pub(crate) use inode::Inode;
pub(crate) use own_inode::{InodeDestroying, InodeKind, OwnInode};
pub(crate) use path::{Mount, Path, PathRef, PrivateMount};
pub(crate) use sb::SuperBlock;
