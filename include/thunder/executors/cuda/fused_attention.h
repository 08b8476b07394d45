// The cuda executor's fused attention: ltorch.scaled_dot_product_attention as one kernel of
// thunder's own (src/executors/cuda/kernels/attention.cu, FlashAttention-2 style: online
// softmax in f32, the [L, S] weights never stored) instead of its decomposition (two
// matmuls and a softmax). Which calls it takes is codegen/attention.h's plan (shared with
// the spirv executor) within this kernel's limits; here are the kernel's CUDA source for one
// configuration and its launch parameters for the operands' layouts at run time.
// Torch-free; the runner (cuda_torch.cpp) launches it.
#pragma once

#include "thunder/core/dtype.h"
#include "thunder/core/proxy.h"
#include "thunder/executors/codegen/attention.h"

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace thunder {
struct BoundSymbol;
} // namespace thunder

namespace thunder::cuda {

/// The most head dim (E and Ev) the kernel takes, and the most batch dims of the output.
inline constexpr std::int64_t kMaxAttentionHeadDim = 128;
inline constexpr std::size_t kMaxAttentionBatchDims = 4;
/// Threads per block of every launch, and the kernel's entry point.
inline constexpr unsigned kAttentionThreads = 128;
inline constexpr const char* kAttentionKernelName = "thunder_attention";

/// How the attention weights are masked (the kernel's THUNDER_ATTN_MASK).
using codegen::AttentionMask;
using codegen::attention_operands;
using codegen::is_attention;
using codegen::TensorLayout;

/// One variant of the kernel: one source, one NVRTC compile.
struct AttentionConfig {
  DType dtype = DType::Float32; ///< query, key, value and output: f32, f16 or bf16
  AttentionMask mask = AttentionMask::None;
  bool causal = false;
  int head_dim = 32; ///< max(E, Ev) rounded up to a multiple of 32
  int block_m = 64;  ///< query rows per block
  auto operator<=>(const AttentionConfig&) const = default;
};

/// A call the kernel computes: its variant (the compile key), sizes and constants.
struct AttentionPlan : codegen::AttentionCall {
  AttentionConfig config;
};

/// The plan for an sdpa call the kernel computes: codegen::plan_attention's, with at most
/// kMaxAttentionBatchDims batch dims and head dims of at most kMaxAttentionHeadDim, and
/// indices within 32 bits. nullopt otherwise, with the reason in `why_not` when given.
std::optional<AttentionPlan> plan_fused_attention(const BoundSymbol& bsym,
                                                  std::string* why_not = nullptr);

/// The kernel's CUDA C++ for one variant: its configuration as #defines, then the embedded
/// attention.cu. Deterministic (the kernel caches key on it).
std::string attention_source(const AttentionConfig& config);

/// The kernel's last parameter, field for field its ThunderAttentionParams.
struct AttentionParams {
  std::int64_t batch[4];
  std::int64_t q_batch[4];
  std::int64_t k_batch[4];
  std::int64_t v_batch[4];
  std::int64_t m_batch[4];
  std::int64_t o_batch[4];
  std::int64_t q_row, q_col, k_row, k_col, v_row, v_col, m_row, m_col, o_row;
  std::int64_t k_group, v_group;
  std::int32_t l, s, e, ev;
  std::int32_t q_tiles;
  float scale;
};
static_assert(sizeof(AttentionParams) == 35 * 8 + 6 * 4, "the kernel reads this layout");

/// The launch parameters for operands laid out so (the mask's layout: null when the plan
/// has none); the output is contiguous. ArgumentError where a layout's shape is not the
/// one the plan was made for.
AttentionParams attention_params(const AttentionPlan& plan, const TensorLayout& q,
                                 const TensorLayout& k, const TensorLayout& v,
                                 const TensorLayout* mask);

/// Blocks to launch: batch elements times query tiles (0: the output is empty).
std::int64_t attention_blocks(const AttentionPlan& plan);

} // namespace thunder::cuda
