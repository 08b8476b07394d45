// The spirv executor's hand-written kernels (shaders/*.comp): the SPIR-V that
// cmake/EmbedSpirv.cmake compiled at build time and embedded in the library, the pipelines
// made from it (one per module, made on first use and cached), and the host side of each
// kernel (how a problem becomes dispatches and push constants). Torch-free; the torch edge
// (spirv_torch.cpp) binds the buffers and records the dispatches.
#pragma once

#include "thunder/core/dtype.h"
#include "thunder/executors/codegen/attention.h"
#include "thunder/executors/spirv/vulkan_runtime.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace thunder::spirv {

/// One embedded SPIR-V module: "<shader>_<variant>", e.g. "matmul_f32".
struct EmbeddedShader {
  const char* name;
  const uint32_t* words;
  std::size_t word_count;
};

/// Every embedded module, sorted by name (defined in the .cpp that EmbedSpirv generates).
std::span<const EmbeddedShader> embedded_shaders();
/// The module called `name`; InternalError if the build embedded none of that name.
const EmbeddedShader& embedded_shader(std::string_view name);

/// Pipelines of the embedded modules on one device, made on first use. Thread-safe.
class BuiltinKernels {
public:
  /// The pipeline of module `name` with `layout` (the layout must be the same every call).
  const Pipeline& pipeline(VulkanRuntime& runtime, std::string_view name,
                           const PipelineLayout& layout);
  std::size_t size() const;

private:
  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<const Pipeline>, std::less<>> pipelines_;
};

/// The size of the buffer the torch edge makes for `bytes`: whole 32-bit words, at least one
/// (the attention kernel reads its mask, bool, f16 or bf16, as words, so a buffer's last word
/// must be in it). Claims check this size against maxStorageBufferRange.
inline std::size_t buffer_word_bytes(std::size_t bytes) {
  return (std::max<std::size_t>(bytes, 4) + 3) / 4 * 4;
}

// ---- matmul (shaders/matmul.comp): C[b] = A[b] @ B[b] (+ bias, relu), C contiguous ----

/// Must match TILE_M / TILE_N in shaders/matmul.comp and shaders/matmul_coop.comp.
inline constexpr int64_t kMatmulTileM = 64;
inline constexpr int64_t kMatmulTileN = 64;
/// Vulkan guarantees at least this many workgroups in each dimension of a dispatch.
inline constexpr int64_t kMaxWorkgroups = 65535;

/// An operand's place in its buffer as the shader reads it: element [batch, row, col] at
/// offset + (batch / inner_count) * outer + (batch % inner_count) * inner + row * r + col * c.
struct MatmulOperandPush {
  uint32_t offset, inner_count, outer, inner, row, col;
};
/// The shader's push constants, in its order (std430: every member 4-byte aligned).
struct MatmulPushConstants {
  uint32_t m, n, k, batch_base;
  MatmulOperandPush a, b;
  uint32_t bias_offset, bias_stride;
  uint32_t epilogue; ///< kMatmulBias | kMatmulRelu
};
static_assert(sizeof(MatmulPushConstants) == 76);
inline constexpr uint32_t kMatmulBias = 1;
inline constexpr uint32_t kMatmulRelu = 2;

/// How a matmul operand [batch..., rows, cols] lies in its buffer, in elements: its batch
/// dims as at most two groups that one stride each walks (outer, then `inner_count` of
/// inner), the offset of its first element, and the row and column strides (0 for a dim
/// of size 1).
struct MatmulLayout {
  int64_t offset = 0, inner_count = 1, outer = 0, inner = 0, row = 0, col = 0;
};

/// The layout of a tensor with these sizes and strides (rank >= 2) at `offset`, or nullopt
/// where its batch dims do not fall in two groups of one stride each.
std::optional<MatmulLayout> matmul_layout_of(std::span<const int64_t> sizes,
                                            std::span<const int64_t> strides, int64_t offset = 0);

/// A matmul over [batch, m, k] x [batch, k, n] with A and B laid out as given; C is
/// [batch, m, n] contiguous. With `bias`, bias[j] (at bias_offset + j * bias_stride) is
/// added to column j of every product, and with `relu`, max(x, 0) applied after it.
struct MatmulProblem {
  int64_t batch = 1, m = 0, n = 0, k = 0;
  MatmulLayout a, b;
  bool bias = false, relu = false;
  int64_t bias_offset = 0, bias_stride = 1;
};

struct MatmulDispatch {
  MatmulPushConstants push;
  uint32_t groups_x, groups_y, groups_z;
};

/// The dispatches of one matmul (several where batch > kMaxWorkgroups; none where C is
/// empty). UnsupportedError where a size or stride does not fit the shader's 32-bit indices
/// or the grid's limits.
std::vector<MatmulDispatch> plan_matmul(const MatmulProblem& problem);

/// "matmul_f32", "matmul_f16" or "matmul_bf16"; UnsupportedError for other dtypes. f16 with
/// a cooperative-matrix runtime: "matmul_coop_f16" (shaders/matmul_coop.comp, the same
/// problem, push constants and grid), or "matmul_coop_emulated_f16".
std::string matmul_module(DType dtype,
                          CooperativeMatrix cooperative_matrix = CooperativeMatrix::Off);
/// The layout of the matmul pipelines: A, B, the bias, C and the push constants.
PipelineLayout matmul_layout(DType dtype,
                             CooperativeMatrix cooperative_matrix = CooperativeMatrix::Off);

/// The bits of `x` as float16, for values float16 holds exactly (0 and normal values, such
/// as multiples of 1/64 in [-2, 2]).
inline uint16_t exact_f16_bits(float x) {
  uint32_t u = 0;
  std::memcpy(&u, &x, sizeof(u));
  if ((u & 0x7FFFFFFFu) == 0) return static_cast<uint16_t>(u >> 16);
  return static_cast<uint16_t>(((u >> 16) & 0x8000u) | ((((u >> 23) & 0xFFu) - 112u) << 10) |
                               ((u >> 13) & 0x3FFu));
}

/// Runs `module` (a matmul module taking f16: "matmul_coop_f16", "matmul_coop_emulated_f16")
/// against the tiled kernel on the device, on [2, 70, 40] x [2, 40, 72]: edges in M, N and K,
/// two batches, and values (multiples of 1/64) whose sums both compute exactly in f32, so
/// the results must agree to within one f16 rounding. Empty where they do; else what differs
/// (or the error that made or ran the kernel). Holds no memory after it returns.
std::string check_f16_matmul(VulkanRuntime& runtime, BuiltinKernels& kernels,
                             const std::string& module);

// ---- attention (shaders/attention.comp): ltorch.scaled_dot_product_attention, fused ----

/// Must match ROWS and MAX_HEAD in shaders/attention.comp: query rows per workgroup, and the
/// most E and Ev (kAttentionLimits). The output has at most two batch dims (workgroups' y and z).
inline constexpr int64_t kAttentionRows = 64;
/// Must match CHUNK in shaders/attention.comp: keys per step of a row's loop.
inline constexpr int64_t kAttentionKeyChunk = 16;
inline constexpr codegen::AttentionLimits kAttentionLimits{.max_batch_dims = 2,
                                                           .max_head_dim = 128};

/// An operand's place in its buffer as the shader reads it: element [outer, head, row, col]
/// at offset + outer * outer_stride + head * inner + row * r + col * c.
struct AttentionOperandPush {
  uint32_t offset, outer, inner, row, col;
};
/// The shader's push constants, in its order.
struct AttentionPushConstants {
  uint32_t l, s, e, ev;
  AttentionOperandPush q, k, v, m;
  uint32_t k_group, v_group;
  uint32_t flags; ///< the mask's kind (kAttentionMask*), | kAttentionCausal
  float scale;
};
static_assert(sizeof(AttentionPushConstants) == 112);
inline constexpr uint32_t kAttentionMaskBool = 1, kAttentionMaskF32 = 2, kAttentionMaskF16 = 3,
                          kAttentionMaskBf16 = 4, kAttentionCausal = 8;

/// One attention dispatch: push constants and workgroups.
struct AttentionDispatch {
  AttentionPushConstants push;
  uint32_t groups_x, groups_y, groups_z;
};

/// Where query, key, value and mask start in their buffers, in elements.
struct AttentionOffsets {
  int64_t q = 0, k = 0, v = 0, mask = 0;
};

/// The dispatch of an attention call whose operands have these strides
/// (codegen::attention_strides over 4 dims) and offsets; nullopt where the output is empty.
/// UnsupportedError where an index does not fit the shader's 32 bits or the workgroups
/// exceed the grid's limits.
std::optional<AttentionDispatch> plan_attention_dispatch(const codegen::AttentionCall& call,
                                                         const codegen::AttentionStrides& strides,
                                                         const AttentionOffsets& offsets);

/// The head dim of the attention variants whose loops over it are unrolled (HEAD_DIM in
/// shaders/attention.comp's _e64 variants).
inline constexpr int64_t kAttentionUnrolledHead = 64;
/// "attention_f32", "attention_f16" or "attention_bf16", with "_e64" where E = Ev = 64;
/// UnsupportedError for other dtypes.
std::string attention_module(const codegen::AttentionCall& call);
/// The layout of the attention pipelines: query, key, value, mask, output, push constants.
PipelineLayout attention_layout(const codegen::AttentionCall& call);

} // namespace thunder::spirv
