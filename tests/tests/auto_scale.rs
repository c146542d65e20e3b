//! Defaults that make compiled programs prove and run on unseen inputs: the calibration
//! margin, and the automatic scale with the prover's field budget. A program whose static
//! bounds fit the runtime (`< 2^60`) but not the AIR's no-wrap margin would compile and run
//! but not prove. With the budget check (`TranspileOptions::accept = air::check_field_budget`, what `starkml
//! compile` passes), the automatic scale steps down until the program proves.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use starkml_tests::onnx_build::{self as ob, initializer, node, value_info};
use transpiler::TranspileOptions;

/// Four dense layers with all-ones weights: bounds grow by `width * 2^scale` per layer.
fn deep_mlp() -> Vec<u8> {
    let widths = [64i64, 64, 64, 64, 16];
    let mut nodes = Vec::new();
    let mut inits = Vec::new();
    let mut x = "x".to_string();
    for (l, w) in widths.windows(2).enumerate() {
        let (wn, y) = (format!("W{l}"), format!("h{l}"));
        nodes.push(node("MatMul", &format!("fc{l}"), &[&x, &wn], &[&y], vec![]));
        inits.push(initializer(&wn, &[w[0], w[1]], &vec![1.0; (w[0] * w[1]) as usize]));
        x = y;
    }
    let m =
        ob::model(nodes, inits, vec![value_info("x", &[1, 64])], vec![value_info(&x, &[1, 16])]);
    ob::bytes(&m)
}

fn scale(p: &runtime::Program) -> u8 {
    p.tensor(p.inputs[0]).unwrap().scale
}

#[test]
fn the_budget_check_picks_a_scale_that_proves() {
    let bytes = deep_mlp();
    let base = TranspileOptions { input_range: Some((-16.0, 16.0)), ..Default::default() };
    let input: Vec<f64> = (0..64).map(|i| f64::from(i % 9) - 4.0).collect();

    // Without the check: the largest scale whose bounds fit the runtime, refused by prove for
    // the field budget.
    let plain = transpiler::transpile(&bytes, &base).unwrap();
    let err =
        air::prove(&plain, std::slice::from_ref(&input), air::Preset::Fast, air::HashKind::Blake3)
            .expect_err("over the field budget");
    let air::ProveError::Unsupported { ops } = &err else { panic!("{err}") };
    assert!(ops.iter().any(|o| o.field_budget), "{err}");
    assert!(air::check_field_budget(&plain).is_err());

    // With it: a smaller scale, and the program proves and verifies.
    let opts = TranspileOptions { accept: Some(air::check_field_budget), ..base };
    let checked = transpiler::transpile(&bytes, &opts).unwrap();
    assert!(scale(&checked) < scale(&plain), "{} vs {}", scale(&checked), scale(&plain));
    let (proof, outs) = air::prove(
        &checked,
        std::slice::from_ref(&input),
        air::Preset::Fast,
        air::HashKind::Blake3,
    )
    .unwrap();
    assert_eq!(outs, runtime::run(&checked, &[input]).unwrap());
    air::verify(&checked, &proof).unwrap();

    // An explicit scale is taken as given (prove then says why it refuses).
    let forced = TranspileOptions { scale: Some(scale(&plain)), ..opts };
    assert_eq!(scale(&transpiler::transpile(&bytes, &forced).unwrap()), scale(&plain));
}

/// The calibration margin: samples in `[0, 1938]` declare `[-1938, 3876]` (widened by the
/// sample range, or the largest magnitude, on each side), so an unseen input of the same
/// distribution at 1.66x the largest sample still runs; 2x is the edge.
#[test]
fn calibration_ranges_admit_unseen_inputs_of_the_same_distribution() {
    let m = ob::model(
        vec![node("MatMul", "fc", &["x", "W"], &["y"], vec![])],
        vec![initializer("W", &[2, 1], &[0.5, 0.25])],
        vec![value_info("x", &[1, 2])],
        vec![value_info("y", &[1, 1])],
    );
    let calib = r#"{"inputs": [[0.0, 1938.0], [969.0, 12.0]]}"#;
    let opts = TranspileOptions {
        calibration: Some(transpiler::Calibration::from_json(calib).unwrap()),
        ..Default::default()
    };
    let p = transpiler::transpile(&ob::bytes(&m), &opts).unwrap();
    let runtime::TensorKind::Input { lo, hi } = p.tensor(p.inputs[0]).unwrap().kind else {
        panic!("not an input")
    };
    assert_eq!((lo, hi), (-1938.0, 3876.0));
    runtime::run(&p, &[vec![3216.0, -1900.0]]).unwrap();
    assert!(runtime::run(&p, &[vec![3877.0, 0.0]]).is_err());
}
