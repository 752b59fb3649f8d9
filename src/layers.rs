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
    upper_layer::InUseMark,
    vfs::{dirop, sb::AnonDev, Dentry, FsContextLog, PrivateMount, SuperBlock},
};
use kernel::{prelude::*, sync::aref::ARef};

/// One lower layer.
pub(crate) struct Layer {
    /// Private clone of the layer's mount; its root is the layer directory.
    pub(crate) mnt: PrivateMount,
    /// Index of the layer's filesystem in [`LayerStack::pseudo_devs`]: 0 for the upper layer's
    /// filesystem, as overlayfs numbers them.
    pub(crate) fsid: usize,
}

/// The writable upper layer and its work directory.
pub(crate) struct UpperLayer {
    /// Private clone of the upper directory's mount; its root is the upper directory.
    pub(crate) mnt: PrivateMount,
    /// `workdir/work`: where new objects are made before they are renamed into place.
    pub(crate) work: ARef<Dentry>,
    /// The in-use marks this mount set on the upper directory and the user's workdir (none
    /// where another mount had set it first).
    pub(crate) marks: KVec<InUseMark>,
}

/// The layers of one mount: the optional upper layer and the lower layers, top first.
pub(crate) struct LayerStack {
    pub(crate) upper: Option<UpperLayer>,
    pub(crate) lowers: KVec<Layer>,
    /// One anonymous device per distinct filesystem (the upper layer's first, even without an
    /// upper layer), reported as `st_dev` of non-directories when the layers span several
    /// filesystems.
    pseudo_devs: KVec<AnonDev>,
}

impl LayerStack {
    /// Clones the mounts of `specs` and numbers their filesystems; `upper_sb` is the upper
    /// layer's filesystem, if there is one.
    pub(crate) fn new(
        specs: &[LayerSpec],
        upper_sb: Option<&SuperBlock>,
        log: &FsContextLog<'_>,
    ) -> Result<Self> {
        let mut lowers = KVec::with_capacity(specs.len(), GFP_KERNEL)?;
        let mut fs_sbs: KVec<Option<&SuperBlock>> = KVec::new();
        let mut pseudo_devs = KVec::new();
        fs_sbs.push(upper_sb, GFP_KERNEL)?;
        pseudo_devs.push(AnonDev::new()?, GFP_KERNEL)?;
        for spec in specs {
            let mnt = PrivateMount::clone_of(&spec.path).inspect_err(|e| {
                log.error(fmt!("failed to clone lowerdir mount: {}", e.to_errno()));
            })?;
            let sb = spec.path.dentry().sb();
            let fsid = match fs_sbs.iter().position(|s| s.is_some_and(|s| s.same(sb))) {
                Some(i) => i,
                None => {
                    fs_sbs.push(Some(sb), GFP_KERNEL)?;
                    pseudo_devs.push(AnonDev::new()?, GFP_KERNEL)?;
                    fs_sbs.len() - 1
                }
            };
            lowers.push(Layer { mnt, fsid }, GFP_KERNEL)?;
        }
        let stack = Self {
            upper: None,
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

    /// Refuses a lower layer that is the upper or work directory or inside one, as overlayfs
    /// does (an upper directory inside a lower layer is allowed).
    pub(crate) fn check_upper_overlap(
        &self,
        dirs: &[(&Dentry, &str)],
        log: &FsContextLog<'_>,
    ) -> Result {
        for lower in self.lowers.iter() {
            let root = lower.mnt.root();
            for &(dir, what) in dirs {
                if *root == *dir {
                    log.error(fmt!("conflicting {what} path"));
                    return Err(ELOOP);
                }
                if dirop::is_subdir(root, dir) {
                    log.error(fmt!("overlapping {what} path"));
                    return Err(ELOOP);
                }
            }
        }
        Ok(())
    }

    /// Warns about lower layers another mount uses as its upper or work directory.
    pub(crate) fn warn_lowers_in_use(&self) {
        for lower in self.lowers.iter() {
            if InUseMark::is_set(lower.mnt.root()) {
                pr_warn!(
                    "rovl: lowerdir is in-use as upperdir/workdir of another mount, accessing files from both mounts will result in undefined behavior.\n"
                );
            }
        }
    }

    /// Whether every layer is on one filesystem, so real inode numbers are unique across
    /// the stack and the overlay's own `st_dev` can be reported for everything.
    pub(crate) fn same_fs(&self) -> bool {
        let mut fsids = self.lowers.iter().map(|l| l.fsid);
        match &self.upper {
            Some(_) => fsids.all(|f| f == 0),
            None => {
                let first = self.lowers.first().map_or(0, |l| l.fsid);
                fsids.all(|f| f == first)
            }
        }
    }

    /// The `st_dev` to report for non-directories of the filesystem `fsid`.
    pub(crate) fn pseudo_dev(&self, fsid: usize) -> u32 {
        self.pseudo_devs.get(fsid).map_or(0, |d| d.dev())
    }

    pub(crate) fn layer(&self, index: usize) -> &Layer {
        &self.lowers[index]
    }

    /// How deep the filesystems under the stack are stacked already.
    pub(crate) fn max_stack_depth(&self) -> i32 {
        let upper = self.upper.as_ref().map_or(0, |u| u.mnt.sb().stack_depth());
        self.lowers
            .iter()
            .map(|l| l.mnt.sb().stack_depth())
            .max()
            .unwrap_or(0)
            .max(upper)
    }
}

impl Drop for LayerStack {
    fn drop(&mut self) {
        // Release the layers' mounts together: one RCU grace period instead of one each.
        let mut mounts = KVec::new();
        if let Some(upper) = self.upper.take() {
            drop(upper.marks);
            drop(upper.work);
            let _ = mounts.push(upper.mnt, GFP_KERNEL);
        }
        for layer in self.lowers.drain_all() {
            // On allocation failure the mount is dropped, and so released, on its own.
            let _ = mounts.push(layer.mnt, GFP_KERNEL);
        }
        PrivateMount::release_all(mounts);
    }
}
