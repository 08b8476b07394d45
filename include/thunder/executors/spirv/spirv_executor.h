// The spirv executor (DESIGN.md "Backends"): claims the prims generated kernels can compute
// (elementwise, where, converts, broadcast/reshape/transpose/squeeze/slice, full, and the
// sum/prod/amax/amin reductions), fuses them, and turns each of its fusion regions into one
// compute pipeline: make_kernel -> emit_glsl (GlslEmitter) -> ShadercCompiler ->
// VulkanRuntime. Pipelines are cached by a hash of the generated source, so a region seen
// again (in this call or a later one) reuses its pipeline. prims.matmul it claims too, on
// f32 (f16 and bf16 where the device stores 16-bit values) and runs as a hand-written kernel
// (shaders/matmul.comp, embedded at build time; builtin_kernels.h), never fused. What it
// does not claim (convolution, indexing, random numbers) goes to the torch executor.
//
// Torch-free: it knows kernels, buffers and pipelines; moving at::Tensors in and out of
// device buffers is the job of the torch edge (spirv_torch.h).
#pragma once

#include "thunder/executors/codegen/kernel_ir.h"
#include "thunder/executors/executor.h"
#include "thunder/executors/spirv/shaderc_compiler.h"
#include "thunder/executors/spirv/vulkan_runtime.h"

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace thunder::spirv {

class BuiltinKernels;

/// A fusion region ready to dispatch: its kernel (buffers in binding order: inputs, then
/// outputs), the GLSL it was printed as, and the pipeline compiled from it.
struct CompiledRegion {
  codegen::Kernel kernel;
  std::string glsl;
  std::string source_hash; ///< stable_hash(glsl): the pipeline cache key.
  std::shared_ptr<const Pipeline> pipeline;
};

/// The spirv backend as an Executor.
class SpirvExecutor final : public Executor {
public:
  /// Priority between cuda's and torch's ("auto" prefers cuda, then spirv).
  static constexpr int kPriority = 20;

  /// The Vulkan device is opened on first need (availability() or runtime()), not here.
  /// A static executor should open it in its initializer: layers the loader brings in
  /// register their exit-time teardown then, before the executor's, so it is destroyed first.
  explicit SpirvExecutor(RuntimeOptions options = {});
  ~SpirvExecutor() override;

  /// Available when a VulkanRuntime opens; otherwise the runtime's error, e.g. "spirv: no
  /// Vulkan device ...", is the reason.
  Availability availability() const override;
  /// Prims whose one-prim kernel make_kernel builds and emit_glsl prints, on tensors of
  /// f32 and i32, and of the dtypes the device's features allow (VulkanRuntime::features():
  /// 8-bit storage for bool/u8/i8, 16-bit storage for f16/bf16/i16, shaderInt64 for i64,
  /// shaderFloat64 for f64); the others go to torch. Opens the device.
  /// Composites are not claimed: assign_executors offers their prims instead.
  /// prims.matmul on CPU f32 tensors (f16, bf16 where the device enables 16-bit storage) whose
  /// buffers fit maxStorageBufferRange is claimed for the matmul kernel, and
  /// ltorch.scaled_dot_product_attention so (at most two batch dims, E and Ev at most 128:
  /// codegen::plan_attention within kAttentionLimits) for the fused attention kernel, unless
  /// RuntimeOptions::fused_attention = 0 or THUNDER_VK_FUSED_ATTENTION=0.
  bool claims(const BoundSymbol& bsym) const override;
  /// Every claimed prim may be fused but prims.matmul and attention, kernels of their own.
  bool fusible(const BoundSymbol& bsym) const override;
  /// prims.matmul, spirv.matmul_epilogue and a claimed attention call: the kernels read
  /// operands through strides, and
  /// run_spirv_trace computes unfused view prims of spirv as strides over the viewed
  /// buffer, with no dispatch.
  bool reads_views_in_place(const BoundSymbol& bsym) const override;
  /// Those calls on operands of rank 4 at most: the kernels take any offset, row and column
  /// strides, and two batch strides (q, k and v as views of one projection).
  bool reads_any_view_layout(const BoundSymbol& reader) const override;
  /// A bias, a relu or both on f32 products, and on f16/bf16 ones where the device stores
  /// 16-bit values: added on the f32 accumulator before the one rounding. Off with
  /// RuntimeOptions::matmul_epilogues = 0 or THUNDER_VK_MATMUL_EPILOGUES=0.
  bool runs_matmul_epilogue(const MatmulEpilogue& epilogue) const override;
  bool reduces_cooperatively(const BoundSymbol& region) const override;

  /// The runtime; BackendError with the availability reason where there is none. Where it
  /// uses the cooperative-matrix matmul (or its emulation), the kernel is checked against
  /// the tiled one on the device when the runtime opens (check_f16_matmul).
  VulkanRuntime& runtime() const;
  /// What f16 products run on: the runtime's cooperative_matrix(), or Off where the
  /// cooperative-matrix kernel failed its check (cooperative_matmul_failure says why).
  CooperativeMatrix matmul_cooperative_matrix() const;
  /// Empty where the kernel passed its check or is not used; else what the check found.
  const std::string& cooperative_matmul_failure() const;
  ShadercCompiler& compiler() const { return *compiler_; }

  /// The kernel and pipeline of a fusion region (a "spirv.fusionN" bound symbol), with the
  /// given strides (in elements) for inputs that are not contiguous. UnsupportedError, naming
  /// the prim or buffer, where the region cannot become a kernel on this device (the caller
  /// runs it on torch and reports that); ShaderError/BackendError from the compiler or
  /// the driver propagate.
  std::shared_ptr<const CompiledRegion>
  compile(const BoundSymbol& region,
          const std::map<std::string, codegen::Strides>& input_strides = {}) const;

  /// Pipelines held, and compile() calls answered from the cache.
  std::size_t pipeline_cache_size() const;
  std::size_t pipeline_cache_hits() const;

  /// The pipelines of the hand-written kernels (shaders/), made on first use; the torch
  /// edge dispatches them (see src/executors/spirv/builtin_kernels.h).
  BuiltinKernels& builtin_kernels() const { return *builtin_kernels_; }
  /// Pipelines of hand-written kernels made so far (one per module used).
  std::size_t builtin_pipeline_count() const;

private:
  RuntimeOptions options_;
  bool matmul_epilogues_;
  bool fused_attention_;
  std::unique_ptr<ShadercCompiler> compiler_;
  mutable std::mutex mutex_;
  OpenOnce<VulkanRuntime> runtime_;
  mutable std::map<std::string, std::shared_ptr<const Pipeline>> pipelines_; ///< By source hash.
  mutable std::size_t pipeline_hits_ = 0;
  std::unique_ptr<BuiltinKernels> builtin_kernels_;
  mutable std::string cooperative_matmul_failure_; ///< Set once, when the runtime opens.
};

} // namespace thunder::spirv
