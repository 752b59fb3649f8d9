// SPDX-License-Identifier: GPL-2.0

//! Revalidation of rovl's dentries: forwarded to the real dentries below them, with
//! overlayfs's answers. Mirrors `ovl_revalidate_real()`, `ovl_dentry_revalidate_common()`
//! (`fs/overlayfs/super.c`), `ovl_dentry_init_reval()` and `ovl_dentry_update_reval()`
//! (`fs/overlayfs/util.c`).
//!
//! Some filesystems check their cached dentries against something the kernel does not see
//! change: a network filesystem's server (9p, NFS, FUSE), a `/proc` that follows processes.
//! A rovl dentry holds on to the real dentries it found (through its inode), so path walk
//! must ask them too, or a real dentry their filesystem would drop keeps being shown.
//! A rovl dentry asks path walk to be revalidated only if one of its real dentries asks for
//! it (`DCACHE_OP_REVALIDATE`, `DCACHE_OP_WEAK_REVALIDATE`): on layers of local filesystems
//! (tmpfs, ext4, ...) path walk never calls into rovl for it.
//!
//! Only positive dentries are revalidated, as in overlayfs: a negative rovl dentry is not, so
//! a name created behind the mount under a layer stays missing until that dentry is dropped.

#![deny(unsafe_code)]

use crate::{
    inode::RovlInode,
    super_block::Rovl,
    vfs::{
        dentry::{LookupFlags, Revalidation},
        Dentry, OwnDentry, OwnInode,
    },
};
use kernel::prelude::*;

/// The real dentries of a rovl object, in the order they are revalidated: the upper one,
/// then the lower ones from the top.
///
/// Safe in RCU walk: the upper dentry is set once (an atomic read) and the lower ones never
/// change after the inode is made; none is referenced or locked here, and their memory stays
/// valid for RCU walkers even once the inode lets go of them (`InodeDentry`).
fn reals(data: &RovlInode) -> impl Iterator<Item = &Dentry> {
    let lowers = data.lowers.iter().map(|lower| &*lower.dentry);
    // (`Iterator::` spelt out: the prelude's `pin_init::Init` has a `chain` too.)
    Iterator::chain(data.upper().into_iter(), lowers)
}

/// The revalidation a dentry naming `inode` asks for: each kind that one of its real dentries
/// asks for (`ovl_dentry_init_reval()`).
pub(crate) fn revalidation(inode: &OwnInode<Rovl>) -> Revalidation {
    reals(inode.data()).fold(Revalidation::empty(), |r, real| r | real.revalidation())
}

/// After a copy-up gave `dentry`'s object the upper dentry `upper`: `dentry` also asks for the
/// revalidation `upper` asks for (`ovl_dentry_update_reval()`).
pub(crate) fn upper_added(dentry: &OwnDentry<Rovl>, upper: &Dentry) {
    dentry.add_revalidation(upper.revalidation());
}

/// `->d_revalidate` and `->d_weak_revalidate` of a positive rovl dentry naming `inode`: valid
/// while each real dentry is, asked in turn, upper first, until one is not or fails; the
/// first such answer is the answer (`ovl_dentry_revalidate_common()`).
pub(crate) fn revalidate(
    inode: &OwnInode<Rovl>,
    flags: LookupFlags<'_>,
    weak: bool,
) -> Result<bool> {
    for real in reals(inode.data()) {
        if !revalidate_real(real, flags, weak)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// One real dentry's answer, as overlayfs gives it (`ovl_revalidate_real()`).
///
/// Weak revalidation passes the real answer on. A real dentry found invalid on lookup is
/// unhashed, as path walk would have done had it met it itself, and the rovl dentry is
/// reported stale (`ESTALE`), not invalid. The VFS then walks once more, in ref-walk with
/// `LOOKUP_REVAL`, and if the real dentry is still invalid then, the call fails with `ESTALE`.
/// The rovl dentry stays hashed, so its name keeps failing so until the dentry is dropped
/// (`drop_caches`, memory pressure, a remount); a lookup then finds what the layer has now.
fn revalidate_real(real: &Dentry, flags: LookupFlags<'_>, weak: bool) -> Result<bool> {
    if weak {
        return real.weak_revalidate(flags);
    }
    if real.revalidate(flags)? {
        return Ok(true);
    }
    // In RCU walk this does nothing; the `ESTALE` makes the VFS walk again in ref-walk, which
    // comes back here and unhashes it.
    real.invalidate(flags);
    Err(ESTALE)
}
