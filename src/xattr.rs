// SPDX-License-Identifier: GPL-2.0

//! Extended attributes of merged objects. Mirrors `fs/overlayfs/xattrs.c`.
//!
//! Everything passes through to the real object except the overlay's own private
//! attributes (`trusted.overlay.*`), which describe the layers and are hidden from the
//! merged view.

#![deny(unsafe_code)]

use crate::{
    inode::{self, RovlInode},
    super_block::fs_of,
    vfs::{xattr as vxattr, Dentry, InodeWith, Mount},
};
use kernel::prelude::*;

/// Prefix of overlayfs's private xattrs.
const PRIVATE_PREFIX: &[u8] = b"trusted.overlay.";
/// Marks a directory as opaque: nothing below it merges in.
const OPAQUE: &CStr = c"trusted.overlay.opaque";

fn is_private(name: &[u8]) -> bool {
    name.starts_with(PRIVATE_PREFIX)
}

pub(crate) fn get(
    _dentry: &Dentry,
    inode: &InodeWith<RovlInode>,
    name: &CStr,
    buf: Option<&mut [u8]>,
) -> Result<usize> {
    if is_private(name.to_bytes()) {
        return Err(EOPNOTSUPP);
    }
    let fs = fs_of(inode.inode().sb())?;
    let real = inode.data().real();
    let _creds = fs.override_creds();
    vxattr::get(&fs.layers.layer(real.layer).mnt, &real.dentry, name, buf)
}

pub(crate) fn set(
    _dentry: &Dentry,
    _inode: &InodeWith<RovlInode>,
    name: &CStr,
    _value: Option<&[u8]>,
    _flags: i32,
) -> Result {
    if is_private(name.to_bytes()) {
        return Err(EOPNOTSUPP);
    }
    // Lower layers are never written; without an upper layer the mount is read-only.
    Err(EROFS)
}

/// Lists the xattr names of the real object, without the overlay's private ones.
pub(crate) fn list(dentry: &Dentry, mut buf: Option<&mut [u8]>) -> Result<usize> {
    let inode = inode::of_dentry(dentry)?;
    let fs = fs_of(inode.inode().sb())?;
    let real = inode.data().real();
    let len = {
        let _creds = fs.override_creds();
        vxattr::list(&real.dentry, buf.as_deref_mut())?
    };
    let Some(buf) = buf else {
        // A size query may over-count by the private names; that is allowed.
        return Ok(len);
    };
    // Squeeze out the private names in place.
    let mut kept = 0;
    let mut start = 0;
    while start < len {
        let end = buf[start..len]
            .iter()
            .position(|&b| b == 0)
            .map_or(len, |p| start + p + 1);
        if !is_private(&buf[start..end]) {
            buf.copy_within(start..end, kept);
            kept += end - start;
        }
        start = end;
    }
    Ok(kept)
}

/// Whether the real directory `dir` is marked opaque (`trusted.overlay.opaque` = `y`).
pub(crate) fn is_opaque_dir(mnt: &Mount, dir: &Dentry) -> bool {
    let mut value = [0u8; 1];
    matches!(vxattr::get(mnt, dir, OPAQUE, Some(&mut value)), Ok(1) if value[0] == b'y')
}
