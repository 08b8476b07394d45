// The spirv executor's torch edge: runs a trace that assign_executors([spirv, torch]) and
// fuse made on at::Tensors. Each "spirv.fusionN" region becomes one dispatch of its
// pipeline (SpirvExecutor::compile); every other call runs on the torch executor. Regions
// with no torch call between them share ONE Batch (one command buffer, one submit), and a
// value one of them writes for another stays in its device buffer. Inputs are uploaded
// from contiguous or strided CPU tensors as they are (a transposed input is read through
// its strides, not copied first); outputs come back as contiguous CPU tensors. An unfused
// view prim of spirv (a transpose, broadcast, squeeze, reshape or slice that rematerialize
// gave a matmul to read in place) dispatches nothing: over a device value it is strides
// into that value's buffer, which stays held until the view's last reader; over a host
// tensor it is torch's view.
//
// Inputs a caller marks resident (a compiled model's own weights, in a ResidentTensors)
// stay on the device between calls: uploaded on the first call, and again only when the
// host tensor changed (another tensor, or the same one modified in place).
//
// Which executor ran what is counted (ExecutionReport), so a test or a user sees a region
// that fell back to torch: nothing falls back silently. This is the only spirv file that
// includes LibTorch headers; the executor and its runtime stay torch-free.
#pragma once

#include "thunder/core/trace.h"
#include "thunder/executors/executor.h"
#include "thunder/executors/spirv/spirv_executor.h"
#include "thunder/executors/torch_executor.h"
#include "thunder/passes/assign_executors.h"

#include <ATen/core/Tensor.h>
#include <ATen/core/ivalue.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace thunder::spirv {

/// Device copies of host tensors kept between runs: the trace inputs named here (by their
/// proxies' names) are uploaded once and reused while the host tensor is the same one
/// (at::Tensor::is_same) at the same version (at::Tensor::_version(), which in-place ops
/// bump), else uploaded again. Meant for weights the caller owns, as a compiled model owns
/// those it loaded: a write through a raw pointer or through `.data` keeps the version and
/// would not be seen. Holds a reference to each host tensor and its device buffer until
/// cleared or destroyed. Not thread-safe; run_spirv_trace serializes the runs using it.
class ResidentTensors {
public:
  explicit ResidentTensors(std::set<std::string> names = {}) : names_(std::move(names)) {}
  ~ResidentTensors();
  ResidentTensors(const ResidentTensors&) = delete;
  ResidentTensors& operator=(const ResidentTensors&) = delete;

  /// Whether the input `name` may stay on the device.
  bool wants(const std::string& name) const { return names_.count(name) != 0; }
  /// Device bytes held now.
  std::uint64_t bytes() const;
  /// Drops every device copy.
  void clear();

  /// One device copy and what it was made from (run_spirv_trace keeps it).
  struct Entry {
    at::Tensor host;
    // What the copy was made from (a tensor's layout can change in place, unversioned).
    std::int64_t version = 0;
    const void* data = nullptr;
    std::vector<std::int64_t> sizes, strides;
    std::unique_ptr<Buffer> buffer;
  };

private:
  friend class ResidentAccess;
  std::set<std::string> names_;
  std::map<std::string, Entry> entries_;
};

/// Device memory for the buffers of one trace's runs, planned ahead. Each request a run makes
/// is recorded: its size, whether the host writes it, and from when to when it is needed.
/// Before the first run, a dry run of it (run_spirv_trace) makes that record without touching
/// the device; where it cannot (a value computed on the host decides what follows), the
/// first run takes buffers from the runner's pool as they come and records them itself. A
/// run with a plan takes every request's place in one arena laid out from the record
/// (plan_memory), and the arena stays for the runs after it: one allocation instead of one
/// per request, and no more memory than the plan's, where the pool's buffers, made one per
/// request, cannot be joined. A run whose requests differ from the record (another path
/// through the trace) takes the pool from the first difference on, and its own record
/// replaces the plan. A record no arena can hold (a request past the arena limit) or with no
/// request leaves no plan, and no dry run is tried again until clear(). One per trace; not
/// thread-safe (run_spirv_trace serializes runs).
class PlannedMemory {
public:
  /// `max_arena_bytes`: the most bytes of one arena buffer (0: the device's
  /// maxStorageBufferRange); a plan past it is made of several buffers, which no request
  /// straddles.
  explicit PlannedMemory(std::size_t max_arena_bytes = 0);
  ~PlannedMemory();
  PlannedMemory(const PlannedMemory&) = delete;
  PlannedMemory& operator=(const PlannedMemory&) = delete;

  /// Whether the next run has a plan.
  bool planned() const { return !requests_.empty(); }
  /// Bytes of the planned arena, and the most bytes the recorded requests held at once (no
  /// layout goes under it): the plan's cost of fragmentation is the difference.
  std::uint64_t arena_bytes() const { return arena_bytes_; }
  std::uint64_t live_bytes() const { return live_bytes_; }
  /// Drops the plan and frees the arena; the next run is planned by a dry run again.
  void clear();
  /// Frees the arena and keeps the plan: the next run that uses it makes it again.
  void release_arena();

  /// One recorded request.
  struct Request {
    std::size_t bytes = 0;
    bool host_written = false;
    bool operator==(const Request&) const = default;
  };

private:
  friend class PlanAccess;
  std::vector<Request> requests_;
  std::vector<std::size_t> offsets_;
  std::uint64_t arena_bytes_ = 0;
  std::uint64_t live_bytes_ = 0;
  std::size_t max_arena_bytes_ = 0;
  std::size_t arena_limit_ = 0; // The plan's: no request straddles a multiple of it.
  bool unplannable_ = false;    // The last record could not be planned: no dry run again.
  // The arena, as buffers of arena_limit_ bytes (the last may be smaller); made by the first
  // run that uses the plan.
  std::vector<std::unique_ptr<Buffer>> arenas_;
};

using thunder::ExecutionReport;
using thunder::TorchFallbackExecutor;

/// assign_executors([spirv, torch]), common_subexpression_elimination (decompositions
/// repeat calls), fuse_matmul_epilogues (a linear's bias add and relu
/// in the matmul kernel), fuse, rematerialize (views a matmul reads become unfused view
/// prims of spirv), then split_regions_for_memory: the trace run_spirv_trace takes. Prims
/// that went to torch because spirv does not claim them are appended to `fallbacks`.
Trace prepare_spirv_trace(const Trace& trace, const SpirvExecutor& spirv,
                          const TorchFallbackExecutor& torch,
                          std::vector<Fallback>* fallbacks = nullptr);

/// Runs a trace from prepare_spirv_trace (delete_last_used may have run after it) on
/// `inputs`, in the order of trace.inputs (tensors on the CPU of the proxies' shapes and
/// dtypes, any strides; numbers for number proxies). Returns the trace's output tensors,
/// flattened in order. A region the executor cannot compile here (UnsupportedError) runs on
/// torch and is listed in report->fallbacks; with `strict`, that is an UnsupportedError
/// instead. BackendError/ShaderError from Vulkan or the compiler propagate. Runs from
/// several threads take turns (the device queue is not thread-safe). Inputs `resident`
/// wants are read from, or uploaded into, its device copies. With `planned` (this trace's
/// own), buffers come from its arena; where it has no plan yet, a dry run makes one first
/// (PlannedMemory), or the run records one. A run that throws after making the arena frees
/// it again.
std::vector<at::Tensor> run_spirv_trace(const SpirvExecutor& spirv, const Trace& trace,
                                        const std::vector<c10::IValue>& inputs,
                                        ExecutionReport* report = nullptr, bool strict = false,
                                        ResidentTensors* resident = nullptr,
                                        PlannedMemory* planned = nullptr);

} // namespace thunder::spirv
