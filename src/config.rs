// SPDX-License-Identifier: GPL-2.0

//! Mount options: parsing, escaping, and their checks. Mirrors `fs/overlayfs/params.c`.
//!
//! Options are taken one at a time, as the new mount API delivers them (`mount(2)` strings
//! are split on commas by the VFS first). Each layer path is resolved when its option is
//! parsed, with the mounter's credentials and working directory, so errors name the option.

#![deny(unsafe_code)]

use crate::vfs::{FsContextLog, Param, Path};
use kernel::{
    error::code::ENOPARAM,
    prelude::*,
    str::{BStr, CString},
};

/// Most lower layers one mount may stack (overlayfs's `OVL_MAX_STACK`). A literal: it is
/// defined in `fs/overlayfs/params.h`, private to overlayfs, which no bindgen input includes.
pub(crate) const MAX_LOWER_LAYERS: usize = 500;

/// A lower layer named by the user: the path as given, and where it resolved to.
pub(crate) struct LayerSpec {
    pub(crate) path: Path,
    /// The path as given with `lowerdir+`, shown again in `/proc/mounts`.
    pub(crate) name: Option<CString>,
}

/// The options of one mount, as parsed so far.
#[derive(Default)]
pub(crate) struct Config {
    /// Lower layers, top first.
    pub(crate) lowers: KVec<LayerSpec>,
    /// The `lowerdir=` value exactly as given, shown again in `/proc/mounts`.
    pub(crate) lowerdir_all: Option<CString>,
    /// `userxattr`: the overlay's own xattrs are `user.overlay.*`, not `trusted.overlay.*`.
    pub(crate) userxattr: bool,
    /// `uuid=`: what `statfs` reports as the filesystem id.
    pub(crate) uuid: UuidMode,
    /// `upperdir=`: the writable layer, and the name as given.
    pub(crate) upper: Option<(Path, CString)>,
    /// `workdir=`: where changes are prepared before they appear in the upper layer.
    pub(crate) work: Option<(Path, CString)>,
    /// `index=on` was asked for.
    pub(crate) index: bool,
    /// `volatile`: never sync the upper layer.
    pub(crate) volatile: bool,
}

/// The `uuid=` option. Without an upper layer `on` means `null`, as in overlayfs.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum UuidMode {
    /// `statfs` passes the top layer's filesystem id through.
    Off,
    /// As `off` here (it also affects file handles, which rovl does not export).
    Null,
    /// The overlay's own id: all zeroes without an upper layer (the default).
    #[default]
    Auto,
}

impl UuidMode {
    pub(crate) fn name(self) -> &'static CStr {
        match self {
            UuidMode::Off => c"off",
            UuidMode::Null => c"null",
            UuidMode::Auto => c"auto",
        }
    }
}

impl Config {
    /// Takes one option. Unknown keys get `ENOPARAM`, so the VFS reports them itself.
    pub(crate) fn parse(&mut self, param: &Param<'_>, log: &FsContextLog<'_>) -> Result {
        match param.key.to_bytes() {
            b"lowerdir" => {
                let Some(value) = param.value else {
                    log.error(fmt!("lowerdir needs a value"));
                    return Err(EINVAL);
                };
                self.parse_lowerdir(value, log)
            }
            b"lowerdir+" => {
                let Some(value) = param.value else {
                    log.error(fmt!("lowerdir+ needs a value"));
                    return Err(EINVAL);
                };
                self.parse_lowerdir_add(value, log)
            }
            b"datadir+" => {
                log.error(fmt!("data-only lower layers are not supported"));
                Err(EINVAL)
            }
            b"upperdir" => {
                let name = expect_value(param, log)?;
                self.upper = Some((resolve_dir(name, log)?, to_cstring(name.to_bytes())?));
                Ok(())
            }
            // Without an upper layer overlayfs checks the work directory and then ignores it.
            b"workdir" => {
                let name = expect_value(param, log)?;
                self.work = Some((resolve_dir(name, log)?, to_cstring(name.to_bytes())?));
                Ok(())
            }
            b"userxattr" => {
                expect_flag(param, log)?;
                self.userxattr = true;
                Ok(())
            }
            b"volatile" => {
                expect_flag(param, log)?;
                self.volatile = true;
                Ok(())
            }
            b"index" => {
                self.index = expect_choice(param, &[b"on", b"off"], log)? == b"on";
                Ok(())
            }
            b"uuid" => {
                self.uuid = match expect_choice(param, &[b"off", b"null", b"auto", b"on"], log)? {
                    b"off" => UuidMode::Off,
                    b"auto" => UuidMode::Auto,
                    _ => UuidMode::Null,
                };
                Ok(())
            }
            // Features rovl does not have: only the values that mean "without it" are taken.
            b"redirect_dir" => {
                supported_choice(param, &[b"off", b"nofollow"], &[b"on", b"follow"], log)
            }
            b"metacopy" | b"nfs_export" => supported_choice(param, &[b"off"], &[b"on"], log),
            b"xino" => supported_choice(param, &[b"off"], &[b"on", b"auto"], log),
            b"verity" => supported_choice(param, &[b"off"], &[b"on", b"require"], log),
            b"default_permissions" => {
                log.error(fmt!("default_permissions is not supported"));
                Err(EINVAL)
            }
            _ => Err(ENOPARAM),
        }
    }

    /// `lowerdir=top:middle:bottom`: replaces any layers given before, as overlayfs does.
    fn parse_lowerdir(&mut self, value: &CStr, log: &FsContextLog<'_>) -> Result {
        self.lowers.clear();
        self.lowerdir_all = None;
        let value = value.to_bytes();
        if value.is_empty() {
            // Like overlayfs: an empty value drops the layers; the mount then fails later
            // with "missing 'lowerdir'".
            return Ok(());
        }
        if value[0] == b':' {
            log.error(fmt!("cannot append lower layer"));
            return Err(EINVAL);
        }
        let names = split_lowerdirs(value).inspect_err(|_| {
            log.error(fmt!("bad lowerdir: unescaped trailing ':', '::' or '\\'"));
        })?;
        if names.len() > MAX_LOWER_LAYERS {
            log.error(fmt!(
                "too many lower directories, limit is {MAX_LOWER_LAYERS}"
            ));
            return Err(EINVAL);
        }
        for name in &names {
            let path = resolve_dir(name, log)?;
            self.lowers
                .push(LayerSpec { path, name: None }, GFP_KERNEL)?;
        }
        self.lowerdir_all = Some(to_cstring(value)?);
        Ok(())
    }
}

impl Config {
    /// `lowerdir+=path`: appends one layer, below those given before; the path is taken as
    /// it is, with no escapes (the new mount API passes one layer per call).
    fn parse_lowerdir_add(&mut self, value: &CStr, log: &FsContextLog<'_>) -> Result {
        if self.lowerdir_all.is_some() {
            log.error(fmt!("lowerdir+ and datadir+ cannot follow lowerdir"));
            return Err(EINVAL);
        }
        if self.lowers.len() == MAX_LOWER_LAYERS {
            log.error(fmt!(
                "too many lower directories, limit is {MAX_LOWER_LAYERS}"
            ));
            return Err(EINVAL);
        }
        let path = resolve_dir(value, log)?;
        let name = Some(CString::try_from(value)?);
        self.lowers.push(LayerSpec { path, name }, GFP_KERNEL)?;
        Ok(())
    }
}

fn key<'a>(param: &Param<'a>) -> &'a str {
    param.key.to_str().unwrap_or("?")
}

/// The value of a `key=value` option.
fn expect_value<'a>(param: &Param<'a>, log: &FsContextLog<'_>) -> Result<&'a CStr> {
    param.value.ok_or_else(|| {
        log.error(fmt!("{} needs a value", key(param)));
        EINVAL
    })
}

/// A bare `key` option.
fn expect_flag(param: &Param<'_>, log: &FsContextLog<'_>) -> Result {
    if param.value.is_some() {
        log.error(fmt!("{} takes no value", key(param)));
        return Err(EINVAL);
    }
    Ok(())
}

/// The value of a `key=value` option that must be one of `choices`.
fn expect_choice<'a>(
    param: &Param<'a>,
    choices: &[&'static [u8]],
    log: &FsContextLog<'_>,
) -> Result<&'a [u8]> {
    let value = expect_value(param, log)?.to_bytes();
    if !choices.contains(&value) {
        log.error(fmt!("bad value for '{}'", key(param)));
        return Err(EINVAL);
    }
    Ok(value)
}

/// An option of an overlayfs feature rovl lacks: `off` values are taken, the ones that would
/// turn the feature on are refused with a clear message.
fn supported_choice(
    param: &Param<'_>,
    off: &[&'static [u8]],
    on: &[&'static [u8]],
    log: &FsContextLog<'_>,
) -> Result {
    let mut all = KVec::with_capacity(off.len() + on.len(), GFP_KERNEL)?;
    all.extend_from_slice(off, GFP_KERNEL)?;
    all.extend_from_slice(on, GFP_KERNEL)?;
    let value = expect_choice(param, &all, log)?;
    if on.contains(&value) {
        log.error(fmt!(
            "{}={} is not supported",
            key(param),
            BStr::from_bytes(value)
        ));
        return Err(EINVAL);
    }
    Ok(())
}

/// Resolves one layer path (already unescaped) and checks that it is a directory.
fn resolve_dir(name: &CStr, log: &FsContextLog<'_>) -> Result<Path> {
    let shown = BStr::from_bytes(name.to_bytes());
    if name.is_empty() {
        log.error(fmt!("empty lowerdir"));
        return Err(EINVAL);
    }
    let path = Path::lookup(name).inspect_err(|e| {
        log.error(fmt!("failed to resolve '{shown}': {}", e.to_errno()));
    })?;
    if !path.dentry().is_dir() {
        log.error(fmt!("{shown} is not a directory"));
        return Err(EINVAL);
    }
    Ok(path)
}

/// Splits a `lowerdir=` value on unescaped colons and removes the escapes (`\:` is a colon in
/// a name, `\\` a backslash). Fails on an empty trailing layer, on `::` (overlayfs's data-only
/// layers, not supported here) and on a trailing backslash.
pub(crate) fn split_lowerdirs(value: &[u8]) -> Result<KVec<CString>> {
    let mut names = KVec::new();
    let mut cur = KVec::<u8>::new();
    let mut bytes = value.iter().copied();
    let mut ended_with_colon = false;
    while let Some(b) = bytes.next() {
        ended_with_colon = false;
        match b {
            b'\\' => {
                let escaped = bytes.next().ok_or(EINVAL)?;
                cur.push(escaped, GFP_KERNEL)?;
            }
            b':' => {
                if cur.is_empty() {
                    return Err(EINVAL);
                }
                names.push(to_cstring(&cur)?, GFP_KERNEL)?;
                cur.clear();
                ended_with_colon = true;
            }
            _ => cur.push(b, GFP_KERNEL)?,
        }
    }
    if ended_with_colon {
        return Err(EINVAL);
    }
    names.push(to_cstring(&cur)?, GFP_KERNEL)?;
    Ok(names)
}

/// Copies `bytes` into a new C string, byte for byte.
pub(crate) fn to_cstring(bytes: &[u8]) -> Result<CString> {
    let mut v = KVec::with_capacity(bytes.len() + 1, GFP_KERNEL)?;
    v.extend_from_slice(bytes, GFP_KERNEL)?;
    v.push(0, GFP_KERNEL)?;
    let s = CStr::from_bytes_with_nul(&v).map_err(|_| EINVAL)?;
    Ok(CString::try_from(s)?)
}
