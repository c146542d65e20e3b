//! Catching a panic without printing it: the verifier's last line of defence against
//! Winterfell code that asserts on proof contents (the shape checks in `proof_shape` refuse
//! every such proof known; this covers what they miss). A caught panic becomes an error, and
//! its message is kept for that error instead of going to stderr.

use std::cell::{Cell, RefCell};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    /// Set while this thread runs inside [`catch_quietly`].
    static QUIET: Cell<bool> = const { Cell::new(false) };
    /// The message of the last panic caught quietly on this thread.
    static LAST: RefCell<Option<String>> = const { RefCell::new(None) };
}

static HOOK: Once = Once::new();

/// Installs, once per process, a panic hook that stays silent on threads inside
/// [`catch_quietly`] and defers to the hook that was there before everywhere else.
fn install_hook() {
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.with(Cell::get) {
                let msg = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_string())
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "panic".into());
                let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line()));
                LAST.with(|l| *l.borrow_mut() = Some(format!("{msg}{}", at.unwrap_or_default())));
            } else {
                previous(info);
            }
        }));
    });
}

/// Runs `f`; a panic inside it (on this thread) becomes `Err(message)` and prints nothing.
pub(crate) fn catch_quietly<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    install_hook();
    let was = QUIET.with(|q| q.replace(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    QUIET.with(|q| q.set(was));
    result.map_err(|_| LAST.with(|l| l.borrow_mut().take()).unwrap_or_else(|| "panic".to_string()))
}
