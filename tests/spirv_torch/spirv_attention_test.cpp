// ltorch.scaled_dot_product_attention on the spirv executor's fused kernel
// (shaders/attention.comp) on the machine's Vulkan device (lavapipe in CI), with the cases
// the cuda kernel is tested on (tests/common/attention_cases.h): f32, f16 and bf16 against
// torch's float64 result by the op database's rule; causal with L == S and L != S; bool and
// additive masks (broadcast, transposed, fully masked rows, a bool mask of an odd number of
// bytes, which the kernel reads as words); q, k and v read through strides (transposed,
// expanded); a bool mask read through a view at an odd byte offset of a device value;
// grouped query attention; no keys; a NaN among the keys that is_causal masks, which
// reaches its row as in torch. The call stays one bound symbol on spirv, with no
// region and nothing on torch; what the kernel does not take (three batch dims, E > 128,
// float64, the option or THUNDER_VK_FUSED_ATTENTION off) is decomposed and still right. The
// host side's 32-bit and grid limits are errors, and a run over them falls back to torch,
// reported. With THUNDER_VK_VALIDATION=1 (ctest sets it) the validation layer must report
// nothing. Without a Vulkan device the tests skip with the runtime's reason.
#include "thunder/core/error.h"
#include "thunder/executors/codegen/attention.h"
#include "thunder/executors/spirv/spirv_torch.h"
#include "thunder/ops/ltorch.h"
#include "thunder/ops/prims.h"

#include "spirv_torch_test_util.h"
#include "../common/attention_cases.h"
#include "../common/scoped_env.h"
#include "../../src/executors/spirv/builtin_kernels.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace {

using thunder::BoundSymbol;
using thunder::Trace;
using thunder::codegen::is_attention;
using thunder::spirv::ExecutionReport;
using thunder::spirv::SpirvExecutor;
using thunder::spirv::TorchFallbackExecutor;
using thunder::spirv::testing::spirv;
using Case = thunder::testing::AttentionCase;
using thunder::testing::expect_attention_matches;
using thunder::testing::NamedAttentionCases;

at::Tensor randn(at::IntArrayRef shape, at::ScalarType dtype) {
  return thunder::testing::randn_of(shape, dtype);
}

struct Ran {
  at::Tensor out;
  Trace prepared;
  ExecutionReport report;
};

// The case prepared and run on `executor`; strict unless a fallback is what the test wants.
Ran run(const SpirvExecutor& executor, const Case& c, bool strict = true) {
  Ran r;
  TorchFallbackExecutor torch;
  r.prepared =
      thunder::spirv::prepare_spirv_trace(thunder::testing::attention_trace(c), executor, torch);
  executor.runtime().clear_validation_messages();
  r.out =
      thunder::spirv::run_spirv_trace(executor, r.prepared, c.inputs(), &r.report, strict).at(0);
  if (executor.runtime().validation_enabled()) {
    EXPECT_EQ(executor.runtime().validation_messages(), std::vector<std::string>{});
  }
  return r;
}

// The call stayed whole and ran on spirv as the fused kernel: one bound symbol, nothing on
// torch, no generated region.
void expect_fused(const Ran& r) {
  std::size_t calls = 0;
  for (const BoundSymbol& b : r.prepared.bound_symbols) {
    if (b.symbol == &thunder::python_del()) continue;
    EXPECT_TRUE(is_attention(b) && b.executor == "spirv") << r.prepared.to_string();
    ++calls;
  }
  EXPECT_EQ(calls, 1u) << r.prepared.to_string();
  EXPECT_EQ(r.report.regions, 0u) << r.report.to_string();
  EXPECT_EQ(r.report.prims.count("torch"), 0u) << r.report.to_string();
  EXPECT_GT(r.report.prims.count("spirv"), 0u) << r.report.to_string();
  EXPECT_TRUE(r.report.fallbacks.empty()) << r.report.to_string();
}

// Runs the case on spirv, expects it fused and matching the reference; returns the run's
// report (empty where the run threw).
ExecutionReport check(const Case& c, const std::string& what) {
  SCOPED_TRACE(what);
  Ran r;
  try {
    r = run(spirv(), c);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "the run threw: " << e.what();
    return {};
  }
  expect_fused(r);
  expect_attention_matches(c, r.out, what);
  return r.report;
}

// The dtypes the device stores: f32, and f16 and bf16 where it has 16-bit storage.
std::vector<at::ScalarType> dtypes() {
  std::vector<at::ScalarType> out{at::kFloat};
  if (spirv().runtime().features().storage_buffer_16bit) {
    out.push_back(at::kHalf);
    out.push_back(at::kBFloat16);
  } else {
    std::cout << "[spirv attention] f16 and bf16 not run: no 16-bit storage on "
              << spirv().runtime().device().name << "\n";
  }
  return out;
}

class SpirvAttention : public ::testing::Test {
protected:
  void SetUp() override {
    if (const thunder::Availability a = spirv().availability(); !a.available)
      GTEST_SKIP() << "spirv executor not available here: " << a.reason;
    at::manual_seed(7);
  }
};

TEST_F(SpirvAttention, PlainScaledAndOddSizesMatchTheReference) {
  for (const at::ScalarType dt : dtypes()) {
    const std::string name = std::string(c10::toString(dt));
    check({randn({2, 3, 7, 64}, dt), randn({2, 3, 70, 64}, dt), randn({2, 3, 70, 64}, dt)},
          name + " L=7 S=70 E=64");
    Case scaled{randn({3, 33, 32}, dt), randn({3, 40, 32}, dt), randn({3, 40, 32}, dt)};
    scaled.scale = 0.3;
    check(scaled, name + " rank 3, scale 0.3");
    check({randn({1, 2, 65, 128}, dt), randn({1, 2, 17, 128}, dt), randn({1, 2, 17, 128}, dt)},
          name + " L=65 (two workgroups) S=17 E=128");
    check({randn({2, 2, 1, 8}, dt), randn({2, 2, 1, 8}, dt), randn({2, 2, 1, 6}, dt)},
          name + " L=S=1, E=8, Ev=6");
    check({randn({5, 16}, dt), randn({9, 16}, dt), randn({9, 100}, dt)}, name + " 2-D, Ev=100");
    Case no_dropout{randn({1, 1, 4, 8}, dt), randn({1, 1, 5, 8}, dt), randn({1, 1, 5, 8}, dt)};
    no_dropout.dropout = -0.5;
    check(no_dropout, name + " negative dropout_p (no dropout)");
  }
}

// E = Ev = 64 runs the variant whose loops over the head dim are unrolled (attention_*_e64),
// any other head dims the general one; the report names the module. Masks, causal, keys
// read through strides, GQA, and S not a multiple of the kernel's 16-key chunks.
TEST_F(SpirvAttention, HeadDim64RunsTheUnrolledVariant) {
  for (const at::ScalarType dt : dtypes()) {
    const std::string name = std::string(c10::toString(dt));
    const thunder::DType dtype = thunder::from_scalar_type(dt);
    const std::string e64 = thunder::spirv::attention_module({.dtype = dtype, .e = 64, .ev = 64});
    const auto expect_module = [&](const ExecutionReport& report, const std::string& module,
                                   const std::string& what) {
      EXPECT_EQ(report.kernels, (std::map<std::string, std::size_t>{{module, 1}}))
          << what << ": " << report.to_string();
    };
    NamedAttentionCases cases = thunder::testing::attention_mask_cases(dt, 2, 3, 21, 37, 64);
    for (auto& named : thunder::testing::attention_strided_cases(dt, 19, 23, 64))
      cases.push_back(std::move(named));
    for (auto& named : thunder::testing::attention_gqa_cases(dt, 64))
      cases.push_back(std::move(named));
    Case causal{randn({1, 2, 40, 64}, dt), randn({1, 2, 33, 64}, dt), randn({1, 2, 33, 64}, dt)};
    causal.causal = true;
    cases.push_back({name + " causal L=40 S=33", causal});
    for (const auto& [what, c] : cases)
      expect_module(check(c, what + " E=64"), e64, what);
    // E = 64 with Ev = 32, and E = 32 with Ev = 64: the general variant.
    const std::string general =
        thunder::spirv::attention_module({.dtype = dtype, .e = 64, .ev = 32});
    EXPECT_EQ(general + "_e64", e64);
    expect_module(check({randn({1, 2, 9, 64}, dt), randn({1, 2, 17, 64}, dt),
                         randn({1, 2, 17, 32}, dt)},
                        name + " E=64 Ev=32"),
                  general, "E=64 Ev=32");
    expect_module(check({randn({1, 2, 9, 32}, dt), randn({1, 2, 17, 32}, dt),
                         randn({1, 2, 17, 64}, dt)},
                        name + " E=32 Ev=64"),
                  general, "E=32 Ev=64");
  }
}

TEST_F(SpirvAttention, Causal) {
  for (const at::ScalarType dt : dtypes()) {
    const std::string name = std::string(c10::toString(dt));
    for (const auto& [l, s] : {std::pair<std::int64_t, std::int64_t>{40, 40}, {7, 40}, {40, 7}}) {
      Case c{randn({2, 2, l, 32}, dt), randn({2, 2, s, 32}, dt), randn({2, 2, s, 32}, dt)};
      c.causal = true;
      check(c, name + " causal L=" + std::to_string(l) + " S=" + std::to_string(s));
    }
  }
}

TEST_F(SpirvAttention, Masks) {
  // [L, S] = [21, 37]: the bool mask is 777 bytes, not whole words.
  for (const at::ScalarType dt : dtypes()) {
    for (const auto& [name, c] : thunder::testing::attention_mask_cases(dt, 2, 3, 21, 37, 16))
      check(c, name);
  }
}

TEST_F(SpirvAttention, FullyMaskedRowsGiveZerosAsTorch) {
  for (const at::ScalarType dt : dtypes()) {
    SCOPED_TRACE(c10::toString(dt));
    const Case c = thunder::testing::attention_fully_masked_case(dt);
    const Ran r = run(spirv(), c);
    expect_fused(r);
    thunder::testing::expect_fully_masked_row_zeros(c, r.out);
  }
}

TEST_F(SpirvAttention, NanStaysNanAlsoWhereCausalMasksIt) {
  Case c{randn({1, 5, 16}, at::kFloat), randn({1, 9, 16}, at::kFloat),
         randn({1, 9, 16}, at::kFloat)};
  c.q[0][1][4] = std::numeric_limits<float>::quiet_NaN();
  Ran r = run(spirv(), c);
  expect_fused(r);
  at::Tensor ref = thunder::testing::attention_reference(c, true);
  EXPECT_TRUE(at::equal(r.out.isnan(), ref.isnan())) << r.out << "\n" << ref;
  // A NaN in key 3, which is_causal masks for queries 0 to 2: torch adds -inf to it, and
  // NaN + -inf is NaN, so every row is NaN; a kernel that skipped masked keys would not be.
  Case causal{randn({1, 5, 16}, at::kFloat), randn({1, 5, 16}, at::kFloat),
              randn({1, 5, 16}, at::kFloat)};
  causal.causal = true;
  causal.k[0][3][0] = std::numeric_limits<float>::quiet_NaN();
  r = run(spirv(), causal);
  expect_fused(r);
  ref = thunder::testing::attention_reference(causal, true);
  EXPECT_TRUE(at::equal(r.out.isnan(), ref.isnan())) << r.out << "\n" << ref;
}

TEST_F(SpirvAttention, StridedOperandsAreReadInPlace) {
  for (const at::ScalarType dt : dtypes()) {
    for (const auto& [name, c] : thunder::testing::attention_strided_cases(dt, 19, 23, 16)) {
      check(c, name);
      if (name.find("transposed q, k, v") == std::string::npos) continue;
      // q, k and v as transposes of [B, L, H, E]: uploaded as they lie, no contiguous copies,
      // so what was uploaded is the three spans.
      const Ran r = run(spirv(), c);
      std::int64_t spans = 0;
      for (const at::Tensor& t : {c.q, c.k, c.v})
        spans += t.numel() * t.element_size();
      EXPECT_EQ(r.report.uploaded_bytes, static_cast<std::uint64_t>(spans))
          << name << ": " << r.report.to_string();
    }
  }
}

TEST_F(SpirvAttention, GroupedQueryAttention) {
  for (const at::ScalarType dt : dtypes()) {
    for (const auto& [name, c] : thunder::testing::attention_gqa_cases(dt, 16))
      check(c, name);
  }
}

TEST_F(SpirvAttention, NoKeysGiveZeros) {
  const Case c{randn({2, 5, 16}, at::kFloat), randn({2, 0, 16}, at::kFloat),
               randn({2, 0, 16}, at::kFloat)};
  const Ran r = run(spirv(), c);
  expect_fused(r);
  EXPECT_TRUE(at::equal(r.out, at::zeros({2, 5, 16}))) << r.out;
}

// What the kernel does not take is decomposed as before (and still right); what the option
// or the variable turns off too.
TEST_F(SpirvAttention, OtherCallsAreDecomposed) {
  const auto expect_decomposed = [](const SpirvExecutor& executor, const Case& c,
                                    const std::string& what) {
    SCOPED_TRACE(what);
    const Ran r = run(executor, c);
    for (const BoundSymbol& b : r.prepared.bound_symbols)
      EXPECT_FALSE(is_attention(b)) << r.prepared.to_string();
    EXPECT_GT(r.report.regions, 0u) << r.report.to_string();
    expect_attention_matches(c, r.out, what);
  };
  const auto small = [](at::ScalarType dt) {
    return Case{randn({1, 4, 8}, dt), randn({1, 5, 8}, dt), randn({1, 5, 8}, dt)};
  };
  expect_decomposed(spirv(),
                    {randn({2, 2, 2, 4, 8}, at::kFloat), randn({2, 2, 2, 5, 8}, at::kFloat),
                     randn({2, 2, 2, 5, 8}, at::kFloat)},
                    "three batch dims");
  expect_decomposed(spirv(),
                    {randn({1, 4, 160}, at::kFloat), randn({1, 5, 160}, at::kFloat),
                     randn({1, 5, 160}, at::kFloat)},
                    "E=160 > 128");
  if (spirv().runtime().features().shader_float64) {
    expect_decomposed(spirv(), small(at::kDouble), "float64");
  }
  const SpirvExecutor off(thunder::spirv::RuntimeOptions{.fused_attention = 0});
  expect_decomposed(off, small(at::kFloat), "fused_attention = 0");
  const thunder::testing::ScopedEnv env("THUNDER_VK_FUSED_ATTENTION", "0");
  const SpirvExecutor env_off;
  expect_decomposed(env_off, small(at::kFloat), "THUNDER_VK_FUSED_ATTENTION=0");
}

// A bool mask the device computed, read through a view at an odd byte offset (a slice of a
// comparison's result, which rematerialize gives the attention as strides over the
// comparison's buffer): the kernel reads it out of 32-bit words.
TEST_F(SpirvAttention, AMaskViewAtAnOddByteOffsetOfADeviceValue) {
  const std::int64_t l = 5, s = 9, e = 8;
  thunder::TraceScope scope("masked_view");
  const auto q = scope.input_tensor("q", {2, l, e}, thunder::DType::Float32);
  const auto k = scope.input_tensor("k", {2, s, e}, thunder::DType::Float32);
  const auto v = scope.input_tensor("v", {2, s, e}, thunder::DType::Float32);
  const auto a = scope.input_tensor("a", {l, s + 1}, thunder::DType::Float32);
  const auto b = scope.input_tensor("b", {l, s + 1}, thunder::DType::Float32);
  const auto keep = thunder::prims::slice(thunder::prims::gt(a, b), {0, 1}, {l, s + 1}, {1, 1});
  const Trace trace = scope.finish(thunder::Value(thunder::ltorch::scaled_dot_product_attention(
      q, k, v, keep, 0.0, false, thunder::Value(), false)));
  const at::Tensor tq = randn({2, l, e}, at::kFloat), tk = randn({2, s, e}, at::kFloat),
                   tv = randn({2, s, e}, at::kFloat), ta = randn({l, s + 1}, at::kFloat),
                   tb = randn({l, s + 1}, at::kFloat);
  TorchFallbackExecutor torch;
  const Trace prepared = thunder::spirv::prepare_spirv_trace(trace, spirv(), torch);
  // The slice stays a view prim of spirv's, read in place, not a copy in a region.
  bool view = false;
  for (const BoundSymbol& bsym : prepared.bound_symbols) {
    view = view || (bsym.symbol == &thunder::prims::symbol(thunder::prims::PrimId::slice) &&
                    bsym.executor == "spirv");
  }
  EXPECT_TRUE(view) << prepared.to_string();
  ExecutionReport report;
  const at::Tensor out = thunder::spirv::run_spirv_trace(spirv(), prepared, {tq, tk, tv, ta, tb},
                                                         &report, /*strict=*/true)
                             .at(0);
  EXPECT_EQ(report.prims.count("torch"), 0u) << report.to_string();
  const Case c{tq, tk, tv, (ta > tb).slice(1, 1)};
  expect_attention_matches(c, out, "a bool mask sliced at byte 1 of a device value");
}

// A call the kernel cannot dispatch (here 70000 batch elements, past the 65535 workgroups
// every device allows in z) runs on torch, reported as a fallback, and is right; with
// strict it is the error.
TEST_F(SpirvAttention, ACallPastTheGridLimitsFallsBackToTorchReported) {
  const Case c{randn({70000, 1, 1, 8}, at::kFloat), randn({70000, 1, 3, 8}, at::kFloat),
               randn({70000, 1, 3, 8}, at::kFloat)};
  const Ran r = run(spirv(), c, /*strict=*/false);
  ASSERT_EQ(r.report.fallbacks.size(), 1u) << r.report.to_string();
  EXPECT_EQ(r.report.fallbacks[0].op, "ltorch.scaled_dot_product_attention");
  EXPECT_NE(r.report.fallbacks[0].reason.find("workgroups"), std::string::npos)
      << r.report.fallbacks[0].reason;
  EXPECT_GT(r.report.prims.count("torch"), 0u) << r.report.to_string();
  expect_attention_matches(c, r.out, "on torch");
  EXPECT_THROW(run(spirv(), c, /*strict=*/true), thunder::UnsupportedError);
}

TEST(SpirvAttentionDispatch, IndicesPast32BitsAndTooManyWorkgroupsAreUnsupported) {
  thunder::codegen::AttentionCall call;
  call.l = 10;
  call.s = 12;
  call.e = 8;
  call.ev = 8;
  call.batch = {2, 3};
  const auto contiguous = [](std::int64_t rows, std::int64_t cols) {
    return std::vector<std::int64_t>{3 * rows * cols, rows * cols, cols, 1};
  };
  thunder::codegen::AttentionStrides st;
  st.q = contiguous(10, 8);
  st.k = contiguous(12, 8);
  st.v = contiguous(12, 8);
  st.mask.assign(4, 0);
  const auto d = thunder::spirv::plan_attention_dispatch(call, st, {});
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->groups_x, 1u);
  EXPECT_EQ(d->groups_y, 3u);
  EXPECT_EQ(d->groups_z, 2u);
  EXPECT_EQ(d->push.k.inner, 96u);
  EXPECT_FLOAT_EQ(d->push.scale, 1.0f);

  thunder::codegen::AttentionStrides wide = st;
  wide.k[0] = std::int64_t{1} << 32; // the second batch element's keys past 2^32
  try {
    thunder::spirv::plan_attention_dispatch(call, wide, {});
    ADD_FAILURE() << "no error for a key offset past 32 bits";
  } catch (const thunder::UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("the last element offset of the key"), std::string::npos)
        << e.what();
  }
  thunder::codegen::AttentionCall many = call;
  many.batch = {70000, 1};
  EXPECT_THROW(thunder::spirv::plan_attention_dispatch(many, st, {}), thunder::UnsupportedError);
  many.batch = {2, 3};
  many.l = 0;
  EXPECT_FALSE(thunder::spirv::plan_attention_dispatch(many, st, {}).has_value());
}

} // namespace
