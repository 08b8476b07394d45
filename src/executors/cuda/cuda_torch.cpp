#include "thunder/executors/cuda/cuda_torch.h"

#include "thunder/core/error.h"
#include "thunder/executors/codegen/cuda_emitter.h"
#include "thunder/executors/memory_plan.h"
#include "thunder/ops/prims.h"
#include "thunder/passes/common_subexpression_elimination.h"
#include "thunder/passes/fusion.h"
#include "thunder/passes/matmul_epilogues.h"
#include "thunder/passes/rematerialization.h"

#include <ATen/ATen.h>
#include <c10/core/impl/VirtualGuardImpl.h>
#include <c10/core/GradMode.h>

#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <memory>
#include <optional>
#include <string>

namespace thunder::cuda {
namespace {

// Torch's current stream on a CUDA device, as a CUstream: generated kernels that read and
// write torch's CUDA tensors go to it, ordered with the ATen work around them (which may be
// on a side stream: torch.cuda.stream, Dynamo), and torch's allocator, which hands out
// memory per stream, sees them where it expects.
void* torch_current_stream(int device_index) {
  const c10::impl::VirtualGuardImpl cuda(c10::DeviceType::CUDA);
  return cuda.getStream(c10::Device(c10::DeviceType::CUDA, static_cast<c10::DeviceIndex>(device_index)))
      .native_handle();
}

// Why a call cannot be captured as a CUDA graph: thrown inside a capture, which is then
// dropped, and the call runs without one.
struct NotCapturable {
  std::string why;
};

// The stream a run issues its work on: CPU tensors only, the legacy default stream
// (nullptr); torch's CUDA tensors, torch's current stream.
void* run_stream(const CudaExecutor& cuda, const Trace& trace, const TorchEnvironment& env) {
  bool on_cuda = false;
  for (const auto& [name, value] : env)
    on_cuda |= value.isTensor() && value.toTensor().is_cuda();
  trace.output.for_each_proxy([&](const Proxy& p) {
    on_cuda |= p.kind() == ProxyKind::Tensor &&
               static_cast<const TensorProxy&>(p).device().type == DeviceType::CUDA;
  });
  return on_cuda ? torch_current_stream(cuda.runtime().device_index()) : nullptr;
}

} // namespace

// One call captured as a CUDA graph: the device copies of its inputs, every buffer its
// kernels use, the graph, and the stream it was captured on (with cuBLASLt's workspace
// for that stream). A replay touches only these.
struct CapturedGraph {
  struct Output {
    std::uint64_t address = 0;
    Shape shape;
    DType dtype;
  };
  explicit CapturedGraph(const CudaExecutor& cuda) : cuda(cuda) {}
  ~CapturedGraph() {
    CudaRuntime& rt = cuda.runtime();
    try {
      if (replayed) rt.synchronize("the last replay of a CUDA graph", last_stream);
    } catch (const Error&) {
      // Reported by the call that faulted; the memory goes back regardless.
    }
    rt.destroy_graph(exec);
    if (stream != nullptr) {
      if (uses_blas) cuda.blas().release_workspace(stream);
      rt.destroy_stream(stream);
    }
  }
  CapturedGraph(const CapturedGraph&) = delete;
  CapturedGraph& operator=(const CapturedGraph&) = delete;

  const CudaExecutor& cuda;
  void* stream = nullptr;
  void* exec = nullptr;
  void* last_stream = nullptr;
  bool replayed = false;
  bool uses_blas = false; ///< cuBLASLt has a workspace for `stream`.
  std::map<std::string, DeviceMemory> inputs; ///< Device copies, by trace input name.
  /// CUDA tensor inputs read in place (weights, which stay where they are), and where.
  std::map<std::string, std::uint64_t> in_place;
  std::vector<DeviceMemory> memory;            ///< Every block the kernels use.
  std::map<std::string, Output> outputs;       ///< The trace's outputs the graph writes.
  /// Status words to read after each replay, and the kernel that writes them.
  std::vector<std::pair<std::shared_ptr<const CompiledRegion>, std::uint64_t>> status;
  ExecutionReport report; ///< What the captured calls were.
};

namespace {

class Runner {
public:
  Runner(const CudaExecutor& cuda, const Trace& trace, ExecutionReport& report, bool strict,
         RegionCache* cache)
      : cuda_(cuda), trace_(trace), report_(report), strict_(strict), cache_(cache) {}
  // thunder's own device memory goes back to its allocator, which reuses blocks in the
  // order of the legacy default stream: work on torch's stream must be done with it first.
  ~Runner() {
    if (stream_ == nullptr || (uploads_.empty() && device_values_.empty())) return;
    try {
      cuda_.runtime().synchronize("a run on torch's stream", stream_);
    } catch (const Error&) {
      // A fault here was already reported by the call that caused it, or will be by the
      // next one; a destructor cannot throw it.
    }
  }
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  std::vector<at::Tensor> run(const std::vector<c10::IValue>& inputs) {
    if (inputs.size() != trace_.inputs.size()) {
      throw ArgumentError(str(trace_.function_name, " takes ", trace_.inputs.size(),
                              " inputs, got ", inputs.size()));
    }
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      c10::IValue value = check_trace_input(trace_.inputs[i], inputs[i], i);
      env_[trace_.inputs[i].proxy()->name()] = std::move(value);
    }
    stream_ = run_stream(cuda_, trace_, env_);
    c10::NoGradGuard no_grad;
    if (cache_ != nullptr && cache_->use_graphs) {
      if (std::optional<std::vector<at::Tensor>> out = run_graph()) return std::move(*out);
    }
    run_calls();
    report_.peak_device_bytes = peak_bytes_;
    std::vector<at::Tensor> outputs;
    trace_.output.for_each_proxy([&](const Proxy& p) {
      outputs.push_back(materialize(p.name()).toTensor());
    });
    return outputs;
  }

private:
  void run_calls() {
    note_memory();
    for (const BoundSymbol& bsym : trace_.bound_symbols) {
      ++clock_;
      if (bsym.symbol == &python_del()) {
        for (const Proxy* p : bsym.input_proxies()) {
          env_.erase(p->name());
          release_view(p->name());
          release_value(p->name());
          uploads_.erase(p->name());
          uploads_.erase(p->name() + "#contiguous");
        }
        continue;
      }
      if (is_fusion_region(bsym) && bsym.executor == cuda_.name()) {
        run_region(bsym);
      } else if (bsym.executor == cuda_.name() &&
                 (bsym.symbol == &prims::symbol(prims::PrimId::matmul) ||
                  matmul_epilogue_of(bsym))) {
        run_matmul(bsym);
      } else if (bsym.executor == cuda_.name() && is_attention(bsym)) {
        run_attention(bsym);
      } else if (bsym.executor == cuda_.name() && is_view_prim(bsym)) {
        run_view(bsym);
      } else if (bsym.executor == cuda_.name()) {
        throw ArgumentError(str("cuda executor: ", bsym.call_string(),
                                " is assigned to cuda but not in a fusion region; run fuse "
                                "after assign_executors (prepare_cuda_trace does both)"));
      } else {
        run_on_torch(bsym, bsym.executor.empty() ? std::string(kFallbackExecutor) : bsym.executor);
      }
      // After each call, before the `del`s after it: its inputs and outputs together.
      note_memory();
    }
  }

  // A value the trace frees: its memory goes, unless a view still reads it (then it goes
  // with the last such view).
  void release_value(const std::string& name) {
    const auto it = device_values_.find(name);
    if (it == device_values_.end()) return;
    const bool viewed = std::any_of(views_.begin(), views_.end(),
                                    [&](const auto& v) { return v.second.base == name; });
    if (viewed) {
      released_bases_.insert_or_assign(name, std::move(it->second));
    } else if (capture_ != nullptr) {
      capture_free(it->second.address, it->second.bytes);
    }
    device_values_.erase(it);
  }

  void release_view(const std::string& name) {
    const auto it = views_.find(name);
    if (it == views_.end()) return;
    const std::string base = it->second.base;
    views_.erase(it);
    const bool viewed = std::any_of(views_.begin(), views_.end(),
                                    [&](const auto& v) { return v.second.base == base; });
    const auto released = released_bases_.find(base);
    if (viewed || released == released_bases_.end()) return;
    if (capture_ != nullptr) capture_free(released->second.address, released->second.bytes);
    released_bases_.erase(released);
  }

  // An unfused view prim of cuda (rematerialize gives it one for a matmul that reads the
  // view in place): strides over a value's device buffer (or a capture's copy of an
  // input), or torch's view of a tensor the caller passed (a matmul reads its span).
  void run_view(const BoundSymbol& bsym) {
    const std::string& in = bsym.args.at(0).as_tensor()->name();
    std::optional<View> source;
    if (const auto it = device_values_.find(in); it != device_values_.end()) {
      source = View{in, contiguous_layout(it->second.shape)};
    } else if (const auto view = views_.find(in); view != views_.end()) {
      source = view->second;
    } else if (staged_.count(in) != 0) {
      // Rematerialize judged the view on a contiguous input; another layout may give
      // strides cuBLASLt cannot read, which only a copy torch makes would fix.
      const at::Tensor& t = env_.at(in).toTensor();
      if (!t.is_contiguous()) {
        throw NotCapturable{str("the input ", in, " is not contiguous, and a matmul or the "
                                "attention reads a view of it")};
      }
      source = View{in, contiguous_layout(Shape(t.sizes().begin(), t.sizes().end()))};
    }
    report_.prims[cuda_.name()] += 1;
    if (!source) {
      // torch's view of the caller's tensor; a reshape of a non-contiguous one is a copy
      // torch makes, which a graph could not keep.
      if (capture_ != nullptr && env_.count(in) != 0 && env_.at(in).isTensor() &&
          !env_.at(in).toTensor().is_contiguous()) {
        throw NotCapturable{str("the input ", in, " is not contiguous, and ", bsym.call_string(),
                                " views it")};
      }
      torch_.run_bound_symbol(bsym, env_, TorchExecutionLevel::Prims);
      return;
    }
    std::optional<StridedLayout> layout = view_layout(bsym, source->layout);
    THUNDER_INTERNAL_ASSERT(layout.has_value())
        << bsym.call_string() << " is no strided view of " << in
        << "; rematerialize gives cuda only views strides express";
    views_[bsym.output.as_tensor()->name()] = View{source->base, std::move(*layout)};
  }

  // Where a view's base lies: a device value (live, or freed by the trace while the view
  // lives) or a capture's copy of an input; and its element size.
  std::pair<std::uint64_t, std::size_t> view_base(const std::string& base) const {
    if (const auto it = device_values_.find(base); it != device_values_.end())
      return {it->second.address, c10::elementSize(to_scalar_type(it->second.dtype))};
    if (const auto it = released_bases_.find(base); it != released_bases_.end())
      return {it->second.address, c10::elementSize(to_scalar_type(it->second.dtype))};
    const auto staged = staged_.find(base);
    THUNDER_INTERNAL_ASSERT(staged != staged_.end()) << "the buffer of " << base << " is gone";
    return {staged->second, env_.at(base).toTensor().element_size()};
  }

  // Why no call of this trace can be a graph, or empty.
  std::string graph_refusal() const {
    for (const BoundSymbol& bsym : trace_.bound_symbols) {
      if (bsym.symbol == &python_del()) continue;
      if (bsym.executor != cuda_.name()) {
        return str(bsym.symbol->qualified_name(), " runs on ",
                   bsym.executor.empty() ? std::string(kFallbackExecutor) : bsym.executor);
      }
    }
    return {};
  }

  // The layout a graph was captured for: each input's dtype, shape and strides (a
  // number's value, which the kernels take as it is).
  std::string graph_key() const {
    std::string key;
    for (const auto& input : trace_.inputs) {
      const c10::IValue& v = env_.at(input.proxy()->name());
      if (v.isTensor()) {
        const at::Tensor& t = v.toTensor();
        key += str(c10::toString(t.scalar_type()), Value::ints(t.sizes().vec()).repr(),
                   Value::ints(t.strides().vec()).repr(), ";");
      } else {
        key += str(v.tagKind(), ":", c10::str(v), ";");
      }
    }
    return key;
  }

  // Memory for the graph being captured, recorded with its lifetime (record_). With a
  // plan (layout_), its place in the graph's arena; else a block it freed that is big
  // enough (the graph runs its kernels in order, so that is safe), or a new block that
  // stays the graph's.
  std::uint64_t capture_allocate(std::size_t bytes, const std::string& what) {
    const std::size_t index = record_.size();
    record_.push_back({std::max<std::size_t>(bytes, 1), clock_,
                       std::numeric_limits<std::uint64_t>::max()});
    std::uint64_t address = 0;
    if (layout_ != nullptr) {
      if (index >= plan_record_.size() || record_.back().bytes > plan_record_[index].bytes) {
        throw NotCapturable{"the second capture asked for other buffers than the first"};
      }
      address = arena_ + layout_->offsets[index];
    } else if (const auto it = pool_.lower_bound(bytes); it != pool_.end()) {
      address = it->second;
      pool_.erase(it);
    } else {
      capture_->memory.push_back(cuda_.runtime().allocate(bytes, what));
      address = capture_->memory.back().address();
    }
    live_requests_[address] = index;
    return address;
  }

  // A value the trace frees: its block serves later requests of the same graph.
  void capture_free(std::uint64_t address, std::size_t bytes) {
    pool_.emplace(bytes, address);
    if (const auto it = live_requests_.find(address); it != live_requests_.end()) {
      record_[it->second].last = clock_;
      live_requests_.erase(it);
    }
  }

  // The run as a CUDA graph. A layout's first call runs kernel by kernel (which compiles
  // and loads its kernels and cuBLASLt outside any capture), its second is captured, the
  // rest replay. nullopt: run kernel by kernel (report_.cuda_graph says why).
  std::optional<std::vector<at::Tensor>> run_graph() {
    RegionCache& cache = *cache_;
    if (!cache.graph_checked) {
      cache.graph_refusal = graph_refusal();
      cache.graph_checked = true;
    }
    if (!cache.graph_refusal.empty()) {
      report_.cuda_graph = "not used: " + cache.graph_refusal;
      return std::nullopt;
    }
    const std::string key = graph_key();
    if (cache.graphs.count(key) == 0 && cache.graphs.size() >= RegionCache::kMaxGraphs) {
      report_.cuda_graph = str("not used: ", RegionCache::kMaxGraphs,
                               " input layouts have graphs already");
      return std::nullopt;
    }
    GraphEntry& entry = cache.graphs[key];
    if (!entry.refusal.empty()) {
      report_.cuda_graph = "not used: " + entry.refusal;
      return std::nullopt;
    }
    if (!entry.warm) {
      entry.warm = true;
      report_.cuda_graph = "warm-up (this layout's first call runs kernel by kernel; the next "
                           "is captured)";
      return std::nullopt;
    }
    // A CUDA input the graph reads in place that is elsewhere now (a new tensor each call,
    // as user inputs often are) gets a device copy from now on: captured once more.
    bool moved = false;
    if (entry.graph) {
      for (const auto& [name, address] : entry.graph->in_place) {
        if (reinterpret_cast<std::uintptr_t>(env_.at(name).toTensor().const_data_ptr()) != address) {
          cache.moving_inputs.insert(name);
          moved = true;
        }
      }
    }
    const bool captured_now = !entry.graph || moved;
    if (captured_now) {
      entry.graph.reset(); // its memory goes back before the new capture takes its own
      try {
        entry.graph = capture();
      } catch (const NotCapturable& e) {
        entry.refusal = e.why; // this layout only: another may be captured
        report_ = ExecutionReport{};
        report_.cuda_graph = "not used: " + e.why;
        return std::nullopt;
      }
    }
    return replay(*entry.graph, captured_now);
  }

  // Captured twice (capturing runs nothing: host time only). The first capture takes
  // blocks as the trace asks for them and records each one's size and lifetime; the second
  // places them in one arena planned from that record (plan_memory), as the spirv runner
  // does from a previous run, when that is smaller than the blocks were.
  std::shared_ptr<CapturedGraph> capture() {
    MemoryLayout layout;
    std::vector<BufferLifetime> record;
    {
      std::shared_ptr<CapturedGraph> first = capture_once(nullptr);
      record = last_record_;
      std::uint64_t blocks = 0;
      for (const DeviceMemory& memory : first->memory)
        blocks += memory.bytes();
      layout = plan_memory(record, kGraphAlignment);
      if (record.empty() || layout.arena_bytes >= blocks) return first;
    } // the first capture's memory goes back before the second takes its arena
    plan_record_ = record;
    std::shared_ptr<CapturedGraph> graph = capture_once(&layout);
    if (last_record_.size() != record.size()) {
      throw NotCapturable{"the second capture asked for other buffers than the first"};
    }
    graph->report.planned_bytes = layout.arena_bytes;
    return graph;
  }

  // One capture of the run's calls, reading its inputs from the graph's device copies (or
  // in place), its buffers placed by `layout` when given. The runner's own state (values,
  // environment, stream, peak) is as before when it returns or throws, so a refused
  // capture leaves a clean run behind it; what it asked for is left in last_record_.
  std::shared_ptr<CapturedGraph> capture_once(const MemoryLayout* layout) {
    CudaRuntime& rt = cuda_.runtime();
    struct Restore {
      Runner& r;
      TorchEnvironment env;
      void* stream;
      std::uint64_t peak;
      ~Restore() {
        r.capture_ = nullptr;
        r.stream_ = stream;
        r.peak_bytes_ = peak;
        r.env_ = std::move(env);
        r.staged_.clear();
        r.pool_.clear();
        r.device_values_.clear(); // the graph's memory, not theirs
        r.views_.clear();
        r.released_bases_.clear();
        r.last_record_ = std::move(r.record_);
        r.record_.clear();
        r.live_requests_.clear();
        r.layout_ = nullptr;
      }
    } restore{*this, env_, stream_, peak_bytes_};
    report_ = ExecutionReport{};
    auto graph = std::make_shared<CapturedGraph>(cuda_);
    for (const auto& input : trace_.inputs) {
      const std::string& name = input.proxy()->name();
      const c10::IValue& v = env_.at(name);
      if (!v.isTensor()) continue;
      const at::Tensor& t = v.toTensor();
      if (t.is_cuda()) check_device(t, name);
      if (t.is_cuda() && cache_->moving_inputs.count(name) == 0) {
        graph->in_place[name] = reinterpret_cast<std::uintptr_t>(t.const_data_ptr());
        continue;
      }
      DeviceMemory& memory =
          graph->inputs.emplace(name, rt.allocate(span_bytes(t), "graph input " + name)).first->second;
      staged_[name] = memory.address();
    }
    if (layout != nullptr) {
      graph->memory.push_back(rt.allocate(layout->arena_bytes, "a CUDA graph's arena"));
      arena_ = graph->memory.back().address();
      layout_ = layout;
    }
    graph->stream = rt.create_stream();
    stream_ = graph->stream;
    capture_ = graph.get();
    rt.begin_capture(graph->stream);
    try {
      run_calls();
    } catch (const BackendError& e) {
      // Out of memory with the cache untrimmed, or a driver call a capture refuses: this
      // layout runs kernel by kernel, where a real fault shows again.
      rt.abort_capture(graph->stream);
      throw NotCapturable{str("the capture failed: ", e.what())};
    } catch (...) {
      rt.abort_capture(graph->stream);
      throw;
    }
    try {
      graph->exec = rt.end_capture(graph->stream);
    } catch (const BackendError& e) {
      throw NotCapturable{str("the driver refused the capture: ", e.what())};
    }
    trace_.output.for_each_proxy([&](const Proxy& p) {
      if (const auto it = device_values_.find(p.name()); it != device_values_.end()) {
        graph->outputs[p.name()] = {it->second.address, it->second.shape, it->second.dtype};
      }
    });
    graph->report = report_;
    return graph;
  }

  std::vector<at::Tensor> replay(CapturedGraph& graph, bool captured_now) {
    CudaRuntime& rt = cuda_.runtime();
    // The graph's buffers are the same on every stream: a replay on another stream than
    // the last waits for that one first.
    if (graph.replayed && graph.last_stream != stream_) {
      rt.synchronize("the last replay of a CUDA graph, on another stream", graph.last_stream);
    }
    for (auto& [name, memory] : graph.inputs) {
      const at::Tensor& t = env_.at(name).toTensor();
      if (t.is_cuda()) {
        check_device(t, name);
        rt.copy(memory.address(), reinterpret_cast<std::uintptr_t>(t.const_data_ptr()),
                span_bytes(t), stream_);
      } else {
        staging().upload(memory.address(), t.const_data_ptr(), span_bytes(t));
      }
    }
    rt.launch_graph(graph.exec, stream_);
    graph.last_stream = stream_;
    graph.replayed = true;
    for (const auto& [compiled, address] : graph.status) {
      std::uint32_t words[codegen::kStatusWords] = {};
      rt.download(words, address, sizeof(words), stream_);
      if (std::string error = codegen::index_error_message(compiled->kernel, words); !error.empty()) {
        throw ArgumentError("cuda executor: " + error);
      }
    }
    std::vector<at::Tensor> outputs;
    trace_.output.for_each_proxy([&](const Proxy& p) {
      const auto it = graph.outputs.find(p.name());
      if (it == graph.outputs.end()) {
        outputs.push_back(materialize(p.name()).toTensor()); // an input returned as it is
        return;
      }
      const CapturedGraph::Output& out = it->second;
      const auto& proxy = static_cast<const TensorProxy&>(p);
      at::TensorOptions options = at::TensorOptions().dtype(to_scalar_type(out.dtype));
      if (proxy.device().type == DeviceType::CUDA) options = options.device(to_torch_device(proxy.device()));
      at::Tensor t = at::empty(std::vector<std::int64_t>(out.shape.begin(), out.shape.end()), options);
      const std::size_t bytes = static_cast<std::size_t>(t.numel()) * t.element_size();
      if (t.is_cuda()) {
        rt.copy(reinterpret_cast<std::uintptr_t>(t.data_ptr()), out.address, bytes, stream_);
      } else {
        rt.download(t.data_ptr(), out.address, bytes, stream_);
      }
      outputs.push_back(std::move(t));
    });
    const std::string note = captured_now ? "captured" : "replayed";
    report_ = graph.report;
    report_.cuda_graph = note;
    // The peak: what the graph holds (its inputs' copies, its buffers, cuBLASLt's
    // workspace for its stream) and the CUDA inputs it reads in place.
    std::uint64_t held = 0;
    for (const auto& [name, memory] : graph.inputs)
      held += memory.bytes();
    for (const DeviceMemory& memory : graph.memory)
      held += memory.bytes();
    for (const auto& [name, address] : graph.in_place)
      held += span_bytes(env_.at(name).toTensor());
    if (graph.uses_blas) held += cuda_.blas().workspace_bytes(graph.stream);
    report_.peak_device_bytes = held;
    return outputs;
  }

  // A value a region wrote into thunder's own device memory (the trace's tensors are on
  // the CPU); it comes back to the host only when something there reads it.
  // In a capture, the memory belongs to the graph (CapturedGraph::memory) and `memory` is
  // empty.
  struct DeviceValue {
    DeviceMemory memory;
    std::uint64_t address = 0;
    std::size_t bytes = 0;
    Shape shape;
    DType dtype;
  };

  // The device memory the run's values hold now: thunder's (results, uploads) and torch's
  // CUDA tensors (inputs, and results made as torch tensors), each storage once; the most
  // of it is the run's peak. Temporaries inside one call (cuBLASLt's workspace, an
  // operand's contiguous copy) are not seen.
  void note_memory() {
    std::uint64_t bytes = 0;
    for (const auto& [name, value] : device_values_)
      bytes += value.bytes;
    for (const auto& [name, value] : released_bases_)
      bytes += value.bytes;
    for (const auto& [name, memory] : uploads_)
      bytes += memory.bytes();
    std::set<const void*> storages;
    for (const auto& [name, value] : env_) {
      if (!value.isTensor()) continue;
      const at::Tensor& t = value.toTensor();
      if (t.defined() && t.is_cuda() && t.has_storage() &&
          storages.insert(t.storage().unsafeGetStorageImpl()).second) {
        bytes += t.storage().nbytes();
      }
    }
    peak_bytes_ = std::max(peak_bytes_, bytes);
  }

  const c10::IValue& materialize(const std::string& name) {
    if (const auto it = env_.find(name); it != env_.end()) return it->second;
    if (const auto view = views_.find(name); view != views_.end()) {
      // A view of a device value (a region's output), made as torch's view of its copy.
      const std::string base = view->second.base;
      const StridedLayout layout = view->second.layout;
      at::Tensor host = released_bases_.count(base) != 0 ? download(released_bases_.at(base))
                                                          : materialize(base).toTensor();
      return env_[name] = host.as_strided(std::vector<std::int64_t>(layout.shape.begin(), layout.shape.end()),
                                          layout.strides, layout.offset);
    }
    const auto it = device_values_.find(name);
    THUNDER_INTERNAL_ASSERT(it != device_values_.end()) << name << " was never computed";
    return env_[name] = download(it->second);
  }

  at::Tensor download(const DeviceValue& value) {
    at::Tensor t = at::empty(std::vector<std::int64_t>(value.shape.begin(), value.shape.end()),
                             at::TensorOptions().dtype(to_scalar_type(value.dtype)));
    cuda_.runtime().download(t.data_ptr(), value.address,
                             static_cast<std::size_t>(t.numel()) * t.element_size(), stream_);
    return t;
  }

  void run_on_torch(const BoundSymbol& bsym, const std::string& executor) {
    for (const Proxy* p : bsym.input_proxies()) {
      if (p->kind() == ProxyKind::Tensor) materialize(p->name());
    }
    torch_.run_bound_symbol(bsym, env_, TorchExecutionLevel::Prims);
    report_.prims[executor] += codegen::prim_count(bsym);
  }

  // The run's copies from CPU tensors, through pinned staging buffers, on the run's stream
  // (never a capture's: a capture reads device copies made before it).
  HostStaging& staging() {
    THUNDER_INTERNAL_ASSERT(capture_ == nullptr) << "a host copy inside a CUDA graph capture";
    if (!staging_) staging_.emplace(cuda_.runtime(), stream_);
    return *staging_;
  }

  // The device address of a kernel's input, uploading a CPU tensor once per run (as it
  // lies, strides and all).
  std::uint64_t input_address(const std::string& name) {
    if (const auto it = device_values_.find(name); it != device_values_.end()) {
      return it->second.address;
    }
    if (const auto it = views_.find(name); it != views_.end()) {
      // A view the fused attention reads in place: its offset into the viewed buffer.
      const auto [address, element] = view_base(it->second.base);
      return address + static_cast<std::uint64_t>(it->second.layout.offset) * element;
    }
    if (const auto it = staged_.find(name); it != staged_.end()) return it->second;
    const auto found = env_.find(name);
    THUNDER_INTERNAL_ASSERT(found != env_.end() && found->second.isTensor())
        << "cuda kernel input " << name << " is not a computed tensor";
    const at::Tensor& t = found->second.toTensor();
    if (t.is_cuda()) {
      check_device(t, name);
      return reinterpret_cast<std::uintptr_t>(t.const_data_ptr());
    }
    if (const auto it = uploads_.find(name); it != uploads_.end()) return it->second.address();
    const std::size_t bytes = span_bytes(t);
    DeviceMemory memory = cuda_.runtime().allocate(bytes, "input " + name);
    staging().upload(memory.address(), t.const_data_ptr(), bytes);
    const std::uint64_t address = memory.address();
    uploads_.emplace(name, std::move(memory));
    return address;
  }

  // How a kernel's input lies where input_address() puts it: thunder's device values are
  // contiguous, torch's tensors (uploaded or in place) keep their strides.
  TensorLayout input_layout(const std::string& name) {
    if (const auto it = device_values_.find(name); it != device_values_.end()) {
      return {it->second.shape, codegen::contiguous_strides(it->second.shape)};
    }
    if (const auto it = views_.find(name); it != views_.end()) {
      return {it->second.layout.shape, it->second.layout.strides};
    }
    const auto found = env_.find(name);
    THUNDER_INTERNAL_ASSERT(found != env_.end() && found->second.isTensor())
        << "cuda kernel input " << name << " is not a computed tensor";
    const at::Tensor& t = found->second.toTensor();
    return {t.sizes().vec(), t.strides().vec()};
  }

  // A matmul operand as cuBLASLt reads it: thunder's device values are contiguous; a host
  // tensor is uploaded through its strides and a CUDA tensor read in place, each made
  // contiguous first where its layout is not one cuBLASLt takes.
  MatrixOperand matmul_operand(const TensorProxy& proxy) {
    const std::string& name = proxy.name();
    const auto operand = strided_operand;
    if (const auto it = device_values_.find(name); it != device_values_.end()) {
      return operand(it->second.address, it->second.shape,
                     codegen::contiguous_strides(it->second.shape));
    }
    if (const auto it = views_.find(name); it != views_.end()) {
      const StridedLayout& l = it->second.layout;
      const auto [address, element] = view_base(it->second.base);
      MatrixOperand m = operand(address + static_cast<std::uint64_t>(l.offset) * element,
                                std::vector<std::int64_t>(l.shape.begin(), l.shape.end()), l.strides);
      if (m.batch_stride >= 0 && CublasMatmul::takes(m)) return m;
      // Rematerialize asks reads_view_layout first, so only a view of an input laid out
      // otherwise than it assumed gets here: made on the host by torch, then copied.
      if (capture_ != nullptr) {
        throw NotCapturable{str("the matmul operand ", name, " is a view cuBLASLt cannot read")};
      }
      materialize(name);
    }
    const auto found = env_.find(name);
    THUNDER_INTERNAL_ASSERT(found != env_.end() && found->second.isTensor())
        << "matmul operand " << name << " is not a computed tensor";
    at::Tensor t = found->second.toTensor();
    const auto fits = [&](const at::Tensor& x) {
      const MatrixOperand m = operand(0, x.sizes().vec(), x.strides().vec());
      return m.batch_stride >= 0 && CublasMatmul::takes(m);
    };
    const bool contiguous_copy = !fits(t);
    if (capture_ != nullptr && contiguous_copy) {
      throw NotCapturable{str("the matmul operand ", name, " is an input in a layout cuBLASLt "
                              "does not take (torch would make the copy it needs, outside the "
                              "graph)")};
    }
    if (const auto staged = staged_.find(name); staged != staged_.end()) {
      return operand(staged->second, t.sizes().vec(), t.strides().vec());
    }
    if (contiguous_copy) t = t.contiguous();
    if (t.is_cuda()) {
      check_device(t, name);
      if (contiguous_copy) env_[name + "#contiguous"] = t; // alive until the launch is done
      return operand(reinterpret_cast<std::uintptr_t>(t.const_data_ptr()), t.sizes().vec(),
                     t.strides().vec());
    }
    const std::string key = contiguous_copy ? name + "#contiguous" : name;
    auto it = uploads_.find(key);
    if (it == uploads_.end()) {
      const std::size_t bytes = span_bytes(t);
      DeviceMemory memory = cuda_.runtime().allocate(bytes, "input " + name);
      staging().upload(memory.address(), t.const_data_ptr(), bytes);
      it = uploads_.emplace(key, std::move(memory)).first;
    }
    return operand(it->second.address(), t.sizes().vec(), t.strides().vec());
  }

  // Where a result goes, as the trace says: a torch CUDA tensor for a cuda proxy, else
  // memory of thunder's own until the host needs it. Contiguous either way.
  std::uint64_t output_address(const TensorProxy& proxy) {
    const std::vector<std::int64_t> shape(proxy.shape().begin(), proxy.shape().end());
    if (proxy.device().type == DeviceType::CUDA && capture_ == nullptr) {
      at::Tensor t = at::empty(shape, at::TensorOptions()
                                          .dtype(to_scalar_type(proxy.dtype()))
                                          .device(to_torch_device(proxy.device())));
      check_device(t, proxy.name());
      const auto address = reinterpret_cast<std::uintptr_t>(t.data_ptr());
      env_[proxy.name()] = std::move(t);
      return address;
    }
    const std::size_t bytes = static_cast<std::size_t>(proxy.numel()) *
                              c10::elementSize(to_scalar_type(proxy.dtype()));
    DeviceValue value;
    value.shape = proxy.shape();
    value.dtype = proxy.dtype();
    if (capture_ != nullptr) {
      value.address = capture_allocate(bytes, "output " + proxy.name());
      value.bytes = bytes;
    } else {
      value.memory = cuda_.runtime().allocate(bytes, "output " + proxy.name());
      value.address = value.memory.address();
      value.bytes = value.memory.bytes();
    }
    const std::uint64_t address = value.address;
    device_values_.insert_or_assign(proxy.name(), std::move(value));
    return address;
  }

  // The device address of a bias vector, contiguous and 16-byte aligned as cuBLASLt reads
  // it (it has no alignment preference for the bias, and its kernels may load it in
  // 16-byte vectors: a slice of a packed buffer would fault).
  std::uint64_t bias_address(const TensorProxy& bias) {
    const std::string& name = bias.name();
    if (const auto it = device_values_.find(name); it != device_values_.end()) {
      return it->second.address; // the allocator's blocks are 512-byte aligned
    }
    const auto misaligned = [&] {
      const at::Tensor& t = env_.at(name).toTensor();
      return t.is_cuda() && reinterpret_cast<std::uintptr_t>(t.const_data_ptr()) % 16 != 0;
    };
    if (views_.count(name) != 0 || env_.count(name) == 0 ||
        (bias.numel() > 1 && env_.at(name).toTensor().stride(0) != 1) || misaligned()) {
      // Not laid out as a vector: made contiguous by torch on the host, then copied.
      if (capture_ != nullptr) {
        throw NotCapturable{
            str("the matmul bias ", name, " is not a contiguous, 16-byte aligned vector")};
      }
      at::Tensor t = materialize(name).toTensor().clone(at::MemoryFormat::Contiguous);
      env_[name + "#contiguous"] = t;
      return input_address(name + "#contiguous");
    }
    return input_address(name);
  }

  // The epilogue call the matmul_epilogues pass made, run by torch (no cuBLASLt here): as
  // the calls it replaced compute it, f16/bf16 in f32 rounded once.
  void run_epilogue_on_torch(const BoundSymbol& bsym, const MatmulEpilogue& epilogue) {
    const auto tensor = [&](const Value& v) { return materialize(v.as_tensor()->name()).toTensor(); };
    const at::Tensor bias = epilogue.bias ? tensor(bsym.args.at(2)) : at::Tensor();
    const TensorProxy& c = *bsym.output.as_tensor();
    env_[c.name()] = matmul_epilogue_on_torch(tensor(bsym.args.at(0)), tensor(bsym.args.at(1)),
                                              epilogue.bias ? &bias : nullptr, epilogue, c);
    report_.prims[std::string(kFallbackExecutor)] += bsym.subsymbols.size();
  }

  // prims.matmul, or an epilogue call of the matmul_epilogues pass (bias and activation
  // applied on the accumulator), through cuBLASLt; the result stays on the device like a
  // region's. An epilogue call's result may be the product reshaped ([M, N] as [B, S, N]).
  void run_matmul(const BoundSymbol& bsym) {
    const TensorProxy& a = *bsym.args.at(0).as_tensor();
    const TensorProxy& b = *bsym.args.at(1).as_tensor();
    const TensorProxy& c = *bsym.output.as_tensor();
    const std::optional<MatmulEpilogue> epilogue = matmul_epilogue_of(bsym);
    CublasMatmul* blas = nullptr;
    try {
      blas = &cuda_.blas();
    } catch (const BackendError& e) {
      if (capture_ != nullptr) throw NotCapturable{str("cuBLASLt: ", e.what())};
      if (strict_) throw;
      report_.fallbacks.push_back({bsym.symbol->qualified_name(), e.what()});
      if (epilogue) {
        run_epilogue_on_torch(bsym, *epilogue);
      } else {
        run_on_torch(bsym, std::string(kFallbackExecutor));
      }
      return;
    }
    MatmulProblem problem;
    problem.dtype = c.dtype();
    problem.a = matmul_operand(a);
    problem.b = matmul_operand(b);
    if (epilogue) {
      problem.activation = epilogue->activation;
      if (epilogue->bias) problem.bias = bias_address(*bsym.args.at(2).as_tensor());
    }
    const std::int64_t numel = c.numel();
    const std::size_t bytes =
        static_cast<std::size_t>(numel) * c10::elementSize(to_scalar_type(c.dtype()));
    const std::uint64_t address = output_address(c);
    const std::int64_t m = problem.a.rows, k = problem.a.cols, n = problem.b.cols;
    problem.c = MatrixOperand{address, problem.a.batch, m, n, m * n, n, 1};
    if (numel > 0 && k == 0) {
      // An empty sum: zeros, as torch gives.
      if (capture_ != nullptr) {
        cuda_.runtime().zero(address, (bytes + 3) / 4 * 4, stream_); // blocks are 512-byte multiples
      } else {
        const std::vector<std::byte> zeros(bytes);
        cuda_.runtime().upload(address, zeros.data(), bytes, stream_);
      }
    } else if (numel > 0) {
      if (capture_ != nullptr) capture_->uses_blas = true;
      try {
        blas->run(problem, stream_);
      } catch (const BackendError& e) {
        // A cuBLASLt with no algorithm for this epilogue (or refusing it): torch computes
        // the call, reported as a fallback, unless nothing may fall back.
        if (!epilogue || capture_ != nullptr || strict_) throw;
        report_.fallbacks.push_back({bsym.symbol->qualified_name(), e.what()});
        device_values_.erase(c.name());
        env_.erase(c.name());
        for (const Proxy* p : bsym.input_proxies())
          env_.erase(p->name() + "#contiguous");
        run_epilogue_on_torch(bsym, *epilogue);
        return;
      }
    }
    for (const Proxy* p : bsym.input_proxies())
      env_.erase(p->name() + "#contiguous");
    report_.prims[cuda_.name()] += epilogue ? bsym.subsymbols.size() : 1;
  }

  // ltorch.scaled_dot_product_attention through the fused attention kernel, which reads
  // its operands (and mask) through their strides; the result stays on the device like a
  // region's.
  void run_attention(const BoundSymbol& bsym) {
    std::string why_not;
    const std::optional<AttentionPlan> plan = plan_fused_attention(bsym, &why_not);
    THUNDER_INTERNAL_ASSERT(plan) << bsym.call_string() << " is assigned to cuda, but the fused "
                                  << "attention does not take it: " << why_not;
    const std::shared_ptr<const CompiledAttention> kernel = cuda_.compile_attention(plan->config);
    const std::vector<std::string> names = attention_operands(bsym);
    THUNDER_INTERNAL_ASSERT(names.size() == (plan->config.mask == AttentionMask::None ? 3u : 4u))
        << bsym.call_string() << ": query, key, value and the mask are not tensors";
    std::vector<TensorLayout> layouts;
    std::vector<std::uint64_t> addresses;
    for (const std::string& name : names) {
      layouts.push_back(input_layout(name));
      addresses.push_back(input_address(name));
    }
    AttentionParams params = attention_params(*plan, layouts[0], layouts[1], layouts[2],
                                              layouts.size() > 3 ? &layouts[3] : nullptr);
    addresses.push_back(output_address(*bsym.output.as_tensor()));
    if (const std::int64_t blocks = attention_blocks(*plan); blocks > 0) {
      std::vector<void*> pointers;
      for (std::uint64_t& a : addresses)
        pointers.push_back(&a);
      pointers.push_back(&params);
      cuda_.runtime().launch(*kernel->loaded, static_cast<unsigned>(blocks), kAttentionThreads,
                             pointers.data(), stream_);
    }
    report_.prims[cuda_.name()] += codegen::prim_count(bsym);
  }

  void check_device(const at::Tensor& t, const std::string& name) const {
    if (t.device().index() != cuda_.runtime().device_index()) {
      throw ArgumentError(str("cuda executor: ", name, " is on ", t.device().str(),
                              ", but the cuda executor runs on cuda:",
                              cuda_.runtime().device_index(), " (THUNDER_CUDA_DEVICE)"));
    }
  }

  void run_region(const BoundSymbol& region) {
    // Host and torch CUDA tensors keep their strides; values of thunder's are contiguous.
    std::map<std::string, codegen::Strides> strides;
    for (const Proxy* p : region.input_proxies()) {
      if (p->kind() != ProxyKind::Tensor || device_values_.count(p->name()) != 0) continue;
      const auto it = env_.find(p->name());
      if (it == env_.end() || !it->second.isTensor()) continue;
      const at::Tensor& t = it->second.toTensor();
      if (!t.is_contiguous()) strides[p->name()] = codegen::Strides(t.strides().begin(), t.strides().end());
    }
    std::shared_ptr<const CompiledRegion> compiled;
    std::pair<const BoundSymbol*, std::string> key;
    if (cache_ != nullptr) {
      key.first = &region;
      for (const auto& [name, s] : strides)
        key.second += str(name, Value::ints(s).repr(), ";");
      if (const auto it = cache_->regions.find(key); it != cache_->regions.end()) {
        compiled = it->second;
      }
    }
    try {
      if (!compiled) compiled = cuda_.compile(region, strides);
      if (cache_ != nullptr) cache_->regions.emplace(key, compiled);
      if (compiled->kernel.num_invocations > std::numeric_limits<std::uint32_t>::max()) {
        throw UnsupportedError(str("cuda executor: region ", region.symbol->name, " writes ",
                                   compiled->kernel.num_invocations,
                                   " elements; generated kernels index with 32 bits"));
      }
    } catch (const UnsupportedError& e) {
      if (capture_ != nullptr) throw NotCapturable{e.what()};
      if (strict_) throw;
      report_.fallbacks.push_back({region.symbol->qualified_name(), e.what()});
      for (const BoundSymbol& sub : region.subsymbols)
        run_on_torch(sub, std::string(kFallbackExecutor));
      return;
    }
    const codegen::Kernel& kernel = compiled->kernel;
    std::vector<std::uint64_t> addresses;
    for (const codegen::Buffer& in : kernel.inputs)
      addresses.push_back(input_address(in.name));
    // Outputs go where the trace says: torch CUDA tensors for cuda proxies, else memory of
    // thunder's own until the host needs them.
    std::map<std::string, const TensorProxy*> output_proxies;
    for (const Proxy* p : region.output_proxies())
      output_proxies[p->name()] = static_cast<const TensorProxy*>(p);
    for (const codegen::Buffer& out : kernel.outputs)
      addresses.push_back(output_address(*output_proxies.at(out.name)));
    // A kernel that indexes by values it reads (index_select) reports an index out of range
    // in its status words, read back after the launch: torch raises there, so must we.
    // In a capture, they are zeroed by the graph and read after each replay.
    std::optional<DeviceMemory> status;
    if (!kernel.checks.empty() && kernel.num_invocations > 0 && capture_ != nullptr) {
      constexpr std::size_t bytes = codegen::kStatusWords * sizeof(std::uint32_t);
      const std::uint64_t address = capture_allocate(bytes, "status of " + kernel.name);
      cuda_.runtime().zero(address, bytes, stream_);
      capture_->status.emplace_back(compiled, address);
      addresses.push_back(address);
    } else if (!kernel.checks.empty() && kernel.num_invocations > 0) {
      static constexpr std::uint32_t kZeros[codegen::kStatusWords] = {};
      status.emplace(cuda_.runtime().allocate(sizeof(kZeros), "status of " + kernel.name));
      cuda_.runtime().upload(status->address(), kZeros, sizeof(kZeros), stream_);
      addresses.push_back(status->address());
    }
    if (kernel.num_invocations > 0) {
      auto numel = static_cast<unsigned int>(kernel.num_invocations);
      std::vector<void*> params;
      for (std::uint64_t& a : addresses)
        params.push_back(&a);
      params.push_back(&numel);
      const auto blocks = static_cast<unsigned int>(codegen::workgroup_count(kernel));
      cuda_.runtime().launch(*compiled->loaded, blocks, codegen::kCudaBlockSize, params.data(),
                             stream_);
    }
    if (status) {
      std::uint32_t words[codegen::kStatusWords] = {};
      cuda_.runtime().download(words, status->address(), sizeof(words), stream_);
      if (std::string error = codegen::index_error_message(kernel, words); !error.empty()) {
        throw ArgumentError("cuda executor: " + error);
      }
    }
    ++report_.regions;
    report_.prims[cuda_.name()] += codegen::flatten_to_prims(region.subsymbols).size();
  }

  const CudaExecutor& cuda_;
  const Trace& trace_;
  ExecutionReport& report_;
  bool strict_;
  RegionCache* cache_;
  void* stream_ = nullptr; ///< The CUstream of this run (run_stream(); a capture's own).
  CapturedGraph* capture_ = nullptr; ///< The graph being captured, if one is.
  std::map<std::string, std::uint64_t> staged_; ///< In a capture: its inputs' device copies.
  std::multimap<std::size_t, std::uint64_t> pool_; ///< In a capture: blocks freed, by size.
  // Views rematerialize gave cuda: strides over a value's buffer (run_view); values the
  // trace freed while a view of them lives.
  struct View {
    std::string base;
    StridedLayout layout;
  };
  std::map<std::string, View> views_;
  std::map<std::string, DeviceValue> released_bases_;
  // In a capture: what it asked for (capture_allocate), the requests alive by address,
  // the plan it follows (the second capture) and its arena; the last capture's record.
  std::vector<BufferLifetime> record_, last_record_, plan_record_;
  std::map<std::uint64_t, std::size_t> live_requests_;
  const MemoryLayout* layout_ = nullptr;
  std::uint64_t arena_ = 0;
  std::uint64_t clock_ = 0; ///< Calls run (run_calls): the record's clock.
  /// Where cudaMalloc's alignment is; what cuBLASLt and vector loads may assume.
  static constexpr std::size_t kGraphAlignment = 256;
  std::optional<HostStaging> staging_; ///< CPU tensors' copies to the device (staging()).
  TorchExecutor torch_;
  TorchEnvironment env_;
  std::map<std::string, DeviceValue> device_values_;
  std::map<std::string, DeviceMemory> uploads_;
  std::uint64_t peak_bytes_ = 0; // note_memory()
};

} // namespace

Trace prepare_cuda_trace(const Trace& trace, const CudaExecutor& cuda,
                         const TorchFallbackExecutor& torch, std::vector<Fallback>* fallbacks) {
  const std::vector<const Executor*> executors{&cuda, &torch};
  const Trace assigned =
      common_subexpression_elimination(assign_executors(trace, executors, fallbacks));
  return rematerialize(fuse(fuse_matmul_epilogues(assigned, executors), executors), executors);
}

std::vector<at::Tensor> run_cuda_trace(const CudaExecutor& cuda, const Trace& trace,
                                       const std::vector<c10::IValue>& inputs,
                                       ExecutionReport* report, bool strict,
                                       RegionCache* cache) {
  ExecutionReport local;
  Runner runner(cuda, trace, report != nullptr ? *report : local, strict, cache);
  return runner.run(inputs);
}

} // namespace thunder::cuda
