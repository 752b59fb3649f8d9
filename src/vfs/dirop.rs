// SPDX-License-Identifier: GPL-2.0

//! Changing a real directory: creating, removing and renaming names in it.
//!
//! C headers: [`include/linux/namei.h`](srctree/include/linux/namei.h),
//! [`include/linux/fs.h`](srctree/include/linux/fs.h)
//!
//! Every change follows the VFS's "dirop" protocol: `start_creating()`/`start_removing()`
//! look the name up with its parent locked, the `vfs_*` call acts on that dentry, and
//! `end_dirop()` unlocks the parent and drops the dentry. [`DirOp`] holds that state, so the
//! lock cannot be leaked or released twice. Renames lock both parents with
//! `start_renaming*()` and are held by [`Renaming`].
//!
//! Each kind of change is made by one method here, which emits its trace event
//! ([`super::trace`]) with the result.

use super::{
    attr::{FileType, RenameFlags},
    bindings,
    dentry::Dentry,
    path::Mount,
    trace,
};
use core::ptr::NonNull;
use kernel::{error::to_result, prelude::*, sync::aref::ARef};

fn qstr(name: &[u8]) -> Result<bindings::qstr> {
    let len = u32::try_from(name.len()).map_err(|_| ENAMETOOLONG)?;
    Ok(bindings::qstr {
        __bindgen_anon_1: bindings::qstr__bindgen_ty_1 {
            __bindgen_anon_1: bindings::qstr__bindgen_ty_1__bindgen_ty_1 { hash: 0, len },
        },
        name: name.as_ptr(),
    })
}

/// Turns a dentry pointer from a `start_*` call into a `NonNull`, or its error.
fn dentry_result(ptr: *mut bindings::dentry) -> Result<NonNull<bindings::dentry>> {
    NonNull::new(kernel::error::from_err_ptr(ptr)?).ok_or(ENOENT)
}

/// A name in a real directory, looked up and locked for a change.
///
/// # Invariants
///
/// `child` is a referenced dentry whose parent's `i_rwsem` is held for it, as
/// `start_creating()` and friends return it; both are released by `end_dirop()` on drop.
/// `mnt` is the mount the parent was reached through.
pub(crate) struct DirOp<'a> {
    mnt: &'a Mount,
    child: NonNull<bindings::dentry>,
}

impl<'a> DirOp<'a> {
    /// Looks `name` up in `parent` for creating it (`start_creating`): the parent is locked,
    /// and the dentry is negative unless the name exists.
    pub(crate) fn start_creating(mnt: &'a Mount, parent: &Dentry, name: &[u8]) -> Result<Self> {
        let mut q = qstr(name)?;
        // SAFETY: `parent` is a referenced directory dentry on `mnt`; `q` outlives the call.
        let child = dentry_result(unsafe {
            bindings::start_creating(mnt.idmap(), parent.as_raw(), &mut q)
        })?;
        // INVARIANT: `start_creating` returned a referenced dentry with its parent locked.
        Ok(Self { mnt, child })
    }

    /// Looks `name` up in `parent` for removing it (`start_removing`): the parent is locked,
    /// and the dentry is positive (else `ENOENT`).
    pub(crate) fn start_removing(mnt: &'a Mount, parent: &Dentry, name: &[u8]) -> Result<Self> {
        let mut q = qstr(name)?;
        // SAFETY: as in `start_creating`.
        let child = dentry_result(unsafe {
            bindings::start_removing(mnt.idmap(), parent.as_raw(), &mut q)
        })?;
        // INVARIANT: as in `start_creating`.
        Ok(Self { mnt, child })
    }

    /// Locks `parent` for removing its known child `child` (`start_removing_dentry`); fails if
    /// `child` was moved or removed meanwhile.
    pub(crate) fn start_removing_dentry(
        mnt: &'a Mount,
        parent: &Dentry,
        child: &Dentry,
    ) -> Result<Self> {
        // SAFETY: both dentries are referenced by the caller.
        let child = dentry_result(unsafe {
            bindings::start_removing_dentry(parent.as_raw(), child.as_raw())
        })?;
        // INVARIANT: as in `start_creating`.
        Ok(Self { mnt, child })
    }

    /// The dentry of the name.
    pub(crate) fn dentry(&self) -> &Dentry {
        // SAFETY: referenced while `self` lives (type invariant).
        unsafe { Dentry::from_raw(self.child.as_ptr()) }
    }

    /// A counted reference to the dentry, to keep after the directory is unlocked.
    pub(crate) fn dentry_ref(&self) -> ARef<Dentry> {
        self.dentry().into()
    }

    fn dir(&self) -> *mut bindings::inode {
        // SAFETY: the parent of a locked child is stable and positive (it is locked).
        unsafe { (*(*self.child.as_ptr()).d_parent).d_inode }
    }

    /// Creates a regular file of mode `mode` (type bits included) at the name.
    pub(crate) fn create(&self, mode: u32) -> Result {
        // SAFETY: the parent is locked and the dentry referenced (type invariant).
        let result = to_result(unsafe {
            bindings::vfs_create(
                self.mnt.idmap(),
                self.child.as_ptr(),
                mode as u16,
                core::ptr::null_mut(),
            )
        });
        trace::create(self.dentry(), mode, &result);
        result
    }

    /// Makes a directory at the name. `vfs_mkdir` may hand back another dentry for the new
    /// directory; the returned `DirOp` holds whichever it is.
    pub(crate) fn mkdir(self, mode: u32) -> Result<Self> {
        // The trace event names the dentry, which a failed `vfs_mkdir` drops: hold it.
        let traced = trace::mkdir_enabled().then(|| self.dentry_ref());
        let this = core::mem::ManuallyDrop::new(self);
        // SAFETY: as in `create`. `vfs_mkdir` consumes the dentry and the lock on failure
        // (it calls `end_creating`), so `this` is not dropped.
        let ret = unsafe {
            bindings::vfs_mkdir(
                this.mnt.idmap(),
                this.dir(),
                this.child.as_ptr(),
                mode as u16,
                core::ptr::null_mut(),
            )
        };
        let child = dentry_result(ret);
        if let Some(dentry) = traced {
            trace::mkdir(&dentry, mode, &child);
        }
        let child = child?;
        // INVARIANT: on success the returned dentry is referenced, with the parent still
        // locked.
        Ok(Self {
            mnt: this.mnt,
            child,
        })
    }

    /// Makes a device node, fifo or socket at the name.
    pub(crate) fn mknod(&self, mode: u32, rdev: u32) -> Result {
        let result = self.vfs_mknod(mode, rdev);
        trace::mknod(self.dentry(), mode, rdev, &result);
        result
    }

    fn vfs_mknod(&self, mode: u32, rdev: u32) -> Result {
        // SAFETY: as in `create`.
        to_result(unsafe {
            bindings::vfs_mknod(
                self.mnt.idmap(),
                self.dir(),
                self.child.as_ptr(),
                mode as u16,
                rdev,
                core::ptr::null_mut(),
            )
        })
    }

    /// Makes a whiteout (a 0/0 character device) at the name, as `vfs_whiteout` does.
    pub(crate) fn whiteout(&self) -> Result {
        let result = self.vfs_mknod(
            FileType::CharDevice.mode_bits() | bindings::WHITEOUT_MODE,
            bindings::WHITEOUT_DEV,
        );
        trace::whiteout(self.dentry(), &result);
        result
    }

    /// Makes a symlink to `target` at the name.
    pub(crate) fn symlink(&self, target: &CStr) -> Result {
        // SAFETY: as in `create`; `target` is NUL-terminated.
        let result = to_result(unsafe {
            bindings::vfs_symlink(
                self.mnt.idmap(),
                self.dir(),
                self.child.as_ptr(),
                target.as_char_ptr(),
                core::ptr::null_mut(),
            )
        });
        trace::symlink(self.dentry(), target, &result);
        result
    }

    /// Makes the name a hard link to `old` (on the same filesystem).
    pub(crate) fn link(&self, old: &Dentry) -> Result {
        // SAFETY: as in `create`; `old` is referenced by the caller.
        let result = to_result(unsafe {
            bindings::vfs_link(
                old.as_raw(),
                self.mnt.idmap(),
                self.dir(),
                self.child.as_ptr(),
                core::ptr::null_mut(),
            )
        });
        trace::link(old, self.dentry(), &result);
        result
    }

    /// Removes the (non-directory) object at the name.
    pub(crate) fn unlink(&self) -> Result {
        // SAFETY: as in `create`.
        let result = to_result(unsafe {
            bindings::vfs_unlink(
                self.mnt.idmap(),
                self.dir(),
                self.child.as_ptr(),
                core::ptr::null_mut(),
            )
        });
        trace::unlink(self.dentry(), &result);
        result
    }

    /// Removes the (empty) directory at the name.
    pub(crate) fn rmdir(&self) -> Result {
        // SAFETY: as in `create`.
        let result = to_result(unsafe {
            bindings::vfs_rmdir(
                self.mnt.idmap(),
                self.dir(),
                self.child.as_ptr(),
                core::ptr::null_mut(),
            )
        });
        trace::rmdir(self.dentry(), &result);
        result
    }

    /// Removes whatever is at the name, directory or not.
    pub(crate) fn remove(&self) -> Result {
        if self.dentry().is_dir() {
            self.rmdir()
        } else {
            self.unlink()
        }
    }
}

impl Drop for DirOp<'_> {
    fn drop(&mut self) {
        // SAFETY: we own the reference and the lock (type invariant).
        unsafe { bindings::end_dirop(self.child.as_ptr()) };
    }
}

/// A rename in progress: both parents locked, both dentries looked up and referenced.
///
/// # Invariants
///
/// `rd` was filled by a successful `start_renaming*()` call, so `end_renaming()` must and may
/// be called on it exactly once (on drop).
pub(crate) struct Renaming<'a> {
    rd: bindings::renamedata,
    _mnt: core::marker::PhantomData<&'a Mount>,
}

impl<'a> Renaming<'a> {
    fn new_rd(
        mnt: &Mount,
        old_parent: Option<&Dentry>,
        new_parent: &Dentry,
        flags: RenameFlags,
    ) -> bindings::renamedata {
        bindings::renamedata {
            mnt_idmap: mnt.idmap(),
            old_parent: old_parent.map_or(core::ptr::null_mut(), |d| d.as_raw()),
            old_dentry: core::ptr::null_mut(),
            new_parent: new_parent.as_raw(),
            new_dentry: core::ptr::null_mut(),
            delegated_inode: core::ptr::null_mut(),
            flags: flags.into(),
        }
    }

    /// Locks for renaming `old_name` in `old_parent` to `new_name` in `new_parent`
    /// (`start_renaming`). `flags` are the flags the rename will use.
    pub(crate) fn by_names(
        mnt: &'a Mount,
        old_parent: &Dentry,
        old_name: &[u8],
        new_parent: &Dentry,
        new_name: &[u8],
        flags: RenameFlags,
    ) -> Result<Self> {
        let mut rd = Self::new_rd(mnt, Some(old_parent), new_parent, flags);
        let (mut old_q, mut new_q) = (qstr(old_name)?, qstr(new_name)?);
        // SAFETY: the parents are referenced by the caller; the qstrs outlive the call.
        to_result(unsafe { bindings::start_renaming(&mut rd, 0, &mut old_q, &mut new_q) })?;
        // INVARIANT: `start_renaming` succeeded.
        Ok(Self {
            rd,
            _mnt: core::marker::PhantomData,
        })
    }

    /// Locks for renaming the known dentry `old` (a child of `old_parent`) to `new_name` in
    /// `new_parent` (`start_renaming_dentry`).
    pub(crate) fn by_dentry(
        mnt: &'a Mount,
        old_parent: &Dentry,
        old: &Dentry,
        new_parent: &Dentry,
        new_name: &[u8],
        flags: RenameFlags,
    ) -> Result<Self> {
        let mut rd = Self::new_rd(mnt, Some(old_parent), new_parent, flags);
        let mut new_q = qstr(new_name)?;
        // SAFETY: the dentries are referenced by the caller; the qstr outlives the call.
        to_result(unsafe {
            bindings::start_renaming_dentry(&mut rd, 0, old.as_raw(), &mut new_q)
        })?;
        // INVARIANT: `start_renaming_dentry` succeeded.
        Ok(Self {
            rd,
            _mnt: core::marker::PhantomData,
        })
    }

    /// Locks for renaming the known dentry `old` (in `old_parent`) onto the known dentry `new`
    /// (in `new_parent`) (`start_renaming_two_dentries`).
    pub(crate) fn by_dentries(
        mnt: &'a Mount,
        old_parent: &Dentry,
        old: &Dentry,
        new_parent: &Dentry,
        new: &Dentry,
        flags: RenameFlags,
    ) -> Result<Self> {
        let mut rd = Self::new_rd(mnt, Some(old_parent), new_parent, flags);
        // SAFETY: the dentries are referenced by the caller.
        to_result(unsafe {
            bindings::start_renaming_two_dentries(&mut rd, old.as_raw(), new.as_raw())
        })?;
        // INVARIANT: `start_renaming_two_dentries` succeeded.
        Ok(Self {
            rd,
            _mnt: core::marker::PhantomData,
        })
    }

    /// The source dentry.
    pub(crate) fn source(&self) -> &Dentry {
        // SAFETY: referenced until `end_renaming` (type invariant).
        unsafe { Dentry::from_raw(self.rd.old_dentry) }
    }

    /// The target dentry (negative if the target name does not exist).
    pub(crate) fn target(&self) -> &Dentry {
        // SAFETY: as in `source`.
        unsafe { Dentry::from_raw(self.rd.new_dentry) }
    }

    /// Does the rename (`vfs_rename`).
    pub(crate) fn rename(&mut self) -> Result {
        let flags = self.rd.flags;
        let rd = &raw mut self.rd;
        // SAFETY: `start_renaming*` referenced both dentries and locked both parents, and
        // `end_renaming` puts them (type invariant); the old parent is referenced too, the new
        // one is the new dentry's parent. So all four stay valid for this call.
        let (old_dir, old, new_dir, new) = unsafe {
            (
                Dentry::from_raw((*rd).old_parent),
                Dentry::from_raw((*rd).old_dentry),
                Dentry::from_raw((*rd).new_parent),
                Dentry::from_raw((*rd).new_dentry),
            )
        };
        trace::rename(old_dir, old, new_dir, new, flags, || {
            // SAFETY: both parents are locked and both dentries referenced (type invariant).
            to_result(unsafe { bindings::vfs_rename(rd) })
        })
    }
}

impl Drop for Renaming<'_> {
    fn drop(&mut self) {
        // SAFETY: `start_renaming*` succeeded and this is the only `end_renaming` (invariant).
        unsafe { bindings::end_renaming(&mut self.rd) };
    }
}

/// Whether `dentry` is `ancestor` or below it (`is_subdir`).
pub(crate) fn is_subdir(dentry: &Dentry, ancestor: &Dentry) -> bool {
    // SAFETY: both dentries are referenced by the caller.
    unsafe { bindings::is_subdir(dentry.as_raw(), ancestor.as_raw()) }
}
