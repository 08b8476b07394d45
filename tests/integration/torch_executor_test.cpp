// The torch executor against LibTorch eager. Every ltorch op is traced by hand on a few
// samples (broadcasting, 0-dim tensors, Python scalars, number inputs, integer and bool
// inputs, low-precision floats) and run at both execution levels: the ltorch symbols as
// their ATen calls, and the prims the symbols decompose into. Both must give what the same
// at:: call gives in eager mode, and the traced output's metadata must be what torch
// computes. Adding an op is one entry in op_cases().
#include "thunder/executors/torch_executor.h"
#include "thunder/thunder.h"

#include <ATen/ATen.h>
#include <ATen/ScalarOps.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace {

using thunder::DType;
using thunder::NumberKind;
using thunder::Shape;
using thunder::TorchExecutionLevel;
using thunder::TorchExecutor;
using thunder::Value;
namespace lt = thunder::ltorch;

constexpr DType kB8 = DType::Bool;
constexpr DType kI32 = DType::Int32;
constexpr DType kI64 = DType::Int64;
constexpr DType kF16 = DType::Float16;
constexpr DType kBF16 = DType::BFloat16;
constexpr DType kF32 = DType::Float32;
constexpr DType kF64 = DType::Float64;

// ---------------------------------------------------------------------------------------
// Inputs of a traced function.

enum class Fill {
  Default,     // by dtype: Normal for floats, Int for integers, Bool for bool
  Normal,      // standard normal
  Positive,    // uniform in [0.5, 2.5): for log, sqrt, rsqrt and divisors
  Int,         // integers in [-8, 8]
  PositiveInt, // integers in [1, 9]
  Bool,        // true or false
};

struct Input {
  bool is_number = false;
  // A tensor input.
  Shape shape;
  DType dtype = kF32;
  Fill fill = Fill::Default;
  // A number input (a NumberProxy of unknown value; this is the value passed at run time).
  NumberKind number_kind = NumberKind::Float;
  c10::IValue number;
};

Input T(Shape shape, DType dtype, Fill fill = Fill::Default) {
  Input in;
  in.shape = std::move(shape);
  in.dtype = dtype;
  in.fill = fill;
  return in;
}
Input NumInt(std::int64_t v) {
  Input in;
  in.is_number = true;
  in.number_kind = NumberKind::Int;
  in.number = v;
  return in;
}
Input NumFloat(double v) {
  Input in;
  in.is_number = true;
  in.number_kind = NumberKind::Float;
  in.number = v;
  return in;
}

at::Tensor make_tensor(const Input& in) {
  const std::vector<std::int64_t> size(in.shape.begin(), in.shape.end());
  Fill fill = in.fill;
  if (fill == Fill::Default) {
    fill = in.dtype == kB8 ? Fill::Bool : thunder::is_floating(in.dtype) ? Fill::Normal : Fill::Int;
  }
  const auto type = thunder::to_scalar_type(in.dtype);
  switch (fill) {
  case Fill::Normal:
    return at::randn(size, at::kDouble).to(type);
  case Fill::Positive:
    return (at::rand(size, at::kDouble) * 2 + 0.5).to(type);
  case Fill::Int:
    return at::randint(-8, 9, size, at::kLong).to(type);
  case Fill::PositiveInt:
    return at::randint(1, 10, size, at::kLong).to(type);
  case Fill::Bool:
    return at::randint(0, 2, size, at::kLong).to(at::kBool).to(type);
  case Fill::Default:
    break;
  }
  ADD_FAILURE() << "unhandled fill";
  return {};
}

// The runtime inputs, as the eager reference sees them.
struct Eager {
  std::vector<c10::IValue> values;
  at::Tensor t(std::size_t i) const { return values.at(i).toTensor(); }
  at::Scalar s(std::size_t i) const { return values.at(i).toScalar(); }
};

using Proxies = std::vector<Value>;
using TraceFn = std::function<Value(const Proxies&)>;
using EagerFn = std::function<at::Tensor(const Eager&)>;

/// One sample of one op: the inputs, the op traced on their proxies, and LibTorch eager
/// on their values.
struct OpCase {
  std::string name;
  std::vector<Input> inputs;
  TraceFn trace;
  EagerFn eager;
};

std::ostream& operator<<(std::ostream& os, const OpCase& c) {
  return os << c.name;
}

std::string input_name(std::size_t i) {
  return std::string(1, static_cast<char>('a' + i));
}

thunder::Trace trace_case(const OpCase& c) {
  thunder::TraceScope scope(c.name);
  Proxies proxies;
  for (std::size_t i = 0; i < c.inputs.size(); ++i) {
    const Input& in = c.inputs[i];
    if (in.is_number) {
      proxies.emplace_back(scope.input_number(input_name(i), in.number_kind));
    } else {
      proxies.emplace_back(scope.input_tensor(input_name(i), in.shape, in.dtype));
    }
  }
  return scope.finish(c.trace(proxies));
}

std::vector<c10::IValue> make_inputs(const OpCase& c) {
  at::manual_seed(0);
  std::vector<c10::IValue> values;
  for (const Input& in : c.inputs)
    values.push_back(in.is_number ? in.number : c10::IValue(make_tensor(in)));
  return values;
}

// ---------------------------------------------------------------------------------------
// Comparing results.

struct Tolerance {
  double rtol;
  double atol;
};

// Exact for integers and bool. For f16 and bf16 two ULPs of the dtype: the prims path
// computes in f32 and rounds once, as torch does, so the two may differ by a rounding.
Tolerance tolerance(c10::ScalarType type) {
  switch (type) {
  case at::kHalf:
    return {2 * 0x1p-10, 1e-5};
  case at::kBFloat16:
    return {2 * 0x1p-7, 1e-5};
  case at::kFloat:
    return {1.3e-6, 1e-5};
  case at::kDouble:
    return {1e-12, 1e-12};
  default:
    return {0, 0};
  }
}

std::string sizes_string(const at::Tensor& t) {
  return thunder::shape_to_string(Shape(t.sizes().begin(), t.sizes().end()));
}

::testing::AssertionResult same_tensor(const at::Tensor& got, const at::Tensor& expected) {
  if (!got.defined()) return ::testing::AssertionFailure() << "undefined result";
  if (got.scalar_type() != expected.scalar_type()) {
    return ::testing::AssertionFailure()
           << "dtype " << got.scalar_type() << ", expected " << expected.scalar_type();
  }
  if (got.sizes() != expected.sizes()) {
    return ::testing::AssertionFailure()
           << "shape " << sizes_string(got) << ", expected " << sizes_string(expected);
  }
  if (got.device() != expected.device()) {
    return ::testing::AssertionFailure()
           << "device " << got.device() << ", expected " << expected.device();
  }
  if (!at::isFloatingType(expected.scalar_type())) {
    if (at::equal(got, expected)) return ::testing::AssertionSuccess();
    const at::Tensor bad = at::ne(got, expected).reshape({-1}).nonzero();
    const std::int64_t i = bad[0][0].item<std::int64_t>();
    return ::testing::AssertionFailure()
           << bad.size(0) << " of " << expected.numel() << " elements differ; first at flat index "
           << i << ": got " << got.reshape({-1})[i].item<double>() << ", expected "
           << expected.reshape({-1})[i].item<double>();
  }
  const Tolerance tol = tolerance(expected.scalar_type());
  const at::Tensor g = got.to(at::kDouble).reshape({-1});
  const at::Tensor e = expected.to(at::kDouble).reshape({-1});
  const at::Tensor close = at::isclose(g, e, tol.rtol, tol.atol, /*equal_nan=*/true);
  if (close.all().item<bool>()) return ::testing::AssertionSuccess();
  const at::Tensor bad = at::logical_not(close).nonzero();
  const std::int64_t i = bad[0][0].item<std::int64_t>();
  std::ostringstream os;
  os.precision(17);
  os << bad.size(0) << " of " << expected.numel() << " elements differ beyond rtol " << tol.rtol
     << ", atol " << tol.atol << "; first at flat index " << i << ": got " << g[i].item<double>()
     << ", expected " << e[i].item<double>() << "; max abs diff "
     << at::nan_to_num(at::abs(g - e), 0.0).max().item<double>();
  return ::testing::AssertionFailure() << os.str();
}

bool is_low_precision(const at::Tensor& t) {
  return t.scalar_type() == at::kHalf || t.scalar_type() == at::kBFloat16;
}

std::vector<c10::IValue> to_float64(const std::vector<c10::IValue>& inputs) {
  std::vector<c10::IValue> out;
  for (const c10::IValue& v : inputs) {
    const bool floating = v.isTensor() && at::isFloatingType(v.toTensor().scalar_type());
    out.push_back(floating ? c10::IValue(v.toTensor().to(at::kDouble)) : v);
  }
  return out;
}

::testing::AssertionResult no_farther_from_float64_than_eager(const at::Tensor& got,
                                                              const at::Tensor& eager,
                                                              const at::Tensor& reference) {
  const at::Tensor ref = reference.to(at::kDouble);
  const double got_error = (got.to(at::kDouble) - ref).abs().max().item<double>();
  const double eager_error = (eager.to(at::kDouble) - ref).abs().max().item<double>();
  if (got.sizes() == eager.sizes() && got.scalar_type() == eager.scalar_type() &&
      got_error <= eager_error) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "differs from eager, and its max error against float64 ("
                                       << got_error << ") exceeds eager's (" << eager_error << ")";
}

// ---------------------------------------------------------------------------------------
// The table.

std::string dtype_tag(DType d) {
  return std::string(thunder::short_name(d));
}

struct BinaryOp {
  std::string name;
  std::function<Value(const Value&, const Value&)> trace;
  std::function<at::Tensor(const at::Tensor&, const at::Tensor&)> eager;
  bool on_integers;
  bool on_bool;
  bool positive_rhs; // a divisor: keep it away from zero
};

struct UnaryOp {
  std::string name;
  std::function<Value(const Value&)> trace;
  std::function<at::Tensor(const at::Tensor&)> eager;
  bool on_integers;
  bool on_bool;
  bool positive; // log, sqrt, rsqrt
};

std::vector<OpCase> op_cases() {
  std::vector<OpCase> cases;
  const auto add = [&cases](std::string name, std::vector<Input> inputs, TraceFn trace,
                            EagerFn eager) {
    cases.push_back({std::move(name), std::move(inputs), std::move(trace), std::move(eager)});
  };
  const std::vector<DType> numeric = {kF32, kF16, kBF16, kF64, kI64, kI32};

  // Elementwise binary ops on every dtype, with broadcasting operands ([3, 1, 4] and [5, 1]).
  const std::vector<BinaryOp> binary_ops = {
      {"add", [](const Value& a, const Value& b) { return Value(lt::add(a, b)); },
       [](const at::Tensor& a, const at::Tensor& b) { return at::add(a, b); }, true, true, false},
      {"sub", [](const Value& a, const Value& b) { return Value(lt::sub(a, b)); },
       [](const at::Tensor& a, const at::Tensor& b) { return at::sub(a, b); }, true, false, false},
      {"mul", [](const Value& a, const Value& b) { return Value(lt::mul(a, b)); },
       [](const at::Tensor& a, const at::Tensor& b) { return at::mul(a, b); }, true, true, false},
      {"div", [](const Value& a, const Value& b) { return Value(lt::div(a, b)); },
       [](const at::Tensor& a, const at::Tensor& b) { return at::div(a, b); }, true, true, true},
      {"maximum", [](const Value& a, const Value& b) { return Value(lt::maximum(a, b)); },
       [](const at::Tensor& a, const at::Tensor& b) { return at::maximum(a, b); }, true, true,
       false},
      {"minimum", [](const Value& a, const Value& b) { return Value(lt::minimum(a, b)); },
       [](const at::Tensor& a, const at::Tensor& b) { return at::minimum(a, b); }, true, true,
       false},
  };
  for (const BinaryOp& op : binary_ops) {
    std::vector<DType> dtypes = numeric;
    if (op.on_bool) dtypes.push_back(kB8);
    for (const DType d : dtypes) {
      if (!thunder::is_floating(d) && !op.on_integers) continue;
      Fill rhs = Fill::Default;
      if (op.positive_rhs) rhs = thunder::is_floating(d) ? Fill::Positive : Fill::PositiveInt;
      if (op.positive_rhs && d == kB8)
        rhs = Fill::Bool; // true division by false gives inf/nan, as in torch
      add(
          op.name + "_broadcast_" + dtype_tag(d), {T({3, 1, 4}, d), T({5, 1}, d, rhs)},
          [f = op.trace](const Proxies& p) { return f(p[0], p[1]); },
          [f = op.eager](const Eager& e) { return f(e.t(0), e.t(1)); });
    }
  }

  // Type promotion: mixed dtypes, 0-dim tensors, Python scalars, number inputs.
  add(
      "add_f16_zero_dim_f32", {T({2, 3}, kF16), T({}, kF32)},
      [](const Proxies& p) { return lt::add(p[0], p[1]); },
      [](const Eager& e) { return at::add(e.t(0), e.t(1)); });
  add(
      "add_i32_zero_dim_i64", {T({2, 3}, kI32), T({}, kI64)},
      [](const Proxies& p) { return lt::add(p[0], p[1]); },
      [](const Eager& e) { return at::add(e.t(0), e.t(1)); });
  add(
      "mul_i32_zero_dim_f32", {T({2, 3}, kI32), T({}, kF32)},
      [](const Proxies& p) { return lt::mul(p[0], p[1]); },
      [](const Eager& e) { return at::mul(e.t(0), e.t(1)); });
  add(
      "mul_zero_dim_f64_bf16", {T({}, kF64), T({4}, kBF16)},
      [](const Proxies& p) { return lt::mul(p[0], p[1]); },
      [](const Eager& e) { return at::mul(e.t(0), e.t(1)); });
  add(
      "add_zero_dim_f32_zero_dim_f64", {T({}, kF32), T({}, kF64)},
      [](const Proxies& p) { return lt::add(p[0], p[1]); },
      [](const Eager& e) { return at::add(e.t(0), e.t(1)); });
  add(
      "sub_i64_f16_broadcast", {T({2, 1}, kI64), T({3}, kF16)},
      [](const Proxies& p) { return lt::sub(p[0], p[1]); },
      [](const Eager& e) { return at::sub(e.t(0), e.t(1)); });
  add(
      "maximum_i32_f32", {T({2, 3}, kI32), T({2, 3}, kF32)},
      [](const Proxies& p) { return lt::maximum(p[0], p[1]); },
      [](const Eager& e) { return at::maximum(e.t(0), e.t(1)); });
  add(
      "minimum_f16_zero_dim_f32", {T({2, 3}, kF16), T({}, kF32)},
      [](const Proxies& p) { return lt::minimum(p[0], p[1]); },
      [](const Eager& e) { return at::minimum(e.t(0), e.t(1)); });
  add(
      "maximum_bool_i32", {T({4}, kB8), T({4}, kI32)},
      [](const Proxies& p) { return lt::maximum(p[0], p[1]); },
      [](const Eager& e) { return at::maximum(e.t(0), e.t(1)); });
  add(
      "add_i32_scalar_int", {T({2, 3}, kI32)}, [](const Proxies& p) { return lt::add(p[0], 3); },
      [](const Eager& e) { return at::add(e.t(0), 3); });
  add(
      "add_i32_scalar_float", {T({2, 3}, kI32)},
      [](const Proxies& p) { return lt::add(p[0], 2.5); },
      [](const Eager& e) { return at::add(e.t(0), 2.5); });
  add(
      "add_i32_scalar_bool", {T({2, 3}, kI32)},
      [](const Proxies& p) { return lt::add(p[0], true); },
      [](const Eager& e) { return at::add(e.t(0), true); });
  add(
      "add_bool_scalar_int", {T({2, 3}, kB8)}, [](const Proxies& p) { return lt::add(p[0], 2); },
      [](const Eager& e) { return at::add(e.t(0), 2); });
  add(
      "add_f16_scalar_float", {T({2, 3}, kF16)},
      [](const Proxies& p) { return lt::add(p[0], 0.1); },
      [](const Eager& e) { return at::add(e.t(0), 0.1); });
  add(
      "mul_i64_scalar_float", {T({2, 3}, kI64)},
      [](const Proxies& p) { return lt::mul(p[0], 0.3); },
      [](const Eager& e) { return at::mul(e.t(0), 0.3); });
  add(
      "mul_i32_scalar_float", {T({2, 3}, kI32)},
      [](const Proxies& p) { return lt::mul(p[0], 2.5); },
      [](const Eager& e) { return at::mul(e.t(0), 2.5); });
  add(
      "mul_f16_scalar_float", {T({2, 3}, kF16)},
      [](const Proxies& p) { return lt::mul(p[0], 0.1); },
      [](const Eager& e) { return at::mul(e.t(0), 0.1); });
  add(
      "mul_bf16_scalar_int", {T({2, 3}, kBF16)}, [](const Proxies& p) { return lt::mul(p[0], 3); },
      [](const Eager& e) { return at::mul(e.t(0), 3); });
  add(
      "mul_scalar_float_first_f32", {T({2, 3}, kF32)},
      [](const Proxies& p) { return lt::mul(1.5, p[0]); },
      [](const Eager& e) { return at::mul(at::native::wrapped_scalar_tensor(1.5), e.t(0)); });
  add(
      "div_i32_i32_true_division", {T({2, 3}, kI32), T({2, 3}, kI32, Fill::PositiveInt)},
      [](const Proxies& p) { return lt::div(p[0], p[1]); },
      [](const Eager& e) { return at::div(e.t(0), e.t(1)); });
  add(
      "div_i64_scalar_int", {T({2, 3}, kI64)}, [](const Proxies& p) { return lt::div(p[0], 3); },
      [](const Eager& e) { return at::div(e.t(0), 3); });
  add(
      "div_f16_scalar_int", {T({2, 3}, kF16)}, [](const Proxies& p) { return lt::div(p[0], 3); },
      [](const Eager& e) { return at::div(e.t(0), 3); });
  add(
      "div_i32_zero_dim_i64", {T({2, 3}, kI32), T({}, kI64, Fill::PositiveInt)},
      [](const Proxies& p) { return lt::div(p[0], p[1]); },
      [](const Eager& e) { return at::div(e.t(0), e.t(1)); });
  add(
      "mul_f32_number_input_float", {T({2, 3}, kF32), NumFloat(0.75)},
      [](const Proxies& p) { return lt::mul(p[0], p[1]); },
      [](const Eager& e) { return at::mul(e.t(0), e.s(1)); });
  add(
      "add_i32_number_input_int", {T({2, 3}, kI32), NumInt(5)},
      [](const Proxies& p) { return lt::add(p[0], p[1]); },
      [](const Eager& e) { return at::add(e.t(0), e.s(1)); });
  add(
      "mul_i32_number_input_float", {T({2, 3}, kI32), NumFloat(1.25)},
      [](const Proxies& p) { return lt::mul(p[0], p[1]); },
      [](const Eager& e) { return at::mul(e.t(0), e.s(1)); });
  add(
      "div_f16_number_input_int", {T({2, 3}, kF16), NumInt(3)},
      [](const Proxies& p) { return lt::div(p[0], p[1]); },
      [](const Eager& e) { return at::div(e.t(0), e.s(1)); });

  // add / sub with alpha: int alpha for int tensors, float alpha for float tensors.
  add(
      "add_i32_alpha_int", {T({2, 3}, kI32), T({2, 3}, kI32)},
      [](const Proxies& p) { return lt::add(p[0], p[1], 3); },
      [](const Eager& e) { return at::add(e.t(0), e.t(1), 3); });
  add(
      "sub_i64_alpha_int_broadcast", {T({4, 1}, kI64), T({3}, kI64)},
      [](const Proxies& p) { return lt::sub(p[0], p[1], -2); },
      [](const Eager& e) { return at::sub(e.t(0), e.t(1), -2); });
  add(
      "add_f32_alpha_float", {T({2, 3}, kF32), T({2, 3}, kF32)},
      [](const Proxies& p) { return lt::add(p[0], p[1], 0.5); },
      [](const Eager& e) { return at::add(e.t(0), e.t(1), 0.5); });
  add(
      "sub_f16_alpha_float_broadcast", {T({2, 1, 3}, kF16), T({4, 1}, kF16)},
      [](const Proxies& p) { return lt::sub(p[0], p[1], 1.7); },
      [](const Eager& e) { return at::sub(e.t(0), e.t(1), 1.7); });
  add(
      "add_bf16_alpha_float", {T({2, 3}, kBF16), T({2, 3}, kBF16)},
      [](const Proxies& p) { return lt::add(p[0], p[1], 0.3); },
      [](const Eager& e) { return at::add(e.t(0), e.t(1), 0.3); });
  add(
      "add_f64_alpha_float", {T({2, 3}, kF64), T({3}, kF64)},
      [](const Proxies& p) { return lt::add(p[0], p[1], 0.1); },
      [](const Eager& e) { return at::add(e.t(0), e.t(1), 0.1); });
  add(
      "add_f32_alpha_int", {T({2, 3}, kF32), T({2, 3}, kF32)},
      [](const Proxies& p) { return lt::add(p[0], p[1], 2); },
      [](const Eager& e) { return at::add(e.t(0), e.t(1), 2); });
  add(
      "add_i32_f32_alpha_float", {T({2, 3}, kI32), T({2, 3}, kF32)},
      [](const Proxies& p) { return lt::add(p[0], p[1], 2.5); },
      [](const Eager& e) { return at::add(e.t(0), e.t(1), 2.5); });
  add(
      "add_f32_scalar_float_alpha_float", {T({2, 3}, kF32)},
      [](const Proxies& p) { return lt::add(p[0], 0.1, 3.0); },
      [](const Eager& e) { return at::add(e.t(0), 0.1, 3.0); });
  add(
      "sub_i64_scalar_int_alpha_int", {T({2, 3}, kI64)},
      [](const Proxies& p) { return lt::sub(p[0], 3, 2); },
      [](const Eager& e) { return at::sub(e.t(0), 3, 2); });
  add(
      "sub_scalar_first_f32_alpha_float", {T({2, 3}, kF32)},
      [](const Proxies& p) { return lt::sub(2.5, p[0], 0.5); },
      [](const Eager& e) { return at::rsub(e.t(0), 2.5, 0.5); });
  add(
      "add_bool_alpha_true", {T({2, 3}, kB8), T({2, 3}, kB8)},
      [](const Proxies& p) { return lt::add(p[0], p[1], true); },
      [](const Eager& e) { return at::add(e.t(0), e.t(1), true); });

  // Elementwise unary ops on every dtype: integers promote to float32 for the
  // transcendental ones and keep their dtype for neg, abs and relu.
  const std::vector<UnaryOp> unary_ops = {
      {"neg", [](const Value& a) { return Value(lt::neg(a)); },
       [](const at::Tensor& a) { return at::neg(a); }, true, false, false},
      {"abs", [](const Value& a) { return Value(lt::abs(a)); },
       [](const at::Tensor& a) { return at::abs(a); }, true, false, false},
      {"exp", [](const Value& a) { return Value(lt::exp(a)); },
       [](const at::Tensor& a) { return at::exp(a); }, true, true, false},
      {"log", [](const Value& a) { return Value(lt::log(a)); },
       [](const at::Tensor& a) { return at::log(a); }, true, false, true},
      {"sqrt", [](const Value& a) { return Value(lt::sqrt(a)); },
       [](const at::Tensor& a) { return at::sqrt(a); }, true, true, true},
      {"rsqrt", [](const Value& a) { return Value(lt::rsqrt(a)); },
       [](const at::Tensor& a) { return at::rsqrt(a); }, true, false, true},
      {"tanh", [](const Value& a) { return Value(lt::tanh(a)); },
       [](const at::Tensor& a) { return at::tanh(a); }, true, true, false},
      {"erf", [](const Value& a) { return Value(lt::erf(a)); },
       [](const at::Tensor& a) { return at::erf(a); }, true, true, false},
      {"relu", [](const Value& a) { return Value(lt::relu(a)); },
       [](const at::Tensor& a) { return at::relu(a); }, true, false, false},
  };
  for (const UnaryOp& op : unary_ops) {
    std::vector<DType> dtypes = numeric;
    if (op.on_bool) dtypes.push_back(kB8);
    for (const DType d : dtypes) {
      Fill fill = Fill::Default;
      if (op.positive) fill = thunder::is_floating(d) ? Fill::Positive : Fill::PositiveInt;
      if (d == kB8) fill = Fill::Bool;
      add(
          op.name + "_" + dtype_tag(d), {T({4, 5}, d, fill)},
          [f = op.trace](const Proxies& p) { return f(p[0]); },
          [f = op.eager](const Eager& e) { return f(e.t(0)); });
    }
  }
  add(
      "exp_zero_dim_f32", {T({}, kF32)}, [](const Proxies& p) { return lt::exp(p[0]); },
      [](const Eager& e) { return at::exp(e.t(0)); });
  add(
      "relu_zero_dim_i64", {T({}, kI64)}, [](const Proxies& p) { return lt::relu(p[0]); },
      [](const Eager& e) { return at::relu(e.t(0)); });

  for (const DType d : {kF32, kF16, kBF16, kF64}) {
    for (const std::string approximate : {"none", "tanh"}) {
      add(
          "gelu_" + approximate + "_" + dtype_tag(d), {T({3, 7}, d)},
          [approximate](const Proxies& p) { return lt::gelu(p[0], approximate); },
          [approximate](const Eager& e) { return at::gelu(e.t(0), approximate); });
    }
  }

  const std::vector<std::pair<DType, DType>> conversions = {
      {kF32, kF16}, {kF32, kBF16}, {kF16, kF32}, {kBF16, kF16}, {kF64, kF32},
      {kF32, kF64}, {kF32, kI32},  {kF32, kB8},  {kI64, kF32},  {kI32, kI64},
      {kI64, kI32}, {kI32, kB8},   {kB8, kF32},  {kB8, kI64},   {kF32, kF32}};
  for (const auto& [from, to] : conversions) {
    add(
        "to_" + dtype_tag(from) + "_" + dtype_tag(to), {T({2, 3}, from)},
        [to](const Proxies& p) { return lt::to(p[0], to); },
        [to](const Eager& e) { return e.t(0).to(thunder::to_scalar_type(to)); });
  }

  // Shape ops.
  add(
      "reshape_infer_last_f32", {T({2, 3, 4}, kF32)},
      [](const Proxies& p) {
        return lt::reshape(p[0], {4, -1});
      },
      [](const Eager& e) {
        return e.t(0).reshape({4, -1});
      });
  add(
      "reshape_infer_middle_i64", {T({2, 3, 4}, kI64)},
      [](const Proxies& p) {
        return lt::reshape(p[0], {2, -1, 3});
      },
      [](const Eager& e) {
        return e.t(0).reshape({2, -1, 3});
      });
  add(
      "reshape_flatten_bool", {T({2, 3}, kB8)},
      [](const Proxies& p) { return lt::reshape(p[0], {-1}); },
      [](const Eager& e) { return e.t(0).reshape({-1}); });
  add(
      "reshape_zero_dim_to_1x1_f16", {T({}, kF16)},
      [](const Proxies& p) {
        return lt::reshape(p[0], {1, -1});
      },
      [](const Eager& e) {
        return e.t(0).reshape({1, -1});
      });
  add(
      "transpose_negative_dims_f32", {T({2, 3, 4}, kF32)},
      [](const Proxies& p) { return lt::transpose(p[0], -1, 0); },
      [](const Eager& e) { return e.t(0).transpose(-1, 0); });
  add(
      "transpose_last_two_bf16", {T({2, 3, 4}, kBF16)},
      [](const Proxies& p) { return lt::transpose(p[0], -2, -1); },
      [](const Eager& e) { return e.t(0).transpose(-2, -1); });
  add(
      "transpose_same_dim_i32", {T({2, 3}, kI32)},
      [](const Proxies& p) { return lt::transpose(p[0], 1, -1); },
      [](const Eager& e) { return e.t(0).transpose(1, -1); });
  add(
      "permute_f32", {T({2, 3, 4}, kF32)},
      [](const Proxies& p) {
        return lt::permute(p[0], {2, 0, 1});
      },
      [](const Eager& e) {
        return e.t(0).permute({2, 0, 1});
      });
  add(
      "permute_negative_dims_i64", {T({2, 3, 4, 5}, kI64)},
      [](const Proxies& p) {
        return lt::permute(p[0], {-1, 1, -4, 2});
      },
      [](const Eager& e) {
        return e.t(0).permute({-1, 1, -4, 2});
      });

  // Reductions.
  add(
      "sum_all_f32", {T({3, 4, 5}, kF32)}, [](const Proxies& p) { return lt::sum(p[0]); },
      [](const Eager& e) { return at::sum(e.t(0)); });
  add(
      "sum_all_keepdim_f32", {T({3, 4, 5}, kF32)},
      [](const Proxies& p) { return lt::sum(p[0], Value(), true); },
      [](const Eager& e) { return at::sum(e.t(0), at::OptionalIntArrayRef(), true); });
  add(
      "sum_dim1_f32", {T({3, 4, 5}, kF32)}, [](const Proxies& p) { return lt::sum(p[0], 1); },
      [](const Eager& e) { return at::sum(e.t(0), {1}); });
  add(
      "sum_negative_dim_keepdim_f64", {T({3, 4, 5}, kF64)},
      [](const Proxies& p) { return lt::sum(p[0], -1, true); },
      [](const Eager& e) { return at::sum(e.t(0), {-1}, true); });
  add(
      "sum_dims_keepdim_f32", {T({3, 4, 5}, kF32)},
      [](const Proxies& p) {
        return lt::sum(p[0], Value::ints({-1, 0}), true);
      },
      [](const Eager& e) {
        return at::sum(e.t(0), {-1, 0}, true);
      });
  add(
      "sum_dims_f16", {T({3, 4, 5}, kF16)},
      [](const Proxies& p) {
        return lt::sum(p[0], Value::ints({0, 2}));
      },
      [](const Eager& e) {
        return at::sum(e.t(0), {0, 2});
      });
  add(
      "sum_all_f16", {T({6, 7}, kF16)}, [](const Proxies& p) { return lt::sum(p[0]); },
      [](const Eager& e) { return at::sum(e.t(0)); });
  add(
      "sum_dim_bf16", {T({6, 7}, kBF16)}, [](const Proxies& p) { return lt::sum(p[0], 1); },
      [](const Eager& e) { return at::sum(e.t(0), {1}); });
  add(
      "sum_all_i32_gives_i64", {T({3, 4}, kI32)}, [](const Proxies& p) { return lt::sum(p[0]); },
      [](const Eager& e) { return at::sum(e.t(0)); });
  add(
      "sum_dim_i32_gives_i64", {T({3, 4}, kI32)}, [](const Proxies& p) { return lt::sum(p[0], 0); },
      [](const Eager& e) { return at::sum(e.t(0), {0}); });
  add(
      "sum_dim_bool_gives_i64", {T({3, 4}, kB8)},
      [](const Proxies& p) { return lt::sum(p[0], 1, true); },
      [](const Eager& e) { return at::sum(e.t(0), {1}, true); });
  add(
      "sum_dtype_f32_of_f16", {T({3, 4, 5}, kF16)},
      [](const Proxies& p) { return lt::sum(p[0], 1, false, kF32); },
      [](const Eager& e) { return at::sum(e.t(0), {1}, false, at::kFloat); });
  add(
      "sum_dtype_f64_of_f32_all", {T({3, 4}, kF32)},
      [](const Proxies& p) { return lt::sum(p[0], Value(), false, kF64); },
      [](const Eager& e) {
        return at::sum(e.t(0), at::OptionalIntArrayRef(), false, at::kDouble);
      });
  add(
      "sum_dtype_i32_of_i32", {T({3, 4}, kI32)},
      [](const Proxies& p) {
        return lt::sum(p[0], Value::ints({0, 1}), true, kI32);
      },
      [](const Eager& e) {
        return at::sum(e.t(0), {0, 1}, true, at::kInt);
      });
  add(
      "sum_dtype_f16_of_f32", {T({3, 4}, kF32)},
      [](const Proxies& p) { return lt::sum(p[0], 0, false, kF16); },
      [](const Eager& e) { return at::sum(e.t(0), {0}, false, at::kHalf); });
  add(
      "sum_zero_dim_f32", {T({}, kF32)}, [](const Proxies& p) { return lt::sum(p[0], 0, true); },
      [](const Eager& e) { return at::sum(e.t(0), {0}, true); });

  // Matrix products.
  const auto matmul_case = [&add](const std::string& name, Shape a, Shape b, DType d) {
    add(
        "matmul_" + name + "_" + dtype_tag(d), {T(std::move(a), d), T(std::move(b), d)},
        [](const Proxies& p) { return lt::matmul(p[0], p[1]); },
        [](const Eager& e) { return at::matmul(e.t(0), e.t(1)); });
  };
  for (const DType d : {kF32, kF64, kF16, kBF16, kI64}) {
    matmul_case("1d_1d", {4}, {4}, d);
    matmul_case("2d_2d", {3, 4}, {4, 5}, d);
    matmul_case("batched_broadcast", {2, 1, 3, 4}, {5, 4, 2}, d);
  }
  matmul_case("1d_2d", {4}, {4, 5}, kF32);
  matmul_case("2d_1d", {3, 4}, {4}, kF32);
  matmul_case("1d_3d", {4}, {2, 4, 5}, kF32);
  matmul_case("3d_1d", {2, 3, 4}, {4}, kF32);
  matmul_case("3d_2d", {2, 3, 4}, {4, 5}, kF32);
  matmul_case("2d_3d", {3, 4}, {2, 4, 5}, kF32);
  matmul_case("1d_2d", {4}, {4, 5}, kF16);
  matmul_case("2d_1d", {3, 4}, {4}, kBF16);
  matmul_case("2d_1d", {3, 4}, {4}, kI64);

  const auto linear_case = [&add](const std::string& name, Shape input, bool bias, DType d) {
    const std::int64_t k = input.back();
    std::vector<Input> inputs = {T(std::move(input), d), T({3, k}, d)};
    if (bias) inputs.push_back(T({3}, d));
    add(
        "linear_" + name + (bias ? "_bias_" : "_no_bias_") + dtype_tag(d), std::move(inputs),
        [bias](const Proxies& p) { return lt::linear(p[0], p[1], bias ? p[2] : Value()); },
        [bias](const Eager& e) {
          return bias ? at::linear(e.t(0), e.t(1), e.t(2)) : at::linear(e.t(0), e.t(1));
        });
  };
  for (const bool bias : {false, true}) {
    linear_case("1d", {4}, bias, kF32);
    linear_case("2d", {2, 4}, bias, kF32);
    linear_case("3d", {2, 5, 4}, bias, kF32);
    for (const DType d : {kF64, kF16, kBF16})
      linear_case("3d", {2, 5, 4}, bias, d);
  }
  return cases;
}

const std::vector<OpCase>& all_op_cases() {
  static const std::vector<OpCase> cases = op_cases();
  return cases;
}

// Every bound symbol a run at this level executes: the top-level ones, or the prims.
void collect_executed(const thunder::BoundSymbol& bsym, TorchExecutionLevel level,
                      std::set<std::string>& names) {
  if (level == TorchExecutionLevel::Prims && !bsym.symbol->is_prim()) {
    for (const auto& sub : bsym.subsymbols)
      collect_executed(sub, level, names);
    return;
  }
  names.insert(bsym.symbol->qualified_name());
}

// ---------------------------------------------------------------------------------------
// 1. Every symbol has an ATen implementation.

TEST(TorchExecutor, ImplementsEverySymbol) {
  const auto& symbols = thunder::ops::all_symbols();
  EXPECT_EQ(symbols.size(), thunder::prims::all().size() + thunder::ltorch::all().size());
  for (const thunder::Symbol* s : symbols) {
    EXPECT_TRUE(TorchExecutor::implements(*s)) << s->qualified_name();
  }
}

// The table covers every ltorch op, and its prims runs cover every prim.
TEST(TorchExecutor, OpCasesCoverEveryLTorchOpAndPrim) {
  std::set<std::string> top_level;
  std::set<std::string> prims;
  for (const OpCase& c : all_op_cases()) {
    const thunder::Trace trace = trace_case(c);
    for (const auto& bsym : trace.bound_symbols) {
      collect_executed(bsym, TorchExecutionLevel::Symbols, top_level);
      collect_executed(bsym, TorchExecutionLevel::Prims, prims);
    }
  }
  for (const thunder::Symbol* s : thunder::ltorch::all()) {
    EXPECT_TRUE(top_level.count(s->qualified_name())) << "no case traces " << s->qualified_name();
  }
  for (const thunder::Symbol* s : thunder::prims::all()) {
    EXPECT_TRUE(prims.count(s->qualified_name())) << "no case runs " << s->qualified_name();
  }
  for (const std::string& name : prims) {
    EXPECT_EQ(name.rfind("prims.", 0), 0u) << name << " is left at the prims level";
  }
}

// ---------------------------------------------------------------------------------------
// 2. Each ltorch op at both levels against LibTorch eager.

class TorchExecutorOp : public ::testing::TestWithParam<OpCase> {};

TEST_P(TorchExecutorOp, MatchesEagerAtBothLevels) {
  const OpCase& c = GetParam();
  const thunder::Trace trace = trace_case(c);
  SCOPED_TRACE(trace.to_string());
  const std::vector<c10::IValue> inputs = make_inputs(c);
  std::vector<c10::IValue> originals;
  for (const c10::IValue& v : inputs)
    originals.push_back(v.isTensor() ? c10::IValue(v.toTensor().clone()) : v);

  const at::Tensor expected = c.eager(Eager{inputs});

  // The meta agrees with torch.
  ASSERT_TRUE(trace.output.is_tensor()) << trace.output.repr();
  const thunder::TensorProxy& out = *trace.output.as_tensor();
  EXPECT_EQ(thunder::torch_name(out.dtype()),
            thunder::torch_name(thunder::from_scalar_type(expected.scalar_type())))
      << "traced output dtype";
  EXPECT_EQ(thunder::shape_to_string(out.shape()), sizes_string(expected)) << "traced output shape";

  const TorchExecutor executor;
  for (const auto level : {TorchExecutionLevel::Symbols, TorchExecutionLevel::Prims}) {
    const char* level_name = level == TorchExecutionLevel::Symbols ? "Symbols" : "Prims";
    std::vector<at::Tensor> got;
    try {
      got = executor.run(trace, inputs, level);
    } catch (const std::exception& e) {
      ADD_FAILURE() << level_name << " level threw: " << e.what();
      continue;
    }
    ASSERT_EQ(got.size(), 1u) << level_name;
    ::testing::AssertionResult same = same_tensor(got[0], expected);
    if (!same && is_low_precision(expected)) {
      // torch's CPU kernels round some intermediates to f16/bf16 (alpha * b in sub, for
      // one); thunder computes in f32 and rounds once. Such a result passes when it is no
      // farther from the float64 answer than torch's own result is: the conformance rule.
      same =
          no_farther_from_float64_than_eager(got[0], expected, c.eager(Eager{to_float64(inputs)}));
    }
    EXPECT_TRUE(same) << level_name << " level";
  }
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].isTensor()) {
      EXPECT_TRUE(at::equal(inputs[i].toTensor(), originals[i].toTensor()))
          << "input " << i << " was modified";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(LTorch, TorchExecutorOp, ::testing::ValuesIn(all_op_cases()),
                         [](const ::testing::TestParamInfo<OpCase>& param_info) {
                           return param_info.param.name;
                         });

// ---------------------------------------------------------------------------------------
// 3. Input checking.

class TorchExecutorInputs : public ::testing::Test {
protected:
  void SetUp() override {
    thunder::TraceScope scope("scaled");
    auto x = scope.input_tensor("activations", {2, 3}, kF32);
    auto s = scope.input_number("scale", NumberKind::Float);
    trace_ = scope.finish(lt::mul(x, s));
  }

  // Runs with these inputs and returns the ArgumentError's message ("" and a failure if
  // nothing or something else was thrown).
  std::string error_of(const std::vector<c10::IValue>& inputs) const {
    try {
      executor_.run(trace_, inputs);
    } catch (const thunder::ArgumentError& e) {
      return e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "expected thunder::ArgumentError, got: " << e.what();
      return "";
    }
    ADD_FAILURE() << "expected thunder::ArgumentError, nothing was thrown";
    return "";
  }

  thunder::Trace trace_;
  TorchExecutor executor_;
};

TEST_F(TorchExecutorInputs, AcceptsMatchingInputs) {
  const at::Tensor x = at::randn({2, 3});
  const auto out = executor_.run(trace_, {x, 2.0});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(same_tensor(out[0], x * 2.0));
  // An int where a float is expected is fine, as in Python.
  const auto from_int = executor_.run(trace_, {x, std::int64_t{2}}, TorchExecutionLevel::Prims);
  ASSERT_EQ(from_int.size(), 1u);
  EXPECT_TRUE(same_tensor(from_int[0], x * 2.0));
}

TEST_F(TorchExecutorInputs, WrongShape) {
  const std::string message = error_of({at::randn({3, 2}), 2.0});
  EXPECT_NE(message.find("activations"), std::string::npos) << message;
  EXPECT_NE(message.find("cpu f32[2, 3]"), std::string::npos) << message;
}

TEST_F(TorchExecutorInputs, WrongDtype) {
  const std::string message = error_of({at::randn({2, 3}, at::kDouble), 2.0});
  EXPECT_NE(message.find("activations"), std::string::npos) << message;
  EXPECT_NE(message.find("cpu f32[2, 3]"), std::string::npos) << message;
}

TEST_F(TorchExecutorInputs, ZeroDimWhereMatrixExpected) {
  const std::string message = error_of({at::randn({}), 2.0});
  EXPECT_NE(message.find("activations"), std::string::npos) << message;
  EXPECT_NE(message.find("cpu f32[2, 3]"), std::string::npos) << message;
}

TEST_F(TorchExecutorInputs, TooFewInputs) {
  const std::string message = error_of({at::randn({2, 3})});
  EXPECT_NE(message.find("scaled"), std::string::npos) << message;
  EXPECT_NE(message.find("2 inputs"), std::string::npos) << message;
  EXPECT_NE(message.find("got 1"), std::string::npos) << message;
}

TEST_F(TorchExecutorInputs, TooManyInputs) {
  const std::string message = error_of({at::randn({2, 3}), 2.0, 3.0});
  EXPECT_NE(message.find("scaled"), std::string::npos) << message;
  EXPECT_NE(message.find("2 inputs"), std::string::npos) << message;
  EXPECT_NE(message.find("got 3"), std::string::npos) << message;
}

TEST_F(TorchExecutorInputs, TensorWhereNumberExpected) {
  const std::string message = error_of({at::randn({2, 3}), at::randn({})});
  EXPECT_NE(message.find("scale"), std::string::npos) << message;
  EXPECT_NE(message.find("float ?"), std::string::npos) << message;
}

TEST_F(TorchExecutorInputs, NumberWhereTensorExpected) {
  const std::string message = error_of({1.0, 2.0});
  EXPECT_NE(message.find("activations"), std::string::npos) << message;
  EXPECT_NE(message.find("cpu f32[2, 3]"), std::string::npos) << message;
}

TEST_F(TorchExecutorInputs, BoolWhereFloatExpected) {
  const std::string message = error_of({at::randn({2, 3}), true});
  EXPECT_NE(message.find("scale"), std::string::npos) << message;
  EXPECT_NE(message.find("float ?"), std::string::npos) << message;
}

TEST(TorchExecutorInputChecks, NumberOfAnotherValueThanTheTraceFixed) {
  thunder::TraceScope scope("specialized");
  auto x = scope.input_tensor("x", {2}, kI64);
  auto k = scope.input_number("k", NumberKind::Int, std::int64_t{3});
  const thunder::Trace trace = scope.finish(lt::add(x, k));
  const TorchExecutor executor;
  const at::Tensor t = at::arange(2);
  EXPECT_TRUE(same_tensor(executor.run(trace, {t, std::int64_t{3}}).at(0), t + 3));
  try {
    executor.run(trace, {t, std::int64_t{4}});
    ADD_FAILURE() << "expected thunder::ArgumentError";
  } catch (const thunder::ArgumentError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("'k'"), std::string::npos) << message;
    EXPECT_NE(message.find("int 3"), std::string::npos) << message;
  }
}

// ---------------------------------------------------------------------------------------
// 4. A trace whose output is a list of tensors returns them all, in order.

TEST(TorchExecutorOutputs, ListOfTwoTensorsInOrder) {
  thunder::TraceScope scope("two_outputs");
  auto x = scope.input_tensor("x", {2, 3}, kF32);
  auto w = scope.input_tensor("w", {4, 3}, kF32);
  auto h = lt::linear(x, w);           // [2, 4]
  auto total = lt::sum(lt::exp(x), 1); // [2]
  const thunder::Trace trace = scope.finish(Value(Value::List{Value(total), Value(h)}));

  at::manual_seed(0);
  const at::Tensor xt = at::randn({2, 3});
  const at::Tensor wt = at::randn({4, 3});
  const TorchExecutor executor;
  for (const auto level : {TorchExecutionLevel::Symbols, TorchExecutionLevel::Prims}) {
    const std::vector<at::Tensor> out = executor.run(trace, {xt, wt}, level);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_TRUE(same_tensor(out[0], at::sum(at::exp(xt), {1})));
    EXPECT_TRUE(same_tensor(out[1], at::linear(xt, wt)));
  }
}

TEST(TorchExecutorOutputs, SameTensorTwiceAndAnInputAsOutput) {
  thunder::TraceScope scope("repeats");
  auto x = scope.input_tensor("x", {3}, kF32);
  auto y = lt::neg(x);
  const thunder::Trace trace = scope.finish(Value(Value::List{Value(y), Value(x), Value(y)}));
  const at::Tensor xt = at::randn({3});
  const auto out = TorchExecutor().run(trace, {xt}, TorchExecutionLevel::Prims);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(same_tensor(out[0], -xt));
  EXPECT_TRUE(same_tensor(out[1], xt));
  EXPECT_TRUE(same_tensor(out[2], -xt));
}

// ---------------------------------------------------------------------------------------
// What torch eager rejects, tracing rejects too, with an ArgumentError (not a failure at
// run time inside ATen).

struct Rejected {
  std::string name;
  std::vector<Input> inputs;
  TraceFn trace;
  EagerFn eager;
};

TEST(LTorchRejectsWhatTorchRejects, SameInputs) {
  const std::vector<Rejected> cases = {
      {"neg_bool",
       {T({3}, kB8)},
       [](const Proxies& p) { return lt::neg(p[0]); },
       [](const Eager& e) { return at::neg(e.t(0)); }},
      {"abs_bool",
       {T({3}, kB8)},
       [](const Proxies& p) { return lt::abs(p[0]); },
       [](const Eager& e) { return at::abs(e.t(0)); }},
      {"relu_bool",
       {T({3}, kB8)},
       [](const Proxies& p) { return lt::relu(p[0]); },
       [](const Eager& e) { return at::relu(e.t(0)); }},
      {"sub_bool_bool",
       {T({3}, kB8), T({3}, kB8)},
       [](const Proxies& p) { return lt::sub(p[0], p[1]); },
       [](const Eager& e) { return at::sub(e.t(0), e.t(1)); }},
      {"add_i32_float_alpha",
       {T({3}, kI32), T({3}, kI32)},
       [](const Proxies& p) { return lt::add(p[0], p[1], 0.5); },
       [](const Eager& e) { return at::add(e.t(0), e.t(1), 0.5); }},
      {"gelu_i64",
       {T({3}, kI64)},
       [](const Proxies& p) { return lt::gelu(p[0]); },
       [](const Eager& e) { return at::gelu(e.t(0)); }},
      {"add_broadcast_mismatch",
       {T({2, 3}, kF32), T({4}, kF32)},
       [](const Proxies& p) { return lt::add(p[0], p[1]); },
       [](const Eager& e) { return at::add(e.t(0), e.t(1)); }},
      {"matmul_mixed_dtypes",
       {T({2, 3}, kF32), T({3, 2}, kF64)},
       [](const Proxies& p) { return lt::matmul(p[0], p[1]); },
       [](const Eager& e) { return at::matmul(e.t(0), e.t(1)); }},
      {"matmul_zero_dim",
       {T({}, kF32), T({3}, kF32)},
       [](const Proxies& p) { return lt::matmul(p[0], p[1]); },
       [](const Eager& e) { return at::matmul(e.t(0), e.t(1)); }},
      {"reshape_bad_numel",
       {T({2, 3}, kF32)},
       [](const Proxies& p) {
         return lt::reshape(p[0], {4, -1});
       },
       [](const Eager& e) {
         return e.t(0).reshape({4, -1});
       }},
      {"transpose_dim_out_of_range",
       {T({2, 3}, kF32)},
       [](const Proxies& p) { return lt::transpose(p[0], 0, 2); },
       [](const Eager& e) { return e.t(0).transpose(0, 2); }},
      {"sum_repeated_dim",
       {T({2, 3}, kF32)},
       [](const Proxies& p) {
         return lt::sum(p[0], Value::ints({1, -1}));
       },
       [](const Eager& e) {
         return at::sum(e.t(0), {1, -1});
       }},
  };
  for (const Rejected& c : cases) {
    SCOPED_TRACE(c.name);
    const OpCase op{c.name, c.inputs, c.trace, c.eager};
    const std::vector<c10::IValue> inputs = make_inputs(op);
    EXPECT_THROW(c.eager(Eager{inputs}), c10::Error)
        << "torch eager accepts " << c.name << "; this case is wrong";
    EXPECT_THROW(trace_case(op), thunder::ArgumentError) << "ltorch accepts " << c.name;
  }
}

} // namespace
