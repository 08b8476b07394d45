// ltorch.index and ltorch.gather decompose into a gather of flat positions
// (prims.index_select). An index out of range in one dim but not past the end of the
// whole tensor (a[i, 4] of a [3, 4] tensor) must make the prims run fail, as torch does,
// never quietly return a neighbouring element.

#include "thunder/executors/torch_executor.h"
#include "thunder/thunder.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace {

using thunder::DType;
using thunder::TorchExecutionLevel;
using thunder::TorchExecutor;
using thunder::Value;
namespace lt = thunder::ltorch;

at::Tensor longs(const std::vector<std::int64_t>& values, const std::vector<std::int64_t>& shape) {
  return at::tensor(values, at::kLong).reshape(shape);
}

::testing::AssertionResult same_tensor(const at::Tensor& got, const at::Tensor& expected) {
  if (got.scalar_type() != expected.scalar_type() || got.sizes() != expected.sizes() ||
      !at::equal(got, expected)) {
    return ::testing::AssertionFailure() << "got\n" << got << "\nexpected\n" << expected;
  }
  return ::testing::AssertionSuccess();
}

// The message of the error running the trace throws, or "" and a failure.
std::string run_error(const thunder::Trace& trace, const std::vector<c10::IValue>& inputs,
                      TorchExecutionLevel level) {
  try {
    const auto out = TorchExecutor().run(trace, inputs, level);
    ADD_FAILURE() << "expected an error, got\n" << out.at(0);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

// Whether torch eager rejects it too (what the tests below expect of the prims run).
template <typename F>
bool torch_rejects(F&& f) {
  try {
    f();
  } catch (const c10::Error&) {
    return true;
  }
  return false;
}

// a[rows, cols] for a of shape [3, 4].
thunder::Trace index_trace(DType index_dtype) {
  thunder::TraceScope scope("index2");
  auto a = scope.input_tensor("a", {3, 4}, DType::Float32);
  auto rows = scope.input_tensor("rows", {2}, index_dtype);
  auto cols = scope.input_tensor("cols", {2}, index_dtype);
  return scope.finish(lt::index(a, {Value(rows), Value(cols)}));
}

TEST(IndexBounds, InRangeIndicesMatchTorch) {
  const at::Tensor a = at::arange(12, at::kFloat).reshape({3, 4});
  const auto trace = index_trace(DType::Int64);
  for (const auto& [rows, cols] : std::vector<std::pair<at::Tensor, at::Tensor>>{
           {longs({0, 2}, {2}), longs({3, 0}, {2})},
           {longs({-1, -3}, {2}), longs({-4, -1}, {2})},
       }) {
    const at::Tensor expected = a.index({rows, cols});
    for (const auto level : {TorchExecutionLevel::Symbols, TorchExecutionLevel::Prims}) {
      const auto out = TorchExecutor().run(trace, {a, rows, cols}, level);
      ASSERT_EQ(out.size(), 1u);
      EXPECT_TRUE(same_tensor(out[0], expected)) << "rows " << rows << " cols " << cols;
    }
  }
}

TEST(IndexBounds, OutOfRangeInnerIndexFailsAtPrimsLevel) {
  const at::Tensor a = at::arange(12, at::kFloat).reshape({3, 4});
  for (const DType dtype : {DType::Int64, DType::Int32}) {
    const auto trace = index_trace(dtype);
    const at::ScalarType st = dtype == DType::Int64 ? at::kLong : at::kInt;
    // a[0, 4] would be a[1, 0], a[1, -5] would be a[0, 3], a[-4, 0] would be out of a.
    for (const auto& [rows, cols] : std::vector<std::pair<at::Tensor, at::Tensor>>{
             {longs({0, 1}, {2}), longs({4, 0}, {2})},
             {longs({0, 1}, {2}), longs({0, -5}, {2})},
             {longs({-4, 0}, {2}), longs({0, 0}, {2})},
             {longs({3, 0}, {2}), longs({0, 0}, {2})},
         }) {
      const at::Tensor r = rows.to(st);
      const at::Tensor c = cols.to(st);
      ASSERT_TRUE(torch_rejects([&] { (void)a.index({r, c}); }));
      // The indices are data, so the error is ATen's index_select's at run time.
      EXPECT_NE(run_error(trace, {a, r, c}, TorchExecutionLevel::Prims).find("out of range"),
                std::string::npos)
          << "rows " << r << " cols " << c;
      EXPECT_FALSE(run_error(trace, {a, r, c}, TorchExecutionLevel::Symbols).empty());
    }
  }
}

// a[:, i, j] for a of shape [2, 3, 4]: the indexed dims after a kept one.
TEST(IndexBounds, OutOfRangeIndexAfterAKeptDim) {
  thunder::TraceScope scope("index_kept");
  auto a = scope.input_tensor("a", {2, 3, 4}, DType::Float32);
  auto i = scope.input_tensor("i", {2}, DType::Int64);
  auto j = scope.input_tensor("j", {2}, DType::Int64);
  const auto trace = scope.finish(lt::index(a, {Value(), Value(i), Value(j)}));
  const at::Tensor at_a = at::arange(24, at::kFloat).reshape({2, 3, 4});
  const at::Tensor good_i = longs({2, -1}, {2});
  const at::Tensor good_j = longs({-4, 3}, {2});
  const auto out = TorchExecutor().run(trace, {at_a, good_i, good_j}, TorchExecutionLevel::Prims);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(same_tensor(out[0], at_a.index({at::indexing::Slice(), good_i, good_j})));
  // a[:, 0, 4] would be a[:, 1, 0].
  const at::Tensor i0 = longs({0, 1}, {2});
  const at::Tensor bad_j = longs({4, 0}, {2});
  ASSERT_TRUE(torch_rejects([&] { (void)at_a.index({at::indexing::Slice(), i0, bad_j}); }));
  EXPECT_NE(run_error(trace, {at_a, i0, bad_j}, TorchExecutionLevel::Prims).find("out of range"),
            std::string::npos);
}

thunder::Trace gather_trace(std::int64_t dim, const thunder::Shape& index_shape) {
  thunder::TraceScope scope("gather");
  auto a = scope.input_tensor("a", {3, 4}, DType::Float32);
  auto index = scope.input_tensor("index", index_shape, DType::Int64);
  return scope.finish(lt::gather(a, dim, index));
}

TEST(GatherBounds, InRangeIndicesMatchTorch) {
  const at::Tensor a = at::arange(12, at::kFloat).reshape({3, 4});
  for (const auto& [dim, index] : std::vector<std::pair<std::int64_t, at::Tensor>>{
           {1, longs({3, 0, 1, 1, 2, 3}, {3, 2})},
           {0, longs({2, 0, 1, 1, 0, 2, 2, 0}, {2, 4})},
       }) {
    const auto trace = gather_trace(dim, index.sizes().vec());
    const at::Tensor expected = at::gather(a, dim, index);
    for (const auto level : {TorchExecutionLevel::Symbols, TorchExecutionLevel::Prims}) {
      const auto out = TorchExecutor().run(trace, {a, index}, level);
      ASSERT_EQ(out.size(), 1u);
      EXPECT_TRUE(same_tensor(out[0], expected)) << "dim " << dim << " index " << index;
    }
  }
}

TEST(GatherBounds, OutOfRangeIndexFailsAtPrimsLevel) {
  const at::Tensor a = at::arange(12, at::kFloat).reshape({3, 4});
  // Along dim 1, 4 would be the next row's first element and -1 the previous row's last;
  // gather does not wrap negative indices. Along dim 0, -1 would be before a.
  for (const auto& [dim, index] : std::vector<std::pair<std::int64_t, at::Tensor>>{
           {1, longs({0, 4, 1, 1, 2, 3}, {3, 2})},
           {1, longs({0, 1, -1, 1, 2, 3}, {3, 2})},
           {1, longs({0, 1, 1, 1, 2, -4}, {3, 2})},
           {0, longs({0, 3, 1, 1}, {1, 4})},
           {0, longs({0, 0, 1, -1}, {1, 4})},
       }) {
    ASSERT_TRUE(torch_rejects([&] { (void)at::gather(a, dim, index); }));
    const auto trace = gather_trace(dim, index.sizes().vec());
    EXPECT_NE(run_error(trace, {a, index}, TorchExecutionLevel::Prims).find("out of range"),
              std::string::npos)
        << "dim " << dim << " index " << index;
    EXPECT_FALSE(run_error(trace, {a, index}, TorchExecutionLevel::Symbols).empty());
  }
}

} // namespace
