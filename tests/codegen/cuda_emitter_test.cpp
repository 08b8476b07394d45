// The CUDA emitter on regions traced from ltorch functions: the source is compared with
// golden files in tests/golden/kernels/*.cu (THUNDER_UPDATE_GOLDEN=1 rewrites them), and
// emitting twice gives the same bytes. That each golden compiles is checked by NVRTC in
// tests/cuda (thunder_cuda_tests); here the emitter alone, torch-free.
#include "thunder/executors/codegen/cuda_emitter.h"

#include "../unit/golden.h"
#include "codegen_test_util.h"
#include "thunder/ops/ltorch.h"
#include "thunder/ops/prims.h"

#include <gtest/gtest.h>

namespace thunder::codegen {
namespace {

using thunder::testing::expect_matches_golden;
using thunder::testing::Region;
using thunder::testing::conv2d_relu_region;
using thunder::testing::region_of;
using thunder::testing::row_stats_kernel;

std::string emit_region(const Region& region, const std::string& name,
                        const std::map<std::string, Strides>& strides = {}) {
  return emit_cuda(
      make_kernel(name, region.prims, {region.trace.output.as_tensor()->name()}, strides));
}

void expect_cuda_golden(const std::string& source, const std::string& name) {
  expect_matches_golden(source, "kernels/" + name + ".cu");
}

TEST(CudaEmitter, GeluTanhOfBiasAdd) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {8, 64}, DType::Float32);
  auto bias = scope.input_tensor("bias", {64}, DType::Float32);
  const Region region = region_of(scope.finish(ltorch::gelu(ltorch::add(x, bias), "tanh")));
  const std::string source = emit_region(region, "gelu_tanh_bias");
  expect_cuda_golden(source, "gelu_tanh_bias");
  EXPECT_EQ(source, emit_region(region, "gelu_tanh_bias"));
}

TEST(CudaEmitter, SoftmaxInOneKernel) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {4, 16}, DType::Float32);
  const Region region = region_of(scope.finish(ltorch::softmax(x, 1)));
  expect_cuda_golden(emit_region(region, "softmax"), "softmax");
}

TEST(CudaEmitter, Float16InAndOutWithAStridedInput) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {2, 3, 4}, DType::Float16);
  auto w = scope.input_tensor("w", {2, 3, 4}, DType::Float16);
  const Region region = region_of(scope.finish(ltorch::mul(ltorch::relu(x), ltorch::sigmoid(w))));
  expect_cuda_golden(emit_region(region, "f16_strided", {{"w", {12, 1, 3}}}), "f16_strided");
}

TEST(CudaEmitter, BFloat16RoundTrip) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {16}, DType::BFloat16);
  auto y = ltorch::to(ltorch::mul(ltorch::to(x, DType::Float32), 3.0), DType::BFloat16);
  expect_cuda_golden(emit_region(region_of(scope.finish(y)), "bf16_scale"), "bf16_scale");
}

TEST(CudaEmitter, IntegerOpsAndInt64Reduction) {
  TraceScope scope;
  auto a = scope.input_tensor("a", {4, 8}, DType::Int32);
  auto b = scope.input_tensor("b", {4, 8}, DType::Int64);
  auto r = ltorch::remainder(a, 7);
  auto q = ltorch::bitwise_xor(ltorch::div(b, 3, "trunc"), ltorch::to(r, DType::Int64));
  auto m = ltorch::amax(ltorch::remainder(q, 5), Value::ints({1}));
  expect_cuda_golden(emit_region(region_of(scope.finish(m)), "integer_ops"), "integer_ops");
}

TEST(CudaEmitter, IntegerArithmeticWrapsAsTorchDoes) {
  // Signed overflow is undefined in C++ (NVRTC folds x + 1 > x to true); torch wraps, so
  // + - * neg abs and the integer sum go through unsigned arithmetic.
  TraceScope scope;
  auto a = scope.input_tensor("a", {4, 8}, DType::Int32);
  auto b = scope.input_tensor("b", {4, 8}, DType::Int64);
  auto x = ltorch::mul(ltorch::add(a, 1), ltorch::neg(ltorch::abs(a)));
  auto s = ltorch::sum(ltorch::sub(ltorch::to(x, DType::Int64), b), Value::ints({1}));
  expect_cuda_golden(emit_region(region_of(scope.finish(s)), "integer_wrap"), "integer_wrap");
}

TEST(CudaEmitter, DoubleMathIsPrintedNotRefused) {
  // GLSL has no double-precision exp; CUDA's library does, so the region stays on the GPU.
  TraceScope scope;
  auto x = scope.input_tensor("x", {8}, DType::Float64);
  const Region region = region_of(scope.finish(ltorch::erf(ltorch::exp(x))));
  expect_cuda_golden(emit_region(region, "double_math"), "double_math");
}

TEST(CudaEmitter, EmbeddingWithPositions) {
  // GPT-2's embeddings: token ids and iota positions index two tables; each gather checks
  // its index and reports one out of range in the status words.
  TraceScope scope;
  auto wte = scope.input_tensor("wte", {50, 16}, DType::Float32);
  auto wpe = scope.input_tensor("wpe", {32, 16}, DType::Float32);
  auto ids = scope.input_tensor("ids", {8}, DType::Int64);
  auto positions = prims::iota(8, 0, 1, DType::Int64, Device::cpu());
  auto out = ltorch::add(prims::index_select(wte, 0, ids), prims::index_select(wpe, 0, positions));
  const Region region = region_of(scope.finish(out));
  const Kernel kernel = make_kernel("embedding", region.prims, {out->name()});
  EXPECT_EQ(kernel.checks.size(), 2u);
  const std::string source = emit_cuda(kernel);
  expect_cuda_golden(source, "embedding");
  EXPECT_NE(source.find("unsigned int* __restrict__ status"), std::string::npos) << source;
}

TEST(CudaEmitter, PadThenCat) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {2, 3}, DType::Float32);
  auto y = scope.input_tensor("y", {2, 4}, DType::Float32);
  auto out = prims::cat({prims::pad(x, Value(0.5), {{0, 0, 0}, {-1, 2, 1}}), y}, 1);
  expect_cuda_golden(emit_region(region_of(scope.finish(out)), "pad_cat"), "pad_cat");
}

TEST(CudaEmitter, ArgminOfIntegers) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {3, 5, 2}, DType::Int32);
  auto out = prims::argmin(x, 1);
  expect_cuda_golden(emit_region(region_of(scope.finish(out)), "argmin_int"), "argmin_int");
}

TEST(CudaEmitter, CumsumAlongAMiddleDim) {
  // Each element sums its row in order under a mask (k < i + 1).
  TraceScope scope;
  auto x = scope.input_tensor("x", {2, 6, 3}, DType::Float16);
  auto out = prims::cumsum(x, 1);
  expect_cuda_golden(emit_region(region_of(scope.finish(out)), "cumsum"), "cumsum");
}

TEST(CudaEmitter, ConvolutionWithBiasAndRelu) {
  // One loop over the group's channels and the kernel's taps, the padding a bounds test on
  // each spatial coordinate, bias and relu after the loop; accumulated in f32 and rounded
  // once when stored.
  expect_cuda_golden(emit_region(conv2d_relu_region(), "conv2d_relu"), "conv2d_relu");
}

TEST(CudaEmitter, CooperativeRowStatistics) {
  // Each workgroup computes one row's three reductions, every lane taking every 256th
  // element, then combining the lanes' partials in shared memory (argmin's values and
  // indices, the first extreme winning); lane 0 stores.
  const Kernel kernel = row_stats_kernel();
  ASSERT_TRUE(kernel.cooperative);
  expect_cuda_golden(emit_cuda(kernel), "row_stats");
}

} // namespace
} // namespace thunder::codegen
