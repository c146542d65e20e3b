//! Lowering: the float graph at a chosen scale becomes a fixed-point [`Program`].
//!
//! Every real-valued tensor is held at the activation scale `s`. Constants multiplied into a
//! product (weights, Mul operands) are quantised at `s` too, so products and accumulators sit
//! at `2s` and are brought back to `s` with one round-half-up [`Op::Rescale`]. Biases are
//! quantised directly at `2s`; constants added or concatenated at `s`. Leaky-ReLU slopes use
//! 16 fractional bits. ArgMax indices have scale 0.

use runtime::fixed_point::quantize;
use runtime::{Op, OpNode, Program, TensorId, TensorInfo, TensorKind};

use crate::error::TranspileError;
use crate::graph::{Arg, Def, IrGraph, IrOp, Step};
use crate::onnx::ConstTensor;
use crate::tables::Func;

/// Fractional bits of leaky-ReLU slopes.
pub const ALPHA_SHIFT: u8 = 16;

struct Lowerer<'g> {
    graph: &'g IrGraph,
    s: u8,
    p: Program,
    map: Vec<Option<TensorId>>,
    /// Inputs read by threshold tests ([`IrOp::Above`]) at a finer scale than `s`.
    fine: Vec<Option<TensorId>>,
    /// Integer values (ArgMax indices, class labels; scale 0) brought to the activation scale
    /// for a real-valued reader.
    real: Vec<Option<TensorId>>,
}

impl Lowerer<'_> {
    fn tensor(&mut self, name: String, shape: Vec<usize>, scale: u8, kind: TensorKind) -> TensorId {
        self.p.tensors.push(TensorInfo { name, shape, scale, bound: 0, kind });
        TensorId(self.p.tensors.len() as u32 - 1)
    }

    fn konst(
        &mut self,
        c: &ConstTensor,
        scale: u8,
        name: String,
    ) -> Result<TensorId, TranspileError> {
        let name = c.name.clone().unwrap_or(name);
        let data =
            c.data.iter().map(|&v| quantize(v, scale)).collect::<Option<Vec<i64>>>().ok_or_else(
                || TranspileError::BadTensor {
                    name: name.clone(),
                    reason: format!("a value is not finite or does not fit at scale {scale}"),
                },
            )?;
        Ok(self.tensor(name, c.shape.clone(), scale, TensorKind::constant(data)))
    }

    /// A run-time operand, which must be at the activation scale.
    fn operand(
        &mut self,
        a: &Arg,
        owner: &str,
        k: usize,
        origin: &str,
    ) -> Result<TensorId, TranspileError> {
        match a {
            Arg::Const(c) => self.konst(c, self.s, format!("{owner}/c{k}")),
            Arg::Dyn(v) => {
                let id = self.map[*v]
                    .ok_or_else(|| unsupported(origin, "operand defined after its use"))?;
                match self.p.tensors[id.0 as usize].scale {
                    s if s == self.s => Ok(id),
                    0 => self.integer_as_real(*v, id, origin),
                    _ => Err(unsupported(origin, "an operand is not at the activation scale")),
                }
            }
        }
    }

    /// An integer tensor (scale 0: an ArgMax index or a class label) as a real at scale `s`:
    /// an exact product with 1.0 at scale `s`, made once per value.
    fn integer_as_real(
        &mut self,
        v: usize,
        id: TensorId,
        origin: &str,
    ) -> Result<TensorId, TranspileError> {
        if let Some(r) = self.real[v] {
            return Ok(r);
        }
        let s = self.s;
        let t = &self.p.tensors[id.0 as usize];
        let (name, shape) = (t.name.clone(), t.shape.clone());
        let one = ConstTensor::scalar(1.0, crate::onnx::DType::Float);
        let one = self.konst(&one, s, format!("{name}/one"))?;
        let r = self.exact_product(id, one, shape, &format!("{name}/real"), origin);
        self.real[v] = Some(r);
        Ok(r)
    }

    /// `a * one` at the activation scale, exact (`one` is a constant whose scale makes the
    /// product's scale `s`), with the zero-shift rescale the AIR fuses into its node.
    fn exact_product(
        &mut self,
        a: TensorId,
        one: TensorId,
        shape: Vec<usize>,
        name: &str,
        origin: &str,
    ) -> TensorId {
        let s = self.s;
        let p = self.op(Op::Mul, vec![a, one], shape.clone(), s, format!("{name}/up"), origin);
        self.op(Op::Rescale { shift: 0 }, vec![p], shape, s, name.to_string(), origin)
    }

    fn op(
        &mut self,
        op: Op,
        inputs: Vec<TensorId>,
        shape: Vec<usize>,
        scale: u8,
        name: String,
        origin: &str,
    ) -> TensorId {
        let out = self.tensor(name, shape, scale, TensorKind::Value);
        self.p.ops.push(OpNode { op, inputs, output: out, origin: origin.to_string() });
        out
    }

    /// A product-producing op at `2s` followed by a rescale to `s`.
    fn product(
        &mut self,
        op: Op,
        inputs: Vec<TensorId>,
        shape: Vec<usize>,
        name: &str,
        origin: &str,
    ) -> TensorId {
        let s = self.s;
        let acc = self.op(op, inputs, shape.clone(), 2 * s, format!("{name}/acc"), origin);
        self.op(Op::Rescale { shift: s }, vec![acc], shape, s, name.to_string(), origin)
    }

    /// `Floor` and `Ceil` as a shifted rounding division by `2^s` (`floor(x / 2^s) =
    /// round_half_up((x - 2^(s-1)) / 2^s)`, `ceil` with `2^(s-1) - 1` added), `Sign` as a clip
    /// to one unit either side; each then brought back to scale `s` by an exact product with a
    /// constant.
    fn step(
        &mut self,
        step: Step,
        x: TensorId,
        shape: Vec<usize>,
        name: &str,
        origin: &str,
    ) -> Result<TensorId, TranspileError> {
        let s = self.s;
        // The result in units of its own scale, then a product that brings it to scale `s`.
        let (int, one) = match step {
            Step::Floor | Step::Ceil => {
                let half = (1i64 << (s - 1)) as f64;
                let c = if step == Step::Floor { -half } else { half - 1.0 };
                let c = self.units(c as i64, format!("{name}/offset"))?;
                let t = self.op(Op::Add, vec![x, c], shape.clone(), s, format!("{name}/t"), origin);
                let q = self.op(
                    Op::Rescale { shift: s },
                    vec![t],
                    shape.clone(),
                    0,
                    format!("{name}/q"),
                    origin,
                );
                // q (scale 0) times 1.0 at scale s.
                (
                    q,
                    self.konst(
                        &ConstTensor::scalar(1.0, crate::onnx::DType::Float),
                        s,
                        format!("{name}/one"),
                    )?,
                )
            }
            Step::Sign => {
                let clip = Op::Clip { min: Some(-1), max: Some(1) };
                let c = self.op(clip, vec![x], shape.clone(), s, format!("{name}/unit"), origin);
                // c (scale s, one unit) times 2^s at scale 0.
                let k = ConstTensor::scalar((1u64 << s) as f64, crate::onnx::DType::Float);
                (c, self.konst(&k, 0, format!("{name}/one"))?)
            }
        };
        Ok(self.exact_product(int, one, shape, name, origin))
    }

    /// [`IrOp::Above`]: `clip(q - b, 0, 1)` with the integer cut `b` per position (one unit or
    /// none), brought to 1.0 at scale `s` by an exact product with `2^s` at scale 0. Cuts are
    /// clamped to `2^44` units either way (beyond any bounded input: the test is then
    /// constant, as it is in float).
    fn above(
        &mut self,
        cuts: &[(f64, bool)],
        x: TensorId,
        shape: Vec<usize>,
        name: &str,
        origin: &str,
    ) -> Result<TensorId, TranspileError> {
        let s = self.s;
        let xs = self.p.tensors[x.0 as usize].scale;
        let unit = (1u64 << xs) as f64;
        const LIMIT: f64 = (1u64 << 44) as f64;
        let b: Vec<f64> = cuts
            .iter()
            .map(|&(t, strict)| {
                let v = t * unit;
                // The threshold quantised as an input is (half away from zero), so a value
                // equal to the threshold decides as float does.
                let r = v.round();
                let b = if strict { r } else { r - 1.0 };
                b.clamp(-LIMIT, LIMIT) / unit
            })
            .collect();
        let n = b.len();
        let c =
            ConstTensor { shape: vec![n], data: b, dtype: crate::onnx::DType::Float, name: None };
        let c = self.konst(&c, xs, format!("{name}/cut"))?;
        let d = self.op(Op::Sub, vec![x, c], shape.clone(), xs, format!("{name}/diff"), origin);
        let clip = Op::Clip { min: Some(0), max: Some(1) };
        let u = self.op(clip, vec![d], shape.clone(), xs, format!("{name}/unit"), origin);
        // One unit at scale `xs` times `2^xs` (scale 0) is 1.0 at `xs`; rounded to `s`, exact.
        let k = ConstTensor::scalar(unit, crate::onnx::DType::Float);
        let one = self.konst(&k, 0, format!("{name}/one"))?;
        let p = self.op(Op::Mul, vec![u, one], shape.clone(), xs, format!("{name}/up"), origin);
        let r = Op::Rescale { shift: xs - s };
        Ok(self.op(r, vec![p], shape, s, name.to_string(), origin))
    }

    /// The fine-scale input an [`IrOp::Above`] argument reads (see [`tested_value`]).
    fn fine_source(&self, a: &Arg) -> Option<(TensorId, Option<GatherGeometry>)> {
        tested_value(self.graph, a).and_then(|(src, g)| self.fine[src].map(|fid| (fid, g)))
    }

    /// A scalar constant of `c` units of the activation scale (`c 2^-s`).
    fn units(&mut self, c: i64, name: String) -> Result<TensorId, TranspileError> {
        let real = c as f64 / (1u64 << self.s) as f64;
        self.konst(&ConstTensor::scalar(real, crate::onnx::DType::Float), self.s, name)
    }

    fn is_const(&self, t: TensorId) -> bool {
        matches!(self.p.tensors[t.0 as usize].kind, TensorKind::Const(_))
    }

    /// A matrix product of two run-time tensors (numpy `matmul` shapes) as the ops the AIR
    /// proves: every product `a[.., i, k] * b[.., k, j]` by a broadcast `Mul`, rounded to
    /// `e = ceil(log2 K)` bits more than the activation scale (so the sum of `K` rounded
    /// products errs by at most half a unit at scale `s`), summed over `k` by a `MatMul` with a
    /// constant column of ones, and rounded to scale `s`; then the bias, if any.
    fn run_time_matmul(
        &mut self,
        a: TensorId,
        b: TensorId,
        bias: Option<&ConstTensor>,
        shape: Vec<usize>,
        name: &str,
        origin: &str,
    ) -> Result<TensorId, TranspileError> {
        let s = self.s;
        let sa = self.p.tensors[a.0 as usize].shape.clone();
        let sb = self.p.tensors[b.0 as usize].shape.clone();
        // 1-D operands as a row / a column.
        let a2 = if sa.len() == 1 { vec![1, sa[0]] } else { sa.clone() };
        let b2 = if sb.len() == 1 { vec![sb[0], 1] } else { sb.clone() };
        let k = a2[a2.len() - 1];
        let mut ae = a2.clone();
        ae.push(1);
        let mut be = b2.clone();
        be.insert(be.len() - 2, 1);
        let ar = self.op(Op::Reshape, vec![a], ae.clone(), s, format!("{name}/a"), origin);
        let br = self.op(Op::Reshape, vec![b], be.clone(), s, format!("{name}/b"), origin);
        let rank = ae.len().max(be.len());
        let pad = |v: &[usize]| {
            let mut p = vec![1; rank - v.len()];
            p.extend_from_slice(v);
            p
        };
        let (ae, be) = (pad(&ae), pad(&be));
        let prod: Vec<usize> = ae.iter().zip(&be).map(|(x, y)| *x.max(y)).collect();
        let e = (usize::BITS - k.saturating_sub(1).leading_zeros()).min(u32::from(s)) as u8;
        let p = self.op(Op::Mul, vec![ar, br], prod.clone(), 2 * s, format!("{name}/mul"), origin);
        let pe = self.op(
            Op::Rescale { shift: s - e },
            vec![p],
            prod.clone(),
            s + e,
            format!("{name}/products"),
            origin,
        );
        // [.., m, k, n] -> [.., m, n, k], then a product with a column of ones.
        let mut perm: Vec<usize> = (0..rank).collect();
        perm.swap(rank - 2, rank - 1);
        let mut tshape = prod.clone();
        tshape.swap(rank - 2, rank - 1);
        let t = self.op(
            Op::Transpose { perm },
            vec![pe],
            tshape.clone(),
            s + e,
            format!("{name}/t"),
            origin,
        );
        let ones = ConstTensor {
            shape: vec![k, 1],
            data: vec![1.0; k],
            dtype: crate::onnx::DType::Float,
            name: None,
        };
        let ones = self.konst(&ones, 0, format!("{name}/ones"))?;
        let mut sshape = tshape[..rank - 1].to_vec();
        sshape.push(1);
        let sum = self.op(
            Op::MatMul,
            vec![t, ones],
            sshape.clone(),
            s + e,
            format!("{name}/sum"),
            origin,
        );
        let r =
            self.op(Op::Rescale { shift: e }, vec![sum], sshape, s, format!("{name}/acc"), origin);
        let out_name = if bias.is_some() { format!("{name}/nobias") } else { name.to_string() };
        let out = self.op(Op::Reshape, vec![r], shape.clone(), s, out_name, origin);
        match bias {
            None => Ok(out),
            Some(c) => {
                let c = self.konst(c, s, format!("{name}/bias"))?;
                Ok(self.op(Op::Add, vec![out, c], shape, s, name.to_string(), origin))
            }
        }
    }

    /// `f(x) = c * relu(x) + r(x)`: `x` rounded to the table's grid, the residual `r` looked
    /// up, and `c * relu(x)` added (see [`crate::tables`]).
    fn table(
        &mut self,
        f: Func,
        x: TensorId,
        shape: Vec<usize>,
        name: &str,
        origin: &str,
    ) -> Result<TensorId, TranspileError> {
        let s = self.s;
        f.check().map_err(|e| unsupported(origin, &e))?;
        let (lo, values) =
            f.table(s).ok_or_else(|| unsupported(origin, "table values do not quantise"))?;
        let g = f.grid(s);
        let xin = if g < s {
            let grid = format!("{name}/grid");
            self.op(Op::Rescale { shift: s - g }, vec![x], shape.clone(), g, grid, origin)
        } else {
            x
        };
        let c = f.relu_coefficient();
        let plain = c == 0.0 && !f.plus_identity();
        let rname = if plain { name.to_string() } else { format!("{name}/residual") };
        let table = Op::Table { lo, values, out_scale: s };
        let r = self.op(table, vec![xin], shape.clone(), s, rname, origin);
        if plain {
            return Ok(r);
        }
        if f.plus_identity() {
            return Ok(self.op(Op::Add, vec![x, r], shape, s, name.to_string(), origin));
        }
        let relu = self.op(Op::Relu, vec![x], shape.clone(), s, format!("{name}/relu"), origin);
        let lin = if c == 1.0 {
            relu
        } else {
            let k = ConstTensor::scalar(c, crate::onnx::DType::Float);
            let k = self.konst(&k, s, format!("{name}/slope"))?;
            self.product(Op::Mul, vec![relu, k], shape.clone(), &format!("{name}/linear"), origin)
        };
        Ok(self.op(Op::Add, vec![lin, r], shape, s, name.to_string(), origin))
    }

    fn node(&mut self, v: usize) -> Result<TensorId, TranspileError> {
        let value = &self.graph.values[v];
        let (name, shape) = (value.name.clone(), value.shape.clone());
        let Def::Node { op, args, origin } = &value.def else {
            return Err(unsupported(&name, "input defined as a node"));
        };
        let s = self.s;
        if let IrOp::Above(cuts) = op {
            if let Some((fid, gather)) = self.fine_source(&args[0]) {
                let x = match gather {
                    None => fid,
                    Some((axis, indices, ishape)) => {
                        let sc = self.p.tensors[fid.0 as usize].scale;
                        let op = Op::Gather { axis, indices, indices_shape: ishape };
                        let gname = format!("{name}/fine");
                        self.op(op, vec![fid], shape.clone(), sc, gname, origin)
                    }
                };
                return self.above(cuts, x, shape, &name, origin);
            }
        }
        let mut ins = Vec::with_capacity(args.len());
        let real_args = !matches!(
            op,
            IrOp::ArgMax(..)
                | IrOp::Reshape
                | IrOp::Transpose(_)
                | IrOp::Concat(_)
                | IrOp::Gather(..)
        );
        for (k, a) in args.iter().enumerate() {
            if real_args {
                ins.push(self.operand(a, &name, k, origin)?);
            } else {
                match a {
                    Arg::Const(c) => ins.push(self.konst(c, s, format!("{name}/c{k}"))?),
                    Arg::Dyn(d) => ins.push(
                        self.map[*d]
                            .ok_or_else(|| unsupported(origin, "operand defined after its use"))?,
                    ),
                }
            }
        }
        let same_scale = |l: &Self| l.p.tensors[ins[0].0 as usize].scale;
        Ok(match op {
            IrOp::MatMul { bias } if !self.is_const(ins[0]) && !self.is_const(ins[1]) => {
                self.run_time_matmul(ins[0], ins[1], bias.as_ref(), shape, &name, origin)?
            }
            IrOp::MatMul { bias } => {
                if let Some(b) = bias {
                    ins.push(self.konst(b, 2 * s, format!("{name}/bias"))?);
                }
                self.product(Op::MatMul, ins, shape, &name, origin)
            }
            IrOp::Conv { params, bias } => {
                if let Some(b) = bias {
                    ins.push(self.konst(b, 2 * s, format!("{name}/bias"))?);
                }
                self.product(Op::Conv(params.clone()), ins, shape, &name, origin)
            }
            IrOp::Mul => self.product(Op::Mul, ins, shape, &name, origin),
            IrOp::Add => self.op(Op::Add, ins, shape, s, name, origin),
            IrOp::Sub => self.op(Op::Sub, ins, shape, s, name, origin),
            IrOp::Relu => self.op(Op::Relu, ins, shape, s, name, origin),
            IrOp::LeakyRelu(alpha) => {
                let alpha = quantize(*alpha, ALPHA_SHIFT)
                    .ok_or_else(|| unsupported(origin, "slope does not quantise"))?;
                self.op(
                    Op::LeakyRelu { alpha, alpha_shift: ALPHA_SHIFT },
                    ins,
                    shape,
                    s,
                    name,
                    origin,
                )
            }
            IrOp::Clip(lo, hi) => {
                let q = |v: &Option<f64>| match v {
                    None => Ok(None),
                    Some(x) => quantize(*x, s)
                        .map(Some)
                        .ok_or_else(|| unsupported(origin, "clip bound does not quantise")),
                };
                let (min, max) = (q(lo)?, q(hi)?);
                self.op(Op::Clip { min, max }, ins, shape, s, name, origin)
            }
            IrOp::MaxPool(p) => self.op(Op::MaxPool(p.clone()), ins, shape, s, name, origin),
            IrOp::AvgPool(p, cip) => self.op(
                Op::AvgPool { pool: p.clone(), count_include_pad: *cip },
                ins,
                shape,
                s,
                name,
                origin,
            ),
            IrOp::ArgMax(axis, keepdims, last) => self.op(
                Op::ArgMax { axis: *axis, keepdims: *keepdims, select_last: *last },
                ins,
                shape,
                0,
                name,
                origin,
            ),
            IrOp::Reshape => {
                let sc = same_scale(self);
                self.op(Op::Reshape, ins, shape, sc, name, origin)
            }
            IrOp::Transpose(perm) => {
                let sc = same_scale(self);
                self.op(Op::Transpose { perm: perm.clone() }, ins, shape, sc, name, origin)
            }
            IrOp::Gather(axis, indices, ishape) => {
                let sc = same_scale(self);
                let op = Op::Gather {
                    axis: *axis,
                    indices: indices.clone(),
                    indices_shape: ishape.clone(),
                };
                self.op(op, ins, shape, sc, name, origin)
            }
            IrOp::Monotone { .. } if ins.len() == 2 => ins[1],
            IrOp::Sqrt(eps) => {
                // A positive epsilon (a layer norm's) is at least one unit, so that the result,
                // a divisor there, is at least one unit too.
                let v = if *eps > 0.0 {
                    let c = (eps * (1u64 << s) as f64).round().max(1.0);
                    let c = self.units(c as i64, format!("{name}/eps"))?;
                    self.op(Op::Add, vec![ins[0], c], shape.clone(), s, format!("{name}/v"), origin)
                } else {
                    ins[0]
                };
                self.op(Op::Sqrt { shift: s }, vec![v], shape, s, name, origin)
            }
            IrOp::Div => {
                let op = Op::Div { shift: s };
                self.op(op, ins, shape, s, name, origin)
            }
            IrOp::Monotone { what, .. } => {
                return Err(unsupported(
                    origin,
                    &format!(
                        "{what} is not supported yet (an ArgMax of it is: select such an output)"
                    ),
                ))
            }
            IrOp::Opaque(reason) => return Err(unsupported(origin, reason)),
            IrOp::Table(f) => self.table(*f, ins[0], shape, &name, origin)?,
            IrOp::Step(step) => self.step(*step, ins[0], shape, &name, origin)?,
            IrOp::Above(cuts) => self.above(cuts, ins[0], shape, &name, origin)?,

            IrOp::Concat(axis) => {
                let sc = same_scale(self);
                if ins.iter().any(|t| self.p.tensors[t.0 as usize].scale != sc) {
                    return Err(unsupported(
                        origin,
                        "concatenation of ArgMax indices with real values",
                    ));
                }
                self.op(Op::Concat { axis: *axis }, ins, shape, sc, name, origin)
            }
        })
    }
}

fn unsupported(node: &str, reason: &str) -> TranspileError {
    TranspileError::Unsupported {
        node: node.to_string(),
        op_type: "(lowering)".into(),
        reason: reason.to_string(),
    }
}

/// A constant-index gather's `(axis, indices, indices shape)`.
type GatherGeometry = (usize, Vec<usize>, Vec<usize>);

/// The value an [`IrOp::Above`] argument tests: read directly, or through one constant-index
/// gather (whose geometry is returned).
fn tested_value(graph: &IrGraph, a: &Arg) -> Option<(usize, Option<GatherGeometry>)> {
    let Arg::Dyn(v) = a else { return None };
    match &graph.values[*v].def {
        Def::Node { op: IrOp::Gather(axis, idx, ishape), args, .. } => match args.first() {
            Some(Arg::Dyn(i)) => Some((*i, Some((*axis, idx.clone(), ishape.clone())))),
            _ => None,
        },
        _ => Some((*v, None)),
    }
}

/// Graph inputs that threshold tests ([`IrOp::Above`], the tree ensembles' comparisons) read
/// (see [`tested_value`]).
fn threshold_tested_inputs(graph: &IrGraph) -> std::collections::HashSet<usize> {
    let inputs: std::collections::HashSet<usize> = graph.inputs.iter().copied().collect();
    graph
        .values
        .iter()
        .filter_map(|v| match &v.def {
            Def::Node { op: IrOp::Above(_), args, .. } => args.first(),
            _ => None,
        })
        .filter_map(|a| tested_value(graph, a).map(|(src, _)| src))
        .filter(|src| inputs.contains(src))
        .collect()
}

/// Bits of an input's magnitude (at its scale) kept for threshold tests.
const FINE_INPUT_BITS: i32 = 36;

/// The scale of an input that threshold tests read: as fine as [`FINE_INPUT_BITS`] allows for
/// its range (so that a test agrees with float except within `2^-scale` of its threshold),
/// at least the activation scale, at most [`runtime::fixed_point::MAX_SCALE`].
fn fine_scale(lo: f64, hi: f64, scale: u8) -> u8 {
    let r = lo.abs().max(hi.abs()).max(f64::MIN_POSITIVE);
    let bits = FINE_INPUT_BITS - r.log2().ceil().clamp(-64.0, 64.0) as i32;
    bits.clamp(i32::from(scale), i32::from(runtime::fixed_point::MAX_SCALE)) as u8
}

/// Lowers `graph` at activation scale `scale` with the given real input ranges (one per graph
/// input). The program's structure is validated; its bounds are not assigned yet (see
/// [`runtime::Program::declare_bounds`]).
///
/// # Errors
/// [`TranspileError::Quantize`] when the program is invalid; [`TranspileError::BadTensor`]
/// for constants that do not quantise.
pub fn lower(
    graph: &IrGraph,
    scale: u8,
    ranges: &[(f64, f64)],
    name: &str,
) -> Result<Program, TranspileError> {
    if scale == 0 || u16::from(scale) * 2 > u16::from(runtime::fixed_point::MAX_SCALE) {
        return Err(TranspileError::Quantize {
            scale,
            source: runtime::RuntimeError::InvalidField {
                field: "scale".into(),
                reason: format!("must be in 1..={}", runtime::fixed_point::MAX_SCALE / 2),
            },
        });
    }
    let mut l = Lowerer {
        graph,
        s: scale,
        p: Program {
            name: name.to_string(),
            tensors: vec![],
            ops: vec![],
            inputs: vec![],
            outputs: vec![],
        },
        map: vec![None; graph.values.len()],
        fine: vec![None; graph.values.len()],
        real: vec![None; graph.values.len()],
    };
    let tested = threshold_tested_inputs(graph);
    for (k, &v) in graph.inputs.iter().enumerate() {
        let (lo, hi) = ranges.get(k).copied().unwrap_or((-1.0, 1.0));
        let val = &graph.values[v];
        let fine = if tested.contains(&v) { fine_scale(lo, hi, scale) } else { scale };
        let id = l.tensor(val.name.clone(), val.shape.clone(), fine, TensorKind::Input { lo, hi });
        l.p.inputs.push(id);
        if fine > scale {
            l.fine[v] = Some(id);
        } else {
            l.map[v] = Some(id);
        }
    }
    // Only values some output needs (dead branches, e.g. a softmax whose argmax was taken
    // from its input, are left out).
    let mut needed = vec![false; graph.values.len()];
    let mut stack: Vec<usize> = graph
        .outputs
        .iter()
        .filter_map(|(_, a)| if let Arg::Dyn(v) = a { Some(*v) } else { None })
        .collect();
    while let Some(v) = stack.pop() {
        if !needed[v] {
            needed[v] = true;
            if let Def::Node { op, args, .. } = &graph.values[v].def {
                if matches!(op, IrOp::Above(_))
                    && args.first().is_some_and(|a| l.fine_source(a).is_some())
                {
                    continue;
                }
                stack.extend(args.iter().filter_map(|a| {
                    if let Arg::Dyn(u) = a {
                        Some(*u)
                    } else {
                        None
                    }
                }));
            }
        }
    }
    for (v, need) in needed.iter().enumerate() {
        if *need && l.map[v].is_none() {
            l.map[v] = Some(match l.fine[v] {
                // A fine input that other ops read too: rounded to the activation scale.
                Some(fid) => {
                    let t = &l.p.tensors[fid.0 as usize];
                    let (name, shape, shift) =
                        (format!("{}/s{scale}", t.name), t.shape.clone(), t.scale - scale);
                    let origin = t.name.clone();
                    l.op(Op::Rescale { shift }, vec![fid], shape, scale, name, &origin)
                }
                None => l.node(v)?,
            });
        }
    }
    for (name, a) in &graph.outputs {
        match a {
            Arg::Dyn(v) => {
                if let Some(id) = l.map[*v] {
                    // The graph output's name, unless the tensor is an input or already named
                    // as another output.
                    let t = &mut l.p.tensors[id.0 as usize];
                    if matches!(t.kind, TensorKind::Value) && !l.p.outputs.contains(&id) {
                        t.name = name.clone();
                    }
                    l.p.outputs.push(id);
                }
            }
            Arg::Const(c) => {
                let sc = if c.dtype == crate::onnx::DType::Float { scale } else { 0 };
                let id = l.konst(c, sc, name.clone())?;
                // A fresh tensor: it takes the graph output's name, not the constant's.
                l.p.tensors[id.0 as usize].name = name.clone();
                l.p.outputs.push(id);
            }
        }
    }
    let p = l.p;
    p.validate_structure().map_err(|source| TranspileError::Quantize { scale, source })?;
    Ok(p)
}
