//! Contract classes: Sierra JSON from the Cairo compiler, CASM for declaring, class hashes.
//!
//! CASM is compiled here with `cairo-lang-starknet-classes` 2.19.4, the Sierra->CASM compiler
//! of starknet-devnet 0.10.1 (the node recompiles every declared class and rejects the
//! declare when the compiled-class hash differs), and hashed with Blake2s as Starknet >=
//! 0.14.1 requires.

use cairo_lang_starknet_classes::casm_contract_class::CasmContractClass;
use cairo_lang_starknet_classes::contract_class::ContractClass;
use starknet_rust::core::crypto::HashFunction;
use starknet_rust::core::types::contract::{CompiledClass, SierraClass};
use starknet_rust::core::types::{Felt, FlattenedSierraClass};

use crate::error::StarknetError;

/// Largest Sierra program and CASM bytecode Starknet accepts, in felts.
pub const MAX_PROGRAM_FELTS: usize = 81_920;

/// A contract class ready to declare.
#[derive(Debug, Clone)]
pub struct ClassArtifacts {
    /// The class as declared (ABI flattened to a string).
    pub sierra: FlattenedSierraClass,
    /// The compiled class.
    pub casm: CompiledClass,
    /// Class hash of the Sierra class.
    pub class_hash: Felt,
    /// Blake2s compiled-class hash of the CASM (what declares must carry).
    pub compiled_class_hash: Felt,
    /// Sierra program length in felts.
    pub sierra_felts: usize,
    /// CASM bytecode length in felts.
    pub casm_felts: usize,
}

fn class_err(what: &str, e: impl std::fmt::Display) -> StarknetError {
    StarknetError::Class(format!("{what}: {e}"))
}

fn check_size(what: &str, size: usize) -> Result<(), StarknetError> {
    if size > MAX_PROGRAM_FELTS {
        return Err(StarknetError::TooLarge {
            what: what.into(),
            size: size as u64,
            limit: MAX_PROGRAM_FELTS as u64,
        });
    }
    Ok(())
}

impl ClassArtifacts {
    /// Parses a contract class (the Cairo compiler's Sierra JSON), compiles its CASM and
    /// computes both hashes.
    ///
    /// # Errors
    /// [`StarknetError::Class`] for malformed JSON, a class the Sierra->CASM compiler refuses,
    /// or a program beyond [`MAX_PROGRAM_FELTS`] (naming the size and the limit).
    pub fn from_sierra_json(json: &str) -> Result<ClassArtifacts, StarknetError> {
        let class: ContractClass =
            serde_json::from_str(json).map_err(|e| class_err("malformed contract class", e))?;
        let sierra_felts = class.sierra_program.len();
        check_size("the Sierra program in felts", sierra_felts)?;
        let program = class
            .extract_sierra_program(false)
            .map_err(|e| class_err("cannot decode the Sierra program", e))?;
        let casm = CasmContractClass::from_contract_class(class, program, false, usize::MAX)
            .map_err(|e| class_err("Sierra->CASM compilation failed", e))?;
        let casm_felts = casm.bytecode.len();
        check_size("the CASM bytecode in felts", casm_felts)?;
        let casm_json = serde_json::to_string(&casm).map_err(|e| class_err("CASM", e))?;
        let casm: CompiledClass =
            serde_json::from_str(&casm_json).map_err(|e| class_err("CASM", e))?;
        let compiled_class_hash = casm
            .class_hash_with_hash_function(HashFunction::blake2s())
            .map_err(|e| class_err("compiled-class hash", e))?;
        let sierra: SierraClass =
            serde_json::from_str(json).map_err(|e| class_err("malformed contract class", e))?;
        let sierra = sierra.flatten().map_err(|e| class_err("ABI", e))?;
        let class_hash = sierra.class_hash();
        Ok(ClassArtifacts {
            sierra,
            casm,
            class_hash,
            compiled_class_hash,
            sierra_felts,
            casm_felts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_classes_are_errors() {
        for bad in ["", "{}", "[1,2]", r#"{"sierra_program": ["0xzz"]}"#] {
            let err = ClassArtifacts::from_sierra_json(bad).err().map(|e| e.to_string());
            assert!(err.is_some_and(|e| e.contains("contract class")), "{bad}");
        }
    }

    #[test]
    fn the_committed_registry_class_compiles_to_casm() {
        let a = ClassArtifacts::from_sierra_json(crate::registry::REGISTRY_CLASS_JSON)
            .expect("registry class");
        assert!(a.casm_felts > 0 && a.casm_felts <= MAX_PROGRAM_FELTS);
        assert!(a.sierra.abi.contains("record_inference"));
        // A flipped felt in the program changes the class hash.
        let mut v: serde_json::Value =
            serde_json::from_str(crate::registry::REGISTRY_CLASS_JSON).expect("json");
        v["sierra_program"][10] = serde_json::Value::String("0x1234".into());
        // Either the program no longer decodes or it is another class: never the same hash.
        match ClassArtifacts::from_sierra_json(&v.to_string()) {
            Ok(t) => assert_ne!(t.class_hash, a.class_hash),
            Err(e) => assert!(e.to_string().contains("contract class"), "{e}"),
        }
    }
}
