// SPDX-License-Identifier: GPL-2.0

//! Open regular files: each is backed by the real file, and I/O goes straight to it.
//! Mirrors `fs/overlayfs/file.c`.

#![deny(unsafe_code)]

use crate::{
    inode::RovlInode,
    super_block::fs_of,
    vfs::{
        backing, cred,
        file::{self as vfile, FileOperations, MmapRequest, ReadRequest, SpliceReadRequest},
        inode::{self as vinode, may},
        CredGuard, InodeWith,
    },
};
use kernel::{cred::Credential, fs::File, prelude::*, sync::aref::ARef};

/// `open(2)` flags, as x86 defines them.
pub(crate) mod oflags {
    pub(crate) const ACCMODE: u32 = 0o3;
    pub(crate) const WRONLY: u32 = 0o1;
    pub(crate) const CREAT: u32 = 0o100;
    pub(crate) const EXCL: u32 = 0o200;
    pub(crate) const NOCTTY: u32 = 0o400;
    pub(crate) const TRUNC: u32 = 0o1000;
    pub(crate) const APPEND: u32 = 0o2000;
    pub(crate) const LARGEFILE: u32 = 0o100000;
    pub(crate) const DIRECTORY: u32 = 0o200000;
    pub(crate) const NOATIME: u32 = 0o1000000;
}

/// `MAY_OPEN`: the permission check is for an open.
const MAY_OPEN: i32 = 0x20;

/// An open rovl file: the real file it forwards to, and the credentials to use on it.
pub(crate) struct OpenFile {
    real: ARef<File>,
    creds: ARef<Credential>,
}

pub(crate) struct RegularFile;

#[vtable]
impl FileOperations for RegularFile {
    type InodeData = RovlInode;
    type OpenData = OpenFile;

    fn open(inode: &InodeWith<RovlInode>, file: &File) -> Result<OpenFile> {
        let fs = fs_of(inode.inode().sb())?;
        let real = inode.data().real();
        let real_inode = real.dentry.inode().ok_or(EIO)?;
        let layer = fs.layers.layer(real.layer);
        // Creation and truncation were handled on the overlay file; the real file only
        // needs the access mode and the I/O flags. Like overlayfs, do not touch the lower
        // file's atime: open it O_NOATIME where the mounter may.
        let mut flags =
            vfile::flags(file) & !(oflags::CREAT | oflags::EXCL | oflags::NOCTTY | oflags::TRUNC);
        flags |= oflags::NOATIME;
        let mut mask = MAY_OPEN
            | match flags & oflags::ACCMODE {
                0 => may::READ,
                oflags::WRONLY => may::WRITE,
                _ => may::READ | may::WRITE,
            };
        if flags & oflags::APPEND != 0 {
            mask |= may::APPEND;
        }
        let _creds = fs.override_creds();
        vinode::permission(&layer.mnt, real_inode, mask)?;
        if !real_inode.owner_or_capable(&layer.mnt) {
            flags &= !oflags::NOATIME;
        }
        let real_file = backing::open(file, flags, real.path(fs), cred::current_cred())?;
        Ok(OpenFile {
            real: real_file,
            creds: fs.creds.clone(),
        })
    }

    fn llseek(file: &File, data: &OpenFile, offset: i64, whence: i32) -> Result<i64> {
        llseek_real(file, &data.real, &data.creds, offset, whence)
    }

    fn read_iter(data: &OpenFile, req: ReadRequest<'_>) -> Result<usize> {
        backing::read_iter(&data.real, req, &data.creds)
    }

    fn splice_read(data: &OpenFile, req: SpliceReadRequest<'_>) -> Result<usize> {
        backing::splice_read(&data.real, req, &data.creds)
    }

    fn mmap(data: &OpenFile, req: MmapRequest<'_>) -> Result {
        backing::mmap(&data.real, req, &data.creds)
    }

    fn fsync(data: &OpenFile, start: i64, end: i64, datasync: bool) -> Result {
        let _creds = CredGuard::new(&data.creds);
        vfile::fsync_range(&data.real, start, end, datasync)
    }
}

/// Seeks `file` by seeking its real file: the overlay file's offset is the one that counts,
/// but only the real file knows its size, holes and data.
pub(crate) fn llseek_real(
    file: &File,
    real: &File,
    creds: &Credential,
    offset: i64,
    whence: i32,
) -> Result<i64> {
    vfile::set_pos(real, vfile::pos(file));
    let pos = {
        let _creds = CredGuard::new(creds);
        vfile::llseek(real, offset, whence)?
    };
    vfile::set_pos(file, pos);
    Ok(pos)
}
