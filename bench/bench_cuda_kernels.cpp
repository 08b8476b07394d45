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
// TFLOP/s. Without a GPU (or on the host emulator) it says so and exits 2: CPU timings are
// never GPU figures.
#include "kernel_cases.h"

#include "thunder/core/error.h"
#include "thunder/core/tracing.h"
#include "thunder/executors/codegen/cuda_emitter.h"
#include "thunder/executors/codegen/kernel_ir.h"
#include "thunder/executors/cuda/cublas_matmul.h"
#include "thunder/executors/cuda/cuda_executor.h"
#include "thunder/executors/cuda/cuda_runtime.h"
#include "thunder/executors/cuda/nvrtc_compiler.h"
#include "thunder/ops/ltorch.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
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
        if (region.symbol->ns != SymbolNamespace::Fusion) {
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
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "thunder-bench-cuda-kernels: " << e.what() << "\n";
    return 1;
  }
}
