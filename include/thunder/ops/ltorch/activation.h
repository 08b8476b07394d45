// Typed functions for tracing ltorch activations by hand; each records a call in the
// current TraceScope. The symbols are listed in thunder/ops/ltorch/activation.def.
#pragma once

#include "thunder/core/value.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace thunder::ltorch {} // namespace thunder::ltorch
