// The Interpreter runs a Program symbolically: tensors are proxies, everything else stays
// concrete, and each node is handed to an OperatorHandler, which decides what the call
// becomes (the JitExtension binds ltorch symbols). The Interpreter knows nothing of
// symbols or executors, so it can be tested alone and reused.
#pragma once

#include "thunder/interpreter/program.h"

#include <string>
#include <utility>
#include <vector>

namespace thunder {

/// Turns one node's call into values; arguments are the node's inputs with tensors
/// replaced by their current values (proxies).
class OperatorHandler {
public:
  virtual ~OperatorHandler() = default;
  /// args: positional inputs in order; kwargs: inputs passed by keyword. Returns a value
  /// per output of the node (a list when the node returns a list).
  virtual Value call(const Node& node, std::vector<Value> args,
                     std::vector<std::pair<std::string, Value>> kwargs) = 0;
};

/// Interprets the program with these values for its inputs (one per Program::inputs, in
/// order) and returns its outputs (a list of values). Throws ModelError when the program
/// refers to a value it never defined.
Value interpret(const Program& program, const std::vector<Value>& inputs, OperatorHandler& handler);

} // namespace thunder
