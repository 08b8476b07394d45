// Typed functions for tracing ltorch shape ops by hand; each records a call in the
// current TraceScope. The symbols are listed in thunder/ops/ltorch/shape.def.
#pragma once

#include "thunder/core/value.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace thunder::ltorch {

/// One extent may be -1 (inferred).
TensorProxyPtr reshape(const Value& a, const Shape& shape);
TensorProxyPtr transpose(const Value& a, std::int64_t dim0, std::int64_t dim1);
TensorProxyPtr permute(const Value& a, const std::vector<std::int64_t>& dims);

} // namespace thunder::ltorch
