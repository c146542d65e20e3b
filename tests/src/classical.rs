//! The classical-ML models of `models/data/classical` (scikit-learn, XGBoost and LightGBM
//! exports made by `models/scripts/gen_classical.py`): loading, compiling with their
//! calibration samples, and comparing runs with onnxruntime's outputs.

use std::path::PathBuf;

use runtime::Program;
use serde::Deserialize;
use transpiler::{transpile, Calibration, TranspileOptions};

/// A model's 100 held-out samples and onnxruntime's outputs on them.
#[derive(Debug, Clone, Deserialize)]
pub struct TestSet {
    /// `classifier` or `regressor`.
    pub kind: String,
    /// Output names (label first for a classifier).
    pub outputs: Vec<String>,
    /// Flat inputs (float32 values).
    pub inputs: Vec<Vec<f64>>,
    /// True labels or targets.
    pub labels: Vec<f64>,
    /// onnxruntime's label per sample (classifiers).
    pub ort_label: Option<Vec<i64>>,
    /// onnxruntime's probability row or prediction per sample.
    pub ort_scores: Vec<Vec<f64>>,
}

/// The directory of the classical models.
pub fn dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../models/data/classical"))
}

/// A compiled classical model with its test set.
pub struct Classical {
    /// The model's name.
    pub name: String,
    /// The compiled program (all outputs).
    pub program: Program,
    /// The test set.
    pub testset: TestSet,
}

/// How a program's runs compare with onnxruntime on the test set.
#[derive(Debug, Clone, PartialEq)]
pub struct Agreement {
    /// Samples run.
    pub samples: usize,
    /// Samples whose label equals onnxruntime's (classifiers; 0 for regressors).
    pub labels_equal: usize,
    /// Largest absolute difference of a score or prediction.
    pub max_abs_err: f64,
}

impl Classical {
    /// Loads and compiles model `name` with its calibration samples.
    ///
    /// # Panics
    /// When a file is missing or the model does not compile: this is a test harness.
    #[allow(clippy::expect_used)]
    pub fn load(name: &str) -> Classical {
        let testset: TestSet =
            serde_json::from_slice(&read(name, "testset.json")).expect("testset parses");
        let program = compile(name, TranspileOptions::default());
        Classical { name: name.to_string(), program, testset }
    }

    /// Runs every test sample and compares with onnxruntime.
    ///
    /// # Panics
    /// When a sample fails to run.
    #[allow(clippy::panic)]
    pub fn agreement(&self) -> Agreement {
        let ts = &self.testset;
        let mut a = Agreement { samples: 0, labels_equal: 0, max_abs_err: 0.0 };
        for (i, x) in ts.inputs.iter().enumerate() {
            let out = runtime::run(&self.program, std::slice::from_ref(x))
                .unwrap_or_else(|e| panic!("{} sample {i}: {e}", self.name));
            let scores = out[out.len() - 1].to_f64();
            if let Some(l) = &ts.ort_label {
                a.labels_equal += usize::from(out[0].to_f64() == [l[i] as f64]);
            }
            assert_eq!(scores.len(), ts.ort_scores[i].len(), "{} sample {i}", self.name);
            for (g, w) in scores.iter().zip(&ts.ort_scores[i]) {
                a.max_abs_err = a.max_abs_err.max((g - w).abs());
            }
            a.samples += 1;
        }
        a
    }
}

#[allow(clippy::panic)]
fn read(name: &str, ext: &str) -> Vec<u8> {
    let path = dir().join(format!("{name}.{ext}"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Compiles model `name` with `opts` plus its calibration samples, its name and the prover's
/// field-budget check (the automatic scale is one the prover accepts, as `starkml compile`
/// picks it).
///
/// # Panics
/// When a file is missing or the model does not compile: this is a test harness.
#[allow(clippy::expect_used, clippy::panic)]
pub fn compile(name: &str, opts: TranspileOptions) -> Program {
    let calib = String::from_utf8(read(name, "calib.json")).expect("utf-8");
    let opts = TranspileOptions {
        calibration: Some(Calibration::from_json(&calib).expect("calibration parses")),
        name: Some(name.to_string()),
        accept: Some(air::check_field_budget),
        ..opts
    };
    transpile(&read(name, "onnx"), &opts).unwrap_or_else(|e| panic!("{name} does not compile: {e}"))
}

/// The test set file of model `name`, read as `starkml prove --dataset` reads it.
///
/// # Panics
/// When the file is missing or malformed.
#[allow(clippy::panic)]
pub fn test_set(name: &str) -> transpiler::TestSet {
    let text = String::from_utf8(read(name, "testset.json")).unwrap_or_default();
    transpiler::TestSet::from_json(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Model `name` compiled as the evaluation program of `set` (as `starkml compile --dataset`).
pub fn eval_program(name: &str, set: &transpiler::TestSet) -> Program {
    let eval = transpiler::Eval { test_set: set.clone(), metric: None, output: None };
    compile(name, TranspileOptions { eval: Some(eval), ..TranspileOptions::default() })
}

/// The classical models, in the order of `models/data/classical/README.md`.
pub const MODELS: &[&str] = &[
    "dt_wine",
    "rf_cancer",
    "gbr_diabetes",
    "xgb_wine",
    "lgbm_cancer",
    "logreg_iris_proba",
    "linsvc_cancer",
    "svc_rbf_iris",
    "mlp_wine",
    "logreg_wine_labels_1to3",
    "dt_cancer_labels_pm1",
    "ada_iris",
    "xgb_cancer_binary",
    "gnb_iris",
];

/// The `ai.onnx.ml` section of CONFORMANCE.md: per supported op, its ONNX backend cases
/// (passed / all) and the exporter models of `models/data/classical` that use it, each run on
/// its 100 held-out samples against onnxruntime (labels equal, largest score difference).
pub fn conformance_section(results: &[crate::conformance::CaseResult]) -> String {
    use crate::conformance::Outcome;
    let mut md = String::from(
        "\n## ai.onnx.ml\n\nThe ONNX backend suite has few `ai.onnx.ml` cases, so this section also \
         runs the scikit-learn, XGBoost and LightGBM exports of `models/data/classical` \
         (`models/scripts/gen_classical.py`, each exporter's defaults) on their 100 held-out \
         samples against onnxruntime's outputs (`tests/tests/classical.rs` also proves each).\n\n\
         | op | ONNX cases passed / all | exporter models (labels equal to onnxruntime's / samples, largest score difference) |\n|---|---|---|\n",
    );
    let ops_of: Vec<(String, Vec<String>)> = {
        let summary = std::fs::read(dir().join("models.json"))
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .unwrap_or_default();
        MODELS
            .iter()
            .map(|m| {
                let ops = summary[*m]["ops"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|o| o.as_str().map(str::to_string)).collect())
                    .unwrap_or_default();
                (m.to_string(), ops)
            })
            .collect()
    };
    let agreement: Vec<(String, String)> = MODELS
        .iter()
        .map(|m| {
            let text = match std::panic::catch_unwind(|| {
                let c = Classical::load(m);
                (c.agreement(), c.testset.kind == "classifier")
            }) {
                Ok((a, true)) => {
                    format!("{m} ({}/{}, {:.1e})", a.labels_equal, a.samples, a.max_abs_err)
                }
                Ok((a, false)) => format!("{m} ({} samples, {:.1e})", a.samples, a.max_abs_err),
                Err(_) => format!("{m} (FAILED)"),
            };
            (m.to_string(), text)
        })
        .collect();
    for op in transpiler::ml_ops() {
        let cases: Vec<_> = results
            .iter()
            .filter(|r| r.op_type == op && r.name.starts_with("test_ai_onnx_ml"))
            .collect();
        let passed = cases.iter().filter(|r| r.outcome == Outcome::Passed).count();
        let models: Vec<&str> = ops_of
            .iter()
            .filter(|(_, ops)| ops.iter().any(|o| o == &format!("ai.onnx.ml.{op}")))
            .filter_map(|(m, _)| agreement.iter().find(|(n, _)| n == m).map(|(_, t)| t.as_str()))
            .collect();
        md.push_str(&format!(
            "| {op} | {passed} / {} | {} |\n",
            cases.len(),
            if models.is_empty() { "-".to_string() } else { models.join(", ") }
        ));
    }
    md.push_str(
        "\nNot supported yet: `TreeEnsemble` (ai.onnx.ml opset 5), `LabelEncoder`, `OneHotEncoder`, \
         string class labels, SVM probability estimates (`prob_a`), the PROBIT post-transform.\n",
    );
    md
}
