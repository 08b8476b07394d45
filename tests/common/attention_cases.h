// The sdpa cases both fused attention kernels are tested on (cuda's on its host emulator,
// tests/cuda/cuda_attention_test.cpp; spirv's on the Vulkan device,
// tests/spirv_torch/spirv_attention_test.cpp): one call's operands and arguments, its trace,
// torch's result and the float64 reference, and the comparison by the op database's rule for
// sdpa. Header-only.
#pragma once

#include "thunder/core/tracing.h"
#include "thunder/opdb/opdb.h"
#include "thunder/ops/ltorch.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace thunder::testing {

/// One sdpa call: its operands and arguments as torch takes them.
struct AttentionCase {
  at::Tensor q, k, v;
  std::optional<at::Tensor> mask;
  bool causal = false;
  std::optional<double> scale;
  bool gqa = false;
  double dropout = 0.0;

  /// The operands in the trace's input order (q, k, v, then the mask where there is one).
  std::vector<c10::IValue> inputs() const {
    std::vector<c10::IValue> out{q, k, v};
    if (mask) out.emplace_back(*mask);
    return out;
  }
};

inline DType dtype_of(const at::Tensor& t) {
  return from_scalar_type(t.scalar_type());
}

/// The case as a trace of one ltorch.scaled_dot_product_attention call.
inline Trace attention_trace(const AttentionCase& c) {
  TraceScope scope("attention");
  const auto input = [&](const char* name, const at::Tensor& t) {
    return scope.input_tensor(name, Shape(t.sizes().begin(), t.sizes().end()), dtype_of(t));
  };
  const Value q = input("q", c.q), k = input("k", c.k), v = input("v", c.v);
  const Value mask = c.mask ? Value(input("mask", *c.mask)) : Value();
  const Value scale = c.scale ? Value(*c.scale) : Value();
  return scope.finish(Value(
      ltorch::scaled_dot_product_attention(q, k, v, mask, c.dropout, c.causal, scale, c.gqa)));
}

/// torch's result for the case, in float64 where `float64`.
inline at::Tensor attention_reference(const AttentionCase& c, bool float64) {
  const auto cvt = [&](const at::Tensor& t) {
    return float64 && at::isFloatingType(t.scalar_type()) ? t.to(at::kDouble) : t;
  };
  std::optional<at::Tensor> mask;
  if (c.mask) mask = cvt(*c.mask);
  // A dropout_p <= 0 is no dropout (torch's CPU flash kernel refuses a negative one).
  return at::scaled_dot_product_attention(cvt(c.q), cvt(c.k), cvt(c.v), mask,
                                          std::max(c.dropout, 0.0), c.causal, c.scale, c.gqa);
}

/// `out` against the float64 reference by the op database's rule for sdpa at the case's dtype.
inline void expect_attention_matches(const AttentionCase& c, const at::Tensor& out,
                                     const std::string& what) {
  const opdb::OpInfo* op = opdb::find_op("ltorch.scaled_dot_product_attention");
  ASSERT_NE(op, nullptr);
  const at::Tensor torch_result = attention_reference(c, false);
  const at::Tensor ref = attention_reference(c, true);
  const opdb::Comparison cmp = opdb::compare(out, torch_result, ref, op->tolerance(dtype_of(c.q)));
  EXPECT_TRUE(cmp.pass) << what << ": " << cmp.rule << " (max abs error " << cmp.max_abs
                        << ", max rel " << cmp.max_rel << ")";
}

/// Standard normal values of `dtype` (drawn in f32).
inline at::Tensor randn_of(at::IntArrayRef shape, at::ScalarType dtype) {
  return at::randn(shape, at::TensorOptions().dtype(at::kFloat)).to(dtype);
}

/// Cases with the names a failure shows.
using NamedAttentionCases = std::vector<std::pair<std::string, AttentionCase>>;

/// Masks over q [b, h, l, e], k and v [b, h, s, e] of `dtype` (l > 6): a bool [L, S] with a
/// fully masked row (5) and a row keeping only its last key; an additive f32 [1, 1, L, S]
/// with a row of -inf; an additive one of the query's dtype [B, 1, 1, S] padding the keys
/// past s / 2 of batch element 1; a bool [B, H, L, S] that is not contiguous.
inline NamedAttentionCases attention_mask_cases(at::ScalarType dtype, std::int64_t b,
                                                std::int64_t h, std::int64_t l, std::int64_t s,
                                                std::int64_t e) {
  const std::string name = c10::toString(dtype);
  const float inf = std::numeric_limits<float>::infinity();
  const at::Tensor q = randn_of({b, h, l, e}, dtype), k = randn_of({b, h, s, e}, dtype),
                   v = randn_of({b, h, s, e}, dtype);
  NamedAttentionCases out;
  at::Tensor keep = at::rand({l, s}) > 0.3;
  keep[5].fill_(false);
  keep[6].fill_(false);
  keep[6][s - 1] = true;
  out.push_back({name + " bool [L, S]", {q, k, v, keep}});
  at::Tensor add = at::randn({1, 1, l, s});
  add[0][0][3].fill_(-inf);
  out.push_back({name + " additive f32 [1, 1, L, S]", {q, k, v, add}});
  at::Tensor pad = at::zeros({b, 1, 1, s});
  pad[1][0][0].slice(0, s / 2).fill_(-inf);
  out.push_back({name + " additive dtype [B, 1, 1, S]", {q, k, v, pad.to(dtype)}});
  out.push_back({name + " bool [B, H, L, S] transposed",
                 {q, k, v, (at::rand({b, h, s, l}) > 0.5).transpose(-1, -2)}});
  return out;
}

/// Operands read through strides, B = 2 and 3 heads of e: q, k and v [B, L, H, E]
/// transposed to [B, H, L, E] as a model's projections give them (plain and causal); keys
/// stored transposed and values expanded from one head.
inline NamedAttentionCases attention_strided_cases(at::ScalarType dtype, std::int64_t l,
                                                   std::int64_t s, std::int64_t e) {
  const std::string name = c10::toString(dtype);
  const at::Tensor q = randn_of({2, l, 3, e}, dtype).transpose(1, 2);
  const at::Tensor k = randn_of({2, s, 3, e}, dtype).transpose(1, 2);
  const at::Tensor v = randn_of({2, s, 3, e}, dtype).transpose(1, 2);
  NamedAttentionCases out;
  out.push_back({name + " transposed q, k, v", {q, k, v}});
  AttentionCase causal{q, k, v};
  causal.causal = true;
  out.push_back({name + " transposed, causal", causal});
  out.push_back({name + " key transposed, value expanded",
                 {q, randn_of({2, 3, e, s}, dtype).transpose(-1, -2),
                  randn_of({2, 1, s, e}, dtype).expand({2, 3, s, e})}});
  return out;
}

/// Grouped query attention: 6 query heads, 2 key and 3 value heads; plain and causal.
inline NamedAttentionCases attention_gqa_cases(at::ScalarType dtype, std::int64_t e) {
  const std::string name = c10::toString(dtype);
  AttentionCase c{randn_of({2, 6, 20, e}, dtype), randn_of({2, 2, 33, e}, dtype),
                  randn_of({2, 3, 33, e}, dtype)};
  c.gqa = true;
  NamedAttentionCases out{{name + " gqa 6/2/3 heads", c}};
  c.causal = true;
  out.push_back({name + " gqa, causal", c});
  return out;
}

/// A bool mask that masks every key of query 2: torch gives exact zeros in that row.
inline AttentionCase attention_fully_masked_case(at::ScalarType dtype) {
  at::Tensor keep = at::ones({4, 40}, at::kBool);
  keep[2].fill_(false);
  return {randn_of({2, 4, 32}, dtype), randn_of({2, 40, 32}, dtype), randn_of({2, 40, 32}, dtype),
          keep};
}

/// `out` for attention_fully_masked_case: the masked row is zeros exactly, as torch's (the
/// math backend's safe softmax), and the rest matches.
inline void expect_fully_masked_row_zeros(const AttentionCase& c, const at::Tensor& out) {
  const at::Tensor ref = attention_reference(c, /*float64=*/true);
  ASSERT_TRUE(at::equal(ref.select(1, 2), at::zeros_like(ref.select(1, 2)))) << ref;
  EXPECT_TRUE(at::equal(out.select(1, 2), at::zeros_like(out.select(1, 2)))) << out.select(1, 2);
  expect_attention_matches(c, out, "fully masked row");
}

} // namespace thunder::testing
