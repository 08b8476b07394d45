// The compiled module's guards and cache, on models exported at test time
// (tests/models/export_models.py and export_guard_models.py): a repeated call hits, a new
// shape, dtype or layout recompiles and still matches eager torch, the prologue prints its
// guards, the recompile warning comes once at the limit, the stats count what happened, a
// program with baked sizes refuses other shapes with a clear error, and an option in code
// beats the environment.
#include "thunder/compile.h"
#include "thunder/core/error.h"
#include "thunder/executors/torch_executor.h"
#include "thunder/frontends/export_reader.h"
#include "thunder/frontends/model_io.h"
#include "thunder/jit/prologue.h"
#include "../common/scoped_env.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <limits>
#include <optional>

namespace thunder {
namespace {

std::string models_dir() {
  const char* dir = std::getenv("THUNDER_TEST_MODELS");
  return dir != nullptr ? dir : "";
}

std::string model(const std::string& name) {
  return models_dir() + "/" + name + ".pt2";
}

std::vector<at::Tensor> recorded_inputs(const std::string& name) {
  return read_model_io(models_dir() + "/" + name + ".io.json").inputs;
}

// pointwise(x, y) in eager ATen, as tests/models/export_guard_models.py defines it.
at::Tensor pointwise_eager(const at::Tensor& x, const at::Tensor& y) {
  return at::tanh(x) * y + x.mean({-1}, /*keepdim=*/true);
}

void expect_close(const at::Tensor& got, const at::Tensor& expected) {
  ASSERT_EQ(got.sizes(), expected.sizes());
  ASSERT_EQ(got.scalar_type(), expected.scalar_type());
  EXPECT_TRUE(at::allclose(got, expected, 1e-5, 1e-6))
      << "max abs diff " << (got - expected).abs().max().item<double>();
}

using ::thunder::testing::ScopedEnv;

class CompiledModuleCache : public ::testing::Test {
protected:
  void SetUp() override {
    if (models_dir().empty()) GTEST_SKIP() << "THUNDER_TEST_MODELS is not set (ctest sets it)";
  }
};

TEST_F(CompiledModuleCache, RepeatedCallHits) {
  const auto module = compile(model("pointwise"), Options{.backend = "torch"});
  const std::vector<at::Tensor> in = recorded_inputs("pointwise");
  for (int i = 0; i < 3; ++i) {
    const std::vector<at::Tensor> out = module->forward(in);
    ASSERT_EQ(out.size(), 1u);
    expect_close(out[0], pointwise_eager(in[0], in[1]));
  }
  EXPECT_EQ(module->stats().calls, 3);
  EXPECT_EQ(module->stats().cache_hits, 3);
  EXPECT_EQ(module->stats().cache_misses, 0);
  EXPECT_EQ(module->stats().recompiles, 0);
  EXPECT_EQ(module->cache_size(), 1u);
  EXPECT_TRUE(module->stats().last_failed_guard.empty());
}

TEST_F(CompiledModuleCache, NewShapeRecompilesAndMatchesEager) {
  // The exported MLP has no batch size baked in: it retraces for a batch of 8.
  const std::string path = model("mlp");
  const auto module = compile(path, Options{.backend = "torch"});
  const ExportedProgram exported = load_exported_program(path);
  const auto& w = exported.state;
  const auto eager = [&w](const at::Tensor& x) {
    const at::Tensor h = at::gelu(at::linear(x, w.at("fc1.weight"), w.at("fc1.bias")), "tanh");
    return at::linear(h, w.at("fc2.weight"), w.at("fc2.bias")) + x.slice(1, 0, 8);
  };
  const at::Tensor x4 = recorded_inputs("mlp").at(0);
  expect_close(module->forward({x4}).at(0), eager(x4));

  const at::Tensor x8 = at::randn({8, 16});
  expect_close(module->forward({x8}).at(0), eager(x8));
  EXPECT_EQ(module->stats().cache_misses, 1);
  EXPECT_EQ(module->stats().recompiles, 1);
  EXPECT_EQ(module->cache_size(), 2u);
  EXPECT_NE(module->last_prologue_trace().to_string().find(
                "prims.check_tensor_metadata(x, [8, 16], 'cpu', dtypes.float32, False"),
            std::string::npos)
      << module->last_prologue_trace().to_string();
  EXPECT_NE(module->last_traces().front().to_string().find("# x: \"cpu f32[8, 16]\""),
            std::string::npos);
  EXPECT_EQ(module->stats().last_failed_guard,
            "prims.check_tensor_metadata(x, [4, 16], 'cpu', dtypes.float32, False, "
            "contiguous=True) got cpu f32[8, 16]");

  // Both specializations stay cached: going back to 4 rows hits.
  expect_close(module->forward({x4}).at(0), eager(x4));
  expect_close(module->forward({x8}).at(0), eager(x8));
  EXPECT_EQ(module->stats().cache_hits, 3);
  EXPECT_EQ(module->stats().cache_misses, 1);
}

TEST_F(CompiledModuleCache, NewDtypeRecompiles) {
  const auto module = compile(model("pointwise"), Options{.backend = "torch"});
  const at::Tensor x = at::randn({4, 16}, at::kDouble), y = at::randn({4, 16}, at::kDouble);
  const std::vector<at::Tensor> out = module->forward({x, y});
  expect_close(out.at(0), pointwise_eager(x, y));
  EXPECT_EQ(module->stats().cache_misses, 1);
  EXPECT_EQ(module->stats().recompiles, 1);
  EXPECT_NE(module->last_prologue_trace().to_string().find(
                "prims.check_tensor_metadata(x, [4, 16], 'cpu', dtypes.float64, False"),
            std::string::npos)
      << module->last_prologue_trace().to_string();
  EXPECT_EQ(module->stats().last_failed_guard,
            "prims.check_tensor_metadata(x, [4, 16], 'cpu', dtypes.float32, False, "
            "contiguous=True) got cpu f64[4, 16]");
}

TEST_F(CompiledModuleCache, NonContiguousInputRecompiles) {
  const auto module = compile(model("pointwise"), Options{.backend = "torch"});
  const at::Tensor x = at::randn({16, 4}).t(), y = at::randn({4, 16});
  ASSERT_FALSE(x.is_contiguous());
  expect_close(module->forward({x, y}).at(0), pointwise_eager(x, y));
  EXPECT_EQ(module->stats().recompiles, 1);
  EXPECT_NE(module->last_prologue_trace().to_string().find(
                "prims.check_tensor_metadata(x, [4, 16], 'cpu', dtypes.float32, False, "
                "contiguous=False)"),
            std::string::npos)
      << module->last_prologue_trace().to_string();
}

TEST_F(CompiledModuleCache, IntegerInputRetracesForNewShape) {
  const std::string path = model("embed");
  const auto module = compile(path, Options{.backend = "torch"});
  const at::Tensor table = load_exported_program(path).state.at("emb.weight");
  const at::Tensor tokens = at::randint(0, 10, {3, 7}, at::kLong), x = at::randn({3, 7, 8});
  expect_close(module->forward({tokens, x}).at(0), at::embedding(table, tokens) + x);
  EXPECT_EQ(module->stats().recompiles, 1);
  EXPECT_NE(module->last_prologue_trace().to_string().find(
                "prims.check_tensor_metadata(tokens, [3, 7], 'cpu', dtypes.int64, False"),
            std::string::npos)
      << module->last_prologue_trace().to_string();
}

TEST_F(CompiledModuleCache, WarnsOnceAtTheRecompileLimit) {
  const auto module =
      compile(model("pointwise"), Options{.backend = "torch", .recompile_warning_limit = 3});
  const auto call = [&module](std::int64_t rows) {
    module->forward({at::randn({rows, 16}), at::randn({rows, 16})});
  };
  ::testing::internal::CaptureStderr();
  call(1);
  call(2);
  const std::string before = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(before, "");

  ::testing::internal::CaptureStderr();
  call(3);
  const std::string at_limit = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(at_limit.find("thunder: warning: forward of " + model("pointwise") +
                          " was recompiled 3 times (Options::recompile_warning_limit is 3); "
                          "the last guard that failed: prims.check_tensor_metadata(x, [2, 16], "
                          "'cpu', dtypes.float32, False, contiguous=True) got cpu f32[3, 16]"),
            std::string::npos)
      << at_limit;

  ::testing::internal::CaptureStderr();
  call(5);
  EXPECT_EQ(::testing::internal::GetCapturedStderr(), "");
  EXPECT_EQ(module->stats().recompiles, 4);
}

TEST_F(CompiledModuleCache, StatsCountCallsHitsMissesAndTime) {
  const auto module = compile(model("pointwise"), Options{.backend = "torch"});
  const at::Tensor a = at::randn({4, 16}), b = at::randn({5, 16}), c = at::randn({6, 16});
  for (const at::Tensor* x : {&a, &a, &b, &a, &b, &c})
    module->forward({*x, *x});
  const CompileStats& s = module->stats();
  EXPECT_EQ(s.calls, 6);
  EXPECT_EQ(s.cache_hits, 4);
  EXPECT_EQ(s.cache_misses, 2);
  EXPECT_EQ(s.recompiles, 2);
  EXPECT_EQ(module->cache_size(), 3u);
  EXPECT_TRUE(s.fallbacks.empty());
  EXPECT_GT(s.load_ms, 0);
  EXPECT_GT(s.trace_ms, 0);
  EXPECT_GT(s.passes_ms, 0);
  EXPECT_GT(s.run_ms, 0);
}

TEST_F(CompiledModuleCache, ProloguePrintsTheGuards) {
  const auto module = compile(model("pointwise"), Options{.backend = "torch"});
  EXPECT_EQ(module->last_prologue_trace().to_string(),
            "# Constructed by Prologue\n"
            "def prologue(x, y):\n"
            "  # x: \"cpu f32[4, 16]\"\n"
            "  # y: \"cpu f32[4, 16]\"\n"
            "  prims.check_tensor_metadata(x, [4, 16], 'cpu', dtypes.float32, False, "
            "contiguous=True)\n"
            "  prims.check_tensor_metadata(y, [4, 16], 'cpu', dtypes.float32, False, "
            "contiguous=True)\n"
            "  return (x, y)\n");
}

TEST(Prologue, GuardsNumbersByValue) {
  const GuardKey key = {InputMeta::tensor({2, 3}, DType::BFloat16, Device::cpu(), true, true),
                        InputMeta::number(std::int64_t{3})};
  const Trace prologue = make_prologue({"x", "n"}, key);
  EXPECT_EQ(prologue.to_string(),
            "# Constructed by Prologue\n"
            "def prologue(x, n):\n"
            "  # x: \"cpu bf16[2, 3]\"\n"
            "  # n: \"int 3\"\n"
            "  prims.check_tensor_metadata(x, [2, 3], 'cpu', dtypes.bfloat16, True, "
            "contiguous=True)\n"
            "  prims.check_number(n, 3)\n"
            "  return (x, n)\n");
  EXPECT_EQ(first_failed_guard(prologue, key), std::nullopt);
  GuardKey other = key;
  other[1] = InputMeta::number(std::int64_t{4});
  EXPECT_EQ(first_failed_guard(prologue, other), "prims.check_number(n, 3) got int 4");
  other = key;
  other[0].requires_grad = false;
  EXPECT_EQ(first_failed_guard(prologue, other),
            "prims.check_tensor_metadata(x, [2, 3], 'cpu', dtypes.bfloat16, True, "
            "contiguous=True) got cpu bf16[2, 3]");
  EXPECT_NE(GuardKeyHash{}(key), GuardKeyHash{}(other));
}

TEST_F(CompiledModuleCache, WrongRankOfBakedShapeModelIsAClearError) {
  // torch.export baked the batch and sequence sizes into the attention's view calls.
  const std::string path = model("attention");
  const auto module = compile(path, Options{.backend = "torch"});
  try {
    module->forward({at::randn({6, 32})});
    FAIL() << "no error for an input of the wrong rank";
  } catch (const ArgumentError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind("forward of " + path +
                                ": input 'x' was compiled for cpu f32[2, 6, 32] and got cpu "
                                "f32[6, 32]; tracing the program again for these inputs failed "
                                "at node aten::view.default",
                            0),
              0u)
        << message;
    EXPECT_NE(message.find("re-export the model with dynamic shapes (torch.export.export(..., "
                           "dynamic_shapes=...)) or call it with inputs like those it was "
                           "exported with"),
              std::string::npos)
        << message;
  }
  EXPECT_EQ(module->stats().cache_misses, 1);
  EXPECT_EQ(module->stats().recompiles, 0);
  EXPECT_EQ(module->cache_size(), 1u);
}

TEST_F(CompiledModuleCache, OpaqueOpRefusesNewShapes) {
  // cumprod has no ltorch symbol: its output shape is only what the exporter recorded.
  const std::string path = model("cumprod");
  const auto module = compile(path, Options{.backend = "torch"});
  try {
    module->forward({at::rand({4, 5})});
    FAIL() << "no error for a new shape through an opaque op";
  } catch (const ArgumentError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("input 'x' was compiled for cpu f32[3, 5] and got cpu f32[4, 5]; "
                           "tracing the program again for these inputs failed at node "
                           "aten::cumprod.default"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("no ltorch symbol takes this op, so the shapes of its outputs are "
                           "only those the exporter recorded, for its input 'self' as cpu "
                           "f32[3, 5]; here it is cpu f32[4, 5]"),
              std::string::npos)
        << message;
  }
}

// A trace specialized on 0.0 must not run for -0.0 (1/n, copysign tell them apart), and a
// NaN input must find the specialization compiled for it instead of compiling anew.
TEST(Prologue, FloatsAreKeyedByTheirBits) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const GuardKey zero = {InputMeta::number(0.0)};
  const GuardKey minus_zero = {InputMeta::number(-0.0)};
  const GuardKey a_nan = {InputMeta::number(nan)};
  EXPECT_FALSE(zero == minus_zero);
  EXPECT_TRUE(a_nan == GuardKey{InputMeta::number(nan)});
  EXPECT_EQ(GuardKeyHash{}(a_nan), GuardKeyHash{}(GuardKey{InputMeta::number(nan)}));
  const Trace prologue = make_prologue({"n"}, zero);
  EXPECT_EQ(first_failed_guard(prologue, minus_zero), "prims.check_number(n, 0.0) got float -0.0");
}

TEST_F(CompiledModuleCache, UndefinedOrSparseInputIsAClearError) {
  const auto module = compile(model("pointwise"), Options{.backend = "torch"});
  try {
    module->forward({at::Tensor(), at::randn({4, 16})});
    FAIL() << "no error for an undefined tensor";
  } catch (const ArgumentError& e) {
    EXPECT_STREQ(e.what(), "input 'x' is an undefined tensor");
  }
  try {
    module->forward({at::randn({4, 16}).to_sparse(), at::randn({4, 16})});
    FAIL() << "no error for a sparse tensor";
  } catch (const ArgumentError& e) {
    EXPECT_STREQ(e.what(), "input 'x' has layout Sparse; thunder takes strided (dense) tensors");
  }
}

TEST_F(CompiledModuleCache, WrongNumberOfInputsIsAClearError) {
  const auto module = compile(model("pointwise"), Options{.backend = "torch"});
  try {
    module->forward({at::randn({4, 16})});
    FAIL() << "no error for a missing input";
  } catch (const ArgumentError& e) {
    EXPECT_STREQ(e.what(), "forward takes 2 inputs (x, y), got 1");
  }
}

TEST_F(CompiledModuleCache, OptionsBeatTheEnvironment) {
  const ScopedEnv backend("THUNDER_BACKEND", "no-such-backend");
  const ScopedEnv cache("THUNDER_CACHE_DIR", "/tmp/thunder-env-cache");
  EXPECT_THROW(compile(model("pointwise")), ArgumentError);
  const auto module = compile(model("pointwise"), Options{.backend = "torch"});
  EXPECT_EQ(module->backend(), "torch");
  EXPECT_EQ(module->cache_dir(), "/tmp/thunder-env-cache");
  const auto with_dir = compile(model("pointwise"),
                                Options{.backend = "torch", .cache_dir = "/tmp/thunder-option"});
  EXPECT_EQ(with_dir->cache_dir(), "/tmp/thunder-option");
}

TEST_F(CompiledModuleCache, SampleInputsAreReadFromTheArchive) {
  for (const std::string name : {"mlp", "embed"}) {
    const std::vector<at::Tensor> samples = load_sample_inputs(model(name));
    const std::vector<at::Tensor> recorded = recorded_inputs(name);
    ASSERT_EQ(samples.size(), recorded.size()) << name;
    for (std::size_t i = 0; i < samples.size(); ++i) {
      EXPECT_EQ(samples[i].scalar_type(), recorded[i].scalar_type()) << name;
      EXPECT_TRUE(at::equal(samples[i], recorded[i])) << name << " input " << i;
    }
  }
}

} // namespace
} // namespace thunder
