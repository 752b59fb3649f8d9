// SPDX-License-Identifier: GPL-2.0

//! Credentials: taking a copy of the mounter's, and acting with them for a while.
//!
//! C headers: [`include/linux/cred.h`](srctree/include/linux/cred.h)

use super::bindings;
use core::{
    ptr::NonNull,
    sync::atomic::{AtomicPtr, Ordering},
};
use kernel::{cred::Credential, prelude::*, sync::aref::ARef, task::Task};

/// Returns a counted copy of the current task's credentials.
///
/// A stacking filesystem keeps the mounter's credentials this way and acts on the layers with
/// them, so that an unprivileged caller cannot reach more of a layer than the mounter could.
pub(crate) fn prepare_creds() -> Result<ARef<Credential>> {
    // SAFETY: FFI call with no preconditions; it returns a new reference or NULL.
    let ptr = NonNull::new(unsafe { bindings::prepare_creds() }).ok_or(ENOMEM)?;
    // SAFETY: `prepare_creds` handed us one reference, which the `ARef` now owns; `Credential`
    // is a transparent wrapper of `struct cred`.
    Ok(unsafe { ARef::from_raw(ptr.cast::<Credential>()) })
}

/// Returns the current task's subjective credentials.
pub(crate) fn current_cred<'a>() -> &'a Credential {
    // SAFETY: `current` is always a valid task for the duration of a syscall or kthread step.
    let cred = unsafe { (*Task::current_raw()).cred };
    // SAFETY: a task's subjective credentials are only replaced by the task itself, and every
    // borrow handed out here ends before the caller returns to its own caller.
    unsafe { Credential::from_ptr(cred) }
}

/// Acts with other credentials until dropped, as `override_creds`/`revert_creds` do.
///
/// The guard is neither `Send` nor `Sync`: the credentials it replaced belong to the task that
/// made it, and must be put back on that task.
///
/// # Invariants
///
/// `old` is the pointer that was in `current->cred` when the guard was made, and the
/// credentials installed in its place outlive the guard (by the lifetime `'a`).
pub(crate) struct CredGuard<'a> {
    old: *mut bindings::cred,
    _cred: core::marker::PhantomData<&'a Credential>,
}

impl<'a> CredGuard<'a> {
    /// Makes `cred` the current task's subjective credentials until the guard is dropped.
    pub(crate) fn new(cred: &'a Credential) -> Self {
        // INVARIANT: we keep what was there and `cred` outlives `'a`.
        Self {
            old: swap_current_cred(cred.as_ptr().cast_mut()),
            _cred: core::marker::PhantomData,
        }
    }
}

impl Drop for CredGuard<'_> {
    fn drop(&mut self) {
        swap_current_cred(self.old);
    }
}

/// Replaces `current->cred` as `rcu_replace_pointer` does (a release store), returning the old.
///
/// `override_creds()` is a static inline in C, so it has no symbol to call.
fn swap_current_cred(new: *mut bindings::cred) -> *mut bindings::cred {
    // SAFETY: `current` is valid; only the task itself replaces its subjective credentials, and
    // readers on other CPUs use `rcu_dereference`, for which a release store suffices.
    let slot = unsafe { &raw mut (*Task::current_raw()).cred };
    // SAFETY: `slot` is a properly aligned pointer field that lives as long as the task; all
    // concurrent access to it is atomic (RCU readers) or by this task.
    let slot = unsafe { AtomicPtr::from_ptr(slot.cast::<*mut bindings::cred>()) };
    slot.swap(new, Ordering::Release)
}

/// A copy of the current credentials with the filesystem ids (`fsuid`, `fsgid`) of `ids`:
/// how a stacking filesystem creates objects owned by the caller while acting with the
/// mounter's other rights.
pub(crate) fn with_fs_ids_of(ids: &Credential) -> Result<ARef<Credential>> {
    let new = prepare_creds()?;
    // SAFETY: `new` is a fresh copy nobody else has seen yet, so it may be written; `ids` is
    // valid for the call.
    unsafe {
        let raw = new.as_ptr().cast_mut();
        (*raw).fsuid = (*ids.as_ptr()).fsuid;
        (*raw).fsgid = (*ids.as_ptr()).fsgid;
    }
    Ok(new)
}
