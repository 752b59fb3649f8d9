// SPDX-License-Identifier: GPL-2.0

//! The work directory: where new objects are prepared before they are renamed into the upper
//! layer, so that nothing half-made is ever visible there. Mirrors the workdir parts of
//! `fs/overlayfs/super.c` and `dir.c`.
//!
//! rovl works in `workdir/work` (overlayfs's name, so that either filesystem can take over a
//! layer from the other). It is emptied at every mount: whatever is left in it is debris of a
//! crash or of a failed operation, and is never trusted.
//!
//! An object is built there as a [`Temp`]: made under a fresh temporary name, filled in, then
//! renamed into the upper layer by [`Temp::place`]. A `Temp` that is not placed is removed when
//! it goes, so every error path cleans up after itself.

#![deny(unsafe_code)]

use crate::{
    layers::UpperLayer,
    super_block::RovlFs,
    vfs::{
        attr::{self, FileType, OpenFlag, RenameFlag, RenameFlags},
        dirop::{DirOp, Renaming},
        namei,
        path::WriteAccess,
        posix_acl::{self, AclType},
        readdir::{self as vreaddir, RealEntry},
        Dentry, FsContextLog, Mount, PathRef,
    },
};
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::{cred::Credential, prelude::*, str::CString, sync::aref::ARef};

/// The name of rovl's directory inside the user's workdir.
pub(crate) const WORK_NAME: &[u8] = b"work";

/// How deep a tree of leftovers in the work directory may be to be cleaned up.
const MAX_CLEANUP_DEPTH: u32 = 16;

/// A fresh name for a temporary object in the work directory: `#` and a hex counter, as
/// overlayfs names them. Names may repeat after wrapping; the objects never live that long.
pub(crate) fn temp_name() -> Result<CString> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed).wrapping_add(1);
    CString::try_from_fmt(fmt!("#{n:x}"))
}

/// The names in the real directory `dir` on `mnt`, without `.` and `..`.
pub(crate) fn list_names(mnt: &Mount, dir: &Dentry, creds: &Credential) -> Result<KVec<KVec<u8>>> {
    let file = vreaddir::open_dir(PathRef::new(mnt, dir), OpenFlag::Directory.into(), creds)?;
    let mut names = KVec::new();
    vreaddir::read_all(&file, &mut |e: RealEntry<'_>| {
        if e.name != b"." && e.name != b".." {
            let mut n = KVec::with_capacity(e.name.len(), GFP_KERNEL)?;
            n.extend_from_slice(e.name, GFP_KERNEL)?;
            names.push(n, GFP_KERNEL)?;
        }
        Ok(())
    })?;
    Ok(names)
}

/// Removes `child` (of `parent`, on `mnt`) and, for a directory, everything in it.
pub(crate) fn remove_tree(
    mnt: &Mount,
    parent: &Dentry,
    child: &Dentry,
    creds: &Credential,
    depth: u32,
) -> Result {
    if child.is_dir() {
        if depth >= MAX_CLEANUP_DEPTH {
            return Err(ELOOP);
        }
        for name in list_names(mnt, child, creds)?.iter() {
            if let Some(grandchild) = namei::lookup_positive(mnt, name, child)? {
                remove_tree(mnt, child, &grandchild, creds, depth + 1)?;
            }
        }
    }
    let op = DirOp::start_removing_dentry(mnt, parent, child)?;
    op.remove()
}

/// Best-effort removal of a temporary object from the work directory, after a failure: the
/// error that caused the cleanup is the one to report. Whatever is left is removed at the
/// next mount. The caller holds write access to the upper mount.
fn discard(fs: &RovlFs, upper: &UpperLayer, temp: &Dentry) {
    let _creds = fs.override_creds();
    // The failure that got us here (often a short allocation) may strike the cleanup too;
    // a few more tries usually get through.
    let mut last = Ok(());
    for _ in 0..DISCARD_TRIES {
        last = remove_tree(&upper.mnt, &upper.work, temp, &fs.creds, 0);
        if last.is_ok() || !temp.is_positive() {
            return;
        }
    }
    if let Err(e) = last {
        pr_warn!(
            "rovl: cleanup of a temporary object failed ({})\n",
            e.to_errno()
        );
    }
}

/// How often [`discard`] tries to remove a temporary object.
const DISCARD_TRIES: u32 = 4;

/// An object being built in the work directory under a temporary name, to be renamed into the
/// upper layer once complete ([`Temp::place`]).
///
/// Until it is placed, dropping the guard removes the object ([`discard`]: best effort, with
/// retries and a warning), so an error at any step leaves nothing behind but what the next
/// mount's cleanup removes. A rename that exchanges puts the object that was at the target into
/// the work directory in the temporary's stead: the guard then holds that one, and removes it
/// when it goes (with whatever whiteouts a directory held).
///
/// The objects are made, renamed and removed with the credentials current at each call, as
/// the caller has them; only the removal switches to the mounter's.
pub(crate) struct Temp<'a> {
    fs: &'a RovlFs,
    upper: &'a UpperLayer,
    /// The caller's write access to the upper mount, held for as long as the guard lives; or
    /// `None` for a caller that holds it only at times (copy-up, which copies the data without
    /// it), so the removal takes it itself and is skipped if it cannot. Taking it while it is
    /// held could deadlock against a freeze that waits in between.
    write: Option<&'a WriteAccess<'a>>,
    /// The object in the work directory; once placed (without an exchange), the object that
    /// is now in the upper layer, which is not removed.
    dentry: ARef<Dentry>,
    /// Whether `dentry` is still in the work directory, to be removed on drop.
    in_work: bool,
}

/// Where [`Temp::place`] puts the object, in a directory of the upper layer.
pub(crate) enum Target<'a> {
    /// At this name (looked up under the rename's locks).
    Name(&'a [u8]),
    /// Over this known dentry, which must still be in the directory.
    Dentry(&'a Dentry),
}

impl<'a> Temp<'a> {
    /// Makes a new object in the work directory under a fresh name ([`temp_name`]): `make` makes
    /// it at the name, which is locked and negative (`EEXIST` if the name is taken). The work
    /// directory is unlocked when this returns. The caller holds write access to the upper
    /// mount for the call, and passes it as `write` if it holds it for the guard's whole life.
    pub(crate) fn make(
        fs: &'a RovlFs,
        upper: &'a UpperLayer,
        write: Option<&'a WriteAccess<'a>>,
        make: impl FnOnce(DirOp<'a>) -> Result<DirOp<'a>>,
    ) -> Result<Self> {
        let name = temp_name()?;
        let op = DirOp::start_creating(&upper.mnt, &upper.work, name.to_bytes())?;
        if op.dentry().inode().is_some() {
            return Err(EEXIST);
        }
        let dentry = make(op)?.dentry_ref();
        Ok(Self {
            fs,
            upper,
            write,
            dentry,
            in_work: true,
        })
    }

    /// The object in the work directory.
    pub(crate) fn dentry(&self) -> &Dentry {
        &self.dentry
    }

    /// Renames the object from the work directory to `target` in `dir` of the upper layer, with
    /// `flags`; returns the object now in place. `check` is given the target dentry with both
    /// directories locked, just before the rename, and may refuse it with an error.
    ///
    /// After an exchange, the guard holds what was at the target, now in the work directory.
    /// On an error the object stays in the work directory, to be removed when the guard is
    /// dropped: after the rename's locks are released, and after whatever guards the caller
    /// made later (with `write` `None`, the write access it took to place the object, so that
    /// the removal can take its own).
    pub(crate) fn place(
        &mut self,
        dir: &Dentry,
        target: Target<'_>,
        flags: RenameFlags,
        check: impl FnOnce(&Dentry) -> Result,
    ) -> Result<ARef<Dentry>> {
        let (mnt, work) = (&self.upper.mnt, &self.upper.work);
        let mut rename = match target {
            Target::Name(name) => Renaming::by_dentry(mnt, work, &self.dentry, dir, name, flags)?,
            Target::Dentry(new) => Renaming::by_dentries(mnt, work, &self.dentry, dir, new, flags)?,
        };
        check(rename.target())?;
        rename.rename()?;
        if flags.contains(RenameFlag::Exchange) {
            let displaced = ARef::<Dentry>::from(rename.target());
            Ok(core::mem::replace(&mut self.dentry, displaced))
        } else {
            self.in_work = false;
            Ok(self.dentry.clone())
        }
    }
}

impl Drop for Temp<'_> {
    fn drop(&mut self) {
        if !self.in_work {
            return;
        }
        if self.write.is_some() {
            discard(self.fs, self.upper, &self.dentry);
        } else if let Ok(_write) = self.upper.mnt.want_write() {
            discard(self.fs, self.upper, &self.dentry);
        }
    }
}

/// Makes `workdir/work` ready at mount: removes what an earlier mount left there and makes
/// it again, empty and with mode 0. Runs with the mounter's credentials.
pub(crate) fn prepare(
    mnt: &Mount,
    workbase: &Dentry,
    creds: &Credential,
    log: &FsContextLog<'_>,
) -> Result<ARef<Dentry>> {
    let _write = mnt.want_write()?;
    if let Some(old) = namei::lookup_positive(mnt, WORK_NAME, workbase)? {
        remove_tree(mnt, workbase, &old, creds, 0).inspect_err(|e| {
            log.error(fmt!(
                "failed to clean up the old workdir ({})",
                e.to_errno()
            ));
        })?;
    }
    let op = DirOp::start_creating(mnt, workbase, WORK_NAME)?;
    if op.dentry().inode().is_some() {
        log.error(fmt!("workdir/work appeared while it was being made"));
        return Err(EBUSY);
    }
    let op = op.mkdir(0)?;
    let work = op.dentry_ref();
    drop(op);
    if work.inode().is_none() {
        return Err(EINVAL);
    }
    // The objects made here must not inherit a default ACL: remove the ACLs the directory
    // may have got from `workbase`'s default ACL, as overlayfs does (`ovl_workdir_create()`).
    for kind in [AclType::Default, AclType::Access] {
        match posix_acl::remove_acl(mnt, &work, kind) {
            Err(e) if e != ENODATA && e != EOPNOTSUPP => {
                log.error(fmt!(
                    "failed to remove the ACLs of workdir/work ({})",
                    e.to_errno()
                ));
                return Err(e);
            }
            _ => {}
        }
    }
    // Clear whatever bits the mode got from the umask or the parent.
    attr::set_mode(mnt, &work, FileType::Directory.mode_bits())?;
    Ok(work)
}
