//! The clap tree: help on every flag, clap's own checks, global flags in either place.

use super::Cli;
use clap::CommandFactory;

/// Every flag and argument of every subcommand says what it is for (`--help`).
#[test]
fn every_flag_has_help_text() {
    fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for arg in cmd.get_arguments() {
            let id = arg.get_id().as_str();
            if id == "help" || id == "version" {
                continue;
            }
            if arg.get_help().is_none() && arg.get_long_help().is_none() {
                missing.push(format!("{path} {id}"));
            }
        }
        for sub in cmd.get_subcommands() {
            walk(sub, &format!("{path} {}", sub.get_name()), missing);
        }
    }
    let mut missing = Vec::new();
    // Built, so that the global flags are propagated into every subcommand and checked there.
    let mut cmd = Cli::command();
    cmd.build();
    walk(&cmd, "lockstep", &mut missing);
    assert!(missing.is_empty(), "flags without help: {missing:#?}");
}

/// clap's own consistency checks (conflicts naming existing flags, no clashing names).
#[test]
fn the_command_tree_is_consistent() {
    Cli::command().debug_assert();
}

/// `--config`, `--server` and `--token` are accepted before or after any subcommand.
#[test]
fn global_flags_parse_in_either_place() {
    use clap::Parser;
    for args in [
        &[
            "lockstep",
            "--server",
            "http://h:1",
            "--token",
            "t",
            "-c",
            "f.yaml",
            "status",
        ][..],
        &[
            "lockstep",
            "status",
            "--server",
            "http://h:1",
            "--token",
            "t",
            "-c",
            "f.yaml",
        ],
        &[
            "lockstep",
            "--token",
            "t",
            "audit",
            "export",
            "--server",
            "http://h:1",
            "--config",
            "f.yaml",
        ],
    ] {
        let cli = Cli::try_parse_from(args).unwrap_or_else(|e| panic!("{args:?}: {e}"));
        assert_eq!(cli.global.server.url(), "http://h:1", "{args:?}");
        assert_eq!(cli.global.server.token.as_deref(), Some("t"), "{args:?}");
        assert_eq!(
            cli.global.config.as_deref(),
            Some(std::path::Path::new("f.yaml"))
        );
    }
}
