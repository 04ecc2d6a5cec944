//! What can go wrong when writing the pages.

use std::path::PathBuf;

/// A page or a completion could not be written.
#[derive(Debug, thiserror::Error)]
pub enum CliDocsError {
    /// The folder or a file in it could not be made or written.
    #[error("cannot write the man pages and completions under {}: {source}", dir.display())]
    Write {
        /// The folder asked for.
        dir: PathBuf,
        /// The operating system's words.
        source: std::io::Error,
    },
}
