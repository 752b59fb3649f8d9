// SPDX-License-Identifier: GPL-2.0

//! The filesystem type and its super block: mount, statfs, `/proc/mounts`. Mirrors
//! `fs/overlayfs/super.c`.

#![deny(unsafe_code)]

use crate::{
    config::{self, Config, FsyncMode, UuidMode},
    dentry,
    inode::{self, LowerEntry, RovlInode},
    layers::LayerStack,
    upper_layer,
    vfs::{
        self, cred,
        dentry::{LookupFlags, Revalidation},
        sb::{Kstatfs, NewSuperBlock, OwnSuperBlock},
        seq::SeqFile,
        CredGuard, Dentry, FsContextLog, OwnDentry, OwnInode, Param, PathRef, SuperBlock,
    },
    xattr::{self, OverlayXattrs},
};
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::{
    cred::Credential, prelude::*, str::CString, sync::aref::ARef, uapi::OVERLAYFS_SUPER_MAGIC,
};

/// The rovl filesystem type.
pub(crate) struct Rovl;

/// One rovl mount.
pub(crate) struct RovlFs {
    pub(crate) layers: LayerStack,
    /// The mounter's credentials, used for every access to the layers.
    pub(crate) creds: ARef<Credential>,
    lowerdir_all: Option<CString>,
    /// Layers given one by one with `lowerdir+`, shown the same way.
    lowerdir_add: KVec<CString>,
    /// Longest name any layer allows.
    namelen: isize,
    /// The names of the overlay's own xattrs in the layers.
    pub(crate) xattrs: &'static OverlayXattrs,
    uuid: UuidMode,
    /// `upperdir=` and `workdir=` as given, for `/proc/mounts`.
    upperdir: Option<CString>,
    workdir: Option<CString>,
    /// `fsync=`: how much of the upper layer is synced (`volatile` only with one).
    fsync: FsyncMode,
    /// `default_permissions` was given (shown in `/proc/mounts`; it changes nothing).
    default_permissions: bool,
    /// Source of inode numbers for directories when real ones may collide.
    last_ino: AtomicU64,
}

impl RovlFs {
    /// Acts with the mounter's credentials until the guard is dropped.
    pub(crate) fn override_creds(&self) -> CredGuard<'_> {
        CredGuard::new(&self.creds)
    }

    /// The longest name any layer allows.
    pub(crate) fn max_name_len(&self) -> usize {
        usize::try_from(self.namelen).unwrap_or(usize::MAX)
    }

    /// Mounted with `volatile` (`fsync=volatile`): nothing is synced to the upper layer.
    pub(crate) fn is_volatile(&self) -> bool {
        self.fsync == FsyncMode::Volatile
    }

    /// Mounted with `fsync=strict`: a copy-up's metadata is synced too.
    pub(crate) fn syncs_metadata(&self) -> bool {
        self.fsync == FsyncMode::Strict
    }

    pub(crate) fn next_ino(&self) -> u64 {
        self.last_ino.fetch_add(1, Ordering::Relaxed) + 1
    }
}

impl vfs::FileSystem for Rovl {
    const NAME: &'static CStr = c"rovl";
    type Context = Config;
    type Data = RovlFs;
    type InodeData = RovlInode;

    fn destroy_inode(data: &RovlInode, destroying: &vfs::InodeDestroying) {
        data.release(destroying);
    }

    /// Commas escaped as `\,` do not end an option, as in overlayfs.
    fn option_end(options: &[u8]) -> Option<usize> {
        config::option_end(options)
    }

    fn parse_param(ctx: &mut Config, param: &Param<'_>, log: &FsContextLog<'_>) -> Result {
        ctx.parse(param, log)
    }

    fn fill_super(
        ctx: &mut Config,
        sb: &NewSuperBlock<'_, Self>,
        log: &FsContextLog<'_>,
    ) -> Result<RovlFs> {
        if ctx.lowers.is_empty() {
            log.error(fmt!("missing 'lowerdir'"));
            return Err(EINVAL);
        }
        // The mounter's credentials: those of `override_creds` if it was given, else ours.
        let creds = match ctx.creator.take() {
            Some(creds) => creds,
            None => cred::prepare_creds()?,
        };
        let mut lowerdir_add = KVec::new();
        for spec in ctx.lowers.iter_mut() {
            if let Some(name) = spec.name.take() {
                lowerdir_add.push(name, GFP_KERNEL)?;
            }
        }
        if ctx.upper.is_some() && ctx.work.is_none() {
            log.error(fmt!("missing 'workdir'"));
            return Err(EINVAL);
        }
        if ctx.upper.is_none() {
            // A work directory means nothing without an upper layer; overlayfs ignores it.
            ctx.work = None;
        }
        if ctx.upper.is_some() && ctx.index {
            log.error(fmt!("index=on is not supported"));
            return Err(EINVAL);
        }
        let upper_sb = ctx.upper.as_ref().map(|(p, _)| p.dentry().sb());
        let mut layers = LayerStack::new(&ctx.lowers, upper_sb, log)?;
        layers.warn_lowers_in_use();
        if let (Some((upper, _)), Some((work, _))) = (&ctx.upper, &ctx.work) {
            let opaque = if ctx.userxattr {
                xattr::USER_XATTRS.opaque
            } else {
                xattr::TRUSTED_XATTRS.opaque
            };
            layers.upper = Some(upper_layer::set_up(
                upper, work, &layers, &creds, opaque, log,
            )?);
        }
        let depth = layers.max_stack_depth() + 1;
        if depth > vfs::sb::MAX_STACK_DEPTH {
            log.error(fmt!("maximum fs stacking depth exceeded"));
            return Err(EINVAL);
        }
        let mut namelen = 0;
        let upper_mnt = layers.upper.as_ref().map(|u| &*u.mnt);
        for mnt in Iterator::chain(upper_mnt.into_iter(), layers.lowers.iter().map(|l| &*l.mnt)) {
            let mut st = Kstatfs::default();
            vfs::sb::statfs(PathRef::new(mnt, mnt.root()), &mut st)?;
            namelen = namelen.max(st.namelen());
        }
        sb.set_stack_depth(depth);
        // rovl reports overlayfs's magic, since it implements its format and semantics and
        // tools that check for an overlay should treat it as one.
        sb.set_magic(OVERLAYFS_SUPER_MAGIC.into());
        sb.set_max_file_size();
        sb.set_posix_acl();
        if layers.upper.is_none() {
            // No upper layer: the overlay is read-only.
            sb.set_rdonly();
        }
        Ok(RovlFs {
            // `volatile` means nothing without an upper layer; overlayfs drops it then.
            fsync: match ctx.fsync {
                FsyncMode::Volatile if ctx.upper.is_none() => FsyncMode::Auto,
                mode => mode,
            },
            default_permissions: ctx.default_permissions,
            upperdir: ctx.upper.take().map(|(_, name)| name),
            workdir: ctx.work.take().map(|(_, name)| name),
            layers,
            creds,
            lowerdir_all: ctx.lowerdir_all.take(),
            lowerdir_add,
            xattrs: if ctx.userxattr {
                &xattr::USER_XATTRS
            } else {
                &xattr::TRUSTED_XATTRS
            },
            uuid: ctx.uuid,
            namelen,
            last_ino: AtomicU64::new(1),
        })
    }

    fn make_root(sb: &OwnSuperBlock<Rovl>) -> Result<ARef<OwnInode<Rovl>>> {
        let fs = sb.data();
        let mut lowers = KVec::with_capacity(fs.layers.lowers.len(), GFP_KERNEL)?;
        for (index, layer) in fs.layers.lowers.iter().enumerate() {
            lowers.push(LowerEntry::new(index, layer.mnt.root().into()), GFP_KERNEL)?;
        }
        let upper = fs.layers.upper.as_ref().map(|u| u.mnt.root().into());
        inode::get(sb, upper, lowers)
    }

    fn reconfigure(
        _ctx: &mut Config,
        sb: &SuperBlock,
        fs: &RovlFs,
        rdonly: bool,
        log: &FsContextLog<'_>,
    ) -> Result {
        match &fs.layers.upper {
            None if !rdonly => {
                log.error(fmt!("no upper layer: cannot remount read-write"));
                Err(EROFS)
            }
            Some(upper) if rdonly && !sb.is_rdonly() && !fs.is_volatile() => {
                // What was written so far reaches the disk before the mount turns read-only.
                vfs::sb::sync_filesystem(upper.mnt.sb())
            }
            _ => Ok(()),
        }
    }

    fn sync_fs(fs: &RovlFs, wait: bool) -> Result {
        // Only a waiting sync is passed on: it syncs the whole upper filesystem, which is
        // all a non-waiting one would start anyway.
        match &fs.layers.upper {
            Some(upper) if wait && !fs.is_volatile() => vfs::sb::sync_filesystem(upper.mnt.sb()),
            _ => Ok(()),
        }
    }

    fn statfs(fs: &RovlFs, buf: &mut Kstatfs) -> Result {
        let top = match &fs.layers.upper {
            Some(upper) => &*upper.mnt,
            None => &*fs.layers.layer(0).mnt,
        };
        {
            let _creds = fs.override_creds();
            vfs::sb::statfs(PathRef::new(top, top.root()), buf)?;
        }
        buf.set_type(OVERLAYFS_SUPER_MAGIC.into());
        if fs.uuid == UuidMode::Auto {
            // The overlay's own id, from its uuid: all zeroes with no upper layer to keep one.
            buf.set_fsid([0, 0]);
        }
        buf.set_namelen(fs.namelen);
        Ok(())
    }

    fn show_options(fs: &RovlFs, seq: &mut SeqFile) -> Result {
        if let Some(lowerdir) = &fs.lowerdir_all {
            seq.puts(c",lowerdir=");
            // As `seq_show_option()`: these would end or split the option in /proc/mounts.
            seq.escape(lowerdir.to_bytes(), c", \t\n\\");
        }
        for lowerdir in fs.lowerdir_add.iter() {
            seq.puts(c",lowerdir+=");
            seq.escape(lowerdir.to_bytes(), c", \t\n\\");
        }
        for (key, value) in [(c",upperdir=", &fs.upperdir), (c",workdir=", &fs.workdir)] {
            if let Some(value) = value {
                seq.puts(key);
                seq.escape(value.to_bytes(), c", \t\n\\");
            }
        }
        // In overlayfs's order (`ovl_show_options()`), each only when not the default;
        // `volatile` is shown as what it is, `fsync=volatile`.
        if fs.default_permissions {
            seq.puts(c",default_permissions");
        }
        if fs.uuid != UuidMode::Auto {
            seq.puts(c",uuid=");
            seq.puts(fs.uuid.name());
        }
        if fs.fsync != FsyncMode::Auto {
            seq.puts(c",fsync=");
            seq.puts(fs.fsync.name());
        }
        if core::ptr::eq(fs.xattrs, &xattr::USER_XATTRS) {
            seq.puts(c",userxattr");
        }
        Ok(())
    }

    fn d_real(dentry: &OwnDentry<Rovl>, metadata: bool) -> Option<&Dentry> {
        let inode = dentry.inode()?;
        let real = inode.data().real(inode.fs()).ok()?;
        // Only regular files have data elsewhere; other types answer for themselves.
        if !real.dentry.inode()?.is_regular() {
            return None;
        }
        Some(real.dentry.real(metadata))
    }

    fn revalidation(inode: &OwnInode<Rovl>) -> Revalidation {
        dentry::revalidation(inode)
    }

    fn d_revalidate(inode: &OwnInode<Rovl>, flags: LookupFlags<'_>) -> Result<bool> {
        dentry::revalidate(inode, flags, false)
    }

    fn d_weak_revalidate(inode: &OwnInode<Rovl>, flags: LookupFlags<'_>) -> Result<bool> {
        dentry::revalidate(inode, flags, true)
    }

    fn xattr_get(
        dentry: &OwnDentry<Rovl>,
        inode: &OwnInode<Rovl>,
        name: &CStr,
        buf: Option<&mut [u8]>,
    ) -> Result<usize> {
        xattr::get(dentry, inode, name, buf)
    }

    fn xattr_set(
        dentry: &OwnDentry<Rovl>,
        inode: &OwnInode<Rovl>,
        name: &CStr,
        value: Option<&[u8]>,
        flags: i32,
    ) -> Result {
        xattr::set(dentry, inode, name, value, flags)
    }
}
