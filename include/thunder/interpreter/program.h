// Program: the op graph a front end builds from a captured model (torch.export or
// TorchScript, later Dynamo), before anything is traced. Nodes name operators (ATen ops,
// and the few structural "prim::" nodes below) and refer to values by name; a value may
// be a tensor or anything else a Python program computes (an int, a list, a bool).
// Control flow is nested blocks: a node owns the blocks it runs, and a block has its own
// inputs, nodes and outputs. Calls of sub-programs are inlined by the front ends (the
// TorchScript reader inlines methods, torch.export's higher-order ops carry their
// sub-graphs as blocks), so a Program has no call nodes. The metadata the exporter
// recorded for each tensor (shape, dtype, device) travels with it; TorchScript records
// none but for the module's own tensors. No torch header: weights stay with the front end.
//
// Structural nodes (every other target is an operator call for the OperatorHandler, or one
// of the concrete scalar ops the Interpreter evaluates itself, see interpreter.h):
//   prim::If     inputs: condition, operands...; blocks: then, else. Each block's inputs
//                bind the operands (TorchScript: none, its blocks read outer values;
//                torch.export's cond: its sub-graph's inputs). The taken block's outputs
//                become the node's outputs.
//   prim::Loop   TorchScript's loop. inputs: max trip count, initial condition, carried
//                values...; one block with inputs (iteration, carried...) and outputs
//                (condition, carried...). Runs while iteration < trip count and condition;
//                the node's outputs are the final carried values.
//   prim::While  torch.export's while_loop. inputs: carried values... (keyword name
//                "carried"), additional inputs... ("additional"); blocks: cond (inputs:
//                carried + additional; output: the condition) and body (same inputs;
//                outputs: the next carried values).
//   prim::Constant  one input, the constant; its output is that value.
#pragma once

#include "thunder/core/bound_symbol.h"
#include "thunder/core/value.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace thunder {

/// An argument of a node: a constant, a value of the program by name, or a list of
/// values by name (an empty name is a None item).
struct ProgramArg {
  enum class Kind { Constant, Named, NamedList };
  Kind kind = Kind::Constant;
  Value constant;                 ///< Kind::Constant.
  std::vector<std::string> names; ///< Kind::Named: one name; Kind::NamedList: each item.

  static ProgramArg of_constant(Value value) { return {Kind::Constant, std::move(value), {}}; }
  static ProgramArg of_name(std::string name) { return {Kind::Named, Value(), {std::move(name)}}; }
  static ProgramArg of_names(std::vector<std::string> names) {
    return {Kind::NamedList, Value(), std::move(names)};
  }
};

/// One input of a node, as the exporter wrote it: the schema's argument name, the value,
/// and whether it was passed by keyword.
struct NodeInput {
  std::string name;
  ProgramArg arg;
  bool keyword = false;
};

/// What the exporter recorded about a tensor.
struct TensorInfo {
  Shape shape;
  DType dtype = DType::Float32;
  Device device;
  bool requires_grad = false;
};

struct Node;

/// A nested sequence of nodes (a branch of an `if`, a loop body): the names its inputs
/// bind on entry, its nodes in execution order, and the names of the values it yields.
/// A block may read values defined outside it (TorchScript's blocks do).
struct Block {
  std::vector<std::string> inputs;
  std::vector<Node> nodes;
  std::vector<std::string> outputs;
};

/// One operator call, or a structural node (see the top of this file).
struct Node {
  std::string target; ///< "aten::linear.default", "aten::add.Tensor", "prim::If"
  std::vector<NodeInput> inputs;
  std::vector<std::string> outputs; ///< Names of the results, in order ("" = unused).
  bool returns_list = false;        ///< The operator returns a list (split, chunk ...).
  std::vector<Block> blocks;        ///< prim::If, prim::Loop, prim::While only.
  std::optional<SourceLocation> location;
};

enum class InputKind { UserInput, Parameter, Buffer, Constant };

/// An input of the program: a user input, or a parameter/buffer/constant of the module
/// (target is then its name in the module, "fc.weight").
struct ProgramInput {
  std::string name;
  InputKind kind = InputKind::UserInput;
  std::string target;
};

/// A captured program: inputs, nodes in execution order, outputs, tensor metadata.
struct Program {
  std::string name = "forward";
  std::vector<ProgramInput> inputs;
  std::vector<Node> nodes;
  std::vector<std::string> outputs;
  std::map<std::string, TensorInfo> tensors;

  /// The recorded metadata of a tensor; ModelError if the program has none for it.
  const TensorInfo& tensor_info(const std::string& name) const;
  /// Whether the program recorded metadata for this tensor.
  bool has_tensor_info(const std::string& name) const { return tensors.count(name) != 0; }
};

} // namespace thunder
