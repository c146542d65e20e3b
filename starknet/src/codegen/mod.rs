//! Cairo model contracts generated from a [`Program`].
//!
//! The generated project (edition 2024_07) has four modules:
//!
//! * `ops` — the fixed kernel library (`cairo/ops.cairo` in this crate, copied verbatim);
//! * `weights` — every constant tensor as `const` felt arrays (chunks of at most
//!   [`limits::MAX_CONST_CHUNK`] felts) and the Poseidon weights commitment;
//! * `inference` — `run(input)`: the program's ops in order, bit-exact with `starkml run`;
//! * `model` — the `IModel` interface and the `Model` contract.
//!
//! Calldata and return data carry signed integers at their tensors' scales (see
//! [`crate::felt`]); the header of `src/lib.cairo` lists the inputs and outputs with their
//! shapes and scales.

mod emit;
pub mod limits;
pub mod window;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use runtime::{Program, TensorKind};

use crate::error::StarknetError;

/// The kernel library every generated project contains.
pub const OPS_CAIRO: &str = include_str!("../../cairo/ops.cairo");

/// The interface of every generated model contract, for contracts that call models.
pub const IMODEL_CAIRO: &str = include_str!("../../cairo/imodel.cairo");

/// Name of the Cairo crate of generated projects.
pub const CRATE_NAME: &str = "starkml_model";

/// A generated Cairo project: relative paths and file contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CairoProject {
    /// `(path relative to the project directory, contents)`, in a fixed order.
    pub files: Vec<(PathBuf, String)>,
}

impl CairoProject {
    /// Writes the project under `dir` (created if missing), replacing files of the same
    /// names.
    ///
    /// # Errors
    /// [`StarknetError::Io`] naming the file that could not be written.
    pub fn write_to(&self, dir: &Path) -> Result<(), StarknetError> {
        for (rel, text) in &self.files {
            let path = dir.join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|source| StarknetError::Io { path: parent.to_path_buf(), source })?;
            }
            std::fs::write(&path, text).map_err(|source| StarknetError::Io { path, source })?;
        }
        Ok(())
    }

    /// The contents of the file at `rel`, if the project has it.
    pub fn file(&self, rel: &str) -> Option<&str> {
        self.files.iter().find(|(p, _)| p == Path::new(rel)).map(|(_, t)| t.as_str())
    }
}

/// Generates the Cairo project of a model contract for `program`.
///
/// # Errors
/// [`StarknetError::Program`] for an invalid program, [`StarknetError::TooLarge`] when the
/// model exceeds a Starknet limit (see [`limits`]), [`StarknetError::Unsupported`] for an op
/// without a Cairo kernel.
pub fn generate(program: &Program) -> Result<CairoProject, StarknetError> {
    program.validate()?;
    limits::check(program)?;
    let header = header(program);
    let mut ctx = emit::EmitCtx { transposed: transposed_weights(program), tables: Vec::new() };
    let inference = inference_cairo(program, &mut ctx)?;
    let entries: usize = ctx.tables.iter().map(|(_, t)| t.len()).sum();
    let felts = (program.stats().params + entries) as u64;
    if felts > limits::MAX_PARAMS {
        return Err(StarknetError::TooLarge {
            what: "the number of constant felts (parameters and window tables)".into(),
            size: felts,
            limit: limits::MAX_PARAMS,
        });
    }
    let files = vec![
        (PathBuf::from("cairo_project.toml"), project_toml()),
        (PathBuf::from("src/lib.cairo"), lib_cairo(&header)),
        (PathBuf::from("src/ops.cairo"), OPS_CAIRO.to_string()),
        (PathBuf::from("src/weights.cairo"), weights_cairo(program, &ctx.transposed)),
        (PathBuf::from("src/inference.cairo"), inference),
        (PathBuf::from("src/tables.cairo"), tables_cairo(&ctx.tables)),
        (PathBuf::from("src/model.cairo"), model_cairo()),
    ];
    Ok(CairoProject { files })
}

/// Constant tensors stored transposed: 2-D weights read only as the right operand of
/// `MatMul`s. The contract reads them row by row (`ops::matmul_bt`), which costs less gas
/// than striding down columns; the weights commitment still hashes program order.
pub fn transposed_weights(program: &Program) -> std::collections::BTreeSet<u32> {
    let mut candidates = std::collections::BTreeSet::new();
    let mut other_use = std::collections::BTreeSet::new();
    for node in &program.ops {
        for (i, t) in node.inputs.iter().enumerate() {
            let is_const =
                matches!(program.tensor(*t).map(|x| &x.kind), Some(TensorKind::Const(_)));
            let rank2 = program.tensor(*t).is_some_and(|x| x.shape.len() == 2);
            if is_const && rank2 && i == 1 && matches!(node.op, runtime::Op::MatMul) {
                candidates.insert(t.0);
            } else {
                other_use.insert(t.0);
            }
        }
    }
    for t in &program.outputs {
        other_use.insert(t.0);
    }
    candidates.difference(&other_use).copied().collect()
}

fn project_toml() -> String {
    format!("[crate_roots]\n{CRATE_NAME} = \"src\"\n\n[config.global]\nedition = \"2024_07\"\n")
}

fn io_line(program: &Program, id: runtime::TensorId, kind: &str) -> String {
    match program.tensor(id) {
        Some(t) => format!(
            "//   {kind} '{}': shape {:?}, {} felts, scale {} (value = felt / 2^{})\n",
            t.name,
            t.shape,
            t.shape.iter().product::<usize>(),
            t.scale,
            t.scale
        ),
        None => String::new(),
    }
}

fn header(program: &Program) -> String {
    let stats = program.stats();
    let mut h = String::new();
    h.push_str("// AUTO-GENERATED by starkml-starknet ");
    h.push_str(env!("CARGO_PKG_VERSION"));
    h.push_str(". Do not edit: regenerate with `starkml starknet cairo MODEL.stkm -o DIR`.\n");
    let _ = writeln!(h, "// Program '{}', digest {}", program.name, program.digest());
    let _ = writeln!(
        h,
        "// {} ops, {} parameters, {} multiply-accumulates per prediction.",
        program.ops.len(),
        stats.params,
        stats.macs
    );
    h.push_str("// Calldata: all inputs concatenated, row-major; each felt a signed integer.\n");
    for id in &program.inputs {
        h.push_str(&io_line(program, *id, "input"));
    }
    h.push_str("// Return data of `predict`: all outputs concatenated, likewise.\n");
    for id in &program.outputs {
        h.push_str(&io_line(program, *id, "output"));
    }
    h
}

fn lib_cairo(header: &str) -> String {
    format!(
        "{header}\npub mod ops;\npub mod weights;\npub mod tables;\npub mod inference;\npub mod model;\n"
    )
}

fn felt_list(values: &[i64]) -> String {
    let mut out = String::new();
    let mut line = String::from("   ");
    for v in values {
        let item = format!(" {v},");
        if line.len() + item.len() > 99 {
            out.push_str(&line);
            out.push('\n');
            line = String::from("   ");
        }
        line.push_str(&item);
    }
    out.push_str(&line);
    out
}

fn weights_cairo(program: &Program, transposed: &std::collections::BTreeSet<u32>) -> String {
    let mut s = String::from(
        "// Quantised parameters of the program (signed integers at each tensor's scale).\n\
         // AUTO-GENERATED by starkml-starknet: see lib.cairo.\n\n\
         use core::poseidon::poseidon_hash_span;\n",
    );
    let consts: Vec<(u32, &runtime::TensorInfo, &Vec<i64>)> = program
        .tensors
        .iter()
        .enumerate()
        .filter_map(|(i, t)| match &t.kind {
            TensorKind::Const(d) => Some((i as u32, t, d.as_ref())),
            _ => None,
        })
        .collect();
    if !consts.is_empty() {
        s.push_str("use crate::ops;\n");
    }
    for (id, t, data) in &consts {
        let stored: Vec<i64>;
        let data: &Vec<i64> = if transposed.contains(id) {
            let (k, n) = (t.shape[0], t.shape[1]);
            stored = (0..n)
                .flat_map(|j| (0..k).map(move |i| (i, j)))
                .map(|(i, j)| data[i * n + j])
                .collect();
            &stored
        } else {
            data
        };
        let chunks: Vec<&[i64]> = data.chunks(limits::MAX_CONST_CHUNK).collect();
        let layout = if transposed.contains(id) {
            " (stored transposed, row per output column)"
        } else {
            ""
        };
        let _ = writeln!(
            s,
            "\n// '{}': shape {:?}, scale {}, {} values{layout}.",
            t.name,
            t.shape,
            t.scale,
            data.len()
        );
        for (c, chunk) in chunks.iter().enumerate() {
            let _ = writeln!(
                s,
                "const C{id}_{c}: [felt252; {}] = [\n{}\n];",
                chunk.len(),
                felt_list(chunk)
            );
        }
        match chunks.len() {
            0 => {
                let _ = writeln!(s, "pub fn c{id}() -> Span<felt252> {{\n    array![].span()\n}}");
            }
            1 => {
                let _ = writeln!(s, "pub fn c{id}() -> Span<felt252> {{\n    C{id}_0.span()\n}}");
            }
            n => {
                let _ = writeln!(
                    s,
                    "pub fn c{id}() -> Span<felt252> {{\n    let mut a: Array<felt252> = array![];"
                );
                for c in 0..n {
                    let _ = writeln!(s, "    ops::extend(ref a, C{id}_{c}.span());");
                }
                s.push_str("    a.span()\n}\n");
            }
        }
    }
    s.push_str(
        "\n/// Poseidon over [number of constant tensors, then per tensor its length and values].\n\
         pub fn commitment() -> felt252 {\n",
    );
    let _ = writeln!(s, "    let mut h: Array<felt252> = array![{}];", consts.len());
    for (id, t, data) in &consts {
        if transposed.contains(id) {
            let _ = writeln!(
                s,
                "    h.append({});\n    ops::extend_transposed(ref h, c{id}(), {}, {});",
                data.len(),
                t.shape[1],
                t.shape[0]
            );
        } else {
            let _ = writeln!(s, "    h.append({});\n    ops::extend(ref h, c{id}());", data.len());
        }
    }
    s.push_str("    poseidon_hash_span(h.span())\n}\n");
    s
}

fn tables_cairo(tables: &[(usize, Vec<u32>)]) -> String {
    let mut s = String::from(
        "// Window tables of the convolutions and pooling ops: per (output position, kernel\n\
         // position), the input offset read, or ops::PAD_INSIDE / ops::PAD_OUTSIDE for padding.\n\
         // AUTO-GENERATED by starkml-starknet: see lib.cairo.\n\n",
    );
    if tables.iter().any(|(_, t)| t.len() > limits::MAX_CONST_CHUNK) {
        s.push_str("use crate::ops;\n\n");
    }
    for (k, t) in tables {
        let chunks: Vec<&[u32]> = t.chunks(limits::MAX_CONST_CHUNK).collect();
        for (c, chunk) in chunks.iter().enumerate() {
            let vals: Vec<i64> = chunk.iter().map(|&v| i64::from(v)).collect();
            let _ =
                writeln!(s, "const W{k}_{c}: [u32; {}] = [\n{}\n];", chunk.len(), felt_list(&vals));
        }
        let _ = writeln!(s, "/// Window table of op #{k}.\npub fn w{k}() -> Span<u32> {{");
        if chunks.len() == 1 {
            let _ = writeln!(s, "    W{k}_0.span()\n}}\n");
        } else {
            s.push_str("    let mut a: Array<u32> = array![];\n");
            for c in 0..chunks.len() {
                let _ = writeln!(s, "    ops::extend_u32(ref a, W{k}_{c}.span());");
            }
            s.push_str("    a.span()\n}\n\n");
        }
    }
    s
}

fn inference_cairo(program: &Program, ctx: &mut emit::EmitCtx) -> Result<String, StarknetError> {
    let digest = program.digest().0;
    let hi = u128::from_be_bytes(digest[..16].try_into().unwrap_or([0; 16]));
    let lo = u128::from_be_bytes(digest[16..].try_into().unwrap_or([0; 16]));
    let total_in: usize = program
        .inputs
        .iter()
        .filter_map(|id| program.tensor(*id))
        .map(|t| t.shape.iter().product::<usize>())
        .sum();
    let mut s = String::from(
        "// The program's ops in order. AUTO-GENERATED by starkml-starknet: see lib.cairo.\n\n\
         USES\n\n",
    );
    let _ = writeln!(
        s,
        "/// Blake3 digest of the program file (`starkml inspect` prints it in hex).\n\
         pub const PROGRAM_DIGEST: u256 = u256 {{ low: 0x{lo:032x}, high: 0x{hi:032x} }};\n\
         /// Felts `run` expects.\npub const INPUT_LEN: u32 = {total_in};\n"
    );
    let spec: Vec<String> =
        crate::spec::IoSpec::of(program).to_felts().iter().map(|f| format!("{f:#x}")).collect();
    let _ = writeln!(
        s,
        "/// Inputs and outputs: names (short strings), scales, input bounds, shapes.\n\
         pub fn io_spec() -> Array<felt252> {{\n    array![{}]\n}}\n",
        spec.join(", ")
    );
    s.push_str(
        "/// Runs the program on `input` (all inputs concatenated, signed integers at the input\n\
         /// scales) and returns all outputs concatenated. Panics on a wrong length or an input\n\
         /// beyond its static bound.\npub fn run(input: Span<felt252>) -> Array<felt252> {\n",
    );
    let msg = format!("starkml: input needs {total_in} felts");
    let msg = if msg.len() <= 31 { msg } else { "starkml: wrong input length".to_string() };
    let _ = writeln!(s, "    assert(input.len() == INPUT_LEN, '{msg}');");
    let mut start = 0usize;
    for id in &program.inputs {
        if let Some(t) = program.tensor(*id) {
            let n: usize = t.shape.iter().product();
            let _ = writeln!(
                s,
                "    let t{} = ops::check_input(input, {start}, {n}, {}); // '{}'",
                id.0, t.bound, t.name
            );
            start += n;
        }
    }
    for (k, node) in program.ops.iter().enumerate() {
        let _ = writeln!(s, "    // #{k} {} ({})", node.op.name(), node.origin.replace('\n', " "));
        let _ = writeln!(s, "    {}", emit::op(program, k, node, ctx)?);
    }
    s.push_str("    let mut out: Array<felt252> = array![];\n");
    for id in &program.outputs {
        let _ = writeln!(s, "    ops::extend(ref out, {});", emit::arg(program, *id));
    }
    s.push_str("    out\n}\n\n");
    // Import only the modules the body reads (an unused import is a compiler warning).
    let mut uses = vec!["ops"];
    if s.contains("tables::") {
        uses.push("tables");
    }
    if s.contains("weights::") {
        uses.push("weights");
    }
    let s = s.replacen("USES", &format!("use crate::{{{}}};", uses.join(", ")), 1);
    let mut s = s;
    // The predicted class, with the rule of `starkml run`.
    let first = program.outputs.first().and_then(|id| program.tensor(*id));
    s.push_str(
        "/// The predicted class of an output of `run`: the value of a single scale-0 output\n\
         /// (an ArgMax), otherwise the index of the first output's largest value.\n\
         pub fn class_of(out: Span<felt252>) -> u32 {\n",
    );
    match first {
        Some(t) if t.scale == 0 && t.shape.iter().product::<usize>() == 1 => {
            s.push_str(
                "    let v = ops::signed(*out[0]);\n    if v < 0 {\n        return 0;\n    }\n    \
                 let c: u64 = v.try_into().unwrap();\n    c.try_into().expect('starkml: class exceeds u32')\n}\n",
            );
        }
        Some(t) => {
            let n: usize = t.shape.iter().product();
            let _ = writeln!(s, "    ops::top_class(out.slice(0, {n}))\n}}");
        }
        None => s.push_str("    0\n}\n"),
    }
    Ok(s)
}

fn model_cairo() -> String {
    format!(
        "// The model contract. AUTO-GENERATED by starkml-starknet: see lib.cairo.\n\n{IMODEL_CAIRO}\n{}",
        MODEL_CONTRACT
    )
}

const MODEL_CONTRACT: &str = r#"#[starknet::contract]
pub mod Model {
    use core::poseidon::poseidon_hash_span;
    use starknet::storage::{StoragePointerReadAccess, StoragePointerWriteAccess};
    use starknet::{ContractAddress, get_caller_address};
    use crate::{inference, weights};
    use super::IModel;

    #[storage]
    struct Storage {
        predictions: u64,
    }

    #[event]
    #[derive(Drop, starknet::Event)]
    pub enum Event {
        Prediction: Prediction,
    }

    /// Emitted by `predict_and_record`.
    #[derive(Drop, starknet::Event)]
    pub struct Prediction {
        #[key]
        pub caller: ContractAddress,
        pub index: u64,
        pub input_hash: felt252,
        pub output: Span<felt252>,
    }

    #[abi(embed_v0)]
    impl ModelImpl of IModel<ContractState> {
        fn predict(self: @ContractState, input: Array<felt252>) -> Array<felt252> {
            inference::run(input.span())
        }

        fn predict_class(self: @ContractState, input: Array<felt252>) -> u32 {
            inference::class_of(inference::run(input.span()).span())
        }

        fn predict_and_record(ref self: ContractState, input: Array<felt252>) -> Array<felt252> {
            let out = inference::run(input.span());
            let index = self.predictions.read();
            self.predictions.write(index + 1);
            let input_hash = poseidon_hash_span(input.span());
            self.emit(Prediction { caller: get_caller_address(), index, input_hash, output: out.span() });
            out
        }

        fn program_digest(self: @ContractState) -> u256 {
            inference::PROGRAM_DIGEST
        }

        fn weights_commitment(self: @ContractState) -> felt252 {
            weights::commitment()
        }

        fn input_len(self: @ContractState) -> u32 {
            inference::INPUT_LEN
        }

        fn io_spec(self: @ContractState) -> Array<felt252> {
            inference::io_spec()
        }

        fn prediction_count(self: @ContractState) -> u64 {
            self.predictions.read()
        }
    }
}
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use runtime::TensorInfo;

    #[test]
    fn large_constants_are_split_into_chunks_below_the_compiler_limit() {
        let data: Vec<i64> = (0..40_000).map(|i| (i % 7) - 3).collect();
        let program = Program {
            name: "big".into(),
            tensors: vec![TensorInfo {
                name: "w".into(),
                shape: vec![40_000],
                scale: 8,
                bound: 3,
                kind: TensorKind::constant(data),
            }],
            ops: vec![],
            inputs: vec![],
            outputs: vec![],
        };
        let w = weights_cairo(&program, &Default::default());
        assert!(w.contains("const C0_0: [felt252; 32000] = ["), "{}", &w[..200]);
        assert!(w.contains("const C0_1: [felt252; 8000] = ["));
        assert!(w.contains("ops::extend(ref a, C0_1.span());"));
        assert!(!w.contains("C0_2"));
        assert!(w.lines().all(|l| l.len() <= 100), "lines stay readable");
    }

    #[test]
    fn felt_lists_keep_signs() {
        assert_eq!(felt_list(&[1, -2, 0]), "    1, -2, 0,");
    }
}
