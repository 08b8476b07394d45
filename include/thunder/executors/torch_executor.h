// The torch executor: runs a trace through ATen. It is the reference every other
// executor is checked against and the fallback for what they do not claim. It runs a
// trace at the level it was recorded (ltorch symbols as their ATen ops) or with every
// composite replaced by its prims, and both must give torch's answer. This is a torch
// edge: it is the only executor that includes LibTorch headers.
#pragma once

#include "thunder/core/trace.h"
#include "thunder/executors/executor.h"
#include "thunder/passes/assign_executors.h"

#include <ATen/core/Tensor.h>
#include <ATen/core/ivalue.h>

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace thunder {

/// Which bound symbols the torch executor runs.
enum class TorchExecutionLevel {
  Symbols, ///< Each top-level bound symbol as one ATen call.
  Prims,   ///< Composites replaced, recursively, by their prims subsymbols.
};

/// The ATen scalar type of a dtype, and back (ArgumentError for types thunder lacks).
c10::ScalarType to_scalar_type(DType dtype);
DType from_scalar_type(c10::ScalarType type);
/// The torch device of a cpu or cuda device (BackendError for vulkan).
c10::Device to_torch_device(const Device& device);

/// The bytes a strided tensor's elements span, from its first element to its last (what
/// a device copy of it, read through its strides, needs).
std::size_t span_bytes(const at::Tensor& t);

/// A matmul_epilogues call (`epilogue`) computed by ATen, as the calls it replaced compute
/// it: f16/bf16 operands in f32, the bias added and the activation applied before one
/// rounding to `out`'s dtype; contiguous, in `out`'s shape (the product may be reshaped).
/// What a backend runs where its own kernel refuses the call.
at::Tensor matmul_epilogue_on_torch(const at::Tensor& a, const at::Tensor& b,
                                    const at::Tensor* bias, const MatmulEpilogue& epilogue,
                                    const TensorProxy& out);

/// Runtime values of a trace's proxies, by proxy name.
using TorchEnvironment = std::unordered_map<std::string, c10::IValue>;

/// Checks input `index` of a trace against its proxy (tensor: shape, dtype, device; number:
/// kind, and the value where the trace fixed it) and returns it as the trace uses it (an
/// int given for a float proxy becomes a float). ArgumentError naming the input otherwise.
c10::IValue check_trace_input(const Value& proxy, const c10::IValue& input, std::size_t index);

/// Runs traces through ATen.
class TorchExecutor {
public:
  /// Runs any ATen operator by its schema name ("aten::add.Tensor"; "aten::relu" for the
  /// default overload) through the dispatcher, with arguments in schema order (missing
  /// trailing ones take their defaults). This is the fallback for ops no executor claims.
  /// BackendError if LibTorch has no such operator.
  static c10::IValue call_aten(std::string_view qualified_name, std::vector<c10::IValue> args);

  /// Whether the executor has an ATen implementation of this symbol.
  static bool implements(const Symbol& symbol);

  /// Runs the trace on inputs given in the order of trace.inputs: tensors for tensor
  /// proxies, ints/floats/bools for number proxies. Each input is checked against its
  /// proxy (shape, dtype, device; value for a number whose value the trace fixed) and a
  /// mismatch is an ArgumentError that names the input. Returns the trace's output
  /// tensors, flattened in order.
  /// `del` statements (delete_last_used) drop their values, as eager frees a tensor whose
  /// last reference goes.
  std::vector<at::Tensor> run(const Trace& trace, const std::vector<c10::IValue>& inputs,
                              TorchExecutionLevel level = TorchExecutionLevel::Symbols) const;

  /// run(), measuring what the CPU allocator holds: `peak_bytes` is the bytes of the inputs'
  /// storages (each counted once) plus the most bytes allocated and not yet freed at any
  /// moment of the run, temporaries inside ATen's kernels included (c10's memory reporting,
  /// which the profiler's profile_memory uses). Only CPU tensors are seen. On the
  /// interpreted trace with its `del`s, this is what eager PyTorch holds for the program.
  /// Allocations on ATen's worker threads (intra-op parallel regions) are not reported, so
  /// it may read a little low. ArgumentError while a profiler runs on this thread.
  struct MeasuredRun {
    std::vector<at::Tensor> outputs;
    std::int64_t peak_bytes = 0;
  };
  MeasuredRun run_measuring_memory(const Trace& trace, const std::vector<c10::IValue>& inputs) const;

  /// Runs one bound symbol on the values in `env` (its inputs must be there) and binds its
  /// outputs there: for executors that run some calls of a trace themselves and hand the
  /// rest to torch. Inputs are not checked; run() checks a whole trace's.
  void run_bound_symbol(const BoundSymbol& bsym, TorchEnvironment& env,
                        TorchExecutionLevel level = TorchExecutionLevel::Symbols) const;
};

/// The torch executor as an Executor for assign_executors: the fallback of the kernel
/// backends (spirv, cuda), claiming every symbol it has an ATen implementation of, fusing
/// nothing.
class TorchFallbackExecutor final : public Executor {
public:
  TorchFallbackExecutor() : Executor(std::string(kFallbackExecutor), 0) {}
  Availability availability() const override { return Availability::yes(); }
  bool claims(const BoundSymbol& bsym) const override;
};

/// What one run of a kernel backend's trace did: which executor ran each prim, so a test
/// or a user sees what fell back to torch; nothing falls back silently.
struct ExecutionReport {
  /// Prims run, by the executor that ran them ("spirv"/"cuda": inside generated kernels).
  std::map<std::string, std::size_t> prims;
  std::size_t regions = 0;  ///< Fusion regions run as generated kernels.
  std::size_t batches = 0;  ///< spirv: batches submitted.
  std::size_t barriers = 0; ///< spirv: barriers recorded between dependent dispatches.
  /// spirv: calls of hand-written kernels, by module (builtin_kernels.h: "matmul_f32",
  /// "matmul_coop_f16", "attention_bf16", ...), so a run shows which kernel took its
  /// products; generated kernels are counted in `regions`.
  std::map<std::string, std::size_t> kernels;
  /// Regions that ran on torch instead (the kernel could not be made), and why.
  std::vector<Fallback> fallbacks;
  /// The most bytes of device memory the run held at once (its inputs, outputs and
  /// intermediates). spirv: its storage buffers (VulkanRuntime's count); cuda: its values'
  /// device memory, thunder's and torch's CUDA tensors', after each call (temporaries inside
  /// a call, such as cuBLASLt's workspace, are not seen).
  std::uint64_t peak_device_bytes = 0;
  /// spirv: bytes copied from host tensors to the device, and bytes of resident inputs
  /// (ResidentTensors) read from their device copies instead.
  std::uint64_t uploaded_bytes = 0;
  std::uint64_t resident_bytes = 0;
  /// spirv: bytes of the arena the run's buffers were planned in (spirv::PlannedMemory),
  /// counted in the peak; 0 where they came from the pool as requested.
  std::uint64_t planned_bytes = 0;
  /// spirv: buffers the run asked for (intermediates, outputs, uploads), and how many of
  /// them it took at their planned place in the arena: all of them where the run followed
  /// its plan; fewer where it left the recorded path and the pool served the rest.
  std::size_t buffer_requests = 0;
  std::size_t planned_requests = 0;
  /// spirv: bytes of index-check status words (the words a kernel that indexes by values
  /// it reads reports an index out of range in), counted in the peak, outside the arena.
  /// Eager PyTorch checks indices on the host: this is device memory it does not hold.
  std::uint64_t check_bytes = 0;
  /// cuda with CUDA graphs on (Options::cuda_graphs): "warm-up ..." (a layout's first
  /// call, kernel by kernel), "captured" (this call was captured, then replayed),
  /// "replayed", or "not used: <why>"; empty when they are off.
  std::string cuda_graph;

  /// "spirv: 9 prims in 2 regions (1 batch), torch: 3 prims; fallbacks: none".
  std::string to_string() const;
};

} // namespace thunder
