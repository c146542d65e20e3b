//! Proof option presets and hash choices.

use winterfell::{BatchingMethod, FieldExtension, ProofOptions};

/// A named set of proof options. Security figures are Winterfell's estimates for
/// Goldilocks with the given extension: conjectured (the usual headline number) and proven
/// (list-decoding regime).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preset {
    /// Default: quadratic extension, blowup 8, 27 queries, 16 grinding bits (~96 bits).
    Bits96,
    /// Faster proving: blowup 4, 40 queries, 16 grinding bits (~95 bits, larger proofs).
    Fast,
    /// Cubic extension, blowup 8, 38 queries, 16 grinding bits (~128 bits).
    Bits128,
}

impl Preset {
    /// All presets.
    pub const ALL: [Preset; 3] = [Preset::Bits96, Preset::Fast, Preset::Bits128];

    /// The Winterfell options.
    pub fn options(self) -> ProofOptions {
        let (queries, blowup, ext) = match self {
            Preset::Bits96 => (27, 8, FieldExtension::Quadratic),
            Preset::Fast => (40, 4, FieldExtension::Quadratic),
            Preset::Bits128 => (38, 8, FieldExtension::Cubic),
        };
        ProofOptions::new(
            queries,
            blowup,
            16,
            ext,
            8,
            255,
            BatchingMethod::Linear,
            BatchingMethod::Linear,
        )
    }

    /// Name used on the command line and in proof files.
    pub fn name(self) -> &'static str {
        match self {
            Preset::Bits96 => "96",
            Preset::Fast => "fast",
            Preset::Bits128 => "128",
        }
    }

    /// The preset called `name`.
    pub fn parse(name: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|p| p.name() == name)
    }

    pub(crate) fn id(self) -> u8 {
        match self {
            Preset::Bits96 => 0,
            Preset::Fast => 1,
            Preset::Bits128 => 2,
        }
    }

    pub(crate) fn from_id(id: u8) -> Option<Preset> {
        Preset::ALL.into_iter().find(|p| p.id() == id)
    }
}

/// The hash function of the commitments and the Fiat-Shamir transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashKind {
    /// BLAKE3-256: the fastest.
    Blake3,
    /// BLAKE2s-256: cheap to verify in Cairo (for on-chain verification later).
    Blake2s,
}

impl HashKind {
    /// Name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            HashKind::Blake3 => "blake3",
            HashKind::Blake2s => "blake2s",
        }
    }

    /// The hash called `name`.
    pub fn parse(name: &str) -> Option<HashKind> {
        [HashKind::Blake3, HashKind::Blake2s].into_iter().find(|h| h.name() == name)
    }

    pub(crate) fn id(self) -> u8 {
        match self {
            HashKind::Blake3 => 0,
            HashKind::Blake2s => 1,
        }
    }

    pub(crate) fn from_id(id: u8) -> Option<HashKind> {
        [HashKind::Blake3, HashKind::Blake2s].into_iter().find(|h| h.id() == id)
    }
}
