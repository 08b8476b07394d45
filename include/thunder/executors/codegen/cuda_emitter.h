// CUDA emitter: prints a Kernel (kernel_ir.h) as CUDA C++ for NVRTC, the cuda executor's
// renderer (CudaEmitter -> NvrtcCompiler -> CudaRuntime). The kernel's interface:
// - `extern "C" __global__ void NAME(const T* __restrict__ in0, ..., T* __restrict__ out0,
//   ..., unsigned int numel)`: the inputs in Kernel::inputs order, then the outputs, as
//   pointers to the dtype's storage type (bool and u8 as unsigned char, i8 signed char, i16
//   short, i32 int, i64 long long, f16 and bf16 as unsigned short converted by PTX cvt and
//   bit operations, f32 float, f64 double), then Kernel::num_invocations;
// - launched with kCudaBlockSize threads per block and workgroup_count(kernel) blocks:
//   thread idx = blockIdx.x * kCudaBlockSize + threadIdx.x computes element idx, or, in a
//   cooperative kernel, block idx = blockIdx.x does, its threads combining in shared memory.
// It needs no header: NVRTC provides the math functions. Float math is CUDA's accurate
// library (expf, erff, tanhf, log1pf ...; no fast-math), float64 included, so unlike GLSL
// every prim the kernel IR has is printed. The same kernel always gives the same source.
#pragma once

#include "thunder/executors/codegen/kernel_ir.h"

#include <string>

namespace thunder::codegen {

/// Threads per block of every generated kernel.
inline constexpr int kCudaBlockSize = static_cast<int>(kWorkgroupSize);

/// The kernel as CUDA C++ source (see the header comment for its interface); its entry
/// point is named kernel.name.
std::string emit_cuda(const Kernel& kernel);

} // namespace thunder::codegen
