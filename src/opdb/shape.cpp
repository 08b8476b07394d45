// Op database entries of the ltorch shape family.
#include "families.h"

#include <ATen/ATen.h>

namespace thunder::opdb::detail {

using ltorch::LTorchId;

void add_shape_ops(std::vector<OpInfo>& ops) {
  ops.push_back({.symbol = ltorch_symbol(LTorchId::reshape),
                 .dtypes = all_dtypes(),
                 .samples = [](DType dtype) {
                   const TensorOptions strided{.noncontiguous = true};
                   return std::vector<Sample>{
                       {{make_tensor({2, 3, 4}, dtype), Value::ints({6, 4})}},
                       {{make_tensor({2, 3, 4}, dtype), Value::ints({4, -1})}, {}, "inferred"},
                       {{make_tensor({3, 4}, dtype, strided), Value::ints({12})}, {}, "non-contiguous"},
                       {{make_tensor({}, dtype), Value::ints({1, 1})}, {}, "0-dim"},
                       {{make_tensor({0, 3}, dtype), Value::ints({3, 0})}, {}, "size-0"},
                   };
                 },
                 .reference = [](const RefArgs& a) {
                   return c10::IValue(a.tensor(0).reshape(a.ints(1)));
                 },
                 .error_samples = [] {
                   return std::vector<ErrorSample>{
                       {{{make_tensor({2, 3}, DType::Float32), Value::ints({4, 2})}},
                        "shape '[4, 2]' is invalid for input of size 6"},
                       {{{make_tensor({2, 3}, DType::Float32), Value::ints({-1, -1})}},
                        "only one dimension can be inferred"},
                   };
                 }});

  ops.push_back({.symbol = ltorch_symbol(LTorchId::transpose),
                 .dtypes = all_dtypes(),
                 .samples = [](DType dtype) {
                   return std::vector<Sample>{
                       {{make_tensor({2, 3, 4}, dtype), 0, 2}},
                       {{make_tensor({2, 3, 4}, dtype), -1, -3}, {}, "negative dims"},
                       {{make_tensor({3, 4}, dtype), 1, 1}, {}, "same dim"},
                       {{make_tensor({}, dtype), 0, -1}, {}, "0-dim"},
                       {{make_tensor({0, 4}, dtype), 0, 1}, {}, "size-0"},
                   };
                 },
                 .reference = [](const RefArgs& a) {
                   return c10::IValue(a.tensor(0).transpose(a.value(1).as_int(), a.value(2).as_int()));
                 },
                 .error_samples = [] {
                   return std::vector<ErrorSample>{
                       {{{make_tensor({2, 3}, DType::Float32), 0, 2}},
                        "dimension out of range (expected to be in range of [-2, 1], but got 2)"},
                   };
                 }});

  ops.push_back({.symbol = ltorch_symbol(LTorchId::permute),
                 .dtypes = all_dtypes(),
                 .samples = [](DType dtype) {
                   return std::vector<Sample>{
                       {{make_tensor({2, 3, 4}, dtype), Value::ints({2, 0, 1})}},
                       {{make_tensor({2, 3, 4}, dtype), Value::ints({-1, 0, -2})}, {}, "negative dims"},
                       {{make_tensor({}, dtype), Value::ints({})}, {}, "0-dim"},
                   };
                 },
                 .reference = [](const RefArgs& a) { return c10::IValue(a.tensor(0).permute(a.ints(1))); },
                 .error_samples = [] {
                   return std::vector<ErrorSample>{
                       {{{make_tensor({2, 3}, DType::Float32), Value::ints({0, 0})}},
                        "repeated dim in permutation [0, 0]"},
                   };
                 }});
}

} // namespace thunder::opdb::detail
