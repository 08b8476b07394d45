// del statements after last uses, and the peak-bytes estimate (which fusion lowers).
#include "fake_executors.h"
#include "golden.h"
#include "thunder/passes/assign_executors.h"
#include "thunder/passes/buffer_lifetimes.h"
#include "thunder/passes/fusion.h"
#include "thunder/thunder.h"

#include <gtest/gtest.h>

namespace thunder {
namespace {

using testing::Claims;
using testing::fake;

std::vector<std::string> lines(const Trace& trace) {
  std::vector<std::string> out;
  for (const BoundSymbol& b : trace.bound_symbols) {
    std::string args;
    for (const Value& a : b.args)
      args += (args.empty() ? "" : ", ") + a.repr();
    out.push_back(b.symbol == &python_del() ? "del " + args : b.symbol->name);
  }
  return out;
}

TEST(DeleteLastUsed, DeletesEachIntermediateAfterItsLastUse) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {4}, DType::Float32);
  auto a = prims::exp(x);
  auto b = prims::tanh(a);
  prims::neg(x); // unused: deleted right after it is made
  auto c = prims::add(a, b);
  const Trace trace = delete_last_used(scope.finish(Value(Value::List{Value(c), Value(b)})));
  EXPECT_EQ(trace.provenance, "Delete Last Used");
  // b is returned and x is an input: neither is deleted.
  EXPECT_EQ(lines(trace), (std::vector<std::string>{"exp", "tanh", "neg", "del t2", "add",
                                                    "del " + a->name()}));
  // Idempotent: the del statements of an earlier run are recomputed, not kept twice.
  EXPECT_EQ(delete_last_used(trace).to_string(), trace.to_string());
}

TEST(DeleteLastUsed, FusedMlpMatchesGolden) {
  ExecutorRegistry registry;
  registry.add(fake("torch", 100, Claims::Everything));
  registry.add(fake("spirv", 200, Claims::FusiblePrims));
  const std::vector<const Executor*> executors = registry.resolve("spirv");
  TraceScope scope;
  auto x = scope.input_tensor("x", {8, 64}, DType::Float32);
  auto w1 = scope.input_tensor("w1", {32, 64}, DType::Float32);
  auto w2 = scope.input_tensor("w2", {16, 32}, DType::Float32);
  auto h = ltorch::gelu(ltorch::linear(x, w1), "tanh");
  const Trace traced = scope.finish(ltorch::softmax(ltorch::linear(h, w2), -1));
  const Trace trace = delete_last_used(fuse(assign_executors(traced, executors), executors));
  testing::expect_matches_golden(trace.to_string(), "delete_last_used_mlp.txt");
}

TEST(EstimatePeakBytes, CountsLiveTensorsAndFusionLowersIt) {
  ExecutorRegistry registry;
  registry.add(fake("torch", 100, Claims::Everything));
  registry.add(fake("spirv", 200, Claims::FusiblePrims));
  const std::vector<const Executor*> executors = registry.resolve("spirv");
  TraceScope scope;
  auto x = scope.input_tensor("x", {4, 4}, DType::Float32); // 64 bytes
  const Trace traced = scope.finish(prims::neg(prims::tanh(prims::exp(x))));
  // x, and two of the three 64-byte results at a time.
  EXPECT_EQ(estimate_peak_bytes(traced), 3 * 64);
  // Fused: only x and the region's one output exist.
  EXPECT_EQ(estimate_peak_bytes(fuse(assign_executors(traced, executors), executors)), 2 * 64);
  // del statements change nothing.
  EXPECT_EQ(estimate_peak_bytes(delete_last_used(traced)), 3 * 64);
}

TEST(EstimatePeakBytes, UsesDTypeSizesAndKeepsReturnedTensors) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {10}, DType::Float16); // 20 bytes
  auto a = prims::convert_element_type(x, DType::Float64); // 80 bytes, returned
  auto b = prims::exp(a);                                  // 80 bytes, dies at once
  auto c = prims::neg(x);                                  // 20 bytes, returned
  prims::abs(b);
  const Trace trace = scope.finish(Value(Value::List{Value(a), Value(c)}));
  // At abs, everything is alive: x, a, b, c and abs's output.
  EXPECT_EQ(estimate_peak_bytes(trace), 20 + 80 + 80 + 20 + 80);
}

TEST(EstimatePeakBytes, ViewsShareTheirStorageWhichLivesUntilTheLastView) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {4, 4}, DType::Float32); // 64 bytes
  auto e = prims::exp(x);                                   // 64 bytes
  auto r = prims::reshape(e, {16});                         // a view of e: nothing
  auto s = prims::slice(r, {0}, {8}, {1});                  // a view of the view
  auto n = prims::neg(x);                                   // e is unread, but s views it
  const Trace trace = scope.finish(prims::add(s, prims::slice(prims::reshape(n, {16}), {8}, {16}, {1})));
  // At add: x, e (through s), n and add's 32-byte output; no view counted (as copies,
  // r, s and the views of n would add 64 + 32 + 64 + 32).
  EXPECT_EQ(estimate_peak_bytes(trace), 3 * 64 + 32);
}

TEST(EstimatePeakBytes, ReshapeOfATransposedTensorCopiesAsEagerDoes) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {4, 4}, DType::Float32); // 64 bytes
  auto e = prims::exp(x);                                   // 64 bytes
  auto r = prims::reshape(prims::transpose(e, {1, 0}), {16}); // strides [1, 4]: a copy, 64
  const Trace trace = scope.finish(prims::sum(r, {0}));
  // At reshape: x, e and the copy (viewed, it would be 132: x, e and sum's 4 bytes).
  EXPECT_EQ(estimate_peak_bytes(trace), 3 * 64);
}

} // namespace
} // namespace thunder
