//! The library workflows end to end on a bundled model, each refusal with its specific error.

#![allow(clippy::panic)]

use models::Fixture;
use starkml::input::{match_inputs, parse_given, parse_inputs, GivenInput};
use starkml::{Error, InputError, ProveOptions, VerifyOptions};

fn mlp_small() -> (Fixture, starkml::Program) {
    let f = Fixture::load("mlp_small").unwrap_or_else(|e| panic!("{e}"));
    let bytes = f.onnx_bytes().unwrap_or_else(|e| panic!("{e}"));
    let text = std::fs::read_to_string(&f.calib).unwrap_or_else(|e| panic!("{e}"));
    let opts = starkml::TranspileOptions {
        calibration: Some(starkml::Calibration::from_json(&text).unwrap_or_else(|e| panic!("{e}"))),
        ..starkml::compile_options()
    };
    let program = starkml::compile(&bytes, &opts).unwrap_or_else(|e| panic!("{e}"));
    (f, program)
}

fn input_text(f: &Fixture) -> String {
    std::fs::read_to_string(&f.input_path).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn compile_prove_verify_and_each_refusal() {
    let (f, program) = mlp_small();
    let inputs = parse_inputs(&input_text(&f), &program).unwrap_or_else(|e| panic!("{e}"));
    let mut stages = Vec::new();
    let proved =
        starkml::prove(&program, &inputs, &ProveOptions::default(), &mut |s| stages.push(s.name()))
            .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(stages, ["run", "schedule", "trace", "stark"]);
    let program_bytes = program.to_bytes();
    let proof_bytes = proved.proof.to_bytes();
    let v = starkml::verify(&program_bytes, &proof_bytes, &VerifyOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v.classes, vec![f.expected.argmax as i64]);
    // The outputs agree with the float model within the stated 0.01.
    for (got, want) in v.outputs[0].values.iter().zip(&f.expected.data) {
        assert!((got - want).abs() < 0.01, "{got} vs {want}");
    }

    let mut tampered = proof_bytes.clone();
    let mid = tampered.len() / 2;
    tampered[mid] ^= 1;
    let e = starkml::verify(&program_bytes, &tampered, &VerifyOptions::default());
    assert!(matches!(e, Err(Error::Verify(_))), "{e:?}");

    let e = starkml::verify(&program_bytes[..10], &proof_bytes, &VerifyOptions::default());
    assert!(matches!(e, Err(Error::Program(_))), "{e:?}");

    let floor = VerifyOptions { min_bits: 128, ..VerifyOptions::default() };
    let e = starkml::verify(&program_bytes, &proof_bytes, &floor);
    assert!(matches!(e, Err(Error::Verify(air::VerifyError::Security { .. }))), "{e:?}");

    let mut other = inputs.clone();
    other[0][0] += 0.25;
    let e = starkml::verify(
        &program_bytes,
        &proof_bytes,
        &VerifyOptions { test_set: Some(other), ..VerifyOptions::default() },
    );
    assert!(matches!(e, Err(Error::OtherTestSet { .. })), "{e:?}");
    let same = VerifyOptions { test_set: Some(inputs), ..VerifyOptions::default() };
    assert!(starkml::verify(&program_bytes, &proof_bytes, &same).is_ok());
}

#[test]
fn inputs_are_refused_with_the_field_at_fault() {
    let (f, program) = mlp_small();
    let good = parse_inputs(&input_text(&f), &program).unwrap_or_else(|e| panic!("{e}"));
    // EZKL's format gives the same values.
    let ezkl = format!("{{\"input_data\": [{:?}]}}", good[0]);
    assert_eq!(parse_inputs(&ezkl, &program).ok(), Some(good.clone()));
    // A shape without the leading batch axis is the same input.
    let given = vec![GivenInput { name: None, shape: Some(vec![64]), data: good[0].clone() }];
    assert_eq!(match_inputs(given, &program).ok(), Some(good.clone()));

    let e = parse_inputs("{\"data\": [1, 2", &program);
    assert!(matches!(e, Err(InputError::Json(_))), "{e:?}");
    let e = parse_inputs("{\"data\": [1, \"x\"]}", &program);
    assert!(matches!(&e, Err(InputError::Field { path, .. }) if path == "input.data[1]"), "{e:?}");
    let e = parse_inputs("{\"shape\": [64, 1], \"data\": []}", &program);
    assert!(matches!(e, Err(InputError::Shape { .. })), "{e:?}");
    let e = parse_inputs("{\"data\": [1, 2]}", &program);
    assert!(matches!(e, Err(InputError::Length { got: 2, needed: 64, .. })), "{e:?}");
    let e = parse_inputs("[{\"data\": [1]}, {\"data\": [2]}]", &program);
    assert!(matches!(e, Err(InputError::Count { expected: 1, got: 2, .. })), "{e:?}");
    let e = parse_given("42");
    assert!(matches!(e, Err(InputError::Field { .. })), "{e:?}");

    // Out of the declared range: the runtime refuses, reported as an input error.
    let mut far = good;
    far[0][0] = 1e6;
    let e = starkml::prove(&program, &far, &ProveOptions::default(), &mut |_| {});
    assert!(matches!(e, Err(Error::Input(InputError::Rejected(_)))), "{e:?}");
}

#[test]
fn options_parse_by_name() {
    let o = ProveOptions::parse("128", "blake2s").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((o.preset.name(), o.hash.name()), ("128", "blake2s"));
    let e = ProveOptions::parse("97", "blake3");
    assert!(matches!(e, Err(Error::Option { option: "security preset", .. })), "{e:?}");
    let e = ProveOptions::parse("96", "sha1");
    assert!(matches!(e, Err(Error::Option { option: "hash", .. })), "{e:?}");
}
