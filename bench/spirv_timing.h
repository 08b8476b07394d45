// What the spirv benchmarks share: the device banner (every one), and timing hand-recorded
// dispatches for those that time kernels rather than calls (thunder-bench-spirv-kernels,
// thunder-bench-spirv-matmul).
#pragma once

#include "thunder/executors/spirv/spirv_executor.h"
#include "thunder/executors/spirv/vulkan_runtime.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <iostream>
#include <span>
#include <vector>

namespace thunder::bench {

/// One dispatch of a batch: a pipeline, its buffers in binding order, its push constants
/// and its grid.
struct TimedDispatch {
  const spirv::Pipeline* pipeline = nullptr;
  std::vector<const spirv::Buffer*> buffers;
  std::vector<std::byte> push;
  std::uint32_t groups_x = 1, groups_y = 1, groups_z = 1;
  std::size_t read_only = 0; ///< leading buffers only read (Batch::dispatch)
};

/// Milliseconds per iteration of `dispatches`, recorded `iters` times into one batch (one
/// command buffer, one submit) after a warm-up batch of one iteration: the batch's wall
/// clock from recording to its fence, over `iters`.
inline double time_batches(spirv::VulkanRuntime& rt, const std::vector<TimedDispatch>& dispatches,
                           int iters) {
  const auto run = [&](int times) {
    spirv::Batch batch = rt.batch();
    for (int i = 0; i < times; ++i) {
      for (const TimedDispatch& d : dispatches) {
        batch.dispatch(*d.pipeline, d.buffers, d.push, d.groups_x, d.groups_y, d.groups_z,
                       d.read_only);
      }
    }
    batch.submit();
  };
  run(1);
  const auto start = std::chrono::steady_clock::now();
  run(iters);
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
             .count() /
         iters;
}

/// Prints the executor's device, and that a CPU implementation's figures are not GPU
/// figures; or, where it has none, why, returning false.
inline bool print_device(const spirv::SpirvExecutor& spirv) {
  if (const Availability a = spirv.availability(); !a.available) {
    std::cout << "no Vulkan device: " << a.reason << "\n";
    return false;
  }
  const spirv::DeviceInfo& device = spirv.runtime().device();
  std::cout << "device: " << device.name << " (" << device.type << "; " << device.driver << ")\n";
  if (device.type == "CPU") {
    std::cout << "note: a CPU implementation of Vulkan; these are not GPU figures\n";
  }
  return true;
}

} // namespace thunder::bench
