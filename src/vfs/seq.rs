// SPDX-License-Identifier: GPL-2.0

//! Sequence files, as used by `show_options` for `/proc/mounts`.
//!
//! C headers: [`include/linux/seq_file.h`](srctree/include/linux/seq_file.h)

use super::bindings;
use kernel::{prelude::*, types::Opaque};

/// A `struct seq_file` being written.
#[repr(transparent)]
pub(crate) struct SeqFile(Opaque<bindings::seq_file>);

impl SeqFile {
    /// # Safety
    ///
    /// `ptr` must be a valid seq_file, exclusively lent for `'a`.
    pub(super) unsafe fn from_raw<'a>(ptr: *mut bindings::seq_file) -> &'a mut SeqFile {
        // SAFETY: transparent wrapper; validity is the caller's promise.
        unsafe { &mut *ptr.cast::<SeqFile>() }
    }

    /// Appends `s` as it is.
    pub(crate) fn puts(&mut self, s: &CStr) {
        // SAFETY: `s` is NUL-terminated; the seq_file is ours for the call.
        unsafe { bindings::__seq_puts(self.0.get(), s.as_char_ptr()) };
    }

    /// Appends `bytes`, escaping every byte in `esc` (and non-printable ones) as `\ooo`.
    pub(crate) fn escape(&mut self, bytes: &[u8], esc: &CStr) {
        // SAFETY: `bytes` is valid for its length; `esc` is NUL-terminated.
        unsafe {
            bindings::seq_escape_mem(
                self.0.get(),
                bytes.as_ptr().cast::<c_char>(),
                bytes.len(),
                // Escape as `\ooo`, as `seq_escape()` does.
                bindings::ESCAPE_OCTAL,
                esc.as_char_ptr(),
            )
        };
    }
}
