// ltorch matrix products and neural-network ops: parameters, checks and decompositions; the symbols
// are listed in thunder/ops/ltorch/nn.def.
#include "thunder/ops/ltorch/nn.h"

#include "common.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace thunder::ltorch {
namespace detail {
namespace {

using ops::canonical_dim;

constexpr double kInf = std::numeric_limits<double>::infinity();

const std::vector<Param> kBinary = {{"a"}, {"b"}};
const std::vector<Param> kLinear = {{"input"}, {"weight"}, {"bias", Value()}};
const std::vector<Param> kMm = {{"self"}, {"mat2"}};
const std::vector<Param> kAddmm = {
    {"self"}, {"mat1"}, {"mat2"}, {"beta", Value(1), true}, {"alpha", Value(1), true}};
const std::vector<Param> kBaddbmm = {
    {"self"}, {"batch1"}, {"batch2"}, {"beta", Value(1), true}, {"alpha", Value(1), true}};
const std::vector<Param> kScaledDotProductAttention = {{"query"},
                                                       {"key"},
                                                       {"value"},
                                                       {"attn_mask", Value()},
                                                       {"dropout_p", Value(0.0)},
                                                       {"is_causal", Value(false)},
                                                       {"scale", Value(), true},
                                                       {"enable_gqa", Value(false), true}};
const std::vector<Param> kConv1d = {{"input"},
                                    {"weight"},
                                    {"bias", Value()},
                                    {"stride", Value::ints({1})},
                                    {"padding", Value::ints({0})},
                                    {"dilation", Value::ints({1})},
                                    {"groups", Value(1)}};
const std::vector<Param> kConv2d = {{"input"},
                                    {"weight"},
                                    {"bias", Value()},
                                    {"stride", Value::ints({1, 1})},
                                    {"padding", Value::ints({0, 0})},
                                    {"dilation", Value::ints({1, 1})},
                                    {"groups", Value(1)}};
const std::vector<Param> kMaxPool2d = {{"self"},
                                       {"kernel_size"},
                                       {"stride", Value::ints({})},
                                       {"padding", Value::ints({0, 0})},
                                       {"dilation", Value::ints({1, 1})},
                                       {"ceil_mode", Value(false)}};
const std::vector<Param> kAvgPool2d = {{"self"},
                                       {"kernel_size"},
                                       {"stride", Value::ints({})},
                                       {"padding", Value::ints({0, 0})},
                                       {"ceil_mode", Value(false)},
                                       {"count_include_pad", Value(true)},
                                       {"divisor_override", Value()}};
const std::vector<Param> kAdaptiveAvgPool2d = {{"self"}, {"output_size"}};
const std::vector<Param> kNllLoss = {{"self"},
                                     {"target"},
                                     {"weight", Value()},
                                     {"reduction", Value(1)},
                                     {"ignore_index", Value(-100)}};
const std::vector<Param> kCrossEntropy = {{"self"},
                                          {"target"},
                                          {"weight", Value()},
                                          {"reduction", Value(1)},
                                          {"ignore_index", Value(-100)},
                                          {"label_smoothing", Value(0.0)}};

// ---------------------------------------------------------------------------------------
// Shared helpers.

// f16 and bf16 are computed in f32 and rounded once at the end.
DType computation_dtype(DType dtype) {
  return dtype == DType::Float16 || dtype == DType::BFloat16 ? DType::Float32 : dtype;
}

Value zero_of(DType dtype) {
  return is_floating(dtype) ? Value(0.0) : Value(std::int64_t{0});
}

std::vector<std::int64_t> all_dims(std::size_t rank) {
  std::vector<std::int64_t> dims;
  for (std::size_t i = 0; i < rank; ++i)
    dims.push_back(static_cast<std::int64_t>(i));
  return dims;
}

std::vector<std::int64_t> dims_except(std::size_t rank, std::int64_t skip) {
  std::vector<std::int64_t> dims;
  for (std::size_t i = 0; i < rank; ++i) {
    if (static_cast<std::int64_t>(i) != skip) dims.push_back(static_cast<std::int64_t>(i));
  }
  return dims;
}

Shape without_dim(const Shape& shape, std::int64_t dim) {
  Shape out = shape;
  out.erase(out.begin() + dim);
  return out;
}

// A tensor reduced over dim, broadcast back to the shape it was reduced from.
TensorProxyPtr unreduce(const TensorProxyPtr& t, const Shape& shape, std::int64_t dim) {
  return prims::broadcast_in_dim(t, shape, dims_except(shape.size(), dim));
}

// The batch dims of a tensor of matrices (all but the last two).
Shape batch_of(const TensorProxy& t) {
  return Shape(t.shape().begin(), t.shape().end() - 2);
}

Shape concat_shape(Shape a, std::initializer_list<std::int64_t> b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// A tensor of matrices broadcast to these batch dims.
TensorProxyPtr expand_batch(const TensorProxyPtr& t, const Shape& batch) {
  const Shape& s = t->shape();
  return broadcast_to(t, concat_shape(batch, {s[s.size() - 2], s.back()}));
}

// The batch dims two tensors of matrices broadcast to, or an error naming them.
Shape broadcast_batches(const BoundArgs& args, const TensorProxy& a, const Shape& batch_a,
                        const std::string& name_a, const TensorProxy& b, const Shape& batch_b,
                        const std::string& name_b) {
  Shape out(std::max(batch_a.size(), batch_b.size()), 1);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const auto extent = [&](const Shape& s) {
      const std::size_t offset = out.size() - s.size();
      return i < offset ? std::int64_t{1} : s[i - offset];
    };
    const std::int64_t ea = extent(batch_a), eb = extent(batch_b);
    if (ea != eb && ea != 1 && eb != 1) {
      args.fail(str("batch dims of ", name_a, " ", shape_to_string(a.shape()), " and ", name_b, " ",
                    shape_to_string(b.shape()), " cannot be broadcast (", ea, " != ", eb,
                    " at batch dim ", i, ")"));
    }
    out[i] = ea == 1 ? eb : ea;
  }
  return out;
}

// A concrete number argument (a symbolic one is not supported).
double concrete_number(const BoundArgs& args, std::size_t index) {
  if (args[index].is_number()) {
    throw UnsupportedError(str(args.symbol().qualified_name(), ": a symbolic '",
                               args.symbol().params[index].name,
                               "' is not supported yet; pass a concrete number"));
  }
  return args.number(index);
}

void check_not_bool(const BoundArgs& args, const TensorProxy& t) {
  if (t.dtype() == DType::Bool) {
    args.fail(str("not implemented for bool tensors (", t.name(), " is ", t.type_string(), ")"));
  }
}

// ---------------------------------------------------------------------------------------
// Matrix products.

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
  // One statement each: the order of argument evaluation would decide the trace's order.
  const TensorProxyPtr expanded_a = expand(a);
  const TensorProxyPtr expanded_b = expand(b);
  TensorProxyPtr out = prims::matmul(expanded_a, expanded_b);
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
  const Value& bias = args[2];
  std::vector<std::int64_t> bias_dims;
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
    if (b->ndim() == 1) bias_dims.push_back(static_cast<std::int64_t>(out_shape.size()) - 1);
  }
  // With a bias, torch's addmm adds it to the f32 accumulator and rounds f16/bf16 once;
  // a low-precision product rounded before the add would round twice.
  const DType dtype = input->dtype();
  const bool upcast = !bias.is_none() && (dtype == DType::Float16 || dtype == DType::BFloat16);
  const DType computation = upcast ? DType::Float32 : dtype;
  const TensorProxyPtr x = to_dtype(input, computation);
  const TensorProxyPtr w = to_dtype(weight, computation);
  const TensorProxyPtr flat =
      x->ndim() == 2 ? x : prims::reshape(x, {x->numel() / std::max<std::int64_t>(k, 1), k});
  const TensorProxyPtr w_t = prims::transpose(w, {1, 0});
  TensorProxyPtr out = prims::matmul(flat, w_t);
  if (out->shape() != out_shape) out = prims::reshape(out, out_shape);
  if (!bias.is_none()) {
    const TensorProxyPtr b = to_dtype(args.tensor(2), computation);
    out = prims::add(out, prims::broadcast_in_dim(b, out_shape, bias_dims));
  }
  return to_dtype(out, dtype);
}

Value mm_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& self = args.tensor(0);
  const TensorProxyPtr& mat2 = args.tensor(1);
  if (self->ndim() != 2) {
    args.fail(str("self must be a matrix, got a ", self->ndim(), "-D tensor of shape ",
                  shape_to_string(self->shape())));
  }
  if (mat2->ndim() != 2) {
    args.fail(str("mat2 must be a matrix, got a ", mat2->ndim(), "-D tensor of shape ",
                  shape_to_string(mat2->shape())));
  }
  if (self->shape()[1] != mat2->shape()[0]) {
    args.fail(str("mat1 and mat2 shapes cannot be multiplied (", self->shape()[0], "x",
                  self->shape()[1], " and ", mat2->shape()[0], "x", mat2->shape()[1], ")"));
  }
  if (self->dtype() != mat2->dtype()) {
    args.fail(str("expected m1 and m2 to have the same dtype, but got: ", torch_name(self->dtype()),
                  " != ", torch_name(mat2->dtype())));
  }
  ops::common_device(args, {args[0], args[1]});
  check_not_bool(args, *self);
  return prims::matmul(self, mat2);
}

// The checks torch's bmm and baddbmm share: two 3-D batches of matrices that multiply.
void check_batches(const BoundArgs& args, const TensorProxy& batch1, const TensorProxy& batch2) {
  if (batch1.ndim() != 3) {
    args.fail(str("batch1 must be a 3D tensor, got shape ", shape_to_string(batch1.shape())));
  }
  if (batch2.ndim() != 3) {
    args.fail(str("batch2 must be a 3D tensor, got shape ", shape_to_string(batch2.shape())));
  }
  const Shape& a = batch1.shape();
  const Shape& b = batch2.shape();
  if (b[0] != a[0] || b[1] != a[2]) {
    args.fail(str("Expected size for first two dimensions of batch2 tensor to be: [", a[0], ", ",
                  a[2], "] but got: [", b[0], ", ", b[1], "]."));
  }
}

Value bmm_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& self = args.tensor(0);
  const TensorProxyPtr& mat2 = args.tensor(1);
  check_batches(args, *self, *mat2);
  if (self->dtype() != mat2->dtype()) {
    args.fail(str("expected scalar type ", torch_name(self->dtype()), " but found ",
                  torch_name(mat2->dtype()), " (batch2 must have the dtype of batch1)"));
  }
  ops::common_device(args, {args[0], args[1]});
  check_not_bool(args, *self);
  return prims::matmul(self, mat2);
}

// ArgumentError unless self expands to shape as torch's expand allows, with its messages.
void check_expands(const BoundArgs& args, const TensorProxy& self, const Shape& shape) {
  const auto rank = static_cast<std::int64_t>(shape.size());
  if (self.ndim() > rank) {
    args.fail(str("self of shape ", shape_to_string(self.shape()), " cannot be expanded to ",
                  shape_to_string(shape), ": the number of sizes provided (", rank,
                  ") must be greater or equal to the number of dimensions in the tensor (",
                  self.ndim(), ")"));
  }
  const std::int64_t offset = rank - self.ndim();
  for (std::int64_t i = 0; i < self.ndim(); ++i) {
    const std::int64_t extent = self.shape()[static_cast<std::size_t>(i)];
    const std::int64_t target = shape[static_cast<std::size_t>(offset + i)];
    if (extent != 1 && extent != target) {
      args.fail(str("The expanded size of the tensor (", target, ") must match the existing size (",
                    extent, ") at non-singleton dimension ", offset + i, ".  Target sizes: ",
                    shape_to_string(shape), ".  Tensor sizes: ", shape_to_string(self.shape())));
    }
  }
}

// beta or alpha as a value of the tensors' dtype: integer tensors take it truncated, as
// torch converts the Scalar to the integer type.
Value coefficient(const BoundArgs& args, std::size_t index, DType dtype) {
  const double value = concrete_number(args, index);
  if (is_floating(dtype)) return Value(value);
  const Value& given = args[index];
  return Value(given.kind() == ValueKind::Int ? given.as_int() : static_cast<std::int64_t>(value));
}

// beta * self + alpha * product (product in the computation dtype), as addmm and baddbmm
// compute it. beta == 0 ignores self, nan and inf included, as torch documents.
TensorProxyPtr add_scaled(const BoundArgs& args, const TensorProxyPtr& self,
                          TensorProxyPtr product) {
  const DType dtype = self->dtype();
  const Value beta = coefficient(args, 3, dtype);
  const Value alpha = coefficient(args, 4, dtype);
  if (alpha.as_float() != 1.0) product = prims::mul(product, alpha);
  if (beta.as_float() != 0.0) {
    TensorProxyPtr scaled = broadcast_to(to_dtype(self, product->dtype()), product->shape());
    if (beta.as_float() != 1.0) scaled = prims::mul(scaled, beta);
    product = prims::add(scaled, product);
  }
  return to_dtype(product, dtype);
}

Value addmm_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& self = args.tensor(0);
  const TensorProxyPtr& mat1 = args.tensor(1);
  const TensorProxyPtr& mat2 = args.tensor(2);
  for (const TensorProxyPtr& m : {mat1, mat2}) {
    if (m->ndim() != 2) {
      args.fail(
          str(m == mat1 ? "mat1" : "mat2", " must be a matrix, got ", m->ndim(), "-D tensor"));
    }
  }
  if (mat1->shape()[1] != mat2->shape()[0]) {
    args.fail(str("mat1 and mat2 shapes cannot be multiplied (", mat1->shape()[0], "x",
                  mat1->shape()[1], " and ", mat2->shape()[0], "x", mat2->shape()[1], ")"));
  }
  if (mat1->dtype() != mat2->dtype()) {
    args.fail(str("mat1 and mat2 must have the same dtype, but got ", torch_name(mat1->dtype()),
                  " and ", torch_name(mat2->dtype())));
  }
  if (self->dtype() != mat2->dtype()) {
    args.fail(str("self and mat2 must have the same dtype, but got ", torch_name(self->dtype()),
                  " and ", torch_name(mat2->dtype())));
  }
  ops::common_device(args, {args[0], args[1], args[2]});
  check_not_bool(args, *self);
  check_expands(args, *self, {mat1->shape()[0], mat2->shape()[1]});
  const DType computation = computation_dtype(self->dtype());
  return add_scaled(args, self,
                    prims::matmul(to_dtype(mat1, computation), to_dtype(mat2, computation)));
}

Value baddbmm_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& self = args.tensor(0);
  const TensorProxyPtr& batch1 = args.tensor(1);
  const TensorProxyPtr& batch2 = args.tensor(2);
  check_batches(args, *batch1, *batch2);
  if (self->dtype() != batch1->dtype() || self->dtype() != batch2->dtype()) {
    args.fail(str("Input dtypes must be the same, got: input ", torch_name(self->dtype()),
                  ", batch1: ", torch_name(batch1->dtype()),
                  ", batch2: ", torch_name(batch2->dtype())));
  }
  ops::common_device(args, {args[0], args[1], args[2]});
  check_not_bool(args, *self);
  check_expands(args, *self, {batch1->shape()[0], batch1->shape()[1], batch2->shape()[2]});
  const DType computation = computation_dtype(self->dtype());
  return add_scaled(args, self,
                    prims::matmul(to_dtype(batch1, computation), to_dtype(batch2, computation)));
}

// ---------------------------------------------------------------------------------------
// Attention.

// key or value [..., heads, S, E] with each head repeated `times` times in a row
// (torch's repeat_interleave along dim -3).
TensorProxyPtr repeat_heads(const TensorProxyPtr& t, std::int64_t times) {
  if (times == 1) return t;
  const Shape& s = t->shape();
  const std::size_t heads = s.size() - 3;
  Shape expanded = s;
  expanded.insert(expanded.begin() + static_cast<std::ptrdiff_t>(heads) + 1, times);
  std::vector<std::int64_t> dims;
  for (std::size_t i = 0; i < s.size(); ++i) {
    dims.push_back(static_cast<std::int64_t>(i <= heads ? i : i + 1));
  }
  Shape repeated = s;
  repeated[heads] *= times;
  return prims::reshape(prims::broadcast_in_dim(t, expanded, dims), repeated);
}

// A boolean mask (true: attend) as the additive mask torch converts it to: 0 or -inf.
TensorProxyPtr additive_mask(const TensorProxyPtr& keep, DType dtype) {
  return prims::where(keep, prims::full(keep->shape(), 0.0, dtype, keep->device()), -kInf);
}

Value scaled_dot_product_attention_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& query = args.tensor(0);
  const TensorProxyPtr& key = args.tensor(1);
  const TensorProxyPtr& value = args.tensor(2);
  const DType dtype = query->dtype();
  if (key->dtype() != dtype || value->dtype() != dtype) {
    args.fail(str("Expected query, key, and value to have the same dtype, but got query.dtype: ",
                  torch_name(dtype), " key.dtype: ", torch_name(key->dtype()),
                  " and value.dtype: ", torch_name(value->dtype()), " instead."));
  }
  const Device device = ops::common_device(args, {args[0], args[1], args[2], args[3]});
  if (query->ndim() < 2 || key->ndim() < 2 || value->ndim() < 2) {
    args.fail(str("Expected query, key, and value to all be at least 2 dimensional, but got "
                  "query.dim: ",
                  query->ndim(), " key.dim: ", key->ndim(), " and value.dim: ", value->ndim(),
                  " instead."));
  }
  if (!is_floating(dtype)) {
    args.fail(
        str("expected query, key and value to be floating point tensors, got ", torch_name(dtype)));
  }
  TensorProxyPtr mask;
  if (!args[3].is_none()) {
    mask = args.tensor(3);
    if (mask->dtype() != DType::Bool && mask->dtype() != DType::Float32 && mask->dtype() != dtype) {
      args.fail(str("Expected attn_mask dtype to be bool or float or to match query dtype, but "
                    "got attn_mask.dtype: ",
                    torch_name(mask->dtype()), " and query.dtype: ", torch_name(dtype),
                    " instead."));
    }
  }
  // torch applies dropout only for dropout_p > 0 (so a negative one is ignored).
  const double dropout_p = concrete_number(args, 4);
  if (dropout_p > 0.0) {
    if (dropout_p > 1.0) {
      args.fail(str("dropout probability has to be between 0 and 1, but got ", dropout_p));
    }
    throw UnsupportedError(str(args.symbol().qualified_name(), ": dropout_p=", dropout_p,
                               " is not supported yet; only dropout_p=0 is"));
  }
  const bool is_causal = args.boolean(5);
  if (is_causal && mask) args.fail("Explicit attn_mask should not be set when is_causal=True");
  const bool enable_gqa = args.boolean(7);

  const Shape& qs = query->shape();
  const Shape& ks = key->shape();
  const Shape& vs = value->shape();
  const std::int64_t l = qs[qs.size() - 2], e = qs.back();
  const std::int64_t s = ks[ks.size() - 2], ev = vs.back();
  if (ks.back() != e) {
    args.fail(str("query ", shape_to_string(qs), " and key ", shape_to_string(ks),
                  " must have the same embedding dim (", e, " != ", ks.back(), ")"));
  }
  if (vs[vs.size() - 2] != s) {
    args.fail(str("key ", shape_to_string(ks), " and value ", shape_to_string(vs),
                  " must have the same sequence length (", s, " != ", vs[vs.size() - 2], ")"));
  }
  const double scale = args.get("scale").is_none() ? 1.0 / std::sqrt(static_cast<double>(e))
                                                   : concrete_number(args, 6);

  const DType computation = computation_dtype(dtype);
  TensorProxyPtr q = to_dtype(query, computation);
  TensorProxyPtr k = to_dtype(key, computation);
  TensorProxyPtr v = to_dtype(value, computation);
  if (enable_gqa) {
    if (query->ndim() < 3 || key->ndim() < 3 || value->ndim() < 3) {
      args.fail(str("enable_gqa needs query, key and value with a heads dim (dim -3), got ",
                    shape_to_string(qs), ", ", shape_to_string(ks), " and ", shape_to_string(vs)));
    }
    const std::int64_t hq = qs[qs.size() - 3], hk = ks[ks.size() - 3], hv = vs[vs.size() - 3];
    const bool all_equal = hq == hk && hk == hv;
    if (!all_equal && (hk == 0 || hv == 0 || hq % hk != 0 || hq % hv != 0)) {
      args.fail(str("Number of heads in key and value must divide the number of heads in query, "
                    "got ",
                    hq, " query heads, ", hk, " key heads and ", hv, " value heads"));
    }
    if (!all_equal) {
      k = repeat_heads(k, hq / hk);
      v = repeat_heads(v, hq / hv);
    }
  }
  const Shape scores_batch =
      broadcast_batches(args, *query, batch_of(*q), "query", *key, batch_of(*k), "key");
  const Shape scores_shape = concat_shape(scores_batch, {l, s});
  if (mask) {
    // torch adds the mask to the attention weights in place: it broadcasts to their shape.
    const Shape& ms = mask->shape();
    bool fits = ms.size() <= scores_shape.size();
    for (std::size_t i = 0; fits && i < ms.size(); ++i) {
      const std::int64_t target = scores_shape[scores_shape.size() - ms.size() + i];
      fits = ms[i] == 1 || ms[i] == target;
    }
    if (!fits) {
      args.fail(str("attn_mask of shape ", shape_to_string(ms),
                    " does not broadcast to the attention weights' shape ",
                    shape_to_string(scores_shape)));
    }
  }
  const Shape out_batch =
      broadcast_batches(args, *query, scores_batch, "query and key", *value, batch_of(*v), "value");
  const Shape out_shape = concat_shape(out_batch, {l, ev});
  // No keys: every output is an empty sum.
  if (s == 0) return prims::full(out_shape, 0.0, dtype, device);

  if (scale != 1.0) q = prims::mul(q, scale);
  std::vector<std::int64_t> swap = all_dims(k->shape().size());
  std::swap(swap[swap.size() - 1], swap[swap.size() - 2]);
  const TensorProxyPtr lhs = expand_batch(q, scores_batch);
  const TensorProxyPtr rhs = expand_batch(prims::transpose(k, swap), scores_batch);
  TensorProxyPtr scores = prims::matmul(lhs, rhs);
  TensorProxyPtr bias;
  if (is_causal) {
    // Top-left aligned: query i attends keys j <= i, as torch's tril(ones(L, S)).
    const TensorProxyPtr rows =
        prims::broadcast_in_dim(prims::iota(l, 0, 1, DType::Int64, device), {l, s}, {0});
    const TensorProxyPtr cols =
        prims::broadcast_in_dim(prims::iota(s, 0, 1, DType::Int64, device), {l, s}, {1});
    bias = additive_mask(prims::ge(rows, cols), computation);
  } else if (mask) {
    bias = mask->dtype() == DType::Bool ? additive_mask(mask, computation)
                                        : to_dtype(mask, computation);
  }
  if (bias) scores = prims::add(scores, broadcast_to(bias, scores_shape));

  // Softmax over the keys, safe as torch's: a row of only -inf (fully masked) gives zeros
  // (its max is taken as 0 and its sum as 1), while a nan anywhere in a row gives nans.
  const auto last = static_cast<std::int64_t>(scores_shape.size()) - 1;
  TensorProxyPtr max = prims::amax(scores, {last});
  max = prims::where(prims::eq(max, -kInf), 0.0, max);
  const TensorProxyPtr exps = prims::exp(prims::sub(scores, unreduce(max, scores_shape, last)));
  TensorProxyPtr sums = prims::sum(exps, {last});
  sums = prims::where(prims::eq(sums, 0.0), 1.0, sums);
  const TensorProxyPtr weights = prims::div(exps, unreduce(sums, scores_shape, last));

  const TensorProxyPtr expanded_weights = expand_batch(weights, out_batch);
  const TensorProxyPtr expanded_values = expand_batch(v, out_batch);
  return to_dtype(prims::matmul(expanded_weights, expanded_values), dtype);
}

// ---------------------------------------------------------------------------------------
// Convolution.

// stride, padding or dilation: one int for every spatial dim, or one per dim.
std::vector<std::int64_t> conv_param(const BoundArgs& args, std::size_t index,
                                     std::size_t spatial) {
  const std::vector<std::int64_t> given = args.ints(index);
  if (given.size() == 1) return std::vector<std::int64_t>(spatial, given[0]);
  if (given.size() != spatial) {
    const std::string& name = args.symbol().params[index].name;
    args.fail(str("expected ", name, " to be a single integer value or a list of ", spatial,
                  " values to match the convolution dimensions, but got ", name, "=",
                  Value::ints(given).repr()));
  }
  return given;
}

std::string joined(const std::vector<std::int64_t>& values, const char* separator) {
  std::string out;
  for (std::size_t i = 0; i < values.size(); ++i) {
    out += (i == 0 ? "" : separator) + std::to_string(values[i]);
  }
  return out;
}

// conv1d and conv2d, with torch's checks (check_shape_forward and friends), as
// prims.convolution (which executors claim directly, as a kernel of their own or ATen's).
Value convolution(const BoundArgs& args, std::size_t spatial) {
  const std::string op = spatial == 1 ? "conv1d" : "conv2d";
  const TensorProxyPtr& input = args.tensor(0);
  const TensorProxyPtr& weight = args.tensor(1);
  const auto rank = static_cast<std::int64_t>(spatial + 2);
  if (input->ndim() != rank && input->ndim() != rank - 1) {
    args.fail(str("Expected ", rank - 1, "D (unbatched) or ", rank, "D (batched) input to ", op,
                  ", but got input of size: ", shape_to_string(input->shape())));
  }
  if (weight->ndim() != rank) {
    args.fail(str("Expected ", rank, "-dimensional weight for ", op, ", but got weight of size ",
                  shape_to_string(weight->shape())));
  }
  const DType dtype = input->dtype();
  if (weight->dtype() != dtype) {
    args.fail(str("Input type (", torch_name(dtype), ") and weight type (",
                  torch_name(weight->dtype()), ") should be the same"));
  }
  check_not_bool(args, *input);
  TensorProxyPtr bias;
  if (!args[2].is_none()) {
    bias = args.tensor(2);
    if (bias->dtype() != dtype) {
      args.fail(str("Input type (", torch_name(dtype), ") and bias type (",
                    torch_name(bias->dtype()), ") should be the same"));
    }
  }
  const Device device = ops::common_device(args, {args[0], args[1], args[2]});

  const std::vector<std::int64_t> stride = conv_param(args, 3, spatial);
  const std::vector<std::int64_t> dilation = conv_param(args, 5, spatial);
  const std::int64_t groups = args.integer(6);
  const Shape& ws = weight->shape();
  const std::vector<std::int64_t> kernel(ws.begin() + 2, ws.end());
  // Padding before and after each spatial dim; 'same' pads any odd extra at the end.
  std::vector<std::int64_t> low(spatial, 0), high(spatial, 0);
  const bool same = args[4].kind() == ValueKind::String && args.string(4) == "same";
  if (args[4].kind() == ValueKind::String) {
    const std::string& mode = args.string(4);
    if (mode != "same" && mode != "valid") {
      args.fail(str("Invalid padding string: '", mode, "'"));
    }
  } else {
    low = high = conv_param(args, 4, spatial);
  }
  for (std::size_t i = 0; i < spatial; ++i) {
    if (stride[i] <= 0) args.fail("non-positive stride is not supported");
    if (low[i] < 0) args.fail("negative padding is not supported");
    if (dilation[i] <= 0) {
      args.fail(
          str("dilation should be greater than zero, but got ", Value::ints(dilation).repr()));
    }
  }
  if (groups <= 0) args.fail("non-positive groups is not supported");
  if (same) {
    for (std::size_t i = 0; i < spatial; ++i) {
      if (stride[i] != 1) args.fail("padding='same' is not supported for strided convolutions");
      const std::int64_t total = dilation[i] * (kernel[i] - 1);
      low[i] = total / 2;
      high[i] = total - low[i];
    }
  }

  const bool batched = input->ndim() == rank;
  Shape xs = input->shape();
  if (!batched) xs.insert(xs.begin(), 1);
  const std::int64_t n = xs[0], channels = xs[1], out_channels = ws[0];
  if (out_channels < groups) {
    args.fail(str("Given groups=", groups, ", expected weight to be at least ", groups,
                  " at dimension 0, but got weight of size ", shape_to_string(ws), " instead"));
  }
  if (out_channels % groups != 0) {
    args.fail(str("Given groups=", groups, ", expected weight to be divisible by ", groups,
                  " at dimension 0, but got weight of size ", shape_to_string(ws), " instead"));
  }
  if (channels != ws[1] * groups) {
    args.fail(str("Given groups=", groups, ", weight of size ", shape_to_string(ws),
                  ", expected input", shape_to_string(input->shape()), " to have ", ws[1] * groups,
                  " channels, but got ", channels, " channels instead"));
  }
  if (bias && (bias->ndim() != 1 || bias->shape()[0] != out_channels)) {
    args.fail(str("Given weight of size ", shape_to_string(ws),
                  ", expected bias to be 1-dimensional with ", out_channels,
                  " elements, but got bias of size ", shape_to_string(bias->shape()), " instead"));
  }
  std::vector<std::int64_t> padded_extent, dilated_kernel, out_extent;
  bool kernel_fits = true;
  for (std::size_t i = 0; i < spatial; ++i) {
    padded_extent.push_back(xs[i + 2] + low[i] + high[i]);
    dilated_kernel.push_back(dilation[i] * (kernel[i] - 1) + 1);
    kernel_fits = kernel_fits && padded_extent[i] >= dilated_kernel[i];
  }
  if (!kernel_fits) {
    args.fail(str("Calculated padded input size per channel: (", joined(padded_extent, " x "),
                  "). Kernel size: (", joined(dilated_kernel, " x "),
                  "). Kernel size can't be greater than actual input size"));
  }
  for (std::size_t i = 0; i < spatial; ++i) {
    if (kernel[i] <= 0) {
      args.fail(str("kernel size should be greater than zero, but got kernel size ",
                    Value::ints(kernel).repr()));
    }
    if (xs[i + 2] == 0) {
      args.fail(str("Only zero batch or zero channel inputs are supported, but got input shape: ",
                    shape_to_string(input->shape())));
    }
    out_extent.push_back((padded_extent[i] - dilated_kernel[i]) / stride[i] + 1);
  }
  const auto with_leading = [&](std::int64_t a, std::int64_t b) {
    Shape shape = {a, b};
    shape.insert(shape.end(), out_extent.begin(), out_extent.end());
    if (!batched) shape.erase(shape.begin());
    return shape;
  };
  // torch's shortcut for inputs without channels gives [N, 0, ...] whatever the weight.
  if (channels == 0) return prims::full(with_leading(n, 0), zero_of(dtype), dtype, device);

  TensorProxyPtr x = batched ? input : prims::reshape(input, xs);
  // The prim pads both sides of a dim alike; 'same' puts an odd extra zero at the end.
  std::vector<std::vector<std::int64_t>> extra = {{0, 0, 0}, {0, 0, 0}};
  bool asymmetric = false;
  for (std::size_t i = 0; i < spatial; ++i) {
    extra.push_back({0, high[i] - low[i], 0});
    asymmetric = asymmetric || high[i] != low[i];
  }
  if (asymmetric) x = prims::pad(x, zero_of(dtype), extra);
  const TensorProxyPtr out = prims::convolution(x, weight, bias ? Value(bias) : Value(), stride,
                                                low, dilation, groups);
  return batched ? out : prims::reshape(out, with_leading(n, out_channels));
}

Value conv1d_decomposition(const BoundArgs& args) {
  return convolution(args, 1);
}
Value conv2d_decomposition(const BoundArgs& args) {
  return convolution(args, 2);
}

// ---------------------------------------------------------------------------------------
// Pooling.

// kernel_size, stride, padding or dilation of a 2-D pool: one int or two; an empty stride
// means the kernel size.
std::array<std::int64_t, 2> pool_pair(const BoundArgs& args, std::size_t index, const char* message,
                                      std::optional<std::array<std::int64_t, 2>> if_empty = {}) {
  const std::vector<std::int64_t> given = args.ints(index);
  if (given.empty() && if_empty) return *if_empty;
  if (given.size() != 1 && given.size() != 2) args.fail(message);
  return {given[0], given.size() == 1 ? given[0] : given[1]};
}

// torch's pooling_output_shape, with its checks: the last window must start inside the
// input or its left padding (ceil_mode may otherwise add one that starts past it).
std::int64_t pooling_output_size(const BoundArgs& args, std::int64_t in, std::int64_t kernel,
                                 std::int64_t pad, std::int64_t stride, std::int64_t dilation,
                                 bool ceil_mode) {
  if (stride == 0) args.fail("stride should not be zero");
  if (pad < 0) args.fail(str("pad must be non-negative, but got pad: ", pad));
  if (pad > ((kernel - 1) * dilation + 1) / 2) {
    args.fail(str("pad should be at most half of effective kernel size, but got pad=", pad,
                  ", kernel_size=", kernel, " and dilation=", dilation));
  }
  const std::int64_t numerator =
      in + 2 * pad - dilation * (kernel - 1) - 1 + (ceil_mode ? stride - 1 : 0);
  // Division rounding towards negative infinity.
  std::int64_t quotient = numerator / stride;
  if (numerator % stride != 0 && (numerator < 0) != (stride < 0)) --quotient;
  std::int64_t out = quotient + 1;
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;
  return out;
}

// The input checks of torch's 2-D pools (pool2d_shape_check).
void check_pool2d(const BoundArgs& args, const TensorProxy& input,
                  const std::array<std::int64_t, 2>& kernel,
                  const std::array<std::int64_t, 2>& stride, const std::array<std::int64_t, 2>& pad,
                  const std::array<std::int64_t, 2>& dilation,
                  const std::array<std::int64_t, 2>& out) {
  if (kernel[0] <= 0 || kernel[1] <= 0) {
    args.fail(str("kernel size should be greater than zero, but got kH: ", kernel[0],
                  " kW: ", kernel[1]));
  }
  if (stride[0] <= 0 || stride[1] <= 0) {
    args.fail(
        str("stride should be greater than zero, but got dH: ", stride[0], " dW: ", stride[1]));
  }
  if (dilation[0] <= 0 || dilation[1] <= 0) {
    args.fail(str("dilation should be greater than zero, but got dilationH: ", dilation[0],
                  " dilationW: ", dilation[1]));
  }
  const Shape& s = input.shape();
  // Only a 4-D input's batch dim may be empty.
  const bool empty = std::any_of(s.begin() + (s.size() == 4 ? 1 : 0), s.end(),
                                 [](std::int64_t extent) { return extent == 0; });
  if (empty) {
    args.fail(str("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for "
                  "input, but got:",
                  shape_to_string(s)));
  }
  if (kernel[1] / 2 < pad[1] || kernel[0] / 2 < pad[0]) {
    args.fail(str("pad should be smaller than or equal to half of kernel size, but got padW = ",
                  pad[1], ", padH = ", pad[0], ", kW = ", kernel[1], ", kH = ", kernel[0]));
  }
  if (out[0] < 1 || out[1] < 1) {
    const std::size_t r = s.size();
    args.fail(str("Given input size: (", s[r - 3], "x", s[r - 2], "x", s[r - 1],
                  "). Calculated output size: (", s[r - 3], "x", out[0], "x", out[1],
                  "). Output size is too small"));
  }
}

struct Pool2d {
  std::array<std::int64_t, 2> kernel, stride, pad, dilation, in, out;
};

// The windows of a 2-D pool, checked as torch checks them.
Pool2d pool2d_windows(const BoundArgs& args, const TensorProxy& input, std::size_t kernel_index,
                      std::optional<std::size_t> dilation_index, bool ceil_mode) {
  Pool2d p;
  p.kernel = pool_pair(args, kernel_index,
                       "kernel_size must either be a single int, or a tuple of two ints");
  p.stride =
      pool_pair(args, kernel_index + 1,
                "stride must either be omitted, a single int, or a tuple of two ints", p.kernel);
  p.pad = pool_pair(args, kernel_index + 2,
                    "padding must either be a single int, or a tuple of two ints");
  p.dilation = dilation_index ? pool_pair(args, *dilation_index,
                                          "dilation must be either a single int, or a tuple of "
                                          "two ints")
                              : std::array<std::int64_t, 2>{1, 1};
  if (input.ndim() != 3 && input.ndim() != 4) {
    args.fail(str("Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for "
                  "input, but got:",
                  shape_to_string(input.shape())));
  }
  const Shape& s = input.shape();
  p.in = {s[s.size() - 2], s[s.size() - 1]};
  for (std::size_t i = 0; i < 2; ++i) {
    p.out[i] = pooling_output_size(args, p.in[i], p.kernel[i], p.pad[i], p.stride[i], p.dilation[i],
                                   ceil_mode);
  }
  check_pool2d(args, input, p.kernel, p.stride, p.pad, p.dilation, p.out);
  return p;
}

// The input padded with value so that every window lies inside it: the pool's padding
// before, and after as far as the last window reaches.
TensorProxyPtr pad_for_windows(const TensorProxyPtr& t, const Value& value, const Pool2d& p) {
  std::vector<std::vector<std::int64_t>> config(t->shape().size() - 2, {0, 0, 0});
  bool padded = false;
  for (std::size_t i = 0; i < 2; ++i) {
    const std::int64_t reach = (p.out[i] - 1) * p.stride[i] + (p.kernel[i] - 1) * p.dilation[i] + 1;
    const std::int64_t high = std::max<std::int64_t>(0, reach - (p.in[i] + p.pad[i]));
    config.push_back({p.pad[i], high, 0});
    padded = padded || p.pad[i] != 0 || high != 0;
  }
  return padded ? prims::pad(t, value, config) : t;
}

// The element at kernel offset (i, j) of every window: a strided slice of the padded input.
TensorProxyPtr window_slice(const TensorProxyPtr& padded, const Pool2d& p, std::int64_t i,
                            std::int64_t j) {
  const std::size_t r = padded->shape().size();
  std::vector<std::int64_t> start(r, 0), end = padded->shape(), steps(r, 1);
  const std::array<std::int64_t, 2> offset = {i, j};
  for (std::size_t d = 0; d < 2; ++d) {
    start[r - 2 + d] = offset[d] * p.dilation[d];
    end[r - 2 + d] = start[r - 2 + d] + (p.out[d] - 1) * p.stride[d] + 1;
    steps[r - 2 + d] = p.stride[d];
  }
  return prims::slice(padded, start, end, steps);
}

// The value max pooling pads with: below every value of the dtype.
Value lowest_value(DType dtype) {
  switch (dtype) {
  case DType::UInt8:
    return Value(std::int64_t{0});
  case DType::Int8:
    return Value(std::int64_t{std::numeric_limits<std::int8_t>::min()});
  case DType::Int16:
    return Value(std::int64_t{std::numeric_limits<std::int16_t>::min()});
  case DType::Int32:
    return Value(std::int64_t{std::numeric_limits<std::int32_t>::min()});
  case DType::Int64:
    return Value(std::numeric_limits<std::int64_t>::min());
  default:
    return Value(-kInf);
  }
}

Value max_pool2d_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& self = args.tensor(0);
  if (self->ndim() != 3 && self->ndim() != 4) {
    args.fail(str("non-empty 3D or 4D (batch mode) tensor expected for input, got shape ",
                  shape_to_string(self->shape())));
  }
  check_not_bool(args, *self);
  const Pool2d p = pool2d_windows(args, *self, 1, 4, args.boolean(5));
  const TensorProxyPtr padded = pad_for_windows(self, lowest_value(self->dtype()), p);
  // maximum propagates nan, as torch's max pooling does.
  TensorProxyPtr out;
  for (std::int64_t i = 0; i < p.kernel[0]; ++i) {
    for (std::int64_t j = 0; j < p.kernel[1]; ++j) {
      const TensorProxyPtr window = window_slice(padded, p, i, j);
      out = out ? prims::maximum(out, window) : window;
    }
  }
  return out;
}

// How many elements torch divides each window's sum by along one dim: the window clipped
// to the padded input (count_include_pad) or to the input itself.
std::vector<std::int64_t> window_counts(const Pool2d& p, std::size_t d, bool include_pad) {
  std::vector<std::int64_t> counts;
  for (std::int64_t o = 0; o < p.out[d]; ++o) {
    const std::int64_t start = o * p.stride[d] - p.pad[d];
    const std::int64_t end = std::min(start + p.kernel[d], p.in[d] + p.pad[d]);
    counts.push_back(include_pad ? end - start
                                 : std::min(end, p.in[d]) - std::max<std::int64_t>(start, 0));
  }
  return counts;
}

// The same counts as a tensor, computed from iota as window_counts does.
TensorProxyPtr window_count_tensor(const Pool2d& p, std::size_t d, bool include_pad,
                                   Device device) {
  const TensorProxyPtr start = prims::iota(p.out[d], -p.pad[d], p.stride[d], DType::Int64, device);
  const TensorProxyPtr end = prims::minimum(prims::add(start, p.kernel[d]), p.in[d] + p.pad[d]);
  if (include_pad) return prims::sub(end, start);
  const TensorProxyPtr clipped_end = prims::minimum(end, p.in[d]);
  return prims::sub(clipped_end, prims::maximum(start, std::int64_t{0}));
}

bool all_equal(const std::vector<std::int64_t>& values) {
  return std::adjacent_find(values.begin(), values.end(), std::not_equal_to<>()) == values.end();
}

Value avg_pool2d_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& self = args.tensor(0);
  const DType dtype = self->dtype();
  // torch's CPU and CUDA kernels take floating tensors and int64.
  if (!is_floating(dtype) && dtype != DType::Int64) {
    args.fail(str("not implemented for ", torch_name(dtype), " tensors (floating and int64 only)"));
  }
  const bool ceil_mode = args.boolean(4);
  const bool count_include_pad = args.boolean(5);
  std::optional<std::int64_t> divisor;
  if (!args[6].is_none()) {
    divisor = args.integer(6);
    if (*divisor == 0) args.fail("divisor must be not zero");
  }
  const Pool2d p = pool2d_windows(args, *self, 1, std::nullopt, ceil_mode);
  const DType computation = computation_dtype(dtype);
  const TensorProxyPtr padded =
      pad_for_windows(to_dtype(self, computation), zero_of(computation), p);
  TensorProxyPtr sum;
  for (std::int64_t i = 0; i < p.kernel[0]; ++i) {
    for (std::int64_t j = 0; j < p.kernel[1]; ++j) {
      const TensorProxyPtr window = window_slice(padded, p, i, j);
      sum = sum ? prims::add(sum, window) : window;
    }
  }
  // Integer division truncates, as torch's int64 kernel does.
  const auto number = [&](std::int64_t v) {
    return is_floating(computation) ? Value(static_cast<double>(v)) : Value(v);
  };
  if (divisor) return to_dtype(prims::div(sum, number(*divisor)), dtype);
  const std::vector<std::int64_t> rows = window_counts(p, 0, count_include_pad);
  const std::vector<std::int64_t> cols = window_counts(p, 1, count_include_pad);
  if (all_equal(rows) && all_equal(cols)) {
    return to_dtype(prims::div(sum, number(rows[0] * cols[0])), dtype);
  }
  // Windows that hang over the padding (ceil_mode) or take in padding that does not count
  // have their own divisors: rows x cols of them.
  const Shape& shape = sum->shape();
  const auto r = static_cast<std::int64_t>(shape.size());
  const Shape grid = {p.out[0], p.out[1]};
  const TensorProxyPtr row_counts = prims::broadcast_in_dim(
      window_count_tensor(p, 0, count_include_pad, self->device()), grid, {0});
  const TensorProxyPtr col_counts = prims::broadcast_in_dim(
      window_count_tensor(p, 1, count_include_pad, self->device()), grid, {1});
  const TensorProxyPtr counts = prims::mul(row_counts, col_counts);
  const TensorProxyPtr divisors =
      prims::broadcast_in_dim(to_dtype(counts, computation), shape, {r - 2, r - 1});
  return to_dtype(prims::div(sum, divisors), dtype);
}

// Adaptive pooling's window along one dim: [floor(i * in / out), ceil((i + 1) * in / out)).
std::int64_t adaptive_start(std::int64_t i, std::int64_t in, std::int64_t out) {
  return i * in / out;
}
std::int64_t adaptive_end(std::int64_t i, std::int64_t in, std::int64_t out) {
  return ((i + 1) * in + out - 1) / out;
}

// The sums of x over adaptive pooling's windows along dim, which becomes of extent out.
TensorProxyPtr adaptive_sums(const TensorProxyPtr& x, std::int64_t dim, std::int64_t out) {
  const Shape& shape = x->shape();
  const auto d = static_cast<std::size_t>(dim);
  const std::int64_t in = shape[d];
  if (in == out) return x; // windows of one element
  std::vector<std::int64_t> start(shape.size(), 0), end = shape, steps(shape.size(), 1);
  if (in % out == 0) {
    // Windows of k = in / out elements, k apart: the sum of k strided slices.
    const std::int64_t k = in / out;
    TensorProxyPtr sum;
    for (std::int64_t j = 0; j < k; ++j) {
      start[d] = j;
      end[d] = j + (out - 1) * k + 1;
      steps[d] = k;
      const TensorProxyPtr slice = prims::slice(x, start, end, steps);
      sum = sum ? prims::add(sum, slice) : slice;
    }
    return sum;
  }
  // Windows of varying size: one slice and sum each, concatenated.
  std::vector<TensorProxyPtr> sums;
  Shape kept = shape;
  kept[d] = 1;
  for (std::int64_t i = 0; i < out; ++i) {
    start[d] = adaptive_start(i, in, out);
    end[d] = adaptive_end(i, in, out);
    sums.push_back(prims::reshape(prims::sum(prims::slice(x, start, end, steps), {dim}), kept));
  }
  return sums.size() == 1 ? sums[0] : prims::cat(sums, dim);
}

// x divided by the window sizes of adaptive pooling along dim (a number if all are equal).
TensorProxyPtr divide_by_adaptive_counts(const TensorProxyPtr& x, std::int64_t dim,
                                         std::int64_t in) {
  const Shape& shape = x->shape();
  const std::int64_t out = shape[static_cast<std::size_t>(dim)];
  std::vector<std::int64_t> counts;
  for (std::int64_t i = 0; i < out; ++i) {
    counts.push_back(adaptive_end(i, in, out) - adaptive_start(i, in, out));
  }
  if (all_equal(counts)) return prims::div(x, static_cast<double>(counts[0]));
  // end - start = ceil((i + 1) * in / out) - floor(i * in / out), from iota.
  const Device device = x->device();
  const TensorProxyPtr starts = prims::div(prims::iota(out, 0, in, DType::Int64, device), out);
  const TensorProxyPtr ends =
      prims::div(prims::iota(out, in + out - 1, in, DType::Int64, device), out);
  const TensorProxyPtr sizes = to_dtype(prims::sub(ends, starts), x->dtype());
  return prims::div(x, prims::broadcast_in_dim(sizes, shape, {dim}));
}

Value adaptive_avg_pool2d_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& self = args.tensor(0);
  const std::vector<std::int64_t> size = args.ints(1);
  if (size.size() != 2) args.fail("output_size must be 2");
  if (size[0] < 0 || size[1] < 0) {
    args.fail(str("elements of output_size must be greater than or equal to 0 but received {",
                  size[0], ", ", size[1], "}"));
  }
  const DType dtype = self->dtype();
  if (!is_floating(dtype)) {
    args.fail(str("not implemented for ", torch_name(dtype), " tensors (floating only)"));
  }
  const DType computation = computation_dtype(dtype);
  const Shape& shape = self->shape();
  const auto r = static_cast<std::int64_t>(shape.size());
  if (size[0] == 1 && size[1] == 1) {
    // torch takes the mean over the last two dims here, for any rank >= 2 (and an empty
    // input gives nan).
    if (r < 2) {
      args.fail(str("Dimension out of range (expected to be in range of [",
                    -std::max<std::int64_t>(r, 1), ", ", std::max<std::int64_t>(r, 1) - 1,
                    "], but got -2)"));
    }
    const std::int64_t count = shape[static_cast<std::size_t>(r - 2)] * shape.back();
    const TensorProxyPtr sum = prims::sum(to_dtype(self, computation), {r - 2, r - 1});
    Shape kept = shape;
    kept[kept.size() - 2] = kept[kept.size() - 1] = 1;
    return to_dtype(prims::reshape(prims::div(sum, static_cast<double>(count)), kept), dtype);
  }
  if (r != 3 && r != 4) {
    args.fail(str("Expected 3D or 4D tensor, but got ", shape_to_string(shape)));
  }
  for (const std::int64_t d : {r - 2, r - 1}) {
    if (shape[static_cast<std::size_t>(d)] == 0) {
      args.fail(str("Expected input to have non-zero size for non-batch dimensions, but input "
                    "has sizes ",
                    shape_to_string(shape), " with dimension ", d, " being empty"));
    }
  }
  Shape out_shape = shape;
  out_shape[out_shape.size() - 2] = size[0];
  out_shape[out_shape.size() - 1] = size[1];
  if (size[0] == 0 || size[1] == 0) {
    return prims::full(out_shape, 0.0, dtype, self->device());
  }
  // Window sums along H, then along W; torch then divides by the window's height and by
  // its width, in that order.
  TensorProxyPtr x = to_dtype(self, computation);
  x = adaptive_sums(adaptive_sums(x, r - 2, size[0]), r - 1, size[1]);
  x = divide_by_adaptive_counts(x, r - 2, shape[static_cast<std::size_t>(r - 2)]);
  x = divide_by_adaptive_counts(x, r - 1, shape.back());
  return to_dtype(x, dtype);
}

// ---------------------------------------------------------------------------------------
// Losses.

// log_softmax over dim, with prims: x - max - log(sum(exp(x - max))).
TensorProxyPtr log_softmax(const TensorProxyPtr& x, std::int64_t dim) {
  const Shape& shape = x->shape();
  const TensorProxyPtr shifted = prims::sub(x, unreduce(prims::amax(x, {dim}), shape, dim));
  const TensorProxyPtr lse = prims::log(prims::sum(prims::exp(shifted), {dim}));
  return prims::sub(shifted, unreduce(lse, shape, dim));
}

// The checks of torch's nll_loss_nd (and nll_loss): returns the class dim.
std::int64_t check_nll(const BoundArgs& args, const TensorProxy& self, const TensorProxy& target) {
  if (self.ndim() < 1) args.fail(str("Expected 1 or more dimensions (got ", self.ndim(), ")"));
  const std::int64_t target_batch = target.ndim() == 0 ? 0 : target.shape()[0];
  if (self.ndim() != 1 && self.shape()[0] != target_batch) {
    args.fail(str("Expected input batch_size (", self.shape()[0], ") to match target batch_size (",
                  target_batch, ")."));
  }
  if (self.ndim() <= 2) {
    if (target.ndim() > 1) args.fail("0D or 1D target tensor expected, multi-target not supported");
    if (self.ndim() == 1 && target.ndim() == 1 && target.shape()[0] != 1) {
      args.fail(str("For 1D input, 1D target must have size 1, but got target size: ",
                    target.shape()[0]));
    }
    if (self.ndim() == 2 && target.ndim() == 0) {
      args.fail(str("size mismatch (got input: ", shape_to_string(self.shape()),
                    ", target: ", shape_to_string(target.shape()), ")"));
    }
  } else if (target.shape() != without_dim(self.shape(), 1)) {
    args.fail(str("Expected target size ", shape_to_string(without_dim(self.shape(), 1)), ", got ",
                  shape_to_string(target.shape())));
  }
  if (target.dtype() != DType::Int64 && target.dtype() != DType::UInt8) {
    args.fail(
        str("expected target dtype to be int64 or uint8, but got ", torch_name(target.dtype())));
  }
  if (!is_floating(self.dtype())) {
    args.fail(str("expected a floating input, got ", torch_name(self.dtype())));
  }
  const std::int64_t class_dim = self.ndim() == 1 ? 0 : 1;
  const Value& weight = args[2];
  if (!weight.is_none()) {
    const TensorProxyPtr& w = args.tensor(2);
    const std::int64_t classes = self.shape()[static_cast<std::size_t>(class_dim)];
    if (w->ndim() != 1 || w->shape()[0] != classes) {
      args.fail(str(
          "weight tensor should be defined either for all ", classes,
          " classes or no classes but got weight tensor of shape: ", shape_to_string(w->shape())));
    }
    if (w->dtype() != self.dtype()) {
      args.fail(str("expected scalar type ", torch_name(self.dtype()), " but found ",
                    torch_name(w->dtype()), " (weight must have the input's dtype)"));
    }
  }
  ops::common_device(args, {args[0], args[1], args[2]});
  return class_dim;
}

struct NllTerms {
  TensorProxyPtr loss;    ///< -x[target] * weight[target], 0 where ignored.
  TensorProxyPtr weights; ///< weight[target] (or 1), 0 where ignored.
  TensorProxyPtr valid;   ///< target != ignore_index.
};

// The class weights (a 1-D tensor, or nullptr) broadcast to x's shape along class_dim.
TensorProxyPtr class_weights(const TensorProxyPtr& weight, const TensorProxy& x,
                             std::int64_t class_dim) {
  if (!weight) return nullptr;
  return prims::broadcast_in_dim(to_dtype(weight, x.dtype()), x.shape(), {class_dim});
}

// The per-target terms of nll_loss over x (in the computation dtype; the weights, if any,
// broadcast to its shape): the target's class picked with a one-hot mask of iota == target.
NllTerms nll_terms(const TensorProxyPtr& x, const TensorProxyPtr& target,
                   const TensorProxyPtr& weights, std::int64_t class_dim,
                   std::int64_t ignore_index) {
  const Shape& shape = x->shape();
  const std::int64_t classes = shape[static_cast<std::size_t>(class_dim)];
  TensorProxyPtr t = to_dtype(target, DType::Int64);
  const Shape target_shape = without_dim(shape, class_dim);
  if (t->shape() != target_shape) t = prims::reshape(t, target_shape); // [1] for a 1-D input
  const TensorProxyPtr targets =
      prims::broadcast_in_dim(t, shape, dims_except(shape.size(), class_dim));
  const TensorProxyPtr classes_iota = prims::broadcast_in_dim(
      prims::iota(classes, 0, 1, DType::Int64, x->device()), shape, {class_dim});
  const TensorProxyPtr one_hot = prims::eq(targets, classes_iota);
  // where, not a product with the mask, so that nan and inf in other classes stay out.
  const TensorProxyPtr picked = prims::sum(prims::where(one_hot, x, 0.0), {class_dim});
  NllTerms terms;
  terms.valid = prims::ne(t, ignore_index);
  if (weights) {
    terms.weights = prims::where(terms.valid,
                                 prims::sum(prims::where(one_hot, weights, 0.0), {class_dim}), 0.0);
  } else {
    terms.weights = prims::convert_element_type(terms.valid, x->dtype());
  }
  terms.loss = prims::where(terms.valid, prims::mul(prims::neg(picked), terms.weights), 0.0);
  return terms;
}

// reduction 0: none; 1: mean, the sum over the sum of the weights; any other: sum (as
// torch's nll_loss treats it).
TensorProxyPtr reduce_loss(const TensorProxyPtr& loss, const TensorProxyPtr& weights,
                           std::int64_t reduction) {
  if (reduction == 0) return loss;
  const TensorProxyPtr sum = prims::sum(loss, all_dims(loss->shape().size()));
  if (reduction != 1) return sum;
  return prims::div(sum, prims::sum(weights, all_dims(weights->shape().size())));
}

TensorProxyPtr optional_tensor(const BoundArgs& args, std::size_t index) {
  return args[index].is_none() ? nullptr : args.tensor(index);
}

Value nll_loss_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& self = args.tensor(0);
  const std::int64_t class_dim = check_nll(args, *self, *args.tensor(1));
  const TensorProxyPtr x = to_dtype(self, computation_dtype(self->dtype()));
  const NllTerms terms =
      nll_terms(x, args.tensor(1), class_weights(optional_tensor(args, 2), *x, class_dim),
                class_dim, args.integer(4));
  return to_dtype(reduce_loss(terms.loss, terms.weights, args.integer(3)), self->dtype());
}

void check_label_smoothing(const BoundArgs& args, double label_smoothing, std::int64_t reduction) {
  if (label_smoothing > 1.0) {
    args.fail(str("label_smoothing must be between 0.0 and 1.0. Got: ", label_smoothing));
  }
  if (reduction < 0 || reduction > 2) {
    args.fail(str("Invalid reduction type encountered in cross_entropy: ", reduction));
  }
}

// cross_entropy with class probabilities as the target (a floating target of the input's
// shape), as torch's cross_entropy_loss_prob_target.
TensorProxyPtr cross_entropy_probabilities(const BoundArgs& args) {
  const TensorProxyPtr& self = args.tensor(0);
  const TensorProxyPtr& target = args.tensor(1);
  const TensorProxyPtr weight = optional_tensor(args, 2);
  const std::int64_t reduction = args.integer(3);
  const double label_smoothing = concrete_number(args, 5);
  if (!is_floating(target->dtype())) {
    args.fail(str("Expected floating point type for target with class probabilities, got ",
                  torch_name(target->dtype())));
  }
  if (args.integer(4) >= 0) args.fail("ignore_index is not supported for floating point target");
  if (self->ndim() == 0) args.fail("Expected 1 or more dimensions (got 0)");
  if (!is_floating(self->dtype())) {
    args.fail(str("expected a floating input, got ", torch_name(self->dtype())));
  }
  const std::int64_t class_dim = self->ndim() == 1 ? 0 : 1;
  const Shape& shape = self->shape();
  const std::int64_t classes = shape[static_cast<std::size_t>(class_dim)];
  DType result = promote_types(self->dtype(), target->dtype());
  if (weight) {
    if (weight->ndim() != 1 || weight->shape()[0] != classes) {
      args.fail(str("weight tensor should be defined either for all ", classes,
                    " classes or no classes but got weight tensor of shape: ",
                    shape_to_string(weight->shape())));
    }
    result = promote_types(result, weight->dtype());
  }
  check_label_smoothing(args, label_smoothing, reduction);
  ops::common_device(args, {args[0], args[1], args[2]});
  if (classes == 0) {
    throw UnsupportedError(str(args.symbol().qualified_name(), ": an input without classes (",
                               shape_to_string(shape), ") is not supported"));
  }
  const DType computation = computation_dtype(result);
  const TensorProxyPtr log_probs = log_softmax(to_dtype(self, computation), class_dim);
  TensorProxyPtr probs = to_dtype(target, computation);
  if (label_smoothing > 0.0) {
    probs = prims::add(prims::mul(probs, 1.0 - label_smoothing),
                       label_smoothing / static_cast<double>(classes));
  }
  TensorProxyPtr terms = prims::mul(log_probs, probs);
  if (weight) {
    terms = prims::mul(terms,
                       prims::broadcast_in_dim(to_dtype(weight, computation), shape, {class_dim}));
  }
  TensorProxyPtr out;
  if (reduction == 0) {
    out = prims::neg(prims::sum(terms, {class_dim}));
  } else {
    out = prims::neg(prims::sum(terms, all_dims(shape.size())));
    // The mean is over the samples (numel / classes); with none it is nan (0 / 0).
    if (reduction == 1) out = prims::div(out, static_cast<double>(self->numel() / classes));
  }
  return to_dtype(out, result);
}

Value cross_entropy_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& self = args.tensor(0);
  const TensorProxyPtr& target = args.tensor(1);
  // As torch: a target of the input's shape holds class probabilities.
  if (self->shape() == target->shape()) return cross_entropy_probabilities(args);
  const std::int64_t class_dim = check_nll(args, *self, *target);
  const std::int64_t reduction = args.integer(3);
  const double label_smoothing = concrete_number(args, 5);
  // torch smooths only for label_smoothing > 0 (a negative one is ignored).
  const bool smoothing = label_smoothing > 0.0;
  if (smoothing) check_label_smoothing(args, label_smoothing, reduction);
  const Shape& shape = self->shape();
  const std::int64_t classes = shape[static_cast<std::size_t>(class_dim)];
  if (classes == 0) {
    throw UnsupportedError(str(args.symbol().qualified_name(), ": an input without classes (",
                               shape_to_string(shape), ") is not supported"));
  }
  const TensorProxyPtr weight = optional_tensor(args, 2);
  const DType computation = computation_dtype(self->dtype());
  const TensorProxyPtr log_probs = log_softmax(to_dtype(self, computation), class_dim);
  const TensorProxyPtr weights = class_weights(weight, *log_probs, class_dim);
  const NllTerms terms = nll_terms(log_probs, target, weights, class_dim, args.integer(4));
  if (!smoothing) return to_dtype(reduce_loss(terms.loss, terms.weights, reduction), self->dtype());
  // torch's cross_entropy_loss_label_smoothing: the loss against the uniform distribution,
  // weighted per class, mixed in by label_smoothing / classes; the mean divides both by
  // the targets' total weight.
  const TensorProxyPtr uniform = weights ? prims::mul(log_probs, weights) : log_probs;
  TensorProxyPtr smooth =
      prims::where(terms.valid, prims::neg(prims::sum(uniform, {class_dim})), 0.0);
  TensorProxyPtr nll = terms.loss;
  if (reduction != 0) {
    const std::vector<std::int64_t> all = all_dims(nll->shape().size());
    nll = prims::sum(nll, all);
    smooth = prims::sum(smooth, all);
    if (reduction == 1) {
      const TensorProxyPtr total = prims::sum(terms.weights, all);
      nll = prims::div(nll, total);
      smooth = prims::div(smooth, total);
    }
  }
  nll = prims::mul(nll, 1.0 - label_smoothing);
  smooth = prims::mul(smooth, label_smoothing / static_cast<double>(classes));
  return to_dtype(prims::add(nll, smooth), self->dtype());
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
TensorProxyPtr mm(const Value& self, const Value& mat2) {
  return detail::call_tensor(LTorchId::mm, {self, mat2});
}
TensorProxyPtr bmm(const Value& self, const Value& mat2) {
  return detail::call_tensor(LTorchId::bmm, {self, mat2});
}
TensorProxyPtr addmm(const Value& self, const Value& mat1, const Value& mat2, const Value& beta,
                     const Value& alpha) {
  return detail::call_tensor(LTorchId::addmm, {self, mat1, mat2},
                             {{"beta", beta}, {"alpha", alpha}});
}
TensorProxyPtr baddbmm(const Value& self, const Value& batch1, const Value& batch2,
                       const Value& beta, const Value& alpha) {
  return detail::call_tensor(LTorchId::baddbmm, {self, batch1, batch2},
                             {{"beta", beta}, {"alpha", alpha}});
}
TensorProxyPtr scaled_dot_product_attention(const Value& query, const Value& key,
                                            const Value& value, const Value& attn_mask,
                                            double dropout_p, bool is_causal, const Value& scale,
                                            bool enable_gqa) {
  return detail::call_tensor(LTorchId::scaled_dot_product_attention,
                             {query, key, value, attn_mask, dropout_p, is_causal},
                             {{"scale", scale}, {"enable_gqa", enable_gqa}});
}
TensorProxyPtr conv1d(const Value& input, const Value& weight, const Value& bias,
                      const std::vector<std::int64_t>& stride, const Value& padding,
                      const std::vector<std::int64_t>& dilation, std::int64_t groups) {
  return detail::call_tensor(LTorchId::conv1d, {input, weight, bias, Value::ints(stride), padding,
                                                Value::ints(dilation), groups});
}
TensorProxyPtr conv2d(const Value& input, const Value& weight, const Value& bias,
                      const std::vector<std::int64_t>& stride, const Value& padding,
                      const std::vector<std::int64_t>& dilation, std::int64_t groups) {
  return detail::call_tensor(LTorchId::conv2d, {input, weight, bias, Value::ints(stride), padding,
                                                Value::ints(dilation), groups});
}
TensorProxyPtr max_pool2d(const Value& self, const std::vector<std::int64_t>& kernel_size,
                          const std::vector<std::int64_t>& stride,
                          const std::vector<std::int64_t>& padding,
                          const std::vector<std::int64_t>& dilation, bool ceil_mode) {
  return detail::call_tensor(LTorchId::max_pool2d,
                             {self, Value::ints(kernel_size), Value::ints(stride),
                              Value::ints(padding), Value::ints(dilation), ceil_mode});
}
TensorProxyPtr avg_pool2d(const Value& self, const std::vector<std::int64_t>& kernel_size,
                          const std::vector<std::int64_t>& stride,
                          const std::vector<std::int64_t>& padding, bool ceil_mode,
                          bool count_include_pad, std::optional<std::int64_t> divisor_override) {
  return detail::call_tensor(LTorchId::avg_pool2d,
                             {self, Value::ints(kernel_size), Value::ints(stride),
                              Value::ints(padding), ceil_mode, count_include_pad,
                              divisor_override ? Value(*divisor_override) : Value()});
}
TensorProxyPtr adaptive_avg_pool2d(const Value& self,
                                   const std::vector<std::int64_t>& output_size) {
  return detail::call_tensor(LTorchId::adaptive_avg_pool2d, {self, Value::ints(output_size)});
}
TensorProxyPtr nll_loss(const Value& self, const Value& target, const Value& weight,
                        std::int64_t reduction, std::int64_t ignore_index) {
  return detail::call_tensor(LTorchId::nll_loss, {self, target, weight, reduction, ignore_index});
}
TensorProxyPtr cross_entropy(const Value& self, const Value& target, const Value& weight,
                             std::int64_t reduction, std::int64_t ignore_index,
                             double label_smoothing) {
  return detail::call_tensor(LTorchId::cross_entropy,
                             {self, target, weight, reduction, ignore_index, label_smoothing});
}

} // namespace thunder::ltorch
