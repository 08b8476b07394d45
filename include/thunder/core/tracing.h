// Tracing by hand: inside a TraceScope, calling a symbol on proxies records a bound
// symbol (with the subsymbols of its decomposition) instead of computing anything.
// Front ends use the same machinery; tests and examples use it directly:
//
//   thunder::TraceScope scope;
//   auto x = scope.input_tensor("x", {8, 64}, thunder::DType::Float32);
//   auto y = thunder::ltorch::gelu(x);
//   thunder::Trace trace = scope.finish(y);
#pragma once

#include "thunder/core/symbol.h"
#include "thunder/core/trace.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace thunder {

/// Records the bound symbols of the calls made while it is the innermost active scope.
/// Scopes nest (a trace built while another is being built) and belong to one thread.
class TraceScope {
public:
  explicit TraceScope(std::string function_name = "computation");
  ~TraceScope();
  TraceScope(const TraceScope&) = delete;
  TraceScope& operator=(const TraceScope&) = delete;

  /// Declares an input tensor of the traced function.
  TensorProxyPtr input_tensor(const std::string& name, Shape shape, DType dtype,
                              Device device = Device::cpu(), bool requires_grad = false);
  /// Declares an input number of the traced function.
  NumberProxyPtr input_number(const std::string& name, NumberKind kind,
                              std::optional<ScalarValue> value = std::nullopt);
  /// Where the calls that follow come from (front ends set it per node).
  void set_location(std::optional<SourceLocation> location) { location_ = std::move(location); }

  /// Ends tracing and returns the trace; the scope records nothing afterwards.
  Trace finish(Value output, std::string provenance = "Hand Tracing");

  /// The innermost active scope on this thread, or nullptr.
  static TraceScope* current();

private:
  friend Value call_symbol(const Symbol&, std::vector<Value>,
                           std::vector<std::pair<std::string, Value>>);
  friend TensorProxyPtr new_tensor(Shape, DType, Device, bool);
  friend NumberProxyPtr new_number(NumberKind, std::optional<ScalarValue>);

  Trace trace_;
  // Where bound symbols go: the trace, or the subsymbols of the call being decomposed.
  std::vector<std::vector<BoundSymbol>*> sinks_;
  std::optional<SourceLocation> location_;
  TraceScope* previous_;
  bool finished_ = false;
};

/// Calls a symbol inside the current TraceScope: binds and checks the arguments, runs
/// the meta (prims) or the decomposition (composites), records the bound symbol and
/// returns its output. Throws ArgumentError outside a scope or for bad arguments.
Value call_symbol(const Symbol& symbol, std::vector<Value> args,
                  std::vector<std::pair<std::string, Value>> kwargs = {});

/// A fresh tensor proxy in the current scope (for metas).
TensorProxyPtr new_tensor(Shape shape, DType dtype, Device device, bool requires_grad = false);
/// A fresh number proxy in the current scope (for metas).
NumberProxyPtr new_number(NumberKind kind, std::optional<ScalarValue> value = std::nullopt);

} // namespace thunder
