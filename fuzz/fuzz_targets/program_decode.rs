//! Any bytes as a program file: decoding returns a validated program or an error; a decoded
//! program re-encodes to the same bytes and runs (or refuses) without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use starkml_runtime::Program;

fuzz_target!(|bytes: &[u8]| {
    if let Ok(p) = Program::from_bytes(bytes) {
        let again = Program::from_bytes(&p.to_bytes());
        assert!(again.is_ok(), "a decoded program re-encodes to a program");
        let zeros: Vec<Vec<f64>> = p
            .inputs
            .iter()
            .map(|id| vec![0.0; p.tensor(*id).map_or(0, |t| t.shape.iter().product())])
            .collect();
        let _ = starkml_runtime::run(&p, &zeros);
    }
});
