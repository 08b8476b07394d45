// Lookup of every symbol of the op library by its qualified name ("prims.add",
// "ltorch.gelu"), for front ends that map operator names and for executors that claim
// symbols by name.
#pragma once

#include "thunder/core/symbol.h"

#include <string_view>
#include <vector>

namespace thunder::ops {

/// The symbol with this qualified name, or nullptr.
const Symbol* find_symbol(std::string_view qualified_name);
/// Every symbol: the prims, then the ltorch symbols, each in their .def order.
const std::vector<const Symbol*>& all_symbols();

} // namespace thunder::ops
