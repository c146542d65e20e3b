//! Helpers shared by the CLI integration tests.
#![allow(dead_code, clippy::panic)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// Runs the `starkml` binary.
pub fn starkml(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_starkml"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot start starkml: {e}"))
}

/// A path in this test process's scratch directory.
pub fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("starkml-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    dir.join(name)
}

/// Path of a bundled model data file.
pub fn data(file: &str) -> String {
    models::data_dir().join(file).display().to_string()
}

/// Compiles bundled model `name` with its calibration file.
pub fn compile(name: &str) -> PathBuf {
    let out = tmp(&format!("{name}.stkm"));
    let o = starkml(&[
        "compile",
        &data(&format!("{name}.onnx")),
        "-o",
        &out.display().to_string(),
        "--calibrate",
        &data(&format!("{name}.calib.json")),
    ]);
    assert!(o.status.success(), "compile {name}: {}", String::from_utf8_lossy(&o.stderr));
    out
}

/// The process's stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
