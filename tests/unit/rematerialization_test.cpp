// Rematerialization: a broadcast of a trace input made by an early region only for a later
// one moves into the later region, and the early region stops storing it. A view (transpose,
// reshape, ...) a region makes only for a matmul whose executor reads views in place leaves
// the region and runs, unfused, right before the matmul.
#include "fake_executors.h"
#include "thunder/passes/assign_executors.h"
#include "thunder/passes/buffer_lifetimes.h"
#include "thunder/passes/fusion.h"
#include "thunder/passes/rematerialization.h"
#include "thunder/thunder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace thunder {
namespace {

using testing::Claims;
using testing::fake;

class Rematerialization : public testing::FusingExecutors {};

std::vector<std::string> member_names(const BoundSymbol& region) {
  std::vector<std::string> out;
  for (const BoundSymbol& m : region.subsymbols)
    out.push_back(m.symbol->name);
  return out;
}

std::vector<std::string> names(const std::vector<Value>& values) {
  std::vector<std::string> out;
  for (const Value& v : values)
    out.push_back(v.proxy()->name());
  return out;
}

// relu(x) @ w + b, tanh: the bias broadcast is ready at once, so fusion puts it into the
// first region (with relu) and stores it for the second (add, tanh).
Trace linear_trace() {
  TraceScope scope;
  auto x = scope.input_tensor("x", {8, 16}, DType::Float32);
  auto w = scope.input_tensor("w", {16, 32}, DType::Float32);
  auto b = scope.input_tensor("b", {32}, DType::Float32);
  auto h = prims::matmul(prims::abs(x), w);
  auto bias = prims::broadcast_in_dim(b, {8, 32}, {1});
  return scope.finish(prims::tanh(prims::add(h, bias)));
}

TEST_F(Rematerialization, MovesABroadcastOfAnInputIntoTheRegionThatReadsIt) {
  const Trace before = fused(linear_trace());
  ASSERT_EQ(before.bound_symbols.size(), 3u) << before.to_string();
  ASSERT_EQ(member_names(before.bound_symbols[0]),
            (std::vector<std::string>{"abs", "broadcast_in_dim"}))
      << before.to_string();

  const Trace after = rematerialize(before);
  EXPECT_EQ(after.provenance, "Rematerialization");
  ASSERT_EQ(after.bound_symbols.size(), 3u) << after.to_string();
  const BoundSymbol& first = after.bound_symbols[0];
  const BoundSymbol& last = after.bound_symbols[2];
  EXPECT_EQ(member_names(first), (std::vector<std::string>{"abs"})) << after.to_string();
  EXPECT_TRUE(first.output.is_proxy()) << after.to_string(); // only abs(x) is stored
  EXPECT_EQ(names(first.args), (std::vector<std::string>{"x"}));
  EXPECT_EQ(member_names(last), (std::vector<std::string>{"broadcast_in_dim", "add", "tanh"}))
      << after.to_string();
  // The later region reads the bias itself, not the stored broadcast.
  const std::vector<std::string> last_args = names(last.args);
  EXPECT_NE(std::find(last_args.begin(), last_args.end(), "b"), last_args.end())
      << after.to_string();
  EXPECT_EQ(last_args.size(), 2u) << after.to_string();
  // One [8, 32] buffer less at the peak.
  EXPECT_LT(estimate_peak_bytes(after), estimate_peak_bytes(before));
}

TEST_F(Rematerialization, KeepsAValueAnUnfusedCallOrTheCallerReads) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {8, 16}, DType::Float32);
  auto w = scope.input_tensor("w", {32, 16}, DType::Float32);
  // The transposed weight feeds a matmul (not a region), and is returned.
  auto wt = prims::transpose(w, {1, 0});
  auto h = prims::matmul(prims::abs(x), wt);
  const Trace before = fused(scope.finish(Value(std::vector<Value>{prims::tanh(h), wt})));
  const Trace after = rematerialize(before);
  EXPECT_EQ(after.bound_symbols.size(), before.bound_symbols.size());
  for (std::size_t i = 0; i < before.bound_symbols.size(); ++i) {
    EXPECT_EQ(member_names(after.bound_symbols[i]), member_names(before.bound_symbols[i]))
        << after.to_string();
  }
}

TEST_F(Rematerialization, LeavesTracesWithoutSuchValuesAsTheyAre) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {4, 4}, DType::Float32);
  const Trace before = fused(scope.finish(prims::exp(prims::abs(x))));
  const Trace after = rematerialize(before);
  // The same calls, line for line, after the first (which names the pass).
  const std::string a = after.to_string();
  const std::string b = before.to_string();
  EXPECT_EQ(a.substr(a.find('\n')), b.substr(b.find('\n')));
}

// Fusible prims as FusiblePrims, and prims.matmul unfused, reading its operands' views in
// place (as spirv's matmul kernel does).
class StridedMatmulExecutor final : public Executor {
public:
  explicit StridedMatmulExecutor(bool reads_views)
      : Executor("spirv", 200), fusible_(fake("fusible", 0, Claims::FusiblePrims)),
        reads_views_(reads_views) {}
  Availability availability() const override { return Availability::yes(); }
  bool claims(const BoundSymbol& bsym) const override {
    return is_matmul(bsym) || fusible_->claims(bsym);
  }
  bool fusible(const BoundSymbol& bsym) const override { return fusible_->fusible(bsym); }
  bool reads_views_in_place(const BoundSymbol& bsym) const override {
    return reads_views_ && (is_matmul(bsym) || is_attention(bsym));
  }
  // Attention, claimed whole, reads q, k, v through any strides (as cuda's fused kernel).
  bool reads_any_view_layout(const BoundSymbol& bsym) const override { return is_attention(bsym); }

private:
  static bool is_matmul(const BoundSymbol& bsym) {
    return bsym.symbol == &prims::symbol(prims::PrimId::matmul) || is_attention(bsym);
  }
  static bool is_attention(const BoundSymbol& bsym) {
    return bsym.symbol == &ltorch::symbol(ltorch::LTorchId::scaled_dot_product_attention);
  }
  std::unique_ptr<Executor> fusible_;
  bool reads_views_;
};

class MatmulViews : public ::testing::Test {
protected:
  MatmulViews() {
    registry_.add(fake("torch", 100, Claims::Everything));
    registry_.add(std::make_unique<StridedMatmulExecutor>(true));
    executors_ = registry_.resolve("spirv");
  }
  Trace fused(const Trace& trace) { return fuse(assign_executors(trace, executors_), executors_); }
  ExecutorRegistry registry_;
  std::vector<const Executor*> executors_;
};

bool any_region_has(const Trace& trace, const std::string& prim) {
  for (const BoundSymbol& bsym : trace.bound_symbols) {
    const std::vector<std::string> members = member_names(bsym);
    if (bsym.symbol->ns == SymbolNamespace::Fusion &&
        std::find(members.begin(), members.end(), prim) != members.end())
      return true;
  }
  return false;
}

// Every top-level read is of a trace input or of an earlier call's output, and no call
// defines a name another defined.
void expect_well_formed(const Trace& trace) {
  std::set<std::string> defined;
  for (const Value& input : trace.inputs)
    input.for_each_proxy([&](const Proxy& p) { defined.insert(p.name()); });
  for (const BoundSymbol& bsym : trace.bound_symbols) {
    for (const Proxy* p : bsym.input_proxies())
      EXPECT_EQ(defined.count(p->name()), 1u) << p->name() << " read before made\n" << trace.to_string();
    for (const Proxy* p : bsym.output_proxies())
      EXPECT_TRUE(defined.insert(p->name()).second) << p->name() << " made twice\n" << trace.to_string();
  }
}

// tanh(linear(abs(x), w)): linear's transpose of w is fusible and ready at once, so fusion
// stores w^T from the first region for the matmul.
Trace linear_of_input_trace() {
  TraceScope scope;
  auto x = scope.input_tensor("x", {8, 16}, DType::Float32);
  auto w = scope.input_tensor("w", {32, 16}, DType::Float32);
  return scope.finish(prims::tanh(prims::matmul(prims::abs(x), prims::transpose(w, {1, 0}))));
}

TEST_F(MatmulViews, ATransposedWeightIsAViewTheMatmulReadsNotARegionOutput) {
  const Trace before = fused(linear_of_input_trace());
  ASSERT_TRUE(any_region_has(before, "transpose")) << before.to_string();

  const Trace after = rematerialize(before, executors_);
  expect_well_formed(after);
  EXPECT_FALSE(any_region_has(after, "transpose")) << after.to_string();
  // transpose(w), unfused, on the matmul's executor, right before the matmul.
  std::size_t matmul = after.bound_symbols.size();
  for (std::size_t i = 0; i < after.bound_symbols.size(); ++i) {
    if (after.bound_symbols[i].symbol == &prims::symbol(prims::PrimId::matmul)) matmul = i;
  }
  ASSERT_TRUE(matmul > 0 && matmul < after.bound_symbols.size()) << after.to_string();
  const BoundSymbol& view = after.bound_symbols[matmul - 1];
  EXPECT_EQ(view.symbol, &prims::symbol(prims::PrimId::transpose)) << after.to_string();
  EXPECT_EQ(view.executor, "spirv");
  EXPECT_EQ(view.args.at(0).proxy()->name(), "w");
  EXPECT_EQ(view.output.proxy()->name(), after.bound_symbols[matmul].args[1].proxy()->name());
  // The first region stores abs(x) only.
  EXPECT_EQ(member_names(after.bound_symbols[0]), (std::vector<std::string>{"abs"}))
      << after.to_string();
  EXPECT_TRUE(after.bound_symbols[0].output.is_proxy()) << after.to_string();
}

// y^T feeds one matmul, a reshape of y^T another: y^T stays in the region (the second view
// starts from it) or both leave it; never is y^T made twice.
TEST_F(MatmulViews, AViewOfAViewAMatmulReadsIsMadeOnce) {
  TraceScope scope;
  auto a = scope.input_tensor("a", {4, 16}, DType::Float32);
  auto b = scope.input_tensor("b", {1, 4, 16}, DType::Float32);
  auto v = scope.input_tensor("v", {8, 16}, DType::Float32);
  auto yt = prims::transpose(prims::exp(v), {1, 0});
  auto first = prims::matmul(a, yt);
  auto second = prims::matmul(b, prims::reshape(yt, {1, 16, 8}));
  const Trace before = fused(scope.finish(Value(std::vector<Value>{first, second})));
  const Trace after = rematerialize(before, executors_);
  expect_well_formed(after);
  expect_well_formed(after);
}

TEST_F(MatmulViews, WithoutAnExecutorThatReadsViewsTheTransposeStays) {
  const Trace before = fused(linear_of_input_trace());
  EXPECT_TRUE(any_region_has(rematerialize(before), "transpose"));
  ExecutorRegistry registry;
  registry.add(fake("torch", 100, Claims::Everything));
  registry.add(std::make_unique<StridedMatmulExecutor>(false));
  const std::vector<const Executor*> executors = registry.resolve("spirv");
  const Trace copying = fuse(assign_executors(linear_of_input_trace(), executors), executors);
  EXPECT_TRUE(any_region_has(rematerialize(copying, executors), "transpose"));
}

// abs(x) @ transpose(reshape(exp(y))): the region stores exp(y), and the matmul views it;
// a broadcast that a reshape merges (not a strided view) is stored, and viewed from there.
TEST_F(MatmulViews, AViewOfARegionOutputStartsFromTheStoredValue) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {4, 6, 8}, DType::Float32);
  auto y = scope.input_tensor("y", {4, 48}, DType::Float32);
  auto k = prims::reshape(prims::exp(y), {4, 6, 8});
  auto out = prims::matmul(prims::abs(x), prims::transpose(k, {0, 2, 1}));
  const Trace before = fused(scope.finish(prims::tanh(out)));
  ASSERT_TRUE(any_region_has(before, "transpose")) << before.to_string();
  const Trace after = rematerialize(before, executors_);
  expect_well_formed(after);
  EXPECT_FALSE(any_region_has(after, "transpose")) << after.to_string();
  EXPECT_FALSE(any_region_has(after, "reshape")) << after.to_string();
  // The region stores exp(y) where it stored its transposed reshape (the same bytes).
  EXPECT_EQ(member_names(after.bound_symbols[0]), (std::vector<std::string>{"exp", "abs"}))
      << after.to_string();

  TraceScope scope2;
  auto a = scope2.input_tensor("a", {2, 8, 8}, DType::Float32);
  auto v = scope2.input_tensor("v", {2, 8, 8}, DType::Float32);
  // [2, 8, 8] -> [2, 1, 8, 8] -> [2, 2, 8, 8] -> [4, 8, 8]: the last merges a broadcast dim.
  auto e = prims::broadcast_in_dim(prims::exp(v), {2, 2, 8, 8}, {0, 2, 3});
  auto r = prims::reshape(e, {4, 8, 8});
  auto prod = prims::matmul(prims::reshape(prims::broadcast_in_dim(a, {2, 2, 8, 8}, {0, 2, 3}),
                                           {4, 8, 8}),
                            prims::transpose(r, {0, 2, 1}));
  const Trace before2 = fused(scope2.finish(prims::tanh(prod)));
  const Trace after2 = rematerialize(before2, executors_);
  expect_well_formed(after2);
  // The reshape of the stored broadcast and its transpose are read in place.
  EXPECT_FALSE(any_region_has(after2, "transpose")) << after2.to_string();
  EXPECT_FALSE(any_region_has(after2, "reshape")) << after2.to_string();
  EXPECT_TRUE(any_region_has(after2, "broadcast_in_dim")) << after2.to_string();
  for (const BoundSymbol& bsym : after2.bound_symbols) {
    EXPECT_NE(bsym.symbol, &prims::symbol(prims::PrimId::broadcast_in_dim)) << after2.to_string();
  }
}

// A broadcast of a value a region computes, read by a later region: the first region stores
// the value (smaller), the later one broadcasts it as index arithmetic.
TEST_F(MatmulViews, ARegionReadingABroadcastOfAComputedValueRecomputesTheBroadcast) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {8, 16}, DType::Float32);
  auto w = scope.input_tensor("w", {16, 32}, DType::Float32);
  auto b = scope.input_tensor("b", {32}, DType::Float32);
  auto bias = prims::broadcast_in_dim(prims::exp(b), {8, 32}, {1});
  auto h = prims::matmul(prims::abs(x), w);
  const Trace before = fused(scope.finish(prims::tanh(prims::add(h, bias))));
  ASSERT_EQ(before.bound_symbols.size(), 3u) << before.to_string();
  ASSERT_TRUE(any_region_has(before, "broadcast_in_dim"));
  const Trace after = rematerialize(before, executors_);
  expect_well_formed(after);
  ASSERT_EQ(after.bound_symbols.size(), 3u) << after.to_string();
  EXPECT_EQ(member_names(after.bound_symbols[2]),
            (std::vector<std::string>{"broadcast_in_dim", "add", "tanh"}))
      << after.to_string();
  EXPECT_LT(estimate_peak_bytes(after), estimate_peak_bytes(before));
}

// The same with a dtype conversion in the chain (llama's bf16 rotary cos, broadcast over
// the heads and upcast to f32): the first region stores the bf16 value, the later one
// broadcasts and converts it. A narrowing conversion of a value as large stays in the
// first region, which stores the narrow result: its input would take more bytes.
TEST_F(MatmulViews, ARegionRecomputesAnUpcastBroadcastAndTheValueIsStoredNarrow) {
  for (const bool widen : {true, false}) {
    TraceScope scope;
    auto x = scope.input_tensor("x", {8, 16}, DType::Float32);
    auto w = scope.input_tensor("w", {16, 32}, DType::Float32);
    TensorProxyPtr bias;
    TensorProxyPtr h = prims::matmul(prims::abs(x), w);
    if (widen) {
      auto b = scope.input_tensor("b", {32}, DType::BFloat16);
      bias = prims::convert_element_type(
          prims::broadcast_in_dim(prims::exp(b), {8, 32}, {1}), DType::Float32);
    } else {
      auto b = scope.input_tensor("b", {8, 32}, DType::Float32);
      bias = prims::convert_element_type(prims::exp(b), DType::BFloat16);
      h = prims::convert_element_type(h, DType::BFloat16);
    }
    const Trace before = fused(scope.finish(prims::tanh(prims::add(h, bias))));
    ASSERT_TRUE(is_fusion_region(before.bound_symbols.front())) << before.to_string();
    const Trace after = rematerialize(before, executors_);
    expect_well_formed(after);
    const BoundSymbol& first = after.bound_symbols.front();
    ASSERT_TRUE(is_fusion_region(first)) << after.to_string();
    std::vector<DType> stored;
    first.output.for_each_proxy(
        [&](const Proxy& p) { stored.push_back(static_cast<const TensorProxy&>(p).dtype()); });
    // The region stores abs(x) for the matmul and one value of the exp's chain, in the
    // narrower dtype either way.
    EXPECT_EQ(stored, (std::vector<DType>{DType::Float32, DType::BFloat16})) << after.to_string();
    const std::vector<std::string> later = member_names(after.bound_symbols.back());
    const bool converts_later =
        std::find(later.begin(), later.end(), "convert_element_type") != later.end();
    if (widen) {
      EXPECT_TRUE(converts_later) << after.to_string();
      EXPECT_LT(estimate_peak_bytes(after), estimate_peak_bytes(before)) << after.to_string();
    }
  }
}

// q, k and v sliced from one product and reshaped into heads, as GPT-2 makes them: the
// attention reads them as views of the product (no region copies them); a fourth view of
// the shared reshape read by a region, or by a matmul, keeps that reshape in its region,
// made once.
Trace qkv_trace(int fourth_reader) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {16, 32}, DType::Float32);
  auto w = scope.input_tensor("w", {32, 96}, DType::Float32);
  auto m = scope.input_tensor("m", {96, 4}, DType::Float32);
  auto r = ltorch::reshape(prims::matmul(x, w), {2, 8, 96});
  std::vector<TensorProxyPtr> heads;
  for (const TensorProxyPtr& t : ltorch::split(r, 32, 2))
    heads.push_back(ltorch::transpose(ltorch::reshape(t, {2, 8, 2, 16}), 1, 2));
  std::vector<Value> outputs;
  if (fourth_reader == 1) outputs.push_back(prims::exp(ltorch::reshape(r, {16, 96})));
  if (fourth_reader == 2) outputs.push_back(prims::matmul(ltorch::reshape(r, {16, 96}), m));
  outputs.push_back(ltorch::scaled_dot_product_attention(heads[0], heads[1], heads[2]));
  return scope.finish(Value(std::move(outputs)));
}

TEST_F(MatmulViews, QkvSlicedFromOneProductAreViewsTheAttentionReads) {
  for (int fourth_reader : {0, 1, 2}) {
    const Trace before = fused(qkv_trace(fourth_reader));
    ASSERT_TRUE(any_region_has(before, "slice")) << before.to_string();
    const Trace after = rematerialize(before, executors_);
    expect_well_formed(after);
    EXPECT_FALSE(any_region_has(after, "slice")) << fourth_reader << "\n" << after.to_string();
    EXPECT_FALSE(any_region_has(after, "transpose")) << fourth_reader << "\n" << after.to_string();
  }
}

// As above, with the first `scaled` of q, k and v multiplied by a constant in a region
// before the attention, as the decomposed sdpa scales q. The views the attention reads then
// cover the rest of the product: kept alive for them where they cover at least half of it
// (one scaled: k and v are views), copied where they cover less (two scaled: v is copied,
// and the product dies with the region).
Trace qkv_scaled_trace(int scaled) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {16, 32}, DType::Float32);
  auto w = scope.input_tensor("w", {32, 96}, DType::Float32);
  auto r = ltorch::reshape(prims::matmul(x, w), {2, 8, 96});
  std::vector<TensorProxyPtr> heads;
  for (const TensorProxyPtr& t : ltorch::split(r, 32, 2)) {
    auto head = ltorch::transpose(ltorch::reshape(t, {2, 8, 2, 16}), 1, 2);
    if (static_cast<int>(heads.size()) < scaled) head = prims::mul(head, 0.5);
    heads.push_back(head);
  }
  return scope.finish(ltorch::scaled_dot_product_attention(heads[0], heads[1], heads[2]));
}

TEST_F(MatmulViews, ViewsThatCoverHalfOfAProductKeepItAliveAndLessAreCopied) {
  for (const int scaled : {1, 2}) {
    const Trace after = rematerialize(fused(qkv_scaled_trace(scaled)), executors_);
    expect_well_formed(after);
    std::size_t top_level_slices = 0;
    for (const BoundSymbol& bsym : after.bound_symbols)
      top_level_slices += bsym.symbol == &prims::symbol(prims::PrimId::slice) ? 1 : 0;
    EXPECT_EQ(top_level_slices, scaled == 1 ? 2u : 0u) << scaled << "\n" << after.to_string();
  }
}

TEST(ViewLayout, StridesOfTransposeBroadcastSqueezeSliceAndReshape) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {2, 3, 4}, DType::Float32);
  const StridedLayout c = contiguous_layout({2, 3, 4});
  EXPECT_EQ(c.strides, (std::vector<std::int64_t>{12, 4, 1}));
  auto t = prims::transpose(x, {2, 0, 1});
  auto b = prims::broadcast_in_dim(x, {5, 2, 3, 4}, {1, 2, 3});
  auto s = prims::slice(x, {1, 0, 1}, {2, 3, 4}, {1, 2, 2});
  auto r = prims::reshape(x, {6, 4});
  auto rt = prims::reshape(t, {4, 6}); // [4, 2, 3] with strides [1, 12, 4]: 2 and 3 merge.
  auto bad = prims::reshape(prims::transpose(x, {0, 2, 1}), {2, 12});
  const Trace trace = scope.finish(Value(std::vector<Value>{t, b, s, r, rt, bad}));
  std::map<std::string, const BoundSymbol*> made;
  for (const BoundSymbol& bsym : trace.bound_symbols)
    made[bsym.output.proxy()->name()] = &bsym;
  const auto view = [&](const TensorProxyPtr& out, const StridedLayout& in) {
    return view_layout(*made.at(out->name()), in);
  };
  EXPECT_EQ(view(t, c)->strides, (std::vector<std::int64_t>{1, 12, 4}));
  EXPECT_EQ(view(b, c)->strides, (std::vector<std::int64_t>{0, 12, 4, 1}));
  const std::optional<StridedLayout> sl = view(s, c);
  EXPECT_EQ(sl->strides, (std::vector<std::int64_t>{12, 8, 2}));
  EXPECT_EQ(sl->offset, 12 + 1);
  EXPECT_EQ(view(r, c)->strides, (std::vector<std::int64_t>{4, 1}));
  const std::optional<StridedLayout> merged = view(rt, *view(t, c));
  ASSERT_TRUE(merged.has_value());
  EXPECT_EQ(merged->strides, (std::vector<std::int64_t>{1, 4}));
  const StridedLayout xt{{2, 4, 3}, {12, 1, 4}, 0};
  EXPECT_FALSE(view(bad, xt).has_value()); // Would need a copy.
}

} // namespace
} // namespace thunder
