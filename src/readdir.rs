// SPDX-License-Identifier: GPL-2.0

//! Listing directories. Mirrors `fs/overlayfs/readdir.c`.
//!
//! A directory that exists in one layer only is listed straight from the real directory.
//! A merged directory is listed from a cache built on the first read of each open
//! directory (and again after a rewind): every name once, top layer first, with whiteouts
//! and the names they hide left out.

#![deny(unsafe_code)]

use crate::{
    file::{llseek_real, oflags},
    inode::RovlInode,
    super_block::{fs_of, RovlFs},
    vfs::{
        file::{self as vfile, FileOperations},
        namei,
        readdir::{self as vreaddir, DirContext, RealEntry},
        CredGuard, Dentry, InodeWith, Mount, PathRef,
    },
    xattr::{DirMark, OverlayXattrs},
};
use kernel::{
    cred::Credential, fs::File, new_mutex, prelude::*, rbtree::RBTree, sync::aref::ARef,
    sync::Mutex,
};

/// `DT_CHR` of `struct linux_dirent64`.
const DT_CHR: u32 = 2;
const DT_REG: u32 = 8;

/// A directory entry name, ordered bytewise, as the key of the merge tree.
#[derive(PartialEq, Eq)]
struct NameKey(KVec<u8>);

impl NameKey {
    fn new(name: &[u8]) -> Result<Self> {
        let mut v = KVec::with_capacity(name.len(), GFP_KERNEL)?;
        v.extend_from_slice(name, GFP_KERNEL)?;
        Ok(Self(v))
    }
}

impl PartialOrd for NameKey {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for NameKey {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        self.0[..].cmp(&other.0[..])
    }
}

/// One entry of a merged directory listing.
struct MergedEntry {
    name: KVec<u8>,
    ino: u64,
    dtype: u32,
    /// A whiteout: hides the name below, is not listed.
    whiteout: bool,
}

/// The merged listing of an open directory: `None` until the first read after open or rewind.
type MergeCache = Pin<KBox<Mutex<Option<KVVec<MergedEntry>>>>>;

/// One layer's directory of a merged directory, open for reading.
struct MergedLayer {
    file: ARef<File>,
    mnt: ARef<Mount>,
    dentry: ARef<Dentry>,
    /// Marked `trusted.overlay.opaque=x`: empty regular files in it may be whiteouts.
    xwhiteouts: bool,
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
        xattrs: &'static OverlayXattrs,
        cache: MergeCache,
    },
}

pub(crate) struct Directory;

#[vtable]
impl FileOperations for Directory {
    type InodeData = RovlInode;
    type OpenData = OpenDir;
    const IS_DIR: bool = true;

    fn open(inode: &InodeWith<RovlInode>, file: &File) -> Result<OpenDir> {
        let fs = fs_of(inode.inode().sb())?;
        let data = inode.data();
        let flags = oflags::DIRECTORY | (vfile::flags(file) & oflags::LARGEFILE);
        let _creds = fs.override_creds();
        // The root is listed through the merge cache even with one layer, as overlayfs does,
        // so that whiteouts in it never show.
        let kind = if data.is_merged() || inode.inode().is_root() {
            DirKind::Merged {
                layers: merged_layers(fs, data, flags)?,
                xattrs: fs.xattrs,
                cache: new_cache(inode.inode().sb().stack_depth())?,
            }
        } else {
            DirKind::Real(vreaddir::open_dir(data.real(fs)?.path(), flags, &fs.creds)?)
        };
        Ok(OpenDir {
            creds: fs.creds.clone(),
            kind,
        })
    }

    fn llseek(file: &File, data: &OpenDir, offset: i64, whence: i32) -> Result<i64> {
        match &data.kind {
            DirKind::Real(real) => llseek_real(file, real, &data.creds, offset, whence),
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
            DirKind::Merged {
                layers,
                xattrs,
                cache,
            } => {
                let mut cache = cache.lock();
                if cache.is_none() || ctx.pos() == 0 {
                    *cache = Some(read_merged(layers, xattrs)?);
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

/// Opens every layer's directory of the merged directory `data`, top first.
fn merged_layers(fs: &RovlFs, data: &RovlInode, flags: u32) -> Result<KVec<MergedLayer>> {
    let mut layers = KVec::with_capacity(data.lowers.len() + 1, GFP_KERNEL)?;
    let upper = data.upper().zip(fs.layers.upper.as_ref());
    let reals = Iterator::chain(
        upper.map(|(d, l)| (&*l.mnt, d)).into_iter(),
        data.lowers
            .iter()
            .map(|l| (&*fs.layers.layer(l.layer).mnt, &*l.dentry)),
    );
    for (mnt, dentry) in reals {
        let layer = MergedLayer {
            file: vreaddir::open_dir(PathRef::new(mnt, dentry), flags, &fs.creds)?,
            mnt: ARef::from(mnt),
            dentry: ARef::from(dentry),
            xwhiteouts: fs.xattrs.dir_mark(mnt, dentry) == DirMark::XWhiteouts,
        };
        layers.push(layer, GFP_KERNEL)?;
    }
    Ok(layers)
}

/// Fails with `ENOTEMPTY` unless the merged directory `data` lists nothing but `.` and `..`
/// (its layers may hold whiteouts), as `rmdir` and renaming over a directory require.
pub(crate) fn check_empty(fs: &RovlFs, data: &RovlInode) -> Result {
    let _creds = fs.override_creds();
    let layers = merged_layers(fs, data, oflags::DIRECTORY)?;
    let entries = read_merged(&layers, fs.xattrs)?;
    let visible = entries
        .iter()
        .any(|e| !e.whiteout && e.name[..] != *b"." && e.name[..] != *b"..");
    if visible {
        Err(ENOTEMPTY)
    } else {
        Ok(())
    }
}

/// A new, empty merge cache. Its lock gets one lockdep class per stacking depth: rovl stacked
/// on rovl takes the lower rovl's cache lock (inside `iterate_dir` of the lower directory)
/// while holding its own, which lockdep would otherwise take for recursion.
fn new_cache(stack_depth: i32) -> Result<MergeCache> {
    Ok(if stack_depth > 1 {
        KBox::pin_init(new_mutex!(None, "rovl_dir_cache_stacked"), GFP_KERNEL)?
    } else {
        KBox::pin_init(new_mutex!(None, "rovl_dir_cache"), GFP_KERNEL)?
    })
}

/// Reads every layer of a merged directory, top first, into one list with each name once,
/// taken from the topmost layer that has it. Whiteouts stay in the list (marked) so that they
/// hide the names below them; they are skipped when listing.
///
/// The order is overlayfs's, so that a listing reads the same under both: first every name
/// the lowest layer has, in that layer's order, then the names only higher layers have, in
/// the order they were met. This also keeps most offsets stable as upper entries come and go.
fn read_merged(layers: &[MergedLayer], xattrs: &OverlayXattrs) -> Result<KVVec<MergedEntry>> {
    // Large directories need large arrays: these may come from vmalloc.
    let mut entries: KVVec<MergedEntry> = KVVec::new();
    let mut by_name: RBTree<NameKey, usize> = RBTree::new();
    // Indexes of the entries the lowest layer has, in its order.
    let mut lowest_order: KVVec<usize> = KVVec::new();
    let last = layers.len().saturating_sub(1);
    for (depth, layer) in layers.iter().enumerate() {
        let first_new = entries.len();
        vreaddir::read_all(&layer.file, &mut |e: RealEntry<'_>| {
            let name = NameKey::new(e.name)?;
            let index = match by_name.get(&name) {
                Some(&index) => index,
                None => {
                    let index = entries.len();
                    let copy = NameKey::new(e.name)?;
                    by_name.try_create_and_insert(name, index, GFP_KERNEL)?;
                    entries.push(
                        MergedEntry {
                            name: copy.0,
                            ino: e.ino,
                            dtype: e.dtype,
                            whiteout: false,
                        },
                        GFP_KERNEL,
                    )?;
                    index
                }
            };
            if depth == last {
                lowest_order.push(index, GFP_KERNEL)?;
            }
            Ok(())
        })?;
        // A character device may be a whiteout (device 0/0), and so may an empty regular file
        // in a directory marked for xattr whiteouts; only the inode can tell. Look these up
        // once the real directory is no longer being read.
        let maybe_whiteout =
            |e: &MergedEntry| e.dtype == DT_CHR || (layer.xwhiteouts && e.dtype == DT_REG);
        for entry in entries[first_new..]
            .iter_mut()
            .filter(|e| maybe_whiteout(e))
        {
            if let Some(real) = namei::lookup_positive(&layer.mnt, &entry.name, &layer.dentry)? {
                entry.whiteout = xattrs.is_whiteout(&layer.mnt, &real);
            }
        }
    }
    // Reorder: the lowest layer's names first, then the rest in discovery order.
    let mut in_lowest = KVVec::from_elem(false, entries.len(), GFP_KERNEL)?;
    for &i in lowest_order.iter() {
        in_lowest[i] = true;
    }
    let mut slots: KVVec<Option<MergedEntry>> = KVVec::with_capacity(entries.len(), GFP_KERNEL)?;
    for e in entries.drain_all() {
        slots.push(Some(e), GFP_KERNEL)?;
    }
    let mut ordered = KVVec::with_capacity(slots.len(), GFP_KERNEL)?;
    for &i in lowest_order.iter() {
        if let Some(e) = slots[i].take() {
            ordered.push(e, GFP_KERNEL)?;
        }
    }
    for (i, slot) in slots.iter_mut().enumerate() {
        if !in_lowest[i] {
            if let Some(e) = slot.take() {
                ordered.push(e, GFP_KERNEL)?;
            }
        }
    }
    Ok(ordered)
}
