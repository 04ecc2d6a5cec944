//! Reading an admin's password for `till-server admins add`: from a file, from the terminal
//! (asked twice, not echoed), or from standard input when it is not a terminal (scripts).

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;

/// The password: the first line of `file`, else asked twice on the terminal, else the first
/// line of standard input. The line's end is not part of it.
pub fn read_password(file: Option<&Path>) -> Result<String, String> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        return Ok(first_line(&text));
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut line = String::new();
        stdin.lock().read_line(&mut line).map_err(|e| format!("cannot read the password: {e}"))?;
        return Ok(first_line(&line));
    }
    let first = ask("Password: ")?;
    let second = ask("Password again: ")?;
    if first != second {
        return Err("the two passwords differ; nothing was changed".into());
    }
    Ok(first)
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or("").to_string()
}

/// Asks on standard error and reads one line from the terminal with echo off, restoring the
/// terminal's settings whatever happens.
fn ask(prompt: &str) -> Result<String, String> {
    use rustix::termios::{tcgetattr, tcsetattr, LocalModes, OptionalActions};
    let stdin = std::io::stdin();
    let saved = tcgetattr(&stdin).map_err(|e| format!("cannot read the terminal's settings: {e}"))?;
    let mut quiet = saved.clone();
    quiet.local_modes.remove(LocalModes::ECHO);
    quiet.local_modes.insert(LocalModes::ECHONL);
    eprint!("{prompt}");
    let _ = std::io::stderr().flush();
    tcsetattr(&stdin, OptionalActions::Flush, &quiet).map_err(|e| format!("cannot turn the echo off: {e}"))?;
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    let restored = tcsetattr(&stdin, OptionalActions::Now, &saved);
    read.map_err(|e| format!("cannot read the password: {e}"))?;
    restored.map_err(|e| format!("cannot restore the terminal: {e}"))?;
    Ok(first_line(&line))
}
