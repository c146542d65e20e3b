//! The float intermediate graph: ONNX nodes lowered onto semantic ops with float constants,
//! before any quantisation. Values are numbered; graph inputs are values without an op.

use runtime::{ConvParams, PoolParams};

use crate::onnx::ConstTensor;

/// An operand: a computed value or a constant.
#[derive(Debug, Clone)]
pub enum Arg {
    /// Value id in [`IrGraph::values`].
    Dyn(usize),
    /// A constant (float or integer).
    Const(ConstTensor),
}

/// A semantic op over real numbers.
#[derive(Debug, Clone)]
pub enum IrOp {
    /// Numpy matmul of `[a, b]` plus an optional constant bias broadcast to the output.
    MatMul {
        /// Bias.
        bias: Option<ConstTensor>,
    },
    /// Convolution of `[x, w]` with a constant weight and optional bias `[M]`.
    Conv {
        /// Geometry.
        params: ConvParams,
        /// Bias.
        bias: Option<ConstTensor>,
    },
    /// `a + b`.
    Add,
    /// `a - b`.
    Sub,
    /// `a * b`.
    Mul,
    /// `max(x, 0)`.
    Relu,
    /// Leaky ReLU with this slope.
    LeakyRelu(f64),
    /// Clip to optional bounds.
    Clip(Option<f64>, Option<f64>),
    /// Max pooling.
    MaxPool(PoolParams),
    /// Average pooling (`count_include_pad`).
    AvgPool(PoolParams, bool),
    /// Arg-max (axis, keepdims, select_last).
    ArgMax(usize, bool, bool),
    /// Reshape to the value's shape.
    Reshape,
    /// Axis permutation.
    Transpose(Vec<usize>),
    /// Concatenation along an axis.
    Concat(usize),
    /// Gather along an axis with constant indices (flat, with their shape).
    Gather(usize, Vec<usize>, Vec<usize>),
    /// A transform that preserves the order along `axis` (softmax, logistic, ...): an ArgMax
    /// of it reads its input (argument 0) instead. With a second argument, that is its value
    /// (computed only when something else needs it); without, lowering it fails with `what`.
    Monotone {
        /// Axis along which order is preserved.
        axis: usize,
        /// What it is, for the error.
        what: String,
    },
    /// `a / b` for a positive run-time `b` (rounded half up at the activation scale).
    Div,
    /// `sqrt(x + eps)` for a non-negative run-time `x`, rounded down at the activation scale;
    /// a positive `eps` is taken as at least one unit of the scale, so that the result is at
    /// least one unit (a negative `x` is a run-time error).
    Sqrt(f64),
    /// A step function of the fixed-point value (lowered with the scale known).
    Step(Step),
    /// 1 where the element is above its threshold, else 0, per position of the last axis:
    /// `(t, strict)` tests `x > t` (strict) or `x >= t`, with the threshold quantised as the
    /// input is: with `x = q 2^-s` and `T = round(t 2^s)`, `x > t` is `q > T` and `x >= t` is
    /// `q > T - 1`. Exact for an input equal to the threshold (both quantise to `T`) and for
    /// inputs and thresholds on the grid; otherwise exact unless `|x - t| < 2^-s`.
    Above(Vec<(f64, bool)>),
    /// A smooth function through a lookup table (see [`crate::tables`]).
    Table(crate::tables::Func),
    /// A value that cannot be lowered (fails with the reason if an output needs it).
    Opaque(String),
}

/// Step functions of a real value, exact on its fixed-point representation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Largest integer not above `x`.
    Floor,
    /// Smallest integer not below `x`.
    Ceil,
    /// -1, 0 or 1.
    Sign,
}

/// How a value is defined.
// Graphs hold one `Def` per value (hundreds at most), so the size of the node variant is
// irrelevant; boxing it would only add indirection to every builder.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum Def {
    /// A graph input with its declared real range.
    Input,
    /// The result of an op.
    Node {
        /// The op.
        op: IrOp,
        /// Operands.
        args: Vec<Arg>,
        /// ONNX node name.
        origin: String,
    },
}

/// One value of the graph.
#[derive(Debug, Clone)]
pub struct IrValue {
    /// ONNX value name.
    pub name: String,
    /// Shape.
    pub shape: Vec<usize>,
    /// Definition.
    pub def: Def,
}

/// The float graph of a model.
#[derive(Debug, Clone, Default)]
pub struct IrGraph {
    /// Graph name.
    pub name: String,
    /// All values in topological order.
    pub values: Vec<IrValue>,
    /// Value ids of the graph inputs.
    pub inputs: Vec<usize>,
    /// Graph outputs: ONNX name and operand (a constant when it does not depend on the inputs).
    pub outputs: Vec<(String, Arg)>,
    /// Samples per run: the size given to the inputs' dynamic first axis (0 is taken as 1).
    pub batch: usize,
    /// Real values known to be integers (class labels other than indices): a cast to an
    /// integer type leaves them as they are.
    pub integral: std::collections::HashSet<usize>,
}

impl IrGraph {
    /// True when value `v` holds integer indices (an ArgMax result, possibly moved around).
    pub fn is_index(&self, v: usize) -> bool {
        match &self.values[v].def {
            Def::Node { op: IrOp::ArgMax(..), .. } => true,
            Def::Node {
                op: IrOp::Reshape | IrOp::Transpose(_) | IrOp::Gather(..), args, ..
            } => {
                matches!(args.first(), Some(Arg::Dyn(u)) if self.is_index(*u))
            }
            _ => false,
        }
    }

    /// Shape of an operand.
    pub fn shape<'a>(&'a self, a: &'a Arg) -> &'a [usize] {
        match a {
            Arg::Dyn(v) => &self.values[*v].shape,
            Arg::Const(c) => &c.shape,
        }
    }

    /// Appends an op and returns its value as an operand.
    pub fn push(
        &mut self,
        name: String,
        shape: Vec<usize>,
        op: IrOp,
        args: Vec<Arg>,
        origin: &str,
    ) -> Arg {
        self.values.push(IrValue {
            name,
            shape,
            def: Def::Node { op, args, origin: origin.to_string() },
        });
        Arg::Dyn(self.values.len() - 1)
    }
}
