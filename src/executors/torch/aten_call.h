// Calling ATen operators by schema name through the dispatcher, with thunder Values
// converted to IValues by the schema's argument types. Private to the torch executor.
#pragma once

#include "thunder/core/value.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/ivalue.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace thunder::torch_edge {

/// Resolves a proxy to its runtime value.
using ProxyLookup = std::function<c10::IValue(const Value&)>;

/// The operator "aten::name.overload" (no overload: the default one); BackendError if
/// this LibTorch has no such operator.
c10::OperatorHandle find_operator(std::string_view qualified_name);

/// Whether this LibTorch has the operator.
bool has_operator(std::string_view qualified_name);

/// Calls an operator on IValues given positionally in schema order; missing trailing
/// arguments take the schema's defaults. Returns the single result or a tuple of them.
c10::IValue call_operator(const c10::OperatorHandle& op, std::vector<c10::IValue> args);

/// Calls the first of these overloads whose schema accepts the arguments: positional
/// values by position, keyword values by name, each converted by its schema type
/// (a number passed for a Tensor becomes a wrapped number, as Python does it). An
/// overload that takes the numbers as Scalars is preferred to one that would wrap them.
c10::IValue call_overloads(const std::vector<std::string>& overloads,
                           const std::vector<Value>& args,
                           const std::vector<std::pair<std::string, Value>>& kwargs,
                           const ProxyLookup& lookup, const std::string& caller);

} // namespace thunder::torch_edge
