// Typed functions for tracing ltorch activations by hand; each records a call in the
// current TraceScope. The symbols are listed in thunder/ops/ltorch/activation.def.
#pragma once

#include "thunder/core/value.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace thunder::ltorch {

/// 1 / (1 + exp(-a)); bool and integer tensors give float32.
TensorProxyPtr sigmoid(const Value& a);
/// log(sigmoid(a)), computed as min(a, 0) - log1p(exp(-|a|)); floating tensors only.
TensorProxyPtr logsigmoid(const Value& a);
/// min(max(a, 0), 6); integer tensors too, not bool.
TensorProxyPtr relu6(const Value& a);
/// a > 0 ? a : a * negative_slope; floating tensors only.
TensorProxyPtr leaky_relu(const Value& a, const Value& negative_slope = 0.01);
/// a > 0 ? a * scale : (exp(a * input_scale) - 1) * alpha * scale; floating tensors only.
TensorProxyPtr elu(const Value& a, const Value& alpha = 1.0, const Value& scale = 1.0,
                   const Value& input_scale = 1.0);
/// elu with torch's fixed alpha and scale (self-normalizing networks); floating only.
TensorProxyPtr selu(const Value& a);
/// elu(a, alpha, 1, 1 / alpha); alpha must not be 0; floating tensors only.
TensorProxyPtr celu(const Value& a, const Value& alpha = 1.0);
/// a * sigmoid(a); floating tensors only.
TensorProxyPtr silu(const Value& a);
/// a * tanh(softplus(a)); floating tensors only.
TensorProxyPtr mish(const Value& a);
/// min(max(a + 3, 0), 6) / 6; floating tensors only.
TensorProxyPtr hardsigmoid(const Value& a);
/// a * hardsigmoid(a); floating tensors only.
TensorProxyPtr hardswish(const Value& a);
/// a * beta > threshold ? a : log1p(exp(a * beta)) / beta; floating tensors only.
TensorProxyPtr softplus(const Value& a, const Value& beta = 1.0, const Value& threshold = 20.0);
/// min(max(a, min_val), max_val); integer tensors take the limits truncated to ints.
TensorProxyPtr hardtanh(const Value& a, const Value& min_val = -1.0, const Value& max_val = 1.0);
/// exp(a) / sum(exp(a)) along dim (max-shifted); dtype= converts a first (needed for ints).
TensorProxyPtr softmax(const Value& a, std::int64_t dim, std::optional<DType> dtype = std::nullopt);
/// log(softmax(a, dim)), computed as (a - max) - log(sum(exp(a - max))); dtype= as softmax.
TensorProxyPtr log_softmax(const Value& a, std::int64_t dim,
                           std::optional<DType> dtype = std::nullopt);
/// In eval mode (train=false) the input itself; p must be in [0, 1]; train=true is not
/// supported yet.
TensorProxyPtr dropout(const Value& input, const Value& p, bool train);

} // namespace thunder::ltorch
