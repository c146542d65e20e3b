//! A scikit-learn style export (skl2onnx `LogisticRegression`, `zipmap=False`) built in
//! memory, shared by the sklearn tests and the Starknet tests.

use transpiler::TranspileOptions;

use crate::onnx_build::{
    self as ob, attr_floats, attr_int, attr_ints, attr_string, ml_node, value_info,
};

/// Coefficients (3 classes x 4 features).
pub const COEF: [f32; 12] = [0.5, -1.0, 0.25, 2.0, -0.5, 1.5, 0.0, -2.0, 1.0, 0.75, -0.25, 0.5];
/// Intercepts per class.
pub const INTERCEPTS: [f32; 3] = [0.1, -0.2, 0.3];

/// LinearClassifier (3 classes x 4 features, logistic post-transform) + Normalizer, as
/// skl2onnx writes a LogisticRegression with `zipmap=False`.
pub fn logistic_regression() -> onnx_protobuf::ModelProto {
    let m = ob::model(
        vec![
            ml_node(
                "LinearClassifier",
                "LinearClassifier",
                &["X"],
                &["label", "raw"],
                vec![
                    attr_floats("coefficients", &COEF),
                    attr_floats("intercepts", &INTERCEPTS),
                    attr_ints("classlabels_ints", &[0, 1, 2]),
                    attr_string("post_transform", "LOGISTIC"),
                    attr_int("multi_class", 0),
                ],
            ),
            ml_node(
                "Normalizer",
                "Normalizer",
                &["raw"],
                &["probabilities"],
                vec![attr_string("norm", "L1")],
            ),
        ],
        vec![],
        vec![value_info("X", &[1, 4])],
        vec![value_info("label", &[1]), value_info("probabilities", &[1, 3])],
    );
    ob::with_ml_opset(m)
}

/// Compile options for the `label` output, inputs in [-4, 4].
pub fn label_only() -> TranspileOptions {
    TranspileOptions {
        outputs: Some(vec!["label".into()]),
        input_range: Some((-4.0, 4.0)),
        ..Default::default()
    }
}

/// The float model's label.
pub fn float_label(x: &[f64]) -> usize {
    let scores: Vec<f64> = (0..3)
        .map(|c| {
            f64::from(INTERCEPTS[c])
                + (0..4).map(|f| f64::from(COEF[c * 4 + f]) * x[f]).sum::<f64>()
        })
        .collect();
    crate::argmax(&scores)
}
