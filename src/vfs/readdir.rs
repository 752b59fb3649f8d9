// SPDX-License-Identifier: GPL-2.0

//! Directory listing: the VFS's `dir_context`, and reading real directories.
//!
//! C headers: [`include/linux/fs.h`](srctree/include/linux/fs.h)

use super::{attr::OpenFlags, bindings, path::PathRef};
use core::ptr::NonNull;
use kernel::{cred::Credential, fs::File, prelude::*, sync::aref::ARef, types::Opaque};

/// The caller's side of a directory listing: where entries go and the position reached.
#[repr(transparent)]
pub(crate) struct DirContext(Opaque<bindings::dir_context>);

impl DirContext {
    /// # Safety
    ///
    /// `ptr` must be a valid `dir_context`, exclusively lent for `'a`.
    pub(super) unsafe fn from_raw<'a>(ptr: *mut bindings::dir_context) -> &'a mut DirContext {
        // SAFETY: transparent wrapper; validity and exclusivity are the caller's promise.
        unsafe { &mut *ptr.cast::<DirContext>() }
    }

    pub(crate) fn pos(&self) -> i64 {
        // SAFETY: the context is ours for the call.
        unsafe { (*self.0.get()).pos }
    }

    pub(crate) fn set_pos(&mut self, pos: i64) {
        // SAFETY: the context is ours for the call.
        unsafe { (*self.0.get()).pos = pos };
    }

    /// Hands one entry to the caller, as `dir_emit` does; `false` means "stop, buffer full".
    pub(crate) fn emit(&mut self, name: &[u8], ino: u64, dtype: u32) -> bool {
        let ctx = self.0.get();
        // SAFETY: the context is ours for the call; `actor` is always set by the VFS and
        // copies `name` before returning.
        unsafe {
            match (*ctx).actor {
                Some(actor) => actor(
                    ctx,
                    name.as_ptr().cast::<c_char>(),
                    name.len() as c_int,
                    (*ctx).pos,
                    ino,
                    dtype,
                ),
                None => false,
            }
        }
    }
}

/// Opens the real directory at `path` for reading, with `cred`.
pub(crate) fn open_dir(
    path: PathRef<'_>,
    flags: OpenFlags,
    cred: &Credential,
) -> Result<ARef<File>> {
    let flags = u32::from(flags) as c_int;
    // SAFETY: `path` is valid for the call; `dentry_open` takes its own references.
    let ptr = unsafe { bindings::dentry_open(path.as_raw(), flags, cred.as_ptr()) };
    let ptr = NonNull::new(kernel::error::from_err_ptr(ptr)?).ok_or(ENOMEM)?;
    // SAFETY: `dentry_open` returned a new file reference, owned by the `ARef` now.
    Ok(unsafe { ARef::from_raw(ptr.cast::<File>()) })
}

/// Lists the real directory `dir` into the caller's `ctx`, continuing from `ctx.pos()`.
pub(crate) fn iterate_dir(dir: &File, ctx: &mut DirContext) -> Result {
    // SAFETY: `dir` is open; `ctx` is valid. `iterate_dir` locks the real directory itself
    // and keeps `dir`'s `f_pos` and `ctx.pos` in step.
    kernel::error::to_result(unsafe { bindings::iterate_dir(dir.as_ptr(), ctx.0.get()) })
}

/// One entry of a real directory, as passed to [`read_all`]'s callback.
pub(crate) struct RealEntry<'a> {
    pub(crate) name: &'a [u8],
    pub(crate) ino: u64,
    /// The `DT_*` type, kept as it is (it is handed on to listings); see
    /// [`FileType::of_dtype`](super::attr::FileType::of_dtype).
    pub(crate) dtype: u32,
}

#[repr(C)]
struct Collector<'f> {
    ctx: bindings::dir_context,
    entries: usize,
    sink: &'f mut dyn FnMut(RealEntry<'_>) -> Result,
    err: Option<Error>,
}

/// # Safety
///
/// Only called by a filesystem's `iterate_shared` for the context `read_all` passed in.
unsafe extern "C" fn collect_actor(
    ctx: *mut bindings::dir_context,
    name: *const c_char,
    len: c_int,
    _pos: bindings::loff_t,
    ino: u64,
    dtype: c_uint,
) -> bool {
    // SAFETY: `ctx` is the first field of the `Collector` that `read_all` passed to
    // `iterate_dir`, which is alive and exclusively ours during the call.
    let c = unsafe { &mut *ctx.cast::<Collector<'_>>() };
    // SAFETY: the filesystem passes `len` valid bytes at `name` for the call.
    let name = unsafe { core::slice::from_raw_parts(name.cast::<u8>(), len as usize) };
    c.entries += 1;
    match (c.sink)(RealEntry { name, ino, dtype }) {
        Ok(()) => true,
        Err(e) => {
            c.err = Some(e);
            false
        }
    }
}

/// Reads every entry of the real directory `dir` from its start, calling `sink` for each.
pub(crate) fn read_all(dir: &File, sink: &mut dyn FnMut(RealEntry<'_>) -> Result) -> Result {
    let mut c = Collector {
        ctx: bindings::dir_context {
            actor: Some(collect_actor),
            pos: 0,
            count: c_int::MAX,
            ..Default::default()
        },
        entries: 0,
        sink,
        err: None,
    };
    // The callers' directories are files they opened for themselves (see `open_dir`), so
    // no one else moves their offset.
    // SAFETY: a live file; at worst a racy store of an aligned word, as C makes.
    unsafe { (*dir.as_ptr()).f_pos = 0 };
    loop {
        c.entries = 0;
        // SAFETY: `dir` is open and `c.ctx` is a valid context whose actor matches.
        kernel::error::to_result(unsafe { bindings::iterate_dir(dir.as_ptr(), &mut c.ctx) })?;
        if let Some(e) = c.err.take() {
            return Err(e);
        }
        if c.entries == 0 {
            return Ok(());
        }
    }
}
