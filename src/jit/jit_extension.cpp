#include "thunder/jit/jit_extension.h"

#include "thunder/core/error.h"
#include "thunder/core/tracing.h"
#include "thunder/ops/ltorch.h"

#include <algorithm>
#include <mutex>

namespace thunder {
namespace {

std::string without_default_overload(std::string_view name) {
  std::string out(name);
  const std::string suffix = ".default";
  if (out.size() > suffix.size() &&
      out.compare(out.size() - suffix.size(), suffix.size(), suffix) == 0) {
    out.resize(out.size() - suffix.size());
  }
  return out;
}

std::string where(const Node& node) {
  return node.location ? str(" at ", node.location->to_string()) : std::string();
}

bool has_param(const Symbol& symbol, std::string_view name) {
  return std::any_of(symbol.params.begin(), symbol.params.end(),
                     [name](const Param& p) { return p.name == name; });
}

// An argument that only says how memory is laid out, pinned or moved, which a trace does
// not model, when it asks for nothing a trace could not give: layout and memory_format
// (the reader keeps neither), pin_memory false, non_blocking and copy (a trace has no
// aliasing or streams to honour them), and a device that is the tensor's own.
bool ignorable_argument(const std::string& name, const Value& value, const Value& self) {
  if (name == "layout" || name == "memory_format") return value.is_none();
  if (name == "pin_memory")
    return value.is_none() || (value.kind() == ValueKind::Bool && !value.as_bool());
  if (name == "non_blocking" || name == "copy")
    return value.is_none() || value.kind() == ValueKind::Bool;
  if (name == "device") {
    return self.is_tensor() && value.kind() == ValueKind::Device &&
           value.as_device() == self.as_tensor()->device();
  }
  return false;
}

// Normalizes a node's arguments to the parameters of the symbol that mirrors it, using the
// names the exporter recorded from the op's schema:
//  - arguments the symbol has no parameter for and that ask for nothing (see
//    ignorable_argument) are dropped; once a positional one is dropped, the positional
//    arguments after it are passed by keyword (aten::to.device(x, device, dtype) binds
//    ltorch.to(x, dtype=dtype));
//  - aten::arange(end) is ltorch.arange(0, end).
void normalize_arguments(const Node& node, const Symbol& symbol, std::vector<Value>& args,
                         std::vector<std::pair<std::string, Value>>& kwargs) {
  std::vector<std::string> names;
  for (const NodeInput& input : node.inputs) {
    if (!input.keyword) names.push_back(input.name);
  }
  THUNDER_INTERNAL_ASSERT(names.size() == args.size())
      << node.target << ": " << names.size() << " positional inputs, " << args.size() << " values";
  // The first argument, which a device must match to be dropped (a copy: args move below).
  Value self;
  if (!args.empty()) self = args.front();
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> by_name;
  bool dropped = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (!has_param(symbol, names[i]) && ignorable_argument(names[i], args[i], self)) {
      dropped = true;
    } else if (dropped) {
      by_name.emplace_back(names[i], std::move(args[i]));
    } else {
      positional.push_back(std::move(args[i]));
    }
  }
  for (auto& [name, value] : kwargs) {
    if (has_param(symbol, name) || !ignorable_argument(name, value, self)) {
      by_name.emplace_back(name, std::move(value));
    }
  }
  if (without_default_overload(node.target) == "aten::arange" && symbol.params.size() > 1 &&
      symbol.params[0].name == "start" && positional.size() == 1) {
    positional.insert(positional.begin(), Value(0));
  }
  args = std::move(positional);
  kwargs = std::move(by_name);
}

// aten::_assert_tensor_metadata(a, size, stride, dtype, *, device, layout): torch.export's
// run-time check that a tensor is what it recorded. Shapes, dtypes and devices are static
// in a trace (the prologue guards the inputs), so it is checked once, here, and records
// nothing; strides and layouts are not modelled.
void assert_tensor_metadata(const Node& node, const std::vector<Value>& args,
                            const std::vector<std::pair<std::string, Value>>& kwargs) {
  std::vector<std::pair<std::string, const Value*>> named;
  std::size_t position = 0;
  for (const NodeInput& input : node.inputs) {
    if (!input.keyword && position < args.size()) named.emplace_back(input.name, &args[position++]);
  }
  for (const auto& [name, value] : kwargs)
    named.emplace_back(name, &value);
  if (named.empty() || !named.front().second->is_tensor()) {
    throw ModelError(str(node.target, where(node), ": expected a tensor to check"));
  }
  const TensorProxy& t = *named.front().second->as_tensor();
  for (const auto& [name, value] : named) {
    std::string recorded;
    if (name == "size" && value->is_list() && value->as_ints() != t.shape()) {
      recorded = str("shape ", shape_to_string(value->as_ints()));
    } else if (name == "dtype" && value->kind() == ValueKind::DType &&
               value->as_dtype() != t.dtype()) {
      recorded = str("dtype ", torch_name(value->as_dtype()));
    } else if (name == "device" && value->kind() == ValueKind::Device &&
               value->as_device() != t.device()) {
      recorded = str("device ", value->as_device().to_string());
    }
    if (!recorded.empty()) {
      throw ModelError(str(node.target, where(node), ": the exporter recorded ", recorded, " for ",
                           t.name(), ", but the trace has ", t.type_string(),
                           " (the program does not match the model it was exported from)"));
    }
  }
}

} // namespace

const Symbol* lookaside(std::string_view aten_overload) {
  static const std::map<std::string, const Symbol*, std::less<>> table = [] {
    std::map<std::string, const Symbol*, std::less<>> out;
    for (const Symbol* symbol : ltorch::all()) {
      for (const std::string& op : symbol->torch_ops)
        out.emplace(without_default_overload(op), symbol);
    }
    return out;
  }();
  const auto it = table.find(without_default_overload(aten_overload));
  return it == table.end() ? nullptr : it->second;
}

JitExtension::JitExtension(const Program& program, JitOptions options)
    : program_(program), options_(options) {}

Value JitExtension::call(const Node& node, std::vector<Value> args,
                         std::vector<std::pair<std::string, Value>> kwargs) {
  TraceScope* scope = TraceScope::current();
  THUNDER_INTERNAL_ASSERT(scope != nullptr) << "the JitExtension runs inside a TraceScope";
  scope->set_location(node.location);

  if (options_.use_lookasides &&
      without_default_overload(node.target) == "aten::_assert_tensor_metadata") {
    assert_tensor_metadata(node, args, kwargs);
    return Value();
  }
  std::string reason = "lookasides are off";
  const Symbol* symbol = options_.use_lookasides ? lookaside(node.target) : nullptr;
  if (symbol != nullptr) {
    std::vector<Value> symbol_args = args;
    std::vector<std::pair<std::string, Value>> symbol_kwargs = kwargs;
    normalize_arguments(node, *symbol, symbol_args, symbol_kwargs);
    // The node must bind to the symbol's parameters as the schema lays them out; if the
    // exporter passed an argument the symbol does not declare, it is not this symbol's call.
    bool binds = true;
    try {
      BoundArgs(*symbol, symbol_args, symbol_kwargs);
    } catch (const ArgumentError& e) {
      binds = false;
      reason = str(symbol->qualified_name(), " does not take this call (", e.what(), ")");
    }
    if (binds) return call_symbol(*symbol, std::move(symbol_args), std::move(symbol_kwargs));
  } else if (options_.use_lookasides) {
    reason = "no ltorch symbol mirrors it";
  }
  if (options_.strict) {
    throw UnsupportedError(str(node.target, where(node), ": ", reason,
                               " (strict mode allows no fallback to the torch executor)"));
  }
  fallbacks_.push_back(str(node.target, ": ", reason));
  return call_symbol(opaque_symbol(node), std::move(args), std::move(kwargs));
}

namespace {
// Opaque symbols live as long as the process, like the ltorch and prims tables: traces
// (and copies of them a user keeps) point at their symbols. One per distinct operator,
// parameter list and output metadata, so their number is bounded by the models seen.
const Symbol& intern_opaque_symbol(const std::string& key, Symbol symbol) {
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<const Symbol>> symbols;
  const std::lock_guard<std::mutex> lock(mutex);
  std::unique_ptr<const Symbol>& slot = symbols[key];
  if (!slot) slot = std::make_unique<const Symbol>(make_symbol(std::move(symbol)));
  return *slot;
}
} // namespace

const Symbol& JitExtension::opaque_symbol(const Node& node) {
  Symbol symbol;
  // "aten::cumprod.default" prints as torch.aten.cumprod.default(...).
  symbol.name = node.target;
  std::replace(symbol.name.begin(), symbol.name.end(), ':', '.');
  symbol.name.erase(std::unique(symbol.name.begin(), symbol.name.end(),
                                [](char a, char b) { return a == '.' && b == '.'; }),
                    symbol.name.end());
  symbol.ns = SymbolNamespace::Torch;
  for (const NodeInput& input : node.inputs) {
    symbol.params.push_back({input.name, std::nullopt, input.keyword});
  }
  symbol.torch_ops = {node.target};
  std::vector<TensorInfo> outputs;
  for (const std::string& name : node.outputs) {
    if (name.empty()) {
      throw UnsupportedError(
          str(node.target, where(node), ": unused outputs of opaque ops are not supported yet"));
    }
    if (!program_.has_tensor_info(name)) {
      throw UnsupportedError(str(node.target, where(node), ": cannot run as an opaque torch op: ",
                                 "the program records no shape for its output '", name,
                                 "' (TorchScript records none), so only an ltorch symbol that ",
                                 "mirrors ", node.target, " can take this call"));
    }
    outputs.push_back(program_.tensor_info(name));
  }
  const bool returns_list = node.returns_list || outputs.size() > 1;
  symbol.meta = [outputs, returns_list](const BoundArgs&) -> Value {
    Value::List results;
    for (const TensorInfo& info : outputs) {
      results.emplace_back(new_tensor(info.shape, info.dtype, info.device, info.requires_grad));
    }
    if (returns_list) return Value(std::move(results));
    return results.empty() ? Value() : results.front();
  };
  std::string key = node.target;
  for (const Param& param : symbol.params)
    key += str(param.keyword_only ? " *" : " ", param.name);
  for (const TensorInfo& info : outputs) {
    key += str(" -> ", info.device.to_string(), short_name(info.dtype), shape_to_string(info.shape),
               info.requires_grad ? "g" : "");
  }
  key += returns_list ? " list" : "";
  return intern_opaque_symbol(key, std::move(symbol));
}

} // namespace thunder
