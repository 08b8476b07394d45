// thunder-bench-cuda-kernels: the bandwidth of kernels the CUDA emitter generates, against
// a copy kernel written by hand and compiled by the same NVRTC, on one GPU.
//
//   thunder-bench-cuda-kernels [--elements N] [--iters K]
//
// For each case (bench/kernel_cases.h: bias add, GELU of a bias add in f32 and bf16, row
// softmax, layer_norm, rms_norm, each as the fusion regions the cuda executor gets) it
// prints the kernels it runs, the time per iteration (mean of K after 3 warm-ups,
// synchronized, wall clock), the bytes an ideal fusion moves (each input read once, each
// output written once) and the resulting GB/s, and that as a percentage of the copy
// kernel's; then matrix products through cuBLASLt (the cuda executor's prims.matmul) in
// TFLOP/s; then attention (ltorch.scaled_dot_product_attention, bf16, causal, GPT-2 small's
// [8, 12, 512, 64]) as the fused attention kernel and as its decomposition (cuBLASLt
// matmuls and generated softmax regions, what THUNDER_CUDA_FUSED_ATTENTION=0 runs), with
// the largest difference between their outputs. Without a GPU (or on the host emulator) it
// says so and exits 2: CPU timings are never GPU figures.
#include "kernel_cases.h"

#include "thunder/core/error.h"
#include "thunder/core/tracing.h"
#include "thunder/executors/codegen/cuda_emitter.h"
#include "thunder/executors/codegen/kernel_ir.h"
#include "thunder/executors/cuda/cublas_matmul.h"
#include "thunder/executors/cuda/cuda_executor.h"
#include "thunder/executors/cuda/cuda_runtime.h"
#include "thunder/executors/cuda/fused_attention.h"
#include "thunder/executors/cuda/nvrtc_compiler.h"
#include "thunder/ops/ltorch.h"
#include "thunder/ops/prims.h"
#include "thunder/passes/fusion.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace {

using namespace thunder;
using Clock = std::chrono::steady_clock;

struct Launch {
  std::shared_ptr<const cuda::LoadedKernel> kernel;
  std::vector<std::uint64_t> addresses;
  unsigned int numel = 0;
  unsigned blocks = 0;
};

// Runs `launches` in order K times; ms per iteration.
double time_launches(cuda::CudaRuntime& rt, std::vector<Launch>& launches, int iters) {
  const auto once = [&] {
    for (Launch& l : launches) {
      std::vector<void*> params;
      for (std::uint64_t& address : l.addresses)
        params.push_back(&address);
      params.push_back(&l.numel);
      rt.launch(*l.kernel, l.blocks, codegen::kCudaBlockSize, params.data());
    }
  };
  for (int i = 0; i < 3; ++i)
    once();
  rt.synchronize();
  const auto start = Clock::now();
  for (int i = 0; i < iters; ++i)
    once();
  rt.synchronize();
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count() / iters;
}

// Runs `steps` in order K times after 3 warm-ups; ms per iteration.
double time_steps(cuda::CudaRuntime& rt, const std::vector<std::function<void()>>& steps,
                  int iters) {
  const auto once = [&] {
    for (const auto& step : steps)
      step();
  };
  for (int i = 0; i < 3; ++i)
    once();
  rt.synchronize();
  const auto start = Clock::now();
  for (int i = 0; i < iters; ++i)
    once();
  rt.synchronize();
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count() / iters;
}

float bf16_to_float(std::uint16_t b) {
  const std::uint32_t u = static_cast<std::uint32_t>(b) << 16;
  float f = 0;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

std::uint16_t float_to_bf16(float f) {
  std::uint32_t u = 0;
  std::memcpy(&u, &f, sizeof u);
  return static_cast<std::uint16_t>((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}

std::int64_t numel_of(const Shape& shape) {
  std::int64_t n = 1;
  for (const std::int64_t e : shape)
    n *= e;
  return n;
}

// A contiguous [..., rows, cols] buffer as cuBLASLt reads it.
cuda::MatrixOperand matrix(std::uint64_t address, const Shape& shape) {
  const std::size_t r = shape.size();
  const std::int64_t rows = shape[r - 2], cols = shape[r - 1];
  return {address, numel_of(shape) / (rows * cols), rows, cols, rows * cols, cols, 1};
}

// ltorch.scaled_dot_product_attention on the cuda executor two ways: the fused attention
// kernel, and the decomposition it replaces (prims.matmul on cuBLASLt, the rest as the
// generated regions the fusion pass makes), on the same random bf16 inputs.
void bench_attention(const cuda::CudaExecutor& executor, cuda::CudaRuntime& rt, int iters) {
  const std::int64_t batch = 8, heads = 12, length = 512, head_dim = 64;
  const Shape shape{batch, heads, length, head_dim};
  TraceScope scope("attention");
  const auto q = scope.input_tensor("q", shape, DType::BFloat16);
  const auto k = scope.input_tensor("k", shape, DType::BFloat16);
  const auto v = scope.input_tensor("v", shape, DType::BFloat16);
  const Trace trace = scope.finish(Value(ltorch::scaled_dot_product_attention(
      q, k, v, Value(), 0.0, /*is_causal=*/true, Value(), /*enable_gqa=*/false)));
  const BoundSymbol& call = trace.bound_symbols.at(0);

  // Inputs: N(0, 1) values rounded to bf16, the same for both ways.
  std::map<std::string, cuda::DeviceMemory> buffers; // By proxy name.
  const std::size_t input_bytes = static_cast<std::size_t>(numel_of(shape)) * 2;
  std::mt19937 random(7);
  std::normal_distribution<float> normal;
  std::vector<std::uint16_t> host(static_cast<std::size_t>(numel_of(shape)));
  for (const auto& input : {q, k, v}) {
    for (std::uint16_t& x : host)
      x = float_to_bf16(normal(random));
    cuda::DeviceMemory m = rt.allocate(input_bytes, input->name());
    rt.upload(m.address(), host.data(), input_bytes);
    buffers.emplace(input->name(), std::move(m));
  }
  const auto address = [&](const std::string& name, const Shape& s, DType dtype) {
    auto it = buffers.find(name);
    if (it == buffers.end()) {
      it = buffers
               .emplace(name, rt.allocate(std::max<std::size_t>(bench::bytes_of(s, dtype), 4), name))
               .first;
    }
    return it->second.address();
  };
  const auto download = [&](const std::string& name) {
    std::vector<std::uint16_t> out(static_cast<std::size_t>(numel_of(shape)));
    rt.download(out.data(), buffers.at(name).address(), input_bytes);
    return out;
  };

  // Causal: query i attends i + 1 keys; two products of E multiply-adds per pair.
  double pairs = 0;
  for (std::int64_t i = 0; i < length; ++i)
    pairs += static_cast<double>(i + 1);
  const double flops = 4.0 * static_cast<double>(batch * heads * head_dim) * pairs;
  std::printf("\n%-34s %8s %10s %10s\n", "attention bf16 [8,12,512,64] causal", "kernels", "ms",
              "TFLOP/s");

  const std::optional<cuda::AttentionPlan> plan = cuda::plan_fused_attention(call);
  if (!plan) throw UnsupportedError("the fused attention does not take the benchmark's call");
  const auto fused_kernel = executor.compile_attention(plan->config);
  const cuda::TensorLayout layout{shape, codegen::contiguous_strides(shape)};
  cuda::AttentionParams params = cuda::attention_params(*plan, layout, layout, layout, nullptr);
  std::vector<std::uint64_t> fused_addresses{buffers.at("q").address(), buffers.at("k").address(),
                                             buffers.at("v").address(),
                                             address("fused_out", shape, DType::BFloat16)};
  const auto blocks = static_cast<unsigned>(cuda::attention_blocks(*plan));
  const std::vector<std::function<void()>> fused{[&] {
    std::vector<void*> p;
    for (std::uint64_t& a : fused_addresses)
      p.push_back(&a);
    p.push_back(&params);
    rt.launch(*fused_kernel->loaded, blocks, cuda::kAttentionThreads, p.data());
  }};
  const double fused_ms = time_steps(rt, fused, iters);
  std::printf("%-34s %8d %10.4f %10.2f\n", "fused (thunder's kernel)", 1, fused_ms,
              flops / fused_ms / 1e9);

  // The decomposition, as the executor runs it with the fused attention off.
  cuda::CudaExecutorOptions off_options;
  off_options.fused_attention = false;
  const cuda::CudaExecutor off(off_options);
  const Trace decomposed = fuse(assign_executors(trace, {&off}), {&off});
  std::vector<std::function<void()>> steps;
  std::vector<std::shared_ptr<const cuda::CompiledRegion>> regions;
  std::vector<Launch> launches;
  launches.reserve(decomposed.bound_symbols.size());
  try {
    for (const BoundSymbol& b : decomposed.bound_symbols) {
      if (is_fusion_region(b)) {
        const auto compiled = executor.compile(b);
        if (!compiled->kernel.checks.empty()) {
          throw UnsupportedError(str(b.symbol->name, " checks indices; the benchmark passes no "
                                     "status words"));
        }
        regions.push_back(compiled);
        Launch l{compiled->loaded, {}, static_cast<unsigned int>(compiled->kernel.num_invocations),
                 static_cast<unsigned>(codegen::workgroup_count(compiled->kernel))};
        for (const auto* list : {&compiled->kernel.inputs, &compiled->kernel.outputs}) {
          for (const codegen::Buffer& buf : *list)
            l.addresses.push_back(address(buf.name, buf.shape, buf.dtype));
        }
        launches.push_back(std::move(l));
        Launch* launch = &launches.back();
        steps.emplace_back([&rt, launch] {
          std::vector<void*> p;
          for (std::uint64_t& a : launch->addresses)
            p.push_back(&a);
          p.push_back(&launch->numel);
          rt.launch(*launch->kernel, launch->blocks, codegen::kCudaBlockSize, p.data());
        });
      } else if (b.symbol == &prims::symbol(prims::PrimId::matmul)) {
        const TensorProxy& a = *b.args.at(0).as_tensor();
        const TensorProxy& bm = *b.args.at(1).as_tensor();
        const TensorProxy& c = *b.output.as_tensor();
        cuda::MatmulProblem problem;
        problem.dtype = c.dtype();
        problem.a = matrix(address(a.name(), a.shape(), a.dtype()), a.shape());
        problem.b = matrix(address(bm.name(), bm.shape(), bm.dtype()), bm.shape());
        problem.c = matrix(address(c.name(), c.shape(), c.dtype()), c.shape());
        cuda::CublasMatmul& blas = executor.blas();
        steps.emplace_back([&blas, problem] { blas.run(problem, nullptr); });
      } else {
        throw UnsupportedError(str(b.symbol->qualified_name(), " is neither a cuda region nor a "
                                   "matmul in the decomposition"));
      }
    }
    const double ms = time_steps(rt, steps, iters);
    std::printf("%-34s %8zu %10.4f %10.2f\n", "decomposed (cuBLASLt + regions)", steps.size(), ms,
                flops / ms / 1e9);
    std::printf("%-34s %8s %9.2fx\n", "fused speedup", "", ms / fused_ms);
    // The two results side by side: the largest difference, and the largest value.
    const std::vector<std::uint16_t> a = download("fused_out");
    const std::vector<std::uint16_t> b = download(decomposed.output.as_tensor()->name());
    double max_diff = 0, max_value = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
      const double x = bf16_to_float(a[i]), y = bf16_to_float(b[i]);
      max_diff = std::max(max_diff, std::isnan(x - y) ? std::numeric_limits<double>::infinity()
                                                       : std::abs(x - y));
      max_value = std::max(max_value, std::abs(y));
    }
    std::printf("(fused vs decomposed outputs: max abs difference %.3g, max |value| %.3g; "
                "FLOP/s count causal pairs only; %d iterations after 3 warm-ups)\n",
                max_diff, max_value, iters);
  } catch (const Error& e) {
    std::printf("decomposed: not run: %s\n", e.what());
  }
}

} // namespace

int main(int argc, char** argv) {
  const std::optional<bench::BenchArgs> args =
      bench::parse_bench_args(argc, argv, "thunder-bench-cuda-kernels");
  if (!args) return 1;
  const std::int64_t elements = args->elements;
  const int iters = args->iters;
  try {
    cuda::CudaExecutor executor;
    if (const Availability a = executor.availability(); !a.available) {
      std::cout << "no GPU: " << a.reason << "\n";
      return 2;
    }
    if (executor.runtime().emulated()) {
      std::cout << "no GPU: " << executor.runtime().description()
                << " runs kernels on the CPU; its timings are not GPU figures\n";
      return 2;
    }
    // The executor's runtime and compiler, so its kernels and the copy share one context.
    cuda::CudaRuntime* rt = &executor.runtime();
    cuda::NvrtcCompiler& nvrtc = executor.compiler();
    std::cout << "device: " << rt->description() << "; NVRTC " << nvrtc.version() << "\n";

    // The reference: a copy, written by hand, compiled by the same NVRTC.
    const std::string copy_source =
        "extern \"C\" __global__ void __launch_bounds__(256) copy_f32(const float* __restrict__ "
        "in, float* __restrict__ out, unsigned int n) {\n"
        "  unsigned int i = blockIdx.x * 256u + threadIdx.x;\n"
        "  if (i < n) out[i] = in[i];\n"
        "}\n";
    const auto n = static_cast<unsigned int>(elements);
    const std::size_t f32_bytes = static_cast<std::size_t>(n) * 4;
    cuda::DeviceMemory a = rt->allocate(f32_bytes, "copy input");
    cuda::DeviceMemory b = rt->allocate(f32_bytes, "copy output");
    std::vector<Launch> copy = {
        {rt->load(*nvrtc.compile(copy_source, "copy_f32", rt->arch()), "copy_f32", copy_source),
         {a.address(), b.address()},
         n,
         (n + codegen::kCudaBlockSize - 1) / codegen::kCudaBlockSize}};
    const double copy_ms = time_launches(*rt, copy, iters);
    const double copy_gbs = 2.0 * static_cast<double>(f32_bytes) / copy_ms / 1e6;
    std::printf("%-24s %8s %10s %12s %10s %8s\n", "case", "kernels", "ms", "MB (ideal)", "GB/s",
                "of copy");
    std::printf("%-24s %8d %10.4f %12.1f %10.1f %7.1f%%\n", "copy_f32 (hand-written)", 1, copy_ms,
                2.0 * static_cast<double>(f32_bytes) / 1e6, copy_gbs, 100.0);

    for (const bench::KernelCase& c : bench::kernel_cases(elements, executor)) {
      std::map<std::string, cuda::DeviceMemory> buffers; // By proxy name.
      const auto address_of = [&](const codegen::Buffer& buf) {
        auto it = buffers.find(buf.name);
        if (it == buffers.end()) {
          it = buffers.emplace(buf.name, rt->allocate(std::max<std::size_t>(
                                             bench::bytes_of(buf.shape, buf.dtype), 4),
                                                      buf.name))
                   .first;
        }
        return it->second.address();
      };
      std::vector<Launch> launches;
      for (const BoundSymbol& region : c.fused.bound_symbols) {
        if (!is_fusion_region(region)) {
          throw UnsupportedError(str(c.name, ": ", region.symbol->qualified_name(),
                                     " is not in a cuda region; the case must be all kernels"));
        }
        const auto compiled = executor.compile(region);
        Launch l{compiled->loaded, {}, static_cast<unsigned int>(compiled->kernel.num_invocations),
                 static_cast<unsigned>(codegen::workgroup_count(compiled->kernel))};
        for (const auto* list : {&compiled->kernel.inputs, &compiled->kernel.outputs}) {
          for (const codegen::Buffer& buf : *list)
            l.addresses.push_back(address_of(buf));
        }
        launches.push_back(std::move(l));
      }
      // Inputs hold whatever the allocator gave: the timing does not depend on values
      // (no data-dependent branches in these kernels but NaN checks).
      const double ms = time_launches(*rt, launches, iters);
      const auto moved = static_cast<double>(bench::ideal_bytes(c.trace));
      const double gbs = moved / ms / 1e6;
      std::printf("%-24s %8zu %10.4f %12.1f %10.1f %7.1f%%\n", c.name.c_str(), launches.size(), ms,
                  moved / 1e6, gbs, 100.0 * gbs / copy_gbs);
    }
    std::printf("(%lld elements as [%lld, %lld]; %d iterations each after 3 warm-ups; GB/s "
                "counts each input read once and each output written once)\n",
                static_cast<long long>(elements),
                static_cast<long long>(elements / bench::kColumns),
                static_cast<long long>(bench::kColumns), iters);

    // Matrix products as the cuda executor runs prims.matmul (CublasMatmul), in TFLOP/s.
    try {
      std::printf("\n%-24s %10s %10s\n", "matmul (cuBLASLt)", "ms", "TFLOP/s");
      for (const auto& [gm, gn, gk] : {std::array<std::int64_t, 3>{4096, 4096, 4096},
                                    std::array<std::int64_t, 3>{4096, 3072, 768}}) {
        for (const auto& [dtype, tf32] : {std::pair{DType::Float32, false},
                                          std::pair{DType::Float32, true},
                                          std::pair{DType::BFloat16, false},
                                          std::pair{DType::Float16, false}}) {
          cuda::CudaExecutorOptions options;
          options.tf32 = tf32;
          const cuda::CudaExecutor blas_executor(options);
          cuda::CublasMatmul& blas = blas_executor.blas();
          const std::size_t item = dtype == DType::Float32 ? 4 : 2;
          cuda::DeviceMemory da = rt->allocate(static_cast<std::size_t>(gm * gk) * item, "a");
          cuda::DeviceMemory db = rt->allocate(static_cast<std::size_t>(gk * gn) * item, "b");
          cuda::DeviceMemory dc = rt->allocate(static_cast<std::size_t>(gm * gn) * item, "c");
          cuda::MatmulProblem p;
          p.dtype = dtype;
          p.a = {da.address(), 1, gm, gk, gm * gk, gk, 1};
          p.b = {db.address(), 1, gk, gn, gk * gn, gn, 1};
          p.c = {dc.address(), 1, gm, gn, gm * gn, gn, 1};
          for (int i = 0; i < 3; ++i)
            blas.run(p, nullptr);
          rt->synchronize();
          const auto start = Clock::now();
          for (int i = 0; i < iters; ++i)
            blas.run(p, nullptr);
          rt->synchronize();
          const double ms =
              std::chrono::duration<double, std::milli>(Clock::now() - start).count() / iters;
          const std::string name = str(gm, "x", gn, "x", gk, " ", short_name(dtype), tf32 ? " tf32" : "");
          std::printf("%-24s %10.4f %10.1f\n", name.c_str(), ms,
                      2.0 * static_cast<double>(gm * gn * gk) / ms / 1e9);
        }
      }
    } catch (const BackendError& e) {
      std::printf("matmul: not run: %s\n", e.what());
    }
    bench_attention(executor, *rt, iters);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "thunder-bench-cuda-kernels: " << e.what() << "\n";
    return 1;
  }
}
