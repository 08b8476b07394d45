#include "thunder/executors/cuda/fused_attention.h"

#include "kernels/embedded_cuda_kernels.h"
#include "thunder/core/error.h"

#include <algorithm>
#include <limits>

namespace thunder::cuda {
namespace {

int dtype_code(DType dtype) {
  switch (dtype) {
  case DType::Float32:
    return 0;
  case DType::Float16:
    return 1;
  case DType::BFloat16:
    return 2;
  default:
    break;
  }
  THUNDER_INTERNAL_ASSERT(false) << "fused attention in " << torch_name(dtype);
  return -1;
}

} // namespace

std::optional<AttentionPlan> plan_fused_attention(const BoundSymbol& bsym, std::string* why_not) {
  const auto no = [&](std::string reason) -> std::optional<AttentionPlan> {
    if (why_not != nullptr) *why_not = std::move(reason);
    return std::nullopt;
  };
  std::optional<codegen::AttentionCall> call = codegen::plan_attention(
      bsym, {.max_batch_dims = kMaxAttentionBatchDims, .max_head_dim = kMaxAttentionHeadDim},
      why_not);
  if (!call) return std::nullopt;
  AttentionPlan plan;
  static_cast<codegen::AttentionCall&>(plan) = std::move(*call);
  plan.config.dtype = plan.dtype;
  plan.config.mask = plan.mask;
  plan.config.causal = plan.causal;
  const std::int64_t head_dim = (std::max(plan.e, plan.ev) + 31) / 32 * 32;
  plan.config.head_dim = static_cast<int>(head_dim);
  plan.config.block_m = head_dim <= 64 ? 64 : 32;
  // The kernel indexes rows and keys with 32 bits, and blocks with CUDA's grid limit.
  constexpr std::int64_t kInt32Max = std::numeric_limits<std::int32_t>::max();
  if (plan.l > kInt32Max || plan.s > kInt32Max) return no("more than 2^31 queries or keys");
  std::int64_t batch_count = 1;
  for (const std::int64_t b : plan.batch)
    batch_count *= b;
  if (batch_count > 0 &&
      (plan.l + plan.config.block_m - 1) / plan.config.block_m > kInt32Max / batch_count) {
    return no("more blocks than one launch has");
  }
  return plan;
}

std::string attention_source(const AttentionConfig& config) {
  const std::string_view kernel = embedded_cuda_kernel("attention");
  THUNDER_INTERNAL_ASSERT(!kernel.empty()) << "attention.cu is not embedded in the library";
  THUNDER_INTERNAL_ASSERT(config.head_dim % 32 == 0 && config.head_dim >= 32 &&
                          config.head_dim <= kMaxAttentionHeadDim && config.block_m % 16 == 0 &&
                          config.block_m > 0)
      << "attention config head_dim " << config.head_dim << ", block_m " << config.block_m;
  std::string out =
      str("// thunder fused attention: ", torch_name(config.dtype), ", mask ",
          codegen::attention_mask_name(config.mask), config.causal ? ", causal" : "",
          ", head dim ", config.head_dim, "\n");
  out += str("#define THUNDER_ATTN_DTYPE ", dtype_code(config.dtype), "\n");
  out += str("#define THUNDER_ATTN_MASK ", static_cast<int>(config.mask), "\n");
  out += str("#define THUNDER_ATTN_CAUSAL ", config.causal ? 1 : 0, "\n");
  out += str("#define THUNDER_ATTN_HEAD_DIM ", config.head_dim, "\n");
  out += str("#define THUNDER_ATTN_BLOCK_M ", config.block_m, "\n");
  out += "#define THUNDER_ATTN_BLOCK_N 32\n";
  out += kernel;
  return out;
}

std::int64_t attention_blocks(const AttentionPlan& plan) {
  std::int64_t n = (plan.l + plan.config.block_m - 1) / plan.config.block_m;
  for (const std::int64_t b : plan.batch)
    n *= b;
  return n;
}

AttentionParams attention_params(const AttentionPlan& plan, const TensorLayout& q,
                                 const TensorLayout& k, const TensorLayout& v,
                                 const TensorLayout* mask) {
  const std::size_t nb = plan.batch.size();
  constexpr std::size_t rank = kMaxAttentionBatchDims + 2;
  const codegen::AttentionStrides st = codegen::attention_strides(plan, rank, q, k, v, mask);
  const std::vector<std::int64_t> &qa = st.q, &ka = st.k, &va = st.v, &ma = st.mask, &oa = st.out;
  AttentionParams p{};
  const std::size_t pad = kMaxAttentionBatchDims - nb;
  for (std::size_t d = 0; d < kMaxAttentionBatchDims; ++d)
    p.batch[d] = d < pad ? 1 : plan.batch[d - pad];
  for (std::size_t d = 0; d < kMaxAttentionBatchDims; ++d) {
    p.q_batch[d] = qa[d];
    p.k_batch[d] = ka[d];
    p.v_batch[d] = va[d];
    p.m_batch[d] = ma[d];
    p.o_batch[d] = oa[d];
  }
  const std::size_t row = kMaxAttentionBatchDims, col = kMaxAttentionBatchDims + 1;
  p.q_row = qa[row];
  p.q_col = qa[col];
  p.k_row = ka[row];
  p.k_col = ka[col];
  p.v_row = va[row];
  p.v_col = va[col];
  p.m_row = ma[row];
  p.m_col = ma[col];
  p.o_row = oa[row];
  p.k_group = plan.k_group;
  p.v_group = plan.v_group;
  p.l = static_cast<std::int32_t>(plan.l);
  p.s = static_cast<std::int32_t>(plan.s);
  p.e = static_cast<std::int32_t>(plan.e);
  p.ev = static_cast<std::int32_t>(plan.ev);
  p.q_tiles = static_cast<std::int32_t>((plan.l + plan.config.block_m - 1) / plan.config.block_m);
  p.scale = static_cast<float>(plan.scale);
  return p;
}

} // namespace thunder::cuda
