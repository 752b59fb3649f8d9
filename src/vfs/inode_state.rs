// SPDX-License-Identifier: GPL-2.0

//! Exclusive marks in a real inode's state bits (`i_state`).
//!
//! C header: [`include/linux/fs.h`](srctree/include/linux/fs.h)
//!
//! The kernel leaves a bit of `i_state` to filesystems that need to claim another
//! filesystem's inode for themselves, one claimant at a time. A [`StateMark`] is such a claim:
//! it sets its [`StateBit`] under `i_lock` if the bit was clear, and clears it when dropped.
//! Which inodes a filesystem claims, and what the claim means to it, is the caller's choice.

use super::{bindings, dentry::Dentry};
use kernel::sync::aref::ARef;

/// A bit of `i_state` (`enum inode_state_flags_enum`) that a [`StateMark`] may own.
///
/// Only bits the VFS leaves to such claims can be named here: the others (`I_NEW`,
/// `I_FREEING`, ...) are the VFS's own state and must never be set or cleared from outside it.
///
/// # Invariants
///
/// The value is a single bit of `i_state` that the VFS itself never sets, and clears only when
/// it initialises or evicts an inode (so never while a reference to it is held): only its
/// claimants set and clear it, under `i_lock`.
#[derive(Clone, Copy)]
pub(crate) struct StateBit(u32);

impl StateBit {
    /// `I_OVL_INUSE`, which `fs.h` documents as "used by overlayfs to get exclusive ownership
    /// on upper and work dirs among overlayfs mounts". It is named here by the kernel's name
    /// for the bit, since `bindings` is private to `vfs/`; what a filesystem marks with it is
    /// decided by the filesystem.
    // INVARIANT: outside overlayfs (which sets and clears it under `i_lock`), the kernel only
    // reads this bit, to print it in the writeback trace events.
    pub(crate) const OVL_INUSE: Self = Self(bindings::inode_state_flags_enum_I_OVL_INUSE);
}

/// An exclusive mark on a real inode: a [`StateBit`] that this mark set on the inode of a
/// dentry, and that dropping the mark clears. While it lives, nobody else (another mount of
/// this filesystem, or any other user of the bit in the kernel) can mark the inode with the
/// same bit.
///
/// # Invariants
///
/// `dentry` is positive, and this mark set `bit` on its inode.
pub(crate) struct StateMark {
    dentry: ARef<Dentry>,
    bit: StateBit,
}

impl StateMark {
    /// Whether someone has marked `dentry`'s inode with `bit`.
    pub(crate) fn is_set(dentry: &Dentry, bit: StateBit) -> bool {
        let flag = bit.0;
        let Some(inode) = dentry.inode() else {
            return false;
        };
        // Read once without `i_lock`: the answer may be stale as soon as it is given, with the
        // lock or without.
        // SAFETY: a live inode, held through the dentry.
        let state = unsafe { bindings::rovl_inode_state_read_once(inode.as_raw()) };
        state & flag != 0
    }

    /// Marks `dentry`'s inode with `bit`; `None` if the dentry is negative or the inode is
    /// marked with `bit` already.
    pub(crate) fn try_new(dentry: &Dentry, bit: StateBit) -> Option<Self> {
        let inode = dentry.inode()?;
        let flag = bit.0;
        // SAFETY: `i_lock` protects `i_state` writes, as `inode_state_set()` requires; the
        // VFS leaves the bit alone while we hold the dentry (invariant of `StateBit`).
        let free = unsafe {
            let raw = inode.as_raw();
            bindings::spin_lock(&raw mut (*raw).i_lock);
            let free = bindings::rovl_inode_state_read_once(raw) & flag == 0;
            if free {
                bindings::rovl_inode_state_set(raw, flag);
            }
            bindings::spin_unlock(&raw mut (*raw).i_lock);
            free
        };
        // INVARIANT: the dentry is positive and we set the bit.
        free.then(|| Self {
            dentry: dentry.into(),
            bit,
        })
    }
}

impl Drop for StateMark {
    fn drop(&mut self) {
        let Some(inode) = self.dentry.inode() else {
            return;
        };
        let flag = self.bit.0;
        // SAFETY: as in `try_new`; the bit is ours to clear (type invariant).
        unsafe {
            let raw = inode.as_raw();
            bindings::spin_lock(&raw mut (*raw).i_lock);
            bindings::rovl_inode_state_clear(raw, flag);
            bindings::spin_unlock(&raw mut (*raw).i_lock);
        }
    }
}
