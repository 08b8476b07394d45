// The Interpreter runs a Program symbolically: tensors are proxies, everything else (ints,
// floats, bools, strings, lists, tuples as lists, None) stays concrete. Operator calls on
// tensors go to an OperatorHandler, which decides what the call becomes (the JitExtension
// binds ltorch symbols). The Interpreter evaluates itself what a Python program computes
// on concrete values, so it never reaches the handler:
//   - structure: prim::Constant, prim::ListConstruct/ListUnpack, prim::TupleConstruct/
//     TupleUnpack/TupleIndex, prim::unchecked_cast, prim::Uninitialized, aten::append
//     (rebinds the list's name: lists are values here, aliases of a list do not see it);
//   - a proxy's static metadata: aten::size, aten::sym_size, aten::dim, aten::numel,
//     aten::len, prim::device, prim::dtype, prim::is_cuda (shapes are static for now);
//   - int/float/bool arithmetic and comparisons on concrete values (add, sub, mul, div,
//     floordiv, remainder, neg, pow, eq ... ge, and/or/not, min/max), list length,
//     indexing and slicing, aten::__range_length/__derive_index, aten::Int/Float/Bool,
//     prim::NumToTensor of a concrete number (the number stays concrete);
//   - prim::RaiseException: an ArgumentError with the model's message (the taken branch
//     raised for these inputs).
// Control flow (prim::If, prim::Loop, prim::While, see program.h) is resolved on concrete
// values: the taken branch runs, loops are unrolled. A condition computed from a tensor's
// data (aten::Bool(x.sum() > 0), a tensor predicate of torch.cond) is an UnsupportedError
// naming the node, its source line and the tensor. The Interpreter knows nothing of
// symbols or executors, so it can be tested alone and reused.
#pragma once

#include "thunder/interpreter/program.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace thunder {

/// Turns one node's call into values; arguments are the node's inputs with names
/// replaced by their current values (proxies for tensors).
class OperatorHandler {
public:
  virtual ~OperatorHandler() = default;
  /// args: positional inputs in order; kwargs: inputs passed by keyword. Returns a value
  /// per output of the node (a list when the node returns a list).
  virtual Value call(const Node& node, std::vector<Value> args,
                     std::vector<std::pair<std::string, Value>> kwargs) = 0;
};

struct InterpreterOptions {
  /// A loop that runs more iterations than this is an UnsupportedError (it is unrolled
  /// into the trace, so a huge count is almost always a mistake, or an endless loop).
  std::int64_t max_loop_iterations = 100000;
};

/// Interprets the program with these values for its inputs (one per Program::inputs, in
/// order) and returns its outputs (a list of values). Throws ModelError when the program
/// refers to a value it never defined or is malformed, UnsupportedError for control flow
/// that depends on tensor data.
Value interpret(const Program& program, const std::vector<Value>& inputs, OperatorHandler& handler,
                const InterpreterOptions& options = {});

} // namespace thunder
