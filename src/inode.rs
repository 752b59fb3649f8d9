// SPDX-License-Identifier: GPL-2.0

//! rovl's inodes: what each one stacks over, and its inode operations. Mirrors
//! `fs/overlayfs/inode.c`.
//!
//! One rovl inode exists per real inode it shows (the inode cache is keyed by the real
//! inode), so hard links in a layer stay hard links in the merged view and repeated lookups
//! find the same inode. Attributes are read from the real inode on every `stat`.

#![deny(unsafe_code)]

use crate::{
    file::RegularFile,
    lookup,
    readdir::Directory,
    super_block::{fs_of, Rovl, RovlFs},
    vfs::{
        inode::{
            self as vinode, may, DelayedCall, IgetResult, InodeOperations, InodeOps, LinkTarget,
        },
        Dentry, FileOps, Inode, InodeKind, InodeParams, InodeWith, Kstat, PathRef, SuperBlock,
    },
    xattr,
};
use kernel::{prelude::*, sync::aref::ARef};

/// A real dentry in one lower layer.
pub(crate) struct LowerEntry {
    /// Index of the layer in the stack (0 is the top lower layer).
    pub(crate) layer: usize,
    pub(crate) dentry: ARef<Dentry>,
}

impl LowerEntry {
    pub(crate) fn new(layer: usize, dentry: ARef<Dentry>) -> Self {
        Self { layer, dentry }
    }

    /// The real object as a path on its layer's private mount.
    pub(crate) fn path<'a>(&'a self, fs: &'a RovlFs) -> PathRef<'a> {
        PathRef::new(&fs.layers.layer(self.layer).mnt, &self.dentry)
    }
}

/// What a rovl inode stacks over.
pub(crate) struct RovlInode {
    /// The real objects, top layer first. A directory lists every layer's directory of the
    /// same name down to the first opaque one; any other type has exactly one.
    pub(crate) lowers: KVec<LowerEntry>,
}

impl RovlInode {
    /// The object whose attributes and data the merged object shows: the topmost.
    pub(crate) fn real(&self) -> &LowerEntry {
        &self.lowers[0]
    }

    /// Whether this directory merges more than one layer.
    pub(crate) fn is_merged(&self) -> bool {
        self.lowers.len() > 1
    }
}

static DIR_IOPS: InodeOps<RovlInode> = InodeOps::new::<DirInode>();
static FILE_IOPS: InodeOps<RovlInode> = InodeOps::new::<FileInode>();
static SYMLINK_IOPS: InodeOps<RovlInode> = InodeOps::new::<SymlinkInode>();
static SPECIAL_IOPS: InodeOps<RovlInode> = InodeOps::new::<FileInode>();
static DIR_FOPS: FileOps<RovlInode> = FileOps::new::<Directory>();
static FILE_FOPS: FileOps<RovlInode> = FileOps::new::<RegularFile>();

/// Returns the rovl inode for the stack `lowers` (top first), making it if needed.
pub(crate) fn get(sb: &SuperBlock, fs: &RovlFs, lowers: KVec<LowerEntry>) -> Result<ARef<Inode>> {
    let real = lowers.first().ok_or(EIO)?.dentry.inode().ok_or(EIO)?;
    let key = core::ptr::from_ref(real) as usize;
    match sb.iget::<Rovl>(key)? {
        IgetResult::Cached(inode) => Ok(inode),
        IgetResult::New(new) => {
            let mut params = InodeParams::copy_of(real);
            let kind = if real.is_dir() {
                if !fs.layers.same_fs() {
                    // Real inode numbers of different filesystems may collide; directories
                    // then get numbers of their own, as overlayfs gives them (xino=off).
                    params.ino = fs.next_ino();
                }
                InodeKind::Directory(&DIR_IOPS, &DIR_FOPS)
            } else if real.is_regular() {
                InodeKind::Regular(&FILE_IOPS, &FILE_FOPS)
            } else if real.is_symlink() {
                InodeKind::Symlink(&SYMLINK_IOPS)
            } else {
                InodeKind::Special(&SPECIAL_IOPS)
            };
            Ok(new.init(&params, kind, RovlInode { lowers }))
        }
    }
}

/// The rovl inode behind one of rovl's dentries.
pub(crate) fn of_dentry(dentry: &Dentry) -> Result<&InodeWith<RovlInode>> {
    dentry.inode().and_then(|i| i.own::<Rovl>()).ok_or(EIO)
}

/// Permission as overlayfs.rst describes it: the caller against the overlay inode's
/// attributes, then the mounter against the real inode.
fn permission(inode: &InodeWith<RovlInode>, mask: i32) -> Result {
    if mask & may::NOT_BLOCK != 0 {
        // RCU walk: the real stack is released in `destroy_inode`, before an RCU grace
        // period, so it must not be followed here. Ask for a ref-walk instead.
        return Err(ECHILD);
    }
    vinode::generic_permission(inode.inode(), mask)?;
    let fs = fs_of(inode.inode().sb())?;
    let real = inode.data().real();
    let real_inode = real.dentry.inode().ok_or(EIO)?;
    let mut mask = mask;
    if mask & may::WRITE != 0 && !is_special(real_inode) {
        // Writes never reach a lower object (it is copied up first), so the mounter only
        // needs to be able to read it.
        mask &= !(may::WRITE | may::APPEND);
        mask |= may::READ;
    }
    let _creds = fs.override_creds();
    vinode::permission(&fs.layers.layer(real.layer).mnt, real_inode, mask)
}

fn is_special(inode: &Inode) -> bool {
    !(inode.is_dir() || inode.is_regular() || inode.is_symlink())
}

/// `stat` of a merged object: the real object's attributes, with the identity overlayfs
/// reports for the same layout.
fn getattr(path: PathRef<'_>, stat: &mut Kstat, mask: u32, flags: u32) -> Result {
    let dentry = path.dentry();
    let inode = of_dentry(dentry)?;
    let sb = inode.inode().sb();
    let fs = fs_of(sb)?;
    let data = inode.data();
    let real = data.real();
    {
        let _creds = fs.override_creds();
        vinode::getattr(real.path(fs), stat, mask, flags)?;
    }
    let is_dir = inode.inode().is_dir();
    if fs.layers.same_fs() {
        // One filesystem: its inode numbers are unique, so use them with our st_dev.
        stat.set_dev(sb.dev());
    } else if is_dir {
        // Directories stay on the overlay's st_dev (so `find -xdev` walks the whole
        // overlay), with numbers of the overlay's own.
        stat.set_dev(sb.dev());
        stat.set_ino(inode.inode().ino());
    } else {
        stat.set_dev(fs.layers.pseudo_dev(fs.layers.layer(real.layer).fsid));
    }
    if is_dir && data.is_merged() {
        // Counting subdirectories across layers is not worth it; 1 tells `find` not to
        // rely on the link count, as overlayfs does.
        stat.set_nlink(1);
    }
    Ok(())
}

struct DirInode;

#[vtable]
impl InodeOperations for DirInode {
    type Data = RovlInode;

    fn lookup(
        dir: &InodeWith<RovlInode>,
        _dentry: &Dentry,
        name: &[u8],
    ) -> Result<Option<ARef<Inode>>> {
        lookup::lookup(dir, name)
    }

    fn permission(inode: &InodeWith<RovlInode>, mask: i32) -> Result {
        permission(inode, mask)
    }

    fn getattr(path: PathRef<'_>, stat: &mut Kstat, mask: u32, flags: u32) -> Result {
        getattr(path, stat, mask, flags)
    }

    fn listxattr(dentry: &Dentry, buf: Option<&mut [u8]>) -> Result<usize> {
        xattr::list(dentry, buf)
    }
}

/// Regular files and special files (devices, fifos, sockets).
struct FileInode;

#[vtable]
impl InodeOperations for FileInode {
    type Data = RovlInode;

    fn permission(inode: &InodeWith<RovlInode>, mask: i32) -> Result {
        permission(inode, mask)
    }

    fn getattr(path: PathRef<'_>, stat: &mut Kstat, mask: u32, flags: u32) -> Result {
        getattr(path, stat, mask, flags)
    }

    fn listxattr(dentry: &Dentry, buf: Option<&mut [u8]>) -> Result<usize> {
        xattr::list(dentry, buf)
    }
}

struct SymlinkInode;

#[vtable]
impl InodeOperations for SymlinkInode {
    type Data = RovlInode;

    fn get_link(
        dentry: Option<&Dentry>,
        inode: &InodeWith<RovlInode>,
        done: &mut DelayedCall,
    ) -> Result<LinkTarget> {
        // In RCU walk there is no dentry; the real one is followed in ref-walk.
        if dentry.is_none() {
            return Err(ECHILD);
        }
        let fs = fs_of(inode.inode().sb())?;
        let _creds = fs.override_creds();
        vinode::get_link(&inode.data().real().dentry, done)
    }

    fn getattr(path: PathRef<'_>, stat: &mut Kstat, mask: u32, flags: u32) -> Result {
        getattr(path, stat, mask, flags)
    }

    fn listxattr(dentry: &Dentry, buf: Option<&mut [u8]>) -> Result<usize> {
        xattr::list(dentry, buf)
    }
}
