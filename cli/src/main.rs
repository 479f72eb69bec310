//! `rfc6455`, the command-line WebSocket tool: `connect` (a client, interactive on a
//! terminal, a pipe otherwise), `serve` (echo, broadcast, exec bridge, static files),
//! `bench` (a load generator), `completions` and `man`. Run `rfc6455 --help`.

mod bench;
mod cli;
mod connect;
mod exit;
mod interactive;
mod output;
mod serve;
mod terminal;

use std::io::Write as _;

use clap::{CommandFactory as _, Parser as _};

use cli::{Cli, Command};

fn main() {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Connect(args) => run(connect::run(args)).code(),
        Command::Serve(args) => run(serve::run(args)),
        Command::Bench(args) => bench::run(args),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "rfc6455",
                &mut std::io::stdout(),
            );
            0
        }
        Command::Man { subcommand } => man(subcommand.as_deref()),
    };
    let _ = std::io::stdout().flush();
    // Exit now: a thread may still wait on stdin (the pipe's reader, the line editor).
    std::process::exit(code);
}

/// Print the man page of the tool, or of `subcommand` (named `rfc6455-SUBCOMMAND`).
fn man(subcommand: Option<&str>) -> i32 {
    let tool = Cli::command();
    let page = match subcommand {
        None => tool,
        Some(name) => match (tool.find_subcommand(name), page_name(name)) {
            (Some(command), Some(page)) => command.clone().name(page),
            _ => {
                eprintln!(
                    "error: no subcommand {name:?} (connect, serve, bench, completions, man)"
                );
                return 2;
            }
        },
    };
    match clap_mangen::Man::new(page).render(&mut std::io::stdout()) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}

/// The man page name of a subcommand.
fn page_name(subcommand: &str) -> Option<&'static str> {
    Some(match subcommand {
        "connect" => "rfc6455-connect",
        "serve" => "rfc6455-serve",
        "bench" => "rfc6455-bench",
        "completions" => "rfc6455-completions",
        "man" => "rfc6455-man",
        _ => return None,
    })
}

/// Run `future` on a tokio runtime, then leave without waiting for its blocking threads
/// (tokio's stdin reader may be blocked in a read that never ends).
fn run<T>(future: impl Future<Output = T>) -> T {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| {
            eprintln!("error: cannot start the runtime: {e}");
            std::process::exit(1)
        });
    let out = runtime.block_on(future);
    runtime.shutdown_background();
    out
}
