// SPDX-License-Identifier: GPL-2.0

//! rovl: an overlay (union) filesystem in Rust.
//!
//! `mount -t rovl -o lowerdir=l1:l2 none /merged` stacks read-only directories into one view,
//! with the semantics of the kernel's overlayfs (`Documentation/filesystems/overlayfs.rst`).
//! This file only declares the module and registers the filesystem type; the overlay itself
//! lives in `src/`, and everything that touches C lives in `src/vfs/`.

use kernel::prelude::*;

#[path = "src/vfs/mod.rs"]
mod vfs;

#[path = "src/config.rs"]
mod config;
#[path = "src/copy_up.rs"]
mod copy_up;
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
    alias: ["fs-rovl"],
}

#[pin_data]
struct RovlModule {
    #[pin]
    fs: vfs::Registration<super_block::Rovl>,
}

impl kernel::InPlaceModule for RovlModule {
    fn init(module: &'static kernel::ThisModule) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            fs <- vfs::Registration::new(module),
        })
    }
}
