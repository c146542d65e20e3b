//! ONNX external data (`model.onnx.data` beside the model, PyTorch's default since 2.9): read
//! from the model's directory, each malformed reference refused naming the tensor.

#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use models::Fixture;
use onnx_protobuf::{Message, ModelProto, StringStringEntryProto};
use protobuf::EnumOrUnknown;
use transpiler::{transpile, Calibration, TranspileError, TranspileOptions};

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("starkml-external-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn entry(k: &str, v: &str) -> StringStringEntryProto {
    StringStringEntryProto { key: k.into(), value: v.into(), ..Default::default() }
}

/// mlp_small with every initializer moved to `data_file` in `dir` (one after another, as
/// onnx.save writes them), `location` as given; returns the model bytes.
fn externalised(dir: &Path, location: &str, data_file: &str) -> Vec<u8> {
    let f = Fixture::load("mlp_small").unwrap();
    let mut model = ModelProto::parse_from_bytes(&f.onnx_bytes().unwrap()).unwrap();
    let mut data = Vec::new();
    for t in model.graph.as_mut().unwrap().initializer.iter_mut() {
        let offset = data.len();
        data.extend_from_slice(&t.raw_data);
        assert!(!t.raw_data.is_empty(), "mlp_small stores raw data");
        t.external_data = vec![
            entry("location", location),
            entry("offset", &offset.to_string()),
            entry("length", &t.raw_data.len().to_string()),
        ];
        t.raw_data.clear();
        t.data_location = EnumOrUnknown::from_i32(1);
    }
    std::fs::write(dir.join(data_file), data).unwrap();
    model.write_to_bytes().unwrap()
}

fn opts(dir: Option<&Path>) -> TranspileOptions {
    let f = Fixture::load("mlp_small").unwrap();
    let text = std::fs::read_to_string(&f.calib).unwrap();
    TranspileOptions {
        calibration: Some(Calibration::from_json(&text).unwrap()),
        external_data: dir.map(Path::to_path_buf),
        ..TranspileOptions::default()
    }
}

#[test]
fn external_data_compiles_to_the_embedded_models_program() {
    let d = dir("ok");
    let bytes = externalised(&d, "mlp_small.onnx.data", "mlp_small.onnx.data");
    let embedded = Fixture::load("mlp_small").unwrap().onnx_bytes().unwrap();
    let want = transpile(&embedded, &opts(None)).unwrap();
    let got = transpile(&bytes, &opts(Some(&d))).unwrap();
    assert_eq!(got.digest(), want.digest());
    // Without the directory, the refusal names the tensor and the file.
    match transpile(&bytes, &opts(None)) {
        Err(TranspileError::BadTensor { reason, .. }) => {
            assert!(reason.contains("external file ('mlp_small.onnx.data')"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
}

fn refused(bytes: &[u8], d: &Path, needle: &str) {
    match transpile(bytes, &opts(Some(d))) {
        Err(TranspileError::BadTensor { reason, .. }) => {
            assert!(reason.contains(needle), "'{needle}' not in: {reason}")
        }
        other => panic!("expected BadTensor with '{needle}', got {other:?}"),
    }
}

#[test]
fn malformed_references_are_refused() {
    let d = dir("bad");
    // A location outside the model's directory.
    refused(&externalised(&d, "../outside.data", "w.data"), &d, "not a relative path inside");
    refused(&externalised(&d, "/etc/passwd", "w.data"), &d, "not a relative path inside");
    // A missing file.
    refused(&externalised(&d, "missing.data", "w.data"), &d, "cannot open");
    // A file shorter than the tensors.
    let bytes = externalised(&d, "short.data", "short.data");
    let full = std::fs::read(d.join("short.data")).unwrap();
    std::fs::write(d.join("short.data"), &full[..full.len() - 1]).unwrap();
    refused(&bytes, &d, "the tensor needs");
    // A length that is not the shape's.
    let mut model = ModelProto::parse_from_bytes(&externalised(&d, "w.data", "w.data")).unwrap();
    let t = &mut model.graph.as_mut().unwrap().initializer[0];
    t.external_data.retain(|e| e.key != "length");
    t.external_data.push(entry("length", "3"));
    refused(&model.write_to_bytes().unwrap(), &d, "differs from the");
    // An offset that is not a number.
    let mut model = ModelProto::parse_from_bytes(&externalised(&d, "w.data", "w.data")).unwrap();
    let t = &mut model.graph.as_mut().unwrap().initializer[0];
    t.external_data.retain(|e| e.key != "offset");
    t.external_data.push(entry("offset", "-1"));
    refused(&model.write_to_bytes().unwrap(), &d, "not a non-negative integer");
}
