// Helpers shared by the metas and decompositions of prims and ltorch: broadcasting,
// type promotion over call arguments, dim canonicalization, and the error messages that
// go with them. Private to the ops library.
#pragma once

#include "thunder/core/dtype.h"
#include "thunder/core/symbol.h"
#include "thunder/core/value.h"

#include <cstdint>
#include <vector>

namespace thunder::ops {

/// The promotion operand a value stands for: tensors by rank, numbers as Python scalars.
/// Throws (through args) for values that are neither.
PromotionOperand promotion_operand(const BoundArgs& args, const Value& value);

/// The dtype of a number or a tensor: for numbers, Bool / Int64 / Float64.
DType value_dtype(const Value& value);

/// The broadcast shape of these shapes, as torch broadcasts them; ArgumentError otherwise:
/// "ltorch.add: shapes [2, 3] and [4] cannot be broadcast (3 != 4 at dim -1)".
Shape broadcast_shapes(const BoundArgs& args, const std::vector<Shape>& shapes);

/// The one device all tensors among values live on (cpu if there is none).
Device common_device(const BoundArgs& args, const std::vector<Value>& values);

/// dim in [-ndim, ndim) (or [-1, 0] for 0-dim tensors) made non-negative; ArgumentError
/// as torch words it otherwise.
std::int64_t canonical_dim(const BoundArgs& args, std::int64_t dim, std::int64_t ndim);

/// A concrete bool, int or float as a double.
double value_as_double(const Value& value);

/// The first tensor among values, or nullptr.
const TensorProxy* first_tensor(const std::vector<Value>& values);

} // namespace thunder::ops
