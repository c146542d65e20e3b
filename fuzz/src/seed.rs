//! Writes the seed corpora: `CORPUS/proof_verify/` gets a valid proof of the bundled
//! logreg_iris model, compiled exactly as the target compiles it (default options), per
//! preset; `CORPUS/program_decode/` gets that program file. Usage: `seed CORPUS`.

use std::process::ExitCode;

static MODEL: &[u8] = include_bytes!("../../models/data/logreg_iris.onnx");

fn main() -> ExitCode {
    let Some(out) = std::env::args().nth(1) else {
        eprintln!("usage: seed CORPUS");
        return ExitCode::from(2);
    };
    let program = match starkml_transpiler::transpile(
        MODEL,
        &starkml_transpiler::TranspileOptions::default(),
    ) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    let root = std::path::Path::new(&out);
    let programs = root.join("program_decode").join("logreg_iris.stkm");
    if let Err(e) = std::fs::write(&programs, program.to_bytes()) {
        eprintln!("error: {}: {e}", programs.display());
        return ExitCode::from(1);
    }
    let input = vec![vec![5.1, 3.5, 1.4, 0.2]];
    for preset in [starkml_air::Preset::Bits96, starkml_air::Preset::Fast] {
        let proof =
            match starkml_air::prove(&program, &input, preset, starkml_air::HashKind::Blake3) {
                Ok((proof, _)) => proof,
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(1);
                }
            };
        let path = root.join("proof_verify").join(format!("valid-{}", preset.name()));
        if let Err(e) = std::fs::write(&path, proof.to_bytes()) {
            eprintln!("error: {}: {e}", path.display());
            return ExitCode::from(1);
        }
    }
    ExitCode::SUCCESS
}
