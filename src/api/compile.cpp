#include "thunder/compile.h"

#include "thunder/core/error.h"
#include "thunder/core/tracing.h"
#include "thunder/executors/torch_executor.h"
#include "thunder/frontends/export_reader.h"
#include "thunder/frontends/model_loader.h"
#include "thunder/jit/jit_extension.h"
#include "thunder/jit/prologue.h"
#include "thunder/passes/assign_executors.h"
#include "thunder/passes/buffer_lifetimes.h"
#include "thunder/passes/common_subexpression_elimination.h"
#include "thunder/passes/dead_code_elimination.h"
#include "thunder/passes/fusion.h"
#include "thunder/passes/matmul_epilogues.h"
#include "thunder/passes/region_splitting.h"
#include "thunder/passes/rematerialization.h"
#ifdef THUNDER_HAVE_CUDA_EXECUTOR
#include "thunder/executors/cuda/cuda_torch.h"
#endif
#ifdef THUNDER_HAVE_SPIRV
#include "thunder/executors/spirv/spirv_torch.h"
#endif

#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <unordered_map>

namespace thunder {
namespace {

#ifdef THUNDER_HAVE_SPIRV
// One spirv executor for the process: one Vulkan device, one pipeline cache shared by every
// compiled module. The device is opened inside the static's initializer, so the layers and
// driver the loader brings in register their exit-time teardown before the executor does,
// and the executor is destroyed first at exit.
spirv::SpirvExecutor& spirv_executor() {
  static const std::unique_ptr<spirv::SpirvExecutor> executor = [] {
    auto opened = std::make_unique<spirv::SpirvExecutor>();
    opened->availability();
    return opened;
  }();
  return *executor;
}
#endif

#ifdef THUNDER_HAVE_CUDA_EXECUTOR
// One cuda executor for the process: one device, one kernel cache shared by every compiled
// module. The driver and NVRTC are opened on first need (availability()).
cuda::CudaExecutor& cuda_executor() {
  static cuda::CudaExecutor executor;
  return executor;
}
#endif

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

std::string env_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

// Options::device: "cpu", "cuda", "cuda:1".
Device parse_device(const std::string& text) {
  std::optional<c10::Device> device;
  try {
    device = c10::Device(text);
  } catch (const std::exception&) {
  }
  if (!device || (!device->is_cpu() && !device->is_cuda())) {
    throw ArgumentError(str("Options::device '", text, "': thunder runs models on cpu or cuda[:N]"));
  }
  if (device->is_cpu()) return Device::cpu();
  return Device::cuda(device->has_index() ? device->index() : 0);
}

Device thunder_device(const c10::Device& device, const std::string& input) {
  if (device.is_cpu()) return Device::cpu();
  if (device.is_cuda()) return Device::cuda(device.has_index() ? device.index() : 0);
  throw ArgumentError(str("input '", input, "' is on device ", device.str(),
                          "; thunder runs tensors on cpu or cuda"));
}

// What the guards read of a call's input.
InputMeta input_meta(const c10::IValue& value, const std::string& name) {
  if (value.isTensor()) {
    const at::Tensor& t = value.toTensor();
    if (!t.defined()) throw ArgumentError(str("input '", name, "' is an undefined tensor"));
    if (t.layout() != at::kStrided) {
      throw ArgumentError(str("input '", name, "' has layout ", t.layout(),
                              "; thunder takes strided (dense) tensors"));
    }
    return InputMeta::tensor(Shape(t.sizes().begin(), t.sizes().end()),
                             from_scalar_type(t.scalar_type()), thunder_device(t.device(), name),
                             t.requires_grad(), t.is_contiguous());
  }
  if (value.isBool()) return InputMeta::number(value.toBool());
  if (value.isInt()) return InputMeta::number(value.toInt());
  if (value.isDouble()) return InputMeta::number(value.toDouble());
  throw ArgumentError(str("input '", name, "' is a ", value.tagKind(),
                          "; inputs are tensors, ints, floats or bools"));
}

// One compiled kind of input: its guards and the traces that run for it.
struct Specialization {
  GuardKey key;
  Trace prologue;
  std::vector<Trace> traces; ///< First (interpreted) to last (what runs).
  std::vector<std::string> fallbacks;
  std::int64_t eager_peak_bytes = 0; ///< estimate_peak_bytes of traces.front().
#ifdef THUNDER_HAVE_CUDA_EXECUTOR
  mutable cuda::RegionCache cuda_regions; ///< The last trace's kernels, compiled on its first run.
#endif
#ifdef THUNDER_HAVE_SPIRV
  /// spirv: the last trace's device memory, planned by a dry run before its first run (or
  /// from its first run, where a dry run cannot decide).
  mutable std::unique_ptr<spirv::PlannedMemory> spirv_memory =
      std::make_unique<spirv::PlannedMemory>();
#endif
};

// Why tracing the program for new inputs failed where it had worked for the recorded ones.
struct RetraceFailure {
  const Node* node = nullptr;
  std::string reason;
};

// The OperatorHandler the Interpreter sees on a retrace: the JitExtension, plus a note of
// the node being traced (for errors) and a check of the opaque ops. Their outputs have the
// shapes the exporter recorded, which are right only for the inputs it recorded.
class RetracingHandler final : public OperatorHandler {
public:
  RetracingHandler(const Program& program, JitExtension& jit, bool check_opaque)
      : program_(program), jit_(jit), check_opaque_(check_opaque) {}

  Value call(const Node& node, std::vector<Value> args,
             std::vector<std::pair<std::string, Value>> kwargs) override {
    node_ = &node;
    const std::size_t fallbacks = jit_.fallbacks().size();
    if (!check_opaque_) return jit_.call(node, std::move(args), std::move(kwargs));
    Value out = jit_.call(node, args, kwargs);
    if (jit_.fallbacks().size() > fallbacks) check_recorded_inputs(node, args, kwargs);
    return out;
  }

  const Node* node() const { return node_; }

private:
  void check_recorded_inputs(const Node& node, const std::vector<Value>& args,
                             const std::vector<std::pair<std::string, Value>>& kwargs) const {
    std::size_t positional = 0, keyword = 0;
    for (const NodeInput& input : node.inputs) {
      const Value& value = input.keyword ? kwargs.at(keyword++).second : args.at(positional++);
      if (input.arg.kind == ProgramArg::Kind::Constant) continue;
      for (std::size_t i = 0; i < input.arg.names.size(); ++i) {
        const std::string& name = input.arg.names[i];
        const Value& item = value.is_list() ? value.as_list().at(i) : value;
        const auto recorded = program_.tensors.find(name);
        if (!item.is_tensor() || recorded == program_.tensors.end()) continue;
        const TensorProxy& proxy = *item.as_tensor();
        const TensorInfo& info = recorded->second;
        if (proxy.shape() != info.shape || proxy.dtype() != info.dtype ||
            proxy.device() != info.device) {
          throw RetraceFailure{
              &node,
              str("no ltorch symbol takes this op, so the shapes of its outputs are only those "
                  "the exporter recorded, for its input '",
                  input.name, "' as ", info.device.to_string(), " ", short_name(info.dtype),
                  shape_to_string(info.shape), "; here it is ", proxy.type_string())};
        }
      }
    }
  }

  const Program& program_;
  JitExtension& jit_;
  bool check_opaque_;
  const Node* node_ = nullptr;
};

class ExportedModule final : public CompiledModule {
public:
  ExportedModule(const std::string& path, const Options& options)
      : ExportedModule(path, options, std::chrono::steady_clock::now()) {}

  // A model a front end has loaded already; name stands for its file in messages.
  ExportedModule(LoadedModel model, const std::string& name, const Options& options)
      : path_(name), options_(options), backend_(select_backend(options.backend, options.device)),
        cache_dir_(options.cache_dir.empty() ? env_or("THUNDER_CACHE_DIR", "")
                                             : options.cache_dir),
        exported_(std::move(model)) {
    init();
  }

private:
  ExportedModule(const std::string& path, const Options& options,
                 std::chrono::steady_clock::time_point start)
      : path_(path), options_(options), backend_(select_backend(options.backend, options.device)),
        cache_dir_(options.cache_dir.empty() ? env_or("THUNDER_CACHE_DIR", "")
                                             : options.cache_dir),
        exported_(load_model(path)) {
    stats_.load_ms = ms_since(start);
    init();
  }

  void init() {
    if (!options_.device.empty()) {
      Device device = parse_device(options_.device);
#ifdef THUNDER_HAVE_CUDA_EXECUTOR
      // The cuda executor runs on one device (THUNDER_CUDA_DEVICE): "cuda" means that one,
      // and another index cannot run on it.
      if (backend_ == "cuda" && device.type == DeviceType::CUDA) {
        const int executor_device = cuda_executor().runtime().device_index();
        if (options_.device == "cuda") device = Device::cuda(executor_device);
        if (device.index != executor_device) {
          throw ArgumentError(str("Options::device '", options_.device, "': the cuda backend runs on cuda:",
                                  executor_device, " (THUNDER_CUDA_DEVICE); set it to ",
                                  device.index, " to run there"));
        }
      }
#endif
      move_to_device(device);
    }

    const Program& program = exported_.program;
    GuardKey recorded;
    for (const ProgramInput& input : program.inputs) {
      if (input.kind != InputKind::UserInput) {
        state_.push_back(exported_.state.at(input.target));
        continue;
      }
      input_names_.push_back(input.name);
      std::optional<InputMeta> meta;
      if (program.tensors.count(input.name) != 0) {
        const TensorInfo& info = program.tensor_info(input.name);
        meta = InputMeta::tensor(info.shape, info.dtype, info.device, info.requires_grad, true);
        recorded.push_back(*meta);
      }
      user_inputs_.emplace_back(input.name, meta);
    }
    // The specialization for the inputs the model was exported with, compiled now so that
    // errors in the model show at compile time and last_traces() has something to show.
    // A program that recorded no input metadata (TorchScript) compiles on its first call.
    if (recorded.size() == input_names_.size()) {
      last_ = &specialize(std::move(recorded), /*retrace=*/false);
    }
  }

  // Options::device: the weights, the recorded input metadata and every device argument
  // of the program go to `device`.
  void move_to_device(const Device& device) {
    for (auto& [name, tensor] : exported_.state) {
      try {
        tensor = tensor.to(to_torch_device(device));
      } catch (const c10::Error& e) {
        const std::string why = e.what_without_backtrace();
        throw BackendError(str("Options::device '", options_.device, "': LibTorch cannot move ",
                               path_, "'s weight ", name, " there: ",
                               why.substr(0, why.find('\n'))));
      }
    }
    for (auto& [name, info] : exported_.program.tensors)
      info.device = device;
    const auto retarget = [&](std::vector<Node>& nodes, const auto& self) -> void {
      for (Node& node : nodes) {
        for (NodeInput& input : node.inputs) {
          if (input.arg.kind == ProgramArg::Kind::Constant &&
              input.arg.constant.kind() == ValueKind::Device) {
            input.arg.constant = Value(device);
          }
        }
        for (Block& block : node.blocks)
          self(block.nodes, self);
      }
    };
    retarget(exported_.program.nodes, retarget);
  }

public:
  std::vector<at::Tensor> forward(const std::vector<at::Tensor>& inputs) override {
    return call(std::vector<c10::IValue>(inputs.begin(), inputs.end()));
  }

  const std::vector<Trace>& last_traces() const override {
    static const std::vector<Trace> none;
    return last_ != nullptr ? last_->traces : none;
  }
  const Trace& last_prologue_trace() const override {
    static const Trace none;
    return last_ != nullptr ? last_->prologue : none;
  }
  const CompileStats& stats() const override { return stats_; }
  const std::string& backend() const override { return backend_; }
  std::string device() const override {
#ifdef THUNDER_HAVE_SPIRV
    if (backend_ == "spirv") return spirv_executor().runtime().device().name;
#endif
#ifdef THUNDER_HAVE_CUDA_EXECUTOR
    if (backend_ == "cuda") return cuda_executor().runtime().description();
#endif
    return options_.device.empty() ? "cpu" : options_.device;
  }
  const std::string& cache_dir() const override { return cache_dir_; }
  const std::vector<std::pair<std::string, std::optional<InputMeta>>>&
  user_inputs() const override {
    return user_inputs_;
  }
  std::size_t cache_size() const override { return cache_.size(); }

  std::int64_t measure_eager_peak_bytes(const std::vector<at::Tensor>& inputs) override {
    const std::vector<c10::IValue> values(inputs.begin(), inputs.end());
    const std::lock_guard<std::mutex> lock(mutex_);
    // Checked first: a lookup with inputs on another device than forward's would compile
    // a specialization.
    const auto on_cpu = [&](const at::Tensor& t, const std::string& what) {
      if (t.defined() && !t.device().is_cpu()) {
        throw ArgumentError(str("measure_eager_peak_bytes counts what the CPU allocator holds; ",
                                what, " of ", exported_.program.name, " is on ",
                                t.device().str()));
      }
    };
    for (std::size_t i = 0; i < inputs.size(); ++i)
      on_cpu(inputs[i], str("input ", i, " (", input_names_.at(i), ")"));
    for (const at::Tensor& t : state_)
      on_cpu(t, "a weight");
    const Specialization* keep = last_;
    const CompileStats before = stats_;
    if (!select(values)) stats_ = before; // A lookup, not a call.
    const Trace eager = delete_last_used(last_->traces.front());
    const std::vector<c10::IValue> all = program_inputs(values);
    last_ = keep != nullptr ? keep : last_;
    return TorchExecutor().run_measuring_memory(eager, all).peak_bytes;
  }

private:
  std::vector<at::Tensor> call(const std::vector<c10::IValue>& inputs) {
    // Calls from several threads take turns: the cache and the stats are shared.
    const std::lock_guard<std::mutex> lock(mutex_);
    ++stats_.calls;
    auto start = std::chrono::steady_clock::now();
    if (select(inputs)) start = std::chrono::steady_clock::now();
    const std::vector<c10::IValue> all = program_inputs(inputs);
    std::vector<at::Tensor> out = backend_ == "torch" ? TorchExecutor().run(last_->traces.back(), all)
                                                      : run_kernels(all);
    stats_.run_ms += ms_since(start);
    return out;
  }

  // Points last_ at the specialization `inputs` fit, compiling one where none does; returns
  // whether it compiled.
  bool select(const std::vector<c10::IValue>& inputs) {
    const std::string& function = exported_.program.name;
    if (inputs.size() != input_names_.size()) {
      std::string names;
      for (const std::string& name : input_names_)
        names += (names.empty() ? "" : ", ") + name;
      throw ArgumentError(str(function, " takes ", input_names_.size(), " inputs (", names,
                              "), got ", inputs.size()));
    }
    GuardKey key;
    key.reserve(inputs.size());
    for (std::size_t i = 0; i < inputs.size(); ++i)
      key.push_back(input_meta(inputs[i], input_names_[i]));

    const auto hit = cache_.find(key);
    if (hit != cache_.end()) {
      ++stats_.cache_hits;
      last_ = hit->second.get();
      return false;
    }
    if (last_ == nullptr) {
      // The first specialization of a program that recorded no input metadata.
      ++stats_.cache_misses;
      last_ = &specialize(std::move(key), /*retrace=*/false);
    } else {
      ++stats_.cache_misses;
      const std::optional<std::string> failed = first_failed_guard(last_->prologue, key);
      THUNDER_INTERNAL_ASSERT(failed.has_value())
          << "a cache miss whose inputs pass the guards of " << last_->prologue.to_string();
      stats_.last_failed_guard = *failed;
      last_ = &specialize(std::move(key), /*retrace=*/true);
      ++stats_.recompiles;
      if (stats_.recompiles == options_.recompile_warning_limit) {
        std::cerr << "thunder: warning: " << function << " of " << path_ << " was recompiled "
                  << stats_.recompiles << " times (Options::recompile_warning_limit is "
                  << options_.recompile_warning_limit
                  << "); the last guard that failed: " << stats_.last_failed_guard
                  << ". Every new input shape, dtype, device, requires_grad or layout compiles "
                     "a new specialization: call it with inputs of fixed shapes, or raise the "
                     "limit.\n";
      }
    }
    return true;
  }

  // The program's inputs: weights and user inputs interleaved in its signature order.
  std::vector<c10::IValue> program_inputs(const std::vector<c10::IValue>& inputs) const {
    std::vector<c10::IValue> all;
    all.reserve(exported_.program.inputs.size());
    std::size_t next_state = 0, next_user = 0;
    for (const ProgramInput& input : exported_.program.inputs) {
      all.push_back(input.kind == InputKind::UserInput ? inputs[next_user++]
                                                       : c10::IValue(state_[next_state++]));
    }
    return all;
  }

  // The last trace on the kernel backend (spirv or cuda); a fusion region it could not
  // compile here runs on torch, and says so on stderr once per region.
  std::vector<at::Tensor> run_kernels(const std::vector<c10::IValue>& inputs) {
    ExecutionReport report;
    std::vector<at::Tensor> out;
    bool ran = false;
#ifdef THUNDER_HAVE_SPIRV
    if (backend_ == "spirv") {
      const bool keep = options_.resident_weights >= 0 ? options_.resident_weights != 0
                                                        : spirv_executor().runtime().resident_weights();
      if (!resident_ && keep) {
        // The weights this module loaded stay on the device between calls: nothing but
        // this module holds them (the trace names them as the program's inputs).
        std::set<std::string> names;
        const Trace& trace = last_->traces.back();
        for (std::size_t i = 0; i < exported_.program.inputs.size() && i < trace.inputs.size();
             ++i) {
          if (exported_.program.inputs[i].kind != InputKind::UserInput &&
              trace.inputs[i].is_proxy()) {
            names.insert(trace.inputs[i].proxy()->name());
          }
        }
        resident_ = std::make_unique<spirv::ResidentTensors>(std::move(names));
      }
      // One arena at a time: the specialization that ran last gives its arena back when
      // another runs (its plan stays, and makes the arena again when it runs next).
      if (last_spirv_ != nullptr && last_spirv_ != last_) {
        last_spirv_->spirv_memory->release_arena();
      }
      last_spirv_ = last_;
      out = spirv::run_spirv_trace(spirv_executor(), last_->traces.back(), inputs, &report,
                                   /*strict=*/false, resident_.get(),
                                   last_->spirv_memory.get());
      ran = true;
    }
#endif
#ifdef THUNDER_HAVE_CUDA_EXECUTOR
    if (backend_ == "cuda") {
      last_->cuda_regions.use_graphs = options_.cuda_graphs >= 0
                                           ? options_.cuda_graphs != 0
                                           : env_or("THUNDER_CUDA_GRAPHS", "0") != "0";
      out = cuda::run_cuda_trace(cuda_executor(), last_->traces.back(), inputs, &report,
                                 /*strict=*/false, &last_->cuda_regions);
      ran = true;
    }
#endif
    THUNDER_INTERNAL_ASSERT(ran) << "backend " << backend_ << " selected in a build without it";
    stats_.peak_device_bytes = report.peak_device_bytes;
    stats_.uploaded_bytes = report.uploaded_bytes;
    stats_.resident_bytes = report.resident_bytes;
    stats_.planned_bytes = report.planned_bytes;
    stats_.check_bytes = report.check_bytes;
    stats_.kernels = report.kernels;
    stats_.cuda_graph = report.cuda_graph;
    stats_.eager_peak_bytes_estimate = last_->eager_peak_bytes;
    for (const Fallback& f : report.fallbacks) {
      if (warned_regions_.insert(f.op).second) {
        std::cerr << "thunder: warning: " << exported_.program.name << " of " << path_ << ": "
                  << f.op << " ran on torch: " << f.reason << "\n";
      }
    }
    return out;
  }

  // Traces the program for inputs described by key, runs the passes, caches the result.
  // retrace: the inputs differ from the recorded ones, so a failure is the inputs' fault
  // (the program has sizes baked in) and is reported as such.
  const Specialization& specialize(GuardKey key, bool retrace) {
    const Program& program = exported_.program;
    auto start = std::chrono::steady_clock::now();
    auto entry = std::make_unique<Specialization>();
    entry->prologue = make_prologue(input_names_, key);
    {
      TraceScope scope(program.name);
      std::vector<Value> inputs;
      std::size_t next_user = 0;
      for (const ProgramInput& input : program.inputs) {
        if (input.kind != InputKind::UserInput) {
          const TensorInfo& info = program.tensor_info(input.name);
          inputs.emplace_back(scope.input_tensor(input.name, info.shape, info.dtype, info.device,
                                                 info.requires_grad));
          continue;
        }
        const InputMeta& meta = key[next_user++];
        if (meta.kind == InputMeta::Kind::Number) {
          inputs.emplace_back(scope.input_number(input.name, meta.number_kind, meta.value));
        } else {
          inputs.emplace_back(scope.input_tensor(input.name, meta.shape, meta.dtype, meta.device,
                                                 meta.requires_grad));
        }
      }
      JitExtension jit(program, JitOptions{options_.strict, !options_.reference});
      // The reference (every node its ATen call, so no meta reads a proxy's shape) runs
      // right whatever shapes its opaque outputs carry: there the check is left out, and
      // its retraced traces show the shapes the exporter recorded past the inputs.
      RetracingHandler handler(program, jit, retrace && !options_.reference);
      Value outputs;
      try {
        outputs = interpret(program, inputs, handler);
      } catch (const RetraceFailure& failure) {
        throw ArgumentError(retrace_error(key, failure.node, failure.reason));
      } catch (const Error& e) {
        if (!retrace) throw;
        // The same kind of error, with what was compiled and what came.
        const std::string message = retrace_error(key, handler.node(), e.what());
        if (dynamic_cast<const UnsupportedError*>(&e) != nullptr) throw UnsupportedError(message);
        if (dynamic_cast<const ModelError*>(&e) != nullptr) throw ModelError(message);
        if (dynamic_cast<const BackendError*>(&e) != nullptr) throw BackendError(message);
        throw ArgumentError(message);
      }
      entry->traces.push_back(scope.finish(outputs, "Interpreting " + path_));
      entry->fallbacks = jit.fallbacks();
    }
    stats_.trace_ms += ms_since(start);

    start = std::chrono::steady_clock::now();
    entry->traces.push_back(dead_code_elimination(entry->traces.back()));
    entry->traces.push_back(common_subexpression_elimination(entry->traces.back()));
    // Kernel backends: matmuls and what else generated kernels do not compute go to torch;
    // the trace shows each call's executor.
    const Executor* kernels = nullptr;
#ifdef THUNDER_HAVE_SPIRV
    if (backend_ == "spirv") kernels = &spirv_executor();
#endif
#ifdef THUNDER_HAVE_CUDA_EXECUTOR
    if (backend_ == "cuda") kernels = &cuda_executor();
#endif
    if (kernels != nullptr) {
      const TorchFallbackExecutor torch;
      const std::vector<const Executor*> executors{kernels, &torch};
      entry->traces.push_back(assign_executors(entry->traces.back(), executors));
      // Again: decompositions repeat themselves (each attention layer makes the same
      // additive mask from the same boolean one).
      entry->traces.push_back(common_subexpression_elimination(entry->traces.back()));
      entry->traces.push_back(fuse_matmul_epilogues(entry->traces.back(), executors));
      entry->traces.push_back(fuse(entry->traces.back(), executors));
      entry->traces.push_back(rematerialize(entry->traces.back(), executors));
      entry->traces.push_back(split_regions_for_memory(entry->traces.back()));
      // Last: `del` after each intermediate's last use, where the runner frees or reuses
      // its device buffer.
      entry->traces.push_back(delete_last_used(entry->traces.back()));
      entry->eager_peak_bytes = estimate_peak_bytes(entry->traces.front());
    }
    stats_.passes_ms += ms_since(start);

    for (const std::string& fallback : entry->fallbacks) {
      if (std::find(stats_.fallbacks.begin(), stats_.fallbacks.end(), fallback) ==
          stats_.fallbacks.end()) {
        stats_.fallbacks.push_back(fallback);
      }
    }
    GuardKey stored = entry->key = std::move(key);
    const auto [it, inserted] = cache_.emplace(std::move(stored), std::move(entry));
    THUNDER_INTERNAL_ASSERT(inserted) << "specialized twice for one guard key";
    return *it->second;
  }

  // "forward of m.pt2: input 'x' was compiled for ... and got ...; tracing the program
  // again ... failed at node ...": the inputs no cached specialization was compiled for,
  // the node that failed, and what to do.
  std::string retrace_error(const GuardKey& key, const Node* node,
                            const std::string& reason) const {
    std::string inputs;
    for (std::size_t i = 0; i < key.size(); ++i) {
      std::vector<std::string> compiled;
      bool seen = false;
      for (const auto& [cached_key, entry] : cache_) {
        seen = seen || cached_key[i] == key[i];
        const std::string text = cached_key[i].to_string();
        if (std::find(compiled.begin(), compiled.end(), text) == compiled.end())
          compiled.push_back(text);
      }
      if (seen) continue;
      std::sort(compiled.begin(), compiled.end());
      std::string list;
      for (const std::string& text : compiled)
        list += (list.empty() ? "" : " or ") + text;
      inputs += str(inputs.empty() ? "" : "; ", "input '", input_names_[i], "' was compiled for ",
                    list, " and got ", key[i].to_string());
    }
    std::string at = "tracing";
    if (node != nullptr) {
      at = str("node ", node->target,
               node->location ? str(" (", node->location->to_string(), ")") : std::string());
    }
    const std::string advice =
        exported_.format == "torch.export"
            ? ". torch.export bakes the example inputs' shapes into the program it exports; "
              "re-export the model with dynamic shapes (torch.export.export(..., "
              "dynamic_shapes=...)) or call it with inputs like those it was exported with"
            : "";
    return str(exported_.program.name, " of ", path_, ": ", inputs,
               "; tracing the program again for these inputs failed at ", at, ": ", reason,
               advice);
  }

  std::string path_;
  Options options_;
  std::string backend_;
  std::string cache_dir_;
  ExportedProgram exported_;
  std::vector<at::Tensor> state_;
  std::vector<std::string> input_names_;
  std::vector<std::pair<std::string, std::optional<InputMeta>>> user_inputs_;
  std::unordered_map<GuardKey, std::unique_ptr<Specialization>, GuardKeyHash> cache_;
  const Specialization* last_ = nullptr;
  CompileStats stats_;
  std::mutex mutex_;
  std::set<std::string> warned_regions_; // kernel regions that ran on torch, warned about once
#ifdef THUNDER_HAVE_SPIRV
  std::unique_ptr<spirv::ResidentTensors> resident_; // spirv: this module's weights, on the device
  const Specialization* last_spirv_ = nullptr; // spirv: the one whose arena is held
#endif
};

void flatten_tensors(const c10::IValue& value, std::vector<at::Tensor>& out,
                     const std::string& path) {
  if (value.isTensor()) {
    out.push_back(value.toTensor());
  } else if (value.isTuple()) {
    for (const c10::IValue& item : value.toTupleRef().elements())
      flatten_tensors(item, out, path);
  } else if (value.isList()) {
    for (const c10::IValue& item : value.toListRef())
      flatten_tensors(item, out, path);
  } else if (value.isGenericDict()) {
    for (const auto& item : value.toGenericDict())
      flatten_tensors(item.value(), out, path);
  } else if (!value.isNone()) {
    throw UnsupportedError(str(path, ": a sample input is a ", value.tagKind(),
                               "; only tensors are read from data/sample_inputs"));
  }
}

} // namespace

std::string select_backend(const std::string& requested, const std::string& device) {
  const std::string name = requested.empty() ? env_or("THUNDER_BACKEND", "auto") : requested;
  if (name == "torch") return "torch";
#ifdef THUNDER_HAVE_CUDA_EXECUTOR
  if (name == "cuda" || (name == "auto" && device.rfind("cuda", 0) == 0)) {
    const Availability availability = cuda_executor().availability();
    if (availability.available) return "cuda";
    if (name == "cuda") {
      throw BackendError(str("backend 'cuda' is not available: ", availability.reason));
    }
  }
#endif
  // auto: cuda for a model on a CUDA device where the backend is available, else torch.
  // spirv is only taken when asked for: the device it would find first may be a CPU
  // implementation (lavapipe), slower than torch.
  if (name == "auto") return "torch";
#ifdef THUNDER_HAVE_SPIRV
  if (name == "spirv") {
    const Availability availability = spirv_executor().availability();
    if (!availability.available) {
      throw BackendError(str("backend 'spirv' is not available: ", availability.reason));
    }
    return name;
  }
#endif
  if (name == "cuda" || name == "spirv") {
    throw BackendError(str("backend '", name, "' is not available: the ", name,
                           " executor is not part of this build yet"));
  }
  throw ArgumentError(
      str("unknown backend '", name, "': valid backends are cuda, spirv, torch, auto"));
}

std::unique_ptr<CompiledModule> compile(const std::string& path, const Options& options) {
  return std::make_unique<ExportedModule>(path, options);
}

std::unique_ptr<CompiledModule> compile(LoadedModel model, const std::string& name,
                                        const Options& options) {
  return std::make_unique<ExportedModule>(std::move(model), name, options);
}

std::vector<at::Tensor> load_sample_inputs(const std::string& path) {
  // torch.export.save writes the example inputs as torch.save would, ((args...), {kwargs}),
  // into a zip of its own inside the archive.
  const std::string record = "data/sample_inputs/model.pt";
  std::vector<char> bytes;
  try {
    caffe2::serialize::PyTorchStreamReader archive(path);
    if (!archive.hasRecord(record)) return {};
    auto [data, size] = archive.getRecord(record);
    const char* begin = static_cast<const char*>(data.get());
    bytes.assign(begin, begin + size);
  } catch (const c10::Error& e) {
    throw ModelError(str(path, ": cannot read ", record, " (", e.what_without_backtrace(), ")"));
  }
  c10::IValue samples;
  try {
    samples = torch::jit::pickle_load(bytes);
  } catch (const c10::Error& e) {
    throw ModelError(str(path, ": ", record, " is not a readable torch.save file (",
                         e.what_without_backtrace(), ")"));
  }
  std::vector<at::Tensor> out;
  flatten_tensors(samples, out, path + ": " + record);
  return out;
}

} // namespace thunder
