//! Runs the Cairo compiler tool (`tools/cairo-compile`, its own workspace) on a project.
//!
//! The tool compiles modern Cairo (edition 2024_07) with the crates.io `cairo-lang-*`
//! 2.17.0 crates and the 2.16.0 corelib; it cannot live in this dependency graph (see its
//! README). `scripts/install-starknet-tools.sh` builds it and fetches the corelib.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::StarknetError;

/// Environment variable naming the compiler tool binary.
pub const COMPILER_ENV: &str = "STARKML_CAIRO_COMPILE";
/// Environment variable naming the corelib `src` directory.
pub const CORELIB_ENV: &str = "STARKML_CAIRO_CORELIB";

fn home_cache() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache"))
}

/// Where the compiler tool is: `$STARKML_CAIRO_COMPILE`, else the build of
/// `scripts/install-starknet-tools.sh`, else `starkml-cairo-compile` on `PATH`.
pub fn compiler_path() -> PathBuf {
    if let Some(p) = std::env::var_os(COMPILER_ENV) {
        return PathBuf::from(p);
    }
    if let Some(c) = home_cache() {
        let p = c.join("starkml-cairo-compile-target/release/starkml-cairo-compile");
        if p.is_file() {
            return p;
        }
    }
    PathBuf::from("starkml-cairo-compile")
}

/// Where the corelib is: `$STARKML_CAIRO_CORELIB`, else the copy made by
/// `scripts/get-cairo-corelib.sh`.
pub fn corelib_path() -> PathBuf {
    if let Some(p) = std::env::var_os(CORELIB_ENV) {
        return PathBuf::from(p);
    }
    home_cache()
        .map(|c| c.join("starkml-cairo-corelib-2.16.0/src"))
        .unwrap_or_else(|| PathBuf::from("corelib/src"))
}

/// Compiles the Cairo project in `project_dir` into the contract class (Sierra JSON) at
/// `out`, returning the class JSON.
///
/// # Errors
/// [`StarknetError::Compile`] when the tool or the corelib is missing (saying how to get
/// them) or the compilation fails (with the compiler's diagnostics);
/// [`StarknetError::Io`] when the output cannot be read.
pub fn compile_project(project_dir: &Path, out: &Path) -> Result<String, StarknetError> {
    let tool = compiler_path();
    let corelib = corelib_path();
    if !corelib.join("lib.cairo").is_file() {
        return Err(StarknetError::Compile(format!(
            "Cairo corelib not found at {} (set {CORELIB_ENV} or run scripts/install-starknet-tools.sh)",
            corelib.display()
        )));
    }
    let output = Command::new(&tool)
        .arg("--corelib")
        .arg(&corelib)
        .arg(project_dir)
        .arg(out)
        .output()
        .map_err(|e| {
            StarknetError::Compile(format!(
                "cannot run {} ({e}); set {COMPILER_ENV} or run scripts/install-starknet-tools.sh",
                tool.display()
            ))
        })?;
    if !output.status.success() {
        return Err(StarknetError::Compile(format!(
            "{} exited with {}:\n{}",
            tool.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim_end()
        )));
    }
    std::fs::read_to_string(out).map_err(|source| StarknetError::Io { path: out.into(), source })
}
