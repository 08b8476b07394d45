// Dead code elimination and common subexpression elimination.
#include "golden.h"
#include "thunder/thunder.h"

#include <gtest/gtest.h>

namespace thunder {
namespace {

std::vector<std::string> call_strings(const Trace& trace) {
  std::vector<std::string> out;
  for (const BoundSymbol& b : trace.bound_symbols)
    out.push_back(b.call_string());
  return out;
}

// A prim that is not a pure function of its inputs, for the Random tag.
Value random_like_meta(const BoundArgs& args) {
  const TensorProxy& a = *args.tensor(0);
  return new_tensor(a.shape(), a.dtype(), a.device());
}
const Symbol& random_like() {
  static const Symbol symbol = make_symbol({.name = "random_like",
                                            .ns = SymbolNamespace::Prims,
                                            .params = {{"a"}},
                                            .tags = Tag::Random,
                                            .meta = random_like_meta,
                                            .torch_ops = {}});
  return symbol;
}

TEST(DeadCodeElimination, RemovesCallsTheOutputDoesNotNeed) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {4}, DType::Float32);
  auto used = ltorch::exp(x);
  ltorch::tanh(x);                  // dead
  auto dead_chain = ltorch::neg(x); // dead, and so is its user
  ltorch::abs(dead_chain);
  const Trace trace = dead_code_elimination(scope.finish(ltorch::relu(used)));
  EXPECT_EQ(call_strings(trace),
            (std::vector<std::string>{"ltorch.exp(x)", "ltorch.relu(" + used->name() + ")"}));
  EXPECT_EQ(trace.provenance, "Dead Code Elimination");
}

TEST(DeadCodeElimination, KeepsOutputsAndTheirDependencies) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {4}, DType::Float32);
  auto a = ltorch::exp(x);
  auto b = ltorch::add(a, x);
  auto c = ltorch::mul(b, a);
  Value::List outputs{Value(c), Value(a)};
  const Trace original = scope.finish(Value(std::move(outputs)));
  const Trace trace = dead_code_elimination(original);
  EXPECT_EQ(call_strings(trace), call_strings(original));
  EXPECT_EQ(trace.output, original.output);
  // Subsymbols are kept whole.
  EXPECT_EQ(trace.bound_symbols[1].subsymbols.size(), original.bound_symbols[1].subsymbols.size());
}

TEST(DeadCodeElimination, KeepsInputsInTheSignature) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {4}, DType::Float32);
  scope.input_tensor("unused", {4}, DType::Float32);
  const Trace trace = dead_code_elimination(scope.finish(ltorch::exp(x)));
  EXPECT_EQ(trace.inputs.size(), 2u);
}

TEST(CommonSubexpressionElimination, MergesRepeatedCallsAndRewritesUses) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {4}, DType::Float32);
  auto w = scope.input_tensor("w", {3, 4}, DType::Float32);
  auto first = ltorch::linear(x, w);
  auto second = ltorch::linear(x, w); // same call: replaced by `first`
  auto y = ltorch::gelu(second);      // its subsymbols read `second` too
  const Trace original =
      scope.finish(Value(Value::List{Value(ltorch::add(first, y)), Value(second)}));
  const Trace trace = common_subexpression_elimination(original);
  ASSERT_EQ(trace.bound_symbols.size(), 3u);
  EXPECT_EQ(trace.bound_symbols[1].call_string(),
            "ltorch.gelu(" + first->name() + ", approximate='none')");
  for (const BoundSymbol& sub : trace.bound_symbols[1].subsymbols) {
    for (const Proxy* p : sub.input_proxies())
      EXPECT_NE(p->name(), second->name());
  }
  EXPECT_EQ(trace.output.as_list().at(1).proxy(), first.get());
  EXPECT_EQ(trace.provenance, "Common Subexpression Elimination");
}

TEST(CommonSubexpressionElimination, KeepsCallsThatDifferInAnyArgument) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {4}, DType::Float32);
  auto a = ltorch::gelu(x, "none");
  auto b = ltorch::gelu(x, "tanh");
  auto c = ltorch::add(x, 1);
  auto d = ltorch::add(x, 1.0);
  auto e = ltorch::add(x, 1, 2);
  const Trace original =
      scope.finish(Value(Value::List{Value(a), Value(b), Value(c), Value(d), Value(e)}));
  EXPECT_EQ(common_subexpression_elimination(original).bound_symbols.size(), 5u);
}

// An opaque aten call (aten::rand_like, an in-place op) may not be a function of its
// arguments either.
const Symbol& opaque_like() {
  static const Symbol symbol = make_symbol({.name = "aten.rand_like.default",
                                            .ns = SymbolNamespace::Torch,
                                            .params = {{"a"}},
                                            .tags = {},
                                            .meta = random_like_meta,
                                            .torch_ops = {"aten::rand_like"}});
  return symbol;
}

TEST(CommonSubexpressionElimination, NeverMergesRandomSymbolsOrOpaqueTorchOps) {
  for (const Symbol* symbol : {&random_like(), &opaque_like()}) {
    TraceScope scope;
    auto x = scope.input_tensor("x", {4}, DType::Float32);
    auto a = call_symbol(*symbol, {x});
    auto b = call_symbol(*symbol, {x});
    const Trace original = scope.finish(Value(Value::List{a, b}));
    EXPECT_EQ(common_subexpression_elimination(original).bound_symbols.size(), 2u)
        << symbol->name;
  }
}

TEST(Passes, CseThenDceMatchesGolden) {
  TraceScope scope("computation");
  auto x = scope.input_tensor("x", {2, 3}, DType::Float32);
  auto a = ltorch::exp(x);
  auto b = ltorch::exp(x);
  ltorch::tanh(b); // dead
  const Trace traced = scope.finish(ltorch::add(a, b));
  const Trace cse = common_subexpression_elimination(traced);
  const Trace dce = dead_code_elimination(cse);
  testing::expect_matches_golden(
      traced.to_string() + "\n" + cse.to_string() + "\n" + dce.to_string(), "cse_then_dce.txt");
}

} // namespace
} // namespace thunder
