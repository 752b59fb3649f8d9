// SPDX-License-Identifier: GPL-2.0

//! Open regular files: each is backed by the real file, and I/O goes straight to it.
//! Mirrors `fs/overlayfs/file.c`.

#![deny(unsafe_code)]

use crate::{
    copy_up,
    super_block::Rovl,
    vfs::{
        attr::{InodeLock, May, OpenFlag, OpenFlags, Whence},
        backing::{self, WriteDone},
        cred,
        file::{
            self as vfile, FileOperations, MmapRequest, OwnFile, PosLocked, ReadRequest,
            SpliceReadRequest, WriteRequest,
        },
        inode as vinode, CredGuard, OwnInode, PathRef,
    },
};
use kernel::{
    cred::Credential,
    fs::File,
    prelude::*,
    sync::{aref::ARef, SetOnce},
};

/// The open flags that only matter to the open of the overlay file: the real file is opened
/// without them.
fn open_only() -> OpenFlags {
    OpenFlag::Create | OpenFlag::Exclusive | OpenFlag::NoCtty | OpenFlag::Truncate
}

/// An open rovl file: the real file it forwards to, and the credentials to use on it.
pub(crate) struct OpenFile {
    /// The real file opened at open time.
    real: ARef<File>,
    /// The upper file, opened when an object that was opened in a lower layer has been
    /// copied up since (by a write through another file): from then on, I/O goes to the
    /// copy, as in overlayfs.
    upper: SetOnce<ARef<File>>,
    creds: ARef<Credential>,
    /// The mount is `volatile`: fsync does nothing.
    volatile: bool,
}

impl OpenFile {
    /// The real file to do I/O on now.
    fn current(&self, file: &OwnFile<Rovl>) -> Result<&File> {
        let inode = file.inode();
        let Some(upper) = inode.data().upper() else {
            return Ok(&self.real);
        };
        if core::ptr::eq(vfile::inode(&self.real), upper.inode().ok_or(EIO)?) {
            return Ok(&self.real);
        }
        if self.upper.as_ref().is_none() {
            let fs = inode.fs();
            let layer = fs.layers.upper.as_ref().ok_or(EIO)?;
            let flags = vfile::flags(file).without(open_only());
            let _creds = fs.override_creds();
            let real = cred::with_current_cred(|caller| {
                backing::open(file, flags, PathRef::new(&layer.mnt, upper), caller)
            })?;
            // Another thread may have opened it first: then ours is dropped.
            self.upper.populate(real);
        }
        self.upper.as_ref().map(|f| &**f).ok_or(EIO)
    }
}

/// After a write: the real file's new size and times show on the rovl inode.
struct MirrorAttrs;

impl backing::WriteDone for MirrorAttrs {
    type Fs = Rovl;

    fn done(file: &OwnFile<Rovl>) {
        let inode = file.inode();
        let real = inode.data().upper().and_then(|u| u.inode());
        if let (Some(real), Some(layer)) = (real, inode.fs().layers.upper.as_ref()) {
            inode.inode().copy_attrs_from(real, &layer.mnt);
        }
    }
}

pub(crate) struct RegularFile;

#[vtable]
impl FileOperations for RegularFile {
    type Fs = Rovl;
    type OpenData = OpenFile;

    fn open(inode: &OwnInode<Rovl>, file: &OwnFile<Rovl>) -> Result<OpenFile> {
        let fs = inode.fs();
        let open_flags = vfile::flags(file);
        let truncate = open_flags.contains(OpenFlag::Truncate);
        if open_flags.acc_mode().contains(May::Write) || truncate {
            // Writing: the file is copied up first (without its data if it is about to be
            // truncated anyway).
            let dentry = file.dentry();
            if truncate {
                copy_up::copy_up_without_data(dentry)?;
            } else {
                copy_up::copy_up(dentry)?;
            }
        }
        let real = inode.data().real(fs)?;
        let real_inode = real.inode()?;
        // Creation and truncation were handled on the overlay file; the real file only
        // needs the access mode and the I/O flags. Like overlayfs, do not touch the lower
        // file's atime: open it O_NOATIME where the mounter may.
        let mut flags = open_flags.without(open_only()) | OpenFlag::NoAtime;
        let mut mask = flags.acc_mode() | May::Open;
        if flags.contains(OpenFlag::Append) {
            mask |= May::Append;
        }
        let _creds = fs.override_creds();
        vinode::permission(real.mnt, real_inode, mask)?;
        if !real_inode.owner_or_capable(real.mnt) {
            flags = flags.without(OpenFlag::NoAtime);
        }
        let real_file =
            cred::with_current_cred(|caller| backing::open(file, flags, real.path(), caller))?;
        Ok(OpenFile {
            real: real_file,
            upper: SetOnce::new(),
            creds: fs.creds.clone(),
            volatile: fs.is_volatile(),
        })
    }

    fn llseek(
        file: &OwnFile<Rovl>,
        data: &OpenFile,
        offset: i64,
        whence: Whence,
        locked: &PosLocked<'_>,
    ) -> Result<i64> {
        llseek_real(
            file,
            data.current(file)?,
            &data.creds,
            offset,
            whence,
            locked,
        )
    }

    fn read_iter(data: &OpenFile, req: ReadRequest<'_, Rovl>) -> Result<usize> {
        let real = data.current(req.file())?;
        backing::read_iter(real, req, &data.creds)
    }

    fn write_iter(data: &OpenFile, req: WriteRequest<'_, Rovl>) -> Result<usize> {
        let file = req.file();
        let _lock = InodeLock::new(file.inode().inode());
        let real = data.current(file)?;
        // `volatile` promises no syncs: not even of a write that asks for one (as overlayfs).
        let req = if data.volatile {
            req.without_sync()
        } else {
            req
        };
        backing::write_iter::<MirrorAttrs>(real, req, &data.creds)
    }

    fn splice_read(data: &OpenFile, req: SpliceReadRequest<'_, Rovl>) -> Result<usize> {
        let real = data.current(req.file())?;
        backing::splice_read(real, req, &data.creds)
    }

    fn mmap(data: &OpenFile, req: MmapRequest<'_, Rovl>) -> Result {
        let real = data.current(req.file())?;
        backing::mmap(real, req, &data.creds)
    }

    fn fallocate(
        file: &OwnFile<Rovl>,
        data: &OpenFile,
        mode: i32,
        offset: i64,
        len: i64,
    ) -> Result {
        let real = data.current(file)?;
        {
            let _creds = CredGuard::new(&data.creds);
            vfile::fallocate(real, mode, offset, len)?;
        }
        MirrorAttrs::done(file);
        Ok(())
    }

    fn fsync(data: &OpenFile, start: i64, end: i64, datasync: bool) -> Result {
        if data.volatile {
            // `volatile` promises no syncs, and overlayfs makes fsync a no-op for it.
            return Ok(());
        }
        // The upper file if there is one: that is where the data went.
        let real = data.upper.as_ref().map_or(&*data.real, |f| &**f);
        let _creds = CredGuard::new(&data.creds);
        vfile::fsync_range(real, start, end, datasync)
    }
}

/// Seeks `file` by seeking its real file: the overlay file's offset is the one that counts,
/// but only the real file knows its size, holes and data.
pub(crate) fn llseek_real(
    file: &File,
    real: &File,
    creds: &Credential,
    offset: i64,
    whence: Whence,
    locked: &PosLocked<'_>,
) -> Result<i64> {
    vfile::set_pos(real, vfile::pos(file), locked);
    let pos = {
        let _creds = CredGuard::new(creds);
        vfile::llseek(real, offset, whence)?
    };
    vfile::set_pos(file, pos, locked);
    Ok(pos)
}
