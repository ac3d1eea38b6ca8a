//! Asking for a password on a terminal, without echo, and leaving the terminal as it was
//! whatever happens, Ctrl-C included.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use anyhow::Context;
use signal_hook::consts::SIGINT;

/// Reads a password on the terminal without echo (rpassword), and leaves the terminal as it
/// was even after Ctrl-C. rpassword reads the keys itself with echo off, and on Ctrl-C it
/// raises SIGINT *before* it turns echo back on: dying of that SIGINT there would leave a
/// terminal that no longer shows what is typed. So, during the prompt, SIGINT does nothing;
/// rpassword then returns, restoring the terminal, and we die of SIGINT as usual.
pub fn read_password(prompt: &str) -> anyhow::Result<String> {
    static DIE_ON_SIGINT: OnceLock<Arc<AtomicBool>> = OnceLock::new();
    let die = DIE_ON_SIGINT.get_or_init(|| {
        let die = Arc::new(AtomicBool::new(true));
        signal_hook::flag::register_conditional_default(SIGINT, Arc::clone(&die))
            .expect("SIGINT can be caught");
        die
    });
    die.store(false, Ordering::SeqCst);
    let typed = rpassword::prompt_password(prompt);
    die.store(true, Ordering::SeqCst);
    match typed {
        Ok(password) => Ok(password),
        Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {
            let _ = signal_hook::low_level::emulate_default_handler(SIGINT);
            std::process::exit(130) // what a shell reports for Ctrl-C, should SIGINT not end us
        }
        Err(error) => Err(error).context("no password typed"),
    }
}
