// ltorch matrix products and neural-network ops: parameters, checks and decompositions; the symbols are listed in
// thunder/ops/ltorch/nn.def.
#include "thunder/ops/ltorch/nn.h"

#include "common.h"

#include <algorithm>

namespace thunder::ltorch {
namespace detail {
namespace {

using ops::canonical_dim;

const std::vector<Param> kBinary = {{"a"}, {"b"}};
const std::vector<Param> kLinear = {{"input"}, {"weight"}, {"bias", Value()}};

Value matmul_decomposition(const BoundArgs& args) {
  TensorProxyPtr a = args.tensor(0);
  TensorProxyPtr b = args.tensor(1);
  if (a->ndim() == 0 || b->ndim() == 0) {
    args.fail(str("both arguments to matmul need to be at least 1D, but they are ", a->ndim(),
                  "D and ", b->ndim(), "D"));
  }
  check_same_dtype_and_device(args, *a, *b);
  const std::int64_t k_a = a->shape().back();
  const std::int64_t k_b = b->ndim() == 1 ? b->shape()[0] : b->shape()[b->shape().size() - 2];
  if (k_a != k_b) {
    args.fail(str("shapes ", shape_to_string(a->shape()), " and ", shape_to_string(b->shape()),
                  " cannot be multiplied (", k_a, " != ", k_b, ")"));
  }
  const bool a_vector = a->ndim() == 1;
  const bool b_vector = b->ndim() == 1;
  if (a_vector) a = prims::reshape(a, {1, k_a});
  if (b_vector) b = prims::reshape(b, {k_b, 1});
  const Shape batch_a(a->shape().begin(), a->shape().end() - 2);
  const Shape batch_b(b->shape().begin(), b->shape().end() - 2);
  Shape batch(std::max(batch_a.size(), batch_b.size()), 1);
  for (std::size_t i = 0; i < batch.size(); ++i) {
    // Align from the right, as broadcasting does.
    const auto extent = [&](const Shape& s) {
      const std::size_t offset = batch.size() - s.size();
      return i < offset ? std::int64_t{1} : s[i - offset];
    };
    const std::int64_t ea = extent(batch_a), eb = extent(batch_b);
    if (ea != eb && ea != 1 && eb != 1) {
      args.fail(str("batch dims of shapes ", shape_to_string(args.tensor(0)->shape()), " and ",
                    shape_to_string(args.tensor(1)->shape()), " cannot be broadcast (", ea,
                    " != ", eb, " at dim ", i, ")"));
    }
    batch[i] = ea == 1 ? eb : ea;
  }
  const auto expand = [&batch](const TensorProxyPtr& t) {
    Shape target = batch;
    target.push_back(t->shape()[t->shape().size() - 2]);
    target.push_back(t->shape().back());
    if (target == t->shape()) return t;
    std::vector<std::int64_t> dims;
    const auto offset = static_cast<std::int64_t>(target.size()) - t->ndim();
    for (std::int64_t i = 0; i < t->ndim(); ++i)
      dims.push_back(offset + i);
    return prims::broadcast_in_dim(t, target, dims);
  };
  TensorProxyPtr out = prims::matmul(expand(a), expand(b));
  if (a_vector || b_vector) {
    Shape shape = batch;
    if (!a_vector) shape.push_back(a->shape()[a->shape().size() - 2]);
    if (!b_vector) shape.push_back(b->shape().back());
    out = prims::reshape(out, shape);
  }
  return out;
}

Value linear_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& input = args.tensor(0);
  const TensorProxyPtr& weight = args.tensor(1);
  if (input->ndim() < 1 || weight->ndim() != 2) {
    args.fail(str("expected input of at least 1 dim and a 2-dim weight, got ", input->type_string(),
                  " and ", weight->type_string()));
  }
  check_same_dtype_and_device(args, *input, *weight);
  const std::int64_t k = input->shape().back();
  if (weight->shape()[1] != k) {
    args.fail(str("input ", shape_to_string(input->shape()), " and weight ",
                  shape_to_string(weight->shape()), " cannot be multiplied (", k,
                  " != ", weight->shape()[1], ")"));
  }
  const std::int64_t n = weight->shape()[0];
  Shape out_shape(input->shape().begin(), input->shape().end() - 1);
  out_shape.push_back(n);
  const TensorProxyPtr flat =
      input->ndim() == 2
          ? input
          : prims::reshape(input, {input->numel() / std::max<std::int64_t>(k, 1), k});
  TensorProxyPtr out = prims::matmul(flat, prims::transpose(weight, {1, 0}));
  if (out->shape() != out_shape) out = prims::reshape(out, out_shape);
  const Value& bias = args[2];
  if (!bias.is_none()) {
    const TensorProxyPtr& b = args.tensor(2);
    // torch adds the bias by broadcasting: [n], [1] and [] are all accepted.
    if (b->ndim() > 1 || (b->ndim() == 1 && b->shape()[0] != n && b->shape()[0] != 1)) {
      args.fail(str("bias of shape ", shape_to_string(b->shape()), " does not broadcast to [", n,
                    "] (the output features)"));
    }
    if (b->dtype() != input->dtype() || b->device() != input->device()) {
      args.fail(str("bias is ", b->type_string(), " but input is ", input->type_string(),
                    "; they need one dtype and device"));
    }
    std::vector<std::int64_t> dims;
    if (b->ndim() == 1) dims.push_back(static_cast<std::int64_t>(out_shape.size()) - 1);
    out = prims::add(out, prims::broadcast_in_dim(b, out_shape, dims));
  }
  return out;
}


} // namespace

void add_nn_symbols(std::vector<Symbol>& table) {
#define THUNDER_LTORCH(NAME, PARAMS, CHECK, DECOMPOSITION, TAGS, TORCH)                            \
  table.push_back(make_ltorch_symbol(#NAME, PARAMS, CHECK, DECOMPOSITION, TAGS, TORCH));
#include "thunder/ops/ltorch/nn.def"
#undef THUNDER_LTORCH
}

} // namespace detail

TensorProxyPtr matmul(const Value& a, const Value& b) {
  return detail::call_tensor(LTorchId::matmul, {a, b});
}
TensorProxyPtr linear(const Value& input, const Value& weight, const Value& bias) {
  return detail::call_tensor(LTorchId::linear, {input, weight, bias});
}

} // namespace thunder::ltorch
