// Op database entries of the ltorch nn family (matrix products and neural-network ops).
#include "families.h"

#include <ATen/ATen.h>

namespace thunder::opdb::detail {

using ltorch::LTorchId;

void add_nn_ops(std::vector<OpInfo>& ops) {
  const std::vector<DType> matmul_dtypes = {DType::Float32, DType::Float16, DType::BFloat16,
                                            DType::Float64, DType::Int64};
  ops.push_back({.symbol = ltorch_symbol(LTorchId::matmul),
                 .dtypes = matmul_dtypes,
                 .samples = [](DType dtype) {
                   const TensorOptions strided{.noncontiguous = true};
                   return std::vector<Sample>{
                       {{make_tensor({5}, dtype), make_tensor({5}, dtype)}, {}, "1-D @ 1-D"},
                       {{make_tensor({5}, dtype), make_tensor({5, 3}, dtype)}, {}, "1-D @ 2-D"},
                       {{make_tensor({4, 5}, dtype), make_tensor({5}, dtype)}, {}, "2-D @ 1-D"},
                       {{make_tensor({4, 5}, dtype), make_tensor({5, 3}, dtype)}},
                       {{make_tensor({2, 1, 4, 5}, dtype), make_tensor({3, 5, 6}, dtype)}, {}, "batch broadcast"},
                       {{make_tensor({4, 5}, dtype, strided), make_tensor({5, 3}, dtype)}, {}, "non-contiguous"},
                       {{make_tensor({0, 5}, dtype), make_tensor({5, 3}, dtype)}, {}, "size-0"},
                       {{make_tensor({4, 0}, dtype), make_tensor({0, 3}, dtype)}, {}, "empty inner dim"},
                   };
                 },
                 .reference = [](const RefArgs& a) { return c10::IValue(at::matmul(a.tensor(0), a.tensor(1))); },
                 .error_samples = [] {
                   return std::vector<ErrorSample>{
                       {{{make_tensor({8, 64}, DType::Float32), make_tensor({32, 64}, DType::Float32)}},
                        "ltorch.matmul: shapes [8, 64] and [32, 64] cannot be multiplied (64 != 32)"},
                       {{{make_tensor({}, DType::Float32), make_tensor({3}, DType::Float32)}},
                        "both arguments to matmul need to be at least 1D"},
                   };
                 }});

  ops.push_back({.symbol = ltorch_symbol(LTorchId::linear),
                 .dtypes = floating_dtypes(),
                 .samples = [](DType dtype) {
                   return std::vector<Sample>{
                       {{make_tensor({4, 5}, dtype), make_tensor({3, 5}, dtype)}, {}, "no bias"},
                       {{make_tensor({4, 5}, dtype), make_tensor({3, 5}, dtype), make_tensor({3}, dtype)}},
                       {{make_tensor({2, 4, 5}, dtype), make_tensor({3, 5}, dtype), make_tensor({3}, dtype)}, {}, "3-D input"},
                       {{make_tensor({5}, dtype), make_tensor({3, 5}, dtype), make_tensor({1}, dtype)}, {}, "1-D input, broadcast bias"},
                       {{make_tensor({0, 5}, dtype), make_tensor({3, 5}, dtype)}, {}, "size-0"},
                   };
                 },
                 .reference = [](const RefArgs& a) {
                   std::optional<at::Tensor> bias;
                   if (a.size() > 2 && a.is_tensor(2)) bias = a.tensor(2);
                   return c10::IValue(at::linear(a.tensor(0), a.tensor(1), bias));
                 },
                 .error_samples = [] {
                   return std::vector<ErrorSample>{
                       {{{make_tensor({4, 5}, DType::Float32), make_tensor({3, 6}, DType::Float32)}},
                        "cannot be multiplied (5 != 6)"},
                   };
                 }});
}

} // namespace thunder::opdb::detail
