// Typed functions for tracing ltorch matrix products and neural-network ops by hand; each records a
// call in the current TraceScope. The symbols are listed in thunder/ops/ltorch/nn.def.
#pragma once

#include "thunder/core/value.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace thunder::ltorch {

/// torch.matmul: vectors, matrices and broadcast batches of them.
TensorProxyPtr matmul(const Value& a, const Value& b);
/// torch.nn.functional.linear: input @ weight.T + bias.
TensorProxyPtr linear(const Value& input, const Value& weight, const Value& bias = Value());
/// torch.mm: the product of two matrices.
TensorProxyPtr mm(const Value& self, const Value& mat2);
/// torch.bmm: the products of two batches of matrices ([b, n, k] @ [b, k, m]).
TensorProxyPtr bmm(const Value& self, const Value& mat2);
/// torch.addmm: beta * self + alpha * (mat1 @ mat2); beta == 0 ignores self.
TensorProxyPtr addmm(const Value& self, const Value& mat1, const Value& mat2,
                     const Value& beta = Value(1), const Value& alpha = Value(1));
/// torch.baddbmm: beta * self + alpha * (batch1 @ batch2); beta == 0 ignores self.
TensorProxyPtr baddbmm(const Value& self, const Value& batch1, const Value& batch2,
                       const Value& beta = Value(1), const Value& alpha = Value(1));
/// torch.nn.functional.scaled_dot_product_attention (no dropout).
TensorProxyPtr scaled_dot_product_attention(const Value& query, const Value& key,
                                            const Value& value, const Value& attn_mask = Value(),
                                            double dropout_p = 0.0, bool is_causal = false,
                                            const Value& scale = Value(), bool enable_gqa = false);
/// torch.nn.functional.conv1d; padding is ints or "same" / "valid".
TensorProxyPtr conv1d(const Value& input, const Value& weight, const Value& bias = Value(),
                      const std::vector<std::int64_t>& stride = {1},
                      const Value& padding = Value::ints({0}),
                      const std::vector<std::int64_t>& dilation = {1}, std::int64_t groups = 1);
/// torch.nn.functional.conv2d; padding is ints or "same" / "valid".
TensorProxyPtr conv2d(const Value& input, const Value& weight, const Value& bias = Value(),
                      const std::vector<std::int64_t>& stride = {1, 1},
                      const Value& padding = Value::ints({0, 0}),
                      const std::vector<std::int64_t>& dilation = {1, 1}, std::int64_t groups = 1);
/// torch.nn.functional.max_pool2d (an empty stride means the kernel size).
TensorProxyPtr max_pool2d(const Value& self, const std::vector<std::int64_t>& kernel_size,
                          const std::vector<std::int64_t>& stride = {},
                          const std::vector<std::int64_t>& padding = {0, 0},
                          const std::vector<std::int64_t>& dilation = {1, 1},
                          bool ceil_mode = false);
/// torch.nn.functional.avg_pool2d (an empty stride means the kernel size).
TensorProxyPtr avg_pool2d(const Value& self, const std::vector<std::int64_t>& kernel_size,
                          const std::vector<std::int64_t>& stride = {},
                          const std::vector<std::int64_t>& padding = {0, 0}, bool ceil_mode = false,
                          bool count_include_pad = true,
                          std::optional<std::int64_t> divisor_override = std::nullopt);
/// torch.nn.functional.adaptive_avg_pool2d.
TensorProxyPtr adaptive_avg_pool2d(const Value& self, const std::vector<std::int64_t>& output_size);
/// torch.nn.functional.nll_loss; reduction 0 none, 1 mean, 2 sum.
TensorProxyPtr nll_loss(const Value& self, const Value& target, const Value& weight = Value(),
                        std::int64_t reduction = 1, std::int64_t ignore_index = -100);
/// torch.nn.functional.cross_entropy: class indices or class probabilities as the target.
TensorProxyPtr cross_entropy(const Value& self, const Value& target, const Value& weight = Value(),
                             std::int64_t reduction = 1, std::int64_t ignore_index = -100,
                             double label_smoothing = 0.0);

} // namespace thunder::ltorch
