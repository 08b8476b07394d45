// Dead code elimination: drops the bound symbols whose outputs the trace's output does
// not need, directly or through other bound symbols.
#pragma once

#include "thunder/core/trace.h"

namespace thunder {

/// A trace without the bound symbols its output does not depend on. Symbols tagged
/// Random are dropped too when unused: their results are not observable otherwise.
Trace dead_code_elimination(const Trace& trace);

} // namespace thunder
