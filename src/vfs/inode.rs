// SPDX-License-Identifier: GPL-2.0

//! Inodes of any filesystem (in practice the real layers'), and what is asked of them: access
//! checks, `getattr`, symlink bodies. The stacking filesystem's own inodes are in
//! [`own_inode`](super::own_inode), their operations in [`inode_ops`](super::inode_ops).
//!
//! C headers: [`include/linux/fs.h`](srctree/include/linux/fs.h)

use super::{
    attr::{FileType, Kstat, MayMask},
    bindings,
    dentry::Dentry,
    path::Mount,
    path::PathRef,
    sb::SuperBlock,
};
use core::ptr::NonNull;
use kernel::{error::to_result, prelude::*, sync::aref::AlwaysRefCounted, types::Opaque};

/// An inode: `struct inode`, of any filesystem.
///
/// # Invariants
///
/// The pointer is to a valid `struct inode`; `ARef<Inode>` owns one `i_count` reference.
#[repr(transparent)]
pub(crate) struct Inode(Opaque<bindings::inode>);

// SAFETY: inode references may be taken and dropped on any thread.
unsafe impl Send for Inode {}
// SAFETY: `&Inode` only reads fields, with the same tolerance for races as the C readers.
unsafe impl Sync for Inode {}

// SAFETY: `ihold` and `iput` manage the inode's refcount.
unsafe impl AlwaysRefCounted for Inode {
    fn inc_ref(&self) {
        // SAFETY: `&self` proves the refcount is non-zero.
        unsafe { bindings::ihold(self.0.get()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: the caller gives up one reference, which this puts.
        unsafe { bindings::iput(obj.cast::<bindings::inode>().as_ptr()) };
    }
}

impl Inode {
    /// # Safety
    ///
    /// `ptr` must point to a valid inode that stays referenced for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::inode) -> &'a Inode {
        // SAFETY: `Inode` is a transparent wrapper; validity is the caller's promise.
        unsafe { &*ptr.cast::<Inode>() }
    }

    pub(crate) fn as_raw(&self) -> *mut bindings::inode {
        self.0.get()
    }

    /// Reads the field at `field` once, as `READ_ONCE` does: most fields of a live inode
    /// may be written meanwhile (a `chmod`, a write), and the readers of a stacking
    /// filesystem tolerate a value from just before or after, as the C `stat` paths do. No
    /// reference to the shared inode is made.
    ///
    /// # Safety
    ///
    /// `field` must point into this inode, to an aligned field of type `F`.
    pub(super) unsafe fn read_once<F: Copy>(&self, field: *const F) -> F {
        // SAFETY: the caller's promise; the inode is live for as long as `self`.
        unsafe { core::ptr::read_volatile(field) }
    }

    pub(crate) fn mode(&self) -> u32 {
        // SAFETY: `i_mode` of this inode.
        u32::from(unsafe { self.read_once(&raw const (*self.0.get()).i_mode) })
    }

    pub(crate) fn ino(&self) -> u64 {
        // SAFETY: `i_ino` of this inode (set before the inode is reachable).
        unsafe { self.read_once(&raw const (*self.0.get()).i_ino) }
    }

    /// The size in bytes (`i_size_read()`).
    pub(crate) fn size(&self) -> i64 {
        // SAFETY: a live inode.
        unsafe { bindings::rovl_i_size_read(self.0.get()) }
    }

    pub(crate) fn nlink(&self) -> u32 {
        // SAFETY: both union members are the same integer; read racily as `stat` does.
        unsafe { core::ptr::read_volatile(&raw const (*self.0.get()).__bindgen_anon_1.i_nlink) }
    }

    /// The owner and group as a mount with `mnt`'s idmapping shows them (the owner on disk,
    /// mapped up through an idmapped mount; unchanged through any other).
    pub(crate) fn owner_through(&self, mnt: &Mount) -> (bindings::kuid_t, bindings::kgid_t) {
        // SAFETY: a live inode and a live mount's idmapping, for the calls.
        unsafe {
            (
                bindings::rovl_i_uid_into_kuid(mnt.idmap(), self.0.get()),
                bindings::rovl_i_gid_into_kgid(mnt.idmap(), self.0.get()),
            )
        }
    }

    /// The group a new object in this directory gets from it: its own, where the directory
    /// has the set-group-ID bit (`inode_init_owner()`'s rule); `None` otherwise.
    pub(crate) fn setgid_group(&self) -> Option<bindings::kgid_t> {
        if !self.is_setgid() {
            return None;
        }
        // SAFETY: `i_gid` of this inode.
        Some(unsafe { self.read_once(&raw const (*self.0.get()).i_gid) })
    }

    /// Whether the set-group-ID bit is set in the mode.
    pub(crate) fn is_setgid(&self) -> bool {
        self.mode() & bindings::S_ISGID != 0
    }

    /// The mode a new object of `mode` (type bits included) made in this directory starts
    /// with, by `inode_init_owner()`'s rule: a directory made in a set-group-ID directory gets
    /// the bit too.
    pub(crate) fn mode_for_new(&self, mode: u32) -> u32 {
        if self.is_setgid() && FileType::of_mode(mode) == Some(FileType::Directory) {
            mode | bindings::S_ISGID
        } else {
            mode
        }
    }

    /// Whether the current credentials are in the inode's group, or may act as if they were
    /// (`CAP_FSETID` over it): who may keep its set-group-ID bit through a change
    /// (`in_group_or_capable()`, the group as a mount without idmapping shows it).
    pub(crate) fn in_group_or_capable(&self) -> bool {
        let idmap = &raw mut bindings::nop_mnt_idmap;
        // SAFETY: a live inode and the static `nop_mnt_idmap`; the calls only read.
        unsafe {
            bindings::in_group_or_capable(
                idmap,
                self.as_raw(),
                bindings::rovl_i_gid_into_vfsgid(idmap, self.as_raw()),
            )
        }
    }

    /// Whether the inode's filesystem has POSIX ACLs (`IS_POSIXACL()`).
    pub(crate) fn has_posix_acls(&self) -> bool {
        self.sb().has_posix_acls()
    }

    /// Whether the inode can be given an ACL: its operations have `->set_acl`.
    pub(crate) fn has_set_acl(&self) -> bool {
        // SAFETY: `i_op` is read once: it is set before the inode is reachable, and changed
        // later only to another static table (`make_bad_inode()`), which is never freed.
        unsafe {
            let ops = core::ptr::read_volatile(&raw const (*self.as_raw()).i_op);
            (*ops).set_acl.is_some()
        }
    }

    pub(crate) fn rdev(&self) -> u32 {
        // SAFETY: `i_rdev` of this inode (set before the inode is reachable).
        unsafe { self.read_once(&raw const (*self.0.get()).i_rdev) }
    }

    /// The type of the inode, from the type bits of its mode.
    pub(crate) fn file_type(&self) -> Option<FileType> {
        FileType::of_mode(self.mode())
    }

    pub(crate) fn is_dir(&self) -> bool {
        self.file_type() == Some(FileType::Directory)
    }

    pub(crate) fn is_regular(&self) -> bool {
        self.file_type() == Some(FileType::Regular)
    }

    pub(crate) fn is_symlink(&self) -> bool {
        self.file_type() == Some(FileType::Symlink)
    }

    /// Whether this is a whiteout: a character device with device number 0/0.
    pub(crate) fn is_whiteout(&self) -> bool {
        is_whiteout(self.mode(), self.rdev())
    }

    /// Whether this is the root inode of its super block.
    pub(crate) fn is_root(&self) -> bool {
        // SAFETY: `s_root` is set once in `fill_super`, before any other inode of the super
        // block can be reached; its `d_inode` never changes.
        unsafe {
            let root = (*(*self.as_raw()).i_sb).s_root;
            !root.is_null() && core::ptr::eq((*root).d_inode, self.as_raw())
        }
    }

    /// The inode's change counter, marked as seen so that the next change of the inode
    /// advances it (`inode_query_iversion`); `None` if its filesystem keeps none. Equal
    /// values mean nothing changed in between.
    pub(crate) fn change_cookie(&self) -> Option<u64> {
        if !self.sb().has_iversion() {
            return None;
        }
        // SAFETY: a live inode; the function only updates `i_version` atomically.
        Some(unsafe { bindings::inode_query_iversion(self.as_raw()) })
    }

    pub(crate) fn sb(&self) -> &SuperBlock {
        // SAFETY: `i_sb` is set at allocation and never changes.
        unsafe { SuperBlock::from_raw((*self.as_raw()).i_sb) }
    }
}

/// Whether `mode` and `rdev` make a whiteout: a character device with device number
/// `WHITEOUT_DEV` (0/0), as `vfs_whiteout()` makes them.
pub(crate) fn is_whiteout(mode: u32, rdev: u32) -> bool {
    FileType::of_mode(mode) == Some(FileType::CharDevice) && rdev == bindings::WHITEOUT_DEV
}

impl PartialEq for Inode {
    fn eq(&self, other: &Self) -> bool {
        core::ptr::eq(self, other)
    }
}
impl Eq for Inode {}
/// Fills `stat` with the attributes of the object at `path`, as `vfs_getattr` does.
pub(crate) fn getattr(path: PathRef<'_>, stat: &mut Kstat, mask: u32, flags: u32) -> Result {
    // SAFETY: `path` is valid for the call and `stat` is exclusively ours.
    to_result(unsafe { bindings::vfs_getattr(path.as_raw(), stat.as_raw(), mask, flags) })
}

/// Checks `mask` against the real inode of `dentry` on `mnt`, with the mount's idmap.
pub(crate) fn permission(mnt: &Mount, inode: &Inode, mask: MayMask) -> Result {
    // CAST: the C mask is an `int` of `MAY_*` bits; this gives it back its bits unchanged.
    let mask = u32::from(mask) as c_int;
    // SAFETY: both are valid for the call.
    to_result(unsafe { bindings::inode_permission(mnt.idmap(), inode.as_raw(), mask) })
}

/// Checks `mask` against the stacking filesystem's own copy of the inode attributes.
pub(crate) fn generic_permission(inode: &Inode, mask: MayMask) -> Result {
    // CAST: as in `permission`.
    let mask = u32::from(mask) as c_int;
    // SAFETY: `nop_mnt_idmap` is a static; the inode is valid for the call.
    to_result(unsafe {
        bindings::generic_permission(&raw mut bindings::nop_mnt_idmap, inode.as_raw(), mask)
    })
}

/// The cleanup half of a resolved symlink body (`struct delayed_call`).
#[repr(transparent)]
pub(crate) struct DelayedCall(Opaque<bindings::delayed_call>);

/// A symlink body resolved by [`get_link`], to be handed back to the VFS.
pub(crate) struct LinkTarget(pub(super) *const c_char);

/// Resolves the symlink `dentry` as `vfs_get_link` does.
pub(crate) fn get_link(dentry: &Dentry, done: &mut DelayedCall) -> Result<LinkTarget> {
    // SAFETY: `dentry` is valid; `done` is the VFS's cleanup slot, lent to us exclusively.
    let ptr = unsafe { bindings::vfs_get_link(dentry.as_raw(), done.0.get()) };
    kernel::error::from_err_ptr(ptr.cast_mut()).map(|p| LinkTarget(p.cast_const()))
}

/// Reads the body of the symlink `dentry` (as `vfs_get_link`, then releasing it), as a
/// NUL-terminated copy.
pub(crate) fn read_link(dentry: &Dentry) -> Result<kernel::str::CString> {
    let mut done = bindings::delayed_call::default();
    // SAFETY: `dentry` is a referenced symlink dentry; `done` receives the cleanup.
    let ptr = unsafe { bindings::vfs_get_link(dentry.as_raw(), &mut done) };
    let copy = kernel::error::from_err_ptr(ptr.cast_mut()).and_then(|p| {
        // SAFETY: a symlink body is a NUL-terminated string, valid until `done` runs.
        let body = unsafe { CStr::from_char_ptr(p) };
        kernel::str::CString::try_from(body).map_err(|_| ENOMEM)
    });
    if let Some(f) = done.fn_ {
        // SAFETY: the cleanup `vfs_get_link` asked for, run once, as `do_delayed_call` does.
        unsafe { f(done.arg) };
    }
    copy
}
