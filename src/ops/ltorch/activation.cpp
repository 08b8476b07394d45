// ltorch activations, softmax and dropout: parameters, checks and decompositions; the
// symbols are listed in thunder/ops/ltorch/activation.def.
#include "thunder/ops/ltorch/activation.h"

#include "common.h"

namespace thunder::ltorch {
namespace detail {

void add_activation_symbols([[maybe_unused]] std::vector<Symbol>& table) {
#define THUNDER_LTORCH(NAME, PARAMS, CHECK, DECOMPOSITION, TAGS, TORCH)                            \
  table.push_back(make_ltorch_symbol(#NAME, PARAMS, CHECK, DECOMPOSITION, TAGS, TORCH));
#include "thunder/ops/ltorch/activation.def"
#undef THUNDER_LTORCH
}

} // namespace detail
} // namespace thunder::ltorch
