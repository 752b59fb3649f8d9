// SPDX-License-Identifier: GPL-2.0

//! Mounts and paths.
//!
//! C headers: [`include/linux/mount.h`](srctree/include/linux/mount.h),
//! [`include/linux/path.h`](srctree/include/linux/path.h),
//! [`include/linux/namei.h`](srctree/include/linux/namei.h)

use super::{bindings, dentry::Dentry, sb::SuperBlock};
use core::{marker::PhantomData, ptr::NonNull};
use kernel::{fs::File, prelude::*, str::CString, sync::aref::AlwaysRefCounted, types::Opaque};

/// A mounted filesystem: `struct vfsmount`.
///
/// A stacking filesystem holds a private clone of each layer's mount, so that what it sees of a
/// layer cannot be changed by later mount or umount calls in any namespace.
///
/// # Invariants
///
/// The pointer is to a valid `struct vfsmount`; `ARef<Mount>` owns one `mntget` reference.
#[repr(transparent)]
pub(crate) struct Mount(Opaque<bindings::vfsmount>);

// SAFETY: `struct vfsmount` references may be taken and dropped on any thread.
unsafe impl Send for Mount {}
// SAFETY: the fields read through `&Mount` are immutable while the mount is referenced.
unsafe impl Sync for Mount {}

// SAFETY: `mntget` and `mntput` manage the refcount of a `struct vfsmount`.
unsafe impl AlwaysRefCounted for Mount {
    fn inc_ref(&self) {
        // SAFETY: the existence of `&self` means the refcount is non-zero.
        unsafe { bindings::mntget(self.0.get()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: the caller gives up one reference, which this puts.
        unsafe { bindings::mntput(obj.cast::<bindings::vfsmount>().as_ptr()) };
    }
}

impl Mount {
    pub(crate) fn as_raw(&self) -> *mut bindings::vfsmount {
        self.0.get()
    }

    /// The root dentry of this mount.
    pub(crate) fn root(&self) -> &Dentry {
        // SAFETY: `mnt_root` is set at mount creation and pinned for the mount's lifetime.
        unsafe { Dentry::from_raw((*self.0.get()).mnt_root) }
    }

    /// The super block mounted here.
    pub(crate) fn sb(&self) -> &SuperBlock {
        // SAFETY: `mnt_sb` is set at mount creation and stays valid while the mount lives.
        unsafe { SuperBlock::from_raw((*self.0.get()).mnt_sb) }
    }

    /// Whether the mount is read-only (`__mnt_is_readonly`: the mount or its super block).
    pub(crate) fn is_readonly(&self) -> bool {
        // SAFETY: the mount is valid for the call.
        unsafe { bindings::__mnt_is_readonly(self.0.get()) }
    }

    /// Announces a write to this mount (`mnt_want_write`): fails with `EROFS` if it is
    /// read-only, and holds off freezing until the guard is dropped.
    pub(crate) fn want_write(&self) -> Result<WriteAccess<'_>> {
        // SAFETY: the mount is valid; the access is released by the guard.
        kernel::error::to_result(unsafe { bindings::mnt_want_write(self.0.get()) })?;
        Ok(WriteAccess(self))
    }

    /// The id-mapping of this mount (`mnt_idmap()`).
    pub(crate) fn idmap(&self) -> *mut bindings::mnt_idmap {
        // SAFETY: a live mount.
        unsafe { bindings::rovl_mnt_idmap(self.0.get()) }
    }

    /// Whether the mount is idmapped (`is_idmapped_mnt()`): the objects seen through it show
    /// owners other than their filesystem's.
    pub(crate) fn is_idmapped(&self) -> bool {
        // SAFETY: a live mount; its idmapping is set before it is reachable and never changes.
        unsafe { bindings::rovl_is_idmapped_mnt(self.0.get()) }
    }
}

/// Write access to a mount, from [`Mount::want_write`].
pub(crate) struct WriteAccess<'a>(&'a Mount);

impl Drop for WriteAccess<'_> {
    fn drop(&mut self) {
        // SAFETY: `mnt_want_write` succeeded when the guard was made.
        unsafe { bindings::mnt_drop_write(self.0.as_raw()) };
    }
}

/// A private, internal clone of a mount (`clone_private_mount`), rooted at the path it was
/// made from: how a stacking filesystem holds its layers.
///
/// Such a mount counts as "in a namespace", so a plain `mntput` would never free it: it is
/// released with `kern_unmount` (one at a time) or [`PrivateMount::release_all`].
///
/// # Invariants
///
/// `ptr` is a mount from `clone_private_mount` whose initial reference this owns.
pub(crate) struct PrivateMount {
    ptr: NonNull<Mount>,
}

// SAFETY: the mount may be released from any thread.
unsafe impl Send for PrivateMount {}
// SAFETY: `&PrivateMount` only gives `&Mount`, which is `Sync`.
unsafe impl Sync for PrivateMount {}

impl PrivateMount {
    /// Clones the mount at `path`, rooted at `path`'s dentry.
    ///
    /// Fails with `EINVAL` for an unbindable mount or one outside the caller's namespace, and
    /// with `EPERM` if the caller may not clone it.
    pub(crate) fn clone_of(path: &Path) -> Result<Self> {
        // SAFETY: `path.as_raw()` is a valid, referenced `struct path` for the call.
        let ptr = unsafe { bindings::clone_private_mount(path.as_raw()) };
        let ptr = NonNull::new(kernel::error::from_err_ptr(ptr)?).ok_or(ENOMEM)?;
        // INVARIANT: a new private mount, with its reference handed to us.
        Ok(Self {
            ptr: ptr.cast::<Mount>(),
        })
    }

    /// Releases many private mounts with a single RCU grace period (`kern_unmount_array`).
    pub(crate) fn release_all(mounts: KVec<PrivateMount>) {
        let mut raw = match KVec::with_capacity(mounts.len(), GFP_KERNEL) {
            Ok(v) => v,
            // Each drop waits for its own grace period: slower, still correct.
            Err(_) => return drop(mounts),
        };
        for m in mounts {
            // Capacity was reserved, so this cannot fail.
            let _ = raw.push(m.ptr.as_ptr().cast::<bindings::vfsmount>(), GFP_KERNEL);
            core::mem::forget(m);
        }
        // SAFETY: each pointer is a private mount whose reference we own (type invariant),
        // handed over here exactly once.
        unsafe { bindings::kern_unmount_array(raw.as_mut_ptr(), raw.len() as c_uint) };
    }
}

impl core::ops::Deref for PrivateMount {
    type Target = Mount;

    fn deref(&self) -> &Mount {
        // SAFETY: the mount is referenced for as long as `self` lives.
        unsafe { self.ptr.as_ref() }
    }
}

impl Drop for PrivateMount {
    fn drop(&mut self) {
        // SAFETY: our reference, released once (type invariant).
        unsafe { bindings::kern_unmount(self.ptr.as_ptr().cast::<bindings::vfsmount>()) };
    }
}

/// An owned `struct path`: a mount and a dentry on it, each with a reference.
///
/// # Invariants
///
/// `raw.mnt` and `raw.dentry` are valid and each holds one reference, put on drop.
pub(crate) struct Path {
    raw: bindings::path,
}

// SAFETY: references held by a `struct path` may be dropped on any thread.
unsafe impl Send for Path {}
// SAFETY: `&Path` gives only shared, read-only access.
unsafe impl Sync for Path {}

impl Path {
    /// Resolves `name` from the caller's root and working directory, following symlinks.
    pub(crate) fn lookup(name: &CStr) -> Result<Path> {
        let mut raw = bindings::path::default();
        // SAFETY: `name` is NUL-terminated; `raw` is valid for writes.
        kernel::error::to_result(unsafe {
            bindings::kern_path(name.as_char_ptr(), bindings::LOOKUP_FOLLOW, &mut raw)
        })?;
        // INVARIANT: `kern_path` succeeded, so `raw` holds a reference on both members.
        Ok(Path { raw })
    }

    /// Where `file` was opened (its `f_path`), with references of its own: an `O_PATH` file
    /// names a path too.
    pub(crate) fn of_file(file: &File) -> Path {
        // SAFETY: a live file's `f_path` is set when it is opened and never changes; both of
        // its members are valid while the file is.
        let raw = unsafe { (*file.as_ptr()).__bindgen_anon_1.f_path };
        // SAFETY: `raw` is a valid path (above); `path_get` takes a reference on each member.
        unsafe { bindings::path_get(&raw) };
        // INVARIANT: `path_get` took the references `Path` puts on drop.
        Path { raw }
    }

    /// The path's name as seen from the caller's root (`d_path`): `/` then the names of the
    /// mount points and directories down to it, a mount outside the caller's tree (a
    /// detached one, for example) named from its own root. Fails with `ENAMETOOLONG` if the
    /// name does not fit in `PATH_MAX` bytes.
    pub(crate) fn name(&self) -> Result<CString> {
        const LEN: usize = bindings::PATH_MAX as usize;
        let mut buf = KVec::from_elem(0u8, LEN, GFP_KERNEL)?;
        // SAFETY: `raw` is a valid path (type invariant); `buf` is writable for `LEN` bytes.
        let name = unsafe { bindings::d_path(&self.raw, buf.as_mut_ptr().cast(), LEN as c_int) };
        let name = kernel::error::from_err_ptr(name)?;
        // SAFETY: on success `d_path` returns a NUL-terminated string inside `buf`, which
        // lives until the copy below is made.
        let name = unsafe { CStr::from_char_ptr(name) };
        Ok(CString::try_from(name)?)
    }

    pub(crate) fn as_raw(&self) -> *const bindings::path {
        &self.raw
    }

    pub(crate) fn dentry(&self) -> &Dentry {
        // SAFETY: by the type invariant the dentry is referenced while `self` lives.
        unsafe { Dentry::from_raw(self.raw.dentry) }
    }
}

impl Path {
    pub(crate) fn mnt(&self) -> &Mount {
        // SAFETY: the path holds a reference on its mount (type invariant).
        unsafe { &*self.raw.mnt.cast::<Mount>() }
    }
}

impl Drop for Path {
    fn drop(&mut self) {
        // SAFETY: by the type invariant we own one reference on each member.
        unsafe { bindings::path_put(&self.raw) };
    }
}

/// A borrowed `struct path`, built from a mount and a dentry that the caller keeps alive.
///
/// # Invariants
///
/// `raw.mnt` and `raw.dentry` stay valid for `'a`.
#[derive(Clone, Copy)]
pub(crate) struct PathRef<'a> {
    raw: bindings::path,
    _borrow: PhantomData<&'a Dentry>,
}

impl<'a> PathRef<'a> {
    pub(crate) fn new(mnt: &'a Mount, dentry: &'a Dentry) -> Self {
        // INVARIANT: both are borrowed for `'a`.
        Self {
            raw: bindings::path {
                mnt: mnt.as_raw(),
                dentry: dentry.as_raw(),
            },
            _borrow: PhantomData,
        }
    }

    pub(crate) fn as_raw(&self) -> *const bindings::path {
        &self.raw
    }

    pub(crate) fn dentry(&self) -> &'a Dentry {
        // SAFETY: valid for `'a` by the type invariant.
        unsafe { Dentry::from_raw(self.raw.dentry) }
    }

    pub(crate) fn mnt(&self) -> &'a Mount {
        // SAFETY: valid for `'a` by the type invariant; `Mount` is a transparent
        // `struct vfsmount`.
        unsafe { &*self.raw.mnt.cast::<Mount>() }
    }
}
