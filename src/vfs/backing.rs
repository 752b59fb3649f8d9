// SPDX-License-Identifier: GPL-2.0

//! Backing files: the real files behind a stacking filesystem's open files.
//!
//! C headers: [`include/linux/backing-file.h`](srctree/include/linux/backing-file.h)
//!
//! A backing file is opened on the real path but remembers the user-visible file, so that
//! `/proc/<pid>/maps` and friends show the stacked path while the I/O goes straight to the real
//! file. Reads, splices and maps are done with the credentials given here.

use super::{
    attr::OpenFlags,
    bindings,
    file::{MmapRequest, OwnFile, ReadRequest, SpliceReadRequest, WriteRequest},
    fs_type::FileSystem,
    len_result as to_len,
    path::PathRef,
};
use core::ptr::NonNull;
use kernel::{cred::Credential, fs::File, prelude::*, sync::aref::ARef};

fn ctx(cred: &Credential) -> bindings::backing_file_ctx {
    bindings::backing_file_ctx {
        cred: cred.as_ptr(),
        accessed: None,
        end_write: None,
    }
}

/// Opens the real file at `real` for `user_file`, with `flags` and `cred`.
pub(crate) fn open(
    user_file: &File,
    flags: OpenFlags,
    real: PathRef<'_>,
    cred: &Credential,
) -> Result<ARef<File>> {
    // SAFETY: all pointers are valid for the call.
    let ptr = unsafe {
        bindings::backing_file_open(
            user_file.as_ptr(),
            u32::from(flags) as c_int,
            real.as_raw(),
            cred.as_ptr(),
        )
    };
    let ptr = NonNull::new(kernel::error::from_err_ptr(ptr)?).ok_or(ENOMEM)?;
    // SAFETY: `backing_file_open` returned a new file reference, owned by the `ARef` now.
    Ok(unsafe { ARef::from_raw(ptr.cast::<File>()) })
}

/// Serves `req` from `real`, a file from [`open`].
pub(crate) fn read_iter<T: FileSystem>(
    real: &File,
    req: ReadRequest<'_, T>,
    cred: &Credential,
) -> Result<usize> {
    let mut ctx = ctx(cred);
    // SAFETY: the request's pointers are valid for its lifetime; `real` is a backing file.
    to_len(unsafe {
        bindings::backing_file_read_iter(
            real.as_ptr(),
            req.iter,
            req.iocb,
            (*req.iocb).ki_flags,
            &mut ctx,
        )
    })
}

/// Serves a splice read from `real`, a file from [`open`].
pub(crate) fn splice_read<T: FileSystem>(
    real: &File,
    req: SpliceReadRequest<'_, T>,
    cred: &Credential,
) -> Result<usize> {
    let mut ctx = ctx(cred);
    // `backing_file_splice_read` uses only `ki_filp` and `ki_pos` of the kiocb, so these two
    // play the role of `init_sync_kiocb`.
    let mut iocb = bindings::kiocb {
        ki_filp: req.file,
        // SAFETY: `ppos` is valid for the request.
        ki_pos: unsafe { *req.ppos },
        ..Default::default()
    };
    // SAFETY: all pointers are valid for the call; `real` is a backing file.
    let ret = unsafe {
        bindings::backing_file_splice_read(
            real.as_ptr(),
            &mut iocb,
            req.pipe,
            req.len,
            req.flags,
            &mut ctx,
        )
    };
    // SAFETY: `ppos` is valid for the request.
    unsafe { *req.ppos = iocb.ki_pos };
    to_len(ret)
}

/// Maps `real`, a file from [`open`], in place of the user's file.
pub(crate) fn mmap<T: FileSystem>(
    real: &File,
    req: MmapRequest<'_, T>,
    cred: &Credential,
) -> Result {
    let mut ctx = ctx(cred);
    // SAFETY: `vma` is valid under the mmap lock the caller holds; `real` is a backing file.
    kernel::error::to_result(unsafe {
        bindings::backing_file_mmap(real.as_ptr(), req.vma, &mut ctx)
    })
}

/// What a stacking filesystem does after each write through a backing file: typically,
/// mirror the real inode's new size and times onto its own.
pub(crate) trait WriteDone {
    /// The stacking filesystem whose files are written.
    type Fs: FileSystem;

    /// Called with the stacking filesystem's file that was written.
    fn done(file: &OwnFile<Self::Fs>);
}

/// # Safety
///
/// Only called by `backing_file_write_iter` (or its completion) with the user's kiocb, from
/// a [`write_iter::<W>`](write_iter), so for a file of `W::Fs`.
unsafe extern "C" fn end_write_cb<W: WriteDone>(iocb: *mut bindings::kiocb, _ret: isize) {
    // SAFETY: the kiocb of a write in progress holds its file, one of `W::Fs`'s (the request
    // given to `write_iter` was for one).
    W::done(unsafe { OwnFile::from_raw((*iocb).ki_filp) });
}

/// Serves the write `req` with `real`, a file from [`open`]; `W` runs after the write.
pub(crate) fn write_iter<W: WriteDone>(
    real: &File,
    req: WriteRequest<'_, W::Fs>,
    cred: &Credential,
) -> Result<usize> {
    let mut ctx = bindings::backing_file_ctx {
        cred: cred.as_ptr(),
        accessed: None,
        end_write: Some(end_write_cb::<W>),
    };
    // SAFETY: the request's kiocb is valid for the call.
    let mut flags = unsafe { (*req.iocb).ki_flags };
    if !req.sync {
        flags &= !(bindings::IOCB_SYNC | bindings::IOCB_DSYNC);
    }
    // SAFETY: the request's kiocb and iterator are valid for the call; `real` is a backing
    // file; `ctx` outlives the call (asynchronous completions copy what they need).
    to_len(unsafe {
        bindings::backing_file_write_iter(real.as_ptr(), req.iter, req.iocb, flags, &mut ctx)
    })
}
