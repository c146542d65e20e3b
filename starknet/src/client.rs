//! A blocking Starknet client for model contracts: declare, deploy through the Universal
//! Deployer, invoke, call, and wait for receipts with fees and gas.
//!
//! Built on `starknet-rust` (JSON-RPC 0.10); every method blocks on an internal
//! single-threaded Tokio runtime, so callers need no async code.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use starknet_rust::accounts::{Account, AccountError, ExecutionEncoding, SingleOwnerAccount};
use starknet_rust::contract::{ContractFactory, UdcSelector};
use starknet_rust::core::types::{
    BlockId, BlockTag, Call, ContractExecutionError, Event, ExecutionResult, Felt, FunctionCall,
    StarknetError as RpcError, TransactionReceipt,
};
use starknet_rust::core::utils::get_selector_from_name;
use starknet_rust::providers::jsonrpc::{HttpTransport, JsonRpcClient};
use starknet_rust::providers::{Provider, ProviderError};
use starknet_rust::signers::{LocalWallet, SigningKey};
use url::Url;

use crate::class::ClassArtifacts;
use crate::error::StarknetError;

type Rpc = Arc<JsonRpcClient<HttpTransport>>;
type Signer = SingleOwnerAccount<Rpc, LocalWallet>;

/// How long to wait for a transaction receipt.
const RECEIPT_TIMEOUT: Duration = Duration::from_secs(180);

/// An account that signs transactions: its address and private key.
#[derive(Clone, PartialEq, Eq)]
pub struct AccountKey {
    /// Account contract address.
    pub address: Felt,
    /// Stark private key.
    pub private_key: Felt,
}

impl std::fmt::Debug for AccountKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AccountKey {{ address: {:#x}, private_key: <redacted> }}", self.address)
    }
}

/// Parses a hex (`0x...`) or decimal felt; `what` names it in errors.
///
/// # Errors
/// [`StarknetError::InvalidArgument`].
pub fn parse_felt(s: &str, what: &str) -> Result<Felt, StarknetError> {
    let s = s.trim();
    // Values at or above the field prime would be reduced silently: compare the round trip.
    let canonical = |digits: &str| {
        let t = digits.trim_start_matches('0').to_ascii_lowercase();
        if t.is_empty() {
            "0".to_string()
        } else {
            t
        }
    };
    let parsed = if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        if hex.is_empty() || hex.len() > 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            None
        } else {
            Felt::from_hex(s).ok().filter(|f| format!("{f:x}") == canonical(hex))
        }
    } else if s.is_empty() || s.len() > 78 || !s.bytes().all(|b| b.is_ascii_digit()) {
        None
    } else {
        Felt::from_dec_str(s).ok().filter(|f| f.to_string() == canonical(s))
    };
    parsed.ok_or_else(|| StarknetError::InvalidArgument {
        what: what.to_string(),
        reason: format!("'{s}' is not a felt (0x-prefixed hex or decimal below the field prime)"),
    })
}

/// What a transaction cost and emitted.
#[derive(Debug, Clone, Serialize)]
pub struct TxReport {
    /// Transaction hash.
    #[serde(serialize_with = "crate::felt::serialize_hex")]
    pub tx_hash: Felt,
    /// Fee actually charged, in the smallest unit of `fee_unit`.
    pub fee: String,
    /// `FRI` (STRK) or `WEI` (ETH).
    pub fee_unit: String,
    /// L1 gas consumed.
    pub l1_gas: u64,
    /// L1 data gas consumed.
    pub l1_data_gas: u64,
    /// L2 gas consumed.
    pub l2_gas: u64,
    /// Events emitted.
    #[serde(skip)]
    pub events: Vec<Event>,
}

/// Result of a declare.
#[derive(Debug, Clone, Serialize)]
pub struct Declared {
    /// Class hash.
    #[serde(serialize_with = "crate::felt::serialize_hex")]
    pub class_hash: Felt,
    /// The declare transaction, or `None` when the class was declared already.
    pub tx: Option<TxReport>,
}

/// Result of a deployment.
#[derive(Debug, Clone, Serialize)]
pub struct Deployed {
    /// Address of the new contract.
    #[serde(serialize_with = "crate::felt::serialize_hex")]
    pub address: Felt,
    /// The deploy transaction (through the Universal Deployer).
    pub tx: TxReport,
}

/// Readable text of a node error, with the revert reason of failed contract code.
pub fn describe(e: &ProviderError) -> String {
    fn flatten(e: &ContractExecutionError, out: &mut String) {
        match e {
            ContractExecutionError::Message(m) => out.push_str(m),
            ContractExecutionError::Nested(inner) => flatten(&inner.error, out),
        }
    }
    let mut out = String::new();
    match e {
        ProviderError::StarknetError(RpcError::ContractError(d)) => {
            flatten(&d.revert_error, &mut out)
        }
        ProviderError::StarknetError(RpcError::TransactionExecutionError(d)) => {
            flatten(&d.execution_error, &mut out)
        }
        other => out.push_str(&other.to_string()),
    }
    with_short_strings(&out)
}

/// Appends the text of every hex felt in `msg` that is a printable Cairo short string
/// (panic messages arrive hex-encoded): `["0x6f6f7073"]` becomes `["0x6f6f7073"] ('oops')`.
pub fn with_short_strings(msg: &str) -> String {
    let mut texts = Vec::new();
    for token in msg.split(|c: char| !c.is_ascii_alphanumeric()) {
        let Some(hex) = token.strip_prefix("0x") else { continue };
        if hex.len() < 2 || hex.len() > 62 || hex.len() % 2 == 1 {
            continue;
        }
        let bytes: Option<Vec<u8>> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
            .collect();
        if let Some(b) = bytes {
            if b.iter().all(|c| c.is_ascii_graphic() || *c == b' ') {
                texts.push(format!("'{}'", String::from_utf8_lossy(&b)));
            }
        }
    }
    if texts.is_empty() {
        msg.to_string()
    } else {
        format!("{msg} ({})", texts.join(", "))
    }
}

fn account_err<S: std::fmt::Display>(action: &str, e: AccountError<S>) -> StarknetError {
    let reason = match &e {
        AccountError::Provider(p) => describe(p),
        other => other.to_string(),
    };
    StarknetError::Rpc { action: action.to_string(), reason }
}

/// A connection to a Starknet node, optionally with an account for transactions.
pub struct Client {
    rt: tokio::runtime::Runtime,
    provider: Rpc,
    url: Url,
    account: Option<Signer>,
}

impl Client {
    /// Connects to the JSON-RPC endpoint at `rpc` (checking that it answers).
    ///
    /// # Errors
    /// [`StarknetError::InvalidArgument`] for a malformed URL, [`StarknetError::Rpc`] when
    /// the node does not answer.
    pub fn connect(rpc: &str) -> Result<Client, StarknetError> {
        let url = Url::parse(rpc).map_err(|e| StarknetError::InvalidArgument {
            what: "RPC URL".into(),
            reason: format!("'{rpc}': {e}"),
        })?;
        let rt =
            tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| {
                StarknetError::Rpc { action: "start the runtime".into(), reason: e.to_string() }
            })?;
        let provider = Arc::new(JsonRpcClient::new(HttpTransport::new(url.clone())));
        let client = Client { rt, provider, url, account: None };
        client.chain_id()?;
        Ok(client)
    }

    /// Uses `key` to sign transactions.
    ///
    /// # Errors
    /// [`StarknetError::Rpc`] when the chain id cannot be read.
    pub fn with_account(mut self, key: &AccountKey) -> Result<Client, StarknetError> {
        let chain_id = self.chain_id()?;
        let signer = LocalWallet::from(SigningKey::from_secret_scalar(key.private_key));
        let mut account = SingleOwnerAccount::new(
            self.provider.clone(),
            signer,
            key.address,
            chain_id,
            ExecutionEncoding::New,
        );
        account.set_block_id(BlockId::Tag(BlockTag::PreConfirmed));
        self.account = Some(account);
        Ok(self)
    }

    /// The node's chain id.
    ///
    /// # Errors
    /// [`StarknetError::Rpc`].
    pub fn chain_id(&self) -> Result<Felt, StarknetError> {
        self.rt.block_on(self.provider.chain_id()).map_err(|e| StarknetError::Rpc {
            action: format!("connect to {}", self.url),
            reason: describe(&e),
        })
    }

    /// The first predeployed account of a starknet-devnet node
    /// (`devnet_getPredeployedAccounts`).
    ///
    /// # Errors
    /// [`StarknetError::Rpc`] when the node is not a devnet or answers malformed JSON.
    pub fn devnet_account(&self) -> Result<AccountKey, StarknetError> {
        let err = |reason: String| StarknetError::Rpc {
            action: "devnet_getPredeployedAccounts (no --account given; is this a devnet?)".into(),
            reason,
        };
        let body = serde_json::json!({
            "jsonrpc": "2.0", "id": 1, "method": "devnet_getPredeployedAccounts", "params": {}
        });
        let reply: serde_json::Value = self
            .rt
            .block_on(async {
                let resp = reqwest::Client::new()
                    .post(self.url.clone())
                    .header("content-type", "application/json")
                    .body(body.to_string())
                    .send()
                    .await?;
                resp.text().await
            })
            .map_err(|e| err(e.to_string()))
            .and_then(|t| serde_json::from_str(&t).map_err(|e| err(e.to_string())))?;
        let first = reply.get("result").and_then(|r| r.get(0)).ok_or_else(|| {
            err(format!("no accounts in the reply: {}", reply.get("error").unwrap_or(&reply)))
        })?;
        let field = |name: &str| {
            first
                .get(name)
                .and_then(|v| v.as_str())
                .ok_or_else(|| err(format!("account without '{name}'")))
                .and_then(|s| parse_felt(s, name))
        };
        Ok(AccountKey { address: field("address")?, private_key: field("private_key")? })
    }

    fn signer(&self) -> Result<&Signer, StarknetError> {
        self.account.as_ref().ok_or_else(|| StarknetError::InvalidArgument {
            what: "account".into(),
            reason: "this operation sends a transaction and needs an account".into(),
        })
    }

    /// Address of the signing account, if any.
    pub fn account_address(&self) -> Option<Felt> {
        self.account.as_ref().map(|a| a.address())
    }

    /// Declares a class unless the node knows it already.
    ///
    /// # Errors
    /// [`StarknetError::Rpc`] / [`StarknetError::Reverted`].
    pub fn declare(&self, class: &ClassArtifacts, what: &str) -> Result<Declared, StarknetError> {
        let known = self
            .rt
            .block_on(self.provider.get_class(BlockId::Tag(BlockTag::Latest), class.class_hash));
        if known.is_ok() {
            return Ok(Declared { class_hash: class.class_hash, tx: None });
        }
        let account = self.signer()?;
        let action = format!("declare {what}");
        let sent = self
            .rt
            .block_on(
                account
                    .declare_v3(Arc::new(class.sierra.clone()), class.compiled_class_hash)
                    .send(),
            )
            .map_err(|e| account_err(&action, e))?;
        let tx = self.wait(sent.transaction_hash, &action)?;
        Ok(Declared { class_hash: sent.class_hash, tx: Some(tx) })
    }

    /// Deploys an instance of `class_hash` through the Universal Deployer Contract.
    ///
    /// # Errors
    /// [`StarknetError::Rpc`] / [`StarknetError::Reverted`].
    pub fn deploy(
        &self,
        class_hash: Felt,
        constructor_calldata: Vec<Felt>,
        salt: Felt,
        what: &str,
    ) -> Result<Deployed, StarknetError> {
        let account = self.signer()?;
        let factory = ContractFactory::new_with_udc(class_hash, account, UdcSelector::New);
        let deployment = factory.deploy_v3(constructor_calldata, salt, false);
        let address = deployment.deployed_address();
        let action = format!("deploy {what}");
        let sent = self.rt.block_on(deployment.send()).map_err(|e| account_err(&action, e))?;
        let tx = self.wait(sent.transaction_hash, &action)?;
        Ok(Deployed { address, tx })
    }

    /// Sends one invoke transaction calling `entry_point` of `address` and waits for its
    /// receipt.
    ///
    /// # Errors
    /// [`StarknetError::Rpc`] when the node refuses it (fee estimation runs the call, so a
    /// panicking contract is reported here with its message), [`StarknetError::Reverted`].
    pub fn invoke(
        &self,
        address: Felt,
        entry_point: &str,
        calldata: Vec<Felt>,
    ) -> Result<TxReport, StarknetError> {
        let account = self.signer()?;
        let call = Call { to: address, selector: selector(entry_point)?, calldata };
        let action = format!("invoke {entry_point}");
        let sent = self
            .rt
            .block_on(account.execute_v3(vec![call]).send())
            .map_err(|e| account_err(&action, e))?;
        self.wait(sent.transaction_hash, &action)
    }

    /// Calls a view entry point at the latest block.
    ///
    /// # Errors
    /// [`StarknetError::Rpc`] with the contract's panic message when the call fails.
    pub fn call(
        &self,
        address: Felt,
        entry_point: &str,
        calldata: Vec<Felt>,
    ) -> Result<Vec<Felt>, StarknetError> {
        let request = FunctionCall {
            contract_address: address,
            entry_point_selector: selector(entry_point)?,
            calldata,
        };
        self.rt.block_on(self.provider.call(request, BlockId::Tag(BlockTag::Latest))).map_err(|e| {
            StarknetError::Rpc {
                action: format!("call {entry_point} on {address:#x}"),
                reason: describe(&e),
            }
        })
    }

    /// Polls for the receipt of `tx_hash`; checks that it succeeded.
    fn wait(&self, tx_hash: Felt, action: &str) -> Result<TxReport, StarknetError> {
        let start = Instant::now();
        let receipt = loop {
            match self.rt.block_on(self.provider.get_transaction_receipt(tx_hash)) {
                Ok(r) => break r.receipt,
                Err(ProviderError::StarknetError(RpcError::TransactionHashNotFound)) => {
                    if start.elapsed() > RECEIPT_TIMEOUT {
                        return Err(StarknetError::Rpc {
                            action: action.to_string(),
                            reason: format!(
                                "no receipt for {tx_hash:#x} after {} s",
                                RECEIPT_TIMEOUT.as_secs()
                            ),
                        });
                    }
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(e) => {
                    return Err(StarknetError::Rpc {
                        action: format!("{action}: read receipt"),
                        reason: describe(&e),
                    })
                }
            }
        };
        if let ExecutionResult::Reverted { reason } = receipt.execution_result() {
            return Err(StarknetError::Reverted {
                action: action.to_string(),
                reason: reason.clone(),
            });
        }
        let (fee, resources) = match &receipt {
            TransactionReceipt::Invoke(r) => (&r.actual_fee, &r.execution_resources),
            TransactionReceipt::Declare(r) => (&r.actual_fee, &r.execution_resources),
            TransactionReceipt::DeployAccount(r) => (&r.actual_fee, &r.execution_resources),
            TransactionReceipt::Deploy(r) => (&r.actual_fee, &r.execution_resources),
            TransactionReceipt::L1Handler(r) => (&r.actual_fee, &r.execution_resources),
        };
        Ok(TxReport {
            tx_hash,
            fee: fee.amount.to_string(),
            fee_unit: format!("{:?}", fee.unit).to_uppercase(),
            l1_gas: resources.l1_gas,
            l1_data_gas: resources.l1_data_gas,
            l2_gas: resources.l2_gas,
            events: receipt.events().to_vec(),
        })
    }
}

/// The selector of an entry point name.
///
/// # Errors
/// [`StarknetError::InvalidArgument`] for a non-ASCII name.
pub fn selector(entry_point: &str) -> Result<Felt, StarknetError> {
    get_selector_from_name(entry_point).map_err(|e| StarknetError::InvalidArgument {
        what: "entry point".into(),
        reason: format!("'{entry_point}': {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn felts_parse_from_hex_and_decimal_only() {
        assert_eq!(parse_felt("0x10", "x").ok(), Some(Felt::from(16u8)));
        assert_eq!(parse_felt("42", "x").ok(), Some(Felt::from(42u8)));
        let p_hex = "0x800000000000011000000000000000000000000000000000000000000000001";
        for bad in ["", "0x", "0xg1", "-3", "1e5", p_hex, &format!("0x{}", "f".repeat(65))] {
            let e = parse_felt(bad, "--address").err().map(|e| e.to_string()).unwrap_or_default();
            assert!(e.contains("--address"), "{bad}: {e}");
        }
    }

    #[test]
    fn panic_messages_are_decoded() {
        let m = with_short_strings(r#"["0x737461726b6d6c3a206f6f7073"]"#);
        assert!(m.ends_with("('starkml: oops')"), "{m}");
        assert_eq!(with_short_strings("0x00ff plain"), "0x00ff plain");
    }

    #[test]
    fn connecting_to_nothing_is_a_clear_error() {
        let e = Client::connect("not a url").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("RPC URL"), "{e}");
        // A closed local port: the error names the URL.
        let e =
            Client::connect("http://127.0.0.1:9/").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.contains("127.0.0.1:9"), "{e}");
    }
}
