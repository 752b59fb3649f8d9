// SPDX-License-Identifier: GPL-2.0

//! Super blocks: the real layers' ones, and the stacking filesystem's own.
//!
//! C headers: [`include/linux/fs.h`](srctree/include/linux/fs.h),
//! [`include/linux/statfs.h`](srctree/include/linux/statfs.h)

use super::{
    bindings,
    dentry::{OwnDentry, Revalidate},
    fs_type::FileSystem,
    inode::Inode,
    own_inode::{self, IgetResult, NewInode, OwnInode},
    path::PathRef,
    seq::SeqFile,
};
use core::ptr::NonNull;
use kernel::{error::from_result, prelude::*, sync::aref::ARef, types::Opaque};

/// A super block: `struct super_block`, of any filesystem.
///
/// # Invariants
///
/// The pointer is to a valid `struct super_block`; callers only get `&SuperBlock` while an
/// active reference (a mount, a dentry or an inode on it) keeps it alive.
#[repr(transparent)]
pub(crate) struct SuperBlock(Opaque<bindings::super_block>);

// SAFETY: super blocks are shared by all threads; `&SuperBlock` only reads stable fields or
// writes fields during `fill_super`, when the super block is not yet visible.
unsafe impl Sync for SuperBlock {}
// SAFETY: as above.
unsafe impl Send for SuperBlock {}

/// Maximum depth of stacked filesystems (`FILESYSTEM_MAX_STACK_DEPTH`).
// CAST: the C macro is a small `int` literal (2); bindgen types it `u32`.
pub(crate) const MAX_STACK_DEPTH: i32 = bindings::FILESYSTEM_MAX_STACK_DEPTH as i32;

impl SuperBlock {
    /// # Safety
    ///
    /// `ptr` must be a valid super block that stays alive for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::super_block) -> &'a SuperBlock {
        // SAFETY: transparent wrapper; validity is the caller's promise.
        unsafe { &*ptr.cast::<SuperBlock>() }
    }

    pub(crate) fn as_raw(&self) -> *mut bindings::super_block {
        self.0.get()
    }

    fn raw(&self) -> *mut bindings::super_block {
        self.0.get()
    }

    /// The device number `stat` reports for this super block (`s_dev`).
    pub(crate) fn dev(&self) -> u32 {
        // SAFETY: `s_dev` is set before the super block is visible and never changes.
        unsafe { (*self.raw()).s_dev }
    }

    /// How many filesystems are stacked under this one (`s_stack_depth`).
    pub(crate) fn stack_depth(&self) -> i32 {
        // SAFETY: set during `fill_super`, then constant.
        unsafe { (*self.raw()).s_stack_depth }
    }

    /// Whether the filesystem keeps a change counter (`i_version`) in its inodes.
    pub(crate) fn has_iversion(&self) -> bool {
        // SAFETY: an aligned integer; `SB_I_VERSION` is set before the super block is live.
        unsafe {
            core::ptr::read_volatile(&raw const (*self.raw()).s_flags) & bindings::SB_I_VERSION != 0
        }
    }

    /// Whether the filesystem has POSIX ACLs (`SB_POSIXACL`, the test of `IS_POSIXACL()`).
    pub(crate) fn has_posix_acls(&self) -> bool {
        // SAFETY: an aligned integer, read once; `SB_POSIXACL` is set before the super block is
        // live (a remount may change other bits meanwhile).
        unsafe {
            core::ptr::read_volatile(&raw const (*self.raw()).s_flags) & bindings::SB_POSIXACL != 0
        }
    }

    /// Whether the super block is mounted read-only.
    pub(crate) fn is_rdonly(&self) -> bool {
        // SAFETY: a live super block.
        unsafe { bindings::rovl_sb_rdonly(self.raw()) }
    }

    /// Whether `self` and `other` are the same super block.
    pub(crate) fn same(&self, other: &SuperBlock) -> bool {
        core::ptr::eq(self, other)
    }

    /// The private data of a super block of filesystem `T`, or `None` if `self` is not one of
    /// `T`'s or is not yet set up.
    pub(crate) fn data<T: FileSystem>(&self) -> Option<&T::Data> {
        // SAFETY: `s_op` and `s_fs_info` are set in `fill_super` before the super block can be
        // reached by anyone else, and stay until `kill_sb`.
        let (op, info) = unsafe { ((*self.raw()).s_op, (*self.raw()).s_fs_info) };
        if !core::ptr::eq(op, &SuperOps::<T>::TABLE) || info.is_null() {
            return None;
        }
        // SAFETY: `s_fs_info` of `T`'s super blocks is a `KBox<T::Data>` (see `fill_super_cb`).
        Some(unsafe { &*info.cast::<T::Data>() })
    }
}

/// A super block of the stacking filesystem `T`, set up: its data is in place.
///
/// # Invariants
///
/// `s_op` is `T`'s table and `s_fs_info` points to the super block's live `T::Data`, from
/// before its root inode is made until after its last inode is evicted (see `fill_super_cb`
/// and `kill_sb_cb`): so for as long as any of its inodes or dentries is referenced, and for
/// path walkers in RCU mode, which reach inodes without a reference, until they leave their
/// read-side critical section (unmounting waits for an RCU grace period before `kill_sb`).
#[repr(transparent)]
pub(crate) struct OwnSuperBlock<T: FileSystem>(SuperBlock, core::marker::PhantomData<T>);

impl<T: FileSystem> OwnSuperBlock<T> {
    /// # Safety
    ///
    /// `ptr` must be a super block of `T` whose data is set and that stays so for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::super_block) -> &'a Self {
        // SAFETY: transparent over `SuperBlock`; the rest is the caller's promise.
        unsafe { &*ptr.cast::<Self>() }
    }

    /// The mount's data (`s_fs_info`).
    pub(crate) fn data(&self) -> &T::Data {
        // SAFETY: by the type invariant, `s_fs_info` is a live `T::Data` for as long as `self`.
        unsafe { &*(*self.0.raw()).s_fs_info.cast::<T::Data>() }
    }

    /// Allocates an inode outside the inode cache.
    pub(crate) fn new_inode(&self) -> Result<NewInode<T>> {
        // SAFETY: one of `T`'s super blocks (type invariant).
        unsafe { own_inode::new_unhashed(&self.0) }
    }

    /// Looks up or allocates the inode with `key`.
    pub(crate) fn iget(&self, key: usize) -> Result<IgetResult<T>> {
        // SAFETY: one of `T`'s super blocks (type invariant).
        unsafe { own_inode::iget::<T>(&self.0, key) }
    }
}

impl<T: FileSystem> core::ops::Deref for OwnSuperBlock<T> {
    type Target = SuperBlock;

    fn deref(&self) -> &SuperBlock {
        &self.0
    }
}

/// The super block of filesystem `T` while `fill_super` sets it up.
pub(crate) struct NewSuperBlock<'a, T>(&'a SuperBlock, core::marker::PhantomData<T>);

impl<'a, T: FileSystem> NewSuperBlock<'a, T> {
    pub(super) fn new(sb: &'a SuperBlock) -> Self {
        Self(sb, core::marker::PhantomData)
    }

    fn raw(&self) -> *mut bindings::super_block {
        self.0.raw()
    }

    pub(crate) fn set_magic(&self, magic: u64) {
        // SAFETY: the super block is not visible to anyone else during `fill_super`.
        unsafe { (*self.raw()).s_magic = magic as c_ulong };
    }

    pub(crate) fn set_stack_depth(&self, depth: i32) {
        // SAFETY: as in `set_magic`.
        unsafe { (*self.raw()).s_stack_depth = depth };
    }

    pub(crate) fn set_rdonly(&self) {
        // SAFETY: as in `set_magic`.
        unsafe { (*self.raw()).s_flags |= bindings::SB_RDONLY };
    }

    pub(crate) fn set_posix_acl(&self) {
        // SAFETY: as in `set_magic`.
        unsafe { (*self.raw()).s_flags |= bindings::SB_POSIXACL };
    }

    /// Allows files as large as the kernel supports (`MAX_LFS_FILESIZE`).
    pub(crate) fn set_max_file_size(&self) {
        // SAFETY: as in `set_magic`.
        unsafe { (*self.raw()).s_maxbytes = bindings::MAX_LFS_FILESIZE };
    }
}

/// The attributes `statfs` returns: `struct kstatfs`.
#[repr(transparent)]
pub(crate) struct Kstatfs(Opaque<bindings::kstatfs>);

impl Default for Kstatfs {
    fn default() -> Self {
        Self(Opaque::new(bindings::kstatfs::default()))
    }
}

impl Kstatfs {
    pub(crate) fn set_namelen(&mut self, namelen: isize) {
        // SAFETY: `&mut self` is exclusive access to the buffer.
        unsafe { (*self.0.get()).f_namelen = namelen };
    }

    pub(crate) fn set_type(&mut self, magic: u64) {
        // SAFETY: `&mut self` is exclusive access to the caller's buffer.
        unsafe { (*self.0.get()).f_type = magic as isize };
    }

    pub(crate) fn set_fsid(&mut self, fsid: [i32; 2]) {
        // SAFETY: `&mut self` is exclusive access to the buffer.
        unsafe { (*self.0.get()).f_fsid.val = fsid };
    }

    pub(crate) fn namelen(&self) -> isize {
        // SAFETY: as above.
        unsafe { (*self.0.get()).f_namelen }
    }
}

/// Fills `buf` with the statistics of the filesystem at `path`, as `vfs_statfs` does.
pub(crate) fn statfs(path: PathRef<'_>, buf: &mut Kstatfs) -> Result {
    // SAFETY: `path` and `buf` are valid for the call.
    kernel::error::to_result(unsafe {
        bindings::vfs_statfs(
            path.as_raw(),
            buf.0.get().cast::<kernel::bindings::kstatfs>(),
        )
    })
}

/// The `super_operations` table of filesystem `T`.
pub(super) struct SuperOps<T>(core::marker::PhantomData<T>);

impl<T: FileSystem> SuperOps<T> {
    pub(super) const TABLE: bindings::super_operations = bindings::super_operations {
        alloc_inode: Some(alloc_inode_cb::<T>),
        destroy_inode: Some(destroy_inode_cb::<T>),
        free_inode: Some(free_inode_cb::<T>),
        drop_inode: Some(bindings::inode_just_drop),
        statfs: Some(statfs_cb::<T>),
        sync_fs: Some(sync_fs_cb::<T>),
        show_options: Some(show_options_cb::<T>),
        // All-zero is "no operation" for the remaining fields.
        ..pin_init::zeroed()
    };
}

/// # Safety
///
/// Only called by the VFS as `->alloc_inode` of `T`'s super blocks.
unsafe extern "C" fn alloc_inode_cb<T: FileSystem>(
    _sb: *mut bindings::super_block,
) -> *mut bindings::inode {
    OwnInode::<T>::alloc()
}

/// # Safety
///
/// Only called by the VFS as `->destroy_inode`, once per inode, after eviction.
unsafe extern "C" fn destroy_inode_cb<T: FileSystem>(inode: *mut bindings::inode) {
    // SAFETY: an inode from `alloc_inode_cb::<T>`, in `destroy_inode`.
    unsafe { OwnInode::<T>::destroy(inode) };
}

/// # Safety
///
/// Only called by the VFS as `->free_inode`, once per inode, after an RCU grace period.
unsafe extern "C" fn free_inode_cb<T: FileSystem>(inode: *mut bindings::inode) {
    // SAFETY: an inode from `alloc_inode_cb::<T>`; this is its last use.
    unsafe { OwnInode::<T>::free(inode) };
}

/// # Safety
///
/// Only called by the VFS as `->statfs` for a dentry of one of `T`'s super blocks.
unsafe extern "C" fn statfs_cb<T: FileSystem>(
    dentry: *mut bindings::dentry,
    buf: *mut kernel::bindings::kstatfs,
) -> c_int {
    // SAFETY: the VFS holds `dentry`, one of `T`'s, for the call.
    let d = unsafe { OwnDentry::<T>::from_raw(dentry) };
    // SAFETY: `buf` is the caller's, exclusively ours for the call.
    let buf = unsafe { &mut *buf.cast::<Kstatfs>() };
    from_result(|| {
        let data = d.fs();
        T::statfs(data, buf).map(|()| 0)
    })
}

/// # Safety
///
/// Only called by the VFS as `->sync_fs` of one of `T`'s super blocks, with `s_umount` held.
unsafe extern "C" fn sync_fs_cb<T: FileSystem>(
    sb: *mut bindings::super_block,
    wait: c_int,
) -> c_int {
    // SAFETY: the VFS holds the super block for the call.
    let sb = unsafe { SuperBlock::from_raw(sb) };
    from_result(|| match sb.data::<T>() {
        Some(data) => T::sync_fs(data, wait != 0).map(|()| 0),
        None => Ok(0),
    })
}

/// Writes out the filesystem `sb` (another one than the caller's: a layer's), as `syncfs(2)`
/// does, holding its `s_umount` for reading as `sync_filesystem` requires.
pub(crate) fn sync_filesystem(sb: &SuperBlock) -> Result {
    // SAFETY: the caller holds the super block (through a mount of it); `s_umount` is taken
    // and released around the call.
    unsafe {
        let raw = sb.as_raw();
        bindings::down_read(&raw mut (*raw).s_umount);
        let ret = bindings::sync_filesystem(raw);
        bindings::up_read(&raw mut (*raw).s_umount);
        kernel::error::to_result(ret)
    }
}

/// # Safety
///
/// Only called by the VFS as `->show_options` for the root of one of `T`'s super blocks.
unsafe extern "C" fn show_options_cb<T: FileSystem>(
    seq: *mut bindings::seq_file,
    dentry: *mut bindings::dentry,
) -> c_int {
    // SAFETY: the VFS holds `dentry`, one of `T`'s, for the call.
    let d = unsafe { OwnDentry::<T>::from_raw(dentry) };
    // SAFETY: `seq` is being written by us alone for the call.
    let seq = unsafe { SeqFile::from_raw(seq) };
    from_result(|| {
        let data = d.fs();
        T::show_options(data, seq).map(|()| 0)
    })
}

/// Makes the root dentry of `sb` from `root`, asking for the weak revalidation `T` wants for
/// it ([`FileSystem::revalidation`]; path walk never finds a root by name, so never asks it
/// for the other kind).
pub(super) fn make_root<T: FileSystem>(sb: &SuperBlock, root: ARef<OwnInode<T>>) -> Result {
    let revalidation = T::revalidation(&root) & Revalidate::Weak;
    let inode = ARef::into_raw(root).as_ptr().cast::<bindings::inode>();
    // SAFETY: `d_make_root` consumes the inode reference, also on failure.
    let dentry = unsafe { bindings::d_make_root(inode) };
    let dentry = NonNull::new(dentry).ok_or(ENOMEM)?;
    // SAFETY: the super block is private to `fill_super`, and of `T` (the caller's `root` is
    // one of its inodes); the VFS puts `s_root` on teardown, which holds the reference.
    unsafe {
        (*sb.as_raw()).s_root = dentry.as_ptr();
        OwnDentry::<T>::from_raw(dentry.as_ptr()).add_revalidation(revalidation);
    }
    Ok(())
}

/// An anonymous device number (`get_anon_bdev`), released on drop.
///
/// Stacking filesystems give each real filesystem below them one of these, so that `st_dev`
/// stays unique per real filesystem when inode numbers cannot be made unique on one device.
///
/// # Invariants
///
/// `dev` was allocated by `get_anon_bdev` and is freed exactly once, on drop.
pub(crate) struct AnonDev {
    dev: u32,
}

impl AnonDev {
    pub(crate) fn new() -> Result<Self> {
        let mut dev: bindings::dev_t = 0;
        // SAFETY: `dev` is valid for writes.
        kernel::error::to_result(unsafe { bindings::get_anon_bdev(&mut dev) })?;
        Ok(Self { dev })
    }

    pub(crate) fn dev(&self) -> u32 {
        self.dev
    }
}

impl Drop for AnonDev {
    fn drop(&mut self) {
        // SAFETY: allocated by `get_anon_bdev`, freed once (type invariant).
        unsafe { bindings::free_anon_bdev(self.dev) };
    }
}

impl Inode {
    /// Whether the current credentials own this inode or may act as if they did
    /// (`inode_owner_or_capable`), as seen through `mnt`.
    pub(crate) fn owner_or_capable(&self, mnt: &super::Mount) -> bool {
        // SAFETY: both are valid for the call.
        unsafe { bindings::inode_owner_or_capable(mnt.idmap(), self.as_raw()) }
    }
}
