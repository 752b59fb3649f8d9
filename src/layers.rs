// SPDX-License-Identifier: GPL-2.0

//! The layer stack: private clones of the layers' mounts, and how their objects are numbered.
//! Mirrors the layer setup in `fs/overlayfs/super.c`.
//!
//! Each layer is held through a private clone of its mount, made at mount time, so that later
//! mount and umount calls elsewhere cannot change what the overlay sees. The stack is built
//! once in `fill_super` and never changes afterwards.

#![deny(unsafe_code)]

use crate::{
    config::LayerSpec,
    vfs::{sb::AnonDev, Dentry, FsContextLog, PrivateMount, SuperBlock},
};
use kernel::{prelude::*, sync::aref::ARef};

/// One lower layer.
pub(crate) struct Layer {
    /// Private clone of the layer's mount; its root is the layer directory.
    pub(crate) mnt: PrivateMount,
    /// Index of the layer's filesystem in [`LayerStack::pseudo_devs`] plus one (0 is kept
    /// for an upper layer's filesystem, as overlayfs numbers them).
    pub(crate) fsid: usize,
}

/// The lower layers of one mount, top first.
pub(crate) struct LayerStack {
    pub(crate) lowers: KVec<Layer>,
    /// One anonymous device per distinct lower filesystem, reported as `st_dev` of
    /// non-directories when the layers span several filesystems.
    pseudo_devs: KVec<AnonDev>,
}

impl LayerStack {
    /// Clones the mounts of `specs` and numbers their filesystems.
    pub(crate) fn new(specs: &[LayerSpec], log: &FsContextLog<'_>) -> Result<Self> {
        let mut lowers = KVec::with_capacity(specs.len(), GFP_KERNEL)?;
        let mut fs_sbs: KVec<&SuperBlock> = KVec::new();
        let mut pseudo_devs = KVec::new();
        for spec in specs {
            let mnt = PrivateMount::clone_of(&spec.path).inspect_err(|e| {
                log.error(fmt!("failed to clone lowerdir mount: {}", e.to_errno()));
            })?;
            let sb = spec.path.dentry().sb();
            let fsid = match fs_sbs.iter().position(|s| s.same(sb)) {
                Some(i) => i + 1,
                None => {
                    fs_sbs.push(sb, GFP_KERNEL)?;
                    pseudo_devs.push(AnonDev::new()?, GFP_KERNEL)?;
                    fs_sbs.len()
                }
            };
            lowers.push(Layer { mnt, fsid }, GFP_KERNEL)?;
        }
        let stack = Self {
            lowers,
            pseudo_devs,
        };
        stack.check_overlap(log)?;
        Ok(stack)
    }

    /// Refuses a layer given twice, or one inside another: lookups would then reach the same
    /// objects through two layers. Both fail with `ELOOP`, as in overlayfs.
    fn check_overlap(&self, log: &FsContextLog<'_>) -> Result {
        let roots = || self.lowers.iter().map(|l| l.mnt.root());
        for (i, root) in roots().enumerate() {
            if roots().take(i).any(|r| r == root) {
                log.error(fmt!("conflicting lowerdir path"));
                return Err(ELOOP);
            }
        }
        for (i, root) in roots().enumerate() {
            let mut dir: ARef<Dentry> = root.into();
            loop {
                let parent = dir.parent();
                if *parent == *dir {
                    break;
                }
                if roots().enumerate().any(|(j, r)| j != i && *r == *parent) {
                    log.error(fmt!("overlapping lowerdir path"));
                    return Err(ELOOP);
                }
                dir = parent;
            }
        }
        Ok(())
    }

    /// Whether every layer is on one filesystem, so real inode numbers are unique across
    /// the stack and the overlay's own `st_dev` can be reported for everything.
    pub(crate) fn same_fs(&self) -> bool {
        self.pseudo_devs.len() <= 1
    }

    /// The `st_dev` to report for non-directories of the filesystem `fsid`.
    pub(crate) fn pseudo_dev(&self, fsid: usize) -> u32 {
        self.pseudo_devs
            .get(fsid.wrapping_sub(1))
            .map_or(0, |d| d.dev())
    }

    pub(crate) fn layer(&self, index: usize) -> &Layer {
        &self.lowers[index]
    }

    /// How deep the filesystems under the stack are stacked already.
    pub(crate) fn max_stack_depth(&self) -> i32 {
        self.lowers
            .iter()
            .map(|l| l.mnt.sb().stack_depth())
            .max()
            .unwrap_or(0)
    }
}

impl Drop for LayerStack {
    fn drop(&mut self) {
        // Release the layers' mounts together: one RCU grace period instead of one each.
        let mut mounts = KVec::new();
        for layer in self.lowers.drain_all() {
            // On allocation failure the mount is dropped, and so released, on its own.
            let _ = mounts.push(layer.mnt, GFP_KERNEL);
        }
        PrivateMount::release_all(mounts);
    }
}
