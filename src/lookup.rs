// SPDX-License-Identifier: GPL-2.0

//! Looking a name up across the layers. Mirrors `fs/overlayfs/namei.c`.
//!
//! The rules, from overlayfs.rst: layers are searched top-down. A non-directory hides every
//! layer below it. A directory merges with same-named directories below it, until a layer
//! has a non-directory or a whiteout of that name, or the directory is opaque. A whiteout
//! hides the name in every layer below it.

#![deny(unsafe_code)]

use crate::{
    inode::{self, LowerEntry},
    super_block::{Rovl, RovlFs},
    vfs::{namei, trace, Dentry, Mount, OwnInode},
    xattr,
};
use kernel::{prelude::*, sync::aref::ARef};

/// Looks `name` up under the merged directory `dir`.
pub(crate) fn lookup(dir: &OwnInode<Rovl>, name: &[u8]) -> Result<Option<ARef<OwnInode<Rovl>>>> {
    let sb = dir.sb();
    let fs = sb.data();
    // No layer can hold a longer name (and the layers' own lookups would say ENOENT or
    // ENAMETOOLONG depending on the layer).
    if name.len() > fs.max_name_len() {
        return Err(ENAMETOOLONG);
    }
    let data = dir.data();
    let mut upper = None;
    let mut found: KVec<LowerEntry> = KVec::new();
    // How many layers were asked, for the trace of a miss.
    let mut asked = 0;
    {
        let _creds = fs.override_creds();
        if let (Some(parent), Some(layer)) = (data.upper(), fs.layers.upper.as_ref()) {
            asked += 1;
            if let Some(real) = namei::lookup_positive(&layer.mnt, name, parent)? {
                let step = merge_step(layer_has(fs, &layer.mnt, &real), false);
                if !step.take {
                    trace::lookup_miss(dir.inode(), name, asked);
                    return Ok(None);
                }
                upper = Some(real);
                if !step.go_on {
                    return inode::get(sb, upper, found).map(Some);
                }
            }
        }
        for parent in data.lowers.iter() {
            let layer = fs.layers.layer(parent.layer);
            asked += 1;
            let Some(real) = namei::lookup_positive(&layer.mnt, name, &parent.dentry)? else {
                continue;
            };
            let above = upper.is_some() || !found.is_empty();
            let step = merge_step(layer_has(fs, &layer.mnt, &real), above);
            if step.take {
                found.push(LowerEntry::new(parent.layer, real), GFP_KERNEL)?;
            }
            if !step.go_on {
                break;
            }
        }
    }
    if found.is_empty() && upper.is_none() {
        trace::lookup_miss(dir.inode(), name, asked);
        return Ok(None);
    }
    inode::get(sb, upper, found).map(Some)
}

/// What a layer has under the name looked up, as the merge rules see it.
#[derive(Clone, Copy)]
enum Found {
    /// A whiteout: the name is gone from this layer down.
    Whiteout,
    /// A non-directory.
    NonDir,
    /// A directory; an opaque one hides the layers below it.
    Dir { opaque: bool },
}

/// What the lookup does with one layer's entry.
struct Step {
    /// The entry is part of the merged object.
    take: bool,
    /// The layers below are looked at too.
    go_on: bool,
}

/// The merge rules for a layer's entry met after entries were taken from the layers above
/// (`above`), or none.
fn merge_step(found: Found, above: bool) -> Step {
    match found {
        Found::Whiteout => Step {
            take: false,
            go_on: false,
        },
        // A non-directory is the answer if nothing was found above it; below a directory it
        // ends the merge.
        Found::NonDir => Step {
            take: !above,
            go_on: false,
        },
        Found::Dir { opaque } => Step {
            take: true,
            go_on: !opaque,
        },
    }
}

/// What the real object `real` on layer mount `mnt` is to the merge rules.
fn layer_has(fs: &RovlFs, mnt: &Mount, real: &Dentry) -> Found {
    if fs.xattrs.is_whiteout(mnt, real) {
        Found::Whiteout
    } else if real.is_dir() {
        let opaque = fs.xattrs.dir_mark(mnt, real) == xattr::DirMark::Opaque;
        Found::Dir { opaque }
    } else {
        Found::NonDir
    }
}

/// Whether `name` exists below the upper layer in the merged directory `dir`: whether
/// removing it must leave a whiteout. An error other than "no such name" counts as
/// existing, to be safe.
pub(crate) fn lower_positive(dir: &OwnInode<Rovl>, name: &[u8]) -> bool {
    let fs = dir.fs();
    let _creds = fs.override_creds();
    for parent in dir.data().lowers.iter() {
        let layer = fs.layers.layer(parent.layer);
        match namei::lookup_positive(&layer.mnt, name, &parent.dentry) {
            Ok(None) => continue,
            Ok(Some(real)) => return !fs.xattrs.is_whiteout(&layer.mnt, &real),
            Err(_) => return true,
        }
    }
    false
}

#[kunit_tests(rovl_lookup)]
mod tests {
    use super::*;

    const DIR: Option<Found> = Some(Found::Dir { opaque: false });
    const OPAQUE: Option<Found> = Some(Found::Dir { opaque: true });
    const NONDIR: Option<Found> = Some(Found::NonDir);
    const WHITEOUT: Option<Found> = Some(Found::Whiteout);

    /// The layers (top first, the first one the upper layer) whose entries make up the
    /// merged object when each has `layers[i]` under the name (`None`: nothing), as
    /// `lookup` applies the rules.
    fn merge(layers: &[Option<Found>]) -> Result<KVec<usize>> {
        let mut taken = KVec::new();
        for (i, found) in layers.iter().enumerate() {
            let Some(found) = *found else {
                continue;
            };
            let step = merge_step(found, !taken.is_empty());
            if step.take {
                taken.push(i, GFP_KERNEL)?;
            }
            if !step.go_on {
                break;
            }
        }
        Ok(taken)
    }

    #[test]
    fn directories_merge() -> Result {
        assert_eq!(merge(&[DIR, DIR, DIR])?.as_slice(), &[0, 1, 2]);
        assert_eq!(merge(&[None, DIR, None, DIR])?.as_slice(), &[1, 3]);
        assert_eq!(merge(&[None, None, DIR])?.as_slice(), &[2]);
        Ok(())
    }

    #[test]
    fn opaque_ends_the_merge() -> Result {
        assert_eq!(merge(&[OPAQUE, DIR])?.as_slice(), &[0]);
        assert_eq!(merge(&[DIR, OPAQUE, DIR])?.as_slice(), &[0, 1]);
        assert_eq!(merge(&[None, OPAQUE, NONDIR])?.as_slice(), &[1]);
        Ok(())
    }

    #[test]
    fn non_directory_hides_below() -> Result {
        assert_eq!(merge(&[NONDIR, DIR])?.as_slice(), &[0]);
        assert_eq!(merge(&[None, NONDIR, NONDIR])?.as_slice(), &[1]);
        // Below a directory a non-directory ends the merge and is not part of it.
        assert_eq!(merge(&[DIR, NONDIR, DIR])?.as_slice(), &[0]);
        Ok(())
    }

    #[test]
    fn whiteout_hides_below() -> Result {
        assert!(merge(&[WHITEOUT, DIR])?.is_empty());
        assert!(merge(&[None, WHITEOUT, NONDIR])?.is_empty());
        assert_eq!(merge(&[DIR, WHITEOUT, DIR])?.as_slice(), &[0]);
        assert_eq!(merge(&[NONDIR, WHITEOUT])?.as_slice(), &[0]);
        assert!(merge(&[None, None])?.is_empty());
        Ok(())
    }

    #[test]
    fn steps() {
        let s = merge_step(Found::NonDir, true);
        assert!(!s.take && !s.go_on);
        let s = merge_step(Found::NonDir, false);
        assert!(s.take && !s.go_on);
        let s = merge_step(Found::Whiteout, false);
        assert!(!s.take && !s.go_on);
        let s = merge_step(Found::Dir { opaque: false }, true);
        assert!(s.take && s.go_on);
        let s = merge_step(Found::Dir { opaque: true }, false);
        assert!(s.take && !s.go_on);
    }
}
