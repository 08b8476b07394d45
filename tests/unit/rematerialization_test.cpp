// Rematerialization: a broadcast of a trace input made by an early region only for a later
// one moves into the later region, and the early region stops storing it.
#include "fake_executors.h"
#include "thunder/passes/assign_executors.h"
#include "thunder/passes/buffer_lifetimes.h"
#include "thunder/passes/fusion.h"
#include "thunder/passes/rematerialization.h"
#include "thunder/thunder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace thunder {
namespace {

using testing::Claims;
using testing::fake;

class Rematerialization : public ::testing::Test {
protected:
  Rematerialization() {
    registry_.add(fake("torch", 100, Claims::Everything));
    registry_.add(fake("spirv", 200, Claims::FusiblePrims));
    executors_ = registry_.resolve("spirv");
  }
  Trace fused(const Trace& trace) { return fuse(assign_executors(trace, executors_), executors_); }
  ExecutorRegistry registry_;
  std::vector<const Executor*> executors_;
};

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

} // namespace
} // namespace thunder
