//! Gas of model contracts on a local starknet-devnet: builds, declares, deploys and calls the
//! benchmark models that fit one contract and prints a Markdown table for BENCHMARKS.md.
//!
//! `cargo run --release -p starkml-starknet --example gas -- [--out BENCHMARKS.md]` (needs the
//! tools of `scripts/install-starknet-tools.sh`). With `--out`, the section between
//! `<!-- starknet:begin -->` and `<!-- starknet:end -->` of that file is replaced (or appended).

use std::fmt::Write as _;

use std::time::Instant;

use starkml_starknet::client::Client;
use starkml_starknet::commitment::{input_hash, proof_hash};
use starkml_starknet::devnet::Devnet;
use starkml_starknet::felt::encode_all;
use starkml_starknet::model;
use starkml_starknet::registry::Registry;
use starkml_tests::ModelCase;
use starknet_rust::core::types::Felt;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let devnet = Devnet::start()?;
    let client = Client::connect(&devnet.url())?;
    let key = client.devnet_account()?;
    let client = client.with_account(&key)?;
    let (registry, _, reg_deploy) = Registry::deploy(&client, Felt::ONE)?;
    let mut md = String::new();
    writeln!(md, "| model | params | MACs | compile s | Sierra felts | CASM felts | declare L2 gas | deploy L2 gas | register L2 gas | `predict_and_record` L2 gas | L2 gas / MAC | `record_inference` L2 gas |")?;
    writeln!(md, "|---|---|---|---|---|---|---|---|---|---|---|---|")?;
    for (k, name) in ["logreg_iris", "mlp_small", "cnn_small", "mlp_medium"].iter().enumerate() {
        // Compiled with its calibration file, as `starkml compile --calibrate` does.
        let ModelCase { fixture, program } = ModelCase::new(name);
        let stats = program.stats();
        let dir = std::env::temp_dir().join(format!("starkml-gas-{name}"));
        let t = Instant::now();
        let built = model::build(&program, &dir)?;
        let compile_s = t.elapsed().as_secs_f64();
        let d = model::deploy(&client, &built, Some(registry.address), Felt::from(k as u64 + 2))?;
        let q = runtime::quantize_inputs(&program, std::slice::from_ref(&fixture.input.data))?;
        let (outs, _) = runtime::run_quantized(&program, q.clone())?;
        let want: Vec<i64> = outs.iter().flat_map(|t| t.data.clone()).collect();
        let got = model::predict(&client, d.model_address, &q.concat())?;
        if got != want {
            return Err(format!("{name}: on-chain output {got:?} differs from {want:?}").into());
        }
        let tx = model::predict_and_record(&client, d.model_address, &q.concat())?;
        let ih = input_hash(&encode_all(&q.concat()));
        let (_, rec) = registry.record_inference(
            &client,
            d.model_id,
            ih,
            &encode_all(&want),
            &proof_hash(b"x"),
        )?;
        let declare = d.model_class.tx.as_ref().map_or(0, |t| t.l2_gas);
        writeln!(
            md,
            "| {name} | {} | {} | {compile_s:.2} | {} | {} | {declare} | {} | {} | {} | {:.0} | {} |",
            stats.params,
            stats.macs,
            d.sierra_felts,
            d.casm_felts,
            d.model_deploy.l2_gas,
            d.register.l2_gas,
            tx.l2_gas,
            tx.l2_gas as f64 / stats.macs.max(1) as f64,
            rec.l2_gas
        )?;
        eprintln!("{name}: done");
    }
    writeln!(md, "\nDeploying the registry: {} L2 gas.", reg_deploy.tx.l2_gas)?;
    drop(devnet);
    print!("{md}");
    let args: Vec<String> = std::env::args().collect();
    if let Some(out) = args.iter().position(|a| a == "--out").and_then(|i| args.get(i + 1)) {
        let section = format!(
            "<!-- starknet:begin -->\n## Starknet gas (devnet 0.10.1)\n\nProduced by `cargo run --release -p starkml-starknet --example gas -- --out BENCHMARKS.md` against a local starknet-devnet 0.10.1 (`--seed 0`, gas prices 1e9): each model's contract is generated, compiled (`compile s`: Cairo compiler tool, release build), declared, deployed through the UDC and registered; `predict_and_record` is one invoke of the model on its canonical input (the on-chain output is checked equal to `starkml run` first); `record_inference` stores its output in the registry. Compare gas, not fees: devnet prices are not mainnet's. A transaction may use 1e9 L2 gas.\n\n{md}\nReading the table: `predict_and_record` is the gas of one on-chain prediction (inference, Poseidon input hash, storage counter, event); a contract calling `predict` pays about the same less the event and storage write. Products with constant weights cost about 2-3k L2 gas per MAC (the weights are stored transposed so every output is a contiguous dot product; striding down columns cost 5.4-6.5k), convolutions about 7-10k (their window tables are computed by the generator and embedded as constants: computing them on chain doubled cnn_small's cost). `register` includes the registry calling the model's `program_digest()` and `weights_commitment()` (Poseidon over every parameter), hence its growth with the parameter count. Declaring is paid per byte of class and is not bound by the 1e9 execution limit (mlp_medium's 2.6 G declare is accepted). mlp_large (85k parameters) is refused at generation: above the 60k parameters one contract can hold.\n<!-- starknet:end -->\n"
        );
        let old = std::fs::read_to_string(out).unwrap_or_default();
        let new = match (old.find("<!-- starknet:begin -->"), old.find("<!-- starknet:end -->")) {
            (Some(a), Some(b)) if b > a => {
                let end = b + "<!-- starknet:end -->\n".len().min(old.len() - b);
                format!("{}{section}{}", &old[..a], &old[end..])
            }
            _ => format!("{old}\n{section}"),
        };
        std::fs::write(out, new)?;
        eprintln!("wrote the Starknet section of {out}");
    }
    Ok(())
}
