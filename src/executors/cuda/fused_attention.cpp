#include "thunder/executors/cuda/fused_attention.h"

#include "kernels/embedded_cuda_kernels.h"
#include "thunder/core/bound_symbol.h"
#include "thunder/core/error.h"
#include "thunder/core/symbol.h"
#include "thunder/ops/ltorch.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace thunder::cuda {
namespace {

// A parameter of the call: positional where given so, else by keyword, else its default.
Value param(const BoundSymbol& bsym, std::size_t index) {
  const Param& p = bsym.symbol->params.at(index);
  if (!p.keyword_only && index < bsym.args.size()) return bsym.args[index];
  for (const auto& [name, value] : bsym.kwargs) {
    if (name == p.name) return value;
  }
  return p.default_value.value_or(Value());
}

bool constant_number(const Value& v) {
  const ValueKind k = v.kind();
  return k == ValueKind::Bool || k == ValueKind::Int || k == ValueKind::Float;
}

// Two batch shapes broadcast together (right-aligned), or nullopt.
std::optional<Shape> broadcast(const Shape& a, const Shape& b) {
  Shape out(std::max(a.size(), b.size()), 1);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const std::int64_t x = i < a.size() ? a[a.size() - 1 - i] : 1;
    const std::int64_t y = i < b.size() ? b[b.size() - 1 - i] : 1;
    if (x != y && x != 1 && y != 1) return std::nullopt;
    out[out.size() - 1 - i] = x == 1 ? y : x;
  }
  return out;
}

Shape batch_of(const Shape& s) {
  return Shape(s.begin(), s.end() - 2);
}

// Strides of `layout` over a target of kMaxAttentionBatchDims + 2 dims, right-aligned: 0
// where the operand lacks the dim or has size 1 there (broadcast).
std::vector<std::int64_t> aligned_strides(const TensorLayout& layout) {
  constexpr std::size_t rank = kMaxAttentionBatchDims + 2;
  std::vector<std::int64_t> out(rank, 0);
  const std::size_t n = layout.shape.size();
  THUNDER_INTERNAL_ASSERT(n <= rank && layout.strides.size() == n)
      << "attention operand of rank " << n << " with " << layout.strides.size() << " strides";
  for (std::size_t i = 0; i < n; ++i) {
    if (layout.shape[i] != 1) out[rank - n + i] = layout.strides[i];
  }
  return out;
}

void check_layout(const char* what, const TensorLayout& layout, const Shape& expected) {
  if (layout.shape != expected || layout.strides.size() != expected.size()) {
    throw ArgumentError(str("cuda fused attention: ", what, " has shape ",
                            shape_to_string(layout.shape), " (", layout.strides.size(),
                            " strides), but the trace has ", shape_to_string(expected)));
  }
}

const char* mask_name(AttentionMask mask) {
  switch (mask) {
  case AttentionMask::None:
    return "none";
  case AttentionMask::Bool:
    return "bool";
  case AttentionMask::AdditiveFloat32:
    return "additive float32";
  case AttentionMask::AdditiveDtype:
    return "additive, of the query's dtype";
  }
  return "?";
}

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

bool is_attention(const BoundSymbol& bsym) {
  return bsym.symbol == &ltorch::symbol(ltorch::LTorchId::scaled_dot_product_attention);
}

std::vector<std::string> attention_operands(const BoundSymbol& bsym) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < 4; ++i) {
    const Value v = param(bsym, i);
    if (v.is_tensor()) names.push_back(v.as_tensor()->name());
  }
  return names;
}

std::optional<AttentionPlan> plan_fused_attention(const BoundSymbol& bsym, std::string* why_not) {
  const auto no = [&](std::string reason) -> std::optional<AttentionPlan> {
    if (why_not != nullptr) *why_not = std::move(reason);
    return std::nullopt;
  };
  if (!is_attention(bsym)) return no("not a call of ltorch.scaled_dot_product_attention");
  const Value query = param(bsym, 0), key = param(bsym, 1), value = param(bsym, 2);
  const Value mask = param(bsym, 3), dropout = param(bsym, 4), causal = param(bsym, 5);
  const Value scale = param(bsym, 6), gqa = param(bsym, 7);
  if (!query.is_tensor() || !key.is_tensor() || !value.is_tensor() || !bsym.output.is_tensor())
    return no("query, key, value or the output is not a tensor");
  const TensorProxy& q = *query.as_tensor();
  const TensorProxy& k = *key.as_tensor();
  const TensorProxy& v = *value.as_tensor();
  const DType dtype = q.dtype();
  if (dtype != DType::Float32 && dtype != DType::Float16 && dtype != DType::BFloat16)
    return no(str("dtype ", torch_name(dtype), " (the kernel takes float32, float16, bfloat16)"));
  if (k.dtype() != dtype || v.dtype() != dtype || bsym.output.as_tensor()->dtype() != dtype)
    return no("query, key, value and the output differ in dtype");
  const std::size_t max_rank = kMaxAttentionBatchDims + 2;
  for (const TensorProxy* t : {&q, &k, &v}) {
    if (t->ndim() < 2 || static_cast<std::size_t>(t->ndim()) > max_rank)
      return no(str("an operand of ", t->ndim(), " dims (2 to ", max_rank, " taken)"));
  }
  const Shape &qs = q.shape(), &ks = k.shape(), &vs = v.shape();
  AttentionPlan plan;
  plan.l = qs[qs.size() - 2];
  plan.e = qs.back();
  plan.s = ks[ks.size() - 2];
  plan.ev = vs.back();
  if (ks.back() != plan.e || vs[vs.size() - 2] != plan.s) return no("mismatched sizes");
  if (plan.e < 1 || plan.e > kMaxAttentionHeadDim || plan.ev < 1 ||
      plan.ev > kMaxAttentionHeadDim) {
    return no(
        str("head dims E=", plan.e, ", Ev=", plan.ev, " (1 to ", kMaxAttentionHeadDim, " taken)"));
  }
  if (!constant_number(dropout) || dropout.as_float() > 0.0)
    return no(str("dropout_p=", dropout.repr(), " (only a constant <= 0, no dropout, taken)"));
  if (causal.kind() != ValueKind::Bool || gqa.kind() != ValueKind::Bool)
    return no("is_causal or enable_gqa is not a constant bool");
  if (!scale.is_none() && !constant_number(scale)) return no("scale is not a constant");
  plan.scale = scale.is_none() ? 1.0 / std::sqrt(static_cast<double>(plan.e)) : scale.as_float();
  plan.config.dtype = dtype;
  plan.config.causal = causal.as_bool();

  // Grouped query attention: key and value heads (dim -3) repeated up to the query's.
  Shape k_batch = batch_of(ks), v_batch = batch_of(vs);
  if (gqa.as_bool() && qs.size() >= 3 && ks.size() >= 3 && vs.size() >= 3) {
    const std::int64_t hq = qs[qs.size() - 3], hk = ks[ks.size() - 3], hv = vs[vs.size() - 3];
    if (!(hq == hk && hk == hv)) {
      if (hk == 0 || hv == 0 || hq % hk != 0 || hq % hv != 0) return no("heads do not divide");
      plan.k_group = hq / hk;
      plan.v_group = hq / hv;
      k_batch.back() = hq;
      v_batch.back() = hq;
    }
  }
  const std::optional<Shape> scores = broadcast(batch_of(qs), k_batch);
  const std::optional<Shape> batch = scores ? broadcast(*scores, v_batch) : std::nullopt;
  if (!batch) return no("batch dims that do not broadcast");
  if (batch->size() > kMaxAttentionBatchDims)
    return no(str(batch->size(), " batch dims (", kMaxAttentionBatchDims, " taken)"));
  plan.batch = *batch;

  if (mask.is_tensor()) {
    const TensorProxy& m = *mask.as_tensor();
    if (m.dtype() == DType::Bool) {
      plan.config.mask = AttentionMask::Bool;
    } else if (m.dtype() == DType::Float32) {
      plan.config.mask = AttentionMask::AdditiveFloat32;
    } else if (m.dtype() == dtype) {
      plan.config.mask = AttentionMask::AdditiveDtype;
    } else {
      return no(str("a mask of ", torch_name(m.dtype())));
    }
    // It broadcasts to the weights [scores batch..., L, S], and so to [batch..., L, S].
    Shape weights = *scores;
    weights.push_back(plan.l);
    weights.push_back(plan.s);
    const Shape& ms = m.shape();
    if (ms.size() > weights.size()) return no("a mask of more dims than the weights");
    for (std::size_t i = 0; i < ms.size(); ++i) {
      const std::int64_t target = weights[weights.size() - ms.size() + i];
      if (ms[i] != 1 && ms[i] != target) return no("a mask that does not broadcast");
    }
  } else if (!mask.is_none()) {
    return no("attn_mask is neither a tensor nor None");
  }
  if (plan.config.causal && plan.config.mask != AttentionMask::None)
    return no("both a mask and is_causal");

  Shape out_shape = plan.batch;
  out_shape.push_back(plan.l);
  out_shape.push_back(plan.ev);
  if (bsym.output.as_tensor()->shape() != out_shape) return no("an unexpected output shape");
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
  std::string out = str("// thunder fused attention: ", torch_name(config.dtype), ", mask ",
                        mask_name(config.mask), config.causal ? ", causal" : "", ", head dim ",
                        config.head_dim, "\n");
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
  THUNDER_INTERNAL_ASSERT((mask != nullptr) == (plan.config.mask != AttentionMask::None))
      << "attention mask layout given: " << (mask != nullptr) << ", plan's mask "
      << mask_name(plan.config.mask);
  // The operands' sizes must be the plan's: right-aligned against [batch..., L or S, E/Ev],
  // each dim equal or 1 (a size-1 dim of a key or value heads dim under GQA is a group).
  const std::size_t nb = plan.batch.size();
  const auto check = [&](const char* what, const TensorLayout& t, std::int64_t rows,
                         std::int64_t cols, std::int64_t group) {
    Shape target = plan.batch;
    target.push_back(rows);
    target.push_back(cols);
    bool fits = t.shape.size() >= 2 && t.shape.size() <= target.size() &&
                t.strides.size() == t.shape.size();
    for (std::size_t i = 0; fits && i < t.shape.size(); ++i) {
      const std::size_t at = target.size() - t.shape.size() + i;
      std::int64_t want = target[at];
      if (at + 3 == target.size() && group > 1) want /= group;
      fits = t.shape[i] == want || (t.shape[i] == 1 && at + 2 < target.size());
    }
    if (!fits) check_layout(what, t, target);
  };
  check("query", q, plan.l, plan.e, 1);
  check("key", k, plan.s, plan.e, plan.k_group);
  check("value", v, plan.s, plan.ev, plan.v_group);

  AttentionParams p{};
  const std::size_t pad = kMaxAttentionBatchDims - nb;
  for (std::size_t d = 0; d < kMaxAttentionBatchDims; ++d)
    p.batch[d] = d < pad ? 1 : plan.batch[d - pad];
  TensorLayout out;
  out.shape = plan.batch;
  out.shape.push_back(plan.l);
  out.shape.push_back(plan.ev);
  out.strides.assign(out.shape.size(), 1);
  for (std::size_t d = out.shape.size() - 1; d-- > 0;)
    out.strides[d] = out.strides[d + 1] * out.shape[d + 1];
  const std::vector<std::int64_t> qa = aligned_strides(q), ka = aligned_strides(k),
                                  va = aligned_strides(v), oa = aligned_strides(out);
  std::vector<std::int64_t> ma(kMaxAttentionBatchDims + 2, 0);
  if (mask != nullptr) {
    Shape target = plan.batch;
    target.push_back(plan.l);
    target.push_back(plan.s);
    bool fits = mask->shape.size() <= target.size() && mask->strides.size() == mask->shape.size();
    for (std::size_t i = 0; fits && i < mask->shape.size(); ++i) {
      const std::int64_t want = target[target.size() - mask->shape.size() + i];
      fits = mask->shape[i] == want || mask->shape[i] == 1;
    }
    if (!fits) check_layout("attn_mask", *mask, target);
    ma = aligned_strides(*mask);
  }
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
