// The torch executor beyond single ops (those are the op database's, opdb_test.cpp): it
// implements every symbol, checks its inputs against the trace's proxies with messages
// that name them, returns list outputs in order, and traces reject what torch rejects.
#include "thunder/executors/torch_executor.h"
#include "thunder/passes/buffer_lifetimes.h"
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

// ---------------------------------------------------------------------------------------
// Memory eager PyTorch holds (TorchExecutor::run_measuring_memory): `del` frees, and the
// temporaries inside ATen's kernels are seen.

namespace memory {

constexpr std::int64_t kBytes = 64 * 64 * 4; // one [64, 64] f32 tensor

// x -> tanh -> exp -> neg -> abs: four intermediates in a chain.
thunder::Trace chain_trace() {
  thunder::TraceScope scope("chain");
  auto x = scope.input_tensor("x", {64, 64}, kF32);
  return scope.finish(lt::abs(lt::neg(lt::exp(lt::tanh(x)))));
}

TEST(TorchExecutorMemory, DelFreesAValueAfterItsLastUse) {
  const thunder::Trace trace = chain_trace();
  const at::Tensor x = at::randn({64, 64});
  // Without dels every intermediate stays until the end: x and four more.
  const TorchExecutor::MeasuredRun kept = TorchExecutor().run_measuring_memory(trace, {x});
  EXPECT_EQ(kept.peak_bytes, 5 * kBytes);
  // With them, x and at most two at once (an op's input and its output).
  const TorchExecutor::MeasuredRun freed =
      TorchExecutor().run_measuring_memory(thunder::delete_last_used(trace), {x});
  EXPECT_EQ(freed.peak_bytes, 3 * kBytes);
  ASSERT_EQ(freed.outputs.size(), 1u);
  EXPECT_TRUE(at::equal(freed.outputs[0], kept.outputs[0]));
  EXPECT_TRUE(at::equal(freed.outputs[0], at::abs(at::neg(at::exp(at::tanh(x))))));
}

TEST(TorchExecutorMemory, SeesTheTemporariesInsideATensKernels) {
  // matmul of heads laid out as a transpose (attention's q): ATen folds the batch dims with
  // a reshape, which copies here, inside the call, where estimate_peak_bytes cannot see.
  thunder::TraceScope scope("batched");
  auto a = scope.input_tensor("a", {2, 64, 4, 64}, kF32);
  auto b = scope.input_tensor("b", {2, 4, 64, 64}, kF32);
  const thunder::Trace trace = scope.finish(lt::matmul(lt::transpose(a, 1, 2), b));
  const at::Tensor ta = at::randn({2, 64, 4, 64});
  const at::Tensor tb = at::randn({2, 4, 64, 64});
  const TorchExecutor::MeasuredRun run = TorchExecutor().run_measuring_memory(trace, {ta, tb});
  const std::int64_t visible = 3 * 8 * kBytes; // a, b and the result
  EXPECT_EQ(thunder::estimate_peak_bytes(trace), visible);
  EXPECT_GE(run.peak_bytes, visible + 8 * kBytes) << "the contiguous copy of a inside at::matmul";
  EXPECT_TRUE(at::allclose(run.outputs[0], at::matmul(ta.transpose(1, 2), tb)));
}

TEST(TorchExecutorMemory, CountsInputsThatShareStorageOnce) {
  thunder::TraceScope scope("shared");
  auto x = scope.input_tensor("x", {64, 64}, kF32);
  auto y = scope.input_tensor("y", {64, 64}, kF32);
  const thunder::Trace trace = scope.finish(lt::add(x, y));
  const at::Tensor t = at::randn({64, 64});
  EXPECT_EQ(TorchExecutor().run_measuring_memory(trace, {t, t}).peak_bytes, 2 * kBytes);
}

} // namespace memory
