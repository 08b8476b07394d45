// GLSL emitter: prints a Kernel as a GLSL 450 compute shader for the spirv executor
// (GlslEmitter -> ShadercCompiler -> VulkanRuntime). The shader's interface:
// - local_size_x = kGlslLocalSize; invocation i = gl_GlobalInvocationID.y *
//   (gl_NumWorkGroups.x * kGlslLocalSize) + gl_GlobalInvocationID.x, so a runtime may
//   dispatch in two dimensions when one would pass maxComputeWorkGroupCount[0];
// - set 0, bindings 0.. for the inputs in Kernel::inputs order, then the outputs, each a
//   std430 storage buffer `{ T data[]; }` of the dtype's storage type (bool, u8, i8 as 8-bit
//   integers; f16 and bf16 as uint16_t converted by bit operations, rounding to nearest even
//   whatever the driver's float16 conversions do; i64 as int64_t),
//   with the GL_EXT_shader_{8,16}bit_storage and explicit int64 extensions it needs (8/16-bit
//   values are only loaded and stored, computed in 32 bits, so a device needs the storage
//   features, shaderInt64 for i64 and shaderFloat64 for f64, never shaderFloat16/Int8/Int16;
//   the spirv executor refuses what the device lacks);
// - where GlslOptions asks for it, the SignedZeroInfNanPreserve execution mode, and f32 pow
//   computed in double (the only ways the source depends on the device);
// - a push constant `uint numel`: Kernel::num_invocations (invocations past it return);
// - a cooperative kernel (Kernel::cooperative) computes element gl_WorkGroupID.y *
//   gl_NumWorkGroups.x + gl_WorkGroupID.x with its whole workgroup: dispatch
//   workgroup_count(kernel) groups.
// The same kernel always gives the same source, byte for byte: names come from IR order.
// What GLSL cannot express faithfully (no double-precision exp, log, trig; integer pow) is
// an UnsupportedError naming the prim, so the caller leaves that region to another executor.
#pragma once

#include "thunder/executors/codegen/kernel_ir.h"

#include <string>

namespace thunder::codegen {

/// Invocations per workgroup of every generated shader.
inline constexpr int kGlslLocalSize = static_cast<int>(kWorkgroupSize);

/// What a shader may ask of the device beyond that interface; the spirv executor sets it from
/// the device (the source then depends on these flags, and on nothing else of the device).
struct GlslOptions {
  /// Ask the driver to keep NaN, infinities and signed zeros in 32-bit / 64-bit float
  /// arithmetic (SPV_KHR_float_controls' SignedZeroInfNanPreserve execution mode; the
  /// device's shaderSignedZeroInfNanPreserveFloat32/64). Without it a driver may assume there
  /// are none: lavapipe folds inf - inf to 0 and x * 0 to 0.
  bool preserve_inf_nan_32 = false;
  bool preserve_inf_nan_64 = false;
  /// The device computes in double (shaderFloat64): f32 pow then goes through double and is
  /// rounded once, where a driver's float pow may be exp2(y * log2(x)) in float.
  bool float64 = false;
};

/// The kernel as GLSL 450 compute shader source (see the header comment for its interface).
std::string emit_glsl(const Kernel& kernel, const GlslOptions& options = {});

} // namespace thunder::codegen
