// Views read in place on spirv: a linear's transposed weight and attention's transposed keys
// are no region outputs; the matmul kernel reads the weight (a trace input) and the keys (a
// matmul's output, still on the device) through strides, and the run's peak device memory
// stays within the buffers the shapes need. The exported models hold at most what eager
// PyTorch holds. Results against float64 torch; with
// THUNDER_VK_VALIDATION=1 (ctest sets it) the validation layer must report nothing.
#include "thunder/compile.h"
#include "thunder/core/tracing.h"
#include "thunder/executors/spirv/spirv_torch.h"
#include "thunder/ops/ltorch.h"
#include "thunder/ops/prims.h"
#include "thunder/passes/assign_executors.h"
#include "thunder/passes/buffer_lifetimes.h"
#include "thunder/passes/fusion.h"
#include "thunder/passes/rematerialization.h"

#include "spirv_torch_test_util.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace {

using thunder::BoundSymbol;
using thunder::DType;
using thunder::Trace;
using thunder::spirv::ExecutionReport;
using thunder::spirv::TorchFallbackExecutor;
namespace lt = thunder::ltorch;
namespace prims = thunder::prims;
using thunder::spirv::testing::compile_for;
using thunder::spirv::testing::spirv;

using Shape = std::vector<std::int64_t>;

std::uint64_t f32_bytes(const Shape& shape) {
  std::uint64_t n = 4;
  for (const std::int64_t s : shape)
    n *= static_cast<std::uint64_t>(s);
  return n;
}

void expect_no_validation_messages() {
  if (spirv().runtime().validation_enabled()) {
    EXPECT_EQ(spirv().runtime().validation_messages(), std::vector<std::string>{});
  } else if (const char* v = std::getenv("THUNDER_VK_VALIDATION"); v && std::string(v) == "1") {
    ADD_FAILURE() << "THUNDER_VK_VALIDATION=1 but the runtime has no validation layer";
  }
}

bool region_has(const Trace& trace, const thunder::Symbol& prim) {
  for (const BoundSymbol& bsym : trace.bound_symbols) {
    if (bsym.symbol->ns != thunder::SymbolNamespace::Fusion) continue;
    for (const BoundSymbol& member : bsym.subsymbols) {
      if (member.symbol == &prim) return true;
    }
  }
  return false;
}

struct ViewsRun {
  Trace prepared;
  at::Tensor result;
  ExecutionReport report;
};

// `trace` through the compile pipeline's passes (with rematerialize given the executors or,
// for the baseline, not) and run on spirv, strictly.
ViewsRun run_passes(const Trace& trace, const std::vector<at::Tensor>& inputs, bool views) {
  const TorchFallbackExecutor torch;
  const std::vector<const thunder::Executor*> executors{&spirv(), &torch};
  const Trace fused = thunder::fuse(thunder::assign_executors(trace, executors), executors);
  ViewsRun r;
  r.prepared = thunder::delete_last_used(views ? thunder::rematerialize(fused, executors)
                                               : thunder::rematerialize(fused));
  spirv().runtime().clear_validation_messages();
  const std::vector<c10::IValue> values(inputs.begin(), inputs.end());
  const std::vector<at::Tensor> out =
      thunder::spirv::run_spirv_trace(spirv(), r.prepared, values, &r.report, /*strict=*/true);
  EXPECT_EQ(out.size(), 1u);
  if (!out.empty()) r.result = out[0];
  expect_no_validation_messages();
  EXPECT_TRUE(r.report.fallbacks.empty()) << r.report.to_string();
  return r;
}

TEST(SpirvViews, LinearReadsItsTransposedWeightInPlace) {
  THUNDER_SPIRV_OR_SKIP();
  // tanh(linear(tanh(x), w)), llama's projections without the norm.
  const Shape xs{2, 16, 64}, ws{128, 64}, hs{2, 16, 128};
  thunder::TraceScope scope("linear");
  auto x = scope.input_tensor("x", xs, DType::Float32);
  auto w = scope.input_tensor("w", ws, DType::Float32);
  const Trace trace = scope.finish(lt::tanh(lt::linear(lt::tanh(x), w)));
  at::manual_seed(3);
  const at::Tensor tx = at::randn(xs), tw = at::randn(ws) * 0.1;

  const ViewsRun r = run_passes(trace, {tx, tw}, /*views=*/true);
  EXPECT_FALSE(region_has(r.prepared, prims::symbol(prims::PrimId::transpose)))
      << r.prepared.to_string();
  const at::Tensor want = at::tanh(at::linear(at::tanh(tx.to(at::kDouble)), tw.to(at::kDouble)));
  ASSERT_EQ(r.result.sizes(), want.sizes());
  EXPECT_TRUE(at::allclose(r.result.to(at::kDouble), want, 1e-4, 1e-5));
  // x and w uploaded, tanh(x), the matmul's [32, 128] and the output: no room for w^T.
  const std::uint64_t bound = f32_bytes(xs) + f32_bytes(ws) + f32_bytes(xs) + 2 * f32_bytes(hs);
  std::cout << "[spirv views] linear: peak " << r.report.peak_device_bytes << " bytes, bound "
            << bound << "\n";
  EXPECT_LE(r.report.peak_device_bytes, bound) << r.prepared.to_string();

  // The copy it replaces: a region writes w^T, and the peak holds it too.
  const ViewsRun copied = run_passes(trace, {tx, tw}, /*views=*/false);
  EXPECT_TRUE(region_has(copied.prepared, prims::symbol(prims::PrimId::transpose)));
  EXPECT_TRUE(at::allclose(copied.result, r.result));
  EXPECT_GT(copied.report.peak_device_bytes, bound);
}

TEST(SpirvViews, AttentionReadsTheTransposedKeysOfAMatmulOnTheDevice) {
  THUNDER_SPIRV_OR_SKIP();
  // softmax(q @ k^T) @ v with q, k, v projections of x: k^T views the k projection's output,
  // a device value of the same batch, whose buffer stays held until the scores matmul.
  const std::int64_t s = 16, d = 32, heads = 4, hd = 8;
  thunder::TraceScope scope("attention");
  auto x = scope.input_tensor("x", {1, s, d}, DType::Float32);
  auto wq = scope.input_tensor("wq", {d, d}, DType::Float32);
  auto wk = scope.input_tensor("wk", {d, d}, DType::Float32);
  auto wv = scope.input_tensor("wv", {d, d}, DType::Float32);
  const auto split = [&](const thunder::TensorProxyPtr& t) {
    return lt::permute(lt::reshape(t, {1, s, heads, hd}), {0, 2, 1, 3});
  };
  auto q = split(lt::linear(x, wq));
  auto k = split(lt::linear(x, wk));
  auto v = split(lt::linear(x, wv));
  auto p = lt::softmax(lt::matmul(q, lt::transpose(k, -2, -1)), -1);
  const Trace trace = scope.finish(lt::matmul(p, v));
  at::manual_seed(5);
  const at::Tensor tx = at::randn({1, s, d});
  const at::Tensor tq = at::randn({d, d}) * 0.2, tk = at::randn({d, d}) * 0.2,
                   tv = at::randn({d, d}) * 0.2;

  const ViewsRun r = run_passes(trace, {tx, tq, tk, tv}, /*views=*/true);
  EXPECT_FALSE(region_has(r.prepared, prims::symbol(prims::PrimId::transpose)))
      << r.prepared.to_string();
  // Some view prim reads a matmul's output (a device value), not a trace input.
  std::set<std::string> matmul_outputs;
  bool device_view = false;
  for (const BoundSymbol& bsym : r.prepared.bound_symbols) {
    if (bsym.symbol == &prims::symbol(prims::PrimId::matmul))
      matmul_outputs.insert(bsym.output.proxy()->name());
    if (thunder::is_view_prim(bsym) && bsym.executor == "spirv")
      device_view = device_view || matmul_outputs.count(bsym.args.at(0).proxy()->name()) != 0;
  }
  EXPECT_TRUE(device_view) << r.prepared.to_string();

  const auto dd = [](const at::Tensor& t) { return t.to(at::kDouble); };
  const auto heads_of = [&](const at::Tensor& t) {
    return t.reshape({1, s, heads, hd}).permute({0, 2, 1, 3});
  };
  const at::Tensor qd = heads_of(at::linear(dd(tx), dd(tq)));
  const at::Tensor kd = heads_of(at::linear(dd(tx), dd(tk)));
  const at::Tensor vd = heads_of(at::linear(dd(tx), dd(tv)));
  const at::Tensor want = at::matmul(at::softmax(at::matmul(qd, kd.transpose(-2, -1)), -1), vd);
  ASSERT_EQ(r.result.sizes(), want.sizes());
  EXPECT_TRUE(at::allclose(r.result.to(at::kDouble), want, 1e-4, 1e-5))
      << (r.result.to(at::kDouble) - want).abs().max().item<double>();
  const ViewsRun copied = run_passes(trace, {tx, tq, tk, tv}, /*views=*/false);
  std::cout << "[spirv views] attention: peak " << r.report.peak_device_bytes
            << " bytes, with copies " << copied.report.peak_device_bytes << "\n";
  EXPECT_LT(r.report.peak_device_bytes, copied.report.peak_device_bytes);
}

// Issue #6: a model's peak device memory on spirv stays at or under eager PyTorch's (the
// estimate from its interpreted trace), and its outputs match the torch backend's. Every
// call, the first included, takes its buffers from one arena: a dry run planned it before
// the first (spirv::PlannedMemory). Both ways of holding weights are checked: uploaded for
// each call and freed after their last use (lavapipe's default), and kept on the device
// (the default on discrete GPUs), where they are held for the whole call; there, before
// spirv's fused attention, the decomposed sdpa held what eager's fused one does not (the
// [B, H, L, S] weights, a scaled query, an f32 additive mask) and llama, bert and attention
// ended 0.4% to 5% over eager.
class SpirvViewsModels : public ::testing::TestWithParam<std::string> {};

TEST_P(SpirvViewsModels, HoldNoMoreDeviceMemoryThanEager) {
  THUNDER_SPIRV_MODEL_OR_SKIP(path, GetParam());
  for (const int resident : {0, 1}) {
    SCOPED_TRACE(resident ? "weights kept on the device" : "weights uploaded per call");
    thunder::Options options;
    options.backend = "spirv";
    options.resident_weights = resident;
    const auto compiled = thunder::compile(path, options);
    const auto reference = compile_for(path, "torch");
    const std::vector<at::Tensor> inputs = thunder::load_sample_inputs(path);
    ASSERT_FALSE(inputs.empty());
    const std::vector<at::Tensor> want = reference->forward(inputs);
    // Eager PyTorch measured (the program op by op on the CPU allocator) holds at least what
    // the estimate says: the estimate is a lower bound.
    const std::int64_t measured = compiled->measure_eager_peak_bytes(inputs);
    std::optional<std::uint64_t> first_peak;
    for (const char* call : {"first call", "second call"}) {
      const std::vector<at::Tensor> got = compiled->forward(inputs);
      ASSERT_EQ(got.size(), want.size());
      for (std::size_t i = 0; i < got.size(); ++i) {
        EXPECT_TRUE(at::allclose(got[i], want[i], 1e-4, 1e-5))
            << GetParam() << " output " << i << " (" << call << "): max abs "
            << (got[i] - want[i]).abs().max().item<double>();
      }
      const thunder::CompileStats& stats = compiled->stats();
      std::cout << "[spirv views] " << GetParam() << (resident ? ", resident" : ", per call")
                << ", " << call << ": peak " << stats.peak_device_bytes << " bytes (arena "
                << stats.planned_bytes << ", index-check words " << stats.check_bytes
                << "), eager " << stats.eager_peak_bytes_estimate << " estimated, " << measured
                << " measured\n";
      EXPECT_GE(measured, stats.eager_peak_bytes_estimate);
      EXPECT_GT(stats.planned_bytes, 0u) << call << ": not from a planned arena";
      EXPECT_GT(stats.peak_device_bytes, 0u);
      // The index-check status words (an embedding lookup's) are device memory eager does not
      // hold, as it checks indices on the host: the estimate bounds the rest, and the measured
      // eager everything.
      EXPECT_LE(stats.check_bytes, 64u);
      EXPECT_LE(static_cast<std::int64_t>(stats.peak_device_bytes - stats.check_bytes),
                stats.eager_peak_bytes_estimate)
          << compiled->last_traces().back().to_string();
      EXPECT_LE(static_cast<std::int64_t>(stats.peak_device_bytes), measured);
      if (first_peak) {
        EXPECT_EQ(stats.peak_device_bytes, *first_peak) << "the first call was planned as well";
      }
      first_peak = stats.peak_device_bytes;
    }
  }
}

// With its weights kept on the device (Options::resident_weights, the default on discrete
// GPUs), a model's second call copies only the user inputs: the transposed weights too are
// views of the device copies. The outputs are the same, and both calls take their buffers
// from the arena planned before the first, so their peaks are equal (the bound on the peak
// is the test before this one).
TEST_P(SpirvViewsModels, KeepTheirWeightsOnTheDeviceBetweenCalls) {
  THUNDER_SPIRV_MODEL_OR_SKIP(path, GetParam());
  thunder::Options options;
  options.backend = "spirv";
  options.resident_weights = 1;
  const auto compiled = thunder::compile(path, options);
  const std::vector<at::Tensor> inputs = thunder::load_sample_inputs(path);
  const std::vector<at::Tensor> first = compiled->forward(inputs);
  const thunder::CompileStats& stats = compiled->stats();
  const std::uint64_t first_upload = stats.uploaded_bytes;
  const std::uint64_t first_peak = stats.peak_device_bytes;
  EXPECT_EQ(stats.resident_bytes, 0u);
  std::uint64_t user_bytes = 0;
  for (const at::Tensor& t : inputs)
    user_bytes += static_cast<std::uint64_t>(t.nbytes());
  const std::vector<at::Tensor> again = compiled->forward(inputs);
  ASSERT_EQ(again.size(), first.size());
  for (std::size_t i = 0; i < first.size(); ++i)
    EXPECT_TRUE(at::equal(again[i], first[i])) << GetParam() << " output " << i;
  std::cout << "[spirv resident] " << GetParam() << ": uploaded " << first_upload << " then "
            << stats.uploaded_bytes << " bytes, " << stats.resident_bytes
            << " bytes of weights already on the device; peak " << first_peak << " then "
            << stats.peak_device_bytes << " (planned), eager " << stats.eager_peak_bytes_estimate
            << " estimated, " << compiled->measure_eager_peak_bytes(inputs) << " measured\n";
  EXPECT_GT(stats.planned_bytes, 0u);
  EXPECT_EQ(stats.peak_device_bytes, first_peak) << "the first call was planned as well";
  EXPECT_LE(stats.uploaded_bytes, user_bytes) << compiled->last_traces().back().to_string();
  EXPECT_GT(stats.resident_bytes, 0u);
  EXPECT_EQ(first_upload, stats.uploaded_bytes + stats.resident_bytes);
}

INSTANTIATE_TEST_SUITE_P(Models, SpirvViewsModels,
                         ::testing::Values("llama", "bert", "gpt2", "attention", "mlp", "cnn"));

} // namespace
