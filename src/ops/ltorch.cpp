// The ltorch symbol table, assembled from the families in ltorch.def order.
#include "thunder/ops/ltorch.h"

#include "ltorch/common.h"
#include "thunder/core/error.h"
#include "thunder/core/tracing.h"

namespace thunder::ltorch {
namespace {

std::vector<Symbol> make_table() {
  std::vector<Symbol> table;
  detail::add_elementwise_symbols(table);
  detail::add_activation_symbols(table);
  detail::add_shape_symbols(table);
  detail::add_reduction_symbols(table);
  detail::add_nn_symbols(table);
  static const char* const kNames[] = {
#define THUNDER_LTORCH(NAME, ...) #NAME,
#include "thunder/ops/ltorch.def"
#undef THUNDER_LTORCH
  };
  THUNDER_INTERNAL_ASSERT(table.size() == std::size(kNames))
      << "the families registered " << table.size() << " symbols, ltorch.def lists "
      << std::size(kNames);
  for (std::size_t i = 0; i < table.size(); ++i) {
    THUNDER_INTERNAL_ASSERT(table[i].name == kNames[i])
        << "symbol " << i << " is " << table[i].name << " but ltorch.def says " << kNames[i]
        << ": the families are registered out of ltorch.def order";
  }
  return table;
}

const std::vector<Symbol>& table() {
  static const std::vector<Symbol> symbols = make_table();
  return symbols;
}

} // namespace

const Symbol& symbol(LTorchId id) { return table().at(static_cast<std::size_t>(id)); }

const std::vector<const Symbol*>& all() {
  static const std::vector<const Symbol*> pointers = [] {
    std::vector<const Symbol*> out;
    for (const Symbol& s : table()) out.push_back(&s);
    return out;
  }();
  return pointers;
}

Value call(LTorchId id, std::vector<Value> args,
           std::vector<std::pair<std::string, Value>> kwargs) {
  return call_symbol(symbol(id), std::move(args), std::move(kwargs));
}

} // namespace thunder::ltorch
