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

  std::string reason = "lookasides are off";
  const Symbol* symbol = options_.use_lookasides ? lookaside(node.target) : nullptr;
  if (symbol != nullptr) {
    // The node must bind to the symbol's parameters as the schema lays them out; if the
    // exporter passed an argument the symbol does not declare, it is not this symbol's call.
    bool binds = true;
    try {
      BoundArgs(*symbol, args, kwargs);
    } catch (const ArgumentError& e) {
      binds = false;
      reason = str(symbol->qualified_name(), " does not take this call (", e.what(), ")");
    }
    if (binds) return call_symbol(*symbol, std::move(args), std::move(kwargs));
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
      throw UnsupportedError(str(node.target, where(node), ": no ltorch symbol takes this call, and ",
                                 "it cannot run as an opaque torch op because the program records ",
                                 "no shape for its output (TorchScript records none); an ltorch ",
                                 "symbol that mirrors ", node.target, " is needed"));
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
