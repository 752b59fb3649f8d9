// SPDX-License-Identifier: GPL-2.0

//! Looking names up in real directories.
//!
//! C headers: [`include/linux/namei.h`](srctree/include/linux/namei.h)

use super::{bindings, dentry::Dentry, path::Mount};
use core::ptr::NonNull;
use kernel::{prelude::*, sync::aref::ARef};

/// Looks `name` up in the directory `base` on `mnt`, with permission checks as the caller's
/// credentials allow. Returns `None` if the name does not exist (a negative dentry).
///
/// `base` must not be locked by the caller: the real directory is locked here as needed.
pub(crate) fn lookup_positive(
    mnt: &Mount,
    name: &[u8],
    base: &Dentry,
) -> Result<Option<ARef<Dentry>>> {
    let len = u32::try_from(name.len()).map_err(|_| ENAMETOOLONG)?;
    let mut q = bindings::qstr {
        __bindgen_anon_1: bindings::qstr__bindgen_ty_1 {
            __bindgen_anon_1: bindings::qstr__bindgen_ty_1__bindgen_ty_1 { hash: 0, len },
        },
        name: name.as_ptr(),
    };
    // SAFETY: `q` describes `name`, valid for the call (the hash is computed inside); `base`
    // is a referenced directory dentry on `mnt`.
    let ptr = unsafe { bindings::lookup_one_positive_unlocked(mnt.idmap(), &mut q, base.as_raw()) };
    match kernel::error::from_err_ptr(ptr) {
        Ok(p) => {
            let p = NonNull::new(p).ok_or(ENOENT)?;
            // SAFETY: a successful lookup returns a referenced, positive dentry.
            Ok(Some(unsafe { Dentry::from_raw_owned(p) }))
        }
        // A name too long for this layer cannot exist in it.
        Err(e) if e == ENOENT || e == ENAMETOOLONG => Ok(None),
        Err(e) => Err(e),
    }
}
