// The cuda executor (DESIGN.md "Backends"), the primary backend: claims the prims that
// generated kernels compute (elementwise in every dtype including f16, bf16 and f64,
// where, converts, broadcast/reshape/transpose/squeeze/slice/pad/cat, full, iota,
// index_select, the sum/prod/amax/amin/argmax/argmin reductions, cumsum and convolution),
// fuses them, and turns each fusion region into one kernel: make_kernel -> emit_cuda
// (CudaEmitter) -> NvrtcCompiler -> CudaRuntime. prims.matmul goes to cuBLASLt, and
// ltorch.scaled_dot_product_attention, where fused_attention.h takes it, to a kernel of
// thunder's own (src/executors/cuda/kernels/attention.cu), each as its own call. What it
// does not claim (random numbers) goes to the torch executor.
//
// Without a GPU it still renders and compiles: render() and compile_for() need only NVRTC,
// which is how CI checks that every kernel the op database and the models generate
// compiles for sm_80 and sm_90; and with thunder's CUDA host emulator as its driver
// (RuntimeOptions::driver_library, THUNDER_CUDA_DRIVER_LIBRARY) it runs them on the CPU.
// Torch-free; cuda_torch.h is its torch edge.
#pragma once

#include "thunder/executors/codegen/kernel_ir.h"
#include "thunder/executors/cuda/cublas_matmul.h"
#include "thunder/executors/cuda/cuda_runtime.h"
#include "thunder/executors/cuda/fused_attention.h"
#include "thunder/executors/cuda/nvrtc_compiler.h"
#include "thunder/executors/executor.h"

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace thunder::cuda {

/// A fusion region as a kernel: its IR, its CUDA source, what NVRTC made of it, and (when
/// compiled for this machine's device) the loaded kernel.
struct CompiledRegion {
  codegen::Kernel kernel;
  std::string source;
  std::string source_hash; ///< stable_hash(source)
  std::shared_ptr<const CompiledCode> code;
  std::shared_ptr<const LoadedKernel> loaded; ///< Null from compile_for().
};

/// The fused attention kernel of one configuration: its source, what NVRTC made of it, and
/// (when compiled for this machine's device) the loaded kernel.
struct CompiledAttention {
  AttentionConfig config;
  std::string source;
  std::shared_ptr<const CompiledCode> code;
  std::shared_ptr<const LoadedKernel> loaded; ///< Null from compile_attention_for().
};

struct CudaExecutorOptions {
  RuntimeOptions runtime;
  /// f32 matrix products may use TF32 (10-bit mantissa inputs, f32 accumulation), as torch's
  /// allow_tf32. Default: off, or $THUNDER_CUDA_TF32=1.
  std::optional<bool> tf32;
  /// Where NVRTC's results are kept; empty: $THUNDER_CACHE_DIR/cuda when set, else none.
  std::string cache_dir;
  /// ltorch.scaled_dot_product_attention through the fused attention kernel where it takes
  /// the call (fused_attention.h); off: decomposed into matmuls and a softmax. Default: on,
  /// unless $THUNDER_CUDA_FUSED_ATTENTION=0.
  std::optional<bool> fused_attention;
  /// A matmul's bias add and relu in cuBLASLt's epilogue, f16/bf16 operands read as stored
  /// (runs_matmul_epilogue); off: they run as they are in the trace. Default: on, unless
  /// THUNDER_CUDA_MATMUL_EPILOGUES=0.
  std::optional<bool> matmul_epilogues;
};

class CudaExecutor final : public Executor {
public:
  /// First in "auto".
  static constexpr int kPriority = 30;

  /// Neither NVRTC nor the driver is opened here; each on first need.
  explicit CudaExecutor(CudaExecutorOptions options = {});
  ~CudaExecutor() override;

  /// Available when the driver opens a device and NVRTC loads; otherwise the first
  /// missing piece, in words, is the reason.
  Availability availability() const override;
  /// Prims whose one-prim kernel make_kernel builds and emit_cuda prints, on tensors on the
  /// CPU (copied to the device) or on a CUDA device, and prims.matmul in f32, f64, f16 and
  /// bf16 where cuBLASLt loads (cublaslt_candidates; not fused: it runs as its own call),
  /// and ltorch.scaled_dot_product_attention where the fused attention kernel takes it
  /// (plan_fused_attention; not fused either). Other composites are not claimed:
  /// assign_executors offers their prims instead.
  bool claims(const BoundSymbol& bsym) const override;
  bool fusible(const BoundSymbol& bsym) const override;
  /// cuBLASLt reads a matmul's operands through strides (row- or column-major, one batch
  /// stride): the runner computes the view prims rematerialize gives it as strides over the
  /// viewed buffer, so a linear's transposed weight is never stored.
  bool reads_views_in_place(const BoundSymbol& bsym) const override;
  /// The fused attention reads q, k, v and the mask through any strides and offset.
  bool reads_any_view_layout(const BoundSymbol& reader) const override;
  /// cuBLASLt's BIAS, RELU and RELU_BIAS epilogues, in f32, f16 and bf16, where it loads.
  bool runs_matmul_epilogue(const MatmulEpilogue& epilogue) const override;
  bool reduces_cooperatively(const BoundSymbol& region) const override;
  /// A layout CublasMatmul::takes, with one batch stride.
  bool reads_view_layout(const Shape& shape, const std::vector<std::int64_t>& strides) const override;

  /// The kernel and CUDA source of a region ("cuda.fusionN"), with the given strides for
  /// inputs that are not contiguous; needs neither NVRTC nor a GPU.
  std::shared_ptr<CompiledRegion>
  render(const BoundSymbol& region,
         const std::map<std::string, codegen::Strides>& input_strides = {}) const;
  /// render() then NVRTC for `arch`, without loading it (compile-only mode: no GPU needed).
  std::shared_ptr<const CompiledRegion>
  compile_for(const BoundSymbol& region, GpuArch arch,
              const std::map<std::string, codegen::Strides>& input_strides = {}) const;
  /// render() then NVRTC for this device, loaded and ready to launch; cached by source.
  std::shared_ptr<const CompiledRegion>
  compile(const BoundSymbol& region,
          const std::map<std::string, codegen::Strides>& input_strides = {}) const;

  /// The fused attention kernel for a call claims() took, NVRTC-compiled for `arch`
  /// without loading it (compile-only mode: no GPU needed).
  std::shared_ptr<const CompiledAttention> compile_attention_for(const BoundSymbol& bsym,
                                                                 GpuArch arch) const;
  /// The same, compiled for this device and loaded; cached by configuration.
  std::shared_ptr<const CompiledAttention> compile_attention(const AttentionConfig& config) const;
  /// Whether ltorch.scaled_dot_product_attention may go to the fused kernel (the option, or
  /// $THUNDER_CUDA_FUSED_ATTENTION, read when the executor was made).
  bool fused_attention_enabled() const { return fused_attention_; }

  /// The runtime (BackendError with the reason where there is no GPU or driver).
  CudaRuntime& runtime() const;
  /// NVRTC (BackendError with the reason where it is not found).
  NvrtcCompiler& compiler() const;
  /// cuBLASLt on the runtime's device (BackendError with the reason where it is not found).
  CublasMatmul& blas() const;
  /// Whether cuBLASLt loads here (opened once, without the driver).
  bool blas_loadable() const;

  std::size_t kernel_cache_size() const;
  std::size_t kernel_cache_hits() const;

private:
  CudaExecutorOptions options_;
  mutable std::mutex mutex_;
  OpenOnce<CudaRuntime> runtime_;
  OpenOnce<NvrtcCompiler> compiler_;
  OpenOnce<CublasMatmul> blas_;
  mutable std::optional<bool> blas_loadable_;
  /// By the whole source (not a hash: a collision would launch another kernel).
  mutable std::map<std::string, std::shared_ptr<const CompiledRegion>> kernels_;
  mutable std::size_t kernel_hits_ = 0;
  bool fused_attention_ = true;
  bool matmul_epilogues_ = true;
  mutable std::map<AttentionConfig, std::shared_ptr<const CompiledAttention>> attention_kernels_;
};

} // namespace thunder::cuda
