// SPDX-License-Identifier: GPL-2.0

//! Listing directories. Mirrors `fs/overlayfs/readdir.c`.
//!
//! A directory that exists in one layer only is listed straight from the real directory.
//! A merged directory is listed from a merged listing: every name once, top layer first,
//! with whiteouts and the names they hide left out. The listing is read on the first read
//! of an open directory and kept on the inode for later opens, until the directory changes
//! through the mount or one of its real directories changes behind it (their `i_version`
//! change counters tell; on a filesystem without them, such as 9p, each open reads the
//! layers again, as overlayfs does).

#![deny(unsafe_code)]

use crate::{
    file::llseek_real,
    inode::RovlInode,
    super_block::{Rovl, RovlFs},
    vfs::{
        attr::{FileType, OpenFlag, OpenFlags, Whence},
        file::{self as vfile, FileOperations, OwnFile, PosLocked},
        namei,
        readdir::{self as vreaddir, DirContext, RealEntry},
        CredGuard, Dentry, Mount, OwnInode, PathRef,
    },
    xattr::{DirMark, OverlayXattrs},
};
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::{
    cred::Credential,
    fs::File,
    new_spinlock,
    prelude::*,
    sync::{aref::ARef, Arc, SpinLock},
};

/// The merged listing of a directory: every visible name once, in the order overlayfs lists
/// them. Built on the first read of an open directory and kept on the inode, for the next
/// opens, until the directory changes through the mount (`DirCache::changed`).
pub(crate) struct Listing {
    /// The directory's `DirCache` version the listing was read at.
    version: u64,
    /// The change cookies of the real directories (top first) from before they were read,
    /// or `None` if one of them has none: then the listing is not kept for other opens,
    /// since a change made to a layer behind the mount could not be told.
    cookies: Option<KVec<u64>>,
    /// All names, back to back; entries point into it (one allocation for all names).
    names: KVVec<u8>,
    entries: KVVec<ListEntry>,
}

#[derive(Clone, Copy)]
struct ListEntry {
    start: usize,
    len: usize,
    ino: u64,
    dtype: u32,
}

impl Listing {
    fn name(&self, e: &ListEntry) -> &[u8] {
        &self.names[e.start..e.start + e.len]
    }
}

/// What a directory inode keeps for listing: its merged listing, if it has been read, and a
/// version that every change of the directory through the mount advances.
#[pin_data]
pub(crate) struct DirCache {
    version: AtomicU64,
    #[pin]
    listing: SpinLock<Option<Arc<Listing>>>,
}

impl DirCache {
    pub(crate) fn new() -> Result<Pin<KBox<Self>>> {
        KBox::pin_init(
            pin_init!(Self {
                version: AtomicU64::new(0),
                listing <- new_spinlock!(None, "rovl_dir_listing"),
            }),
            GFP_KERNEL,
        )
    }

    /// Notes that names in the directory (or their identities) changed: listings read before
    /// are not used again. Called after the change, so a listing read meanwhile is stale too.
    pub(crate) fn changed(&self) {
        self.version.fetch_add(1, Ordering::AcqRel);
        self.forget();
    }

    /// Drops the kept listing (when the inode is destroyed, or is out of date).
    pub(crate) fn forget(&self) {
        let old = self.listing.lock().take();
        // Dropped outside the lock: freeing a large listing may sleep.
        drop(old);
    }

    fn current(&self) -> u64 {
        self.version.load(Ordering::Acquire)
    }

    /// The kept listing, if it is still current.
    fn get(&self) -> Option<Arc<Listing>> {
        let version = self.current();
        self.listing
            .lock()
            .as_ref()
            .filter(|l| l.version == version)
            .cloned()
    }

    fn keep(&self, listing: &Arc<Listing>) {
        if listing.cookies.is_none() {
            return;
        }
        let old = {
            let mut slot = self.listing.lock();
            if listing.version != self.current() {
                return;
            }
            slot.replace(listing.clone())
        };
        drop(old);
    }
}

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
    /// Several: list from the merged listing, taken from the inode or read on the first read
    /// (and again on a rewind if the directory changed since).
    Merged {
        flags: OpenFlags,
        listing: Pin<KBox<SpinLock<Option<Arc<Listing>>>>>,
    },
}

pub(crate) struct Directory;

#[vtable]
impl FileOperations for Directory {
    type Fs = Rovl;
    type OpenData = OpenDir;
    const IS_DIR: bool = true;

    fn open(inode: &OwnInode<Rovl>, file: &OwnFile<Rovl>) -> Result<OpenDir> {
        let fs = inode.fs();
        let data = inode.data();
        let flags =
            OpenFlags::from(OpenFlag::Directory) | (vfile::flags(file) & OpenFlag::LargeFile);
        let _creds = fs.override_creds();
        // The root is listed through the merge cache even with one layer, as overlayfs does,
        // so that whiteouts in it never show.
        let kind = if data.is_merged() || inode.inode().is_root() {
            DirKind::Merged {
                flags,
                listing: KBox::pin_init(new_spinlock!(None, "rovl_open_dir"), GFP_KERNEL)?,
            }
        } else {
            DirKind::Real(vreaddir::open_dir(data.real(fs)?.path(), flags, &fs.creds)?)
        };
        Ok(OpenDir {
            creds: fs.creds.clone(),
            kind,
        })
    }

    fn llseek(
        file: &OwnFile<Rovl>,
        data: &OpenDir,
        offset: i64,
        whence: Whence,
        locked: &PosLocked<'_>,
    ) -> Result<i64> {
        match &data.kind {
            DirKind::Real(real) => llseek_real(file, real, &data.creds, offset, whence, locked),
            DirKind::Merged { .. } => {
                // Positions are indexes into the listing: SEEK_SET and SEEK_CUR only. (A read
                // from 0 takes a fresh look at the listing.)
                let pos = match whence {
                    Whence::Set => offset,
                    Whence::Cur => vfile::pos(file).checked_add(offset).ok_or(EINVAL)?,
                    _ => return Err(EINVAL),
                };
                if pos < 0 {
                    return Err(EINVAL);
                }
                vfile::set_pos(file, pos, locked);
                Ok(pos)
            }
        }
    }

    fn iterate_shared(
        file: &OwnFile<Rovl>,
        data: &OpenDir,
        ctx: &mut DirContext,
        locked: &PosLocked<'_>,
    ) -> Result {
        let _creds = CredGuard::new(&data.creds);
        match &data.kind {
            DirKind::Real(real) => {
                vfile::set_pos(real, ctx.pos(), locked);
                vreaddir::iterate_dir(real, ctx)
            }
            DirKind::Merged { flags, listing } => {
                // Reading from the start (the first read, or after a rewind) picks up the
                // changes made since the listing was read, as in overlayfs.
                let kept = match ctx.pos() {
                    0 => None,
                    _ => listing.lock().clone(),
                };
                let entries = match kept {
                    Some(l) => l,
                    None => {
                        let l = merged_listing(file.inode(), *flags)?;
                        let old = listing.lock().replace(l.clone());
                        drop(old);
                        l
                    }
                };
                let mut index = usize::try_from(ctx.pos()).map_err(|_| EINVAL)?;
                for entry in entries.entries.iter().skip(index) {
                    if !ctx.emit(entries.name(entry), entry.ino, entry.dtype) {
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

/// The merged listing of directory `inode`: the one its inode keeps if that is current, or
/// read from the layers (and kept).
fn merged_listing(inode: &OwnInode<Rovl>, flags: OpenFlags) -> Result<Arc<Listing>> {
    let data = inode.data();
    let cache = data.dir_cache().ok_or(ENOTDIR)?;
    let fs = inode.fs();
    // Version and cookies first: a change that lands while the layers are read makes a
    // listing read now stale at once.
    let version = cache.current();
    let cookies = layer_cookies(fs, data)?;
    if let Some(l) = cache.get() {
        // Nothing changed through the mount; and behind it?
        if cookies.is_some() && l.cookies == cookies {
            return Ok(l);
        }
    }
    let layers = merged_layers(fs, data, flags)?;
    let mut listing = read_merged(&layers, fs.xattrs, version)?;
    listing.cookies = cookies;
    let l = Arc::new(listing, GFP_KERNEL)?;
    cache.keep(&l);
    Ok(l)
}

/// The change cookies of the real directories of `data`, top first; `None` if one of them
/// has none (its filesystem keeps no `i_version`, as 9p).
fn layer_cookies(fs: &RovlFs, data: &RovlInode) -> Result<Option<KVec<u64>>> {
    let mut cookies = KVec::new();
    for (_, dentry) in real_dirs(fs, data) {
        match dentry.inode().and_then(|i| i.change_cookie()) {
            Some(c) => cookies.push(c, GFP_KERNEL)?,
            None => return Ok(None),
        }
    }
    Ok(Some(cookies))
}

/// The real directories of the merged directory `data`, top first, with their mounts.
fn real_dirs<'a>(
    fs: &'a RovlFs,
    data: &'a RovlInode,
) -> impl Iterator<Item = (&'a Mount, &'a Dentry)> + 'a {
    let upper = data.upper().zip(fs.layers.upper.as_ref());
    Iterator::chain(
        upper.map(|(d, l)| (&*l.mnt, d)).into_iter(),
        data.lowers
            .iter()
            .map(|l| (&*fs.layers.layer(l.layer).mnt, &*l.dentry)),
    )
}

/// Opens every layer's directory of the merged directory `data`, top first.
fn merged_layers(fs: &RovlFs, data: &RovlInode, flags: OpenFlags) -> Result<KVec<MergedLayer>> {
    let mut layers = KVec::with_capacity(data.lowers.len() + 1, GFP_KERNEL)?;
    for (mnt, dentry) in real_dirs(fs, data) {
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
    let layers = merged_layers(fs, data, OpenFlag::Directory.into())?;
    let listing = read_merged(&layers, fs.xattrs, 0)?;
    let visible = listing
        .entries
        .iter()
        .any(|e| !matches!(listing.name(e), b"." | b".."));
    if visible {
        Err(ENOTEMPTY)
    } else {
        Ok(())
    }
}

/// Reads every layer of a merged directory, top first, into one listing with each name once,
/// taken from the topmost layer that has it; names whose topmost entry is a whiteout are left
/// out.
///
/// The order is overlayfs's, so that a listing reads the same under both: first every name
/// the lowest layer has, in that layer's order, then the names only higher layers have, in
/// the order they were met. This also keeps most offsets stable as upper entries come and go.
///
/// Names go into one buffer and duplicates are found with a hash table of indexes, so that a
/// large directory costs a few allocations rather than several per name.
fn read_merged(layers: &[MergedLayer], xattrs: &OverlayXattrs, version: u64) -> Result<Listing> {
    // Large directories need large arrays: these may come from vmalloc.
    let mut names: KVVec<u8> = KVVec::new();
    let mut raw: KVVec<RawEntry> = KVVec::new();
    for (depth, layer) in layers.iter().enumerate() {
        vreaddir::read_all(&layer.file, &mut |e: RealEntry<'_>| {
            let start = names.len();
            names.extend_from_slice(e.name, GFP_KERNEL)?;
            raw.push(
                RawEntry {
                    entry: ListEntry {
                        start,
                        len: e.name.len(),
                        ino: e.ino,
                        dtype: e.dtype,
                    },
                    depth,
                    topmost: 0,
                    in_lowest: false,
                    whiteout: false,
                },
                GFP_KERNEL,
            )?;
            Ok(())
        })?;
    }
    let last = layers.len().saturating_sub(1);
    find_topmost(&names, &mut raw, last)?;
    let name = |e: &ListEntry| &names[e.start..e.start + e.len];
    // A character device may be a whiteout (device 0/0), and so may an empty regular file in
    // a directory marked for xattr whiteouts; only the inode can tell. Only the topmost entry
    // of a name matters: it hides or shows the name.
    for i in 0..raw.len() {
        let e = &raw[i];
        let layer = &layers[e.depth];
        let dtype = FileType::of_dtype(e.entry.dtype);
        let maybe = e.topmost == i
            && (dtype == Some(FileType::CharDevice)
                || (layer.xwhiteouts && dtype == Some(FileType::Regular)));
        if maybe {
            if let Some(real) = namei::lookup_positive(&layer.mnt, name(&e.entry), &layer.dentry)? {
                let whiteout = xattrs.is_whiteout(&layer.mnt, &real);
                raw[i].whiteout = whiteout;
            }
        }
    }
    let entries = merge_order(&raw, last)?;
    Ok(Listing {
        version,
        cookies: None,
        names,
        entries,
    })
}

/// Links each entry of `raw` (read from layers `0..=last`, top first) to the entry of the
/// same name in the topmost layer that has it, and marks those that the lowest layer has too.
/// Names are found in `names` by their entries.
///
/// Duplicates are found with a hash table of entry indexes: open addressing, at most half
/// full.
fn find_topmost(names: &[u8], raw: &mut [RawEntry], last: usize) -> Result {
    let name = |e: &ListEntry| &names[e.start..e.start + e.len];
    let slots = (raw.len() * 2).next_power_of_two().max(16);
    let mut table: KVVec<usize> = KVVec::from_elem(usize::MAX, slots, GFP_KERNEL)?;
    for i in 0..raw.len() {
        let entry = raw[i].entry;
        let mut slot = name_hash(name(&entry)) & (slots - 1);
        let top = loop {
            let t = table[slot];
            if t == usize::MAX {
                table[slot] = i;
                break i;
            }
            if name(&raw[t].entry) == name(&entry) {
                break t;
            }
            slot = (slot + 1) & (slots - 1);
        };
        raw[i].topmost = top;
        if raw[i].depth == last {
            raw[top].in_lowest = true;
        }
    }
    Ok(())
}

/// The merged listing of `raw` (linked by [`find_topmost`], whiteouts marked), in overlayfs's
/// order; `last` is the lowest layer's depth.
fn merge_order(raw: &[RawEntry], last: usize) -> Result<KVVec<ListEntry>> {
    let mut entries: KVVec<ListEntry> = KVVec::with_capacity(raw.len(), GFP_KERNEL)?;
    // The lowest layer's names first, each as the topmost layer has it...
    for e in raw.iter().filter(|e| e.depth == last) {
        let top = &raw[e.topmost];
        if !top.whiteout {
            entries.push(top.entry, GFP_KERNEL)?;
        }
    }
    // ...then the names the lowest layer lacks, in the order they were met.
    for (i, e) in raw.iter().enumerate() {
        if e.topmost == i && !e.in_lowest && !e.whiteout {
            entries.push(e.entry, GFP_KERNEL)?;
        }
    }
    Ok(entries)
}

/// FNV-1a: a cheap hash of a name, for finding duplicates across layers.
fn name_hash(name: &[u8]) -> usize {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in name {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h as usize
}

/// An entry as read from one layer, before merging.
struct RawEntry {
    entry: ListEntry,
    /// The layer's position, 0 the topmost.
    depth: usize,
    /// Index of the entry with the same name in the topmost layer that has it.
    topmost: usize,
    /// (For a topmost entry) whether the lowest layer has the name too.
    in_lowest: bool,
    /// (For a topmost entry) a whiteout: the name is not listed.
    whiteout: bool,
}

#[kunit_tests(rovl_readdir)]
mod tests {
    use super::*;
    use kernel::str::CString;

    /// The merged listing of `layers`, top first, each a list of names separated by spaces; a
    /// name written `-name` is a whiteout there. The listing is the names separated by
    /// spaces, each with `@` and the depth of the layer its entry was taken from.
    fn merged(layers: &[&[u8]]) -> Result<KVec<u8>> {
        let mut names = KVVec::new();
        let mut raw: KVVec<RawEntry> = KVVec::new();
        let mut whiteouts = KVec::new();
        for (depth, layer) in layers.iter().enumerate() {
            for word in layer.split(|&b| b == b' ').filter(|w| !w.is_empty()) {
                let (whiteout, name) = match word {
                    [b'-', name @ ..] => (true, name),
                    _ => (false, word),
                };
                let start = names.len();
                names.extend_from_slice(name, GFP_KERNEL)?;
                whiteouts.push(whiteout, GFP_KERNEL)?;
                let entry = ListEntry {
                    start,
                    len: name.len(),
                    ino: depth as u64,
                    dtype: if whiteout {
                        FileType::CharDevice.dtype()
                    } else {
                        FileType::Regular.dtype()
                    },
                };
                raw.push(
                    RawEntry {
                        entry,
                        depth,
                        topmost: 0,
                        in_lowest: false,
                        whiteout: false,
                    },
                    GFP_KERNEL,
                )?;
            }
        }
        let last = layers.len().saturating_sub(1);
        find_topmost(&names, &mut raw, last)?;
        // As `read_merged` does: only the topmost entry of a name is looked at.
        for (i, e) in raw.iter_mut().enumerate() {
            if e.topmost == i {
                e.whiteout = whiteouts[i];
            }
        }
        let mut out = KVec::new();
        for e in merge_order(&raw, last)?.iter() {
            if !out.is_empty() {
                out.push(b' ', GFP_KERNEL)?;
            }
            out.extend_from_slice(&names[e.start..e.start + e.len], GFP_KERNEL)?;
            let depth = CString::try_from_fmt(fmt!("@{}", e.ino))?;
            out.extend_from_slice(depth.to_bytes(), GFP_KERNEL)?;
        }
        Ok(out)
    }

    #[test]
    fn one_layer_in_its_order() -> Result {
        assert_eq!(merged(&[b"c a b"])?.as_slice(), b"c@0 a@0 b@0");
        assert_eq!(merged(&[b""])?.as_slice(), b"");
        Ok(())
    }

    #[test]
    fn lowest_layer_first() -> Result {
        // The lowest layer's names in its order (a name both have as the upper layer has
        // it), then the upper layer's own names in its order.
        assert_eq!(merged(&[b"x b y", b"c b"])?.as_slice(), b"c@1 b@0 x@0 y@0");
        assert_eq!(
            merged(&[b"a t", b"m a", b"l a"])?.as_slice(),
            b"l@2 a@0 t@0 m@1"
        );
        // With an empty lowest layer, the names in the order met, top first.
        assert_eq!(merged(&[b"a b", b"b c", b""])?.as_slice(), b"a@0 b@0 c@1");
        assert_eq!(
            merged(&[b". .. a", b". .. b"])?.as_slice(),
            b".@0 ..@0 b@1 a@0"
        );
        Ok(())
    }

    #[test]
    fn whiteouts_hide_names_below() -> Result {
        assert_eq!(merged(&[b"-c x", b"c b"])?.as_slice(), b"b@1 x@0");
        assert_eq!(merged(&[b"t", b"-l", b"l k"])?.as_slice(), b"k@2 t@0");
        // A whiteout with nothing below is not listed either.
        assert_eq!(merged(&[b"-w a", b"b"])?.as_slice(), b"b@1 a@0");
        assert_eq!(merged(&[b"-w"])?.as_slice(), b"");
        Ok(())
    }

    #[test]
    fn names_above_a_whiteout_show() -> Result {
        // A whiteout hides only what is below it.
        assert_eq!(merged(&[b"a", b"-a b"])?.as_slice(), b"a@0 b@1");
        assert_eq!(merged(&[b"l", b"-l", b"l"])?.as_slice(), b"l@0");
        assert_eq!(merged(&[b"m", b"-m", b"k"])?.as_slice(), b"k@2 m@0");
        Ok(())
    }

    #[test]
    fn each_name_once() -> Result {
        // Enough names for the hash table to probe past collisions; the middle layer has
        // every name again.
        const N: usize = 300;
        let mut upper = KVec::new();
        let mut lower = KVec::new();
        let mut want = KVec::new();
        for i in 0..N {
            let name = CString::try_from_fmt(fmt!("n{i} "))?;
            upper.extend_from_slice(name.to_bytes(), GFP_KERNEL)?;
            let name = CString::try_from_fmt(fmt!("n{} ", N - 1 - i))?;
            lower.extend_from_slice(name.to_bytes(), GFP_KERNEL)?;
            let name = CString::try_from_fmt(fmt!("n{}@0 ", N - 1 - i))?;
            want.extend_from_slice(name.to_bytes(), GFP_KERNEL)?;
        }
        want.pop();
        assert_eq!(
            merged(&[&upper, &upper, &lower])?.as_slice(),
            want.as_slice()
        );
        Ok(())
    }
}
