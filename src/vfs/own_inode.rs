// SPDX-License-Identifier: GPL-2.0

//! The stacking filesystem's own inodes: allocated with its private data beside them, found
//! again by key (`iget5_locked`) or made unhashed, and initialised while `I_NEW`.
//!
//! C headers: [`include/linux/fs.h`](srctree/include/linux/fs.h)

use super::{
    attr::{FileType, InodeParams},
    bindings,
    file::FileOps,
    fs_type::FileSystem,
    inode::Inode,
    inode_ops::InodeOps,
    sb::{OwnSuperBlock, SuperBlock},
};
use core::{cell::UnsafeCell, marker::PhantomData, ptr::NonNull};
use kernel::{
    prelude::*,
    sync::aref::{ARef, AlwaysRefCounted},
    types::Opaque,
};

/// Proof that an inode of the stacking filesystem is being destroyed: no one holds it any
/// more, but path walkers in RCU mode may still read it until it is freed.
pub(crate) struct InodeDestroying(());

/// An inode of the stacking filesystem `T` itself, with its private data beside it.
///
/// The super block's `alloc_inode` allocates these, so `container_of` leads from any inode of
/// that super block to its `OwnInode`. The type says whose inode it is: an `&OwnInode<T>` is
/// only made where the C side guarantees a `T` inode (an operation of `T`'s tables, a dentry
/// or file of `T`), so its data and its super block's data need no run-time check.
///
/// # Invariants
///
/// - The inode belongs to a super block of `T` (whose `s_fs_info` is set, see
///   [`OwnSuperBlock`]).
/// - `key` is written only by `iget5_locked`'s `set` callback and read by its `test` callback,
///   both under `inode_hash_lock`.
/// - `data` is `Some` from the moment the inode leaves `I_NEW` until it is freed, an RCU grace
///   period after `destroy_inode` (so that RCU walkers may read it); it is written only while
///   the inode is `I_NEW` (no one else can use it).
#[repr(C)]
pub(crate) struct OwnInode<T: FileSystem> {
    inode: Opaque<bindings::inode>,
    key: UnsafeCell<usize>,
    data: UnsafeCell<Option<T::InodeData>>,
}

// SAFETY: the inode is shareable (see `Inode`), and its data is only shared as `&`.
unsafe impl<T: FileSystem> Sync for OwnInode<T> {}
// SAFETY: as above.
unsafe impl<T: FileSystem> Send for OwnInode<T> {}

// SAFETY: the same reference count as `Inode`'s.
unsafe impl<T: FileSystem> AlwaysRefCounted for OwnInode<T> {
    fn inc_ref(&self) {
        self.inode().inc_ref();
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: the caller gives up one reference; `inode` is the first field.
        unsafe { Inode::dec_ref(obj.cast::<Inode>()) };
    }
}

impl<T: FileSystem> OwnInode<T> {
    /// # Safety
    ///
    /// `ptr` must point to the `inode` field of a live `OwnInode<T>` that stays referenced
    /// for `'a`, and must not be `I_NEW`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::inode) -> &'a Self {
        // SAFETY: `inode` is the first field of a `repr(C)` struct, so the addresses agree.
        unsafe { &*ptr.cast::<Self>() }
    }

    pub(crate) fn inode(&self) -> &Inode {
        // SAFETY: the inode is valid as long as `self` is.
        unsafe { Inode::from_raw(self.inode.get()) }
    }

    /// The super block, one of `T`'s.
    pub(crate) fn sb(&self) -> &OwnSuperBlock<T> {
        // SAFETY: by the type invariant the inode's super block is one of `T`'s, set up; it
        // outlives its inodes.
        unsafe { OwnSuperBlock::from_raw(self.inode().sb().as_raw()) }
    }

    /// The data of the mount the inode belongs to.
    pub(crate) fn fs(&self) -> &T::Data {
        self.sb().data()
    }

    /// The private data.
    pub(crate) fn data(&self) -> &T::InodeData {
        // SAFETY: by the type invariant `data` is `Some` and not written while the inode can
        // be reached by anyone but its creator or evictor.
        match unsafe { &*self.data.get() } {
            Some(d) => d,
            None => unreachable!(),
        }
    }

    /// Allocates an inode for `alloc_inode`, with no data yet.
    pub(super) fn alloc() -> *mut bindings::inode {
        let Ok(b) = KBox::new(
            Self {
                inode: Opaque::uninit(),
                key: UnsafeCell::new(0),
                data: UnsafeCell::new(None),
            },
            GFP_KERNEL,
        ) else {
            return core::ptr::null_mut();
        };
        let ptr = KBox::into_raw(b);
        // SAFETY: `ptr` is a fresh allocation; `inode_init_once` initialises the whole inode.
        unsafe { bindings::inode_init_once(ptr.cast::<bindings::inode>()) };
        ptr.cast::<bindings::inode>()
    }

    /// Lets the private data give up its references as the inode is destroyed; the data
    /// stays readable by RCU walkers until [`Self::free`].
    ///
    /// # Safety
    ///
    /// `ptr` must be an inode from [`Self::alloc`] in `destroy_inode`.
    pub(super) unsafe fn destroy(ptr: *mut bindings::inode) {
        let this = ptr.cast::<Self>();
        // SAFETY: `data` is no longer written (type invariant); others only read it.
        if let Some(data) = unsafe { &*(*this).data.get() } {
            T::destroy_inode(data, &InodeDestroying(()));
        }
    }

    /// Frees an inode from [`Self::alloc`]; called from `free_inode` after an RCU grace period.
    ///
    /// # Safety
    ///
    /// `ptr` must be an inode from [`Self::alloc`] that the VFS is done with.
    pub(super) unsafe fn free(ptr: *mut bindings::inode) {
        // SAFETY: `ptr` came from `KBox::into_raw` in `alloc`, and this is its last use.
        drop(unsafe { KBox::from_raw(ptr.cast::<Self>()) });
    }

    /// # Safety
    ///
    /// Only called by `iget5_locked` for inodes of a super block whose inodes are all `Self`.
    unsafe extern "C" fn iget_test(inode: *mut bindings::inode, key: *mut c_void) -> c_int {
        // SAFETY: all inodes hashed in our super block come from `alloc`; `key` is read under
        // `inode_hash_lock` (type invariant).
        let stored = unsafe { *(*inode.cast::<Self>()).key.get() };
        c_int::from(stored == key as usize)
    }

    /// # Safety
    ///
    /// Only called by `iget5_locked` for a new inode of a super block whose inodes are all
    /// `Self`.
    unsafe extern "C" fn iget_set(inode: *mut bindings::inode, key: *mut c_void) -> c_int {
        // SAFETY: as in `iget_test`; the `I_NEW` inode is ours alone.
        unsafe { *(*inode.cast::<Self>()).key.get() = key as usize };
        0
    }
}

/// What `SuperBlock::iget` found.
pub(crate) enum IgetResult<T: FileSystem> {
    /// An inode with this key was already in the cache.
    Cached(ARef<OwnInode<T>>),
    /// A new inode, locked, that the caller must initialise.
    New(NewInode<T>),
}

/// A new, locked (`I_NEW`) inode of the stacking filesystem that is not yet initialised.
///
/// Dropping it without calling [`NewInode::init`] marks it bad and releases it (`iget_failed`),
/// so no error path leaves a half-made inode in the cache.
///
/// # Invariants
///
/// `ptr` is an inode from `OwnInode::<T>::alloc` with one reference owned here: `I_NEW` and
/// hashed if `hashed`, else unhashed and reachable by nobody else.
pub(crate) struct NewInode<T: FileSystem> {
    ptr: NonNull<bindings::inode>,
    /// From `iget5_locked` (hashed and `I_NEW`), or from `new_inode` (neither).
    hashed: bool,
    _data: PhantomData<T>,
}

/// Allocates an inode of `sb` that is not in the inode cache (`new_inode`): for objects that
/// must not be found again by key.
///
/// # Safety
///
/// `sb` must be one of `T`'s super blocks.
pub(super) unsafe fn new_unhashed<T: FileSystem>(sb: &SuperBlock) -> Result<NewInode<T>> {
    // SAFETY: `sb` is live.
    let ptr = NonNull::new(unsafe { bindings::new_inode(sb.as_raw()) }).ok_or(ENOMEM)?;
    // INVARIANT: a fresh inode, referenced once, that nobody else can reach yet.
    Ok(NewInode {
        ptr,
        hashed: false,
        _data: PhantomData,
    })
}

/// Looks up or allocates the inode for `key` in `sb`'s inode cache.
///
/// # Safety
///
/// `sb` must be one of `T`'s super blocks (its `alloc_inode` is `OwnInode::<T>::alloc`).
pub(super) unsafe fn iget<T: FileSystem>(sb: &SuperBlock, key: usize) -> Result<IgetResult<T>> {
    // SAFETY: `sb` is live; the callbacks match the allocation per the caller's promise.
    let ptr = unsafe {
        bindings::iget5_locked(
            sb.as_raw(),
            key as u64,
            Some(OwnInode::<T>::iget_test),
            Some(OwnInode::<T>::iget_set),
            key as *mut c_void,
        )
    };
    let ptr = NonNull::new(ptr).ok_or(ENOMEM)?;
    // SAFETY: `iget5_locked` returns a referenced inode.
    let state = unsafe { bindings::rovl_inode_state_read_once(ptr.as_ptr()) };
    let is_new = state & bindings::inode_state_flags_enum_I_NEW != 0;
    if is_new {
        // INVARIANT: a new inode from our super block, referenced and locked.
        Ok(IgetResult::New(NewInode {
            ptr,
            hashed: true,
            _data: PhantomData,
        }))
    } else {
        // SAFETY: the reference from `iget5_locked` is handed to the `ARef`.
        Ok(IgetResult::Cached(unsafe {
            ARef::from_raw(ptr.cast::<OwnInode<T>>())
        }))
    }
}

/// How a new inode of the stacking filesystem behaves: which operation tables it gets.
pub(crate) enum InodeKind<T: FileSystem> {
    Directory(&'static InodeOps<T>, &'static FileOps<T>),
    Regular(&'static InodeOps<T>, &'static FileOps<T>),
    Symlink(&'static InodeOps<T>),
    /// Device nodes, fifos and sockets: the VFS's own file operations for the type.
    Special(&'static InodeOps<T>),
}

impl<T: FileSystem> NewInode<T> {
    /// Fills in the inode, attaches `data`, unlocks it and returns it ready for use.
    pub(crate) fn init(
        self,
        params: &InodeParams,
        kind: InodeKind<T>,
        data: T::InodeData,
    ) -> ARef<OwnInode<T>> {
        let i = self.ptr.as_ptr();
        // SAFETY: the inode is `I_NEW`, so nobody else reads the fields written here or its
        // data yet. Others may already take its `i_lock` and test its `i_state` (to wait for
        // `I_NEW` to clear), so the fields are written through the raw pointer: no reference
        // to the whole inode is made.
        unsafe {
            (*i).i_ino = params.ino;
            (*i).i_mode = params.mode;
            (*i).i_uid = params.uid;
            (*i).i_gid = params.gid;
            (*i).i_size = params.size;
            ((*i).i_atime_sec, (*i).i_atime_nsec) = params.times[0];
            ((*i).i_mtime_sec, (*i).i_mtime_nsec) = params.times[1];
            ((*i).i_ctime_sec, (*i).i_ctime_nsec) = params.times[2];
            bindings::set_nlink(i, params.nlink);
            let iops = match kind {
                InodeKind::Directory(iops, fops) | InodeKind::Regular(iops, fops) => {
                    (*i).__bindgen_anon_3.i_fop = &fops.0;
                    iops
                }
                InodeKind::Symlink(iops) => iops,
                InodeKind::Special(iops) => {
                    bindings::init_special_inode(i, params.mode, params.rdev);
                    iops
                }
            };
            (*i).i_op = &iops.0;
            if iops.reads_acls() {
                // The ACLs are another filesystem's, which may change them without this inode
                // knowing: the VFS must ask for them every time, not keep a copy (overlayfs's
                // `ovl_fill_inode()` does the same).
                let dont_cache =
                    bindings::rovl_acl_dont_cache().cast::<kernel::bindings::posix_acl>();
                (*i).i_acl = dont_cache;
                (*i).i_default_acl = dont_cache;
            }
            set_rwsem_class(i);
            *(*i.cast::<OwnInode<T>>()).data.get() = Some(data);
            if self.hashed {
                bindings::unlock_new_inode(i);
            }
        }
        let ptr = self.ptr;
        core::mem::forget(self);
        // SAFETY: the reference from `iget5_locked` is handed over to the `ARef`; the inode is
        // initialised and unlocked.
        unsafe { ARef::from_raw(ptr.cast::<OwnInode<T>>()) }
    }
}

/// Lock classes for the `i_rwsem` of a stacking filesystem's inodes, one per stacking depth
/// and kind (directories, others).
///
/// A stacking filesystem takes the real inode's `i_rwsem` while holding its own; when it is
/// stacked on itself both belong to the same filesystem type, so lockdep must be told they
/// are different classes or it reports recursive locking.
#[cfg(CONFIG_LOCKDEP)]
static I_RWSEM_CLASSES: [[kernel::sync::LockClassKey; 2]; super::sb::MAX_STACK_DEPTH as usize] =
    [[static_key(), static_key()], [static_key(), static_key()]];

/// A lock class key for [`I_RWSEM_CLASSES`].
#[cfg(CONFIG_LOCKDEP)]
const fn static_key() -> kernel::sync::LockClassKey {
    // SAFETY: only used to initialise `I_RWSEM_CLASSES`, a static: pinned for ever, never
    // dropped.
    unsafe { kernel::sync::LockClassKey::new_static() }
}

/// Gives a new inode's `i_rwsem` the lock class of its stacking depth, as
/// `lockdep_set_class()` does.
///
/// # Safety
///
/// `inode` must be a new (`I_NEW`) inode whose `i_rwsem` nobody uses yet.
unsafe fn set_rwsem_class(inode: *mut bindings::inode) {
    #[cfg(CONFIG_LOCKDEP)]
    {
        // SAFETY: `i_sb` of a new inode is valid; its depth was set in `fill_super`. The mode
        // was set by `NewInode::init`, which owns the new inode's fields.
        let (depth, mode) = unsafe { ((*(*inode).i_sb).s_stack_depth, (*inode).i_mode) };
        let depth = usize::try_from(depth - 1)
            .unwrap_or(0)
            .min(I_RWSEM_CLASSES.len() - 1);
        let kind = usize::from(FileType::of_mode(u32::from(mode)) == Some(FileType::Directory));
        let key = &I_RWSEM_CLASSES[depth][kind];
        // SAFETY: per the function's contract the rwsem is unused; the key is static.
        unsafe {
            let map = &raw mut (*inode).i_rwsem.dep_map;
            bindings::lockdep_init_map_type(
                map,
                c"&inode->i_rwsem".as_char_ptr(),
                key.as_ptr(),
                0,
                (*map).wait_type_inner,
                (*map).wait_type_outer,
                (*map).lock_type,
            )
        };
    }
    #[cfg(not(CONFIG_LOCKDEP))]
    let _ = inode;
}

impl<T: FileSystem> Drop for NewInode<T> {
    fn drop(&mut self) {
        if self.hashed {
            // SAFETY: an uninitialised `I_NEW` inode we own: `iget_failed` marks it bad,
            // unlocks and puts it. Its data is still `None`.
            unsafe { bindings::iget_failed(self.ptr.as_ptr()) };
        } else {
            // SAFETY: an unhashed inode only we reference; its data is still `None`.
            unsafe { bindings::iput(self.ptr.as_ptr()) };
        }
    }
}
