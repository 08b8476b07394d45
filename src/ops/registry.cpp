#include "thunder/ops/registry.h"

#include "thunder/ops/ltorch.h"
#include "thunder/ops/prims.h"

#include <map>
#include <string>

namespace thunder::ops {

const std::vector<const Symbol*>& all_symbols() {
  static const std::vector<const Symbol*> symbols = [] {
    std::vector<const Symbol*> out = prims::all();
    out.insert(out.end(), ltorch::all().begin(), ltorch::all().end());
    return out;
  }();
  return symbols;
}

const Symbol* find_symbol(std::string_view qualified_name) {
  static const std::map<std::string, const Symbol*, std::less<>> by_name = [] {
    std::map<std::string, const Symbol*, std::less<>> out;
    for (const Symbol* s : all_symbols())
      out.emplace(s->qualified_name(), s);
    return out;
  }();
  const auto it = by_name.find(qualified_name);
  return it == by_name.end() ? nullptr : it->second;
}

} // namespace thunder::ops
