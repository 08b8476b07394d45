// ltorch elementwise ops: parameters, checks and decompositions; the symbols are listed in
// thunder/ops/ltorch/elementwise.def.
#include "thunder/ops/ltorch/elementwise.h"

#include "common.h"

#include <cmath>
#include <limits>
#include <numbers>
#include <optional>
#include <string_view>
#include <utility>
#include <variant>

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
const std::vector<Param> kRound = {{"a"}, {"decimals", Value(0), true}};
const std::vector<Param> kWhere = {{"condition"}, {"a"}, {"b"}};
const std::vector<Param> kMaskedFill = {{"a"}, {"mask"}, {"value"}};
const std::vector<Param> kClamp = {{"a"}, {"min", Value()}, {"max", Value()}};

// The value of a concrete number (or of a number proxy the trace specialized on);
// nullopt for tensors, unknown numbers and anything else.
std::optional<ScalarValue> known_number(const Value& v) {
  switch (v.kind()) {
  case ValueKind::Bool:
    return ScalarValue(v.as_bool());
  case ValueKind::Int:
    return ScalarValue(v.as_int());
  case ValueKind::Float:
    return ScalarValue(v.as_float());
  case ValueKind::Number:
    return v.as_number()->value();
  default:
    return std::nullopt;
  }
}

// c10::overflows: whether torch's checked conversion of a Scalar to this element type
// fails. Unsigned targets take negative integers down to -max (they wrap), floating
// targets take inf and nan, bool takes anything.
bool overflows(const ScalarValue& value, DType dtype) {
  if (dtype == DType::Bool || std::holds_alternative<bool>(value)) return false;
  const auto [lowest, highest] = finite_range(dtype);
  if (const auto* i = std::get_if<std::int64_t>(&value)) {
    if (dtype == DType::Int64) return false;
    if (dtype == DType::UInt8) return *i > 255 || *i < -255;
    return static_cast<double>(*i) < lowest || static_cast<double>(*i) > highest;
  }
  const double f = std::get<double>(value);
  if (std::isnan(f)) return !is_floating(dtype);
  if (std::isinf(f) && is_floating(dtype)) return false;
  return f < lowest || f > highest;
}

// The C++ type torch names in "value cannot be converted to type ... without overflow".
std::string_view c10_type_name(DType dtype) {
  switch (dtype) {
  case DType::Bool:
    return "bool";
  case DType::UInt8:
    return "uint8_t";
  case DType::Int8:
    return "int8_t";
  case DType::Int16:
    return "int16_t";
  case DType::Int32:
    return "int";
  case DType::Int64:
    return "int64_t";
  case DType::Float16:
    return "c10::Half";
  case DType::BFloat16:
    return "c10::BFloat16";
  case DType::Float32:
    return "float";
  case DType::Float64:
    return "double";
  }
  return "";
}

// ArgumentError where torch's checked conversion of a number operand to dtype fails.
void check_number_fits(const BoundArgs& args, const Value& v, DType dtype) {
  const std::optional<ScalarValue> value = known_number(v);
  if (value && overflows(*value, dtype)) {
    args.fail(str("value cannot be converted to type ", c10_type_name(dtype), " without overflow (",
                  v.repr(), " as ", torch_name(dtype), ")"));
  }
}

// A number operand as a tensor like `like` (prims need a tensor where a comparison or a
// select involves it); a tensor stays as it is.
TensorProxyPtr tensor_like(const Value& v, const TensorProxy& like) {
  if (v.is_tensor()) return v.as_tensor();
  return prims::full(like.shape(), v, like.dtype(), like.device());
}

const TensorProxy& first_tensor_of(const std::vector<Value>& v) {
  const TensorProxy* t = ops::first_tensor(v);
  THUNDER_INTERNAL_ASSERT(t != nullptr) << "elementwise compute without a tensor operand";
  return *t;
}

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
THUNDER_UNARY(exp2, IntToFloat)
THUNDER_UNARY(log2, IntToFloat)
THUNDER_UNARY(log1p, IntToFloat)
THUNDER_UNARY(expm1, IntToFloat)
THUNDER_UNARY(sin, IntToFloat)
THUNDER_UNARY(cos, IntToFloat)
THUNDER_UNARY(tan, IntToFloat)
THUNDER_UNARY(reciprocal, IntToFloat)
THUNDER_UNARY(sign, NoOpMath)
THUNDER_UNARY(isnan, AlwaysBool)
THUNDER_UNARY(isinf, AlwaysBool)
THUNDER_UNARY(isfinite, AlwaysBool)
THUNDER_UNARY(logical_not, AlwaysBool)
THUNDER_UNARY(bitwise_not, NoOpMath)
#undef THUNDER_UNARY

#define THUNDER_BINARY(NAME, KIND)                                                                 \
  Value NAME##_decomposition(const BoundArgs& args) {                                              \
    return elementwise(args, {args[0], args[1]}, PromotionKind::KIND,                              \
                       [](const std::vector<Value>& v) { return prims::NAME(v[0], v[1]); });       \
  }
THUNDER_BINARY(mul, Default)
THUNDER_BINARY(maximum, NoOpMath)
THUNDER_BINARY(minimum, NoOpMath)
THUNDER_BINARY(fmod, Default)
THUNDER_BINARY(remainder, Default)
THUNDER_BINARY(atan2, IntToFloat)
THUNDER_BINARY(eq, AlwaysBool)
THUNDER_BINARY(ne, AlwaysBool)
THUNDER_BINARY(lt, AlwaysBool)
THUNDER_BINARY(le, AlwaysBool)
THUNDER_BINARY(gt, AlwaysBool)
THUNDER_BINARY(ge, AlwaysBool)
THUNDER_BINARY(logical_and, AlwaysBool)
THUNDER_BINARY(logical_or, AlwaysBool)
THUNDER_BINARY(logical_xor, AlwaysBool)
THUNDER_BINARY(bitwise_and, NoOpMath)
THUNDER_BINARY(bitwise_or, NoOpMath)
THUNDER_BINARY(bitwise_xor, NoOpMath)
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

// Division rounding towards zero, in the operands' (common) dtype.
TensorProxyPtr trunc_divide(const std::vector<Value>& v) {
  const TensorProxyPtr quotient = prims::div(v[0], v[1]);
  // The prim already truncates integers.
  return is_floating(quotient->dtype()) ? prims::trunc(quotient) : quotient;
}

// Division rounding towards -inf, in the operands' (common) dtype, as torch computes it.
TensorProxyPtr floor_divide(const std::vector<Value>& v) {
  const TensorProxy& like = first_tensor_of(v);
  const TensorProxyPtr a = tensor_like(v[0], like);
  const TensorProxyPtr b = tensor_like(v[1], like);
  if (!is_floating(like.dtype())) {
    // c10::div_floor_integer: truncate, then step down where the signs differ and the
    // division is inexact.
    const TensorProxyPtr quotient = prims::div(a, b);
    const TensorProxyPtr inexact = prims::ne(prims::fmod(a, b), 0);
    const TensorProxyPtr signs_differ = prims::logical_xor(prims::lt(a, 0), prims::lt(b, 0));
    return prims::where(prims::logical_and(inexact, signs_differ), prims::sub(quotient, 1),
                        quotient);
  }
  // c10::div_floor_floating, Python's float floor division: from the exact remainder, so
  // that 1 // 0.1 is 9 (floor(1 / 0.1) would be 10).
  const TensorProxyPtr quotient = prims::div(a, b);
  const TensorProxyPtr mod = prims::fmod(a, b);
  TensorProxyPtr whole = prims::div(prims::sub(a, mod), b);
  const TensorProxyPtr step_down =
      prims::logical_and(prims::ne(mod, 0), prims::logical_xor(prims::lt(b, 0), prims::lt(mod, 0)));
  whole = prims::where(step_down, prims::sub(whole, 1), whole);
  TensorProxyPtr floored = prims::floor(whole);
  floored =
      prims::where(prims::gt(prims::sub(whole, floored), 0.5), prims::add(floored, 1), floored);
  // A zero result takes the sign of a / b (copysign(0, a / b)); the quotient is finite there.
  floored = prims::where(prims::eq(whole, 0), prims::mul(quotient, 0), floored);
  // Division by zero gives IEEE's a / b.
  return prims::where(prims::eq(b, 0), quotient, floored);
}

// Integer and bool results of the rounding divisions, fmod and remainder: torch has no bool
// kernel for them.
void check_not_bool_result(const BoundArgs& args) {
  if (elementwise_dtypes(args, {args[0], args[1]}, PromotionKind::Default).result == DType::Bool) {
    args.fail(
        str("\"", args.symbol().name, "\" not implemented for 'Bool' (both operands are bool)"));
  }
}

void check_div(const BoundArgs& args) {
  const Value& mode = args.get("rounding_mode");
  if (mode.is_none()) return;
  if (mode.kind() != ValueKind::String ||
      (mode.as_string() != "trunc" && mode.as_string() != "floor")) {
    args.fail(str("div expected rounding_mode to be one of None, 'trunc', or 'floor' but found ",
                  mode.repr()));
  }
  if (elementwise_dtypes(args, {args[0], args[1]}, PromotionKind::Default).result == DType::Bool) {
    args.fail(str("rounding_mode=", mode.repr(),
                  " is not implemented for 'Bool' (both operands are bool)"));
  }
}

// True division gives a float; the rounding modes keep the promoted dtype, integer or float.
Value div_decomposition(const BoundArgs& args) {
  const Value& mode = args.get("rounding_mode");
  if (mode.is_none()) {
    return elementwise(args, {args[0], args[1]}, PromotionKind::IntToFloat,
                       [](const std::vector<Value>& v) { return prims::div(v[0], v[1]); });
  }
  return elementwise(args, {args[0], args[1]}, PromotionKind::Default,
                     mode.as_string() == "floor" ? Compute(floor_divide) : Compute(trunc_divide));
}

Value floor_divide_decomposition(const BoundArgs& args) {
  return elementwise(args, {args[0], args[1]}, PromotionKind::Default, floor_divide);
}

Value log10_decomposition(const BoundArgs& args) {
  return elementwise(args, {args[0]}, PromotionKind::IntToFloat, [](const std::vector<Value>& v) {
    // There is no log10 prim: log(a) / ln(10).
    return prims::div(prims::log(v[0]), std::numbers::ln10);
  });
}

// floor, ceil, round and trunc: torch has no bool kernel; round's decimals need a floating
// tensor.
void check_rounding(const BoundArgs& args) {
  const TensorProxy& a = *args.tensor(0);
  const std::string& name = args.symbol().name;
  if (a.dtype() == DType::Bool) {
    args.fail(str("\"", name, "\" not implemented for 'Bool' (", a.name(), " is a bool tensor)"));
  }
  if (name == "round" && args.integer(1) != 0 && !is_floating(a.dtype())) {
    args.fail(str("\"round\" with decimals=", args.integer(1), " not implemented for '",
                  c10_name(a.dtype()), "' (", a.name(), " is ", torch_name(a.dtype()), ")"));
  }
}

// Integers are whole already: torch returns them unchanged.
Value rounding(const BoundArgs& args, TensorProxyPtr (*op)(const Value&)) {
  const TensorProxyPtr& a = args.tensor(0);
  if (!is_floating(a->dtype())) return a;
  return elementwise(args, {a}, PromotionKind::NoOpMath,
                     [op](const std::vector<Value>& v) { return op(v[0]); });
}

Value floor_decomposition(const BoundArgs& args) {
  return rounding(args, &prims::floor);
}
Value ceil_decomposition(const BoundArgs& args) {
  return rounding(args, &prims::ceil);
}
Value trunc_decomposition(const BoundArgs& args) {
  return rounding(args, &prims::trunc);
}

// Half to even. With decimals, torch scales by 10^|decimals| in the computation dtype,
// rounds and scales back.
Value round_decomposition(const BoundArgs& args) {
  const std::int64_t decimals = args.integer(1);
  if (decimals == 0) return rounding(args, &prims::round);
  const double scale = std::pow(10.0, static_cast<double>(decimals < 0 ? -decimals : decimals));
  return elementwise(args, {args[0]}, PromotionKind::Default, [&](const std::vector<Value>& v) {
    if (decimals > 0) return prims::div(prims::round(prims::mul(v[0], scale)), scale);
    return prims::mul(prims::round(prims::div(v[0], scale)), scale);
  });
}

// torch computes square as pow(a, 2), so a bool tensor squares to int64.
Value square_decomposition(const BoundArgs& args) {
  return elementwise(args, {args[0], Value(2)}, PromotionKind::Default,
                     [](const std::vector<Value>& v) { return prims::mul(v[0], v[0]); });
}

// Bitwise ops take integer and bool operands only.
void check_bitwise(const BoundArgs& args) {
  const DType dtype = elementwise_dtypes(args, args.values(), PromotionKind::NoOpMath).result;
  if (is_floating(dtype)) {
    args.fail(str("\"", args.symbol().name, "\" not implemented for '", c10_name(dtype),
                  "' (the operands promote to ", torch_name(dtype),
                  "); bitwise ops take integer and bool tensors"));
  }
}

// As pow(Tensor, Scalar): no bool kernel, no negative integer powers of integer tensors,
// and the exponent must convert to the result dtype.
void check_pow(const BoundArgs& args) {
  const DType dtype = elementwise_dtypes(args, {args[0], args[1]}, PromotionKind::Default).result;
  if (dtype == DType::Bool)
    args.fail("\"pow\" not implemented for 'Bool' (both operands are bool)");
  if (!args[0].is_tensor() || args[1].is_tensor()) return;
  const TensorProxy& a = *args.tensor(0);
  const std::optional<ScalarValue> exponent = known_number(args[1]);
  if (!is_floating(a.dtype()) && exponent && std::holds_alternative<std::int64_t>(*exponent) &&
      std::get<std::int64_t>(*exponent) < 0) {
    args.fail(str("Integers to negative integer powers are not allowed (", a.name(), " of dtype ",
                  torch_name(a.dtype()), " to the power ", args[1].repr(), ")"));
  }
  check_number_fits(args, args[1], dtype);
}

Value pow_decomposition(const BoundArgs& args) {
  const std::optional<ScalarValue> exponent =
      args[0].is_tensor() ? known_number(args[1]) : std::nullopt;
  return elementwise(
      args, {args[0], args[1]}, PromotionKind::Default, [&](const std::vector<Value>& v) {
        const TensorProxy& base = first_tensor_of(v);
        if (exponent && is_floating(base.dtype())) {
          const double e = std::visit([](auto x) { return static_cast<double>(x); }, *exponent);
          // torch's pow(Tensor, Scalar) computes these exponents as sqrt, rsqrt and
          // a * a, which differ from pow at the edges: sqrt(-inf) is nan, pow(-inf, 0.5) inf.
          if (e == 0.5) return prims::sqrt(v[0]);
          if (e == -0.5) return prims::rsqrt(v[0]);
          if (e == 2.0) return prims::mul(v[0], v[0]);
        }
        return prims::pow(v[0], v[1]);
      });
}

void check_where(const BoundArgs& args) {
  const TensorProxy& condition = *args.tensor(0);
  if (condition.dtype() != DType::Bool && condition.dtype() != DType::UInt8) {
    args.fail(str("where expected condition to be a boolean tensor, but got a tensor with dtype ",
                  c10_name(condition.dtype())));
  }
  const DType dtype = elementwise_dtypes(args, {args[1], args[2]}, PromotionKind::NoOpMath).result;
  // torch converts number operands with a checked conversion, except for half and bfloat16
  // results (where they go through double).
  if (dtype == DType::Float16 || dtype == DType::BFloat16) return;
  for (const std::size_t i : {1u, 2u}) {
    if (!args[i].is_tensor()) check_number_fits(args, args[i], dtype);
  }
}

// where(condition, a, b): all three broadcast; a and b promote (the condition does not).
Value where_decomposition(const BoundArgs& args) {
  TensorProxyPtr condition = args.tensor(0);
  const DType dtype = elementwise_dtypes(args, {args[1], args[2]}, PromotionKind::NoOpMath).result;
  std::vector<Shape> shapes = {condition->shape()};
  for (const Value& v : {args[1], args[2]}) {
    if (v.is_tensor()) shapes.push_back(v.as_tensor()->shape());
  }
  const Shape shape = ops::broadcast_shapes(args, shapes);
  const Device device = ops::common_device(args, args.values());
  condition = broadcast_to(condition, shape);
  // torch still takes (deprecated) uint8 conditions: nonzero selects a.
  if (condition->dtype() == DType::UInt8) condition = prims::ne(condition, 0);
  Value a = prepare_operand(args[1], shape, dtype);
  const Value b = prepare_operand(args[2], shape, dtype);
  if (!a.is_tensor() && !b.is_tensor()) a = prims::full(shape, a, dtype, device);
  return prims::where(condition, a, b);
}

void check_masked_fill(const BoundArgs& args) {
  const TensorProxy& a = *args.tensor(0);
  const TensorProxy& mask = *args.tensor(1);
  if (mask.dtype() != DType::Bool) {
    args.fail(str("masked_fill only supports boolean masks, but got mask with dtype ",
                  torch_name(mask.dtype())));
  }
  const Value& value = args[2];
  if (value.is_tensor()) {
    if (value.as_tensor()->ndim() != 0) {
      args.fail(str("masked_fill only supports a 0-dimensional value tensor, but got tensor with ",
                    value.as_tensor()->ndim(), " dimension(s)."));
    }
  } else if (value.is_scalar()) {
    check_number_fits(args, value, a.dtype());
  } else {
    args.fail(str("value must be a number or a 0-dim tensor, got ", value.repr()));
  }
}

// The result keeps a's dtype; out of place, torch broadcasts a and the mask together.
Value masked_fill_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& a = args.tensor(0);
  const TensorProxyPtr& mask = args.tensor(1);
  const Shape shape = ops::broadcast_shapes(args, {a->shape(), mask->shape()});
  ops::common_device(args, args.values());
  Value value = args[2];
  if (value.is_tensor()) {
    value = broadcast_to(to_dtype(value.as_tensor(), a->dtype()), shape);
  } else if (const std::optional<ScalarValue> known = known_number(value)) {
    // Converted as torch converts the Scalar (C++ casts: truncation, nonzero is true), so
    // the trace shows the value that is filled in.
    const double v = std::visit([](auto x) { return static_cast<double>(x); }, *known);
    if (a->dtype() == DType::Bool) {
      value = Value(v != 0);
    } else if (!is_floating(a->dtype()) && value.kind() == ValueKind::Float &&
               std::abs(v) < 9.2e18) {
      value = Value(static_cast<std::int64_t>(v));
    }
  }
  return prims::where(broadcast_to(mask, shape), value, broadcast_to(a, shape));
}

// a and the bounds that are not None, in that order.
std::vector<Value> clamp_operands(const BoundArgs& args) {
  std::vector<Value> out = {args[0]};
  for (const std::size_t i : {1u, 2u}) {
    if (!args[i].is_none()) out.push_back(args[i]);
  }
  return out;
}

void check_clamp(const BoundArgs& args) {
  args.tensor(0);
  if (args[1].is_none() && args[2].is_none()) {
    args.fail("At least one of 'min' or 'max' must not be None");
  }
  const std::vector<Value> operands = clamp_operands(args);
  const DType dtype = elementwise_dtypes(args, operands, PromotionKind::NoOpMath).result;
  bool number_bound = false;
  for (std::size_t i = 1; i < operands.size(); ++i) {
    if (operands[i].is_tensor()) continue;
    number_bound = true;
    check_number_fits(args, operands[i], dtype);
  }
  // torch's only bool kernels are clamp_min and clamp_max with a tensor bound.
  if (dtype == DType::Bool && (number_bound || operands.size() == 3)) {
    args.fail("clamp is not implemented for 'Bool' with a number bound or with both min and "
              "max; give one bool tensor bound");
  }
}

// min(max(a, min), max): min > max gives max everywhere, and a nan anywhere gives nan, as
// in torch.
Value clamp_decomposition(const BoundArgs& args) {
  const bool has_min = !args[1].is_none();
  const bool has_max = !args[2].is_none();
  return elementwise(args, clamp_operands(args), PromotionKind::NoOpMath,
                     [has_min, has_max](const std::vector<Value>& v) {
                       TensorProxyPtr out = v[0].as_tensor();
                       std::size_t next = 1;
                       if (has_min) out = prims::maximum(out, v[next++]);
                       if (has_max) out = prims::minimum(out, v[next]);
                       return out;
                     });
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
    // One statement per prim: argument evaluation order is up to the compiler.
    const auto half_a = prims::mul(a, 0.5);
    const auto one_plus = prims::add(inner, 1.0);
    return prims::mul(half_a, one_plus);
  };
  const auto tanh_form = [](const std::vector<Value>& v) {
    // 0.5 * a * (1 + tanh(sqrt(2 / pi) * (a + 0.044715 * a^3)))
    const Value& a = v[0];
    const double k = std::numbers::sqrt2 * std::numbers::inv_sqrtpi;
    const auto cube = prims::mul(prims::mul(a, a), a);
    const auto inner = prims::mul(prims::add(a, prims::mul(cube, 0.044715)), k);
    const auto half_a = prims::mul(a, 0.5);
    const auto one_plus = prims::add(prims::tanh(inner), 1.0);
    return prims::mul(half_a, one_plus);
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
TensorProxyPtr exp2(const Value& a) {
  return detail::call_tensor(LTorchId::exp2, {a});
}
TensorProxyPtr log2(const Value& a) {
  return detail::call_tensor(LTorchId::log2, {a});
}
TensorProxyPtr log10(const Value& a) {
  return detail::call_tensor(LTorchId::log10, {a});
}
TensorProxyPtr log1p(const Value& a) {
  return detail::call_tensor(LTorchId::log1p, {a});
}
TensorProxyPtr expm1(const Value& a) {
  return detail::call_tensor(LTorchId::expm1, {a});
}
TensorProxyPtr sin(const Value& a) {
  return detail::call_tensor(LTorchId::sin, {a});
}
TensorProxyPtr cos(const Value& a) {
  return detail::call_tensor(LTorchId::cos, {a});
}
TensorProxyPtr tan(const Value& a) {
  return detail::call_tensor(LTorchId::tan, {a});
}
TensorProxyPtr reciprocal(const Value& a) {
  return detail::call_tensor(LTorchId::reciprocal, {a});
}
TensorProxyPtr floor(const Value& a) {
  return detail::call_tensor(LTorchId::floor, {a});
}
TensorProxyPtr ceil(const Value& a) {
  return detail::call_tensor(LTorchId::ceil, {a});
}
TensorProxyPtr trunc(const Value& a) {
  return detail::call_tensor(LTorchId::trunc, {a});
}
TensorProxyPtr sign(const Value& a) {
  return detail::call_tensor(LTorchId::sign, {a});
}
TensorProxyPtr square(const Value& a) {
  return detail::call_tensor(LTorchId::square, {a});
}
TensorProxyPtr isnan(const Value& a) {
  return detail::call_tensor(LTorchId::isnan, {a});
}
TensorProxyPtr isinf(const Value& a) {
  return detail::call_tensor(LTorchId::isinf, {a});
}
TensorProxyPtr isfinite(const Value& a) {
  return detail::call_tensor(LTorchId::isfinite, {a});
}
TensorProxyPtr logical_not(const Value& a) {
  return detail::call_tensor(LTorchId::logical_not, {a});
}
TensorProxyPtr bitwise_not(const Value& a) {
  return detail::call_tensor(LTorchId::bitwise_not, {a});
}
TensorProxyPtr round(const Value& a, std::int64_t decimals) {
  return detail::call_tensor(LTorchId::round, {a}, {{"decimals", decimals}});
}
TensorProxyPtr pow(const Value& a, const Value& b) {
  return detail::call_tensor(LTorchId::pow, {a, b});
}
TensorProxyPtr fmod(const Value& a, const Value& b) {
  return detail::call_tensor(LTorchId::fmod, {a, b});
}
TensorProxyPtr remainder(const Value& a, const Value& b) {
  return detail::call_tensor(LTorchId::remainder, {a, b});
}
TensorProxyPtr atan2(const Value& a, const Value& b) {
  return detail::call_tensor(LTorchId::atan2, {a, b});
}
TensorProxyPtr floor_divide(const Value& a, const Value& b) {
  return detail::call_tensor(LTorchId::floor_divide, {a, b});
}
TensorProxyPtr eq(const Value& a, const Value& b) {
  return detail::call_tensor(LTorchId::eq, {a, b});
}
TensorProxyPtr ne(const Value& a, const Value& b) {
  return detail::call_tensor(LTorchId::ne, {a, b});
}
TensorProxyPtr lt(const Value& a, const Value& b) {
  return detail::call_tensor(LTorchId::lt, {a, b});
}
TensorProxyPtr le(const Value& a, const Value& b) {
  return detail::call_tensor(LTorchId::le, {a, b});
}
TensorProxyPtr gt(const Value& a, const Value& b) {
  return detail::call_tensor(LTorchId::gt, {a, b});
}
TensorProxyPtr ge(const Value& a, const Value& b) {
  return detail::call_tensor(LTorchId::ge, {a, b});
}
TensorProxyPtr logical_and(const Value& a, const Value& b) {
  return detail::call_tensor(LTorchId::logical_and, {a, b});
}
TensorProxyPtr logical_or(const Value& a, const Value& b) {
  return detail::call_tensor(LTorchId::logical_or, {a, b});
}
TensorProxyPtr logical_xor(const Value& a, const Value& b) {
  return detail::call_tensor(LTorchId::logical_xor, {a, b});
}
TensorProxyPtr bitwise_and(const Value& a, const Value& b) {
  return detail::call_tensor(LTorchId::bitwise_and, {a, b});
}
TensorProxyPtr bitwise_or(const Value& a, const Value& b) {
  return detail::call_tensor(LTorchId::bitwise_or, {a, b});
}
TensorProxyPtr bitwise_xor(const Value& a, const Value& b) {
  return detail::call_tensor(LTorchId::bitwise_xor, {a, b});
}
TensorProxyPtr where(const Value& condition, const Value& a, const Value& b) {
  return detail::call_tensor(LTorchId::where, {condition, a, b});
}
TensorProxyPtr masked_fill(const Value& a, const Value& mask, const Value& value) {
  return detail::call_tensor(LTorchId::masked_fill, {a, mask, value});
}
TensorProxyPtr clamp(const Value& a, const Value& min, const Value& max) {
  return detail::call_tensor(LTorchId::clamp, {a, min, max});
}
} // namespace thunder::ltorch
