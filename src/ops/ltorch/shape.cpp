// ltorch shape and data-movement ops: parameters, checks and decompositions; the symbols are listed in
// thunder/ops/ltorch/shape.def.
#include "thunder/ops/ltorch/shape.h"

#include "common.h"

#include <numeric>

namespace thunder::ltorch {
namespace detail {
namespace {

using ops::canonical_dim;

const std::vector<Param> kReshape = {{"a"}, {"shape"}};
const std::vector<Param> kTranspose = {{"a"}, {"dim0"}, {"dim1"}};
const std::vector<Param> kPermute = {{"a"}, {"dims"}};

Value reshape_decomposition(const BoundArgs& args) {
  const TensorProxy& a = *args.tensor(0);
  Shape shape = args.ints(1);
  std::int64_t known = 1;
  std::optional<std::size_t> inferred;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (inferred) args.fail("only one dimension can be inferred");
      inferred = i;
    } else if (shape[i] < 0) {
      args.fail(str("invalid shape dimension ", shape[i]));
    } else {
      known *= shape[i];
    }
  }
  if (inferred) {
    if (known == 0 || a.numel() % known != 0) {
      args.fail(
          str("shape '", shape_to_string(shape), "' is invalid for input of size ", a.numel()));
    }
    shape[*inferred] = a.numel() / known;
  }
  if (std::accumulate(shape.begin(), shape.end(), std::int64_t{1}, std::multiplies<>()) !=
      a.numel()) {
    args.fail(str("shape '", shape_to_string(shape), "' is invalid for input of size ", a.numel()));
  }
  return prims::reshape(args.tensor(0), shape);
}

Value transpose_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& a = args.tensor(0);
  const std::int64_t d0 = canonical_dim(args, args.integer(1), a->ndim());
  const std::int64_t d1 = canonical_dim(args, args.integer(2), a->ndim());
  std::vector<std::int64_t> perm;
  for (std::int64_t i = 0; i < a->ndim(); ++i)
    perm.push_back(i);
  if (a->ndim() > 0)
    std::swap(perm[static_cast<std::size_t>(d0)], perm[static_cast<std::size_t>(d1)]);
  return prims::transpose(a, perm);
}

Value permute_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& a = args.tensor(0);
  return prims::transpose(a, canonical_permutation(args, args.ints(1), a->ndim()));
}


} // namespace

void add_shape_symbols(std::vector<Symbol>& table) {
#define THUNDER_LTORCH(NAME, PARAMS, CHECK, DECOMPOSITION, TAGS, TORCH)                            \
  table.push_back(make_ltorch_symbol(#NAME, PARAMS, CHECK, DECOMPOSITION, TAGS, TORCH));
#include "thunder/ops/ltorch/shape.def"
#undef THUNDER_LTORCH
}

} // namespace detail

TensorProxyPtr reshape(const Value& a, const Shape& shape) {
  return detail::call_tensor(LTorchId::reshape, {a, Value::ints(shape)});
}
TensorProxyPtr transpose(const Value& a, std::int64_t dim0, std::int64_t dim1) {
  return detail::call_tensor(LTorchId::transpose, {a, dim0, dim1});
}
TensorProxyPtr permute(const Value& a, const std::vector<std::int64_t>& dims) {
  return detail::call_tensor(LTorchId::permute, {a, Value::ints(dims)});
}
} // namespace thunder::ltorch
