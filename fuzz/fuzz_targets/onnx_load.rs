//! Any bytes as an ONNX model: `transpile` returns a program or an error, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use starkml_transpiler::{transpile, TranspileOptions};

fuzz_target!(|bytes: &[u8]| {
    let _ = transpile(bytes, &TranspileOptions::default());
});
