//! Options, calibration and the choice of scale.

use serde_json::Value;

use crate::error::TranspileError;
use crate::graph::IrGraph;
use crate::lower::lower;

/// Largest activation scale tried when none is given.
pub const DEFAULT_MAX_SCALE: u8 = 16;
/// Declared input range `[-B, B]` when neither `--input-range` nor calibration data is given.
pub const DEFAULT_INPUT_BOUND: f64 = 16.0;

/// A check a candidate program must pass for the automatic scale to pick it: `Err` gives the
/// reason it is refused.
pub type AcceptFn = fn(&runtime::Program) -> Result<(), String>;

/// How to quantise a model.
#[derive(Debug, Clone)]
pub struct TranspileOptions {
    /// Activation scale in fractional bits; `None` picks the largest scale up to `max_scale`
    /// whose static bounds fit the budget.
    pub scale: Option<u8>,
    /// Upper limit of the automatic scale choice.
    pub max_scale: u8,
    /// Declared real range of every input; overrides calibration.
    pub input_range: Option<(f64, f64)>,
    /// Sample inputs: they set the declared input ranges (widened, see [`Calibration`]) and
    /// must all run on the chosen program.
    pub calibration: Option<Calibration>,
    /// Program name; defaults to the ONNX graph name.
    pub name: Option<String>,
    /// Graph outputs to compile (by name); `None` compiles them all. Nodes that no selected
    /// output needs are left out, so an output needing an unsupported op (for example the
    /// probabilities of a scikit-learn classifier) need not block the others (its label).
    pub outputs: Option<Vec<String>>,
    /// Graph inputs bound to constant values at compile time (for example weights or shapes
    /// that an exporter left as inputs). They are no longer program inputs.
    pub bind_inputs: Vec<(String, crate::onnx::ConstTensor)>,
    /// A further check a program must pass for the automatic scale to pick it (`Err` with the
    /// reason moves on to the next smaller scale); an explicit `scale` skips it. `starkml
    /// compile` passes the prover's field-budget check (`air::check_field_budget`), so that
    /// the scale it picks also proves.
    pub accept: Option<AcceptFn>,
    /// Samples per run: the size given to every input's dynamic first axis (the batch axis
    /// an exporter leaves symbolic, `[None, features]` or `["batch", ...]`). 1 by default. A
    /// run of the program then computes `batch` samples at once, and one proof covers them
    /// all (the weights and the tables are paid for once). Calibration samples of one row
    /// each are grouped into batches (see [`Calibration`]).
    pub batch: usize,
    /// Build an evaluation program of this test set instead (see [`crate::eval`]): the batch
    /// is the test-set size, the labels are one more input and the score one more output.
    pub eval: Option<crate::eval::Eval>,
    /// The directory of the model file, where tensors stored as ONNX external data are read
    /// from (their `location` relative to it, as `torch.onnx.export` and `onnx.save` write
    /// them: `model.onnx.data`). `None`: a model with external data is refused, naming the
    /// tensor and its file.
    pub external_data: Option<std::path::PathBuf>,
}

impl Default for TranspileOptions {
    fn default() -> Self {
        TranspileOptions {
            scale: None,
            max_scale: DEFAULT_MAX_SCALE,
            input_range: None,
            calibration: None,
            name: None,
            outputs: None,
            bind_inputs: Vec::new(),
            accept: None,
            batch: 1,
            eval: None,
            external_data: None,
        }
    }
}

/// Calibration samples: for each graph input, a list of flat row-major samples.
///
/// The declared range of an input is the sample range `[lo, hi]` widened on each side by
/// `max(hi - lo, max(|lo|, |hi|), 2^-8)`, so that unseen inputs of the same distribution stay
/// inside it: an input may reach twice the largest magnitude sampled (or the sample range
/// again beyond either end). One range covers a whole input tensor, so features of different
/// magnitudes share the widest one's margin. The cost is at most about 1.6 bits of bound over
/// the bare sample range; a narrower `--input-range` can be given instead.
///
/// **Declared bounds.** At each candidate scale the program is first tried with worst-case
/// bounds (every bound derived from the input ranges and the weights). Those compound with
/// depth (each layer multiplies them by its largest `sum |w|`), so a deep net may fit only a
/// coarse scale. When they do not fit (the runtime's `2^60` budget or the `accept` check) and
/// samples are given, the samples are run at that scale and every rescale's output (the
/// activations after each product) gets a *declared* bound: [`DECLARED_BOUND_FACTOR`] times
/// the largest magnitude the samples reach there, and at least `1.0`. The runtime enforces
/// declared bounds on every run (`RuntimeError::BoundViolated`, naming the tensor) and later
/// bounds derive from them, so growth stops at each activation. Inputs of the samples'
/// distribution (up to the input margin above) pass; an input that drives an activation past
/// 4x what the samples reached is refused rather than computed. Programs whose worst-case
/// bounds fit keep them (no declared bounds, nothing refused beyond the input ranges).
#[derive(Debug, Clone, PartialEq)]
pub struct Calibration {
    /// `samples[input][k]` is sample `k` of graph input `input`.
    pub samples: Vec<Vec<Vec<f64>>>,
    /// Input names when given by name (`{"inputs": {"name": [...]}}`).
    pub names: Option<Vec<String>>,
}

fn floats(v: &Value, what: &str) -> Result<Vec<f64>, TranspileError> {
    let bad = |reason: String| TranspileError::Calibration { reason };
    let arr = v.as_array().ok_or_else(|| bad(format!("{what} is not an array of numbers")))?;
    arr.iter()
        .enumerate()
        .map(|(i, x)| {
            x.as_f64()
                .filter(|f| f.is_finite())
                .ok_or_else(|| bad(format!("{what}[{i}] is not a finite number")))
        })
        .collect()
}

fn sample_list(v: &Value, what: &str) -> Result<Vec<Vec<f64>>, TranspileError> {
    let arr = v.as_array().ok_or_else(|| TranspileError::Calibration {
        reason: format!("{what} is not a list of samples"),
    })?;
    arr.iter().enumerate().map(|(k, s)| floats(s, &format!("{what}[{k}]"))).collect()
}

impl Calibration {
    /// Parses the calibration format of `models/*.calib.json`: `{"inputs": [[...], ...]}` for
    /// a single-input model, or `{"inputs": {"NAME": [[...], ...], ...}}` by input name.
    ///
    /// # Errors
    /// [`TranspileError::Calibration`] naming the malformed field.
    pub fn from_json(text: &str) -> Result<Calibration, TranspileError> {
        let v: Value = serde_json::from_str(text)
            .map_err(|e| TranspileError::Calibration { reason: format!("invalid JSON: {e}") })?;
        let inputs = v.get("inputs").ok_or_else(|| TranspileError::Calibration {
            reason: "missing field 'inputs'".into(),
        })?;
        match inputs {
            Value::Array(_) => {
                Ok(Calibration { samples: vec![sample_list(inputs, "inputs")?], names: None })
            }
            Value::Object(map) => {
                let mut names = Vec::new();
                let mut samples = Vec::new();
                for (name, list) in map {
                    names.push(name.clone());
                    samples.push(sample_list(list, &format!("inputs.{name}"))?);
                }
                Ok(Calibration { samples, names: Some(names) })
            }
            _ => Err(TranspileError::Calibration {
                reason: "'inputs' must be a list or an object".into(),
            }),
        }
    }

    /// Samples of each graph input, in graph order, checked against the input sizes. For a
    /// program of `batch` samples per run, samples of one row each (a `batch`-th of the input)
    /// are grouped `batch` at a time, the last group filled up from the first samples.
    fn per_input(&self, graph: &IrGraph) -> Result<Vec<Vec<Vec<f64>>>, TranspileError> {
        let bad = |reason: String| TranspileError::Calibration { reason };
        let batch = graph.batch.max(1);
        let mut out = Vec::new();
        for (k, &v) in graph.inputs.iter().enumerate() {
            let val = &graph.values[v];
            let samples = match &self.names {
                None if graph.inputs.len() == 1 => {
                    self.samples.first().ok_or_else(|| bad("no samples".into()))?
                }
                None => {
                    return Err(bad(format!(
                        "the model has {} inputs: give samples by name",
                        graph.inputs.len()
                    )))
                }
                Some(names) => {
                    let i = names
                        .iter()
                        .position(|n| *n == val.name)
                        .ok_or_else(|| bad(format!("no samples for input '{}'", val.name)))?;
                    self.samples
                        .get(i)
                        .ok_or_else(|| bad(format!("no samples for input '{}'", val.name)))?
                }
            };
            let n: usize = val.shape.iter().product();
            if samples.is_empty() {
                return Err(bad(format!("no samples for input #{k} '{}'", val.name)));
            }
            let rows = batch > 1 && samples.iter().all(|s| s.len() * batch == n);
            if let Some((i, s)) = samples.iter().enumerate().find(|(_, s)| s.len() != n && !rows) {
                let per_row = if batch > 1 {
                    format!(" (or {} for one of the {batch} samples per run)", n / batch)
                } else {
                    String::new()
                };
                return Err(bad(format!(
                    "sample {i} of input '{}' has {} values, shape {:?} needs {n}{per_row}",
                    val.name,
                    s.len(),
                    val.shape
                )));
            }
            if rows {
                let groups = samples.len().div_ceil(batch);
                out.push(
                    (0..groups)
                        .map(|g| {
                            (0..batch)
                                .flat_map(|j| samples[(g * batch + j) % samples.len()].iter())
                                .copied()
                                .collect()
                        })
                        .collect(),
                );
            } else {
                out.push(samples.clone());
            }
        }
        Ok(out)
    }

    /// The samples run by run: `out[k][i]` is sample `k` of graph input `i` (as many runs as
    /// the input with the fewest samples).
    ///
    /// # Errors
    /// As [`Calibration::ranges`].
    pub fn samples_by_run(&self, graph: &IrGraph) -> Result<Vec<Vec<Vec<f64>>>, TranspileError> {
        let per = self.per_input(graph)?;
        let count = per.iter().map(|s| s.len()).min().unwrap_or(0);
        Ok((0..count).map(|k| per.iter().map(|s| s[k].clone()).collect()).collect())
    }

    /// Declared range of each graph input.
    ///
    /// # Errors
    /// [`TranspileError::Calibration`] when samples are missing or have the wrong size.
    pub fn ranges(&self, graph: &IrGraph) -> Result<Vec<(f64, f64)>, TranspileError> {
        Ok(self
            .per_input(graph)?
            .into_iter()
            .map(|samples| {
                let (lo, hi) = samples
                    .iter()
                    .flatten()
                    .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), &x| (l.min(x), h.max(x)));
                // Empty tensors have no range of their own.
                let (lo, hi) = if lo > hi { (0.0, 0.0) } else { (lo, hi) };
                let margin = (hi - lo).max(lo.abs().max(hi.abs())).max(1.0 / 256.0);
                (lo - margin, hi + margin)
            })
            .collect())
    }
}

/// Picks the declared input ranges and the scale, lowers the graph and checks the
/// calibration samples run.
///
/// # Errors
/// [`TranspileError::Quantize`] when no scale fits (or the given one does not);
/// [`TranspileError::Calibration`] for bad samples.
pub fn quantize_graph(
    graph: &IrGraph,
    opts: &TranspileOptions,
) -> Result<runtime::Program, TranspileError> {
    let ranges: Vec<(f64, f64)> = match (&opts.input_range, &opts.calibration) {
        (Some((lo, hi)), _) => {
            if !(lo.is_finite() && hi.is_finite() && lo <= hi) {
                return Err(TranspileError::Calibration {
                    reason: format!("input range [{lo}, {hi}] is empty or not finite"),
                });
            }
            vec![(*lo, *hi); graph.inputs.len()]
        }
        (None, Some(c)) => c.ranges(graph)?,
        (None, None) => vec![(-DEFAULT_INPUT_BOUND, DEFAULT_INPUT_BOUND); graph.inputs.len()],
    };
    let name = opts.name.clone().unwrap_or_else(|| {
        if graph.name.is_empty() {
            "model".into()
        } else {
            graph.name.clone()
        }
    });
    let candidates: Vec<u8> = match opts.scale {
        Some(s) => vec![s],
        None => (1..=opts.max_scale.max(1)).rev().collect(),
    };
    let samples = match &opts.calibration {
        Some(c) => Some(c.samples_by_run(graph)?),
        None => None,
    };
    let mut last_err = None;
    for s in candidates {
        let attempt = at_scale(graph, s, &ranges, &name, opts, samples.as_deref());
        let p = match attempt {
            Ok(p) => p,
            Err(e) if fallible(&e, opts) => {
                last_err = Some(e);
                continue;
            }
            Err(e) => return Err(e),
        };
        if let Some(c) = &opts.calibration {
            check_samples(&p, graph, c)?;
        }
        return Ok(p);
    }
    Err(last_err.unwrap_or(TranspileError::Calibration { reason: "no scale to try".into() }))
}

/// The program at scale `s`: with worst-case bounds when they fit (and pass `accept`), else,
/// when samples are given, with bounds declared from them.
fn at_scale(
    graph: &IrGraph,
    s: u8,
    ranges: &[(f64, f64)],
    name: &str,
    opts: &TranspileOptions,
    samples: Option<&[Vec<Vec<f64>>]>,
) -> Result<runtime::Program, TranspileError> {
    if opts.scale.is_none() {
        table_accuracy(graph, s)
            .map_err(|reason| TranspileError::NotAccepted { max_scale: opts.max_scale, reason })?;
    }
    let mut p = lower(graph, s, ranges, name)?;
    let err = match fits(&mut p, s, opts, &[]) {
        Ok(()) => return Ok(p),
        Err(e) => e,
    };
    let Some(samples) = samples else { return Err(err) };
    // `declare_bounds` starts from scratch, and observing ignores bounds: `p` is reused.
    let declared = calibrated_bounds(&p, samples, s)?;
    fits(&mut p, s, opts, &declared)?;
    Ok(p)
}

/// Largest worst-case error of a table op that the automatic scale accepts, in units of the
/// activation scale (`2^-s`): a table whose grid cannot follow its function at scale `s`
/// (steep residuals, wide domains) moves the choice to a smaller scale.
pub const TABLE_ERROR_UNITS: f64 = 40.0;

/// `Err` naming the first table function whose worst error at scale `s` exceeds
/// [`TABLE_ERROR_UNITS`] units.
fn table_accuracy(graph: &IrGraph, s: u8) -> Result<(), String> {
    let unit = (2f64).powi(-i32::from(s));
    let mut seen: Vec<crate::tables::Func> = Vec::new();
    for v in &graph.values {
        if let crate::graph::Def::Node { op: crate::graph::IrOp::Table(f), origin, .. } = &v.def {
            if seen.contains(f) {
                continue;
            }
            seen.push(*f);
            let e = f.max_error(s);
            if e > TABLE_ERROR_UNITS * unit {
                return Err(format!(
                    "node '{origin}': the table of {f:?} errs by up to {e:.2e} at scale {s}, \
                     above {TABLE_ERROR_UNITS} units"
                ));
            }
        }
    }
    Ok(())
}

/// How much larger than the largest calibrated magnitude a declared bound is.
pub const DECLARED_BOUND_FACTOR: u64 = 4;

/// Assigns `p`'s bounds (with `declared` ones; the result is consistent by construction, and
/// `lower` validated the structure) and, for an automatic scale, applies the `accept` check;
/// then cuts every table to the entries its input's bound reaches
/// ([`runtime::Program::trim_tables`]).
fn fits(
    p: &mut runtime::Program,
    scale: u8,
    opts: &TranspileOptions,
    declared: &[(runtime::TensorId, u64)],
) -> Result<(), TranspileError> {
    p.declare_bounds(declared).map_err(|source| TranspileError::Quantize { scale, source })?;
    if let (None, Some(accept)) = (opts.scale, opts.accept) {
        accept(p)
            .map_err(|reason| TranspileError::NotAccepted { max_scale: opts.max_scale, reason })?;
    }
    // After `accept`: trimming only shrinks bounds, so an accepted program stays accepted.
    p.trim_tables().map_err(|source| TranspileError::Quantize { scale, source })?;
    Ok(())
}

/// Errors after which the automatic scale moves on to the next smaller scale.
fn fallible(e: &TranspileError, opts: &TranspileOptions) -> bool {
    opts.scale.is_none()
        && matches!(
            e,
            TranspileError::NotAccepted { .. }
                | TranspileError::Quantize {
                    source: runtime::RuntimeError::BoundTooLarge { .. }
                        | runtime::RuntimeError::Overflow { .. },
                    ..
                }
        )
}

/// Bounds declared on the output of every rescale (the activations after each product): the
/// largest magnitude the calibration samples reach there, times [`DECLARED_BOUND_FACTOR`],
/// and at least `1.0` (`2^scale`).
fn calibrated_bounds(
    p: &runtime::Program,
    samples: &[Vec<Vec<f64>>],
    scale: u8,
) -> Result<Vec<(runtime::TensorId, u64)>, TranspileError> {
    let seen = runtime::observe_magnitudes(p, samples).map_err(|source| match source {
        e @ runtime::RuntimeError::Overflow { .. } => TranspileError::Quantize { scale, source: e },
        e => TranspileError::Calibration { reason: format!("a sample does not run: {e}") },
    })?;
    Ok(p.ops
        .iter()
        .filter(|n| matches!(n.op, runtime::Op::Rescale { .. } | runtime::Op::Div { .. }))
        .map(|n| {
            let t = n.output;
            let one = p.tensor(t).map_or(1, |t| 1u64 << t.scale.min(62));
            let m = seen.get(t.0 as usize).copied().unwrap_or(0);
            (t, m.saturating_mul(DECLARED_BOUND_FACTOR).max(one))
        })
        .collect())
}

fn check_samples(
    p: &runtime::Program,
    graph: &IrGraph,
    c: &Calibration,
) -> Result<(), TranspileError> {
    let per = c.per_input(graph)?;
    let count = per.iter().map(|s| s.len()).min().unwrap_or(0);
    for k in 0..count {
        let inputs: Vec<Vec<f64>> = per.iter().map(|s| s[k].clone()).collect();
        runtime::run(p, &inputs).map_err(|e| TranspileError::Calibration {
            reason: format!("sample {k} does not run: {e}"),
        })?;
    }
    Ok(())
}
