// SPDX-License-Identifier: GPL-2.0

//! POSIX ACLs of merged objects. Mirrors the ACL parts of `fs/overlayfs/inode.c`
//! (`do_ovl_get_acl()`, `ovl_set_acl()`), `copy_up.c` (`ovl_copy_acl()`) and `dir.c` (the
//! inherited ACLs of `ovl_create_over_whiteout()`).
//!
//! A merged object's ACLs are those of its real object, as the real object's layer shows them
//! (through an idmapped layer, with its named users and groups mapped as the layer maps
//! owners). Permission checks read them with the mounter's credentials and without asking the
//! layer's security modules, as overlayfs does; `getxattr(2)` of `system.posix_acl_*` asks
//! them. Setting or removing one copies the object up and changes the upper object; a copy-up
//! copies them; an object made where a whiteout was gets what its directory's default ACL
//! gives it, which the upper filesystem cannot give it (rovl makes it in the work directory).

#![deny(unsafe_code)]

use crate::{
    copy_up, inode,
    super_block::Rovl,
    vfs::{
        attr::{self, Iattr},
        posix_acl::{self, AclType, PosixAcl},
        Dentry, Mount, OwnDentry, OwnInode, PathRef,
    },
};
use kernel::{
    prelude::*,
    sync::{aref::ARef, rcu},
};

/// The ACL `kind` that permission checks of `inode` use (`ovl_get_inode_acl()`): its real
/// object's, read with the mounter's credentials and no check of the layer's own; `None` if it
/// has none or its layer has no ACLs.
pub(crate) fn get_for_permission(
    inode: &OwnInode<Rovl>,
    kind: AclType,
) -> Result<Option<ARef<PosixAcl>>> {
    let fs = inode.fs();
    let real = inode.data().real(fs)?;
    if !real.inode()?.has_posix_acls() {
        return Ok(None);
    }
    let _creds = fs.override_creds();
    posix_acl::get_inode_acl(real.path(), kind)
}

/// [`get_for_permission`] in RCU walk: the real object's cached ACL, or `ECHILD` to be asked
/// again in ref-walk (not cached, an idmapped layer, an inode on its way out). No credentials
/// are needed to read a cache.
pub(crate) fn get_for_permission_rcu<'a>(
    inode: &'a OwnInode<Rovl>,
    kind: AclType,
    rcu: &'a rcu::Guard,
) -> Result<Option<&'a PosixAcl>> {
    let fs = inode.fs();
    let real = inode.data().real(fs)?;
    // No inode: one on its way out (its real dentry released, see `InodeDentry`), which
    // ref-walk will not find.
    let real_inode = real.dentry.inode().ok_or(ECHILD)?;
    if !real_inode.has_posix_acls() {
        return Ok(None);
    }
    posix_acl::get_cached_acl_rcu(real.path(), kind, rcu)
}

/// The ACL `kind` of the object `inode` names, as `getxattr(2)` shows it (`ovl_get_acl()`):
/// its real object's, read with the mounter's credentials; `None` if its layer has no ACLs
/// (`ENODATA` if it has none).
pub(crate) fn get(inode: &OwnInode<Rovl>, kind: AclType) -> Result<Option<ARef<PosixAcl>>> {
    let fs = inode.fs();
    let real = inode.data().real(fs)?;
    if !real.inode()?.has_posix_acls() {
        return Ok(None);
    }
    let _creds = fs.override_creds();
    posix_acl::get_acl(real.path(), kind).map(Some)
}

/// Sets the ACL `kind` of the object `dentry` names to `acl`, or removes it (`None`): on the
/// upper object, after a copy-up, with the mounter's credentials (`ovl_set_acl()`). The VFS
/// has checked the caller's right to (the merged inode's owner, or capable).
pub(crate) fn set(
    dentry: &OwnDentry<Rovl>,
    inode: &OwnInode<Rovl>,
    acl: Option<&PosixAcl>,
    kind: AclType,
) -> Result {
    let fs = inode.fs();
    let upper_layer = fs.layers.upper.as_ref().ok_or(EROFS)?;
    // Where the upper layer or the real object can have no ACL, there is nothing to copy up
    // for.
    if !upper_layer.work.inode().ok_or(EIO)?.has_posix_acls() {
        return Err(EOPNOTSUPP);
    }
    let real = inode.data().real(fs)?;
    if !real.inode()?.has_set_acl() {
        return Err(EOPNOTSUPP);
    }
    if kind == AclType::Access && inode.inode().is_setgid() && !inode.inode().in_group_or_capable()
    {
        // A caller outside the group loses the set-group-ID bit by setting an ACL. The upper
        // filesystem would drop it itself, but it sees the mounter, who keeps it.
        inode::setattr(dentry, inode, &mut Iattr::kill_sgid())?;
    }
    if acl.is_none() && inode.data().upper().is_none() {
        // Removing an ACL the object does not have needs no copy-up.
        let _creds = fs.override_creds();
        posix_acl::get_acl(real.path(), kind)?;
    }
    copy_up::copy_up(dentry)?;
    let upper = inode.data().upper().ok_or(EIO)?;
    let result = upper_layer.mnt.want_write().and_then(|_write| {
        let _creds = fs.override_creds();
        match acl {
            // A copy: the VFS maps a copy's entries in place through an idmapped upper layer,
            // and this one is the caller's.
            Some(acl) => posix_acl::set_acl(&upper_layer.mnt, upper, kind, acl.copy()?),
            None => posix_acl::remove_acl(&upper_layer.mnt, upper, kind),
        }
    });
    // Setting an ACL may change the mode (its mask is the group bits), and the times.
    inode
        .inode()
        .copy_attrs_from(upper.inode().ok_or(EIO)?, &upper_layer.mnt);
    result
}

/// Copies the ACL `kind` of the lower object at `lower` to `upper`, the upper object being made
/// on `upper_mnt` by a copy-up (`ovl_copy_acl()`). It is copied as the lower layer shows it, so
/// the named users and groups of an idmapped layer are stored mapped, as the owner is. Without
/// such an ACL, or ACLs in the lower layer, there is nothing to copy; an upper layer that
/// cannot store it fails the copy-up, for an ACL may deny what the mode allows.
pub(crate) fn copy(lower: PathRef<'_>, upper_mnt: &Mount, upper: &Dentry, kind: AclType) -> Result {
    let acl = match posix_acl::get_acl(lower, kind) {
        Ok(acl) => acl,
        Err(e) if e == ENODATA || e == EOPNOTSUPP => return Ok(()),
        Err(e) => return Err(e),
    };
    posix_acl::set_acl(upper_mnt, upper, kind, acl.copy()?)
}

/// What a new object of `mode` (type bits included) made where a whiteout was in the merged
/// directory `dir` inherits (`posix_acl_create()` on `dir`, as `ovl_create_over_whiteout()`
/// calls it): the mode, with `dir`'s default ACL applied (else the umask), and the ACLs to
/// give it with [`give_inherited`].
pub(crate) fn inherited(dir: &OwnInode<Rovl>, mode: u32) -> Result<posix_acl::Inherited> {
    posix_acl::create(dir.inode(), mode)
}

/// Gives the object `new`, just made on `upper_mnt` in the work directory, the mode and ACLs
/// it `inherited`: the work directory has no default ACL, the umask may have taken bits the
/// default ACL gives, and a directory there gets no set-group-ID bit from its parent.
pub(crate) fn give_inherited(
    upper_mnt: &Mount,
    new: &Dentry,
    inherited: posix_acl::Inherited,
) -> Result {
    if new.inode().ok_or(EIO)?.mode() != inherited.mode {
        attr::set_mode(upper_mnt, new, inherited.mode)?;
    }
    if let Some(acl) = inherited.access {
        posix_acl::set_acl(upper_mnt, new, AclType::Access, acl)?;
    }
    if let Some(acl) = inherited.default {
        // A copy: the directory's own is shared (see `set`).
        posix_acl::set_acl(upper_mnt, new, AclType::Default, acl.copy()?)?;
    }
    Ok(())
}
