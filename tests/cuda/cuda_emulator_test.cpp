// The cuda executor on thunder's CUDA host emulator (src/executors/cuda/emulator), which
// runs generated kernels on the CPU: what a GPU would be needed for otherwise and CI can
// now check. Cooperative reductions (one block per output element, barriers between the
// lanes), the status words of an index out of range, running out of device memory, and a
// kernel the host compiler refuses. The op database and the models run on the emulator
// too (the Emulated.* tests ctest registers). Skipped with the reason where NVRTC is
// missing, since the emulator runs only what NVRTC compiled first.
#include "thunder/core/error.h"
#include "thunder/core/tracing.h"
#include "thunder/executors/codegen/kernel_ir.h"
#include "thunder/executors/cuda/cuda_torch.h"
#include "thunder/ops/ltorch.h"
#include "thunder/ops/prims.h"
#include "thunder/passes/fusion.h"
#include "thunder/passes/matmul_epilogues.h"
#include "thunder/passes/rematerialization.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

namespace thunder::cuda {
namespace {

namespace lt = thunder::ltorch;
using thunder::from_scalar_type;

CudaExecutorOptions emulator_options() {
  CudaExecutorOptions options;
  options.runtime.driver_library = THUNDER_CUDA_EMULATOR;
  return options;
}

const CudaExecutor& emulator() {
  static const CudaExecutor cuda(emulator_options());
  return cuda;
}

#define THUNDER_EMULATOR_OR_SKIP()                                                                 \
  do {                                                                                             \
    const Availability a = emulator().availability();                                              \
    if (!a.available) {                                                                            \
      if (std::getenv("THUNDER_EXPECT_NVRTC") != nullptr) FAIL() << a.reason;                      \
      GTEST_SKIP() << "the emulated cuda executor is not available: " << a.reason;                 \
    }                                                                                              \
  } while (0)

struct CudaRun {
  std::vector<at::Tensor> outputs;
  ExecutionReport report;
  Trace prepared;
};

CudaRun run(const CudaExecutor& cuda, const Trace& trace, const std::vector<at::Tensor>& inputs) {
  CudaRun r;
  r.prepared = prepare_cuda_trace(trace, cuda, TorchFallbackExecutor());
  r.outputs = run_cuda_trace(cuda, r.prepared, std::vector<c10::IValue>(inputs.begin(), inputs.end()),
                             &r.report, /*strict=*/true);
  return r;
}

// Every prim of the trace ran in a generated kernel.
void expect_all_on_cuda(const Trace& trace, const CudaRun& r) {
  const std::size_t prims = codegen::flatten_to_prims(trace.bound_symbols).size();
  const auto it = r.report.prims.find("cuda");
  EXPECT_EQ(it == r.report.prims.end() ? 0u : it->second, prims) << r.prepared.to_string();
  EXPECT_TRUE(r.report.fallbacks.empty()) << r.report.to_string();
}

TEST(CudaHostEmulator, SaysItIsNotAGpu) {
  THUNDER_EMULATOR_OR_SKIP();
  const CudaRuntime& rt = emulator().runtime();
  EXPECT_TRUE(rt.emulated());
  EXPECT_NE(rt.description().find("thunder CUDA host emulator (the CPU, not a GPU)"),
            std::string::npos)
      << rt.description();
}

TEST(CudaHostEmulator, CooperativeReductionsMatchTorch) {
  THUNDER_EMULATOR_OR_SKIP();
  TraceScope scope("row_stats");
  auto x = scope.input_tensor("x", {4, 1000}, DType::Float32);
  const Trace trace = scope.finish(Value::List{Value(lt::sum(x, Value(1))),
                                               Value(lt::amax(x, Value(1))),
                                               Value(lt::argmax(x, Value(1)))});
  at::Tensor xt = at::randn({4, 1000}, at::kFloat);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  xt[1][517] = nan;                     // a NaN wins amax and argmax
  xt[2][3] = 100.0f;                    // a tie across lanes: the first index wins
  xt[2][700] = 100.0f;
  xt[3].fill_(-inf);                    // every point the identity of max
  const CudaRun r = run(emulator(), trace, {xt});
  // The region is one cooperative kernel (a block per row).
  bool cooperative = false;
  for (const BoundSymbol& b : r.prepared.bound_symbols) {
    if (b.executor == "cuda" && is_fusion_region(b))
      cooperative |= emulator().compile(b)->kernel.cooperative;
  }
  EXPECT_TRUE(cooperative) << r.prepared.to_string();
  ASSERT_EQ(r.outputs.size(), 3u);
  EXPECT_TRUE(at::allclose(r.outputs[0], xt.sum(1), 1e-5, 1e-4, /*equal_nan=*/true))
      << r.outputs[0] << "\n" << xt.sum(1);
  EXPECT_TRUE(at::equal(r.outputs[1].isnan(), xt.amax(1).isnan()));
  EXPECT_TRUE(at::equal(at::nan_to_num(r.outputs[1]), at::nan_to_num(xt.amax(1))));
  EXPECT_TRUE(at::equal(r.outputs[2], xt.argmax(1))) << r.outputs[2] << "\n" << xt.argmax(1);
  expect_all_on_cuda(trace, r);
}

TEST(CudaHostEmulator, IndexOutOfRangeRaisesInsteadOfAWrongAnswer) {
  THUNDER_EMULATOR_OR_SKIP();
  TraceScope scope("gather_rows");
  auto table = scope.input_tensor("table", {5, 3}, DType::Float32);
  auto ids = scope.input_tensor("ids", {4}, DType::Int32);
  const Trace trace = scope.finish(lt::mul(prims::index_select(table, 0, ids), 2.0));
  const at::Tensor tt = at::randn({5, 3}, at::kFloat);
  const CudaRun good = run(emulator(), trace, {tt, at::tensor({4, 0, 4, 2}, at::kInt)});
  ASSERT_EQ(good.outputs.size(), 1u);
  EXPECT_TRUE(at::equal(good.outputs[0],
                        at::index_select(tt, 0, at::tensor({4, 0, 4, 2}, at::kInt)) * 2.0));
  expect_all_on_cuda(trace, good);
  for (const int bad : {5, -1}) {
    try {
      (void)run(emulator(), trace, {tt, at::tensor({0, bad, 1, 2}, at::kInt)});
      ADD_FAILURE() << "index " << bad << " ran";
    } catch (const ArgumentError& e) {
      EXPECT_EQ(std::string(e.what()),
                "cuda executor: prims.index_select: index " + std::to_string(bad) +
                    " is out of range for dim 0 of table, which has 5 elements (torch: index "
                    "out of range in self); kernel cuda_fusion0");
    }
  }
}

TEST(CudaHostEmulator, OutOfMemoryNamesTheSizesAndLeaksNothing) {
  THUNDER_EMULATOR_OR_SKIP();
  // The emulated device holds 6 MiB: the 4 MiB input fits, its 4 MiB result does not.
  // (Other executors of this process give back what they cache first.)
  emulator().runtime().release_cached_memory();
  ::setenv("THUNDER_CUDA_EMULATOR_MEMORY", "6291456", 1); // read at each allocation
  struct Unset {
    ~Unset() { ::unsetenv("THUNDER_CUDA_EMULATOR_MEMORY"); }
  } unset;
  const CudaExecutor small(emulator_options());
  ASSERT_TRUE(small.availability().available);
  TraceScope scope("big_exp");
  auto x = scope.input_tensor("x", {1024, 1024}, DType::Float32);
  const Trace trace = scope.finish(lt::exp(x));
  try {
    (void)run(small, trace, {at::ones({1024, 1024}, at::kFloat)});
    ADD_FAILURE() << "8 MiB fit on a 6 MiB device";
  } catch (const BackendError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("cuda: out of device memory on thunder CUDA host emulator"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("4194304 bytes for output t0"), std::string::npos) << message;
    EXPECT_NE(message.find("of 6291456 bytes"), std::string::npos) << message;
  }
  // What the failed call allocated went back, and the device still works.
  EXPECT_EQ(small.runtime().memory_stats().in_use, 0u);
  TraceScope scope_small("small_exp");
  auto y = scope_small.input_tensor("y", {256, 256}, DType::Float32);
  const Trace fits = scope_small.finish(lt::exp(y));
  const at::Tensor yt = at::randn({256, 256}, at::kFloat);
  const CudaRun r = run(small, fits, {yt});
  EXPECT_TRUE(at::allclose(r.outputs[0], yt.exp(), 1e-5, 1e-6));
}

// prims.matmul goes to cuBLASLt (the emulator's stand-in here, the real one on a GPU):
// row-major and transposed operands, batches, every float dtype, layouts it cannot take
// (made contiguous first), empty sums, and the TF32 policy.
Trace matmul_trace(const Shape& a, const Shape& b, DType dtype) {
  TraceScope scope("mm");
  auto x = scope.input_tensor("a", a, dtype);
  auto y = scope.input_tensor("b", b, dtype);
  return scope.finish(prims::matmul(x, y));
}

void expect_matmul(const CudaExecutor& cuda, const at::Tensor& a, const at::Tensor& b,
                   double rtol, double atol) {
  const DType dtype = from_scalar_type(a.scalar_type());
  const Trace trace = matmul_trace(a.sizes().vec(), b.sizes().vec(), dtype);
  const CudaRun r = run(cuda, trace, {a, b});
  ASSERT_EQ(r.outputs.size(), 1u);
  const at::Tensor want = at::matmul(a.to(at::kDouble), b.to(at::kDouble));
  EXPECT_EQ(r.outputs[0].scalar_type(), a.scalar_type());
  EXPECT_TRUE(at::allclose(r.outputs[0].to(at::kDouble), want, rtol, atol))
      << a.sizes() << " @ " << b.sizes() << " in " << a.scalar_type() << ": max abs error "
      << (r.outputs[0].to(at::kDouble) - want).abs().max().item<double>();
  EXPECT_EQ(r.report.prims.count("torch"), 0u) << r.report.to_string();
  EXPECT_EQ(r.report.prims.at("cuda"), 1u) << r.report.to_string();
}

TEST(CudaHostEmulator, MatmulRunsInCublasLtForEveryFloatDtypeAndLayout) {
  THUNDER_EMULATOR_OR_SKIP();
  ASSERT_TRUE(emulator().blas_loadable());
  const auto opts = at::TensorOptions().dtype(at::kFloat);
  const at::Tensor a = at::randn({3, 5}, opts), b = at::randn({5, 4}, opts);
  expect_matmul(emulator(), a, b, 1e-5, 1e-5);
  expect_matmul(emulator(), at::randn({5, 3}, opts).t(), at::randn({4, 5}, opts).t(), 1e-5, 1e-5);
  expect_matmul(emulator(), at::randn({2, 3, 6}, opts), at::randn({2, 6, 7}, opts), 1e-5, 1e-5);
  // Batch dims that do not collapse into one stride: copied contiguous first.
  expect_matmul(emulator(), at::randn({3, 2, 4, 6}, opts).permute({1, 0, 2, 3}),
                at::randn({2, 3, 6, 5}, opts), 1e-5, 1e-5);
  // Broadcast batches (stride 0) and a single row or column.
  expect_matmul(emulator(), at::randn({1, 3, 6}, opts).expand({4, 3, 6}),
                at::randn({4, 6, 1}, opts), 1e-5, 1e-5);
  expect_matmul(emulator(), at::randn({1, 6}, opts), at::randn({6, 9}, opts), 1e-5, 1e-5);
  expect_matmul(emulator(), a.to(at::kDouble), b.to(at::kDouble), 1e-12, 1e-12);
  expect_matmul(emulator(), a.to(at::kHalf), b.to(at::kHalf), 1e-2, 1e-2);
  expect_matmul(emulator(), a.to(at::kBFloat16), b.to(at::kBFloat16), 2e-2, 2e-2);
  // An empty sum is zeros.
  const Trace empty = matmul_trace({3, 0}, {0, 4}, DType::Float32);
  const CudaRun r = run(emulator(), empty, {at::randn({3, 0}, opts), at::randn({0, 4}, opts)});
  EXPECT_TRUE(at::equal(r.outputs[0], at::zeros({3, 4}, opts)));
}

TEST(CudaHostEmulator, ALinearsBiasAndReluRunInCublasLtsEpilogue) {
  THUNDER_EMULATOR_OR_SKIP();
  for (const at::ScalarType type : {at::kFloat, at::kHalf, at::kBFloat16}) {
    const DType dtype = from_scalar_type(type);
    TraceScope scope("linear_relu");
    auto x = scope.input_tensor("x", {2, 5, 16}, dtype);
    auto w = scope.input_tensor("w", {12, 16}, dtype);
    auto b = scope.input_tensor("b", {12}, dtype);
    const Trace trace = scope.finish(ltorch::relu(ltorch::linear(x, w, b)));
    const at::Tensor xs = at::randn({2, 5, 16}).to(type), ws = at::randn({12, 16}).to(type),
                     bs = at::randn({12}).to(type);
    const CudaRun r = run(emulator(), trace, {xs, ws, bs});
    // One cuBLASLt call does the product, the bias and the relu (and f16's conversions).
    std::size_t epilogues = 0;
    for (const BoundSymbol& call : r.prepared.bound_symbols) {
      if (const auto e = matmul_epilogue_of(call)) {
        ++epilogues;
        EXPECT_TRUE(e->bias);
        EXPECT_EQ(e->activation, MatmulActivation::Relu);
        EXPECT_EQ(e->dtype, dtype);
      }
      EXPECT_NE(call.symbol, &prims::symbol(prims::PrimId::convert_element_type))
          << "an f32 copy is still made:\n" << r.prepared.to_string();
    }
    EXPECT_EQ(epilogues, 1u) << r.prepared.to_string();
    expect_all_on_cuda(trace, r);
    // Against float64, and no farther from it than torch's own result in that dtype.
    const at::Tensor exact =
        at::relu(at::matmul(xs.to(at::kDouble), ws.to(at::kDouble).t()) + bs.to(at::kDouble));
    const at::Tensor eager = at::relu(at::linear(xs.to(at::kFloat), ws.to(at::kFloat), bs.to(at::kFloat)).to(type));
    const double error = (r.outputs[0].to(at::kDouble) - exact).abs().max().item<double>();
    const double torch_error = (eager.to(at::kDouble) - exact).abs().max().item<double>();
    EXPECT_EQ(r.outputs[0].scalar_type(), type);
    EXPECT_EQ(r.outputs[0].sizes(), exact.sizes());
    EXPECT_LE(error, std::max(1e-5, 1.01 * torch_error)) << type;
    EXPECT_GT(at::count_nonzero(r.outputs[0]).item<std::int64_t>(), 0);
    EXPECT_TRUE(at::equal(r.outputs[0], at::relu(r.outputs[0]))) << "negative values: no relu";
  }
}

TEST(CudaHostEmulator, Tf32IsAPolicyOffByDefault) {
  THUNDER_EMULATOR_OR_SKIP();
  CudaExecutorOptions options = emulator_options();
  options.tf32 = true;
  const CudaExecutor tf32(options);
  const at::Tensor a = at::randn({8, 64}, at::kFloat), b = at::randn({64, 8}, at::kFloat);
  const Trace trace = matmul_trace({8, 64}, {64, 8}, DType::Float32);
  const at::Tensor exact = at::matmul(a.to(at::kDouble), b.to(at::kDouble));
  const double f32_error =
      (run(emulator(), trace, {a, b}).outputs[0].to(at::kDouble) - exact).abs().max().item<double>();
  const double tf32_error =
      (run(tf32, trace, {a, b}).outputs[0].to(at::kDouble) - exact).abs().max().item<double>();
  // TF32 keeps 10 mantissa bits of each input: errors near 2^-11 of the terms, f32's near 2^-24.
  EXPECT_LT(f32_error, 1e-4);
  EXPECT_GT(tf32_error, 10 * f32_error);
  EXPECT_LT(tf32_error, 0.1);
}

TEST(CudaHostEmulator, KernelTheHostCompilerRefusesCarriesItsLog) {
  THUNDER_EMULATOR_OR_SKIP();
  CudaRuntime& rt = emulator().runtime();
  const std::string source =
      "extern \"C\" __global__ void broken(float* out, unsigned int numel) { out[0] = nope; }\n";
  try {
    (void)rt.load(CompiledCode{}, "broken", source);
    ADD_FAILURE() << "a kernel that does not compile was loaded";
  } catch (const BackendError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("building kernel broken for the host emulator failed"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("the host compiler failed on the kernel (source kept at "),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("nope"), std::string::npos) << message; // the compiler's error
  }
}

// CUDA graphs: a call captured once (kernels, cuBLASLt, status words) and replayed on
// later calls with the same layout, giving what kernel-by-kernel launches give.
struct GraphCall {
  std::vector<at::Tensor> outputs;
  ExecutionReport report;
};

GraphCall call(const Trace& prepared, RegionCache& cache, const std::vector<at::Tensor>& inputs) {
  GraphCall c;
  c.outputs = run_cuda_trace(emulator(), prepared,
                             std::vector<c10::IValue>(inputs.begin(), inputs.end()), &c.report,
                             /*strict=*/true, &cache);
  return c;
}

TEST(CudaHostEmulator, CudaGraphIsCapturedOnceAndReplayedLikeKernelByKernel) {
  THUNDER_EMULATOR_OR_SKIP();
  ASSERT_TRUE(emulator().blas_loadable());
  TraceScope scope("graph");
  auto x = scope.input_tensor("x", {4, 8}, DType::Float32);
  auto w = scope.input_tensor("w", {8, 6}, DType::Float32);
  auto table = scope.input_tensor("table", {5, 6}, DType::Float32);
  auto ids = scope.input_tensor("ids", {4}, DType::Int32);
  const Trace trace = scope.finish(
      lt::softmax(lt::add(prims::matmul(x, w), prims::index_select(table, 0, ids)), -1));
  const Trace prepared = prepare_cuda_trace(trace, emulator(), TorchFallbackExecutor());
  const auto want = [](const std::vector<at::Tensor>& in) {
    return at::softmax(at::matmul(in[0], in[1]) + at::index_select(in[2], 0, in[3]), -1);
  };
  const auto inputs = [](const at::Tensor& xt) {
    return std::vector<at::Tensor>{xt, at::randn({8, 6}), at::randn({5, 6}),
                                   at::tensor({4, 0, 4, 2}, at::kInt)};
  };
  RegionCache cache;
  cache.use_graphs = true;
  // A layout's first call runs kernel by kernel (compiling what it needs), the second is
  // captured.
  const std::vector<at::Tensor> in0 = inputs(at::randn({4, 8}));
  const GraphCall warm = call(prepared, cache, in0);
  EXPECT_EQ(warm.report.cuda_graph.rfind("warm-up", 0), 0u) << warm.report.cuda_graph;
  EXPECT_TRUE(at::allclose(warm.outputs[0], want(in0), 1e-5, 1e-6));
  const std::vector<at::Tensor> in1 = inputs(at::randn({4, 8}));
  const GraphCall first = call(prepared, cache, in1);
  EXPECT_EQ(first.report.cuda_graph, "captured");
  ASSERT_EQ(first.outputs.size(), 1u);
  EXPECT_TRUE(at::allclose(first.outputs[0], want(in1), 1e-5, 1e-6));
  EXPECT_GT(first.report.prims.at("cuda"), 0u) << first.report.to_string();
  EXPECT_EQ(first.report.prims.count("torch"), 0u) << first.report.to_string();

  // New values, same layout: replayed, with no device memory taken or given back.
  const MemoryStats before = emulator().runtime().memory_stats();
  const std::vector<at::Tensor> in2 = inputs(at::randn({4, 8}));
  const GraphCall second = call(prepared, cache, in2);
  const MemoryStats after = emulator().runtime().memory_stats();
  EXPECT_EQ(second.report.cuda_graph, "replayed");
  EXPECT_TRUE(at::allclose(second.outputs[0], want(in2), 1e-5, 1e-6));
  EXPECT_EQ(after.in_use, before.in_use);
  EXPECT_EQ(after.driver_allocations, before.driver_allocations);
  EXPECT_EQ(after.reuses, before.reuses);
  EXPECT_EQ(second.report.prims, first.report.prims);
  // The graph's buffers are one arena, planned from the first capture's record.
  EXPECT_GT(second.report.planned_bytes, 0u);
  EXPECT_LE(second.report.planned_bytes, second.report.peak_device_bytes);
  // The first call's result is its own, not the graph's buffer the replay overwrote.
  EXPECT_TRUE(at::allclose(first.outputs[0], want(in1), 1e-5, 1e-6));
  // Kernel by kernel gives the same bits.
  const std::vector<at::Tensor> plain = run_cuda_trace(
      emulator(), prepared, std::vector<c10::IValue>(in2.begin(), in2.end()), nullptr, true);
  EXPECT_TRUE(at::equal(second.outputs[0], plain[0]));

  // An index out of range is found after the replay, as without a graph.
  std::vector<at::Tensor> bad = inputs(at::randn({4, 8}));
  bad[3] = at::tensor({0, 5, 1, 2}, at::kInt);
  try {
    (void)call(prepared, cache, bad);
    ADD_FAILURE() << "index 5 of 5 ran";
  } catch (const ArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("index 5 is out of range for dim 0 of table"),
              std::string::npos)
        << e.what();
  }
  // Another layout (a transposed x) is another graph.
  const std::vector<at::Tensor> in3 = inputs(at::randn({8, 4}).t());
  EXPECT_EQ(call(prepared, cache, in3).report.cuda_graph.rfind("warm-up", 0), 0u);
  const GraphCall third = call(prepared, cache, in3);
  EXPECT_EQ(third.report.cuda_graph, "captured");
  EXPECT_EQ(cache.graphs.size(), 2u);
  EXPECT_TRUE(at::allclose(third.outputs[0], want(in3), 1e-5, 1e-6));
}

TEST(CudaHostEmulator, ALayoutThatCannotBeCapturedRunsKernelByKernelAndOthersStillAre) {
  THUNDER_EMULATOR_OR_SKIP();
  ASSERT_TRUE(emulator().blas_loadable());
  // Batch dims that do not merge into one stride: torch makes the operand contiguous
  // first, which a capture cannot hold; a refused capture leaves a clean run behind.
  const Trace trace = matmul_trace({2, 3, 4, 6}, {2, 3, 6, 5}, DType::Float32);
  const Trace prepared = prepare_cuda_trace(trace, emulator(), TorchFallbackExecutor());
  RegionCache cache;
  cache.use_graphs = true;
  const at::Tensor b = at::randn({2, 3, 6, 5});
  const at::Tensor permuted = at::randn({3, 2, 4, 6}).permute({1, 0, 2, 3});
  for (int i = 0; i < 3; ++i) {
    const GraphCall c = call(prepared, cache, {permuted, b});
    if (i > 0) {
      EXPECT_EQ(c.report.cuda_graph.rfind("not used: the matmul operand a is an input in a "
                                          "layout cuBLASLt does not take", 0),
                0u)
          << c.report.cuda_graph;
    }
    EXPECT_TRUE(at::allclose(c.outputs[0], at::matmul(permuted, b), 1e-5, 1e-5));
  }
  const at::Tensor contiguous = permuted.contiguous();
  (void)call(prepared, cache, {contiguous, b});
  const GraphCall c = call(prepared, cache, {contiguous, b});
  EXPECT_EQ(c.report.cuda_graph, "captured");
  EXPECT_TRUE(at::allclose(c.outputs[0], at::matmul(contiguous, b), 1e-5, 1e-5));
}

TEST(CudaHostEmulator, CudaGraphIsNotUsedWhereACallRunsOnTorchAndSaysWhy) {
  THUNDER_EMULATOR_OR_SKIP();
  // cuBLASLt has no int32 product: that matmul runs on torch, between two kernels.
  TraceScope scope("int_mm");
  auto a = scope.input_tensor("a", {3, 4}, DType::Int32);
  auto b = scope.input_tensor("b", {4, 2}, DType::Int32);
  const Trace trace = scope.finish(lt::add(prims::matmul(lt::mul(a, 2), b), 1));
  const Trace prepared = prepare_cuda_trace(trace, emulator(), TorchFallbackExecutor());
  RegionCache cache;
  cache.use_graphs = true;
  const at::Tensor at_ = at::randint(-5, 5, {3, 4}, at::kInt);
  const at::Tensor bt = at::randint(-5, 5, {4, 2}, at::kInt);
  for (int i = 0; i < 3; ++i) {
    const GraphCall c = call(prepared, cache, {at_, bt});
    EXPECT_EQ(c.report.cuda_graph, "not used: prims.matmul runs on torch") << c.report.to_string();
    EXPECT_TRUE(at::equal(c.outputs[0], at::matmul(at_ * 2, bt) + 1));
  }
  EXPECT_TRUE(cache.graphs.empty());
}

TEST(CudaHostEmulator, ACapturingStreamRefusesHostCopiesAsAGpuDoes) {
  THUNDER_EMULATOR_OR_SKIP();
  CudaRuntime& rt = emulator().runtime();
  DeviceMemory memory = rt.allocate(64, "a capture test");
  void* stream = rt.create_stream();
  rt.begin_capture(stream);
  EXPECT_TRUE(rt.capturing(stream));
  const float values[4] = {1, 2, 3, 4};
  try {
    rt.upload(memory.address(), values, sizeof values, stream);
    ADD_FAILURE() << "a copy from host memory was captured";
  } catch (const BackendError& e) {
    EXPECT_NE(std::string(e.what()).find("CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW((void)rt.end_capture(stream), BackendError); // the capture was invalidated
  EXPECT_FALSE(rt.capturing(stream));
  // The stream captures again, and a capture of device work replays it.
  rt.begin_capture(stream);
  rt.zero(memory.address(), 64, stream);
  void* graph = rt.end_capture(stream);
  rt.upload(memory.address(), values, sizeof values);
  rt.launch_graph(graph);
  float back[4] = {9, 9, 9, 9};
  rt.download(back, memory.address(), sizeof back);
  EXPECT_EQ(back[0], 0.0f);
  EXPECT_EQ(back[3], 0.0f);
  rt.destroy_graph(graph);
  rt.destroy_stream(stream);
}

// CPU tensors reach the device through pinned staging buffers: copies that span two
// buffers arrive whole, and a later run reuses the buffers instead of pinning more.
TEST(CudaHostEmulator, HostCopiesGoThroughPinnedStagingBuffersThatAreReused) {
  THUNDER_EMULATOR_OR_SKIP();
  CudaRuntime& rt = emulator().runtime();
  const std::size_t piece = std::size_t{3} << 20; // the first buffer (4 MiB) holds 1.33 pieces
  const at::Tensor data = at::randint(0, 255, {static_cast<std::int64_t>(3 * piece)}, at::kByte);
  DeviceMemory memory = rt.allocate(3 * piece, "a staging test");
  rt.release_cached_memory(); // idle pinned buffers of earlier tests in this process
  const MemoryStats before = rt.memory_stats();
  {
    HostStaging staging(rt, nullptr);
    for (std::size_t i = 0; i < 3; ++i)
      staging.upload(memory.address() + i * piece, data.const_data_ptr<std::uint8_t>() + i * piece,
                     piece);
  }
  const MemoryStats after = rt.memory_stats();
  EXPECT_EQ(after.staged_bytes - before.staged_bytes, 3 * piece);
  EXPECT_GT(after.pinned_bytes, before.pinned_bytes);
  at::Tensor back = at::empty_like(data);
  rt.download(back.data_ptr(), memory.address(), 3 * piece);
  EXPECT_TRUE(at::equal(back, data));
  // A run's inputs go the same way, through the buffers already pinned.
  TraceScope scope("staged_exp");
  auto x = scope.input_tensor("x", {1024, 1024}, DType::Float32);
  const Trace trace = scope.finish(lt::exp(x));
  const at::Tensor xt = at::randn({1024, 1024});
  const CudaRun r = run(emulator(), trace, {xt});
  EXPECT_TRUE(at::allclose(r.outputs[0], xt.exp(), 1e-5, 1e-6));
  const MemoryStats last = rt.memory_stats();
  EXPECT_EQ(last.staged_bytes - after.staged_bytes, std::size_t{4} << 20);
  EXPECT_EQ(last.pinned_bytes, after.pinned_bytes);
}

// A linear's transposed weight is a view cuBLASLt reads in place (rematerialize gives
// the transpose to cuda unfused), not a copy a region stores: kernel by kernel, and over a
// CUDA graph's copy of the weight.
TEST(CudaHostEmulator, ATransposedWeightIsReadInPlaceNotStored) {
  THUNDER_EMULATOR_OR_SKIP();
  ASSERT_TRUE(emulator().blas_loadable());
  TraceScope scope("linear");
  auto x = scope.input_tensor("x", {4, 64}, DType::Float32);
  auto w = scope.input_tensor("w", {32, 64}, DType::Float32);
  const Trace trace = scope.finish(lt::relu(prims::matmul(x, prims::transpose(w, {1, 0}))));
  const Trace prepared = prepare_cuda_trace(trace, emulator(), TorchFallbackExecutor());
  bool unfused_view = false;
  for (const BoundSymbol& b : prepared.bound_symbols)
    unfused_view |= b.executor == "cuda" && b.symbol == &prims::symbol(prims::PrimId::transpose);
  EXPECT_TRUE(unfused_view) << prepared.to_string();
  const at::Tensor xt = at::randn({4, 64}), wt = at::randn({32, 64});
  const at::Tensor want = at::relu(at::matmul(xt, wt.t()));
  ExecutionReport report;
  const std::vector<at::Tensor> got =
      run_cuda_trace(emulator(), prepared, {xt, wt}, &report, /*strict=*/true);
  EXPECT_TRUE(at::allclose(got[0], want, 1e-5, 1e-5));
  // x (1 KiB), w (8 KiB), the product and its relu (0.5 KiB each), and no transposed copy
  // of w (8 KiB more).
  EXPECT_LE(report.peak_device_bytes, 1024u + 8192u + 512u + 512u) << report.to_string();
  RegionCache cache;
  cache.use_graphs = true;
  for (int i = 0; i < 3; ++i) {
    const at::Tensor x2 = at::randn({4, 64});
    const GraphCall c = call(prepared, cache, {x2, wt});
    EXPECT_TRUE(at::allclose(c.outputs[0], at::relu(at::matmul(x2, wt.t())), 1e-5, 1e-5));
    if (i == 2) {
      EXPECT_EQ(c.report.cuda_graph, "replayed");
    }
  }
  // A weight passed transposed already: the view rematerialize judged on a contiguous
  // weight is not one to capture over its copy; that layout runs kernel by kernel.
  const at::Tensor w_t = at::randn({64, 32}).t();
  for (int i = 0; i < 2; ++i) {
    const GraphCall c = call(prepared, cache, {xt, w_t});
    EXPECT_TRUE(at::allclose(c.outputs[0], at::relu(at::matmul(xt, w_t.t())), 1e-5, 1e-5));
    if (i == 1) {
      EXPECT_EQ(c.report.cuda_graph.rfind("not used: the input w is not contiguous", 0), 0u)
          << c.report.cuda_graph;
    }
  }
}

// q, k and v sliced from one projection into heads: the fused attention reads them as
// strided views of the product (rematerialize gives it the view prims, reads_any_view_layout),
// so no region copies them into heads: kernel by kernel and in a CUDA graph.
TEST(CudaHostEmulator, TheFusedAttentionReadsQkvAsViewsOfTheirProjection) {
  THUNDER_EMULATOR_OR_SKIP();
  ASSERT_TRUE(emulator().blas_loadable());
  TraceScope scope("qkv");
  auto x = scope.input_tensor("x", {2, 8, 32}, DType::Float32);
  auto w = scope.input_tensor("w", {96, 32}, DType::Float32);
  auto b = scope.input_tensor("b", {96}, DType::Float32);
  const std::vector<TensorProxyPtr> qkv = lt::split(lt::linear(x, w, b), 32, 2);
  std::vector<TensorProxyPtr> heads;
  for (const TensorProxyPtr& t : qkv)
    heads.push_back(lt::transpose(lt::reshape(t, {2, 8, 2, 16}), 1, 2));
  const Trace trace = scope.finish(lt::scaled_dot_product_attention(
      heads[0], heads[1], heads[2], Value(), 0.0, /*is_causal=*/true));
  const Trace prepared = prepare_cuda_trace(trace, emulator(), TorchFallbackExecutor());
  std::size_t regions = 0, views = 0;
  for (const BoundSymbol& call : prepared.bound_symbols) {
    regions += is_fusion_region(call) ? 1 : 0;
    views += is_view_prim(call) && call.executor == "cuda" ? 1 : 0;
  }
  EXPECT_EQ(regions, 0u) << "q, k and v are copied into heads:\n" << prepared.to_string();
  EXPECT_GE(views, 3u) << prepared.to_string();
  const auto want = [](const at::Tensor& xt, const at::Tensor& wt, const at::Tensor& bt) {
    const std::vector<at::Tensor> parts = at::linear(xt.to(at::kDouble), wt.to(at::kDouble),
                                                     bt.to(at::kDouble)).split(32, 2);
    std::vector<at::Tensor> h;
    for (const at::Tensor& t : parts)
      h.push_back(t.reshape({2, 8, 2, 16}).transpose(1, 2));
    return at::scaled_dot_product_attention(h[0], h[1], h[2], {}, 0.0, true);
  };
  const at::Tensor wt = at::randn({96, 32}) * 0.2, bt = at::randn({96});
  ExecutionReport report;
  const at::Tensor xt = at::randn({2, 8, 32});
  const std::vector<at::Tensor> got =
      run_cuda_trace(emulator(), prepared, {xt, wt, bt}, &report, /*strict=*/true);
  EXPECT_TRUE(at::allclose(got[0].to(at::kDouble), want(xt, wt, bt), 1e-5, 1e-5))
      << (got[0].to(at::kDouble) - want(xt, wt, bt)).abs().max().item<double>();
  EXPECT_TRUE(report.fallbacks.empty()) << report.to_string();
  RegionCache cache;
  cache.use_graphs = true;
  for (int i = 0; i < 3; ++i) {
    const at::Tensor x2 = at::randn({2, 8, 32});
    const GraphCall c = call(prepared, cache, {x2, wt, bt});
    EXPECT_TRUE(at::allclose(c.outputs[0].to(at::kDouble), want(x2, wt, bt), 1e-5, 1e-5)) << i;
    if (i == 2) {
      EXPECT_EQ(c.report.cuda_graph, "replayed");
    }
  }
}

} // namespace
} // namespace thunder::cuda
