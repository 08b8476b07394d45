// The ops the Interpreter evaluates itself, on concrete values: structure (constants,
// lists, tuples), a proxy's static metadata (size, dim), and Python's scalar arithmetic
// and comparisons. One table, keyed by operator name without the overload; the list of
// what it holds is in interpreter.h. Private to the interpreter library.
#pragma once

#include "thunder/interpreter/program.h"

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace thunder::interpreter_detail {

/// One evaluation: the node (for messages) and its arguments, positional and keyword
/// together in the node's order.
struct ScalarCall {
  const Node& node;
  const std::vector<Value>& args;
  /// " at file:line" or "".
  std::string where() const;
};

struct ScalarOp {
  /// Evaluated even when an argument is a tensor proxy (metadata queries, None checks).
  /// Otherwise a tensor argument means the call is a tensor op for the OperatorHandler.
  bool takes_tensors = false;
  /// Turns a tensor's data into a Python value (aten::Bool, aten::Int, aten::item): on a
  /// proxy the result is unknown while tracing, and the Interpreter marks it so.
  bool converts_tensor = false;
  /// The first argument is a list the op mutates (aten::append): its name is rebound to
  /// the first result.
  bool mutates_first = false;
  /// One value per output of the node.
  std::function<std::vector<Value>(const ScalarCall&)> fn;
};

/// The op for "aten::add.int" (exact target first, then the name without the overload),
/// or nullptr.
const ScalarOp* find_scalar_op(std::string_view target);

} // namespace thunder::interpreter_detail
