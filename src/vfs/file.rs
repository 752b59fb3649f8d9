// SPDX-License-Identifier: GPL-2.0

//! File operations of the stacking filesystem's own files.
//!
//! C headers: [`include/linux/fs.h`](srctree/include/linux/fs.h)
//!
//! The data of an open file is forwarded, never copied: each I/O request reaches the
//! implementation as an opaque token ([`ReadRequest`], [`SpliceReadRequest`], [`MmapRequest`])
//! that it can only hand on to a real file through [`super::backing`].

use super::{
    attr::{OpenFlags, Whence},
    bindings,
    dentry::OwnDentry,
    fs_type::FileSystem,
    inode::Inode,
    own_inode::OwnInode,
    path::PathRef,
    readdir::DirContext,
};
use core::{marker::PhantomData, ptr::NonNull};
use kernel::{
    cred::Credential,
    error::{from_result, VTABLE_DEFAULT_ERROR},
    fs::File,
    prelude::*,
    sync::aref::ARef,
};

/// A read request (`kiocb` + `iov_iter`) to be served by a real file.
pub(crate) struct ReadRequest<'a, T> {
    pub(super) iocb: *mut bindings::kiocb,
    pub(super) iter: *mut bindings::iov_iter,
    _borrow: PhantomData<(&'a mut (), T)>,
}

/// A splice-read request (position, pipe, length, flags) to be served by a real file.
pub(crate) struct SpliceReadRequest<'a, T> {
    pub(super) file: *mut bindings::file,
    pub(super) ppos: *mut bindings::loff_t,
    pub(super) pipe: *mut bindings::pipe_inode_info,
    pub(super) len: usize,
    pub(super) flags: c_uint,
    _borrow: PhantomData<(&'a mut (), T)>,
}

/// A write request (`kiocb` + `iov_iter`) to be served by a real file.
pub(crate) struct WriteRequest<'a, T> {
    pub(super) iocb: *mut bindings::kiocb,
    pub(super) iter: *mut bindings::iov_iter,
    /// Whether the real write may be synced as the request asks (see
    /// [`WriteRequest::without_sync`]).
    pub(super) sync: bool,
    _borrow: PhantomData<(&'a mut (), T)>,
}

// The requests are made only by the trampolines of a `FileOps<T>` table, for a file opened
// with it: so their file is one of `T`'s.

impl<'a, T: FileSystem> ReadRequest<'a, T> {
    /// The stacking filesystem's file being read.
    pub(crate) fn file(&self) -> &'a OwnFile<T> {
        // SAFETY: the VFS holds the file of a kiocb for the whole request; it is `T`'s.
        unsafe { OwnFile::from_raw((*self.iocb).ki_filp) }
    }
}

impl<'a, T: FileSystem> WriteRequest<'a, T> {
    /// The stacking filesystem's file being written.
    pub(crate) fn file(&self) -> &'a OwnFile<T> {
        // SAFETY: the VFS holds the file of a kiocb for the whole request; it is `T`'s.
        unsafe { OwnFile::from_raw((*self.iocb).ki_filp) }
    }

    /// The same write, handed on without the request's own sync (`IOCB_SYNC` and
    /// `IOCB_DSYNC`, from `O_SYNC`, `O_DSYNC`, `RWF_SYNC` or `RWF_DSYNC`): for a filesystem
    /// mounted not to sync.
    pub(crate) fn without_sync(self) -> Self {
        Self {
            sync: false,
            ..self
        }
    }
}

impl<'a, T: FileSystem> SpliceReadRequest<'a, T> {
    /// The stacking filesystem's file being read.
    pub(crate) fn file(&self) -> &'a OwnFile<T> {
        // SAFETY: the VFS holds the file for the call; it is `T`'s.
        unsafe { OwnFile::from_raw(self.file) }
    }
}

impl<'a, T: FileSystem> MmapRequest<'a, T> {
    /// The stacking filesystem's file being mapped.
    pub(crate) fn file(&self) -> &'a OwnFile<T> {
        // SAFETY: the VMA's file is the one being mapped, held by the VFS for the call; it is
        // `T`'s.
        unsafe { OwnFile::from_raw((*self.vma).vm_file) }
    }
}

/// An open file of the stacking filesystem `T` (not a real file under it).
///
/// # Invariants
///
/// The file was opened through one of `T`'s [`FileOps`] tables, so its inode is an
/// [`OwnInode<T>`] and its dentry an [`OwnDentry<T>`]; it is open for as long as `&self` is.
#[repr(transparent)]
pub(crate) struct OwnFile<T: FileSystem>(File, PhantomData<T>);

impl<T: FileSystem> OwnFile<T> {
    /// # Safety
    ///
    /// `ptr` must be a file opened with one of `T`'s tables that stays open for `'a`.
    pub(super) unsafe fn from_raw<'a>(ptr: *mut bindings::file) -> &'a Self {
        // SAFETY: transparent over `File`, itself transparent over `struct file`; the rest is
        // the caller's promise.
        unsafe { &*ptr.cast::<Self>() }
    }

    /// The file's inode (`file_inode`).
    pub(crate) fn inode(&self) -> &OwnInode<T> {
        // SAFETY: an open file of `T` holds its inode, an `OwnInode<T>` (type invariant), for
        // as long as it lives.
        unsafe { OwnInode::from_raw((*self.0.as_ptr()).f_inode) }
    }

    /// The dentry the file was opened through.
    pub(crate) fn dentry(&self) -> &OwnDentry<T> {
        // SAFETY: an open file of `T` holds its path, on `T` (type invariant), for as long as
        // it lives.
        unsafe { OwnDentry::from_raw((*self.0.as_ptr()).__bindgen_anon_1.f_path.dentry) }
    }
}

impl<T: FileSystem> core::ops::Deref for OwnFile<T> {
    type Target = File;

    fn deref(&self) -> &File {
        &self.0
    }
}

/// An mmap request (the new VMA) to be served by a real file.
pub(crate) struct MmapRequest<'a, T> {
    pub(super) vma: *mut bindings::vm_area_struct,
    _borrow: PhantomData<(&'a mut (), T)>,
}

/// Operations on the stacking filesystem's open files.
#[vtable]
pub(crate) trait FileOperations: Sized {
    /// The filesystem whose files these operations serve.
    type Fs: FileSystem;
    /// What an open file keeps (in `private_data`) until it is released.
    type OpenData: Send + Sync;
    /// Directories answer `read(2)` with `EISDIR`.
    const IS_DIR: bool = false;

    /// Opens `file` on `inode`.
    fn open(inode: &OwnInode<Self::Fs>, file: &OwnFile<Self::Fs>) -> Result<Self::OpenData>;

    /// Repositions the file offset.
    fn llseek(
        _file: &OwnFile<Self::Fs>,
        _data: &Self::OpenData,
        _offset: i64,
        _whence: Whence,
        _pos: &PosLocked<'_>,
    ) -> Result<i64> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Serves a read.
    fn read_iter(_data: &Self::OpenData, _req: ReadRequest<'_, Self::Fs>) -> Result<usize> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Serves a splice read.
    fn splice_read(_data: &Self::OpenData, _req: SpliceReadRequest<'_, Self::Fs>) -> Result<usize> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Serves a write.
    fn write_iter(_data: &Self::OpenData, _req: WriteRequest<'_, Self::Fs>) -> Result<usize> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Allocates or frees space (`fallocate(2)`).
    fn fallocate(
        _file: &OwnFile<Self::Fs>,
        _data: &Self::OpenData,
        _mode: i32,
        _offset: i64,
        _len: i64,
    ) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Maps the file.
    fn mmap(_data: &Self::OpenData, _req: MmapRequest<'_, Self::Fs>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Lists a directory.
    fn iterate_shared(
        _file: &OwnFile<Self::Fs>,
        _data: &Self::OpenData,
        _ctx: &mut DirContext,
        _pos: &PosLocked<'_>,
    ) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Flushes the file's data (and metadata unless `datasync`) in `start..=end`.
    fn fsync(_data: &Self::OpenData, _start: i64, _end: i64, _datasync: bool) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// A `struct file_operations` table built at compile time from a [`FileOperations`].
#[repr(transparent)]
pub(crate) struct FileOps<T>(pub(super) bindings::file_operations, PhantomData<T>);

// SAFETY: the table is immutable and holds only function pointers.
unsafe impl<T> Sync for FileOps<T> {}

impl<T: FileSystem> FileOps<T> {
    pub(crate) const fn new<U: FileOperations<Fs = T>>() -> Self {
        Self(
            bindings::file_operations {
                open: Some(open_cb::<U>),
                release: Some(release_cb::<U>),
                llseek: if U::HAS_LLSEEK {
                    Some(llseek_cb::<U>)
                } else {
                    None
                },
                read: if U::IS_DIR {
                    Some(bindings::generic_read_dir)
                } else {
                    None
                },
                read_iter: if U::HAS_READ_ITER {
                    Some(read_iter_cb::<U>)
                } else {
                    None
                },
                write_iter: if U::HAS_WRITE_ITER {
                    Some(write_iter_cb::<U>)
                } else {
                    None
                },
                // Splicing into the file goes through `write_iter`, and so to the real file.
                splice_write: if U::HAS_WRITE_ITER {
                    Some(bindings::iter_file_splice_write)
                } else {
                    None
                },
                fallocate: if U::HAS_FALLOCATE {
                    Some(fallocate_cb::<U>)
                } else {
                    None
                },
                splice_read: if U::HAS_SPLICE_READ {
                    Some(splice_read_cb::<U>)
                } else {
                    None
                },
                mmap: if U::HAS_MMAP {
                    Some(mmap_cb::<U>)
                } else {
                    None
                },
                iterate_shared: if U::HAS_ITERATE_SHARED {
                    Some(iterate_shared_cb::<U>)
                } else {
                    None
                },
                fsync: if U::HAS_FSYNC {
                    Some(fsync_cb::<U>)
                } else {
                    None
                },
                // All-zero is "no operation" for the remaining fields.
                ..pin_init::zeroed()
            },
            PhantomData,
        )
    }
}

/// Borrows the open data of `file`.
///
/// # Safety
///
/// `file` must be open with `U`'s operations (so `private_data` is a `KBox<U::OpenData>` from
/// `open_cb`) and not yet released.
unsafe fn open_data<'a, U: FileOperations>(file: *mut bindings::file) -> &'a U::OpenData {
    // SAFETY: per the function's contract.
    unsafe { &*(*file).private_data.cast::<U::OpenData>() }
}

/// # Safety
///
/// Only called by the VFS as `->open` of an inode built with these operations.
unsafe extern "C" fn open_cb<U: FileOperations>(
    inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    from_result(|| {
        // SAFETY: one of our initialised inodes, referenced by the opening file.
        let inode = unsafe { OwnInode::<U::Fs>::from_raw(inode) };
        // SAFETY: the file being opened with our table is valid for the call.
        let f = unsafe { OwnFile::<U::Fs>::from_raw(file) };
        let data = KBox::new(U::open(inode, f)?, GFP_KERNEL)?;
        // SAFETY: we are the only user of `private_data` while opening; `release_cb` frees it.
        unsafe { (*file).private_data = KBox::into_raw(data).cast::<c_void>() };
        Ok(0)
    })
}

/// # Safety
///
/// Only called by the VFS as `->release` of a file opened by `open_cb::<U>`.
unsafe extern "C" fn release_cb<U: FileOperations>(
    _inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    // SAFETY: `private_data` is the box from `open_cb`; this is its last use.
    drop(unsafe { KBox::from_raw((*file).private_data.cast::<U::OpenData>()) });
    0
}

/// # Safety
///
/// Only called by the VFS as `->llseek` of a file opened by `open_cb::<U>`, with the file's
/// position lock held if the file has other users (`fdget_pos`).
unsafe extern "C" fn llseek_cb<U: FileOperations>(
    file: *mut bindings::file,
    offset: bindings::loff_t,
    whence: c_int,
) -> bindings::loff_t {
    // SAFETY: an open file of ours, valid for the call.
    let (f, data) = unsafe { (OwnFile::<U::Fs>::from_raw(file), open_data::<U>(file)) };
    // INVARIANT: per the function's contract, the offset is ours to move for the call.
    let pos = PosLocked(PhantomData);
    match U::llseek(f, data, offset, Whence::from_raw(whence), &pos) {
        Ok(pos) => pos,
        Err(e) => e.to_errno().into(),
    }
}

/// # Safety
///
/// Only called by the VFS as `->read_iter` with a valid `iocb` on one of our files.
unsafe extern "C" fn read_iter_cb<U: FileOperations>(
    iocb: *mut bindings::kiocb,
    iter: *mut bindings::iov_iter,
) -> isize {
    // SAFETY: `ki_filp` is an open file of ours.
    let data = unsafe { open_data::<U>((*iocb).ki_filp) };
    let req = ReadRequest {
        iocb,
        iter,
        _borrow: PhantomData,
    };
    match U::read_iter(data, req) {
        Ok(n) => n as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// # Safety
///
/// Only called by the VFS as `->write_iter` with a valid `iocb` on one of our files.
unsafe extern "C" fn write_iter_cb<U: FileOperations>(
    iocb: *mut bindings::kiocb,
    iter: *mut bindings::iov_iter,
) -> isize {
    // SAFETY: the kiocb's file is one of ours, open with `U`'s operations.
    let data = unsafe { open_data::<U>((*iocb).ki_filp) };
    let req = WriteRequest {
        iocb,
        iter,
        sync: true,
        _borrow: PhantomData,
    };
    match U::write_iter(data, req) {
        Ok(n) => n as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// # Safety
///
/// Only called by the VFS as `->fallocate` of one of our files.
unsafe extern "C" fn fallocate_cb<U: FileOperations>(
    file: *mut bindings::file,
    mode: c_int,
    offset: bindings::loff_t,
    len: bindings::loff_t,
) -> c_long {
    // SAFETY: one of our open files, held by the VFS for the call.
    let (f, data) = unsafe { (OwnFile::<U::Fs>::from_raw(file), open_data::<U>(file)) };
    match U::fallocate(f, data, mode, offset, len) {
        Ok(()) => 0,
        Err(e) => e.to_errno() as c_long,
    }
}

/// # Safety
///
/// Only called by the VFS as `->splice_read` of one of our files.
unsafe extern "C" fn splice_read_cb<U: FileOperations>(
    file: *mut bindings::file,
    ppos: *mut bindings::loff_t,
    pipe: *mut bindings::pipe_inode_info,
    len: usize,
    flags: c_uint,
) -> isize {
    // SAFETY: an open file of ours.
    let data = unsafe { open_data::<U>(file) };
    let req = SpliceReadRequest {
        file,
        ppos,
        pipe,
        len,
        flags,
        _borrow: PhantomData,
    };
    match U::splice_read(data, req) {
        Ok(n) => n as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// # Safety
///
/// Only called by the VFS as `->mmap` of one of our files, with the mmap lock held.
unsafe extern "C" fn mmap_cb<U: FileOperations>(
    file: *mut bindings::file,
    vma: *mut bindings::vm_area_struct,
) -> c_int {
    // SAFETY: an open file of ours.
    let data = unsafe { open_data::<U>(file) };
    let req = MmapRequest {
        vma,
        _borrow: PhantomData,
    };
    from_result(|| U::mmap(data, req).map(|()| 0))
}

/// # Safety
///
/// Only called by the VFS as `->iterate_shared` of one of our directories, with its
/// `i_rwsem` held shared and the file's position lock held.
unsafe extern "C" fn iterate_shared_cb<U: FileOperations>(
    file: *mut bindings::file,
    ctx: *mut bindings::dir_context,
) -> c_int {
    // SAFETY: an open file of ours, valid for the call.
    let (f, data) = unsafe { (OwnFile::<U::Fs>::from_raw(file), open_data::<U>(file)) };
    // SAFETY: `ctx` is the caller's, exclusively ours for the call.
    let ctx = unsafe { DirContext::from_raw(ctx) };
    // INVARIANT: per the function's contract, the offset is ours to move for the call.
    let pos = PosLocked(PhantomData);
    from_result(|| U::iterate_shared(f, data, ctx, &pos).map(|()| 0))
}

/// # Safety
///
/// Only called by the VFS as `->fsync` of one of our files.
unsafe extern "C" fn fsync_cb<U: FileOperations>(
    file: *mut bindings::file,
    start: bindings::loff_t,
    end: bindings::loff_t,
    datasync: c_int,
) -> c_int {
    // SAFETY: an open file of ours.
    let data = unsafe { open_data::<U>(file) };
    from_result(|| U::fsync(data, start, end, datasync != 0).map(|()| 0))
}

/// The file's offset (`f_pos`).
pub(crate) fn pos(file: &File) -> i64 {
    // SAFETY: callers hold the file's position lock or accept a racy read, as C does.
    unsafe { (*file.as_ptr()).f_pos }
}

/// Proof that the offsets of an open file of the stacking filesystem, and of the real files
/// it forwards to (private to it), may be moved: handed to `llseek` and `iterate_shared`,
/// which the VFS calls with the file's position lock held (`fdget_pos`) unless the file has
/// no other user.
///
/// # Invariants
///
/// Made only by the `llseek` and `iterate_shared` trampolines, for the duration `'a` of the
/// call.
pub(crate) struct PosLocked<'a>(PhantomData<&'a ()>);

/// Sets the file's offset (`f_pos`): `file` is the file the `PosLocked` proof was given for,
/// or a real file private to it.
pub(crate) fn set_pos(file: &File, pos: i64, _locked: &PosLocked<'_>) {
    // SAFETY: writers of `f_pos` hold the position lock (or are its only user), which the
    // proof stands for; readers without it accept a racy read, as in C.
    unsafe { (*file.as_ptr()).f_pos = pos };
}

/// The open flags (`f_flags`).
pub(crate) fn flags(file: &File) -> OpenFlags {
    // SAFETY: an aligned integer field of a live file.
    let flags = unsafe { core::ptr::read_volatile(&raw const (*file.as_ptr()).f_flags) };
    OpenFlags::from_bits(flags)
}

/// Repositions `file`, as `vfs_llseek` does.
pub(crate) fn llseek(file: &File, offset: i64, whence: Whence) -> Result<i64> {
    // SAFETY: `file` is a live file.
    let ret = unsafe { bindings::vfs_llseek(file.as_ptr(), offset, whence.as_raw()) };
    super::len_result(ret as isize).map(|_| ret)
}

/// Flushes `file`'s data, as `vfs_fsync_range` does.
pub(crate) fn fsync_range(file: &File, start: i64, end: i64, datasync: bool) -> Result {
    // SAFETY: `file` is a live file.
    kernel::error::to_result(unsafe {
        bindings::vfs_fsync_range(file.as_ptr(), start, end, c_int::from(datasync))
    })
}

/// The inode of the file.
pub(crate) fn inode(file: &File) -> &Inode {
    // SAFETY: an open file holds its inode for as long as it lives.
    unsafe { Inode::from_raw((*file.as_ptr()).f_inode) }
}

/// Opens the real object at `path` for internal use, with `flags` and `cred`
/// (`kernel_file_open`).
pub(crate) fn open_path(
    path: PathRef<'_>,
    flags: OpenFlags,
    cred: &Credential,
) -> Result<ARef<File>> {
    let flags = u32::from(flags) as c_int;
    // SAFETY: `path` and `cred` are valid for the call.
    let ptr = unsafe { bindings::kernel_file_open(path.as_raw(), flags, cred.as_ptr()) };
    let ptr = NonNull::new(kernel::error::from_err_ptr(ptr)?).ok_or(ENOMEM)?;
    // SAFETY: `kernel_file_open` returned a file with one reference, now owned by the `ARef`.
    Ok(unsafe { ARef::from_raw(ptr.cast::<File>()) })
}

/// Copies `len` bytes at `pos` of `from` to the same offset of `to`, with the filesystems'
/// own copy or clone if they have one and splicing between the page caches if not
/// (`vfs_copy_file_range` with `COPY_FILE_SPLICE`): never through a buffer of ours. Returns
/// how much was copied, which may be less than asked.
pub(crate) fn copy_range(from: &File, to: &File, pos: i64, len: usize) -> Result<usize> {
    // SAFETY: both files are open (read and write) and valid for the call.
    super::len_result(unsafe {
        bindings::vfs_copy_file_range(
            from.as_ptr(),
            pos,
            to.as_ptr(),
            pos,
            len,
            bindings::COPY_FILE_SPLICE,
        )
    })
}

/// Allocates or frees space in `file`, as `vfs_fallocate` does.
pub(crate) fn fallocate(file: &File, mode: i32, offset: i64, len: i64) -> Result {
    // SAFETY: `file` is open and valid for the call.
    kernel::error::to_result(unsafe { bindings::vfs_fallocate(file.as_ptr(), mode, offset, len) })
}
