// The spirv executor on the dtypes beyond f32/i32 (lavapipe in CI): f16, bf16, bool, int8,
// int16, int64 and float64 tensors run in spirv kernels where the device enables the
// features their buffers need (VulkanRuntime::features()), with torch's results; and the
// GLSL helpers that give C's results where GLSL leaves them undefined (fmod, remainder,
// atan2, pow on NaN and infinities), each checked on the device against torch; and long
// reductions, whose kernels are cooperative (a workgroup per element, combining in shared
// memory), against torch on every reduction, dtype and edge value they take.
#include "thunder/executors/spirv/spirv_torch.h"

#include "thunder/core/error.h"
#include "thunder/core/tracing.h"
#include "thunder/executors/codegen/kernel_ir.h"
#include "thunder/ops/ltorch.h"
#include "thunder/passes/common_subexpression_elimination.h"

#include "thunder/ops/prims.h"

#include "spirv_torch_test_util.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace {

using thunder::DType;
using thunder::Trace;
using thunder::Value;
using thunder::spirv::ExecutionReport;
using thunder::spirv::SpirvExecutor;
using thunder::spirv::TorchFallbackExecutor;
namespace lt = thunder::ltorch;

using thunder::spirv::testing::spirv;

// Runs the trace on spirv (`executor`, the binary's by default); every prim must have run
// in a spirv kernel and the validation layer (THUNDER_VK_VALIDATION=1) must have said
// nothing. `cooperative`, where given, counts the regions whose kernel is cooperative.
std::vector<at::Tensor> run_on_spirv(const Trace& trace, const std::vector<at::Tensor>& inputs,
                                     SpirvExecutor& executor = spirv(),
                                     int* cooperative = nullptr) {
  TorchFallbackExecutor torch;
  std::vector<thunder::Fallback> assigned;
  const Trace prepared = thunder::spirv::prepare_spirv_trace(trace, executor, torch, &assigned);
  executor.runtime().clear_validation_messages();
  ExecutionReport report;
  std::vector<at::Tensor> out = thunder::spirv::run_spirv_trace(
      executor, prepared, std::vector<c10::IValue>(inputs.begin(), inputs.end()), &report);
  // The trace's prims, a prim repeated with the same arguments once (the compile pipeline
  // eliminates such repeats after decomposing).
  Trace flat = trace;
  flat.bound_symbols.clear();
  for (const thunder::BoundSymbol* prim : thunder::codegen::flatten_to_prims(trace.bound_symbols))
    flat.bound_symbols.push_back(*prim);
  const std::size_t prims = thunder::common_subexpression_elimination(flat).bound_symbols.size();
  // Every prim ran on spirv (rematerialize may have a region recompute a few another made).
  EXPECT_GE(report.prims["spirv"], prims) << prepared.to_string() << report.to_string();
  EXPECT_EQ(report.prims.count("torch"), 0u) << report.to_string();
  EXPECT_TRUE(report.fallbacks.empty()) << report.to_string();
  for (const thunder::Fallback& f : assigned)
    ADD_FAILURE() << f.op << " went to torch: " << f.reason;
  if (executor.runtime().validation_enabled()) {
    EXPECT_EQ(executor.runtime().validation_messages(), std::vector<std::string>{});
  }
  if (cooperative != nullptr) {
    *cooperative = 0;
    for (const thunder::BoundSymbol& b : prepared.bound_symbols) {
      if (b.symbol->ns == thunder::SymbolNamespace::Fusion && executor.compile(b)->kernel.cooperative)
        ++*cooperative;
    }
  }
  return out;
}

// An executor whose generated kernels are cooperative wherever make_kernel makes them so,
// even on a CPU device (lavapipe), where they are off by default.
SpirvExecutor& cooperative_spirv() {
  static const std::unique_ptr<SpirvExecutor> executor = [] {
    thunder::spirv::RuntimeOptions options;
    options.cooperative = 1;
    auto opened = std::make_unique<SpirvExecutor>(options);
    opened->availability();
    return opened;
  }();
  return *executor;
}

const thunder::spirv::DeviceFeatures& features() {
  return spirv().runtime().features();
}

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNan = std::numeric_limits<float>::quiet_NaN();

at::Tensor floats(const std::vector<float>& v) {
  return at::tensor(v, at::kFloat);
}

TEST(SpirvDtypes, Float16AndBFloat16ComputeInFloatAndRoundOnStore) {
  THUNDER_SPIRV_OR_SKIP();
  if (!features().storage_buffer_16bit) GTEST_SKIP() << "no 16-bit storage on this device";
  for (const DType dtype : {DType::Float16, DType::BFloat16}) {
    thunder::TraceScope scope("half");
    auto a = scope.input_tensor("a", {64}, dtype);
    auto b = scope.input_tensor("b", {64}, dtype);
    const Trace trace = scope.finish(lt::add(lt::mul(a, b), lt::tanh(a)));
    const c10::ScalarType st = dtype == DType::Float16 ? at::kHalf : at::kBFloat16;
    const at::Tensor x = at::randn({64}, at::kFloat).mul(3).to(st);
    const at::Tensor y = at::randn({64}, at::kFloat).to(st);
    const std::vector<at::Tensor> out = run_on_spirv(trace, {x, y});
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].scalar_type(), st);
    // torch rounds x * y to the dtype before the add; the fused kernel keeps f32 in between.
    const at::Tensor expected = (x.to(at::kFloat) * y.to(at::kFloat) + x.to(at::kFloat).tanh());
    EXPECT_TRUE(at::allclose(out[0].to(at::kFloat), expected, 1e-2, 1e-2))
        << out[0] << expected;
  }
}

TEST(SpirvDtypes, Float16RoundsToNearestEvenAndLoadsExactlyEverywhere) {
  // Every f16 value is loaded exactly (all 65536 bit patterns, NaNs as NaN); f32 -> f16
  // rounds to nearest even at ties of normals and subnormals, at the overflow edge and
  // for random floats over f16's whole range, bit for bit as torch does.
  THUNDER_SPIRV_OR_SKIP();
  if (!features().storage_buffer_16bit) GTEST_SKIP() << "no 16-bit storage on this device";
  const at::Tensor all_halves =
      at::arange(0, 65536, at::kInt).to(at::kShort).view(at::kHalf).contiguous();
  at::Tensor ties = floats({1.0f + 0.00048828125f, 1.0f + 3 * 0.00048828125f, 65504.0f,
                            65519.0f, 65520.0f, -65520.0f, 1e6f, 2.9802322e-8f, 8.940697e-8f,
                            5.9604645e-8f * 2.5f, 1e-9f, -0.0f, kNan, -kInf, 6.1035156e-5f,
                            6.1035156e-5f * (1.0f - 0.0004f)});
  const at::Tensor random =
      at::exp(at::rand({20000}, at::kDouble) * 30.0 - 19.0).to(at::kFloat) *
      at::where(at::rand({20000}, at::kDouble) < 0.5, -1.0, 1.0).to(at::kFloat);
  const at::Tensor x = at::cat({ties, random});
  thunder::TraceScope scope("f16_round_trip");
  auto h = scope.input_tensor("h", {65536}, DType::Float16);
  auto f = scope.input_tensor("f", {x.numel()}, DType::Float32);
  const Trace trace = scope.finish(
      Value::List{Value(lt::to(h, DType::Float32)), Value(lt::to(f, DType::Float16))});
  const std::vector<at::Tensor> out = run_on_spirv(trace, {all_halves, x});
  ASSERT_EQ(out.size(), 2u);
  const at::Tensor loaded = all_halves.to(at::kFloat);
  EXPECT_TRUE(at::equal(out[0].isnan(), loaded.isnan()));
  const at::Tensor numbers = ~loaded.isnan();
  EXPECT_TRUE(at::equal(out[0].index({numbers}).view(at::kInt), loaded.index({numbers}).view(at::kInt)))
      << "an f16 value was not loaded exactly (sign of zero included)";
  const at::Tensor rounded = x.to(at::kHalf);
  const at::Tensor same_bits = out[1].view(at::kShort) == rounded.view(at::kShort);
  const at::Tensor wrong = ~same_bits & ~(out[1].isnan() & rounded.isnan());
  EXPECT_EQ(wrong.sum().item<std::int64_t>(), 0)
      << "x = " << x.index({wrong}).slice(0, 0, 6) << " gives " << out[1].index({wrong}).slice(0, 0, 6)
      << ", torch " << rounded.index({wrong}).slice(0, 0, 6);
}

TEST(SpirvDtypes, BFloat16KeepsNanAndRoundsToNearestEven) {
  THUNDER_SPIRV_OR_SKIP();
  if (!features().storage_buffer_16bit) GTEST_SKIP() << "no 16-bit storage on this device";
  thunder::TraceScope scope("to_bf16");
  auto x = scope.input_tensor("x", {6}, DType::Float32);
  const Trace trace = scope.finish(lt::to(x, DType::BFloat16));
  // 1 + 2^-8 is a tie (rounds to 1, even); 1 + 3 * 2^-8 rounds up to 1 + 2^-6.
  const at::Tensor in = floats({kNan, -kNan, kInf, 1.0f + 0.00390625f, 1.0f + 0.01171875f, -0.0f});
  const std::vector<at::Tensor> out = run_on_spirv(trace, {in});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(at::equal(out[0].isnan(), in.to(at::kBFloat16).isnan())) << out[0];
  EXPECT_TRUE(at::allclose(out[0].to(at::kFloat), in.to(at::kBFloat16).to(at::kFloat), 0, 0,
                           /*equal_nan=*/true))
      << out[0];
}

TEST(SpirvDtypes, BoolInt8Int16Int64AndFloat64RunInSpirvKernels) {
  THUNDER_SPIRV_OR_SKIP();
  const auto& f = features();
  if (!(f.storage_buffer_8bit && f.storage_buffer_16bit && f.shader_int64 && f.shader_float64)) {
    GTEST_SKIP() << "the device lacks some of the features: " << f.to_string();
  }
  thunder::TraceScope scope("wide_narrow");
  auto b = scope.input_tensor("b", {32}, DType::Int8);
  auto s = scope.input_tensor("s", {32}, DType::Int16);
  auto l = scope.input_tensor("l", {32}, DType::Int64);
  auto d = scope.input_tensor("d", {32}, DType::Float64);
  auto bb = lt::add(b, b);                        // int8 wraps
  auto ss = lt::mul(s, s);                        // int16 wraps
  auto ll = lt::mul(l, 3000000000LL);             // past int32
  auto dd = lt::where(lt::gt(d, 0.0), lt::mul(d, 1e-300), d); // bool condition, f64 range
  const Trace trace =
      scope.finish(Value(std::vector<Value>{Value(bb), Value(ss), Value(ll), Value(dd)}));
  const at::Tensor xb = at::arange(-16, 16, at::kChar).mul(5);
  const at::Tensor xs = at::arange(-16, 16, at::kShort).mul(700);
  const at::Tensor xl = at::arange(-16, 16, at::kLong);
  const at::Tensor xd = at::randn({32}, at::kDouble);
  const std::vector<at::Tensor> out = run_on_spirv(trace, {xb, xs, xl, xd});
  ASSERT_EQ(out.size(), 4u);
  EXPECT_TRUE(at::equal(out[0], xb + xb)) << out[0];
  EXPECT_TRUE(at::equal(out[1], xs * xs)) << out[1];
  EXPECT_TRUE(at::equal(out[2], xl * 3000000000LL)) << out[2];
  EXPECT_TRUE(at::equal(out[3], at::where(xd > 0, xd * 1e-300, xd))) << out[3];
}

// One binary op of f32 tensors on spirv, compared with torch's result: NaN where torch has
// NaN, and within `tol` (relative and absolute) elsewhere (infinities equal).
void expect_binary_matches_torch(const std::string& name,
                                 const std::function<thunder::TensorProxyPtr(
                                     const thunder::TensorProxyPtr&, const thunder::TensorProxyPtr&)>& op,
                                 const at::Tensor& a, const at::Tensor& b, const at::Tensor& expected,
                                 double tol = 0) {
  thunder::TraceScope scope(name);
  auto x = scope.input_tensor("a", {a.numel()}, DType::Float32);
  auto y = scope.input_tensor("b", {b.numel()}, DType::Float32);
  const Trace trace = scope.finish(op(x, y));
  const std::vector<at::Tensor> out = run_on_spirv(trace, {a, b});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(at::allclose(out[0], expected, tol, tol, /*equal_nan=*/true))
      << name << ":\n got      " << out[0] << "\n expected " << expected;
}

TEST(SpirvNumerics, FmodIsExactForHugeQuotientsAndInfiniteDivisors) {
  THUNDER_SPIRV_OR_SKIP();
  const at::Tensor a = floats({0.1f, -0.1f, 7.0f, 1e30f, -1e30f, 3e38f, 5.5f, kInf, kNan, 2.0f, -4.0f});
  const at::Tensor b = floats({kInf, -kInf, 1e30f, 2.5f, 2.5f, 1e-30f, -2.0f, 2.0f, 1.0f, 0.0f, 2.0f});
  expect_binary_matches_torch(
      "fmod", [](const auto& x, const auto& y) { return lt::fmod(x, y); }, a, b, at::fmod(a, b));
}

TEST(SpirvNumerics, RemainderTakesTheDivisorsSignForHugeQuotientsAndInfiniteDivisors) {
  THUNDER_SPIRV_OR_SKIP();
  const at::Tensor a = floats({0.1f, -0.1f, 7.0f, 1e30f, -1e30f, 3e38f, 5.5f, -5.5f, kNan, 2.0f});
  const at::Tensor b = floats({kInf, kInf, -1e30f, -2.5f, 2.5f, 1e-30f, -2.0f, 2.0f, 1.0f, 0.0f});
  expect_binary_matches_torch(
      "remainder", [](const auto& x, const auto& y) { return lt::remainder(x, y); }, a, b,
      at::remainder(a, b));
}

TEST(SpirvNumerics, Atan2PropagatesNanAndHandlesInfinitiesAndZeros) {
  THUNDER_SPIRV_OR_SKIP();
  const at::Tensor y = floats({kNan, 1.0f, kInf, kInf, -kInf, 1.0f, -1.0f, kInf, 0.0f, -0.0f, 0.0f, 1.0f});
  const at::Tensor x = floats({1.0f, kNan, kInf, -kInf, -kInf, -kInf, -kInf, 1.0f, -0.0f, -0.0f, 0.0f, 2.0f});
  expect_binary_matches_torch(
      "atan2", [](const auto& a, const auto& b) { return lt::atan2(a, b); }, y, x,
      at::atan2(y, x), 1e-6);
}

TEST(SpirvNumerics, PowOfNanIsNanButPowOfOneOrToTheZeroIsOne) {
  THUNDER_SPIRV_OR_SKIP();
  const at::Tensor a = floats({kNan, kNan, 1.0f, 2.0f, -2.0f, 0.0f});
  const at::Tensor b = floats({3.0f, 0.0f, kNan, kNan, 3.0f, -1.0f});
  expect_binary_matches_torch(
      "pow", [](const auto& x, const auto& y) { return lt::pow(x, y); }, a, b, at::pow(a, b),
      1e-6);
}

TEST(SpirvNumerics, PowOfNegativeOrInfiniteBaseFollowsC) {
  THUNDER_SPIRV_OR_SKIP();
  const at::Tensor a = floats({-kInf, -kInf, -kInf, -kInf, -0.5f, -2.0f, -1.0f, -2.0f, 0.5f, 2.0f});
  const at::Tensor b = floats({0.5f, -0.5f, 3.0f, -3.0f, kInf, kInf, -kInf, 0.5f, -kInf, -kInf});
  expect_binary_matches_torch(
      "pow_edges", [](const auto& x, const auto& y) { return lt::pow(x, y); }, a, b,
      at::pow(a, b), 1e-6);
}

TEST(SpirvNumerics, PowIsRoundedOnceFromDoubleWhereTheDeviceHasIt) {
  // Results up to 2^120 and down to 2^-140 (subnormal), positive and negative bases: with
  // shaderFloat64 the emitter computes f32 pow in double, so each result is the float64 one
  // rounded to float, to within an ulp; NVIDIA's float pow was 40 ulp off at 2.3e21.
  THUNDER_SPIRV_OR_SKIP();
  at::manual_seed(3);
  const at::Tensor x = at::rand({4096}) * 1000.0 + 0.001;
  at::Tensor y = at::rand({4096}) * 24.0 - 12.0;
  y = at::where(at::rand({4096}) < 0.25, y.round(), y);
  const at::Tensor base = at::where(y.round() == y, -x, x); // negative where y is an integer
  const at::Tensor want = at::pow(base.to(at::kDouble), y.to(at::kDouble));
  thunder::TraceScope scope("pow_wide");
  auto a = scope.input_tensor("a", {4096}, DType::Float32);
  auto b = scope.input_tensor("b", {4096}, DType::Float32);
  const std::vector<at::Tensor> got = run_on_spirv(scope.finish(lt::pow(a, b)), {base, y});
  ASSERT_EQ(got.size(), 1u);
  const bool f64 = spirv().runtime().features().shader_float64;
  // One ulp of each result (want's magnitude), and the largest error in ulps.
  const at::Tensor ulp = at::nextafter(want.abs().to(at::kFloat), at::full({}, INFINITY)).to(at::kDouble) -
                         want.abs().to(at::kFloat).to(at::kDouble);
  const double ulps = ((got[0].to(at::kDouble) - want).abs() / ulp).max().item<double>();
  std::cout << "[spirv pow] " << (f64 ? "double" : "the driver's float pow")
            << ": largest error " << ulps << " ulp\n";
  if (!f64) {
    GTEST_SKIP() << "the device has no shaderFloat64: f32 pow is the driver's, " << ulps
                 << " ulp off at worst here (lavapipe's: 99)";
  }
  EXPECT_LE(ulps, 1.0);
}

TEST(SpirvNumerics, PowOfNegativeZeroKeepsItsSignForOddPowers) {
  // pow(-0, -1) is -inf and pow(-0, -2) +inf, as in C and torch.
  THUNDER_SPIRV_OR_SKIP();
  const at::Tensor a = floats({-0.0f, -0.0f, -0.0f, 0.0f, -0.0f, -0.0f});
  const at::Tensor b = floats({-1.0f, -2.0f, -3.0f, -1.0f, -0.5f, -1e30f});
  expect_binary_matches_torch(
      "pow_negative_zero", [](const auto& x, const auto& y) { return lt::pow(x, y); }, a, b,
      at::pow(a, b), 0.0);
}

// Drivers that may assume no NaN or infinity fold x * 0 to 0 and x / 0 to anything
// (lavapipe gave leaky_relu(x, 0) = 0 for NaN and -inf, and var with n - correction = 0
// finite values); the emitter spells out products with, and quotients by, a zero constant.
TEST(SpirvNumerics, MulByZeroConstantKeepsNanAndInfinitiesNan) {
  THUNDER_SPIRV_OR_SKIP();
  thunder::TraceScope scope("mul_zero");
  auto x = scope.input_tensor("x", {6}, DType::Float32);
  const Trace trace =
      scope.finish(Value(std::vector<Value>{Value(lt::mul(x, 0.0)), Value(lt::mul(x, -0.0))}));
  const at::Tensor in = floats({kNan, kInf, -kInf, 2.0f, -3.0f, 0.0f});
  const std::vector<at::Tensor> out = run_on_spirv(trace, {in});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(at::allclose(out[0], in * 0.0, 0, 0, /*equal_nan=*/true)) << out[0];
  EXPECT_TRUE(at::allclose(out[1], in * -0.0, 0, 0, /*equal_nan=*/true)) << out[1];
  // The signs of the zeros, too (a NaN's sign is not specified).
  const auto sign = [&](const at::Tensor& t) { return t.signbit().masked_fill(in.isnan() | in.isinf(), false); };
  EXPECT_TRUE(at::equal(sign(out[0]), sign(in * 0.0))) << out[0];
  EXPECT_TRUE(at::equal(sign(out[1]), sign(in * -0.0))) << out[1];
}

TEST(SpirvNumerics, Int32WidenedToInt64ComparesByItsValue) {
  // Lavapipe (LLVM 15) miscompiled int64_t(int) so that int64_t(v) >= 4 held for every v:
  // gather with int32 indices failed its range guard. The emitter widens by the two words.
  THUNDER_SPIRV_OR_SKIP();
  if (!spirv().runtime().features().shader_int64) GTEST_SKIP() << "no shaderInt64 here";
  for (const std::int64_t n : {4, 300}) {
    thunder::TraceScope scope("widen");
    auto x = scope.input_tensor("x", {n}, DType::Int32);
    auto wide = thunder::prims::convert_element_type(x, DType::Int64);
    const Trace trace = scope.finish(Value(std::vector<Value>{
        Value(thunder::prims::ge(wide, 4)), Value(thunder::prims::add(wide, wide))}));
    const at::Tensor in = at::arange(-n / 2, n - n / 2, at::kInt) * 1000003;
    const std::vector<at::Tensor> out = run_on_spirv(trace, {in});
    ASSERT_EQ(out.size(), 2u);
    EXPECT_TRUE(at::equal(out[0], in.to(at::kLong) >= 4)) << out[0].slice(0, 0, 8);
    EXPECT_TRUE(at::equal(out[1], in.to(at::kLong) * 2)) << out[1].slice(0, 0, 8);
  }
}

TEST(SpirvNumerics, InfinityMinusItselfIsNanInF32AndF64) {
  // A driver that assumes no infinities folds x - x to 0 (lavapipe did, before generated
  // shaders asked for SignedZeroInfNanPreserve where the device offers it).
  THUNDER_SPIRV_OR_SKIP();
  const thunder::spirv::DeviceFeatures f = spirv().runtime().features();
  if (!f.preserve_inf_nan_float32) {
    GTEST_SKIP() << "the device does not offer shaderSignedZeroInfNanPreserveFloat32 ("
                 << f.to_string() << "): its shaders may fold inf - inf";
  }
  const at::Tensor in = floats({kInf, -kInf, kNan, 2.0f});
  for (const bool f64 : {false, true}) {
    if (f64 && !(f.shader_float64 && f.preserve_inf_nan_float64)) continue;
    thunder::TraceScope scope(f64 ? "inf_minus_inf_f64" : "inf_minus_inf");
    auto x = scope.input_tensor("x", {4}, f64 ? DType::Float64 : DType::Float32);
    const Trace trace = scope.finish(
        Value(std::vector<Value>{Value(lt::sub(x, x)), Value(lt::mul(lt::sub(x, x), 0.0))}));
    const at::Tensor input = f64 ? in.to(at::kDouble) : in;
    const std::vector<at::Tensor> out = run_on_spirv(trace, {input});
    ASSERT_EQ(out.size(), 2u);
    EXPECT_TRUE(at::allclose(out[0], input - input, 0, 0, /*equal_nan=*/true)) << out[0];
    EXPECT_TRUE(at::allclose(out[1], (input - input) * 0.0, 0, 0, /*equal_nan=*/true)) << out[1];
  }
}

TEST(SpirvNumerics, DivByZeroConstantGivesSignedInfinitiesAndNanForZeroAndNan) {
  THUNDER_SPIRV_OR_SKIP();
  thunder::TraceScope scope("div_zero");
  auto x = scope.input_tensor("x", {6}, DType::Float32);
  const Trace trace =
      scope.finish(Value(std::vector<Value>{Value(lt::div(x, 0.0)), Value(lt::div(x, -0.0))}));
  const at::Tensor in = floats({kNan, kInf, -kInf, 2.0f, -3.0f, 0.0f});
  const std::vector<at::Tensor> out = run_on_spirv(trace, {in});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(at::allclose(out[0], in / 0.0, 0, 0, /*equal_nan=*/true)) << out[0];
  EXPECT_TRUE(at::allclose(out[1], in / -0.0, 0, 0, /*equal_nan=*/true)) << out[1];
}

TEST(SpirvNumerics, SinCosTanAreAccurateForEveryMagnitude) {
  // Magnitudes from 1e-30 to 3e38 (log-uniform, both signs), values next to multiples of
  // pi/2, and the specials; each result within a few ulps of float64's on the same float.
  THUNDER_SPIRV_OR_SKIP();
  at::Tensor x = at::exp(at::rand({20000}, at::kDouble) * 157.0 - 69.0) *
                 at::where(at::rand({20000}, at::kDouble) < 0.5, -1.0, 1.0);
  x = x.clamp(-3.4e38, 3.4e38).to(at::kFloat);
  const at::Tensor k = at::arange(1, 2001, at::kDouble);
  x = at::cat({x, (k * M_PI / 2).to(at::kFloat), floats({0.0f, -0.0f, kInf, -kInf, kNan, 1e30f,
                                                          -1e30f, 3.4028235e38f, 0.78539819f,
                                                          1.5707964f, 2.3561945f, 1e-40f})});
  thunder::TraceScope scope("trig");
  auto t = scope.input_tensor("x", {x.numel()}, DType::Float32);
  const Trace trace =
      scope.finish(Value::List{Value(lt::sin(t)), Value(lt::cos(t)), Value(lt::tan(t))});
  const std::vector<at::Tensor> out = run_on_spirv(trace, {x});
  ASSERT_EQ(out.size(), 3u);
  const at::Tensor wide = x.to(at::kDouble);
  const std::vector<std::pair<const char*, at::Tensor>> expected = {
      {"sin", wide.sin()}, {"cos", wide.cos()}, {"tan", wide.tan()}};
  for (std::size_t i = 0; i < 3; ++i) {
    const at::Tensor got = out[i].to(at::kDouble);
    const at::Tensor& want = expected[i].second;
    // 4 ulps of the result (2^-21 relative), and no less than float's smallest normal.
    const at::Tensor bound = want.abs() * 4.8e-7 + 1.2e-38;
    const at::Tensor bad = ((got - want).abs() > bound) & ~(got.isnan() & want.isnan());
    EXPECT_EQ(bad.sum().item<std::int64_t>(), 0)
        << expected[i].first << " at x = " << x.index({bad}).slice(0, 0, 5) << ": got "
        << got.index({bad}).slice(0, 0, 5) << ", float64 gives " << want.index({bad}).slice(0, 0, 5);
  }
}

// Cooperative reductions: rows longer than the workgroup and not a multiple of it, on an
// executor that makes them cooperative (lavapipe's default is one invocation per row).

TEST(SpirvCooperativeReductions, OffByDefaultOnACpuDeviceOnWithTheOption) {
  THUNDER_SPIRV_OR_SKIP();
  if (std::getenv("THUNDER_VK_COOPERATIVE") != nullptr) {
    GTEST_SKIP() << "THUNDER_VK_COOPERATIVE is set, so the default is not in force";
  }
  thunder::TraceScope scope("row_sum");
  auto t = scope.input_tensor("x", {4, 1000}, DType::Float32);
  const Trace trace = scope.finish(thunder::prims::sum(t, {1}));
  const at::Tensor x = at::randn({4, 1000}, at::kFloat);
  int cooperative = -1;
  run_on_spirv(trace, {x}, spirv(), &cooperative);
  EXPECT_EQ(cooperative, spirv().runtime().device().type == "CPU" ? 0 : 1)
      << spirv().runtime().device().type;
  run_on_spirv(trace, {x}, cooperative_spirv(), &cooperative);
  EXPECT_EQ(cooperative, 1);
}

TEST(SpirvCooperativeReductions, FloatSumProdAmaxAminMatchTorchWithNanAndInfinities) {
  THUNDER_SPIRV_OR_SKIP();
  at::Tensor x = at::randn({5, 1000}, at::kFloat);
  x[1][999] = kNan; // the last lane's last point
  x[2][3] = kInf;
  x[2][700] = -kInf;
  x[3].fill_(-kInf);
  thunder::TraceScope scope("row_reductions");
  auto t = scope.input_tensor("x", {5, 1000}, DType::Float32);
  const Trace trace = scope.finish(Value::List{
      Value(thunder::prims::sum(t, {1})), Value(thunder::prims::amax(t, {1})),
      Value(thunder::prims::amin(t, {1})),
      Value(thunder::prims::prod(thunder::prims::add(thunder::prims::mul(t, 1e-3), 1.0), {1}))});
  int cooperative = 0;
  const std::vector<at::Tensor> out = run_on_spirv(trace, {x}, cooperative_spirv(), &cooperative);
  EXPECT_GE(cooperative, 1);
  ASSERT_EQ(out.size(), 4u);
  const std::vector<at::Tensor> expected = {x.sum(1), x.amax(1), x.amin(1), (x * 1e-3 + 1).prod(1)};
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_TRUE(at::allclose(out[i], expected[i], 1e-5, 1e-4, /*equal_nan=*/true))
        << i << ":\n got      " << out[i] << "\n expected " << expected[i];
  }
}

TEST(SpirvCooperativeReductions, IntegerSumsWrapAndBoolReductionsAreAnyAndAll) {
  THUNDER_SPIRV_OR_SKIP();
  // Sums past 2^31 wrap in int32 whatever the order; any/all over 300 bools.
  const at::Tensor ints = at::randint(1 << 30, (1 << 30) + 1000, {3, 777}, at::kInt);
  at::Tensor flags = at::zeros({4, 300}, at::kBool);
  flags[1][299] = true;
  flags[2].fill_(true);
  flags[3].fill_(true);
  flags[3][150] = false;
  thunder::TraceScope scope("integer_reductions");
  auto i = scope.input_tensor("i", {3, 777}, DType::Int32);
  auto b = scope.input_tensor("b", {4, 300}, DType::Bool);
  const Trace trace = scope.finish(Value::List{Value(thunder::prims::sum(i, {1})),
                                               Value(thunder::prims::amax(b, {1})),
                                               Value(thunder::prims::amin(b, {1}))});
  int cooperative = 0;
  const std::vector<at::Tensor> out =
      run_on_spirv(trace, {ints, flags}, cooperative_spirv(), &cooperative);
  EXPECT_GE(cooperative, 1);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(at::equal(out[0], ints.sum(1, false, at::kLong).to(at::kInt))) << out[0];
  EXPECT_TRUE(at::equal(out[1], flags.any(1))) << out[1];
  EXPECT_TRUE(at::equal(out[2], flags.all(1))) << out[2];
}

TEST(SpirvCooperativeReductions, ArgmaxAndArgminKeepTheFirstExtremeAcrossLanes) {
  THUNDER_SPIRV_OR_SKIP();
  // Ties between lanes (50 at 300 and 45, -50 at 900 and 12: four lanes), NaNs (the first
  // one wins), rows of one value (index 0) and of -inf; integers with ties too.
  at::Tensor x = at::randn({6, 1000}, at::kFloat);
  x[0][300] = 50.0f;
  x[0][45] = 50.0f;
  x[0][900] = -50.0f;
  x[0][12] = -50.0f;
  x[1][700] = kNan;
  x[1][450] = kNan;
  x[2].fill_(3.0f);
  x[3].fill_(-kInf);
  x[4].fill_(kInf);
  x[5][999] = 60.0f;
  const at::Tensor i = at::randint(-3, 4, {3, 513}, at::kLong);
  // Rows of 200: lanes 200 to 255 see no point and keep (worst, 0).
  at::Tensor s = at::randn({5, 200}, at::kFloat);
  s[0][199] = 9.0f;
  s[1].fill_(-kInf);
  s[2].fill_(kInf);
  s[3][150] = kNan;
  s[4][0] = -9.0f;
  thunder::TraceScope scope("arg_reductions");
  auto t = scope.input_tensor("x", {6, 1000}, DType::Float32);
  auto ti = scope.input_tensor("i", {3, 513}, DType::Int64);
  auto ts = scope.input_tensor("s", {5, 200}, DType::Float32);
  const Trace trace = scope.finish(Value::List{
      Value(thunder::prims::argmax(t, 1)), Value(thunder::prims::argmin(t, 1)),
      Value(thunder::prims::argmax(ti, 1)), Value(thunder::prims::argmin(ti, 1)),
      Value(thunder::prims::argmax(ts, 1)), Value(thunder::prims::argmin(ts, 1))});
  int cooperative = 0;
  const std::vector<at::Tensor> out =
      run_on_spirv(trace, {x, i, s}, cooperative_spirv(), &cooperative);
  EXPECT_GE(cooperative, 1);
  ASSERT_EQ(out.size(), 6u);
  const std::vector<at::Tensor> expected = {x.argmax(1), x.argmin(1), i.argmax(1),
                                            i.argmin(1), s.argmax(1), s.argmin(1)};
  for (std::size_t k = 0; k < 6; ++k) {
    EXPECT_TRUE(at::equal(out[k], expected[k]))
        << k << ":\n got      " << out[k] << "\n expected " << expected[k];
  }
}

TEST(SpirvCooperativeReductions, SoftmaxAndLayerNormOverLongRowsMatchTorch) {
  THUNDER_SPIRV_OR_SKIP();
  const at::Tensor x = at::randn({6, 1537}, at::kFloat) * 4;
  const at::Tensor h = at::randn({4, 2048}, at::kFloat).to(at::kHalf);
  const at::Tensor w = at::randn({2048}, at::kFloat).to(at::kHalf);
  thunder::TraceScope scope("long_rows");
  auto tx = scope.input_tensor("x", {6, 1537}, DType::Float32);
  auto th = scope.input_tensor("h", {4, 2048}, DType::Float16);
  auto tw = scope.input_tensor("w", {2048}, DType::Float16);
  const Trace trace = scope.finish(
      Value::List{Value(lt::softmax(tx, -1)),
                  Value(lt::layer_norm(th, {2048}, tw, Value(), 1e-5))});
  // The first region (softmax's row max, layer_norm's row sum) stores only reductions and
  // is cooperative; the next stores exp(x - max) and x - mean beside their sums, values
  // one lane in 256 would compute, so it is not.
  int cooperative = 0;
  const std::vector<at::Tensor> out =
      run_on_spirv(trace, {x, h, w}, cooperative_spirv(), &cooperative);
  EXPECT_GE(cooperative, 1);
  ASSERT_EQ(out.size(), 2u);
  const at::Tensor softmax = at::softmax(x.to(at::kDouble), -1).to(at::kFloat);
  EXPECT_TRUE(at::allclose(out[0], softmax, 1e-5, 1e-7)) << (out[0] - softmax).abs().max();
  const at::Tensor norm = at::layer_norm(h.to(at::kDouble), {2048}, w.to(at::kDouble), {}, 1e-5);
  EXPECT_TRUE(at::allclose(out[1].to(at::kDouble), norm, 1e-2, 1e-2))
      << (out[1].to(at::kDouble) - norm).abs().max();
}

} // namespace
