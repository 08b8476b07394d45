// Device memory of spirv runs: buffers of intermediates are reused after their last use (the
// `del` statements of delete_last_used), the run reports its peak, and running out of
// device memory is a clear error after which nothing stays held.
#include "thunder/core/error.h"
#include "thunder/core/tracing.h"
#include "thunder/executors/spirv/spirv_torch.h"
#include "thunder/ops/ltorch.h"
#include "thunder/passes/buffer_lifetimes.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace {

using thunder::DType;
using thunder::Trace;
using thunder::spirv::ExecutionReport;
using thunder::spirv::RuntimeOptions;
using thunder::spirv::SpirvExecutor;
using thunder::spirv::TorchFallbackExecutor;
namespace lt = thunder::ltorch;

constexpr std::int64_t kSize = 64;                       // [64, 64] f32 tensors
constexpr std::uint64_t kTensorBytes = kSize * kSize * 4; // 16 KiB
constexpr int kLayers = 6;

// tanh(... tanh(x @ w0) ... @ w5): every layer's matmul result and tanh are intermediates
// that die one layer later.
Trace layers_trace() {
  thunder::TraceScope scope("layers");
  auto h = scope.input_tensor("x", {kSize, kSize}, DType::Float32);
  for (int i = 0; i < kLayers; ++i) {
    auto w = scope.input_tensor("w" + std::to_string(i), {kSize, kSize}, DType::Float32);
    h = lt::tanh(lt::matmul(h, w));
  }
  return scope.finish(h);
}

std::vector<c10::IValue> layers_inputs(std::vector<at::Tensor>& tensors) {
  at::manual_seed(7);
  tensors.clear();
  for (int i = 0; i <= kLayers; ++i)
    tensors.push_back(at::randn({kSize, kSize}) * 0.2);
  return {tensors.begin(), tensors.end()};
}

at::Tensor layers_reference(const std::vector<at::Tensor>& t) {
  at::Tensor h = t[0].to(at::kDouble);
  for (int i = 1; i <= kLayers; ++i)
    h = at::tanh(at::matmul(h, t[i].to(at::kDouble)));
  return h;
}

std::unique_ptr<SpirvExecutor> open_executor(const RuntimeOptions& options, std::string& why_not) {
  auto executor = std::make_unique<SpirvExecutor>(options);
  if (const thunder::Availability a = executor->availability(); !a.available) {
    why_not = a.reason;
    return nullptr;
  }
  return executor;
}

TEST(SpirvMemory, IntermediatesReuseTheBuffersOfThoseThatDied) {
  std::string why_not;
  const auto spirv = open_executor({}, why_not);
  if (!spirv) GTEST_SKIP() << "spirv executor not available here: " << why_not;
  const Trace prepared =
      thunder::delete_last_used(prepare_spirv_trace(layers_trace(), *spirv, TorchFallbackExecutor()));
  std::vector<at::Tensor> tensors;
  const std::vector<c10::IValue> inputs = layers_inputs(tensors);
  ExecutionReport report;
  const std::vector<at::Tensor> out =
      run_spirv_trace(*spirv, prepared, inputs, &report, /*strict=*/true);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(at::allclose(out[0].to(at::kDouble), layers_reference(tensors), 1e-4, 1e-5));
  EXPECT_EQ(report.prims.count("torch"), 0u) << report.to_string();

  // The inputs (x and six weights) are uploaded and held for the run; of the 12
  // intermediates only a few are alive at once, and their buffers are reused.
  const std::uint64_t inputs_bytes = (kLayers + 1) * kTensorBytes;
  EXPECT_GT(report.peak_device_bytes, inputs_bytes);
  EXPECT_LE(report.peak_device_bytes, inputs_bytes + 3 * kTensorBytes)
      << "without reuse the 12 intermediates alone would take " << 12 * kTensorBytes;
  // What eager PyTorch holds at least for the same program.
  EXPECT_LE(static_cast<std::int64_t>(report.peak_device_bytes),
            thunder::estimate_peak_bytes(layers_trace()));
  // Nothing stays held after the run.
  EXPECT_EQ(spirv->runtime().memory_stats().in_use, 0u);
}

TEST(SpirvMemory, OutOfDeviceMemoryIsAClearErrorThatHoldsNothingAfter) {
  std::string why_not;
  // Room for the inputs and two intermediates (a layer's input and output), not more.
  const auto spirv = open_executor({.memory_limit = (kLayers + 1 + 2) * kTensorBytes}, why_not);
  if (!spirv) GTEST_SKIP() << "spirv executor not available here: " << why_not;
  const Trace prepared =
      prepare_spirv_trace(layers_trace(), *spirv, TorchFallbackExecutor()); // no `del`s
  std::vector<at::Tensor> tensors;
  const std::vector<c10::IValue> inputs = layers_inputs(tensors);
  try {
    run_spirv_trace(*spirv, prepared, inputs, nullptr, /*strict=*/true);
    FAIL() << "a run past the memory limit succeeded";
  } catch (const thunder::BackendError& e) {
    EXPECT_NE(std::string(e.what()).find("spirv: out of device memory: a storage buffer of 16384 "
                                         "bytes would bring what device"),
              std::string::npos)
        << e.what();
  }
  EXPECT_EQ(spirv->runtime().memory_stats().in_use, 0u);
  // With `del`s the buffers are reused and the same run fits.
  const Trace with_dels = thunder::delete_last_used(prepared);
  const std::vector<at::Tensor> out = run_spirv_trace(*spirv, with_dels, inputs, nullptr, true);
  EXPECT_TRUE(at::allclose(out[0].to(at::kDouble), layers_reference(tensors), 1e-4, 1e-5));
  EXPECT_EQ(spirv->runtime().memory_stats().in_use, 0u);
}

TEST(SpirvMemory, ResidentWeightsAreUploadedAgainOnlyWhenTheyChange) {
  std::string why_not;
  const auto spirv = open_executor({}, why_not);
  if (!spirv) GTEST_SKIP() << "spirv executor not available here: " << why_not;
  const Trace prepared = thunder::delete_last_used(
      prepare_spirv_trace(layers_trace(), *spirv, TorchFallbackExecutor()));
  std::vector<at::Tensor> tensors;
  std::vector<c10::IValue> inputs = layers_inputs(tensors);
  std::set<std::string> weights;
  for (int i = 0; i < kLayers; ++i)
    weights.insert("w" + std::to_string(i));
  auto resident = std::make_unique<thunder::spirv::ResidentTensors>(weights);
  const auto run = [&](std::uint64_t uploaded, std::uint64_t kept) {
    ExecutionReport report;
    const std::vector<at::Tensor> out =
        run_spirv_trace(*spirv, prepared, inputs, &report, /*strict=*/true, resident.get());
    EXPECT_EQ(report.uploaded_bytes, uploaded);
    EXPECT_EQ(report.resident_bytes, kept);
    EXPECT_TRUE(at::allclose(out[0].to(at::kDouble), layers_reference(tensors), 1e-4, 1e-5));
  };
  run(7 * kTensorBytes, 0);             // x and the six weights
  run(kTensorBytes, kLayers * kTensorBytes); // x only
  EXPECT_EQ(resident->bytes(), kLayers * kTensorBytes);
  // Modified in place: its version moved, so it goes up again (and the result follows it).
  tensors[3].mul_(0.5);
  run(2 * kTensorBytes, (kLayers - 1) * kTensorBytes);
  // Another tensor of equal values is another tensor: uploaded.
  tensors[2] = tensors[2].clone();
  inputs[2] = tensors[2];
  run(2 * kTensorBytes, (kLayers - 1) * kTensorBytes);
  run(kTensorBytes, kLayers * kTensorBytes);
  // The copies are the ResidentTensors': held until it lets them go.
  EXPECT_EQ(spirv->runtime().memory_stats().in_use, kLayers * kTensorBytes);
  resident.reset();
  EXPECT_EQ(spirv->runtime().memory_stats().in_use, 0u);
}

TEST(SpirvMemory, ResidentWeightsOfALinearAreReadThroughTheirTranspose) {
  // linear's transpose(w) is a view of w's device copy; a weight laid out otherwise (here
  // itself a transpose) takes the host path and is still right.
  std::string why_not;
  const auto spirv = open_executor({}, why_not);
  if (!spirv) GTEST_SKIP() << "spirv executor not available here: " << why_not;
  thunder::TraceScope scope("linear");
  auto x = scope.input_tensor("x", {8, kSize}, DType::Float32);
  auto w = scope.input_tensor("w", {32, kSize}, DType::Float32);
  const Trace prepared = thunder::delete_last_used(
      prepare_spirv_trace(scope.finish(lt::linear(x, w)), *spirv, TorchFallbackExecutor()));
  const at::Tensor xs = at::randn({8, kSize});
  for (const at::Tensor& weight : {at::randn({32, kSize}), at::randn({kSize, 32}).t()}) {
    thunder::spirv::ResidentTensors resident({"w"});
    const std::vector<c10::IValue> inputs = {xs, weight};
    const at::Tensor expected = at::linear(xs.to(at::kDouble), weight.to(at::kDouble));
    for (int call = 0; call < 2; ++call) {
      ExecutionReport report;
      const std::vector<at::Tensor> out =
          run_spirv_trace(*spirv, prepared, inputs, &report, /*strict=*/true, &resident);
      EXPECT_TRUE(at::allclose(out[0].to(at::kDouble), expected, 1e-4, 1e-5));
      if (weight.is_contiguous() && call == 1) {
        EXPECT_EQ(report.uploaded_bytes, static_cast<std::uint64_t>(xs.nbytes()));
        EXPECT_EQ(report.resident_bytes, static_cast<std::uint64_t>(weight.nbytes()));
      }
    }
  }
}

} // namespace
