// SPDX-License-Identifier: GPL-2.0

//! Setting up the upper layer at mount: the checks overlayfs makes on `upperdir` and
//! `workdir`, the in-use marks, and a clean work directory. Mirrors `ovl_get_upper()` and
//! `ovl_get_workdir()` in `fs/overlayfs/super.c`.

#![deny(unsafe_code)]

use crate::{
    layers::{LayerStack, UpperLayer},
    vfs::{
        dirop,
        inode_state::{StateBit, StateMark},
        xattr as vxattr, CredGuard, Dentry, FsContextLog, Path, PrivateMount,
    },
    work,
};
use kernel::{cred::Credential, prelude::*};

/// The exclusive "in use as an overlay's upper or work directory" mark on a real directory
/// inode. It is overlayfs's own mark (`I_OVL_INUSE`, set by `ovl_inuse_trylock()`), so that
/// rovl and overlayfs mounts see each other's use of a directory as two overlayfs mounts do.
/// Dropping the mark clears it.
pub(crate) struct InUseMark {
    _mark: StateMark,
}

impl InUseMark {
    const BIT: StateBit = StateBit::OVL_INUSE;

    /// Whether some mount has marked `dir`'s inode in use.
    pub(crate) fn is_set(dir: &Dentry) -> bool {
        StateMark::is_set(dir, Self::BIT)
    }

    /// Marks `dir`'s inode in use; `None` if another mount has marked it already.
    pub(crate) fn try_new(dir: &Dentry) -> Option<Self> {
        StateMark::try_new(dir, Self::BIT).map(|mark| Self { _mark: mark })
    }
}

/// Checks `upper` and `work`, clones the upper mount and prepares `workdir/work`.
pub(crate) fn set_up(
    upper: &Path,
    work: &Path,
    layers: &LayerStack,
    creds: &Credential,
    opaque_xattr: &CStr,
    log: &FsContextLog<'_>,
) -> Result<UpperLayer> {
    if upper.mnt().is_readonly() {
        log.error(fmt!("upper fs is r/o, try multi-lower layers mount"));
        return Err(EINVAL);
    }
    if !core::ptr::eq(upper.mnt(), work.mnt()) {
        log.error(fmt!(
            "workdir and upperdir must reside under the same mount"
        ));
        return Err(EINVAL);
    }
    if dirop::is_subdir(work.dentry(), upper.dentry())
        || dirop::is_subdir(upper.dentry(), work.dentry())
    {
        log.error(fmt!("workdir and upperdir must be separate subtrees"));
        return Err(EINVAL);
    }
    layers.check_upper_overlap(
        &[(upper.dentry(), "upperdir"), (work.dentry(), "workdir")],
        log,
    )?;
    let mnt = PrivateMount::clone_of(upper).inspect_err(|_| {
        log.error(fmt!("failed to clone upperpath"));
    })?;
    // Two mounts writing one upper layer corrupt each other's view. overlayfs refuses that
    // only with `index=on` and warns otherwise; so does rovl (which has no index).
    let mut marks = KVec::new();
    for (dir, what) in [(mnt.root(), "upperdir"), (work.dentry(), "workdir")] {
        match InUseMark::try_new(dir) {
            Some(mark) => marks.push(mark, GFP_KERNEL)?,
            None => pr_warn!(
                "rovl: {what} is in-use as upperdir/workdir of another mount, accessing files from both mounts will result in undefined behavior.\n"
            ),
        }
    }
    let work_dir = {
        let _creds = CredGuard::new(creds);
        let work_dir = work::prepare(&mnt, work.dentry(), creds, log)?;
        // Whiteouts in xattr form and opaque directories need xattrs on the upper
        // filesystem. overlayfs mounts without them and fails later; say so now.
        let _write = mnt.want_write()?;
        match vxattr::set(&mnt, &work_dir, opaque_xattr, b"0", 0) {
            Ok(()) => {
                let _ = vxattr::remove(&mnt, &work_dir, opaque_xattr);
            }
            Err(e) => {
                pr_warn!("rovl: failed to set xattr on upper ({})\n", e.to_errno());
            }
        }
        work_dir
    };
    Ok(UpperLayer {
        mnt,
        work: work_dir,
        marks,
    })
}
