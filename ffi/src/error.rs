//! The error boundary: every entry point runs inside [`boundary`], which turns errors and
//! caught panics into a status and the thread's last-error message.

use crate::status::*;
use core::ffi::c_char;
use std::cell::{Cell, RefCell};
use std::ffi::CString;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

/// An error on its way out: a status code and a message for the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    pub status: tsr_status,
    pub message: String,
}

impl Error {
    pub fn new(status: tsr_status, message: impl Into<String>) -> Self {
        Self { status, message: message.into() }
    }
}

pub type Result<T = ()> = core::result::Result<T, Error>;

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
    /// Set while this thread runs library code, so the panic hook stays silent there.
    static IN_LIBRARY: Cell<bool> = const { Cell::new(false) };
    static PANIC_MESSAGE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Message of the last failed call on the calling thread (`""` after a successful one).
/// The pointer stays valid until the next tessera call on this thread; never NULL.
#[no_mangle]
pub extern "C" fn tsr_last_error_message() -> *const c_char {
    LAST_ERROR.with(|m| m.borrow().as_ptr())
}

pub(crate) fn set_last_error(message: &str) {
    LAST_ERROR.with(|m| {
        let mut m = m.borrow_mut();
        // Every successful call clears the message: skip the allocation when it is already clear.
        if message.is_empty() && m.as_bytes().is_empty() {
            return;
        }
        *m = CString::new(message.replace('\0', " ")).unwrap_or_default();
    });
}

/// Marks the current thread as running library code for the rest of its life (pool workers).
pub(crate) fn mark_library_thread() {
    install_panic_hook();
    IN_LIBRARY.with(|f| f.set(true));
}

/// Runs `body` as an entry point: clears the thread's message, catches panics, records the
/// message of a failure and returns its status.
pub(crate) fn boundary(body: impl FnOnce() -> Result) -> tsr_status {
    install_panic_hook();
    set_last_error("");
    let was_inside = IN_LIBRARY.with(|f| f.replace(true));
    let outcome = panic::catch_unwind(AssertUnwindSafe(body));
    IN_LIBRARY.with(|f| f.set(was_inside));
    let err = match outcome {
        Ok(Ok(())) => return TSR_OK,
        Ok(Err(e)) => e,
        Err(payload) => {
            let recorded = PANIC_MESSAGE.with(|m| m.borrow_mut().take());
            let message = recorded.unwrap_or_else(|| payload_text(payload.as_ref()));
            Error::new(TSR_ERR_INTERNAL, format!("internal error (please report): {message}"))
        }
    };
    set_last_error(&err.message);
    err.status
}

fn payload_text(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic with a non-text payload".to_owned()
    }
}

/// Chains a hook in front of the host's: silent (only recording the message) on threads
/// running library code, the host's own hook everywhere else.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if IN_LIBRARY.with(|f| f.get()) {
                let location = info.location().map(|l| format!(" at {}:{}", l.file(), l.line()));
                let text = payload_text(info.payload());
                PANIC_MESSAGE.with(|m| *m.borrow_mut() = Some(format!("{text}{}", location.unwrap_or_default())));
            } else {
                previous(info);
            }
        }));
    });
}
