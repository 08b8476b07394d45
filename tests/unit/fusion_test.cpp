// The fusion pass: regions by dataflow, never a cycle through a call outside a region,
// region inputs and outputs, deterministic numbering, and printed traces as goldens.
#include "fake_executors.h"
#include "golden.h"
#include "thunder/passes/assign_executors.h"
#include "thunder/passes/fusion.h"
#include "thunder/thunder.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace thunder {
namespace {

using testing::calls;
using testing::Claims;
using testing::fake;

class Fusion : public testing::FusingExecutors {
protected:
  Trace assign_and_fuse(const Trace& trace) { return fused(trace); }
};


std::string repr(const std::vector<Value>& values) {
  std::string out;
  for (const Value& v : values)
    out += (out.empty() ? "" : ", ") + v.repr();
  return out;
}

TEST_F(Fusion, MlpWithGeluAndSoftmaxMatchesGolden) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {8, 64}, DType::Float32);
  auto w1 = scope.input_tensor("w1", {32, 64}, DType::Float32);
  auto b1 = scope.input_tensor("b1", {32}, DType::Float32);
  auto w2 = scope.input_tensor("w2", {16, 32}, DType::Float32);
  auto h = ltorch::gelu(ltorch::linear(x, w1, b1), "tanh");
  const Trace traced = scope.finish(ltorch::softmax(ltorch::linear(h, w2), -1));
  const Trace fused = assign_and_fuse(traced);
  EXPECT_EQ(fused.provenance, "Fusion");
  EXPECT_EQ(calls(fused), (std::vector<std::string>{"spirv.fusion0", "prims.matmul",
                                                    "spirv.fusion1", "prims.matmul",
                                                    "spirv.fusion2"}));
  testing::expect_matches_golden(fused.to_string(), "fusion_mlp.txt");
}

// The names of the prims inside each region of a fused trace.
std::vector<std::vector<std::string>> region_prims(const Trace& fused) {
  std::vector<std::vector<std::string>> out;
  for (const BoundSymbol& b : fused.bound_symbols) {
    if (b.symbol->ns != SymbolNamespace::Fusion) continue;
    out.emplace_back();
    for (const BoundSymbol& sub : b.subsymbols)
      out.back().push_back(sub.symbol->name);
  }
  return out;
}

TEST_F(Fusion, LongReductionEndsTheRegionBeforeItsBroadcastReader) {
  // softmax over rows of 1024: amax, then x - max, exp and the sum, then the division;
  // each region reads the reductions before it from memory instead of recomputing them.
  TraceScope scope;
  auto x = scope.input_tensor("x", {4, 1024}, DType::Float32);
  const Trace fused = assign_and_fuse(scope.finish(ltorch::softmax(x, -1)));
  const auto regions = region_prims(fused);
  ASSERT_EQ(regions.size(), 3u) << fused.to_string();
  EXPECT_EQ(regions[0], (std::vector<std::string>{"amax"})) << fused.to_string();
  EXPECT_EQ(regions[1].back(), "sum") << fused.to_string();
  EXPECT_EQ(std::count(regions[2].begin(), regions[2].end(), "div"), 1) << fused.to_string();
  for (const auto& region : regions) {
    EXPECT_LE(std::count(region.begin(), region.end(), "amax") +
                  std::count(region.begin(), region.end(), "sum"),
              1)
        << fused.to_string();
  }
}

TEST_F(Fusion, ShortReductionStaysInOneRegionWithItsReaders) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {4, kFusionRecomputeLimit}, DType::Float32);
  const Trace fused = assign_and_fuse(scope.finish(ltorch::softmax(x, -1)));
  EXPECT_EQ(region_prims(fused).size(), 1u) << fused.to_string();
}

TEST_F(Fusion, LongCumsumEndsTheRegionBeforeABroadcastReader) {
  // cumsum over 1024 then broadcast to [4, 1024, 8]: each of the 8 copies would rescan.
  TraceScope scope;
  auto x = scope.input_tensor("x", {4, 1024}, DType::Float32);
  auto c = prims::cumsum(prims::exp(x), 1);
  auto wide = prims::broadcast_in_dim(c, {4, 1024, 8}, {0, 1});
  const Trace fused = assign_and_fuse(scope.finish(prims::tanh(wide)));
  const auto regions = region_prims(fused);
  ASSERT_EQ(regions.size(), 2u) << fused.to_string();
  EXPECT_EQ(regions[0].back(), "cumsum") << fused.to_string();
}

TEST_F(Fusion, ReaderOfALongReductionAtItsOwnSizeStaysInTheRegion) {
  // sum(x, 1) * 2: the product has the reduction's shape, so nothing is recomputed.
  TraceScope scope;
  auto x = scope.input_tensor("x", {4, 1024}, DType::Float32);
  const Trace fused = assign_and_fuse(scope.finish(ltorch::mul(ltorch::sum(x, {1}), 2.0)));
  EXPECT_EQ(region_prims(fused).size(), 1u) << fused.to_string();
}

TEST(FusionCooperative, AReductionBesideValuesThatReadNoneIsASecondRegion) {
  // A residual add and its row sum (a layer norm's first step), both stored. In one region
  // a kernel gives each row a thread that loops over its points (beside the threads of the
  // sum's elements); where the executor's kernel of the reduction alone is cooperative, the
  // sum becomes a second region that reads the stored residual and stores only reduced
  // values (the codegen tests check which kernels are cooperative).
  const auto trace = [](bool store_residual) {
    TraceScope scope;
    auto x = scope.input_tensor("x", {64, 256}, DType::Float32);
    auto y = scope.input_tensor("y", {64, 256}, DType::Float32);
    auto s = prims::add(x, y);
    auto r = prims::sqrt(prims::sum(prims::mul(s, s), {1}));
    // Else a value of s's: the reduction would need s, which the first part does not store.
    return scope.finish(Value(std::vector<Value>{store_residual ? s : prims::exp(s), r}));
  };
  const auto fuse_with = [](const Trace& t, bool cooperative) {
    testing::FakeExecutor kernels("cuda", 200, Claims::FusiblePrims);
    kernels.set_reduces_cooperatively(cooperative);
    testing::FakeExecutor torch("torch", 100, Claims::Everything);
    const std::vector<const Executor*> executors{&kernels, &torch};
    return fuse(assign_executors(t, executors), executors);
  };
  const Trace split = fuse_with(trace(true), true);
  ASSERT_EQ(calls(split), (std::vector<std::string>{"cuda.fusion0", "cuda.fusion1"}))
      << split.to_string();
  const BoundSymbol& first = split.bound_symbols[0];
  const BoundSymbol& second = split.bound_symbols[1];
  ASSERT_EQ(first.subsymbols.size(), 1u) << split.to_string();
  EXPECT_EQ(first.subsymbols[0].symbol->name, "add");
  EXPECT_EQ(first.output.proxy()->name(), split.output.as_list()[0].proxy()->name());
  // The second reads the residual from memory; mul, sum and sqrt make only reduced values.
  ASSERT_EQ(second.args.size(), 1u) << split.to_string();
  EXPECT_EQ(second.args[0].proxy()->name(), first.output.proxy()->name());
  EXPECT_EQ(second.subsymbols.size(), 3u) << split.to_string();
  EXPECT_EQ(second.output.proxy()->name(), split.output.as_list()[1].proxy()->name());
  // Kernels that would not cooperate keep one region; so does a region whose first part
  // would have to store a value more (s, for the reduction).
  EXPECT_EQ(calls(fuse_with(trace(true), false)), (std::vector<std::string>{"cuda.fusion0"}));
  EXPECT_EQ(calls(fuse_with(trace(false), true)), (std::vector<std::string>{"cuda.fusion0"}));
}

TEST_F(Fusion, ConvolutionReadsItsInputsFromMemory) {
  // relu, conv, relu, conv: a convolution reads each input element once per output channel
  // and tap, so it starts a region instead of recomputing the relu before it; the relu
  // after it reads each result once and joins its region.
  TraceScope scope;
  auto x = scope.input_tensor("x", {2, 4, 8, 8}, DType::Float32);
  auto w1 = scope.input_tensor("w1", {8, 4, 3, 3}, DType::Float32);
  auto w2 = scope.input_tensor("w2", {8, 8, 3, 3}, DType::Float32);
  auto h = prims::convolution(ltorch::relu(x), w1, Value(), {1, 1}, {1, 1}, {1, 1}, 1);
  auto y = prims::convolution(ltorch::relu(h), w2, Value(), {1, 1}, {1, 1}, {1, 1}, 1);
  const Trace fused = assign_and_fuse(scope.finish(y));
  const auto regions = region_prims(fused);
  ASSERT_EQ(regions.size(), 3u) << fused.to_string();
  EXPECT_EQ(std::count(regions[0].begin(), regions[0].end(), "convolution"), 0)
      << fused.to_string();
  for (std::size_t i = 1; i < 3; ++i) {
    EXPECT_EQ(regions[i].front(), "convolution") << fused.to_string();
    EXPECT_EQ(std::count(regions[i].begin(), regions[i].end(), "convolution"), 1)
        << fused.to_string();
  }
  EXPECT_GT(regions[1].size(), 1u) << "the relu after the first convolution joins its region\n"
                                   << fused.to_string();
}

// Two chains separated in the trace by a matmul that only the first feeds: one region.
TEST_F(Fusion, IndependentChainsAroundAnUnfusibleCallShareARegion) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {4, 4}, DType::Float32);
  auto y = scope.input_tensor("y", {4, 4}, DType::Float32);
  auto w = scope.input_tensor("w", {4, 4}, DType::Float32);
  auto a = prims::tanh(prims::exp(x));
  auto m = prims::matmul(a, w);
  auto b = prims::neg(prims::exp(y));
  const Trace traced = scope.finish(Value(Value::List{Value(m), Value(b)}));
  const Trace fused = assign_and_fuse(traced);
  EXPECT_EQ(calls(fused), (std::vector<std::string>{"spirv.fusion0", "prims.matmul"}));
  const BoundSymbol& region = fused.bound_symbols[0];
  EXPECT_EQ(region.subsymbols.size(), 4u);
  EXPECT_EQ(repr(region.args), "x, y");
  // Outputs: what the matmul reads and what the trace returns; not the exps.
  EXPECT_EQ(region.output.repr(), "[" + a->name() + ", " + b->name() + "]");
  EXPECT_EQ(region.executor, "spirv");
  testing::expect_matches_golden(fused.to_string(), "fusion_independent_chains.txt");
}

// exp feeds a matmul and an add that also reads the matmul: fusing exp and add would make
// region -> matmul -> region, so they stay in two regions around the matmul.
TEST_F(Fusion, NeverFusesAcrossAPathThroughAnUnfusibleCall) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {4, 4}, DType::Float32);
  auto w = scope.input_tensor("w", {4, 4}, DType::Float32);
  auto a = prims::exp(x);
  auto m = prims::matmul(a, w);
  const Trace traced = scope.finish(prims::add(m, a));
  const Trace fused = assign_and_fuse(traced);
  EXPECT_EQ(calls(fused),
            (std::vector<std::string>{"spirv.fusion0", "prims.matmul", "spirv.fusion1"}));
  EXPECT_EQ(fused.bound_symbols[0].output.repr(), a->name());
  EXPECT_EQ(repr(fused.bound_symbols[2].args), m->name() + ", " + a->name());
  testing::expect_matches_golden(fused.to_string(), "fusion_no_cycle.txt");
}

// An unfusible call that reads neither region member may run before the region, which
// then takes the calls on both sides of it.
TEST_F(Fusion, HoistsIndependentUnfusibleCallsAboveTheRegion) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {4, 4}, DType::Float32);
  auto w = scope.input_tensor("w", {4, 4}, DType::Float32);
  auto a = prims::exp(x);
  auto m = prims::matmul(w, w);
  const Trace traced = scope.finish(prims::add(a, m));
  const Trace fused = assign_and_fuse(traced);
  EXPECT_EQ(calls(fused), (std::vector<std::string>{"prims.matmul", "spirv.fusion0"}));
  EXPECT_EQ(fused.bound_symbols[1].subsymbols.size(), 2u);
}

TEST_F(Fusion, IsDeterministicAndLeavesUnfusibleTracesAlone) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {4, 4}, DType::Float32);
  auto w = scope.input_tensor("w", {4, 4}, DType::Float32);
  auto m = prims::matmul(prims::matmul(x, w), w);
  const Trace traced = scope.finish(ltorch::softmax(ltorch::add(m, x), 0));
  EXPECT_EQ(assign_and_fuse(traced).to_string(), assign_and_fuse(traced).to_string());

  const std::vector<const Executor*> torch_only = registry_.resolve("torch");
  const Trace on_torch = fuse(assign_executors(traced, torch_only), torch_only);
  EXPECT_EQ(calls(on_torch),
            (std::vector<std::string>{"prims.matmul", "prims.matmul", "ltorch.add",
                                      "ltorch.softmax"}));
}

TEST_F(Fusion, RegionsOfEachExecutorAreNumberedFromZero) {
  ExecutorRegistry registry;
  registry.add(fake("torch", 100, Claims::Everything));
  registry.add(fake("cuda", 300, Claims::FusiblePrims));
  const std::vector<const Executor*> executors = registry.resolve("cuda");
  TraceScope scope;
  auto x = scope.input_tensor("x", {4, 4}, DType::Float32);
  const Trace traced = scope.finish(prims::exp(prims::matmul(prims::neg(x), x)));
  const Trace fused = fuse(assign_executors(traced, executors), executors);
  EXPECT_EQ(calls(fused),
            (std::vector<std::string>{"cuda.fusion0", "prims.matmul", "cuda.fusion1"}));
}

} // namespace
} // namespace thunder
