// The torch executor's fallback: any ATen operator by its schema name, through the
// dispatcher.
#include "thunder/core/error.h"
#include "thunder/executors/torch_executor.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

namespace thunder {
namespace {

TEST(AtenFallback, RunsAnOperatorNoSymbolCovers) {
  const at::Tensor x = at::rand({3, 4}) + 0.5;
  const c10::IValue out = TorchExecutor::call_aten("aten::cumprod", {x, std::int64_t{1}});
  EXPECT_TRUE(at::equal(out.toTensor(), at::cumprod(x, 1)));
}

TEST(AtenFallback, DefaultOverloadAndTrailingDefaults) {
  const at::Tensor x = at::randn({5});
  EXPECT_TRUE(at::equal(TorchExecutor::call_aten("aten::relu", {x}).toTensor(), at::relu(x)));
  // alpha is left out: the schema's default (1) applies.
  EXPECT_TRUE(at::equal(TorchExecutor::call_aten("aten::add.Tensor", {x, x}).toTensor(), x + x));
}

TEST(AtenFallback, MultipleResultsComeBackAsATuple) {
  const at::Tensor x = at::randn({4, 6});
  const c10::IValue out = TorchExecutor::call_aten("aten::max.dim", {x, std::int64_t{1}});
  ASSERT_TRUE(out.isTuple());
  const auto [values, indices] = at::max(x, 1);
  EXPECT_TRUE(at::equal(out.toTupleRef().elements()[0].toTensor(), values));
  EXPECT_TRUE(at::equal(out.toTupleRef().elements()[1].toTensor(), indices));
}

TEST(AtenFallback, UnknownOperatorIsABackendError) {
  try {
    TorchExecutor::call_aten("aten::no_such_op", {at::randn({2})});
    FAIL() << "expected BackendError";
  } catch (const BackendError& e) {
    EXPECT_STREQ(e.what(), "torch executor: this LibTorch has no operator aten::no_such_op");
  }
}

TEST(AtenFallback, MissingRequiredArgumentIsAnArgumentError) {
  try {
    TorchExecutor::call_aten("aten::cumprod", {at::randn({2})});
    FAIL() << "expected ArgumentError";
  } catch (const ArgumentError& e) {
    EXPECT_STREQ(e.what(), "aten::cumprod: missing argument 'dim'");
  }
}

} // namespace
} // namespace thunder
