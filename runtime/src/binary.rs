//! The binary form of a program: `b"STKM"`, a little-endian `u16` format version, then a
//! protobuf message (prost). Encoding is canonical (fields in tag order, no maps), so equal
//! programs have equal bytes and [`ProgramDigest`] is well defined.

use prost::Message;

use crate::error::RuntimeError;
use crate::op::{ConvParams, Op, OpId, PoolParams, TensorId};
use crate::program::{OpNode, Program, TensorInfo, TensorKind, MAX_ITEMS};
use crate::shape::MAX_RANK;
use crate::wire;

/// Magic bytes at the start of every program file.
pub const MAGIC: &[u8; 4] = b"STKM";
/// Format version written by this build (and the only one it reads).
pub const FORMAT_VERSION: u16 = 1;

#[derive(Clone, PartialEq, Message)]
struct PbProgram {
    #[prost(string, tag = "1")]
    name: String,
    #[prost(message, repeated, tag = "2")]
    tensors: Vec<PbTensor>,
    #[prost(message, repeated, tag = "3")]
    ops: Vec<PbOp>,
    #[prost(uint32, repeated, tag = "4")]
    inputs: Vec<u32>,
    #[prost(uint32, repeated, tag = "5")]
    outputs: Vec<u32>,
}

#[derive(Clone, PartialEq, Message)]
struct PbTensor {
    #[prost(string, tag = "1")]
    name: String,
    #[prost(uint64, repeated, tag = "2")]
    shape: Vec<u64>,
    #[prost(uint32, tag = "3")]
    scale: u32,
    #[prost(uint64, tag = "4")]
    bound: u64,
    /// 0 = value, 1 = input, 2 = constant.
    #[prost(uint32, tag = "5")]
    kind: u32,
    #[prost(sint64, repeated, tag = "6")]
    data: Vec<i64>,
    #[prost(double, tag = "7")]
    lo: f64,
    #[prost(double, tag = "8")]
    hi: f64,
}

#[derive(Clone, PartialEq, Message)]
struct PbOp {
    #[prost(uint32, tag = "1")]
    code: u32,
    #[prost(uint32, repeated, tag = "2")]
    inputs: Vec<u32>,
    #[prost(uint32, tag = "3")]
    output: u32,
    #[prost(string, tag = "4")]
    origin: String,
    /// Op parameters, laid out per op code (see `encode_op`).
    #[prost(sint64, repeated, tag = "5")]
    params: Vec<i64>,
}

/// Blake3 hash of a program's canonical binary form: the name of a model in proofs and on
/// chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ProgramDigest(pub [u8; 32]);

impl std::fmt::Display for ProgramDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

fn usizes(v: &[usize]) -> impl Iterator<Item = i64> + '_ {
    v.iter().map(|&x| x as i64)
}

fn encode_op(op: &Op) -> (u32, Vec<i64>) {
    let pool = |p: &PoolParams| {
        let mut v = vec![p.kernel.len() as i64, i64::from(p.ceil_mode)];
        v.extend(
            usizes(&p.kernel)
                .chain(usizes(&p.strides))
                .chain(usizes(&p.dilations))
                .chain(usizes(&p.pads)),
        );
        v
    };
    let opt = |x: &Option<i64>| match x {
        Some(v) => [1, *v],
        None => [0, 0],
    };
    match op {
        Op::MatMul => (1, vec![]),
        Op::Conv(p) => {
            let mut v = vec![p.strides.len() as i64, p.group as i64];
            v.extend(usizes(&p.strides).chain(usizes(&p.dilations)).chain(usizes(&p.pads)));
            (2, v)
        }
        Op::Add => (3, vec![]),
        Op::Sub => (4, vec![]),
        Op::Mul => (5, vec![]),
        Op::Rescale { shift } => (6, vec![i64::from(*shift)]),
        Op::Relu => (7, vec![]),
        Op::LeakyRelu { alpha, alpha_shift } => (8, vec![*alpha, i64::from(*alpha_shift)]),
        Op::Clip { min, max } => (9, [opt(min), opt(max)].concat()),
        Op::MaxPool(p) => (10, pool(p)),
        Op::AvgPool { pool: p, count_include_pad } => {
            let mut v = pool(p);
            v.push(i64::from(*count_include_pad));
            (11, v)
        }
        Op::ArgMax { axis, keepdims, select_last } => {
            (12, vec![*axis as i64, i64::from(*keepdims), i64::from(*select_last)])
        }
        Op::Reshape => (13, vec![]),
        Op::Transpose { perm } => (14, usizes(perm).collect()),
        Op::Concat { axis } => (15, vec![*axis as i64]),
        Op::Gather { axis, indices, indices_shape } => {
            let mut v = vec![*axis as i64, indices_shape.len() as i64];
            v.extend(usizes(indices_shape).chain(usizes(indices)));
            (16, v)
        }
        Op::Div { shift } => (18, vec![i64::from(*shift)]),
        Op::Sqrt { shift } => (19, vec![i64::from(*shift)]),
        Op::Table { lo, values, out_scale } => {
            let mut v = Vec::with_capacity(values.len() + 2);
            v.extend([*lo, i64::from(*out_scale)]);
            v.extend_from_slice(values);
            (17, v)
        }
    }
}

/// Reads op parameters, refusing anything out of its domain.
struct Params<'a> {
    v: &'a [i64],
    pos: usize,
    field: String,
}

impl Params<'_> {
    fn err(&self, reason: &str) -> RuntimeError {
        RuntimeError::InvalidField { field: self.field.clone(), reason: reason.to_string() }
    }
    fn next(&mut self) -> Result<i64, RuntimeError> {
        let x = self.v.get(self.pos).copied().ok_or_else(|| self.err("too few parameters"))?;
        self.pos += 1;
        Ok(x)
    }
    fn small(&mut self, max: i64) -> Result<usize, RuntimeError> {
        let x = self.next()?;
        if !(0..=max).contains(&x) {
            return Err(self.err(&format!("parameter {x} outside [0, {max}]")));
        }
        Ok(x as usize)
    }
    fn flag(&mut self) -> Result<bool, RuntimeError> {
        Ok(self.small(1)? == 1)
    }
    fn vec(&mut self, n: usize) -> Result<Vec<usize>, RuntimeError> {
        (0..n).map(|_| self.small(1 << 16)).collect()
    }
    fn opt(&mut self) -> Result<Option<i64>, RuntimeError> {
        let present = self.flag()?;
        let v = self.next()?;
        Ok(present.then_some(v))
    }
    fn pool(&mut self) -> Result<PoolParams, RuntimeError> {
        let n = self.small(MAX_RANK as i64)?;
        let ceil_mode = self.flag()?;
        Ok(PoolParams {
            kernel: self.vec(n)?,
            strides: self.vec(n)?,
            dilations: self.vec(n)?,
            pads: self.vec(2 * n)?,
            ceil_mode,
        })
    }
    fn finish(&self) -> Result<(), RuntimeError> {
        if self.pos != self.v.len() {
            return Err(self.err("too many parameters"));
        }
        Ok(())
    }
}

fn decode_op(code: u32, params: &[i64], field: String) -> Result<Op, RuntimeError> {
    let mut p = Params { v: params, pos: 0, field };
    let op = match code {
        1 => Op::MatMul,
        2 => {
            let n = p.small(MAX_RANK as i64)?;
            let group = p.small(1 << 20)?;
            Op::Conv(ConvParams {
                strides: p.vec(n)?,
                dilations: p.vec(n)?,
                pads: p.vec(2 * n)?,
                group,
            })
        }
        3 => Op::Add,
        4 => Op::Sub,
        5 => Op::Mul,
        6 => Op::Rescale { shift: p.small(62)? as u8 },
        7 => Op::Relu,
        8 => {
            let alpha = p.next()?;
            Op::LeakyRelu { alpha, alpha_shift: p.small(32)? as u8 }
        }
        9 => Op::Clip { min: p.opt()?, max: p.opt()? },
        10 => Op::MaxPool(p.pool()?),
        11 => {
            let pool = p.pool()?;
            Op::AvgPool { pool, count_include_pad: p.flag()? }
        }
        12 => Op::ArgMax {
            axis: p.small(MAX_RANK as i64)?,
            keepdims: p.flag()?,
            select_last: p.flag()?,
        },
        13 => Op::Reshape,
        14 => Op::Transpose {
            perm: (0..params.len().min(MAX_RANK + 1))
                .map(|_| p.small(MAX_RANK as i64))
                .collect::<Result<_, _>>()?,
        },
        15 => Op::Concat { axis: p.small(MAX_RANK as i64)? },
        16 => {
            let axis = p.small(MAX_RANK as i64)?;
            let rank = p.small(MAX_RANK as i64)?;
            let indices_shape = p.vec(rank)?;
            let rest = params.len().saturating_sub(p.pos);
            let indices = (0..rest).map(|_| p.small(1 << 28)).collect::<Result<_, _>>()?;
            Op::Gather { axis, indices, indices_shape }
        }
        19 => Op::Sqrt { shift: p.small(i64::from(crate::op::MAX_DIV_SHIFT))? as u8 },
        18 => Op::Div { shift: p.small(i64::from(crate::op::MAX_DIV_SHIFT))? as u8 },
        17 => {
            let lo = p.next()?;
            let out_scale = p.small(i64::from(crate::fixed_point::MAX_SCALE))? as u8;
            let values = params.get(p.pos..).unwrap_or(&[]).to_vec();
            p.pos = params.len();
            Op::Table { lo, values, out_scale }
        }
        other => return Err(p.err(&format!("unknown op code {other}"))),
    };
    p.finish()?;
    Ok(op)
}

/// The message of tensor `t` without its data (constants' data is written separately).
fn pb_tensor_head(t: &TensorInfo) -> PbTensor {
    let (kind, lo, hi) = match &t.kind {
        TensorKind::Value => (0, 0.0, 0.0),
        TensorKind::Input { lo, hi } => (1, *lo, *hi),
        TensorKind::Const(_) => (2, 0.0, 0.0),
    };
    PbTensor {
        name: t.name.clone(),
        shape: t.shape.iter().map(|&d| d as u64).collect(),
        scale: u32::from(t.scale),
        bound: t.bound,
        kind,
        data: Vec::new(),
        lo,
        hi,
    }
}

/// The message of op node `n`.
fn pb_op(n: &OpNode) -> PbOp {
    let (code, params) = encode_op(&n.op);
    PbOp {
        code,
        inputs: n.inputs.iter().map(|t| t.0).collect(),
        output: n.output.0,
        origin: n.origin.clone(),
        params,
    }
}

/// The packed zigzag varints of `d` (protobuf `sint64` packed encoding). Large tensors are
/// encoded in chunks on all cores (the concatenation of the chunks' encodings is the
/// encoding of the whole).
fn zigzag_varints(d: &[i64]) -> Vec<Vec<u8>> {
    fn encode(d: &[i64]) -> Vec<u8> {
        // Values go through a stack buffer a block at a time (one `extend` per block instead
        // of a capacity check per byte); a varint is at most 10 bytes.
        const BLOCK: usize = 512;
        let mut out = Vec::with_capacity(d.len() * 2);
        let mut buf = [0u8; BLOCK * 10 + 1];
        for block in d.chunks(BLOCK) {
            let mut n = 0;
            for &v in block {
                let mut z = ((v << 1) ^ (v >> 63)) as u64;
                if z < 0x4000 {
                    // Quantised weights are mostly below 2^13: one or two bytes, written as
                    // one 2-byte store without a branch on which (its misprediction dominated
                    // the cost); a one-byte value's second byte is overwritten next.
                    let two = u16::from(z >= 0x80);
                    let word = (z & 0x7f) as u16 | two << 7 | ((z >> 7) as u16) << 8;
                    if let Some(dst) = buf.get_mut(n..n + 2) {
                        dst.copy_from_slice(&word.to_le_bytes());
                    }
                    n += 1 + usize::from(two);
                    continue;
                }
                while z >= 0x80 {
                    buf[n] = (z as u8) | 0x80;
                    z >>= 7;
                    n += 1;
                }
                buf[n] = z as u8;
                n += 1;
            }
            out.extend_from_slice(&buf[..n]);
        }
        out
    }
    const PARALLEL_FROM: usize = 1 << 20;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if d.len() < PARALLEL_FROM || threads < 2 {
        return vec![encode(d)];
    }
    let parts: Result<Vec<Vec<u8>>, _> = std::thread::scope(|s| {
        let handles: Vec<_> =
            d.chunks(d.len().div_ceil(threads)).map(|c| s.spawn(move || encode(c))).collect();
        handles.into_iter().map(|h| h.join()).collect()
    });
    // `encode` does not panic; were a thread to fail anyway, encode on this one.
    parts.unwrap_or_else(|_| vec![encode(d)])
}

/// Decodes a `PbProgram` payload, its tensor messages on all cores when it is large: the same
/// result as `PbProgram::decode(payload)` on every input. A repeated message field decodes each
/// occurrence on its own and appends it, so decoding the tensor occurrences apart (in their
/// order) and the other fields together gives the same message. Anything the top-level scan
/// does not take apart (groups, a malformed key or length), and any error, sends the payload
/// whole to `PbProgram::decode`, so errors are prost's own.
fn decode_payload(payload: &[u8]) -> Result<PbProgram, prost::DecodeError> {
    const PARALLEL_FROM: usize = 1 << 20;
    let whole = || PbProgram::decode(payload);
    if payload.len() < PARALLEL_FROM {
        return whole();
    }
    let Some((tensors, rest)) = split_tensors(payload) else { return whole() };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Largest tensors first, each to the least loaded thread.
    let mut order: Vec<usize> = (0..tensors.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(tensors[i].len()));
    let mut groups: Vec<(usize, Vec<usize>)> = vec![(0, Vec::new()); threads.min(tensors.len())];
    for i in order {
        if let Some(g) = groups.iter_mut().min_by_key(|g| g.0) {
            g.0 += tensors[i].len();
            g.1.push(i);
        }
    }
    let decode_group = |ids: &[usize]| -> Result<Vec<(usize, PbTensor)>, prost::DecodeError> {
        ids.iter().map(|&i| Ok((i, decode_tensor(tensors[i])?))).collect()
    };
    let decoded = std::thread::scope(|s| {
        let (first, others) =
            groups.split_first().map_or((&[][..], &[][..]), |(f, o)| (&f.1[..], o));
        let handles: Vec<_> = others.iter().map(|g| s.spawn(|| decode_group(&g.1))).collect();
        let head = PbProgram::decode(rest.as_slice());
        let mine = decode_group(first);
        let theirs: Result<Vec<_>, _> = handles.into_iter().map(|h| h.join()).collect();
        (
            head,
            theirs.map(|mut t| {
                t.push(mine);
                t
            }),
        )
    });
    let (Ok(mut pb), Ok(parts)) = decoded else { return whole() };
    let mut slots: Vec<Option<PbTensor>> = vec![None; tensors.len()];
    for part in parts {
        let Ok(part) = part else { return whole() };
        for (i, t) in part {
            slots[i] = Some(t);
        }
    }
    match slots.into_iter().collect::<Option<Vec<PbTensor>>>() {
        Some(t) => {
            pb.tensors = t;
            Ok(pb)
        }
        None => whole(),
    }
}

/// Decodes one tensor message: its packed data (field 6, the weights) by
/// [`wire::packed_sint64`] into a vector sized once, the other fields by prost; the same
/// result as `PbTensor::decode(body)`, to which anything else (unpacked data, malformed
/// fields) goes whole.
fn decode_tensor(body: &[u8]) -> Result<PbTensor, prost::DecodeError> {
    const DATA: u64 = 6 << 3;
    let whole = || PbTensor::decode(body);
    let Some(fields) = wire::fields(body) else { return whole() };
    let (mut data, mut rest) = (Vec::new(), Vec::new());
    for f in &fields {
        match f.key {
            k if k == DATA | 2 => data.push(f.body),
            k if k >> 3 == DATA >> 3 => return whole(),
            _ => rest.extend_from_slice(f.raw),
        }
    }
    let Ok(mut t) = PbTensor::decode(rest.as_slice()) else { return whole() };
    for d in data {
        if wire::packed_sint64(d, &mut t.data).is_none() {
            return whole();
        }
    }
    Ok(t)
}

/// The bodies of the top-level tensor fields (tag 2, length-delimited) of a `PbProgram`
/// payload, and the bytes of all its other fields in order; `None` when the payload is not a
/// sequence of well-formed varint, 64-bit, length-delimited and 32-bit fields.
fn split_tensors(payload: &[u8]) -> Option<(Vec<&[u8]>, Vec<u8>)> {
    let (mut tensors, mut rest) = (Vec::new(), Vec::new());
    for f in wire::fields(payload)? {
        if f.key == (2 << 3) | 2 {
            tensors.push(f.body);
        } else {
            rest.extend_from_slice(f.raw);
        }
    }
    Some((tensors, rest))
}

impl Program {
    /// The canonical binary form (magic, version, protobuf payload).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_canonical(&mut |b: &[u8]| out.extend_from_slice(b));
        out
    }

    /// Streams the canonical binary form to `sink`, piece by piece, without building it in
    /// memory or copying the weights: the bytes are those of `PbProgram::encode` (fields in
    /// tag order, proto3 defaults omitted), with each constant's packed `data` field (tag 6,
    /// the last non-default field of a constant tensor) written directly from its values.
    fn write_canonical(&self, sink: &mut dyn FnMut(&[u8])) {
        use prost::encoding::{encode_key, encode_varint, WireType};
        sink(MAGIC);
        sink(&FORMAT_VERSION.to_le_bytes());
        let mut buf = Vec::new();
        PbProgram { name: self.name.clone(), ..PbProgram::default() }.encode(&mut buf).ok();
        sink(&buf);
        let mut data = Vec::new();
        for t in &self.tensors {
            let head = pb_tensor_head(t);
            data.clear();
            let payload = match &t.kind {
                TensorKind::Const(d) => zigzag_varints(d),
                _ => Vec::new(),
            };
            let len: usize = payload.iter().map(Vec::len).sum();
            if len > 0 {
                encode_key(6, WireType::LengthDelimited, &mut data);
                encode_varint(len as u64, &mut data);
            }
            buf.clear();
            encode_key(2, WireType::LengthDelimited, &mut buf);
            encode_varint((head.encoded_len() + data.len() + len) as u64, &mut buf);
            head.encode(&mut buf).ok();
            sink(&buf);
            sink(&data);
            for part in &payload {
                sink(part);
            }
        }
        let rest = PbProgram {
            name: String::new(),
            tensors: Vec::new(),
            ops: self.ops.iter().map(pb_op).collect(),
            inputs: self.inputs.iter().map(|t| t.0).collect(),
            outputs: self.outputs.iter().map(|t| t.0).collect(),
        };
        buf.clear();
        rest.encode(&mut buf).ok();
        sink(&buf);
    }

    /// Decodes and validates a program file.
    ///
    /// # Errors
    /// [`RuntimeError::BadMagic`], [`RuntimeError::Truncated`],
    /// [`RuntimeError::UnsupportedVersion`], [`RuntimeError::Decode`],
    /// [`RuntimeError::InvalidField`], or any error of [`Program::validate`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Program, RuntimeError> {
        if bytes.len() < 6 {
            return if bytes.len() >= 4 && &bytes[..4] != MAGIC {
                Err(RuntimeError::BadMagic)
            } else {
                Err(RuntimeError::Truncated { len: bytes.len() })
            };
        }
        if &bytes[..4] != MAGIC {
            return Err(RuntimeError::BadMagic);
        }
        let version = u16::from_le_bytes([bytes[4], bytes[5]]);
        if version != FORMAT_VERSION {
            return Err(RuntimeError::UnsupportedVersion {
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        let pb = decode_payload(&bytes[6..])
            .map_err(|e| RuntimeError::Decode { reason: e.to_string() })?;
        let field = |f: String, reason: &str| RuntimeError::InvalidField {
            field: f,
            reason: reason.to_string(),
        };
        if pb.tensors.len() > MAX_ITEMS || pb.ops.len() > MAX_ITEMS {
            return Err(field("tensors".into(), "too many tensors or ops"));
        }
        let mut tensors = Vec::with_capacity(pb.tensors.len());
        for (i, t) in pb.tensors.into_iter().enumerate() {
            if t.shape.len() > MAX_RANK || t.shape.iter().any(|&d| d > 1 << 28) {
                return Err(field(format!("tensors[{i}].shape"), "rank or dimension too large"));
            }
            let scale = u8::try_from(t.scale)
                .map_err(|_| field(format!("tensors[{i}].scale"), "above 255"))?;
            let kind = match t.kind {
                0 => TensorKind::Value,
                1 => TensorKind::Input { lo: t.lo, hi: t.hi },
                2 => TensorKind::constant(t.data),
                _ => return Err(field(format!("tensors[{i}].kind"), "unknown tensor kind")),
            };
            tensors.push(TensorInfo {
                name: t.name,
                shape: t.shape.iter().map(|&d| d as usize).collect(),
                scale,
                bound: t.bound,
                kind,
            });
        }
        let mut ops = Vec::with_capacity(pb.ops.len());
        for (k, o) in pb.ops.into_iter().enumerate() {
            let op = decode_op(o.code, &o.params, format!("ops[{k}].params"))?;
            let _ = OpId(k as u32);
            ops.push(OpNode {
                op,
                inputs: o.inputs.into_iter().map(TensorId).collect(),
                output: TensorId(o.output),
                origin: o.origin,
            });
        }
        let program = Program {
            name: pb.name,
            tensors,
            ops,
            inputs: pb.inputs.into_iter().map(TensorId).collect(),
            outputs: pb.outputs.into_iter().map(TensorId).collect(),
        };
        program.validate()?;
        Ok(program)
    }

    /// Blake3 digest of [`Program::to_bytes`] (streamed: the bytes are never held in memory).
    pub fn digest(&self) -> ProgramDigest {
        let mut h = blake3::Hasher::new();
        self.write_canonical(&mut |b: &[u8]| {
            h.update(b);
        });
        ProgramDigest(*h.finalize().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The encoding as one `PbProgram` message (the definition the streamed form must equal).
    fn reference_bytes(p: &Program) -> Vec<u8> {
        let pb = PbProgram {
            name: p.name.clone(),
            tensors: p
                .tensors
                .iter()
                .map(|t| match &t.kind {
                    TensorKind::Const(d) => PbTensor { data: d.to_vec(), ..pb_tensor_head(t) },
                    _ => pb_tensor_head(t),
                })
                .collect(),
            ops: p.ops.iter().map(pb_op).collect(),
            inputs: p.inputs.iter().map(|t| t.0).collect(),
            outputs: p.outputs.iter().map(|t| t.0).collect(),
        };
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        pb.encode(&mut out).ok();
        out
    }

    fn tensor(name: &str, shape: &[usize], kind: TensorKind) -> TensorInfo {
        TensorInfo { name: name.into(), shape: shape.to_vec(), scale: 7, bound: 300, kind }
    }

    /// A program over `tensors` with one op, `MatMul` of tensors 0 and 1 into the last tensor
    /// (the program's input and output).
    fn matmul_program(name: &str, tensors: Vec<TensorInfo>) -> Program {
        let last = TensorId(tensors.len() as u32 - 1);
        Program {
            name: name.into(),
            tensors,
            ops: vec![OpNode {
                op: Op::MatMul,
                inputs: vec![TensorId(0), TensorId(1)],
                output: last,
                origin: "mm".into(),
            }],
            inputs: vec![TensorId(0)],
            outputs: vec![last],
        }
    }

    #[test]
    fn streamed_encoding_equals_the_message_encoding() {
        let extremes =
            vec![0, -1, 1, i64::MAX, i64::MIN, 5, 1 << 40, -(1 << 40), 200, -8192, 8191, 64, -65];
        let cases = vec![
            Program {
                name: String::new(),
                tensors: Vec::new(),
                ops: Vec::new(),
                inputs: Vec::new(),
                outputs: Vec::new(),
            },
            matmul_program(
                "mixed",
                vec![
                    tensor("x", &[1, 4], TensorKind::Input { lo: -1.5, hi: 2.0 }),
                    tensor("w", &[13], TensorKind::constant(extremes)),
                    tensor("empty", &[0], TensorKind::constant(Vec::new())),
                    tensor("zeros", &[3], TensorKind::constant(vec![0, 0, 0])),
                    tensor("", &[], TensorKind::Value),
                    tensor("y", &[1, 2], TensorKind::Value),
                ],
            ),
        ];
        // A tensor large enough to be encoded in parallel chunks (a chunk boundary falls
        // between values of different varint lengths).
        let large: Vec<i64> = (0..(3 << 19) as i64).map(|i| (i * 7919) % 40_000 - 20_000).collect();
        let mut cases = cases;
        cases.push(Program {
            name: "large".into(),
            tensors: vec![tensor("w", &[large.len()], TensorKind::constant(large))],
            ops: Vec::new(),
            inputs: Vec::new(),
            outputs: Vec::new(),
        });
        for p in &cases {
            let want = reference_bytes(p);
            assert_eq!(p.to_bytes(), want, "{}", p.name);
            assert_eq!(p.digest().0, *blake3::hash(&want).as_bytes());
        }
    }

    #[test]
    fn tensor_data_decodes_as_prost_in_every_encoding() {
        let packed = PbTensor {
            name: "w".into(),
            kind: 2,
            data: vec![3, -300, 1 << 40],
            ..Default::default()
        }
        .encode_to_vec();
        // Data split over two packed fields, data as single varints (wire type 0), mixed with
        // other fields, and the same damaged.
        let mut two = packed.clone();
        two.extend_from_slice(&[0x32, 0x02, 0x01, 0x7f]);
        let mut single = packed.clone();
        single.extend_from_slice(&[0x30, 0x05, 0x18, 0x07]);
        let mut wrong_type = packed.clone();
        wrong_type.extend_from_slice(&[0x35, 0, 0, 0, 0]);
        for body in [packed.clone(), two, single, wrong_type, packed[..packed.len() - 1].to_vec()] {
            let (ours, theirs) = (decode_tensor(&body), PbTensor::decode(body.as_slice()));
            match (&ours, &theirs) {
                (Ok(a), Ok(b)) => assert_eq!(a, b),
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
                _ => panic!("{ours:?} against prost's {theirs:?}"),
            }
        }
        assert_eq!(decode_tensor(&packed).map(|t| t.data), Ok(vec![3, -300, 1 << 40]));
    }

    #[test]
    fn the_parallel_decode_equals_prost_on_valid_and_damaged_payloads() {
        // Tensors of several sizes (two large ones), interleaved with the other fields by the
        // canonical encoding; a payload above the parallel threshold.
        let big = |n: i64, k: i64| (0..n).map(|i| (i * k) % 50_000 - 25_000).collect::<Vec<i64>>();
        let p = matmul_program(
            "parallel",
            vec![
                tensor("x", &[1, 4], TensorKind::Input { lo: -1.0, hi: 1.0 }),
                tensor("w0", &[4, 200_000], TensorKind::constant(big(800_000, 7919))),
                tensor("b", &[3], TensorKind::constant(vec![1, -2, 3])),
                tensor("w1", &[300_000], TensorKind::constant(big(300_000, 104_729))),
                tensor("y", &[1, 2], TensorKind::Value),
            ],
        );
        let bytes = p.to_bytes();
        let payload = &bytes[6..];
        assert!(payload.len() > 1 << 20);
        let same = |b: &[u8]| match (decode_payload(b), PbProgram::decode(b)) {
            (Ok(x), Ok(y)) => x == y,
            (Err(x), Err(y)) => x.to_string() == y.to_string(),
            _ => false,
        };
        assert!(same(payload));
        assert_eq!(decode_payload(payload).map(|pb| pb.tensors.len()), Ok(5));
        // Damage: truncations and byte changes spread over the payload (keys, lengths, data).
        let mut damaged = payload.to_vec();
        let step = payload.len() / 37;
        for k in 0..37 {
            let at = k * step + k % 5;
            assert!(same(&payload[..at]), "truncated at {at}");
            let keep = damaged[at];
            for v in [0x00, 0x12, 0x80, 0xff] {
                damaged[at] = v;
                assert!(same(&damaged), "byte {at} set to {v:#x}");
            }
            damaged[at] = keep;
        }
        // The first bytes (name and the first tensor's key and length).
        for at in 0..24 {
            assert!(same(&payload[..payload.len() - at]), "{at} bytes short");
            damaged[at] ^= 0x55;
            assert!(same(&damaged), "byte {at} flipped");
            damaged[at] ^= 0x55;
        }
    }
}
