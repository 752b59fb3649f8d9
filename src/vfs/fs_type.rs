// SPDX-License-Identifier: GPL-2.0

//! Filesystem types: registration, mount contexts and option parsing, `fill_super`.
//!
//! C headers: [`include/linux/fs.h`](srctree/include/linux/fs.h),
//! [`include/linux/fs_context.h`](srctree/include/linux/fs_context.h)
//!
//! A mount goes: `init_fs_context` (a fresh `T::Context`), one `parse_param` per option (a
//! `mount(2)` option string is split into options where `T::option_end` says each ends),
//! `get_tree` → `fill_super` (`T::fill_super`, then `T::make_root`), and at umount `kill_sb`,
//! which drops the `T::Data` that `fill_super` stored in `s_fs_info`. A remount goes
//! `init_fs_context` (for reconfiguration), `parse_param`..., `reconfigure`.

use super::{
    bindings,
    dentry::{Dentry, LookupFlags, OwnDentry, Revalidation},
    own_inode::{InodeDestroying, OwnInode},
    sb::{self, Kstatfs, NewSuperBlock, OwnSuperBlock, SuperBlock, SuperOps},
    seq::SeqFile,
    xattr::Handlers,
};
use core::{fmt, marker::PhantomData};
use kernel::{
    error::from_result, fs::File, prelude::*, str::CString, sync::aref::ARef, types::Opaque,
    ThisModule,
};

/// A filesystem implemented in Rust on top of this layer.
pub(crate) trait FileSystem: Sized + Send + Sync + 'static {
    /// The filesystem's own name. Its messages in the kernel log start with it, and it is
    /// the usual type name to register under, but user space mounts it by the name given to
    /// [`Registration::new`], which its module chooses at load time.
    const NAME: &'static CStr;
    /// Mount options parsed so far (the fs_context's `fs_private`).
    type Context: Default + Send;
    /// Per-super-block data (`s_fs_info`).
    type Data: Send + Sync;
    /// Per-inode data.
    type InodeData: Send + Sync + 'static;

    /// Gives up what an inode's data holds (see [`InodeDentry`]) when the inode is destroyed.
    /// The data itself is dropped an RCU grace period later, when the inode is freed, so
    /// that path walk in RCU mode may still read it; dropping it then must not sleep.
    ///
    /// [`InodeDentry`]: super::dentry::InodeDentry
    fn destroy_inode(_data: &Self::InodeData, _destroying: &InodeDestroying) {}

    /// Where the first option of a `mount(2)` option string `options` ends: the index of the
    /// separator after it (which is dropped), or `None` if it is the last option. The VFS
    /// splits the string with it before [`parse_param`] takes each option. The default
    /// splits at every comma, as the kernel's generic parser (`generic_parse_monolithic()`)
    /// does; an index outside `options` is taken as `None`.
    ///
    /// [`parse_param`]: FileSystem::parse_param
    fn option_end(options: &[u8]) -> Option<usize> {
        options.iter().position(|&c| c == b',')
    }

    /// Takes one mount option. Returns `ENOPARAM` for an unknown key.
    fn parse_param(ctx: &mut Self::Context, param: &Param<'_>, log: &FsContextLog<'_>) -> Result;

    /// Sets up a new super block from the parsed options.
    fn fill_super(
        ctx: &mut Self::Context,
        sb: &NewSuperBlock<'_, Self>,
        log: &FsContextLog<'_>,
    ) -> Result<Self::Data>;

    /// Makes the root inode, once `data` is in place.
    fn make_root(sb: &OwnSuperBlock<Self>) -> Result<ARef<OwnInode<Self>>>;

    /// Applies a remount's options to a mounted super block; `rdonly` is whether the
    /// remount asks for a read-only super block.
    fn reconfigure(
        ctx: &mut Self::Context,
        sb: &SuperBlock,
        data: &Self::Data,
        rdonly: bool,
        log: &FsContextLog<'_>,
    ) -> Result;

    /// Writes out what the filesystem has pending (`syncfs`); `wait` asks to wait for it.
    fn sync_fs(_data: &Self::Data, _wait: bool) -> Result {
        Ok(())
    }

    /// Fills in `statfs` for the filesystem.
    fn statfs(data: &Self::Data, buf: &mut Kstatfs) -> Result;

    /// Writes the mount options for `/proc/mounts`.
    fn show_options(data: &Self::Data, seq: &mut SeqFile) -> Result;

    /// Returns the real dentry holding the metadata (or data) of `dentry`.
    fn d_real(dentry: &OwnDentry<Self>, metadata: bool) -> Option<&Dentry>;

    /// The revalidation path walk is to ask of the dentries that name `inode`: of each one
    /// made to name it (by lookup, a create or a link, or as the root, which keeps only
    /// [`Revalidate::Weak`]: path walk never finds a root by name). Dentries start without
    /// any, and a negative dentry never gets one. The default asks for none, so that
    /// [`FileSystem::d_revalidate`] and [`FileSystem::d_weak_revalidate`] are never called.
    ///
    /// [`Revalidate::Weak`]: super::dentry::Revalidate::Weak
    fn revalidation(_inode: &OwnInode<Self>) -> Revalidation {
        Revalidation::empty()
    }

    /// `->d_revalidate`: whether a dentry that path walk found by name, and that asked for it
    /// ([`FileSystem::revalidation`]), still names `inode` rightly. `Ok(false)` makes the VFS
    /// unhash the dentry and look the name up again; an error fails the walk, except `ECHILD`
    /// in RCU walk, which makes the VFS ask again in ref-walk.
    ///
    /// In RCU walk ([`LookupFlags::is_rcu`]) `inode` is not referenced, only kept in memory
    /// (its data too) until the walk drops its RCU read lock: read it, do not sleep, and take
    /// no reference.
    fn d_revalidate(_inode: &OwnInode<Self>, _flags: LookupFlags<'_>) -> Result<bool> {
        Ok(true)
    }

    /// `->d_weak_revalidate`: whether the dentry a path walk ended on after a jump, and that
    /// asked for it, is still valid; `Ok(false)` fails the walk with `ESTALE`. As
    /// [`FileSystem::d_revalidate`] for RCU walk.
    fn d_weak_revalidate(_inode: &OwnInode<Self>, _flags: LookupFlags<'_>) -> Result<bool> {
        Ok(true)
    }

    /// Reads an extended attribute, or returns its size if `buf` is `None`.
    fn xattr_get(
        dentry: &OwnDentry<Self>,
        inode: &OwnInode<Self>,
        name: &CStr,
        buf: Option<&mut [u8]>,
    ) -> Result<usize>;

    /// Sets (or with `value` `None`, removes) an extended attribute.
    fn xattr_set(
        dentry: &OwnDentry<Self>,
        inode: &OwnInode<Self>,
        name: &CStr,
        value: Option<&[u8]>,
        flags: i32,
    ) -> Result;
}

/// One mount option as the VFS hands it over, and what the filesystem may need to know about
/// the mount context it is given to.
pub(crate) struct Param<'a> {
    /// The option's name.
    pub(crate) key: &'a CStr,
    /// Its value, typed as user space gave it.
    pub(crate) value: ParamValue<'a>,
    /// What the mount context is for.
    pub(crate) purpose: Purpose,
    /// Whether the caller is in the user namespace the context was made in, or in one below
    /// it (`current_in_userns(fc->user_ns)`): whether a context handed to another process may
    /// take that process's credentials.
    pub(crate) caller_in_user_ns: bool,
}

/// The value of a mount option (`struct fs_parameter`'s `type` and union).
///
/// The new mount API's `fsconfig(2)` commands each give one kind; `mount(2)` gives flags and
/// strings only.
pub(crate) enum ParamValue<'a> {
    /// No value: a bare `key` (`FSCONFIG_SET_FLAG`).
    Flag,
    /// `key=value`, possibly empty (`FSCONFIG_SET_STRING`).
    String(&'a CStr),
    /// An open file (`FSCONFIG_SET_FD`), maybe one opened with `O_PATH`; its path is
    /// [`Path::of_file`](super::Path::of_file). The syscall holds it for the call only: keep
    /// what it names with a counted [`Path`](super::Path), not the borrow.
    File(&'a File),
    /// A path name with a directory to resolve it from (`FSCONFIG_SET_PATH`,
    /// `FSCONFIG_SET_PATH_EMPTY`). Its contents are not offered: no filesystem on this layer
    /// takes a value so yet.
    Filename,
    /// Binary data (`FSCONFIG_SET_BINARY`); not offered either.
    Blob,
}

/// What a mount context is for (`fc->purpose`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// A new super block (`fsopen()`, or a new mount through `mount(2)`).
    Mount,
    /// Changing a mounted one's options: a remount through `mount(2)` (`old_api`), or
    /// `fsconfig(FSCONFIG_CMD_RECONFIGURE)` on an `fspick()` context.
    Reconfigure {
        /// Through `mount(2)` (`fc->oldapi`).
        old_api: bool,
    },
}

/// The log of a mount context. A message goes to the `fsopen()` log if user space made one,
/// prefixed as the VFS prefixes every filesystem's there, with the type name the mount asked
/// for (`fc->log.prefix`, the `file_system_type`'s name); and always to the kernel log,
/// prefixed with the filesystem's own name ([`FileSystem::NAME`]). The two differ when the
/// filesystem is registered under another name: user space then sees the messages that
/// filesystem would give, and the kernel log still says who gave them.
pub(crate) struct FsContextLog<'a> {
    fc: *mut bindings::fs_context,
    /// The filesystem's own name, for the kernel log.
    own_name: &'static CStr,
    _borrow: PhantomData<&'a ()>,
}

impl FsContextLog<'_> {
    /// Logs an error.
    pub(crate) fn error(&self, args: fmt::Arguments<'_>) {
        let Ok(msg) = CString::try_from_fmt(args) else {
            return;
        };
        // SAFETY: `fc` is valid for the log's lifetime; `logfc` copies the formatted message.
        unsafe {
            let log = &(*self.fc).log;
            if !log.log.is_null() {
                bindings::logfc(
                    log.log,
                    log.prefix,
                    b'e',
                    c"%s".as_char_ptr(),
                    msg.as_char_ptr(),
                );
            }
        }
        kernel_log(b'e', self.own_name, &msg);
    }
}

/// Writes `msg` to the kernel log as `prefix: msg`, at `level` (`logfc`'s: `b'e'` error,
/// `b'w'` warning, `b'i'` info).
fn kernel_log(level: u8, prefix: &CStr, msg: &CStr) {
    // SAFETY: without an `fc_log`, `logfc` only formats the two strings into `printk`;
    // both are NUL-terminated and live for the call.
    unsafe {
        bindings::logfc(
            core::ptr::null_mut(),
            prefix.as_char_ptr(),
            level,
            c"%s".as_char_ptr(),
            msg.as_char_ptr(),
        )
    };
}

/// [`kernel_log`] of a message formatted from `args`; nothing if it cannot be allocated.
fn kernel_log_fmt(level: u8, prefix: &CStr, args: fmt::Arguments<'_>) {
    if let Ok(msg) = CString::try_from_fmt(args) {
        kernel_log(level, prefix, &msg);
    }
}

/// The registration of filesystem `T` under a type name; unregisters it when dropped.
///
/// The name is the module's choice at load time (usually [`FileSystem::NAME`]), so the
/// `struct file_system_type` is built here, at registration, not as a constant. It must
/// live in static memory (the module's), since lockdep requires the lock class keys inside
/// it to be static: build it in place as part of the module.
///
/// # Invariants
///
/// `fs_type` is registered from successful initialisation until drop; its `name` is a
/// `&'static CStr`.
#[pin_data(PinnedDrop)]
pub(crate) struct Registration<T: FileSystem> {
    #[pin]
    fs_type: Opaque<bindings::file_system_type>,
    _t: PhantomData<T>,
}

// SAFETY: after registration the VFS owns all mutation of `fs_type`, under its own locks.
unsafe impl<T: FileSystem> Sync for Registration<T> {}
// SAFETY: as above.
unsafe impl<T: FileSystem> Send for Registration<T> {}

impl<T: FileSystem> Registration<T> {
    /// Registers `T` as the filesystem type `name`, owned by `module`.
    ///
    /// Fails with `EBUSY` if a filesystem type of that name is registered already (built
    /// into the kernel, or by another module), and then registers nothing. Either way the
    /// kernel log says what happened, prefixed with `T`'s own name: the failure and its
    /// reason, or, when `name` is not [`FileSystem::NAME`], the name `T` now answers to.
    pub(crate) fn new(
        module: &'static ThisModule,
        name: &'static CStr,
    ) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            fs_type <- Opaque::try_ffi_init(|slot: *mut bindings::file_system_type| {
                let fs_type = bindings::file_system_type {
                    name: name.as_char_ptr(),
                    owner: module.as_ptr(),
                    init_fs_context: Some(init_fs_context_cb::<T>),
                    kill_sb: Some(kill_sb_cb::<T>),
                    // All-zero is "none" for the remaining fields.
                    ..pin_init::zeroed()
                };
                // SAFETY: `slot` is valid for writes.
                unsafe { slot.write(fs_type) };
                // SAFETY: `slot` is pinned in static memory (see the type's docs) and stays
                // registered until `drop`.
                let ret = kernel::error::to_result(unsafe { bindings::register_filesystem(slot) });
                report_registration::<T>(name, ret);
                ret
            }),
            _t: PhantomData,
        })
    }
}

/// Says in the kernel log what [`Registration::new`] did, if it is worth saying: why
/// registering `T` as `name` failed, or that it succeeded under a name not `T`'s own.
fn report_registration<T: FileSystem>(name: &CStr, ret: Result) {
    let name_str = name.to_str().unwrap_or("?");
    match ret {
        Ok(()) if name == T::NAME => {}
        Ok(()) => kernel_log_fmt(
            b'i',
            T::NAME,
            fmt!("registered as filesystem type '{name_str}'"),
        ),
        Err(e) if e == EBUSY => kernel_log_fmt(
            b'e',
            T::NAME,
            fmt!(
                "cannot register as filesystem type '{name_str}': a filesystem of that name is \
                 registered already (built into the kernel, or by another module)"
            ),
        ),
        Err(e) => kernel_log_fmt(
            b'e',
            T::NAME,
            fmt!(
                "cannot register as filesystem type '{name_str}' (error {})",
                e.to_errno()
            ),
        ),
    }
}

#[pinned_drop]
impl<T: FileSystem> PinnedDrop for Registration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: registered, by the type invariant. Unregistering is refused by nobody: the
        // module cannot be unloaded while a super block holds a reference on it.
        unsafe { bindings::unregister_filesystem(self.fs_type.get()) };
        // Inodes are freed after an RCU grace period by `free_inode`, which is module code:
        // wait for those callbacks before the module goes away.
        // SAFETY: FFI call with no preconditions.
        unsafe { bindings::rcu_barrier() };
    }
}

/// The mount-context operations of `T`.
struct ContextOps<T>(PhantomData<T>);

impl<T: FileSystem> ContextOps<T> {
    const TABLE: bindings::fs_context_operations = bindings::fs_context_operations {
        free: Some(fc_free_cb::<T>),
        dup: None,
        parse_param: Some(parse_param_cb::<T>),
        parse_monolithic: Some(parse_monolithic_cb::<T>),
        get_tree: Some(get_tree_cb::<T>),
        reconfigure: Some(reconfigure_cb::<T>),
    };
}

/// The dentry operations of `T`.
///
/// Every dentry of `T` has the revalidation operations, but path walk calls them only on the
/// dentries that ask for it (their `DCACHE_OP_*REVALIDATE` bits), and none does unless `T`
/// says so ([`FileSystem::revalidation`]): `fill_super_cb` takes the bits that
/// `set_default_d_op` derives from this table out of the super block's `s_d_flags`, which
/// new dentries start with. So a dentry that needs no revalidation costs path walk nothing,
/// as overlayfs arranges by clearing them on each of its dentries
/// (`ovl_dentry_init_flags`).
struct DentryOps<T>(PhantomData<T>);

impl<T: FileSystem> DentryOps<T> {
    const TABLE: bindings::dentry_operations = bindings::dentry_operations {
        d_revalidate: Some(d_revalidate_cb::<T>),
        d_weak_revalidate: Some(d_weak_revalidate_cb::<T>),
        d_real: Some(d_real_cb::<T>),
        // All-zero is "no operation" for the remaining fields.
        ..pin_init::zeroed()
    };
}

/// Borrows the parsed options of a context made by `init_fs_context_cb::<T>`.
///
/// # Safety
///
/// `fc` must be such a context, exclusively ours for `'a`.
unsafe fn context<'a, T: FileSystem>(fc: *mut bindings::fs_context) -> &'a mut T::Context {
    // SAFETY: `fs_private` is the `KBox<T::Context>` from `init_fs_context_cb`.
    unsafe { &mut *(*fc).fs_private.cast::<T::Context>() }
}

/// The log of `fc`, a context for one of `T`'s mounts.
fn log<'a, T: FileSystem>(fc: *mut bindings::fs_context) -> FsContextLog<'a> {
    FsContextLog {
        fc,
        own_name: T::NAME,
        _borrow: PhantomData,
    }
}

/// # Safety
///
/// Only called by the VFS as `->init_fs_context` of `T`'s file_system_type.
unsafe extern "C" fn init_fs_context_cb<T: FileSystem>(
    fc: *mut kernel::bindings::fs_context,
) -> c_int {
    from_result(|| {
        let ctx = KBox::new(T::Context::default(), GFP_KERNEL)?;
        // SAFETY: the new context is ours; `fc_free_cb` frees `fs_private`.
        unsafe {
            let fc = fc.cast::<bindings::fs_context>();
            (*fc).fs_private = KBox::into_raw(ctx).cast::<c_void>();
            (*fc).ops = &ContextOps::<T>::TABLE;
        }
        Ok(0)
    })
}

/// # Safety
///
/// Only called by the VFS as `->free` of a context from `init_fs_context_cb::<T>`.
unsafe extern "C" fn fc_free_cb<T: FileSystem>(fc: *mut bindings::fs_context) {
    // SAFETY: `fs_private` is our box (or NULL if allocation failed); this is its last use.
    unsafe {
        let p = (*fc).fs_private.cast::<T::Context>();
        if !p.is_null() {
            drop(KBox::from_raw(p));
        }
    }
}

/// # Safety
///
/// Only called by the VFS as `->parse_param`, with `param` valid for the call.
unsafe extern "C" fn parse_param_cb<T: FileSystem>(
    fc: *mut bindings::fs_context,
    param: *mut bindings::fs_parameter,
) -> c_int {
    from_result(|| {
        // SAFETY: the VFS passes a valid parameter; its key is NUL-terminated.
        let (key, ty) = unsafe { (CStr::from_char_ptr((*param).key), (*param).type_()) };
        let value = match ty {
            bindings::fs_value_type_fs_value_is_flag => ParamValue::Flag,
            bindings::fs_value_type_fs_value_is_string => {
                // SAFETY: a string parameter carries a NUL-terminated string, which the VFS
                // frees after the call.
                ParamValue::String(unsafe { CStr::from_char_ptr((*param).__bindgen_anon_1.string) })
            }
            bindings::fs_value_type_fs_value_is_file => {
                // SAFETY: a file parameter carries a file that `fsconfig` took a reference on
                // (`fget_raw`) and puts after the call. That reference also makes any
                // `fdget_pos` elsewhere take `f_pos_lock`; and the position is not used here.
                ParamValue::File(unsafe { File::from_raw_file((*param).__bindgen_anon_1.file) })
            }
            bindings::fs_value_type_fs_value_is_filename => ParamValue::Filename,
            bindings::fs_value_type_fs_value_is_blob => ParamValue::Blob,
            _ => {
                log::<T>(fc).error(fmt!(
                    "{}: a value of unknown type",
                    key.to_str().unwrap_or("?")
                ));
                return Err(EINVAL);
            }
        };
        // SAFETY: the VFS passes a valid context; `user_ns` is set at its creation and held
        // (`get_user_ns`) until it is freed.
        let (purpose, caller_in_user_ns) = unsafe {
            let purpose = match (*fc).purpose() {
                bindings::fs_context_purpose_FS_CONTEXT_FOR_RECONFIGURE => Purpose::Reconfigure {
                    old_api: (*fc).oldapi(),
                },
                _ => Purpose::Mount,
            };
            (purpose, bindings::current_in_userns((*fc).user_ns))
        };
        let param = Param {
            key,
            value,
            purpose,
            caller_in_user_ns,
        };
        // SAFETY: the context is ours for the call (the VFS holds `uapi_mutex`).
        let ctx = unsafe { context::<T>(fc) };
        T::parse_param(ctx, &param, &log::<T>(fc)).map(|()| 0)
    })
}

/// # Safety
///
/// Only called by the VFS as `->parse_monolithic`, with `data` the page of `mount(2)` options
/// (NUL-terminated) or NULL.
unsafe extern "C" fn parse_monolithic_cb<T: FileSystem>(
    fc: *mut bindings::fs_context,
    data: *mut c_void,
) -> c_int {
    // SAFETY: per the function's contract; the separator below stays within the string.
    unsafe { bindings::vfs_parse_monolithic_sep(fc, data, Some(next_option::<T>)) }
}

/// Splits the first option off `mount(2)` options where [`FileSystem::option_end`] says it
/// ends, as `strsep()` does for the kernel's generic parser: the separator becomes a NUL and
/// `*s` moves past it, or becomes NULL after the last option.
///
/// # Safety
///
/// `s` must point to NULL or to a NUL-terminated, writable string, as
/// `vfs_parse_monolithic_sep` passes.
unsafe extern "C" fn next_option<T: FileSystem>(s: *mut *mut c_char) -> *mut c_char {
    // SAFETY: per the function's contract, `s` is valid to read.
    let start = unsafe { *s };
    if start.is_null() {
        return start;
    }
    // SAFETY: per the function's contract, `start` is a NUL-terminated string; the borrow
    // ends before the string is written below.
    let opts = unsafe { CStr::from_char_ptr(start) }.to_bytes();
    let len = opts.len();
    let end = T::option_end(opts).filter(|&i| i < len);
    if let Some(i) = end {
        // SAFETY: `i` is the index of a byte inside the string (checked above), which is
        // writable.
        unsafe {
            *start.add(i) = 0;
            *s = start.add(i + 1);
        }
    } else {
        // SAFETY: per the function's contract, `s` is valid to write.
        unsafe { *s = core::ptr::null_mut() };
    }
    start
}

/// # Safety
///
/// Only called by the VFS as `->get_tree` of a context from `init_fs_context_cb::<T>`.
unsafe extern "C" fn get_tree_cb<T: FileSystem>(fc: *mut bindings::fs_context) -> c_int {
    // SAFETY: `fc` is valid; `fill_super_cb::<T>` matches what `get_tree_nodev` expects.
    unsafe { bindings::get_tree_nodev(fc, Some(fill_super_cb::<T>)) }
}

/// # Safety
///
/// Only called by `get_tree_nodev` with a new, private super block and our context.
unsafe extern "C" fn fill_super_cb<T: FileSystem>(
    sb: *mut bindings::super_block,
    fc: *mut bindings::fs_context,
) -> c_int {
    from_result(|| {
        // SAFETY: the new super block is ours alone until we return.
        let sbr = unsafe { SuperBlock::from_raw(sb) };
        // SAFETY: as above; the tables are `'static` consts.
        unsafe {
            (*sb).s_op = &SuperOps::<T>::TABLE;
            (*sb).s_xattr = Handlers::<T>::LIST.as_ptr();
            bindings::set_default_d_op(sb, &DentryOps::<T>::TABLE);
            // Revalidation is asked for dentry by dentry (see `DentryOps`).
            (*sb).s_d_flags &= !Revalidation::all_bits();
        }
        // SAFETY: the context is ours for the call.
        let ctx = unsafe { context::<T>(fc) };
        let data = T::fill_super(ctx, &NewSuperBlock::new(sbr), &log::<T>(fc))?;
        let data = KBox::new(data, GFP_KERNEL)?;
        // SAFETY: still private; `kill_sb_cb` frees it, also if we fail below.
        unsafe { (*sb).s_fs_info = KBox::into_raw(data).cast::<c_void>() };
        // SAFETY: a super block of `T` with its data set: the invariant of `OwnSuperBlock`.
        let own = unsafe { OwnSuperBlock::<T>::from_raw(sb) };
        let root = T::make_root(own)?;
        sb::make_root(sbr, root)?;
        Ok(0)
    })
}

/// # Safety
///
/// Only called by the VFS as `->reconfigure` of a context for one of `T`'s mounts.
unsafe extern "C" fn reconfigure_cb<T: FileSystem>(fc: *mut bindings::fs_context) -> c_int {
    from_result(|| {
        // SAFETY: a reconfiguration context has `root` set to the mount's root.
        let sbr = unsafe { OwnDentry::<T>::from_raw((*fc).root) }.sb();
        let data = sbr.data();
        // SAFETY: the context is ours for the call.
        let (ctx, sb_flags) = unsafe { (context::<T>(fc), (*fc).sb_flags) };
        let rdonly = (sb_flags as c_ulong) & bindings::SB_RDONLY != 0;
        T::reconfigure(ctx, sbr, data, rdonly, &log::<T>(fc)).map(|()| 0)
    })
}

/// # Safety
///
/// Only called by the VFS as `->kill_sb` of `T`'s super blocks.
unsafe extern "C" fn kill_sb_cb<T: FileSystem>(sb: *mut bindings::super_block) {
    // SAFETY: `sb` is being torn down: evict every inode (dropping their references to real
    // objects) first, then the data those inodes could point into.
    unsafe {
        let info = (*sb).s_fs_info.cast::<T::Data>();
        bindings::kill_anon_super(sb);
        if !info.is_null() {
            drop(KBox::from_raw(info));
        }
    }
}

/// # Safety
///
/// Only called by the VFS as `->d_real` of one of `T`'s dentries.
unsafe extern "C" fn d_real_cb<T: FileSystem>(
    dentry: *mut bindings::dentry,
    kind: bindings::d_real_type,
) -> *mut bindings::dentry {
    // SAFETY: the caller holds `dentry`, one of ours.
    let d = unsafe { OwnDentry::<T>::from_raw(dentry) };
    let metadata = kind == bindings::d_real_type_D_REAL_METADATA;
    match T::d_real(d, metadata) {
        // The real dentry is pinned by our inode for as long as `dentry` is referenced.
        Some(real) => real.as_raw(),
        None => dentry,
    }
}

/// The inode a dentry names, for its revalidation; `None` for a negative dentry.
///
/// # Safety
///
/// `dentry` must be a dentry of one of `T`'s super blocks that the VFS passed to
/// `->d_revalidate` or `->d_weak_revalidate`, and the result must not outlive that call.
unsafe fn revalidated_inode<'a, T: FileSystem>(
    dentry: *mut bindings::dentry,
) -> Option<&'a OwnInode<T>> {
    // SAFETY: the dentry's memory is valid for the call: referenced in ref-walk, kept by RCU
    // in RCU walk. `d_inode` is read once, as `d_inode_rcu`.
    let inode = unsafe { core::ptr::read_volatile(&raw const (*dentry).d_inode) };
    // SAFETY: the inodes of `T`'s super blocks are `OwnInode<T>`, and one a dentry names is
    // initialised (not `I_NEW`). In ref-walk the dentry holds it; in RCU walk its memory and
    // data are freed only an RCU grace period after it is destroyed, and it was read from the
    // dentry after the walk took its RCU read lock, which it keeps for the call.
    (!inode.is_null()).then(|| unsafe { OwnInode::<T>::from_raw(inode) })
}

/// The answer to a revalidation of a negative dentry. No dentry of ours asks for one while
/// negative ([`FileSystem::revalidation`]), so this is one that turned negative, or in RCU walk
/// one being killed: ref-walk will see. A negative dentry has nothing below it to ask, and
/// stays valid.
fn negative_answer(flags: LookupFlags<'_>) -> c_int {
    if flags.is_rcu() {
        ECHILD.to_errno()
    } else {
        1
    }
}

/// The C answer of a revalidation: 1 valid, 0 not, or a negative errno.
fn revalidate_answer(valid: Result<bool>) -> c_int {
    match valid {
        Ok(valid) => c_int::from(valid),
        Err(e) => e.to_errno(),
    }
}

/// # Safety
///
/// Only called by the VFS as `->d_revalidate` of one of `T`'s dentries.
unsafe extern "C" fn d_revalidate_cb<T: FileSystem>(
    _dir: *mut bindings::inode,
    _name: *const bindings::qstr,
    dentry: *mut bindings::dentry,
    flags: c_uint,
) -> c_int {
    // SAFETY: the VFS's flags for this call, used within it.
    let flags = unsafe { LookupFlags::from_raw(flags) };
    // SAFETY: per the function's contract; the inode is used within the call.
    match unsafe { revalidated_inode::<T>(dentry) } {
        Some(inode) => revalidate_answer(T::d_revalidate(inode, flags)),
        None => negative_answer(flags),
    }
}

/// # Safety
///
/// Only called by the VFS as `->d_weak_revalidate` of one of `T`'s dentries.
unsafe extern "C" fn d_weak_revalidate_cb<T: FileSystem>(
    dentry: *mut bindings::dentry,
    flags: c_uint,
) -> c_int {
    // SAFETY: the VFS's flags for this call, used within it.
    let flags = unsafe { LookupFlags::from_raw(flags) };
    // SAFETY: per the function's contract; the inode is used within the call.
    match unsafe { revalidated_inode::<T>(dentry) } {
        Some(inode) => revalidate_answer(T::d_weak_revalidate(inode, flags)),
        None => negative_answer(flags),
    }
}
