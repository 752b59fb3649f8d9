// SPDX-License-Identifier: GPL-2.0

//! Changing merged directories: create, link, unlink, rmdir and rename. Mirrors
//! `fs/overlayfs/dir.c`.
//!
//! Every change lands in the upper layer, after the parents (and, for link and rename, the
//! objects themselves) are copied up. A name that also exists in a lower layer cannot simply
//! be removed from the upper layer, or the lower object would show again: it is replaced by a
//! whiteout. Replacements are made atomic by preparing the new object in the work directory
//! and renaming it over the old one (exchanging, for directories), so that at no moment are
//! both, or neither, visible.

#![deny(unsafe_code)]

use crate::{
    acl, copy_up,
    inode::{self, RovlInode},
    layers::UpperLayer,
    lookup, readdir,
    super_block::{Rovl, RovlFs},
    vfs::{
        attr::{RenameFlag, RenameFlags},
        cred,
        dirop::{DirOp, Renaming},
        inode as vinode, namei,
        path::WriteAccess,
        CredGuard, Dentry, Inode, NewDentry, OwnDentry, OwnInode,
    },
    work::{Target, Temp},
    xattr::DirMark,
};
use kernel::{prelude::*, sync::aref::ARef, types::ScopeGuard};

/// What to make in a directory.
#[derive(Clone, Copy)]
pub(crate) enum NewObject<'a> {
    Regular(u32),
    Directory(u32),
    /// Device node, fifo or socket: mode (with type) and device number.
    Special(u32, u32),
    Symlink(&'a CStr),
    /// A new name for this upper object.
    Link(&'a Dentry),
}

impl NewObject<'_> {
    fn is_dir(&self) -> bool {
        matches!(self, NewObject::Directory(_))
    }

    /// The mode (type bits included) of an object that has one of its own: not a symlink's
    /// nor a link's.
    fn mode(&self) -> Option<u32> {
        match *self {
            NewObject::Regular(mode) | NewObject::Directory(mode) | NewObject::Special(mode, _) => {
                Some(mode)
            }
            NewObject::Symlink(_) | NewObject::Link(_) => None,
        }
    }

    /// The same object with `mode` (type bits included), for one that has a mode of its own.
    fn with_mode(self, mode: u32) -> Self {
        match self {
            NewObject::Regular(_) => NewObject::Regular(mode),
            NewObject::Directory(_) => NewObject::Directory(mode),
            NewObject::Special(_, rdev) => NewObject::Special(mode, rdev),
            other => other,
        }
    }

    /// Makes the object at the (negative, locked) name of `op`.
    fn make<'m>(&self, op: DirOp<'m>) -> Result<DirOp<'m>> {
        match *self {
            NewObject::Regular(mode) => op.create(mode).map(|()| op),
            NewObject::Directory(mode) => op.mkdir(mode),
            NewObject::Special(mode, rdev) => op.mknod(mode, rdev).map(|()| op),
            NewObject::Symlink(target) => op.symlink(target).map(|()| op),
            NewObject::Link(old) => op.link(old).map(|()| op),
        }
    }
}

/// Creates `what` for the negative `dentry` in the merged directory `dir`.
pub(crate) fn create(
    dir: &OwnInode<Rovl>,
    dentry: NewDentry<'_, Rovl>,
    what: NewObject<'_>,
) -> Result {
    let _changed = listing_changed(dir);
    if let NewObject::Special(mode, rdev) = what {
        // A whiteout cannot be made through the overlay, as in overlayfs.
        if vinode::is_whiteout(mode, rdev) {
            return Err(EPERM);
        }
    }
    let sb = dir.sb();
    let fs = sb.data();
    copy_up::copy_up(&dentry.parent())?;
    // The new object belongs to the caller: act with the mounter's rights but the caller's
    // filesystem ids, which the upper filesystem gives the new inode; in a set-group-ID
    // directory its group is the directory's (as shown, through an idmapped upper too), as
    // overlayfs takes it from inode_init_owner().
    let group = dir.inode().setgid_group();
    let creator = cred::with_current_cred(|caller| {
        let _mounter = fs.override_creds();
        cred::with_fs_ids_of(caller, group)
    })?;
    let upper = {
        let _creds = CredGuard::new(&creator);
        create_upper(fs, dir, &dentry, &what)?
    };
    let new = match inode::get(sb, Some(upper.clone()), KVec::new()) {
        Ok(new) => new,
        Err(e) => {
            // Without an inode the new object cannot be shown: take it back, so that the
            // merged view stays what the failed call left it. Should that fail too, the
            // negative dentry must not hide what is now in the upper layer: drop it, so the
            // next lookup reads the layers afresh.
            undo_create(fs, dir, &dentry, &upper);
            dentry.drop_from_cache();
            return Err(e);
        }
    };
    dentry.instantiate(new);
    dir_changed(dir);
    Ok(())
}

/// Removes the upper object `upper` just made for `dentry` in `dir`, putting back the
/// whiteout it replaced if a lower layer has the name. Best effort: this runs on an error
/// path, whose error is the one to report.
fn undo_create(fs: &RovlFs, dir: &OwnInode<Rovl>, dentry: &OwnDentry<Rovl>, upper: &Dentry) {
    let (Some(layer), Some(upper_dir), Ok(name)) =
        (fs.layers.upper.as_ref(), dir.data().upper(), dentry.name())
    else {
        return;
    };
    let lower_positive = lookup::lower_positive(dir, &name);
    let _creds = fs.override_creds();
    let Ok(write) = layer.mnt.want_write() else {
        return;
    };
    let undone = if lower_positive {
        replace_with_whiteout(fs, layer, &write, upper_dir, &name, Some(upper))
    } else {
        DirOp::start_removing_dentry(&layer.mnt, upper_dir, upper).and_then(|op| op.remove())
    };
    if let Err(e) = undone {
        pr_warn!("rovl: could not undo a failed create ({})\n", e.to_errno());
    }
}

/// Gives the negative `dentry` in `dir` the name `old` has, as a hard link.
pub(crate) fn link(
    old: &OwnDentry<Rovl>,
    old_inode: &OwnInode<Rovl>,
    dir: &OwnInode<Rovl>,
    dentry: NewDentry<'_, Rovl>,
) -> Result {
    let _changed = listing_changed(dir);
    let fs = dir.fs();
    copy_up::copy_up(old)?;
    copy_up::copy_up(&dentry.parent())?;
    let old_upper = old_inode.data().upper().ok_or(EIO)?;
    {
        let _creds = fs.override_creds();
        create_upper(fs, dir, &dentry, &NewObject::Link(old_upper))?;
    }
    let upper_mnt = &fs.layers.upper.as_ref().ok_or(EIO)?.mnt;
    old_inode
        .inode()
        .copy_attrs_from(old_upper.inode().ok_or(EIO)?, upper_mnt);
    dentry.instantiate(old_inode.into());
    dir_changed(dir);
    Ok(())
}

/// Makes `what` at `dentry`'s name in the upper directory of `dir`, with the current
/// credentials; returns the new upper dentry.
fn create_upper(
    fs: &RovlFs,
    dir: &OwnInode<Rovl>,
    dentry: &OwnDentry<Rovl>,
    what: &NewObject<'_>,
) -> Result<ARef<Dentry>> {
    let upper = fs.layers.upper.as_ref().ok_or(EROFS)?;
    let upper_dir = dir.data().upper().ok_or(EIO)?;
    let name = dentry.name()?;
    let write = upper.mnt.want_write()?;
    let op = DirOp::start_creating(&upper.mnt, upper_dir, &name)?;
    if op.dentry().inode().is_none() {
        let made = what.make(op)?.dentry_ref();
        return Ok(made);
    }
    if !fs.xattrs.is_whiteout(&upper.mnt, op.dentry()) {
        // A name rovl did not know of appeared in the upper layer.
        return Err(ESTALE);
    }
    let whiteout = op.dentry_ref();
    drop(op);
    create_over_whiteout(fs, upper, &write, dir, upper_dir, &whiteout, what)
}

/// Replaces the whiteout `whiteout` in `upper_dir`, the upper directory of `dir`, with a new
/// object: made in the work directory, then renamed over the whiteout. The object gets the
/// mode and ACLs that `dir`'s default ACL gives it, as it would have from the upper
/// filesystem had it been made in `upper_dir`. A directory made where a whiteout was is
/// opaque, so what the whiteout hid stays hidden; it is exchanged with the whiteout, which
/// is then removed from the work directory. The caller holds `write`, and `dir` locked.
fn create_over_whiteout(
    fs: &RovlFs,
    upper: &UpperLayer,
    write: &WriteAccess<'_>,
    dir: &OwnInode<Rovl>,
    upper_dir: &Dentry,
    whiteout: &Dentry,
    what: &NewObject<'_>,
) -> Result<ARef<Dentry>> {
    // Read before the work directory is locked: reading `dir`'s default ACL reads the upper
    // directory's, which its filesystem may do under locks of its own. The mode asked for is
    // first the one `dir` gives a new object, as `inode_init_owner()` gives overlayfs's.
    let (what, inherited) = match what.mode() {
        Some(mode) => {
            let inherited = acl::inherited(dir, dir.inode().mode_for_new(mode))?;
            (what.with_mode(inherited.mode), Some(inherited))
        }
        None => (*what, None),
    };
    let mut temp = Temp::make(fs, upper, Some(write), |op| what.make(op))?;
    if let Some(inherited) = inherited {
        acl::give_inherited(&upper.mnt, temp.dentry(), inherited)?;
    }
    let is_dir = what.is_dir();
    if is_dir {
        fs.xattrs
            .set_opaque(&upper.mnt, temp.dentry())
            .map_err(|e| if e == EOPNOTSUPP { EIO } else { e })?;
    }
    let flags = if is_dir {
        RenameFlag::Exchange.into()
    } else {
        RenameFlags::empty()
    };
    // After the exchange the whiteout sits in the work directory, and goes with `temp`.
    let new = temp.place(upper_dir, Target::Dentry(whiteout), flags, |_| Ok(()))?;
    Ok(new)
}

/// `unlink` (`is_dir` false) and `rmdir` of `dentry` in `dir`.
pub(crate) fn remove(
    dir: &OwnInode<Rovl>,
    dentry: &OwnDentry<Rovl>,
    victim: &OwnInode<Rovl>,
    is_dir: bool,
) -> Result {
    let _changed = listing_changed(dir);
    let fs = dir.fs();
    let upper = fs.layers.upper.as_ref().ok_or(EROFS)?;
    let name = dentry.name()?;
    // Whether a lower layer has the name: then a whiteout must replace it.
    let lower_positive = victim.data().upper().is_none() || lookup::lower_positive(dir, &name);
    if is_dir && (lower_positive || !victim.data().lowers.is_empty()) {
        readdir::check_empty(fs, victim.data())?;
    }
    copy_up::copy_up(&dentry.parent())?;
    let upper_dir = dir.data().upper().ok_or(EIO)?;
    {
        let _creds = fs.override_creds();
        let write = upper.mnt.want_write()?;
        if lower_positive {
            replace_with_whiteout(fs, upper, &write, upper_dir, &name, victim.data().upper())?;
        } else {
            let op = DirOp::start_removing(&upper.mnt, upper_dir, &name)?;
            if !same_inode(
                op.dentry().inode(),
                victim.data().upper().and_then(|u| u.inode()),
            ) {
                return Err(ESTALE);
            }
            op.remove()?;
        }
    }
    if is_dir {
        victim.inode().clear_nlink();
    } else {
        victim.inode().drop_nlink();
    }
    // The dentry no longer matches the layers; let the next lookup start afresh.
    dentry.drop_from_cache();
    dir_changed(dir);
    Ok(())
}

/// Puts a whiteout at `name` in `upper_dir`, atomically replacing `victim` (the object there,
/// if any): a whiteout is made in the work directory and renamed over it (exchanged, for a
/// directory, which then is removed from the work directory with whatever whiteouts it
/// held). The caller holds `write`.
fn replace_with_whiteout(
    fs: &RovlFs,
    upper: &UpperLayer,
    write: &WriteAccess<'_>,
    upper_dir: &Dentry,
    name: &[u8],
    victim: Option<&Dentry>,
) -> Result {
    let mut whiteout = Temp::make(fs, upper, Some(write), |op| op.whiteout().map(|()| op))?;
    let victim_is_dir = victim.is_some_and(|v| v.is_dir());
    let flags = if victim_is_dir {
        RenameFlag::Exchange.into()
    } else {
        RenameFlags::empty()
    };
    // After an exchange the old directory sits in the work directory, and goes with
    // `whiteout`.
    whiteout.place(upper_dir, Target::Name(name), flags, |target| {
        if !same_inode(target.inode(), victim.and_then(|v| v.inode())) {
            return Err(ESTALE);
        }
        Ok(())
    })?;
    Ok(())
}

fn same_inode(a: Option<&Inode>, b: Option<&Inode>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// Marks `dir`'s kept listing out of date once the change the caller is making is over,
/// whether it succeeds or not.
fn listing_changed(dir: &OwnInode<Rovl>) -> ScopeGuard<&RovlInode, fn(&RovlInode)> {
    ScopeGuard::new_with_data(dir.data(), RovlInode::listing_changed)
}

/// The parent's times changed with its upper directory.
fn dir_changed(dir: &OwnInode<Rovl>) {
    let real = dir.data().upper().and_then(|u| u.inode());
    if let (Some(real), Some(layer)) = (real, dir.fs().layers.upper.as_ref()) {
        dir.inode().copy_attrs_from(real, &layer.mnt);
    }
}

/// `rename(2)` and `renameat2(2)` with `RENAME_NOREPLACE` or `RENAME_EXCHANGE`.
///
/// Directories that exist in a lower layer are not moved (that needs overlayfs's
/// `redirect_dir`, which rovl does not have): `EXDEV`, so that `mv` copies instead.
pub(crate) fn rename(
    old_dir: &OwnInode<Rovl>,
    old: &OwnDentry<Rovl>,
    old_inode: &OwnInode<Rovl>,
    new_dir: &OwnInode<Rovl>,
    new: &OwnDentry<Rovl>,
    flags: RenameFlags,
) -> Result {
    if flags.without(RenameFlag::NoReplace | RenameFlag::Exchange) != RenameFlags::empty() {
        return Err(EINVAL);
    }
    let _changed = (listing_changed(old_dir), listing_changed(new_dir));
    RenamePlan::new(old_dir, old, old_inode, new_dir, new, flags)?.execute()
}

/// What a rename is to do, found before anything changes (overlayfs's `ovl_renamedata`, and
/// the decisions of `ovl_rename_start`): the objects and their names, which are directories,
/// and what the upper layer needs besides the rename. [`RenamePlan::new`] only reads, and
/// returns the errors found before the first change; [`RenamePlan::execute`] makes the changes.
struct RenamePlan<'a> {
    fs: &'a RovlFs,
    upper: &'a UpperLayer,
    old_dir: &'a OwnInode<Rovl>,
    old: &'a OwnDentry<Rovl>,
    new_dir: &'a OwnInode<Rovl>,
    new: &'a OwnDentry<Rovl>,
    old_inode: &'a OwnInode<Rovl>,
    /// The object at the target name, if there is one.
    new_inode: Option<&'a OwnInode<Rovl>>,
    old_name: KVec<u8>,
    new_name: KVec<u8>,
    /// `RENAME_EXCHANGE`: both objects move.
    exchange: bool,
    old_is_dir: bool,
    new_is_dir: bool,
    /// The directory the rename replaces is empty in the merged view, but its upper directory
    /// may hold whiteouts: it is swapped for an empty one first ([`clear_empty`]).
    clear_new: bool,
    /// A lower layer has the old name: a whiteout must stay behind there.
    old_lower_positive: bool,
}

impl<'a> RenamePlan<'a> {
    /// Finds what the rename of `old` (`old_inode`) in `old_dir` to `new` in `new_dir` is to
    /// do, with `flags` (already checked by [`rename`]). Nothing is changed yet.
    fn new(
        old_dir: &'a OwnInode<Rovl>,
        old: &'a OwnDentry<Rovl>,
        old_inode: &'a OwnInode<Rovl>,
        new_dir: &'a OwnInode<Rovl>,
        new: &'a OwnDentry<Rovl>,
        flags: RenameFlags,
    ) -> Result<Self> {
        let exchange = flags.contains(RenameFlag::Exchange);
        let fs = old_dir.fs();
        let upper = fs.layers.upper.as_ref().ok_or(EROFS)?;
        let new_inode = new.inode();
        let old_is_dir = old_inode.inode().is_dir();
        let new_is_dir = new_inode.is_some_and(|i| i.inode().is_dir());
        if old_is_dir && !old_inode.data().lowers.is_empty() {
            return Err(EXDEV);
        }
        if exchange && new_is_dir && new_inode.is_some_and(|i| !i.data().lowers.is_empty()) {
            return Err(EXDEV);
        }
        let old_name = old.name()?;
        let new_name = new.name()?;
        // A directory replaced by the rename must be empty in the merged view; its upper
        // directory may still hold whiteouts, which must go first.
        let mut clear_new = false;
        if let (false, true, Some(n)) = (exchange, new_is_dir, new_inode) {
            if !n.data().lowers.is_empty() {
                readdir::check_empty(fs, n.data())?;
                clear_new = n.data().upper().is_some();
            }
        }
        let old_lower_positive =
            old_inode.data().upper().is_none() || lookup::lower_positive(old_dir, &old_name);
        Ok(Self {
            fs,
            upper,
            old_dir,
            old,
            new_dir,
            new,
            old_inode,
            new_inode,
            old_name,
            new_name,
            exchange,
            old_is_dir,
            new_is_dir,
            clear_new,
            old_lower_positive,
        })
    }

    /// The flags of the rename in the upper layer, given whether the target name is a
    /// whiteout there; and whether that whiteout, swapped to the old name, must be removed
    /// afterwards.
    fn upper_flags(&self, new_is_whiteout: bool) -> (RenameFlags, bool) {
        let mut upper_flags = if self.exchange {
            RenameFlag::Exchange.into()
        } else {
            RenameFlags::empty()
        };
        let mut remove_whiteout = false;
        if !self.exchange {
            if self.old_lower_positive {
                // Leave a whiteout where the old name was: by swapping with the whiteout at the
                // target if there is one, else by having the upper filesystem make one.
                upper_flags |= if new_is_whiteout {
                    RenameFlag::Exchange
                } else {
                    RenameFlag::Whiteout
                };
            } else if self.old_is_dir && new_is_whiteout {
                // A directory cannot replace a whiteout (a device node): swap, then remove it.
                upper_flags |= RenameFlag::Exchange;
                remove_whiteout = true;
            }
        }
        (upper_flags, remove_whiteout)
    }

    /// Makes the rename: copies up what it moves and the target's parent, then renames in the
    /// upper layer, after checking that the names there are still the objects rovl knows
    /// (`ESTALE` if not).
    fn execute(self) -> Result {
        let Self {
            fs,
            upper,
            old_dir,
            old,
            new_dir,
            new,
            old_inode,
            new_inode,
            exchange,
            new_is_dir,
            ..
        } = self;
        copy_up::copy_up(old)?;
        copy_up::copy_up(&new.parent())?;
        if exchange {
            copy_up::copy_up(new)?;
        }
        let old_upper = old_inode.data().upper().ok_or(EIO)?;
        let old_upper_dir = old_dir.data().upper().ok_or(EIO)?;
        let new_upper_dir = new_dir.data().upper().ok_or(EIO)?;

        let _creds = fs.override_creds();
        let write = upper.mnt.want_write()?;
        // Is the target name a whiteout in the upper layer?
        let new_is_whiteout = new.inode().is_none()
            && namei::lookup_positive(&upper.mnt, &self.new_name, new_upper_dir)?
                .is_some_and(|d| fs.xattrs.is_whiteout(&upper.mnt, &d));
        let (upper_flags, remove_whiteout) = self.upper_flags(new_is_whiteout);
        let new_upper_now: Option<ARef<Dentry>> = match new_inode {
            Some(n) if self.clear_new => {
                Some(clear_empty(fs, upper, &write, new_upper_dir, n.data())?)
            }
            Some(n) => n.data().upper().map(ARef::from),
            None => None,
        };

        let mut rename = Renaming::by_names(
            &upper.mnt,
            old_upper_dir,
            &self.old_name,
            new_upper_dir,
            &self.new_name,
            upper_flags,
        )?;
        self.check_locked(
            &rename,
            old_upper,
            new_upper_now.as_deref(),
            new_is_whiteout,
            upper_flags,
        )?;
        self.mark_opaque(&rename)?;
        rename.rename()?;
        let whiteout: Option<ARef<Dentry>> = remove_whiteout.then(|| rename.target().into());
        drop(rename);
        if let Some(w) = whiteout {
            // After the exchange the whiteout sits at the old name.
            if let Ok(op) = DirOp::start_removing_dentry(&upper.mnt, old_upper_dir, &w) {
                let _ = op.unlink();
            }
        }
        if let (false, Some(n)) = (exchange, new_inode) {
            if new_is_dir {
                n.inode().clear_nlink();
            } else {
                n.inode().drop_nlink();
            }
        }
        if let Some(real) = old_upper.inode() {
            old_inode.inode().copy_attrs_from(real, &upper.mnt);
        }
        dir_changed(old_dir);
        dir_changed(new_dir);
        Ok(())
    }

    /// Checks, with both upper directories locked for the rename, that the names there are
    /// still what was found before: `old_upper` at the old name; at the new one `new_upper`
    /// if the target is in the upper layer, else nothing, or the whiteout `new_is_whiteout`
    /// says is there (which an exchange in `upper_flags` needs). `ESTALE` if not.
    fn check_locked(
        &self,
        rename: &Renaming<'_>,
        old_upper: &Dentry,
        new_upper: Option<&Dentry>,
        new_is_whiteout: bool,
        upper_flags: RenameFlags,
    ) -> Result {
        let (fs, upper) = (self.fs, self.upper);
        if !same_inode(rename.source().inode(), old_upper.inode()) {
            return Err(ESTALE);
        }
        match new_upper {
            Some(n) => {
                if !same_inode(rename.target().inode(), n.inode()) {
                    return Err(ESTALE);
                }
            }
            None => {
                let target_is_whiteout = rename
                    .target()
                    .inode()
                    .is_some_and(|_| fs.xattrs.is_whiteout(&upper.mnt, rename.target()));
                if rename.target().inode().is_some() && !(new_is_whiteout && target_is_whiteout) {
                    return Err(ESTALE);
                }
                if rename.target().inode().is_none() && upper_flags.contains(RenameFlag::Exchange) {
                    return Err(ESTALE);
                }
            }
        }
        if rename.target().inode().is_some()
            && same_inode(rename.source().inode(), rename.target().inode())
        {
            return Err(ESTALE);
        }
        Ok(())
    }

    /// Marks opaque, before the rename, each directory that moves into a merged directory.
    fn mark_opaque(&self, rename: &Renaming<'_>) -> Result {
        let (fs, upper) = (self.fs, self.upper);
        // A directory moved into a merged directory must not let same-named lower directories
        // show through it. An upper filesystem without xattrs gets EXDEV, as in overlayfs, so
        // that `mv` copies instead; other errors are passed on.
        if self.old_is_dir
            && !self.new_dir.data().lowers.is_empty()
            && fs.xattrs.dir_mark(&upper.mnt, rename.source()) != DirMark::Opaque
        {
            fs.xattrs
                .set_opaque(&upper.mnt, rename.source())
                .map_err(|e| if e == EOPNOTSUPP { EXDEV } else { e })?;
        }
        if self.exchange
            && self.new_is_dir
            && !self.old_dir.data().lowers.is_empty()
            && fs.xattrs.dir_mark(&upper.mnt, rename.target()) != DirMark::Opaque
        {
            fs.xattrs
                .set_opaque(&upper.mnt, rename.target())
                .map_err(|e| if e == EOPNOTSUPP { EXDEV } else { e })?;
        }
        Ok(())
    }
}

/// Replaces the upper directory in `upper_dir` (of the merged directory `data`,
/// empty in the merged view but perhaps holding whiteouts) with an empty opaque one, by
/// exchange, and removes the old one. Returns the new upper directory. The caller holds
/// `write`.
fn clear_empty(
    fs: &RovlFs,
    upper: &UpperLayer,
    write: &WriteAccess<'_>,
    upper_dir: &Dentry,
    data: &RovlInode,
) -> Result<ARef<Dentry>> {
    let old = data.upper().ok_or(EIO)?;
    let attrs = crate::vfs::attr::Attrs::of(crate::vfs::PathRef::new(&upper.mnt, old))?;
    let mut temp = Temp::make(fs, upper, Some(write), |op| op.mkdir(attrs.perm()))?;
    fs.xattrs.set_opaque(&upper.mnt, temp.dentry())?;
    crate::vfs::attr::set_all(&upper.mnt, temp.dentry(), &attrs)?;
    // After the exchange the old directory sits in the work directory, and goes with `temp`.
    let new = temp.place(
        upper_dir,
        Target::Dentry(old),
        RenameFlag::Exchange.into(),
        |_| Ok(()),
    )?;
    Ok(new)
}
