// SPDX-License-Identifier: GPL-2.0

//! Extended attributes of merged objects. Mirrors `fs/overlayfs/xattrs.c`.
//!
//! Everything passes through to the real object except the overlay's own private
//! attributes (`trusted.overlay.*`), which describe the layers and are hidden from the
//! merged view.

#![deny(unsafe_code)]

use crate::{
    copy_up,
    super_block::Rovl,
    vfs::{xattr as vxattr, Dentry, Mount, OwnDentry, OwnInode},
};
use kernel::prelude::*;

/// The names of the overlay's own xattrs: `trusted.overlay.*`, or `user.overlay.*` with the
/// `userxattr` option (for layers made without privileges).
pub(crate) struct OverlayXattrs {
    /// Prefix of all of them; such xattrs are hidden from the merged view.
    prefix: &'static [u8],
    /// On a directory: `y` makes it opaque (nothing below merges in); `x` says that it may
    /// hold xattr whiteouts.
    pub(crate) opaque: &'static CStr,
    /// On an empty regular file: this is a whiteout (the form that needs no device node).
    whiteout: &'static CStr,
}

// The names are overlayfs's on-disk format (`OVL_XATTR_*`), spelled out here because they are
// defined only in `fs/overlayfs/overlayfs.h`, private to overlayfs and seen by no bindgen run.
pub(crate) static TRUSTED_XATTRS: OverlayXattrs = OverlayXattrs {
    prefix: b"trusted.overlay.",
    opaque: c"trusted.overlay.opaque",
    whiteout: c"trusted.overlay.whiteout",
};

pub(crate) static USER_XATTRS: OverlayXattrs = OverlayXattrs {
    prefix: b"user.overlay.",
    opaque: c"user.overlay.opaque",
    whiteout: c"user.overlay.whiteout",
};

pub(crate) fn get(
    _dentry: &OwnDentry<Rovl>,
    inode: &OwnInode<Rovl>,
    name: &CStr,
    buf: Option<&mut [u8]>,
) -> Result<usize> {
    let fs = inode.fs();
    if fs.xattrs.is_private(name.to_bytes()) {
        return Err(EOPNOTSUPP);
    }
    let real = inode.data().real(fs)?;
    let _creds = fs.override_creds();
    vxattr::get(real.mnt, real.dentry, name, buf)
}

/// Sets or (with `value` `None`) removes an xattr: on the upper object, after a copy-up.
pub(crate) fn set(
    dentry: &OwnDentry<Rovl>,
    inode: &OwnInode<Rovl>,
    name: &CStr,
    value: Option<&[u8]>,
    flags: i32,
) -> Result {
    let fs = inode.fs();
    if fs.xattrs.is_private(name.to_bytes()) {
        return Err(EOPNOTSUPP);
    }
    // Lower layers are never written; without an upper layer the mount is read-only.
    let upper_layer = fs.layers.upper.as_ref().ok_or(EROFS)?;
    if value.is_none() && inode.data().upper().is_none() {
        // Removing an xattr the object does not have needs no copy-up.
        let real = inode.data().real(fs)?;
        let _creds = fs.override_creds();
        if vxattr::get(real.mnt, real.dentry, name, None) == Err(ENODATA) {
            return Err(ENODATA);
        }
    }
    copy_up::copy_up(dentry)?;
    let upper = inode.data().upper().ok_or(EIO)?;
    let _write = upper_layer.mnt.want_write()?;
    {
        let _creds = fs.override_creds();
        match value {
            Some(v) => vxattr::set(&upper_layer.mnt, upper, name, v, flags)?,
            None => vxattr::remove(&upper_layer.mnt, upper, name)?,
        }
    }
    inode
        .inode()
        .copy_attrs_from(upper.inode().ok_or(EIO)?, &upper_layer.mnt);
    Ok(())
}

/// Lists the xattr names of the real object, without the overlay's private ones.
pub(crate) fn list(inode: &OwnInode<Rovl>, mut buf: Option<&mut [u8]>) -> Result<usize> {
    let fs = inode.fs();
    let real = inode.data().real(fs)?;
    let len = {
        let _creds = fs.override_creds();
        vxattr::list(real.dentry, buf.as_deref_mut())?
    };
    let Some(buf) = buf else {
        // A size query may over-count by the private names; that is allowed.
        return Ok(len);
    };
    Ok(fs.xattrs.drop_private(&mut buf[..len]))
}

/// How a real directory is marked by `trusted.overlay.opaque`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum DirMark {
    /// No (or an unknown) marking.
    None,
    /// `y`: opaque, nothing below it merges in.
    Opaque,
    /// `x`: not opaque, but its entries may include xattr whiteouts.
    XWhiteouts,
}

impl DirMark {
    /// The marking a `trusted.overlay.opaque` value makes.
    fn of_value(value: &[u8]) -> DirMark {
        match value {
            b"y" => DirMark::Opaque,
            b"x" => DirMark::XWhiteouts,
            _ => DirMark::None,
        }
    }
}

impl OverlayXattrs {
    /// Whether `name` is one of the overlay's own xattrs.
    pub(crate) fn is_private(&self, name: &[u8]) -> bool {
        name.starts_with(self.prefix)
    }

    /// Squeezes the private names out of `list`, a list of NUL-terminated xattr names as
    /// `listxattr` gives it, in place; returns the length of what is left.
    fn drop_private(&self, list: &mut [u8]) -> usize {
        let len = list.len();
        let mut kept = 0;
        let mut start = 0;
        while start < len {
            let end = list[start..len]
                .iter()
                .position(|&b| b == 0)
                .map_or(len, |p| start + p + 1);
            if !self.is_private(&list[start..end]) {
                list.copy_within(start..end, kept);
                kept += end - start;
            }
            start = end;
        }
        kept
    }

    /// Reads the opaque marking of the real directory `dir`.
    pub(crate) fn dir_mark(&self, mnt: &Mount, dir: &Dentry) -> DirMark {
        let mut value = [0u8; 1];
        match vxattr::get(mnt, dir, self.opaque, Some(&mut value)) {
            Ok(n) => value.get(..n).map_or(DirMark::None, DirMark::of_value),
            Err(_) => DirMark::None,
        }
    }

    /// Marks the real upper directory `dir` opaque (`y`): nothing below it merges in.
    pub(crate) fn set_opaque(&self, mnt: &Mount, dir: &Dentry) -> Result {
        vxattr::set(mnt, dir, self.opaque, b"y", 0)
    }

    /// Whether `real` is a whiteout of either form: a 0/0 character device, or an empty
    /// regular file carrying `trusted.overlay.whiteout`.
    pub(crate) fn is_whiteout(&self, mnt: &Mount, real: &Dentry) -> bool {
        let Some(inode) = real.inode() else {
            return false;
        };
        if inode.is_whiteout() {
            return true;
        }
        inode.is_regular()
            && inode.size() == 0
            && vxattr::get(mnt, real, self.whiteout, None).is_ok()
    }
}

#[kunit_tests(rovl_xattr)]
mod tests {
    use super::*;

    /// `list` with the private names of `xattrs` dropped.
    fn visible(xattrs: &OverlayXattrs, list: &[u8]) -> Result<KVec<u8>> {
        let mut buf = KVec::new();
        buf.extend_from_slice(list, GFP_KERNEL)?;
        let kept = xattrs.drop_private(&mut buf);
        buf.truncate(kept);
        Ok(buf)
    }

    #[test]
    fn private_names() {
        let t = &TRUSTED_XATTRS;
        assert!(t.is_private(b"trusted.overlay.opaque"));
        assert!(t.is_private(b"trusted.overlay.whiteout"));
        assert!(t.is_private(b"trusted.overlay.redirect"));
        assert!(t.is_private(b"trusted.overlay."));
        assert!(t.is_private(b"trusted.overlay.opaque\0"));
        assert!(!t.is_private(b"trusted.overlay"));
        assert!(!t.is_private(b"trusted.overlayfoo"));
        assert!(!t.is_private(b"trusted.other"));
        assert!(!t.is_private(b"user.overlay.opaque"));
        assert!(!t.is_private(b"TRUSTED.overlay.opaque"));
        assert!(!t.is_private(b"security.selinux"));
        assert!(!t.is_private(b""));
        let u = &USER_XATTRS;
        assert!(u.is_private(b"user.overlay.opaque"));
        assert!(!u.is_private(b"trusted.overlay.opaque"));
        assert!(!u.is_private(b"user.overlayx"));
        assert!(!u.is_private(b"user.other"));
    }

    #[test]
    fn names_match_prefix() {
        for x in [&TRUSTED_XATTRS, &USER_XATTRS] {
            assert!(x.is_private(x.opaque.to_bytes()));
            assert!(x.is_private(x.whiteout.to_bytes()));
        }
        assert_eq!(TRUSTED_XATTRS.opaque.to_bytes(), b"trusted.overlay.opaque");
        assert_eq!(USER_XATTRS.whiteout.to_bytes(), b"user.overlay.whiteout");
    }

    #[test]
    fn list_drops_private() -> Result {
        let t = &TRUSTED_XATTRS;
        assert_eq!(
            visible(t, b"user.a\0trusted.overlay.opaque\0security.x\0")?.as_slice(),
            b"user.a\0security.x\0"
        );
        assert_eq!(
            visible(
                t,
                b"trusted.overlay.opaque\0trusted.overlay.origin\0user.b\0"
            )?
            .as_slice(),
            b"user.b\0"
        );
        assert_eq!(
            visible(t, b"user.a\0trusted.overlay.x\0")?.as_slice(),
            b"user.a\0"
        );
        // With `userxattr` the trusted names are the layers' own and are shown.
        assert_eq!(
            visible(
                &USER_XATTRS,
                b"user.overlay.opaque\0trusted.overlay.opaque\0"
            )?
            .as_slice(),
            b"trusted.overlay.opaque\0"
        );
        Ok(())
    }

    #[test]
    fn list_edge_cases() -> Result {
        let t = &TRUSTED_XATTRS;
        assert_eq!(visible(t, b"")?.as_slice(), b"");
        assert_eq!(visible(t, b"trusted.overlay.opaque\0")?.as_slice(), b"");
        assert_eq!(
            visible(t, b"user.a\0user.b\0")?.as_slice(),
            b"user.a\0user.b\0"
        );
        // A last name without its NUL is judged all the same.
        assert_eq!(
            visible(t, b"user.a\0trusted.overlay.y")?.as_slice(),
            b"user.a\0"
        );
        assert_eq!(
            visible(t, b"trusted.overlay.y\0user.a")?.as_slice(),
            b"user.a"
        );
        // Empty names (two NULs) are kept as they are.
        assert_eq!(visible(t, b"\0\0user.a\0")?.as_slice(), b"\0\0user.a\0");
        Ok(())
    }

    #[test]
    fn opaque_values() {
        assert!(DirMark::of_value(b"y") == DirMark::Opaque);
        assert!(DirMark::of_value(b"x") == DirMark::XWhiteouts);
        assert!(DirMark::of_value(b"") == DirMark::None);
        assert!(DirMark::of_value(b"n") == DirMark::None);
        assert!(DirMark::of_value(b"Y") == DirMark::None);
        assert!(DirMark::of_value(b"yy") == DirMark::None);
    }
}
