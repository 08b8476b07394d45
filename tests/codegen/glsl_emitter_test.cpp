// The GLSL emitter on regions traced from ltorch functions: the source is compared with
// golden files in tests/golden/kernels/ (THUNDER_UPDATE_GOLDEN=1 rewrites them), emitting
// twice gives the same bytes, and what GLSL cannot express is an exact UnsupportedError.
// The ctest glslc_compiles_<name> compiles each golden file for Vulkan.
#include "thunder/executors/codegen/glsl_emitter.h"

#include "codegen_test_util.h"
#include "thunder/core/error.h"
#include "thunder/ops/ltorch.h"
#include "thunder/ops/prims.h"

#include <gtest/gtest.h>

namespace thunder::codegen {
namespace {

using thunder::testing::expect_kernel_matches_golden;
using thunder::testing::Region;
using thunder::testing::conv2d_relu_region;
using thunder::testing::region_of;
using thunder::testing::row_stats_kernel;
using thunder::testing::slice_prims;

std::string output_name(const Region& region) {
  return region.trace.output.as_tensor()->name();
}

// Emits the whole region with the trace's output as the kernel's only output.
std::string emit_region(const Region& region, const std::string& name,
                        const std::map<std::string, Strides>& strides = {}) {
  return emit_glsl(make_kernel(name, region.prims, {output_name(region)}, strides));
}

Region gelu_tanh_bias() {
  TraceScope scope;
  auto x = scope.input_tensor("x", {8, 64}, DType::Float32);
  auto bias = scope.input_tensor("bias", {64}, DType::Float32);
  return region_of(scope.finish(ltorch::gelu(ltorch::add(x, bias), "tanh")));
}

TEST(GlslEmitter, GeluTanhOfBiasAdd) {
  const Region region = gelu_tanh_bias();
  expect_kernel_matches_golden(emit_region(region, "gelu_tanh_bias"), "gelu_tanh_bias");
}

TEST(GlslEmitter, AsksToKeepNanAndInfinitiesOnlyWhenTold) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {8}, DType::Float32);
  const Trace trace = scope.finish(prims::sub(x, x));
  const Kernel kernel = make_kernel("k", flatten_to_prims(trace.bound_symbols),
                                    {trace.output.as_tensor()->name()});
  EXPECT_EQ(emit_glsl(kernel).find("spirv_execution_mode"), std::string::npos);
  const std::string kept = emit_glsl(kernel, {.preserve_inf_nan_32 = true, .preserve_inf_nan_64 = true});
  EXPECT_NE(kept.find("#extension GL_EXT_spirv_intrinsics : require\n"), std::string::npos) << kept;
  EXPECT_NE(kept.find("spirv_execution_mode(extensions = [\"SPV_KHR_float_controls\"], "
                      "capabilities = [4466], 4461, 32);"),
            std::string::npos)
      << kept;
  // No f64 in this kernel: no mode for 64-bit floats.
  EXPECT_EQ(kept.find("4461, 64"), std::string::npos) << kept;
}

TEST(GlslEmitter, F32PowGoesThroughDoubleOnlyWhenTheDeviceHasIt) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {8}, DType::Float32);
  auto y = scope.input_tensor("y", {8}, DType::Float32);
  const Trace trace = scope.finish(prims::pow(x, y));
  const Kernel kernel = make_kernel("k", flatten_to_prims(trace.bound_symbols),
                                    {trace.output.as_tensor()->name()});
  const std::string plain = emit_glsl(kernel);
  EXPECT_NE(plain.find("float thunder_pow_core(float x, float y) { return pow(x, y); }"),
            std::string::npos)
      << plain;
  EXPECT_EQ(plain.find("double"), std::string::npos) << plain;
  const std::string wide = emit_glsl(kernel, {.float64 = true});
  EXPECT_NE(wide.find("double m = frexp(double(x), e);"), std::string::npos) << wide;
  EXPECT_EQ(wide.find("return pow(x, y); }"), std::string::npos) << wide;
}

TEST(GlslEmitter, EmittingTwiceGivesTheSameSource) {
  const Region region = gelu_tanh_bias();
  const Kernel kernel = make_kernel("k", region.prims, {output_name(region)});
  EXPECT_EQ(emit_glsl(kernel), emit_glsl(kernel));
  // A kernel built again from another trace of the same function prints the same too.
  const Region again = gelu_tanh_bias();
  EXPECT_EQ(emit_glsl(kernel), emit_glsl(make_kernel("k", again.prims, {output_name(again)})));
}

TEST(GlslEmitter, GeluErf) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {1024}, DType::Float32);
  const Region region = region_of(scope.finish(ltorch::gelu(x)));
  expect_kernel_matches_golden(emit_region(region, "gelu_erf"), "gelu_erf");
}

TEST(GlslEmitter, SoftmaxInOneKernel) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {4, 16}, DType::Float32);
  const Region region = region_of(scope.finish(ltorch::softmax(x, 1)));
  expect_kernel_matches_golden(emit_region(region, "softmax"), "softmax");
}

TEST(GlslEmitter, SoftmaxPiecesInTwoKernels) {
  // amax, sub, exp, sum in one kernel with two outputs of different sizes; div in another.
  TraceScope scope;
  auto x = scope.input_tensor("x", {4, 16}, DType::Float32);
  auto m = ltorch::amax(x, Value::ints({1}), true);
  auto e = ltorch::exp(ltorch::sub(x, m));
  auto s = ltorch::sum(e, Value::ints({1}), true);
  auto y = ltorch::div(e, s);
  const Region region = region_of(scope.finish(y));
  // The prims up to and including the sum's keepdim broadcast make the first kernel.
  std::size_t split = 0;
  for (std::size_t i = 0; i < region.prims.size(); ++i) {
    if (region.prims[i]->output.as_tensor()->name() == s->name()) split = i + 1;
  }
  ASSERT_GT(split, 0u);
  const Kernel first =
      make_kernel("softmax_reduce", slice_prims(region, 0, split), {e->name(), s->name()});
  ASSERT_EQ(first.outputs.size(), 2u);
  EXPECT_EQ(first.outputs[1].shape, (Shape{4, 1}));
  EXPECT_EQ(first.num_invocations, 64);
  expect_kernel_matches_golden(emit_glsl(first), "softmax_reduce");
  const Kernel second =
      make_kernel("softmax_div", slice_prims(region, split, region.prims.size()), {y->name()});
  ASSERT_EQ(second.inputs.size(), 2u);
  // In order of first use: div broadcasts s before it divides.
  EXPECT_EQ(second.inputs[0].name, s->name());
  EXPECT_EQ(second.inputs[1].name, e->name());
  expect_kernel_matches_golden(emit_glsl(second), "softmax_div");
}

TEST(GlslEmitter, TransposeThenAdd) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {4, 8}, DType::Float32);
  auto y = scope.input_tensor("y", {8, 4}, DType::Float32);
  const Region region = region_of(scope.finish(ltorch::add(ltorch::transpose(x, 0, 1), y)));
  expect_kernel_matches_golden(emit_region(region, "transpose_add"), "transpose_add");
}

TEST(GlslEmitter, Float16InAndOutWithAStridedInput) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {2, 3, 4}, DType::Float16);
  auto w = scope.input_tensor("w", {2, 3, 4}, DType::Float16);
  const Region region = region_of(scope.finish(ltorch::mul(ltorch::relu(x), ltorch::sigmoid(w))));
  // w is a view with its last two dims swapped in memory: strides [12, 1, 3].
  expect_kernel_matches_golden(emit_region(region, "f16_strided", {{"w", {12, 1, 3}}}),
                               "f16_strided");
}

TEST(GlslEmitter, BFloat16RoundTrip) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {16}, DType::BFloat16);
  auto y = ltorch::to(ltorch::mul(ltorch::to(x, DType::Float32), 3.0), DType::BFloat16);
  const Region region = region_of(scope.finish(y));
  expect_kernel_matches_golden(emit_region(region, "bf16_scale"), "bf16_scale");
}

TEST(GlslEmitter, ConvertToIntegersAndBool) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {32}, DType::Float32);
  auto as_int = ltorch::to(x, DType::Int32);
  auto as_i8 = ltorch::to(ltorch::add(as_int, 100), DType::Int8);
  auto as_long = ltorch::to(as_i8, DType::Int64);
  auto positive = ltorch::gt(x, 0.0);
  const Region region = region_of(scope.finish(Value::List{Value(as_long), Value(positive)}));
  const Kernel kernel =
      make_kernel("convert_int", region.prims, {as_long->name(), positive->name()});
  expect_kernel_matches_golden(emit_glsl(kernel), "convert_int");
}

TEST(GlslEmitter, BoolAndInt8Inputs) {
  TraceScope scope;
  auto mask = scope.input_tensor("mask", {16}, DType::Bool);
  auto a = scope.input_tensor("a", {16}, DType::Int8);
  auto x = scope.input_tensor("x", {16}, DType::Float32);
  auto doubled = ltorch::add(a, a); // int8: wraps at 8 bits
  auto y = ltorch::where(mask, ltorch::to(doubled, DType::Float32), x);
  const Region region = region_of(scope.finish(Value::List{Value(doubled), Value(y)}));
  const Kernel kernel = make_kernel("bool_int8", region.prims, {doubled->name(), y->name()});
  expect_kernel_matches_golden(emit_glsl(kernel), "bool_int8");
}

TEST(GlslEmitter, ReshapeThenSum) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {2, 3, 4}, DType::Float32);
  const Region region =
      region_of(scope.finish(ltorch::sum(ltorch::reshape(x, {6, 4}), Value::ints({1}))));
  expect_kernel_matches_golden(emit_region(region, "reshape_sum"), "reshape_sum");
}

TEST(GlslEmitter, FloatHelpers) {
  // Every helper function of float math, so glslc compiles each of them.
  TraceScope scope;
  auto x = scope.input_tensor("x", {64}, DType::Float32);
  auto y = scope.input_tensor("y", {64}, DType::Float32);
  auto logs = ltorch::add(ltorch::add(ltorch::log(x), ltorch::log2(y)), ltorch::log1p(x));
  auto exps = ltorch::add(ltorch::expm1(y), ltorch::pow(x, y));
  auto mods = ltorch::add(ltorch::remainder(x, y), ltorch::fmod(x, y));
  auto rest = ltorch::add(ltorch::maximum(x, y), ltorch::atan2(x, y));
  auto out = ltorch::add(ltorch::add(logs, exps), ltorch::add(mods, rest));
  const Region region = region_of(scope.finish(out));
  expect_kernel_matches_golden(emit_region(region, "float_helpers"), "float_helpers");
}

TEST(GlslEmitter, IntegerOpsAndInt64Reduction) {
  TraceScope scope;
  auto a = scope.input_tensor("a", {4, 8}, DType::Int32);
  auto b = scope.input_tensor("b", {4, 8}, DType::Int64);
  auto r = ltorch::remainder(a, 7);
  auto q = ltorch::bitwise_xor(ltorch::div(b, 3, "trunc"), ltorch::to(r, DType::Int64));
  auto m = ltorch::amax(ltorch::remainder(q, 5), Value::ints({1}));
  const Region region = region_of(scope.finish(m));
  expect_kernel_matches_golden(emit_region(region, "integer_ops"), "integer_ops");
}

// Every storage type in one kernel: f64, i64, i16, u8, bf16 buffers in and out. Emission
// is device-independent: the shader asks only for the storage extensions (and int64) its
// buffers need, computing 8/16-bit values in 32 bits, and the spirv executor refuses kernels
// whose dtypes its device lacks the features for (VulkanRuntime::features()).
TEST(GlslEmitter, EveryStorageDtypeInOneKernel) {
  TraceScope scope;
  auto d = scope.input_tensor("d", {8}, DType::Float64);
  auto l = scope.input_tensor("l", {8}, DType::Int64);
  auto s = scope.input_tensor("s", {8}, DType::Int16);
  auto u = scope.input_tensor("u", {8}, DType::UInt8);
  auto b = scope.input_tensor("b", {8}, DType::BFloat16);
  auto d2 = ltorch::mul(d, 0.25);
  auto l2 = ltorch::sub(l, ltorch::to(s, DType::Int64));
  auto s2 = ltorch::add(s, s); // int16: wraps at 16 bits
  auto u2 = ltorch::bitwise_xor(u, 255);
  auto b2 = ltorch::add(b, ltorch::to(d2, DType::BFloat16));
  const Region region =
      region_of(scope.finish(Value::List{Value(d2), Value(l2), Value(s2), Value(u2), Value(b2)}));
  const Kernel kernel = make_kernel("storage_dtypes", region.prims,
                                    {d2->name(), l2->name(), s2->name(), u2->name(), b2->name()});
  const std::string source = emit_glsl(kernel);
  expect_kernel_matches_golden(source, "storage_dtypes");
  EXPECT_NE(source.find("#extension GL_EXT_shader_8bit_storage : require"), std::string::npos);
  EXPECT_NE(source.find("#extension GL_EXT_shader_16bit_storage : require"), std::string::npos);
  EXPECT_NE(source.find("GL_EXT_shader_explicit_arithmetic_types_int64"), std::string::npos);
  EXPECT_EQ(source.find("arithmetic_types_float16"), std::string::npos) << source;
  EXPECT_EQ(source.find("arithmetic_types_int8"), std::string::npos) << source;
  EXPECT_EQ(source.find("arithmetic_types_int16"), std::string::npos) << source;
}

TEST(GlslEmitter, DoubleExpIsUnsupported) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {8}, DType::Float64);
  const Region region = region_of(scope.finish(ltorch::exp(x)));
  const Kernel kernel = make_kernel("exp64", region.prims, {output_name(region)});
  try {
    emit_glsl(kernel);
    FAIL() << "expected UnsupportedError";
  } catch (const UnsupportedError& e) {
    EXPECT_STREQ(e.what(), "emit_glsl: kernel exp64: prims.exp on float64 cannot be written in "
                           "GLSL, which has no double-precision exp; leave this region to "
                           "another executor");
  }
}

TEST(GlslEmitter, DoubleArithmeticIsEmitted) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {8}, DType::Float64);
  const Region region = region_of(scope.finish(ltorch::sqrt(ltorch::add(x, 0.5))));
  const std::string source = emit_region(region, "sqrt64");
  EXPECT_NE(source.find("double v1 = (v0 + 0.5lf);"), std::string::npos) << source;
  EXPECT_NE(source.find("double v2 = sqrt(v1);"), std::string::npos) << source;
}

TEST(GlslEmitter, PadThenCat) {
  // The padding and the choice among cat's inputs are selects on index ranges, and every
  // load reads a clamped, in-bounds element.
  TraceScope scope;
  auto x = scope.input_tensor("x", {2, 3}, DType::Float32);
  auto y = scope.input_tensor("y", {2, 4}, DType::Float16);
  auto padded = prims::pad(x, Value(0.5), {{0, 0, 0}, {-1, 2, 1}});
  auto out = prims::cat({padded, ltorch::to(y, DType::Float32)}, 1);
  expect_kernel_matches_golden(emit_region(region_of(scope.finish(out)), "pad_cat"), "pad_cat");
}

TEST(GlslEmitter, IndexSelectChecksItsIndices) {
  // An int32 index: the status buffer follows the output, and an index out of range
  // sets it instead of reading past the table.
  TraceScope scope;
  auto table = scope.input_tensor("table", {10, 8}, DType::Float32);
  auto ids = scope.input_tensor("ids", {6}, DType::Int32);
  auto positions = prims::iota(6, 2, 1, DType::Int64, Device::cpu());
  auto out = ltorch::add(prims::index_select(table, 0, ids),
                         ltorch::to(ltorch::unsqueeze(positions, 1), DType::Float32));
  const std::string source = emit_region(region_of(scope.finish(out)), "index_select");
  expect_kernel_matches_golden(source, "index_select");
  EXPECT_NE(source.find("buffer Status { uint data[]; } status;"), std::string::npos) << source;
}

TEST(GlslEmitter, ArgmaxKeepsTheFirstExtreme) {
  // An index-returning reduction: the value and its int64 index, a NaN the extreme.
  TraceScope scope;
  auto x = scope.input_tensor("x", {4, 6}, DType::Float32);
  auto out = prims::argmax(ltorch::mul(x, 2.0), 1);
  expect_kernel_matches_golden(emit_region(region_of(scope.finish(out)), "argmax"), "argmax");
}

TEST(GlslEmitter, ConvolutionWithBiasAndRelu) {
  // One loop over the group's channels and the kernel's taps, the padding a bounds test on
  // each spatial coordinate, bias and relu after the loop; accumulated in f32 and rounded
  // once when stored.
  expect_kernel_matches_golden(emit_region(conv2d_relu_region(), "conv2d_relu"), "conv2d_relu");
}

TEST(GlslEmitter, CooperativeRowStatistics) {
  // Each workgroup computes one row's three reductions, every lane taking every 256th
  // element, then combining the lanes' partials in shared memory (argmin's values and
  // indices, the first extreme winning); lane 0 stores.
  const Kernel kernel = row_stats_kernel();
  ASSERT_TRUE(kernel.cooperative);
  expect_kernel_matches_golden(emit_glsl(kernel), "row_stats");
}

} // namespace
} // namespace thunder::codegen
