// Program: the op graph a front end builds from a captured model (torch.export, later
// TorchScript and Dynamo), before anything is traced. Nodes name ATen operators and
// refer to tensors by name; the metadata the exporter recorded for every tensor (shape,
// dtype, device) travels with it. No torch header: the weights stay with the front end.
#pragma once

#include "thunder/core/bound_symbol.h"
#include "thunder/core/value.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace thunder {

/// An argument of a node: a constant, a tensor of the program by name, or a list of them.
struct ProgramArg {
  enum class Kind { Constant, Tensor, TensorList };
  Kind kind = Kind::Constant;
  Value constant;                 ///< Kind::Constant.
  std::vector<std::string> names; ///< Kind::Tensor: one name; Kind::TensorList: each item.

  static ProgramArg of_constant(Value value) { return {Kind::Constant, std::move(value), {}}; }
  static ProgramArg of_tensor(std::string name) {
    return {Kind::Tensor, Value(), {std::move(name)}};
  }
  static ProgramArg of_tensors(std::vector<std::string> names) {
    return {Kind::TensorList, Value(), std::move(names)};
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

/// One operator call.
struct Node {
  std::string target; ///< "aten::linear.default"
  std::vector<NodeInput> inputs;
  std::vector<std::string> outputs; ///< Names of the results, in order.
  bool returns_list = false;        ///< The operator returns a list (split, chunk ...).
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
};

} // namespace thunder
