// thunder-bench-spirv-kernels: the bandwidth of kernels the GLSL emitter generates, against a
// copy shader written by hand, on one Vulkan device (THUNDER_VK_DEVICE picks it).
//
//   thunder-bench-spirv-kernels [--elements N] [--iters K]
//
// Each case (bench/kernel_cases.h) runs as its fusion regions, K times in one command
// buffer after one warm-up batch; the time per iteration is the batch's wall clock (submit
// to fence) over K. GB/s counts the bytes an ideal fusion moves (inputs read once, outputs
// written once), so a case split into several kernels pays for its intermediates. On a CPU
// implementation (lavapipe) it runs, and says that its figures are not GPU figures.
#include "kernel_cases.h"
#include "spirv_timing.h"

#include "thunder/core/error.h"
#include "thunder/executors/codegen/kernel_ir.h"
#include "thunder/executors/spirv/shaderc_compiler.h"
#include "thunder/executors/spirv/spirv_executor.h"
#include "thunder/executors/spirv/vulkan_runtime.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace {

using namespace thunder;
using namespace thunder::spirv;

using bench::TimedDispatch;

TimedDispatch grid(const Pipeline& pipeline, std::vector<const Buffer*> buffers,
                   std::int64_t numel, std::int64_t groups) {
  TimedDispatch d{&pipeline, std::move(buffers)};
  const auto n = static_cast<std::uint32_t>(numel);
  const auto* bytes = reinterpret_cast<const std::byte*>(&n);
  d.push.assign(bytes, bytes + sizeof(n));
  // Two-dimensional past the 65535 groups every device allows in x, as the runner does.
  d.groups_x = static_cast<std::uint32_t>(std::min<std::int64_t>(groups, 65535));
  d.groups_y = static_cast<std::uint32_t>((groups + d.groups_x - 1) / d.groups_x);
  return d;
}

const char* kCopyShader = R"(#version 450
layout(local_size_x = 256) in;
layout(std430, set = 0, binding = 0) readonly buffer In { float data[]; } src;
layout(std430, set = 0, binding = 1) writeonly buffer Out { float data[]; } dst;
layout(push_constant) uniform PushConstants { uint numel; } pc;
void main() {
  uint i = gl_GlobalInvocationID.y * (gl_NumWorkGroups.x * 256u) + gl_GlobalInvocationID.x;
  if (i < pc.numel) dst.data[i] = src.data[i];
}
)";

} // namespace

int main(int argc, char** argv) {
  const std::optional<bench::BenchArgs> args =
      bench::parse_bench_args(argc, argv, "thunder-bench-spirv-kernels");
  if (!args) return 1;
  std::int64_t elements = args->elements;
  const int iters = args->iters;
  try {
    SpirvExecutor spirv;
    if (!bench::print_device(spirv)) return 2;
    VulkanRuntime& rt = spirv.runtime();
    // Every buffer must fit one binding.
    const auto max_elements = static_cast<std::int64_t>(rt.max_storage_buffer_range() / 4);
    if (elements > max_elements) {
      elements = max_elements / bench::kColumns * bench::kColumns;
      std::cout << "elements reduced to " << elements << " (maxStorageBufferRange "
                << rt.max_storage_buffer_range() << " bytes)\n";
    }

    const std::size_t f32_bytes = static_cast<std::size_t>(elements) * 4;
    Buffer src = rt.create_buffer(f32_bytes);
    Buffer dst = rt.create_buffer(f32_bytes);
    const auto words = spirv.compiler().compile(kCopyShader);
    const Pipeline copy = rt.create_pipeline(*words, PipelineLayout{2, 4, "copy_f32"});
    const double copy_ms = bench::time_batches(
        rt, {grid(copy, {&src, &dst}, elements, (elements + 255) / 256)}, iters);
    const double copy_gbs = 2.0 * static_cast<double>(f32_bytes) / copy_ms / 1e6;
    std::printf("%-24s %8s %10s %12s %10s %8s\n", "case", "kernels", "ms", "MB (ideal)", "GB/s",
                "of copy");
    std::printf("%-24s %8d %10.4f %12.1f %10.1f %7.1f%%\n", "copy_f32 (hand-written)", 1, copy_ms,
                2.0 * static_cast<double>(f32_bytes) / 1e6, copy_gbs, 100.0);

    for (const bench::KernelCase& c : bench::kernel_cases(elements, spirv)) {
      std::map<std::string, Buffer> buffers; // By proxy name: trace inputs and every region's.
      const auto buffer_of = [&](const codegen::Buffer& b) -> const Buffer* {
        auto it = buffers.find(b.name);
        if (it == buffers.end()) {
          it = buffers.emplace(b.name, rt.create_buffer(std::max<std::size_t>(
                                           bench::bytes_of(b.shape, b.dtype), 4)))
                   .first;
        }
        return &it->second;
      };
      std::vector<std::shared_ptr<const Pipeline>> pipelines;
      std::vector<TimedDispatch> dispatches;
      for (const BoundSymbol& region : c.fused.bound_symbols) {
        if (region.symbol->ns != SymbolNamespace::Fusion) {
          throw UnsupportedError(str(c.name, ": ", region.symbol->qualified_name(),
                                     " is not in a spirv region; the case must be all kernels"));
        }
        const auto compiled = spirv.compile(region);
        pipelines.push_back(compiled->pipeline);
        std::vector<const Buffer*> bound;
        for (const codegen::Buffer& b : compiled->kernel.inputs)
          bound.push_back(buffer_of(b));
        for (const codegen::Buffer& b : compiled->kernel.outputs)
          bound.push_back(buffer_of(b));
        dispatches.push_back(grid(*compiled->pipeline, bound, compiled->kernel.num_invocations,
                                  codegen::workgroup_count(compiled->kernel)));
      }
      // Buffers hold whatever the driver gave: no kernel here branches on values but for
      // NaN tests, so the timing does not depend on them.
      const double ms = bench::time_batches(rt, dispatches, iters);
      const auto moved = static_cast<double>(bench::ideal_bytes(c.trace));
      const double gbs = moved / ms / 1e6;
      std::printf("%-24s %8zu %10.4f %12.1f %10.1f %7.1f%%\n", c.name.c_str(), dispatches.size(),
                  ms, moved / 1e6, gbs, 100.0 * gbs / copy_gbs);
    }
    std::printf("(%lld elements as [%lld, %lld]; %d iterations in one command buffer after a "
                "warm-up; GB/s counts each input read once and each output written once)\n",
                static_cast<long long>(elements),
                static_cast<long long>(elements / bench::kColumns),
                static_cast<long long>(bench::kColumns), iters);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "thunder-bench-spirv-kernels: " << e.what() << "\n";
    return 1;
  }
}
