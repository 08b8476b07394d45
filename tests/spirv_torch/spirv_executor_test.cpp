// The spirv executor end to end on the machine's Vulkan device (lavapipe in CI): hand-traced
// functions go through assign_executors([spirv, torch]) + fuse + run_spirv_trace, and are
// checked against torch eager in float64 (opdb::compare, model tolerance), AND against the
// count of prims each executor ran: every prim the kernel IR can compute must have run in a
// spirv kernel, so a silent fallback to torch fails the test. With THUNDER_VK_VALIDATION=1
// (ctest sets it) the validation layer must report nothing. Without a Vulkan device the
// tests skip with the runtime's reason.
#include "thunder/executors/spirv/spirv_torch.h"

#include "thunder/core/error.h"
#include "thunder/core/tracing.h"
#include "thunder/executors/codegen/kernel_ir.h"
#include "thunder/executors/torch_executor.h"
#include "thunder/opdb/opdb.h"
#include "thunder/ops/ltorch.h"

#include "spirv_torch_test_util.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace {

using thunder::DType;
using thunder::Trace;
using thunder::Value;
using thunder::spirv::ExecutionReport;
using thunder::spirv::SpirvExecutor;
using thunder::spirv::TorchFallbackExecutor;
namespace lt = thunder::ltorch;

constexpr DType kF32 = DType::Float32;

using thunder::spirv::testing::spirv;

// The prims of a trace, flattened, and how many of them only torch runs (none: matmuls run
// as the matmul kernel since shaders/matmul.comp; spirv_matmul_test.cpp tests it).
struct PrimCounts {
  std::size_t total = 0;
  std::size_t torch_only = 0;
};
PrimCounts count_prims(const Trace& trace) {
  PrimCounts counts;
  counts.total = thunder::codegen::flatten_to_prims(trace.bound_symbols).size();
  return counts;
}

using Eager = std::function<at::Tensor(const std::vector<at::Tensor>&)>;

struct Outcome {
  ExecutionReport report;
  std::vector<thunder::Fallback> assigned_to_torch;
  Trace prepared;
};

// Runs `trace` through the spirv executor on `inputs` and checks every output against torch
// eager (float32 result and float64 reference); checks the validation layer said nothing.
Outcome run_and_compare(const Trace& trace, const std::vector<at::Tensor>& inputs,
                        const Eager& eager) {
  Outcome o;
  TorchFallbackExecutor torch;
  o.prepared = thunder::spirv::prepare_spirv_trace(trace, spirv(), torch, &o.assigned_to_torch);
  std::vector<c10::IValue> values(inputs.begin(), inputs.end());
  spirv().runtime().clear_validation_messages();
  const std::vector<at::Tensor> result =
      thunder::spirv::run_spirv_trace(spirv(), o.prepared, values, &o.report);

  std::vector<at::Tensor> f64;
  for (const at::Tensor& t : inputs)
    f64.push_back(t.to(at::kDouble));
  const at::Tensor torch_result = eager(inputs);
  const at::Tensor reference = eager(f64);
  EXPECT_EQ(result.size(), 1u);
  if (!result.empty()) {
    const thunder::opdb::Comparison c = thunder::opdb::compare(
        result[0], torch_result, reference, thunder::opdb::model_tolerance(kF32));
    std::cout << "[spirv] " << trace.function_name << ": max abs error " << c.max_abs
              << ", max rel error " << c.max_rel << " (" << c.rule << "); " << o.report.to_string()
              << "\n";
    EXPECT_TRUE(c.pass) << c.rule << ", max abs " << c.max_abs << "\n" << o.prepared.to_string();
  }
  if (spirv().runtime().validation_enabled()) {
    EXPECT_EQ(spirv().runtime().validation_messages(), std::vector<std::string>{});
  } else if (const char* v = std::getenv("THUNDER_VK_VALIDATION"); v && std::string(v) == "1") {
    ADD_FAILURE() << "THUNDER_VK_VALIDATION=1 but the runtime has no validation layer";
  }
  return o;
}

// Every prim ran where it should: in spirv kernels (regions and the matmul kernel), no region
// fell back.
void expect_all_claimed_prims_on_spirv(const Trace& trace, const Outcome& o) {
  const PrimCounts counts = count_prims(trace);
  const auto ran = [&](const std::string& executor) {
    const auto it = o.report.prims.find(executor);
    return it == o.report.prims.end() ? std::size_t{0} : it->second;
  };
  EXPECT_EQ(ran("spirv"), counts.total - counts.torch_only) << o.prepared.to_string();
  EXPECT_EQ(ran("torch"), counts.torch_only) << o.prepared.to_string();
  EXPECT_TRUE(o.report.fallbacks.empty()) << o.report.to_string();
  for (const thunder::Fallback& f : o.assigned_to_torch)
    ADD_FAILURE() << f.op << " assigned to torch: " << f.reason;
  EXPECT_GE(o.report.regions, 1u);
  EXPECT_GE(o.report.batches, 1u);
  EXPECT_LE(o.report.batches, o.report.regions);
}

at::Tensor randn(std::vector<std::int64_t> shape) {
  return at::randn(shape, at::kDouble).to(at::kFloat);
}

TEST(SpirvExecutor, GeluTanhMlpBlockRunsGeluInSpirvRegionsAndMatmulsInTheMatmulKernel) {
  THUNDER_SPIRV_OR_SKIP();
  thunder::TraceScope scope("mlp_block");
  auto x = scope.input_tensor("x", {8, 32}, kF32);
  auto w1 = scope.input_tensor("w1", {64, 32}, kF32);
  auto b1 = scope.input_tensor("b1", {64}, kF32);
  auto w2 = scope.input_tensor("w2", {32, 64}, kF32);
  auto b2 = scope.input_tensor("b2", {32}, kF32);
  const Trace trace = scope.finish(lt::linear(lt::gelu(lt::linear(x, w1, b1), "tanh"), w2, b2));

  at::manual_seed(1);
  const std::vector<at::Tensor> in = {randn({8, 32}), randn({64, 32}), randn({64}), randn({32, 64}),
                                      randn({32})};
  const Outcome o = run_and_compare(trace, in, [](const std::vector<at::Tensor>& t) {
    return at::linear(at::gelu(at::linear(t[0], t[1], t[2]), "tanh"), t[3], t[4]);
  });
  expect_all_claimed_prims_on_spirv(trace, o);
  EXPECT_EQ(o.report.prims.count("torch"), 0u) << o.report.to_string(); // Matmuls too.
  // The gelu's prims (tanh among them) ran inside a spirv region.
  bool tanh_in_spirv_region = false;
  for (const thunder::BoundSymbol& b : o.prepared.bound_symbols) {
    if (b.executor != "spirv") continue;
    for (const thunder::BoundSymbol* p : thunder::codegen::flatten_to_prims(b.subsymbols))
      tanh_in_spirv_region |= p->symbol->qualified_name() == "prims.tanh";
  }
  EXPECT_TRUE(tanh_in_spirv_region) << o.prepared.to_string();
}

TEST(SpirvExecutor, SoftmaxRunsAsOneRegion) {
  THUNDER_SPIRV_OR_SKIP();
  thunder::TraceScope scope("softmax");
  auto x = scope.input_tensor("x", {16, 50}, kF32);
  const Trace trace = scope.finish(lt::softmax(x, 1));
  at::manual_seed(2);
  const Outcome o =
      run_and_compare(trace, {randn({16, 50}) * 4},
                      [](const std::vector<at::Tensor>& t) { return at::softmax(t[0], 1); });
  expect_all_claimed_prims_on_spirv(trace, o);
  EXPECT_EQ(o.report.regions, 1u);
  EXPECT_EQ(o.report.batches, 1u);
}

TEST(SpirvExecutor, LayerNormReductionsRunInSpirv) {
  THUNDER_SPIRV_OR_SKIP();
  thunder::TraceScope scope("layer_norm");
  auto x = scope.input_tensor("x", {4, 10, 32}, kF32);
  auto w = scope.input_tensor("w", {32}, kF32);
  auto b = scope.input_tensor("b", {32}, kF32);
  const Trace trace = scope.finish(lt::layer_norm(x, {32}, w, b, 1e-5));
  at::manual_seed(3);
  const Outcome o = run_and_compare(trace, {randn({4, 10, 32}) * 3 + 1, randn({32}), randn({32})},
                                    [](const std::vector<at::Tensor>& t) {
                                      return at::layer_norm(t[0], {32}, t[1], t[2], 1e-5);
                                    });
  expect_all_claimed_prims_on_spirv(trace, o);
  EXPECT_EQ(o.report.batches, 1u);
}

TEST(SpirvExecutor, BroadcastingElementwiseChain) {
  THUNDER_SPIRV_OR_SKIP();
  thunder::TraceScope scope("chain");
  auto a = scope.input_tensor("a", {4, 1, 8}, kF32);
  auto b = scope.input_tensor("b", {3, 1}, kF32);
  // tanh(a * b + 0.5) - exp(b) / 2, broadcast to [4, 3, 8]
  const Trace trace =
      scope.finish(lt::sub(lt::tanh(lt::add(lt::mul(a, b), 0.5)), lt::div(lt::exp(b), 2.0)));
  at::manual_seed(4);
  const Outcome o = run_and_compare(trace, {randn({4, 1, 8}), randn({3, 1})},
                                    [](const std::vector<at::Tensor>& t) {
                                      return at::tanh(t[0] * t[1] + 0.5) - at::exp(t[1]) / 2.0;
                                    });
  expect_all_claimed_prims_on_spirv(trace, o);
  EXPECT_EQ(o.report.regions, 1u);
}

TEST(SpirvExecutor, TransposedAndExpandedInputsAreReadThroughTheirStrides) {
  THUNDER_SPIRV_OR_SKIP();
  thunder::TraceScope scope("strided");
  auto x = scope.input_tensor("x", {16, 32}, kF32);
  auto y = scope.input_tensor("y", {16, 32}, kF32);
  const Trace trace = scope.finish(lt::add(lt::mul(x, 2.0), lt::tanh(y)));
  at::manual_seed(5);
  const at::Tensor x_t = randn({32, 16}).t();          // strides [1, 16]
  const at::Tensor y_e = randn({32}).expand({16, 32}); // strides [0, 1]
  ASSERT_FALSE(x_t.is_contiguous());
  ASSERT_FALSE(y_e.is_contiguous());
  const Outcome o = run_and_compare(trace, {x_t, y_e}, [](const std::vector<at::Tensor>& t) {
    return t[0] * 2.0 + at::tanh(t[1]);
  });
  expect_all_claimed_prims_on_spirv(trace, o);
}

TEST(SpirvExecutor, SecondRunReusesCachedPipelines) {
  THUNDER_SPIRV_OR_SKIP();
  thunder::TraceScope scope("cached");
  auto x = scope.input_tensor("x", {5, 7}, kF32);
  const Trace trace = scope.finish(lt::exp(lt::neg(x)));
  TorchFallbackExecutor torch;
  const Trace prepared = thunder::spirv::prepare_spirv_trace(trace, spirv(), torch);
  const at::Tensor in = randn({5, 7});
  thunder::spirv::run_spirv_trace(spirv(), prepared, {in});
  const std::size_t size = spirv().pipeline_cache_size();
  const std::size_t hits = spirv().pipeline_cache_hits();
  const std::vector<at::Tensor> out = thunder::spirv::run_spirv_trace(spirv(), prepared, {in});
  EXPECT_EQ(spirv().pipeline_cache_size(), size);
  EXPECT_EQ(spirv().pipeline_cache_hits(), hits + 1);
  EXPECT_TRUE(at::allclose(out[0], at::exp(-in), 1e-5, 1e-6));
}

// "prims.add/f16" -> whether an executor claims it, for a trace's top-level calls and their
// prims; asking for a key the trace does not have is a test failure.
class ClaimTable {
public:
  ClaimTable(const Trace& trace, const SpirvExecutor& executor) {
    const auto note = [&](const thunder::BoundSymbol& b) {
      const auto* t = static_cast<const thunder::TensorProxy*>(b.output_proxies().at(0));
      claimed_[b.symbol->qualified_name() + "/" + std::string(thunder::short_name(t->dtype()))] |=
          executor.claims(b);
    };
    for (const thunder::BoundSymbol& b : trace.bound_symbols) {
      note(b);
      for (const thunder::BoundSymbol* p : thunder::codegen::flatten_to_prims(b.subsymbols))
        note(*p);
    }
  }
  bool claimed(const std::string& key) const {
    const auto it = claimed_.find(key);
    if (it == claimed_.end()) {
      std::string keys;
      for (const auto& [k, v] : claimed_)
        keys += k + (v ? "=claimed " : "=not ");
      ADD_FAILURE() << key << " is not in the trace: " << keys;
      return false;
    }
    return it->second;
  }

private:
  std::map<std::string, bool> claimed_;
};

TEST(SpirvExecutor, ClaimsKernelIrPrimsOfTheDtypesTheDeviceStores) {
  THUNDER_SPIRV_OR_SKIP();
  thunder::TraceScope scope("claims");
  auto a = scope.input_tensor("a", {4, 4}, kF32);
  auto h = scope.input_tensor("h", {4, 4}, DType::Float16);
  auto d = scope.input_tensor("d", {4, 4}, DType::Float64);
  const Trace trace = scope.finish(
      Value(std::vector<Value>{Value(lt::matmul(a, a)), Value(lt::add(h, h)), Value(lt::add(d, d)),
                               Value(lt::gelu(a, "tanh")), Value(lt::add(a, a))}));
  const ClaimTable claims(trace, spirv());
  const auto is_claimed = [&](const std::string& key) { return claims.claimed(key); };
  EXPECT_TRUE(is_claimed("prims.matmul/f32")); // the matmul kernel
  EXPECT_FALSE(is_claimed("ltorch.gelu/f32")); // composites: their prims are offered
  EXPECT_TRUE(is_claimed("prims.tanh/f32"));
  EXPECT_TRUE(is_claimed("prims.add/f32"));
  // f16 adds compute in f32 between converts, which read or write f16 buffers: claimed
  // where the device enables 16-bit storage; f64 where it enables shaderFloat64.
  const thunder::spirv::DeviceFeatures& f = spirv().runtime().features();
  EXPECT_EQ(is_claimed("prims.convert_element_type/f16"), f.storage_buffer_16bit);
  EXPECT_EQ(is_claimed("prims.convert_element_type/f32"), f.storage_buffer_16bit);
  EXPECT_EQ(is_claimed("prims.add/f64"), f.shader_float64);
}

// A device opened without optional features (as a minimal one) stores only f32 and i32: f16,
// f64 and bool prims are not claimed, and a region of them is refused with the feature named.
TEST(SpirvExecutor, MinimalFeaturesClaimOnlyThirtyTwoBitDtypesAndRefuseTheRestClearly) {
  THUNDER_SPIRV_OR_SKIP();
  const SpirvExecutor minimal(thunder::spirv::RuntimeOptions{.minimal_features = 1});
  ASSERT_TRUE(minimal.availability().available);
  EXPECT_EQ(minimal.runtime().features(), thunder::spirv::DeviceFeatures{});
  thunder::TraceScope scope("minimal");
  auto a = scope.input_tensor("a", {4}, kF32);
  auto h = scope.input_tensor("h", {4}, DType::Float16);
  auto d = scope.input_tensor("d", {4}, DType::Float64);
  const Trace trace = scope.finish(Value(std::vector<Value>{
      Value(lt::add(a, a)), Value(lt::neg(h)), Value(lt::neg(d)), Value(lt::gt(a, 0.5))}));
  const ClaimTable claims(trace, minimal);
  const auto is_claimed = [&](const std::string& key) { return claims.claimed(key); };
  EXPECT_TRUE(is_claimed("prims.add/f32"));
  EXPECT_FALSE(is_claimed("prims.neg/f16")); // reads and writes f16
  EXPECT_FALSE(is_claimed("prims.neg/f64"));
  EXPECT_FALSE(is_claimed("prims.gt/b8")); // a bool buffer
  // A region built anyway (as a stale plan would) is refused, naming buffer and feature.
  thunder::TraceScope region_scope("minimal_region");
  auto x = region_scope.input_tensor("x", {4}, DType::Float16);
  const Trace f16_trace = region_scope.finish(lt::neg(x));
  TorchFallbackExecutor torch;
  const Trace prepared = thunder::spirv::prepare_spirv_trace(f16_trace, spirv(), torch);
  const thunder::BoundSymbol* region = nullptr;
  for (const thunder::BoundSymbol& b : prepared.bound_symbols) {
    if (b.executor == "spirv") region = &b;
  }
  ASSERT_NE(region, nullptr) << prepared.to_string();
  try {
    minimal.compile(*region);
    FAIL() << "an f16 region compiled on a device without 16-bit storage";
  } catch (const thunder::UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("needs the Vulkan feature storageBuffer16BitAccess"),
              std::string::npos)
        << e.what();
  }
}

TEST(SpirvExecutor, BoolTensorsRunOnSpirvWhereTheDeviceStoresBytes) {
  THUNDER_SPIRV_OR_SKIP();
  thunder::TraceScope scope("bool_out");
  auto x = scope.input_tensor("x", {6}, kF32);
  const Trace trace = scope.finish(lt::gt(lt::tanh(x), 0.25));
  TorchFallbackExecutor torch;
  std::vector<thunder::Fallback> assigned;
  const Trace prepared = thunder::spirv::prepare_spirv_trace(trace, spirv(), torch, &assigned);
  const at::Tensor in = randn({6});
  ExecutionReport report;
  const std::vector<at::Tensor> out =
      thunder::spirv::run_spirv_trace(spirv(), prepared, {in}, &report);
  EXPECT_TRUE(at::equal(out[0], at::tanh(in) > 0.25));
  EXPECT_TRUE(report.fallbacks.empty()) << report.to_string();
  if (spirv().runtime().features().storage_buffer_8bit) {
    EXPECT_EQ(report.prims.at("spirv"), 2u) << report.to_string(); // tanh, gt writing bool
    EXPECT_EQ(report.prims.count("torch"), 0u) << report.to_string();
    EXPECT_TRUE(assigned.empty());
  } else {
    EXPECT_EQ(report.prims.at("spirv"), 1u) << report.to_string(); // tanh
    EXPECT_EQ(report.prims.at("torch"), 1u) << report.to_string(); // gt, writing bool
    ASSERT_EQ(assigned.size(), 1u);
    EXPECT_EQ(assigned[0].op, "prims.gt");
  }
}

// A region that binds more storage buffers than the device allows (32 on lavapipe) is run
// in parts, each a pipeline of its own, in one batch.
TEST(SpirvExecutor, RegionPastTheDeviceBufferLimitRunsInParts) {
  THUNDER_SPIRV_OR_SKIP();
  constexpr int kInputs = 40;
  thunder::TraceScope scope("many_inputs");
  std::vector<thunder::TensorProxyPtr> xs;
  for (int i = 0; i < kInputs; ++i)
    xs.push_back(scope.input_tensor("x" + std::to_string(i), {8}, kF32));
  Value sum = xs[0];
  for (int i = 1; i < kInputs; ++i)
    sum = lt::add(sum, xs[i]);
  const Trace trace = scope.finish(sum);
  TorchFallbackExecutor torch;
  const Trace prepared = thunder::spirv::prepare_spirv_trace(trace, spirv(), torch);
  std::vector<c10::IValue> inputs;
  at::Tensor expected;
  for (int i = 0; i < kInputs; ++i) {
    const at::Tensor t = randn({8});
    expected = i == 0 ? t : expected + t;
    inputs.emplace_back(t);
  }
  ExecutionReport report;
  spirv().runtime().clear_validation_messages();
  const std::vector<at::Tensor> out =
      thunder::spirv::run_spirv_trace(spirv(), prepared, inputs, &report, /*strict=*/true);
  EXPECT_TRUE(at::allclose(out[0], expected, 1e-5, 1e-5));
  EXPECT_TRUE(report.fallbacks.empty()) << report.to_string();
  EXPECT_EQ(report.prims.at("spirv"), static_cast<std::size_t>(kInputs - 1));
  EXPECT_EQ(report.prims.count("torch"), 0u);
  EXPECT_EQ(report.batches, 1u);
  if (report.regions > 1) {
    EXPECT_EQ(report.barriers, report.regions - 1) << report.to_string();
  }
  std::cout << "[spirv] many_inputs: " << report.to_string() << "\n";
  EXPECT_EQ(spirv().runtime().validation_messages(), std::vector<std::string>{});
}

// A prim in a spirv region that cannot run alone (here a comparison writing a bool buffer on
// a device opened without 8-bit storage, put in the region by hand) runs on torch and is
// reported; the rest stays on spirv. Strict mode makes it an error.
TEST(SpirvExecutor, PrimThatCannotRunAloneFallsBackToTorchAndSaysSo) {
  THUNDER_SPIRV_OR_SKIP();
  static const std::unique_ptr<SpirvExecutor> minimal = [] {
    auto opened =
        std::make_unique<SpirvExecutor>(thunder::spirv::RuntimeOptions{.minimal_features = 1});
    opened->availability(); // opened in the initializer, as spirv()'s
    return opened;
  }();
  const auto spirv = [&]() -> SpirvExecutor& { return *minimal; };
  thunder::TraceScope scope("bool_in_region");
  auto x = scope.input_tensor("x", {6}, kF32);
  const Trace trace = scope.finish(lt::gt(lt::exp(lt::tanh(x)), 1.25));
  TorchFallbackExecutor torch;
  Trace prepared = thunder::spirv::prepare_spirv_trace(trace, spirv(), torch);
  ASSERT_EQ(prepared.bound_symbols.size(), 2u) << prepared.to_string();
  thunder::BoundSymbol& region = prepared.bound_symbols[0];
  thunder::BoundSymbol gt = prepared.bound_symbols[1];
  ASSERT_EQ(gt.symbol->qualified_name(), "prims.gt");
  gt.executor = "spirv";
  region.subsymbols.push_back(gt);
  region.output = gt.output;
  prepared.bound_symbols.pop_back();

  const at::Tensor in = randn({6});
  ExecutionReport report;
  const std::vector<at::Tensor> out =
      thunder::spirv::run_spirv_trace(spirv(), prepared, {in}, &report);
  EXPECT_TRUE(at::equal(out[0], at::exp(at::tanh(in)) > 1.25));
  ASSERT_EQ(report.fallbacks.size(), 1u) << report.to_string();
  EXPECT_EQ(report.fallbacks[0].op, "spirv.fusion0");
  EXPECT_NE(report.fallbacks[0].reason.find("bool[6]"), std::string::npos)
      << report.fallbacks[0].reason;
  EXPECT_EQ(report.prims.at("spirv"), 2u) << report.to_string(); // tanh, exp
  EXPECT_EQ(report.prims.at("torch"), 1u) << report.to_string(); // gt
  try {
    thunder::spirv::run_spirv_trace(spirv(), prepared, {in}, nullptr, /*strict=*/true);
    ADD_FAILURE() << "strict run did not throw";
  } catch (const thunder::UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("spirv executor: region spirv.fusion0"), std::string::npos)
        << e.what();
  }
}

TEST(SpirvExecutor, UnknownDeviceIsUnavailableWithTheRuntimesReason) {
  THUNDER_SPIRV_OR_SKIP();
  thunder::spirv::RuntimeOptions options;
  options.device = "no-such-device-xyz";
  const SpirvExecutor missing(options);
  const thunder::Availability a = missing.availability();
  EXPECT_FALSE(a.available);
  EXPECT_NE(a.reason.find("no-such-device-xyz"), std::string::npos) << a.reason;
  EXPECT_THROW(missing.runtime(), thunder::BackendError);
}

} // namespace
