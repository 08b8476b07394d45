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
#include <optional>
#include <string>
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

} // namespace thunder::testing
