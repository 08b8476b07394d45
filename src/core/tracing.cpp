#include "thunder/core/tracing.h"

#include "thunder/core/error.h"

#include <algorithm>

namespace thunder {
namespace {

thread_local TraceScope* current_scope = nullptr;

TraceScope& require_scope(const std::string& what) {
  if (current_scope == nullptr) {
    throw ArgumentError(str(what, ": called outside a TraceScope; symbols record bound ",
                            "symbols only while a thunder::TraceScope is active"));
  }
  return *current_scope;
}

} // namespace

TraceScope::TraceScope(std::string function_name) : previous_(current_scope) {
  trace_.function_name = std::move(function_name);
  sinks_.push_back(&trace_.bound_symbols);
  current_scope = this;
}

TraceScope::~TraceScope() {
  // Scopes are strictly nested on one thread; restoring the previous one is all there is.
  if (current_scope == this) current_scope = previous_;
}

TensorProxyPtr TraceScope::input_tensor(const std::string& name, Shape shape, DType dtype,
                                        Device device, bool requires_grad) {
  // Validate first, so a rejected input leaves its name free.
  TensorProxyPtr proxy = TensorProxy::create(name, std::move(shape), dtype, device, requires_grad);
  trace_.names->reserve(name);
  trace_.inputs.emplace_back(proxy);
  return proxy;
}

NumberProxyPtr TraceScope::input_number(const std::string& name, NumberKind kind,
                                        std::optional<ScalarValue> value) {
  NumberProxyPtr proxy = NumberProxy::create(name, kind, value);
  trace_.names->reserve(name);
  trace_.inputs.emplace_back(proxy);
  return proxy;
}

Trace TraceScope::finish(Value output, std::string provenance) {
  THUNDER_INTERNAL_ASSERT(!finished_) << "TraceScope::finish called twice";
  THUNDER_INTERNAL_ASSERT(sinks_.size() == 1) << "finish called inside a decomposition";
  finished_ = true;
  if (current_scope == this) current_scope = previous_;
  trace_.output = std::move(output);
  trace_.provenance = std::move(provenance);
  return std::move(trace_);
}

TraceScope* TraceScope::current() {
  return current_scope;
}

TensorProxyPtr new_tensor(Shape shape, DType dtype, Device device, bool requires_grad) {
  TraceScope& scope = require_scope("new_tensor");
  return TensorProxy::create(scope.trace_.names->next("t"), std::move(shape), dtype, device,
                             requires_grad);
}

NumberProxyPtr new_number(NumberKind kind, std::optional<ScalarValue> value) {
  TraceScope& scope = require_scope("new_number");
  return NumberProxy::create(scope.trace_.names->next("n"), kind, value);
}

Value call_symbol(const Symbol& symbol, std::vector<Value> args,
                  std::vector<std::pair<std::string, Value>> kwargs) {
  TraceScope& scope = require_scope(symbol.qualified_name());
  BoundArgs bound(symbol, std::move(args), std::move(kwargs));
  if (symbol.check != nullptr) symbol.check(bound);

  BoundSymbol bsym;
  bsym.symbol = &symbol;
  bsym.location = scope.location_;
  if (symbol.is_prim()) {
    bsym.output = symbol.meta(bound);
  } else {
    // The decomposition's calls become this call's subsymbols.
    scope.sinks_.push_back(&bsym.subsymbols);
    try {
      bsym.output = symbol.decomposition(bound);
    } catch (...) {
      scope.sinks_.pop_back();
      throw;
    }
    scope.sinks_.pop_back();
  }
  for (std::size_t i = 0; i < symbol.params.size(); ++i) {
    if (symbol.params[i].keyword_only) {
      bsym.kwargs.emplace_back(symbol.params[i].name, bound.values()[i]);
    } else {
      bsym.args.push_back(bound.values()[i]);
    }
  }
  Value output = bsym.output;
  // A composite that computes nothing (contiguous, dropout in eval, a conversion to the
  // dtype a tensor already has) hands back its input; recording it would only print a
  // call that redefines an existing name.
  if (!symbol.is_prim() && bsym.subsymbols.empty()) {
    const std::vector<const Proxy*> inputs = bsym.input_proxies();
    bool passes_inputs_through = true;
    output.for_each_proxy([&](const Proxy& p) {
      passes_inputs_through = passes_inputs_through &&
                              std::find(inputs.begin(), inputs.end(), &p) != inputs.end();
    });
    if (passes_inputs_through) return output;
  }
  scope.sinks_.back()->push_back(std::move(bsym));
  return output;
}

} // namespace thunder
