// SPDX-License-Identifier: GPL-2.0

//! Mount options: parsing, escaping, and their checks. Mirrors `fs/overlayfs/params.c`.
//!
//! Options are taken one at a time, as the new mount API delivers them (`mount(2)` strings
//! are split first, at the commas [`option_end`] finds). Each layer path is resolved when its
//! option is parsed, with the mounter's credentials and working directory, so errors name the
//! option.

#![deny(unsafe_code)]

use crate::vfs::{cred, FsContextLog, Param, ParamValue, Path, Purpose};
use kernel::{
    cred::Credential,
    error::code::ENOPARAM,
    prelude::*,
    str::{BStr, CString},
    sync::aref::ARef,
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
    /// `fsync=` (and `volatile`): how much of the upper layer is synced.
    pub(crate) fsync: FsyncMode,
    /// `default_permissions`: taken and shown, with no effect (as in overlayfs 7.3).
    pub(crate) default_permissions: bool,
    /// `override_creds`: the credentials of the process that gave it, to act on the layers
    /// with instead of those of the process that creates the super block.
    pub(crate) creator: Option<ARef<Credential>>,
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

/// The `fsync=` option: how much of the upper layer is synced (overlayfs's `OVL_FSYNC_*`).
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum FsyncMode {
    /// `fsync=volatile`, or `volatile`: nothing, ever; with an upper layer only.
    Volatile,
    /// What a file's `fsync`, `syncfs` or a read-only remount asks for, and a copy-up's data
    /// before the copy is put in place (the default).
    #[default]
    Auto,
    /// As `auto`, and a copy-up's metadata (of a regular file or a directory) too, before the
    /// copy is put in place: for upper filesystems that do not keep metadata changes in order
    /// (ubifs).
    Strict,
}

impl FsyncMode {
    pub(crate) fn name(self) -> &'static CStr {
        match self {
            FsyncMode::Volatile => c"volatile",
            FsyncMode::Auto => c"auto",
            FsyncMode::Strict => c"strict",
        }
    }
}

/// Where the first option of a `mount(2)` option string ends, for
/// [`FileSystem::option_end`](crate::vfs::FileSystem::option_end): at the first comma not
/// escaped with a backslash, so that a layer path may contain `\,` (overlayfs's syntax, its
/// `ovl_next_opt()`); `None` if there is no such comma (the option is the last one). The
/// escapes stay for the option's own parser ([`split_lowerdirs`]) to remove.
pub(crate) fn option_end(opts: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < opts.len() {
        match opts[i] {
            b'\\' => i += 2,
            b',' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

impl Config {
    /// Takes one option. Unknown keys get `ENOPARAM`, so the VFS reports them itself. A value
    /// of the wrong kind is refused with `EINVAL` and the kernel's option parser's words for
    /// it (`fs_parse()`, which overlayfs uses).
    pub(crate) fn parse(&mut self, param: &Param<'_>, log: &FsContextLog<'_>) -> Result {
        if let Purpose::Reconfigure { old_api } = param.purpose {
            // overlayfs has always ignored a remount's options given through mount(2),
            // malformed or not (tools pass the mount's whole option string again), and refuses
            // every one given through fsconfig(2) (`ovl_parse_param()`). `ro` and `rw` are the
            // VFS's own, taken before.
            if old_api {
                return Ok(());
            }
            log.error(fmt!("No changes allowed in reconfigure"));
            return Err(EINVAL);
        }
        match param.key.to_bytes() {
            // A string only, and it may be empty (which drops the layers given so far).
            b"lowerdir" => self.parse_lowerdir(expect_string(param, log)?, log),
            b"lowerdir+" => {
                let dir = layer_dir(param, Escapes::Kept, log)?;
                self.check_lower(log)?;
                let spec = LayerSpec {
                    path: dir.path,
                    name: Some(dir.name),
                };
                self.lowers.push(spec, GFP_KERNEL)?;
                Ok(())
            }
            // Taken as overlayfs takes it, so that a bad value fails as there; then refused.
            b"datadir+" => {
                layer_dir(param, Escapes::Kept, log)?;
                self.check_lower(log)?;
                log.error(fmt!("data-only lower layers (datadir+) are not supported"));
                Err(EINVAL)
            }
            b"upperdir" => {
                let dir = upper_dir(param, log)?;
                self.upper = Some((dir.path, dir.name));
                Ok(())
            }
            // Without an upper layer overlayfs checks the work directory and then ignores it.
            b"workdir" => {
                let dir = upper_dir(param, log)?;
                self.work = Some((dir.path, dir.name));
                Ok(())
            }
            b"userxattr" => {
                expect_flag(param, log)?;
                self.userxattr = true;
                Ok(())
            }
            b"volatile" => {
                expect_flag(param, log)?;
                self.fsync = FsyncMode::Volatile;
                Ok(())
            }
            b"fsync" => {
                self.fsync = match expect_choice(param, &[b"volatile", b"auto", b"strict"], log)? {
                    b"volatile" => FsyncMode::Volatile,
                    b"strict" => FsyncMode::Strict,
                    _ => FsyncMode::Auto,
                };
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
            // With the new mount API the options may come from another process than the one
            // that creates the super block (`FSCONFIG_CMD_CREATE`), whose credentials are kept
            // otherwise: `override_creds` keeps the giver's instead, `nooverride_creds` goes
            // back to the default. Only a process in the context's user namespace (or below
            // it) may give its own.
            b"override_creds" => {
                expect_flag(param, log)?;
                if !param.caller_in_user_ns {
                    log.error(fmt!(
                        "override_creds: the caller is not in the mount's user namespace"
                    ));
                    return Err(EINVAL);
                }
                self.creator = Some(cred::prepare_creds()?);
                Ok(())
            }
            // `fs_parse()` takes `no` and a flag's name for the flag negated, without a value
            // only; with one it is an unknown option.
            b"nooverride_creds" if matches!(param.value, ParamValue::Flag) => {
                self.creator = None;
                Ok(())
            }
            // overlayfs 7.3 takes it and shows it, and checks permissions as without it
            // (`ovl_permission()` no longer reads it): rovl too.
            b"default_permissions" => {
                expect_flag(param, log)?;
                self.default_permissions = true;
                Ok(())
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
        if value.first() == Some(&b':') {
            log.error(fmt!("cannot append lower layer"));
            return Err(EINVAL);
        }
        // Kept before the layers are split and found, as overlayfs keeps it: a `lowerdir=`
        // that fails still bars a later `lowerdir+`.
        self.lowerdir_all = Some(to_cstring(value)?);
        let names = lowerdir_names(value).map_err(|e| match e {
            LowerdirError::Append => {
                log.error(fmt!("cannot append lower layer"));
                EINVAL
            }
            LowerdirError::Syntax(err) => {
                log.error(fmt!("bad lowerdir: unescaped trailing ':', '::' or '\\'"));
                err
            }
            LowerdirError::TooMany => {
                log.error(fmt!(
                    "too many lower directories, limit is {MAX_LOWER_LAYERS}"
                ));
                EINVAL
            }
        })?;
        for name in &names {
            let path = resolve_dir(name, log)?;
            self.lowers
                .push(LayerSpec { path, name: None }, GFP_KERNEL)?;
        }
        Ok(())
    }

    /// Whether one more lower layer may be added one by one (`lowerdir+`, `datadir+`): not
    /// after `lowerdir=`, and not past the limit. Checked after the layer's directory is
    /// found, as overlayfs checks it (`ovl_mount_dir_check()`), so a missing one fails first.
    fn check_lower(&self, log: &FsContextLog<'_>) -> Result {
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
        Ok(())
    }
}

fn key<'a>(param: &Param<'a>) -> &'a str {
    param.key.to_str().unwrap_or("?")
}

/// Refuses a value of the wrong kind for its option, or an empty one where a path is needed,
/// as the kernel's option parser does (`fs_param_bad_value()`).
fn bad_value(param: &Param<'_>, log: &FsContextLog<'_>) -> Error {
    log.error(fmt!("Bad value for '{}'", key(param)));
    EINVAL
}

/// The value of a `key=value` option, given as a string (maybe an empty one).
fn expect_string<'a>(param: &Param<'a>, log: &FsContextLog<'_>) -> Result<&'a CStr> {
    match param.value {
        ParamValue::String(s) => Ok(s),
        _ => Err(bad_value(param, log)),
    }
}

/// A bare `key` option.
fn expect_flag(param: &Param<'_>, log: &FsContextLog<'_>) -> Result {
    if !matches!(param.value, ParamValue::Flag) {
        log.error(fmt!("Unexpected value for '{}'", key(param)));
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
    let value = expect_string(param, log)?.to_bytes();
    if !choices.contains(&value) {
        return Err(bad_value(param, log));
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

/// A directory named by a layer option, and its name for messages and `/proc/mounts`.
struct NamedDir {
    path: Path,
    name: CString,
}

/// Whether a layer option's string value has backslash escapes to remove before it is looked
/// up: `upperdir=` and `workdir=` have (overlayfs's `ovl_mount_dir()`); `lowerdir+=` and
/// `datadir+=`, one layer per option, have none.
#[derive(Clone, Copy)]
enum Escapes {
    Removed,
    Kept,
}

/// The directory a layer option (`lowerdir+`, `datadir+`, `upperdir`, `workdir`) names, taken
/// as overlayfs's `ovl_parse_layer()` takes it: a path (`mount(2)`, `FSCONFIG_SET_STRING`),
/// resolved now from the caller's root and working directory and named as given; or an open
/// directory (`FSCONFIG_SET_FD`, also one opened with `O_PATH` or on a detached mount), named
/// by where it is (`d_path()`). Other kinds of value, and an empty path, are refused.
fn layer_dir(param: &Param<'_>, escapes: Escapes, log: &FsContextLog<'_>) -> Result<NamedDir> {
    let dir = match param.value {
        ParamValue::String(name) if !name.is_empty() => {
            let path = match escapes {
                Escapes::Kept => lookup(name, log)?,
                Escapes::Removed => lookup(&to_cstring(&unescape(name.to_bytes())?)?, log)?,
            };
            NamedDir {
                path,
                name: CString::try_from(name)?,
            }
        }
        ParamValue::File(file) => {
            let path = Path::of_file(file);
            let name = path.name().inspect_err(|e| {
                log.error(fmt!(
                    "no path name for the {} given: {}",
                    key(param),
                    e.to_errno()
                ));
            })?;
            NamedDir { path, name }
        }
        _ => return Err(bad_value(param, log)),
    };
    if !dir.path.dentry().is_dir() {
        log.error(fmt!(
            "{} is not a directory",
            BStr::from_bytes(dir.name.to_bytes())
        ));
        return Err(EINVAL);
    }
    Ok(dir)
}

/// The directory of `upperdir` or `workdir`: a layer directory on a writable mount. overlayfs
/// checks the mount here, to fail early, and again at mount time; so does rovl.
fn upper_dir(param: &Param<'_>, log: &FsContextLog<'_>) -> Result<NamedDir> {
    let dir = layer_dir(param, Escapes::Removed, log)?;
    if dir.path.mnt().is_readonly() {
        log.error(fmt!(
            "filesystem on {} is read-only",
            BStr::from_bytes(dir.name.to_bytes())
        ));
        return Err(EINVAL);
    }
    Ok(dir)
}

/// `s` without its backslash escapes: a backslash is dropped and the byte after it kept
/// (a trailing one is dropped), as overlayfs's `ovl_unescape()` does.
fn unescape(s: &[u8]) -> Result<KVec<u8>> {
    let mut out = KVec::with_capacity(s.len(), GFP_KERNEL)?;
    let mut bytes = s.iter().copied();
    while let Some(b) = bytes.next() {
        let b = if b == b'\\' {
            match bytes.next() {
                Some(escaped) => escaped,
                None => break,
            }
        } else {
            b
        };
        out.push(b, GFP_KERNEL)?;
    }
    Ok(out)
}

/// Resolves one layer path (already unescaped), following symlinks.
fn lookup(name: &CStr, log: &FsContextLog<'_>) -> Result<Path> {
    if name.is_empty() {
        log.error(fmt!("empty lowerdir"));
        return Err(EINVAL);
    }
    Path::lookup(name).inspect_err(|e| {
        log.error(fmt!(
            "failed to resolve '{}': {}",
            BStr::from_bytes(name.to_bytes()),
            e.to_errno()
        ));
    })
}

/// Resolves one layer path of `lowerdir=` (already unescaped) and checks that it is a
/// directory.
fn resolve_dir(name: &CStr, log: &FsContextLog<'_>) -> Result<Path> {
    let path = lookup(name, log)?;
    if !path.dentry().is_dir() {
        log.error(fmt!(
            "{} is not a directory",
            BStr::from_bytes(name.to_bytes())
        ));
        return Err(EINVAL);
    }
    Ok(path)
}

/// Why a `lowerdir=` value is refused before any of its paths is resolved.
#[derive(Clone, Copy, PartialEq, Eq)]
enum LowerdirError {
    /// It starts with `:` (overlayfs's syntax for adding layers on a remount).
    Append,
    /// An unescaped trailing `:`, a `::` or a trailing `\`; or the errno of a failed
    /// allocation.
    Syntax(Error),
    /// More than [`MAX_LOWER_LAYERS`] layers.
    TooMany,
}

/// The layer names of a non-empty `lowerdir=` value, top first and unescaped, or why the
/// value is refused.
fn lowerdir_names(value: &[u8]) -> Result<KVec<CString>, LowerdirError> {
    if value.first() == Some(&b':') {
        return Err(LowerdirError::Append);
    }
    let names = split_lowerdirs(value).map_err(LowerdirError::Syntax)?;
    if names.len() > MAX_LOWER_LAYERS {
        return Err(LowerdirError::TooMany);
    }
    Ok(names)
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

#[kunit_tests(rovl_options)]
mod option_tests {
    use super::*;

    /// `opts` split as the VFS splits it with `option_end`, the options joined with `|`.
    fn split(opts: &[u8]) -> Result<KVec<u8>> {
        let mut out = KVec::new();
        let mut rest = opts;
        loop {
            let end = option_end(rest);
            out.extend_from_slice(&rest[..end.unwrap_or(rest.len())], GFP_KERNEL)?;
            let Some(end) = end else {
                return Ok(out);
            };
            out.push(b'|', GFP_KERNEL)?;
            rest = &rest[end + 1..];
        }
    }

    #[test]
    fn splits_at_commas() -> Result {
        assert_eq!(split(b"lowerdir=/a")?.as_slice(), b"lowerdir=/a");
        assert_eq!(
            split(b"lowerdir=/a:/b,userxattr,uuid=off")?.as_slice(),
            b"lowerdir=/a:/b|userxattr|uuid=off"
        );
        assert_eq!(option_end(b"ro,x"), Some(2));
        assert_eq!(option_end(b"ro"), None);
        Ok(())
    }

    #[test]
    fn escaped_commas_stay() -> Result {
        // The escapes are kept for the option's parser (`split_lowerdirs`).
        assert_eq!(
            split(b"lowerdir=/a\\,b:/c,index=off")?.as_slice(),
            b"lowerdir=/a\\,b:/c|index=off"
        );
        assert_eq!(option_end(b"a\\,b"), None);
        // An escaped backslash does not escape the comma after it.
        assert_eq!(option_end(b"a\\\\,b"), Some(3));
        // A backslash escapes whatever follows, a colon too; a trailing one ends the string.
        assert_eq!(split(b"/a\\:b,/c\\")?.as_slice(), b"/a\\:b|/c\\");
        Ok(())
    }

    #[test]
    fn empty_options() -> Result {
        assert_eq!(option_end(b""), None);
        assert_eq!(split(b",")?.as_slice(), b"|");
        assert_eq!(split(b"a,,b,")?.as_slice(), b"a||b|");
        assert_eq!(option_end(b",a"), Some(0));
        Ok(())
    }
}

#[kunit_tests(rovl_config)]
mod tests {
    use super::*;

    /// The names `split_lowerdirs` makes of `value`, joined with `|` for comparing.
    fn split(value: &[u8]) -> Result<KVec<u8>> {
        joined(&split_lowerdirs(value)?)
    }

    fn joined(names: &[CString]) -> Result<KVec<u8>> {
        let mut out = KVec::new();
        for (i, name) in names.iter().enumerate() {
            if i > 0 {
                out.push(b'|', GFP_KERNEL)?;
            }
            out.extend_from_slice(name.to_bytes(), GFP_KERNEL)?;
        }
        Ok(out)
    }

    /// A `lowerdir=` value of `n` layers `/l0:/l1:...`.
    fn layers(n: usize) -> Result<KVec<u8>> {
        let mut value = KVec::new();
        for i in 0..n {
            if i > 0 {
                value.push(b':', GFP_KERNEL)?;
            }
            let name = CString::try_from_fmt(fmt!("/l{i}"))?;
            value.extend_from_slice(name.to_bytes(), GFP_KERNEL)?;
        }
        Ok(value)
    }

    #[test]
    fn split_on_colons() -> Result {
        assert_eq!(split(b"/a")?.as_slice(), b"/a");
        assert_eq!(split(b"/a:/b:/c")?.as_slice(), b"/a|/b|/c");
        assert_eq!(split(b"rel/dir:/abs")?.as_slice(), b"rel/dir|/abs");
        Ok(())
    }

    #[test]
    fn split_removes_escapes() -> Result {
        // `\:` is a colon in a name, `\\` a backslash, `\,` a comma (mount(2) keeps the
        // escape when it splits the options), any other escaped byte is itself.
        assert_eq!(split(b"/a\\:b:/c")?.as_slice(), b"/a:b|/c");
        assert_eq!(split(b"/a\\\\:/b")?.as_slice(), b"/a\\|/b");
        assert_eq!(split(b"/a\\,b:/c\\,")?.as_slice(), b"/a,b|/c,");
        assert_eq!(split(b"/\\x\\y")?.as_slice(), b"/xy");
        assert_eq!(split(b"\\:")?.as_slice(), b":");
        // An escaped colon at the end is part of the last name, not a trailing separator.
        assert_eq!(split(b"/a:/b\\:")?.as_slice(), b"/a|/b:");
        Ok(())
    }

    #[test]
    fn unescape_drops_backslashes() -> Result {
        // `upperdir=` and `workdir=` lose every escape: `\,` is a comma, `\\` a backslash, and
        // a trailing backslash goes.
        assert_eq!(unescape(b"/a\\,b:c")?.as_slice(), b"/a,b:c");
        assert_eq!(unescape(b"/a\\\\b")?.as_slice(), b"/a\\b");
        assert_eq!(unescape(b"/a\\")?.as_slice(), b"/a");
        assert_eq!(unescape(b"/plain")?.as_slice(), b"/plain");
        assert_eq!(unescape(b"")?.as_slice(), b"");
        Ok(())
    }

    #[test]
    fn split_refuses_empty_layers() {
        assert_eq!(split_lowerdirs(b"/a:").err(), Some(EINVAL));
        assert_eq!(split_lowerdirs(b"/a::/b").err(), Some(EINVAL));
        assert_eq!(split_lowerdirs(b"/a:/b::").err(), Some(EINVAL));
        assert_eq!(split_lowerdirs(b":/a").err(), Some(EINVAL));
        assert_eq!(split_lowerdirs(b":").err(), Some(EINVAL));
    }

    #[test]
    fn split_refuses_trailing_backslash() {
        assert_eq!(split_lowerdirs(b"/a\\").err(), Some(EINVAL));
        assert_eq!(split_lowerdirs(b"/a:/b\\").err(), Some(EINVAL));
        // ... but an escaped backslash at the end is a name.
        assert!(split_lowerdirs(b"/a\\\\").is_ok());
    }

    #[test]
    fn lowerdir_names_checks() -> Result {
        assert_eq!(
            joined(&lowerdir_names(b"/a:/b").map_err(|_| EINVAL)?)?.as_slice(),
            b"/a|/b"
        );
        assert_eq!(lowerdir_names(b":/a").err(), Some(LowerdirError::Append));
        assert_eq!(lowerdir_names(b"::").err(), Some(LowerdirError::Append));
        assert_eq!(
            lowerdir_names(b"/a::/b").err(),
            Some(LowerdirError::Syntax(EINVAL))
        );
        assert_eq!(
            lowerdir_names(b"/a\\").err(),
            Some(LowerdirError::Syntax(EINVAL))
        );
        // A leading escaped colon is a name, not an append.
        assert!(lowerdir_names(b"\\:a").is_ok());
        Ok(())
    }

    #[test]
    fn lowerdir_layer_limit() -> Result {
        let most = lowerdir_names(&layers(MAX_LOWER_LAYERS)?).map_err(|_| EINVAL)?;
        assert_eq!(most.len(), MAX_LOWER_LAYERS);
        assert_eq!(most[0].to_bytes(), b"/l0");
        assert_eq!(most[MAX_LOWER_LAYERS - 1].to_bytes(), b"/l499");
        assert_eq!(
            lowerdir_names(&layers(MAX_LOWER_LAYERS + 1)?).err(),
            Some(LowerdirError::TooMany)
        );
        Ok(())
    }

    #[test]
    fn duplicate_layers_are_split_alike() -> Result {
        // The same directory twice is refused later, by `LayerStack::check_overlap` (ELOOP);
        // the parser keeps both.
        assert_eq!(split(b"/a:/a")?.as_slice(), b"/a|/a");
        Ok(())
    }

    #[test]
    fn cstring_copies_bytes() -> Result {
        assert_eq!(to_cstring(b"")?.to_bytes(), b"");
        assert_eq!(to_cstring(b"a b\\:")?.to_bytes(), b"a b\\:");
        // An inner NUL cannot make a C string.
        assert_eq!(to_cstring(b"a\0b").err(), Some(EINVAL));
        Ok(())
    }

    #[test]
    fn fsync_names() {
        assert_eq!(FsyncMode::Volatile.name(), c"volatile");
        assert_eq!(FsyncMode::Auto.name(), c"auto");
        assert_eq!(FsyncMode::Strict.name(), c"strict");
        assert!(FsyncMode::default() == FsyncMode::Auto);
    }

    #[test]
    fn uuid_names() {
        assert_eq!(UuidMode::Off.name(), c"off");
        assert_eq!(UuidMode::Null.name(), c"null");
        assert_eq!(UuidMode::Auto.name(), c"auto");
        assert!(UuidMode::default() == UuidMode::Auto);
    }
}
