//! `starkml-cairo-compile`: compiles a modern-Cairo (edition 2024_07) Starknet contract project to
//! a Sierra contract class, the same JSON that `starknet-compile` writes.
//!
//! It uses the crates.io `cairo-lang-*` 2.17.0 compiler with an explicitly given corelib directory
//! (see `scripts/get-cairo-corelib.sh`), never scarb and never `detect_corelib`.
//!
//! Usage: `starkml-cairo-compile --corelib <corelib/src> [--contract PATH] [--allow-warnings]
//! <project dir> <out.contract_class.json>`

use std::ffi::OsString;
use std::fs;
use std::io::Write;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{anyhow, bail, Context, Result};
use cairo_lang_compiler::db::RootDatabase;
use cairo_lang_compiler::diagnostics::{DiagnosticsError, DiagnosticsReporter};
use cairo_lang_compiler::project::setup_project;
use cairo_lang_compiler::CompilerConfig;
use cairo_lang_filesystem::db::init_dev_corelib;
use cairo_lang_filesystem::ids::CrateInput;
use cairo_lang_starknet::compile::compile_contract_in_prepared_db;
use cairo_lang_starknet::starknet_plugin_suite;
use cairo_lang_starknet_classes::allowed_libfuncs::ListSelector;
use cairo_lang_starknet_classes::contract_class::ContractClass;

/// Starknet's limit on the length of a declared class's `sierra_program`, in felts.
const MAX_SIERRA_FELTS: usize = 81_920;

const USAGE: &str = "\
Usage: starkml-cairo-compile --corelib <CORELIB_SRC_DIR> [--contract <PATH>] [--allow-warnings]
                             <PROJECT_DIR> <OUT.contract_class.json>

Compiles the Starknet contract in PROJECT_DIR (a directory holding cairo_project.toml) with
cairo-lang 2.17.0 and the corelib in CORELIB_SRC_DIR (e.g. from scripts/get-cairo-corelib.sh),
checks it against the audited allowed-libfuncs list and the Starknet limit of 81920 Sierra felts,
and writes the contract class JSON (starknet-compile's format) atomically to the output path.
A one-line JSON summary is printed on stdout; diagnostics go to stderr.

Options:
  --corelib <DIR>     corelib `src` directory (the one holding lib.cairo); required
  --contract <PATH>   contract module path, e.g. model::model::Model (needed if several)
  --allow-warnings    do not fail on compiler warnings
  -h, --help          print this help
  -V, --version       print the version

Exit codes: 0 success, 1 compilation or validation failure, 2 usage error.";

/// Parsed command line.
#[derive(Debug)]
struct Args {
    corelib: PathBuf,
    contract: Option<String>,
    allow_warnings: bool,
    project: PathBuf,
    output: PathBuf,
}

/// What the command line asks for.
enum Command {
    Compile(Args),
    Help,
    Version,
}

fn parse_args(raw: impl IntoIterator<Item = OsString>) -> Result<Command> {
    let mut corelib = None;
    let mut contract = None;
    let mut allow_warnings = false;
    let mut positional = Vec::new();
    let mut raw = raw.into_iter();
    let mut only_positional = false;
    while let Some(arg) = raw.next() {
        if only_positional {
            positional.push(PathBuf::from(arg));
            continue;
        }
        let Some(text) = arg.to_str() else {
            positional.push(PathBuf::from(arg));
            continue;
        };
        let (flag, inline_value) = match text.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => (flag, Some(OsString::from(value))),
            _ => (text, None),
        };
        let mut value = |name: &str| -> Result<OsString> {
            match inline_value.clone().or_else(|| raw.next()) {
                Some(v) => Ok(v),
                None => bail!("missing value for {name}"),
            }
        };
        match flag {
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            "--corelib" => corelib = Some(PathBuf::from(value("--corelib")?)),
            "--contract" => {
                let v = value("--contract")?;
                let v = v.into_string().map_err(|_| anyhow!("--contract is not UTF-8"))?;
                contract = Some(v);
            }
            "--allow-warnings" if inline_value.is_none() => allow_warnings = true,
            "--" => only_positional = true,
            _ if flag.starts_with('-') && flag.len() > 1 => bail!("unknown option `{text}`"),
            _ => positional.push(PathBuf::from(arg)),
        }
    }
    let corelib = corelib.context("--corelib <CORELIB_SRC_DIR> is required")?;
    let [project, output]: [PathBuf; 2] = positional.try_into().map_err(|p: Vec<PathBuf>| {
        anyhow!("expected 2 positional arguments (project dir, output file), got {}", p.len())
    })?;
    Ok(Command::Compile(Args { corelib, contract, allow_warnings, project, output }))
}

/// Compiles, validates and writes the class; returns the stdout summary line.
fn run(args: &Args) -> Result<String> {
    if !args.corelib.join("lib.cairo").is_file() {
        bail!(
            "corelib directory `{}` has no lib.cairo (pass the corelib's `src` directory, e.g. \
             the last line printed by scripts/get-cairo-corelib.sh)",
            args.corelib.display()
        );
    }
    if args.output.is_dir() || args.output.file_name().is_none() {
        bail!("output path `{}` must be a file path, not a directory", args.output.display());
    }
    if !args.project.join("cairo_project.toml").is_file() {
        bail!("project directory `{}` has no cairo_project.toml", args.project.display());
    }
    let corelib = fs::canonicalize(&args.corelib)
        .with_context(|| format!("cannot resolve corelib path `{}`", args.corelib.display()))?;
    let project = fs::canonicalize(&args.project)
        .with_context(|| format!("cannot resolve project path `{}`", args.project.display()))?;

    let class = compile(&corelib, &project, args.contract.as_deref(), args.allow_warnings)?;

    let sierra_felts = class.sierra_program.len();
    check_sierra_size(sierra_felts)?;
    class
        .extract_sierra_program(false)
        .context("cannot decode the generated Sierra program")?
        .validate_version_compatible(ListSelector::DefaultList)
        .context("the class fails the audited allowed-libfuncs list (default list)")?;

    let json = serde_json::to_string_pretty(&class).context("cannot serialize the class")?;
    write_atomically(&args.output, json.as_bytes())?;

    let eps = &class.entry_points_by_type;
    // Built by hand to keep the documented key order (serde_json's Map sorts keys).
    Ok(format!(
        "{{\"sierra_felts\": {sierra_felts}, \"contract_class_version\": {}, \"entry_points\": \
         {{\"external\": {}, \"l1_handler\": {}, \"constructor\": {}}}}}",
        serde_json::Value::from(class.contract_class_version.as_str()),
        eps.external.len(),
        eps.l1_handler.len(),
        eps.constructor.len(),
    ))
}

/// Runs the Cairo → Sierra contract compilation. Diagnostics are printed to stderr.
fn compile(
    corelib: &Path,
    project: &Path,
    contract: Option<&str>,
    allow_warnings: bool,
) -> Result<ContractClass> {
    let mut db = RootDatabase::builder()
        .with_default_plugin_suite(starknet_plugin_suite())
        .build()
        .context("cannot set up the compiler database")?;
    init_dev_corelib(&mut db, corelib.to_path_buf());
    let inputs = setup_project(&mut db, project)
        .with_context(|| format!("cannot load Cairo project `{}`", project.display()))?;
    let mut reporter = DiagnosticsReporter::stderr().with_crates(&inputs);
    if allow_warnings {
        reporter = reporter.allow_warnings();
    }
    let config =
        CompilerConfig { diagnostics_reporter: reporter, replace_ids: true, ..Default::default() };
    let ids = CrateInput::into_crate_ids(&db, inputs);
    compile_contract_in_prepared_db(&db, contract, ids, config).map_err(|e| {
        if e.downcast_ref::<DiagnosticsError>().is_some() {
            anyhow!(
                "Cairo compilation failed, see the diagnostics above (warnings fail the build \
                 unless --allow-warnings is given)"
            )
        } else {
            // Upstream messages name starknet-compile's `--contract-path` option.
            anyhow!(
                "Cairo compilation failed: {}",
                format!("{e:#}").replace("--contract-path", "--contract")
            )
        }
    })
}

/// Fails if the class's Sierra program exceeds Starknet's length limit.
fn check_sierra_size(sierra_felts: usize) -> Result<()> {
    if sierra_felts > MAX_SIERRA_FELTS {
        bail!(
            "Sierra program too large for Starknet: {sierra_felts} felts, limit \
             {MAX_SIERRA_FELTS} felts"
        );
    }
    Ok(())
}

/// Writes `bytes` to a temporary file next to `path`, syncs it and renames it over `path`.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let file_name = path
        .file_name()
        .with_context(|| format!("output path `{}` has no file name", path.display()))?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp_name = OsString::from(".");
    tmp_name.push(file_name);
    tmp_name.push(format!(".tmp.{}", std::process::id()));
    let tmp = dir.join(tmp_name);
    let result = (|| -> Result<()> {
        let mut f =
            fs::File::create(&tmp).with_context(|| format!("cannot create `{}`", tmp.display()))?;
        f.write_all(bytes).with_context(|| format!("cannot write `{}`", tmp.display()))?;
        f.sync_all().with_context(|| format!("cannot sync `{}`", tmp.display()))?;
        fs::rename(&tmp, path)
            .with_context(|| format!("cannot move `{}` to `{}`", tmp.display(), path.display()))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

fn main() -> ExitCode {
    let args = match parse_args(std::env::args_os().skip(1)) {
        Ok(Command::Compile(args)) => args,
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Command::Version) => {
            println!("starkml-cairo-compile {} (cairo-lang 2.17.0)", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("error: {e:#}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    // The compiler reports some internal errors (e.g. type-size overflow on huge const arrays)
    // by panicking; the default hook has printed the message by the time we get here.
    match panic::catch_unwind(AssertUnwindSafe(|| run(&args))) {
        Ok(Ok(summary)) => {
            println!("{summary}");
            ExitCode::SUCCESS
        }
        Ok(Err(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
        Err(_) => {
            eprintln!("error: the Cairo compiler panicked (internal compiler error, see above)");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command> {
        parse_args(args.iter().map(OsString::from))
    }

    #[test]
    fn sierra_size_limit() {
        assert!(check_sierra_size(MAX_SIERRA_FELTS).is_ok());
        let err = check_sierra_size(MAX_SIERRA_FELTS + 1).unwrap_err().to_string();
        assert!(err.contains("81921 felts") && err.contains("limit 81920"), "{err}");
    }

    #[test]
    fn parses_command_line() {
        let Ok(Command::Compile(a)) =
            parse(&["--corelib", "c/src", "--contract=m::m::M", "--allow-warnings", "p", "o.json"])
        else {
            panic!("expected a compile command");
        };
        assert_eq!(a.corelib, PathBuf::from("c/src"));
        assert_eq!(a.contract.as_deref(), Some("m::m::M"));
        assert!(a.allow_warnings);
        assert_eq!((a.project, a.output), (PathBuf::from("p"), PathBuf::from("o.json")));
        assert!(matches!(parse(&["-h"]), Ok(Command::Help)));
        assert!(parse(&["p", "o.json"]).is_err(), "--corelib is required");
        assert!(parse(&["--corelib", "c", "p"]).is_err(), "two positionals");
        assert!(parse(&["--corelib", "c", "p", "o", "x"]).is_err(), "two positionals");
        assert!(parse(&["--corelib", "c", "--bogus", "p", "o"]).is_err());
        assert!(parse(&["--corelib"]).is_err());
    }
}
