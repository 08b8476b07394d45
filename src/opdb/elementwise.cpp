// Op database entries of the ltorch elementwise family.
#include "families.h"

#include "thunder/core/error.h"

#include <ATen/ATen.h>

#include <cmath>
#include <limits>
#include <optional>
#include <tuple>
#include <utility>

namespace thunder::opdb::detail {

using ltorch::LTorchId;

OpInfo unary_op(LTorchId id, std::vector<DType> dtypes, at::Tensor (*eager)(const at::Tensor&),
                TensorOptions domain, bool with_edge_values) {
  return {.symbol = ltorch_symbol(id),
          .dtypes = std::move(dtypes),
          .samples = [domain, with_edge_values](
                         DType dtype) { return unary_samples(dtype, domain, with_edge_values); },
          .reference = [eager](const RefArgs& a) { return c10::IValue(eager(a.tensor(0))); },
          // What every elementwise op refuses: an operand that is neither tensor nor number.
          .error_samples =
              [] {
                return std::vector<ErrorSample>{
                    {{{SampleArg(Value("x"))}}, "expected at least one tensor argument"}};
              }};
}

OpInfo binary_op(LTorchId id, std::vector<DType> dtypes,
                 at::Tensor (*eager)(const at::Tensor&, const at::Tensor&), TensorOptions lhs,
                 TensorOptions rhs) {
  return {.symbol = ltorch_symbol(id),
          .dtypes = std::move(dtypes),
          .samples = [lhs, rhs](DType dtype) { return binary_samples(dtype, lhs, rhs); },
          .reference =
              [eager](const RefArgs& a) {
                return c10::IValue(eager(a.tensor_or_scalar(0), a.tensor_or_scalar(1)));
              },
          // What every broadcasting binary op refuses.
          .error_samples =
              [] {
                return std::vector<ErrorSample>{
                    {{{make_tensor({2, 3}, DType::Float32), make_tensor({4}, DType::Float32)}},
                     "shapes [2, 3] and [4] cannot be broadcast (3 != 4 at dim -1)"}};
              }};
}

namespace {

const TensorOptions kPositive{.low = 0.1, .high = 4.0};
const TensorOptions kNonZero{.exclude_zero = true};

at::Tensor mul(const at::Tensor& a, const at::Tensor& b) {
  return at::mul(a, b);
}
at::Tensor div(const at::Tensor& a, const at::Tensor& b) {
  return at::div(a, b);
}

// add/sub: the binary samples, plus alpha of the dtype's kind.
OpInfo alpha_op(LTorchId id, std::vector<DType> dtypes,
                at::Tensor (*eager)(const at::Tensor&, const at::Tensor&, const at::Scalar&)) {
  return {
      .symbol = ltorch_symbol(id),
      .dtypes = std::move(dtypes),
      .samples =
          [](DType dtype) {
            std::vector<Sample> out = binary_samples(dtype);
            const Value alpha = is_floating(dtype) ? Value(-1.5) : Value(std::int64_t{3});
            out.push_back({{make_tensor({2, 3}, dtype), make_tensor({3}, dtype)},
                           {{"alpha", alpha}},
                           "alpha"});
            out.push_back({{make_tensor({2, 3}, dtype), SampleArg(Value(std::int64_t{2}))},
                           {{"alpha", alpha}},
                           "alpha, Python number"});
            return out;
          },
      .reference =
          [eager](const RefArgs& a) {
            const std::optional<SampleArg> alpha = a.kwarg("alpha");
            const at::Scalar s = alpha ? (alpha->value().kind() == ValueKind::Float
                                              ? at::Scalar(alpha->value().as_float())
                                              : at::Scalar(alpha->value().as_int()))
                                       : at::Scalar(1);
            return c10::IValue(eager(a.tensor_or_scalar(0), a.tensor_or_scalar(1), s));
          },
      .error_samples =
          [] {
            return std::vector<ErrorSample>{
                {{{make_tensor({2, 3}, DType::Int64), make_tensor({2, 3}, DType::Int64)},
                  {{"alpha", 0.5}}},
                 "for integral input tensors, argument alpha must not be a floating point number"},
                {{{make_tensor({2, 3}, DType::Float32), make_tensor({4}, DType::Float32)}},
                 "shapes [2, 3] and [4] cannot be broadcast (3 != 4 at dim -1)"},
            };
          }};
}

// A Python number of the dtype's kind: bool, int or float.
Value number_of_kind(DType dtype, double value) {
  if (dtype == DType::Bool) return Value(value != 0);
  if (!is_floating(dtype)) return Value(static_cast<std::int64_t>(value));
  return Value(value);
}

// For ops with float results whose decomposition rounds differently from torch's kernel
// (log10 as log / ln(10); atan2, whose vectorized and scalar CPU kernels differ by an ulp
// on broadcast operands): with integer or bool inputs the result is float32 but the
// reference is torch's own float32 result (there is no float64 copy of an integer input),
// and the default tolerance of an integer dtype is exact. Judge those float32 results with
// float32's tolerance.
OpInfo with_float_results_for_integers(OpInfo op) {
  for (const DType dtype : op.dtypes) {
    if (!is_floating(dtype)) op.tolerances[dtype] = default_tolerance(DType::Float32);
  }
  return op;
}

// binary_samples for every rounding mode of div (None, 'trunc', 'floor').
std::vector<Sample> with_rounding_modes(const std::vector<Sample>& samples) {
  std::vector<Sample> out = samples;
  for (const char* mode : {"trunc", "floor"}) {
    for (Sample sample : samples) {
      sample.kwargs.emplace_back("rounding_mode", Value(mode));
      sample.note = sample.note.empty() ? mode : sample.note + ", " + mode;
      out.push_back(std::move(sample));
    }
  }
  return out;
}

// Dividends and divisors where floor division is subtle: 1 // 0.1 is 9 (not 10), signs
// differ, zero results keep a sign, division by zero, inf and nan.
Sample floor_division_edges(DType dtype) {
  const double inf = std::numeric_limits<double>::infinity();
  const double nan = std::nan("");
  if (!is_floating(dtype)) {
    return {{make_values({7, -7, 7, -7, 0, -1, 6, -6}, dtype),
             make_values({2, 2, -2, -2, 3, 5, 3, 3}, dtype)},
            {},
            "signs"};
  }
  return {{make_values({1, -1, 5, 0, -0.0, 7, -7, inf, -inf, nan, 1e30, -3.5, -1, 2.5}, dtype),
           make_values({0.1, 0.1, 0, -3, 3, inf, inf, 2, 2, 1, 1e-30, 0.5, inf, -0.0}, dtype)},
          {},
          "edge values"};
}

// pow through the overload torch's Python picks: pow(Tensor, Scalar) checks and special-
// cases its exponent, pow(Scalar, Tensor) its base.
c10::IValue pow_reference(const RefArgs& a) {
  if (!a.is_tensor(1)) return at::pow(a.tensor(0), a.scalar(1));
  if (!a.is_tensor(0)) return at::pow(a.scalar(0), a.tensor(1));
  return at::pow(a.tensor(0), a.tensor(1));
}

c10::IValue where_reference(const RefArgs& a) {
  if (a.is_tensor(1) && a.is_tensor(2)) return at::where(a.tensor(0), a.tensor(1), a.tensor(2));
  if (a.is_tensor(1)) return at::where(a.tensor(0), a.tensor(1), a.scalar(2));
  if (a.is_tensor(2)) return at::where(a.tensor(0), a.scalar(1), a.tensor(2));
  return at::where(a.tensor(0), a.scalar(1), a.scalar(2));
}

c10::IValue masked_fill_reference(const RefArgs& a) {
  if (a.is_tensor(2)) return at::masked_fill(a.tensor(0), a.tensor(1), a.tensor(2));
  return at::masked_fill(a.tensor(0), a.tensor(1), a.scalar(2));
}

// clamp(Tensor, Scalar?, Scalar?) when the bounds are numbers, clamp(Tensor, Tensor?,
// Tensor?) (numbers wrapped) when either is a tensor, as torch's Python picks.
c10::IValue clamp_reference(const RefArgs& a) {
  const auto given = [&a](std::size_t i) {
    return i < a.size() && (a.is_tensor(i) || !a.value(i).is_none());
  };
  const bool tensor_bounds = (given(1) && a.is_tensor(1)) || (given(2) && a.is_tensor(2));
  if (!tensor_bounds) {
    const auto bound = [&](std::size_t i) -> std::optional<at::Scalar> {
      if (!given(i)) return std::nullopt;
      return a.scalar(i);
    };
    return at::clamp(a.tensor(0), bound(1), bound(2));
  }
  const auto bound = [&](std::size_t i) -> std::optional<at::Tensor> {
    if (!given(i)) return std::nullopt;
    return a.tensor_or_scalar(i);
  };
  return at::clamp(a.tensor(0), bound(1), bound(2));
}

} // namespace

void add_elementwise_ops(std::vector<OpInfo>& ops) {
  const std::vector<DType> numeric = concat(floating_dtypes(), integer_dtypes());
  const std::vector<DType> floating = floating_dtypes();

  ops.push_back(alpha_op(LTorchId::add, all_dtypes(),
                         [](const at::Tensor& a, const at::Tensor& b, const at::Scalar& alpha) {
                           return at::add(a, b, alpha);
                         }));
  ops.push_back(alpha_op(LTorchId::sub, numeric,
                         [](const at::Tensor& a, const at::Tensor& b, const at::Scalar& alpha) {
                           return at::sub(a, b, alpha);
                         }));
  ops.push_back(binary_op(LTorchId::mul, all_dtypes(), &mul));
  OpInfo div_op = binary_op(LTorchId::div, numeric, &div, {}, kNonZero);
  div_op.samples = [](DType dtype) {
    std::vector<Sample> out = with_rounding_modes(binary_samples(dtype, {}, kNonZero));
    for (const char* mode : {"trunc", "floor"}) {
      Sample edges = floor_division_edges(dtype);
      edges.kwargs.emplace_back("rounding_mode", Value(mode));
      out.push_back(std::move(edges));
    }
    return out;
  };
  div_op.reference = [](const RefArgs& a) {
    const std::optional<SampleArg> mode = a.kwarg("rounding_mode");
    std::optional<c10::string_view> rounding;
    if (mode && !mode->value().is_none()) rounding = mode->value().as_string();
    return c10::IValue(at::div(a.tensor_or_scalar(0), a.tensor_or_scalar(1), rounding));
  };
  div_op.error_samples = [] {
    return std::vector<ErrorSample>{
        {{{make_tensor({2, 3}, DType::Float32), make_tensor({2, 3}, DType::Float32)},
          {{"rounding_mode", "bogus"}}},
         "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found 'bogus'"},
        {{{make_tensor({2, 3}, DType::Bool), make_tensor({2, 3}, DType::Bool)},
          {{"rounding_mode", "floor"}}},
         "not implemented for 'Bool'"},
    };
  };
  ops.push_back(std::move(div_op));
  ops.push_back(binary_op(LTorchId::maximum, all_dtypes(), &at::maximum));
  ops.push_back(binary_op(LTorchId::minimum, all_dtypes(), &at::minimum));
  ops.push_back(unary_op(LTorchId::neg, numeric, &at::neg));
  ops.push_back(unary_op(LTorchId::abs, numeric, &at::abs));
  ops.push_back(unary_op(LTorchId::exp, numeric, &at::exp));
  ops.push_back(unary_op(LTorchId::log, numeric, &at::log, kPositive));
  ops.push_back(unary_op(LTorchId::sqrt, numeric, &at::sqrt, kPositive));
  ops.push_back(unary_op(LTorchId::rsqrt, numeric, &at::rsqrt, kPositive));
  ops.push_back(unary_op(LTorchId::tanh, numeric, &at::tanh));
  ops.push_back(unary_op(LTorchId::erf, numeric, &at::erf));
  ops.push_back(unary_op(LTorchId::relu, numeric, &at::relu));

  // Unary math: bool and integers give float32.
  ops.push_back(unary_op(LTorchId::exp2, all_dtypes(), &at::exp2));
  ops.push_back(unary_op(LTorchId::log2, all_dtypes(), &at::log2, kPositive));
  ops.push_back(with_float_results_for_integers(
      unary_op(LTorchId::log10, all_dtypes(), &at::log10, kPositive)));
  ops.push_back(unary_op(LTorchId::log1p, all_dtypes(), &at::log1p, {.low = -0.9, .high = 3.0}));
  ops.push_back(unary_op(LTorchId::expm1, all_dtypes(), &at::expm1));
  ops.push_back(unary_op(LTorchId::sin, all_dtypes(), &at::sin));
  ops.push_back(unary_op(LTorchId::cos, all_dtypes(), &at::cos));
  ops.push_back(unary_op(LTorchId::tan, all_dtypes(), &at::tan));
  ops.push_back(unary_op(LTorchId::reciprocal, all_dtypes(), &at::reciprocal, kNonZero));
  ops.push_back(unary_op(LTorchId::sign, all_dtypes(), &at::sign));
  ops.push_back(unary_op(LTorchId::square, all_dtypes(), &at::square));
  ops.push_back(unary_op(LTorchId::isnan, all_dtypes(), &at::isnan));
  ops.push_back(unary_op(LTorchId::isinf, all_dtypes(), &at::isinf));
  ops.push_back(unary_op(LTorchId::isfinite, all_dtypes(), &at::isfinite));
  ops.push_back(unary_op(LTorchId::logical_not, all_dtypes(), &at::logical_not));

  OpInfo bitwise_not =
      unary_op(LTorchId::bitwise_not, concat(integer_dtypes(), {DType::Bool}), &at::bitwise_not);
  bitwise_not.error_samples = [] {
    return std::vector<ErrorSample>{
        {{{make_tensor({3}, DType::Float32)}}, "\"bitwise_not\" not implemented for 'Float'"},
    };
  };
  ops.push_back(std::move(bitwise_not));

  // Rounding: integers pass through, bool is rejected; values far from zero, halves.
  const TensorOptions wide{.low = -20.0, .high = 20.0};
  const auto rounding_errors = [](const char* name) {
    return [name] {
      return std::vector<ErrorSample>{
          {{{make_tensor({3}, DType::Bool)}}, str("\"", name, "\" not implemented for 'Bool'")},
      };
    };
  };
  using UnaryEager = at::Tensor (*)(const at::Tensor&);
  using RoundingOp = std::tuple<LTorchId, UnaryEager, const char*>;
  for (const RoundingOp& r : {RoundingOp{LTorchId::floor, &at::floor, "floor"},
                              RoundingOp{LTorchId::ceil, &at::ceil, "ceil"},
                              RoundingOp{LTorchId::trunc, &at::trunc, "trunc"}}) {
    OpInfo op = unary_op(std::get<0>(r), numeric, std::get<1>(r), wide);
    op.error_samples = rounding_errors(std::get<2>(r));
    ops.push_back(std::move(op));
  }
  OpInfo round = unary_op(
      LTorchId::round, numeric, [](const at::Tensor& a) { return at::round(a); }, wide);
  round.samples = [wide](DType dtype) {
    std::vector<Sample> out = unary_samples(dtype, wide);
    if (is_floating(dtype)) {
      out.push_back({{make_values({0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49, 1.25}, dtype)},
                     {},
                     "halves to even"});
      out.push_back({{make_tensor({3, 4}, dtype, wide)}, {{"decimals", 2}}, "decimals=2"});
      out.push_back({{make_tensor({3, 4}, dtype, {.low = -2000, .high = 2000})},
                     {{"decimals", -2}},
                     "decimals=-2"});
      out.push_back({{edge_values(dtype)}, {{"decimals", 1}}, "edge values, decimals=1"});
    }
    return out;
  };
  round.reference = [](const RefArgs& a) {
    const std::optional<SampleArg> decimals = a.kwarg("decimals");
    return c10::IValue(decimals ? at::round(a.tensor(0), decimals->value().as_int())
                                : at::round(a.tensor(0)));
  };
  round.error_samples = [] {
    return std::vector<ErrorSample>{
        {{{make_tensor({3}, DType::Bool)}}, "\"round\" not implemented for 'Bool'"},
        {{{make_tensor({3}, DType::Int64)}, {{"decimals", 1}}},
         "\"round\" with decimals=1 not implemented for 'Long'"},
    };
  };
  ops.push_back(std::move(round));

  // pow: integer exponents stay non-negative where the exponent is a number (torch rejects
  // negative ones); tensor exponents may be negative.
  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::pow),
       .dtypes = numeric,
       .samples =
           [](DType dtype) {
             const TensorOptions exponents =
                 is_floating(dtype) ? TensorOptions{} : TensorOptions{.low = 0.0, .high = 3.0};
             std::vector<Sample> out = binary_samples(dtype, {}, exponents);
             if (is_floating(dtype)) {
               for (const double e : {2.0, 0.5, -0.5, 3.0}) {
                 out.push_back({{edge_values(dtype), e}, {}, "edge values"});
               }
               out.push_back({{edge_values(dtype), make_tensor({12}, dtype)}, {}, "edge values"});
               out.push_back({{2.0, edge_values(dtype)}, {}, "number base, edge values"});
               out.push_back({{make_tensor({3, 4}, dtype, kPositive), 2.5}, {}, "float exponent"});
             } else {
               out.push_back({{make_values({1, -1, 2, -1, 3, 0}, dtype),
                               make_values({-1, -1, -1, -2, 0, 2}, dtype)},
                              {},
                              "negative tensor exponents"});
               out.push_back({{make_tensor({2, 3}, dtype), 2.5}, {}, "float exponent"});
             }
             return out;
           },
       .reference = pow_reference,
       .error_samples =
           [] {
             return std::vector<ErrorSample>{
                 {{{make_tensor({3}, DType::Int64), -1}},
                  "Integers to negative integer powers are not allowed"},
                 {{{make_tensor({3}, DType::Bool), make_tensor({3}, DType::Bool)}},
                  "\"pow\" not implemented for 'Bool'"},
                 {{{make_tensor({3}, DType::Int8), 128}},
                  "value cannot be converted to type int8_t without overflow"},
                 {{{make_tensor({3}, DType::Float16), 70000}},
                  "value cannot be converted to type c10::Half without overflow"},
             };
           }});

  // fmod, remainder and floor_divide: integer divisors are nonzero (torch raises
  // ZeroDivisionError while running).
  const auto bool_operands_error = [](const char* name) {
    return [name] {
      return std::vector<ErrorSample>{
          {{{make_tensor({3}, DType::Bool), make_tensor({3}, DType::Bool)}},
           str("\"", name, "\" not implemented for 'Bool'")},
          {{{make_tensor({2, 3}, DType::Float32), make_tensor({4}, DType::Float32)}},
           "shapes [2, 3] and [4] cannot be broadcast"},
      };
    };
  };
  const auto with_divisor_edges = [](DType dtype) {
    std::vector<Sample> out = binary_samples(dtype, {}, kNonZero);
    out.push_back(floor_division_edges(dtype));
    if (is_floating(dtype)) out.push_back({{edge_values(dtype), -2.5}, {}, "edge values"});
    return out;
  };
  OpInfo fmod = binary_op(LTorchId::fmod, numeric, &at::fmod, {}, kNonZero);
  fmod.samples = with_divisor_edges;
  fmod.error_samples = bool_operands_error("fmod");
  ops.push_back(std::move(fmod));
  OpInfo remainder = binary_op(LTorchId::remainder, numeric, &at::remainder, {}, kNonZero);
  remainder.samples = with_divisor_edges;
  remainder.error_samples = bool_operands_error("remainder");
  ops.push_back(std::move(remainder));
  OpInfo floor_divide = binary_op(LTorchId::floor_divide, numeric, &at::floor_divide, {}, kNonZero);
  floor_divide.samples = with_divisor_edges;
  floor_divide.error_samples = bool_operands_error("floor_divide");
  ops.push_back(std::move(floor_divide));

  OpInfo atan2 = binary_op(LTorchId::atan2, all_dtypes(), &at::atan2);
  atan2.samples = [](DType dtype) {
    std::vector<Sample> out = binary_samples(dtype);
    if (is_floating(dtype)) {
      out.push_back({{edge_values(dtype), edge_values(dtype).flip(0)}, {}, "edge values"});
    }
    return out;
  };
  ops.push_back(with_float_results_for_integers(std::move(atan2)));

  // Comparisons and logical ops: bool results, computed in the promoted dtype.
  const auto with_edges = [](DType dtype) {
    std::vector<Sample> out = binary_samples(dtype);
    if (is_floating(dtype)) {
      out.push_back({{edge_values(dtype), edge_values(dtype).flip(0)}, {}, "edge values"});
      out.push_back({{edge_values(dtype), edge_values(dtype)}, {}, "edge values, equal"});
    }
    out.push_back(
        {{make_tensor({2, 3}, dtype), make_tensor({2, 3}, DType::Float64)}, {}, "mixed dtypes"});
    out.push_back({{make_tensor({2, 3}, dtype), 1.5}, {}, "float number"});
    return out;
  };
  using BinaryEager = at::Tensor (*)(const at::Tensor&, const at::Tensor&);
  using PredicateOp = std::pair<LTorchId, BinaryEager>;
  for (const PredicateOp& p :
       {PredicateOp{LTorchId::eq, &at::eq}, PredicateOp{LTorchId::ne, &at::ne},
        PredicateOp{LTorchId::lt, &at::lt}, PredicateOp{LTorchId::le, &at::le},
        PredicateOp{LTorchId::gt, &at::gt}, PredicateOp{LTorchId::ge, &at::ge},
        PredicateOp{LTorchId::logical_and, &at::logical_and},
        PredicateOp{LTorchId::logical_or, &at::logical_or},
        PredicateOp{LTorchId::logical_xor, &at::logical_xor}}) {
    OpInfo op = binary_op(p.first, all_dtypes(), p.second);
    op.samples = with_edges;
    ops.push_back(std::move(op));
  }

  // Bitwise ops: integer and bool operands.
  using BitwiseOp = std::tuple<LTorchId, BinaryEager, const char*>;
  for (const BitwiseOp& b : {BitwiseOp{LTorchId::bitwise_and, &at::bitwise_and, "bitwise_and"},
                             BitwiseOp{LTorchId::bitwise_or, &at::bitwise_or, "bitwise_or"},
                             BitwiseOp{LTorchId::bitwise_xor, &at::bitwise_xor, "bitwise_xor"}}) {
    const char* name = std::get<2>(b);
    OpInfo op = binary_op(std::get<0>(b), concat(integer_dtypes(), {DType::Bool}), std::get<1>(b),
                          {.low = -100, .high = 100}, {.low = -100, .high = 100});
    op.error_samples = [name] {
      return std::vector<ErrorSample>{
          {{{make_tensor({3}, DType::Float32), make_tensor({3}, DType::Float32)}},
           str("\"", name, "\" not implemented for 'Float'")},
          {{{make_tensor({3}, DType::Int64), 2.5}},
           str("\"", name, "\" not implemented for 'Float'")},
      };
    };
    ops.push_back(std::move(op));
  }

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::where),
       .dtypes = all_dtypes(),
       .samples =
           [](DType dtype) {
             const auto cond = [](const Shape& shape, const TensorOptions& o = {}) {
               return make_tensor(shape, DType::Bool, o);
             };
             const TensorOptions strided{.noncontiguous = true};
             std::vector<Sample> out = {
                 {{cond({3, 4}), make_tensor({3, 4}, dtype), make_tensor({3, 4}, dtype)}},
                 {{cond({3, 1}), make_tensor({1, 4}, dtype), make_tensor({4}, dtype)},
                  {},
                  "broadcast"},
                 {{cond({}), make_tensor({2, 3}, dtype), make_tensor({}, dtype)}, {}, "0-dim"},
                 {{cond({2, 3}), make_tensor({2, 3}, dtype), number_of_kind(dtype, 2)},
                  {},
                  "Python number"},
                 {{cond({2, 3}), number_of_kind(dtype, 1), make_tensor({2, 3}, dtype)},
                  {},
                  "Python number first"},
                 {{cond({2, 3}), number_of_kind(dtype, 1), number_of_kind(dtype, 0)},
                  {},
                  "two Python numbers"},
                 {{cond({2, 3}), make_tensor({2, 3}, dtype), 2.5}, {}, "float number"},
                 {{cond({0, 3}), make_tensor({1, 3}, dtype), make_tensor({0, 3}, dtype)},
                  {},
                  "size-0"},
                 {{cond({3, 4}, strided), make_tensor({3, 4}, dtype, strided),
                   make_tensor({3, 4}, dtype)},
                  {},
                  "non-contiguous"},
                 {{make_tensor({2, 3}, DType::UInt8, {.low = 0, .high = 2}),
                   make_tensor({2, 3}, dtype), make_tensor({2, 3}, dtype)},
                  {},
                  "uint8 condition"},
                 {{cond({2, 3}), make_tensor({2, 3}, dtype), make_tensor({2, 3}, DType::Float32)},
                  {},
                  "mixed dtypes"},
             };
             if (is_floating(dtype)) {
               out.push_back({{cond({12}), edge_values(dtype), edge_values(dtype).flip(0)},
                              {},
                              "edge values"});
             }
             return out;
           },
       .reference = where_reference,
       .error_samples =
           [] {
             return std::vector<ErrorSample>{
                 {{{make_tensor({3}, DType::Int64), make_tensor({3}, DType::Float32),
                    make_tensor({3}, DType::Float32)}},
                  "where expected condition to be a boolean tensor, but got a tensor with dtype "
                  "Long"},
                 {{{make_tensor({3}, DType::Bool), make_tensor({2}, DType::Float32),
                    make_tensor({3}, DType::Float32)}},
                  "shapes [3] and [2] and [3] cannot be broadcast"},
                 {{{make_tensor({3}, DType::Bool), make_tensor({3}, DType::Int8), 1000}},
                  "value cannot be converted to type int8_t without overflow"},
             };
           }});

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::masked_fill),
       .dtypes = all_dtypes(),
       .samples =
           [](DType dtype) {
             const auto mask = [](const Shape& shape) { return make_tensor(shape, DType::Bool); };
             const TensorOptions strided{.noncontiguous = true};
             std::vector<Sample> out = {
                 {{make_tensor({3, 4}, dtype), mask({3, 4}), number_of_kind(dtype, -2)}},
                 {{make_tensor({3, 4}, dtype), mask({4}), number_of_kind(dtype, 1)},
                  {},
                  "broadcast mask"},
                 {{make_tensor({4}, dtype), mask({2, 4}), number_of_kind(dtype, 1)},
                  {},
                  "mask broadcasts the input"},
                 {{make_tensor({}, dtype), mask({}), number_of_kind(dtype, 1)}, {}, "0-dim"},
                 {{make_tensor({0, 3}, dtype), mask({0, 3}), number_of_kind(dtype, 1)},
                  {},
                  "size-0"},
                 {{make_tensor({3, 4}, dtype, strided), mask({3, 4}), number_of_kind(dtype, 1)},
                  {},
                  "non-contiguous"},
                 {{make_tensor({3, 4}, dtype), mask({3, 4}), make_tensor({}, dtype)},
                  {},
                  "0-dim tensor value"},
                 {{make_tensor({3, 4}, dtype), mask({3, 4}), make_tensor({}, DType::Float64)},
                  {},
                  "float64 tensor value"},
                 {{make_tensor({3, 4}, dtype), mask({3, 4}), 1.75}, {}, "float number"},
             };
             if (is_floating(dtype)) {
               out.push_back(
                   {{edge_values(dtype), mask({12}), std::numeric_limits<double>::infinity()},
                    {},
                    "edge values, inf"});
               out.push_back(
                   {{edge_values(dtype), mask({12}), std::nan("")}, {}, "edge values, nan"});
             }
             return out;
           },
       .reference = masked_fill_reference,
       .error_samples =
           [] {
             return std::vector<ErrorSample>{
                 {{{make_tensor({3}, DType::Float32), make_tensor({3}, DType::Float32), 1.0}},
                  "masked_fill only supports boolean masks, but got mask with dtype float32"},
                 {{{make_tensor({3}, DType::Float32), make_tensor({3}, DType::Bool),
                    make_tensor({1}, DType::Float32)}},
                  "masked_fill only supports a 0-dimensional value tensor, but got tensor with 1 "
                  "dimension(s)."},
                 {{{make_tensor({3}, DType::Int8), make_tensor({3}, DType::Bool), 1000}},
                  "value cannot be converted to type int8_t without overflow"},
                 {{{make_tensor({2, 3}, DType::Float32), make_tensor({4}, DType::Bool), 1.0}},
                  "shapes [2, 3] and [4] cannot be broadcast"},
             };
           }});

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::clamp),
       .dtypes = all_dtypes(),
       .samples =
           [](DType dtype) {
             const TensorOptions strided{.noncontiguous = true};
             if (dtype == DType::Bool) {
               // torch's only bool kernels take one tensor bound.
               return std::vector<Sample>{
                   {{make_tensor({3, 4}, dtype), make_tensor({4}, dtype)}, {}, "min only"},
                   {{make_tensor({3, 4}, dtype), make_tensor({}, dtype)}, {}, "0-dim min"},
                   {{make_tensor({3, 4}, dtype), Value(), make_tensor({3, 1}, dtype)},
                    {},
                    "max only"},
                   {{make_tensor({3, 4}, dtype), 2}, {}, "int number: int64 result"},
                   {{make_tensor({3, 4}, dtype), make_tensor({4}, DType::Int64),
                     make_tensor({3, 4}, dtype)},
                    {},
                    "int64 min: int64 result"},
               };
             }
             const Value lo = number_of_kind(dtype, dtype == DType::UInt8 ? 1 : -1);
             const Value hi = number_of_kind(dtype, 2);
             std::vector<Sample> out = {
                 {{make_tensor({3, 4}, dtype), lo, hi}},
                 {{make_tensor({3, 4}, dtype), lo}, {}, "min only"},
                 {{make_tensor({3, 4}, dtype), Value(), hi}, {}, "max only"},
                 {{make_tensor({3, 4}, dtype), hi, lo}, {}, "min > max"},
                 {{make_tensor({}, dtype), lo, hi}, {}, "0-dim"},
                 {{make_tensor({0, 3}, dtype), lo, hi}, {}, "size-0"},
                 {{make_tensor({3, 4}, dtype, strided), lo, hi}, {}, "non-contiguous"},
                 {{make_tensor({3, 4}, dtype), make_tensor({4}, dtype), make_tensor({3, 1}, dtype)},
                  {},
                  "tensor bounds, broadcast"},
                 {{make_tensor({4}, dtype), make_tensor({2, 1}, dtype)},
                  {},
                  "tensor min broadcasts the input"},
                 {{make_tensor({3, 4}, dtype), Value(), make_tensor({}, DType::Float64)},
                  {},
                  "0-dim float64 max"},
                 {{make_tensor({3, 4}, dtype), make_tensor({3, 4}, DType::Float32)},
                  {},
                  "float32 min"},
                 {{make_tensor({3, 4}, dtype), lo, make_tensor({4}, dtype)},
                  {},
                  "number min, tensor max"},
                 {{make_tensor({3, 4}, dtype), 0.5, 1.5}, {}, "float numbers"},
             };
             if (is_floating(dtype)) {
               const double nan = std::nan("");
               out.push_back({{edge_values(dtype), -1.5, 1.5}, {}, "edge values"});
               out.push_back({{edge_values(dtype), nan}, {}, "nan min"});
               out.push_back({{make_tensor({3, 4}, dtype), Value(), nan}, {}, "nan max"});
               out.push_back(
                   {{edge_values(dtype), make_values({nan}, dtype), make_tensor({12}, dtype)},
                    {},
                    "nan tensor min"});
             }
             return out;
           },
       .reference = clamp_reference,
       .error_samples =
           [] {
             return std::vector<ErrorSample>{
                 {{{make_tensor({3}, DType::Float32)}},
                  "At least one of 'min' or 'max' must not be None"},
                 {{{make_tensor({3}, DType::Int8), 0, 1000}},
                  "value cannot be converted to type int8_t without overflow"},
                 {{{make_tensor({3}, DType::Bool), false, true}},
                  "clamp is not implemented for 'Bool'"},
                 {{{make_tensor({3}, DType::Bool), make_tensor({3}, DType::Bool),
                    make_tensor({3}, DType::Bool)}},
                  "clamp is not implemented for 'Bool'"},
                 {{{make_tensor({2, 3}, DType::Float32), make_tensor({4}, DType::Float32)}},
                  "shapes [2, 3] and [4] cannot be broadcast"},
             };
           }});

  OpInfo gelu = unary_op(LTorchId::gelu, floating, [](const at::Tensor& a) { return at::gelu(a); });
  gelu.samples = [](DType dtype) {
    std::vector<Sample> out = unary_samples(dtype);
    out.push_back({{make_tensor({3, 4}, dtype)}, {{"approximate", "tanh"}}, "tanh"});
    out.push_back({{edge_values(dtype)}, {{"approximate", "tanh"}}, "tanh, edge values"});
    return out;
  };
  gelu.reference = [](const RefArgs& a) {
    const std::optional<SampleArg> approximate = a.kwarg("approximate");
    return c10::IValue(
        at::gelu(a.tensor(0), approximate ? approximate->value().as_string() : "none"));
  };
  gelu.error_samples = [] {
    return std::vector<ErrorSample>{
        {{{make_tensor({3}, DType::Float32)}, {{"approximate", "bogus"}}},
         "approximate must be 'none' or 'tanh', got 'bogus'"},
        {{{make_tensor({3}, DType::Int64)}}, "expected a floating tensor"},
    };
  };
  ops.push_back(std::move(gelu));

  ops.push_back({.symbol = ltorch_symbol(LTorchId::to),
                 .dtypes = all_dtypes(),
                 .samples =
                     [](DType dtype) {
                       std::vector<Sample> out;
                       for (const DType target : all_dtypes()) {
                         out.push_back({{make_tensor({2, 3}, dtype), target}});
                       }
                       if (is_floating(dtype))
                         out.push_back({{edge_values(dtype), DType::Float32}, {}, "edge values"});
                       return out;
                     },
                 .reference =
                     [](const RefArgs& a) {
                       return c10::IValue(a.tensor(0).to(to_scalar_type(a.value(1).as_dtype())));
                     }});
}

} // namespace thunder::opdb::detail
