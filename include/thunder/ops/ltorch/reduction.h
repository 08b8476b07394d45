// Typed functions for tracing ltorch reductions, scans and normalizations by hand; each
// records a call in the current TraceScope. The symbols are listed in
// thunder/ops/ltorch/reduction.def; their parameters mirror the ATen overloads named there.
#pragma once

#include "thunder/core/value.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace thunder::ltorch {

/// dim: None or [] (all dims), an int or a list of ints; bool and integers sum in int64.
TensorProxyPtr sum(const Value& a, const Value& dim = Value(), bool keepdim = false,
                   std::optional<DType> dtype = std::nullopt);
/// dim as for sum; a floating input, or a floating dtype= for integer ones.
TensorProxyPtr mean(const Value& a, const Value& dim = Value(), bool keepdim = false,
                    std::optional<DType> dtype = std::nullopt);
/// The product along one dim (aten::prod.dim_int); bool and integers multiply in int64.
TensorProxyPtr prod(const Value& a, std::int64_t dim, bool keepdim = false,
                    std::optional<DType> dtype = std::nullopt);
/// The maximum over dim (an int or a list; [] means all dims), in a's dtype.
TensorProxyPtr amax(const Value& a, const Value& dim = Value::ints({}), bool keepdim = false);
/// The minimum over dim (an int or a list; [] means all dims), in a's dtype.
TensorProxyPtr amin(const Value& a, const Value& dim = Value::ints({}), bool keepdim = false);
/// The int64 index of the first maximum along dim (None: of the flattened tensor).
TensorProxyPtr argmax(const Value& a, const Value& dim = Value(), bool keepdim = false);
/// The int64 index of the first minimum along dim (None: of the flattened tensor).
TensorProxyPtr argmin(const Value& a, const Value& dim = Value(), bool keepdim = false);
/// The variance over dim (None: all dims), divided by max(0, n - correction).
TensorProxyPtr var(const Value& a, const Value& dim = Value(), const Value& correction = Value(1),
                   bool keepdim = false);
/// The standard deviation: the square root of var.
TensorProxyPtr std(const Value& a, const Value& dim = Value(), const Value& correction = Value(1),
                   bool keepdim = false);
/// log(sum(exp(a))) over dim, computed stably; integers give the default float dtype.
TensorProxyPtr logsumexp(const Value& a, const Value& dim, bool keepdim = false);
/// The inclusive prefix sum along dim; bool and integers accumulate in int64.
TensorProxyPtr cumsum(const Value& a, std::int64_t dim, std::optional<DType> dtype = std::nullopt);
/// The n-th forward difference along dim (a[i + 1] - a[i], xor for bool), after
/// concatenating prepend and append (tensors or None) to a along dim.
TensorProxyPtr diff(const Value& a, std::int64_t n = 1, std::int64_t dim = -1,
                    const Value& prepend = Value(), const Value& append = Value());
/// Normalizes over the trailing normalized_shape dims, then scales and shifts.
TensorProxyPtr layer_norm(const Value& input, const Shape& normalized_shape,
                          const Value& weight = Value(), const Value& bias = Value(),
                          double eps = 1e-5);
/// Divides by the root mean square over the trailing dims; eps None: the machine epsilon.
TensorProxyPtr rms_norm(const Value& input, const Shape& normalized_shape,
                        const Value& weight = Value(), std::optional<double> eps = std::nullopt);
/// Normalizes each of num_groups groups of the channels (dim 1) of each sample.
TensorProxyPtr group_norm(const Value& input, std::int64_t num_groups,
                          const Value& weight = Value(), const Value& bias = Value(),
                          double eps = 1e-5);
/// Inference-mode batch norm with the running statistics (training=true is unsupported).
TensorProxyPtr batch_norm(const Value& input, const Value& weight, const Value& bias,
                          const Value& running_mean, const Value& running_var,
                          bool training = false, double momentum = 0.1, double eps = 1e-5);

} // namespace thunder::ltorch
