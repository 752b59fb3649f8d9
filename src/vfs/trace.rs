// SPDX-License-Identifier: GPL-2.0

//! rovl's trace events: the `rovl` system in tracefs, for `perf`, `trace-cmd` and bpftrace.
//!
//! C headers: [`include/linux/tracepoint.h`](srctree/include/linux/tracepoint.h), and the
//! module's own `rovl_events.h`, which defines the events and documents their fields.
//!
//! An event is a tracepoint: a static key, off until someone enables the event, guarding a
//! call into C. The C side (`rust_do_trace_<event>`, made by `CREATE_RUST_TRACE_POINTS`) does
//! not test the key; `emit!` tests it here, as `kernel::tracepoint::declare_trace!` does for
//! tracepoints in the kernel's own bindings (which cannot name a module's). So a disabled event
//! costs one test of the key, a patched-out branch with `CONFIG_JUMP_LABEL` (else a read of the
//! key's count), and its arguments are not even computed. Where an event needs more than its
//! arguments (a clock read, copies of names), that work is guarded by `enabled!`.
//!
//! The functions for changes of a real filesystem are called by the one function in `vfs/` that
//! makes each kind of change, after the change, with its result: the `ovl_do_*` helpers of
//! overlayfs, traced. [`CopyUpTimer`] and [`lookup_miss`] are for the overlay above.

use super::{attr::Iattr, bindings, dentry::Dentry, inode::Inode};
use kernel::{
    prelude::*,
    time::{Instant, Monotonic},
};

/// Whether the event `$name` is enabled: a test of its tracepoint's static key.
macro_rules! enabled {
    ($name:ident) => {{
        #[cfg(CONFIG_TRACEPOINTS)]
        let on = kernel::macros::paste! {
            // SAFETY: the static key of a tracepoint (defined in `rovl_events.c`) may always
            // be read.
            unsafe {
                kernel::jump_label::static_branch_unlikely!(
                    bindings::[<__tracepoint_ $name>],
                    bindings::tracepoint,
                    key
                )
            }
        };
        #[cfg(not(CONFIG_TRACEPOINTS))]
        let on = false;
        on
    }};
}

/// Emits the event `$name` with the arguments of its `TP_PROTO`, if it is enabled; the
/// arguments are evaluated only then. Pointers among them must be valid for the call.
macro_rules! emit {
    ($name:ident($($arg:expr),* $(,)?)) => {{
        #[cfg(CONFIG_TRACEPOINTS)]
        {
            if enabled!($name) {
                kernel::macros::paste! {
                    // SAFETY: `rust_do_trace_*` requires only that the pointers it is given be
                    // valid for the call, which the caller of `emit!` ensures.
                    unsafe { bindings::[<rust_do_trace_ $name>]($($arg),*) }
                }
            }
        }
        #[cfg(not(CONFIG_TRACEPOINTS))]
        {
            $(let _ = || $arg;)*
        }
    }};
}

/// The errno of a result, as the events record it (0 for success).
fn errno<T>(result: &Result<T>) -> c_int {
    match result {
        Ok(_) => 0,
        Err(e) => e.to_errno(),
    }
}

/// `create`: a regular file of `mode` (type bits included) made at `dentry`.
pub(super) fn create(dentry: &Dentry, mode: u32, result: &Result) {
    emit!(create(dentry.as_raw(), mode as u16, errno(result)));
}

/// Whether [`mkdir`] would emit anything: `vfs_mkdir` drops its dentry on failure, so the
/// caller must keep one for the event.
pub(super) fn mkdir_enabled() -> bool {
    enabled!(mkdir)
}

/// `mkdir`: a directory of `mode` made at `dentry`.
pub(super) fn mkdir<T>(dentry: &Dentry, mode: u32, result: &Result<T>) {
    emit!(mkdir(dentry.as_raw(), mode as u16, errno(result)));
}

/// `mknod`: a device node, fifo or socket of `mode` (type bits included) made at `dentry`.
pub(super) fn mknod(dentry: &Dentry, mode: u32, rdev: u32, result: &Result) {
    emit!(mknod(dentry.as_raw(), mode as u16, rdev, errno(result)));
}

/// `whiteout`: a whiteout made at `dentry`.
pub(super) fn whiteout(dentry: &Dentry, result: &Result) {
    emit!(whiteout(dentry.as_raw(), errno(result)));
}

/// `symlink`: a symlink to `target` made at `dentry`.
pub(super) fn symlink(dentry: &Dentry, target: &CStr, result: &Result) {
    emit!(symlink(
        dentry.as_raw(),
        target.as_char_ptr(),
        errno(result)
    ));
}

/// `link`: `dentry` made a hard link to `old`.
pub(super) fn link(old: &Dentry, dentry: &Dentry, result: &Result) {
    emit!(link(old.as_raw(), dentry.as_raw(), errno(result)));
}

/// `unlink`: the non-directory at `dentry` removed.
pub(super) fn unlink(dentry: &Dentry, result: &Result) {
    emit!(unlink(dentry.as_raw(), errno(result)));
}

/// `rmdir`: the directory at `dentry` removed.
pub(super) fn rmdir(dentry: &Dentry, result: &Result) {
    emit!(rmdir(dentry.as_raw(), errno(result)));
}

/// `setattr`: the change `attr` applied to `dentry`.
pub(super) fn setattr(dentry: &Dentry, attr: &Iattr, result: &Result) {
    emit!(setattr(dentry.as_raw(), attr.as_raw(), errno(result)));
}

/// `setxattr`: the xattr `name` of `dentry` set to a value of `size` bytes.
pub(super) fn setxattr(dentry: &Dentry, name: &CStr, size: usize, flags: i32, result: &Result) {
    emit!(setxattr(
        dentry.as_raw(),
        name.as_char_ptr(),
        size,
        flags,
        errno(result)
    ));
}

/// `removexattr`: the xattr `name` of `dentry` removed.
pub(super) fn removexattr(dentry: &Dentry, name: &CStr, result: &Result) {
    emit!(removexattr(
        dentry.as_raw(),
        name.as_char_ptr(),
        errno(result)
    ));
}

/// `rename`: runs `do_rename`, the rename of `old` (in `old_dir`) to `new` (in `new_dir`) with
/// `RENAME_*` `flags`, and emits the event with its result. The rename changes the dentries'
/// names, so when the event is on, copies of them are taken first. All four dentries must be
/// referenced, and the directories locked for the rename, by the caller.
pub(super) fn rename(
    old_dir: &Dentry,
    old: &Dentry,
    new_dir: &Dentry,
    new: &Dentry,
    flags: u32,
    do_rename: impl FnOnce() -> Result,
) -> Result {
    if !enabled!(rename) {
        return do_rename();
    }
    let mut old_name = bindings::name_snapshot::default();
    let mut new_name = bindings::name_snapshot::default();
    // SAFETY: both dentries are referenced (the caller's promise); the snapshots are released
    // below and stay where they are in between (an inline name points into its snapshot).
    unsafe {
        bindings::take_dentry_name_snapshot(&mut old_name, old.as_raw());
        bindings::take_dentry_name_snapshot(&mut new_name, new.as_raw());
    }
    let result = do_rename();
    emit!(rename(
        old_dir.as_raw(),
        old_name.name.name.cast(),
        new_dir.as_raw(),
        new_name.name.name.cast(),
        flags,
        errno(&result)
    ));
    // SAFETY: taken above, released once.
    unsafe {
        bindings::release_dentry_name_snapshot(&mut old_name);
        bindings::release_dentry_name_snapshot(&mut new_name);
    }
    result
}

/// The time a copy-up takes, for the `copy_up` event: started before the copy, reported with
/// its outcome by [`CopyUpTimer::done`]. The clock is read only while the event is on.
pub(crate) struct CopyUpTimer(Option<Instant<Monotonic>>);

impl CopyUpTimer {
    /// Starts timing a copy-up.
    pub(crate) fn start() -> Self {
        Self(enabled!(copy_up).then(Instant::now))
    }

    /// `copy_up`: the object of the merged view at `dentry` was copied up (or failed to be,
    /// per `result`), with `size` bytes of data. A copy-up that began before the event was
    /// enabled has a duration of 0.
    pub(crate) fn done(self, dentry: &Dentry, size: i64, result: &Result) {
        emit!(copy_up(
            dentry.as_raw(),
            size,
            self.0
                .map_or(0, |t| u64::try_from(t.elapsed().as_nanos()).unwrap_or(0)),
            errno(result)
        ));
    }
}

/// `lookup_miss`: no layer has `name` in the merged directory `dir` (or a whiteout hides it),
/// found out by asking `layers` layers.
pub(crate) fn lookup_miss(dir: &Inode, name: &[u8], layers: u32) {
    emit!(lookup_miss(
        dir.as_raw(),
        name.as_ptr().cast(),
        name.len(),
        layers
    ));
}
