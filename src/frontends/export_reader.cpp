#include "thunder/frontends/export_reader.h"

#include "thunder/core/error.h"
#include "thunder/executors/torch_executor.h"

#include <ATen/ATen.h>
#include <caffe2/serialize/inline_container.h>
#include <nlohmann/json.hpp>

#include <memory>

namespace thunder {
namespace {

using json = nlohmann::json;

// The schema versions this reader understands (torch 2.11 to 2.13 write major 8).
constexpr int kSchemaMajor = 8;

class ArchiveReader {
public:
  explicit ArchiveReader(const std::string& path) : path_(path) {
    try {
      reader_ = std::make_unique<caffe2::serialize::PyTorchStreamReader>(path);
    } catch (const c10::Error& e) {
      throw ModelError(
          str(path, ": not a readable torch.export archive (", e.what_without_backtrace(), ")"));
    }
  }

  bool has(const std::string& record) const { return reader_->hasRecord(record); }

  std::pair<at::DataPtr, std::size_t> read(const std::string& record) const {
    if (!reader_->hasRecord(record)) {
      throw ModelError(str(path_, ": the archive has no record '", record, "'"));
    }
    try {
      auto [data, size] = reader_->getRecord(record);
      return {std::move(data), size};
    } catch (const c10::Error& e) {
      throw ModelError(
          str(path_, ": cannot read '", record, "' (", e.what_without_backtrace(), ")"));
    }
  }

  json read_json(const std::string& record) const {
    auto [data, size] = read(record);
    const char* bytes = static_cast<const char*>(data.get());
    try {
      return json::parse(bytes, bytes + size);
    } catch (const json::exception& e) {
      throw ModelError(str(path_, ": ", record, " is not valid JSON (", e.what(), ")"));
    }
  }

  const std::string& path() const { return path_; }

private:
  std::string path_;
  std::unique_ptr<caffe2::serialize::PyTorchStreamReader> reader_;
};

// Reads a field, turning a missing or mistyped one into a ModelError that says where.
template <typename T>
T field(const json& object, const char* key, const std::string& where) {
  if (!object.is_object() || !object.contains(key)) {
    throw ModelError(str(where, ": missing field '", key, "'"));
  }
  try {
    return object.at(key).get<T>();
  } catch (const json::exception& e) {
    throw ModelError(str(where, ": field '", key, "' has the wrong type (", e.what(), ")"));
  }
}

const json& child(const json& object, const char* key, const std::string& where) {
  if (!object.is_object() || !object.contains(key)) {
    throw ModelError(str(where, ": missing field '", key, "'"));
  }
  return object.at(key);
}

DType export_dtype(int code, const std::string& where) {
  switch (code) {
  case 1:
    return DType::UInt8;
  case 2:
    return DType::Int8;
  case 3:
    return DType::Int16;
  case 4:
    return DType::Int32;
  case 5:
    return DType::Int64;
  case 6:
    return DType::Float16;
  case 7:
    return DType::Float32;
  case 8:
    return DType::Float64;
  case 12:
    return DType::Bool;
  case 13:
    return DType::BFloat16;
  default:
    throw UnsupportedError(str(where, ": tensor dtype code ", code, " is not supported"));
  }
}

std::int64_t sym_int(const json& value, const std::string& where) {
  if (value.is_object() && value.contains("as_int"))
    return field<std::int64_t>(value, "as_int", where);
  throw UnsupportedError(str(where, ": symbolic sizes are not supported yet (static shapes only)"));
}

TensorInfo tensor_meta(const json& meta, const std::string& where) {
  TensorInfo info;
  info.dtype = export_dtype(field<int>(meta, "dtype", where), where);
  for (const json& size : child(meta, "sizes", where))
    info.shape.push_back(sym_int(size, where));
  info.requires_grad = meta.value("requires_grad", false);
  const json& device = child(meta, "device", where);
  const std::string type = field<std::string>(device, "type", where);
  const int index = device.contains("index") && device.at("index").is_number()
                        ? device.at("index").get<int>()
                        : 0;
  if (type == "cpu") {
    info.device = Device::cpu();
  } else if (type == "cuda") {
    info.device = Device::cuda(index);
  } else {
    throw UnsupportedError(str(where, ": tensors on device '", type, "' are not supported"));
  }
  return info;
}

Value scalar_json(const json& v, const std::string& where) {
  if (v.is_boolean()) return Value(v.get<bool>());
  if (v.is_number_integer()) return Value(v.get<std::int64_t>());
  if (v.is_number()) return Value(v.get<double>());
  throw ModelError(str(where, ": expected a number, got ", v.dump()));
}

ProgramArg argument(const json& arg, const std::string& where) {
  if (!arg.is_object() || arg.size() != 1) {
    throw ModelError(
        str(where, ": an argument must be an object with one field, got ", arg.dump()));
  }
  const std::string kind = arg.begin().key();
  const json& v = arg.begin().value();
  if (kind == "as_none") return ProgramArg::of_constant(Value());
  if (kind == "as_tensor") return ProgramArg::of_name(field<std::string>(v, "name", where));
  if (kind == "as_tensors") {
    std::vector<std::string> names;
    for (const json& t : v)
      names.push_back(field<std::string>(t, "name", where));
    return ProgramArg::of_names(std::move(names));
  }
  if (kind == "as_optional_tensors") {
    std::vector<std::string> names;
    for (const json& t : v) {
      names.push_back(t.contains("as_tensor") ? field<std::string>(t.at("as_tensor"), "name", where)
                                              : "");
    }
    return ProgramArg::of_names(std::move(names));
  }
  if (kind == "as_int" || kind == "as_float" || kind == "as_bool")
    return ProgramArg::of_constant(scalar_json(v, where));
  if (kind == "as_sym_int") return ProgramArg::of_constant(Value(sym_int(v, where)));
  if (kind == "as_ints" || kind == "as_floats" || kind == "as_bools") {
    Value::List items;
    for (const json& item : v)
      items.push_back(scalar_json(item, where));
    return ProgramArg::of_constant(Value(std::move(items)));
  }
  if (kind == "as_sym_ints") {
    Value::List items;
    for (const json& item : v)
      items.push_back(Value(sym_int(item, where)));
    return ProgramArg::of_constant(Value(std::move(items)));
  }
  if (kind == "as_string") return ProgramArg::of_constant(Value(v.get<std::string>()));
  if (kind == "as_scalar_type")
    return ProgramArg::of_constant(Value(export_dtype(v.get<int>(), where)));
  if (kind == "as_device") {
    const std::string type = field<std::string>(v, "type", where);
    const int index =
        v.contains("index") && v.at("index").is_number() ? v.at("index").get<int>() : 0;
    return ProgramArg::of_constant(Value(type == "cuda" ? Device::cuda(index) : Device::cpu()));
  }
  if (kind == "as_memory_format" || kind == "as_layout") return ProgramArg::of_constant(Value());
  throw UnsupportedError(str(where, ": argument kind '", kind, "' is not supported yet"));
}

// "torch.ops.aten.linear.default" -> "aten::linear.default".
std::string operator_name(const std::string& target, const std::string& where) {
  const std::string prefix = "torch.ops.";
  if (target.rfind(prefix, 0) != 0 || target.rfind("torch.ops.higher_order.", 0) == 0) {
    throw UnsupportedError(str(where, ": node target '", target,
                               "' is not an operator (of the higher-order ops, only cond and "
                               "while_loop are supported)"));
  }
  std::string rest = target.substr(prefix.size());
  const std::size_t dot = rest.find('.');
  if (dot == std::string::npos) throw ModelError(str(where, ": malformed target '", target, "'"));
  return rest.substr(0, dot) + "::" + rest.substr(dot + 1);
}

// The innermost frame of the exporter's stack trace outside generated code:
// "File \"m.py\", line 6, in forward" (sub-graphs of higher-order ops end in
// "<eval_with_key>" frames, which no user can open).
std::optional<SourceLocation> location_of(const json& node) {
  if (!node.contains("metadata") || !node.at("metadata").contains("stack_trace"))
    return std::nullopt;
  const std::string trace = node.at("metadata").at("stack_trace").get<std::string>();
  std::optional<SourceLocation> found;
  for (std::size_t file = trace.find("File \""); file != std::string::npos;
       file = trace.find("File \"", file + 6)) {
    const std::size_t end = trace.find('"', file + 6);
    const std::size_t line = trace.find("line ", end);
    if (end == std::string::npos || line == std::string::npos) break;
    std::string name = trace.substr(file + 6, end - file - 6);
    if (name.rfind("<eval_with_key>", 0) == 0) continue;
    found = SourceLocation{std::move(name), std::atoi(trace.c_str() + line + 5)};
  }
  return found;
}

// Names inside a sub-graph are its own: they get the sub-graph's path as a prefix
// ("true_graph_0/x"), so that they cannot clash with the names around it.
void add_prefix(ProgramArg& arg, const std::string& prefix) {
  for (std::string& name : arg.names) {
    if (!name.empty()) name = prefix + name;
  }
}

std::string tensor_name(const json& arg, const std::string& where) {
  if (!arg.is_object() || !arg.contains("as_tensor")) {
    throw UnsupportedError(str(where, ": only tensors may be inputs and outputs of a sub-graph, got ",
                               arg.dump()));
  }
  return field<std::string>(arg.at("as_tensor"), "name", where);
}

Node read_node(const json& node, const std::string& where, const std::string& prefix,
               Program& program);

// A sub-graph of a higher-order op (its "as_graph" argument) as a block.
Block read_subgraph(const json& arg, const std::string& where, const std::string& prefix,
                    Program& program) {
  if (!arg.is_object() || !arg.contains("as_graph")) {
    throw ModelError(str(where, ": expected a sub-graph argument, got ", arg.dump().substr(0, 200)));
  }
  const json& as_graph = arg.at("as_graph");
  const std::string inner = str(prefix, field<std::string>(as_graph, "name", where), "/");
  const json& graph = child(as_graph, "graph", where);
  const std::string here = str(where, ": sub-graph ", inner.substr(0, inner.size() - 1));
  if (graph.contains("tensor_values")) {
    for (const auto& [name, meta] : graph.at("tensor_values").items())
      program.tensors[inner + name] = tensor_meta(meta, str(here, ": tensor '", name, "'"));
  }
  Block block;
  for (const json& input : child(graph, "inputs", here))
    block.inputs.push_back(inner + tensor_name(input, here));
  int index = 0;
  for (const json& n : child(graph, "nodes", here))
    block.nodes.push_back(read_node(n, str(here, ": node ", index++), inner, program));
  for (const json& output : child(graph, "outputs", here))
    block.outputs.push_back(inner + tensor_name(output, here));
  return block;
}

// torch.cond -> prim::If (blocks: true, false; inputs: pred, operands...);
// while_loop -> prim::While (blocks: cond, body; inputs: carried..., additional...).
void read_higher_order(const json& node, const std::string& target, const std::string& where,
                       const std::string& prefix, Program& program, Node& out) {
  const json& inputs = child(node, "inputs", where);
  const auto input_arg = [&](std::size_t i) -> const json& {
    if (!inputs.is_array() || i >= inputs.size()) {
      throw ModelError(str(where, ": ", target, " has ", inputs.size(), " inputs, expected 4"));
    }
    return child(inputs.at(i), "arg", where);
  };
  const auto operands = [&](std::size_t i, const std::string& name) {
    ProgramArg list = argument(input_arg(i), where);
    add_prefix(list, prefix);
    for (const std::string& item : list.names)
      out.inputs.push_back({name, ProgramArg::of_name(item), false});
  };
  if (target == "torch.ops.higher_order.cond") {
    out.target = "prim::If";
    ProgramArg pred = argument(input_arg(0), where);
    add_prefix(pred, prefix);
    out.inputs.push_back({"pred", std::move(pred), false});
    out.blocks.push_back(read_subgraph(input_arg(1), where, prefix, program));
    out.blocks.push_back(read_subgraph(input_arg(2), where, prefix, program));
    operands(3, "operand");
  } else {
    out.target = "prim::While";
    out.blocks.push_back(read_subgraph(input_arg(0), where, prefix, program));
    out.blocks.push_back(read_subgraph(input_arg(1), where, prefix, program));
    operands(2, "carried");
    operands(3, "additional");
  }
}

Node read_node(const json& node, const std::string& where, const std::string& prefix,
               Program& program) {
  Node out;
  const std::string target = field<std::string>(node, "target", where);
  if (target == "torch.ops.higher_order.cond" || target == "torch.ops.higher_order.while_loop") {
    read_higher_order(node, target, where, prefix, program, out);
  } else {
    out.target = operator_name(target, where);
    const std::string here = str(where, " (", out.target, ")");
    for (const json& input : child(node, "inputs", here)) {
      ProgramArg arg = argument(child(input, "arg", here), here);
      add_prefix(arg, prefix);
      out.inputs.push_back({field<std::string>(input, "name", here), std::move(arg),
                            input.value("kind", 1) == 2});
    }
  }
  const std::string here = str(where, " (", out.target, ")");
  for (const json& output : child(node, "outputs", here)) {
    if (output.contains("as_tensor")) {
      out.outputs.push_back(prefix + field<std::string>(output.at("as_tensor"), "name", here));
    } else if (output.contains("as_tensors")) {
      out.returns_list = true;
      for (const json& t : output.at("as_tensors"))
        out.outputs.push_back(prefix + field<std::string>(t, "name", here));
    } else if (output.contains("as_none")) {
      out.outputs.emplace_back();
    } else {
      throw UnsupportedError(str(here, ": output kind ", output.dump(), " is not supported yet"));
    }
  }
  out.location = location_of(node);
  return out;
}

// Weights and constants: a config JSON naming a raw file per tensor, with its metadata.
void read_tensors(const ArchiveReader& archive, const std::string& config_record,
                  const std::string& directory, std::map<std::string, at::Tensor>& state) {
  if (!archive.has(config_record)) return;
  const json config = archive.read_json(config_record);
  const std::string where = str(archive.path(), ": ", config_record);
  for (const auto& [name, entry] : child(config, "config", where).items()) {
    const std::string here = str(where, ": '", name, "'");
    if (entry.value("use_pickle", false)) {
      throw UnsupportedError(str(here, " is pickled; pickled tensors are not supported yet"));
    }
    const std::string file = directory + field<std::string>(entry, "path_name", here);
    const json& meta = child(entry, "tensor_meta", here);
    const TensorInfo info = tensor_meta(meta, here);
    std::vector<std::int64_t> strides;
    for (const json& s : child(meta, "strides", here))
      strides.push_back(sym_int(s, here));
    const std::int64_t offset = sym_int(child(meta, "storage_offset", here), here);
    auto [data, size] = archive.read(file);
    // The extent of storage the strided view touches, in elements.
    std::int64_t extent = info.shape.empty() ? 1 : 0;
    bool empty = false;
    for (std::size_t d = 0; d < info.shape.size(); ++d) {
      empty = empty || info.shape[d] == 0;
      extent = std::max(extent, (info.shape[d] - 1) * strides.at(d) + 1);
    }
    const std::int64_t item = item_size(info.dtype);
    if (!empty && static_cast<std::int64_t>(size) < (offset + extent) * item) {
      throw ModelError(str(here, ": ", file, " holds ", size, " bytes, the tensor needs ",
                           (offset + extent) * item));
    }
    // The tensor owns the bytes read from the archive: no second copy.
    auto holder = std::make_shared<at::DataPtr>(std::move(data));
    void* bytes = holder->get();
    const at::Tensor storage = at::from_blob(
        bytes, {static_cast<std::int64_t>(size) / std::max<std::int64_t>(item, 1)},
        [holder](void*) mutable { holder.reset(); },
        at::TensorOptions().dtype(to_scalar_type(info.dtype)));
    state[name] = storage.as_strided(info.shape, strides, offset);
  }
}

} // namespace

ExportedProgram load_exported_program(const std::string& path) {
  const ArchiveReader archive(path);
  if (!archive.has("models/model.json")) {
    throw ModelError(str(path, ": no models/model.json; is this a torch.export archive?"));
  }
  const json model = archive.read_json("models/model.json");
  const std::string where = str(path, ": models/model.json");
  ExportedProgram out;
  out.format = "torch.export";
  const json& version = child(model, "schema_version", where);
  const int major = field<int>(version, "major", where);
  if (major != kSchemaMajor) {
    throw ModelError(str(where, ": schema version ", major, ".", version.value("minor", 0),
                         " is not supported (this reader reads version ", kSchemaMajor, ".x)"));
  }
  out.torch_version = model.value("torch_version", "");
  const json& graph_module = child(model, "graph_module", where);
  const json& graph = child(graph_module, "graph", where);
  Program& program = out.program;

  for (const auto& [name, meta] : child(graph, "tensor_values", where).items()) {
    program.tensors[name] = tensor_meta(meta, str(where, ": tensor '", name, "'"));
  }
  const json& signature = child(graph_module, "signature", where);
  for (const json& spec : child(signature, "input_specs", where)) {
    const std::string kind = spec.begin().key();
    const json& v = spec.begin().value();
    ProgramInput input;
    if (kind == "user_input") {
      input.kind = InputKind::UserInput;
      input.name =
          field<std::string>(child(child(v, "arg", where), "as_tensor", where), "name", where);
    } else if (kind == "parameter" || kind == "buffer" || kind == "tensor_constant") {
      input.kind = kind == "parameter" ? InputKind::Parameter
                   : kind == "buffer"  ? InputKind::Buffer
                                       : InputKind::Constant;
      input.name = field<std::string>(child(v, "arg", where), "name", where);
      input.target = field<std::string>(v,
                                        kind == "parameter" ? "parameter_name"
                                        : kind == "buffer"  ? "buffer_name"
                                                            : "tensor_constant_name",
                                        where);
    } else {
      throw UnsupportedError(str(where, ": input kind '", kind, "' is not supported yet"));
    }
    program.inputs.push_back(std::move(input));
  }
  for (const json& spec : child(signature, "output_specs", where)) {
    const std::string kind = spec.begin().key();
    if (kind != "user_output") {
      throw UnsupportedError(str(where, ": output kind '", kind, "' is not supported yet"));
    }
    const json& arg = child(spec.begin().value(), "arg", where);
    if (!arg.contains("as_tensor")) {
      throw UnsupportedError(str(where, ": non-tensor outputs are not supported yet"));
    }
    program.outputs.push_back(field<std::string>(arg.at("as_tensor"), "name", where));
  }
  int index = 0;
  for (const json& node : child(graph, "nodes", where)) {
    program.nodes.push_back(read_node(node, str(where, ": node ", index++), "", program));
  }

  read_tensors(archive, "data/weights/model_weights_config.json", "data/weights/", out.state);
  read_tensors(archive, "data/constants/model_constants_config.json", "data/constants/", out.state);
  for (const ProgramInput& input : program.inputs) {
    if (input.kind != InputKind::UserInput && out.state.count(input.target) == 0) {
      throw ModelError(str(path, ": the program needs '", input.target,
                           "' but the archive has no weight or constant of that name"));
    }
  }
  return out;
}

} // namespace thunder
