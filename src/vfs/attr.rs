// SPDX-License-Identifier: GPL-2.0

//! Attributes and flags: the typed flag words that cross the C boundary (`O_*`, `MAY_*`,
//! `RENAME_*`, `ATTR_*`, file types, `whence`), and the attribute carriers: [`Attrs`] read
//! from a real object, [`Iattr`] for changing one (`notify_change`), [`Kstat`] for `getattr`,
//! [`InodeParams`] for a new stacking inode; and the mirroring of attributes onto a stacking
//! inode.
//!
//! C headers: [`include/linux/fs.h`](srctree/include/linux/fs.h),
//! [`include/linux/stat.h`](srctree/include/linux/stat.h)

use super::{bindings, dentry::Dentry, inode::Inode, path::Mount, path::PathRef, trace};
use kernel::{error::to_result, prelude::*, types::Opaque};

/// Defines `from_bits` and `without` for a flags type of `kernel::impl_flags!`.
///
/// The C flag words these types carry may hold bits the types give no name to (other `O_*`
/// and `MAY_*` flags, `__FMODE_EXEC`, `ATTR_*` bits of other callers): those must pass through
/// untouched. The `!` of `impl_flags!` keeps only the named bits, so flags are taken away
/// with `without`, never with `& !`.
macro_rules! raw_bits {
    ($flags:ident, $ty:ty) => {
        impl $flags {
            /// The flag word `bits` as C passes it, including bits without a name here.
            pub(crate) const fn from_bits(bits: $ty) -> Self {
                Self(bits)
            }

            /// These flags with those of `other` cleared; all other bits are kept.
            pub(crate) fn without(self, other: impl Into<Self>) -> Self {
                Self(self.0 & !other.into().0)
            }
        }
    };
}

kernel::impl_flags!(
    /// The `open(2)` flags of a file (`f_flags`): the `O_*` bits of `fcntl.h`.
    ///
    /// Carries every bit it is given: take flags away with `without`, not `& !`.
    #[derive(Clone, Copy, PartialEq, Eq)]
    pub(crate) struct OpenFlags(u32);

    /// One `O_*` flag.
    #[derive(Clone, Copy, PartialEq, Eq)]
    pub(crate) enum OpenFlag {
        /// `O_WRONLY` (the access mode is not a flag: see [`OpenFlags::acc_mode`]).
        WriteOnly = bindings::O_WRONLY,
        /// `O_CREAT`.
        Create = bindings::O_CREAT,
        /// `O_EXCL`.
        Exclusive = bindings::O_EXCL,
        /// `O_NOCTTY`.
        NoCtty = bindings::O_NOCTTY,
        /// `O_TRUNC`.
        Truncate = bindings::O_TRUNC,
        /// `O_APPEND`.
        Append = bindings::O_APPEND,
        /// `O_LARGEFILE`.
        LargeFile = bindings::O_LARGEFILE,
        /// `O_DIRECTORY`.
        Directory = bindings::O_DIRECTORY,
        /// `O_NOATIME`.
        NoAtime = bindings::O_NOATIME,
    }
);
raw_bits!(OpenFlags, u32);

impl OpenFlags {
    /// The permission the access mode (`O_ACCMODE` bits) asks for, as `ACC_MODE()` maps it:
    /// read for `O_RDONLY`, write for `O_WRONLY`, both for `O_RDWR` and for 3.
    pub(crate) fn acc_mode(self) -> MayMask {
        match self.0 & bindings::O_ACCMODE {
            bindings::O_RDONLY => May::Read.into(),
            bindings::O_WRONLY => May::Write.into(),
            _ => May::Read | May::Write,
        }
    }
}

kernel::impl_flags!(
    /// A permission mask: the `MAY_*` bits of `fs.h` that `->permission` and
    /// `inode_permission()` take.
    ///
    /// Carries every bit it is given: take flags away with `without`, not `& !`.
    #[derive(Clone, Copy, PartialEq, Eq)]
    pub(crate) struct MayMask(u32);

    /// One `MAY_*` bit.
    #[derive(Clone, Copy, PartialEq, Eq)]
    pub(crate) enum May {
        /// `MAY_WRITE`.
        Write = bindings::MAY_WRITE,
        /// `MAY_READ`.
        Read = bindings::MAY_READ,
        /// `MAY_APPEND`.
        Append = bindings::MAY_APPEND,
        /// `MAY_OPEN`: the check is for an open.
        Open = bindings::MAY_OPEN,
        /// `MAY_NOT_BLOCK`: called in RCU walk, must not sleep.
        NotBlock = bindings::MAY_NOT_BLOCK,
    }
);
raw_bits!(MayMask, u32);

kernel::impl_flags!(
    /// The `RENAME_*` flags of `renameat2(2)` (`uapi/linux/fs.h`).
    ///
    /// Carries every bit it is given: take flags away with `without`, not `& !`.
    #[derive(Clone, Copy, PartialEq, Eq)]
    pub(crate) struct RenameFlags(u32);

    /// One `RENAME_*` flag.
    #[derive(Clone, Copy, PartialEq, Eq)]
    pub(crate) enum RenameFlag {
        /// `RENAME_NOREPLACE`.
        NoReplace = bindings::RENAME_NOREPLACE,
        /// `RENAME_EXCHANGE`.
        Exchange = bindings::RENAME_EXCHANGE,
        /// `RENAME_WHITEOUT`.
        Whiteout = bindings::RENAME_WHITEOUT,
    }
);
raw_bits!(RenameFlags, u32);

kernel::impl_flags!(
    /// What a change of attributes changes: the `ATTR_*` bits of `iattr.ia_valid`.
    ///
    /// Carries every bit it is given: take flags away with `without`, not `& !`.
    #[derive(Clone, Copy, PartialEq, Eq)]
    pub(crate) struct AttrMask(u32);

    /// One `ATTR_*` bit.
    #[derive(Clone, Copy, PartialEq, Eq)]
    pub(crate) enum Attr {
        /// `ATTR_MODE`.
        Mode = bindings::ATTR_MODE,
        /// `ATTR_UID`.
        Uid = bindings::ATTR_UID,
        /// `ATTR_GID`.
        Gid = bindings::ATTR_GID,
        /// `ATTR_SIZE`.
        Size = bindings::ATTR_SIZE,
        /// `ATTR_ATIME`.
        Atime = bindings::ATTR_ATIME,
        /// `ATTR_MTIME`.
        Mtime = bindings::ATTR_MTIME,
        /// `ATTR_ATIME_SET`.
        AtimeSet = bindings::ATTR_ATIME_SET,
        /// `ATTR_MTIME_SET`.
        MtimeSet = bindings::ATTR_MTIME_SET,
        /// `ATTR_KILL_SUID`.
        KillSuid = bindings::ATTR_KILL_SUID,
        /// `ATTR_KILL_SGID`.
        KillSgid = bindings::ATTR_KILL_SGID,
        /// `ATTR_FILE`: `ia_file` is set.
        File = bindings::ATTR_FILE,
        /// `ATTR_OPEN`: a truncation by `open(O_TRUNC)`.
        Open = bindings::ATTR_OPEN,
    }
);
raw_bits!(AttrMask, u32);

/// The type of a file: the `S_IFMT` bits of a mode, or the `DT_*` type of a directory entry.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u32)]
pub(crate) enum FileType {
    /// `S_IFIFO`, `DT_FIFO`.
    Fifo = bindings::S_IFIFO,
    /// `S_IFCHR`, `DT_CHR`.
    CharDevice = bindings::S_IFCHR,
    /// `S_IFDIR`, `DT_DIR`.
    Directory = bindings::S_IFDIR,
    /// `S_IFBLK`, `DT_BLK`.
    BlockDevice = bindings::S_IFBLK,
    /// `S_IFREG`, `DT_REG`.
    Regular = bindings::S_IFREG,
    /// `S_IFLNK`, `DT_LNK`.
    Symlink = bindings::S_IFLNK,
    /// `S_IFSOCK`, `DT_SOCK`.
    Socket = bindings::S_IFSOCK,
}

impl FileType {
    /// The type in the `S_IFMT` bits of `mode`; `None` if they name none.
    pub(crate) fn of_mode(mode: u32) -> Option<Self> {
        Some(match mode & bindings::S_IFMT {
            bindings::S_IFIFO => Self::Fifo,
            bindings::S_IFCHR => Self::CharDevice,
            bindings::S_IFDIR => Self::Directory,
            bindings::S_IFBLK => Self::BlockDevice,
            bindings::S_IFREG => Self::Regular,
            bindings::S_IFLNK => Self::Symlink,
            bindings::S_IFSOCK => Self::Socket,
            _ => return None,
        })
    }

    /// The type a directory entry reports (`DT_*`); `None` for `DT_UNKNOWN`, `DT_WHT` and
    /// anything else.
    pub(crate) fn of_dtype(dtype: u32) -> Option<Self> {
        Some(match dtype {
            bindings::DT_FIFO => Self::Fifo,
            bindings::DT_CHR => Self::CharDevice,
            bindings::DT_DIR => Self::Directory,
            bindings::DT_BLK => Self::BlockDevice,
            bindings::DT_REG => Self::Regular,
            bindings::DT_LNK => Self::Symlink,
            bindings::DT_SOCK => Self::Socket,
            _ => return None,
        })
    }

    /// The `S_IFMT` bits of a mode of this type.
    pub(crate) fn mode_bits(self) -> u32 {
        self as u32
    }

    /// The `DT_*` type a directory entry of this type reports.
    #[cfg_attr(not(CONFIG_KUNIT = "y"), expect(dead_code))]
    pub(crate) fn dtype(self) -> u32 {
        match self {
            Self::Fifo => bindings::DT_FIFO,
            Self::CharDevice => bindings::DT_CHR,
            Self::Directory => bindings::DT_DIR,
            Self::BlockDevice => bindings::DT_BLK,
            Self::Regular => bindings::DT_REG,
            Self::Symlink => bindings::DT_LNK,
            Self::Socket => bindings::DT_SOCK,
        }
    }
}

/// Where `llseek` counts an offset from: the `SEEK_*` values of `uapi/linux/fs.h`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Whence {
    /// `SEEK_SET`: from the start.
    Set,
    /// `SEEK_CUR`: from the current position.
    Cur,
    /// `SEEK_END`: from the end.
    End,
    /// `SEEK_DATA`: to the next data at or after the offset.
    Data,
    /// `SEEK_HOLE`: to the next hole at or after the offset.
    Hole,
    /// Any other value. `lseek(2)` rejects them (above `SEEK_MAX`), but an in-kernel caller
    /// of `vfs_llseek()` may pass one, and the real file must see it unchanged.
    Other(c_int),
}

impl Whence {
    /// The `whence` C passes.
    pub(crate) fn from_raw(whence: c_int) -> Self {
        match u32::try_from(whence) {
            Ok(bindings::SEEK_SET) => Self::Set,
            Ok(bindings::SEEK_CUR) => Self::Cur,
            Ok(bindings::SEEK_END) => Self::End,
            Ok(bindings::SEEK_DATA) => Self::Data,
            Ok(bindings::SEEK_HOLE) => Self::Hole,
            _ => Self::Other(whence),
        }
    }

    /// The `whence` to pass to C.
    pub(crate) fn as_raw(self) -> c_int {
        let raw = match self {
            Self::Set => bindings::SEEK_SET,
            Self::Cur => bindings::SEEK_CUR,
            Self::End => bindings::SEEK_END,
            Self::Data => bindings::SEEK_DATA,
            Self::Hole => bindings::SEEK_HOLE,
            Self::Other(whence) => return whence,
        };
        // CAST: the `SEEK_*` values are 0 to 4.
        raw as c_int
    }
}

/// A timestamp: seconds and nanoseconds.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub(crate) struct Time {
    pub(crate) sec: i64,
    pub(crate) nsec: i64,
}

impl From<bindings::timespec64> for Time {
    fn from(t: bindings::timespec64) -> Self {
        Self {
            sec: t.tv_sec,
            nsec: t.tv_nsec as i64,
        }
    }
}

impl From<Time> for bindings::timespec64 {
    fn from(t: Time) -> Self {
        bindings::timespec64 {
            tv_sec: t.sec,
            tv_nsec: t.nsec as isize,
        }
    }
}

/// The attributes of a real object, as `vfs_getattr` reports them.
#[derive(Clone, Copy)]
pub(crate) struct Attrs {
    pub(crate) mode: u32,
    uid: bindings::kuid_t,
    gid: bindings::kgid_t,
    pub(crate) size: i64,
    pub(crate) rdev: u32,
    pub(crate) atime: Time,
    pub(crate) mtime: Time,
}

impl Attrs {
    /// Whether the owner and group have ids in the current task's user namespace (with the
    /// mounter's credentials: the mounter's); not so for an owner an idmapped layer does not
    /// map (shown as the overflow id), which no copy can be given.
    pub(crate) fn owner_mapped_in_current_ns(&self) -> bool {
        // SAFETY: plain values; reads the current task's credentials.
        unsafe { bindings::rovl_current_ns_maps(self.uid, self.gid) }
    }

    /// The type of the object; `None` if its mode names no type.
    pub(crate) fn file_type(&self) -> Option<FileType> {
        FileType::of_mode(self.mode)
    }

    /// The permission bits of the mode (`S_IALLUGO`: set-id, sticky and `rwx` bits).
    pub(crate) fn perm(&self) -> u32 {
        self.mode & bindings::S_IALLUGO
    }

    /// Reads the attributes of the object at `path`.
    pub(crate) fn of(path: PathRef<'_>) -> Result<Self> {
        let mut st = bindings::kstat::default();
        // SAFETY: `path` is valid for the call and `st` is ours.
        to_result(unsafe {
            bindings::vfs_getattr(
                path.as_raw(),
                &mut st,
                bindings::STATX_BASIC_STATS,
                bindings::AT_STATX_SYNC_AS_STAT,
            )
        })?;
        Ok(Self {
            mode: u32::from(st.mode),
            uid: st.uid,
            gid: st.gid,
            size: st.size,
            rdev: st.rdev,
            atime: st.atime.into(),
            mtime: st.mtime.into(),
        })
    }
}

/// A change of attributes: `struct iattr`.
#[repr(transparent)]
pub(crate) struct Iattr(Opaque<bindings::iattr>);

impl Iattr {
    /// # Safety
    ///
    /// `ptr` must be valid and exclusively lent to the caller for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::iattr) -> &'a mut Iattr {
        // SAFETY: transparent wrapper; validity and exclusivity are the caller's promise.
        unsafe { &mut *ptr.cast::<Iattr>() }
    }

    /// The C `struct iattr`.
    pub(super) fn as_raw(&self) -> *mut bindings::iattr {
        self.0.get()
    }

    fn raw(&mut self) -> &mut bindings::iattr {
        // SAFETY: `&mut self` is exclusive access.
        unsafe { &mut *self.0.get() }
    }

    /// A change that changes nothing: all-zero, so `ia_valid` is 0.
    fn empty() -> bindings::iattr {
        pin_init::zeroed()
    }

    /// A change that drops the set-group-ID bit, if the object has it (`ATTR_KILL_SGID`).
    pub(crate) fn kill_sgid() -> Self {
        let mut a = Self::empty();
        a.ia_valid = Attr::KillSgid as u32;
        Iattr(Opaque::new(a))
    }

    /// What the change changes.
    pub(crate) fn valid(&mut self) -> AttrMask {
        AttrMask::from_bits(self.raw().ia_valid)
    }

    /// Drops `bits` from the change.
    pub(crate) fn clear(&mut self, bits: impl Into<AttrMask>) {
        let valid = self.valid().without(bits);
        self.raw().ia_valid = valid.into();
    }

    /// The new size, for `ATTR_SIZE`.
    pub(crate) fn size(&mut self) -> i64 {
        self.raw().ia_size
    }

    /// Checks the change against the stacking inode of `dentry`, as `setattr_prepare` does.
    pub(crate) fn prepare(&mut self, dentry: &Dentry) -> Result {
        // SAFETY: `dentry` is referenced by the VFS for the call; `self` is valid.
        to_result(unsafe {
            bindings::setattr_prepare(
                &raw mut bindings::nop_mnt_idmap,
                dentry.as_raw(),
                self.0.get(),
            )
        })
    }

    /// Applies the change to the real object `dentry` on `mnt` (`notify_change`), with the
    /// real inode locked.
    pub(crate) fn apply(&mut self, mnt: &Mount, dentry: &Dentry) -> Result {
        let inode = dentry.inode().ok_or(ENOENT)?;
        let _lock = InodeLock::new(inode);
        // SAFETY: the inode is locked, as `notify_change` requires; the dentry is referenced.
        let result = to_result(unsafe {
            bindings::notify_change(
                mnt.idmap(),
                dentry.as_raw(),
                self.0.get(),
                core::ptr::null_mut(),
            )
        });
        trace::setattr(dentry, self, &result);
        result
    }
}

/// Sets the mode, owner and times of the real object `dentry` to those in `attrs`, in that
/// order (a change of owner may clear set-id bits, which the mode then restores). Symlinks
/// have no mode of their own.
pub(crate) fn set_all(mnt: &Mount, dentry: &Dentry, attrs: &Attrs) -> Result {
    if attrs.file_type() != Some(FileType::Symlink) {
        let mut a = Iattr::empty();
        a.ia_valid = Attr::Mode as u32;
        a.ia_mode = attrs.mode as u16;
        Iattr(Opaque::new(a)).apply(mnt, dentry)?;
    }
    let mut a = Iattr::empty();
    a.ia_valid = (Attr::Uid | Attr::Gid).into();
    a.__bindgen_anon_1.ia_uid = attrs.uid;
    a.__bindgen_anon_2.ia_gid = attrs.gid;
    Iattr(Opaque::new(a)).apply(mnt, dentry)?;
    let mut a = Iattr::empty();
    a.ia_valid = (Attr::Atime | Attr::Mtime | Attr::AtimeSet | Attr::MtimeSet).into();
    a.ia_atime = attrs.atime.into();
    a.ia_mtime = attrs.mtime.into();
    Iattr(Opaque::new(a)).apply(mnt, dentry)
}

/// Sets only the mode of the real object `dentry`.
pub(crate) fn set_mode(mnt: &Mount, dentry: &Dentry, mode: u32) -> Result {
    let mut a = Iattr::empty();
    a.ia_valid = Attr::Mode as u32;
    a.ia_mode = mode as u16;
    Iattr(Opaque::new(a)).apply(mnt, dentry)
}

/// Holds an inode's `i_rwsem` for writing (`inode_lock()`).
pub(crate) struct InodeLock<'a>(&'a Inode);

impl<'a> InodeLock<'a> {
    pub(crate) fn new(inode: &'a Inode) -> Self {
        // SAFETY: the inode is live for `'a`; the lock is released on drop.
        unsafe { bindings::rovl_inode_lock(inode.as_raw()) };
        Self(inode)
    }
}

impl Drop for InodeLock<'_> {
    fn drop(&mut self) {
        // SAFETY: taken in `new`.
        unsafe { bindings::rovl_inode_unlock(self.0.as_raw()) };
    }
}

impl Inode {
    /// Mirrors the real inode's owner, mode, times and size, and a non-directory's link count,
    /// onto this stacking inode after a change went through to the real object. That is part
    /// of what the kernel's stacking helpers `fsstack_copy_attr_all()` and
    /// `fsstack_copy_inode_size()` copy (`include/linux/fs_stack.h`): not `i_rdev`,
    /// `i_blkbits`, `i_flags`, `i_blocks`, or a directory's link count.
    ///
    /// The owner is the one `mnt`, the real inode's mount, shows: through an idmapped layer
    /// that is not the owner on disk (`ovl_copyattr()` takes it so too).
    pub(crate) fn copy_attrs_from(&self, real: &Inode, mnt: &Mount) {
        let (i, r) = (self.as_raw(), real.as_raw());
        let (uid, gid) = real.owner_through(mnt);
        // SAFETY: both inodes are live. Their fields are read and written racily, as in C,
        // through the raw pointers (no reference to a shared inode is made): each is a single
        // load or store of a word-sized field, once, and readers tolerate a mixed view.
        unsafe {
            core::ptr::write_volatile(&raw mut (*i).i_uid, uid);
            core::ptr::write_volatile(&raw mut (*i).i_gid, gid);
            copy_once(&raw const (*r).i_mode, &raw mut (*i).i_mode);
            copy_once(&raw const (*r).i_atime_sec, &raw mut (*i).i_atime_sec);
            copy_once(&raw const (*r).i_atime_nsec, &raw mut (*i).i_atime_nsec);
            copy_once(&raw const (*r).i_mtime_sec, &raw mut (*i).i_mtime_sec);
            copy_once(&raw const (*r).i_mtime_nsec, &raw mut (*i).i_mtime_nsec);
            copy_once(&raw const (*r).i_ctime_sec, &raw mut (*i).i_ctime_sec);
            copy_once(&raw const (*r).i_ctime_nsec, &raw mut (*i).i_ctime_nsec);
            bindings::rovl_i_size_write(i, real.size());
            if !real.is_dir() {
                bindings::set_nlink(i, real.nlink());
            }
        }
    }

    /// Sets the link count (for directories that lose their last name).
    pub(crate) fn clear_nlink(&self) {
        // SAFETY: the inode is live; `clear_nlink` takes care of the counters.
        unsafe { bindings::clear_nlink(self.as_raw()) };
    }

    /// Drops one link, unless that would reach zero while `keep_one` is set.
    pub(crate) fn drop_nlink(&self) {
        // SAFETY: the inode is live; `drop_nlink` warns on underflow, so check first.
        unsafe {
            if (*self.as_raw()).__bindgen_anon_1.i_nlink > 0 {
                bindings::drop_nlink(self.as_raw());
            }
        }
    }
}

/// The attributes `getattr` returns: `struct kstat`.
#[repr(transparent)]
pub(crate) struct Kstat(Opaque<bindings::kstat>);

impl Kstat {
    pub(super) fn as_raw(&mut self) -> *mut bindings::kstat {
        self.0.get()
    }

    fn raw(&mut self) -> &mut bindings::kstat {
        // SAFETY: `&mut self` is exclusive access to a kstat the VFS lent us.
        unsafe { &mut *self.0.get() }
    }

    pub(crate) fn set_ino(&mut self, ino: u64) {
        self.raw().ino = ino;
    }
    pub(crate) fn set_dev(&mut self, dev: u32) {
        self.raw().dev = dev;
    }
    pub(crate) fn set_nlink(&mut self, nlink: u32) {
        self.raw().nlink = nlink;
    }
}

/// The attributes a new inode starts with, usually copied from the real inode below it.
pub(crate) struct InodeParams {
    pub(crate) ino: u64,
    pub(crate) mode: u16,
    pub(crate) rdev: u32,
    pub(crate) nlink: u32,
    pub(super) uid: bindings::kuid_t,
    pub(super) gid: bindings::kgid_t,
    pub(super) size: i64,
    pub(super) times: [(i64, u32); 3],
}

impl InodeParams {
    /// Copies the identity and attributes of `real`, whose mount is `mnt` (its owner as that
    /// mount shows it: see [`Inode::copy_attrs_from`]).
    pub(crate) fn copy_of(real: &Inode, mnt: &Mount) -> Self {
        let r = real.as_raw();
        let (uid, gid) = real.owner_through(mnt);
        // SAFETY: each pointer is to a field of `real`, read once (see `Inode::read_once`).
        unsafe {
            Self {
                ino: real.ino(),
                mode: real.read_once(&raw const (*r).i_mode),
                rdev: real.rdev(),
                nlink: real.nlink(),
                uid,
                gid,
                size: real.size(),
                times: [
                    (
                        real.read_once(&raw const (*r).i_atime_sec),
                        real.read_once(&raw const (*r).i_atime_nsec),
                    ),
                    (
                        real.read_once(&raw const (*r).i_mtime_sec),
                        real.read_once(&raw const (*r).i_mtime_nsec),
                    ),
                    (
                        real.read_once(&raw const (*r).i_ctime_sec),
                        real.read_once(&raw const (*r).i_ctime_nsec),
                    ),
                ],
            }
        }
    }
}

/// Copies the field at `from` to `to` with one load and one store, as `WRITE_ONCE(*to,
/// READ_ONCE(*from))` does.
///
/// # Safety
///
/// Both pointers must be valid and aligned for a `T`.
unsafe fn copy_once<T: Copy>(from: *const T, to: *mut T) {
    // SAFETY: the caller's promise.
    unsafe { core::ptr::write_volatile(to, core::ptr::read_volatile(from)) }
}
