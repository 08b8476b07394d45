// Tracing by hand: what a TraceScope records, names, subsymbols, argument binding.
#include "thunder/thunder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>

namespace thunder {
namespace {

std::vector<std::string> symbol_names(const std::vector<BoundSymbol>& bsyms) {
  std::vector<std::string> out;
  for (const BoundSymbol& b : bsyms)
    out.push_back(b.symbol->qualified_name());
  return out;
}

// Names defined by prims, at any depth: every proxy of a trace is made by exactly one.
void collect_prim_outputs(const std::vector<BoundSymbol>& bsyms, std::multiset<std::string>& out) {
  for (const BoundSymbol& b : bsyms) {
    if (b.symbol->is_prim()) {
      for (const Proxy* p : b.output_proxies())
        out.insert(p->name());
    }
    collect_prim_outputs(b.subsymbols, out);
  }
}

TEST(Tracing, CompositeRecordsItsPrimsAsSubsymbols) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {8, 64}, DType::Float32);
  auto w = scope.input_tensor("w", {32, 64}, DType::Float32);
  auto b = scope.input_tensor("b", {32}, DType::Float32);
  const Trace trace = scope.finish(ltorch::linear(x, w, b));
  ASSERT_EQ(trace.bound_symbols.size(), 1u);
  const BoundSymbol& linear = trace.bound_symbols[0];
  EXPECT_EQ(linear.symbol->qualified_name(), "ltorch.linear");
  EXPECT_EQ(symbol_names(linear.subsymbols),
            (std::vector<std::string>{"prims.transpose", "prims.matmul", "prims.broadcast_in_dim",
                                      "prims.add"}));
  for (const BoundSymbol& sub : linear.subsymbols)
    EXPECT_TRUE(sub.subsymbols.empty());
  // The composite's output is its decomposition's output.
  EXPECT_EQ(linear.output.proxy(), linear.subsymbols.back().output.proxy());
  EXPECT_EQ(linear.output.as_tensor()->shape(), (Shape{8, 32}));
}

TEST(Tracing, NamesAreUniqueAndSkipUserNames) {
  TraceScope scope;
  auto t0 = scope.input_tensor("t0", {3}, DType::Float32);
  auto t2 = scope.input_tensor("t2", {3}, DType::Float32);
  auto y = ltorch::gelu(ltorch::add(t0, t2));
  const Trace trace = scope.finish(ltorch::mul(y, y));
  std::multiset<std::string> names = {"t0", "t2"};
  collect_prim_outputs(trace.bound_symbols, names);
  for (const std::string& name : names)
    EXPECT_EQ(names.count(name), 1u) << name;
  EXPECT_EQ(names.size(), 9u); // 2 inputs, add (1 prim), gelu (5 prims), mul (1 prim)
}

TEST(Tracing, DefaultsAndKeywordOnlyArgumentsAreBound) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {3}, DType::Float32);
  call_symbol(ltorch::symbol(ltorch::LTorchId::gelu), {x});
  call_symbol(ltorch::symbol(ltorch::LTorchId::add), {x, x}, {{"alpha", 2}});
  const Trace trace = scope.finish(Value());
  const BoundSymbol& gelu = trace.bound_symbols.at(0);
  ASSERT_EQ(gelu.kwargs.size(), 1u);
  EXPECT_EQ(gelu.kwargs[0].first, "approximate");
  EXPECT_EQ(gelu.kwargs[0].second.as_string(), "none");
  EXPECT_EQ(trace.bound_symbols.at(1).call_string(), "ltorch.add(x, x, alpha=2)");
}

TEST(Tracing, NestedScopesRecordSeparately) {
  TraceScope outer("outer");
  auto x = outer.input_tensor("x", {2}, DType::Float32);
  auto y = ltorch::exp(x);
  Trace inner_trace;
  {
    TraceScope inner("inner");
    auto a = inner.input_tensor("a", {5}, DType::Float64);
    inner_trace = inner.finish(ltorch::neg(a));
  }
  EXPECT_EQ(TraceScope::current(), &outer);
  const Trace outer_trace = outer.finish(ltorch::tanh(y));
  EXPECT_EQ(symbol_names(outer_trace.bound_symbols),
            (std::vector<std::string>{"ltorch.exp", "ltorch.tanh"}));
  EXPECT_EQ(symbol_names(inner_trace.bound_symbols), (std::vector<std::string>{"ltorch.neg"}));
  EXPECT_EQ(TraceScope::current(), nullptr);
}

TEST(Tracing, ElementwiseMetasFollowTorchPromotion) {
  TraceScope scope;
  auto i32 = scope.input_tensor("i", {4}, DType::Int32);
  auto u8 = scope.input_tensor("u", {4}, DType::UInt8);
  auto bf = scope.input_tensor("bf", {2, 1}, DType::BFloat16);
  auto zero_dim = scope.input_tensor("z", {}, DType::Float64);
  EXPECT_EQ(ltorch::add(i32, 2.5)->dtype(), DType::Float32);      // int tensor, float scalar
  EXPECT_EQ(ltorch::add(i32, zero_dim)->dtype(), DType::Float64); // higher category wins
  EXPECT_EQ(ltorch::add(bf, zero_dim)->dtype(), DType::BFloat16); // same category: tensor wins
  EXPECT_EQ(ltorch::div(i32, u8)->dtype(), DType::Float32);       // true division
  EXPECT_EQ(ltorch::mul(u8, 300)->dtype(), DType::UInt8);         // scalar does not widen
  EXPECT_EQ(ltorch::exp(i32)->dtype(), DType::Float32);           // int to float
  EXPECT_EQ(ltorch::add(bf, i32)->shape(), (Shape{2, 4}));        // broadcasting
  EXPECT_EQ(ltorch::sum(u8)->dtype(), DType::Int64);
  scope.finish(Value());
}

TEST(Tracing, LowPrecisionIsComputedInFloat32) {
  TraceScope scope;
  auto h = scope.input_tensor("h", {4}, DType::Float16);
  const Trace trace = scope.finish(ltorch::tanh(h));
  EXPECT_EQ(symbol_names(trace.bound_symbols.at(0).subsymbols),
            (std::vector<std::string>{"prims.convert_element_type", "prims.tanh",
                                      "prims.convert_element_type"}));
  EXPECT_EQ(trace.output.as_tensor()->dtype(), DType::Float16);
}

TEST(Values, ReprIsPythonSource) {
  EXPECT_EQ(Value().repr(), "None");
  EXPECT_EQ(Value(true).repr(), "True");
  EXPECT_EQ(Value(-3).repr(), "-3");
  EXPECT_EQ(Value(1.0).repr(), "1.0");
  EXPECT_EQ(Value(0.1).repr(), "0.1");
  EXPECT_EQ(Value(1e20).repr(), "1e+20");
  EXPECT_EQ(Value(std::numeric_limits<double>::infinity()).repr(), "float('inf')");
  EXPECT_EQ(Value(std::nan("")).repr(), "float('nan')");
  EXPECT_EQ(Value("it's").repr(), "'it\\'s'");
  EXPECT_EQ(Value(DType::BFloat16).repr(), "dtypes.bfloat16");
  EXPECT_EQ(Value::ints({8, 64}).repr(), "[8, 64]");
}

TEST(Values, EqualityDistinguishesKindsAndProxies) {
  EXPECT_NE(Value(1), Value(1.0));
  EXPECT_NE(Value(1), Value(true));
  EXPECT_EQ(Value(std::nan("")), Value(std::nan("")));
  EXPECT_NE(Value(0.0), Value(-0.0));
  const auto a = TensorProxy::create("a", {2}, DType::Float32, Device::cpu());
  const auto b = TensorProxy::create("b", {2}, DType::Float32, Device::cpu());
  EXPECT_EQ(Value(a), Value(a));
  EXPECT_NE(Value(a), Value(b));
}

TEST(Devices, ParseAndPrintRoundTrip) {
  for (const char* text : {"cpu", "cuda:0", "cuda:3", "vulkan:1"}) {
    EXPECT_EQ(Device::parse(text).to_string(), text);
  }
  EXPECT_EQ(Device::parse("cuda"), Device::cuda(0));
}

} // namespace
} // namespace thunder

namespace thunder {
namespace {

// A composite whose decomposition hands back its input.
Value identity_decomposition(const BoundArgs& args) { return args[0]; }

TEST(Tracing, CallsThatComputeNothingLeaveNoBoundSymbol) {
  static const Symbol identity = make_symbol({.name = "identity_for_test",
                                              .ns = SymbolNamespace::LTorch,
                                              .params = {{"a"}},
                                              .decomposition = identity_decomposition,
                                              .torch_ops = {}});
  TraceScope scope;
  auto x = scope.input_tensor("x", {3}, DType::Float32);
  const Value same = call_symbol(identity, {x});
  EXPECT_EQ(same.proxy(), x.get());
  const Trace trace = scope.finish(ltorch::exp(same));
  ASSERT_EQ(trace.bound_symbols.size(), 1u);
  EXPECT_EQ(trace.bound_symbols[0].call_string(), "ltorch.exp(x)");
}

} // namespace
} // namespace thunder
