// The matmul_epilogues pass: a product's bias add, relu and f16/bf16 rounding fold into one
// call of an executor that runs that epilogue, and nothing else does.
#include "fake_executors.h"
#include "golden.h"
#include "thunder/passes/assign_executors.h"
#include "thunder/passes/matmul_epilogues.h"
#include "thunder/thunder.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace thunder {
namespace {

using testing::calls;
using testing::expect_matches_golden;
using testing::Claims;
using testing::fake;

// "gpu": the fusible prims and prims.matmul, with the epilogues it is told to run.
class BlasExecutor final : public Executor {
public:
  explicit BlasExecutor(bool epilogues) : Executor("gpu", 200), epilogues_(epilogues) {}
  Availability availability() const override { return Availability::yes(); }
  bool claims(const BoundSymbol& bsym) const override {
    return bsym.symbol == &prims::symbol(prims::PrimId::matmul) || fusible(bsym);
  }
  bool fusible(const BoundSymbol& bsym) const override {
    return bsym.symbol->ns == SymbolNamespace::Prims &&
           (bsym.symbol->tags.has(Tag::Elementwise) || bsym.symbol->tags.has(Tag::Shape));
  }
  bool runs_matmul_epilogue(const MatmulEpilogue& epilogue) const override {
    asked.push_back(epilogue);
    return epilogues_;
  }
  mutable std::vector<MatmulEpilogue> asked;

private:
  bool epilogues_;
};

class MatmulEpilogues : public ::testing::Test {
protected:
  Trace folded(const Trace& trace, bool epilogues = true) {
    gpu_ = std::make_unique<BlasExecutor>(epilogues);
    const std::vector<const Executor*> executors{gpu_.get(), torch_.get()};
    assigned_ = assign_executors(trace, executors);
    return fuse_matmul_epilogues(assigned_, executors);
  }
  // The prims of an assigned trace (every call is one).
  static std::size_t codegen_free_prims(const Trace& trace) { return trace.bound_symbols.size(); }
  static std::size_t count(const Trace& trace, const std::string& name) {
    const std::vector<std::string> names = calls(trace);
    return static_cast<std::size_t>(std::count(names.begin(), names.end(), name));
  }
  std::unique_ptr<Executor> torch_ = fake("torch", 100, Claims::Everything);
  std::unique_ptr<BlasExecutor> gpu_;
  Trace assigned_;
};

TEST_F(MatmulEpilogues, ALinearsBiasAndReluFoldIntoTheProductMatchesGolden) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {8, 64}, DType::Float32);
  auto w = scope.input_tensor("w", {32, 64}, DType::Float32);
  auto b = scope.input_tensor("b", {32}, DType::Float32);
  const Trace out = folded(scope.finish(ltorch::relu(ltorch::linear(x, w, b))));
  EXPECT_EQ(count(out, "gpu.matmul_epilogue"), 1u);
  for (const char* gone : {"prims.matmul", "prims.add", "prims.maximum", "prims.broadcast_in_dim"})
    EXPECT_EQ(count(out, gone), 0u) << gone << " is still in\n" << out.to_string();
  const BoundSymbol& call = out.bound_symbols.back();
  const std::optional<MatmulEpilogue> epilogue = matmul_epilogue_of(call);
  ASSERT_TRUE(epilogue);
  EXPECT_EQ(epilogue->dtype, DType::Float32);
  EXPECT_TRUE(epilogue->bias);
  EXPECT_EQ(epilogue->activation, MatmulActivation::Relu);
  EXPECT_EQ(call.args.at(2).as_tensor()->name(), "b");
  EXPECT_EQ(call.executor, "gpu");
  EXPECT_EQ(call.subsymbols.size(), 4u); // the bias's broadcast, matmul, add, maximum
  expect_matches_golden(out.to_string(), "matmul_epilogue_linear_relu.txt");
}

TEST_F(MatmulEpilogues, F16OperandsAreReadBeforeTheirUpcastAndRoundedOnce) {
  for (const DType dtype : {DType::Float16, DType::BFloat16}) {
    TraceScope scope;
    auto x = scope.input_tensor("x", {2, 4, 64}, dtype);
    auto w = scope.input_tensor("w", {32, 64}, dtype);
    auto b = scope.input_tensor("b", {32}, dtype);
    const Trace out = folded(scope.finish(ltorch::relu(ltorch::linear(x, w, b))));
    // linear upcasts x, w and b to f32 (to round once); the folded call reads them as they
    // are: no f32 copy remains.
    EXPECT_GT(count(assigned_, "prims.convert_element_type"), 0u);
    EXPECT_EQ(count(out, "prims.convert_element_type"), 0u) << out.to_string();
    EXPECT_EQ(count(out, "prims.matmul"), 0u);
    const BoundSymbol& call = out.bound_symbols.back();
    const std::optional<MatmulEpilogue> epilogue = matmul_epilogue_of(call);
    ASSERT_TRUE(epilogue) << out.to_string();
    EXPECT_EQ(epilogue->dtype, dtype);
    EXPECT_TRUE(epilogue->bias);
    EXPECT_EQ(epilogue->activation, MatmulActivation::Relu) << "relu after the rounding folds too";
    for (const Value& arg : call.args)
      EXPECT_EQ(arg.as_tensor()->dtype(), dtype) << call.call_string();
    EXPECT_EQ(call.output.as_tensor()->shape(), (Shape{2, 4, 32}));
    EXPECT_EQ(call.args.at(2).as_tensor()->name(), "b");
  }
}

TEST_F(MatmulEpilogues, AnAddmmsBiasFoldsWithItsOperandsUnconverted) {
  // GPT-2's Conv1D: addmm(bias, x, w), the bias the add's first operand.
  TraceScope scope;
  auto b = scope.input_tensor("b", {32}, DType::BFloat16);
  auto x = scope.input_tensor("x", {8, 64}, DType::BFloat16);
  auto w = scope.input_tensor("w", {64, 32}, DType::BFloat16);
  const Trace out = folded(scope.finish(ltorch::addmm(b, x, w)));
  EXPECT_EQ(count(out, "prims.convert_element_type"), 0u) << out.to_string();
  ASSERT_EQ(out.bound_symbols.size(), 1u) << out.to_string();
  const BoundSymbol& call = out.bound_symbols.back();
  const std::optional<MatmulEpilogue> epilogue = matmul_epilogue_of(call);
  ASSERT_TRUE(epilogue) << out.to_string();
  EXPECT_EQ(epilogue->dtype, DType::BFloat16);
  EXPECT_TRUE(epilogue->bias);
  EXPECT_EQ(epilogue->activation, MatmulActivation::None);
  EXPECT_EQ(call.args.at(0).as_tensor()->name(), "x");
  EXPECT_EQ(call.args.at(1).as_tensor()->name(), "w");
  EXPECT_EQ(call.args.at(2).as_tensor()->name(), "b");
  // The conversions and the bias's broadcast are done inside the call: its subsymbols.
  EXPECT_EQ(call.subsymbols.size(), codegen_free_prims(assigned_));
}

TEST_F(MatmulEpilogues, AnF16ProductRoundedBeforeItsBiasIsLeftAlone) {
  // prims straight: round(round(a @ b) + bias) is what the trace says; folded, the sum
  // would be rounded once.
  TraceScope scope;
  auto a = scope.input_tensor("a", {8, 64}, DType::Float16);
  auto b = scope.input_tensor("b", {64, 32}, DType::Float16);
  auto bias = scope.input_tensor("bias", {32}, DType::Float16);
  auto c = prims::matmul(a, b);
  const Trace out = folded(scope.finish(prims::add(c, prims::broadcast_in_dim(bias, {8, 32}, {1}))));
  EXPECT_EQ(count(out, "gpu.matmul_epilogue"), 0u) << out.to_string();
  EXPECT_EQ(count(out, "prims.matmul"), 1u);
}

TEST_F(MatmulEpilogues, AProductReadElsewhereIsLeftAlone) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {8, 64}, DType::Float32);
  auto w = scope.input_tensor("w", {32, 64}, DType::Float32);
  auto b = scope.input_tensor("b", {32}, DType::Float32);
  auto h = ltorch::linear(x, w);
  const Trace out = folded(scope.finish(Value(Value::List{Value(ltorch::add(h, b)), Value(h)})));
  EXPECT_EQ(count(out, "gpu.matmul_epilogue"), 0u) << out.to_string();
  EXPECT_EQ(count(out, "prims.matmul"), 1u);
  EXPECT_EQ(out.bound_symbols.size(), assigned_.bound_symbols.size());
}

TEST_F(MatmulEpilogues, ALinearOfA3DInputWithoutBiasWritesItsReshapedResult) {
  // A bias-free linear of [B, S, K] (GPT-2's logits): reshape, product, reshape back. The
  // product is written in the reshaped shape (the same bytes), so no region copies it; a
  // 2-D one, with nothing to fold, stays a plain product.
  TraceScope scope;
  auto x = scope.input_tensor("x", {2, 4, 64}, DType::Float32);
  auto w = scope.input_tensor("w", {32, 64}, DType::Float32);
  const Trace out = folded(scope.finish(ltorch::linear(x, w)));
  ASSERT_EQ(count(out, "gpu.matmul_epilogue"), 1u) << out.to_string();
  EXPECT_EQ(count(out, "prims.matmul"), 0u) << out.to_string();
  const BoundSymbol& call = *std::find_if(
      out.bound_symbols.begin(), out.bound_symbols.end(),
      [](const BoundSymbol& b) { return b.symbol->qualified_name() == "gpu.matmul_epilogue"; });
  EXPECT_EQ(call.output.as_tensor()->shape(), (Shape{2, 4, 32}));
  EXPECT_EQ(call.output.as_tensor()->name(), out.output.as_tensor()->name());
  ASSERT_EQ(gpu_->asked.size(), 1u);
  EXPECT_FALSE(gpu_->asked[0].bias);
  EXPECT_EQ(gpu_->asked[0].activation, MatmulActivation::None);

  TraceScope flat;
  auto x2 = flat.input_tensor("x", {8, 64}, DType::Float32);
  auto w2 = flat.input_tensor("w", {32, 64}, DType::Float32);
  const Trace plain = folded(flat.finish(ltorch::linear(x2, w2)));
  EXPECT_EQ(count(plain, "gpu.matmul_epilogue"), 0u) << plain.to_string();
  EXPECT_EQ(count(plain, "prims.matmul"), 1u);
}

TEST_F(MatmulEpilogues, NothingFoldsForAnExecutorWithoutEpilogues) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {8, 64}, DType::Float16);
  auto w = scope.input_tensor("w", {32, 64}, DType::Float16);
  auto b = scope.input_tensor("b", {32}, DType::Float16);
  const Trace out = folded(scope.finish(ltorch::relu(ltorch::linear(x, w, b))), false);
  EXPECT_EQ(count(out, "gpu.matmul_epilogue"), 0u);
  EXPECT_EQ(out.to_string(), assigned_.to_string().replace(
                                 assigned_.to_string().find("Assign Executors"),
                                 std::string("Assign Executors").size(), "Matmul Epilogues"));
  ASSERT_EQ(gpu_->asked.size(), 1u);
  EXPECT_EQ(gpu_->asked[0].dtype, DType::Float16);
  EXPECT_TRUE(gpu_->asked[0].bias);
}

TEST_F(MatmulEpilogues, AnEmptySumAndAResidualAddAreNotBiases) {
  {
    TraceScope scope;
    auto x = scope.input_tensor("x", {8, 0}, DType::Float32);
    auto w = scope.input_tensor("w", {32, 0}, DType::Float32);
    auto b = scope.input_tensor("b", {32}, DType::Float32);
    const Trace out = folded(scope.finish(ltorch::linear(x, w, b)));
    EXPECT_EQ(count(out, "gpu.matmul_epilogue"), 0u) << "K = 0: zeros plus the bias, as it was";
  }
  {
    // A dot product of vectors: the product reshaped to a scalar, then an add.
    TraceScope scope;
    auto u = scope.input_tensor("u", {16}, DType::Float32);
    auto v = scope.input_tensor("v", {16}, DType::Float32);
    const Trace out = folded(scope.finish(ltorch::add(ltorch::matmul(u, v), 1.0)));
    EXPECT_EQ(count(out, "gpu.matmul_epilogue"), 0u) << out.to_string();
  }
  {
    TraceScope scope;
    auto x = scope.input_tensor("x", {8, 64}, DType::Float32);
    auto w = scope.input_tensor("w", {64, 64}, DType::Float32);
    const Trace out = folded(scope.finish(ltorch::add(ltorch::linear(x, w), x)));
    EXPECT_EQ(count(out, "gpu.matmul_epilogue"), 0u) << out.to_string();
    EXPECT_TRUE(gpu_->asked.empty());
  }
}

} // namespace
} // namespace thunder
