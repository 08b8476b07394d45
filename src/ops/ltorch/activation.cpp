// ltorch activations, softmax and dropout: parameters, checks and decompositions; the
// symbols are listed in thunder/ops/ltorch/activation.def. The decompositions follow
// ATen's CPU kernels in their order of operations (aten/src/ATen/native/cpu/Activation.cpp),
// computing f16/bf16 in f32 and rounding once, as ATen does.
#include "thunder/ops/ltorch/activation.h"

#include "common.h"

#include <cmath>
#include <limits>
#include <string_view>

namespace thunder::ltorch {
namespace detail {
namespace {

using ops::canonical_dim;

const std::vector<Param> kUnary = {{"a"}};
const std::vector<Param> kLeakyRelu = {{"a"}, {"negative_slope", Value(0.01)}};
const std::vector<Param> kElu = {
    {"a"}, {"alpha", Value(1.0)}, {"scale", Value(1.0)}, {"input_scale", Value(1.0)}};
const std::vector<Param> kCelu = {{"a"}, {"alpha", Value(1.0)}};
const std::vector<Param> kSoftplus = {{"a"}, {"beta", Value(1.0)}, {"threshold", Value(20.0)}};
const std::vector<Param> kHardtanh = {{"a"}, {"min_val", Value(-1.0)}, {"max_val", Value(1.0)}};
const std::vector<Param> kSoftmax = {{"a"}, {"dim"}, {"dtype", Value()}};
const std::vector<Param> kDropout = {{"input"}, {"p"}, {"train"}};

// ---------------------------------------------------------------------------------------
// Scalar arguments.

// The largest finite value of a floating dtype, and the range of an integer one.
double max_finite(DType dtype) {
  switch (dtype) {
  case DType::Float16:
    return 65504.0;
  case DType::BFloat16:
    return 3.3895313892515355e38;
  case DType::Float32:
    return std::numeric_limits<float>::max();
  default:
    return std::numeric_limits<double>::max();
  }
}
std::pair<double, double> integer_range(DType dtype) {
  switch (dtype) {
  case DType::UInt8:
    return {0.0, 255.0};
  case DType::Int8:
    return {-128.0, 127.0};
  case DType::Int16:
    return {-32768.0, 32767.0};
  case DType::Int32:
    return {-2147483648.0, 2147483647.0};
  default:
    // 2^63 is the first double past int64's maximum.
    return {-9223372036854775808.0, std::nextafter(9223372036854775808.0, 0.0)};
  }
}

// torch converts a Scalar argument to the dtype it computes in and rejects a value that
// does not fit ("value cannot be converted to type float without overflow"): finite and
// beyond a floating dtype's range, or NaN or out of range for an integer dtype.
void check_fits(const BoundArgs& args, std::string_view name, double value, DType dtype) {
  bool fits = true;
  if (is_floating(dtype)) {
    fits = !std::isfinite(value) || std::abs(value) <= max_finite(dtype);
  } else {
    const auto [lowest, highest] = integer_range(dtype);
    fits = value >= lowest && value <= highest; // false for NaN
  }
  if (!fits) {
    args.fail(str(name, "=", float_repr(value), " cannot be converted to ", torch_name(dtype),
                  " without overflow"));
  }
}

// A Scalar argument as a double, checked to fit the computation dtype. Symbolic numbers
// would need the coefficient arithmetic below to be traced; they are not supported yet.
double scalar_arg(const BoundArgs& args, std::size_t index, DType computation) {
  const std::string& name = args.symbol().params[index].name;
  if (args[index].is_number()) {
    throw UnsupportedError(str(args.symbol().qualified_name(), ": a symbolic ", name,
                               " is not supported yet; pass a concrete number"));
  }
  const double value = args.number(index);
  check_fits(args, name, value, computation);
  return value;
}

DType computation_dtype(const BoundArgs& args, PromotionKind kind) {
  return elementwise_dtypes(args, {args[0]}, kind).computation;
}

// ---------------------------------------------------------------------------------------
// Checks.

// ATen implements these activations for floating dtypes only ("silu_cpu" not implemented
// for 'Long').
void check_floating(const BoundArgs& args) {
  const TensorProxy& a = *args.tensor(0);
  if (!is_floating(a.dtype())) {
    args.fail(str("expected a floating tensor, got ", a.name(), " of dtype ", torch_name(a.dtype()),
                  " (", args.symbol().name, " is defined for floating dtypes only)"));
  }
}

// hardtanh and relu6 (hardtanh(a, 0, 6)) take integer tensors too, but not bool.
void check_hardtanh(const BoundArgs& args) {
  const TensorProxy& a = *args.tensor(0);
  if (a.dtype() == DType::Bool) {
    args.fail(str("Bool inputs not supported for ", args.symbol().name, " (", a.name(), ")"));
  }
}

void check_celu(const BoundArgs& args) {
  check_floating(args);
  if (!args[1].is_number() && args.number(1) == 0.0) args.fail("alpha cannot be 0 for celu");
}

// ---------------------------------------------------------------------------------------
// Elementwise activations.

Value sigmoid_decomposition(const BoundArgs& args) {
  // 1 / (1 + exp(-a)): 1 at +inf, 0 at -inf.
  return elementwise(args, {args[0]}, PromotionKind::IntToFloat, [](const std::vector<Value>& v) {
    return prims::reciprocal(prims::add(prims::exp(prims::neg(v[0])), 1.0));
  });
}

Value logsigmoid_decomposition(const BoundArgs& args) {
  // min(a, 0) - log1p(exp(-|a|)): no overflow for large |a|.
  return elementwise(args, {args[0]}, PromotionKind::Default, [](const std::vector<Value>& v) {
    const Value& a = v[0];
    return prims::sub(prims::minimum(a, 0.0), prims::log1p(prims::exp(prims::neg(prims::abs(a)))));
  });
}

// clamp(a, min_val, max_val) as ATen's hardtanh does it: limits of integer tensors are
// truncated to ints first (its "legacy behavior of boundaries not causing type promotion"),
// and every limit must fit the tensor's dtype.
Value hardtanh_decomposition(const BoundArgs& args) {
  const DType dtype = args.tensor(0)->dtype();
  Value limits[2];
  for (std::size_t i = 1; i <= 2; ++i) {
    if (is_floating(dtype)) {
      limits[i - 1] = scalar_arg(args, i, dtype);
    } else {
      const double v = scalar_arg(args, i, DType::Int64);
      limits[i - 1] = static_cast<std::int64_t>(std::trunc(v));
    }
  }
  if (dtype == DType::UInt8 && (limits[0].as_float() < 0 || limits[1].as_float() < 0)) {
    args.fail(str("cannot do hardtanh on an unsigned type with negative limits (min_val=",
                  args[1].repr(), ", max_val=", args[2].repr(), ")"));
  }
  if (!is_floating(dtype)) {
    check_fits(args, "min_val", limits[0].as_float(), dtype);
    check_fits(args, "max_val", limits[1].as_float(), dtype);
  }
  return elementwise(args, {args[0]}, PromotionKind::NoOpMath, [&](const std::vector<Value>& v) {
    return prims::minimum(prims::maximum(v[0], limits[0]), limits[1]);
  });
}

Value relu6_decomposition(const BoundArgs& args) {
  const bool floating = is_floating(args.tensor(0)->dtype());
  const Value low = floating ? Value(0.0) : Value(0);
  const Value high = floating ? Value(6.0) : Value(6);
  return elementwise(args, {args[0]}, PromotionKind::NoOpMath, [&](const std::vector<Value>& v) {
    return prims::minimum(prims::maximum(v[0], low), high);
  });
}

Value leaky_relu_decomposition(const BoundArgs& args) {
  const double slope = scalar_arg(args, 1, computation_dtype(args, PromotionKind::Default));
  // a > 0 ? a : a * negative_slope (NaN takes the second branch and stays NaN).
  return elementwise(args, {args[0]}, PromotionKind::Default, [&](const std::vector<Value>& v) {
    const Value& a = v[0];
    return prims::where(prims::gt(a, 0.0), a, prims::mul(a, slope));
  });
}

// a > 0 ? a * scale : expm1(a * input_scale) * (alpha * scale). ATen writes exp(x) - 1;
// expm1 is the same function without the cancellation near 0. The coefficients are
// formed in the computation dtype, as ATen forms them.
TensorProxyPtr elu_compute(const Value& a, DType computation, double alpha, double scale,
                           double input_scale) {
  const double negcoef =
      computation == DType::Float64
          ? alpha * scale
          : static_cast<double>(static_cast<float>(alpha) * static_cast<float>(scale));
  // Products with a unit coefficient are exact: they are left out.
  const auto times = [](const Value& t, double c) {
    return c == 1.0 ? t : Value(prims::mul(t, c));
  };
  const Value negative = times(prims::expm1(times(a, input_scale)), negcoef);
  return prims::where(prims::gt(a, 0.0), times(a, scale), negative);
}

Value elu_decomposition(const BoundArgs& args) {
  const DType computation = computation_dtype(args, PromotionKind::Default);
  const double alpha = scalar_arg(args, 1, computation);
  const double scale = scalar_arg(args, 2, computation);
  const double input_scale = scalar_arg(args, 3, computation);
  return elementwise(args, {args[0]}, PromotionKind::Default, [&](const std::vector<Value>& v) {
    return elu_compute(v[0], computation, alpha, scale, input_scale);
  });
}

Value selu_decomposition(const BoundArgs& args) {
  // The constants of ATen's selu (Klambauer et al., 2017).
  constexpr double kAlpha = 1.6732632423543772848170429916717;
  constexpr double kScale = 1.0507009873554804934193349852946;
  const DType computation = computation_dtype(args, PromotionKind::Default);
  return elementwise(args, {args[0]}, PromotionKind::Default, [&](const std::vector<Value>& v) {
    return elu_compute(v[0], computation, kAlpha, kScale, 1.0);
  });
}

Value celu_decomposition(const BoundArgs& args) {
  // ATen: elu(a, alpha, 1, 1 / alpha), with 1 / alpha formed in double.
  const DType computation = computation_dtype(args, PromotionKind::Default);
  const double alpha = scalar_arg(args, 1, computation);
  const double inverse = 1.0 / alpha;
  check_fits(args, "1 / alpha", inverse, computation);
  return elementwise(args, {args[0]}, PromotionKind::Default, [&](const std::vector<Value>& v) {
    return elu_compute(v[0], computation, alpha, 1.0, inverse);
  });
}

Value silu_decomposition(const BoundArgs& args) {
  // a / (1 + exp(-a)): NaN at -inf (-inf / inf), as in torch.
  return elementwise(args, {args[0]}, PromotionKind::Default, [](const std::vector<Value>& v) {
    return prims::div(v[0], prims::add(prims::exp(prims::neg(v[0])), 1.0));
  });
}

Value mish_decomposition(const BoundArgs& args) {
  // a * tanh(log1p(exp(a))): NaN at -inf (-inf * 0), as in torch.
  return elementwise(args, {args[0]}, PromotionKind::Default, [](const std::vector<Value>& v) {
    return prims::mul(v[0], prims::tanh(prims::log1p(prims::exp(v[0]))));
  });
}

// min(max(a + 3, 0), 6): hardsigmoid divides it by 6, hardswish multiplies a by it first.
TensorProxyPtr relu6_of_a_plus_3(const Value& a) {
  return prims::minimum(prims::maximum(prims::add(a, 3.0), 0.0), 6.0);
}

Value hardsigmoid_decomposition(const BoundArgs& args) {
  return elementwise(args, {args[0]}, PromotionKind::Default, [](const std::vector<Value>& v) {
    return prims::div(relu6_of_a_plus_3(v[0]), 6.0);
  });
}

Value hardswish_decomposition(const BoundArgs& args) {
  // a * min(max(a + 3, 0), 6) / 6, in ATen's order: NaN at -inf (-inf * 0), as in torch.
  return elementwise(args, {args[0]}, PromotionKind::Default, [](const std::vector<Value>& v) {
    return prims::div(prims::mul(v[0], relu6_of_a_plus_3(v[0])), 6.0);
  });
}

Value softplus_decomposition(const BoundArgs& args) {
  const DType computation = computation_dtype(args, PromotionKind::Default);
  const double beta = scalar_arg(args, 1, computation);
  const double threshold = scalar_arg(args, 2, computation);
  // a * beta > threshold ? a : log1p(exp(a * beta)) / beta. A unit beta is left out: the
  // products and the quotient by 1 are exact.
  return elementwise(args, {args[0]}, PromotionKind::Default, [&](const std::vector<Value>& v) {
    const Value& a = v[0];
    const Value scaled = beta == 1.0 ? a : Value(prims::mul(a, beta));
    TensorProxyPtr soft = prims::log1p(prims::exp(scaled));
    if (beta != 1.0) soft = prims::div(soft, beta);
    return prims::where(prims::gt(scaled, threshold), a, soft);
  });
}

// ---------------------------------------------------------------------------------------
// softmax and log_softmax.

// t, whose dim `dim` of shape was reduced away, broadcast back to shape.
TensorProxyPtr unreduce(const TensorProxyPtr& t, const Shape& shape,
                        const std::vector<std::int64_t>& dims) {
  if (dims.empty()) return t;
  std::vector<std::int64_t> kept;
  for (std::int64_t d = 0; d < static_cast<std::int64_t>(shape.size()); ++d) {
    if (d != dims[0]) kept.push_back(d);
  }
  return prims::broadcast_in_dim(t, shape, kept);
}

// exp(a - max) / sum(exp(a - max)) along dim, or its log (a - max) - log(sum(...)).
// Subtracting the max keeps exp from overflowing; a row of all -inf gives NaN (-inf - -inf),
// as in torch. With dtype=, torch converts the input first and computes in that dtype.
Value softmax_common(const BoundArgs& args, bool log) {
  const TensorProxyPtr& a = args.tensor(0);
  const std::int64_t dim = canonical_dim(args, args.integer(1), a->ndim());
  const Value& dtype_arg = args[2];
  if (!dtype_arg.is_none() && dtype_arg.kind() != ValueKind::DType) {
    args.fail(str("argument 'dtype' must be a dtype or None, got ", dtype_arg.repr()));
  }
  const DType result = dtype_arg.is_none() ? a->dtype() : dtype_arg.as_dtype();
  if (!dtype_arg.is_none() && !is_floating(result)) {
    args.fail(str("expected a floating dtype, got dtype=", torch_name(result)));
  }
  if (!is_floating(result)) {
    args.fail(str("expected a floating tensor, got ", a->name(), " of dtype ",
                  torch_name(a->dtype()), "; pass dtype= to compute in a floating dtype"));
  }
  const bool low_precision = result == DType::Float16 || result == DType::BFloat16;
  const TensorProxyPtr x = to_dtype(to_dtype(a, result), low_precision ? DType::Float32 : result);
  // A 0-dim tensor is its own row: nothing to reduce.
  const std::vector<std::int64_t> dims =
      a->ndim() == 0 ? std::vector<std::int64_t>{} : std::vector<std::int64_t>{dim};
  // With no elements there is nothing to keep from overflowing, and the max of a
  // zero-extent dim is undefined.
  const TensorProxyPtr shifted =
      x->numel() == 0 ? x : prims::sub(x, unreduce(prims::amax(x, dims), x->shape(), dims));
  const TensorProxyPtr e = prims::exp(shifted);
  const TensorProxyPtr sum = prims::sum(e, dims);
  const TensorProxyPtr out = log ? prims::sub(shifted, unreduce(prims::log(sum), x->shape(), dims))
                                 : prims::div(e, unreduce(sum, x->shape(), dims));
  return to_dtype(out, result);
}

Value softmax_decomposition(const BoundArgs& args) {
  return softmax_common(args, /*log=*/false);
}
Value log_softmax_decomposition(const BoundArgs& args) {
  return softmax_common(args, /*log=*/true);
}

// ---------------------------------------------------------------------------------------
// dropout.

// In eval mode dropout is the identity: the decomposition hands back its input, so the
// tracer records no call. p is checked in both modes, as ATen does.
Value dropout_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& input = args.tensor(0);
  const Value& p = args[1];
  if (p.is_number()) {
    throw UnsupportedError("ltorch.dropout: a symbolic p is not supported yet; pass a float");
  }
  if (p.kind() != ValueKind::Float && p.kind() != ValueKind::Int) {
    args.fail(str("argument 'p' must be a float, got ", value_kind_name(p.kind())));
  }
  const double probability = p.as_float();
  if (!(probability >= 0.0 && probability <= 1.0)) {
    args.fail(str("dropout probability has to be between 0 and 1, but got ",
                  std::isnan(probability) ? std::string("nan") : p.repr()));
  }
  if (args.boolean(2)) {
    throw UnsupportedError("ltorch.dropout: training mode (train=True) is not supported yet");
  }
  return input;
}

} // namespace

void add_activation_symbols(std::vector<Symbol>& table) {
#define THUNDER_LTORCH(NAME, PARAMS, CHECK, DECOMPOSITION, TAGS, TORCH)                            \
  table.push_back(make_ltorch_symbol(#NAME, PARAMS, CHECK, DECOMPOSITION, TAGS, TORCH));
#include "thunder/ops/ltorch/activation.def"
#undef THUNDER_LTORCH
}

} // namespace detail

TensorProxyPtr sigmoid(const Value& a) {
  return detail::call_tensor(LTorchId::sigmoid, {a});
}
TensorProxyPtr logsigmoid(const Value& a) {
  return detail::call_tensor(LTorchId::logsigmoid, {a});
}
TensorProxyPtr relu6(const Value& a) {
  return detail::call_tensor(LTorchId::relu6, {a});
}
TensorProxyPtr leaky_relu(const Value& a, const Value& negative_slope) {
  return detail::call_tensor(LTorchId::leaky_relu, {a, negative_slope});
}
TensorProxyPtr elu(const Value& a, const Value& alpha, const Value& scale,
                   const Value& input_scale) {
  return detail::call_tensor(LTorchId::elu, {a, alpha, scale, input_scale});
}
TensorProxyPtr selu(const Value& a) {
  return detail::call_tensor(LTorchId::selu, {a});
}
TensorProxyPtr celu(const Value& a, const Value& alpha) {
  return detail::call_tensor(LTorchId::celu, {a, alpha});
}
TensorProxyPtr silu(const Value& a) {
  return detail::call_tensor(LTorchId::silu, {a});
}
TensorProxyPtr mish(const Value& a) {
  return detail::call_tensor(LTorchId::mish, {a});
}
TensorProxyPtr hardsigmoid(const Value& a) {
  return detail::call_tensor(LTorchId::hardsigmoid, {a});
}
TensorProxyPtr hardswish(const Value& a) {
  return detail::call_tensor(LTorchId::hardswish, {a});
}
TensorProxyPtr softplus(const Value& a, const Value& beta, const Value& threshold) {
  return detail::call_tensor(LTorchId::softplus, {a, beta, threshold});
}
TensorProxyPtr hardtanh(const Value& a, const Value& min_val, const Value& max_val) {
  return detail::call_tensor(LTorchId::hardtanh, {a, min_val, max_val});
}
TensorProxyPtr softmax(const Value& a, std::int64_t dim, std::optional<DType> dtype) {
  return detail::call_tensor(LTorchId::softmax, {a, dim, dtype ? Value(*dtype) : Value()});
}
TensorProxyPtr log_softmax(const Value& a, std::int64_t dim, std::optional<DType> dtype) {
  return detail::call_tensor(LTorchId::log_softmax, {a, dim, dtype ? Value(*dtype) : Value()});
}
TensorProxyPtr dropout(const Value& input, const Value& p, bool train) {
  return detail::call_tensor(LTorchId::dropout, {input, p, train});
}

} // namespace thunder::ltorch
