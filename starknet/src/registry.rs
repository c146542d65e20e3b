//! The model registry contract (`contracts/registry`): typed calls and the committed class.

use serde::Serialize;
use starknet_rust::core::types::Felt;

use crate::class::ClassArtifacts;
use crate::client::{selector, Client, Declared, Deployed, TxReport};
use crate::error::StarknetError;
use crate::felt::{digest_to_u256, u256_to_digest};

/// The registry's compiled class (Sierra JSON), built from `contracts/registry` by the Cairo
/// compiler tool; `scripts/check-registry-class.sh` (run by CI) recompiles and compares it.
pub const REGISTRY_CLASS_JSON: &str = include_str!("../contracts/registry.contract_class.json");

/// A registered model as stored by the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelInfo {
    /// Blake3 digest of the program file, hex.
    pub program_digest: String,
    /// Poseidon weights commitment, hex.
    pub weights_commitment: String,
    /// Model contract (`0x0` when none).
    pub model_contract: String,
    /// Who registered it.
    pub owner: String,
}

/// A recorded inference as stored by the registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InferenceRecord {
    /// Registry id of the model.
    pub model_id: u64,
    /// Poseidon hash of the input felts, hex.
    pub input_hash: String,
    /// Blake3 hash of the proof file, hex.
    pub proof_hash: String,
    /// Account that recorded it, hex.
    pub submitter: String,
    /// Block of the record.
    pub block_number: u64,
    /// Output felts decoded as signed integers.
    pub output: Vec<i64>,
}

fn bad(entry_point: &str, reason: impl Into<String>) -> StarknetError {
    StarknetError::BadResult { entry_point: entry_point.to_string(), reason: reason.into() }
}

fn small(f: Felt, entry_point: &str, what: &str) -> Result<u64, StarknetError> {
    u64::try_from(f).map_err(|_| bad(entry_point, format!("{what} {f:#x} is not a u64")))
}

fn hex32(d: &[u8; 32]) -> String {
    format!("0x{}", runtime::ProgramDigest(*d))
}

/// Key `index` (0 is the selector) of the first event named `event` emitted by `from`.
fn event_key(tx: &TxReport, from: Felt, event: &str, index: usize) -> Result<Felt, StarknetError> {
    let sel = selector(event)?;
    tx.events
        .iter()
        .find(|e| e.from_address == from && e.keys.first() == Some(&sel))
        .and_then(|e| e.keys.get(index).copied())
        .ok_or_else(|| bad(event, "the transaction did not emit the event"))
}

/// A deployed registry.
#[derive(Debug, Clone, Copy)]
pub struct Registry {
    /// Contract address.
    pub address: Felt,
}

impl Registry {
    /// Declares the committed registry class (unless known) and deploys an instance.
    ///
    /// # Errors
    /// As [`Client::declare`] and [`Client::deploy`].
    pub fn deploy(
        client: &Client,
        salt: Felt,
    ) -> Result<(Registry, Declared, Deployed), StarknetError> {
        let class = ClassArtifacts::from_sierra_json(REGISTRY_CLASS_JSON)?;
        let declared = client.declare(&class, "registry class")?;
        let deployed = client.deploy(declared.class_hash, vec![], salt, "registry")?;
        Ok((Registry { address: deployed.address }, declared, deployed))
    }

    /// Registers a model; returns its id and the transaction. The registry checks the digest
    /// and commitment against `model_contract` when it is not zero.
    ///
    /// # Errors
    /// [`StarknetError::Rpc`] with the registry's message (e.g. 'registry: already
    /// registered', 'registry: digest mismatch').
    pub fn register_model(
        &self,
        client: &Client,
        digest: &[u8; 32],
        commitment: Felt,
        model_contract: Felt,
    ) -> Result<(u64, TxReport), StarknetError> {
        let [lo, hi] = digest_to_u256(digest);
        let tx = client.invoke(
            self.address,
            "register_model",
            vec![lo, hi, commitment, model_contract],
        )?;
        let id = small(
            event_key(&tx, self.address, "ModelRegistered", 1)?,
            "register_model",
            "model id",
        )?;
        Ok((id, tx))
    }

    /// The id of the model with this program digest (0 when not registered).
    ///
    /// # Errors
    /// [`StarknetError::Rpc`], [`StarknetError::BadResult`].
    pub fn model_id_by_digest(
        &self,
        client: &Client,
        digest: &[u8; 32],
    ) -> Result<u64, StarknetError> {
        let ep = "model_id_by_digest";
        let r = client.call(self.address, ep, digest_to_u256(digest).to_vec())?;
        match r.as_slice() {
            [id] => small(*id, ep, "model id"),
            _ => Err(bad(ep, format!("{} felts instead of 1", r.len()))),
        }
    }

    /// The registered model `id`.
    ///
    /// # Errors
    /// [`StarknetError::Rpc`] ('registry: unknown model'), [`StarknetError::BadResult`].
    pub fn model(&self, client: &Client, id: u64) -> Result<ModelInfo, StarknetError> {
        let ep = "model";
        let r = client.call(self.address, ep, vec![Felt::from(id)])?;
        let [lo, hi, commitment, contract, owner] = r.as_slice() else {
            return Err(bad(ep, format!("{} felts instead of 5", r.len())));
        };
        Ok(ModelInfo {
            program_digest: hex32(&u256_to_digest(*lo, *hi, "program_digest")?),
            weights_commitment: format!("{commitment:#x}"),
            model_contract: format!("{contract:#x}"),
            owner: format!("{owner:#x}"),
        })
    }

    /// Records an inference; returns its id and the transaction.
    ///
    /// # Errors
    /// [`StarknetError::Rpc`] with the registry's message ('registry: unknown model',
    /// 'registry: output too long').
    pub fn record_inference(
        &self,
        client: &Client,
        model_id: u64,
        input_hash: Felt,
        output: &[Felt],
        proof_hash: &[u8; 32],
    ) -> Result<(u64, TxReport), StarknetError> {
        let mut calldata = vec![Felt::from(model_id), input_hash, Felt::from(output.len() as u64)];
        calldata.extend_from_slice(output);
        calldata.extend(digest_to_u256(proof_hash));
        let tx = client.invoke(self.address, "record_inference", calldata)?;
        // Keys are [selector, model_id, inference_id].
        let id = event_key(&tx, self.address, "InferenceRecorded", 2)?;
        Ok((small(id, "record_inference", "inference id")?, tx))
    }

    /// The recorded inference `id`.
    ///
    /// # Errors
    /// [`StarknetError::Rpc`] ('registry: unknown inference'), [`StarknetError::BadResult`].
    pub fn inference(&self, client: &Client, id: u64) -> Result<InferenceRecord, StarknetError> {
        let ep = "inference";
        let r = client.call(self.address, ep, vec![Felt::from(id)])?;
        // head: model_id, input_hash, proof_hash.low, proof_hash.high, submitter, block,
        // output_len; then the output array: length, values.
        if r.len() < 8 {
            return Err(bad(ep, format!("{} felts, expected at least 8", r.len())));
        }
        let n = small(r[7], ep, "output length")? as usize;
        if r.len() != 8 + n || small(r[6], ep, "output_len")? as usize != n {
            return Err(bad(ep, format!("{} felts for an output of {n}", r.len())));
        }
        Ok(InferenceRecord {
            model_id: small(r[0], ep, "model id")?,
            input_hash: format!("{:#x}", r[1]),
            proof_hash: hex32(&u256_to_digest(r[2], r[3], "proof_hash")?),
            submitter: format!("{:#x}", r[4]),
            block_number: small(r[5], ep, "block number")?,
            output: crate::felt::decode_all(&r[8..], "output")?,
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn registry_embeds_the_model_interface_verbatim() {
        let copy = include_str!("../contracts/registry/src/imodel.cairo");
        let body = copy.split_once("\n\n").map_or("", |(_, b)| b);
        assert_eq!(body, crate::codegen::IMODEL_CAIRO);
    }
}
