// SPDX-License-Identifier: GPL-2.0

//! Directory entries, and their revalidation by path walk.
//!
//! C headers: [`include/linux/dcache.h`](srctree/include/linux/dcache.h),
//! [`include/linux/namei.h`](srctree/include/linux/namei.h)

use super::{
    bindings,
    fs_type::FileSystem,
    inode::Inode,
    own_inode::OwnInode,
    sb::{OwnSuperBlock, SuperBlock},
};
use core::{marker::PhantomData, ptr::NonNull};
use kernel::{
    prelude::*,
    sync::aref::{ARef, AlwaysRefCounted},
    types::Opaque,
};

/// A directory entry: `struct dentry`, of any filesystem (in practice a real layer's; the
/// stacking filesystem's own dentries are [`OwnDentry`]).
///
/// A dentry names an inode (a positive dentry) or records that a name does not exist (a
/// negative one). Its inode, once set, stays set while the dentry is referenced, except that
/// unlink may turn a positive dentry negative; callers only read `d_inode` of dentries whose
/// parent they hold or that they have just looked up, as the C stacking filesystems do.
///
/// # Invariants
///
/// The pointer is to a valid `struct dentry`; `ARef<Dentry>` owns one `d_lockref` reference.
#[repr(transparent)]
pub(crate) struct Dentry(Opaque<bindings::dentry>);

// SAFETY: dentry references may be taken and dropped on any thread.
unsafe impl Send for Dentry {}
// SAFETY: the methods on `&Dentry` only read fields that are stable or read atomically.
unsafe impl Sync for Dentry {}

// SAFETY: `dget` and `dput` manage the dentry's refcount.
unsafe impl AlwaysRefCounted for Dentry {
    fn inc_ref(&self) {
        // SAFETY: `&self` proves the refcount is non-zero.
        unsafe { bindings::rovl_dget(self.0.get()) };
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: the caller gives up one reference, which this puts.
        unsafe { bindings::dput(obj.cast::<bindings::dentry>().as_ptr()) };
    }
}

kernel::impl_flags!(
    /// The revalidation a dentry asks of path walk: its `DCACHE_OP_REVALIDATE` and
    /// `DCACHE_OP_WEAK_REVALIDATE` bits.
    ///
    /// Path walk calls `->d_revalidate` on a dentry it finds by name, and
    /// `->d_weak_revalidate` on the dentry a walk ends on after a jump (into a mount, to `/`,
    /// through `..` or a `/proc` magic link), only if the dentry has the bit: a dentry without
    /// them costs nothing. The bits live in each dentry's `d_flags`, so dentries of one
    /// filesystem may differ.
    #[derive(Clone, Copy, PartialEq, Eq)]
    pub(crate) struct Revalidation(u32);

    /// One kind of revalidation.
    #[derive(Clone, Copy, PartialEq, Eq)]
    pub(crate) enum Revalidate {
        /// `->d_revalidate`, when path walk finds the dentry by name (`DCACHE_OP_REVALIDATE`).
        Lookup = bindings::dentry_flags_DCACHE_OP_REVALIDATE,
        /// `->d_weak_revalidate`, at the end of a walk that jumped
        /// (`DCACHE_OP_WEAK_REVALIDATE`).
        Weak = bindings::dentry_flags_DCACHE_OP_WEAK_REVALIDATE,
    }
);

/// The flags of a path walk step (`LOOKUP_*`) as `->d_revalidate` and `->d_weak_revalidate`
/// get them, to be handed on unchanged to the revalidation of a dentry below.
///
/// # Invariants
///
/// If `LOOKUP_RCU` is set, path walk is in RCU mode for all of `'a`: the holder runs inside
/// the walk's RCU read-side critical section and must not sleep; the dentry being revalidated
/// is not referenced, only kept in memory by RCU, and so are its inode and what the inode
/// holds (see [`InodeDentry`]). Otherwise path walk is in ref-walk mode: the dentry is
/// referenced, so its inode and what that holds, and sleeping is allowed.
#[derive(Clone, Copy)]
pub(crate) struct LookupFlags<'a> {
    bits: c_uint,
    _walk: PhantomData<&'a ()>,
}

impl LookupFlags<'_> {
    /// # Safety
    ///
    /// `bits` must be the flags the VFS passed to `->d_revalidate` or `->d_weak_revalidate`,
    /// and the result must not outlive that call.
    pub(super) unsafe fn from_raw(bits: c_uint) -> Self {
        // INVARIANT: the VFS sets `LOOKUP_RCU` exactly when it calls in RCU walk.
        Self {
            bits,
            _walk: PhantomData,
        }
    }

    /// Whether path walk is in RCU mode (`LOOKUP_RCU`): nothing may sleep, take a reference
    /// or a sleeping lock, and `ECHILD` asks the VFS to walk again in ref-walk mode.
    pub(crate) fn is_rcu(self) -> bool {
        self.bits & bindings::LOOKUP_RCU != 0
    }
}

/// What kind of object a positive dentry names, from its `d_flags`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum DentryType {
    Negative,
    Whiteout,
    Directory,
    Regular,
    Special,
    Symlink,
}

impl Dentry {
    /// # Safety
    ///
    /// `ptr` must point to a valid dentry that stays referenced for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::dentry) -> &'a Dentry {
        // SAFETY: `Dentry` is a transparent wrapper; validity is the caller's promise.
        unsafe { &*ptr.cast::<Dentry>() }
    }

    /// Takes over one reference the caller owns on `ptr`.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid dentry on which the caller owns a reference.
    pub(crate) unsafe fn from_raw_owned(ptr: NonNull<bindings::dentry>) -> ARef<Dentry> {
        // SAFETY: the reference is handed over, per the caller's promise.
        unsafe { ARef::from_raw(ptr.cast::<Dentry>()) }
    }

    pub(crate) fn as_raw(&self) -> *mut bindings::dentry {
        self.0.get()
    }

    /// The inode this dentry names, or `None` for a negative dentry.
    pub(crate) fn inode(&self) -> Option<&Inode> {
        // SAFETY: `d_inode` is read once; a positive dentry's inode is referenced by the dentry
        // for as long as the dentry is, which outlives the returned borrow.
        let ptr = unsafe { core::ptr::read_volatile(&raw const (*self.0.get()).d_inode) };
        // SAFETY: see above.
        (!ptr.is_null()).then(|| unsafe { Inode::from_raw(ptr) })
    }

    /// Whether the dentry names an object (it may have been removed meanwhile).
    pub(crate) fn is_positive(&self) -> bool {
        self.inode().is_some()
    }

    /// The type recorded in `d_flags`.
    pub(crate) fn kind(&self) -> DentryType {
        // SAFETY: `d_flags` is a plain integer; the type bits are read once, as in C.
        let flags = unsafe { core::ptr::read_volatile(&raw const (*self.0.get()).d_flags) };
        match flags & bindings::dentry_flags_DCACHE_ENTRY_TYPE {
            bindings::dentry_flags_DCACHE_MISS_TYPE => DentryType::Negative,
            bindings::dentry_flags_DCACHE_WHITEOUT_TYPE => DentryType::Whiteout,
            bindings::dentry_flags_DCACHE_DIRECTORY_TYPE
            | bindings::dentry_flags_DCACHE_AUTODIR_TYPE => DentryType::Directory,
            bindings::dentry_flags_DCACHE_REGULAR_TYPE => DentryType::Regular,
            bindings::dentry_flags_DCACHE_SYMLINK_TYPE => DentryType::Symlink,
            _ => DentryType::Special,
        }
    }

    pub(crate) fn is_dir(&self) -> bool {
        self.kind() == DentryType::Directory
    }

    /// The parent directory (the dentry itself for a filesystem root), as `dget_parent`.
    pub(crate) fn parent(&self) -> ARef<Dentry> {
        // SAFETY: `self` is referenced; `dget_parent` returns a referenced dentry.
        let p = unsafe { bindings::dget_parent(self.0.get()) };
        // SAFETY: `dget_parent` never returns NULL for a live dentry, and hands us a reference.
        unsafe { Dentry::from_raw_owned(NonNull::new_unchecked(p)) }
    }

    /// A copy of the dentry's name, taken as `take_dentry_name_snapshot` does, so that a
    /// concurrent rename cannot tear it.
    pub(crate) fn name(&self) -> Result<KVec<u8>> {
        let mut snap = bindings::name_snapshot::default();
        // SAFETY: the dentry is referenced; the snapshot is released below.
        unsafe { bindings::take_dentry_name_snapshot(&mut snap, self.0.get()) };
        // SAFETY: a snapshot's name is valid for its length until released.
        let bytes = unsafe {
            let q = &snap.name;
            core::slice::from_raw_parts(q.name, q.__bindgen_anon_1.__bindgen_anon_1.len as usize)
        };
        let mut v = KVec::new();
        let r = v.extend_from_slice(bytes, GFP_KERNEL);
        // SAFETY: taken above, released once.
        unsafe { bindings::release_dentry_name_snapshot(&mut snap) };
        r?;
        Ok(v)
    }

    /// Unhashes the dentry (`d_drop`), so the next path walk looks the name up afresh.
    pub(crate) fn drop_from_cache(&self) {
        // SAFETY: the dentry is referenced; `d_drop` takes `d_lock` itself.
        unsafe { bindings::d_drop(self.0.get()) };
    }

    /// The revalidation this dentry asks of path walk.
    pub(crate) fn revalidation(&self) -> Revalidation {
        // SAFETY: `d_flags` is a plain integer, read once, as path walk reads it.
        let flags = unsafe { core::ptr::read_volatile(&raw const (*self.0.get()).d_flags) };
        Revalidation(flags & Revalidation::all_bits())
    }

    /// Asks the dentry's filesystem whether the dentry is still valid, as path walk does on
    /// finding it by name (`->d_revalidate`, with its parent directory and name), in the mode
    /// `flags` says: `Ok(true)` valid, `Ok(false)` no longer valid (see [`Self::invalidate`]),
    /// `ECHILD` in RCU walk: ask again in ref-walk. A dentry that does not ask for it
    /// ([`Revalidate::Lookup`]) is valid.
    ///
    /// In RCU walk, `self` need not be referenced, only kept in memory by the walk's RCU read
    /// lock, as what an [`InodeDentry`] holds is.
    pub(crate) fn revalidate(&self, flags: LookupFlags<'_>) -> Result<bool> {
        if !self.revalidation().contains(Revalidate::Lookup) {
            return Ok(true);
        }
        let d = self.0.get();
        // SAFETY: a dentry's `d_op` is set before it can be found and never changes; the
        // `DCACHE_OP_REVALIDATE` bit is only set on dentries whose operations have
        // `d_revalidate`.
        let Some(revalidate) = (unsafe { (*(*d).d_op).d_revalidate }) else {
            return Ok(true);
        };
        let mut name = bindings::name_snapshot::default();
        let ret = if flags.is_rcu() {
            // SAFETY: in RCU walk (type invariant of `LookupFlags`) the parent's memory, and
            // its inode's, stay valid until the walk drops its RCU read lock: both are freed
            // an RCU grace period after they go. They are read once, as `d_inode_rcu`.
            let dir = unsafe {
                let parent = core::ptr::read_volatile(&raw const (*d).d_parent);
                core::ptr::read_volatile(&raw const (*parent).d_inode)
            };
            if dir.is_null() {
                // A parent going away: let ref-walk see.
                return Err(ECHILD);
            }
            // SAFETY: as above for `d`; the name pointer is read once and only compared.
            let inline = unsafe {
                let name = core::ptr::read_volatile(&raw const (*d).__bindgen_anon_1.d_name.name);
                core::ptr::eq(name, (&raw const (*d).d_shortname.string).cast())
            };
            if !inline {
                // A name too long to live in the dentry is a separate allocation, which
                // `take_dentry_name_snapshot` takes a reference on, and waits for as long
                // as it has none: for ever on a dentry being freed, which RCU walk may meet
                // (its inode let go of it, see `InodeDentry`). overlayfs takes that chance;
                // ref-walk, where the dentry is referenced, need not. (What is left: a rename
                // to a long name, then the dentry's end, both between here and the snapshot.)
                return Err(ECHILD);
            }
            // SAFETY: `d` stays in memory (see above); the snapshot of a name kept in the
            // dentry is taken without sleeping or waiting on a reference (under RCU and
            // `d_seq`), so that a rename cannot tear it, and released after the call. The
            // filesystem's `d_revalidate` is called as path walk calls it, in RCU walk with
            // `LOOKUP_RCU` set.
            unsafe {
                bindings::take_dentry_name_snapshot(&mut name, d);
                let ret = revalidate(dir, &name.name, d, flags.bits);
                bindings::release_dentry_name_snapshot(&mut name);
                ret
            }
        } else {
            // A reference on the parent keeps its inode for the call.
            let parent = self.parent();
            let dir = parent.inode().map_or(core::ptr::null_mut(), Inode::as_raw);
            // SAFETY: outside RCU walk `self` is referenced, as a `&Dentry` is (only RCU
            // walkers read unreferenced ones, see `InodeDentry`), its parent too (above);
            // sleeping is allowed (type invariant of `LookupFlags`). The name snapshot is
            // released after the call.
            unsafe {
                bindings::take_dentry_name_snapshot(&mut name, d);
                let ret = revalidate(dir, &name.name, d, flags.bits);
                bindings::release_dentry_name_snapshot(&mut name);
                ret
            }
        };
        match ret {
            1.. => Ok(true),
            0 => Ok(false),
            e => Err(Error::from_errno(e)),
        }
    }

    /// Asks the dentry's filesystem whether the dentry a path walk ended on is still valid
    /// (`->d_weak_revalidate`): `Ok(true)` valid, `Ok(false)` not (the walk fails with
    /// `ESTALE`). A dentry that does not ask for it ([`Revalidate::Weak`]) is valid. As
    /// [`Self::revalidate`], in RCU walk `self` need only be kept in memory by RCU.
    pub(crate) fn weak_revalidate(&self, flags: LookupFlags<'_>) -> Result<bool> {
        if !self.revalidation().contains(Revalidate::Weak) {
            return Ok(true);
        }
        let d = self.0.get();
        // SAFETY: as in `revalidate`, for `DCACHE_OP_WEAK_REVALIDATE` and `d_weak_revalidate`.
        let Some(revalidate) = (unsafe { (*(*d).d_op).d_weak_revalidate }) else {
            return Ok(true);
        };
        // SAFETY: `d` is referenced, or in RCU walk kept in memory by RCU and called with
        // `LOOKUP_RCU` (type invariant of `LookupFlags`), as path walk calls it.
        match unsafe { revalidate(d, flags.bits) } {
            1.. => Ok(true),
            0 => Ok(false),
            e => Err(Error::from_errno(e)),
        }
    }

    /// Unhashes the dentry and the tree below it (`d_invalidate`), as path walk does with a
    /// dentry its filesystem says is no longer valid, so that the next lookup of its name
    /// makes a new one. In RCU walk (`flags`) it does nothing: that needs a reference and may
    /// sleep, so it is left to the ref-walk that follows.
    pub(crate) fn invalidate(&self, flags: LookupFlags<'_>) {
        if flags.is_rcu() {
            return;
        }
        // SAFETY: outside RCU walk `self` is referenced, as a `&Dentry` is (only RCU walkers
        // read unreferenced ones, see `InodeDentry`), and sleeping is allowed (type invariant
        // of `LookupFlags`).
        unsafe { bindings::d_invalidate(self.0.get()) };
    }

    /// The super block this dentry belongs to.
    pub(crate) fn sb(&self) -> &SuperBlock {
        // SAFETY: `d_sb` is set at allocation and never changes.
        unsafe { SuperBlock::from_raw((*self.0.get()).d_sb) }
    }

    /// The dentry that holds the data of a stacked object, as `d_real()` answers.
    ///
    /// For a dentry of a filesystem that does not stack, this is the dentry itself.
    pub(crate) fn real(&self, metadata: bool) -> &Dentry {
        let kind = if metadata {
            bindings::d_real_type_D_REAL_METADATA
        } else {
            bindings::d_real_type_D_REAL_DATA
        };
        // SAFETY: `d_flags` and `d_op` are stable for a live dentry once it is instantiated.
        unsafe {
            let d = self.0.get();
            if (*d).d_flags & bindings::dentry_flags_DCACHE_OP_REAL == 0 {
                return self;
            }
            let op = (*(*d).d_op).d_real;
            match op {
                // SAFETY: `d_real` returns a dentry pinned by `self` for `self`'s lifetime.
                Some(f) => Dentry::from_raw(f(d, kind)),
                None => self,
            }
        }
    }
}

impl PartialEq for Dentry {
    fn eq(&self, other: &Self) -> bool {
        core::ptr::eq(self, other)
    }
}
impl Eq for Dentry {}

/// A dentry of the stacking filesystem `T` itself.
///
/// The type says whose dentry it is: the operations of `T`'s tables hand these out, so the
/// code above never asks at run time whether a dentry is one of its own, and the inode of a
/// positive one is an [`OwnInode<T>`].
///
/// # Invariants
///
/// The dentry belongs to a super block of `T` that is set up (see [`OwnSuperBlock`]); all
/// inodes of that super block are `OwnInode<T>`.
#[repr(transparent)]
pub(crate) struct OwnDentry<T: FileSystem>(Dentry, PhantomData<T>);

// SAFETY: the same reference count as `Dentry`'s.
unsafe impl<T: FileSystem> AlwaysRefCounted for OwnDentry<T> {
    fn inc_ref(&self) {
        self.0.inc_ref();
    }

    unsafe fn dec_ref(obj: NonNull<Self>) {
        // SAFETY: the caller gives up one reference; the layouts agree.
        unsafe { Dentry::dec_ref(obj.cast::<Dentry>()) };
    }
}

impl<T: FileSystem> OwnDentry<T> {
    /// # Safety
    ///
    /// `ptr` must point to a valid dentry of one of `T`'s set-up super blocks that stays
    /// referenced for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::dentry) -> &'a Self {
        // SAFETY: transparent over `Dentry`; the rest is the caller's promise.
        unsafe { &*ptr.cast::<Self>() }
    }

    /// The inode this dentry names, or `None` for a negative dentry.
    pub(crate) fn inode(&self) -> Option<&OwnInode<T>> {
        self.0
            .inode()
            // SAFETY: the inodes of `T`'s super blocks are `OwnInode<T>` (type invariant), not
            // `I_NEW` once a dentry names them, and referenced by the dentry.
            .map(|i| unsafe { OwnInode::from_raw(i.as_raw()) })
    }

    /// The inode of a dentry that is known to be positive: one the VFS passes to an operation
    /// on an existing object, or an ancestor of a positive dentry. A negative one would be a
    /// broken promise: reported (`WARN_ON`) and refused with `EIO`.
    pub(crate) fn positive(&self) -> Result<&OwnInode<T>> {
        match self.inode() {
            Some(inode) => Ok(inode),
            None => {
                kernel::warn_on!(true);
                Err(EIO)
            }
        }
    }

    /// The super block.
    pub(crate) fn sb(&self) -> &OwnSuperBlock<T> {
        // SAFETY: one of `T`'s super blocks, set up (type invariant); it outlives its dentries.
        unsafe { OwnSuperBlock::from_raw(self.0.sb().as_raw()) }
    }

    /// The data of the mount the dentry belongs to.
    pub(crate) fn fs(&self) -> &T::Data {
        self.sb().data()
    }

    /// Makes path walk ask this dentry for the revalidation `r` too: sets those bits of
    /// `d_flags`, under `d_lock` (and takes no lock if it asks for them already). Only for
    /// `T`'s dentries, whose operations have `d_revalidate` and `d_weak_revalidate`; they
    /// start without either bit (`T`'s super blocks clear them from `s_d_flags`).
    pub(crate) fn add_revalidation(&self, r: Revalidation) {
        if self.revalidation().contains_all(r) {
            return;
        }
        let d = self.as_raw();
        // SAFETY: the dentry is referenced; `d_flags` is written under `d_lock`, as dcache.h
        // requires. Both operations the bits ask for are in `T`'s table (`DentryOps`).
        unsafe {
            let lock = &raw mut (*d).d_lockref.__bindgen_anon_1.__bindgen_anon_1.lock;
            bindings::spin_lock(lock);
            (*d).d_flags |= u32::from(r);
            bindings::spin_unlock(lock);
        }
    }

    /// The parent directory (the dentry itself for the root), as `dget_parent`.
    pub(crate) fn parent(&self) -> ARef<OwnDentry<T>> {
        let parent = ARef::into_raw(self.0.parent());
        // SAFETY: a dentry's parent is on the same super block; the reference is handed over.
        unsafe { ARef::from_raw(parent.cast::<OwnDentry<T>>()) }
    }
}

impl<T: FileSystem> core::ops::Deref for OwnDentry<T> {
    type Target = Dentry;

    fn deref(&self) -> &Dentry {
        &self.0
    }
}

impl<T: FileSystem> PartialEq for OwnDentry<T> {
    fn eq(&self, other: &Self) -> bool {
        core::ptr::eq(self, other)
    }
}
impl<T: FileSystem> Eq for OwnDentry<T> {}

/// The negative dentry of the stacking filesystem that the VFS lends to a `create`, `mkdir`,
/// `mknod`, `symlink` or `link`, to be made positive with [`NewDentry::instantiate`].
///
/// It is handed to the operation by value and is neither `Copy` nor `Clone`, so it can be
/// instantiated once at most (a second `d_instantiate` of a dentry is a kernel `BUG`).
///
/// # Invariants
///
/// The dentry is negative and not instantiated yet, its parent directory is locked by the
/// VFS for the operation, which lasts at least `'a`, and no other `NewDentry` for it exists.
pub(crate) struct NewDentry<'a, T: FileSystem>(&'a OwnDentry<T>);

impl<'a, T: FileSystem> NewDentry<'a, T> {
    /// # Safety
    ///
    /// `ptr` must be the negative dentry of `T` that the VFS passed to one of the operations
    /// above, for the duration `'a` of that call, and this must be called once per call.
    pub(crate) unsafe fn from_raw(ptr: *mut bindings::dentry) -> Self {
        // SAFETY: the caller's promise.
        Self(unsafe { OwnDentry::from_raw(ptr) })
    }

    /// Makes the dentry name `inode` (`d_instantiate`), handing over the reference, and asks
    /// for the revalidation `T` wants for it ([`FileSystem::revalidation`]).
    pub(crate) fn instantiate(self, inode: ARef<OwnInode<T>>) {
        let revalidation = T::revalidation(&inode);
        let ptr = ARef::into_raw(inode).as_ptr().cast::<bindings::inode>();
        // SAFETY: a negative dentry lent for a create, instantiated once: this consumes the
        // only `NewDentry` for it (type invariant); `d_instantiate` takes over the inode
        // reference.
        unsafe { bindings::d_instantiate(self.0.as_raw(), ptr) };
        // Once positive, as overlayfs does it (`ovl_instantiate`): a negative dentry is not
        // revalidated.
        self.0.add_revalidation(revalidation);
    }
}

impl<T: FileSystem> core::ops::Deref for NewDentry<'_, T> {
    type Target = OwnDentry<T>;

    fn deref(&self) -> &OwnDentry<T> {
        self.0
    }
}

/// A reference to a dentry held by the private data of one of the stacking filesystem's
/// inodes, and given up when that inode is destroyed rather than when it is freed.
///
/// Between the two, path walk in RCU mode may still reach the inode and read through this
/// reference without taking one of its own, as the C stacking filesystems allow: the dentry's
/// memory (and its inode's) is freed only after an RCU grace period, so a walker inside
/// `rcu_read_lock` still finds a valid, possibly negative, dentry.
///
/// # Invariants
///
/// `dentry` points to a dentry whose memory stays valid for as long as `self` can be reached:
/// while `held` is set, `self` owns one reference on it; once cleared (by [`Self::release`],
/// only while the owning inode is destroyed), the only readers left are RCU walkers, inside
/// the read-side critical section that keeps the dentry's memory alive.
pub(crate) struct InodeDentry {
    dentry: NonNull<Dentry>,
    held: core::sync::atomic::AtomicBool,
}

// SAFETY: the reference is dropped with `dput`, which any thread may call; readers share
// `&Dentry`, which is `Sync`.
unsafe impl Send for InodeDentry {}
// SAFETY: as above; `held` is atomic.
unsafe impl Sync for InodeDentry {}

impl InodeDentry {
    pub(crate) fn new(dentry: ARef<Dentry>) -> Self {
        // INVARIANT: the reference is handed over to `self`.
        Self {
            dentry: ARef::into_raw(dentry),
            held: core::sync::atomic::AtomicBool::new(true),
        }
    }

    /// Drops the reference while the owning inode is being destroyed (`_destroying`
    /// proves it); RCU walkers may still read the dentry until the inode is freed.
    pub(crate) fn release(&self, _destroying: &super::own_inode::InodeDestroying) {
        if self.held.swap(false, core::sync::atomic::Ordering::AcqRel) {
            // SAFETY: `self` owned this reference (type invariant); it is given up exactly
            // once (the swap) and the memory stays readable for RCU walkers.
            unsafe { Dentry::dec_ref(self.dentry) };
        }
    }
}

impl core::ops::Deref for InodeDentry {
    type Target = Dentry;

    fn deref(&self) -> &Dentry {
        // SAFETY: valid for as long as `self` can be reached (type invariant).
        unsafe { self.dentry.as_ref() }
    }
}

impl Drop for InodeDentry {
    fn drop(&mut self) {
        // An inode that never got its data installed is dropped without being destroyed.
        if *self.held.get_mut() {
            // SAFETY: `self` still owns its reference (type invariant).
            unsafe { Dentry::dec_ref(self.dentry) };
        }
    }
}
