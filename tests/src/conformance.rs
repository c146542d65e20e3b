//! The ONNX backend node-test conformance runner.
//!
//! Each case folder holds `model.onnx` and `test_data_set_0/{input,output}_J.pb`. A case is
//! transpiled with its own inputs as calibration samples (automatic scale), run, and compared
//! with the expected outputs: real outputs within `TOLERANCE_K * 2^-scale * max(1, |expected|)`,
//! integer outputs (ArgMax indices) exactly.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use transpiler::onnx::{parse_tensor, ConstTensor};
use transpiler::{transpile, Calibration, TranspileOptions};

/// Tolerance factor `k` in `atol = k * 2^-scale * max(1, |expected|)`.
pub const TOLERANCE_K: f64 = 64.0;

/// How a case ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Outputs within tolerance.
    Passed,
    /// Ran, but an output differs (the reason says where).
    Wrong(String),
    /// Refused with a clear error.
    Unsupported(String),
    /// Panicked (a bug: must never happen).
    Crashed(String),
}

/// Whether a passing case's run was proven and verified.
#[derive(Debug, Clone, PartialEq)]
pub enum Proof {
    /// The case did not pass, so no proof was attempted.
    NotTried,
    /// Proven (preset `fast`) and verified, the proof carrying the runtime's outputs.
    Verified,
    /// Refused with every float input at run time (a product of two run-time tensors), then
    /// proven and verified with the float inputs after the first bound as constants, as an
    /// exporter embeds weights.
    VerifiedWithConstants,
    /// Every output is a compile-time constant (no run-time input, or outputs such as a
    /// `Shape`): there is nothing to prove, and the case is left out of the proven rate.
    Constant,
    /// `prove` refused the program (an op the AIR does not prove yet, or too large).
    Refused(String),
    /// Proving or verifying failed otherwise (a bug).
    Failed(String),
}

impl Proof {
    /// Proven and verified (as run, or with constants bound).
    pub fn verified(&self) -> bool {
        matches!(self, Proof::Verified | Proof::VerifiedWithConstants)
    }
}

/// One case and its outcome.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// Case name (`test_...`).
    pub name: String,
    /// Operator under test.
    pub op_type: String,
    /// The graph is the op's function body in simpler ops.
    pub expanded: bool,
    /// Why the case is out of scope by design (left out of the claimed pass rate), if it is.
    pub out_of_scope: Option<String>,
    /// Outcome.
    pub outcome: Outcome,
    /// The proof of a passing case.
    pub proof: Proof,
}

fn read_pbs(dir: &Path, prefix: &str) -> Result<Vec<ConstTensor>, String> {
    let mut out = Vec::new();
    for j in 0.. {
        let p = dir.join(format!("{prefix}_{j}.pb"));
        if !p.exists() {
            break;
        }
        let bytes = std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?;
        out.push(parse_tensor(&bytes, &format!("{prefix}_{j}")).map_err(|e| e.to_string())?);
    }
    Ok(out)
}

/// Runs one case folder (`input_names` are the graph input names in order) and, when it
/// passes, proves and verifies the run.
pub fn run_case(dir: &Path, input_names: &[String]) -> (Outcome, Proof) {
    let proved = |bind: bool| {
        catch_unwind(AssertUnwindSafe(|| {
            run_case_inner(dir, input_names, bind).map(|case| {
                let proof = prove_case(&case.program, &case.inputs, &case.outputs);
                (proof, case.params)
            })
        }))
    };
    match proved(false) {
        // With run-time parameters to bind: retry with them as constants.
        Ok(Ok((Proof::Refused(why), true))) => match proved(true) {
            Ok(Ok((Proof::Verified, _))) => (Outcome::Passed, Proof::VerifiedWithConstants),
            _ => (Outcome::Passed, Proof::Refused(why)),
        },
        Ok(Ok((proof, _))) => (Outcome::Passed, proof),
        Ok(Err(outcome)) => (outcome, Proof::NotTried),
        Err(p) => (Outcome::Crashed(panic_text(&*p)), Proof::NotTried),
    }
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "panic".into())
}

/// Proves the run of a passing case (preset `fast`) and verifies the proof, which must carry
/// the runtime's outputs `want`.
fn prove_case(program: &runtime::Program, inputs: &[Vec<f64>], want: &[runtime::Tensor]) -> Proof {
    let constant = |t: &runtime::TensorId| {
        matches!(program.tensor(*t).map(|t| &t.kind), Some(runtime::TensorKind::Const(_)))
    };
    if program.inputs.is_empty() || program.outputs.iter().all(constant) {
        return Proof::Constant;
    }
    match air::prove(program, inputs, air::Preset::Fast, air::HashKind::Blake3) {
        Err(e @ (air::ProveError::Unsupported { .. } | air::ProveError::TooLarge { .. })) => {
            Proof::Refused(e.to_string())
        }
        Err(e) => Proof::Failed(format!("prove: {e}")),
        Ok((_, outs)) if outs != want => Proof::Failed("the prover's outputs differ".into()),
        Ok((proof, _)) => match air::verify(program, &proof) {
            Ok(_) => Proof::Verified,
            Err(e) => Proof::Failed(format!("verify: {e}")),
        },
    }
}

/// A case that passed: its program, inputs in program order and outputs, and whether it has
/// float inputs after the first (parameters that binding as constants would change).
struct Passed {
    program: runtime::Program,
    inputs: Vec<Vec<f64>>,
    outputs: Vec<runtime::Tensor>,
    params: bool,
}

/// A passing case, or the outcome of a case that does not pass.
fn run_case_inner(
    dir: &Path,
    input_names: &[String],
    bind_params: bool,
) -> Result<Passed, Outcome> {
    let bytes = match std::fs::read(dir.join("model.onnx")) {
        Ok(b) => b,
        Err(e) => return Err(Outcome::Unsupported(format!("cannot read model: {e}"))),
    };
    let data = dir.join("test_data_set_0");
    let (inputs, outputs) = match (read_pbs(&data, "input"), read_pbs(&data, "output")) {
        (Ok(i), Ok(o)) => (i, o),
        (Err(e), _) | (_, Err(e)) => return Err(Outcome::Unsupported(format!("test data: {e}"))),
    };
    // Integer inputs (shapes, axes, indices) are compile-time constants of a static program.
    let is_int = |t: &ConstTensor| t.dtype != transpiler::onnx::DType::Float;
    let bound = |params: bool| -> Vec<(String, ConstTensor)> {
        let mut seen_float = false;
        input_names
            .iter()
            .zip(&inputs)
            .filter(|(_, t)| {
                if is_int(t) {
                    return true;
                }
                let first = !seen_float;
                seen_float = true;
                params && !first
            })
            .map(|(n, t)| (n.clone(), t.clone()))
            .collect()
    };
    let attempt = |bind: Vec<(String, ConstTensor)>| {
        let calibration = Calibration {
            samples: inputs.iter().map(|t| vec![t.data.clone()]).collect(),
            names: Some(input_names.to_vec()),
        };
        let opts = TranspileOptions {
            calibration: Some(calibration),
            bind_inputs: bind,
            // As `starkml compile` does: the automatic scale is one the prover accepts.
            accept: Some(air::check_field_budget),
            ..TranspileOptions::default()
        };
        transpile(&bytes, &opts)
    };
    // First with every float input at run time; if that is refused, with the float inputs
    // after the first bound as constants (parameters an exporter would have embedded).
    let program = match attempt(bound(bind_params)) {
        Ok(p) => p,
        Err(first) => {
            let floats = inputs.iter().filter(|t| !is_int(t)).count();
            match (floats > 1).then(|| attempt(bound(true))) {
                Some(Ok(p)) => p,
                _ => return Err(Outcome::Unsupported(first.to_string())),
            }
        }
    };
    // Inputs in program order (by name).
    let mut ordered = Vec::new();
    for id in &program.inputs {
        let name = program.tensor(*id).map(|t| t.name.clone()).unwrap_or_default();
        match input_names.iter().position(|n| *n == name) {
            Some(k) if k < inputs.len() => ordered.push(inputs[k].data.clone()),
            _ => return Err(Outcome::Unsupported(format!("no test data for input '{name}'"))),
        }
    }
    let got = match runtime::run(&program, &ordered) {
        Ok(o) => o,
        Err(e) => return Err(Outcome::Wrong(format!("run failed: {e}"))),
    };
    if got.len() != outputs.len() {
        return Err(Outcome::Wrong(format!("{} outputs, expected {}", got.len(), outputs.len())));
    }
    for (k, (g, want)) in got.iter().zip(&outputs).enumerate() {
        if g.shape != want.shape {
            return Err(Outcome::Wrong(format!(
                "output {k}: shape {:?}, expected {:?}",
                g.shape, want.shape
            )));
        }
        let vals = g.to_f64();
        let unit = (2f64).powi(-i32::from(g.scale));
        for (i, (x, w)) in vals.iter().zip(&want.data).enumerate() {
            let tol = if g.scale == 0 { 0.0 } else { TOLERANCE_K * unit * w.abs().max(1.0) };
            if (x - w).abs() > tol {
                return Err(Outcome::Wrong(format!(
                    "output {k}[{i}] = {x}, expected {w} (tolerance {tol:.2e})"
                )));
            }
        }
    }
    let params = inputs.iter().filter(|t| !is_int(t)).count() > 1;
    Ok(Passed { program, inputs: ordered, outputs: got, params })
}

/// The conformance cases this suite is pinned to (`scripts/conformance/expected.json`): which
/// onnx release generated them, how many there are and the SHA-256 of their models and inputs.
const EXPECTED: &str = include_str!("../../scripts/conformance/expected.json");

/// The command that fetches (generates) the cases, named by every "not found" error.
pub const FETCH_COMMAND: &str = "bash scripts/get-conformance.sh";

fn expected() -> Result<serde_json::Value, String> {
    serde_json::from_str(EXPECTED).map_err(|e| format!("scripts/conformance/expected.json: {e}"))
}

/// Checks that `index` describes the pinned case set (same onnx release, case count and
/// models-and-inputs digest as `scripts/conformance/expected.json`).
///
/// # Errors
/// A one-line message naming the field that differs and the command that regenerates the cases.
pub fn check_index(index: &serde_json::Value, root: &Path) -> Result<(), String> {
    let want = expected()?;
    for field in ["onnx_version", "generator_version", "total_cases", "inputs_digest"] {
        if index.get(field) != want.get(field) {
            return Err(format!(
                "{}: {field} is {}, expected {} (stale or foreign cases; regenerate with `{FETCH_COMMAND}`)",
                root.join("index.json").display(),
                index.get(field).map_or("missing".to_string(), |v| v.to_string()),
                want.get(field).map_or("missing".to_string(), |v| v.to_string()),
            ));
        }
    }
    Ok(())
}

/// Dtypes a case's inputs and outputs may have to count toward an op's claimed pass rate:
/// a program takes real-valued (float32) run-time tensors, and integer (int64) tensors as
/// compile-time shapes, axes and indices.
pub const IN_SCOPE_DTYPES: &[&str] = &["float32", "int64"];

/// Names of the entries of a case's `inputs` or `outputs` list.
fn io_names(case: &serde_json::Value, key: &str) -> Vec<String> {
    let list = case.get(key).and_then(|v| v.as_array()).cloned().unwrap_or_default();
    list.iter().filter_map(|i| i.get("name").and_then(|n| n.as_str()).map(String::from)).collect()
}

/// The first input or output of a case that is not a tensor (a sequence, map or optional).
fn non_tensor(case: &serde_json::Value) -> Option<String> {
    ["inputs", "outputs"].iter().find_map(|key| {
        let list = case.get(*key).and_then(|v| v.as_array())?;
        list.iter().find_map(|i| {
            let kind = i.get("kind").and_then(|k| k.as_str()).unwrap_or("tensor");
            let name = i.get("name").and_then(|n| n.as_str()).unwrap_or("?");
            (kind != "tensor").then(|| format!("'{name}' is a {kind}: only tensors are supported"))
        })
    })
}

/// Why a case whose values are all tensors is out of scope by design: a dtype outside
/// [`IN_SCOPE_DTYPES`], or a case of [`OUT_OF_SCOPE`].
fn tensor_scope(case: &serde_json::Value, name: &str) -> Option<String> {
    for key in ["inputs", "outputs"] {
        for i in case.get(key).and_then(|v| v.as_array()).into_iter().flatten() {
            let dtype = i.get("dtype").and_then(|d| d.as_str()).unwrap_or("unknown");
            let n = i.get("name").and_then(|n| n.as_str()).unwrap_or("?");
            if !IN_SCOPE_DTYPES.contains(&dtype) {
                return Some(format!("'{n}' is {dtype}"));
            }
            let dims = i.get("shape").and_then(|d| d.as_array());
            if dims.is_some_and(|d| d.iter().any(|x| x.as_u64() == Some(0))) {
                return Some(format!(
                    "'{n}' has no elements (a program's tensors hold at least one)"
                ));
            }
        }
    }
    OUT_OF_SCOPE.iter().find(|(n, _)| *n == name).map(|(_, r)| (*r).to_string())
}

/// Runs every case listed in `root/index.json`, after checking that the index is the pinned
/// case set (see [`check_index`]).
///
/// # Errors
/// One line naming what is missing, malformed or stale, and the command that fetches the cases.
pub fn run_all(root: &Path) -> Result<Vec<CaseResult>, String> {
    let index_path = root.join("index.json");
    let text = std::fs::read_to_string(&index_path).map_err(|e| {
        format!(
            "conformance cases not found ({}: {e}); fetch them with `{FETCH_COMMAND}`",
            index_path.display()
        )
    })?;
    let index: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", index_path.display()))?;
    check_index(&index, root)?;
    let cases =
        index.get("cases").and_then(|c| c.as_array()).ok_or("index.json has no 'cases' list")?;
    let mut out = Vec::new();
    for c in cases {
        let s = |k: &str| c.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_string();
        let name = s("name");
        // A non-tensor value is both refused and out of scope.
        let ((outcome, proof), out_of_scope) = match non_tensor(c) {
            Some(why) => ((Outcome::Unsupported(why.clone()), Proof::NotTried), Some(why)),
            None => (run_case(&root.join(&name), &io_names(c, "inputs")), tensor_scope(c, &name)),
        };
        out.push(CaseResult {
            proof,
            out_of_scope,
            name,
            op_type: s("op_type"),
            expanded: c.get("expanded").and_then(|v| v.as_bool()).unwrap_or(false),
            outcome,
        });
    }
    Ok(out)
}

/// Per-op tallies: `[passed, wrong, unsupported, crashed]` for plain and expanded cases.
pub fn tally(results: &[CaseResult]) -> BTreeMap<String, ([usize; 4], [usize; 4])> {
    let mut t: BTreeMap<String, ([usize; 4], [usize; 4])> = BTreeMap::new();
    for r in results {
        let e = t.entry(r.op_type.clone()).or_default();
        let slot = if r.expanded { &mut e.1 } else { &mut e.0 };
        let i = match r.outcome {
            Outcome::Passed => 0,
            Outcome::Wrong(_) => 1,
            Outcome::Unsupported(_) => 2,
            Outcome::Crashed(_) => 3,
        };
        slot[i] += 1;
    }
    t
}

/// Cases of in-scope dtypes refused by design, with the reason: they are reported as
/// unsupported and left out of the claimed ops' pass rates.
pub const OUT_OF_SCOPE: &[(&str, &str)] = &[
    (
        "test_batchnorm_epsilon_training_mode",
        "training-mode batch norm computes batch statistics: a training op",
    ),
    (
        "test_batchnorm_example_training_mode",
        "training-mode batch norm computes batch statistics: a training op",
    ),
    (
        "test_maxpool_with_argmax_2d_precomputed_pads",
        "the Indices output of MaxPool (used only by MaxUnpool)",
    ),
    (
        "test_maxpool_with_argmax_2d_precomputed_strides",
        "the Indices output of MaxPool (used only by MaxUnpool)",
    ),
];

/// The plain, in-scope cases of `op`: those its claimed pass rate counts.
fn plain_in_scope<'a>(
    results: &'a [CaseResult],
    op: &'a str,
) -> impl Iterator<Item = &'a CaseResult> {
    results.iter().filter(move |r| r.op_type == op && !r.expanded && r.out_of_scope.is_none())
}

/// The fraction of `op`'s plain in-scope cases that pass and whose run is proven and verified
/// (cases with constant outputs left out; `None` without cases).
pub fn proven_rate(results: &[CaseResult], op: &str) -> Option<f64> {
    let cases: Vec<&CaseResult> =
        plain_in_scope(results, op).filter(|r| r.proof != Proof::Constant).collect();
    let proven = cases.iter().filter(|r| r.proof.verified()).count();
    (!cases.is_empty()).then(|| proven as f64 / cases.len() as f64)
}

/// Ops supported in the full sense: claimed, with at least 95% of their plain in-scope cases
/// passing and proven.
pub fn supported_ops(results: &[CaseResult]) -> Vec<String> {
    let mut ops: Vec<String> = results
        .iter()
        .map(|r| r.op_type.clone())
        .filter(|o| claimed(o) && proven_rate(results, o).is_some_and(|r| r >= 0.95))
        .collect();
    ops.sort_unstable();
    ops.dedup();
    ops
}

/// Pass rate of a claimed op over its plain, in-scope cases (`None` without such cases).
pub fn claim_rate(results: &[CaseResult], op: &str) -> Option<f64> {
    let cases: Vec<&CaseResult> = plain_in_scope(results, op).collect();
    let passed = cases.iter().filter(|r| r.outcome == Outcome::Passed).count();
    (!cases.is_empty()).then(|| passed as f64 / cases.len() as f64)
}

/// True when `op` is one the transpiler claims (has a registry entry).
pub fn claimed(op: &str) -> bool {
    transpiler::supported_ops().any(|o| o == op) && !transpiler::partial_ops().contains(&op)
}

/// The CONFORMANCE.md report.
pub fn report(results: &[CaseResult]) -> String {
    let t = tally(results);
    let mut s = String::new();
    s.push_str("# ONNX operator conformance\n\n");
    s.push_str("Generated by `bash scripts/get-conformance.sh && cargo run --release -p starkml-tests --bin conformance`\n");
    s.push_str("over every ONNX backend node-test case of onnx 1.23.2, written out by\n");
    s.push_str("`scripts/conformance/generate.py` (non-tensor values and dtypes other than float and int64\n");
    s.push_str("are refused as unsupported). Each case is\n");
    s.push_str(
        "transpiled with its own inputs as calibration samples (automatic scale, at most 16\n",
    );
    s.push_str(
        "fractional bits, one the prover accepts, as `starkml compile` picks it), run by the\n",
    );
    s.push_str("fixed-point runtime and compared with the expected outputs:\n");
    s.push_str(&format!(
        "real outputs within `{TOLERANCE_K} * 2^-scale * max(1, |expected|)`, ArgMax indices exactly.\n\n"
    ));
    s.push_str(
        "*Plain* cases test the op itself; *expanded* cases spell the op out in other ops (their\n",
    );
    s.push_str("outcome depends on those). A claimed op is one in the transpiler's registry; the claim is\n");
    s.push_str("that its plain cases pass, with a clear *unsupported* error for the variants it refuses.\n");
    s.push_str(
        "Every passing case is then proven (preset `fast`) and the proof verified; an op is\n",
    );
    s.push_str(
        "*supported* when at least 95% of its plain in-scope cases both pass and prove (cases\n\
         whose inputs are all compile-time constants have nothing to prove and are left out).\n\n",
    );
    let all: [usize; 4] = results.iter().fold([0; 4], |mut a, r| {
        a[match r.outcome {
            Outcome::Passed => 0,
            Outcome::Wrong(_) => 1,
            Outcome::Unsupported(_) => 2,
            Outcome::Crashed(_) => 3,
        }] += 1;
        a
    });
    s.push_str(&format!(
        "Total: {} cases: {} passed, {} wrong, {} unsupported, {} crashed.\n\n",
        results.len(),
        all[0],
        all[1],
        all[2],
        all[3]
    ));
    let proven = results.iter().filter(|r| r.proof.verified()).count();
    let with_constants = results.iter().filter(|r| r.proof == Proof::VerifiedWithConstants).count();
    let supported = supported_ops(results);
    s.push_str(&format!(
        "Proven and verified: {proven} of the {} passing cases ({with_constants} of them with the float\n\
         inputs after the first bound as constants, as an exporter embeds weights, after the run-time\n\
         form was refused). Supported ops (run and proven): {}.\n\n",
        all[0],
        supported.len()
    ));
    let out = results.iter().filter(|r| r.out_of_scope.is_some()).count();
    s.push_str(&format!(
        "Out of scope by design ({out} cases; reported, but left out of the claimed pass rate): cases\n\
         with a sequence, map or optional value, cases with a tensor of a dtype other than {} (a\n\
         program takes float32 tensors at run time and int64 tensors as compile-time shapes, axes\n\
         and indices), cases with a tensor of no elements (a program's tensors hold at least one),\n\
         and these:\n\n",
        IN_SCOPE_DTYPES.join(" or ")
    ));
    for (case, why) in OUT_OF_SCOPE {
        s.push_str(&format!("- `{case}`: {why}\n"));
    }
    s.push_str("\n| op | claimed | plain: passed / wrong / unsupported / crashed | plain in scope | claimed pass rate (plain, in scope) | proven (plain, in scope) | expanded: passed / wrong / unsupported / crashed |\n");
    s.push_str("|---|---|---|---|---|---|---|\n");
    for (op, (p, e)) in &t {
        let rate = match claim_rate(results, op) {
            Some(r) if claimed(op) => format!("{:.0}%", 100.0 * r),
            _ => "-".to_string(),
        };
        let in_scope = plain_in_scope(results, op).count();
        let proven = match proven_rate(results, op) {
            Some(r) if claimed(op) => format!("{:.0}%", 100.0 * r),
            _ => "-".to_string(),
        };
        s.push_str(&format!(
            "| {op} | {} | {} / {} / {} / {} | {in_scope} | {rate} | {proven} | {} / {} / {} / {} |\n",
            if claimed(op) { "yes" } else { "no" },
            p[0],
            p[1],
            p[2],
            p[3],
            e[0],
            e[1],
            e[2],
            e[3]
        ));
    }
    s.push_str("\n## Cases passed but not proven\n\n");
    for r in results {
        let (kind, why) = match &r.proof {
            Proof::Refused(w) => ("refused by prove", w),
            Proof::Failed(w) => ("PROOF FAILED", w),
            Proof::NotTried | Proof::Constant | Proof::Verified | Proof::VerifiedWithConstants => {
                continue
            }
        };
        let why: String = why.replace('\n', " ").replace('|', "\\|").chars().take(160).collect();
        s.push_str(&format!("- `{}` ({}): {kind}: {why}\n", r.name, r.op_type));
    }
    s.push_str("\n## Cases not passed\n\n");
    for r in results {
        let (kind, why) = match &r.outcome {
            Outcome::Passed => continue,
            Outcome::Wrong(w) => ("wrong", w),
            Outcome::Unsupported(w) => ("unsupported", w),
            Outcome::Crashed(w) => ("CRASHED", w),
        };
        let why = why.replace('\n', " ").replace('|', "\\|");
        let why: String = why.chars().take(160).collect();
        let scope =
            r.out_of_scope.as_ref().map(|w| format!(" [out of scope: {w}]")).unwrap_or_default();
        s.push_str(&format!("- `{}` ({}){scope}: {kind}: {why}\n", r.name, r.op_type));
    }
    s
}

/// The conformance directory: `$STARKML_CONFORMANCE_DIR`, else
/// `$HOME/.cache/starkml-conformance/<cache_name>` where `scripts/get-conformance.sh` writes the
/// cases (`cache_name` from `scripts/conformance/expected.json`).
pub fn default_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("STARKML_CONFORMANCE_DIR") {
        return PathBuf::from(dir);
    }
    let name = expected()
        .ok()
        .and_then(|e| e.get("cache_name").and_then(|n| n.as_str()).map(String::from))
        .unwrap_or_default();
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    home.join(".cache").join("starkml-conformance").join(name)
}
