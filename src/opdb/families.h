// The op database's families, one source file each, mirroring the ltorch families.
// Private to the opdb library.
#pragma once

#include "thunder/opdb/opdb.h"
#include "thunder/ops/ltorch.h"

#include <vector>

namespace thunder::opdb::detail {

void add_elementwise_ops(std::vector<OpInfo>& ops);
void add_activation_ops(std::vector<OpInfo>& ops);
void add_shape_ops(std::vector<OpInfo>& ops);
void add_reduction_ops(std::vector<OpInfo>& ops);
void add_nn_ops(std::vector<OpInfo>& ops);

/// The symbol of an ltorch op, for OpInfo::symbol.
inline const Symbol* ltorch_symbol(ltorch::LTorchId id) { return &ltorch::symbol(id); }

/// An elementwise unary op: unary_samples over `domain`, reference eager(a).
OpInfo unary_op(ltorch::LTorchId id, std::vector<DType> dtypes,
                at::Tensor (*eager)(const at::Tensor&), TensorOptions domain = {},
                bool with_edge_values = true);

/// An elementwise binary op: binary_samples, reference eager(a, b) with numbers passed as
/// Python scalars.
OpInfo binary_op(ltorch::LTorchId id, std::vector<DType> dtypes,
                 at::Tensor (*eager)(const at::Tensor&, const at::Tensor&),
                 TensorOptions lhs = {}, TensorOptions rhs = {});

} // namespace thunder::opdb::detail
