// Typed functions for tracing ltorch reductions by hand; each records a call in the
// current TraceScope. The symbols are listed in thunder/ops/ltorch/reduction.def.
#pragma once

#include "thunder/core/value.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace thunder::ltorch {

/// dim: None (all dims), an int or a list of ints.
TensorProxyPtr sum(const Value& a, const Value& dim = Value(), bool keepdim = false,
                   std::optional<DType> dtype = std::nullopt);

} // namespace thunder::ltorch
