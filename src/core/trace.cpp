#include "thunder/core/trace.h"

#include "thunder/core/error.h"

namespace thunder {

void NameGenerator::reserve(const std::string& name) {
  if (!is_valid_proxy_name(name)) {
    throw ArgumentError(
        str("invalid name '", name, "': names must be Python identifiers and not reserved words"));
  }
  if (!used_.insert(name).second) {
    throw ArgumentError(str("the name '", name, "' is used twice in one trace"));
  }
}

std::string NameGenerator::next(const std::string& prefix) {
  int& counter = counters_[prefix];
  std::string name;
  do {
    name = prefix + std::to_string(counter++);
  } while (used_.count(name) != 0);
  used_.insert(name);
  return name;
}

namespace {

// A list prints as a Python tuple: (t0, t1), and (t0,) for one element.
std::string tuple_repr(const Value& value) {
  const std::string repr = value.repr();
  if (!value.is_list()) return repr;
  const std::string items = repr.substr(1, repr.size() - 2);
  return "(" + items + (value.as_list().size() == 1 ? ",)" : ")");
}

// Prints `lhs = call  # out: "type"` lines; subsymbols follow as comments, one level deeper.
// The executor shows as a trailing comment where it differs from the enclosing call's; a
// fusion region's name already says it.
void print_bound_symbol(std::string& out, const BoundSymbol& bsym, int depth, bool as_comment,
                        const PrintOptions& options, const std::string& parent_executor = {}) {
  const std::string indent(2 * static_cast<std::size_t>(depth), ' ');
  const std::string prefix = indent + (as_comment ? "# " : "");
  std::string line = prefix;
  if (bsym.symbol == &python_del()) {
    line += "del ";
    for (std::size_t i = 0; i < bsym.args.size(); ++i)
      line += (i == 0 ? "" : ", ") + bsym.args[i].repr();
    out += line + "\n";
    return;
  }
  if (!bsym.output.is_none()) {
    line += tuple_repr(bsym.output);
    line += " = ";
  }
  line += bsym.call_string();
  std::string types;
  for (const Proxy* p : bsym.output_proxies()) {
    types += str(types.empty() ? "  # " : "  ", p->name(), ": \"", p->type_string(), "\"");
  }
  if (!bsym.executor.empty() && bsym.executor != parent_executor &&
      bsym.symbol->ns != SymbolNamespace::Fusion) {
    types += "  # executor: " + bsym.executor;
  }
  out += line + types + "\n";
  if (!options.subsymbols) return;
  const std::string& executor = bsym.executor.empty() ? parent_executor : bsym.executor;
  for (const BoundSymbol& sub : bsym.subsymbols) {
    print_bound_symbol(out, sub, depth + 1, /*as_comment=*/true, options, executor);
  }
}

} // namespace

std::string Trace::to_string(const PrintOptions& options) const {
  std::string out;
  if (!provenance.empty()) out += "# Constructed by " + provenance + "\n";
  out += "def " + function_name + "(";
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    out += (i == 0 ? "" : ", ") + inputs[i].repr();
  }
  out += "):\n";
  for (const Value& input : inputs) {
    input.for_each_proxy(
        [&out](const Proxy& p) { out += str("  # ", p.name(), ": \"", p.type_string(), "\"\n"); });
  }
  const std::optional<SourceLocation>* last_location = nullptr;
  for (const BoundSymbol& bsym : bound_symbols) {
    // One location comment per run of calls from the same line of the user's program.
    if (options.source_locations && bsym.location &&
        (last_location == nullptr || *last_location != bsym.location)) {
      out += "  # " + bsym.location->to_string() + "\n";
    }
    last_location = &bsym.location;
    print_bound_symbol(out, bsym, 1, /*as_comment=*/false, options);
  }
  out += "  return " + tuple_repr(output) + "\n";
  return out;
}

Trace Trace::derive(std::string new_provenance) const {
  Trace out;
  out.function_name = function_name;
  out.inputs = inputs;
  out.output = output;
  out.provenance = std::move(new_provenance);
  out.names = names;
  return out;
}

} // namespace thunder
