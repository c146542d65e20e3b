//! `starkml starknet`: model contracts on Starknet.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::{Args, Subcommand};
use serde_json::json;
use starkml_starknet::client::{parse_felt, AccountKey, Client};
use starkml_starknet::registry::Registry;
use starkml_starknet::spec::IoSpec;
use starkml_starknet::{commitment, felt, model};

use crate::inspect::load_program;

/// Deploy models as Starknet contracts, call them, record proven results.
#[derive(Subcommand)]
pub enum StarknetCmd {
    /// Generate, compile, declare and deploy a model contract and register the model.
    Deploy(DeployCmd),
    /// Call a deployed model's `predict` on an input file.
    Predict(PredictCmd),
    /// Verify a proof locally, then record its result in the registry.
    Submit(SubmitCmd),
    /// Write the Cairo project of a model contract (no network).
    Cairo(CairoCmd),
}

impl StarknetCmd {
    /// Runs the subcommand.
    pub fn execute(&self) -> Result<()> {
        match self {
            StarknetCmd::Deploy(c) => c.execute(),
            StarknetCmd::Predict(c) => c.execute(),
            StarknetCmd::Submit(c) => c.execute(),
            StarknetCmd::Cairo(c) => c.execute(),
        }
    }
}

/// Node and signing account.
#[derive(Args)]
pub struct Connection {
    /// JSON-RPC endpoint of the node (JSON-RPC 0.10), e.g. http://127.0.0.1:5050/rpc.
    #[arg(long)]
    rpc: String,
    /// Account address that signs transactions (default on a devnet: its first
    /// predeployed account).
    #[arg(long, requires = "private_key")]
    account: Option<String>,
    /// Private key of --account (or set STARKNET_PRIVATE_KEY).
    #[arg(long, env = "STARKNET_PRIVATE_KEY", hide_env_values = true)]
    private_key: Option<String>,
}

impl Connection {
    fn signing(&self) -> Result<Client> {
        let client = Client::connect(&self.rpc)?;
        let key = match (&self.account, &self.private_key) {
            (Some(a), Some(k)) => AccountKey {
                address: parse_felt(a, "--account")?,
                private_key: parse_felt(k, "--private-key")?,
            },
            (None, _) => client.devnet_account().context(
                "no --account given and the node has no predeployed accounts; pass --account and --private-key",
            )?,
            (Some(_), None) => bail!("--account needs --private-key (or STARKNET_PRIVATE_KEY)"),
        };
        Ok(client.with_account(&key)?)
    }
}

/// Generate, compile, declare and deploy a model contract, and register the model.
#[derive(Args)]
pub struct DeployCmd {
    /// Program file (.stkm).
    program: PathBuf,
    #[command(flatten)]
    conn: Connection,
    /// Registry to register the model in (default: deploy a new registry).
    #[arg(long)]
    registry: Option<String>,
    /// Directory for the generated Cairo project and class (default: a temporary one).
    #[arg(long)]
    workdir: Option<PathBuf>,
    /// Salt of the deployed addresses (default: from the clock, so that deploying the same
    /// model twice gives two contracts).
    #[arg(long)]
    salt: Option<String>,
}

impl DeployCmd {
    fn execute(&self) -> Result<()> {
        let program = load_program(&self.program)?;
        let dir = match &self.workdir {
            Some(d) => d.clone(),
            None => std::env::temp_dir().join(format!(
                "starkml-deploy-{}-{}",
                program.digest(),
                std::process::id()
            )),
        };
        let registry = self.registry.as_deref().map(|r| parse_felt(r, "--registry")).transpose()?;
        let salt = match &self.salt {
            Some(s) => parse_felt(s, "--salt")?,
            None => {
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos());
                starkml_starknet::Felt::from(nanos)
            }
        };
        // Refuse models beyond the on-chain limits before touching the network.
        let project = starkml_starknet::generate(&program)?;
        let client = self.conn.signing()?;
        eprintln!("compiling the model contract in {}", dir.display());
        let built = model::compile(&program, &project, &dir)?;
        eprintln!(
            "class: {} Sierra felts, {} CASM felts; declaring and deploying",
            built.class.sierra_felts, built.class.casm_felts
        );
        let d = model::deploy(&client, &built, registry, salt)?;
        println!("{}", serde_json::to_string_pretty(&d)?);
        Ok(())
    }
}

/// Call a deployed model's `predict` on an input file.
#[derive(Args)]
pub struct PredictCmd {
    /// Model contract address.
    #[arg(long)]
    address: String,
    /// Input JSON file (same formats as `starkml run`).
    #[arg(long)]
    input: PathBuf,
    /// JSON-RPC endpoint of the node.
    #[arg(long)]
    rpc: String,
    /// Print JSON: {"outputs": [{"name", "shape", "data"}], "argmax", "raw"}.
    #[arg(long)]
    json: bool,
}

impl PredictCmd {
    fn execute(&self) -> Result<()> {
        let address = parse_felt(&self.address, "--address")?;
        let client = Client::connect(&self.rpc)?;
        let raw = client.call(address, "io_spec", vec![])?;
        let spec = IoSpec::from_felts(model::array_result(&raw, "io_spec")?)?;
        let io = spec.io_program();
        let inputs = starkml::input::read_inputs(&self.input, &io)?;
        let quantised: Vec<i64> = runtime::quantize_inputs(&io, &inputs)
            .context("input does not fit the model")?
            .concat();
        let out = model::predict(&client, address, &quantised)?;
        let mut named = Vec::new();
        let mut tensors = Vec::new();
        let mut at = 0usize;
        for t in &spec.outputs {
            let n: usize = t.shape.iter().product();
            let data = out.get(at..at + n).context("the contract returned too few outputs")?;
            at += n;
            tensors.push(runtime::Tensor {
                shape: t.shape.clone(),
                scale: t.scale,
                data: data.to_vec(),
            });
            named.push((t.name.clone(), t.shape.clone()));
        }
        if at != out.len() {
            bail!("the contract returned {} outputs, its io_spec describes {at}", out.len());
        }
        let top = crate::run::classes_json(&starkml::predicted_classes(&io, &tensors));
        if self.json {
            let outs: Vec<_> = named
                .iter()
                .zip(&tensors)
                .map(|((n, s), t)| json!({"name": n, "shape": s, "data": t.to_f64()}))
                .collect();
            println!("{}", json!({"outputs": outs, "argmax": top, "raw": out}));
        } else {
            for ((n, s), t) in named.iter().zip(&tensors) {
                let vals: Vec<String> = t.to_f64().iter().map(|x| format!("{x:.6}")).collect();
                println!("{n} {s:?}: [{}]", vals.join(", "));
            }
            println!("argmax: {top}");
        }
        Ok(())
    }
}

/// Verify a proof locally, then record its result in the registry.
#[derive(Args)]
pub struct SubmitCmd {
    /// Proof file written by `starkml prove`.
    proof: PathBuf,
    /// Program file (.stkm) the proof is about (the verifier's copy).
    #[arg(long)]
    program: PathBuf,
    /// Registry contract address.
    #[arg(long)]
    registry: String,
    #[command(flatten)]
    conn: Connection,
}

impl SubmitCmd {
    fn execute(&self) -> Result<()> {
        let program_bytes = std::fs::read(&self.program)
            .with_context(|| format!("cannot read {}", self.program.display()))?;
        let bytes = std::fs::read(&self.proof)
            .with_context(|| format!("cannot read {}", self.proof.display()))?;
        let starkml::Verified { program, proof, .. } =
            starkml::verify(&program_bytes, &bytes, &starkml::VerifyOptions::default())
                .context("the proof does not verify; nothing submitted")?;
        eprintln!("proof verified locally; submitting");
        let registry = Registry { address: parse_felt(&self.registry, "--registry")? };
        let client = self.conn.signing()?;
        let model_id = registry.model_id_by_digest(&client, &proof.digest)?;
        if model_id == 0 {
            bail!(
                "program {} is not registered in {}; deploy it with `starkml starknet deploy --registry`",
                program.digest(),
                self.registry
            );
        }
        let input_hash = commitment::input_hash(&felt::encode_all(&proof.inputs.concat()));
        let output = felt::encode_all(&proof.outputs.concat());
        let proof_hash = commitment::proof_hash(&bytes);
        let (id, tx) =
            registry.record_inference(&client, model_id, input_hash, &output, &proof_hash)?;
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "inference_id": id,
                "model_id": model_id,
                "input_hash": format!("{input_hash:#x}"),
                "proof_hash": runtime::ProgramDigest(proof_hash).to_string(),
                "tx": tx,
            }))?
        );
        Ok(())
    }
}

/// Write the Cairo project of a model contract.
#[derive(Args)]
pub struct CairoCmd {
    /// Program file (.stkm).
    program: PathBuf,
    /// Output directory (created; existing files of the same names are replaced).
    #[arg(short, long)]
    output: PathBuf,
}

impl CairoCmd {
    fn execute(&self) -> Result<()> {
        let program = load_program(&self.program)?;
        let project = starkml_starknet::generate(&program)?;
        project.write_to(&self.output)?;
        println!(
            "wrote {} files to {} (compile with tools/cairo-compile; weights commitment {:#x})",
            project.files.len(),
            self.output.display(),
            commitment::weights_commitment(&program)
        );
        Ok(())
    }
}
