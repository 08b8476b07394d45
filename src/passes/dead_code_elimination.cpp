#include "thunder/passes/dead_code_elimination.h"

#include <algorithm>
#include <set>
#include <string>

namespace thunder {

Trace dead_code_elimination(const Trace& trace) {
  std::set<std::string> needed;
  trace.output.for_each_proxy([&needed](const Proxy& p) { needed.insert(p.name()); });

  std::vector<const BoundSymbol*> kept;
  for (auto it = trace.bound_symbols.rbegin(); it != trace.bound_symbols.rend(); ++it) {
    const std::vector<const Proxy*> outputs = it->output_proxies();
    const bool live = std::any_of(outputs.begin(), outputs.end(), [&needed](const Proxy* p) {
      return needed.count(p->name()) != 0;
    });
    if (!live) continue;
    kept.push_back(&*it);
    for (const Proxy* p : it->input_proxies())
      needed.insert(p->name());
  }

  Trace out = trace.derive("Dead Code Elimination");
  for (auto it = kept.rbegin(); it != kept.rend(); ++it)
    out.bound_symbols.push_back(**it);
  return out;
}

} // namespace thunder
