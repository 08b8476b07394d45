#include "thunder/executors/codegen/attention.h"

#include "thunder/core/bound_symbol.h"
#include "thunder/core/error.h"
#include "thunder/core/symbol.h"
#include "thunder/ops/ltorch.h"

#include <algorithm>
#include <cmath>

namespace thunder::codegen {
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

// Strides of `layout` over a target of `rank` dims, right-aligned: 0 where the operand
// lacks the dim or has size 1 there (broadcast).
std::vector<std::int64_t> aligned_strides(const TensorLayout& layout, std::size_t rank) {
  std::vector<std::int64_t> out(rank, 0);
  const std::size_t n = layout.shape.size();
  THUNDER_INTERNAL_ASSERT(n <= rank && layout.strides.size() == n)
      << "attention operand of rank " << n << " with " << layout.strides.size()
      << " strides, aligned to " << rank << " dims";
  for (std::size_t i = 0; i < n; ++i) {
    if (layout.shape[i] != 1) out[rank - n + i] = layout.strides[i];
  }
  return out;
}

void check_layout(const char* what, const TensorLayout& layout, const Shape& expected) {
  if (layout.shape != expected || layout.strides.size() != expected.size()) {
    throw ArgumentError(str("fused attention: ", what, " has shape ",
                            shape_to_string(layout.shape), " (", layout.strides.size(),
                            " strides), but the trace has ", shape_to_string(expected)));
  }
}

} // namespace

const char* attention_mask_name(AttentionMask mask) {
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

std::optional<AttentionCall> plan_attention(const BoundSymbol& bsym, const AttentionLimits& limits,
                                            std::string* why_not) {
  const auto no = [&](std::string reason) -> std::optional<AttentionCall> {
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
  const std::size_t max_rank = limits.max_batch_dims + 2;
  for (const TensorProxy* t : {&q, &k, &v}) {
    if (t->ndim() < 2 || static_cast<std::size_t>(t->ndim()) > max_rank)
      return no(str("an operand of ", t->ndim(), " dims (2 to ", max_rank, " taken)"));
  }
  const Shape &qs = q.shape(), &ks = k.shape(), &vs = v.shape();
  AttentionCall call;
  call.l = qs[qs.size() - 2];
  call.e = qs.back();
  call.s = ks[ks.size() - 2];
  call.ev = vs.back();
  if (ks.back() != call.e || vs[vs.size() - 2] != call.s) return no("mismatched sizes");
  if (call.e < 1 || call.e > limits.max_head_dim || call.ev < 1 ||
      call.ev > limits.max_head_dim) {
    return no(str("head dims E=", call.e, ", Ev=", call.ev, " (1 to ", limits.max_head_dim,
                  " taken)"));
  }
  if (!constant_number(dropout) || dropout.as_float() > 0.0)
    return no(str("dropout_p=", dropout.repr(), " (only a constant <= 0, no dropout, taken)"));
  if (causal.kind() != ValueKind::Bool || gqa.kind() != ValueKind::Bool)
    return no("is_causal or enable_gqa is not a constant bool");
  if (!scale.is_none() && !constant_number(scale)) return no("scale is not a constant");
  call.scale = scale.is_none() ? 1.0 / std::sqrt(static_cast<double>(call.e)) : scale.as_float();
  call.dtype = dtype;
  call.causal = causal.as_bool();

  // Grouped query attention: key and value heads (dim -3) repeated up to the query's.
  Shape k_batch = batch_of(ks), v_batch = batch_of(vs);
  if (gqa.as_bool() && qs.size() >= 3 && ks.size() >= 3 && vs.size() >= 3) {
    const std::int64_t hq = qs[qs.size() - 3], hk = ks[ks.size() - 3], hv = vs[vs.size() - 3];
    if (!(hq == hk && hk == hv)) {
      if (hk == 0 || hv == 0 || hq % hk != 0 || hq % hv != 0) return no("heads do not divide");
      call.k_group = hq / hk;
      call.v_group = hq / hv;
      k_batch.back() = hq;
      v_batch.back() = hq;
    }
  }
  const std::optional<Shape> scores = broadcast(batch_of(qs), k_batch);
  const std::optional<Shape> batch = scores ? broadcast(*scores, v_batch) : std::nullopt;
  if (!batch) return no("batch dims that do not broadcast");
  if (batch->size() > limits.max_batch_dims)
    return no(str(batch->size(), " batch dims (", limits.max_batch_dims, " taken)"));
  call.batch = *batch;

  if (mask.is_tensor()) {
    const TensorProxy& m = *mask.as_tensor();
    if (m.dtype() == DType::Bool) {
      call.mask = AttentionMask::Bool;
    } else if (m.dtype() == DType::Float32) {
      call.mask = AttentionMask::AdditiveFloat32;
    } else if (m.dtype() == dtype) {
      call.mask = AttentionMask::AdditiveDtype;
    } else {
      return no(str("a mask of ", torch_name(m.dtype())));
    }
    // It broadcasts to the weights [scores batch..., L, S], and so to [batch..., L, S].
    Shape weights = *scores;
    weights.push_back(call.l);
    weights.push_back(call.s);
    const Shape& ms = m.shape();
    if (ms.size() > weights.size()) return no("a mask of more dims than the weights");
    for (std::size_t i = 0; i < ms.size(); ++i) {
      const std::int64_t target = weights[weights.size() - ms.size() + i];
      if (ms[i] != 1 && ms[i] != target) return no("a mask that does not broadcast");
    }
  } else if (!mask.is_none()) {
    return no("attn_mask is neither a tensor nor None");
  }
  if (call.causal && call.mask != AttentionMask::None) return no("both a mask and is_causal");

  Shape out_shape = call.batch;
  out_shape.push_back(call.l);
  out_shape.push_back(call.ev);
  if (bsym.output.as_tensor()->shape() != out_shape) return no("an unexpected output shape");
  return call;
}

AttentionStrides attention_strides(const AttentionCall& call, std::size_t rank,
                                   const TensorLayout& q, const TensorLayout& k,
                                   const TensorLayout& v, const TensorLayout* mask) {
  THUNDER_INTERNAL_ASSERT((mask != nullptr) == (call.mask != AttentionMask::None))
      << "attention mask layout given: " << (mask != nullptr) << ", the call's mask "
      << attention_mask_name(call.mask);
  THUNDER_INTERNAL_ASSERT(rank >= call.batch.size() + 2)
      << "attention strides over " << rank << " dims for " << call.batch.size() << " batch dims";
  // The operands' sizes must be the call's: right-aligned against [batch..., L or S, E/Ev],
  // each dim equal or 1 (a size-1 dim of a key or value heads dim under GQA is a group).
  const auto check = [&](const char* what, const TensorLayout& t, std::int64_t rows,
                         std::int64_t cols, std::int64_t group) {
    Shape target = call.batch;
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
  check("query", q, call.l, call.e, 1);
  check("key", k, call.s, call.e, call.k_group);
  check("value", v, call.s, call.ev, call.v_group);

  AttentionStrides out;
  TensorLayout o;
  o.shape = call.batch;
  o.shape.push_back(call.l);
  o.shape.push_back(call.ev);
  o.strides.assign(o.shape.size(), 1);
  for (std::size_t d = o.shape.size() - 1; d-- > 0;)
    o.strides[d] = o.strides[d + 1] * o.shape[d + 1];
  out.q = aligned_strides(q, rank);
  out.k = aligned_strides(k, rank);
  out.v = aligned_strides(v, rank);
  out.out = aligned_strides(o, rank);
  out.mask.assign(rank, 0);
  if (mask != nullptr) {
    Shape target = call.batch;
    target.push_back(call.l);
    target.push_back(call.s);
    bool fits = mask->shape.size() <= target.size() && mask->strides.size() == mask->shape.size();
    for (std::size_t i = 0; fits && i < mask->shape.size(); ++i) {
      const std::int64_t want = target[target.size() - mask->shape.size() + i];
      fits = mask->shape[i] == want || mask->shape[i] == 1;
    }
    if (!fits) check_layout("attn_mask", *mask, target);
    out.mask = aligned_strides(*mask, rank);
  }
  return out;
}

} // namespace thunder::codegen
