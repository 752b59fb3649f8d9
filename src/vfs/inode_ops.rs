// SPDX-License-Identifier: GPL-2.0

//! Inode operations of the stacking filesystem: the [`InodeOperations`] trait and the
//! `struct inode_operations` trampolines that call it.
//!
//! C headers: [`include/linux/fs.h`](srctree/include/linux/fs.h)

use super::{
    attr::{Iattr, Kstat, MayMask, RenameFlags},
    bindings,
    dentry::Dentry,
    inode::{DelayedCall, Inode, LinkTarget},
    own_inode::InodeWith,
    path::{Mount, PathRef},
};
use core::marker::PhantomData;
use kernel::{
    error::{from_result, VTABLE_DEFAULT_ERROR},
    prelude::*,
    sync::aref::ARef,
};

/// Inode operations of the stacking filesystem, one implementation per kind of inode.
#[vtable]
pub(crate) trait InodeOperations: Sized {
    /// The private data of the filesystem's inodes.
    type Data: Send + Sync + 'static;

    /// Looks `name` (the name of the new `dentry`) up in `dir`; returns the inode to attach,
    /// or `None` for a negative entry.
    fn lookup(
        _dir: &InodeWith<Self::Data>,
        _dentry: &Dentry,
        _name: &[u8],
    ) -> Result<Option<ARef<Inode>>> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Resolves a symlink. `dentry` is `None` in RCU walk mode.
    fn get_link(
        _dentry: Option<&Dentry>,
        _inode: &InodeWith<Self::Data>,
        _done: &mut DelayedCall,
    ) -> Result<LinkTarget> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Checks access `mask`.
    fn permission(_inode: &InodeWith<Self::Data>, _mask: MayMask) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Reports the attributes of the object at `path`.
    fn getattr(_path: PathRef<'_>, _stat: &mut Kstat, _mask: u32, _flags: u32) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Lists extended attribute names into `buf`, or returns the size needed if `buf` is
    /// `None`.
    fn listxattr(_dentry: &Dentry, _buf: Option<&mut [u8]>) -> Result<usize> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Creates a regular file for the negative `dentry` in `dir`, and instantiates it.
    fn create(_dir: &InodeWith<Self::Data>, _dentry: &Dentry, _mode: u32) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Makes a directory for the negative `dentry` in `dir`, and instantiates it.
    fn mkdir(_dir: &InodeWith<Self::Data>, _dentry: &Dentry, _mode: u32) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Makes a device node, fifo or socket for the negative `dentry` in `dir`.
    fn mknod(_dir: &InodeWith<Self::Data>, _dentry: &Dentry, _mode: u32, _rdev: u32) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Makes a symlink to `target` for the negative `dentry` in `dir`.
    fn symlink(_dir: &InodeWith<Self::Data>, _dentry: &Dentry, _target: &CStr) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Makes the negative `dentry` in `dir` another name of `old`.
    fn link(_old: &Dentry, _dir: &InodeWith<Self::Data>, _dentry: &Dentry) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Removes the non-directory `dentry` from `dir`.
    fn unlink(_dir: &InodeWith<Self::Data>, _dentry: &Dentry) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Removes the directory `dentry` from `dir`.
    fn rmdir(_dir: &InodeWith<Self::Data>, _dentry: &Dentry) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Renames `old` in `old_dir` to `new` in `new_dir`, with `flags`.
    fn rename(
        _old_dir: &InodeWith<Self::Data>,
        _old: &Dentry,
        _new_dir: &InodeWith<Self::Data>,
        _new: &Dentry,
        _flags: RenameFlags,
    ) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// Changes attributes (`chmod`, `chown`, `utimes`, `truncate`); the inode is locked.
    fn setattr(_dentry: &Dentry, _attr: &mut Iattr) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// A `struct inode_operations` table built at compile time from an [`InodeOperations`].
#[repr(transparent)]
pub(crate) struct InodeOps<D>(pub(super) bindings::inode_operations, PhantomData<D>);

// SAFETY: the table is immutable and holds only function pointers.
unsafe impl<D> Sync for InodeOps<D> {}

impl<D: Send + Sync + 'static> InodeOps<D> {
    pub(crate) const fn new<U: InodeOperations<Data = D>>() -> Self {
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
    // call; it is not `I_NEW` since the VFS looks names up in it.
    let dir = unsafe { InodeWith::<U::Data>::from_raw(dir) };
    // SAFETY: the VFS holds a reference on `dentry` for the call.
    let d = unsafe { Dentry::from_raw(dentry) };
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
    // SAFETY: `dentry` is NULL in RCU walk, else referenced for the call.
    let d = (!dentry.is_null()).then(|| unsafe { Dentry::from_raw(dentry) });
    // SAFETY: one of our initialised inodes, referenced for the call.
    let inode = unsafe { InodeWith::<U::Data>::from_raw(inode) };
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
    let inode = unsafe { InodeWith::<U::Data>::from_raw(inode) };
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
    // SAFETY: the VFS holds `path` for the call.
    let path = unsafe {
        PathRef::new(
            &*(*path).mnt.cast::<Mount>(),
            Dentry::from_raw((*path).dentry),
        )
    };
    // SAFETY: `stat` is the caller's buffer, exclusively ours for the call.
    let stat = unsafe { &mut *stat.cast::<Kstat>() };
    from_result(|| U::getattr(path, stat, mask, flags).map(|()| 0))
}

/// # Safety
///
/// Only called by the VFS as `->listxattr`, with `buf` NULL or valid for `size` bytes.
unsafe extern "C" fn listxattr_cb<U: InodeOperations>(
    dentry: *mut bindings::dentry,
    buf: *mut c_char,
    size: usize,
) -> isize {
    // SAFETY: the VFS holds `dentry` for the call.
    let d = unsafe { Dentry::from_raw(dentry) };
    let buf = (size != 0 && !buf.is_null())
        // SAFETY: `buf` is valid for `size` bytes and exclusively ours for the call.
        .then(|| unsafe { core::slice::from_raw_parts_mut(buf.cast::<u8>(), size) });
    match U::listxattr(d, buf) {
        Ok(n) => n as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// The arguments of a directory operation on `dentry` in `dir`.
///
/// # Safety
///
/// `dir` must be one of our initialised inodes with data `D`, and both must stay referenced
/// for `'a` (the VFS holds them for the call).
unsafe fn dir_and_dentry<'a, D>(
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
) -> (&'a InodeWith<D>, &'a Dentry) {
    // SAFETY: the caller's promise.
    unsafe { (InodeWith::<D>::from_raw(dir), Dentry::from_raw(dentry)) }
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
    // SAFETY: `dir` is one of our initialised inodes and `dentry` is held, for the call.
    let (dir, d) = unsafe { dir_and_dentry::<U::Data>(dir, dentry) };
    from_result(|| U::create(dir, d, u32::from(mode)).map(|()| 0))
}

/// # Safety
///
/// Only called by the VFS as `->mkdir` of one of our directories (locked).
unsafe extern "C" fn mkdir_cb<U: InodeOperations>(
    _idmap: *mut bindings::mnt_idmap,
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
    mode: bindings::umode_t,
) -> *mut bindings::dentry {
    // SAFETY: as in `create_cb`.
    let (dir, d) = unsafe { dir_and_dentry::<U::Data>(dir, dentry) };
    match U::mkdir(dir, d, u32::from(mode)) {
        // NULL: the dentry passed in was instantiated.
        Ok(()) => core::ptr::null_mut(),
        Err(e) => e.to_ptr(),
    }
}

/// # Safety
///
/// Only called by the VFS as `->mknod` of one of our directories (locked).
unsafe extern "C" fn mknod_cb<U: InodeOperations>(
    _idmap: *mut bindings::mnt_idmap,
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
    mode: bindings::umode_t,
    rdev: bindings::dev_t,
) -> c_int {
    // SAFETY: as in `create_cb`.
    let (dir, d) = unsafe { dir_and_dentry::<U::Data>(dir, dentry) };
    from_result(|| U::mknod(dir, d, u32::from(mode), rdev).map(|()| 0))
}

/// # Safety
///
/// Only called by the VFS as `->symlink` of one of our directories (locked), with a
/// NUL-terminated `target`.
unsafe extern "C" fn symlink_cb<U: InodeOperations>(
    _idmap: *mut bindings::mnt_idmap,
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
    target: *const c_char,
) -> c_int {
    // SAFETY: as in `create_cb`; `target` is valid for the call.
    let (dir, d, target) = unsafe {
        (
            InodeWith::<U::Data>::from_raw(dir),
            Dentry::from_raw(dentry),
            CStr::from_char_ptr(target),
        )
    };
    from_result(|| U::symlink(dir, d, target).map(|()| 0))
}

/// # Safety
///
/// Only called by the VFS as `->link` of one of our directories (locked), with `old` one of
/// our dentries.
unsafe extern "C" fn link_cb<U: InodeOperations>(
    old: *mut bindings::dentry,
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
) -> c_int {
    // SAFETY: all held by the VFS for the call.
    let (old, dir, d) = unsafe {
        (
            Dentry::from_raw(old),
            InodeWith::<U::Data>::from_raw(dir),
            Dentry::from_raw(dentry),
        )
    };
    from_result(|| U::link(old, dir, d).map(|()| 0))
}

/// # Safety
///
/// Only called by the VFS as `->unlink` of one of our directories (locked).
unsafe extern "C" fn unlink_cb<U: InodeOperations>(
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
) -> c_int {
    // SAFETY: as in `create_cb`.
    let (dir, d) = unsafe { dir_and_dentry::<U::Data>(dir, dentry) };
    from_result(|| U::unlink(dir, d).map(|()| 0))
}

/// # Safety
///
/// Only called by the VFS as `->rmdir` of one of our directories (locked).
unsafe extern "C" fn rmdir_cb<U: InodeOperations>(
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
) -> c_int {
    // SAFETY: as in `create_cb`.
    let (dir, d) = unsafe { dir_and_dentry::<U::Data>(dir, dentry) };
    from_result(|| U::rmdir(dir, d).map(|()| 0))
}

/// # Safety
///
/// Only called by the VFS as `->rename` of our directories, both locked.
unsafe extern "C" fn rename_cb<U: InodeOperations>(
    _idmap: *mut bindings::mnt_idmap,
    old_dir: *mut bindings::inode,
    old: *mut bindings::dentry,
    new_dir: *mut bindings::inode,
    new: *mut bindings::dentry,
    flags: c_uint,
) -> c_int {
    // SAFETY: all held by the VFS for the call; the directories are ours.
    let (od, o, nd, n) = unsafe {
        (
            InodeWith::<U::Data>::from_raw(old_dir),
            Dentry::from_raw(old),
            InodeWith::<U::Data>::from_raw(new_dir),
            Dentry::from_raw(new),
        )
    };
    from_result(|| U::rename(od, o, nd, n, RenameFlags::from_bits(flags)).map(|()| 0))
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
    // SAFETY: the VFS holds `dentry` and lends `attr` exclusively for the call.
    let (d, attr) = unsafe { (Dentry::from_raw(dentry), Iattr::from_raw(attr)) };
    from_result(|| U::setattr(d, attr).map(|()| 0))
}
