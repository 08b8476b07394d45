#include "thunder/passes/common_subexpression_elimination.h"

#include "thunder/core/error.h"

#include <map>
#include <string>

namespace thunder {

Trace common_subexpression_elimination(const Trace& trace) {
  ProxySubstitution substitution;
  // The printed call is a complete key: proxies print as their unique names and
  // concrete values print exactly (floats round-trip).
  std::map<std::string, Value> first_output_by_call;

  Trace out = trace.derive("Common Subexpression Elimination");
  for (const BoundSymbol& original : trace.bound_symbols) {
    BoundSymbol bsym = original.substitute_inputs(substitution);
    // Opaque torch ops (SymbolNamespace::Torch: an aten call thunder runs as it is) may be
    // random or write their inputs; thunder cannot tell, so they are never merged.
    if (bsym.symbol->tags.has(Tag::Random) || bsym.symbol->ns == SymbolNamespace::Torch ||
        bsym.output.is_none()) {
      out.bound_symbols.push_back(std::move(bsym));
      continue;
    }
    const std::string key = bsym.call_string();
    const auto found = first_output_by_call.find(key);
    if (found == first_output_by_call.end()) {
      first_output_by_call.emplace(key, bsym.output);
      out.bound_symbols.push_back(std::move(bsym));
      continue;
    }
    const std::vector<const Proxy*> repeated = bsym.output_proxies();
    std::vector<Value> earlier;
    found->second.map_proxies([&earlier](const Value& v) {
      earlier.push_back(v);
      return v;
    });
    THUNDER_INTERNAL_ASSERT(repeated.size() == earlier.size())
        << "one call gave outputs of different structure: " << key;
    for (std::size_t i = 0; i < repeated.size(); ++i) {
      substitution.emplace(repeated[i]->name(), earlier[i]);
    }
  }
  out.output = trace.output.map_proxies([&substitution](const Value& v) {
    const auto it = substitution.find(v.proxy()->name());
    return it == substitution.end() ? v : it->second;
  });
  return out;
}

} // namespace thunder
