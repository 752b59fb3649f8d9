// SPDX-License-Identifier: GPL-2.0

//! Extended attributes: of real dentries, and the handler table of the stacking filesystem.
//!
//! C headers: [`include/linux/xattr.h`](srctree/include/linux/xattr.h)

use super::{
    bindings,
    dentry::{Dentry, OwnDentry},
    fs_type::FileSystem,
    len_result as to_len,
    own_inode::OwnInode,
    path::Mount,
    trace,
};
use kernel::{
    error::{from_result, to_result},
    prelude::*,
};

/// Reads the xattr `name` of the real `dentry` on `mnt` into `buf`, or returns its size if
/// `buf` is `None`. Permission is checked against the current credentials.
pub(crate) fn get(
    mnt: &Mount,
    dentry: &Dentry,
    name: &CStr,
    buf: Option<&mut [u8]>,
) -> Result<usize> {
    let (ptr, len) = match buf {
        Some(b) => (b.as_mut_ptr().cast::<c_void>(), b.len()),
        None => (core::ptr::null_mut(), 0),
    };
    // SAFETY: `ptr` is NULL or valid for `len` bytes; the rest is valid for the call.
    to_len(unsafe {
        bindings::vfs_getxattr(mnt.idmap(), dentry.as_raw(), name.as_char_ptr(), ptr, len)
    })
}

/// Lists the xattr names of the real `dentry` into `buf` (NUL-separated), or returns the size
/// needed if `buf` is `None`.
pub(crate) fn list(dentry: &Dentry, buf: Option<&mut [u8]>) -> Result<usize> {
    let (ptr, len) = match buf {
        Some(b) => (b.as_mut_ptr().cast::<c_char>(), b.len()),
        None => (core::ptr::null_mut(), 0),
    };
    // SAFETY: `ptr` is NULL or valid for `len` bytes; `dentry` is valid for the call.
    to_len(unsafe { bindings::vfs_listxattr(dentry.as_raw(), ptr, len) })
}

/// Sets the xattr `name` of the real `dentry` on `mnt` to `value` (`vfs_setxattr`, which locks
/// the real inode), with `XATTR_*` `flags`.
pub(crate) fn set(mnt: &Mount, dentry: &Dentry, name: &CStr, value: &[u8], flags: i32) -> Result {
    // SAFETY: `value` is valid for its length; the rest is valid for the call.
    let result = to_result(unsafe {
        bindings::vfs_setxattr(
            mnt.idmap(),
            dentry.as_raw(),
            name.as_char_ptr(),
            value.as_ptr().cast::<c_void>(),
            value.len(),
            flags,
        )
    });
    trace::setxattr(dentry, name, value.len(), flags, &result);
    result
}

/// Removes the xattr `name` of the real `dentry` on `mnt` (`vfs_removexattr`).
pub(crate) fn remove(mnt: &Mount, dentry: &Dentry, name: &CStr) -> Result {
    // SAFETY: all valid for the call.
    let result = to_result(unsafe {
        bindings::vfs_removexattr(mnt.idmap(), dentry.as_raw(), name.as_char_ptr())
    });
    trace::removexattr(dentry, name, &result);
    result
}

/// The xattr handler table of filesystem `T`: one catch-all handler that passes every name to
/// `T::xattr_get` and `T::xattr_set`.
pub(super) struct Handlers<T>(core::marker::PhantomData<T>);

impl<T: FileSystem> Handlers<T> {
    const HANDLER: bindings::xattr_handler = bindings::xattr_handler {
        name: core::ptr::null(),
        prefix: kernel::str::as_char_ptr_in_const_context(c""),
        flags: 0,
        list: None,
        get: Some(get_cb::<T>),
        set: Some(set_cb::<T>),
    };
    pub(super) const LIST: [*const bindings::xattr_handler; 2] =
        [&Self::HANDLER, core::ptr::null()];
}

/// # Safety
///
/// Only called by the VFS's xattr code for one of `T`'s inodes, with `buffer` NULL or valid for
/// `size` bytes.
unsafe extern "C" fn get_cb<T: FileSystem>(
    _handler: *const bindings::xattr_handler,
    dentry: *mut bindings::dentry,
    inode: *mut bindings::inode,
    name: *const c_char,
    buffer: *mut c_void,
    size: usize,
) -> c_int {
    // SAFETY: the VFS holds `dentry`, `inode` and `name` for the call; `inode` is ours.
    let (d, inode, name) = unsafe {
        (
            OwnDentry::<T>::from_raw(dentry),
            OwnInode::<T>::from_raw(inode),
            CStr::from_char_ptr(name),
        )
    };
    let buf = (size != 0 && !buffer.is_null())
        // SAFETY: `buffer` is valid for `size` bytes and exclusively ours for the call.
        .then(|| unsafe { core::slice::from_raw_parts_mut(buffer.cast::<u8>(), size) });
    from_result(|| T::xattr_get(d, inode, name, buf).map(|n| n as c_int))
}

/// # Safety
///
/// Only called by the VFS's xattr code for one of `T`'s inodes, with `value` NULL (remove) or
/// valid for `size` bytes.
unsafe extern "C" fn set_cb<T: FileSystem>(
    _handler: *const bindings::xattr_handler,
    _idmap: *mut bindings::mnt_idmap,
    dentry: *mut bindings::dentry,
    inode: *mut bindings::inode,
    name: *const c_char,
    value: *const c_void,
    size: usize,
    flags: c_int,
) -> c_int {
    // SAFETY: the VFS holds `dentry`, `inode` and `name` for the call; `inode` is ours.
    let (d, inode, name) = unsafe {
        (
            OwnDentry::<T>::from_raw(dentry),
            OwnInode::<T>::from_raw(inode),
            CStr::from_char_ptr(name),
        )
    };
    let value = (!value.is_null())
        // SAFETY: `value` is valid for `size` bytes for the call.
        .then(|| unsafe { core::slice::from_raw_parts(value.cast::<u8>(), size) });
    from_result(|| T::xattr_set(d, inode, name, value, flags).map(|()| 0))
}
