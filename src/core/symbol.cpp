#include "thunder/core/symbol.h"

#include "thunder/core/error.h"

#include <set>

namespace thunder {

std::string_view namespace_name(SymbolNamespace ns) {
  switch (ns) {
  case SymbolNamespace::Prims:
    return "prims";
  case SymbolNamespace::LTorch:
    return "ltorch";
  case SymbolNamespace::Torch:
    return "torch";
  case SymbolNamespace::Fusion:
    return "fusion";
  }
  THUNDER_INTERNAL_ASSERT(false) << "namespace " << static_cast<int>(ns);
  return {};
}

std::string Symbol::qualified_name() const {
  if (ns == SymbolNamespace::Fusion) return name;
  return str(namespace_name(ns), ".", name);
}

Symbol make_symbol(Symbol symbol) {
  const std::string qname = symbol.qualified_name();
  THUNDER_INTERNAL_ASSERT((symbol.meta == nullptr) != (symbol.decomposition == nullptr))
      << qname << " needs exactly one of meta and decomposition";
  THUNDER_INTERNAL_ASSERT(symbol.is_prim() == (symbol.ns != SymbolNamespace::LTorch))
      << qname << ": prims and opaque torch ops have metas, ltorch symbols decompositions";
  std::set<std::string> seen;
  bool saw_default = false;
  bool saw_keyword_only = false;
  for (const Param& param : symbol.params) {
    THUNDER_INTERNAL_ASSERT(is_valid_proxy_name(param.name) && seen.insert(param.name).second)
        << qname << ": bad or repeated parameter '" << param.name << "'";
    if (param.keyword_only) {
      saw_keyword_only = true;
      continue;
    }
    THUNDER_INTERNAL_ASSERT(!saw_keyword_only)
        << qname << ": positional parameter '" << param.name << "' after keyword-only ones";
    THUNDER_INTERNAL_ASSERT(!saw_default || param.default_value)
        << qname << ": required parameter '" << param.name << "' after defaulted ones";
    saw_default = saw_default || param.default_value.has_value();
  }
  return symbol;
}

BoundArgs::BoundArgs(const Symbol& symbol, std::vector<Value> args,
                     std::vector<std::pair<std::string, Value>> kwargs)
    : symbol_(&symbol) {
  const std::vector<Param>& params = symbol.params;
  std::vector<std::optional<Value>> slots(params.size());
  std::size_t positional = 0;
  std::size_t required = 0;
  for (const Param& param : params) {
    positional += param.keyword_only ? 0 : 1;
    required += !param.keyword_only && !param.default_value ? 1 : 0;
  }
  if (args.size() > positional) {
    const std::string count = required == positional ? std::to_string(positional)
                                                     : str("from ", required, " to ", positional);
    fail(str("takes ", count, " positional argument", positional == 1 ? "" : "s", " but ",
             args.size(), args.size() == 1 ? " was" : " were", " given"));
  }
  for (std::size_t i = 0; i < args.size(); ++i)
    slots[i] = std::move(args[i]);
  for (auto& [name, value] : kwargs) {
    std::size_t index = 0;
    while (index < params.size() && params[index].name != name)
      ++index;
    if (index == params.size()) fail(str("got an unexpected keyword argument '", name, "'"));
    if (slots[index]) fail(str("got multiple values for argument '", name, "'"));
    slots[index] = std::move(value);
  }
  values_.reserve(params.size());
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (!slots[i] && !params[i].default_value) {
      fail(str("missing required argument '", params[i].name, "'"));
    }
    values_.push_back(slots[i] ? std::move(*slots[i]) : *params[i].default_value);
  }
}

const Value& BoundArgs::operator[](std::size_t index) const {
  THUNDER_INTERNAL_ASSERT(index < values_.size())
      << symbol_->qualified_name() << " has no parameter " << index;
  return values_[index];
}

const Value& BoundArgs::get(std::string_view name) const {
  for (std::size_t i = 0; i < symbol_->params.size(); ++i) {
    if (symbol_->params[i].name == name) return values_[i];
  }
  THUNDER_INTERNAL_ASSERT(false) << symbol_->qualified_name() << " has no parameter " << name;
  return values_.front();
}

void BoundArgs::fail(const std::string& message) const {
  throw ArgumentError(str(symbol_->qualified_name(), ": ", message));
}

const Value& BoundArgs::checked(std::size_t index, ValueKind kind) const {
  const Value& value = (*this)[index];
  if (value.kind() != kind) {
    fail(str("argument '", symbol_->params[index].name, "' must be ", value_kind_name(kind),
             ", got ", value_kind_name(value.kind())));
  }
  return value;
}

const TensorProxyPtr& BoundArgs::tensor(std::size_t index) const {
  return checked(index, ValueKind::Tensor).as_tensor();
}
std::int64_t BoundArgs::integer(std::size_t index) const {
  return checked(index, ValueKind::Int).as_int();
}
bool BoundArgs::boolean(std::size_t index) const {
  return checked(index, ValueKind::Bool).as_bool();
}
const std::string& BoundArgs::string(std::size_t index) const {
  return checked(index, ValueKind::String).as_string();
}

double BoundArgs::number(std::size_t index) const {
  const Value& value = (*this)[index];
  switch (value.kind()) {
  case ValueKind::Bool:
    return value.as_bool() ? 1.0 : 0.0;
  case ValueKind::Int:
  case ValueKind::Float:
    return value.as_float();
  default:
    fail(str("argument '", symbol_->params[index].name, "' must be a number, got ",
             value_kind_name(value.kind())));
  }
}

std::vector<std::int64_t> BoundArgs::ints(std::size_t index) const {
  const Value& value = (*this)[index];
  if (value.kind() == ValueKind::Int) return {value.as_int()};
  if (value.is_list()) {
    bool all_ints = true;
    for (const Value& item : value.as_list())
      all_ints = all_ints && item.kind() == ValueKind::Int;
    if (all_ints) return value.as_ints();
  }
  fail(str("argument '", symbol_->params[index].name, "' must be an int or a list of ints, got ",
           value.repr()));
}

} // namespace thunder
