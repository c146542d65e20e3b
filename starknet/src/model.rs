//! Model contracts on chain: build, declare, deploy, register and call.

use std::path::Path;

use runtime::Program;
use serde::Serialize;
use starknet_rust::core::types::Felt;

use crate::class::ClassArtifacts;
use crate::client::{Client, Declared, Deployed, TxReport};
use crate::commitment::weights_commitment;
use crate::error::StarknetError;
use crate::felt::{decode_all, encode_all};
use crate::registry::Registry;

/// A model contract class built from a program.
#[derive(Debug, Clone)]
pub struct ModelClass {
    /// The compiled class.
    pub class: ClassArtifacts,
    /// Poseidon weights commitment (equal to the contract's `weights_commitment()`).
    pub commitment: Felt,
    /// Program digest.
    pub digest: [u8; 32],
}

/// Generates the Cairo project of `program` under `dir` and compiles it with the Cairo
/// compiler tool (the class JSON lands in `dir/model.contract_class.json`).
///
/// # Errors
/// Generation errors ([`crate::generate`]), then as [`compile`].
pub fn build(program: &Program, dir: &Path) -> Result<ModelClass, StarknetError> {
    compile(program, &crate::generate(program)?, dir)
}

/// Writes an already generated `project` of `program` under `dir` and compiles it.
///
/// # Errors
/// [`StarknetError::Io`], [`StarknetError::Compile`], [`StarknetError::Class`],
/// [`StarknetError::TooLarge`] for classes beyond Starknet's limits.
pub fn compile(
    program: &Program,
    project: &crate::CairoProject,
    dir: &Path,
) -> Result<ModelClass, StarknetError> {
    project.write_to(dir)?;
    let json = crate::compiler::compile_project(dir, &dir.join("model.contract_class.json"))?;
    Ok(ModelClass {
        class: ClassArtifacts::from_sierra_json(&json)?,
        commitment: weights_commitment(program),
        digest: program.digest().0,
    })
}

/// Everything `deploy` did.
#[derive(Debug, Clone, Serialize)]
pub struct Deployment {
    /// The model contract.
    #[serde(serialize_with = "crate::felt::serialize_hex")]
    pub model_address: Felt,
    /// Its class.
    pub model_class: Declared,
    /// The deploy transaction.
    pub model_deploy: TxReport,
    /// Registry used.
    #[serde(serialize_with = "crate::felt::serialize_hex")]
    pub registry_address: Felt,
    /// The registry deployment, when `deploy` created the registry.
    pub registry_deploy: Option<Deployed>,
    /// Registry id of the model.
    pub model_id: u64,
    /// The registration transaction.
    pub register: TxReport,
    /// Poseidon weights commitment.
    #[serde(serialize_with = "crate::felt::serialize_hex")]
    pub weights_commitment: Felt,
    /// Program digest, hex.
    pub program_digest: String,
    /// Sierra program size in felts.
    pub sierra_felts: usize,
    /// CASM bytecode size in felts.
    pub casm_felts: usize,
}

/// Declares and deploys a built model, then registers it in `registry` (deploying a new
/// registry first when `None`). `salt` makes the addresses distinct.
///
/// # Errors
/// [`StarknetError::InvalidArgument`] when the program is registered in `registry` already
/// (checked before anything is sent); otherwise as [`Client::declare`], [`Client::deploy`]
/// and [`Registry::register_model`].
pub fn deploy(
    client: &Client,
    model: &ModelClass,
    registry: Option<Felt>,
    salt: Felt,
) -> Result<Deployment, StarknetError> {
    if let Some(address) = registry {
        let id = Registry { address }.model_id_by_digest(client, &model.digest)?;
        if id != 0 {
            return Err(StarknetError::InvalidArgument {
                what: "registry".into(),
                reason: format!(
                    "program {} is already registered there as model {id}",
                    runtime::ProgramDigest(model.digest)
                ),
            });
        }
    }
    let declared = client.declare(&model.class, "model class")?;
    let deployed = client.deploy(declared.class_hash, vec![], salt, "model contract")?;
    let (registry, registry_deploy) = match registry {
        Some(address) => (Registry { address }, None),
        None => {
            let (r, _, d) = Registry::deploy(client, salt)?;
            (r, Some(d))
        }
    };
    let (model_id, register) =
        registry.register_model(client, &model.digest, model.commitment, deployed.address)?;
    Ok(Deployment {
        model_address: deployed.address,
        model_class: declared,
        model_deploy: deployed.tx,
        registry_address: registry.address,
        registry_deploy,
        model_id,
        register,
        weights_commitment: model.commitment,
        program_digest: runtime::ProgramDigest(model.digest).to_string(),
        sierra_felts: model.class.sierra_felts,
        casm_felts: model.class.casm_felts,
    })
}

/// Calls `predict` on a model contract with quantised inputs (all inputs concatenated) and
/// returns the outputs (all concatenated) as signed integers.
///
/// # Errors
/// [`StarknetError::Rpc`] with the contract's message (e.g. 'starkml: input needs 64
/// felts'), [`StarknetError::FeltOutOfRange`] for a malformed answer.
pub fn predict(client: &Client, address: Felt, input: &[i64]) -> Result<Vec<i64>, StarknetError> {
    let r = client.call(address, "predict", array_calldata(input))?;
    decode_array(&r, "predict")
}

/// Invokes `predict_and_record`: the prediction is recorded by a `Prediction` event.
///
/// # Errors
/// As [`Client::invoke`].
pub fn predict_and_record(
    client: &Client,
    address: Felt,
    input: &[i64],
) -> Result<TxReport, StarknetError> {
    client.invoke(address, "predict_and_record", array_calldata(input))
}

/// Calldata of one `Array<felt252>` argument.
pub fn array_calldata(values: &[i64]) -> Vec<Felt> {
    let mut c = Vec::with_capacity(values.len() + 1);
    c.push(Felt::from(values.len() as u64));
    c.extend(encode_all(values));
    c
}

/// The elements of a returned `Array<felt252>` (its length prefix checked).
///
/// # Errors
/// [`StarknetError::BadResult`] naming `entry_point` when the prefix is wrong.
pub fn array_result<'a>(r: &'a [Felt], entry_point: &str) -> Result<&'a [Felt], StarknetError> {
    let bad = |reason: String| StarknetError::BadResult { entry_point: entry_point.into(), reason };
    let (len, rest) = r.split_first().ok_or_else(|| bad("empty result".into()))?;
    let n = u64::try_from(*len).map_err(|_| bad(format!("length {len:#x}")))?;
    if n != rest.len() as u64 {
        return Err(bad(format!("length prefix {n} but {} values", rest.len())));
    }
    Ok(rest)
}

/// Decodes a returned `Array<felt252>` of signed integers.
///
/// # Errors
/// [`StarknetError::BadResult`] when the length prefix is wrong,
/// [`StarknetError::FeltOutOfRange`] for a value outside `i64`.
pub fn decode_array(r: &[Felt], entry_point: &str) -> Result<Vec<i64>, StarknetError> {
    decode_all(array_result(r, entry_point)?, "output")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_calldata_round_trips() {
        let v = vec![3, -1, 0, i64::MIN, 1 << 40];
        let c = array_calldata(&v);
        assert_eq!(c[0], Felt::from(5u8));
        assert_eq!(decode_array(&c, "predict").ok(), Some(v));
        let e = decode_array(&c[..3], "predict").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("length prefix 5 but 2 values"), "{e}");
        assert!(decode_array(&[], "predict").is_err());
    }
}
