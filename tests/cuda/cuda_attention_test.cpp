// The cuda executor's fused attention (fused_attention.h, kernels/attention.cu), run on
// thunder's CUDA host emulator: ltorch.scaled_dot_product_attention in f16, bf16 and f32
// against torch's float64 result by the op database's tolerance rule, for causal (L == S
// and L != S), bool and additive masks (broadcast, fully masked rows), strided operands,
// head dims that fill the kernel's tiles and ones that do not, lengths around the tile
// sizes, grouped query attention; that the trace keeps the call whole on cuda; that what the
// kernel does not take is decomposed as before; and that every variant NVRTC-compiles for
// sm_80 and sm_90. Where the machine has a GPU, the cases run there too. Skipped with the
// reason where NVRTC is missing.
#include "thunder/core/error.h"
#include "thunder/core/tracing.h"
#include "thunder/executors/codegen/kernel_ir.h"
#include "thunder/executors/cuda/cuda_torch.h"
#include "thunder/executors/cuda/fused_attention.h"
#include "thunder/opdb/opdb.h"
#include "thunder/ops/ltorch.h"

#include "../common/attention_cases.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <vector>

namespace thunder::cuda {
namespace {

namespace lt = thunder::ltorch;

CudaExecutorOptions emulator_options(std::optional<bool> fused = std::nullopt) {
  CudaExecutorOptions options;
  options.runtime.driver_library = THUNDER_CUDA_EMULATOR;
  options.fused_attention = fused;
  return options;
}

const CudaExecutor& emulator() {
  static const CudaExecutor cuda(emulator_options());
  return cuda;
}

// The machine's GPU, where it has one (not the emulator): check() runs every case there
// too, so a GPU machine's run of these tests checks the kernel on the device.
const CudaExecutor* gpu() {
  static const CudaExecutor cuda;
  static const bool usable = [] {
    const Availability a = cuda.availability();
    return a.available && !cuda.runtime().emulated();
  }();
  return usable ? &cuda : nullptr;
}

#define THUNDER_EMULATOR_OR_SKIP()                                                                 \
  do {                                                                                             \
    const Availability a = emulator().availability();                                              \
    if (!a.available) {                                                                            \
      if (std::getenv("THUNDER_EXPECT_NVRTC") != nullptr) FAIL() << a.reason;                      \
      GTEST_SKIP() << "the emulated cuda executor is not available: " << a.reason;                 \
    }                                                                                              \
  } while (0)

using Case = thunder::testing::AttentionCase;
using thunder::testing::dtype_of;
using thunder::testing::expect_attention_matches;

struct Ran {
  at::Tensor out;
  Trace prepared;
  ExecutionReport report;
};

Ran run(const CudaExecutor& cuda, const Case& c) {
  Ran r;
  r.prepared =
      prepare_cuda_trace(thunder::testing::attention_trace(c), cuda, TorchFallbackExecutor());
  r.out = run_cuda_trace(cuda, r.prepared, c.inputs(), &r.report, /*strict=*/true).at(0);
  return r;
}

at::Tensor reference(const Case& c, bool float64) {
  return thunder::testing::attention_reference(c, float64);
}

// The call stayed whole and ran on cuda as the fused kernel: one bound symbol, nothing on
// torch, no generated region.
void expect_fused(const Ran& r) {
  std::size_t calls = 0;
  for (const BoundSymbol& b : r.prepared.bound_symbols) {
    if (b.symbol == &python_del()) continue;
    EXPECT_TRUE(is_attention(b) && b.executor == "cuda") << r.prepared.to_string();
    ++calls;
  }
  EXPECT_EQ(calls, 1u) << r.prepared.to_string();
  EXPECT_EQ(r.report.regions, 0u) << r.report.to_string();
  EXPECT_EQ(r.report.prims.count("torch"), 0u) << r.report.to_string();
  EXPECT_GT(r.report.prims.count("cuda"), 0u) << r.report.to_string();
  EXPECT_TRUE(r.report.fallbacks.empty()) << r.report.to_string();
}

void expect_matches(const Case& c, const at::Tensor& out, const std::string& what) {
  expect_attention_matches(c, out, what);
}

at::Tensor randn(at::IntArrayRef shape, at::ScalarType dtype) {
  return thunder::testing::randn_of(shape, dtype);
}

void check(const Case& c, const std::string& what) {
  SCOPED_TRACE(what);
  for (const CudaExecutor* cuda : {&emulator(), gpu()}) {
    if (cuda == nullptr) continue;
    const std::string where = cuda == &emulator() ? " (emulator)" : " (GPU)";
    Ran r;
    try {
      r = run(*cuda, c);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "the run threw" << where << ": " << e.what();
      continue;
    }
    expect_fused(r);
    expect_matches(c, r.out.cpu(), what + where);
  }
}

const at::ScalarType kHalfTypes[] = {at::kHalf, at::kBFloat16};

class FusedAttention : public ::testing::Test {
protected:
  void SetUp() override { at::manual_seed(7); }
};

TEST_F(FusedAttention, PlainAndScaledMatchTheReference) {
  THUNDER_EMULATOR_OR_SKIP();
  for (const at::ScalarType dt : {at::kHalf, at::kBFloat16, at::kFloat}) {
    const std::string name = std::string(c10::toString(dt));
    check({randn({2, 3, 7, 64}, dt), randn({2, 3, 130, 64}, dt), randn({2, 3, 130, 64}, dt)},
          name + " L=7 S=130 E=64");
    Case scaled{randn({3, 33, 32}, dt), randn({3, 40, 32}, dt), randn({3, 40, 32}, dt)};
    scaled.scale = 0.3;
    check(scaled, name + " rank 3, scale 0.3");
    Case no_dropout{randn({1, 1, 4, 8}, dt), randn({1, 1, 5, 8}, dt), randn({1, 1, 5, 8}, dt)};
    no_dropout.dropout = -0.5;
    check(no_dropout, name + " negative dropout_p (no dropout)");
  }
}

TEST_F(FusedAttention, HeadDimsAndLengths) {
  THUNDER_EMULATOR_OR_SKIP();
  for (const at::ScalarType dt : kHalfTypes) {
    const std::string name = std::string(c10::toString(dt));
    for (const std::int64_t e : {64, 80, 128}) {
      check({randn({1, 2, 130, e}, dt), randn({1, 2, 130, e}, dt), randn({1, 2, 130, e}, dt)},
            name + " L=S=130 E=" + std::to_string(e));
    }
    check({randn({2, 1, 1, 80}, dt), randn({2, 1, 7, 80}, dt), randn({2, 1, 7, 80}, dt)},
          name + " L=1 S=7 E=80");
    check({randn({2, 2, 1, 8}, dt), randn({2, 2, 1, 8}, dt), randn({2, 2, 1, 6}, dt)},
          name + " L=S=1, E=8, Ev=6");
    check({randn({5, 16}, dt), randn({9, 16}, dt), randn({9, 100}, dt)},
          name + " 2-D, E=16, Ev=100");
    check({randn({2, 1, 2, 3, 5, 40}, dt), randn({1, 2, 3, 6, 40}, dt), randn({3, 6, 40}, dt)},
          name + " 4 batch dims, broadcast");
  }
}

TEST_F(FusedAttention, Causal) {
  THUNDER_EMULATOR_OR_SKIP();
  for (const at::ScalarType dt : {at::kHalf, at::kBFloat16, at::kFloat}) {
    const std::string name = std::string(c10::toString(dt));
    for (const auto& [l, s] :
         {std::pair<std::int64_t, std::int64_t>{130, 130}, {64, 64}, {7, 130}, {130, 7}, {1, 1}}) {
      Case c{randn({2, 2, l, 64}, dt), randn({2, 2, s, 64}, dt), randn({2, 2, s, 64}, dt)};
      c.causal = true;
      check(c, name + " causal L=" + std::to_string(l) + " S=" + std::to_string(s));
    }
  }
}

TEST_F(FusedAttention, Masks) {
  THUNDER_EMULATOR_OR_SKIP();
  for (const at::ScalarType dt : {at::kHalf, at::kBFloat16, at::kFloat}) {
    for (const auto& [name, c] : thunder::testing::attention_mask_cases(dt, 2, 3, 37, 70, 64))
      check(c, name);
  }
}

TEST_F(FusedAttention, FullyMaskedRowsGiveZerosAsTorch) {
  THUNDER_EMULATOR_OR_SKIP();
  for (const at::ScalarType dt : {at::kHalf, at::kBFloat16, at::kFloat}) {
    SCOPED_TRACE(c10::toString(dt));
    const Case c = thunder::testing::attention_fully_masked_case(dt);
    const Ran r = run(emulator(), c);
    expect_fused(r);
    thunder::testing::expect_fully_masked_row_zeros(c, r.out);
  }
}

TEST_F(FusedAttention, NanStaysNan) {
  THUNDER_EMULATOR_OR_SKIP();
  Case c{randn({1, 5, 32}, at::kHalf), randn({1, 9, 32}, at::kHalf), randn({1, 9, 32}, at::kHalf)};
  c.q[0][1][4] = std::numeric_limits<float>::quiet_NaN();
  const Ran r = run(emulator(), c);
  expect_fused(r);
  const at::Tensor ref = reference(c, true);
  EXPECT_TRUE(at::equal(r.out.isnan(), ref.isnan())) << r.out << "\n" << ref;
  expect_matches(c, r.out, "a NaN in a query");
}

TEST_F(FusedAttention, StridedOperands) {
  THUNDER_EMULATOR_OR_SKIP();
  for (const at::ScalarType dt : kHalfTypes) {
    for (const auto& [name, c] : thunder::testing::attention_strided_cases(dt, 45, 50, 64))
      check(c, name);
  }
}

TEST_F(FusedAttention, GroupedQueryAttention) {
  THUNDER_EMULATOR_OR_SKIP();
  for (const at::ScalarType dt : kHalfTypes) {
    for (const auto& [name, c] : thunder::testing::attention_gqa_cases(dt, 64))
      check(c, name);
  }
}

TEST_F(FusedAttention, NoKeysGiveZeros) {
  THUNDER_EMULATOR_OR_SKIP();
  const Case c{randn({2, 5, 16}, at::kHalf), randn({2, 0, 16}, at::kHalf),
               randn({2, 0, 16}, at::kHalf)};
  const Ran r = run(emulator(), c);
  expect_fused(r);
  EXPECT_TRUE(at::equal(r.out, at::zeros({2, 5, 16}, at::kHalf))) << r.out;
}

// What the kernel does not take is decomposed as before (and still right); what the option
// turns off too.
TEST_F(FusedAttention, OtherCallsAreDecomposed) {
  THUNDER_EMULATOR_OR_SKIP();
  const auto expect_decomposed = [](const CudaExecutor& cuda, const Case& c,
                                    const std::string& what) {
    SCOPED_TRACE(what);
    const Ran r = run(cuda, c);
    for (const BoundSymbol& b : r.prepared.bound_symbols)
      EXPECT_FALSE(is_attention(b)) << r.prepared.to_string();
    EXPECT_GT(r.report.regions, 0u) << r.report.to_string();
    expect_matches(c, r.out, what);
  };
  expect_decomposed(
      emulator(),
      {randn({1, 4, 160}, at::kHalf), randn({1, 5, 160}, at::kHalf), randn({1, 5, 160}, at::kHalf)},
      "E=160 > 128");
  expect_decomposed(
      emulator(),
      {randn({1, 4, 8}, at::kDouble), randn({1, 5, 8}, at::kDouble), randn({1, 5, 8}, at::kDouble)},
      "float64");
  const CudaExecutor off(emulator_options(false));
  expect_decomposed(
      off, {randn({1, 4, 8}, at::kHalf), randn({1, 5, 8}, at::kHalf), randn({1, 5, 8}, at::kHalf)},
      "fused_attention = false");
  ASSERT_EQ(::setenv("THUNDER_CUDA_FUSED_ATTENTION", "0", 1), 0);
  const CudaExecutor env_off(emulator_options());
  ASSERT_EQ(::unsetenv("THUNDER_CUDA_FUSED_ATTENTION"), 0);
  EXPECT_FALSE(env_off.fused_attention_enabled());
  EXPECT_TRUE(emulator().fused_attention_enabled());
  expect_decomposed(
      env_off,
      {randn({1, 4, 8}, at::kHalf), randn({1, 5, 8}, at::kHalf), randn({1, 5, 8}, at::kHalf)},
      "THUNDER_CUDA_FUSED_ATTENTION=0");
}

// The reasons plan_fused_attention gives for what it does not take.
TEST(FusedAttentionPlan, SaysWhyNot) {
  const auto why_not = [](const Case& c) {
    const Trace trace = thunder::testing::attention_trace(c);
    std::string reason;
    EXPECT_FALSE(plan_fused_attention(trace.bound_symbols.at(0), &reason).has_value());
    return reason;
  };
  const at::TensorOptions f16 = at::TensorOptions().dtype(at::kHalf);
  EXPECT_NE(why_not({at::zeros({4, 160}, f16), at::zeros({5, 160}, f16), at::zeros({5, 160}, f16)})
                .find("head dims E=160"),
            std::string::npos);
  EXPECT_NE(why_not({at::zeros({4, 8}, at::kDouble), at::zeros({5, 8}, at::kDouble),
                     at::zeros({5, 8}, at::kDouble)})
                .find("dtype float64"),
            std::string::npos);
  EXPECT_NE(why_not({at::zeros({1, 1, 1, 1, 1, 4, 8}, f16), at::zeros({5, 8}, f16),
                     at::zeros({5, 8}, f16)})
                .find("dims (2 to 6 taken)"),
            std::string::npos);
  // dropout_p > 0 stops the trace itself (UnsupportedError), before any executor sees it.
  EXPECT_THROW(thunder::testing::attention_trace({at::zeros({4, 8}, f16), at::zeros({5, 8}, f16), at::zeros({5, 8}, f16),
                         std::nullopt, false, std::nullopt, false, 0.5}),
               UnsupportedError);
  const Trace ok = thunder::testing::attention_trace(
      {at::zeros({2, 3, 4, 8}, f16), at::zeros({2, 3, 5, 8}, f16), at::zeros({2, 3, 5, 6}, f16)});
  const std::optional<AttentionPlan> plan = plan_fused_attention(ok.bound_symbols.at(0));
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(plan->config.head_dim, 32);
  EXPECT_EQ(plan->config.block_m, 64);
  EXPECT_EQ(plan->batch, (Shape{2, 3}));
  EXPECT_DOUBLE_EQ(plan->scale, 1.0 / std::sqrt(8.0));
  EXPECT_EQ(attention_blocks(*plan), 6);
}

// Every variant NVRTC compiles for sm_80 and sm_90 (what CI checks without a GPU).
TEST(FusedAttentionCompile, EveryVariantCompilesForSm80AndSm90) {
  const CudaExecutor cuda;
  try {
    cuda.compiler();
  } catch (const BackendError& e) {
    if (std::getenv("THUNDER_EXPECT_NVRTC") != nullptr) FAIL() << e.what();
    GTEST_SKIP() << "NVRTC not available here: " << e.what();
  }
  std::vector<Case> cases;
  for (const at::ScalarType dt : {at::kHalf, at::kBFloat16, at::kFloat}) {
    const at::TensorOptions o = at::TensorOptions().dtype(dt);
    for (const std::int64_t e : {32, 64, 80, 128})
      cases.push_back(
          {at::zeros({1, 2, 4, e}, o), at::zeros({1, 2, 5, e}, o), at::zeros({1, 2, 5, e}, o)});
    Case causal{at::zeros({4, 64}, o), at::zeros({5, 64}, o), at::zeros({5, 64}, o)};
    causal.causal = true;
    cases.push_back(causal);
    cases.push_back({at::zeros({4, 64}, o), at::zeros({5, 64}, o), at::zeros({5, 64}, o),
                     at::zeros({4, 5}, at::kBool)});
    cases.push_back({at::zeros({4, 64}, o), at::zeros({5, 64}, o), at::zeros({5, 64}, o),
                     at::zeros({4, 5}, at::kFloat)});
    if (dt != at::kFloat) {
      cases.push_back({at::zeros({4, 64}, o), at::zeros({5, 64}, o), at::zeros({5, 64}, o),
                       at::zeros({4, 5}, o)});
    }
  }
  for (const Case& c : cases) {
    const Trace trace = thunder::testing::attention_trace(c);
    const BoundSymbol& call = trace.bound_symbols.at(0);
    ASSERT_TRUE(cuda.claims(call)) << call.call_string();
    for (const GpuArch arch : {GpuArch{8, 0}, GpuArch{9, 0}}) {
      try {
        const auto compiled = cuda.compile_attention_for(call, arch);
        EXPECT_FALSE(compiled->code->image.empty());
      } catch (const ShaderError& e) {
        ADD_FAILURE() << e.what();
      }
    }
  }
}

} // namespace
} // namespace thunder::cuda
