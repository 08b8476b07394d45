// Trace: the ordered bound symbols of a program, its inputs and output, and which pass
// made it. A trace prints as Python-like source, the main debugging tool of users:
//
//   # Constructed by Dead Code Elimination
//   def computation(x, w):
//     # x: "cpu f32[8, 64]"
//     # w: "cpu f32[32, 64]"
//     t0 = ltorch.linear(x, w, None)  # t0: "cpu f32[8, 32]"
//       # t1 = prims.transpose(w, [1, 0])  # t1: "cpu f32[64, 32]"
//       # t0 = prims.matmul(x, t1)  # t0: "cpu f32[8, 32]"
//     return t0
#pragma once

#include "thunder/core/bound_symbol.h"
#include "thunder/core/value.h"

#include <memory>
#include <set>
#include <string>
#include <vector>

namespace thunder {

/// Hands out proxy names unique within one trace: the user's names where given, else
/// t0, t1, ... for tensors and n0, n1, ... for numbers.
class NameGenerator {
public:
  /// Reserves name; throws ArgumentError if it is taken or invalid.
  void reserve(const std::string& name);
  /// The next free name with this prefix ("t" or "n").
  std::string next(const std::string& prefix);
  bool contains(const std::string& name) const { return used_.count(name) != 0; }

private:
  std::set<std::string> used_;
  std::map<std::string, int> counters_;
};

struct PrintOptions {
  bool subsymbols = true;       ///< Print decompositions as indented comments.
  bool source_locations = true; ///< Print "# file:line" before calls that have one.
};

/// A traced program.
class Trace {
public:
  std::string function_name = "computation";
  std::vector<Value> inputs; ///< Proxies, in signature order.
  std::vector<BoundSymbol> bound_symbols;
  Value output;
  std::string provenance; ///< Which pass made this trace, e.g. "Dead Code Elimination".
  /// The names in use; shared by traces derived from one another so new names never clash.
  std::shared_ptr<NameGenerator> names = std::make_shared<NameGenerator>();

  /// The trace as Python-like source (see the header comment).
  std::string to_string(const PrintOptions& options = {}) const;
  /// A copy with the same inputs and names but no bound symbols, for a pass to fill.
  Trace derive(std::string new_provenance) const;
};

} // namespace thunder
