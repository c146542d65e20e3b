//! Classical ML (issue 14): scikit-learn, XGBoost and LightGBM exports, made with each
//! exporter's defaults by `models/scripts/gen_classical.py`, compile as they are, agree with
//! onnxruntime on 100 held-out samples, prove and verify; tampered claims and tampered
//! programs are refused.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use runtime::{Program, TensorKind};
use starkml_tests::classical::Classical;

/// Every model with the largest score / prediction difference from onnxruntime allowed over
/// its 100 samples (labels must be equal on all of them). Probabilities are at scale 16 or
/// finer (softmax and logistic through tables: within 0.005); tree sums are exact up to the
/// leaf weights' rounding; the LinearSVC's raw margins are within 0.005 of float.
const MODELS: &[(&str, f64)] = &[
    ("dt_wine", 1e-4),
    ("rf_cancer", 1e-3),
    ("gbr_diabetes", 1e-3),
    ("xgb_wine", 1e-3),
    ("lgbm_cancer", 1e-3),
    ("logreg_iris_proba", 1e-3),
    ("linsvc_cancer", 5e-3),
    ("mlp_wine", 1e-3),
    ("svc_rbf_iris", 5e-3),
    ("logreg_wine_labels_1to3", 5e-3),
    ("dt_cancer_labels_pm1", 1e-4),
    ("ada_iris", 5e-3),
    ("xgb_cancer_binary", 1e-3),
    ("gnb_iris", 5e-3),
];

#[test]
fn every_model_agrees_with_onnxruntime_on_its_test_set() {
    for &(name, tol) in MODELS {
        let m = Classical::load(name);
        let a = m.agreement();
        assert_eq!(a.samples, 100, "{name}");
        if m.testset.kind == "classifier" {
            assert_eq!(a.labels_equal, 100, "{name}: labels differ from onnxruntime: {a:?}");
        }
        assert!(a.max_abs_err <= tol, "{name}: {a:?} above {tol}");
    }
}

/// The first test sample of `m`, proven, with a changed first output refused.
fn prove_first_sample(m: &Classical, classes: i64) {
    let input = vec![m.testset.inputs[0].clone()];
    starkml_tests::prove_and_refuse_tampered(&m.program, &input, |o| {
        o[0][0] = if classes > 1 { (o[0][0] + 1) % classes } else { o[0][0] + 1 };
    });
}

#[test]
fn tree_ensembles_prove_and_a_changed_label_is_refused() {
    // The label of a tree ensemble is the leaf its comparisons select: a proof claiming
    // another label (another path through some tree) does not verify.
    for (name, classes) in [
        ("dt_wine", 3),
        ("rf_cancer", 2),
        ("xgb_wine", 3),
        ("lgbm_cancer", 2),
        ("xgb_cancer_binary", 2),
    ] {
        prove_first_sample(&Classical::load(name), classes);
    }
}

#[test]
fn a_regression_forest_proves_and_a_changed_prediction_is_refused() {
    prove_first_sample(&Classical::load("gbr_diabetes"), 0);
}

#[test]
fn linear_models_and_pipelines_prove() {
    for (name, classes) in [
        ("logreg_iris_proba", 3),
        ("linsvc_cancer", 2),
        ("mlp_wine", 3),
        ("svc_rbf_iris", 3),
        ("ada_iris", 3),
        ("gnb_iris", 3),
    ] {
        prove_first_sample(&Classical::load(name), classes);
    }
}

/// A copy of `program` with constant `name` changed by `f`.
fn with_constant(program: &Program, name: &str, f: impl Fn(&mut Vec<i64>)) -> Program {
    let mut p = program.clone();
    let t = p
        .tensors
        .iter_mut()
        .find(|t| t.name.ends_with(name))
        .unwrap_or_else(|| panic!("no constant {name}"));
    let TensorKind::Const(data) = &t.kind else { panic!("{name} is not a constant") };
    let mut d = data.as_ref().clone();
    f(&mut d);
    t.kind = TensorKind::constant(d);
    p
}

#[test]
fn a_proof_does_not_verify_against_a_program_with_another_leaf_or_threshold() {
    let m = Classical::load("dt_wine");
    let input = vec![m.testset.inputs[0].clone()];
    let (proof, _) =
        air::prove(&m.program, &input, air::Preset::Fast, air::HashKind::Blake3).unwrap();
    air::verify(&m.program, &proof).unwrap();
    // The verifier's program has a different leaf weight, or a different threshold.
    let leaf = with_constant(&m.program, "leaf_weights", |d| d[0] += 1);
    let cut = with_constant(&m.program, "tree/above/cut", |d| d[0] -= 1);
    for other in [&leaf, &cut] {
        assert!(
            matches!(air::verify(other, &proof), Err(air::VerifyError::WrongProgram { .. })),
            "a proof of one program verified against another"
        );
    }
    // A prover that ran the changed program and claims the original's digest: the trace is
    // committed with its program's digest (the transcript's trace metadata), so it is refused
    // before the STARK check.
    for other in [&leaf, &cut] {
        let (mut forged, _) =
            air::prove(other, &input, air::Preset::Fast, air::HashKind::Blake3).unwrap();
        forged.digest = proof.digest;
        let verdict = air::verify(&m.program, &forged);
        assert!(
            matches!(
                verdict,
                Err(air::VerifyError::TraceShape { ref got, .. }) if got.contains("another program")
            ),
            "{verdict:?}"
        );
    }
}

#[test]
fn ties_at_a_threshold_take_the_float_branch() {
    // dt_wine's root tests feature 9 <= 3.82 (BRANCH_LEQ), and no other node reads feature 9:
    // a sample exactly on the threshold scores as one clearly left of it, one float32 step
    // above scores as one clearly right of it, and the two sides differ.
    let m = Classical::load("dt_wine");
    let t = f64::from(3.82f32);
    let above = f64::from(f32::from_bits(3.82f32.to_bits() + 1));
    let scores = |v: f64| {
        let mut x = m.testset.inputs[0].clone();
        x[9] = v;
        runtime::run(&m.program, std::slice::from_ref(&x)).unwrap()[1].data.clone()
    };
    assert_eq!(scores(t), scores(t - 0.25), "the threshold itself goes left");
    assert_eq!(scores(above), scores(t + 0.25), "one step above goes right");
    assert_ne!(scores(t - 0.25), scores(t + 0.25), "the root's two sides score the same");
}

#[test]
fn string_class_labels_are_refused_with_a_hint() {
    use starkml_tests::onnx_build::{self as ob, attr_string, ml_node, value_info};
    let mut n = ml_node(
        "LinearClassifier",
        "lc",
        &["X"],
        &["label", "scores"],
        vec![
            starkml_tests::onnx_build::attr_floats("coefficients", &[1.0, 2.0, 3.0, 4.0]),
            attr_string("post_transform", "NONE"),
        ],
    );
    let mut labels = onnx_protobuf::AttributeProto::new();
    labels.name = "classlabels_strings".into();
    labels.type_ = onnx_protobuf::attribute_proto::AttributeType::STRINGS.into();
    labels.strings = vec![b"cat".to_vec(), b"dog".to_vec()];
    n.attribute.push(labels);
    let m = ob::with_ml_opset(ob::model(
        vec![n],
        vec![],
        vec![value_info("X", &[1, 2])],
        vec![value_info("scores", &[1, 2])],
    ));
    let err = transpiler::transpile(&ob::bytes(&m), &Default::default()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("string class labels") && msg.contains("LabelEncoder"), "{msg}");
}

/// One `ai.onnx.ml` node `op` on `X [1, f]` with output `Y [1, k]`.
fn ml_model(op: &str, f: i64, k: i64, attrs: Vec<onnx_protobuf::AttributeProto>) -> Vec<u8> {
    use starkml_tests::onnx_build::{self as ob, ml_node, value_info};
    let m = ob::with_ml_opset(ob::model(
        vec![ml_node(op, op, &["X"], &["Y"], attrs)],
        vec![],
        vec![value_info("X", &[1, f])],
        vec![value_info("Y", &[1, k])],
    ));
    ob::bytes(&m)
}

#[test]
fn svm_regressor_and_imputer_match_their_float_definitions() {
    use starkml_tests::onnx_build::{attr_float, attr_floats, attr_int, attr_string};
    let opts = transpiler::TranspileOptions {
        input_range: Some((-2.0, 2.0)),
        accept: Some(air::check_field_budget),
        ..Default::default()
    };
    // RBF SVR: sum_k c_k exp(-0.5 |x - v_k|^2) + rho, two support vectors.
    let sv = [0.5f32, -1.0, 1.0, 0.25];
    let coef = [1.5f32, -0.75];
    let rho = 0.2f32;
    let svr = ml_model(
        "SVMRegressor",
        2,
        1,
        vec![
            attr_string("kernel_type", "RBF"),
            attr_floats("kernel_params", &[0.5, 0.0, 3.0]),
            attr_floats("support_vectors", &sv),
            attr_floats("coefficients", &coef),
            attr_floats("rho", &[rho]),
            attr_int("n_supports", 2),
        ],
    );
    let p = transpiler::transpile(&svr, &opts).unwrap();
    let x = vec![0.75, -0.5];
    let want: f64 = f64::from(rho)
        + (0..2)
            .map(|k| {
                let d2: f64 = (0..2).map(|f| (x[f] - f64::from(sv[k * 2 + f])).powi(2)).sum();
                f64::from(coef[k]) * (-0.5 * d2).exp()
            })
            .sum::<f64>();
    let got = runtime::run(&p, std::slice::from_ref(&x)).unwrap()[0].to_f64()[0];
    assert!((got - want).abs() < 2e-3, "SVR {got}, float {want}");
    starkml_tests::prove_and_refuse_tampered(&p, &[x], |o| o[0][0] += 1);

    // Imputer: entries equal to -1 take the feature's imputed value, others stay.
    let imp = ml_model(
        "Imputer",
        3,
        3,
        vec![
            attr_floats("imputed_value_floats", &[10.0, 20.0, 30.0]),
            attr_float("replaced_value_float", -1.0),
        ],
    );
    let p = transpiler::transpile(&imp, &opts).unwrap();
    let got = runtime::run(&p, &[vec![-1.0, 0.5, -1.0]]).unwrap()[0].to_f64();
    assert_eq!(got, vec![10.0, 0.5, 30.0]);
    let got = runtime::run(&p, &[vec![-0.999, 1.0, -1.001]]).unwrap()[0].to_f64();
    assert!((got[0] + 0.999).abs() < 1e-3 && (got[2] + 1.001).abs() < 1e-3, "{got:?}");
}

/// Class labels other than 0..C-1 (wine's as 1..3, breast cancer's as -1 / +1) come out as the
/// labels themselves, and a proof claiming the neighbouring label is refused.
#[test]
fn class_labels_other_than_indices_are_the_labels_themselves() {
    for (name, labels) in [
        ("logreg_wine_labels_1to3", vec![1.0, 2.0, 3.0]),
        ("dt_cancer_labels_pm1", vec![-1.0, 1.0]),
    ] {
        let m = Classical::load(name);
        for x in m.testset.inputs.iter().take(10) {
            let out = runtime::run(&m.program, std::slice::from_ref(x)).unwrap();
            let label = out[0].to_f64()[0];
            assert!(labels.contains(&label), "{name}: label {label}");
        }
        let input = vec![m.testset.inputs[0].clone()];
        starkml_tests::prove_and_refuse_tampered(&m.program, &input, |o| o[0][0] += 1 << 16);
    }
}

/// XGBoost and LightGBM cut at data values: an input equal to a threshold that is not on the
/// fixed-point grid (0.1 as float32, ...) takes float's branch in both `<` and `<=` trees, and
/// inputs a few grid units either side take theirs.
#[test]
fn an_input_equal_to_an_off_grid_threshold_decides_as_float() {
    use starkml_tests::onnx_build::{attr_floats, attr_int, attr_ints, attr_strings};
    // Several thresholds, so that some lie just above a grid point and some just below.
    for t in [0.1f32, 0.2, 0.3, 0.7, 1.1, 1.3, 0.15, 0.35, 1.7, 0.9] {
        let below = f64::from(t) - 1e-6;
        for (mode, at_t) in [("BRANCH_LT", 2.0), ("BRANCH_LEQ", 1.0)] {
            let m = ml_model(
                "TreeEnsembleRegressor",
                1,
                1,
                vec![
                    attr_ints("nodes_treeids", &[0, 0, 0]),
                    attr_ints("nodes_nodeids", &[0, 1, 2]),
                    attr_ints("nodes_featureids", &[0, 0, 0]),
                    attr_floats("nodes_values", &[t, 0.0, 0.0]),
                    attr_strings("nodes_modes", &[mode, "LEAF", "LEAF"]),
                    attr_ints("nodes_truenodeids", &[1, 0, 0]),
                    attr_ints("nodes_falsenodeids", &[2, 0, 0]),
                    attr_ints("target_treeids", &[0, 0]),
                    attr_ints("target_nodeids", &[1, 2]),
                    attr_ints("target_ids", &[0, 0]),
                    attr_floats("target_weights", &[1.0, 2.0]),
                    attr_int("n_targets", 1),
                ],
            );
            // Inputs up to 4096 leave 24 fractional bits of the 36: 0.1f32 needs 27.
            let opts = transpiler::TranspileOptions {
                input_range: Some((-4096.0, 4096.0)),
                ..Default::default()
            };
            let p = transpiler::transpile(&m, &opts).unwrap();
            let y = |x: f64| runtime::run(&p, &[vec![x]]).unwrap()[0].to_f64()[0];
            assert_eq!(y(f64::from(t)), at_t, "{mode} at the threshold {t}");
            assert_eq!(y(below), 1.0, "{mode} below");
            assert_eq!(y(f64::from(t) + 1e-6), 2.0, "{mode} above");
        }
    }
}
