// Common subexpression elimination: a bound symbol that repeats an earlier call (same
// symbol, same arguments after earlier replacements) is dropped and its outputs are
// replaced by the earlier call's outputs everywhere after it.
#pragma once

#include "thunder/core/trace.h"

namespace thunder {

/// A trace in which each distinct pure call happens once. Symbols tagged Random are
/// never merged.
Trace common_subexpression_elimination(const Trace& trace);

} // namespace thunder
