// Printed traces, compared with golden files in tests/golden/.
#include "golden.h"
#include "thunder/thunder.h"

#include <gtest/gtest.h>

namespace thunder {
namespace {

using testing::expect_matches_golden;

TEST(TracePrinter, LinearGeluMatchesDesignExample) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {8, 64}, DType::Float32, Device::cuda(0));
  auto w = scope.input_tensor("w", {32, 64}, DType::Float32, Device::cuda(0));
  const Trace trace = scope.finish(ltorch::gelu(ltorch::linear(x, w), "tanh"));
  expect_matches_golden(trace.to_string(), "linear_gelu.txt");
}

TEST(TracePrinter, ShowsPromotionConversions) {
  // f16 tensor + 0-dim int64 tensor + Python float: computed in f32, stored as f16.
  TraceScope scope;
  auto a = scope.input_tensor("a", {2, 3}, DType::Float16);
  auto b = scope.input_tensor("b", {}, DType::Int64);
  const Trace trace = scope.finish(ltorch::mul(ltorch::add(a, b), 0.5));
  expect_matches_golden(trace.to_string(), "promotion.txt");
}

TEST(TracePrinter, PrintsSourceLocationsOncePerLine) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {4}, DType::Float32);
  scope.set_location(SourceLocation{"model.py", 41});
  auto y = ltorch::exp(x);
  auto z = ltorch::neg(y);
  scope.set_location(SourceLocation{"model.py", 42});
  const Trace trace = scope.finish(ltorch::relu(z));
  expect_matches_golden(trace.to_string(), "source_locations.txt");
  PrintOptions quiet;
  quiet.source_locations = false;
  quiet.subsymbols = false;
  expect_matches_golden(trace.to_string(quiet), "source_locations_quiet.txt");
}

TEST(TracePrinter, PrintsNumberInputsAndTupleOutputs) {
  TraceScope scope("computation");
  auto x = scope.input_tensor("x", {2, 2}, DType::BFloat16, Device::vulkan(1), true);
  auto alpha = scope.input_number("alpha", NumberKind::Float);
  auto n = scope.input_number("n", NumberKind::Int, std::int64_t{3});
  auto y = ltorch::mul(x, alpha);
  auto z = ltorch::add(x, n);
  Value::List outputs{Value(y), Value(z)};
  const Trace trace = scope.finish(Value(std::move(outputs)));
  expect_matches_golden(trace.to_string(), "numbers_and_tuples.txt");
}

} // namespace
} // namespace thunder
