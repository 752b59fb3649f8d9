// SPDX-License-Identifier: GPL-2.0

//! rovl: an overlay (union) filesystem in Rust.
//!
//! `mount -t rovl -o lowerdir=l1:l2 none /merged` stacks read-only directories into one view,
//! with the semantics of the kernel's overlayfs (`Documentation/filesystems/overlayfs.rst`).
//! Loaded with `as_overlay=1`, rovl registers as `overlay` instead, for tools that mount by
//! overlayfs's name ([`type_name`]).
//! This file only declares the module and registers the filesystem type; the overlay itself
//! lives in `src/`, and everything that touches C lives in `src/vfs/`.
//!
//! # Lock order
//!
//! Outermost first; each is taken only under those above it. These are the chains overlayfs
//! states in `fs/overlayfs/inode.c:798-817`.
//!
//! 1. A rovl inode's `i_rwsem`: the VFS's, around rovl's operations, parents before children.
//!    rovl takes one itself only in `file::RegularFile::write_iter`, as `ovl_write_iter` does.
//! 2. `RovlInode::copy_up_lock`, one at a time: `copy_up::copy_up_tree` copies each missing
//!    ancestor in its own `copy_up_one`. Nothing under it takes an `i_rwsem` of this mount.
//! 3. Write access to the upper mount, with its `sb_writers` (`Mount::want_write`). Every
//!    caller copies up before taking it, never under it (`dir::{create, link, remove, rename}`,
//!    `inode::setattr`, `xattr::set`).
//! 4. Real directories' `i_rwsem`: one through `vfs::dirop::DirOp`, two through `Renaming`
//!    (`start_renaming*`, that is `lock_rename`), each guard ended before the next: a temporary
//!    is made in the work directory under a `DirOp`, then moved under a `Renaming` of the work
//!    and an upper directory (`work::Temp::make`, then `Temp::place`). The work directory is
//!    locked only so, and is a subtree apart from the upper one (`upper_layer.rs`).
//!    Lookups and listings (`vfs::namei`, `vfs::readdir`) lock real directories shared, by
//!    themselves; a directory is never looked up while it is being listed.
//! 5. Real objects' own `i_rwsem`, under their parents' (`vfs::attr::InodeLock` in
//!    `Iattr::apply`, `vfs_setxattr`, `vfs_rename`).
//! 6. The listing spinlocks (`readdir::DirCache`, `OpenDir`): leaves, held to swap an `Arc`;
//!    listings are freed outside them.
//!
//! `override_creds` is no lock: its guards are scoped and nest anywhere (copy-up takes it under
//! the copy-up lock, overlayfs outside it).
//!
//! Traps. The data is copied with no write access held: `copy_up::CopyUp::run` drops it
//! between making the temporary and placing it, since `vfs_copy_file_range` takes `sb_writers`
//! itself; holding it twice is recursive locking to lockdep, and deadlocks against a freeze
//! that waits in between (overlayfs drops it there too, `copy_up.c:324-328`). rovl on rovl
//! takes the lower mount's locks under the upper mount's, so `i_rwsem` and the copy-up lock
//! have a lockdep class per stacking depth (`vfs::inode::I_RWSEM_CLASSES`, `RovlInode::new`).
//!
//! Where overlayfs differs. Its `ovl_inode_lock` also serialises llseek, lazy lowerdata and
//! verity checks, and nlink updates: `ovl_nlink_start` holds it across link, unlink and rename,
//! with write access taken inside it. rovl's copy-up lock serves copy-up only. overlayfs holds
//! the mount's write count through a copy-up and `sb_writers` only around each step
//! (`ovl_copy_up_start`, `ovl_start_write`). It sets the temporary's metadata under
//! `lock_rename`, rovl just before (`start_renaming_dentry` checks the temporary is still in
//! the work directory); it reads a symlink's target before any lock, rovl under the work
//! directory's (`vfs_get_link` takes none). Its readdir holds `i_rwsem` exclusive
//! (`WRAP_DIR_ITER`); rovl's is shared, hence the spinlocks.

use kernel::prelude::*;

#[path = "src/vfs/mod.rs"]
mod vfs;

#[path = "src/acl.rs"]
mod acl;
#[path = "src/config.rs"]
mod config;
#[path = "src/copy_up.rs"]
mod copy_up;
#[path = "src/dentry.rs"]
mod dentry;
#[path = "src/dir.rs"]
mod dir;
#[path = "src/file.rs"]
mod file;
#[path = "src/inode.rs"]
mod inode;
#[path = "src/layers.rs"]
mod layers;
#[path = "src/lookup.rs"]
mod lookup;
#[path = "src/readdir.rs"]
mod readdir;
#[path = "src/super_block.rs"]
mod super_block;
#[path = "src/upper_layer.rs"]
mod upper_layer;
#[path = "src/work.rs"]
mod work;
#[path = "src/xattr.rs"]
mod xattr;

module! {
    type: RovlModule,
    name: "rust_ovl",
    authors: ["The rovl developers"],
    description: "rovl: an overlay filesystem in Rust",
    license: "GPL",
    // No "fs-overlay": `mount -t overlay` would then load rovl also where the kernel's
    // overlayfs is wanted. A machine that wants rovl there says so in /etc/modprobe.d/
    // (README, "Loading rovl as overlay").
    alias: ["fs-rovl"],
    params: {
        as_overlay: bool {
            default: false,
            description: "Register the filesystem type as 'overlay', not 'rovl' (fails if overlayfs is registered)",
        },
    },
}

#[pin_data]
struct RovlModule {
    #[pin]
    fs: vfs::Registration<super_block::Rovl>,
}

/// The filesystem type name rovl answers to: its own, `rovl`, or with the module parameter
/// `as_overlay=1` overlayfs's, `overlay`, to stand in for it where tools mount by that name.
///
/// A bool, not a `name=` string: the `module!` macro of the kernel crate takes integer and
/// bool parameters only, and the two names are the only choices that mean anything.
fn type_name() -> &'static CStr {
    if module_parameters::as_overlay.value() {
        c"overlay"
    } else {
        <super_block::Rovl as vfs::FileSystem>::NAME
    }
}

impl kernel::InPlaceModule for RovlModule {
    fn init(module: &'static kernel::ThisModule) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            fs <- vfs::Registration::new(module, type_name()),
        })
    }
}
