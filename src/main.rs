//! The `lockstep` binary: parse the command line, run it, map the outcome to an exit code.
#![forbid(unsafe_code)]

use clap::Parser;
use lockstep::cli::{self, Cli, EXIT_OK, EXIT_USAGE};

fn main() {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { EXIT_OK };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    if let Err(e) = cli::run(cli) {
        // A closed pipe comes back as code 0 with no message: nothing to say.
        if !e.message.is_empty() {
            eprintln!("lockstep: {}", e.message);
        }
        std::process::exit(e.code);
    }
}
