// SPDX-License-Identifier: GPL-2.0

//! Listing directories. Mirrors `fs/overlayfs/readdir.c`.
//!
//! A directory that exists in one layer only is listed straight from the real directory.
//! A merged directory is listed from a cache built on the first read of each open
//! directory (and again after a rewind): every name once, top layer first, with whiteouts
//! and the names they hide left out.

#![deny(unsafe_code)]

use crate::{
    file::oflags,
    inode::RovlInode,
    super_block::fs_of,
    vfs::{
        file::{self as vfile, FileOperations},
        readdir::{self as vreaddir, DirContext, RealEntry},
        namei, CredGuard, Dentry, InodeWith, Mount,
    },
};
use kernel::{cred::Credential, fs::File, prelude::*, sync::aref::ARef, sync::Mutex, new_mutex};

/// `DT_CHR` of `struct linux_dirent64`.
const DT_CHR: u32 = 2;

/// One entry of a merged directory listing.
struct MergedEntry {
    name: KVec<u8>,
    ino: u64,
    dtype: u32,
    /// A whiteout: hides the name below, is not listed.
    whiteout: bool,
}

/// One layer's directory of a merged directory, open for reading.
struct MergedLayer {
    file: ARef<File>,
    mnt: ARef<Mount>,
    dentry: ARef<Dentry>,
}

/// An open rovl directory.
pub(crate) struct OpenDir {
    creds: ARef<Credential>,
    kind: DirKind,
}

enum DirKind {
    /// One real directory: forward to it.
    Real(ARef<File>),
    /// Several: list from the merged cache (built on first read, dropped on rewind).
    Merged {
        layers: KVec<MergedLayer>,
        cache: Pin<KBox<Mutex<Option<KVec<MergedEntry>>>>>,
    },
}

pub(crate) struct Directory;

#[vtable]
impl FileOperations for Directory {
    type InodeData = RovlInode;
    type OpenData = OpenDir;

    fn open(inode: &InodeWith<RovlInode>, file: &File) -> Result<OpenDir> {
        let fs = fs_of(inode.inode().sb())?;
        let data = inode.data();
        let flags = oflags::DIRECTORY | (vfile::flags(file) & oflags::LARGEFILE);
        let _creds = fs.override_creds();
        let kind = if data.is_merged() {
            let mut layers = KVec::with_capacity(data.lowers.len(), GFP_KERNEL)?;
            for lower in data.lowers.iter() {
                let layer = MergedLayer {
                    file: vreaddir::open_dir(lower.path(fs), flags, &fs.creds)?,
                    mnt: fs.layers.layer(lower.layer).mnt.clone(),
                    dentry: lower.dentry.clone(),
                };
                layers.push(layer, GFP_KERNEL)?;
            }
            DirKind::Merged {
                layers,
                cache: KBox::pin_init(new_mutex!(None), GFP_KERNEL)?,
            }
        } else {
            DirKind::Real(vreaddir::open_dir(data.real().path(fs), flags, &fs.creds)?)
        };
        Ok(OpenDir {
            creds: fs.creds.clone(),
            kind,
        })
    }

    fn llseek(file: &File, data: &OpenDir, offset: i64, whence: i32) -> Result<i64> {
        match &data.kind {
            DirKind::Real(real) => {
                vfile::set_pos(real, vfile::pos(file));
                let pos = {
                    let _creds = CredGuard::new(&data.creds);
                    vfile::llseek(real, offset, whence)?
                };
                vfile::set_pos(file, pos);
                Ok(pos)
            }
            DirKind::Merged { cache, .. } => {
                // Positions are indexes into the cache: SEEK_SET and SEEK_CUR only.
                let pos = match whence {
                    0 => offset,
                    1 => vfile::pos(file).checked_add(offset).ok_or(EINVAL)?,
                    _ => return Err(EINVAL),
                };
                if pos < 0 {
                    return Err(EINVAL);
                }
                if pos == 0 {
                    // A rewind reads the layers afresh, as overlayfs does.
                    *cache.lock() = None;
                }
                vfile::set_pos(file, pos);
                Ok(pos)
            }
        }
    }

    fn iterate_shared(_file: &File, data: &OpenDir, ctx: &mut DirContext) -> Result {
        let _creds = CredGuard::new(&data.creds);
        match &data.kind {
            DirKind::Real(real) => {
                vfile::set_pos(real, ctx.pos());
                vreaddir::iterate_dir(real, ctx)
            }
            DirKind::Merged { layers, cache } => {
                let mut cache = cache.lock();
                if cache.is_none() || ctx.pos() == 0 {
                    *cache = Some(read_merged(layers)?);
                }
                let entries = cache.as_ref().ok_or(EIO)?;
                let mut index = usize::try_from(ctx.pos()).map_err(|_| EINVAL)?;
                for entry in entries.iter().filter(|e| !e.whiteout).skip(index) {
                    if !ctx.emit(&entry.name, entry.ino, entry.dtype) {
                        break;
                    }
                    index += 1;
                    ctx.set_pos(index as i64);
                }
                Ok(())
            }
        }
    }
}

/// Reads every layer of a merged directory, top first, into one list: each name once, from
/// the topmost layer that has it. Whiteouts stay in the list (marked) so that they hide the
/// names below them; they are skipped when listing.
fn read_merged(layers: &[MergedLayer]) -> Result<KVec<MergedEntry>> {
    let mut entries: KVec<MergedEntry> = KVec::new();
    for (depth, layer) in layers.iter().enumerate() {
        let above = entries.len();
        vreaddir::read_all(&layer.file, &mut |e: RealEntry<'_>| {
            let is_dot = e.name == b"." || e.name == b"..";
            if is_dot && depth > 0 {
                return Ok(());
            }
            if entries[..above].iter().any(|m| m.name == e.name) {
                return Ok(());
            }
            let mut name = KVec::with_capacity(e.name.len(), GFP_KERNEL)?;
            name.extend_from_slice(e.name, GFP_KERNEL)?;
            entries.push(
                MergedEntry {
                    name,
                    ino: e.ino,
                    dtype: e.dtype,
                    whiteout: false,
                },
                GFP_KERNEL,
            )?;
            Ok(())
        })?;
        // A character device may be a whiteout (device 0/0); only its inode can tell. Look
        // these up once the real directory is no longer being read.
        for entry in entries[above..].iter_mut().filter(|e| e.dtype == DT_CHR) {
            if let Some(real) = namei::lookup_positive(&layer.mnt, &entry.name, &layer.dentry)? {
                entry.whiteout = real.inode().is_some_and(|i| i.is_whiteout());
            }
        }
    }
    Ok(entries)
}
