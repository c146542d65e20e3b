//! Evaluation programs: a model run on a whole test set at once, scored in the same program.
//!
//! [`TranspileOptions::eval`](crate::TranspileOptions::eval) turns a model into a program of
//! `N` samples per run (its dynamic batch axis set to the test-set size) with one more input,
//! the true labels ([`runtime::dataset::LABELS_INPUT`]), and one more output, the score. The
//! score is built from ONNX ops the prover already proves, appended to the model's graph:
//!
//! - **accuracy** (a classifier): the predicted label `p` (the model's integer label output,
//!   or the arg-max of a score output over its last axis) minus the true label `y`, both
//!   integers; `sign(p - y)^2` is 1 exactly when they differ; the number of correct labels is
//!   `N - sum sign(p - y)^2` ([`runtime::dataset::CORRECT_OUTPUT`]), exact.
//! - **mean absolute error** (a regressor): `sum |p - y|` over samples and targets
//!   ([`runtime::dataset::ABS_ERROR_OUTPUT`]), in fixed point at the activation scale; the
//!   mean is that sum over the count, taken by the reader.

use onnx_protobuf::attribute_proto::AttributeType;
use onnx_protobuf::tensor_shape_proto::dimension::Value as Dim;
use onnx_protobuf::type_proto::{Tensor as TensorType, Value as TypeValue};
use onnx_protobuf::{
    AttributeProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto, TensorShapeProto,
    TypeProto, ValueInfoProto,
};
use runtime::dataset::{ABS_ERROR_OUTPUT, CORRECT_OUTPUT, LABELS_INPUT};
use serde_json::Value;

use crate::error::TranspileError;
use crate::onnx::DType;
use crate::quantize::{Calibration, TranspileOptions};

/// How an evaluation program scores its predictions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    /// Count of correct class labels (classifiers).
    Accuracy,
    /// Sum of absolute errors, read as the mean absolute error (regressors).
    MeanAbsError,
}

/// A labelled test set: per-sample model inputs and the true labels.
#[derive(Debug, Clone, PartialEq)]
pub struct TestSet {
    /// Model inputs, one flat row-major sample (one batch row) each, in the calibration layout.
    pub features: Calibration,
    /// True label of each sample: one value (a class index or a target), or one per target.
    pub labels: Vec<Vec<f64>>,
}

fn bad(reason: impl Into<String>) -> TranspileError {
    TranspileError::TestSet { reason: reason.into() }
}

impl TestSet {
    /// Parses `{"inputs": [[...], ...], "labels": [...]}` (inputs as for calibration: a list
    /// of samples, or an object of lists by input name; labels numbers, or lists of numbers
    /// for several targets). Other fields are ignored.
    ///
    /// # Errors
    /// [`TranspileError::TestSet`] naming the malformed field.
    pub fn from_json(text: &str) -> Result<TestSet, TranspileError> {
        let v: Value = serde_json::from_str(text).map_err(|e| bad(format!("invalid JSON: {e}")))?;
        let features = Calibration::from_json(text).map_err(|e| bad(e.to_string()))?;
        let labels = v.get("labels").ok_or_else(|| bad("missing field 'labels'"))?;
        let labels = labels.as_array().ok_or_else(|| bad("'labels' is not a list"))?;
        let number = |x: &Value, at: String| {
            x.as_f64()
                .filter(|f| f.is_finite())
                .ok_or_else(|| bad(format!("{at} is not a finite number")))
        };
        let labels: Vec<Vec<f64>> = labels
            .iter()
            .enumerate()
            .map(|(i, l)| match l {
                Value::Array(ts) => ts
                    .iter()
                    .enumerate()
                    .map(|(j, t)| number(t, format!("labels[{i}][{j}]")))
                    .collect(),
                x => number(x, format!("labels[{i}]")).map(|f| vec![f]),
            })
            .collect::<Result<_, _>>()?;
        let set = TestSet { features, labels };
        set.check()?;
        Ok(set)
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True for a test set without samples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Targets per label (1 for class labels).
    pub fn targets(&self) -> usize {
        self.labels.first().map_or(1, Vec::len)
    }

    fn check(&self) -> Result<(), TranspileError> {
        let n = self.len();
        if n == 0 {
            return Err(bad("the test set has no labels"));
        }
        let t = self.targets();
        if t == 0 {
            return Err(bad("labels[0] is an empty list"));
        }
        if let Some(i) = self.labels.iter().position(|l| l.len() != t) {
            return Err(bad(format!(
                "labels[{i}] has {} values, labels[0] {t}",
                self.labels[i].len()
            )));
        }
        for (k, samples) in self.features.samples.iter().enumerate() {
            if samples.len() != n {
                let what = match self.features.names.as_ref().and_then(|n| n.get(k)) {
                    Some(name) => format!("inputs.{name}"),
                    None => "inputs".into(),
                };
                return Err(bad(format!("{what} has {} samples, 'labels' {n}", samples.len())));
            }
        }
        Ok(())
    }

    /// The inputs of one run of an evaluation program made for this test set, in program input
    /// order: each model input's samples concatenated (batch rows), then the labels.
    ///
    /// # Errors
    /// [`TranspileError::TestSet`] when the program is not an evaluation program of this
    /// test set's size, or an input has no samples.
    pub fn program_inputs(
        &self,
        program: &runtime::Program,
    ) -> Result<Vec<Vec<f64>>, TranspileError> {
        let tensors: Vec<&runtime::TensorInfo> =
            program.inputs.iter().filter_map(|id| program.tensor(*id)).collect();
        if !tensors.iter().any(|t| t.name == LABELS_INPUT) {
            return Err(bad(format!(
                "the program has no input '{LABELS_INPUT}': it is not an evaluation program (compile it with --dataset)"
            )));
        }
        let model_inputs = tensors.iter().filter(|t| t.name != LABELS_INPUT).count();
        let mut out = Vec::new();
        for t in tensors {
            let data: Vec<f64> = if t.name == LABELS_INPUT {
                self.labels.iter().flatten().copied().collect()
            } else {
                let samples = match &self.features.names {
                    None if model_inputs == 1 => self
                        .features
                        .samples
                        .first()
                        .ok_or_else(|| bad("the test set has no inputs"))?,
                    None => return Err(bad("the model has several inputs: give them by name")),
                    Some(names) => names
                        .iter()
                        .position(|n| *n == t.name)
                        .and_then(|i| self.features.samples.get(i))
                        .ok_or_else(|| bad(format!("no samples for input '{}'", t.name)))?,
                };
                samples.iter().flatten().copied().collect()
            };
            let n: usize = t.shape.iter().product();
            if data.len() != n {
                return Err(bad(format!(
                    "input '{}' of the program has shape {:?} ({n} values), the test set gives {}: \
                     was the program compiled for this test set?",
                    t.name,
                    t.shape,
                    data.len()
                )));
            }
            out.push(data);
        }
        Ok(out)
    }
}

/// An evaluation program to build: the test set (its size is the batch) and how to score.
#[derive(Debug, Clone, PartialEq)]
pub struct Eval {
    /// The test set.
    pub test_set: TestSet,
    /// The metric; `None` picks accuracy for a model with an integer output or a score output
    /// of more than one column, else the mean absolute error.
    pub metric: Option<Metric>,
    /// Graph output scored; `None` takes the first integer output (a classifier's label),
    /// else the first output.
    pub output: Option<String>,
}

/// The options and model of the evaluation program `opts.eval` asks for: the model's graph
/// extended by the score, the batch set to the test-set size, the labels given a range, and
/// calibration samples (the given ones, else the test set's own features) grouped in batches.
pub(crate) fn prepare(
    model: &mut ModelProto,
    opts: &TranspileOptions,
    eval: &Eval,
) -> Result<TranspileOptions, TranspileError> {
    let n = eval.test_set.len();
    if opts.batch > 1 && opts.batch != n {
        return Err(bad(format!(
            "a batch of {} was asked for a test set of {n} samples",
            opts.batch
        )));
    }
    let (scored, metric) = extend(model, eval)?;
    let g = model.graph.as_ref().ok_or_else(|| bad("the model has no graph"))?;
    let model_inputs: Vec<String> = g
        .input
        .iter()
        .filter(|v| !g.initializer.iter().any(|t| t.name == v.name) && v.name != LABELS_INPUT)
        .filter(|v| !opts.bind_inputs.iter().any(|(b, _)| *b == v.name))
        .map(|v| v.name.clone())
        .collect();
    // Samples by input name: the labels' range comes from the test set's labels.
    let given = opts.calibration.as_ref().unwrap_or(&eval.test_set.features);
    let mut names = Vec::new();
    let mut samples = Vec::new();
    match &given.names {
        None if model_inputs.len() == 1 => {
            names.push(model_inputs[0].clone());
            samples.push(given.samples.first().cloned().ok_or_else(|| bad("no input samples"))?);
        }
        None => return Err(bad("the model has several inputs: give samples by name")),
        Some(ns) => {
            if ns.len() != given.samples.len() {
                return Err(bad("input names and sample lists differ in number"));
            }
            names.extend(ns.iter().cloned());
            samples.extend(given.samples.iter().cloned());
        }
    }
    names.push(LABELS_INPUT.into());
    samples.push(eval.test_set.labels.clone());
    let outputs = opts.outputs.as_ref().map(|o| {
        let mut o = o.clone();
        for name in [scored.as_str(), metric_output(metric)] {
            if !o.iter().any(|x| x == name) {
                o.push(name.to_string());
            }
        }
        o
    });
    Ok(TranspileOptions {
        batch: n,
        calibration: Some(Calibration { samples, names: Some(names) }),
        outputs,
        eval: None,
        ..opts.clone()
    })
}

fn metric_output(m: Metric) -> &'static str {
    match m {
        Metric::Accuracy => CORRECT_OUTPUT,
        Metric::MeanAbsError => ABS_ERROR_OUTPUT,
    }
}

/// Element type and shape (dimensions, `None` when symbolic) a value-info declares.
fn declared(v: &ValueInfoProto) -> (Option<DType>, Option<Vec<Option<i64>>>) {
    let Some(TypeValue::TensorType(tt)) = v.type_.as_ref().and_then(|t| t.value.as_ref()) else {
        return (None, None);
    };
    let dims = tt.shape.as_ref().map(|s| {
        s.dim
            .iter()
            .map(|d| match d.value {
                Some(Dim::DimValue(x)) => Some(x),
                _ => None,
            })
            .collect()
    });
    (DType::from_onnx(tt.elem_type), dims)
}

/// Appends the labels input, the score nodes and the score output to the model's graph;
/// returns the scored output's name and the metric.
fn extend(model: &mut ModelProto, eval: &Eval) -> Result<(String, Metric), TranspileError> {
    let n = eval.test_set.len() as i64;
    let targets = eval.test_set.targets() as i64;
    // The default domain at opset 13 when the model imports none (an ai.onnx.ml-only model).
    let opset =
        match model.opset_import.iter().find(|o| o.domain.is_empty() || o.domain == "ai.onnx") {
            Some(o) => o.version,
            None => {
                let mut o = OperatorSetIdProto::new();
                o.version = 13;
                model.opset_import.push(o);
                13
            }
        };
    if opset < 9 {
        return Err(bad(format!(
            "an evaluation program needs the default ONNX opset 9 or later (Sign); the model imports {opset}"
        )));
    }
    let g = model.graph.as_mut().ok_or_else(|| bad("the model has no graph"))?;
    if g.input.iter().chain(g.output.iter()).any(|v| v.name.starts_with("dataset.")) {
        return Err(bad("the model already has a value named 'dataset.*'"));
    }
    let out = match &eval.output {
        Some(name) => g.output.iter().find(|o| o.name == *name).ok_or_else(|| {
            let have: Vec<&str> = g.output.iter().map(|o| o.name.as_str()).collect();
            bad(format!("'{name}' is not a graph output (outputs: {})", have.join(", ")))
        })?,
        None => g
            .output
            .iter()
            .find(|o| declared(o).0 == Some(DType::Int))
            .or_else(|| g.output.first())
            .ok_or_else(|| bad("the graph has no outputs"))?,
    };
    let (dtype, dims) = declared(out);
    let columns = dims.as_ref().and_then(|d| d.last().copied().flatten());
    let is_int = dtype == Some(DType::Int);
    let metric = eval.metric.unwrap_or(if is_int || columns.is_some_and(|c| c > 1) {
        Metric::Accuracy
    } else {
        Metric::MeanAbsError
    });
    let scored = out.name.clone();
    if metric == Metric::Accuracy && targets != 1 {
        return Err(bad(format!(
            "accuracy needs one class label per sample, labels[0] has {targets}"
        )));
    }
    if metric == Metric::Accuracy {
        if let Some(i) = eval.test_set.labels.iter().position(|l| l[0].fract() != 0.0) {
            return Err(bad(format!(
                "labels[{i}] = {} is not a class index; for a regressor use the mean absolute error",
                eval.test_set.labels[i][0]
            )));
        }
    }
    let mut nodes = Vec::new();
    // The predicted value (a label, or the arg-max of scores) and the labels' shape.
    let (predicted, labels_shape) = match metric {
        Metric::Accuracy if !is_int => {
            nodes.push(node(
                "ArgMax",
                &[&scored],
                "dataset.argmax",
                vec![int_attr("axis", -1), int_attr("keepdims", 0)],
            ));
            ("dataset.argmax".to_string(), vec![n])
        }
        Metric::Accuracy => (scored.clone(), vec![n]),
        Metric::MeanAbsError => (scored.clone(), vec![n, targets]),
    };
    g.input.push(float_input(LABELS_INPUT, &labels_shape));
    g.initializer.push(int_tensor("dataset.shape", &labels_shape));
    nodes.push(node("Cast", &[&predicted], "dataset.predicted_real", vec![int_attr("to", 1)]));
    nodes.push(node(
        "Reshape",
        &["dataset.predicted_real", "dataset.shape"],
        "dataset.predicted",
        vec![],
    ));
    nodes.push(node("Sub", &["dataset.predicted", LABELS_INPUT], "dataset.difference", vec![]));
    match metric {
        Metric::Accuracy => {
            nodes.push(node("Sign", &["dataset.difference"], "dataset.sign", vec![]));
            nodes.push(node("Mul", &["dataset.sign", "dataset.sign"], "dataset.wrong", vec![]));
            nodes.push(node(
                "ReduceSum",
                &["dataset.wrong"],
                "dataset.wrong_count",
                vec![int_attr("keepdims", 0)],
            ));
            g.initializer.push(float_tensor("dataset.size", n as f32));
            nodes.push(node(
                "Sub",
                &["dataset.size", "dataset.wrong_count"],
                CORRECT_OUTPUT,
                vec![],
            ));
        }
        Metric::MeanAbsError => {
            nodes.push(node("Abs", &["dataset.difference"], "dataset.abs_error", vec![]));
            nodes.push(node(
                "ReduceSum",
                &["dataset.abs_error"],
                ABS_ERROR_OUTPUT,
                vec![int_attr("keepdims", 0)],
            ));
        }
    }
    g.node.extend(nodes);
    g.output.push(float_input(metric_output(metric), &[]));
    Ok((scored, metric))
}

fn float_input(name: &str, shape: &[i64]) -> ValueInfoProto {
    let mut s = TensorShapeProto::new();
    for &d in shape {
        let mut dim = onnx_protobuf::tensor_shape_proto::Dimension::new();
        dim.value = Some(Dim::DimValue(d));
        s.dim.push(dim);
    }
    let mut tt = TensorType::new();
    tt.elem_type = 1;
    tt.shape = Some(s).into();
    let mut ty = TypeProto::new();
    ty.value = Some(TypeValue::TensorType(tt));
    let mut v = ValueInfoProto::new();
    v.name = name.to_string();
    v.type_ = Some(ty).into();
    v
}

fn int_tensor(name: &str, data: &[i64]) -> TensorProto {
    let mut t = TensorProto::new();
    t.name = name.to_string();
    t.dims = vec![data.len() as i64];
    t.data_type = 7;
    t.int64_data = data.to_vec();
    t
}

fn float_tensor(name: &str, v: f32) -> TensorProto {
    let mut t = TensorProto::new();
    t.name = name.to_string();
    t.data_type = 1;
    t.float_data = vec![v];
    t
}

fn int_attr(name: &str, v: i64) -> AttributeProto {
    let mut a = AttributeProto::new();
    a.name = name.to_string();
    a.type_ = AttributeType::INT.into();
    a.i = v;
    a
}

fn node(op: &str, inputs: &[&str], output: &str, attrs: Vec<AttributeProto>) -> NodeProto {
    let mut n = NodeProto::new();
    n.op_type = op.to_string();
    n.name = output.to_string();
    n.input = inputs.iter().map(|s| s.to_string()).collect();
    n.output = vec![output.to_string()];
    n.attribute = attrs;
    n
}
