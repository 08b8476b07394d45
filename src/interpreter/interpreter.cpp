#include "thunder/interpreter/interpreter.h"

#include "thunder/core/error.h"

#include <unordered_map>

namespace thunder {

const TensorInfo& Program::tensor_info(const std::string& name) const {
  const auto it = tensors.find(name);
  if (it == tensors.end()) {
    throw ModelError(str("program ", this->name, ": no metadata for tensor '", name, "'"));
  }
  return it->second;
}

namespace {

class Environment {
public:
  explicit Environment(const Program& program) : program_(program) {}

  void define(const std::string& name, Value value) { values_[name] = std::move(value); }

  const Value& lookup(const std::string& name, const Node* user) const {
    const auto it = values_.find(name);
    if (it == values_.end()) {
      throw ModelError(str("program ", program_.name, ": ",
                           user ? str("node ", user->target, " uses ") : std::string("output "),
                           "'", name, "' before it is defined"));
    }
    return it->second;
  }

  Value resolve(const ProgramArg& arg, const Node& user) const {
    switch (arg.kind) {
    case ProgramArg::Kind::Constant:
      return arg.constant;
    case ProgramArg::Kind::Tensor:
      return lookup(arg.names.at(0), &user);
    case ProgramArg::Kind::TensorList: {
      Value::List items;
      for (const std::string& name : arg.names) {
        items.push_back(name.empty() ? Value() : lookup(name, &user));
      }
      return Value(std::move(items));
    }
    }
    THUNDER_INTERNAL_ASSERT(false) << "argument kind " << static_cast<int>(arg.kind);
    return {};
  }

private:
  const Program& program_;
  std::unordered_map<std::string, Value> values_;
};

} // namespace

Value interpret(const Program& program, const std::vector<Value>& inputs,
                OperatorHandler& handler) {
  if (inputs.size() != program.inputs.size()) {
    throw ArgumentError(str("program ", program.name, " takes ", program.inputs.size(),
                            " inputs (parameters included), got ", inputs.size()));
  }
  Environment env(program);
  for (std::size_t i = 0; i < inputs.size(); ++i)
    env.define(program.inputs[i].name, inputs[i]);

  for (const Node& node : program.nodes) {
    std::vector<Value> args;
    std::vector<std::pair<std::string, Value>> kwargs;
    for (const NodeInput& input : node.inputs) {
      Value value = env.resolve(input.arg, node);
      if (input.keyword) {
        kwargs.emplace_back(input.name, std::move(value));
      } else {
        args.push_back(std::move(value));
      }
    }
    const Value result = handler.call(node, std::move(args), std::move(kwargs));
    if (node.returns_list || node.outputs.size() > 1) {
      if (!result.is_list() || result.as_list().size() != node.outputs.size()) {
        throw ModelError(str("node ", node.target, " returned ", result.repr(), " for ",
                             node.outputs.size(), " outputs"));
      }
      for (std::size_t i = 0; i < node.outputs.size(); ++i) {
        if (!node.outputs[i].empty()) env.define(node.outputs[i], result.as_list()[i]);
      }
    } else if (node.outputs.size() == 1) {
      env.define(node.outputs[0], result);
    }
  }

  Value::List outputs;
  for (const std::string& name : program.outputs)
    outputs.push_back(env.lookup(name, nullptr));
  return Value(std::move(outputs));
}

} // namespace thunder
