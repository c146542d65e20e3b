//! Shape checks of an untrusted Winterfell proof, run before `winterfell::verify` sees it.
//!
//! Winterfell 0.13 re-parses parts of a proof while it verifies: the Merkle batch openings of
//! the trace, constraint and FRI-layer queries (`BatchMerkleProof::read_from` pre-allocates
//! the node count the bytes announce), and the out-of-domain frame (which asserts its frame
//! size). It also asserts on counts it takes from the proof (at least one unique query, one
//! query set per trace segment) and our AIR indexes the random elements it is given. A
//! crafted proof could therefore abort or panic the verifier. [`check`] walks every such part
//! and refuses, with an error naming it, any count that the bytes left cannot back and any
//! shape field other than the one this AIR produces.

use winter_utils::{ByteReader, Serializable};
use winterfell::{Proof, ProofOptions};

use crate::layout::{aux, main, MIN_TRACE_LEN};
use crate::reader::CappedReader;
use crate::schedule::MAX_TRACE_LEN;

/// Bytes of one Merkle node (Blake3-256 and BLAKE2s-256 digests alike).
const DIGEST_BYTES: usize = 32;

/// The frame size Winterfell writes for the out-of-domain trace and quotient states.
const OOD_FRAME_SIZE: u8 = 2;

/// Checks the shape fields and every nested count of `proof` against `options`.
///
/// # Errors
/// A message naming the part of the proof at fault.
pub(crate) fn check(proof: &Proof, options: &ProofOptions) -> Result<(), String> {
    let info = proof.trace_info();
    let rands = info.get_num_aux_segment_rand_elements();
    if rands != aux::RANDS {
        return Err(format!("{rands} auxiliary random elements, the AIR draws {}", aux::RANDS));
    }
    let unique = usize::from(proof.num_unique_queries);
    if unique == 0 || unique > options.num_queries() {
        return Err(format!(
            "{unique} unique queries, expected 1 to {} (the preset's query count)",
            options.num_queries()
        ));
    }
    if proof.trace_queries.len() != info.num_segments() {
        return Err(format!(
            "{} trace query sets, the trace has {} segments",
            proof.trace_queries.len(),
            info.num_segments()
        ));
    }
    for (k, q) in proof.trace_queries.iter().enumerate() {
        queries(&q.to_bytes()).map_err(|e| format!("trace segment {k} queries: {e}"))?;
    }
    queries(&proof.constraint_queries.to_bytes())
        .map_err(|e| format!("constraint queries: {e}"))?;
    ood_frame(&proof.ood_frame.to_bytes()).map_err(|e| format!("out-of-domain frame: {e}"))?;
    fri(&proof.fri_proof.to_bytes()).map_err(|e| format!("FRI proof: {e}"))
}

/// Checks the context at the head of serialized proof `bytes` before Winterfell parses it
/// (its parser asserts on the trace info and the options): this AIR's widths and random
/// elements, a trace length the prover can make, a 32-byte digest as metadata, the base
/// field's 8-byte modulus, and exactly the preset's `options`.
///
/// # Errors
/// A message naming the field that differs.
pub(crate) fn check_header(bytes: &[u8], options: &ProofOptions) -> Result<(), String> {
    let mut c = Cursor::new(bytes);
    for (what, want) in [
        ("main trace width", main::WIDTH),
        ("auxiliary trace width", aux::WIDTH),
        ("auxiliary random elements", aux::RANDS),
    ] {
        let got = usize::from(c.u8(what)?);
        if got != want {
            return Err(format!("{got} {what}, the AIR has {want}"));
        }
    }
    let log_len = c.u8("trace length")?;
    let (lo, hi) = (MIN_TRACE_LEN.ilog2(), MAX_TRACE_LEN.ilog2());
    if !(lo..=hi).contains(&u32::from(log_len)) {
        return Err(format!("trace length 2^{log_len}, expected 2^{lo} to 2^{hi}"));
    }
    let meta = c.u16_len("trace metadata length")?;
    if meta != 32 {
        return Err(format!("{meta} bytes of trace metadata, expected the 32-byte digest"));
    }
    c.slice(meta, "trace metadata")?;
    let modulus = c.u8("field modulus length")?;
    if modulus != 8 {
        return Err(format!("a {modulus}-byte field modulus, expected 8"));
    }
    c.slice(8, "field modulus")?;
    let want = options.to_bytes();
    if c.slice(want.len(), "options")? != want.as_slice() {
        return Err("the proof options differ from the preset the file names".into());
    }
    Ok(())
}

/// [`CappedReader`] with errors that name the field read.
struct Cursor<'a>(CappedReader<'a>);

impl<'a> Cursor<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Cursor(CappedReader::new(bytes))
    }

    /// Requires `count` items of at least `item_bytes` bytes each to fit in the bytes left.
    fn backed(&self, count: usize, item_bytes: usize, what: &str) -> Result<(), String> {
        let left = self.0.remaining();
        match count.checked_mul(item_bytes) {
            Some(need) if need <= left => Ok(()),
            _ => Err(format!("{what}: {count} items announced, {left} bytes left")),
        }
    }

    fn slice(&mut self, len: usize, what: &str) -> Result<&'a [u8], String> {
        self.backed(len, 1, what)?;
        self.0.take(len).map_err(|e| format!("{what}: {e}"))
    }

    fn u8(&mut self, what: &str) -> Result<u8, String> {
        self.0.read_u8().map_err(|e| format!("{what}: {e}"))
    }

    fn u16_len(&mut self, what: &str) -> Result<usize, String> {
        self.0.read_u16().map(usize::from).map_err(|e| format!("{what}: {e}"))
    }

    fn u32_len(&mut self, what: &str) -> Result<usize, String> {
        let n = self.0.read_u32().map_err(|e| format!("{what}: {e}"))?;
        usize::try_from(n).map_err(|_| format!("{what}: length {n}"))
    }

    /// Winterfell's variable-length `usize`.
    fn usize(&mut self, what: &str) -> Result<usize, String> {
        self.0.read_usize().map_err(|e| format!("{what}: {e}"))
    }
}

/// A serialized `Queries`: `values` then `opening_proof`, each a length-prefixed byte vector.
fn queries(bytes: &[u8]) -> Result<(), String> {
    let mut c = Cursor::new(bytes);
    let n = c.usize("values length")?;
    c.slice(n, "values")?;
    let n = c.usize("opening proof length")?;
    merkle_batch(c.slice(n, "opening proof")?)
}

/// A serialized `BatchMerkleProof`: depth (u8), the number of node vectors, then each vector
/// as a length-prefixed list of digests.
fn merkle_batch(bytes: &[u8]) -> Result<(), String> {
    let mut c = Cursor::new(bytes);
    let depth = c.u8("Merkle depth")?;
    if depth >= 64 {
        return Err(format!("Merkle depth {depth}"));
    }
    let vectors = c.usize("Merkle node vector count")?;
    c.backed(vectors, 1, "Merkle node vectors")?;
    for k in 0..vectors {
        let nodes = c.usize("Merkle node count")?;
        let what = format!("Merkle node vector {k}");
        c.backed(nodes, DIGEST_BYTES, &what)?;
        c.slice(nodes * DIGEST_BYTES, &what)?;
    }
    Ok(())
}

/// A serialized `OodFrame`: trace states then quotient states, each a u16-length byte vector
/// that starts with the frame size.
fn ood_frame(bytes: &[u8]) -> Result<(), String> {
    let mut c = Cursor::new(bytes);
    for part in ["trace states", "quotient states"] {
        let n = c.u16_len(part)?;
        let states = c.slice(n, part)?;
        match states.first() {
            Some(&OOD_FRAME_SIZE) => {}
            Some(&other) => return Err(format!("{part}: frame size {other}, expected 2")),
            None => return Err(format!("{part}: empty")),
        }
    }
    Ok(())
}

/// A serialized `FriProof`: the layer count (u8), each layer as u32-length values and paths,
/// the u16-length remainder, log2 of the partition count (u8).
fn fri(bytes: &[u8]) -> Result<(), String> {
    let mut c = Cursor::new(bytes);
    let layers = c.u8("layer count")?;
    for k in 0..layers {
        let n = c.u32_len("layer values length")?;
        c.slice(n, "layer values")?;
        let n = c.u32_len("layer paths length")?;
        merkle_batch(c.slice(n, "layer paths")?).map_err(|e| format!("layer {k}: {e}"))?;
    }
    let n = c.u16_len("remainder length")?;
    c.slice(n, "remainder")?;
    // Stored as log2; Winterfell computes `2^n` from it, which must not overflow.
    let log_partitions = c.u8("partition count")?;
    if log_partitions > 16 {
        return Err(format!("2^{log_partitions} partitions"));
    }
    Ok(())
}
