//! The interactive inspector, and the SIGBUS guard that gives the terminal
//! back if the mapped image shrinks under it.

use std::sync::atomic::{AtomicBool, Ordering};

use imginspect::tui::{self, source::Source};

use super::args::Inspector;
use super::{Outcome, exit, load};

/// Set while the inspector owns the terminal, so that the SIGBUS guard can give
/// it back before exiting.
static TERMINAL_TAKEN: AtomicBool = AtomicBool::new(false);

/// The image is mapped: if the file shrinks while it is being read (another
/// process truncates it), touching a lost page raises SIGBUS. Instead of dying
/// silently, say what happened, leave the alternate screen if the inspector
/// had it, and exit with the fsck "operational error" status.
pub fn install_sigbus_guard() {
    extern "C" fn on_sigbus(_signal: libc::c_int) {
        const LEAVE_SCREEN: &[u8] = b"\x1b[?1049l\x1b[?25h";
        const MESSAGE: &[u8] =
            b"\nimginspect: the image file shrank or became unreadable while it was being read (SIGBUS); nothing was written, results are incomplete\n";
        // SAFETY: only async-signal-safe calls (write, _exit) on static buffers.
        unsafe {
            if TERMINAL_TAKEN.load(Ordering::Relaxed) {
                libc::write(1, LEAVE_SCREEN.as_ptr().cast(), LEAVE_SCREEN.len());
            }
            libc::write(2, MESSAGE.as_ptr().cast(), MESSAGE.len());
            libc::_exit(i32::from(exit::OPERATIONAL));
        }
    }
    // SAFETY: a zeroed sigaction with an empty mask and a plain handler is a
    // valid argument; the handler above is async-signal-safe.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_sigbus as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut());
    }
}

/// Opens the inspector on an image (or the built-in demo). Errors opening the
/// image are returned before the terminal is taken over.
pub fn run(inspector: Inspector) -> anyhow::Result<Outcome> {
    let source = match &inspector.image {
        Some(path) => Source::File(load::open(path)?),
        None => Source::demo(),
    };
    TERMINAL_TAKEN.store(true, Ordering::Relaxed);
    let outcome = tui::run(
        source,
        tui::Options {
            color: inspector.color,
            mouse: inspector.mouse,
            journal: inspector.journal,
        },
    );
    TERMINAL_TAKEN.store(false, Ordering::Relaxed);
    outcome?;
    Ok(Outcome::Clean)
}
