// Device memory of spirv runs: buffers of intermediates are reused after their last use (the
// `del` statements of delete_last_used), the run reports its peak, and running out of
// device memory is a clear error after which nothing stays held.
#include "thunder/core/error.h"
#include "thunder/core/tracing.h"
#include "thunder/executors/spirv/spirv_torch.h"
#include "thunder/ops/ltorch.h"
#include "thunder/ops/prims.h"
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
Trace layers_trace(int layers = kLayers) {
  thunder::TraceScope scope("layers");
  auto h = scope.input_tensor("x", {kSize, kSize}, DType::Float32);
  for (int i = 0; i < layers; ++i) {
    auto w = scope.input_tensor("w" + std::to_string(i), {kSize, kSize}, DType::Float32);
    h = lt::tanh(lt::matmul(h, w));
  }
  return scope.finish(h);
}

std::vector<c10::IValue> layers_inputs(std::vector<at::Tensor>& tensors, int layers = kLayers,
                                      std::uint64_t seed = 7) {
  at::manual_seed(seed);
  tensors.clear();
  for (int i = 0; i <= layers; ++i)
    tensors.push_back(at::randn({kSize, kSize}) * 0.2);
  return {tensors.begin(), tensors.end()};
}

at::Tensor layers_reference(const std::vector<at::Tensor>& t) {
  at::Tensor h = t[0].to(at::kDouble);
  for (std::size_t i = 1; i < t.size(); ++i)
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

// Before a trace's first run, a dry run (no device work) records the buffers it will ask
// for; the run then takes every one of them from one arena planned from that record
// (PlannedMemory), which stays for the runs after it. The arena is no larger than what the
// pool alone holds at its peak, and the results are the pool's.
TEST(SpirvMemory, TheFirstRunTakesItsBuffersFromAnArenaADryRunPlanned) {
  std::string why_not;
  const auto spirv = open_executor({}, why_not);
  if (!spirv) GTEST_SKIP() << "spirv executor not available here: " << why_not;
  const Trace prepared =
      thunder::delete_last_used(prepare_spirv_trace(layers_trace(), *spirv, TorchFallbackExecutor()));
  std::vector<at::Tensor> tensors;
  const std::vector<c10::IValue> inputs = layers_inputs(tensors);
  ExecutionReport pooled, first, second;
  const std::vector<at::Tensor> from_pool =
      run_spirv_trace(*spirv, prepared, inputs, &pooled, /*strict=*/true);
  EXPECT_EQ(pooled.planned_bytes, 0u);
  EXPECT_GT(pooled.buffer_requests, 0u);
  EXPECT_EQ(pooled.planned_requests, 0u) << pooled.to_string();

  thunder::spirv::PlannedMemory plan;
  const std::vector<at::Tensor> a =
      run_spirv_trace(*spirv, prepared, inputs, &first, /*strict=*/true, nullptr, &plan);
  ASSERT_TRUE(plan.planned());
  EXPECT_EQ(first.planned_bytes, plan.arena_bytes());
  EXPECT_EQ(first.peak_device_bytes, plan.arena_bytes()) << "every buffer came from the arena";
  EXPECT_EQ(first.buffer_requests, pooled.buffer_requests);
  EXPECT_EQ(first.planned_requests, first.buffer_requests) << first.to_string();
  EXPECT_LE(first.peak_device_bytes, pooled.peak_device_bytes);
  // x and the weights are uploaded and alive throughout; two intermediates at a time.
  EXPECT_GE(plan.live_bytes(), (kLayers + 1 + 2) * kTensorBytes);
  EXPECT_GE(plan.arena_bytes(), plan.live_bytes());
  ASSERT_EQ(a.size(), 1u);
  EXPECT_TRUE(at::equal(a[0], from_pool[0]));
  EXPECT_EQ(first.prims, pooled.prims) << "the dry run counted nothing of its own";
  EXPECT_EQ(spirv->runtime().memory_stats().in_use, plan.arena_bytes()) << "held between runs";

  const std::vector<at::Tensor> b =
      run_spirv_trace(*spirv, prepared, inputs, &second, /*strict=*/true, nullptr, &plan);
  EXPECT_EQ(second.planned_bytes, plan.arena_bytes());
  EXPECT_EQ(second.peak_device_bytes, plan.arena_bytes());
  EXPECT_EQ(second.planned_requests, second.buffer_requests) << second.to_string();
  EXPECT_TRUE(at::equal(a[0], b[0]));

  // Other values through the same arena: nothing stale, nothing aliased.
  std::vector<at::Tensor> other;
  const std::vector<c10::IValue> other_inputs = layers_inputs(other, kLayers, /*seed=*/11);
  const std::vector<at::Tensor> c =
      run_spirv_trace(*spirv, prepared, other_inputs, nullptr, /*strict=*/true, nullptr, &plan);
  EXPECT_TRUE(at::allclose(c[0].to(at::kDouble), layers_reference(other), 1e-4, 1e-5));
  plan.clear();
  EXPECT_EQ(spirv->runtime().memory_stats().in_use, 0u);
}

// A trace that computes a value on the host (here the third matmul, given to torch) cannot
// be planned without running: the dry run stops there, the first run takes the pool and
// records the plan, and the runs after it take the arena.
TEST(SpirvMemory, ARunThatNeedsAHostValueIsPlannedFromItsOwnRecord) {
  std::string why_not;
  const auto spirv = open_executor({}, why_not);
  if (!spirv) GTEST_SKIP() << "spirv executor not available here: " << why_not;
  Trace prepared =
      thunder::delete_last_used(prepare_spirv_trace(layers_trace(), *spirv, TorchFallbackExecutor()));
  std::vector<thunder::BoundSymbol*> matmuls;
  for (thunder::BoundSymbol& b : prepared.bound_symbols) {
    if (b.symbol == &thunder::prims::symbol(thunder::prims::PrimId::matmul)) matmuls.push_back(&b);
  }
  ASSERT_GE(matmuls.size(), 3u) << prepared.to_string();
  matmuls[2]->executor = "torch";
  std::vector<at::Tensor> tensors;
  const std::vector<c10::IValue> inputs = layers_inputs(tensors);
  thunder::spirv::PlannedMemory plan;
  ExecutionReport first, second;
  const std::vector<at::Tensor> a =
      run_spirv_trace(*spirv, prepared, inputs, &first, /*strict=*/true, nullptr, &plan);
  EXPECT_EQ(first.planned_bytes, 0u);
  EXPECT_EQ(first.planned_requests, 0u) << first.to_string();
  EXPECT_GT(first.prims["torch"], 0u) << first.to_string();
  ASSERT_TRUE(plan.planned());
  const std::vector<at::Tensor> b =
      run_spirv_trace(*spirv, prepared, inputs, &second, /*strict=*/true, nullptr, &plan);
  EXPECT_EQ(second.planned_bytes, plan.arena_bytes());
  EXPECT_GT(second.buffer_requests, 0u);
  EXPECT_EQ(second.planned_requests, second.buffer_requests) << second.to_string();
  ASSERT_EQ(a.size(), 1u);
  EXPECT_TRUE(at::equal(a[0], b[0]));
  EXPECT_TRUE(at::allclose(a[0].to(at::kDouble), layers_reference(tensors), 1e-4, 1e-5));
}

// An arena larger than one buffer may be (maxStorageBufferRange; here a limit of two
// tensors) is made of several buffers, which no request straddles.
TEST(SpirvMemory, AnArenaPastTheBufferLimitIsSeveralBuffers) {
  std::string why_not;
  const auto spirv = open_executor({}, why_not);
  if (!spirv) GTEST_SKIP() << "spirv executor not available here: " << why_not;
  const Trace prepared =
      thunder::delete_last_used(prepare_spirv_trace(layers_trace(), *spirv, TorchFallbackExecutor()));
  std::vector<at::Tensor> tensors;
  const std::vector<c10::IValue> inputs = layers_inputs(tensors);
  thunder::spirv::PlannedMemory plan(2 * kTensorBytes);
  const std::vector<at::Tensor> a =
      run_spirv_trace(*spirv, prepared, inputs, nullptr, /*strict=*/true, nullptr, &plan);
  ASSERT_TRUE(plan.planned());
  EXPECT_GT(plan.arena_bytes(), 4 * kTensorBytes) << "x and six weights at least";
  ExecutionReport report;
  const std::vector<at::Tensor> b =
      run_spirv_trace(*spirv, prepared, inputs, &report, /*strict=*/true, nullptr, &plan);
  EXPECT_EQ(report.planned_bytes, plan.arena_bytes());
  EXPECT_TRUE(at::equal(a[0], b[0]));
  EXPECT_TRUE(at::allclose(b[0].to(at::kDouble), layers_reference(tensors), 1e-4, 1e-5));
  EXPECT_EQ(spirv->runtime().memory_stats().in_use, plan.arena_bytes());
  plan.release_arena();
  EXPECT_EQ(spirv->runtime().memory_stats().in_use, 0u);
  EXPECT_TRUE(plan.planned()) << "the plan stays without its arena";
  ExecutionReport again;
  const std::vector<at::Tensor> c =
      run_spirv_trace(*spirv, prepared, inputs, &again, /*strict=*/true, nullptr, &plan);
  EXPECT_TRUE(at::equal(a[0], c[0]));
  EXPECT_EQ(again.planned_bytes, plan.arena_bytes()) << "the arena made again";
}

// A run whose requests differ from the plan's (here another trace) takes the pool from the
// first difference on, gets the right answer, and its own requests become the plan.
TEST(SpirvMemory, ARunThatLeavesThePlannedPathTakesThePoolAndIsPlannedAgain) {
  std::string why_not;
  const auto spirv = open_executor({}, why_not);
  if (!spirv) GTEST_SKIP() << "spirv executor not available here: " << why_not;
  const TorchFallbackExecutor torch;
  const Trace six = thunder::delete_last_used(prepare_spirv_trace(layers_trace(), *spirv, torch));
  const Trace three = thunder::delete_last_used(prepare_spirv_trace(layers_trace(3), *spirv, torch));
  std::vector<at::Tensor> six_tensors, three_tensors;
  const std::vector<c10::IValue> six_inputs = layers_inputs(six_tensors);
  const std::vector<c10::IValue> three_inputs = layers_inputs(three_tensors, 3);
  thunder::spirv::PlannedMemory plan;
  run_spirv_trace(*spirv, six, six_inputs, nullptr, true, nullptr, &plan);
  const std::uint64_t six_arena = plan.arena_bytes();
  ExecutionReport report;
  const std::vector<at::Tensor> out =
      run_spirv_trace(*spirv, three, three_inputs, &report, true, nullptr, &plan);
  EXPECT_TRUE(at::allclose(out[0].to(at::kDouble), layers_reference(three_tensors), 1e-4, 1e-5));
  // Its first requests (x, w0, the first matmul) matched the plan and came from the arena.
  EXPECT_EQ(report.planned_bytes, six_arena);
  EXPECT_LT(plan.arena_bytes(), six_arena) << "three layers hold fewer weights than six";
  ExecutionReport again;
  const std::vector<at::Tensor> out2 =
      run_spirv_trace(*spirv, three, three_inputs, &again, true, nullptr, &plan);
  EXPECT_TRUE(at::equal(out[0], out2[0]));
  EXPECT_EQ(again.peak_device_bytes, plan.arena_bytes());
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
