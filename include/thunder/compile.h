// The C++ entry point: compile a model file into a module that runs on a backend.
//
//   auto module = thunder::compile("model.pt2");
//   std::vector<at::Tensor> out = module->forward({x});
//   std::cout << module->last_prologue_trace().to_string();
//   std::cout << module->last_traces().back().to_string();
//
// A compiled module keeps one specialization per kind of input it has seen: a prologue
// (the guards: shapes, dtypes, devices, requires_grad, layout, number values) and the
// traces its passes made. A call hashes its inputs' guard key and looks it up (O(1)); a
// miss traces the program again for the new inputs and caches the result. A torch edge.
// Models: torch.export archives and TorchScript files. Backends: torch (ATen) and spirv
// (fusion regions as generated Vulkan compute shaders, the rest on torch); cuda comes with
// its issue.
#pragma once

#include "thunder/core/trace.h"
#include "thunder/frontends/loaded_model.h"
#include "thunder/jit/prologue.h"

#include <ATen/core/Tensor.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace thunder {

struct Options {
  /// cuda | spirv | torch | auto; empty: THUNDER_BACKEND, else auto. An explicit backend
  /// that is unavailable is an error with the reason, never a silent fallback.
  std::string backend;
  /// Ops with no ltorch symbol are errors instead of torch-executor fallbacks.
  bool strict = false;
  /// Keep every node the ATen call it is (no ltorch symbols): torch running the original
  /// program, which is what results are checked against.
  bool reference = false;
  /// Where compiled kernels are kept between runs; empty: THUNDER_CACHE_DIR, else none.
  /// Reported by cache_dir(); the cuda executor, one per process, keeps its NVRTC results
  /// under $THUNDER_CACHE_DIR/cuda.
  std::string cache_dir;
  /// Where the model runs: "cpu", "cuda" or "cuda:N"; empty: where it was exported. The
  /// weights move there at compile time and the program's device arguments (torch.export
  /// records `device=cpu` for the tensors a model creates) are rewritten to it, as
  /// torch.export's move_to_device_pass does; inputs must then be on that device.
  std::string device;
  /// After this many recompiles (a call whose inputs no cached specialization fits), one
  /// warning on stderr naming the function and the guard that failed; 0: never. 8, as
  /// torch._dynamo's cache_size_limit.
  int recompile_warning_limit = 8;
  /// spirv: keep the weights the module loaded on the device between calls (1), or upload
  /// them on every call and free each after its last use (0); -1: the device's default
  /// (VulkanRuntime::resident_weights: on for discrete GPUs, THUNDER_VK_RESIDENT_WEIGHTS).
  int resident_weights = -1;
  /// cuda: capture the second call of each input layout as a CUDA graph and replay it on
  /// later calls (1): one launch instead of one per kernel, for the graph's memory held
  /// between calls and a copy of the outputs (and of CPU or moving inputs); or launch
  /// kernel by kernel (0). -1: THUNDER_CUDA_GRAPHS=1 turns them on, else off.
  int cuda_graphs = -1;
};

/// What compiling and calling cost and did. Times are totals over every compile and call.
struct CompileStats {
  int calls = 0;
  int cache_hits = 0;   ///< Calls a cached specialization fitted.
  int cache_misses = 0; ///< Calls none fitted (each traces the program again).
  int recompiles = 0;   ///< Specializations compiled after the first (misses that compiled).
  double load_ms = 0;   ///< Reading the model file.
  double trace_ms = 0;  ///< Interpreting it into computation traces and prologues.
  double passes_ms = 0; ///< DCE and CSE.
  double run_ms = 0;    ///< Guard key lookups and running the computation.
  /// ATen operators run by the torch executor because no ltorch symbol took them.
  std::vector<std::string> fallbacks;
  /// The guard whose failure caused the last miss, with what it got; empty if none yet.
  std::string last_failed_guard;
  /// Device memory the last call held at most (ExecutionReport::peak_device_bytes; spirv and
  /// cuda measure it), and what eager PyTorch would hold at least for the same call: the
  /// estimate_peak_bytes of the interpreted trace, whose every op materializes its outputs
  /// (measure_eager_peak_bytes measures it). 0 where not measured (the torch backend).
  std::uint64_t peak_device_bytes = 0;
  std::int64_t eager_peak_bytes_estimate = 0;
  /// spirv, the last call: bytes copied from host tensors to the device, and bytes of the
  /// module's weights read from their device copies instead (ResidentTensors).
  std::uint64_t uploaded_bytes = 0;
  std::uint64_t resident_bytes = 0;
  /// spirv, the last call: bytes of the arena its buffers were planned in from the call
  /// before (spirv::PlannedMemory); 0 where they came from the pool as requested (a first
  /// call records the plan).
  std::uint64_t planned_bytes = 0;
  /// spirv, the last call: bytes of index-check status words held (ExecutionReport's).
  std::uint64_t check_bytes = 0;
  /// spirv, the last call: calls of hand-written kernels by module, e.g. {"matmul_f32": 24}
  /// (ExecutionReport::kernels).
  std::map<std::string, std::size_t> kernels;
  /// cuda with CUDA graphs on (Options::cuda_graphs), the last call: "warm-up ...",
  /// "captured", "replayed" or "not used: <why>" (ExecutionReport::cuda_graph).
  std::string cuda_graph;
};

/// A compiled model.
class CompiledModule {
public:
  virtual ~CompiledModule() = default;
  /// Runs the model on its user inputs (the module's weights are bound already). Calls
  /// from several threads are serialized; last_traces() and stats() describe the latest.
  virtual std::vector<at::Tensor> forward(const std::vector<at::Tensor>& inputs) = 0;
  /// Runs the program as eager PyTorch runs it, on the CPU: the interpreted trace of the
  /// specialization `inputs` select (traces.front()), op by op on the torch executor, each
  /// value freed after its last use. Returns the most bytes the CPU allocator held at once,
  /// the weights and inputs included, and the temporaries inside ATen's kernels too
  /// (TorchExecutor::run_measuring_memory): the measured counterpart of
  /// CompileStats::eager_peak_bytes_estimate, which cannot see those temporaries. Inputs on
  /// the CPU; stats() and last_traces() are left as they are (unless these inputs needed a
  /// new specialization, which is compiled and counted as a miss).
  virtual std::int64_t measure_eager_peak_bytes(const std::vector<at::Tensor>& inputs) = 0;
  /// The traces the pipeline made, first (the interpreted program) to last (what runs).
  /// Those of the specialization the last call ran (before any call: the one compiled
  /// for the inputs the model was exported with; none if the file records no inputs).
  virtual const std::vector<Trace>& last_traces() const = 0;
  /// The prologue (guards) of that specialization.
  virtual const Trace& last_prologue_trace() const = 0;
  virtual const CompileStats& stats() const = 0;
  /// The backend that runs it.
  virtual const std::string& backend() const = 0;
  /// The device that runs it: "cpu" for the torch backend, the Vulkan device's name
  /// ("llvmpipe (LLVM 15.0.6, 256 bits)") for spirv.
  virtual std::string device() const = 0;
  /// Options::cache_dir, or THUNDER_CACHE_DIR; empty: none.
  virtual const std::string& cache_dir() const = 0;
  /// The user inputs, by name, as the model was exported with them (nullopt where the
  /// model file records nothing, as TorchScript does).
  virtual const std::vector<std::pair<std::string, std::optional<InputMeta>>>&
  user_inputs() const = 0;
  /// How many specializations are cached.
  virtual std::size_t cache_size() const = 0;
};

/// Loads and compiles a torch.export archive (.pt2). ModelError for a bad file,
/// BackendError for an unavailable backend, UnsupportedError for what is not supported.
std::unique_ptr<CompiledModule> compile(const std::string& path, const Options& options = {});

/// Compiles a model already in memory, as a front end loaded it (the Python binding builds
/// one from a Dynamo graph). name stands for the model file in messages and provenance.
/// Errors as compile(path).
std::unique_ptr<CompiledModule> compile(LoadedModel model, const std::string& name,
                                        const Options& options = {});

/// The example inputs torch.export.save stored in a .pt2 archive (data/sample_inputs/),
/// flattened in order; empty if the archive has none. ModelError if they cannot be read.
std::vector<at::Tensor> load_sample_inputs(const std::string& path);

/// The backend Options::backend and THUNDER_BACKEND select, after checking it exists
/// and is available here (the option wins over the variable). "auto" is cuda for a model
/// that runs on a CUDA device (`device`, Options::device, "cuda" or "cuda:N") when the cuda
/// backend is available, else torch: a model on the CPU would otherwise copy its weights
/// to the GPU on every call.
std::string select_backend(const std::string& requested, const std::string& device = {});

} // namespace thunder
