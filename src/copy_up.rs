// SPDX-License-Identifier: GPL-2.0

//! Copy-up: before a lower object is changed, it is copied to the upper layer, and the
//! change is made there. Mirrors `fs/overlayfs/copy_up.c`.
//!
//! The copy is made in the work directory under a temporary name: the object of the same
//! type, then its data (by the filesystems' own copy or by splicing, never through a buffer
//! of rovl's), its xattrs (not the overlay's own) and POSIX ACLs, then mode, owner and times.
//! Only then is it renamed into the upper directory, so a crash or an error at any point
//! leaves nothing half-made in sight; the debris in the work directory is removed at the next
//! mount.
//!
//! Parents are copied up first, each on its own (a directory copy-up copies the directory
//! alone, not its contents). Each object's copy-up holds its inode's copy-up lock, so
//! concurrent copy-ups of one object happen once.

#![deny(unsafe_code)]

use crate::{
    acl,
    layers::UpperLayer,
    super_block::{Rovl, RovlFs},
    vfs::{
        attr::{self, Attrs, FileType, OpenFlag, RenameFlags},
        dirop::DirOp,
        file as vfile, inode as vinode,
        posix_acl::AclType,
        trace, xattr as vxattr, Dentry, Mount, OwnDentry, OwnInode, PathRef,
    },
    work::{Target, Temp},
};
use kernel::{prelude::*, str::CString, sync::aref::ARef};

/// How much data one copy call moves, so that a huge file is copied in steps.
const CHUNK: usize = 1 << 20;

/// Copies `dentry` (and any parents that need it) up, data included.
pub(crate) fn copy_up(dentry: &OwnDentry<Rovl>) -> Result {
    copy_up_tree(dentry, true)
}

/// Copies `dentry` up without its data, for a truncation to zero (`O_TRUNC`).
pub(crate) fn copy_up_without_data(dentry: &OwnDentry<Rovl>) -> Result {
    copy_up_tree(dentry, false)
}

fn copy_up_tree(dentry: &OwnDentry<Rovl>, with_data: bool) -> Result {
    let fs = dentry.fs();
    let upper = fs.layers.upper.as_ref().ok_or(EROFS)?;
    let inode = dentry.positive()?;
    while inode.data().upper().is_none() {
        // The topmost ancestor not yet in the upper layer (the root always is).
        let mut next: ARef<OwnDentry<Rovl>> = dentry.into();
        loop {
            let parent = next.parent();
            if *parent == *next {
                return Err(EIO);
            }
            if parent.positive()?.data().upper().is_some() {
                break;
            }
            next = parent;
        }
        let is_target = *next == *dentry;
        let next_inode = if is_target { inode } else { next.positive()? };
        copy_up_one(
            fs,
            upper,
            &next.parent(),
            &next,
            next_inode,
            !is_target || with_data,
        )?;
    }
    Ok(())
}

/// Copies the single object `dentry` (whose rovl inode is `inode`) up into the upper directory
/// of `parent`, which must have one. Each copy-up made is traced (`rovl:copy_up`), whether it
/// succeeds or not.
fn copy_up_one(
    fs: &RovlFs,
    upper: &UpperLayer,
    parent: &OwnDentry<Rovl>,
    dentry: &OwnDentry<Rovl>,
    inode: &OwnInode<Rovl>,
    with_data: bool,
) -> Result {
    let data = inode.data();
    let _guard = data.copy_up_lock.lock();
    if data.upper().is_some() {
        // Someone else copied it up while we waited.
        return Ok(());
    }
    let timer = trace::CopyUpTimer::start();
    let mut size = 0;
    let result = copy_up_locked(fs, upper, parent, dentry, inode, with_data, &mut size);
    timer.done(dentry, size, &result);
    if let Some(copy) = data.upper() {
        // Path walk now also asks the copy about `dentry`, if its filesystem wants that.
        crate::dentry::upper_added(dentry, copy);
    }
    result
}

/// The body of [`copy_up_one`], with the object's copy-up lock held and no upper object yet:
/// finds what the copy-up needs, then makes it with the mounter's credentials. Sets `size` to
/// the number of bytes of data to copy, once known.
fn copy_up_locked(
    fs: &RovlFs,
    upper: &UpperLayer,
    parent: &OwnDentry<Rovl>,
    dentry: &OwnDentry<Rovl>,
    inode: &OwnInode<Rovl>,
    with_data: bool,
    size: &mut i64,
) -> Result {
    let parent = parent.positive()?;
    let upper_parent: ARef<Dentry> = parent.data().upper().ok_or(EIO)?.into();
    let lower = inode.data().lowers.first().ok_or(EIO)?.path(fs);
    let name = dentry.name()?;
    let _creds = fs.override_creds();
    let attrs = Attrs::of(lower)?;
    if !attrs.owner_mapped_in_current_ns() {
        // Before any work, as overlayfs: the copy could not be given this owner.
        return Err(EOVERFLOW);
    }
    CopyUp {
        fs,
        upper,
        inode,
        parent,
        lower,
        upper_parent,
        name,
        attrs,
        with_data,
    }
    .run(size)
}

/// One object's copy-up, with what it needs found once (overlayfs's `struct ovl_copy_up_ctx`).
struct CopyUp<'a> {
    fs: &'a RovlFs,
    /// The layer the copy is made in (in its work directory, then moved to `upper_parent`).
    upper: &'a UpperLayer,
    /// The rovl inode of the object copied up.
    inode: &'a OwnInode<Rovl>,
    /// The rovl inode of its parent, which is in the upper layer.
    parent: &'a OwnInode<Rovl>,
    /// The lower object, on its layer's mount.
    lower: PathRef<'a>,
    /// The parent's upper directory, and the name the copy gets in it.
    upper_parent: ARef<Dentry>,
    name: KVec<u8>,
    /// The lower object's attributes, read once before the copy is made.
    attrs: Attrs,
    /// Whether to copy a regular file's data (not for a truncation to zero).
    with_data: bool,
}

impl CopyUp<'_> {
    /// Makes the copy in the work directory, fills it in and renames it into place; then the
    /// rovl inode shows it. Sets `size` to the number of bytes of data to copy, once known.
    fn run(&self, size: &mut i64) -> Result {
        let (fs, upper, attrs) = (self.fs, self.upper, &self.attrs);
        // Write access is held only at times here, so the temporary takes its own to be removed
        // on an error (`None`).
        let mut temp = {
            let _write = upper.mnt.want_write()?;
            Temp::make(fs, upper, None, |op| self.make_object(op))?
        };
        // The data is copied without write access held: the copy takes its own, and holding
        // it twice could deadlock against a freeze.
        if self.with_data && attrs.file_type() == Some(FileType::Regular) && attrs.size > 0 {
            *size = attrs.size;
            self.copy_data(temp.dentry())?;
        }
        let copy = {
            let _write = upper.mnt.want_write()?;
            self.copy_xattrs(temp.dentry())?;
            attr::set_all(&upper.mnt, temp.dentry(), attrs)?;
            if fs.syncs_metadata()
                && matches!(
                    attrs.file_type(),
                    Some(FileType::Regular | FileType::Directory)
                )
            {
                self.sync(temp.dentry())?;
            }
            temp.place(
                &self.upper_parent,
                Target::Name(&self.name),
                RenameFlags::empty(),
                |target| {
                    if target.inode().is_some() {
                        // The name appeared in the upper layer behind our back.
                        return Err(EEXIST);
                    }
                    Ok(())
                },
            )?
        };
        let data = self.inode.data();
        self.inode
            .inode()
            .copy_attrs_from(copy.inode().ok_or(EIO)?, &upper.mnt);
        data.set_upper(copy);
        // The parent now lists the upper object (its inode number), and a directory copied up
        // has a layer more to list.
        self.parent.data().listing_changed();
        data.listing_changed();
        Ok(())
    }

    /// Makes an object of the lower object's type at the (negative, locked) name of `op`, in
    /// the work directory.
    fn make_object<'m>(&self, op: DirOp<'m>) -> Result<DirOp<'m>> {
        let attrs = &self.attrs;
        let perm = attrs.perm();
        let op = match attrs.file_type() {
            Some(FileType::Regular) => {
                op.create(FileType::Regular.mode_bits() | perm)?;
                op
            }
            Some(FileType::Directory) => op.mkdir(perm)?,
            Some(FileType::Symlink) => {
                let target: CString = vinode::read_link(self.lower.dentry())?;
                op.symlink(&target)?;
                op
            }
            _ => {
                op.mknod(attrs.mode, attrs.rdev)?;
                op
            }
        };
        Ok(op)
    }

    /// Copies the lower file's data to the temporary upper one, and syncs it.
    fn copy_data(&self, temp: &Dentry) -> Result {
        let (fs, size) = (self.fs, self.attrs.size);
        let from = vfile::open_path(self.lower, OpenFlag::LargeFile.into(), &fs.creds)?;
        let to = vfile::open_path(
            PathRef::new(&self.upper.mnt, temp),
            OpenFlag::WriteOnly | OpenFlag::LargeFile,
            &fs.creds,
        )?;
        let mut pos: i64 = 0;
        while pos < size {
            let want = usize::try_from(size - pos).unwrap_or(CHUNK).min(CHUNK);
            let copied = vfile::copy_range(&from, &to, pos, want)?;
            if copied == 0 {
                // The lower file shrank behind our back.
                return Err(EIO);
            }
            pos += copied as i64;
        }
        // The data must be on disk before the copy replaces the lower file in the view: after
        // a crash, a renamed but empty copy would lose the file. As in overlayfs, unless
        // `volatile`; with `fsync=strict` the file is synced once, with its metadata.
        if !fs.is_volatile() && !fs.syncs_metadata() {
            vfile::fsync_range(&to, 0, i64::MAX, false)?;
        }
        Ok(())
    }

    /// Syncs the temporary copy, data and metadata, before it is put in place: what
    /// `fsync=strict` asks for a regular file or a directory (overlayfs's `ovl_sync_file()`),
    /// so that on an upper filesystem that does not keep metadata changes in order, a crash
    /// cannot leave a copy in place without its mode, owner or xattrs.
    fn sync(&self, temp: &Dentry) -> Result {
        let file = vfile::open_path(
            PathRef::new(&self.upper.mnt, temp),
            OpenFlag::LargeFile.into(),
            &self.fs.creds,
        )?;
        vfile::fsync_range(&file, 0, i64::MAX, false)
    }

    /// Copies the lower object's xattrs to the temporary upper one, except the overlay's own.
    /// xattrs the upper filesystem does not support are skipped, as overlayfs skips them; not
    /// its POSIX ACLs, which must be copied.
    fn copy_xattrs(&self, temp: &Dentry) -> Result {
        let fs = self.fs;
        let names = match list_all(self.lower.dentry()) {
            Ok(n) => n,
            Err(e) if e == EOPNOTSUPP => return Ok(()),
            Err(e) => return Err(e),
        };
        for name in names.split(|&b| b == 0).filter(|n| !n.is_empty()) {
            if fs.xattrs.is_private(name) {
                continue;
            }
            if let Some(kind) = AclType::of_xattr_name(name) {
                // To the VFS an ACL is not an xattr (reading it as one fails): it is copied as
                // an ACL.
                acl::copy(self.lower, &self.upper.mnt, temp, kind)?;
                continue;
            }
            let cname = crate::config::to_cstring(name)?;
            let value = match read_value(self.lower.mnt(), self.lower.dentry(), &cname) {
                Ok(v) => v,
                // Removed meanwhile.
                Err(e) if e == ENODATA => continue,
                Err(e) => return Err(e),
            };
            match vxattr::set(&self.upper.mnt, temp, &cname, &value, 0) {
                Ok(()) => {}
                Err(e) if e == EOPNOTSUPP => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// All xattr names of a real object, NUL-separated.
fn list_all(dentry: &Dentry) -> Result<KVec<u8>> {
    loop {
        let size = vxattr::list(dentry, None)?;
        let mut buf = KVec::from_elem(0u8, size, GFP_KERNEL)?;
        match vxattr::list(dentry, Some(&mut buf)) {
            Ok(n) => {
                buf.truncate(n);
                return Ok(buf);
            }
            // Grew meanwhile: ask again.
            Err(e) if e == ERANGE => continue,
            Err(e) => return Err(e),
        }
    }
}

/// The value of xattr `name` of a real object.
fn read_value(mnt: &Mount, dentry: &Dentry, name: &CString) -> Result<KVec<u8>> {
    loop {
        let size = vxattr::get(mnt, dentry, name, None)?;
        let mut buf = KVec::from_elem(0u8, size, GFP_KERNEL)?;
        match vxattr::get(mnt, dentry, name, Some(&mut buf)) {
            Ok(n) => {
                buf.truncate(n);
                return Ok(buf);
            }
            Err(e) if e == ERANGE => continue,
            Err(e) => return Err(e),
        }
    }
}
