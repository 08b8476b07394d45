// thunder-bench-cuda-kernels: the bandwidth of kernels the CUDA emitter generates, against
// a copy kernel written by hand and compiled by the same NVRTC, on one GPU.
//
//   thunder-bench-cuda-kernels [--elements N] [--iters K]
//
// For each case it prints the time per launch (mean of K launches after 3 warm-ups,
// synchronized, wall clock), the bytes it must move (each input read once, each output
// written once) and the resulting GB/s, and that as a percentage of the copy kernel's.
// The cases are regions traced from ltorch functions, as the cuda executor gets them:
// an add, GELU (tanh) of a bias add in f32 and in bf16, and a row softmax, whose
// reductions the generated code still recomputes per element (the figure says how far
// that is from bandwidth). Without a GPU it says so and exits 2: CPU timings are never GPU
// figures.
#include "thunder/core/error.h"
#include "thunder/core/tracing.h"
#include "thunder/executors/codegen/cuda_emitter.h"
#include "thunder/executors/codegen/kernel_ir.h"
#include "thunder/executors/cuda/cuda_runtime.h"
#include "thunder/executors/cuda/nvrtc_compiler.h"
#include "thunder/ops/ltorch.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace {

using namespace thunder;
using Clock = std::chrono::steady_clock;

struct Case {
  std::string name;
  codegen::Kernel kernel;
};

Case traced(const std::string& name, const std::function<Trace(TraceScope&)>& build) {
  TraceScope scope;
  Trace trace = build(scope);
  const std::vector<const BoundSymbol*> prims = codegen::flatten_to_prims(trace.bound_symbols);
  std::vector<std::string> outputs;
  trace.output.for_each_proxy([&](const Proxy& p) { outputs.push_back(p.name()); });
  return {name, codegen::make_kernel(name, prims, outputs)};
}

std::size_t bytes_of(const codegen::Buffer& b) {
  std::size_t n = 1;
  for (const std::int64_t s : b.shape)
    n *= static_cast<std::size_t>(s);
  return n * static_cast<std::size_t>(item_size(b.dtype));
}

// Launches `kernel` with `params` K times; ms per launch.
double time_launches(cuda::CudaRuntime& rt, const cuda::LoadedKernel& kernel, unsigned blocks,
                     void** params, int iters) {
  for (int i = 0; i < 3; ++i)
    rt.launch(kernel, blocks, codegen::kCudaBlockSize, params);
  rt.synchronize();
  const auto start = Clock::now();
  for (int i = 0; i < iters; ++i)
    rt.launch(kernel, blocks, codegen::kCudaBlockSize, params);
  rt.synchronize();
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count() / iters;
}

} // namespace

int main(int argc, char** argv) {
  std::int64_t elements = std::int64_t{1} << 26; // 64 Mi elements: 256 MiB of f32
  int iters = 50;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--elements" && i + 1 < argc) {
      elements = std::atoll(argv[++i]);
    } else if (a == "--iters" && i + 1 < argc) {
      iters = std::atoi(argv[++i]);
    } else {
      std::cerr << "usage: thunder-bench-cuda-kernels [--elements N] [--iters K]\n";
      return 1;
    }
  }
  try {
    std::unique_ptr<cuda::CudaRuntime> rt;
    try {
      rt = std::make_unique<cuda::CudaRuntime>();
    } catch (const BackendError& e) {
      std::cout << "no GPU: " << e.what() << "\n";
      return 2;
    }
    cuda::NvrtcCompiler nvrtc;
    std::cout << "device: " << rt->description() << "; NVRTC " << nvrtc.version() << "\n";
    const std::int64_t cols = 1024;
    const std::int64_t rows = elements / cols;
    const Shape shape{rows, cols};

    std::vector<Case> cases;
    cases.push_back(traced("add_f32", [&](TraceScope& s) {
      auto x = s.input_tensor("x", shape, DType::Float32);
      auto y = s.input_tensor("y", shape, DType::Float32);
      return s.finish(ltorch::add(x, y));
    }));
    for (const DType dtype : {DType::Float32, DType::BFloat16}) {
      cases.push_back(traced(str("gelu_tanh_bias_", short_name(dtype)), [&](TraceScope& s) {
        auto x = s.input_tensor("x", shape, dtype);
        auto b = s.input_tensor("b", {cols}, dtype);
        return s.finish(ltorch::gelu(ltorch::add(x, b), "tanh"));
      }));
    }
    cases.push_back(traced("softmax_rows_f32", [&](TraceScope& s) {
      auto x = s.input_tensor("x", shape, DType::Float32);
      return s.finish(ltorch::softmax(x, 1));
    }));

    // The reference: a copy, written by hand, compiled by the same NVRTC.
    const std::string copy_source =
        "extern \"C\" __global__ void __launch_bounds__(256) copy_f32(const float* __restrict__ "
        "in, float* __restrict__ out, unsigned int n) {\n"
        "  unsigned int i = blockIdx.x * 256u + threadIdx.x;\n"
        "  if (i < n) out[i] = in[i];\n"
        "}\n";
    const auto n = static_cast<unsigned int>(rows * cols);
    const unsigned blocks = (n + codegen::kCudaBlockSize - 1) / codegen::kCudaBlockSize;
    const std::size_t f32_bytes = static_cast<std::size_t>(n) * 4;
    cuda::DeviceMemory a = rt->allocate(f32_bytes, "copy input");
    cuda::DeviceMemory b = rt->allocate(f32_bytes, "copy output");
    const auto copy =
        rt->load(*nvrtc.compile(copy_source, "copy_f32", rt->arch()), "copy_f32");
    std::uint64_t pa = a.address(), pb = b.address();
    unsigned int pn = n;
    void* copy_params[] = {&pa, &pb, &pn};
    const double copy_ms = time_launches(*rt, *copy, blocks, copy_params, iters);
    const double copy_gbs = 2.0 * static_cast<double>(f32_bytes) / copy_ms / 1e6;
    std::printf("%-22s %10s %12s %10s %8s\n", "kernel", "ms", "MB moved", "GB/s", "of copy");
    std::printf("%-22s %10.4f %12.1f %10.1f %7.1f%%\n", "copy_f32 (hand-written)", copy_ms,
                2.0 * static_cast<double>(f32_bytes) / 1e6, copy_gbs, 100.0);

    for (const Case& c : cases) {
      const std::string source = codegen::emit_cuda(c.kernel);
      const auto loaded = rt->load(*nvrtc.compile(source, c.name, rt->arch()), c.name);
      std::vector<cuda::DeviceMemory> buffers;
      std::vector<std::uint64_t> addresses;
      std::size_t moved = 0;
      for (const auto* list : {&c.kernel.inputs, &c.kernel.outputs}) {
        for (const codegen::Buffer& buf : *list) {
          buffers.push_back(rt->allocate(bytes_of(buf), buf.name));
          addresses.push_back(buffers.back().address());
          moved += bytes_of(buf);
        }
      }
      // Inputs hold whatever the allocator gave: the timing does not depend on values
      // (no data-dependent branches in these kernels but NaN checks).
      auto numel = static_cast<unsigned int>(c.kernel.num_invocations);
      std::vector<void*> params;
      for (std::uint64_t& address : addresses)
        params.push_back(&address);
      params.push_back(&numel);
      const auto kernel_blocks = static_cast<unsigned>(codegen::workgroup_count(c.kernel));
      const double ms = time_launches(*rt, *loaded, kernel_blocks, params.data(), iters);
      const double gbs = static_cast<double>(moved) / ms / 1e6;
      std::printf("%-22s %10.4f %12.1f %10.1f %7.1f%%\n", c.name.c_str(), ms,
                  static_cast<double>(moved) / 1e6, gbs, 100.0 * gbs / copy_gbs);
    }
    std::printf("(%lld elements, %d launches each after 3 warm-ups; GB/s counts each input "
                "read once and each output written once)\n",
                static_cast<long long>(n), iters);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "thunder-bench-cuda-kernels: " << e.what() << "\n";
    return 1;
  }
}
