#include "thunder/compiler/thunder_compiler.h"

#include "thunder/core/error.h"
#include "thunder/core/tracing.h"
#include "thunder/interpreter/interpreter.h"
#include "thunder/jit/jit_extension.h"

#include <ATen/core/dispatch/Dispatcher.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <map>
#include <set>
#include <utility>

namespace thunder {
namespace {

constexpr std::string_view kStrictSuffix =
    " (strict mode allows no fallback to the torch executor)";

std::string without_suffix(std::string text, std::string_view suffix) {
  if (text.size() >= suffix.size() &&
      text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0) {
    text.resize(text.size() - suffix.size());
  }
  return text;
}

bool mirrored(const std::string& target) {
  return lookaside(target) != nullptr || target == "aten::_assert_tensor_metadata" ||
         target == "aten::_assert_tensor_metadata.default";
}

// Stand-ins for the outputs of a node whose call could not be described (its outputs have
// no metadata): tensor proxies, so that the nodes reading them reach the handler rather than
// the Interpreter's own evaluation of concrete values; those nodes have reasons of their own
// (the front end gives one to every node that reads an undescribed value).
Value stand_ins(const Node& node) {
  Value::List outputs;
  for (std::size_t i = 0; i < node.outputs.size(); ++i)
    outputs.emplace_back(new_tensor({}, DType::Float32, Device::cpu()));
  if (node.returns_list || node.outputs.size() > 1) return Value(std::move(outputs));
  return outputs.empty() ? Value() : outputs.front();
}

// The OperatorHandler of the split analysis: thunder's JitExtension in strict mode for each
// node, and where it refuses, the reason and an opaque call shaped as the front end recorded.
class SplitHandler final : public OperatorHandler {
public:
  SplitHandler(const Program& program, const std::vector<std::optional<SplitReason>>& known)
      : program_(program), known_(known), thunder_(program, JitOptions{true, true}),
        opaque_(program, JitOptions{false, false}), reasons_(program.nodes.size()) {}

  Value call(const Node& node, std::vector<Value> args,
             std::vector<std::pair<std::string, Value>> kwargs) override {
    const std::size_t index = index_of(node);
    if (index < known_.size() && known_[index]) {
      reasons_[index] = *known_[index];
      reasons_[index]->node = index;
      return opaque(node, std::move(args), std::move(kwargs));
    }
    try {
      return thunder_.call(node, args, kwargs);
    } catch (const Error& e) {
      SplitReason reason;
      reason.node = index;
      reason.op = node.target;
      reason.location = node.location;
      const std::string message = e.what();
      if (!mirrored(node.target)) {
        reason.kind = SplitReason::Kind::MissingOp;
        reason.message = "no ltorch symbol mirrors it";
      } else if (message.ends_with(kStrictSuffix)) {
        reason.kind = SplitReason::Kind::UnsupportedArguments;
        reason.message = without_suffix(message, kStrictSuffix);
      } else {
        reason.kind = SplitReason::Kind::MetaFailure;
        reason.message = message;
      }
      reasons_[index] = std::move(reason);
    }
    return opaque(node, std::move(args), std::move(kwargs));
  }

  std::vector<std::optional<SplitReason>> take_reasons() { return std::move(reasons_); }

private:
  std::size_t index_of(const Node& node) const {
    const Node* first = program_.nodes.data();
    THUNDER_INTERNAL_ASSERT(&node >= first && &node < first + program_.nodes.size())
        << node.target << ": the split analysis sees only top-level nodes";
    return static_cast<std::size_t>(&node - first);
  }

  Value opaque(const Node& node, std::vector<Value> args,
               std::vector<std::pair<std::string, Value>> kwargs) {
    try {
      return opaque_.call(node, std::move(args), std::move(kwargs));
    } catch (const Error&) {
      return stand_ins(node);
    }
  }

  const Program& program_;
  const std::vector<std::optional<SplitReason>>& known_;
  JitExtension thunder_;
  JitExtension opaque_;
  std::vector<std::optional<SplitReason>> reasons_;
};

void for_each_read(const Node& node, const std::function<void(const std::string&)>& fn) {
  for (const NodeInput& input : node.inputs) {
    for (const std::string& name : input.arg.names) {
      if (!name.empty()) fn(name);
    }
  }
}

// Whether a node must keep its place among the others: it mutates an argument, draws random
// numbers (moving it would change which numbers it gets), or is no operator the dispatcher
// knows (its effects are unknown).
bool keeps_its_place(const Node& node) {
  const std::size_t dot = node.target.find('.');
  const std::string name = node.target.substr(0, dot);
  std::string overload = dot == std::string::npos ? "" : node.target.substr(dot + 1);
  if (overload == "default") overload.clear();
  const auto op = c10::Dispatcher::singleton().findSchema({name, overload});
  if (!op) return true;
  return op->schema().is_mutable() || op->hasTag(at::Tag::nondeterministic_seeded);
}

// The order the regions run in: the program's nodes, each after the values it reads, taken
// so that a run of nodes of one verdict goes on while any node of that verdict is ready (the
// lowest-numbered first). Nodes that keep their place (keeps_its_place) are fences: nothing
// moves across them. Where program order alternates between thunder and eager only because
// independent nodes interleave (the weight transposes of a backward graph), this makes one
// region of what would be several.
std::vector<std::size_t> schedule(const Program& program,
                                  const std::vector<std::optional<SplitReason>>& reasons) {
  const std::size_t n = program.nodes.size();
  std::map<std::string, std::size_t> producer;
  for (std::size_t i = 0; i < n; ++i) {
    for (const std::string& name : program.nodes[i].outputs) {
      if (!name.empty()) producer[name] = i;
    }
  }
  std::vector<std::set<std::size_t>> deps(n);
  std::optional<std::size_t> fence;
  std::size_t since_fence = 0;
  for (std::size_t i = 0; i < n; ++i) {
    for_each_read(program.nodes[i], [&](const std::string& name) {
      const auto it = producer.find(name);
      if (it != producer.end() && it->second < i) deps[i].insert(it->second);
    });
    if (fence) deps[i].insert(*fence);
    if (keeps_its_place(program.nodes[i])) {
      for (std::size_t j = since_fence; j < i; ++j)
        deps[i].insert(j);
      fence = i;
      since_fence = i + 1;
    }
  }
  std::vector<std::vector<std::size_t>> users(n);
  std::vector<std::size_t> waiting(n);
  std::set<std::size_t> ready[2]; // [0]: eager, [1]: thunder
  for (std::size_t i = 0; i < n; ++i) {
    waiting[i] = deps[i].size();
    for (std::size_t d : deps[i])
      users[d].push_back(i);
    if (waiting[i] == 0) ready[reasons[i] ? 0 : 1].insert(i);
  }
  std::vector<std::size_t> order;
  order.reserve(n);
  int kind = n == 0 ? 1 : (reasons[0] ? 0 : 1);
  while (order.size() < n) {
    if (ready[kind].empty()) kind = 1 - kind;
    THUNDER_INTERNAL_ASSERT(!ready[kind].empty()) << "the program's nodes have a cycle";
    const std::size_t i = *ready[kind].begin();
    ready[kind].erase(ready[kind].begin());
    order.push_back(i);
    for (std::size_t u : users[i]) {
      if (--waiting[u] == 0) ready[reasons[u] ? 0 : 1].insert(u);
    }
  }
  return order;
}

// Maximal runs of nodes with the same verdict in the order of schedule(), with the values
// each reads from before it and defines for after it.
std::vector<GraphRegion> partition(const Program& program,
                                   const std::vector<std::optional<SplitReason>>& reasons) {
  const std::vector<std::size_t> order = schedule(program, reasons);
  std::vector<GraphRegion> regions;
  std::vector<std::size_t> ends; // per region: its end position in order
  for (std::size_t position = 0; position < order.size(); ++position) {
    const std::size_t i = order[position];
    const bool thunder = !reasons[i].has_value();
    if (regions.empty() || regions.back().thunder != thunder) {
      regions.emplace_back();
      regions.back().thunder = thunder;
      ends.push_back(position);
    }
    regions.back().nodes.push_back(i);
    ends.back() = position + 1;
  }
  for (std::size_t r = 0; r < regions.size(); ++r) {
    GraphRegion& region = regions[r];
    std::set<std::string> defined, read;
    for (std::size_t i : region.nodes) {
      for_each_read(program.nodes[i], [&](const std::string& name) {
        if (defined.count(name) == 0 && read.insert(name).second) region.inputs.push_back(name);
      });
      for (const std::string& name : program.nodes[i].outputs) {
        if (!name.empty()) defined.insert(name);
      }
    }
    // What later nodes and the outputs read, in definition order.
    std::set<std::string> later;
    for (std::size_t position = ends[r]; position < order.size(); ++position)
      for_each_read(program.nodes[order[position]],
                    [&](const std::string& name) { later.insert(name); });
    later.insert(program.outputs.begin(), program.outputs.end());
    for (std::size_t i : region.nodes) {
      for (const std::string& name : program.nodes[i].outputs) {
        if (!name.empty() && later.count(name) != 0) region.outputs.push_back(name);
      }
    }
  }
  return regions;
}

// A thunder region that reads a value with no tensor metadata (a number an eager node
// computed from data, or a tensor of a dtype thunder lacks) cannot be compiled: the first
// node reading it goes to eager instead, with the reason of the value's producer.
bool demote_undescribed_reads(const Program& program, const std::vector<GraphRegion>& regions,
                              std::vector<std::optional<SplitReason>>& reasons) {
  std::map<std::string, std::size_t> producer;
  for (std::size_t i = 0; i < program.nodes.size(); ++i) {
    for (const std::string& name : program.nodes[i].outputs)
      producer[name] = i;
  }
  bool changed = false;
  for (const GraphRegion& region : regions) {
    if (!region.thunder) continue;
    for (const std::string& name : region.inputs) {
      if (program.has_tensor_info(name)) continue;
      for (std::size_t i : region.nodes) {
        bool reads = false;
        for_each_read(program.nodes[i], [&](const std::string& n) { reads = reads || n == name; });
        if (!reads) continue;
        SplitReason reason;
        reason.node = i;
        reason.op = program.nodes[i].target;
        reason.location = program.nodes[i].location;
        reason.kind = SplitReason::Kind::MetaFailure;
        const auto from = producer.find(name);
        if (from != producer.end() && reasons[from->second]) {
          const SplitReason::Kind kind = reasons[from->second]->kind;
          if (kind == SplitReason::Kind::DataDependence ||
              kind == SplitReason::Kind::UnsupportedDType)
            reason.kind = kind;
        }
        reason.message = str("it reads '", name,
                             "', which is not a tensor thunder has metadata for (made by an op "
                             "that runs in eager)");
        reasons[i] = std::move(reason);
        changed = true;
        break;
      }
    }
  }
  return changed;
}

Program region_program(const Program& program, const GraphRegion& region, std::size_t number) {
  Program out;
  out.name = str("region", number);
  for (const std::string& name : region.inputs) {
    out.inputs.push_back({name, InputKind::UserInput, ""});
    out.tensors.emplace(name, program.tensor_info(name));
  }
  for (std::size_t i : region.nodes) {
    out.nodes.push_back(program.nodes[i]);
    for (const std::string& name : program.nodes[i].outputs) {
      const auto info = program.tensors.find(name);
      if (info != program.tensors.end()) out.tensors.insert(*info);
    }
  }
  out.outputs = region.outputs;
  return out;
}

} // namespace

std::string_view kind_name(SplitReason::Kind kind) {
  switch (kind) {
  case SplitReason::Kind::MissingOp:
    return "missing_op";
  case SplitReason::Kind::UnsupportedArguments:
    return "unsupported_arguments";
  case SplitReason::Kind::MetaFailure:
    return "meta_failure";
  case SplitReason::Kind::UnsupportedDType:
    return "unsupported_dtype";
  case SplitReason::Kind::DataDependence:
    return "data_dependence";
  }
  THUNDER_INTERNAL_ASSERT(false) << "unknown split reason kind " << static_cast<int>(kind);
  return "";
}

SplitReason::Kind parse_split_reason_kind(std::string_view name) {
  for (SplitReason::Kind kind :
       {SplitReason::Kind::MissingOp, SplitReason::Kind::UnsupportedArguments,
        SplitReason::Kind::MetaFailure, SplitReason::Kind::UnsupportedDType,
        SplitReason::Kind::DataDependence}) {
    if (kind_name(kind) == name) return kind;
  }
  throw ArgumentError(str("unknown split reason kind '", name,
                          "': valid kinds are missing_op, unsupported_arguments, meta_failure, "
                          "unsupported_dtype, data_dependence"));
}

std::string SplitReason::to_string() const {
  return str(op, location ? str(" (", location->to_string(), ")") : std::string(), ": ",
             kind_name(kind), ": ", message);
}

ThunderCompiler::ThunderCompiler(Options options)
    : options_(std::move(options)), backend_(select_backend(options_.backend, options_.device)) {
  const char* variable = std::getenv("THUNDER_BACKEND");
  const std::string requested =
      !options_.backend.empty() ? options_.backend
                                : (variable != nullptr && *variable != 0 ? variable : "auto");
  auto_per_graph_ = requested == "auto" && options_.device.empty();
  options_.backend = backend_;
}

std::string ThunderCompiler::graph_device(const Program& program) {
  for (const ProgramInput& input : program.inputs) {
    if (program.has_tensor_info(input.name) &&
        program.tensor_info(input.name).device.type == DeviceType::CUDA) {
      return program.tensor_info(input.name).device.to_string();
    }
  }
  return "cpu";
}

std::string ThunderCompiler::backend_for(const Program& program) const {
  if (!auto_per_graph_) return backend_;
  return select_backend("auto", graph_device(program));
}

CompiledGraph ThunderCompiler::compile(const Program& program, const std::string& name,
                                       const std::vector<std::optional<SplitReason>>& known) const {
  if (!known.empty() && known.size() != program.nodes.size()) {
    throw ArgumentError(
        str(name, ": ", known.size(), " known split reasons for ", program.nodes.size(), " nodes"));
  }
  for (const Node& node : program.nodes) {
    if (!node.blocks.empty()) {
      throw UnsupportedError(str(name, ": node ", node.target,
                                 " has nested blocks; the ThunderCompiler takes flat graphs"));
    }
  }
  // The analysis interprets a copy in which each node the front end already left out has a
  // target of its own, so that the Interpreter hands it to the handler (an opaque call)
  // rather than evaluating it (aten::item would make a Python value the Interpreter
  // refuses to let reach a tensor op; here that op is left to eager too).
  Program analysis = program;
  for (std::size_t i = 0; i < known.size(); ++i) {
    if (known[i]) analysis.nodes[i].target = "eager::" + analysis.nodes[i].target;
  }
  std::vector<std::optional<SplitReason>> reasons;
  {
    // Interpret the whole graph once, on proxies of the recorded inputs.
    TraceScope scope(program.name);
    std::vector<Value> inputs;
    for (const ProgramInput& input : program.inputs) {
      if (!program.has_tensor_info(input.name)) {
        throw UnsupportedError(str(name, ": input '", input.name,
                                   "' is not a tensor of a dtype thunder has; the "
                                   "ThunderCompiler takes tensor inputs"));
      }
      const TensorInfo& info = program.tensor_info(input.name);
      inputs.emplace_back(
          scope.input_tensor(input.name, info.shape, info.dtype, info.device, info.requires_grad));
    }
    SplitHandler handler(analysis, known);
    interpret(analysis, inputs, handler);
    reasons = handler.take_reasons();
  }

  std::vector<GraphRegion> regions = partition(program, reasons);
  while (demote_undescribed_reads(program, regions, reasons))
    regions = partition(program, reasons);

  CompiledGraph out;
  out.backend = backend_for(program);
  for (const std::optional<SplitReason>& reason : reasons) {
    if (reason) out.reasons.push_back(*reason);
  }
  if (options_.strict && !out.reasons.empty()) {
    std::string list;
    for (const SplitReason& reason : out.reasons)
      list += "\n  " + reason.to_string();
    throw UnsupportedError(str(name, ": strict mode allows no split, and ", out.reasons.size(),
                               " node(s) cannot run on thunder:", list));
  }
  Options region_options = options_;
  region_options.backend = out.backend;
  region_options.strict = true; // every node of a region was checked to have a symbol
  std::size_t number = 0;
  for (GraphRegion& region : regions) {
    if (region.thunder) {
      region.module =
          thunder::compile(LoadedModel{region_program(program, region, number), {}, "", "dynamo"},
                           str(name, " region ", number), region_options);
    }
    ++number;
  }
  out.regions = std::move(regions);
  return out;
}

} // namespace thunder
