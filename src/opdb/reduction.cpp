// Op database entries of the ltorch reduction family.
#include "families.h"

#include <ATen/ATen.h>

namespace thunder::opdb::detail {

using ltorch::LTorchId;

namespace {
// Optional int-list dim argument of a reduction as ATen takes it.
at::OptionalIntArrayRef dims_of(const Value& dim, std::vector<std::int64_t>& storage) {
  if (dim.is_none()) return std::nullopt;
  storage = dim.is_list() ? dim.as_ints() : std::vector<std::int64_t>{dim.as_int()};
  return at::IntArrayRef(storage);
}
} // namespace

void add_reduction_ops(std::vector<OpInfo>& ops) {
  ops.push_back({.symbol = ltorch_symbol(LTorchId::sum),
                 .dtypes = all_dtypes(),
                 .samples = [](DType dtype) {
                   const TensorOptions strided{.noncontiguous = true};
                   std::vector<Sample> out = {
                       {{make_tensor({3, 4}, dtype)}, {}, "all dims"},
                       {{make_tensor({3, 4, 5}, dtype), 1}},
                       {{make_tensor({3, 4, 5}, dtype), Value::ints({0, -1}), true}, {}, "keepdim"},
                       {{make_tensor({3, 4}, dtype, strided), -1}, {}, "non-contiguous"},
                       {{make_tensor({}, dtype), 0}, {}, "0-dim"},
                       {{make_tensor({0, 4}, dtype), 0}, {}, "size-0"},
                       {{make_tensor({1, 4}, dtype), 0, true}, {}, "size-1"},
                       {{make_tensor({64, 33}, dtype)}, {}, "many elements"},
                   };
                   out.push_back({{make_tensor({3, 4}, dtype), 1}, {{"dtype", DType::Float64}}, "dtype="});
                   if (is_floating(dtype)) out.push_back({{edge_values(dtype)}, {}, "edge values"});
                   return out;
                 },
                 .reference = [](const RefArgs& a) {
                   std::vector<std::int64_t> storage;
                   const Value none;
                   const at::OptionalIntArrayRef dims = dims_of(a.size() > 1 ? a.value(1) : none, storage);
                   const bool keepdim = a.size() > 2 && a.value(2).as_bool();
                   std::optional<at::ScalarType> dtype;
                   if (const auto d = a.kwarg("dtype")) dtype = to_scalar_type(d->value().as_dtype());
                   return c10::IValue(at::sum(a.tensor(0), dims, keepdim, dtype));
                 },
                 .error_samples = [] {
                   return std::vector<ErrorSample>{
                       {{{make_tensor({2, 3}, DType::Float32), 2}},
                        "dimension out of range (expected to be in range of [-2, 1], but got 2)"},
                       {{{make_tensor({2, 3}, DType::Float32), Value::ints({0, -2})}},
                        "dim 0 appears multiple times in the list of dims"},
                   };
                 }});
}

} // namespace thunder::opdb::detail
