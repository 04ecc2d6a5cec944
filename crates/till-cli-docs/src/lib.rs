//! Man pages and shell completions of Till's command lines, made from the same clap definition
//! that parses each command line, so what a package installs cannot drift from what the binary
//! accepts. `tillctl generate --out DIR` and `till-server generate --out DIR` (hidden
//! subcommands) call [`write_all`]; packaging runs them at build time and installs:
//!
//! ```text
//! DIR/man/<bin>.1, DIR/man/<bin>-<sub>.1, DIR/man/<bin>-<sub>-<subsub>.1
//! DIR/completions/<bin>.bash, DIR/completions/_<bin>, DIR/completions/<bin>.fish
//! ```

pub mod error;

pub use error::CliDocsError;

use clap::Command;
use clap_complete::Shell;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Writes the man pages and completions of `cmd` under `out`; returns the files written.
pub fn write_all(cmd: Command, out: &Path) -> Result<Vec<PathBuf>, CliDocsError> {
    write_all_io(cmd, out).map_err(|source| CliDocsError::Write { dir: out.to_path_buf(), source })
}

fn write_all_io(cmd: Command, out: &Path) -> std::io::Result<Vec<PathBuf>> {
    // The pages list a command's subcommands; clap's own `help` subcommand has no page, so the
    // pages are made from a copy without it (the binary and the completions keep it). Before
    // `build`, which adds it.
    let mut pages = without_help_subcommand(cmd.clone());
    pages.build();
    let mut cmd = cmd;
    cmd.build();
    let name = cmd.get_name().to_string();
    let man_dir = out.join("man");
    let completions_dir = out.join("completions");
    std::fs::create_dir_all(&man_dir)?;
    std::fs::create_dir_all(&completions_dir)?;
    let mut written = Vec::new();
    man_pages(&pages, &name, &man_dir, &mut written)?;
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        written.push(clap_complete::generate_to(shell, &mut cmd, &name, &completions_dir)?);
    }
    Ok(written)
}

/// One page for `cmd` (named `page_name`) and, recursively, one per visible subcommand:
/// `tillctl-db-check.1` for `tillctl db check`.
fn man_pages(cmd: &Command, page_name: &str, dir: &Path, written: &mut Vec<PathBuf>) -> std::io::Result<()> {
    // The page's title and NAME section come from the command's name; a subcommand's own name
    // ("check") would say nothing on its own.
    let page = cmd.clone().name(page_name.to_string());
    let path = dir.join(format!("{page_name}.1"));
    let mut roff = Vec::new();
    clap_mangen::Man::new(page).render(&mut roff)?;
    let mut file = BufWriter::new(File::create(&path)?);
    file.write_all(&title_first(&roff))?;
    file.flush()?;
    written.push(path);
    for sub in cmd.get_subcommands() {
        if sub.is_hide_set() {
            continue;
        }
        man_pages(sub, &format!("{page_name}-{}", sub.get_name()), dir, written)?;
    }
    Ok(())
}

fn without_help_subcommand(cmd: Command) -> Command {
    cmd.disable_help_subcommand(true).mut_subcommands(without_help_subcommand)
}

/// The page with its `.TH` title line first. The renderer opens with two lines defining the
/// apostrophe string; they may as well follow the title (nothing in it uses them), and a page
/// that begins with `.TH` is what man pages look like to the tools that sniff them.
fn title_first(roff: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(roff);
    let mut lines: Vec<&str> = text.lines().collect();
    if let Some(i) = lines.iter().position(|l| l.starts_with(".TH ")) {
        let title = lines.remove(i);
        lines.insert(0, title);
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out.into_bytes()
}
