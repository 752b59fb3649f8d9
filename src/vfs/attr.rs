// SPDX-License-Identifier: GPL-2.0

//! Attributes of real objects: reading them (`vfs_getattr`), changing them
//! (`notify_change`), and mirroring them onto a stacking inode.
//!
//! C headers: [`include/linux/fs.h`](srctree/include/linux/fs.h),
//! [`include/linux/stat.h`](srctree/include/linux/stat.h)

use super::{bindings, dentry::Dentry, inode::Inode, path::Mount, path::PathRef, trace};
use kernel::{error::to_result, prelude::*, types::Opaque};

/// `ATTR_*` bits of `iattr.ia_valid`.
pub(crate) mod valid {
    pub(crate) const MODE: u32 = 1 << 0;
    pub(crate) const UID: u32 = 1 << 1;
    pub(crate) const GID: u32 = 1 << 2;
    pub(crate) const SIZE: u32 = 1 << 3;
    pub(crate) const ATIME: u32 = 1 << 4;
    pub(crate) const MTIME: u32 = 1 << 5;
    pub(crate) const ATIME_SET: u32 = 1 << 7;
    pub(crate) const MTIME_SET: u32 = 1 << 8;
    pub(crate) const KILL_SUID: u32 = 1 << 11;
    pub(crate) const KILL_SGID: u32 = 1 << 12;
    pub(crate) const FILE: u32 = 1 << 13;
    pub(crate) const OPEN: u32 = 1 << 15;
}

/// `STATX_BASIC_STATS`.
const STATX_BASIC_STATS: u32 = 0x7ff;
/// `AT_STATX_SYNC_AS_STAT`.
const AT_STATX_SYNC_AS_STAT: u32 = 0;

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
    /// Reads the attributes of the object at `path`.
    pub(crate) fn of(path: PathRef<'_>) -> Result<Self> {
        let mut st = bindings::kstat::default();
        // SAFETY: `path` is valid for the call and `st` is ours.
        to_result(unsafe {
            bindings::vfs_getattr(
                path.as_raw(),
                &mut st,
                STATX_BASIC_STATS,
                AT_STATX_SYNC_AS_STAT,
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

    fn empty() -> bindings::iattr {
        // SAFETY: an all-zero `iattr` changes nothing (`ia_valid` is 0).
        unsafe { core::mem::zeroed() }
    }

    /// The `ATTR_*` bits of the change.
    pub(crate) fn valid(&mut self) -> u32 {
        self.raw().ia_valid
    }

    /// Drops the `ATTR_*` bits `bits` from the change.
    pub(crate) fn clear(&mut self, bits: u32) {
        self.raw().ia_valid &= !bits;
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
    let is_symlink = attrs.mode & super::inode::S_IFMT == super::inode::S_IFLNK;
    if !is_symlink {
        let mut a = Iattr::empty();
        a.ia_valid = valid::MODE;
        a.ia_mode = attrs.mode as u16;
        Iattr(Opaque::new(a)).apply(mnt, dentry)?;
    }
    let mut a = Iattr::empty();
    a.ia_valid = valid::UID | valid::GID;
    a.__bindgen_anon_1.ia_uid = attrs.uid;
    a.__bindgen_anon_2.ia_gid = attrs.gid;
    Iattr(Opaque::new(a)).apply(mnt, dentry)?;
    let mut a = Iattr::empty();
    a.ia_valid = valid::ATIME | valid::MTIME | valid::ATIME_SET | valid::MTIME_SET;
    a.ia_atime = attrs.atime.into();
    a.ia_mtime = attrs.mtime.into();
    Iattr(Opaque::new(a)).apply(mnt, dentry)
}

/// Sets only the mode of the real object `dentry`.
pub(crate) fn set_mode(mnt: &Mount, dentry: &Dentry, mode: u32) -> Result {
    let mut a = Iattr::empty();
    a.ia_valid = valid::MODE;
    a.ia_mode = mode as u16;
    Iattr(Opaque::new(a)).apply(mnt, dentry)
}

/// Holds an inode's `i_rwsem` for writing, as `inode_lock()` does.
pub(crate) struct InodeLock<'a>(&'a Inode);

impl<'a> InodeLock<'a> {
    pub(crate) fn new(inode: &'a Inode) -> Self {
        // SAFETY: the inode is live for `'a`; the lock is released on drop.
        unsafe { bindings::down_write(&raw mut (*inode.as_raw()).i_rwsem) };
        Self(inode)
    }
}

impl Drop for InodeLock<'_> {
    fn drop(&mut self) {
        // SAFETY: taken in `new`.
        unsafe { bindings::up_write(&raw mut (*self.0.as_raw()).i_rwsem) };
    }
}

impl Inode {
    /// Mirrors the real inode's owner, mode, times and size onto this stacking inode, as
    /// `ovl_copyattr()` does after a change went through to the real object.
    pub(crate) fn copy_attrs_from(&self, real: &Inode) {
        // SAFETY: both inodes are live. The stacking inode's fields are written racily with
        // readers, as in C: each is a word-sized store and readers tolerate a mixed view.
        unsafe {
            let (i, r) = (&mut *self.as_raw(), &*real.as_raw());
            i.i_uid = r.i_uid;
            i.i_gid = r.i_gid;
            i.i_mode = r.i_mode;
            (i.i_atime_sec, i.i_atime_nsec) = (r.i_atime_sec, r.i_atime_nsec);
            (i.i_mtime_sec, i.i_mtime_nsec) = (r.i_mtime_sec, r.i_mtime_nsec);
            (i.i_ctime_sec, i.i_ctime_nsec) = (r.i_ctime_sec, r.i_ctime_nsec);
            core::ptr::write_volatile(&raw mut i.i_size, real.size());
            if !real.is_dir() {
                bindings::set_nlink(self.as_raw(), r.__bindgen_anon_1.i_nlink);
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
