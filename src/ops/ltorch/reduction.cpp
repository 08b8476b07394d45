// ltorch reductions: parameters, checks and decompositions; the symbols are listed in
// thunder/ops/ltorch/reduction.def.
#include "thunder/ops/ltorch/reduction.h"

#include "common.h"

#include <algorithm>

namespace thunder::ltorch {
namespace detail {
namespace {

using ops::canonical_dim;

const std::vector<Param> kSum = {
    {"a"}, {"dim", Value()}, {"keepdim", Value(false)}, {"dtype", Value(), true}};

Value sum_decomposition(const BoundArgs& args) {
  TensorProxyPtr a = args.tensor(0);
  const std::int64_t ndim = a->ndim();
  std::vector<std::int64_t> dims;
  if (args[1].is_none() || (args[1].is_list() && args[1].as_list().empty())) {
    for (std::int64_t i = 0; i < ndim; ++i)
      dims.push_back(i);
  } else {
    for (const std::int64_t d : args.ints(1)) {
      const std::int64_t c = canonical_dim(args, d, ndim);
      if (std::find(dims.begin(), dims.end(), c) != dims.end()) {
        args.fail(str("dim ", c, " appears multiple times in the list of dims"));
      }
      dims.push_back(c);
    }
    std::sort(dims.begin(), dims.end());
    if (ndim == 0) dims.clear();
  }
  const bool keepdim = args.boolean(2);
  const Value& dtype_arg = args.get("dtype");
  if (!dtype_arg.is_none() && dtype_arg.kind() != ValueKind::DType) {
    args.fail("argument 'dtype' must be a dtype or None");
  }
  // torch sums bool and integers as int64, and low-precision floats in f32.
  DType result = a->dtype();
  if (!dtype_arg.is_none())
    result = dtype_arg.as_dtype();
  else if (!is_floating(result))
    result = DType::Int64;
  const bool low_precision = result == DType::Float16 || result == DType::BFloat16;
  const DType computation = low_precision ? DType::Float32 : result;
  TensorProxyPtr out = prims::sum(to_dtype(a, computation), dims);
  out = to_dtype(out, result);
  if (keepdim && ndim > 0) {
    Shape kept = a->shape();
    for (const std::int64_t d : dims)
      kept[static_cast<std::size_t>(d)] = 1;
    out = prims::reshape(out, kept);
  }
  return out;
}


} // namespace

void add_reduction_symbols(std::vector<Symbol>& table) {
#define THUNDER_LTORCH(NAME, PARAMS, CHECK, DECOMPOSITION, TAGS, TORCH)                            \
  table.push_back(make_ltorch_symbol(#NAME, PARAMS, CHECK, DECOMPOSITION, TAGS, TORCH));
#include "thunder/ops/ltorch/reduction.def"
#undef THUNDER_LTORCH
}

} // namespace detail

TensorProxyPtr sum(const Value& a, const Value& dim, bool keepdim, std::optional<DType> dtype) {
  return detail::call_tensor(LTorchId::sum, {a, dim, keepdim}, {{"dtype", dtype ? Value(*dtype) : Value()}});
}
} // namespace thunder::ltorch
