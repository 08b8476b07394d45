// prims.matmul on the spirv executor's hand-written kernel (shaders/matmul.comp, embedded at
// build time) on the machine's Vulkan device (lavapipe in CI): shapes with edges that are
// not multiples of the tile, batches, K = 0, transposed, expanded and sliced operands read
// through their strides (two batch strides and an offset: q, k and v sliced from one
// projection), a linear's bias and relu in the kernel's epilogue, against torch in float64;
// the matmul shares its batch with the regions around it; the exported models run their
// matmuls on spirv. With
// THUNDER_VK_VALIDATION=1 (ctest sets it) the validation layer must report nothing. Without
// a Vulkan device the tests skip with the runtime's reason.
#include "thunder/compile.h"
#include "thunder/core/tracing.h"
#include "thunder/executors/codegen/kernel_ir.h"
#include "thunder/executors/spirv/spirv_torch.h"
#include "thunder/opdb/opdb.h"
#include "thunder/ops/ltorch.h"
#include "thunder/ops/prims.h"
#include "thunder/passes/fusion.h"

#include "spirv_torch_test_util.h"
#include "../../src/executors/spirv/builtin_kernels.h"
#include "../common/scoped_env.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace {

using thunder::DType;
using thunder::Trace;
using thunder::spirv::ExecutionReport;
using thunder::spirv::SpirvExecutor;
using thunder::spirv::TorchFallbackExecutor;
namespace lt = thunder::ltorch;

using thunder::spirv::testing::compile_for;
using thunder::spirv::testing::spirv;

using Shape = std::vector<std::int64_t>;

at::Tensor randn(const Shape& shape, at::ScalarType dtype = at::kFloat) {
  return at::randn(shape, at::kDouble).to(dtype);
}

void expect_no_validation_messages() {
  if (spirv().runtime().validation_enabled()) {
    EXPECT_EQ(spirv().runtime().validation_messages(), std::vector<std::string>{});
  } else if (const char* v = std::getenv("THUNDER_VK_VALIDATION"); v && std::string(v) == "1") {
    ADD_FAILURE() << "THUNDER_VK_VALIDATION=1 but the runtime has no validation layer";
  }
}

struct MatmulRun {
  at::Tensor result;
  ExecutionReport report;
  Trace prepared;
  double ms = 0; // wall time of run_spirv_trace
};

// Prepares and runs `trace` on spirv (strict: a fallback is an error) and checks the
// validation layer said nothing.
MatmulRun run_spirv(const Trace& trace, const std::vector<at::Tensor>& inputs) {
  MatmulRun r;
  TorchFallbackExecutor torch;
  r.prepared = thunder::spirv::prepare_spirv_trace(trace, spirv(), torch);
  spirv().runtime().clear_validation_messages();
  const std::vector<c10::IValue> values(inputs.begin(), inputs.end());
  const auto start = std::chrono::steady_clock::now();
  const std::vector<at::Tensor> out =
      thunder::spirv::run_spirv_trace(spirv(), r.prepared, values, &r.report, /*strict=*/true);
  r.ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(out.size(), 1u);
  if (!out.empty()) r.result = out[0];
  expect_no_validation_messages();
  return r;
}

std::size_t ran(const ExecutionReport& report, const std::string& executor) {
  const auto it = report.prims.find(executor);
  return it == report.prims.end() ? 0 : it->second;
}

// a @ b through prims.matmul alone, checked against torch (f32) and float64 torch.
MatmulRun check_matmul(const at::Tensor& a, const at::Tensor& b, const std::string& what) {
  thunder::TraceScope scope("matmul");
  const DType dtype = a.scalar_type() == at::kHalf       ? DType::Float16
                      : a.scalar_type() == at::kBFloat16 ? DType::BFloat16
                                                         : DType::Float32;
  auto pa = scope.input_tensor("a", Shape(a.sizes().begin(), a.sizes().end()), dtype);
  auto pb = scope.input_tensor("b", Shape(b.sizes().begin(), b.sizes().end()), dtype);
  const Trace trace = scope.finish(thunder::prims::matmul(pa, pb));
  MatmulRun r = run_spirv(trace, {a, b});
  const at::Tensor want = at::matmul(a, b);
  const at::Tensor reference = at::matmul(a.to(at::kDouble), b.to(at::kDouble));
  EXPECT_EQ(r.result.sizes(), want.sizes()) << what;
  EXPECT_EQ(r.result.scalar_type(), want.scalar_type()) << what;
  if (r.result.sizes() == want.sizes()) {
    const thunder::opdb::Comparison c =
        thunder::opdb::compare(r.result, want, reference, thunder::opdb::model_tolerance(dtype));
    std::cout << "[spirv matmul] " << what << " " << a.sizes() << " x " << b.sizes()
              << ": max abs error " << c.max_abs << ", max rel " << c.max_rel << " (" << c.rule
              << ")\n";
    EXPECT_TRUE(c.pass) << what << ": " << c.rule << ", max abs " << c.max_abs;
  }
  EXPECT_EQ(ran(r.report, "spirv"), 1u) << what << ": " << r.report.to_string();
  EXPECT_EQ(ran(r.report, "torch"), 0u) << what << ": " << r.report.to_string();
  EXPECT_TRUE(r.report.fallbacks.empty()) << r.report.to_string();
  // The matmul stays a single call of its own, assigned to spirv, in no region.
  std::size_t matmuls = 0;
  for (const thunder::BoundSymbol& bsym : r.prepared.bound_symbols) {
    if (bsym.symbol->qualified_name() != "prims.matmul") continue;
    ++matmuls;
    EXPECT_EQ(bsym.executor, "spirv") << r.prepared.to_string();
  }
  EXPECT_EQ(matmuls, 1u) << r.prepared.to_string();
  return r;
}

TEST(SpirvMatmul, ProductOfATensorWithItselfUploadsItOnce) {
  // x @ x and a batched x @ x: both operands are one host tensor (one upload, bound twice).
  THUNDER_SPIRV_OR_SKIP();
  at::manual_seed(12);
  for (const Shape& shape : {Shape{24, 24}, Shape{3, 10, 10}}) {
    thunder::TraceScope scope("self_matmul");
    auto x = scope.input_tensor("x", shape, DType::Float32);
    const Trace trace = scope.finish(thunder::prims::matmul(x, x));
    const at::Tensor t = randn(shape);
    const MatmulRun r = run_spirv(trace, {t});
    const at::Tensor reference = at::matmul(t.to(at::kDouble), t.to(at::kDouble));
    EXPECT_TRUE(at::allclose(r.result.to(at::kDouble), reference, 1e-4, 1e-5))
        << "max abs " << (r.result.to(at::kDouble) - reference).abs().max().item<double>();
    EXPECT_EQ(ran(r.report, "spirv"), 1u) << r.report.to_string();
  }
}

struct MatmulCase {
  Shape a, b;
  const char* what;
};

TEST(SpirvMatmul, MatchesFloat64TorchOnEdgeAndBatchedShapes) {
  THUNDER_SPIRV_OR_SKIP();
  const std::vector<MatmulCase> cases = {
      {{1, 1}, {1, 1}, "1x1"},
      {{33, 17}, {17, 65}, "odd sizes, not multiples of the tile"},
      {{64, 16}, {16, 64}, "exactly one tile"},
      {{65, 33}, {33, 129}, "one past the tile"},
      {{1, 300}, {300, 1}, "a dot product"},
      {{3, 5, 7}, {3, 7, 4}, "batched"},
      {{2, 3, 5, 7}, {2, 3, 7, 4}, "two batch dims"},
      {{100, 1, 9}, {100, 9, 70}, "many batches, one row"},
  };
  at::manual_seed(10);
  for (const MatmulCase& c : cases)
    check_matmul(randn(c.a), randn(c.b), c.what);
}

TEST(SpirvMatmul, EmptyInnerDimensionGivesZerosAndEmptyOutputsWork) {
  THUNDER_SPIRV_OR_SKIP();
  const MatmulRun k0 = check_matmul(randn({4, 0}), randn({0, 3}), "K = 0");
  EXPECT_TRUE(at::equal(k0.result, at::zeros({4, 3}))) << k0.result;
  const MatmulRun k0_batched = check_matmul(randn({2, 5, 0}), randn({2, 0, 6}), "batched K = 0");
  EXPECT_TRUE(at::equal(k0_batched.result, at::zeros({2, 5, 6})));
  check_matmul(randn({0, 5}), randn({5, 3}), "M = 0");
  check_matmul(randn({4, 5}), randn({5, 0}), "N = 0");
  check_matmul(randn({0, 4, 5}), randn({0, 5, 3}), "no batches");
}

TEST(SpirvMatmul, ReadsTransposedExpandedAndSlicedOperandsThroughTheirStrides) {
  THUNDER_SPIRV_OR_SKIP();
  at::manual_seed(11);
  const at::Tensor a_t = randn({17, 33}).t(); // [33, 17], strides [1, 33]
  const at::Tensor b_t = randn({65, 17}).t(); // [17, 65], strides [1, 17]
  ASSERT_FALSE(a_t.is_contiguous());
  check_matmul(a_t, b_t, "both transposed");
  check_matmul(randn({3, 7, 5}).transpose(1, 2), randn({3, 7, 4}), "batched, A transposed");
  check_matmul(randn({5, 7}).expand({3, 5, 7}), randn({3, 7, 4}), "A expanded over the batch");
  const at::Tensor big = randn({40, 50});
  check_matmul(big.slice(0, 3, 20).slice(1, 5, 30), big.slice(0, 10, 35).slice(1, 1, 9),
               "slices of one tensor");
  // Batch dims in two strided groups: read in place (q, k and v are laid out so).
  check_matmul(randn({5, 3, 4, 6}).transpose(0, 1), randn({3, 5, 6, 2}), "permuted batch dims");
  // Three groups: read from a contiguous copy.
  check_matmul(randn({2, 5, 3, 4, 6}).transpose(0, 2), randn({3, 5, 2, 6, 2}),
               "three batch dims, permuted");
}

// A linear's bias add and relu after prims.matmul: the matmul_epilogues pass folds them into
// spirv.matmul_epilogue, which the kernel runs on its f32 accumulator before the one
// rounding (f16 and bf16 linears upcast in the trace: the kernel reads the stored weights).
// Against float64; with the fold off, the trace keeps its bias add and relu in a region.
TEST(SpirvMatmul, LinearBiasAndReluRunInTheKernelsEpilogue) {
  THUNDER_SPIRV_OR_SKIP();
  at::manual_seed(21);
  std::vector<at::ScalarType> dtypes{at::kFloat};
  if (spirv().runtime().features().storage_buffer_16bit) {
    dtypes.push_back(at::kHalf);
    dtypes.push_back(at::kBFloat16);
  } else {
    std::cout << "[spirv matmul] f16/bf16 epilogues not run: " << spirv().runtime().device().name
              << " has no 16-bit storage\n";
  }
  for (const at::ScalarType st : dtypes) {
    const DType dtype = st == at::kHalf ? DType::Float16
                        : st == at::kBFloat16 ? DType::BFloat16 : DType::Float32;
    thunder::TraceScope scope("linear_relu");
    auto px = scope.input_tensor("x", {3, 37, 70}, dtype);
    auto pw = scope.input_tensor("w", {66, 70}, dtype);
    auto pb = scope.input_tensor("b", {66}, dtype);
    const Trace trace = scope.finish(lt::relu(lt::linear(px, pw, pb)));
    const at::Tensor x = randn({3, 37, 70}, st), w = randn({66, 70}, st), b = randn({66}, st);
    const MatmulRun r = run_spirv(trace, {x, w, b});
    std::size_t epilogues = 0, regions = 0;
    for (const thunder::BoundSymbol& bsym : r.prepared.bound_symbols) {
      if (bsym.symbol->qualified_name() == "spirv.matmul_epilogue") {
        ++epilogues;
        EXPECT_NE(bsym.call_string().find("activation='relu'"), std::string::npos)
            << bsym.call_string();
      } else if (thunder::is_fusion_region(bsym)) {
        ++regions;
      }
    }
    EXPECT_EQ(epilogues, 1u) << r.prepared.to_string();
    EXPECT_EQ(regions, 0u) << "the bias add and relu are in the kernel\n" << r.prepared.to_string();
    EXPECT_EQ(ran(r.report, "torch"), 0u) << r.report.to_string();
    const at::Tensor want = at::relu(at::linear(x.to(at::kFloat), w.to(at::kFloat), b.to(at::kFloat))).to(st);
    const at::Tensor reference = at::relu(at::linear(x.to(at::kDouble), w.to(at::kDouble), b.to(at::kDouble)));
    const thunder::opdb::Comparison c =
        thunder::opdb::compare(r.result, want, reference, thunder::opdb::model_tolerance(dtype));
    std::cout << "[spirv matmul] linear + bias + relu in " << at::toString(st) << ": max abs error "
              << c.max_abs << " (" << c.rule << ")\n";
    EXPECT_TRUE(c.pass) << at::toString(st) << ": " << c.rule << ", max abs " << c.max_abs;
    EXPECT_GT((r.result == 0).sum().item<std::int64_t>(), 0) << "relu zeroed nothing";
    EXPECT_GT((r.result > 0).sum().item<std::int64_t>(), 0);
  }
  {
    // A bias that is a strided view of an input (every other element of a packed vector):
    // read at its offset through its stride.
    thunder::TraceScope scope("linear_strided_bias");
    auto px = scope.input_tensor("x", {9, 20}, DType::Float32);
    auto pw = scope.input_tensor("w", {13, 20}, DType::Float32);
    auto pp = scope.input_tensor("packed", {30}, DType::Float32);
    auto pb = thunder::prims::slice(pp, {3}, {29}, {2});
    const Trace trace = scope.finish(lt::linear(px, pw, pb));
    const at::Tensor x = randn({9, 20}), w = randn({13, 20}), packed = randn({30});
    const MatmulRun r = run_spirv(trace, {x, w, packed});
    EXPECT_NE(r.prepared.to_string().find("spirv.matmul_epilogue"), std::string::npos)
        << r.prepared.to_string();
    const at::Tensor b = packed.slice(0, 3, 29, 2);
    const thunder::opdb::Comparison c = thunder::opdb::compare(
        r.result, at::linear(x, w, b),
        at::linear(x.to(at::kDouble), w.to(at::kDouble), b.to(at::kDouble)),
        thunder::opdb::model_tolerance(DType::Float32));
    EXPECT_TRUE(c.pass) << "strided bias: " << c.rule << ", max abs " << c.max_abs;
  }
  // Off: the product is a prims.matmul and the bias add and relu run in a region.
  SpirvExecutor plain(thunder::spirv::RuntimeOptions{.matmul_epilogues = 0});
  thunder::TraceScope scope("linear_relu");
  auto px = scope.input_tensor("x", {4, 8}, DType::Float32);
  auto pw = scope.input_tensor("w", {5, 8}, DType::Float32);
  auto pb = scope.input_tensor("b", {5}, DType::Float32);
  const Trace trace = scope.finish(lt::relu(lt::linear(px, pw, pb)));
  TorchFallbackExecutor torch;
  const Trace prepared = thunder::spirv::prepare_spirv_trace(trace, plain, torch);
  EXPECT_EQ(prepared.to_string().find("matmul_epilogue"), std::string::npos) << prepared.to_string();
  EXPECT_NE(prepared.to_string().find("prims.matmul"), std::string::npos) << prepared.to_string();
  {
    const thunder::testing::ScopedEnv off("THUNDER_VK_MATMUL_EPILOGUES", "0");
    const SpirvExecutor from_env;
    EXPECT_FALSE(from_env.runs_matmul_epilogue({DType::Float32, true, {}}));
  }
  const thunder::testing::ScopedEnv bad("THUNDER_VK_MATMUL_EPILOGUES", "yes");
  try {
    const SpirvExecutor wrong;
    ADD_FAILURE() << "THUNDER_VK_MATMUL_EPILOGUES=yes was accepted";
  } catch (const thunder::ArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("THUNDER_VK_MATMUL_EPILOGUES must be 0 or 1, got 'yes'"),
              std::string::npos)
        << e.what();
  }
}

// An epilogue call the kernel cannot dispatch (N needs more than 65535 workgroups of 64
// columns) runs on torch, reported as a fallback, with the same numbers: the operands the
// pending batch made come back to the host first.
TEST(SpirvMatmul, AnEpilogueTheKernelCannotDispatchRunsOnTorchAndIsReported) {
  THUNDER_SPIRV_OR_SKIP();
  at::manual_seed(23);
  constexpr std::int64_t kN = 65536 * 64;
  thunder::TraceScope scope("wide_linear");
  auto px = scope.input_tensor("x", {2, 3}, DType::Float32);
  auto pw = scope.input_tensor("w", {kN, 3}, DType::Float32);
  auto pb = scope.input_tensor("b", {kN}, DType::Float32);
  // x is scaled on the device first, so the product's operand is a value of the batch.
  const Trace trace = scope.finish(lt::relu(lt::linear(lt::mul(px, 2.0), pw, pb)));
  const at::Tensor x = randn({2, 3}), w = randn({kN, 3}), b = randn({kN});
  TorchFallbackExecutor torch;
  const Trace prepared = thunder::spirv::prepare_spirv_trace(trace, spirv(), torch);
  ASSERT_NE(prepared.to_string().find("spirv.matmul_epilogue"), std::string::npos)
      << prepared.to_string();
  ExecutionReport report;
  const std::vector<at::Tensor> out = thunder::spirv::run_spirv_trace(
      spirv(), prepared, {c10::IValue(x), c10::IValue(w), c10::IValue(b)}, &report,
      /*strict=*/false);
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(report.fallbacks.size(), 1u) << report.to_string();
  EXPECT_EQ(report.fallbacks[0].op, "spirv.matmul_epilogue") << report.to_string();
  EXPECT_NE(report.fallbacks[0].reason.find("workgroups"), std::string::npos)
      << report.fallbacks[0].reason;
  EXPECT_GT(ran(report, "torch"), 0u) << report.to_string();
  const at::Tensor want = at::relu(at::linear(x * 2.0, w, b));
  EXPECT_TRUE(at::allclose(out[0], want, 1e-5, 1e-5))
      << "max abs " << (out[0] - want).abs().max().item<double>();
  // Strict: the same call is an error naming why.
  EXPECT_THROW((void)thunder::spirv::run_spirv_trace(
                   spirv(), prepared, {c10::IValue(x), c10::IValue(w), c10::IValue(b)}, nullptr,
                   /*strict=*/true),
               thunder::UnsupportedError);
}

// q, k and v sliced from one projection (its bias in the epilogue) and laid out in heads
// are views the matmul kernel reads in place, at their offsets and through two batch
// strides: no region copies them, and q @ k^T @ v matches float64.
TEST(SpirvMatmul, QkvSlicedFromOneProjectionAreReadAsViews) {
  THUNDER_SPIRV_OR_SKIP();
  at::manual_seed(22);
  thunder::TraceScope scope("qkv");
  auto px = scope.input_tensor("x", {2, 6, 32}, DType::Float32);
  auto pw = scope.input_tensor("w", {96, 32}, DType::Float32);
  auto pb = scope.input_tensor("b", {96}, DType::Float32);
  std::vector<thunder::TensorProxyPtr> heads;
  for (const thunder::TensorProxyPtr& t : lt::split(lt::linear(px, pw, pb), 32, 2))
    heads.push_back(lt::transpose(lt::reshape(t, {2, 6, 4, 8}), 1, 2));
  auto scores = thunder::prims::matmul(heads[0], lt::transpose(heads[1], 2, 3));
  const Trace trace = scope.finish(thunder::prims::matmul(scores, heads[2]));
  const at::Tensor x = randn({2, 6, 32}), w = randn({96, 32}), b = randn({96});
  const MatmulRun r = run_spirv(trace, {x, w, b});
  for (const thunder::BoundSymbol& bsym : r.prepared.bound_symbols) {
    EXPECT_FALSE(thunder::is_fusion_region(bsym))
        << "q, k and v are copied by " << bsym.call_string() << "\n" << r.prepared.to_string();
  }
  EXPECT_EQ(ran(r.report, "torch"), 0u) << r.report.to_string();
  const auto forward = [](const at::Tensor& xx, const at::Tensor& ww, const at::Tensor& bb) {
    const std::vector<at::Tensor> qkv = at::linear(xx, ww, bb).split(32, 2);
    const auto head = [](const at::Tensor& t) { return t.reshape({2, 6, 4, 8}).transpose(1, 2); };
    return at::matmul(at::matmul(head(qkv[0]), head(qkv[1]).transpose(2, 3)), head(qkv[2]));
  };
  const at::Tensor reference = forward(x.to(at::kDouble), w.to(at::kDouble), b.to(at::kDouble));
  const thunder::opdb::Comparison c = thunder::opdb::compare(
      r.result, forward(x, w, b), reference, thunder::opdb::model_tolerance(DType::Float32));
  EXPECT_TRUE(c.pass) << c.rule << ", max abs " << c.max_abs;
}

TEST(SpirvMatmul, LargeProductMatchesAndIsTimed) {
  THUNDER_SPIRV_OR_SKIP();
  at::manual_seed(12);
  const at::Tensor a = randn({256, 512});
  const at::Tensor b = randn({512, 128});
  const MatmulRun first = check_matmul(a, b, "256x512x128");
  // Warm runs (pipeline cached, trace prepared once), against torch on this CPU.
  thunder::TraceScope scope("matmul");
  auto pa = scope.input_tensor("a", {256, 512}, DType::Float32);
  auto pb = scope.input_tensor("b", {512, 128}, DType::Float32);
  const Trace trace = scope.finish(thunder::prims::matmul(pa, pb));
  TorchFallbackExecutor torch;
  const Trace prepared = thunder::spirv::prepare_spirv_trace(trace, spirv(), torch);
  constexpr int kRepeats = 10;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kRepeats; ++i)
    thunder::spirv::run_spirv_trace(spirv(), prepared, {a, b});
  const double spirv_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() /
      kRepeats;
  const auto torch_start = std::chrono::steady_clock::now();
  for (int i = 0; i < kRepeats; ++i)
    (void)at::matmul(a, b);
  const double torch_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - torch_start)
          .count() /
      kRepeats;
  std::cout << "[spirv matmul] 256x512x128 f32 on " << spirv().runtime().device().name << ": "
            << spirv_ms << " ms per run (uploads, dispatch, download; first run " << first.ms
            << " ms), torch on the CPU " << torch_ms << " ms\n";
}

TEST(SpirvMatmul, SharesOneBatchWithTheRegionsAroundIt) {
  THUNDER_SPIRV_OR_SKIP();
  // relu(x @ w1 + b) @ w2: region -> matmul -> region -> matmul, no torch call between.
  thunder::TraceScope scope("mlp");
  auto x = scope.input_tensor("x", {8, 32}, DType::Float32);
  auto w1 = scope.input_tensor("w1", {64, 32}, DType::Float32);
  auto b1 = scope.input_tensor("b1", {64}, DType::Float32);
  auto w2 = scope.input_tensor("w2", {64, 16}, DType::Float32);
  const Trace trace = scope.finish(lt::matmul(lt::relu(lt::linear(lt::mul(x, 0.5), w1, b1)), w2));
  at::manual_seed(13);
  const std::vector<at::Tensor> in = {randn({8, 32}), randn({64, 32}), randn({64}),
                                      randn({64, 16})};
  const MatmulRun r = run_spirv(trace, in);
  const auto eager = [](const std::vector<at::Tensor>& t) {
    return at::matmul(at::relu(at::linear(t[0] * 0.5, t[1], t[2])), t[3]);
  };
  std::vector<at::Tensor> f64;
  for (const at::Tensor& t : in)
    f64.push_back(t.to(at::kDouble));
  const thunder::opdb::Comparison c = thunder::opdb::compare(
      r.result, eager(in), eager(f64), thunder::opdb::model_tolerance(DType::Float32));
  EXPECT_TRUE(c.pass) << c.rule << ", max abs " << c.max_abs << "\n" << r.prepared.to_string();
  EXPECT_EQ(ran(r.report, "torch"), 0u) << r.report.to_string() << r.prepared.to_string();
  EXPECT_EQ(r.report.batches, 1u) << r.report.to_string();
  // Each matmul reads what a region wrote, and the last region what the first matmul wrote.
  EXPECT_GE(r.report.barriers, 2u) << r.report.to_string();
  EXPECT_TRUE(r.report.fallbacks.empty());
}

TEST(SpirvMatmul, PipelinesAreMadeOncePerVariant) {
  THUNDER_SPIRV_OR_SKIP();
  check_matmul(randn({3, 4}), randn({4, 5}), "first");
  const std::size_t pipelines = spirv().builtin_pipeline_count();
  check_matmul(randn({7, 2}), randn({2, 9}), "second");
  EXPECT_EQ(spirv().builtin_pipeline_count(), pipelines);
  EXPECT_GE(pipelines, 1u);
}

TEST(SpirvMatmul, LeavesToTorchWhatItCannotTake) {
  THUNDER_SPIRV_OR_SKIP();
  thunder::TraceScope scope("claims");
  // Output of 8192 x 8192 f32 = 256 MiB: past lavapipe's 128 MiB maxStorageBufferRange.
  const std::int64_t side = 8192;
  const bool too_big =
      static_cast<std::uint64_t>(side * side * 4) > spirv().runtime().max_storage_buffer_range();
  auto a = scope.input_tensor("a", {side, 1}, DType::Float32);
  auto b = scope.input_tensor("b", {1, side}, DType::Float32);
  auto d = scope.input_tensor("d", {4, 4}, DType::Float64);
  auto big = thunder::prims::matmul(a, b);
  auto f64 = thunder::prims::matmul(d, d);
  const Trace trace = scope.finish(
      thunder::Value(std::vector<thunder::Value>{thunder::Value(big), thunder::Value(f64)}));
  ASSERT_EQ(trace.bound_symbols.size(), 2u);
  EXPECT_EQ(spirv().claims(trace.bound_symbols[0]), !too_big)
      << "maxStorageBufferRange " << spirv().runtime().max_storage_buffer_range();
  EXPECT_FALSE(spirv().claims(trace.bound_symbols[1])); // float64
  // f16 and bf16 only where the device enabled 16-bit storage (THUNDER_VK_MINIMAL_FEATURES=1
  // turns it off).
  for (const DType half : {DType::Float16, DType::BFloat16}) {
    thunder::TraceScope half_scope("half");
    auto h = half_scope.input_tensor("h", {4, 4}, half);
    const Trace half_trace = half_scope.finish(thunder::prims::matmul(h, h));
    EXPECT_EQ(spirv().claims(half_trace.bound_symbols[0]),
              spirv().runtime().features().storage_buffer_16bit);
  }
  // Claimed, but never fused into an elementwise region.
  thunder::TraceScope small_scope("small");
  auto s = small_scope.input_tensor("s", {4, 4}, DType::Float32);
  const Trace small = small_scope.finish(thunder::prims::matmul(s, s));
  EXPECT_TRUE(spirv().claims(small.bound_symbols[0]));
  EXPECT_FALSE(spirv().fusible(small.bound_symbols[0]));
}

TEST(SpirvMatmul, HalfAndBfloat16VariantsWhereTheDeviceHasSixteenBitStorage) {
  THUNDER_SPIRV_OR_SKIP();
  if (!spirv().runtime().features().storage_buffer_16bit) {
    GTEST_SKIP() << spirv().runtime().device().name
                 << " has no storageBuffer16BitAccess enabled: f16/bf16 matmuls stay on torch";
  }
  at::manual_seed(14);
  check_matmul(randn({33, 17}, at::kHalf), randn({17, 65}, at::kHalf), "f16 odd sizes");
  check_matmul(randn({3, 7, 5}, at::kHalf).transpose(1, 2), randn({3, 7, 4}, at::kHalf),
               "f16 batched, A transposed");
  check_matmul(randn({128, 256}, at::kHalf), randn({256, 64}, at::kHalf), "f16 128x256x64");
  check_matmul(randn({33, 17}, at::kBFloat16), randn({17, 65}, at::kBFloat16), "bf16 odd sizes");
  check_matmul(randn({3, 7, 5}, at::kBFloat16).transpose(1, 2), randn({3, 7, 4}, at::kBFloat16),
               "bf16 batched, A transposed");
  check_matmul(randn({64, 512}, at::kBFloat16), randn({512, 96}, at::kBFloat16), "bf16 64x512x96");
}

// f16 products on the cooperative-matrix kernel (shaders/matmul_coop.comp) wherever the
// runtime uses it: a device with VK_NV_cooperative_matrix (an NVIDIA GPU), or its emulation
// (THUNDER_VK_COOPERATIVE_MATRIX=emulated: the CoopEmulated. run of these tests, on
// lavapipe in CI). Every f16 product, and only those, runs on it, as the report's kernel
// counts say, and matches float64 by the op database's rule: edges in M, N and K (K not a
// multiple of its 32-deep steps), one whole tile, batches of transposed and expanded
// operands, K = 0, a linear's bias and relu; subnormal f16 inputs that must not be flushed,
// and products whose f16 sum would overflow where the f32 accumulator cancels them.
TEST(SpirvMatmul, CooperativeMatrixKernelTakesEveryHalfProduct) {
  THUNDER_SPIRV_OR_SKIP();
  using thunder::spirv::CooperativeMatrix;
  const thunder::spirv::VulkanRuntime& rt = spirv().runtime();
  if (rt.cooperative_matrix() == CooperativeMatrix::Off) {
    GTEST_SKIP() << "the cooperative-matrix matmul is " << rt.cooperative_matrix_reason()
                 << "; the CoopEmulated. run of this test checks the kernel's emulation";
  }
  // The kernel passed its check against the tiled one when the runtime opened.
  ASSERT_EQ(spirv().cooperative_matmul_failure(), "") << rt.device().name;
  ASSERT_EQ(spirv().matmul_cooperative_matrix(), rt.cooperative_matrix());
  const std::string module = rt.cooperative_matrix() == CooperativeMatrix::On
                                 ? "matmul_coop_f16"
                                 : "matmul_coop_emulated_f16";
  const std::map<std::string, std::size_t> one{{module, 1}};
  at::manual_seed(31);
  const auto half = [](const Shape& shape) { return randn(shape, at::kHalf); };
  const auto check = [&](const at::Tensor& a, const at::Tensor& b, const std::string& what) {
    const MatmulRun r = check_matmul(a, b, what);
    EXPECT_EQ(r.report.kernels, one) << what << ": " << r.report.to_string();
  };
  check(half({1, 1}), half({1, 1}), "1x1x1");
  check(half({33, 17}), half({17, 65}), "odd sizes");
  check(half({64, 32}), half({32, 64}), "one whole tile");
  check(half({65, 33}), half({33, 129}), "one past the tile in M, N and K");
  check(half({128, 256}), half({256, 64}), "128x256x64");
  check(half({3, 40, 7}).transpose(1, 2), half({3, 40, 70}), "batched, A transposed");
  check(half({1, 20, 48}).expand({4, 20, 48}), half({4, 48, 30}).transpose(1, 2).contiguous()
                                                    .transpose(1, 2),
        "A expanded over the batch, B column-major");
  check(half({5, 0}), half({0, 6}), "K = 0");
  // 3e-6 is subnormal in f16 (the smallest normal is 6.1e-5): flushed, the row would be 0.
  check(at::full({16, 48}, 3e-6, at::kHalf), at::full({48, 16}, 1000.0, at::kHalf),
        "subnormal inputs");
  // 300 * 300 = 90000 is past f16's 65504: only an f32 accumulator cancels the pairs to 0.
  at::Tensor big = at::full({16, 64}, 300.0, at::kHalf);
  at::Tensor signs = at::full({64, 16}, 300.0, at::kHalf);
  signs.slice(0, 1, 64, 2).fill_(-300.0);
  const MatmulRun cancel = check_matmul(big, signs, "cancelling products past f16's range");
  EXPECT_EQ(cancel.result.abs().max().item<double>(), 0.0);

  // A linear's bias and relu in the kernel's epilogue, and an f32 product beside it on the
  // tiled kernel.
  thunder::TraceScope scope("linear_relu_half");
  auto px = scope.input_tensor("x", {3, 37, 70}, DType::Float16);
  auto pw = scope.input_tensor("w", {66, 70}, DType::Float16);
  auto pb = scope.input_tensor("b", {66}, DType::Float16);
  auto pf = scope.input_tensor("f", {9, 11}, DType::Float32);
  const Trace trace = scope.finish(thunder::Value(std::vector<thunder::Value>{
      thunder::Value(lt::relu(lt::linear(px, pw, pb))),
      thunder::Value(thunder::prims::matmul(pf, thunder::prims::transpose(pf, {1, 0})))}));
  const at::Tensor x = half({3, 37, 70}), w = half({66, 70}), b = half({66}), f = randn({9, 11});
  TorchFallbackExecutor torch;
  const Trace prepared = thunder::spirv::prepare_spirv_trace(trace, spirv(), torch);
  ExecutionReport report;
  const std::vector<at::Tensor> out = thunder::spirv::run_spirv_trace(
      spirv(), prepared, {x, w, b, f}, &report, /*strict=*/true);
  expect_no_validation_messages();
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(report.kernels, (std::map<std::string, std::size_t>{{module, 1}, {"matmul_f32", 1}}))
      << report.to_string();
  EXPECT_NE(report.to_string().find("kernels: matmul_"), std::string::npos) << report.to_string();
  const at::Tensor reference =
      at::relu(at::linear(x.to(at::kDouble), w.to(at::kDouble), b.to(at::kDouble)));
  const at::Tensor want = at::relu(at::linear(x.to(at::kFloat), w.to(at::kFloat),
                                              b.to(at::kFloat))).to(at::kHalf);
  const thunder::opdb::Comparison c = thunder::opdb::compare(
      out[0], want, reference, thunder::opdb::model_tolerance(DType::Float16));
  EXPECT_TRUE(c.pass) << "f16 linear + relu: " << c.rule << ", max abs " << c.max_abs;
  EXPECT_GT((out[0] == 0).sum().item<std::int64_t>(), 0) << "relu zeroed nothing";
  EXPECT_TRUE(at::allclose(out[1], at::matmul(f, f.t()), 1e-4, 1e-4));
}

// The check a cooperative-matrix kernel passes before it takes any product
// (check_f16_matmul): the tiled kernel and the emulation pass it; a kernel that reads the
// f16 bits as bf16 fails it, naming the first element that differs; a module that does not
// exist is reported, not thrown.
TEST(SpirvMatmul, TheCooperativeKernelsCheckPassesTheRightKernelAndNamesAWrongOne) {
  THUNDER_SPIRV_OR_SKIP();
  thunder::spirv::VulkanRuntime& rt = spirv().runtime();
  const thunder::spirv::DeviceFeatures& f = rt.features();
  if (!(f.storage_buffer_16bit && f.shader_float16 && f.shader_int16)) {
    GTEST_SKIP() << rt.device().name << " lacks 16-bit features: " << f.to_string();
  }
  thunder::spirv::BuiltinKernels& kernels = spirv().builtin_kernels();
  const std::uint64_t held = rt.memory_stats().in_use;
  EXPECT_EQ(thunder::spirv::check_f16_matmul(rt, kernels, "matmul_f16"), "");
  EXPECT_EQ(thunder::spirv::check_f16_matmul(rt, kernels, "matmul_coop_emulated_f16"), "");
  const std::string wrong = thunder::spirv::check_f16_matmul(rt, kernels, "matmul_bf16");
  EXPECT_EQ(wrong.rfind("matmul_bf16 differs from matmul_f16 on [2, 70, 40] x [2, 40, 72] at "
                        "element ",
                        0),
            0u)
      << wrong;
  const std::string missing = thunder::spirv::check_f16_matmul(rt, kernels, "matmul_nothing");
  EXPECT_EQ(missing.rfind("matmul_nothing could not be run: ", 0), 0u) << missing;
  EXPECT_EQ(rt.memory_stats().in_use, held) << "the check holds no memory after it returns";
}

// The exported models: every matmul in the last (fusion) trace is assigned to spirv, none
// to torch, and the outputs match the torch backend.
class SpirvMatmulModels : public ::testing::TestWithParam<std::string> {};

TEST_P(SpirvMatmulModels, RunTheirMatmulsOnSpirv) {
  THUNDER_SPIRV_MODEL_OR_SKIP(path, GetParam());
  const auto compiled = compile_for(path, "spirv");
  const auto reference = compile_for(path, "torch");
  const std::vector<at::Tensor> inputs = thunder::load_sample_inputs(path);
  ASSERT_FALSE(inputs.empty());
  const std::vector<at::Tensor> got = compiled->forward(inputs);
  const std::vector<at::Tensor> want = reference->forward(inputs);
  ASSERT_EQ(got.size(), want.size());
  const thunder::opdb::Tolerance tol = thunder::opdb::model_tolerance(DType::Float32);
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_TRUE(at::allclose(got[i], want[i], tol.rtol, tol.atol))
        << GetParam() << " output " << i << ": max abs "
        << (got[i] - want[i]).abs().max().item<double>();
  }
  const Trace& last = compiled->last_traces().back();
  std::size_t on_spirv = 0, on_torch = 0;
  for (const thunder::BoundSymbol& b : last.bound_symbols) {
    // A linear's product with its bias and relu is one spirv.matmul_epilogue call.
    if (b.symbol->qualified_name() == "spirv.matmul_epilogue") ++on_spirv;
    if (b.symbol->qualified_name() != "prims.matmul") continue;
    ++(b.executor == "spirv" ? on_spirv : on_torch);
  }
  std::cout << "[spirv matmul] " << GetParam() << ": " << on_spirv << " matmuls on spirv, "
            << on_torch << " on torch\n";
  EXPECT_GE(on_spirv, 1u) << last.to_string();
  EXPECT_EQ(on_torch, 0u) << last.to_string();
}

INSTANTIATE_TEST_SUITE_P(Models, SpirvMatmulModels,
                         ::testing::Values("mlp", "attention", "cnn", "gpt2"));

} // namespace
