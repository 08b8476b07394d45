// BoundSymbol: one call of a Symbol in a trace, with its arguments, its output, the
// subsymbols its decomposition produced, and the place in the user's program it came
// from. Bound symbols are values: passes build new ones rather than editing in place.
#pragma once

#include "thunder/core/symbol.h"
#include "thunder/core/value.h"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace thunder {

/// A place in the user's program: "model.py:41".
struct SourceLocation {
  std::string file;
  int line = 0;
  std::string to_string() const;
  friend bool operator==(const SourceLocation&, const SourceLocation&) = default;
};

/// Replacement of proxies by name, as passes use it (CSE maps duplicates to originals).
using ProxySubstitution = std::map<std::string, Value>;

/// One call of a symbol.
struct BoundSymbol {
  const Symbol* symbol = nullptr;
  std::vector<Value> args;                           ///< Positional parameters, in order.
  std::vector<std::pair<std::string, Value>> kwargs; ///< Keyword-only parameters.
  Value output;                                      ///< A proxy, a list of them, or None.
  std::vector<BoundSymbol> subsymbols;
  std::optional<SourceLocation> location;
  /// The executor that runs this call ("spirv", "torch"), set by assign_executors; empty
  /// before. Printed as a trailing "# executor: spirv" where it differs from the parent's.
  std::string executor;

  /// Every proxy this call reads, in argument order (repeats kept).
  std::vector<const Proxy*> input_proxies() const;
  /// Every proxy this call defines.
  std::vector<const Proxy*> output_proxies() const;
  /// A copy whose inputs (and its subsymbols' inputs) have proxies replaced by name.
  BoundSymbol substitute_inputs(const ProxySubstitution& substitution) const;
  /// The call as source, without outputs: "ltorch.gelu(t0, approximate='tanh')".
  std::string call_string() const;
};

/// Python's `del` statement, as Thunder's prims.python_del: a bound symbol of it whose args
/// are proxies prints `del t3, t4` and says those values are not used after it. Passes
/// build its bound symbols directly (it is never called through call_symbol).
const Symbol& python_del();

} // namespace thunder
