// CublasMatmul: prims.matmul on the cuda executor, through cuBLASLt opened at run time
// (dlopen), so the library builds and loads without it. Operands are row-major or
// column-major matrices with one uniform batch stride (what regions write, what torch's
// contiguous and transposed tensors are); the caller makes any other layout contiguous
// first. f32 computes in f32 unless the TF32 policy allows TF32 (torch's default for matmul
// is off, and so is thunder's); f16 and bf16 accumulate in f32; f64 in f64. Integers are
// not cuBLASLt's (they stay on torch). Every call is checked; a failure names the shapes
// and dtype. Torch-free.
#pragma once

#include "thunder/core/dtype.h"
#include "thunder/executors/executor.h"

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace thunder::cuda {

class CudaRuntime;
class DeviceMemory;
class DynamicLibrary;

/// A batch of matrices in device memory: element (b, r, c) at
/// address + (b * batch_stride + r * row_stride + c * col_stride) elements.
struct MatrixOperand {
  std::uint64_t address = 0;
  std::int64_t batch = 1, rows = 0, cols = 0;
  std::int64_t batch_stride = 0, row_stride = 0, col_stride = 1;
};

/// A tensor of `shape` and `strides` (elements; rank 2 or more) at `address` as a matrix
/// operand: its last two dims, and its batch dims as one where their strides allow it
/// (size-1 dims do not count; batch_stride -1 where they do not).
MatrixOperand strided_operand(std::uint64_t address, const std::vector<std::int64_t>& shape,
                              const std::vector<std::int64_t>& strides);

/// c = a @ b, batch by batch: a is [batch, m, k], b [batch, k, n], c [batch, m, n]; then,
/// on the accumulator before c's rounding, + bias (a vector of n at `bias`, the same for
/// every batch, where bias != 0) and the activation (cuBLASLt's epilogues).
struct MatmulProblem {
  DType dtype = DType::Float32;
  MatrixOperand a, b, c;
  std::uint64_t bias = 0;
  MatmulActivation activation = MatmulActivation::None;
};

/// Where cuBLASLt is looked for: the driver library's own when it has one (thunder's CUDA
/// host emulator does), else $THUNDER_CUBLASLT_LIBRARY, else libcublasLt by soname (CUDA
/// 13, 12), in the directories NVRTC is looked for in, and in the CUDA toolkit's lib64.
std::vector<std::string> cublaslt_candidates(const std::string& driver_library);

class CublasMatmul {
public:
  /// Opens cuBLASLt (BackendError naming every place tried when none loads) and makes its
  /// handle and workspace on `runtime`'s device. `tf32`: f32 products may use TF32.
  CublasMatmul(CudaRuntime& runtime, bool tf32);
  ~CublasMatmul();
  CublasMatmul(const CublasMatmul&) = delete;
  CublasMatmul& operator=(const CublasMatmul&) = delete;

  /// "cuBLASLt 130100 at /path/libcublasLt.so.13".
  std::string description() const;
  /// Whether cuBLASLt multiplies this dtype (f32, f64, f16, bf16).
  static bool supports(DType dtype);
  /// Whether an operand's layout is one cuBLASLt takes: a row- or column-major matrix (a
  /// leading dimension no smaller than the rows it strides over) and one batch stride.
  static bool takes(const MatrixOperand& m);
  /// Records c = a @ b on `stream` (a CUstream; nullptr: the legacy default stream).
  void run(const MatmulProblem& problem, void* stream);
  /// Gives back the workspace of `stream` (a stream that is being destroyed, with the
  /// CUDA graphs that read it), after the work before it there.
  void release_workspace(void* stream);
  /// Bytes of the workspace `stream` has (0: none yet).
  std::size_t workspace_bytes(void* stream);

private:
  struct Api;
  CudaRuntime& runtime_;
  bool tf32_;
  std::unique_ptr<DynamicLibrary> library_;
  std::unique_ptr<Api> api_;
  void* handle_ = nullptr;
  std::mutex mutex_;
  std::map<void*, std::unique_ptr<DeviceMemory>> workspaces_; ///< By stream.
};

} // namespace thunder::cuda
