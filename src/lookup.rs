// SPDX-License-Identifier: GPL-2.0

//! Looking a name up across the layers. Mirrors `fs/overlayfs/namei.c`.
//!
//! The rules, from overlayfs.rst: layers are searched top-down. A non-directory hides every
//! layer below it. A directory merges with same-named directories below it, until a layer
//! has a non-directory or a whiteout of that name, or the directory is opaque. A whiteout
//! hides the name in every layer below it.

#![deny(unsafe_code)]

use crate::{
    inode::{self, LowerEntry, RovlInode},
    super_block::fs_of,
    vfs::{namei, trace, Inode, InodeWith},
    xattr,
};
use kernel::{prelude::*, sync::aref::ARef};

/// Looks `name` up under the merged directory `dir`.
pub(crate) fn lookup(dir: &InodeWith<RovlInode>, name: &[u8]) -> Result<Option<ARef<Inode>>> {
    let sb = dir.inode().sb();
    let fs = fs_of(sb)?;
    // No layer can hold a longer name (and the layers' own lookups would say ENOENT or
    // ENAMETOOLONG depending on the layer).
    if name.len() > fs.max_name_len() {
        return Err(ENAMETOOLONG);
    }
    let data = dir.data();
    let mut upper = None;
    let mut found: KVec<LowerEntry> = KVec::new();
    // How many layers were asked, for the trace of a miss.
    let mut asked = 0;
    {
        let _creds = fs.override_creds();
        if let (Some(parent), Some(layer)) = (data.upper(), fs.layers.upper.as_ref()) {
            asked += 1;
            if let Some(real) = namei::lookup_positive(&layer.mnt, name, parent)? {
                if fs.xattrs.is_whiteout(&layer.mnt, &real) {
                    trace::lookup_miss(dir.inode(), name, asked);
                    return Ok(None);
                }
                let is_dir = real.is_dir();
                let opaque =
                    is_dir && fs.xattrs.dir_mark(&layer.mnt, &real) == xattr::DirMark::Opaque;
                upper = Some(real);
                if !is_dir || opaque {
                    return inode::get(sb, fs, upper, found).map(Some);
                }
            }
        }
        for parent in data.lowers.iter() {
            let layer = fs.layers.layer(parent.layer);
            asked += 1;
            let Some(real) = namei::lookup_positive(&layer.mnt, name, &parent.dentry)? else {
                continue;
            };
            if fs.xattrs.is_whiteout(&layer.mnt, &real) {
                break;
            }
            if !real.is_dir() {
                // A non-directory is the answer if nothing was found above it; below a
                // directory it ends the merge.
                if found.is_empty() && upper.is_none() {
                    found.push(LowerEntry::new(parent.layer, real), GFP_KERNEL)?;
                }
                break;
            }
            let opaque = fs.xattrs.dir_mark(&layer.mnt, &real) == xattr::DirMark::Opaque;
            found.push(LowerEntry::new(parent.layer, real), GFP_KERNEL)?;
            if opaque {
                break;
            }
        }
    }
    if found.is_empty() && upper.is_none() {
        trace::lookup_miss(dir.inode(), name, asked);
        return Ok(None);
    }
    inode::get(sb, fs, upper, found).map(Some)
}

/// Whether `name` exists below the upper layer in the merged directory `dir`: whether
/// removing it must leave a whiteout. An error other than "no such name" counts as
/// existing, to be safe.
pub(crate) fn lower_positive(dir: &InodeWith<RovlInode>, name: &[u8]) -> bool {
    let Ok(fs) = fs_of(dir.inode().sb()) else {
        return true;
    };
    let _creds = fs.override_creds();
    for parent in dir.data().lowers.iter() {
        let layer = fs.layers.layer(parent.layer);
        match namei::lookup_positive(&layer.mnt, name, &parent.dentry) {
            Ok(None) => continue,
            Ok(Some(real)) => return !fs.xattrs.is_whiteout(&layer.mnt, &real),
            Err(_) => return true,
        }
    }
    false
}
