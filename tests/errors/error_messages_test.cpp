// The exact messages users get for bad input. A user's mistake is a thunder::Error subclass
// whose message names the op, the shapes / dtypes and what is wrong; a bug in thunder-cpp
// is a thunder::InternalError. Each test pins one message word for word.
#include "thunder/thunder.h"

#include <gtest/gtest.h>

#include <exception>
#include <functional>
#include <source_location>
#include <string>
#include <type_traits>
#include <typeinfo>

namespace thunder {
namespace {

// What a caught exception is, for failure messages.
std::string describe(const std::exception& e) {
  if (dynamic_cast<const ArgumentError*>(&e) != nullptr) return "thunder::ArgumentError";
  if (dynamic_cast<const UnsupportedError*>(&e) != nullptr) return "thunder::UnsupportedError";
  if (dynamic_cast<const BackendError*>(&e) != nullptr) return "thunder::BackendError";
  if (dynamic_cast<const Error*>(&e) != nullptr) return "thunder::Error";
  if (dynamic_cast<const InternalError*>(&e) != nullptr) return "thunder::InternalError";
  return typeid(e).name();
}

template <typename E>
std::string type_name() {
  if constexpr (std::is_same_v<E, ArgumentError>)
    return "thunder::ArgumentError";
  else if constexpr (std::is_same_v<E, UnsupportedError>)
    return "thunder::UnsupportedError";
  else if constexpr (std::is_same_v<E, InternalError>)
    return "thunder::InternalError";
  else
    return typeid(E).name();
}

// Runs fn, expects it to throw exactly an E (not a subclass, not another type) and returns
// the message; records a failure at the caller and returns "" otherwise.
template <typename E>
std::string message_of(const std::function<void()>& fn,
                       std::source_location where = std::source_location::current()) {
  try {
    fn();
  } catch (const std::exception& e) {
    if (typeid(e) != typeid(E)) {
      ADD_FAILURE_AT(where.file_name(), static_cast<int>(where.line()))
          << "expected exactly " << type_name<E>() << ", got " << describe(e) << ": " << e.what();
      return "";
    }
    return e.what();
  } catch (...) {
    ADD_FAILURE_AT(where.file_name(), static_cast<int>(where.line()))
        << "expected " << type_name<E>() << ", got something not derived from std::exception";
    return "";
  }
  ADD_FAILURE_AT(where.file_name(), static_cast<int>(where.line()))
      << "expected " << type_name<E>() << ", but nothing was thrown";
  return "";
}

const Symbol& ltorch_symbol(ltorch::LTorchId id) {
  return ltorch::symbol(id);
}

// ---------------------------------------------------------------------------------------
// Matrix products.

TEST(ErrorMessages, MatmulNamesBothShapes) {
  TraceScope scope;
  auto a = scope.input_tensor("a", {8, 64}, DType::Float32);
  auto b = scope.input_tensor("b", {32, 64}, DType::Float32);
  EXPECT_EQ(message_of<ArgumentError>([&] { ltorch::matmul(a, b); }),
            "ltorch.matmul: shapes [8, 64] and [32, 64] cannot be multiplied (64 != 32)");
}

TEST(ErrorMessages, MatmulNamesBothDtypes) {
  TraceScope scope;
  auto a = scope.input_tensor("a", {8, 64}, DType::Float32);
  auto b = scope.input_tensor("b", {64, 32}, DType::BFloat16);
  EXPECT_EQ(message_of<ArgumentError>([&] { ltorch::matmul(a, b); }),
            "ltorch.matmul: expected both operands to have the same dtype, got float32 for a and "
            "bfloat16 for b");
}

TEST(ErrorMessages, MatmulRejectsZeroDimTensor) {
  TraceScope scope;
  auto a = scope.input_tensor("a", {}, DType::Float32);
  auto b = scope.input_tensor("b", {8, 64}, DType::Float32);
  EXPECT_EQ(message_of<ArgumentError>([&] { ltorch::matmul(a, b); }),
            "ltorch.matmul: both arguments to matmul need to be at least 1D, but they are 0D and "
            "2D");
}

// The batch dims are what fails to broadcast, but the user passed the full shapes: the
// message must name those, and count dims in them.
TEST(ErrorMessages, MatmulNamesFullShapesWhenBatchDimsCannotBroadcast) {
  TraceScope scope;
  auto a = scope.input_tensor("a", {2, 4, 5}, DType::Float32);
  auto b = scope.input_tensor("b", {3, 5, 6}, DType::Float32);
  EXPECT_EQ(message_of<ArgumentError>([&] { ltorch::matmul(a, b); }),
            "ltorch.matmul: batch dims of shapes [2, 4, 5] and [3, 5, 6] cannot be broadcast "
            "(2 != 3 at dim 0)");
}

TEST(ErrorMessages, LinearNamesInputAndWeightShapes) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {8, 64}, DType::Float32);
  auto w = scope.input_tensor("w", {32, 16}, DType::Float32);
  EXPECT_EQ(message_of<ArgumentError>([&] { ltorch::linear(x, w); }),
            "ltorch.linear: input [8, 64] and weight [32, 16] cannot be multiplied (64 != 16)");
}

TEST(ErrorMessages, LinearNamesExpectedBiasShape) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {8, 64}, DType::Float32);
  auto w = scope.input_tensor("w", {32, 64}, DType::Float32);
  auto b = scope.input_tensor("b", {16}, DType::Float32);
  EXPECT_EQ(message_of<ArgumentError>([&] { ltorch::linear(x, w, b); }),
            "ltorch.linear: bias of shape [16] does not broadcast to [32] (the output features)");
}

// ---------------------------------------------------------------------------------------
// Broadcasting and devices.

TEST(ErrorMessages, AddNamesShapesThatCannotBroadcast) {
  TraceScope scope;
  auto a = scope.input_tensor("a", {2, 3}, DType::Float32);
  auto b = scope.input_tensor("b", {4}, DType::Float32);
  EXPECT_EQ(message_of<ArgumentError>([&] { ltorch::add(a, b); }),
            "ltorch.add: shapes [2, 3] and [4] cannot be broadcast (3 != 4 at dim -1)");
}

TEST(ErrorMessages, AddNamesBothDevices) {
  TraceScope scope;
  auto a = scope.input_tensor("a", {2, 3}, DType::Float32, Device::cpu());
  auto b = scope.input_tensor("b", {2, 3}, DType::Float32, Device::cuda(0));
  EXPECT_EQ(message_of<ArgumentError>([&] { ltorch::add(a, b); }),
            "ltorch.add: expected all tensors on one device, but a is on cpu and b is on cuda:0");
}

// ---------------------------------------------------------------------------------------
// Dims and shapes.

TEST(ErrorMessages, TransposeNamesValidDimRange) {
  TraceScope scope;
  auto a = scope.input_tensor("a", {2, 3}, DType::Float32);
  EXPECT_EQ(message_of<ArgumentError>([&] { ltorch::transpose(a, 0, 2); }),
            "ltorch.transpose: dimension out of range (expected to be in range of [-2, 1], but "
            "got 2)");
  EXPECT_EQ(message_of<ArgumentError>([&] { ltorch::transpose(a, -3, 0); }),
            "ltorch.transpose: dimension out of range (expected to be in range of [-2, 1], but "
            "got -3)");
}

TEST(ErrorMessages, SumNamesValidDimRange) {
  TraceScope scope;
  auto a = scope.input_tensor("a", {2, 3}, DType::Float32);
  EXPECT_EQ(message_of<ArgumentError>([&] { ltorch::sum(a, 2); }),
            "ltorch.sum: dimension out of range (expected to be in range of [-2, 1], but got 2)");
  EXPECT_EQ(message_of<ArgumentError>([&] {
              ltorch::sum(a, Value::ints({0, -3}));
            }),
            "ltorch.sum: dimension out of range (expected to be in range of [-2, 1], but got -3)");
}

TEST(ErrorMessages, PermuteRejectsRepeatedDims) {
  TraceScope scope;
  auto a = scope.input_tensor("a", {2, 3}, DType::Float32);
  EXPECT_EQ(message_of<ArgumentError>([&] {
              ltorch::permute(a, {0, 0});
            }),
            "ltorch.permute: repeated dim in permutation [0, 0]");
  // -1 is dim 1: a repeat once canonicalized; the message shows what the user wrote.
  EXPECT_EQ(message_of<ArgumentError>([&] {
              ltorch::permute(a, {1, -1});
            }),
            "ltorch.permute: repeated dim in permutation [1, -1]");
}

TEST(ErrorMessages, SumRejectsRepeatedDims) {
  TraceScope scope;
  auto a = scope.input_tensor("a", {2, 3}, DType::Float32);
  EXPECT_EQ(message_of<ArgumentError>([&] {
              ltorch::sum(a, Value::ints({1, -1}));
            }),
            "ltorch.sum: dim 1 appears multiple times in the list of dims");
}

TEST(ErrorMessages, ReshapeNamesShapeAndInputSize) {
  TraceScope scope;
  auto a = scope.input_tensor("a", {2, 3}, DType::Float32);
  EXPECT_EQ(message_of<ArgumentError>([&] {
              ltorch::reshape(a, {4, 2});
            }),
            "ltorch.reshape: shape '[4, 2]' is invalid for input of size 6");
  EXPECT_EQ(message_of<ArgumentError>([&] {
              ltorch::reshape(a, {-1, 4});
            }),
            "ltorch.reshape: shape '[-1, 4]' is invalid for input of size 6");
}

TEST(ErrorMessages, ReshapeRejectsTwoInferredDims) {
  TraceScope scope;
  auto a = scope.input_tensor("a", {2, 3}, DType::Float32);
  EXPECT_EQ(message_of<ArgumentError>([&] {
              ltorch::reshape(a, {-1, -1});
            }),
            "ltorch.reshape: only one dimension can be inferred");
}

// ---------------------------------------------------------------------------------------
// Elementwise ops: arguments and dtypes.

TEST(ErrorMessages, GeluRejectsUnknownApproximation) {
  TraceScope scope;
  auto a = scope.input_tensor("a", {2, 3}, DType::Float32);
  EXPECT_EQ(message_of<ArgumentError>([&] { ltorch::gelu(a, "bogus"); }),
            "ltorch.gelu: approximate must be 'none' or 'tanh', got 'bogus'");
}

TEST(ErrorMessages, GeluRejectsIntegerTensor) {
  TraceScope scope;
  auto a = scope.input_tensor("a", {2, 3}, DType::Int64);
  EXPECT_EQ(message_of<ArgumentError>([&] { ltorch::gelu(a); }),
            "ltorch.gelu: expected a floating tensor, got a of dtype int64");
}

TEST(ErrorMessages, NegRejectsBoolTensor) {
  TraceScope scope;
  auto mask = scope.input_tensor("mask", {2, 3}, DType::Bool);
  EXPECT_EQ(
      message_of<ArgumentError>([&] { ltorch::neg(mask); }),
      "ltorch.neg: negation is not supported on bool tensors (mask); use logical_not to invert a "
      "mask");
}

TEST(ErrorMessages, AddRejectsFloatAlphaOnIntegerTensors) {
  TraceScope scope;
  auto a = scope.input_tensor("a", {2, 3}, DType::Int64);
  EXPECT_EQ(message_of<ArgumentError>([&] { ltorch::add(a, a, 2.5); }),
            "ltorch.add: for integral input tensors, argument alpha must not be a floating point "
            "number");
}

// torch: bool is not a floating dtype, so a float alpha on bool tensors gets the integral
// message; "Boolean alpha ..." is about a bool alpha, which this call does not pass.
TEST(ErrorMessages, AddRejectsFloatAlphaOnBoolTensors) {
  TraceScope scope;
  auto mask = scope.input_tensor("mask", {2, 3}, DType::Bool);
  EXPECT_EQ(message_of<ArgumentError>([&] { ltorch::add(mask, mask, 2.5); }),
            "ltorch.add: for integral input tensors, argument alpha must not be a floating point "
            "number");
}

// torch.add(float_tensor, float_tensor, alpha=True) raises "Boolean alpha only supported
// for Boolean results."
TEST(ErrorMessages, AddRejectsBoolAlphaOnFloatTensors) {
  TraceScope scope;
  auto a = scope.input_tensor("a", {2, 3}, DType::Float32);
  EXPECT_EQ(message_of<ArgumentError>([&] { ltorch::add(a, a, true); }),
            "ltorch.add: boolean alpha only supported for Boolean results");
}

// torch.div(a, a, rounding_mode='round') raises "div expected rounding_mode to be one of
// None, 'trunc', or 'floor' but found 'round'".
TEST(ErrorMessages, DivRejectsUnknownRoundingMode) {
  TraceScope scope;
  auto a = scope.input_tensor("a", {2, 3}, DType::Float32);
  EXPECT_EQ(message_of<ArgumentError>([&] { ltorch::div(a, a, "round"); }),
            "ltorch.div: div expected rounding_mode to be one of None, 'trunc', or 'floor' but "
            "found 'round'");
}

// ---------------------------------------------------------------------------------------
// Argument binding.

TEST(ErrorMessages, BindingRejectsTooManyPositionalArguments) {
  TraceScope scope;
  auto a = scope.input_tensor("a", {2, 3}, DType::Float32);
  // alpha is keyword-only.
  EXPECT_EQ(message_of<ArgumentError>([&] {
              call_symbol(ltorch_symbol(ltorch::LTorchId::add), {a, a, 2});
            }),
            "ltorch.add: takes 2 positional arguments but 3 were given");
}

TEST(ErrorMessages, BindingRejectsUnknownKeyword) {
  TraceScope scope;
  auto a = scope.input_tensor("a", {2, 3}, DType::Float32);
  EXPECT_EQ(message_of<ArgumentError>([&] {
              call_symbol(ltorch_symbol(ltorch::LTorchId::add), {a, a}, {{"beta", 2}});
            }),
            "ltorch.add: got an unexpected keyword argument 'beta'");
}

TEST(ErrorMessages, BindingRejectsRepeatedArgument) {
  TraceScope scope;
  auto a = scope.input_tensor("a", {2, 3}, DType::Float32);
  EXPECT_EQ(message_of<ArgumentError>([&] {
              call_symbol(ltorch_symbol(ltorch::LTorchId::add), {a, a}, {{"a", a}});
            }),
            "ltorch.add: got multiple values for argument 'a'");
}

TEST(ErrorMessages, BindingRejectsMissingArgument) {
  TraceScope scope;
  auto a = scope.input_tensor("a", {2, 3}, DType::Float32);
  EXPECT_EQ(
      message_of<ArgumentError>([&] { call_symbol(ltorch_symbol(ltorch::LTorchId::add), {a}); }),
      "ltorch.add: missing required argument 'b'");
}

// ---------------------------------------------------------------------------------------
// Tracing: scopes and inputs.

TEST(ErrorMessages, CallOutsideTraceScopeNamesTheOp) {
  ASSERT_EQ(TraceScope::current(), nullptr);
  auto x = TensorProxy::create("x", {2, 3}, DType::Float32, Device::cpu());
  EXPECT_EQ(message_of<ArgumentError>([&] { ltorch::gelu(x); }),
            "ltorch.gelu: called outside a TraceScope; symbols record bound symbols only "
            "while a thunder::TraceScope is active");
}

TEST(ErrorMessages, InputTensorRejectsNegativeExtent) {
  TraceScope scope;
  EXPECT_EQ(message_of<ArgumentError>([&] {
              scope.input_tensor("x", {2, -1}, DType::Float32);
            }),
            "tensor 'x': shape [2, -1] has a negative extent");
}

TEST(ErrorMessages, InputTensorRejectsNameStartingWithDigit) {
  TraceScope scope;
  EXPECT_EQ(message_of<ArgumentError>([&] { scope.input_tensor("1x", {2}, DType::Float32); }),
            "invalid name '1x': names must be Python identifiers and not reserved words");
}

// 'def' (like 'prims', which is a Python identifier) is refused because the printed trace
// uses it: the message must say so, not only "must be Python identifiers".
TEST(ErrorMessages, InputTensorRejectsReservedName) {
  TraceScope scope;
  EXPECT_EQ(message_of<ArgumentError>([&] { scope.input_tensor("def", {2}, DType::Float32); }),
            "invalid name 'def': names must be Python identifiers and not reserved words");
  EXPECT_EQ(message_of<ArgumentError>([&] { scope.input_tensor("prims", {2}, DType::Float32); }),
            "invalid name 'prims': names must be Python identifiers and not reserved words");
}

TEST(ErrorMessages, InputTensorRejectsRepeatedName) {
  TraceScope scope;
  scope.input_tensor("x", {2}, DType::Float32);
  EXPECT_EQ(message_of<ArgumentError>([&] { scope.input_tensor("x", {3}, DType::Float32); }),
            "the name 'x' is used twice in one trace");
}

// A rejected input declares nothing: its name stays free for the corrected call.
TEST(ErrorMessages, RejectedInputTensorLeavesItsNameFree) {
  TraceScope scope;
  EXPECT_EQ(message_of<ArgumentError>([&] {
              scope.input_tensor("x", {2, -1}, DType::Float32);
            }),
            "tensor 'x': shape [2, -1] has a negative extent");
  EXPECT_NO_THROW(scope.input_tensor("x", {2, 1}, DType::Float32));
}

TEST(ErrorMessages, ScopeStaysUsableAfterErrorInDecomposition) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {8, 64}, DType::Float32);
  auto w = scope.input_tensor("w", {32, 64}, DType::Float32);
  auto b = scope.input_tensor("b", {16}, DType::Float32);
  // linear records its transpose and matmul before it checks the bias.
  EXPECT_EQ(message_of<ArgumentError>([&] { ltorch::linear(x, w, b); }),
            "ltorch.linear: bias of shape [16] does not broadcast to [32] (the output features)");
  EXPECT_EQ(TraceScope::current(), &scope);

  auto y = ltorch::linear(x, w);
  EXPECT_EQ(y->shape(), (Shape{8, 32}));
  const Trace trace = scope.finish(y);
  ASSERT_EQ(trace.bound_symbols.size(), 1u);
  const BoundSymbol& linear = trace.bound_symbols[0];
  EXPECT_EQ(linear.symbol->qualified_name(), "ltorch.linear");
  ASSERT_EQ(linear.args.size(), 3u);
  EXPECT_TRUE(linear.args[2].is_none());
  ASSERT_EQ(linear.subsymbols.size(), 2u);
  EXPECT_EQ(linear.subsymbols[0].symbol->qualified_name(), "prims.transpose");
  EXPECT_EQ(linear.subsymbols[1].symbol->qualified_name(), "prims.matmul");
  EXPECT_EQ(linear.output.proxy(), y.get());

  const std::string printed = trace.to_string();
  const std::string call = y->name() + " = ltorch.linear(x, w, None)";
  EXPECT_NE(printed.find(call), std::string::npos) << printed;
  EXPECT_EQ(printed.find("ltorch.linear(x, w, b)"), std::string::npos) << printed;
  EXPECT_EQ(printed.find("broadcast_in_dim"), std::string::npos) << printed;
  EXPECT_EQ(printed.find("prims.add"), std::string::npos) << printed;
  EXPECT_NE(printed.find("return " + y->name()), std::string::npos) << printed;
}

// ---------------------------------------------------------------------------------------
// Devices.

TEST(ErrorMessages, DeviceParseRejectsUnknownType) {
  EXPECT_EQ(message_of<ArgumentError>([] { Device::parse("gpu:0"); }),
            "invalid device 'gpu:0': expected cpu, cuda[:N] or vulkan[:N]");
}

TEST(ErrorMessages, DeviceParseRejectsNonIntegerIndex) {
  EXPECT_EQ(message_of<ArgumentError>([] { Device::parse("cuda:x"); }),
            "invalid device 'cuda:x': the index after ':' must be a non-negative integer, as in "
            "'cuda:0'");
}

// ---------------------------------------------------------------------------------------
// Bugs.

TEST(ErrorMessages, InternalAssertThrowsInternalError) {
  static_assert(!std::is_base_of_v<Error, InternalError>);
  const std::string message =
      message_of<InternalError>([] { THUNDER_INTERNAL_ASSERT(false) << "ctx"; });
  EXPECT_NE(message.find("error_messages_test.cpp"), std::string::npos) << message;
  EXPECT_NE(message.find("check `false` failed"), std::string::npos) << message;
  EXPECT_NE(message.find("ctx"), std::string::npos) << message;

  // Code that handles user errors does not swallow it.
  bool caught_as_error = false;
  try {
    THUNDER_INTERNAL_ASSERT(1 + 1 == 3) << "ctx";
  } catch (const Error&) {
    caught_as_error = true;
  } catch (const InternalError&) {}
  EXPECT_FALSE(caught_as_error);
}

} // namespace
} // namespace thunder

namespace thunder {
namespace {

TEST(ErrorMessages, BindingCountsOptionalPositionalArguments) {
  TraceScope scope;
  auto a = scope.input_tensor("a", {2, 3}, DType::Float32);
  EXPECT_EQ(message_of<ArgumentError>([&] {
              call_symbol(ltorch::symbol(ltorch::LTorchId::sum), {a, 0, true, DType::Float32});
            }),
            "ltorch.sum: takes from 1 to 3 positional arguments but 4 were given");
}

TEST(ErrorMessages, DeviceParseRejectsCpuIndex) {
  EXPECT_EQ(message_of<ArgumentError>([] { Device::parse("cpu:1"); }),
            "invalid device 'cpu:1': cpu has only index 0");
}

} // namespace
} // namespace thunder
