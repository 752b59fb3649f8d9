// SPDX-License-Identifier: GPL-2.0

//! The work directory: where new objects are prepared before they are renamed into the upper
//! layer, so that nothing half-made is ever visible there. Mirrors the workdir parts of
//! `fs/overlayfs/super.c` and `dir.c`.
//!
//! rovl works in `workdir/work` (overlayfs's name, so that either filesystem can take over a
//! layer from the other). It is emptied at every mount: whatever is left in it is debris of a
//! crash or of a failed operation, and is never trusted.

#![deny(unsafe_code)]

use crate::{
    layers::UpperLayer,
    super_block::RovlFs,
    vfs::{
        attr::{self, FileType, OpenFlag},
        dirop::DirOp,
        namei,
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
pub(crate) fn discard(fs: &RovlFs, upper: &UpperLayer, temp: &Dentry) {
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
    // Clear whatever bits the mode got from the umask or the parent.
    attr::set_mode(mnt, &work, FileType::Directory.mode_bits())?;
    Ok(work)
}
