// SPDX-License-Identifier: GPL-2.0

//! POSIX ACLs: `struct posix_acl`, the ACLs of real objects as a mount shows them (read, set
//! and removed), and the ACLs a new object inherits from its directory.
//!
//! C headers: [`include/linux/posix_acl.h`](srctree/include/linux/posix_acl.h),
//! [`include/linux/posix_acl_xattr.h`](srctree/include/linux/posix_acl_xattr.h)
//!
//! An ACL is a refcounted list of entries. Once anyone but its maker can see it (an inode's
//! cache, `i_acl`, keeps one filesystem-wide) its entries never change, and it is freed an RCU
//! grace period after its last reference goes, so that a permission check in RCU walk may read
//! a cached one without taking a reference. Changing entries takes a copy of one's own:
//! [`AclCopy`].
//!
//! The named users and groups of an ACL are the filesystem's ids. Through an idmapped mount a
//! filesystem's objects show other owners ([`Inode::owner_through`]), so their ACLs must show
//! other entries: the functions here that read an ACL through a mount map its entries the
//! same way (on a copy), and the VFS maps them back when one is written through a mount (in
//! place, which is why [`set_acl`] takes a copy).

#[cfg(not(CONFIG_FS_POSIX_ACL))]
compile_error!("rovl needs a kernel with POSIX ACLs (CONFIG_FS_POSIX_ACL)");

use super::{
    bindings,
    dentry::Dentry,
    inode::Inode,
    path::{Mount, PathRef},
    trace,
};
use core::ptr::NonNull;
use kernel::{
    error::{from_err_ptr, to_result},
    prelude::*,
    sync::{
        aref::{ARef, AlwaysRefCounted},
        rcu,
    },
    types::Opaque,
};

/// Which of an inode's two ACLs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum AclType {
    /// `ACL_TYPE_ACCESS`: the ACL permission checks use.
    Access,
    /// `ACL_TYPE_DEFAULT`: a directory's, which the objects made in it inherit.
    Default,
}

/// `system.posix_acl_access`, from bindgen's NUL-terminated `XATTR_NAME_POSIX_ACL_ACCESS`.
const ACCESS_XATTR: &CStr = match CStr::from_bytes_with_nul(bindings::XATTR_NAME_POSIX_ACL_ACCESS) {
    Ok(name) => name,
    Err(_) => panic!("XATTR_NAME_POSIX_ACL_ACCESS is not a C string"),
};

/// `system.posix_acl_default`, likewise.
const DEFAULT_XATTR: &CStr = match CStr::from_bytes_with_nul(bindings::XATTR_NAME_POSIX_ACL_DEFAULT)
{
    Ok(name) => name,
    Err(_) => panic!("XATTR_NAME_POSIX_ACL_DEFAULT is not a C string"),
};

impl AclType {
    /// The type C passes (`ACL_TYPE_*`); `None` for any other value.
    pub(super) fn from_raw(raw: c_int) -> Option<Self> {
        match raw {
            bindings::ACL_TYPE_ACCESS => Some(Self::Access),
            bindings::ACL_TYPE_DEFAULT => Some(Self::Default),
            _ => None,
        }
    }

    /// The type to pass to C.
    fn as_raw(self) -> c_int {
        match self {
            Self::Access => bindings::ACL_TYPE_ACCESS,
            Self::Default => bindings::ACL_TYPE_DEFAULT,
        }
    }

    /// The xattr that holds the ACL (`posix_acl_xattr_name()`). Its reads and writes are the
    /// ACL's: the VFS sends them to the ACL operations, never to an xattr handler.
    pub(crate) fn xattr_name(self) -> &'static CStr {
        match self {
            Self::Access => ACCESS_XATTR,
            Self::Default => DEFAULT_XATTR,
        }
    }

    /// The ACL whose xattr `name` is (`posix_acl_type()`); `None` for any other name.
    pub(crate) fn of_xattr_name(name: &[u8]) -> Option<Self> {
        [Self::Access, Self::Default]
            .into_iter()
            .find(|kind| kind.xattr_name().to_bytes() == name)
    }
}

/// A POSIX ACL: `struct posix_acl`.
///
/// # Invariants
///
/// The pointer is to a valid `struct posix_acl`; `ARef<PosixAcl>` owns one `a_refcount`
/// reference. Its entries are not written while anyone but the holder of an [`AclCopy`] of it
/// can reach it.
#[repr(transparent)]
pub(crate) struct PosixAcl(Opaque<bindings::posix_acl>);

// SAFETY: ACL references may be taken and dropped on any thread (the last one frees the ACL
// with `kfree_rcu`).
unsafe impl Send for PosixAcl {}
// SAFETY: a `&PosixAcl` only reads, and no one writes a shared ACL (type invariant).
unsafe impl Sync for PosixAcl {}

// SAFETY: `posix_acl_dup` and `posix_acl_release` manage the ACL's refcount.
unsafe impl AlwaysRefCounted for PosixAcl {
    fn inc_ref(&self) {
        // SAFETY: `&self` proves the refcount is non-zero.
        unsafe { bindings::rovl_posix_acl_dup(self.as_raw()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: the caller gives up one reference, which this puts.
        unsafe { bindings::rovl_posix_acl_release(obj.cast::<bindings::posix_acl>().as_ptr()) };
    }
}

impl PosixAcl {
    /// # Safety
    ///
    /// `ptr` must point to a valid ACL that stays valid, and is not written, for `'a`: referenced
    /// by someone for `'a`, or kept by RCU while the caller stays in a read-side critical section
    /// for `'a`.
    pub(super) unsafe fn from_raw<'a>(ptr: *mut bindings::posix_acl) -> &'a Self {
        // SAFETY: `PosixAcl` is a transparent wrapper; validity is the caller's promise.
        unsafe { &*ptr.cast::<Self>() }
    }

    pub(super) fn as_raw(&self) -> *mut bindings::posix_acl {
        self.0.get()
    }

    /// The number of entries (`a_count`).
    fn count(&self) -> usize {
        // SAFETY: a valid ACL; `a_count` is set when it is made and never changes. Both members
        // of the header union are the same fields (`struct_group_tagged`).
        let count = unsafe { (*self.as_raw()).__bindgen_anon_1.hdr.as_ref().a_count };
        // CAST: a `c_uint` count of entries in memory fits a `usize`.
        count as usize
    }

    /// The size of the ACL in its xattr form (`posix_acl_xattr_size()`), as traced.
    fn xattr_size(&self) -> usize {
        let count = c_int::try_from(self.count()).unwrap_or(c_int::MAX);
        // SAFETY: a pure computation.
        unsafe { bindings::rovl_posix_acl_xattr_size(count) }
    }

    /// A copy of one's own (`posix_acl_clone()`), whose entries may be changed.
    pub(crate) fn copy(&self) -> Result<AclCopy> {
        // SAFETY: a valid ACL, only read by the call.
        let ptr = unsafe { bindings::posix_acl_clone(self.as_raw(), bindings::GFP_KERNEL) };
        let ptr = NonNull::new(ptr).ok_or(ENOMEM)?;
        // SAFETY: `posix_acl_clone` returns a new ACL with one reference, which nobody else has.
        Ok(unsafe { AclCopy::from_raw(ptr) })
    }
}

/// Takes over the ACL C returned with a reference: an `ERR_PTR` is its error, NULL `None`.
///
/// # Safety
///
/// `ptr` must be an `ERR_PTR`, NULL, or an ACL with a reference that the caller gives up.
unsafe fn take(ptr: *mut bindings::posix_acl) -> Result<Option<ARef<PosixAcl>>> {
    let ptr = from_err_ptr(ptr)?;
    // SAFETY: the caller hands over the reference; `PosixAcl` is a transparent wrapper.
    Ok(NonNull::new(ptr).map(|p| unsafe { ARef::from_raw(p.cast::<PosixAcl>()) }))
}

/// An ACL nobody else can reach: a copy just made, whose entries may therefore be changed
/// (by [`AclCopy::map_through`], or by the VFS in [`set_acl`]). It lends no `&PosixAcl`, from
/// which another reference could be taken.
///
/// # Invariants
///
/// `acl` is the only reference to its ACL, and its pointer has been given to no one.
pub(crate) struct AclCopy {
    acl: ARef<PosixAcl>,
}

impl AclCopy {
    /// # Safety
    ///
    /// `ptr` must be an ACL with one reference, which the caller gives up, and which nobody
    /// else can reach.
    unsafe fn from_raw(ptr: NonNull<bindings::posix_acl>) -> Self {
        // INVARIANT: the caller's promise.
        Self {
            // SAFETY: the caller hands over its reference.
            acl: unsafe { ARef::from_raw(ptr.cast::<PosixAcl>()) },
        }
    }

    /// The entries, to be changed.
    fn entries_mut(&mut self) -> &mut [bindings::posix_acl_entry] {
        let count = self.acl.count();
        // SAFETY: `a_count` entries follow the header (`a_entries[]`), and nobody else can
        // reach the ACL (type invariant), so `&mut self` makes them exclusively ours.
        unsafe { (*self.acl.as_raw()).a_entries.as_mut_slice(count) }
    }

    /// Maps the named users and groups as `mnt` shows the owners of objects of `real`'s
    /// filesystem (`ovl_idmap_posix_acl()`): through an idmapped mount, up through its
    /// idmapping, as [`Inode::owner_through`] maps an owner; an id the mapping lacks becomes
    /// invalid (shown as the overflow id). Through any other mount nothing changes.
    fn map_through(&mut self, real: &Inode, mnt: &Mount) {
        let idmap = mnt.idmap();
        // SAFETY: a live inode; its super block's user namespace never changes.
        let fs_userns = unsafe { bindings::rovl_i_user_ns(real.as_raw()) };
        for entry in self.entries_mut() {
            // SAFETY: the tag says which member of the union the entry holds; the idmap and the
            // namespace are valid for the calls, which only compute.
            unsafe {
                match entry.e_tag {
                    bindings::ACL_USER => {
                        let uid = entry.__bindgen_anon_1.e_uid.as_mut();
                        *uid = bindings::rovl_vfsuid_into_kuid(bindings::make_vfsuid(
                            idmap, fs_userns, *uid,
                        ));
                    }
                    bindings::ACL_GROUP => {
                        let gid = entry.__bindgen_anon_1.e_gid.as_mut();
                        *gid = bindings::rovl_vfsgid_into_kgid(bindings::make_vfsgid(
                            idmap, fs_userns, *gid,
                        ));
                    }
                    _ => {}
                }
            }
        }
    }

    /// Hands the copy on: from now on it is shared, and never changed again.
    fn share(self) -> ARef<PosixAcl> {
        self.acl
    }
}

/// `acl`, read from the real object at `path`, as `path`'s mount shows it: itself through a
/// mount without idmapping, else a mapped copy (the one read may be the filesystem's cached
/// ACL, which must not change).
fn through_mount(acl: ARef<PosixAcl>, path: PathRef<'_>) -> Result<ARef<PosixAcl>> {
    if !path.mnt().is_idmapped() {
        return Ok(acl);
    }
    let real = path.dentry().inode().ok_or(ENOENT)?;
    let mut copy = acl.copy()?;
    copy.map_through(real, path.mnt());
    Ok(copy.share())
}

/// The ACL `kind` of the real object at `path`, as its mount shows it: what `getxattr(2)` of
/// its `system.posix_acl_*` shows (`vfs_get_acl()`: the security modules are asked). `ENODATA`
/// if it has none, `EOPNOTSUPP` if its filesystem has no ACLs or it is a symlink. Permission
/// to read it is not checked (reading an ACL needs none).
pub(crate) fn get_acl(path: PathRef<'_>, kind: AclType) -> Result<ARef<PosixAcl>> {
    // SAFETY: `path` is valid for the call; the name is a static C string.
    let ptr = unsafe {
        bindings::vfs_get_acl(
            path.mnt().idmap(),
            path.dentry().as_raw(),
            kind.xattr_name().as_char_ptr(),
        )
    };
    // SAFETY: `vfs_get_acl` returns an `ERR_PTR` or a referenced ACL, which is ours.
    let acl = unsafe { take(ptr) }?.ok_or(ENODATA)?;
    through_mount(acl, path)
}

/// The ACL `kind` of the real object at `path` that permission checks use, as its mount shows
/// it (`get_inode_acl()`: no security hook, no permission check; from the filesystem's cache if
/// it has one); `None` if it has none or its filesystem has no ACLs. May sleep.
pub(crate) fn get_inode_acl(path: PathRef<'_>, kind: AclType) -> Result<Option<ARef<PosixAcl>>> {
    let real = path.dentry().inode().ok_or(ENOENT)?;
    // SAFETY: a live inode.
    let ptr = unsafe { bindings::get_inode_acl(real.as_raw(), kind.as_raw()) };
    // SAFETY: `get_inode_acl` returns an `ERR_PTR`, NULL or a referenced ACL, which is ours.
    match unsafe { take(ptr) }? {
        Some(acl) => through_mount(acl, path).map(Some),
        None => Ok(None),
    }
}

/// [`get_inode_acl`] in RCU walk: the ACL `kind` of the real object at `path` as its inode's
/// cache has it (`get_cached_acl_rcu()`), without a reference: valid while `rcu` is held;
/// `None` if it has none. `ECHILD` (walk again in ref-walk) where that cannot be answered
/// without sleeping: the ACL is not cached, the object is going away, or the mount is idmapped
/// (the entries would have to be mapped on a copy, an allocation).
///
/// If the real inode's filesystem does not cache its ACLs, this asks its `->get_inode_acl`
/// in RCU mode, as path walk would.
pub(crate) fn get_cached_acl_rcu<'a>(
    path: PathRef<'a>,
    kind: AclType,
    _rcu: &'a rcu::Guard,
) -> Result<Option<&'a PosixAcl>> {
    if path.mnt().is_idmapped() {
        return Err(ECHILD);
    }
    let real = path.dentry().inode().ok_or(ECHILD)?;
    // SAFETY: the inode is kept in memory by RCU for `'a` (inodes are freed an RCU grace period
    // after they go), and its cached ACL pointers are read as RCU pointers, which is what the
    // function is for: the caller is inside a read-side critical section (`_rcu`).
    let ptr = unsafe { bindings::get_cached_acl_rcu(real.as_raw(), kind.as_raw()) };
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: a pointer from an inode's ACL slot: an ACL or one of the odd markers
    // `is_uncached_acl()` tests for; it is not dereferenced.
    if unsafe { bindings::rovl_is_uncached_acl(ptr) } {
        return Err(ECHILD);
    }
    // SAFETY: a cached ACL, which is freed only an RCU grace period after it leaves the cache,
    // so it stays valid while `_rcu` is held; a cached ACL is never written.
    Ok(Some(unsafe { PosixAcl::from_raw(ptr) }))
}

/// Sets the ACL `kind` of the real object `dentry` on `mnt` to `acl` (`vfs_set_acl()`, which
/// locks the real inode and asks the security modules; the caller's right to change it is
/// checked against the real inode as `mnt` shows it). The filesystem may keep the ACL, so it
/// is handed over; through an idmapped mount the VFS first maps its entries back to the
/// filesystem's ids, in place, so it must be a copy of the caller's own. An ACL is stored as
/// its xattr: the change is traced as a `setxattr` of that name, with the size of the ACL's
/// xattr form.
pub(crate) fn set_acl(mnt: &Mount, dentry: &Dentry, kind: AclType, acl: AclCopy) -> Result {
    let size = acl.acl.xattr_size();
    // SAFETY: `dentry` and `mnt` are valid for the call and the name is a static C string. The
    // ACL is reachable by nobody but us (type invariant of `AclCopy`), so the VFS may change
    // its entries; it takes a reference of its own if the filesystem keeps it, and ours is
    // dropped right after.
    let result = to_result(unsafe {
        bindings::vfs_set_acl(
            mnt.idmap(),
            dentry.as_raw(),
            kind.xattr_name().as_char_ptr(),
            acl.acl.as_raw(),
        )
    });
    drop(acl);
    trace::setxattr(dentry, kind.xattr_name(), size, 0, &result);
    result
}

/// Removes the ACL `kind` of the real object `dentry` on `mnt` (`vfs_remove_acl()`); `ENODATA`
/// if it has none. Traced as a `removexattr` of the ACL's xattr.
pub(crate) fn remove_acl(mnt: &Mount, dentry: &Dentry, kind: AclType) -> Result {
    // SAFETY: all valid for the call; the name is a static C string.
    let result = to_result(unsafe {
        bindings::vfs_remove_acl(
            mnt.idmap(),
            dentry.as_raw(),
            kind.xattr_name().as_char_ptr(),
        )
    });
    trace::removexattr(dentry, kind.xattr_name(), &result);
    result
}

/// What a new object inherits from its directory (`posix_acl_create()`).
pub(crate) struct Inherited {
    /// The new object's mode, type bits included. Where the directory has a default ACL, the
    /// mode asked for masked by it (the umask is then not applied, as POSIX wants); else the
    /// mode less the caller's umask. A symlink's, or one in a directory of a filesystem
    /// without ACLs, is the mode asked for.
    pub(crate) mode: u32,
    /// The object's access ACL: from the default ACL, unless the mode says all it says.
    pub(crate) access: Option<AclCopy>,
    /// A directory's default ACL: its parent's.
    pub(crate) default: Option<ARef<PosixAcl>>,
}

/// What a new object of `mode` (type bits included) in the directory `dir` inherits from it
/// (`posix_acl_create()`). The directory's default ACL is read with `get_inode_acl()`, so for a
/// directory of a stacking filesystem with its own operation for that.
pub(crate) fn create(dir: &Inode, mode: u32) -> Result<Inherited> {
    let mut mode = u16::try_from(mode).map_err(|_| EINVAL)?;
    let mut default = core::ptr::null_mut();
    let mut access = core::ptr::null_mut();
    // SAFETY: `dir` is a live inode; the out-pointers are valid for writes.
    to_result(unsafe {
        bindings::posix_acl_create(dir.as_raw(), &mut mode, &mut default, &mut access)
    })?;
    Ok(Inherited {
        mode: u32::from(mode),
        // SAFETY: on success `posix_acl_create` hands over one reference on each ACL it sets:
        // the access ACL is a new one (`posix_acl_clone()`) that nobody else has seen.
        access: NonNull::new(access).map(|p| unsafe { AclCopy::from_raw(p) }),
        // SAFETY: as above; the default ACL is the directory's, shared.
        default: NonNull::new(default).map(|p| unsafe { ARef::from_raw(p.cast::<PosixAcl>()) }),
    })
}
