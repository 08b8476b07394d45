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
#include <map>
#include <string>
#include <vector>

namespace thunder::spirv {

using thunder::ExecutionReport;
using thunder::TorchFallbackExecutor;

/// assign_executors([spirv, torch]), fuse, then rematerialize (views a matmul reads become
/// unfused view prims of spirv): the trace run_spirv_trace takes. Prims that went to torch
/// because spirv does not claim them are appended to `fallbacks`.
Trace prepare_spirv_trace(const Trace& trace, const SpirvExecutor& spirv,
                          const TorchFallbackExecutor& torch,
                          std::vector<Fallback>* fallbacks = nullptr);

/// Runs a trace from prepare_spirv_trace (delete_last_used may have run after it) on
/// `inputs`, in the order of trace.inputs (tensors on the CPU of the proxies' shapes and
/// dtypes, any strides; numbers for number proxies). Returns the trace's output tensors,
/// flattened in order. A region the executor cannot compile here (UnsupportedError) runs on
/// torch and is listed in report->fallbacks; with `strict`, that is an UnsupportedError
/// instead. BackendError/ShaderError from Vulkan or the compiler propagate. Runs from
/// several threads take turns (the device queue is not thread-safe).
std::vector<at::Tensor> run_spirv_trace(const SpirvExecutor& spirv, const Trace& trace,
                                        const std::vector<c10::IValue>& inputs,
                                        ExecutionReport* report = nullptr, bool strict = false);

} // namespace thunder::spirv
