// SPDX-License-Identifier: GPL-2.0

//! rovl's inodes: what each one stacks over, and its inode operations. Mirrors
//! `fs/overlayfs/inode.c`.
//!
//! One rovl inode exists per real inode it shows (the inode cache is keyed by the real
//! inode), so hard links in a layer stay hard links in the merged view and repeated lookups
//! find the same inode. Attributes are read from the real inode on every `stat`.

#![deny(unsafe_code)]

use crate::{
    acl, copy_up, dir,
    file::RegularFile,
    lookup,
    readdir::{DirCache, Directory},
    super_block::{Rovl, RovlFs},
    vfs::{
        attr::{Attr, Iattr, May, MayMask, RenameFlags},
        inode::{self as vinode, DelayedCall, LinkTarget},
        inode_ops::{InodeOperations, InodeOps},
        own_inode::IgetResult,
        posix_acl::{AclType, PosixAcl},
        sb::OwnSuperBlock,
        Dentry, FileOps, Inode, InodeDentry, InodeDestroying, InodeKind, InodeParams, Kstat, Mount,
        NewDentry, OwnDentry, OwnInode, PathRef,
    },
    xattr,
};
use kernel::{
    new_mutex,
    prelude::*,
    sync::{aref::ARef, rcu, Mutex, SetOnce},
};

/// A real dentry in one lower layer.
pub(crate) struct LowerEntry {
    /// Index of the layer in the stack (0 is the top lower layer).
    pub(crate) layer: usize,
    pub(crate) dentry: InodeDentry,
}

impl LowerEntry {
    pub(crate) fn new(layer: usize, dentry: ARef<Dentry>) -> Self {
        Self {
            layer,
            dentry: InodeDentry::new(dentry),
        }
    }

    /// The real object as a path on its layer's private mount.
    pub(crate) fn path<'a>(&'a self, fs: &'a RovlFs) -> PathRef<'a> {
        PathRef::new(&fs.layers.layer(self.layer).mnt, &self.dentry)
    }
}

/// The real object a rovl object shows, in whichever layer it is.
pub(crate) struct RealRef<'a> {
    pub(crate) mnt: &'a Mount,
    pub(crate) dentry: &'a Dentry,
    /// The layer's filesystem number (0: the upper layer's).
    pub(crate) fsid: usize,
    pub(crate) is_upper: bool,
}

impl<'a> RealRef<'a> {
    pub(crate) fn path(&self) -> PathRef<'a> {
        PathRef::new(self.mnt, self.dentry)
    }

    pub(crate) fn inode(&self) -> Result<&'a Inode> {
        self.dentry.inode().ok_or(EIO)
    }
}

/// Serialises copy-ups of one object.
type CopyUpLock = Pin<KBox<Mutex<()>>>;

/// What a rovl inode stacks over.
pub(crate) struct RovlInode {
    /// The object in the upper layer: set when it is found there or made there (created or
    /// copied up), and never changed afterwards.
    upper: SetOnce<InodeDentry>,
    /// The real objects in the lower layers, top layer first. A directory lists every
    /// layer's directory of the same name down to the first opaque one; any other type has
    /// at most one, and none once it is found in the upper layer.
    pub(crate) lowers: KVec<LowerEntry>,
    /// Held while the object is copied up.
    pub(crate) copy_up_lock: CopyUpLock,
    /// For a directory: its merged listing and version.
    dir_cache: Option<Pin<KBox<DirCache>>>,
}

impl RovlInode {
    fn new(
        upper: Option<ARef<Dentry>>,
        lowers: KVec<LowerEntry>,
        stack_depth: i32,
        is_dir: bool,
    ) -> Result<Self> {
        let upper_slot = SetOnce::new();
        if let Some(u) = upper {
            upper_slot.populate(InodeDentry::new(u));
        }
        // One lock class per stacking depth: rovl stacked on rovl copies up in the lower
        // mount while holding the upper mount's lock.
        let copy_up_lock = if stack_depth > 1 {
            KBox::pin_init(new_mutex!((), "rovl_copy_up_stacked"), GFP_KERNEL)?
        } else {
            KBox::pin_init(new_mutex!((), "rovl_copy_up"), GFP_KERNEL)?
        };
        Ok(Self {
            upper: upper_slot,
            lowers,
            copy_up_lock,
            dir_cache: if is_dir { Some(DirCache::new()?) } else { None },
        })
    }

    /// The object in the upper layer, if it has one.
    pub(crate) fn upper(&self) -> Option<&Dentry> {
        self.upper.as_ref().map(|d| &**d)
    }

    /// Records the object just made in the upper layer for this one; returns `false` if it
    /// had one already.
    pub(crate) fn set_upper(&self, upper: ARef<Dentry>) -> bool {
        self.upper.populate(InodeDentry::new(upper))
    }

    /// A directory's listing cache (`None` for other types).
    pub(crate) fn dir_cache(&self) -> Option<&DirCache> {
        self.dir_cache.as_deref()
    }

    /// Notes a change of the names in this directory (or of what they name) made through
    /// the mount, so that its kept listing is read again.
    pub(crate) fn listing_changed(&self) {
        if let Some(cache) = self.dir_cache() {
            cache.changed();
        }
    }

    /// Drops the references on the real objects as the inode is destroyed (RCU walkers may
    /// still read them until it is freed).
    pub(crate) fn release(&self, destroying: &InodeDestroying) {
        if let Some(cache) = self.dir_cache() {
            cache.forget();
        }
        if let Some(upper) = self.upper.as_ref() {
            upper.release(destroying);
        }
        for lower in self.lowers.iter() {
            lower.dentry.release(destroying);
        }
    }

    /// The object whose attributes and data the merged object shows: the topmost.
    pub(crate) fn real<'a>(&'a self, fs: &'a RovlFs) -> Result<RealRef<'a>> {
        if let (Some(upper), Some(layer)) = (self.upper(), fs.layers.upper.as_ref()) {
            return Ok(RealRef {
                mnt: &layer.mnt,
                dentry: upper,
                fsid: 0,
                is_upper: true,
            });
        }
        let lower = self.lowers.first().ok_or(EIO)?;
        let layer = fs.layers.layer(lower.layer);
        Ok(RealRef {
            mnt: &layer.mnt,
            dentry: &lower.dentry,
            fsid: layer.fsid,
            is_upper: false,
        })
    }

    /// Whether this directory merges more than one layer.
    pub(crate) fn is_merged(&self) -> bool {
        self.lowers.len() + usize::from(self.upper().is_some()) > 1
    }
}

static DIR_IOPS: InodeOps<Rovl> = InodeOps::new::<DirInode>();
static FILE_IOPS: InodeOps<Rovl> = InodeOps::new::<FileInode>();
static SYMLINK_IOPS: InodeOps<Rovl> = InodeOps::new::<SymlinkInode>();
static SPECIAL_IOPS: InodeOps<Rovl> = InodeOps::new::<FileInode>();
static DIR_FOPS: FileOps<Rovl> = FileOps::new::<Directory>();
static FILE_FOPS: FileOps<Rovl> = FileOps::new::<RegularFile>();

/// Returns the rovl inode for an object found as `upper` in the upper layer and `lowers`
/// (top first) below it, making it if needed.
///
/// The inode cache is keyed by the topmost lower object if there is one (so that an object
/// keeps its inode when it is copied up), else by the upper one. A lower non-directory with
/// several hard links gets an inode of its own per name on a writable mount: copying one name
/// up breaks the link, as in overlayfs without `index`.
pub(crate) fn get(
    sb: &OwnSuperBlock<Rovl>,
    upper: Option<ARef<Dentry>>,
    lowers: KVec<LowerEntry>,
) -> Result<ARef<OwnInode<Rovl>>> {
    let fs = sb.data();
    let key_inode = match (lowers.first(), &upper) {
        (Some(l), _) => l.dentry.inode().ok_or(EIO)?,
        (None, Some(u)) => u.inode().ok_or(EIO)?,
        (None, None) => return Err(EIO),
    };
    let unhashed = fs.layers.upper.is_some()
        && upper.is_none()
        && !key_inode.is_dir()
        && key_inode.nlink() > 1;
    let new = if unhashed {
        sb.new_inode()?
    } else {
        match sb.iget(core::ptr::from_ref(key_inode) as usize)? {
            IgetResult::Cached(inode) => return Ok(inode),
            IgetResult::New(new) => new,
        }
    };
    let (real, real_mnt) = match (&upper, fs.layers.upper.as_ref(), lowers.first()) {
        (Some(u), Some(layer), _) => (u.inode().ok_or(EIO)?, &*layer.mnt),
        (None, _, Some(l)) => (key_inode, &*fs.layers.lowers.get(l.layer).ok_or(EIO)?.mnt),
        _ => return Err(EIO),
    };
    let mut params = InodeParams::copy_of(real, real_mnt);
    let is_dir = real.is_dir();
    let kind = if is_dir {
        if !fs.layers.same_fs() {
            // Real inode numbers of different filesystems may collide; directories then get
            // numbers of their own, as overlayfs gives them (xino=off).
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
    let data = RovlInode::new(upper, lowers, sb.stack_depth(), is_dir)?;
    Ok(new.init(&params, kind, data))
}

/// Permission as overlayfs.rst describes it: the caller against the overlay inode's
/// attributes, then the mounter against the real inode.
fn permission(inode: &OwnInode<Rovl>, mask: MayMask) -> Result {
    // This also runs in RCU walk (`May::NotBlock`): nothing here sleeps or takes a
    // reference, and the real objects stay readable while walkers may see the inode.
    let fs = inode.fs();
    let real = inode.data().real(fs)?;
    let Some(real_inode) = real.dentry.inode() else {
        // Only an inode on its way out (its real dentry released, see `InodeDentry`), met
        // in RCU walk: ref-walk will not find it.
        return Err(if mask.contains(May::NotBlock) {
            ECHILD
        } else {
            EIO
        });
    };
    vinode::generic_permission(inode.inode(), mask)?;
    let mut mask = mask;
    if !real.is_upper && mask.contains(May::Write) && !is_special(real_inode) {
        // Writes never reach a lower object (it is copied up first), so the mounter only
        // needs to be able to read it.
        mask = mask.without(May::Write | May::Append) | May::Read;
    }
    let _creds = fs.override_creds();
    vinode::permission(real.mnt, real_inode, mask)
}

fn is_special(inode: &Inode) -> bool {
    !(inode.is_dir() || inode.is_regular() || inode.is_symlink())
}

/// `stat` of a merged object: the real object's attributes, with the identity overlayfs
/// reports for the same layout.
fn getattr(inode: &OwnInode<Rovl>, stat: &mut Kstat, mask: u32, flags: u32) -> Result {
    let sb = inode.sb();
    let fs = sb.data();
    let data = inode.data();
    let real = data.real(fs)?;
    {
        let _creds = fs.override_creds();
        vinode::getattr(real.path(), stat, mask, flags)?;
    }
    let is_dir = inode.inode().is_dir();
    let mut fsid = real.fsid;
    if real.is_upper && (!is_dir || fs.layers.same_fs()) {
        // A copied-up object keeps the inode number of its lower original, as in overlayfs
        // (which finds the original again through its `origin` xattr): unless the original
        // is a hard link, whose names may since have been copied up apart.
        if let Some(lower) = data.lowers.first() {
            if let Some(lower_inode) = lower.dentry.inode() {
                if is_dir || lower_inode.nlink() == 1 {
                    stat.set_ino(lower_inode.ino());
                    fsid = fs.layers.layer(lower.layer).fsid;
                }
            }
        }
    }
    if fs.layers.same_fs() {
        // One filesystem: its inode numbers are unique, so use them with our st_dev.
        stat.set_dev(sb.dev());
    } else if is_dir {
        // Directories stay on the overlay's st_dev (so `find -xdev` walks the whole
        // overlay), with numbers of the overlay's own.
        stat.set_dev(sb.dev());
        stat.set_ino(inode.inode().ino());
    } else {
        stat.set_dev(fs.layers.pseudo_dev(fsid));
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
    type Fs = Rovl;

    fn lookup(
        dir: &OwnInode<Rovl>,
        _dentry: &OwnDentry<Rovl>,
        name: &[u8],
    ) -> Result<Option<ARef<OwnInode<Rovl>>>> {
        lookup::lookup(dir, name)
    }

    fn permission(inode: &OwnInode<Rovl>, mask: MayMask) -> Result {
        permission(inode, mask)
    }

    fn getattr(
        _dentry: &OwnDentry<Rovl>,
        inode: &OwnInode<Rovl>,
        stat: &mut Kstat,
        mask: u32,
        flags: u32,
    ) -> Result {
        getattr(inode, stat, mask, flags)
    }

    fn listxattr(
        _dentry: &OwnDentry<Rovl>,
        inode: &OwnInode<Rovl>,
        buf: Option<&mut [u8]>,
    ) -> Result<usize> {
        xattr::list(inode, buf)
    }

    fn setattr(dentry: &OwnDentry<Rovl>, inode: &OwnInode<Rovl>, attr: &mut Iattr) -> Result {
        setattr(dentry, inode, attr)
    }

    fn get_inode_acl(inode: &OwnInode<Rovl>, kind: AclType) -> Result<Option<ARef<PosixAcl>>> {
        acl::get_for_permission(inode, kind)
    }

    fn get_inode_acl_rcu<'a>(
        inode: &'a OwnInode<Rovl>,
        kind: AclType,
        rcu: &'a rcu::Guard,
    ) -> Result<Option<&'a PosixAcl>> {
        acl::get_for_permission_rcu(inode, kind, rcu)
    }

    fn get_acl(
        _dentry: &OwnDentry<Rovl>,
        inode: &OwnInode<Rovl>,
        kind: AclType,
    ) -> Result<Option<ARef<PosixAcl>>> {
        acl::get(inode, kind)
    }

    fn set_acl(
        dentry: &OwnDentry<Rovl>,
        inode: &OwnInode<Rovl>,
        acl: Option<&PosixAcl>,
        kind: AclType,
    ) -> Result {
        acl::set(dentry, inode, acl, kind)
    }

    fn create(dir: &OwnInode<Rovl>, dentry: NewDentry<'_, Rovl>, mode: u32) -> Result {
        dir::create(dir, dentry, dir::NewObject::Regular(mode))
    }

    fn mkdir(dir: &OwnInode<Rovl>, dentry: NewDentry<'_, Rovl>, mode: u32) -> Result {
        dir::create(dir, dentry, dir::NewObject::Directory(mode))
    }

    fn mknod(dir: &OwnInode<Rovl>, dentry: NewDentry<'_, Rovl>, mode: u32, rdev: u32) -> Result {
        dir::create(dir, dentry, dir::NewObject::Special(mode, rdev))
    }

    fn symlink(dir: &OwnInode<Rovl>, dentry: NewDentry<'_, Rovl>, target: &CStr) -> Result {
        dir::create(dir, dentry, dir::NewObject::Symlink(target))
    }

    fn link(
        old: &OwnDentry<Rovl>,
        old_inode: &OwnInode<Rovl>,
        dir: &OwnInode<Rovl>,
        dentry: NewDentry<'_, Rovl>,
    ) -> Result {
        dir::link(old, old_inode, dir, dentry)
    }

    fn unlink(dir: &OwnInode<Rovl>, dentry: &OwnDentry<Rovl>, inode: &OwnInode<Rovl>) -> Result {
        dir::remove(dir, dentry, inode, false)
    }

    fn rmdir(dir: &OwnInode<Rovl>, dentry: &OwnDentry<Rovl>, inode: &OwnInode<Rovl>) -> Result {
        dir::remove(dir, dentry, inode, true)
    }

    fn rename(
        old_dir: &OwnInode<Rovl>,
        old: &OwnDentry<Rovl>,
        old_inode: &OwnInode<Rovl>,
        new_dir: &OwnInode<Rovl>,
        new: &OwnDentry<Rovl>,
        flags: RenameFlags,
    ) -> Result {
        dir::rename(old_dir, old, old_inode, new_dir, new, flags)
    }
}

/// Regular files and special files (devices, fifos, sockets).
struct FileInode;

#[vtable]
impl InodeOperations for FileInode {
    type Fs = Rovl;

    fn permission(inode: &OwnInode<Rovl>, mask: MayMask) -> Result {
        permission(inode, mask)
    }

    fn getattr(
        _dentry: &OwnDentry<Rovl>,
        inode: &OwnInode<Rovl>,
        stat: &mut Kstat,
        mask: u32,
        flags: u32,
    ) -> Result {
        getattr(inode, stat, mask, flags)
    }

    fn listxattr(
        _dentry: &OwnDentry<Rovl>,
        inode: &OwnInode<Rovl>,
        buf: Option<&mut [u8]>,
    ) -> Result<usize> {
        xattr::list(inode, buf)
    }

    fn setattr(dentry: &OwnDentry<Rovl>, inode: &OwnInode<Rovl>, attr: &mut Iattr) -> Result {
        setattr(dentry, inode, attr)
    }

    fn get_inode_acl(inode: &OwnInode<Rovl>, kind: AclType) -> Result<Option<ARef<PosixAcl>>> {
        acl::get_for_permission(inode, kind)
    }

    fn get_inode_acl_rcu<'a>(
        inode: &'a OwnInode<Rovl>,
        kind: AclType,
        rcu: &'a rcu::Guard,
    ) -> Result<Option<&'a PosixAcl>> {
        acl::get_for_permission_rcu(inode, kind, rcu)
    }

    fn get_acl(
        _dentry: &OwnDentry<Rovl>,
        inode: &OwnInode<Rovl>,
        kind: AclType,
    ) -> Result<Option<ARef<PosixAcl>>> {
        acl::get(inode, kind)
    }

    fn set_acl(
        dentry: &OwnDentry<Rovl>,
        inode: &OwnInode<Rovl>,
        acl: Option<&PosixAcl>,
        kind: AclType,
    ) -> Result {
        acl::set(dentry, inode, acl, kind)
    }
}

struct SymlinkInode;

#[vtable]
impl InodeOperations for SymlinkInode {
    type Fs = Rovl;

    fn get_link(
        dentry: Option<&OwnDentry<Rovl>>,
        inode: &OwnInode<Rovl>,
        done: &mut DelayedCall,
    ) -> Result<LinkTarget> {
        // In RCU walk there is no dentry; the real one is followed in ref-walk.
        if dentry.is_none() {
            return Err(ECHILD);
        }
        let fs = inode.fs();
        let _creds = fs.override_creds();
        vinode::get_link(inode.data().real(fs)?.dentry, done)
    }

    fn getattr(
        _dentry: &OwnDentry<Rovl>,
        inode: &OwnInode<Rovl>,
        stat: &mut Kstat,
        mask: u32,
        flags: u32,
    ) -> Result {
        getattr(inode, stat, mask, flags)
    }

    fn listxattr(
        _dentry: &OwnDentry<Rovl>,
        inode: &OwnInode<Rovl>,
        buf: Option<&mut [u8]>,
    ) -> Result<usize> {
        xattr::list(inode, buf)
    }

    fn setattr(dentry: &OwnDentry<Rovl>, inode: &OwnInode<Rovl>, attr: &mut Iattr) -> Result {
        setattr(dentry, inode, attr)
    }
}

/// `chmod`, `chown`, `utimes` and `truncate`: copy the object up, then change the upper one
/// with the mounter's credentials, as overlayfs does. The caller's right to make the change
/// was checked against the rovl inode first.
pub(crate) fn setattr(
    dentry: &OwnDentry<Rovl>,
    inode: &OwnInode<Rovl>,
    attr: &mut Iattr,
) -> Result {
    attr.prepare(dentry)?;
    let fs = inode.fs();
    let upper_layer = fs.layers.upper.as_ref().ok_or(EROFS)?;
    if attr.valid().contains(Attr::Size) && attr.size() == 0 && inode.data().upper().is_none() {
        // Truncating to nothing: the data need not be copied first.
        copy_up::copy_up_without_data(dentry)?;
    } else {
        copy_up::copy_up(dentry)?;
    }
    let upper = inode.data().upper().ok_or(EIO)?;
    if attr.valid().contains_any(Attr::KillSuid | Attr::KillSgid) {
        // The upper filesystem works out the new mode itself from the kill bits.
        attr.clear(Attr::Mode);
    }
    // The rovl file (ATTR_FILE) means nothing to the upper filesystem, and the real file was
    // not opened with O_TRUNC (ATTR_OPEN).
    attr.clear(Attr::File | Attr::Open);
    let _write = upper_layer.mnt.want_write()?;
    {
        let _creds = fs.override_creds();
        attr.apply(&upper_layer.mnt, upper)?;
    }
    inode
        .inode()
        .copy_attrs_from(upper.inode().ok_or(EIO)?, &upper_layer.mnt);
    Ok(())
}
