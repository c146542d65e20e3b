//! `starkml compile`.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Args;
use transpiler::{Calibration, TranspileOptions};

/// Transpile MODEL.onnx into a program file.
#[derive(Args)]
pub struct CompileCmd {
    /// ONNX model to compile.
    model: PathBuf,
    /// Output program file.
    #[arg(short, long, default_value = "model.stkm")]
    output: PathBuf,
    /// Activation scale in fractional bits (default: the largest that keeps every static
    /// bound within budget, at most --max-scale).
    #[arg(long)]
    scale: Option<u8>,
    /// Upper limit of the automatic scale choice.
    #[arg(long, default_value_t = transpiler::DEFAULT_MAX_SCALE)]
    max_scale: u8,
    /// Calibration samples ({"inputs": [[...], ...]}): declare input ranges from them.
    #[arg(long, value_name = "FILE")]
    calibrate: Option<PathBuf>,
    /// Compile only this graph output (repeatable; default: all outputs). Nodes no selected
    /// output needs are left out, e.g. `--output label` for a scikit-learn classifier whose
    /// probabilities need an unsupported Softmax.
    #[arg(long = "output-name", value_name = "NAME")]
    output_names: Vec<String>,
    /// Declared real range of every input, as LO,HI (default [-16, 16] without calibration).
    #[arg(long, value_name = "LO,HI", allow_hyphen_values = true)]
    input_range: Option<String>,
    /// Samples per run: the size of the inputs' batch axis (their first axis, left symbolic by
    /// the exporter, or fixed at 1 as torch.onnx.export leaves it, then checked sample by
    /// sample). `run` and `prove` then take N samples at once, in one proof.
    #[arg(long, value_name = "N", default_value_t = 1)]
    batch: usize,
    /// Compile an evaluation program of this test set ({"inputs": [[...], ...], "labels":
    /// [...]}): one run predicts every sample and scores them (correct labels, or the sum of
    /// absolute errors), and `starkml prove --dataset` proves it all in one proof. Without
    /// --calibrate, the test set's own inputs calibrate.
    #[arg(long, value_name = "TEST.json")]
    dataset: Option<PathBuf>,
    /// Score of an evaluation program: accuracy (classifiers) or mae (mean absolute error,
    /// regressors). Default: accuracy for a model with an integer label output or a score
    /// output of several columns, else mae.
    #[arg(long, value_parser = ["accuracy", "mae"], requires = "dataset")]
    metric: Option<String>,
    /// Graph output an evaluation program scores (default: the first integer output, else
    /// the first output).
    #[arg(long, value_name = "NAME", requires = "dataset")]
    score_output: Option<String>,
}

fn parse_range(s: &str) -> Result<(f64, f64)> {
    let Some((lo, hi)) = s.split_once(',') else {
        bail!("--input-range must be LO,HI, got '{s}'");
    };
    let lo: f64 =
        lo.trim().parse().with_context(|| format!("--input-range: '{lo}' is not a number"))?;
    let hi: f64 =
        hi.trim().parse().with_context(|| format!("--input-range: '{hi}' is not a number"))?;
    Ok((lo, hi))
}

impl CompileCmd {
    /// Runs the command.
    pub fn execute(&self) -> Result<()> {
        let bytes = std::fs::read(&self.model)
            .with_context(|| format!("cannot read {}", self.model.display()))?;
        let calibration = match &self.calibrate {
            None => None,
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("cannot read {}", p.display()))?;
                Some(Calibration::from_json(&text).with_context(|| format!("in {}", p.display()))?)
            }
        };
        let name = self.model.file_stem().map(|s| s.to_string_lossy().into_owned());
        let opts = TranspileOptions {
            scale: self.scale,
            max_scale: self.max_scale,
            input_range: self.input_range.as_deref().map(parse_range).transpose()?,
            calibration,
            name,
            outputs: (!self.output_names.is_empty()).then(|| self.output_names.clone()),
            batch: self.batch.max(1),
            eval: match &self.dataset {
                None => None,
                Some(p) => Some(transpiler::Eval {
                    test_set: crate::dataset::read_test_set(p)?,
                    metric: self.metric.as_deref().map(|m| match m {
                        "mae" => transpiler::Metric::MeanAbsError,
                        _ => transpiler::Metric::Accuracy,
                    }),
                    output: self.score_output.clone(),
                }),
            },
            // Tensors stored as external data are read from the model's directory.
            external_data: Some(self.model.parent().map(|d| d.to_path_buf()).unwrap_or_default()),
            // The prover's field-budget check, so that the automatic scale also proves.
            ..starkml::compile_options()
        };
        let program = starkml::compile(&bytes, &opts).map_err(|e| match e {
            // "cannot compile MODEL: <the transpiler's reason>".
            starkml::Error::Compile(e) => {
                anyhow::Error::new(e).context(format!("cannot compile {}", self.model.display()))
            }
            e => e.into(),
        })?;
        let out = program.to_bytes();
        std::fs::write(&self.output, &out)
            .with_context(|| format!("cannot write {}", self.output.display()))?;
        let stats = program.stats();
        let scale = program.activation_scale();
        eprintln!(
            "compiled {} -> {} ({} bytes): {} ops, {} parameters, {} MACs, scale {scale}, largest bound 2^{}, digest {}",
            self.model.display(),
            self.output.display(),
            out.len(),
            program.ops.len(),
            stats.params,
            stats.macs,
            stats.max_bound_bits,
            program.digest()
        );
        if self.scale.is_none() && self.calibrate.is_none() && scale < self.max_scale {
            eprintln!(
                "note: scale {scale} is the finest at which worst-case bounds (from the input ranges) fit; with --calibrate SAMPLES, compile can declare bounds from the samples and keep up to {} fractional bits",
                self.max_scale
            );
        }
        let declared = runtime::bounds::declared_bounds(&program)?.len();
        if declared > 0 {
            eprintln!(
                "note: worst-case bounds did not fit at this scale, so {} activation tensors have bounds declared from the calibration samples ({}x the largest value they reach); `run` and `prove` refuse an input that exceeds them (marked `(declared)` in `starkml inspect`)",
                declared,
                transpiler::DECLARED_BOUND_FACTOR
            );
        }
        if let Some(t) = program
            .inputs
            .iter()
            .filter_map(|i| program.tensor(*i))
            .find(|t| t.name == runtime::dataset::LABELS_INPUT)
        {
            eprintln!(
                "evaluation program: {} samples per run, labels input '{}' {:?}; prove it with `starkml prove {} --dataset TEST.json`",
                t.shape.first().copied().unwrap_or(0),
                t.name,
                t.shape,
                self.output.display()
            );
        }
        // Say now what `prove` will refuse, not after the user has run it.
        let unprovable = starkml::unprovable_ops(&program);
        if !unprovable.is_empty() {
            eprintln!("warning: `starkml prove` cannot prove this program yet:");
            for op in &unprovable {
                eprintln!("  {op}");
            }
        }
        Ok(())
    }
}
