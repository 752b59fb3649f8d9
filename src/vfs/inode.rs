// SPDX-License-Identifier: GPL-2.0

//! Inodes: the real filesystems' ones, and the stacking filesystem's own with private data.
//!
//! C headers: [`include/linux/fs.h`](srctree/include/linux/fs.h)

use super::{
    attr::{FileType, Iattr, MayMask, RenameFlags},
    bindings,
    dentry::Dentry,
    file::FileOps,
    path::Mount,
    path::PathRef,
    sb::SuperBlock,
};
use core::{cell::UnsafeCell, marker::PhantomData, ptr::NonNull};
use kernel::{
    error::{from_result, to_result, VTABLE_DEFAULT_ERROR},
    prelude::*,
    sync::aref::{ARef, AlwaysRefCounted},
    types::Opaque,
};

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

    fn raw(&self) -> &bindings::inode {
        // SAFETY: the fields read through this are either immutable after creation (mode type
        // bits, ino, sb, rdev) or read racily on purpose, as C `stat` paths do.
        unsafe { &*self.0.get() }
    }

    pub(crate) fn mode(&self) -> u32 {
        u32::from(self.raw().i_mode)
    }

    pub(crate) fn ino(&self) -> u64 {
        self.raw().i_ino
    }

    /// The size in bytes, read once as `i_size_read` does on 64-bit.
    pub(crate) fn size(&self) -> i64 {
        // SAFETY: an aligned 64-bit field, read atomically on 64-bit architectures.
        unsafe { core::ptr::read_volatile(&raw const (*self.0.get()).i_size) }
    }

    pub(crate) fn nlink(&self) -> u32 {
        // SAFETY: both union members are the same integer; read racily as `stat` does.
        unsafe { core::ptr::read_volatile(&raw const (*self.0.get()).__bindgen_anon_1.i_nlink) }
    }

    pub(crate) fn rdev(&self) -> u32 {
        self.raw().i_rdev
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
            let root = (*self.raw().i_sb).s_root;
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
        unsafe { SuperBlock::from_raw(self.raw().i_sb) }
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

/// Proof that an inode of the stacking filesystem is being destroyed: no one holds it any
/// more, but path walkers in RCU mode may still read it until it is freed.
pub(crate) struct InodeDestroying(());

/// An inode of the stacking filesystem itself, with its private data `D` beside it.
///
/// The super block's `alloc_inode` allocates these, so `container_of` leads from any inode of
/// that super block to its `InodeWith`.
///
/// # Invariants
///
/// - `key` is written only by `iget5_locked`'s `set` callback and read by its `test` callback,
///   both under `inode_hash_lock`.
/// - `data` is `Some` from the moment the inode leaves `I_NEW` until it is freed, an RCU grace
///   period after `destroy_inode` (so that RCU walkers may read it); it is written only while
///   the inode is `I_NEW` (no one else can use it).
#[repr(C)]
pub(crate) struct InodeWith<D> {
    inode: Opaque<bindings::inode>,
    key: UnsafeCell<usize>,
    data: UnsafeCell<Option<D>>,
}

// SAFETY: the inode is shareable (see `Inode`), and `D` is only shared as `&D`.
unsafe impl<D: Send + Sync> Sync for InodeWith<D> {}
// SAFETY: as above.
unsafe impl<D: Send + Sync> Send for InodeWith<D> {}

impl<D> InodeWith<D> {
    /// # Safety
    ///
    /// `ptr` must point to the `inode` field of a live `InodeWith<D>` that stays referenced
    /// for `'a`, and must not be `I_NEW`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::inode) -> &'a Self {
        // SAFETY: `inode` is the first field of a `repr(C)` struct, so the addresses agree.
        unsafe { &*ptr.cast::<Self>() }
    }

    pub(crate) fn inode(&self) -> &Inode {
        // SAFETY: the inode is valid as long as `self` is.
        unsafe { Inode::from_raw(self.inode.get()) }
    }

    /// The private data.
    pub(crate) fn data(&self) -> &D {
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
    pub(super) unsafe fn destroy(ptr: *mut bindings::inode, release: fn(&D, &InodeDestroying)) {
        let this = ptr.cast::<Self>();
        // SAFETY: `data` is no longer written (type invariant); others only read it.
        if let Some(data) = unsafe { &*(*this).data.get() } {
            release(data, &InodeDestroying(()));
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
pub(crate) enum IgetResult<D> {
    /// An inode with this key was already in the cache.
    Cached(ARef<Inode>),
    /// A new inode, locked, that the caller must initialise.
    New(NewInode<D>),
}

/// A new, locked (`I_NEW`) inode of the stacking filesystem that is not yet initialised.
///
/// Dropping it without calling [`NewInode::init`] marks it bad and releases it (`iget_failed`),
/// so no error path leaves a half-made inode in the cache.
///
/// # Invariants
///
/// `ptr` is an inode from `InodeWith::<D>::alloc` with one reference owned here: `I_NEW` and
/// hashed if `hashed`, else unhashed and reachable by nobody else.
pub(crate) struct NewInode<D> {
    ptr: NonNull<bindings::inode>,
    /// From `iget5_locked` (hashed and `I_NEW`), or from `new_inode` (neither).
    hashed: bool,
    _data: PhantomData<D>,
}

/// Allocates an inode of `sb` that is not in the inode cache (`new_inode`): for objects that
/// must not be found again by key.
///
/// # Safety
///
/// `sb`'s inodes must all be `InodeWith<D>`.
pub(super) unsafe fn new_unhashed<D>(sb: &SuperBlock) -> Result<NewInode<D>> {
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
/// `sb`'s inodes must all be `InodeWith<D>` (its `alloc_inode` is `InodeWith::<D>::alloc`).
pub(super) unsafe fn iget<D>(sb: &SuperBlock, key: usize) -> Result<IgetResult<D>> {
    // SAFETY: `sb` is live; the callbacks match the allocation per the caller's promise.
    let ptr = unsafe {
        bindings::iget5_locked(
            sb.as_raw(),
            key as u64,
            Some(InodeWith::<D>::iget_test),
            Some(InodeWith::<D>::iget_set),
            key as *mut c_void,
        )
    };
    let ptr = NonNull::new(ptr).ok_or(ENOMEM)?;
    // SAFETY: `iget5_locked` returns a referenced inode; `i_state` is read once, as
    // `inode_state_read_once()` does (a static inline in C).
    let state = unsafe { core::ptr::read_volatile(&raw const (*ptr.as_ptr()).i_state.__state) };
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
            ARef::from_raw(ptr.cast::<Inode>())
        }))
    }
}

/// How a new inode of the stacking filesystem behaves: which operation tables it gets.
pub(crate) enum InodeKind<D: 'static> {
    Directory(&'static InodeOps<D>, &'static FileOps<D>),
    Regular(&'static InodeOps<D>, &'static FileOps<D>),
    Symlink(&'static InodeOps<D>),
    /// Device nodes, fifos and sockets: the VFS's own file operations for the type.
    Special(&'static InodeOps<D>),
}

/// The attributes a new inode starts with, usually copied from the real inode below it.
pub(crate) struct InodeParams {
    pub(crate) ino: u64,
    pub(crate) mode: u16,
    pub(crate) rdev: u32,
    pub(crate) nlink: u32,
    uid: bindings::kuid_t,
    gid: bindings::kgid_t,
    size: i64,
    times: [(i64, u32); 3],
}

impl InodeParams {
    /// Copies the identity and attributes of `real`.
    pub(crate) fn copy_of(real: &Inode) -> Self {
        let r = real.raw();
        Self {
            ino: r.i_ino,
            mode: r.i_mode,
            rdev: r.i_rdev,
            // SAFETY: both union members are the same integer.
            nlink: unsafe { r.__bindgen_anon_1.i_nlink },
            uid: r.i_uid,
            gid: r.i_gid,
            size: r.i_size,
            times: [
                (r.i_atime_sec, r.i_atime_nsec),
                (r.i_mtime_sec, r.i_mtime_nsec),
                (r.i_ctime_sec, r.i_ctime_nsec),
            ],
        }
    }
}

impl<D: Send + Sync + 'static> NewInode<D> {
    /// Fills in the inode, attaches `data`, unlocks it and returns it ready for use.
    pub(crate) fn init(self, params: &InodeParams, kind: InodeKind<D>, data: D) -> ARef<Inode> {
        let ptr = self.ptr.as_ptr();
        // SAFETY: the inode is `I_NEW`, so nobody else touches its fields or data yet.
        unsafe {
            let i = &mut *ptr;
            i.i_ino = params.ino;
            i.i_mode = params.mode;
            i.i_uid = params.uid;
            i.i_gid = params.gid;
            i.i_size = params.size;
            (i.i_atime_sec, i.i_atime_nsec) = params.times[0];
            (i.i_mtime_sec, i.i_mtime_nsec) = params.times[1];
            (i.i_ctime_sec, i.i_ctime_nsec) = params.times[2];
            bindings::set_nlink(ptr, params.nlink);
            match kind {
                InodeKind::Directory(iops, fops) | InodeKind::Regular(iops, fops) => {
                    i.i_op = &iops.0;
                    i.__bindgen_anon_3.i_fop = &fops.0;
                }
                InodeKind::Symlink(iops) => i.i_op = &iops.0,
                InodeKind::Special(iops) => {
                    bindings::init_special_inode(ptr, params.mode, params.rdev);
                    i.i_op = &iops.0;
                }
            }
            set_rwsem_class(i);
            *(*ptr.cast::<InodeWith<D>>()).data.get() = Some(data);
            if self.hashed {
                bindings::unlock_new_inode(ptr);
            }
        }
        let ptr = self.ptr;
        core::mem::forget(self);
        // SAFETY: the reference from `iget5_locked` is handed over to the `ARef`; the inode is
        // initialised and unlocked.
        unsafe { ARef::from_raw(ptr.cast::<Inode>()) }
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
fn set_rwsem_class(inode: &mut bindings::inode) {
    #[cfg(CONFIG_LOCKDEP)]
    {
        // SAFETY: `i_sb` of a new inode is valid; its depth was set in `fill_super`.
        let depth = unsafe { (*inode.i_sb).s_stack_depth };
        let depth = usize::try_from(depth - 1)
            .unwrap_or(0)
            .min(I_RWSEM_CLASSES.len() - 1);
        let kind =
            usize::from(FileType::of_mode(u32::from(inode.i_mode)) == Some(FileType::Directory));
        let key = &I_RWSEM_CLASSES[depth][kind];
        let map = &mut inode.i_rwsem.dep_map;
        // SAFETY: the inode is `I_NEW` and its rwsem unused; the key is static.
        unsafe {
            bindings::lockdep_init_map_type(
                map,
                c"&inode->i_rwsem".as_char_ptr(),
                key.as_ptr(),
                0,
                map.wait_type_inner,
                map.wait_type_outer,
                map.lock_type,
            )
        };
    }
    #[cfg(not(CONFIG_LOCKDEP))]
    let _ = inode;
}

impl<D> Drop for NewInode<D> {
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

/// The attributes `getattr` returns: `struct kstat`.
#[repr(transparent)]
pub(crate) struct Kstat(Opaque<bindings::kstat>);

impl Kstat {
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

/// Fills `stat` with the attributes of the object at `path`, as `vfs_getattr` does.
pub(crate) fn getattr(path: PathRef<'_>, stat: &mut Kstat, mask: u32, flags: u32) -> Result {
    // SAFETY: `path` is valid for the call and `stat` is exclusively ours.
    to_result(unsafe { bindings::vfs_getattr(path.as_raw(), stat.0.get(), mask, flags) })
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
pub(crate) struct LinkTarget(*const c_char);

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
pub(crate) struct InodeOps<D>(bindings::inode_operations, PhantomData<D>);

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
