#include "thunder/frontends/torchscript_reader.h"

#include "thunder/core/error.h"
#include "thunder/executors/torch_executor.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/csrc/jit/api/module.h>
#include <torch/csrc/jit/ir/constants.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>
#include <torch/csrc/jit/passes/inliner.h>
#include <torch/csrc/jit/passes/lower_tuples.h>
#include <torch/csrc/jit/serialization/import.h>

#include <cctype>
#include <set>
#include <unordered_map>

namespace thunder {
namespace {

namespace jit = torch::jit;

// The line of the scripted Python: a loaded module's nodes point into its serialized code
// (code/__torch__.py), which remembers the range of the original source it came from.
std::optional<SourceLocation> location_of(const jit::Node* node) {
  jit::SourceRange range = node->sourceRange();
  if (const auto original = range.findSourceRangeThatGenerated()) range = *original;
  const auto file_line = range.file_line_col();
  if (!file_line) return std::nullopt;
  const auto& [file, line, column] = *file_line;
  (void)column;
  return SourceLocation{file, static_cast<int>(line)};
}

std::string where(const std::string& path, const jit::Node* node) {
  const auto location = location_of(node);
  return str(path, ": ", node->kind().toQualString(),
             location ? str(" at ", location->to_string()) : std::string());
}

// A Python identifier from a TorchScript name ("x.1" -> "x", "layers.0.weight" ->
// "layers_0_weight").
std::string identifier(std::string name) {
  for (char& c : name) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '_') c = '_';
  }
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0])) != 0) name = "v_" + name;
  return name;
}

class GraphReader {
public:
  GraphReader(const std::string& path, const jit::Module& module, LoadedModel& out)
      : path_(path), module_(module), out_(out), program_(out.program) {
    for (const auto& p : module.named_parameters(/*recurse=*/true))
      parameters_.insert(p.name);
    for (const auto& b : module.named_buffers(/*recurse=*/true))
      buffers_.insert(b.name);
  }

  void read(const jit::Graph& graph) {
    const auto inputs = graph.inputs();
    if (inputs.empty() || !is_module(inputs[0])) {
      throw ModelError(str(path_, ": forward's first input is not the module"));
    }
    module_paths_[inputs[0]] = "";
    for (std::size_t i = 1; i < inputs.size(); ++i) {
      const jit::Value* v = inputs[i];
      std::string base = v->debugName();
      base = identifier(base.substr(0, base.find('.')));
      const std::string name = unique_input_name(base);
      names_[v] = name;
      program_.inputs.push_back({name, InputKind::UserInput, ""});
    }
    program_.nodes = read_nodes(graph.block());
    // A tuple returned by forward is the program's outputs, as torch.export flattens it.
    std::vector<const jit::Value*> outputs(graph.outputs().begin(), graph.outputs().end());
    if (outputs.size() == 1 && outputs[0]->node()->kind() == c10::prim::TupleConstruct) {
      const auto items = outputs[0]->node()->inputs();
      outputs.assign(items.begin(), items.end());
    }
    for (const jit::Value* v : outputs)
      program_.outputs.push_back(use(v, "the program's output"));
  }

private:
  static bool is_module(const jit::Value* v) {
    const auto cls = v->type()->cast<c10::ClassType>();
    return cls && cls->is_module();
  }

  std::string unique_input_name(const std::string& base) {
    std::string name = base;
    for (int k = 1; !input_names_.insert(name).second; ++k)
      name = str(base, "_", k);
    return name;
  }

  // The program's name for a value a node reads. Intermediate values keep TorchScript's
  // unique name behind a '%', which no program input (an identifier) can take.
  std::string name_of(const jit::Value* v) const {
    const auto it = names_.find(v);
    return it != names_.end() ? it->second : "%" + v->debugName();
  }

  std::string use(const jit::Value* v, const std::string& user) const {
    if (module_paths_.count(v) != 0) {
      throw UnsupportedError(str(path_, ": ", user, " uses a module as a value (",
                                 v->debugName(), "); only its attributes can be read"));
    }
    return name_of(v);
  }

  std::vector<Node> read_nodes(const jit::Block* block) {
    std::vector<Node> nodes;
    for (const jit::Node* node : block->nodes()) {
      if (auto converted = read_node(node)) nodes.push_back(std::move(*converted));
    }
    return nodes;
  }

  Block read_block(const jit::Block* block, const std::string& user) {
    Block out;
    for (const jit::Value* v : block->inputs())
      out.inputs.push_back(name_of(v));
    out.nodes = read_nodes(block);
    for (const jit::Value* v : block->outputs())
      out.outputs.push_back(use(v, user));
    return out;
  }

  // The module object a module-typed value stands for.
  jit::Module module_at(const std::string& qualified) const {
    jit::Module m = module_;
    std::size_t start = 0;
    while (start < qualified.size()) {
      const std::size_t dot = qualified.find('.', start);
      const std::string part = qualified.substr(start, dot == std::string::npos ? dot : dot - start);
      m = m.attr(part).toModule();
      start = dot == std::string::npos ? qualified.size() : dot + 1;
    }
    return m;
  }

  std::optional<Node> read_get_attr(const jit::Node* node) {
    const jit::Value* owner = node->input(0);
    const auto owner_path = module_paths_.find(owner);
    if (owner_path == module_paths_.end()) {
      throw UnsupportedError(str(where(path_, node), ": reads an attribute of a non-module value"));
    }
    const std::string attr = node->s(c10::attr::name);
    const std::string qualified = owner_path->second.empty() ? attr : owner_path->second + "." + attr;
    const jit::Value* out = node->output();
    if (is_module(out)) {
      module_paths_[out] = qualified;
      return std::nullopt;
    }
    const c10::IValue value = module_at(owner_path->second).attr(attr);
    if (value.isTensor()) {
      const InputKind kind = parameters_.count(qualified) != 0 ? InputKind::Parameter
                             : buffers_.count(qualified) != 0  ? InputKind::Buffer
                                                               : InputKind::Constant;
      names_[out] = state_input(qualified, kind, value.toTensor());
      return std::nullopt;
    }
    // A plain attribute (a flag, a size, a list): its value now, as a constant.
    Node constant;
    constant.target = "prim::Constant";
    constant.inputs.push_back(
        {"value", ProgramArg::of_constant(to_value(value, str(where(path_, node), " (", qualified, ")"))),
         false});
    constant.outputs.push_back(name_of(out));
    constant.location = location_of(node);
    return constant;
  }

  // A program input for a module tensor (parameter, buffer, constant), once per target.
  std::string state_input(const std::string& target, InputKind kind, const at::Tensor& tensor) {
    const auto known = state_names_.find(target);
    if (known != state_names_.end()) return known->second;
    const char* prefix = kind == InputKind::Parameter ? "p_" : kind == InputKind::Buffer ? "b_" : "c_";
    const std::string name = unique_input_name(prefix + identifier(target));
    state_names_[target] = name;
    program_.inputs.push_back({name, kind, target});
    out_.state[target] = tensor;
    TensorInfo info;
    info.shape = tensor.sizes().vec();
    info.dtype = from_scalar_type(tensor.scalar_type());
    info.device = tensor.is_cuda() ? Device::cuda(tensor.device().index() < 0 ? 0 : tensor.device().index())
                                   : Device::cpu();
    info.requires_grad = tensor.requires_grad();
    program_.tensors[name] = info;
    return name;
  }

  Value to_value(const c10::IValue& v, const std::string& here) {
    if (v.isNone()) return Value();
    if (v.isBool()) return Value(v.toBool());
    if (v.isInt()) return Value(v.toInt());
    if (v.isDouble()) return Value(v.toDouble());
    if (v.isString()) return Value(v.toStringRef());
    if (v.isDevice()) {
      const c10::Device d = v.toDevice();
      if (d.is_cpu()) return Value(Device::cpu());
      if (d.is_cuda()) return Value(Device::cuda(d.has_index() ? d.index() : 0));
      throw UnsupportedError(str(here, ": device '", d.str(), "' is not supported"));
    }
    if (v.isList()) {
      Value::List items;
      for (const c10::IValue& item : v.toListRef())
        items.push_back(to_value(item, here));
      return Value(std::move(items));
    }
    if (v.isTuple()) {
      Value::List items;
      for (const c10::IValue& item : v.toTupleRef().elements())
        items.push_back(to_value(item, here));
      return Value(std::move(items));
    }
    throw UnsupportedError(str(here, ": a constant of type ", v.tagKind(), " is not supported"));
  }

  // A constant argument of an operator, as its schema types it: TorchScript writes dtypes
  // as ints, and layouts and memory formats (which the ops here ignore) too.
  Value typed_constant(const c10::IValue& v, const c10::TypePtr& type, const std::string& here) {
    c10::TypePtr t = type;
    if (const auto optional = t->cast<c10::OptionalType>()) t = optional->getElementType();
    if (v.isInt() && t->kind() == c10::TypeKind::ScalarTypeType)
      return Value(from_scalar_type(static_cast<c10::ScalarType>(v.toInt())));
    if (v.isInt() && (t->kind() == c10::TypeKind::LayoutType ||
                      t->kind() == c10::TypeKind::MemoryFormatType)) {
      return Value();
    }
    return to_value(v, here);
  }

  // TorchScript calls the Scalar overloads of binary ops (aten::mul.Scalar(x, 2.0)) where
  // torch.export calls the Tensor ones with a Python number (aten::mul.Tensor(x, 2.0)),
  // which are the overloads the ltorch symbols mirror. The Tensor overload takes the same
  // arguments (alpha keyword-only), so the node is read as a call of it.
  static const c10::FunctionSchema& canonical_schema(const c10::FunctionSchema& schema) {
    const std::string& overload = schema.overload_name();
    std::string tensor_overload;
    if (overload == "Scalar") tensor_overload = "Tensor";
    if (overload == "Scalar_mode") tensor_overload = "Tensor_mode";
    if (tensor_overload.empty()) return schema;
    const auto handle = c10::Dispatcher::singleton().findSchema({schema.name(), tensor_overload});
    if (!handle) return schema;
    const c10::FunctionSchema& other = handle->schema();
    if (other.arguments().size() != schema.arguments().size() || other.returns().size() != 1)
      return schema;
    for (std::size_t i = 0; i < other.arguments().size(); ++i) {
      if (other.arguments()[i].name() != schema.arguments()[i].name()) return schema;
    }
    return other;
  }

  std::optional<Node> read_node(const jit::Node* node) {
    const c10::Symbol kind = node->kind();
    const std::string here = where(path_, node);
    if (kind == c10::prim::GetAttr) return read_get_attr(node);
    if (kind == c10::prim::CallMethod || kind == c10::prim::CallFunction) {
      throw UnsupportedError(str(here, ": a call that could not be inlined (interface or ",
                                 "recursive call); script a module whose calls are static"));
    }
    Node out;
    out.target = kind.toQualString();
    out.location = location_of(node);
    if (kind == c10::prim::Constant) {
      const std::optional<c10::IValue> value = jit::toIValue(node->output());
      if (!value) throw ModelError(str(here, ": a constant without a value"));
      if (value->isTensor()) {
        names_[node->output()] = state_input(str("constant", constants_++), InputKind::Constant,
                                             value->toTensor());
        return std::nullopt;
      }
      out.inputs.push_back({"value", ProgramArg::of_constant(to_value(*value, here)), false});
      out.outputs.push_back(name_of(node->output()));
      return out;
    }

    const c10::FunctionSchema* schema = node->maybeSchema();
    if (schema != nullptr) schema = &canonical_schema(*schema);
    if (schema != nullptr && !schema->overload_name().empty()) {
      out.target += "." + schema->overload_name();
    }
    const auto inputs = node->inputs();
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      const jit::Value* v = inputs[i];
      const c10::Argument* argument =
          schema != nullptr && i < schema->arguments().size() ? &schema->arguments()[i] : nullptr;
      NodeInput input;
      input.name = argument != nullptr ? argument->name() : "";
      input.keyword = argument != nullptr && argument->kwarg_only();
      if (argument != nullptr && v->node()->kind() == c10::prim::Constant &&
          !v->type()->cast<c10::TensorType>()) {
        // Inlined, so that it can be typed as the schema says (dtypes are ints here).
        input.arg = ProgramArg::of_constant(typed_constant(*jit::toIValue(v), argument->type(), here));
      } else {
        input.arg = ProgramArg::of_name(use(v, here));
      }
      out.inputs.push_back(std::move(input));
    }
    for (const jit::Value* v : node->outputs())
      out.outputs.push_back(name_of(v));
    for (const jit::Block* block : node->blocks())
      out.blocks.push_back(read_block(block, here));
    if (!out.blocks.empty() && kind != c10::prim::If && kind != c10::prim::Loop) {
      throw UnsupportedError(str(here, ": nodes with blocks other than prim::If and prim::Loop ",
                                 "are not supported"));
    }
    return out;
  }

  const std::string& path_;
  const jit::Module& module_;
  LoadedModel& out_;
  Program& program_;
  std::set<std::string> parameters_, buffers_;
  std::set<std::string> input_names_;
  std::unordered_map<const jit::Value*, std::string> names_;
  std::unordered_map<const jit::Value*, std::string> module_paths_;
  std::map<std::string, std::string> state_names_;
  int constants_ = 0;
};

} // namespace

LoadedModel load_torchscript(const std::string& path) {
  jit::Module module;
  try {
    module = jit::load(path);
  } catch (const c10::Error& e) {
    throw ModelError(str(path, ": not a readable TorchScript file (", e.what_without_backtrace(), ")"));
  }
  const std::optional<jit::Method> forward = module.find_method("forward");
  if (!forward) throw ModelError(str(path, ": the TorchScript module has no forward method"));
  // A copy: the passes must not change the module's own graph.
  const std::shared_ptr<jit::Graph> graph = forward->graph()->copy();
  jit::Inline(*graph);
  jit::LowerSimpleTuples(graph);
  jit::EliminateDeadCode(graph);

  LoadedModel out;
  out.format = "TorchScript";
  out.program.name = "forward";
  GraphReader(path, module, out).read(*graph);
  return out;
}

} // namespace thunder
