#include "thunder/interpreter/interpreter.h"

#include "scalar_ops.h"

#include "thunder/core/error.h"

#include <optional>
#include <unordered_map>
#include <variant>

namespace thunder {

const TensorInfo& Program::tensor_info(const std::string& name) const {
  const auto it = tensors.find(name);
  if (it == tensors.end()) {
    throw ModelError(str("program ", this->name, ": no metadata for tensor '", name, "'"));
  }
  return it->second;
}

namespace {

using interpreter_detail::find_scalar_op;
using interpreter_detail::ScalarCall;
using interpreter_detail::ScalarOp;

std::string where(const Node& node) {
  return node.location ? str(" at ", node.location->to_string()) : std::string();
}

// A number proxy whose value the trace specializes on (an int or bool input: the prologue
// guards its value) is that value to Python code: conditions and scalar ops see it.
Value known_value(const Value& value) {
  if (!value.is_number()) return value;
  const std::optional<ScalarValue>& known = value.as_number()->value();
  if (!known) return value;
  return std::visit([](auto v) { return Value(v); }, *known);
}

// A value the program computed from a tensor's data (aten::Bool(t), aten::Int(t)): unknown
// while tracing. Kept beside the value so the error that stops at it can say where it came
// from.
struct DataDependence {
  std::string tensor;     ///< The proxy whose data it needs.
  std::string conversion; ///< "aten::Bool at model.py:12".
};

class Interpreter {
public:
  Interpreter(const Program& program, OperatorHandler& handler, const InterpreterOptions& options)
      : program_(program), handler_(handler), options_(options) {}

  void define(const std::string& name, Value value,
              std::optional<DataDependence> dependence = std::nullopt) {
    if (name.empty()) return;
    values_[name] = std::move(value);
    if (dependence) {
      dependent_[name] = std::move(*dependence);
    } else {
      dependent_.erase(name);
    }
  }

  const Value& lookup(const std::string& name, const Node* user) const {
    const auto it = values_.find(name);
    if (it == values_.end()) {
      throw ModelError(str("program ", program_.name, ": ",
                           user ? str("node ", user->target, where(*user), " uses ")
                                : std::string("output "),
                           "'", name, "' before it is defined"));
    }
    return it->second;
  }

  void run_nodes(const std::vector<Node>& nodes) {
    for (const Node& node : nodes)
      run_node(node);
  }

private:
  Value resolve(const ProgramArg& arg, const Node& user) const {
    switch (arg.kind) {
    case ProgramArg::Kind::Constant:
      return arg.constant;
    case ProgramArg::Kind::Named:
      return lookup(arg.names.at(0), &user);
    case ProgramArg::Kind::NamedList: {
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

  // The first data-dependent value among the node's inputs, if any.
  std::optional<DataDependence> dependence_of(const Node& node) const {
    if (dependent_.empty()) return std::nullopt;
    for (const NodeInput& input : node.inputs) {
      for (const std::string& name : input.arg.names) {
        const auto it = dependent_.find(name);
        if (it != dependent_.end()) return it->second;
      }
    }
    return std::nullopt;
  }

  void bind_outputs(const Node& node, const Value& result,
                    const std::optional<DataDependence>& dependence = std::nullopt) {
    if (node.returns_list || node.outputs.size() > 1) {
      if (!result.is_list() || result.as_list().size() != node.outputs.size()) {
        throw ModelError(str("node ", node.target, where(node), " returned ", result.repr(),
                             " for ", node.outputs.size(), " outputs"));
      }
      for (std::size_t i = 0; i < node.outputs.size(); ++i)
        define(node.outputs[i], result.as_list()[i], dependence);
    } else if (node.outputs.size() == 1) {
      define(node.outputs[0], result, dependence);
    }
  }

  void run_node(const Node& node) {
    if (node.target == "prim::If") return run_if(node);
    if (node.target == "prim::Loop") return run_loop(node);
    if (node.target == "prim::While") return run_while(node);
    if (!node.blocks.empty()) {
      throw ModelError(str("node ", node.target, where(node), " has blocks, but only prim::If, ",
                           "prim::Loop and prim::While may"));
    }

    std::vector<Value> args;
    std::vector<std::pair<std::string, Value>> kwargs;
    for (const NodeInput& input : node.inputs) {
      Value value = resolve(input.arg, node);
      if (input.keyword) {
        kwargs.emplace_back(input.name, std::move(value));
      } else {
        args.push_back(std::move(value));
      }
    }

    const ScalarOp* op = find_scalar_op(node.target);
    const std::optional<DataDependence> dependence = dependence_of(node);
    if (op != nullptr) {
      std::vector<Value> all;
      for (const Value& value : args)
        all.push_back(known_value(value));
      for (auto& [name, value] : kwargs)
        all.push_back(known_value(value));
      const Value* tensor = nullptr;
      for (const Value& value : all) {
        if (value.is_proxy() && tensor == nullptr) tensor = &value;
      }
      // With a tensor operand, an op that does not take tensors is a tensor op
      // (aten::add.Tensor), the handler's.
      if (tensor == nullptr || op->takes_tensors || op->converts_tensor) {
        if (dependence || (tensor != nullptr && op->converts_tensor)) {
          // A Python value computed from a tensor's data is unknown while tracing, and so
          // is anything computed from it.
          const DataDependence made =
              dependence ? *dependence
                         : DataDependence{tensor->proxy()->name(), node.target + where(node)};
          for (const std::string& name : node.outputs)
            define(name, Value(), made);
          return;
        }
        return run_scalar_op(node, *op, all);
      }
    }
    if (dependence) {
      throw UnsupportedError(str(
          "data-dependent value: ", node.target, where(node), " takes a Python value that ",
          dependence->conversion, " computed from the data of tensor ", dependence->tensor,
          ", which is unknown while tracing; keep the computation in tensors, or capture the "
          "model with torch.compile, which runs this part in eager PyTorch"));
    }
    bind_outputs(node, handler_.call(node, std::move(args), std::move(kwargs)));
  }

  void run_scalar_op(const Node& node, const ScalarOp& op, const std::vector<Value>& args) {
    const std::vector<Value> results = op.fn(ScalarCall{node, args});
    if (results.size() != node.outputs.size()) {
      throw ModelError(str("node ", node.target, where(node), " has ", node.outputs.size(),
                           " outputs, its operation gives ", results.size()));
    }
    for (std::size_t i = 0; i < results.size(); ++i)
      define(node.outputs[i], results[i]);
    if (op.mutates_first && !node.inputs.empty() &&
        node.inputs[0].arg.kind == ProgramArg::Kind::Named && !results.empty()) {
      define(node.inputs[0].arg.names[0], results[0]);
    }
  }

  // A control-flow condition: a concrete bool, or the error that names what it depends on.
  bool condition(const Node& node, const NodeInput& input) {
    return condition(node, resolve(input.arg, node),
                     input.arg.kind == ProgramArg::Kind::Named ? marked(input.arg.names[0])
                                                               : std::nullopt);
  }

  bool condition(const Node& node, const Value& proxy_or_value,
                 std::optional<DataDependence> dependence) {
    const Value value = known_value(proxy_or_value);
    if (!dependence && value.is_proxy()) dependence = DataDependence{value.proxy()->name(), ""};
    if (dependence) {
      throw UnsupportedError(str(
          "data-dependent control flow: ", node.target, where(node), " depends on the data of tensor ",
          dependence->tensor,
          dependence->conversion.empty() ? std::string()
                                         : str(" (through ", dependence->conversion, ")"),
          ", which is unknown while tracing; thunder specializes control flow on Python values "
          "and shapes only. Make the condition depend on shapes or module attributes, or "
          "capture the model with torch.compile, which splits the graph here and runs the "
          "branch in eager PyTorch"));
    }
    switch (value.kind()) {
    case ValueKind::Bool:
      return value.as_bool();
    case ValueKind::Int:
      return value.as_int() != 0;
    case ValueKind::Float:
      return value.as_float() != 0.0;
    case ValueKind::None:
      return false;
    default:
      throw ModelError(str(node.target, where(node), ": the condition ", value.repr(), " (",
                           value_kind_name(value.kind()), ") is not a bool"));
    }
  }

  // Runs a block with these values for its inputs; returns its outputs. A block's output
  // that is data-dependent stays so (with its mark) for whoever reads the node's outputs.
  std::vector<std::pair<Value, std::optional<DataDependence>>>
  run_block(const Node& owner, const Block& block,
            const std::vector<std::pair<Value, std::optional<DataDependence>>>& inputs) {
    if (inputs.size() != block.inputs.size()) {
      throw ModelError(str(owner.target, where(owner), ": a block takes ", block.inputs.size(),
                           " inputs, it is given ", inputs.size()));
    }
    for (std::size_t i = 0; i < inputs.size(); ++i)
      define(block.inputs[i], inputs[i].first, inputs[i].second);
    run_nodes(block.nodes);
    std::vector<std::pair<Value, std::optional<DataDependence>>> outputs;
    for (const std::string& name : block.outputs)
      outputs.emplace_back(lookup(name, &owner), marked(name));
    return outputs;
  }

  std::optional<DataDependence> marked(const std::string& name) const {
    const auto it = dependent_.find(name);
    return it == dependent_.end() ? std::nullopt : std::optional<DataDependence>(it->second);
  }

  std::pair<Value, std::optional<DataDependence>> input_value(const Node& node, std::size_t i) {
    const NodeInput& input = node.inputs.at(i);
    return {resolve(input.arg, node),
            input.arg.kind == ProgramArg::Kind::Named ? marked(input.arg.names[0]) : std::nullopt};
  }

  void bind_block_outputs(const Node& node,
                          const std::vector<std::pair<Value, std::optional<DataDependence>>>& values) {
    if (values.size() != node.outputs.size()) {
      throw ModelError(str(node.target, where(node), " has ", node.outputs.size(),
                           " outputs, its block yields ", values.size()));
    }
    for (std::size_t i = 0; i < values.size(); ++i)
      define(node.outputs[i], values[i].first, values[i].second);
  }

  void run_if(const Node& node) {
    if (node.blocks.size() != 2 || node.inputs.empty()) {
      throw ModelError(str("prim::If", where(node), " needs a condition and two blocks, has ",
                           node.inputs.size(), " inputs and ", node.blocks.size(), " blocks"));
    }
    const bool taken = condition(node, node.inputs[0]);
    std::vector<std::pair<Value, std::optional<DataDependence>>> operands;
    for (std::size_t i = 1; i < node.inputs.size(); ++i)
      operands.push_back(input_value(node, i));
    bind_block_outputs(node, run_block(node, node.blocks[taken ? 0 : 1], operands));
  }

  void check_iterations(const Node& node, std::int64_t iteration) const {
    if (iteration >= options_.max_loop_iterations) {
      throw UnsupportedError(str(node.target, where(node), " runs more than ",
                                 options_.max_loop_iterations,
                                 " iterations; loops are unrolled into the trace, so this is "
                                 "too many (InterpreterOptions::max_loop_iterations)"));
    }
  }

  void run_loop(const Node& node) {
    if (node.blocks.size() != 1 || node.inputs.size() < 2) {
      throw ModelError(str("prim::Loop", where(node), " needs a trip count, a condition and ",
                           "one block, has ", node.inputs.size(), " inputs and ",
                           node.blocks.size(), " blocks"));
    }
    const Block& body = node.blocks[0];
    const auto [trip, trip_dependence] = input_value(node, 0);
    if (trip_dependence || known_value(trip).is_proxy()) {
      condition(node, trip, trip_dependence); // throws the data-dependent error
    }
    const Value trip_count = known_value(trip);
    if (trip_count.kind() != ValueKind::Int) {
      throw ModelError(str("prim::Loop", where(node), ": the trip count ", trip_count.repr(),
                           " is not an int"));
    }
    std::vector<std::pair<Value, std::optional<DataDependence>>> carried;
    for (std::size_t i = 2; i < node.inputs.size(); ++i)
      carried.push_back(input_value(node, i));
    bool go_on = condition(node, node.inputs[1]);
    for (std::int64_t i = 0; go_on && i < trip_count.as_int(); ++i) {
      check_iterations(node, i);
      std::vector<std::pair<Value, std::optional<DataDependence>>> in{{Value(i), std::nullopt}};
      in.insert(in.end(), carried.begin(), carried.end());
      auto out = run_block(node, body, in);
      if (out.size() != carried.size() + 1) {
        throw ModelError(str("prim::Loop", where(node), ": the body yields ", out.size(),
                             " values, the loop carries ", carried.size(), " (plus the condition)"));
      }
      go_on = condition(node, out[0].first, out[0].second);
      carried.assign(out.begin() + 1, out.end());
    }
    bind_block_outputs(node, carried);
  }

  void run_while(const Node& node) {
    if (node.blocks.size() != 2) {
      throw ModelError(str("prim::While", where(node), " needs a cond and a body block, has ",
                           node.blocks.size(), " blocks"));
    }
    std::vector<std::pair<Value, std::optional<DataDependence>>> carried, additional;
    for (std::size_t i = 0; i < node.inputs.size(); ++i) {
      (node.inputs[i].name == "additional" ? additional : carried).push_back(input_value(node, i));
    }
    for (std::int64_t i = 0;; ++i) {
      check_iterations(node, i);
      std::vector<std::pair<Value, std::optional<DataDependence>>> in = carried;
      in.insert(in.end(), additional.begin(), additional.end());
      const auto cond = run_block(node, node.blocks[0], in);
      if (cond.size() != 1) {
        throw ModelError(str("prim::While", where(node), ": the cond block yields ", cond.size(),
                             " values, not one"));
      }
      if (!condition(node, cond[0].first, cond[0].second)) break;
      carried = run_block(node, node.blocks[1], in);
    }
    bind_block_outputs(node, carried);
  }

  const Program& program_;
  OperatorHandler& handler_;
  const InterpreterOptions& options_;
  std::unordered_map<std::string, Value> values_;
  std::unordered_map<std::string, DataDependence> dependent_;
};

} // namespace

Value interpret(const Program& program, const std::vector<Value>& inputs, OperatorHandler& handler,
                const InterpreterOptions& options) {
  if (inputs.size() != program.inputs.size()) {
    throw ArgumentError(str("program ", program.name, " takes ", program.inputs.size(),
                            " inputs (parameters included), got ", inputs.size()));
  }
  Interpreter interpreter(program, handler, options);
  for (std::size_t i = 0; i < inputs.size(); ++i)
    interpreter.define(program.inputs[i].name, inputs[i]);
  interpreter.run_nodes(program.nodes);

  Value::List outputs;
  for (const std::string& name : program.outputs)
    outputs.push_back(interpreter.lookup(name, nullptr));
  return Value(std::move(outputs));
}

} // namespace thunder
