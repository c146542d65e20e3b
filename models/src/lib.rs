#![doc = include_str!("../README.md")]

use std::path::PathBuf;

use serde::Deserialize;

/// The five benchmark models, smallest first.
pub const ALL_MODELS: &[&str] =
    &["logreg_iris", "mlp_small", "cnn_small", "mlp_medium", "mlp_large"];

/// Errors of the loader.
#[derive(Debug, thiserror::Error)]
pub enum ModelsError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A JSON file does not have the expected fields.
    #[error("invalid {path}: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
}

/// The canonical input of a model.
#[derive(Debug, Clone, Deserialize)]
pub struct Input {
    /// Graph input name.
    pub input_name: String,
    /// Shape.
    pub shape: Vec<usize>,
    /// Flat row-major values.
    pub data: Vec<f64>,
}

/// The float reference output for the canonical input.
#[derive(Debug, Clone, Deserialize)]
pub struct Expected {
    /// Shape.
    pub shape: Vec<usize>,
    /// Index of the largest logit.
    pub argmax: usize,
    /// Flat row-major values.
    pub data: Vec<f64>,
}

/// 20 test samples with their float reference outputs.
#[derive(Debug, Clone, Deserialize)]
pub struct TestSet {
    /// Flat inputs.
    pub inputs: Vec<Vec<f64>>,
    /// True labels.
    pub labels: Vec<i64>,
    /// Float reference outputs (flat).
    pub expected: Vec<Vec<f64>>,
}

/// One model with its data files.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// Model name.
    pub name: String,
    /// Path of the ONNX file.
    pub onnx: PathBuf,
    /// Path of the calibration samples.
    pub calib: PathBuf,
    /// Path of the canonical input file.
    pub input_path: PathBuf,
    /// Canonical input.
    pub input: Input,
    /// Float output for the canonical input.
    pub expected: Expected,
    /// Test samples.
    pub testset: TestSet,
}

/// Directory of the data files.
pub fn data_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/data"))
}

fn json<T: for<'de> Deserialize<'de>>(path: PathBuf) -> Result<T, ModelsError> {
    let text = std::fs::read_to_string(&path)
        .map_err(|source| ModelsError::Io { path: path.clone(), source })?;
    serde_json::from_str(&text).map_err(|source| ModelsError::Json { path, source })
}

impl Fixture {
    /// Loads model `name` (one of [`ALL_MODELS`]).
    ///
    /// # Errors
    /// [`ModelsError`] when a file is missing or malformed.
    pub fn load(name: &str) -> Result<Fixture, ModelsError> {
        let dir = data_dir();
        let p = |ext: &str| dir.join(format!("{name}.{ext}"));
        Ok(Fixture {
            name: name.to_string(),
            onnx: p("onnx"),
            calib: p("calib.json"),
            input_path: p("input.json"),
            input: json(p("input.json"))?,
            expected: json(p("expected.json"))?,
            testset: json(p("testset.json"))?,
        })
    }

    /// The ONNX bytes.
    ///
    /// # Errors
    /// [`ModelsError::Io`].
    pub fn onnx_bytes(&self) -> Result<Vec<u8>, ModelsError> {
        std::fs::read(&self.onnx)
            .map_err(|source| ModelsError::Io { path: self.onnx.clone(), source })
    }
}
