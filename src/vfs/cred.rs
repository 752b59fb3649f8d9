// SPDX-License-Identifier: GPL-2.0

//! Credentials: taking a copy of the mounter's, and acting with them for a while.
//!
//! C headers: [`include/linux/cred.h`](srctree/include/linux/cred.h)

use super::bindings;
use core::ptr::NonNull;
use kernel::{cred::Credential, prelude::*, sync::aref::ARef};

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

/// Runs `f` with the current task's subjective credentials (`current_cred()`).
///
/// The borrow cannot leave `f`: the credentials are the task's own reference, valid until
/// the task installs others, and a [`CredGuard`] made inside `f` puts them back before `f`
/// returns (one made outside outlives `f`).
pub(crate) fn with_current_cred<R>(f: impl FnOnce(&Credential) -> R) -> R {
    // SAFETY: FFI call with no preconditions; `current` is valid in process context.
    let cred = unsafe { bindings::rovl_current_cred() };
    // SAFETY: valid for the duration of `f`, as above; `Credential` is a transparent wrapper.
    f(unsafe { Credential::from_ptr(cred) })
}

/// Acts with other credentials until dropped, as `override_creds`/`revert_creds` do.
///
/// The guard is neither `Send` nor `Sync`: the credentials it replaced belong to the task that
/// made it, and must be put back on that task. It must be dropped, not leaked: a guard given
/// to `mem::forget` would leave the task acting with credentials whose borrow has ended (a
/// known gap of this safe API, as of any scope guard that undoes a borrow; rovl only makes
/// guards as locals).
///
/// # Invariants
///
/// `old` is the pointer that was in `current->cred` when the guard was made, and the
/// credentials installed in its place outlive the guard (by the lifetime `'a`).
pub(crate) struct CredGuard<'a> {
    old: *const bindings::cred,
    _cred: core::marker::PhantomData<&'a Credential>,
}

impl<'a> CredGuard<'a> {
    /// Makes `cred` the current task's subjective credentials until the guard is dropped.
    pub(crate) fn new(cred: &'a Credential) -> Self {
        // SAFETY: `cred` is valid for `'a`, which the guard does not outlive.
        let old = unsafe { bindings::rovl_override_creds(cred.as_ptr()) };
        // INVARIANT: we keep what was there and `cred` outlives `'a`.
        Self {
            old,
            _cred: core::marker::PhantomData,
        }
    }
}

impl Drop for CredGuard<'_> {
    fn drop(&mut self) {
        // SAFETY: `old` was the task's credentials when the guard was made (type invariant),
        // and the guard is dropped on that task (it is neither `Send` nor `Sync`).
        unsafe { bindings::rovl_revert_creds(self.old) };
    }
}

/// A copy of the current credentials with the filesystem ids (`fsuid`, `fsgid`) of `ids`:
/// how a stacking filesystem creates objects owned by the caller while acting with the
/// mounter's other rights. `group`, if given, is the fsgid instead (a set-group-ID
/// directory's group, which its new objects get).
pub(crate) fn with_fs_ids_of(
    ids: &Credential,
    group: Option<bindings::kgid_t>,
) -> Result<ARef<Credential>> {
    let new = prepare_creds()?;
    // SAFETY: `new` is a fresh copy nobody else has seen yet, so it may be written; `ids` is
    // valid for the call.
    unsafe {
        let raw = new.as_ptr().cast_mut();
        (*raw).fsuid = (*ids.as_ptr()).fsuid;
        (*raw).fsgid = group.unwrap_or((*ids.as_ptr()).fsgid);
    }
    Ok(new)
}
