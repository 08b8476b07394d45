// The cuda executor's torch edge: runs a trace that assign_executors([cuda, torch]) and
// fuse made, on at::Tensors. Each "cuda.fusionN" region is one launch of its generated
// kernel (CudaExecutor::compile); every other call runs on the torch executor.
// - CUDA tensors (LibTorch built with CUDA) are used in place: kernels read and write
//   their memory, outputs are allocated by torch on the same device, and launches go to
//   the stream torch uses by default, so no copy and no synchronization is added.
// - CPU tensors are copied to the device as they are (a transposed input is read through
//   its strides, not made contiguous first) and each is uploaded once per run; a value one
//   region writes for another stays on the device, and only what torch or the caller reads
//   comes back, as a contiguous CPU tensor.
// Which executor ran what is counted (ExecutionReport), so a region that fell back to torch
// is always visible. This is the only cuda file that includes LibTorch headers.
#pragma once

#include "thunder/core/trace.h"
#include "thunder/executors/cuda/cuda_executor.h"
#include "thunder/executors/torch_executor.h"
#include "thunder/passes/assign_executors.h"

#include <ATen/core/Tensor.h>
#include <ATen/core/ivalue.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace thunder::cuda {

/// assign_executors([cuda, torch]), common_subexpression_elimination, fuse_matmul_epilogues,
/// fuse, then rematerialize: the trace run_cuda_trace takes. Prims that went to torch
/// because cuda does not claim them are appended to `fallbacks`.
Trace prepare_cuda_trace(const Trace& trace, const CudaExecutor& cuda,
                         const TorchFallbackExecutor& torch,
                         std::vector<Fallback>* fallbacks = nullptr);

/// The compiled kernels of one trace's regions, by region and input strides: what a
/// compiled function keeps so that a call on a cache hit launches without rendering a
/// kernel again. Valid as long as the trace it was filled from.
struct CapturedGraph;
/// One input layout's CUDA graph: its first call warms up (kernel by kernel), the second
/// is captured; or why this layout cannot be captured.
struct GraphEntry {
  bool warm = false;
  std::shared_ptr<CapturedGraph> graph;
  std::string refusal;
};
struct RegionCache {
  std::map<std::pair<const BoundSymbol*, std::string>, std::shared_ptr<const CompiledRegion>>
      regions;
  /// Capture calls as CUDA graphs and replay them (see run_cuda_trace).
  bool use_graphs = false;
  /// With use_graphs: each input layout's graph, by the inputs' dtypes, shapes and
  /// strides and the numbers' values (at most kMaxGraphs layouts), and why no call of
  /// this trace can be captured (a call that runs on torch), once checked.
  std::map<std::string, GraphEntry> graphs;
  std::string graph_refusal;
  bool graph_checked = false; ///< graph_refusal holds the trace's answer.
  /// CUDA tensor inputs seen at another address than their graph was captured with: they
  /// get device copies in later captures; the others are read in place.
  std::set<std::string> moving_inputs;
  static constexpr std::size_t kMaxGraphs = 8;
};

/// Runs a trace from prepare_cuda_trace (delete_last_used may have run after it) on
/// `inputs`, in the order of trace.inputs (tensors on the CPU or on the executor's CUDA
/// device, of the proxies' shapes and dtypes, any strides; numbers for number proxies).
/// Returns the trace's output tensors, flattened in order, on the device the trace says. A
/// region that cannot become a kernel (UnsupportedError) runs on torch and is listed in
/// report->fallbacks; with `strict`, that is an UnsupportedError instead. BackendError and
/// ShaderError from the driver or NVRTC propagate. With `cache`, regions compiled before
/// for this trace (same input strides) are launched as they are.
/// CUDA graphs (with a `cache` whose use_graphs is set): for a trace whose every call
/// runs on cuda, an input layout's first call runs kernel by kernel (compiling and loading
/// what it needs), its second is captured and replayed, later ones replay. CPU inputs, and
/// CUDA inputs once seen at a new address, get device copies of the graph's own that each
/// call copies into; other CUDA inputs (weights) are read in place. Every buffer the
/// kernels use stays with the graph; status words are read after each replay. Outputs are
/// copied out to new tensors, so a later call never overwrites what an earlier one
/// returned. A call that cannot be captured (a call on torch; for one layout, a matmul
/// operand cuBLASLt cannot read in place) runs kernel by kernel, and report->cuda_graph
/// says why.
std::vector<at::Tensor> run_cuda_trace(const CudaExecutor& cuda, const Trace& trace,
                                       const std::vector<c10::IValue>& inputs,
                                       ExecutionReport* report = nullptr, bool strict = false,
                                       RegionCache* cache = nullptr);

} // namespace thunder::cuda
