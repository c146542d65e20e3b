//! Any bytes as a proof file of the bundled logreg_iris model: parsing and verification
//! return an error (or, for the untouched seed, success), never panic, abort or report a
//! caught panic (`VerifyError::VerifierBug`).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use starkml_air::VerifyError;
use starkml_runtime::Program;

static MODEL: &[u8] = include_bytes!("../../models/data/logreg_iris.onnx");

fn key() -> &'static starkml_air::VerifyingKey {
    static K: OnceLock<starkml_air::VerifyingKey> = OnceLock::new();
    K.get_or_init(|| {
        let opts = starkml_transpiler::TranspileOptions::default();
        let p: Program =
            starkml_transpiler::transpile(MODEL, &opts).expect("the bundled model compiles");
        starkml_air::prepare(&p).expect("the bundled model has a schedule")
    })
}

fuzz_target!(|bytes: &[u8]| {
    let verdict = starkml_air::RunProof::from_bytes(bytes)
        .and_then(|proof| starkml_air::verify_with_key(key(), &proof));
    if let Err(VerifyError::VerifierBug(e)) = verdict {
        panic!("caught panic inside the verifier: {e}");
    }
});
