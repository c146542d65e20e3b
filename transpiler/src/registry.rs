//! The one place ONNX op names appear: op type and opset to builder function.

use crate::builder::Builder;
use crate::ops::{
    activation, compare, composite, conv_transpose, division, elementwise, linalg, ml, movement,
    nn, normalization, resize, shape, smooth, svm, tree,
};

/// `(op_type, first supported opset of the `ai.onnx.ml` domain, builder)`.
const ML_REGISTRY: &[(&str, i64, Builder)] = &[
    ("LinearClassifier", 1, ml::linear_classifier),
    ("LinearRegressor", 1, ml::linear_regressor),
    ("ArrayFeatureExtractor", 1, ml::array_feature_extractor),
    ("Scaler", 1, ml::scaler),
    ("Normalizer", 1, ml::normalizer),
    ("ZipMap", 1, ml::zipmap),
    ("Binarizer", 1, ml::binarizer),
    ("Imputer", 1, ml::imputer),
    ("TreeEnsembleClassifier", 1, tree::tree_ensemble_classifier),
    ("TreeEnsembleRegressor", 1, tree::tree_ensemble_regressor),
    ("SVMClassifier", 1, svm::svm_classifier),
    ("SVMRegressor", 1, svm::svm_regressor),
];

/// `(op_type, first supported opset of the default domain, builder)`.
const REGISTRY: &[(&str, i64, Builder)] = &[
    ("Gemm", 1, linalg::gemm),
    ("MatMul", 1, linalg::matmul),
    ("Add", 1, elementwise::add),
    ("Sub", 1, elementwise::sub),
    ("Mul", 1, elementwise::mul),
    ("Div", 1, elementwise::div),
    ("Sum", 1, elementwise::sum),
    ("Conv", 1, nn::conv),
    ("ConvTranspose", 1, conv_transpose::conv_transpose),
    ("MaxPool", 1, nn::max_pool),
    ("AveragePool", 1, nn::avg_pool),
    ("GlobalAveragePool", 1, nn::global_avg_pool),
    ("GlobalMaxPool", 1, nn::global_max_pool),
    ("BatchNormalization", 1, nn::batch_norm),
    ("Relu", 1, activation::relu),
    ("LeakyRelu", 1, activation::leaky_relu),
    ("Clip", 1, activation::clip),
    ("ArgMax", 1, activation::argmax),
    ("Softmax", 1, activation::softmax),
    ("LogSoftmax", 1, activation::softmax),
    ("Flatten", 1, shape::flatten),
    ("Reshape", 5, shape::reshape),
    ("Transpose", 1, shape::transpose),
    ("Squeeze", 1, shape::squeeze),
    ("Unsqueeze", 1, shape::unsqueeze),
    ("Concat", 1, shape::concat),
    ("Identity", 1, shape::identity),
    ("Dropout", 1, shape::dropout),
    ("Shape", 1, shape::shape),
    ("Gather", 1, shape::gather),
    ("Cast", 6, shape::cast),
    ("CastLike", 15, shape::cast_like),
    ("Constant", 1, shape::constant),
    ("ConstantOfShape", 9, shape::constant_of_shape),
    ("Slice", 1, movement::slice),
    ("Split", 2, movement::split),
    ("Tile", 6, movement::tile),
    ("Expand", 8, movement::expand),
    ("Pad", 2, movement::pad),
    ("DepthToSpace", 1, movement::depth_to_space),
    ("SpaceToDepth", 1, movement::space_to_depth),
    ("Resize", 10, resize::resize),
    ("Neg", 1, composite::neg),
    ("Abs", 1, composite::abs),
    ("Max", 1, composite::max),
    ("Min", 1, composite::min),
    ("Mean", 1, composite::mean),
    ("PRelu", 1, composite::prelu),
    ("ArgMin", 1, composite::argmin),
    ("ReduceSum", 1, composite::reduce_sum),
    ("ReduceLogSumExp", 1, composite::reduce_log_sum_exp),
    ("ReduceMean", 1, composite::reduce_mean),
    ("ReduceL1", 1, composite::reduce_l1),
    ("ReduceL2", 1, composite::reduce_l2),
    ("ReduceMax", 1, composite::reduce_max),
    ("ReduceSumSquare", 1, composite::reduce_sum_square),
    ("ReduceProd", 1, composite::reduce_prod),
    ("Pow", 1, composite::pow),
    ("LayerNormalization", 17, composite::layer_norm),
    ("InstanceNormalization", 1, composite::instance_norm),
    ("LpNormalization", 1, normalization::lp_norm),
    ("GroupNormalization", 18, normalization::group_norm),
    ("MeanVarianceNormalization", 9, normalization::mean_variance),
    ("Floor", 1, composite::floor),
    ("Sqrt", 1, composite::sqrt),
    ("Ceil", 1, composite::ceil),
    ("Sign", 9, composite::sign),
    ("ReduceMin", 1, composite::reduce_min),
    ("HardSigmoid", 1, composite::hard_sigmoid),
    ("Trilu", 14, composite::trilu),
    ("CumSum", 11, composite::cumsum),
    ("Upsample", 9, resize::resize),
    ("GatherElements", 11, movement::gather_elements),
    ("GatherND", 11, movement::gather_nd),
    ("ReverseSequence", 10, movement::reverse_sequence),
    ("Sigmoid", 1, smooth::sigmoid),
    ("Tanh", 1, smooth::tanh),
    ("Erf", 9, smooth::erf),
    ("Exp", 1, smooth::exp),
    ("Log", 1, smooth::log),
    ("Softplus", 1, smooth::softplus),
    ("Softsign", 1, division::softsign),
    ("Equal", 1, compare::equal),
    ("Less", 1, compare::less),
    ("Greater", 1, compare::greater),
    ("LessOrEqual", 12, compare::less_or_equal),
    ("GreaterOrEqual", 12, compare::greater_or_equal),
    ("Not", 1, compare::not),
    ("And", 1, compare::and),
    ("Or", 1, compare::or),
    ("Xor", 1, compare::xor),
    ("Where", 9, compare::select),
    ("Reciprocal", 1, division::reciprocal),
    ("Elu", 1, smooth::elu),
    ("Selu", 1, smooth::selu),
    ("Celu", 12, smooth::celu),
    ("Mish", 18, smooth::mish),
    ("Gelu", 20, smooth::gelu),
    ("HardSwish", 14, smooth::hard_swish),
    ("ThresholdedRelu", 10, smooth::thresholded_relu),
    ("Shrink", 9, smooth::shrink),
    ("Asin", 7, smooth::asin),
    ("Acos", 7, smooth::acos),
];

/// The builder for `op_type` in `domain` at `opset`, if supported.
pub fn lookup(op_type: &str, domain: &str, opset: i64) -> Option<Builder> {
    let table = match domain {
        "" | "ai.onnx" => REGISTRY,
        "ai.onnx.ml" => ML_REGISTRY,
        _ => return None,
    };
    table.iter().find(|(name, since, _)| *name == op_type && opset >= *since).map(|(_, _, b)| *b)
}

/// Names of all supported ONNX op types.
pub fn supported_ops() -> impl Iterator<Item = &'static str> {
    REGISTRY.iter().chain(ML_REGISTRY).map(|(name, _, _)| *name)
}

/// Names of the supported `ai.onnx.ml` op types.
pub fn ml_ops() -> impl Iterator<Item = &'static str> {
    ML_REGISTRY.iter().map(|(name, _, _)| *name)
}

/// Ops registered for a restricted form only, not claimed as supported: `Pow` (a constant
/// exponent that is one integer from 0 to 8), `ReduceProd` (products whose factors stay within
/// 24 bits at the chosen scale), `Log` (of constants only, as exporters apply it to weights).
pub fn partial_ops() -> &'static [&'static str] {
    &["Pow", "ReduceProd", "Log"]
}
