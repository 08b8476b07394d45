#include "thunder/core/bound_symbol.h"

#include "thunder/core/error.h"

namespace thunder {

std::string SourceLocation::to_string() const {
  return str(file, ":", line);
}

std::vector<const Proxy*> BoundSymbol::input_proxies() const {
  std::vector<const Proxy*> out;
  const auto add = [&out](const Proxy& p) { out.push_back(&p); };
  for (const Value& arg : args)
    arg.for_each_proxy(add);
  for (const auto& [name, value] : kwargs)
    value.for_each_proxy(add);
  return out;
}

std::vector<const Proxy*> BoundSymbol::output_proxies() const {
  std::vector<const Proxy*> out;
  output.for_each_proxy([&out](const Proxy& p) { out.push_back(&p); });
  return out;
}

BoundSymbol BoundSymbol::substitute_inputs(const ProxySubstitution& substitution) const {
  const auto replace = [&substitution](const Value& proxy) -> Value {
    const auto it = substitution.find(proxy.proxy()->name());
    return it == substitution.end() ? proxy : it->second;
  };
  BoundSymbol out = *this;
  for (Value& arg : out.args)
    arg = arg.map_proxies(replace);
  for (auto& [name, value] : out.kwargs)
    value = value.map_proxies(replace);
  // A subsymbol may read the composite's inputs; names it defines itself are unique in the
  // trace, so they are never in the substitution.
  for (BoundSymbol& sub : out.subsymbols)
    sub = sub.substitute_inputs(substitution);
  return out;
}

std::string BoundSymbol::call_string() const {
  THUNDER_INTERNAL_ASSERT(symbol != nullptr) << "bound symbol without a symbol";
  std::string out = symbol->qualified_name() + "(";
  bool first = true;
  for (const Value& arg : args) {
    out += first ? "" : ", ";
    out += arg.repr();
    first = false;
  }
  for (const auto& [name, value] : kwargs) {
    out += first ? "" : ", ";
    out += name + "=" + value.repr();
    first = false;
  }
  return out + ")";
}

const Symbol& python_del() {
  static const Symbol symbol = make_symbol({.name = "python_del",
                                            .ns = SymbolNamespace::Prims,
                                            .params = {},
                                            .tags = {},
                                            .meta = [](const BoundArgs&) { return Value(); },
                                            .torch_ops = {}});
  return symbol;
}

} // namespace thunder
