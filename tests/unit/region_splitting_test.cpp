// split_regions_for_memory: a region of independent chains is split where that lowers the
// peak, each part moved up to just after what it reads; elsewhere regions stay whole.
#include "fake_executors.h"
#include "thunder/passes/assign_executors.h"
#include "thunder/passes/buffer_lifetimes.h"
#include "thunder/passes/fusion.h"
#include "thunder/passes/region_splitting.h"
#include "thunder/thunder.h"

#include <gtest/gtest.h>

namespace thunder {
namespace {

using testing::calls;

class RegionSplitting : public testing::FusingExecutors {};

constexpr std::int64_t kBytes = 64 * 64 * 4;

// tanh(x @ w) for three weights, as q, k and v's projections and bias adds: fusion puts the
// three matmuls first and the three tanhs in one region, which holds the three products and
// the three results at once.
TEST_F(RegionSplitting, SplitsIndependentChainsWhereThatLowersThePeak) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {64, 64}, DType::Float32);
  std::vector<Value> outs;
  for (int i = 0; i < 3; ++i) {
    auto w = scope.input_tensor("w" + std::to_string(i), {64, 64}, DType::Float32);
    outs.emplace_back(prims::tanh(prims::matmul(x, w)));
  }
  const Trace traced = scope.finish(Value(std::move(outs)));
  const Trace whole = fused(traced);
  ASSERT_EQ(calls(whole), (std::vector<std::string>{"prims.matmul", "prims.matmul",
                                                    "prims.matmul", "spirv.fusion0"}))
      << whole.to_string();
  // Inputs (4), the three products and the three results.
  EXPECT_EQ(estimate_peak_bytes(whole), 10 * kBytes);

  const Trace split = split_regions_for_memory(whole);
  EXPECT_EQ(split.provenance, "Split Regions For Memory");
  EXPECT_EQ(calls(split),
            (std::vector<std::string>{"prims.matmul", "spirv.fusion0", "prims.matmul",
                                      "spirv.fusion1", "prims.matmul", "spirv.fusion2"}))
      << split.to_string();
  // Each product dies in its own region: at the last, two results, a product and its result.
  EXPECT_EQ(estimate_peak_bytes(split), 8 * kBytes);
  for (std::size_t i : {1u, 3u, 5u}) {
    const BoundSymbol& part = split.bound_symbols[i];
    EXPECT_EQ(part.subsymbols.size(), 1u);
    EXPECT_EQ(part.args.size(), 1u);
    EXPECT_EQ(part.args[0].proxy()->name(), split.bound_symbols[i - 1].output.proxy()->name());
    EXPECT_EQ(part.executor, "spirv");
  }
}

// Three identical layers, each a projection region of three chains: no single split lowers
// the peak (the other layers still reach it), but every layer's is at it; all are split.
TEST_F(RegionSplitting, SplitsEveryIdenticalLayerThatReachesThePeak) {
  TraceScope scope;
  TensorProxyPtr h = scope.input_tensor("x", {64, 64}, DType::Float32);
  for (int layer = 0; layer < 3; ++layer) {
    std::vector<TensorProxyPtr> chains;
    for (int i = 0; i < 3; ++i) {
      auto w = scope.input_tensor(str("w", layer, "_", i), {64, 64}, DType::Float32);
      chains.push_back(prims::tanh(prims::matmul(h, w)));
    }
    h = prims::matmul(prims::matmul(chains[0], chains[1]), chains[2]);
  }
  const Trace whole = fused(scope.finish(h));
  const Trace split = split_regions_for_memory(whole);
  std::size_t regions_before = 0, regions_after = 0;
  for (const BoundSymbol& b : whole.bound_symbols)
    regions_before += b.symbol->ns == SymbolNamespace::Fusion ? 1 : 0;
  for (const BoundSymbol& b : split.bound_symbols)
    regions_after += b.symbol->ns == SymbolNamespace::Fusion ? 1 : 0;
  EXPECT_LT(estimate_peak_bytes(split), estimate_peak_bytes(whole)) << split.to_string();
  // Each layer's region of three tanhs became one region per tanh.
  EXPECT_GE(regions_after, regions_before + 6) << split.to_string();
}

// Two chains of inputs that the trace returns: splitting frees nothing sooner, so the
// region stays one dispatch.
TEST_F(RegionSplitting, LeavesRegionsWhoseSplitDoesNotLowerThePeak) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {64, 64}, DType::Float32);
  auto y = scope.input_tensor("y", {64, 64}, DType::Float32);
  const Trace traced =
      scope.finish(Value(Value::List{Value(prims::exp(x)), Value(prims::exp(y))}));
  const Trace whole = fused(traced);
  ASSERT_EQ(calls(whole), std::vector<std::string>{"spirv.fusion0"});
  const Trace split = split_regions_for_memory(whole);
  EXPECT_EQ(calls(split), calls(whole));
  EXPECT_EQ(split.bound_symbols[0].subsymbols.size(), 2u);
}

// A region whose members feed one another is never split.
TEST_F(RegionSplitting, NeverSplitsAChain) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {64, 64}, DType::Float32);
  auto w = scope.input_tensor("w", {64, 64}, DType::Float32);
  const Trace traced = scope.finish(prims::neg(prims::tanh(prims::exp(prims::matmul(x, w)))));
  const Trace split = split_regions_for_memory(fused(traced));
  EXPECT_EQ(calls(split), (std::vector<std::string>{"prims.matmul", "spirv.fusion0"}));
  EXPECT_EQ(split.bound_symbols[1].subsymbols.size(), 3u);
}

} // namespace
} // namespace thunder
