// ltorch elementwise ops: parameters, checks and decompositions; the symbols are listed in
// thunder/ops/ltorch/elementwise.def.
#include "thunder/ops/ltorch/elementwise.h"

#include "common.h"

#include <numbers>

namespace thunder::ltorch {
namespace detail {
namespace {

using ops::canonical_dim;

const std::vector<Param> kUnary = {{"a"}};
const std::vector<Param> kBinary = {{"a"}, {"b"}};
const std::vector<Param> kAlphaBinary = {{"a"}, {"b"}, {"alpha", Value(1), true}};
const std::vector<Param> kDiv = {{"a"}, {"b"}, {"rounding_mode", Value(), true}};
const std::vector<Param> kGelu = {{"a"}, {"approximate", Value("none"), true}};
const std::vector<Param> kTo = {{"a"}, {"dtype"}};

#define THUNDER_UNARY(NAME, KIND)                                                                  \
  Value NAME##_decomposition(const BoundArgs& args) {                                              \
    return elementwise(args, {args[0]}, PromotionKind::KIND,                                       \
                       [](const std::vector<Value>& v) { return prims::NAME(v[0]); });             \
  }
THUNDER_UNARY(neg, NoOpMath)
THUNDER_UNARY(abs, NoOpMath)
THUNDER_UNARY(exp, IntToFloat)
THUNDER_UNARY(log, IntToFloat)
THUNDER_UNARY(sqrt, IntToFloat)
THUNDER_UNARY(rsqrt, IntToFloat)
THUNDER_UNARY(tanh, IntToFloat)
THUNDER_UNARY(erf, IntToFloat)
#undef THUNDER_UNARY

#define THUNDER_BINARY(NAME, KIND)                                                                 \
  Value NAME##_decomposition(const BoundArgs& args) {                                              \
    return elementwise(args, {args[0], args[1]}, PromotionKind::KIND,                              \
                       [](const std::vector<Value>& v) { return prims::NAME(v[0], v[1]); });       \
  }
THUNDER_BINARY(mul, Default)
THUNDER_BINARY(maximum, NoOpMath)
THUNDER_BINARY(minimum, NoOpMath)
#undef THUNDER_BINARY

// a + alpha * b and a - alpha * b, with b scaled in the computation dtype as torch does.
// As torch's alpha_check: a bool alpha needs a bool result, a float alpha a floating one.
Value alpha_binary(const BoundArgs& args, TensorProxyPtr (*op)(const Value&, const Value&)) {
  const Value& alpha = args.get("alpha");
  if (!alpha.is_scalar() || alpha.is_number()) {
    args.fail(str("alpha must be a concrete number, got ", alpha.repr()));
  }
  const Dtypes dtypes = elementwise_dtypes(args, {args[0], args[1]}, PromotionKind::Default);
  if (alpha.kind() == ValueKind::Bool && dtypes.result != DType::Bool) {
    args.fail("boolean alpha only supported for Boolean results");
  }
  if (!is_floating(dtypes.result) && alpha.kind() == ValueKind::Float) {
    args.fail("for integral input tensors, argument alpha must not be a floating point number");
  }
  const double alpha_value = args.number(2);
  const bool unit_alpha = alpha_value == 1.0;
  return elementwise(
      args, {args[0], args[1]}, PromotionKind::Default, [&](const std::vector<Value>& v) {
        Value b = v[1];
        if (!unit_alpha && b.is_tensor()) {
          b = prims::mul(b, alpha);
        } else if (!unit_alpha && b.is_number()) {
          throw UnsupportedError(
              str(args.symbol().qualified_name(), ": alpha with a symbolic number operand"));
        } else if (!unit_alpha) {
          // Both concrete: fold, keeping Python's int * int -> int.
          const bool ints = b.kind() != ValueKind::Float && alpha.kind() != ValueKind::Float;
          const double product = ops::value_as_double(b) * alpha_value;
          b = ints ? Value(static_cast<std::int64_t>(product)) : Value(product);
        }
        return op(v[0], b);
      });
}

Value add_decomposition(const BoundArgs& args) {
  return alpha_binary(args, &prims::add);
}
Value sub_decomposition(const BoundArgs& args) {
  for (const Value& v : {args[0], args[1]}) {
    if (ops::value_dtype(v) == DType::Bool && v.is_tensor()) {
      args.fail("subtraction with two bool tensors (or a bool tensor and a number) is not "
                "supported; use logical_xor or bitwise_not instead");
    }
  }
  return alpha_binary(args, &prims::sub);
}

Value div_decomposition(const BoundArgs& args) {
  const Value& mode = args.get("rounding_mode");
  if (!mode.is_none()) {
    throw UnsupportedError(str("ltorch.div: rounding_mode=", mode.repr(),
                               " is not supported yet; only true division (None) is"));
  }
  return elementwise(args, {args[0], args[1]}, PromotionKind::IntToFloat,
                     [](const std::vector<Value>& v) { return prims::div(v[0], v[1]); });
}

void check_not_bool(const BoundArgs& args) {
  if (args[0].is_tensor() && args.tensor(0)->dtype() == DType::Bool) {
    const bool negation = args.symbol().name == "neg";
    args.fail(str(negation ? "negation is " : "", "not supported on bool tensors (",
                  args.tensor(0)->name(), ")",
                  negation ? "; use logical_not to invert a mask" : ""));
  }
}

Value relu_decomposition(const BoundArgs& args) {
  return elementwise(args, {args[0]}, PromotionKind::NoOpMath,
                     [](const std::vector<Value>& v) { return prims::maximum(v[0], 0); });
}

void check_gelu(const BoundArgs& args) {
  const TensorProxy& a = *args.tensor(0);
  if (!is_floating(a.dtype())) {
    args.fail(
        str("expected a floating tensor, got ", a.name(), " of dtype ", torch_name(a.dtype())));
  }
  const std::string& approximate = args.string(1);
  if (approximate != "none" && approximate != "tanh") {
    args.fail(str("approximate must be 'none' or 'tanh', got '", approximate, "'"));
  }
}

Value gelu_decomposition(const BoundArgs& args) {
  const auto erf_form = [](const std::vector<Value>& v) {
    // 0.5 * a * (1 + erf(a / sqrt(2)))
    const Value& a = v[0];
    const auto inner = prims::erf(prims::mul(a, std::numbers::sqrt2 / 2));
    return prims::mul(prims::mul(a, 0.5), prims::add(inner, 1.0));
  };
  const auto tanh_form = [](const std::vector<Value>& v) {
    // 0.5 * a * (1 + tanh(sqrt(2 / pi) * (a + 0.044715 * a^3)))
    const Value& a = v[0];
    const double k = std::numbers::sqrt2 * std::numbers::inv_sqrtpi;
    const auto cube = prims::mul(prims::mul(a, a), a);
    const auto inner = prims::mul(prims::add(a, prims::mul(cube, 0.044715)), k);
    return prims::mul(prims::mul(a, 0.5), prims::add(prims::tanh(inner), 1.0));
  };
  const bool use_tanh = args.string(1) == "tanh";
  return elementwise(args, {args[0]}, PromotionKind::Default,
                     use_tanh ? Compute(tanh_form) : Compute(erf_form));
}

Value to_decomposition(const BoundArgs& args) {
  if (args[1].kind() != ValueKind::DType) args.fail("argument 'dtype' must be a dtype");
  return prims::convert_element_type(args.tensor(0), args[1].as_dtype());
}


} // namespace

void add_elementwise_symbols(std::vector<Symbol>& table) {
#define THUNDER_LTORCH(NAME, PARAMS, CHECK, DECOMPOSITION, TAGS, TORCH)                            \
  table.push_back(make_ltorch_symbol(#NAME, PARAMS, CHECK, DECOMPOSITION, TAGS, TORCH));
#include "thunder/ops/ltorch/elementwise.def"
#undef THUNDER_LTORCH
}

} // namespace detail

TensorProxyPtr add(const Value& a, const Value& b, const Value& alpha) {
  return detail::call_tensor(LTorchId::add, {a, b}, {{"alpha", alpha}});
}
TensorProxyPtr sub(const Value& a, const Value& b, const Value& alpha) {
  return detail::call_tensor(LTorchId::sub, {a, b}, {{"alpha", alpha}});
}
TensorProxyPtr mul(const Value& a, const Value& b) {
  return detail::call_tensor(LTorchId::mul, {a, b});
}
TensorProxyPtr div(const Value& a, const Value& b, const Value& rounding_mode) {
  return detail::call_tensor(LTorchId::div, {a, b}, {{"rounding_mode", rounding_mode}});
}
TensorProxyPtr maximum(const Value& a, const Value& b) {
  return detail::call_tensor(LTorchId::maximum, {a, b});
}
TensorProxyPtr minimum(const Value& a, const Value& b) {
  return detail::call_tensor(LTorchId::minimum, {a, b});
}
TensorProxyPtr neg(const Value& a) {
  return detail::call_tensor(LTorchId::neg, {a});
}
TensorProxyPtr abs(const Value& a) {
  return detail::call_tensor(LTorchId::abs, {a});
}
TensorProxyPtr exp(const Value& a) {
  return detail::call_tensor(LTorchId::exp, {a});
}
TensorProxyPtr log(const Value& a) {
  return detail::call_tensor(LTorchId::log, {a});
}
TensorProxyPtr sqrt(const Value& a) {
  return detail::call_tensor(LTorchId::sqrt, {a});
}
TensorProxyPtr rsqrt(const Value& a) {
  return detail::call_tensor(LTorchId::rsqrt, {a});
}
TensorProxyPtr tanh(const Value& a) {
  return detail::call_tensor(LTorchId::tanh, {a});
}
TensorProxyPtr erf(const Value& a) {
  return detail::call_tensor(LTorchId::erf, {a});
}
TensorProxyPtr relu(const Value& a) {
  return detail::call_tensor(LTorchId::relu, {a});
}
TensorProxyPtr gelu(const Value& a, const std::string& approximate) {
  return detail::call_tensor(LTorchId::gelu, {a}, {{"approximate", approximate}});
}
TensorProxyPtr to(const Value& a, DType dtype) {
  return detail::call_tensor(LTorchId::to, {a, dtype});
}
} // namespace thunder::ltorch
