// SPDX-License-Identifier: GPL-2.0

//! Inode operations of the stacking filesystem: the [`InodeOperations`] trait and the
//! `struct inode_operations` trampolines that call it.
//!
//! C headers: [`include/linux/fs.h`](srctree/include/linux/fs.h)

use super::{
    attr::{Iattr, Kstat, MayMask, RenameFlags},
    bindings,
    dentry::{NewDentry, OwnDentry},
    fs_type::FileSystem,
    inode::{DelayedCall, LinkTarget},
    own_inode::OwnInode,
    posix_acl::{AclType, PosixAcl},
};
use core::marker::PhantomData;
use kernel::{
    error::{from_result, VTABLE_DEFAULT_ERROR},
    prelude::*,
    sync::{aref::ARef, rcu},
};

/// Inode operations of the stacking filesystem, one implementation per kind of inode.
#[vtable]
pub(crate) trait InodeOperations: Sized {
    /// The filesystem whose inodes these operations serve.
    type Fs: FileSystem;

    /// Looks `name` (the name of the new `dentry`) up in `dir`; returns the inode to attach,
    /// or `None` for a negative entry.
    fn lookup(
        _dir: &OwnInode<Self::Fs>,
        _dentry: &OwnDentry<Self::Fs>,
        _name: &[u8],
    ) -> Result<Option<ARef<OwnInode<Self::Fs>>>> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Resolves a symlink. `dentry` is `None` in RCU walk mode.
    fn get_link(
        _dentry: Option<&OwnDentry<Self::Fs>>,
        _inode: &OwnInode<Self::Fs>,
        _done: &mut DelayedCall,
    ) -> Result<LinkTarget> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Checks access `mask`.
    fn permission(_inode: &OwnInode<Self::Fs>, _mask: MayMask) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Reports the attributes of the object `dentry` names.
    fn getattr(
        _dentry: &OwnDentry<Self::Fs>,
        _inode: &OwnInode<Self::Fs>,
        _stat: &mut Kstat,
        _mask: u32,
        _flags: u32,
    ) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Lists extended attribute names into `buf`, or returns the size needed if `buf` is
    /// `None`.
    fn listxattr(
        _dentry: &OwnDentry<Self::Fs>,
        _inode: &OwnInode<Self::Fs>,
        _buf: Option<&mut [u8]>,
    ) -> Result<usize> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Creates a regular file for the negative `dentry` in `dir`, and instantiates it.
    fn create(_dir: &OwnInode<Self::Fs>, _dentry: NewDentry<'_, Self::Fs>, _mode: u32) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Makes a directory for the negative `dentry` in `dir`, and instantiates it.
    fn mkdir(_dir: &OwnInode<Self::Fs>, _dentry: NewDentry<'_, Self::Fs>, _mode: u32) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Makes a device node, fifo or socket for the negative `dentry` in `dir`.
    fn mknod(
        _dir: &OwnInode<Self::Fs>,
        _dentry: NewDentry<'_, Self::Fs>,
        _mode: u32,
        _rdev: u32,
    ) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Makes a symlink to `target` for the negative `dentry` in `dir`.
    fn symlink(
        _dir: &OwnInode<Self::Fs>,
        _dentry: NewDentry<'_, Self::Fs>,
        _target: &CStr,
    ) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Makes the negative `dentry` in `dir` another name of `old` (whose inode is
    /// `old_inode`).
    fn link(
        _old: &OwnDentry<Self::Fs>,
        _old_inode: &OwnInode<Self::Fs>,
        _dir: &OwnInode<Self::Fs>,
        _dentry: NewDentry<'_, Self::Fs>,
    ) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Removes the non-directory `dentry` (whose inode is `inode`) from `dir`.
    fn unlink(
        _dir: &OwnInode<Self::Fs>,
        _dentry: &OwnDentry<Self::Fs>,
        _inode: &OwnInode<Self::Fs>,
    ) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Removes the directory `dentry` (whose inode is `inode`) from `dir`.
    fn rmdir(
        _dir: &OwnInode<Self::Fs>,
        _dentry: &OwnDentry<Self::Fs>,
        _inode: &OwnInode<Self::Fs>,
    ) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Renames `old` (whose inode is `old_inode`) in `old_dir` to `new` in `new_dir`, with
    /// `flags`.
    fn rename(
        _old_dir: &OwnInode<Self::Fs>,
        _old: &OwnDentry<Self::Fs>,
        _old_inode: &OwnInode<Self::Fs>,
        _new_dir: &OwnInode<Self::Fs>,
        _new: &OwnDentry<Self::Fs>,
        _flags: RenameFlags,
    ) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Changes attributes (`chmod`, `chown`, `utimes`, `truncate`); the inode is locked.
    fn setattr(
        _dentry: &OwnDentry<Self::Fs>,
        _inode: &OwnInode<Self::Fs>,
        _attr: &mut Iattr,
    ) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// The ACL `kind` that permission checks of `inode` use (`->get_inode_acl`), in ref-walk
    /// or any other context that may sleep; `None` if it has none.
    ///
    /// An inode with this operation gets `ACL_DONT_CACHE`: the VFS keeps no copy of its ACLs
    /// and asks every time, in RCU walk too (then [`InodeOperations::get_inode_acl_rcu`]).
    fn get_inode_acl(
        _inode: &OwnInode<Self::Fs>,
        _kind: AclType,
    ) -> Result<Option<ARef<PosixAcl>>> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// [`InodeOperations::get_inode_acl`] in RCU walk (`->get_inode_acl` with `rcu` set):
    /// nothing may sleep or take a reference, and `inode` itself is not referenced, only kept
    /// in memory (its data too) while `rcu` is held. The ACL returned needs no reference
    /// either: it must stay valid while `rcu` is held (as the cached ACL of an inode does).
    /// `ECHILD` makes the VFS check again in ref-walk, as it does for every call if this is not
    /// implemented.
    fn get_inode_acl_rcu<'a>(
        _inode: &'a OwnInode<Self::Fs>,
        _kind: AclType,
        _rcu: &'a rcu::Guard,
    ) -> Result<Option<&'a PosixAcl>> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// The ACL `kind` of the object `dentry` names (`->get_acl`): what `getxattr(2)` of its
    /// `system.posix_acl_*` shows; `None` if it has none.
    fn get_acl(
        _dentry: &OwnDentry<Self::Fs>,
        _inode: &OwnInode<Self::Fs>,
        _kind: AclType,
    ) -> Result<Option<ARef<PosixAcl>>> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Sets the ACL `kind` of the object `dentry` names to `acl`, or removes it (`None`)
    /// (`->set_acl`). The VFS has checked that the caller owns the inode (or may act as if),
    /// that a default ACL goes only to a directory, and that `acl` is well formed
    /// (`set_posix_acl()`); `acl` is the VFS's, to be read only.
    fn set_acl(
        _dentry: &OwnDentry<Self::Fs>,
        _inode: &OwnInode<Self::Fs>,
        _acl: Option<&PosixAcl>,
        _kind: AclType,
    ) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// A `struct inode_operations` table built at compile time from an [`InodeOperations`].
#[repr(transparent)]
pub(crate) struct InodeOps<T>(pub(super) bindings::inode_operations, PhantomData<T>);

// SAFETY: the table is immutable and holds only function pointers.
unsafe impl<T> Sync for InodeOps<T> {}

impl<T: FileSystem> InodeOps<T> {
    /// Whether inodes with these operations answer for their ACLs (`->get_inode_acl`), so
    /// that the VFS must not cache them (`ACL_DONT_CACHE`).
    pub(super) fn reads_acls(&self) -> bool {
        self.0.get_inode_acl.is_some()
    }

    pub(crate) const fn new<U: InodeOperations<Fs = T>>() -> Self {
        Self(
            bindings::inode_operations {
                lookup: if U::HAS_LOOKUP {
                    Some(lookup_cb::<U>)
                } else {
                    None
                },
                get_link: if U::HAS_GET_LINK {
                    Some(get_link_cb::<U>)
                } else {
                    None
                },
                permission: if U::HAS_PERMISSION {
                    Some(permission_cb::<U>)
                } else {
                    None
                },
                getattr: if U::HAS_GETATTR {
                    Some(getattr_cb::<U>)
                } else {
                    None
                },
                listxattr: if U::HAS_LISTXATTR {
                    Some(listxattr_cb::<U>)
                } else {
                    None
                },
                create: if U::HAS_CREATE {
                    Some(create_cb::<U>)
                } else {
                    None
                },
                mkdir: if U::HAS_MKDIR {
                    Some(mkdir_cb::<U>)
                } else {
                    None
                },
                mknod: if U::HAS_MKNOD {
                    Some(mknod_cb::<U>)
                } else {
                    None
                },
                symlink: if U::HAS_SYMLINK {
                    Some(symlink_cb::<U>)
                } else {
                    None
                },
                link: if U::HAS_LINK {
                    Some(link_cb::<U>)
                } else {
                    None
                },
                unlink: if U::HAS_UNLINK {
                    Some(unlink_cb::<U>)
                } else {
                    None
                },
                rmdir: if U::HAS_RMDIR {
                    Some(rmdir_cb::<U>)
                } else {
                    None
                },
                rename: if U::HAS_RENAME {
                    Some(rename_cb::<U>)
                } else {
                    None
                },
                setattr: if U::HAS_SETATTR {
                    Some(setattr_cb::<U>)
                } else {
                    None
                },
                get_inode_acl: if U::HAS_GET_INODE_ACL {
                    Some(get_inode_acl_cb::<U>)
                } else {
                    None
                },
                get_acl: if U::HAS_GET_ACL {
                    Some(get_acl_cb::<U>)
                } else {
                    None
                },
                set_acl: if U::HAS_SET_ACL {
                    Some(set_acl_cb::<U>)
                } else {
                    None
                },
                // All-zero is "no operation" for the remaining fields.
                ..pin_init::zeroed()
            },
            PhantomData,
        )
    }
}

/// # Safety
///
/// Only called by the VFS as `->lookup` of a directory inode built with these operations,
/// with `dir`'s `i_rwsem` held and `dentry` a fresh, unhashed dentry in it.
unsafe extern "C" fn lookup_cb<U: InodeOperations>(
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
    _flags: c_uint,
) -> *mut bindings::dentry {
    // SAFETY: `dir` is one of our inodes (the table is only installed on them), live for the
    // call; it is not `I_NEW` since the VFS looks names up in it. The VFS holds a reference
    // on `dentry`, a dentry of the same super block, for the call.
    let (dir, d) = unsafe {
        (
            OwnInode::<U::Fs>::from_raw(dir),
            OwnDentry::<U::Fs>::from_raw(dentry),
        )
    };
    // SAFETY: the name of a dentry under lookup cannot change: it is not hashed yet and its
    // parent is locked.
    let name = unsafe {
        let q = &(*dentry).__bindgen_anon_1.d_name;
        core::slice::from_raw_parts(q.name, q.__bindgen_anon_1.__bindgen_anon_1.len as usize)
    };
    match U::lookup(dir, d, name) {
        Err(e) => e.to_ptr(),
        Ok(inode) => {
            let inode = inode.map_or(core::ptr::null_mut(), |i| {
                // Before the dentry can be found, as overlayfs sets it (`ovl_lookup`); a
                // negative one asks for none.
                d.add_revalidation(<U::Fs as FileSystem>::revalidation(&i));
                ARef::into_raw(i).as_ptr().cast::<bindings::inode>()
            });
            // SAFETY: `d_splice_alias` consumes the inode reference (or accepts NULL) and
            // returns an ERR_PTR, NULL or a referenced alias, all valid lookup results.
            unsafe { bindings::d_splice_alias(inode, dentry) }
        }
    }
}

/// # Safety
///
/// Only called by the VFS as `->get_link` of a symlink inode built with these operations.
unsafe extern "C" fn get_link_cb<U: InodeOperations>(
    dentry: *mut bindings::dentry,
    inode: *mut bindings::inode,
    done: *mut bindings::delayed_call,
) -> *const c_char {
    // SAFETY: `dentry` is NULL in RCU walk, else one of ours, referenced for the call.
    let d = (!dentry.is_null()).then(|| unsafe { OwnDentry::<U::Fs>::from_raw(dentry) });
    // SAFETY: one of our initialised inodes, referenced for the call.
    let inode = unsafe { OwnInode::<U::Fs>::from_raw(inode) };
    // SAFETY: `done` is the VFS's slot, exclusively ours for the call.
    let done = unsafe { &mut *done.cast::<DelayedCall>() };
    match U::get_link(d, inode, done) {
        Ok(LinkTarget(p)) => p,
        Err(e) => e.to_ptr::<c_char>().cast_const(),
    }
}

/// # Safety
///
/// Only called by the VFS as `->permission` of an inode built with these operations.
unsafe extern "C" fn permission_cb<U: InodeOperations>(
    _idmap: *mut bindings::mnt_idmap,
    inode: *mut bindings::inode,
    mask: c_int,
) -> c_int {
    // SAFETY: one of our initialised inodes, referenced for the call.
    let inode = unsafe { OwnInode::<U::Fs>::from_raw(inode) };
    // CAST: the `MAY_*` bits of the C `int`, all kept.
    let mask = MayMask::from_bits(mask as u32);
    from_result(|| U::permission(inode, mask).map(|()| 0))
}

/// # Safety
///
/// Only called by the VFS as `->getattr` of an inode built with these operations.
unsafe extern "C" fn getattr_cb<U: InodeOperations>(
    _idmap: *mut bindings::mnt_idmap,
    path: *const bindings::path,
    stat: *mut bindings::kstat,
    mask: u32,
    flags: c_uint,
) -> c_int {
    // SAFETY: the VFS holds `path`, whose dentry is one of ours, for the call.
    let d = unsafe { OwnDentry::<U::Fs>::from_raw((*path).dentry) };
    // SAFETY: `stat` is the caller's buffer, exclusively ours for the call.
    let stat = unsafe { &mut *stat.cast::<Kstat>() };
    from_result(|| U::getattr(d, d.positive()?, stat, mask, flags).map(|()| 0))
}

/// # Safety
///
/// Only called by the VFS as `->listxattr`, with `buf` NULL or valid for `size` bytes.
unsafe extern "C" fn listxattr_cb<U: InodeOperations>(
    dentry: *mut bindings::dentry,
    buf: *mut c_char,
    size: usize,
) -> isize {
    // SAFETY: the VFS holds `dentry`, one of ours, for the call.
    let d = unsafe { OwnDentry::<U::Fs>::from_raw(dentry) };
    let buf = (size != 0 && !buf.is_null())
        // SAFETY: `buf` is valid for `size` bytes and exclusively ours for the call.
        .then(|| unsafe { core::slice::from_raw_parts_mut(buf.cast::<u8>(), size) });
    match d.positive().and_then(|inode| U::listxattr(d, inode, buf)) {
        Ok(n) => n as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// The arguments of a directory operation on `dentry` in `dir`.
///
/// # Safety
///
/// `dir` must be one of `T`'s initialised inodes and `dentry` one of its dentries, both
/// referenced for `'a` (the VFS holds them for the call).
unsafe fn dir_and_dentry<'a, T: FileSystem>(
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
) -> (&'a OwnInode<T>, &'a OwnDentry<T>) {
    // SAFETY: the caller's promise.
    unsafe {
        (
            OwnInode::<T>::from_raw(dir),
            OwnDentry::<T>::from_raw(dentry),
        )
    }
}

/// The arguments of an operation that makes a new object for the negative `dentry` in `dir`.
///
/// # Safety
///
/// As [`dir_and_dentry`], and `dentry` is the negative dentry the VFS passed to `create`,
/// `mkdir`, `mknod`, `symlink` or `link`, with `dir` locked.
unsafe fn dir_and_new<'a, T: FileSystem>(
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
) -> (&'a OwnInode<T>, NewDentry<'a, T>) {
    // SAFETY: the caller's promise.
    unsafe {
        (
            OwnInode::<T>::from_raw(dir),
            NewDentry::<T>::from_raw(dentry),
        )
    }
}

/// # Safety
///
/// Only called by the VFS as `->create` of one of our directories (locked), with a negative
/// `dentry` in it.
unsafe extern "C" fn create_cb<U: InodeOperations>(
    _idmap: *mut bindings::mnt_idmap,
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
    mode: bindings::umode_t,
) -> c_int {
    // SAFETY: `dir` is one of our initialised inodes and `dentry` a negative dentry held for
    // the call.
    let (dir, d) = unsafe { dir_and_new::<U::Fs>(dir, dentry) };
    from_result(|| U::create(dir, d, u32::from(mode)).map(|()| 0))
}

/// # Safety
///
/// Only called by the VFS as `->mkdir` of one of our directories (locked), with a negative
/// `dentry` in it.
unsafe extern "C" fn mkdir_cb<U: InodeOperations>(
    _idmap: *mut bindings::mnt_idmap,
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
    mode: bindings::umode_t,
) -> *mut bindings::dentry {
    // SAFETY: as in `create_cb`.
    let (dir, d) = unsafe { dir_and_new::<U::Fs>(dir, dentry) };
    match U::mkdir(dir, d, u32::from(mode)) {
        // NULL: the dentry passed in was instantiated.
        Ok(()) => core::ptr::null_mut(),
        Err(e) => e.to_ptr(),
    }
}

/// # Safety
///
/// Only called by the VFS as `->mknod` of one of our directories (locked), with a negative
/// `dentry` in it.
unsafe extern "C" fn mknod_cb<U: InodeOperations>(
    _idmap: *mut bindings::mnt_idmap,
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
    mode: bindings::umode_t,
    rdev: bindings::dev_t,
) -> c_int {
    // SAFETY: as in `create_cb`.
    let (dir, d) = unsafe { dir_and_new::<U::Fs>(dir, dentry) };
    from_result(|| U::mknod(dir, d, u32::from(mode), rdev).map(|()| 0))
}

/// # Safety
///
/// Only called by the VFS as `->symlink` of one of our directories (locked), with a negative
/// `dentry` in it and a NUL-terminated `target`.
unsafe extern "C" fn symlink_cb<U: InodeOperations>(
    _idmap: *mut bindings::mnt_idmap,
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
    target: *const c_char,
) -> c_int {
    // SAFETY: as in `create_cb`; `target` is valid for the call.
    let ((dir, d), target) = unsafe {
        (
            dir_and_new::<U::Fs>(dir, dentry),
            CStr::from_char_ptr(target),
        )
    };
    from_result(|| U::symlink(dir, d, target).map(|()| 0))
}

/// # Safety
///
/// Only called by the VFS as `->link` of one of our directories (locked), with a negative
/// `dentry` in it and `old` one of our dentries (the VFS refuses links across mounts).
unsafe extern "C" fn link_cb<U: InodeOperations>(
    old: *mut bindings::dentry,
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
) -> c_int {
    // SAFETY: all held by the VFS for the call, and all ours.
    let (old, (dir, d)) = unsafe {
        (
            OwnDentry::<U::Fs>::from_raw(old),
            dir_and_new::<U::Fs>(dir, dentry),
        )
    };
    from_result(|| U::link(old, old.positive()?, dir, d).map(|()| 0))
}

/// # Safety
///
/// Only called by the VFS as `->unlink` of one of our directories (locked).
unsafe extern "C" fn unlink_cb<U: InodeOperations>(
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
) -> c_int {
    // SAFETY: `dir` is one of our initialised inodes and `dentry` one of our dentries, held
    // for the call.
    let (dir, d) = unsafe { dir_and_dentry::<U::Fs>(dir, dentry) };
    from_result(|| U::unlink(dir, d, d.positive()?).map(|()| 0))
}

/// # Safety
///
/// Only called by the VFS as `->rmdir` of one of our directories (locked).
unsafe extern "C" fn rmdir_cb<U: InodeOperations>(
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
) -> c_int {
    // SAFETY: as in `unlink_cb`.
    let (dir, d) = unsafe { dir_and_dentry::<U::Fs>(dir, dentry) };
    from_result(|| U::rmdir(dir, d, d.positive()?).map(|()| 0))
}

/// # Safety
///
/// Only called by the VFS as `->rename` of our directories, both locked (renames never cross
/// mounts, so all four objects are ours).
unsafe extern "C" fn rename_cb<U: InodeOperations>(
    _idmap: *mut bindings::mnt_idmap,
    old_dir: *mut bindings::inode,
    old: *mut bindings::dentry,
    new_dir: *mut bindings::inode,
    new: *mut bindings::dentry,
    flags: c_uint,
) -> c_int {
    // SAFETY: all held by the VFS for the call, and all ours.
    let ((od, o), (nd, n)) = unsafe {
        (
            dir_and_dentry::<U::Fs>(old_dir, old),
            dir_and_dentry::<U::Fs>(new_dir, new),
        )
    };
    let flags = RenameFlags::from_bits(flags);
    from_result(|| U::rename(od, o, o.positive()?, nd, n, flags).map(|()| 0))
}

/// # Safety
///
/// Only called by the VFS as `->setattr` of one of our inodes, locked, with `attr` lent to
/// us for the call.
unsafe extern "C" fn setattr_cb<U: InodeOperations>(
    _idmap: *mut bindings::mnt_idmap,
    dentry: *mut bindings::dentry,
    attr: *mut bindings::iattr,
) -> c_int {
    // SAFETY: the VFS holds `dentry`, one of ours, and lends `attr` exclusively for the call.
    let (d, attr) = unsafe { (OwnDentry::<U::Fs>::from_raw(dentry), Iattr::from_raw(attr)) };
    from_result(|| U::setattr(d, d.positive()?, attr).map(|()| 0))
}

/// Hands an ACL an operation found back to the VFS: NULL for none, an `ERR_PTR` for an error;
/// the ACL's reference, if any, goes with it.
fn acl_to_raw(acl: Result<Option<ARef<PosixAcl>>>) -> *mut kernel::bindings::posix_acl {
    match acl {
        // CAST: the `kernel::bindings` stub of `struct posix_acl`, as the table names it.
        Ok(Some(acl)) => ARef::into_raw(acl)
            .as_ptr()
            .cast::<kernel::bindings::posix_acl>(),
        Ok(None) => core::ptr::null_mut(),
        Err(e) => e.to_ptr(),
    }
}

/// # Safety
///
/// Only called by the VFS as `->get_inode_acl` of an inode built with these operations: with
/// `rcu` set in RCU walk, inside its read-side critical section, the inode kept in memory but
/// not referenced; else referenced for the call.
unsafe extern "C" fn get_inode_acl_cb<U: InodeOperations>(
    inode: *mut bindings::inode,
    kind: c_int,
    rcu: bool,
) -> *mut kernel::bindings::posix_acl {
    // SAFETY: one of our initialised inodes, valid for the call (referenced, or in RCU walk
    // freed only an RCU grace period after the walk could see it).
    let inode = unsafe { OwnInode::<U::Fs>::from_raw(inode) };
    let Some(kind) = AclType::from_raw(kind) else {
        return EINVAL.to_ptr();
    };
    if !rcu {
        return acl_to_raw(U::get_inode_acl(inode, kind));
    }
    if !U::HAS_GET_INODE_ACL_RCU {
        return ECHILD.to_ptr();
    }
    // Nested in the walk's read-side critical section: it proves to the operation that one
    // is held, for as long as the borrow it returns.
    let guard = rcu::read_lock();
    match U::get_inode_acl_rcu(inode, kind, &guard) {
        // The ACL stays valid after `guard` goes: the walk's critical section, in which the
        // VFS uses it, is still held (the caller's promise). No reference is handed over, as
        // `get_cached_acl_rcu()` expects in RCU mode.
        // CAST: as in `acl_to_raw`.
        Ok(Some(acl)) => acl.as_raw().cast::<kernel::bindings::posix_acl>(),
        Ok(None) => core::ptr::null_mut(),
        Err(e) => e.to_ptr(),
    }
}

/// # Safety
///
/// Only called by the VFS as `->get_acl` of an inode built with these operations, with
/// `dentry` (positive, one of ours) referenced for the call.
unsafe extern "C" fn get_acl_cb<U: InodeOperations>(
    _idmap: *mut bindings::mnt_idmap,
    dentry: *mut bindings::dentry,
    kind: c_int,
) -> *mut kernel::bindings::posix_acl {
    // SAFETY: the VFS holds `dentry`, one of ours, for the call.
    let d = unsafe { OwnDentry::<U::Fs>::from_raw(dentry) };
    acl_to_raw(
        AclType::from_raw(kind)
            .ok_or(EINVAL)
            .and_then(|kind| U::get_acl(d, d.positive()?, kind)),
    )
}

/// # Safety
///
/// Only called by the VFS as `->set_acl` of an inode built with these operations, with
/// `dentry` (positive, one of ours) referenced and `acl` NULL or valid for the call.
unsafe extern "C" fn set_acl_cb<U: InodeOperations>(
    _idmap: *mut bindings::mnt_idmap,
    dentry: *mut bindings::dentry,
    acl: *mut kernel::bindings::posix_acl,
    kind: c_int,
) -> c_int {
    // SAFETY: the VFS holds `dentry`, one of ours, for the call.
    let d = unsafe { OwnDentry::<U::Fs>::from_raw(dentry) };
    let acl = (!acl.is_null())
        // SAFETY: the caller's ACL, referenced and not changed for the call.
        .then(|| unsafe { PosixAcl::from_raw(acl.cast::<bindings::posix_acl>()) });
    from_result(|| {
        let kind = AclType::from_raw(kind).ok_or(EINVAL)?;
        U::set_acl(d, d.positive()?, acl, kind).map(|()| 0)
    })
}
