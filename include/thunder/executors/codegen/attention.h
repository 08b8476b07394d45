// ltorch.scaled_dot_product_attention as one fused kernel, the part both GPU executors share:
// which calls a fused kernel can compute (decided from the trace's shapes, dtypes and
// constants alone), and how the operands' layouts at run time line up with the call (any
// strides, broadcast dims as stride 0). The kernels themselves are each executor's own:
// cuda's src/executors/cuda/kernels/attention.cu, spirv's shaders/attention.comp. Both follow
// the decomposition they replace (src/ops/ltorch/nn.cpp): q * scale, the dot products, the
// mask, then a softmax in f32 whose fully masked rows give zeros, so the [L, S] weights
// never reach memory. A call neither takes is decomposed as before. Torch-free.
#pragma once

#include "thunder/core/dtype.h"
#include "thunder/core/proxy.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace thunder {
struct BoundSymbol;
} // namespace thunder

namespace thunder::codegen {

/// How the attention weights are masked (the kernels' mask kind).
enum class AttentionMask : int { None = 0, Bool = 1, AdditiveFloat32 = 2, AdditiveDtype = 3 };
/// "none", "bool", "additive float32", "additive, of the query's dtype".
const char* attention_mask_name(AttentionMask mask);

/// What a fused kernel must support to take a call.
struct AttentionLimits {
  std::size_t max_batch_dims = 4; ///< batch dims of the output ([batch..., L, Ev])
  std::int64_t max_head_dim = 128; ///< E and Ev
};

/// An sdpa call a fused kernel computes: its variant, sizes and constants.
struct AttentionCall {
  DType dtype = DType::Float32; ///< query, key, value and output: f32, f16 or bf16
  AttentionMask mask = AttentionMask::None;
  bool causal = false;
  std::int64_t l = 0, s = 0, e = 0, ev = 0; ///< queries, keys, head dims of q/k and of v
  double scale = 1.0;
  Shape batch; ///< The output's batch dims: it is batch + [l, ev].
  /// Grouped query attention (enable_gqa): key/value head = output head / group.
  std::int64_t k_group = 1, v_group = 1;
};

/// Whether the bound symbol is a call of ltorch.scaled_dot_product_attention.
bool is_attention(const BoundSymbol& bsym);

/// The names of an sdpa call's query, key, value and (where it is a tensor) mask, given by
/// position or by keyword.
std::vector<std::string> attention_operands(const BoundSymbol& bsym);

/// The call a fused kernel within `limits` computes: query, key and value of one dtype (f32,
/// f16, bf16) with 2 to max_batch_dims + 2 dims, E and Ev in [1, max_head_dim], no dropout
/// (dropout_p <= 0, a constant), a mask of none, bool, f32 or the query's dtype, is_causal, a
/// constant scale or none (1/sqrt(E)), enable_gqa. nullopt otherwise (and for anything that
/// is not an sdpa call), with the reason in `why_not` when given.
std::optional<AttentionCall> plan_attention(const BoundSymbol& bsym, const AttentionLimits& limits,
                                            std::string* why_not = nullptr);

/// An operand as it lies in memory: sizes and strides in elements.
struct TensorLayout {
  std::vector<std::int64_t> shape;
  std::vector<std::int64_t> strides;
};

/// The strides of query, key, value, mask and the (contiguous) output over the call's
/// [batch..., rows, cols], right-aligned to `rank` dims (the batch padded with leading 1s):
/// 0 where an operand lacks a dim or has size 1 there (broadcast, or a key/value head
/// shared by a group of query heads).
struct AttentionStrides {
  std::vector<std::int64_t> q, k, v, mask, out;
};

/// The strides for operands laid out so (`mask` null where the call has none), aligned to
/// `rank` >= batch dims + 2. ArgumentError where a layout's shape is not the call's.
AttentionStrides attention_strides(const AttentionCall& call, std::size_t rank,
                                   const TensorLayout& q, const TensorLayout& k,
                                   const TensorLayout& v, const TensorLayout* mask);

} // namespace thunder::codegen
