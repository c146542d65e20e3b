//! `starkml`: compile ONNX models to fixed-point programs, inspect and run them.

mod compile;
mod dataset;
mod inspect;
mod prove;
mod run;
mod starknet;
mod verify;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// starkml: verifiable ML on STARKs.
#[derive(Parser)]
#[command(name = "starkml", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Transpile an ONNX model into a fixed-point program (.stkm).
    Compile(compile::CompileCmd),
    /// Print a program's text form and summary.
    Inspect(inspect::InspectCmd),
    /// Run a program on an input JSON file.
    Run(run::RunCmd),
    /// Run a program on an input and prove the run (STARK).
    Prove(prove::ProveCmd),
    /// Verify a proof against a program; prints the proven outputs.
    Verify(verify::VerifyCmd),
    /// Model contracts on Starknet: deploy, predict, submit proven results, write Cairo.
    #[command(subcommand)]
    Starknet(starknet::StarknetCmd),
}

fn main() -> ExitCode {
    // Writing to a closed pipe (`starkml inspect x.stkm | head`) ends the process quietly, as
    // for other Unix tools, instead of a panic in `print!`.
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // Proving allocates and frees blocks of hundreds of megabytes: keep them for reuse.
    air::memory::reuse_freed_memory();
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Compile(c) => c.execute(),
        Command::Inspect(c) => c.execute(),
        Command::Run(c) => c.execute(),
        Command::Prove(c) => c.execute(),
        Command::Verify(c) => c.execute(),
        Command::Starknet(c) => c.execute(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}
