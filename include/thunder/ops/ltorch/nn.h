// Typed functions for tracing ltorch matrix products and neural-network ops by hand; each records a call in the
// current TraceScope. The symbols are listed in thunder/ops/ltorch/nn.def.
#pragma once

#include "thunder/core/value.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace thunder::ltorch {

TensorProxyPtr matmul(const Value& a, const Value& b);
TensorProxyPtr linear(const Value& input, const Value& weight, const Value& bias = Value());

} // namespace thunder::ltorch
