// The ltorch symbols: torch-level operations with PyTorch's semantics (broadcasting,
// type promotion, argument checks and their messages), each with a decomposition into
// prims. Front ends map aten ops onto these; the list is ltorch.def. The typed functions
// here record calls in the current TraceScope, for tracing by hand.
#pragma once

#include "thunder/core/symbol.h"
#include "thunder/core/value.h"
#include "thunder/ops/ltorch/activation.h"
#include "thunder/ops/ltorch/elementwise.h"
#include "thunder/ops/ltorch/nn.h"
#include "thunder/ops/ltorch/reduction.h"
#include "thunder/ops/ltorch/shape.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace thunder::ltorch {

/// One id per ltorch symbol, in ltorch.def order.
enum class LTorchId {
#define THUNDER_LTORCH(name, ...) name,
#include "thunder/ops/ltorch.def"
#undef THUNDER_LTORCH
};

/// The symbol of an ltorch op.
const Symbol& symbol(LTorchId id);
/// Every ltorch symbol, in ltorch.def order.
const std::vector<const Symbol*>& all();

/// Calls any ltorch symbol (for ops without a typed function, or generic code).
Value call(LTorchId id, std::vector<Value> args,
           std::vector<std::pair<std::string, Value>> kwargs = {});

} // namespace thunder::ltorch
