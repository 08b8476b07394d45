// ltorch reductions, scans and normalizations: parameters, checks and decompositions; the
// symbols are listed in thunder/ops/ltorch/reduction.def. As torch's kernels do, they keep
// f16 and bf16 data in f32 from the first conversion to the last rounding.
#include "thunder/ops/ltorch/reduction.h"

#include "common.h"

#include <algorithm>
#include <limits>
#include <utility>

namespace thunder::ltorch {
namespace detail {
namespace {

using ops::canonical_dim;

const std::vector<Param> kSumMean = {
    {"a"}, {"dim", Value()}, {"keepdim", Value(false)}, {"dtype", Value(), true}};
const std::vector<Param> kProd = {
    {"a"}, {"dim"}, {"keepdim", Value(false)}, {"dtype", Value(), true}};
const std::vector<Param> kAmaxAmin = {{"a"}, {"dim", Value::ints({})}, {"keepdim", Value(false)}};
const std::vector<Param> kArgReduction = {{"a"}, {"dim", Value()}, {"keepdim", Value(false)}};
const std::vector<Param> kVarStd = {
    {"a"}, {"dim", Value()}, {"correction", Value(1), true}, {"keepdim", Value(false), true}};
const std::vector<Param> kLogsumexp = {{"a"}, {"dim"}, {"keepdim", Value(false)}};
const std::vector<Param> kCumsum = {{"a"}, {"dim"}, {"dtype", Value(), true}};
const std::vector<Param> kDiff = {
    {"a"}, {"n", Value(1)}, {"dim", Value(-1)}, {"prepend", Value()}, {"append", Value()}};
const std::vector<Param> kLayerNorm = {
    {"input"},         {"normalized_shape"}, {"weight", Value()},
    {"bias", Value()}, {"eps", Value(1e-5)}, {"cudnn_enable", Value(true)}};
const std::vector<Param> kRmsNorm = {
    {"input"}, {"normalized_shape"}, {"weight", Value()}, {"eps", Value()}};
const std::vector<Param> kGroupNorm = {
    {"input"},         {"num_groups"},       {"weight", Value()},
    {"bias", Value()}, {"eps", Value(1e-5)}, {"cudnn_enabled", Value(true)}};
// torch.nn.functional.batch_norm's defaults; aten::batch_norm has none, but every value is
// passed to it.
const std::vector<Param> kBatchNorm = {{"input"},
                                       {"weight", Value()},
                                       {"bias", Value()},
                                       {"running_mean", Value()},
                                       {"running_var", Value()},
                                       {"training", Value(false)},
                                       {"momentum", Value(0.1)},
                                       {"eps", Value(1e-5)},
                                       {"cudnn_enabled", Value(true)}};

bool is_low_precision(DType dtype) {
  return dtype == DType::Float16 || dtype == DType::BFloat16;
}

// The dtype a result of this dtype is computed in.
DType computation_dtype(DType result) {
  return is_low_precision(result) ? DType::Float32 : result;
}

// a ready for a reduction whose result has dtype `result`: rounded to that dtype first, as
// torch casts the input to a dtype= argument, then widened to the computation dtype.
TensorProxyPtr to_computation(const TensorProxyPtr& a, DType result) {
  return to_dtype(to_dtype(a, result), computation_dtype(result));
}

// sum, prod and cumsum accumulate bool and integers in int64 unless dtype= says otherwise.
DType accumulating_result(DType input, std::optional<DType> dtype) {
  if (dtype) return *dtype;
  return is_floating(input) ? input : DType::Int64;
}

std::optional<DType> dtype_kwarg(const BoundArgs& args) {
  const Value& dtype = args.get("dtype");
  if (dtype.is_none()) return std::nullopt;
  if (dtype.kind() != ValueKind::DType) args.fail("argument 'dtype' must be a dtype or None");
  return dtype.as_dtype();
}

bool contains(const std::vector<std::int64_t>& dims, std::int64_t d) {
  return std::find(dims.begin(), dims.end(), d) != dims.end();
}

// The dims a reduction's dim argument names, canonical and sorted; an empty list (and None
// where the schema allows it) means every dim. A 0-dim tensor takes dim 0 and -1 and has
// nothing to reduce.
std::vector<std::int64_t> reduction_dims(const BoundArgs& args, std::size_t index,
                                         std::int64_t ndim, bool none_means_all) {
  const Value& dim = args[index];
  std::vector<std::int64_t> dims;
  if ((none_means_all && dim.is_none()) || (dim.is_list() && dim.as_list().empty())) {
    for (std::int64_t i = 0; i < ndim; ++i)
      dims.push_back(i);
    return dims;
  }
  for (const std::int64_t d : args.ints(index)) {
    const std::int64_t c = canonical_dim(args, d, ndim);
    if (contains(dims, c)) {
      args.fail(str("dim ", c, " appears multiple times in the list of dims"));
    }
    dims.push_back(c);
  }
  std::sort(dims.begin(), dims.end());
  if (ndim == 0) dims.clear();
  return dims;
}

std::int64_t reduced_numel(const Shape& shape, const std::vector<std::int64_t>& dims) {
  std::int64_t n = 1;
  for (const std::int64_t d : dims)
    n *= shape[static_cast<std::size_t>(d)];
  return n;
}

// A reduction's output with the reduced dims of `shape` back as extent 1 (keepdim=True).
TensorProxyPtr keep_dims(const TensorProxyPtr& out, const Shape& shape,
                         const std::vector<std::int64_t>& dims) {
  Shape kept = shape;
  for (const std::int64_t d : dims)
    kept[static_cast<std::size_t>(d)] = 1;
  return out->shape() == kept ? out : prims::reshape(out, kept);
}

TensorProxyPtr maybe_keep_dims(const TensorProxyPtr& out, bool keepdim, const Shape& shape,
                               const std::vector<std::int64_t>& dims) {
  return keepdim ? keep_dims(out, shape, dims) : out;
}

// A reduction's output broadcast back over the reduced dims of `shape`.
TensorProxyPtr expand_reduced(const TensorProxyPtr& out, const Shape& shape,
                              const std::vector<std::int64_t>& dims) {
  if (out->shape() == shape) return out;
  std::vector<std::int64_t> kept;
  for (std::int64_t i = 0; i < static_cast<std::int64_t>(shape.size()); ++i) {
    if (!contains(dims, i)) kept.push_back(i);
  }
  return prims::broadcast_in_dim(out, shape, kept);
}

// The mean of x over dims; x is in its computation dtype.
TensorProxyPtr mean_of(const TensorProxyPtr& x, const std::vector<std::int64_t>& dims) {
  return prims::div(prims::sum(x, dims), static_cast<double>(reduced_numel(x->shape(), dims)));
}

// x minus its mean over dims.
TensorProxyPtr deviations_from_mean(const TensorProxyPtr& x,
                                    const std::vector<std::int64_t>& dims) {
  return prims::sub(x, expand_reduced(mean_of(x, dims), x->shape(), dims));
}

// The second pass of the variance: the squared deviations summed over dims and divided by
// max(0, n - correction), as torch divides them (0 gives inf, or nan for 0 / 0).
TensorProxyPtr variance(const TensorProxyPtr& deviations, const std::vector<std::int64_t>& dims,
                        double correction) {
  const auto n = static_cast<double>(reduced_numel(deviations->shape(), dims));
  return prims::div(prims::sum(prims::mul(deviations, deviations), dims),
                    std::max(0.0, n - correction));
}

Value sum_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& a = args.tensor(0);
  const std::vector<std::int64_t> dims = reduction_dims(args, 1, a->ndim(), true);
  const bool keepdim = args.boolean(2);
  const DType result = accumulating_result(a->dtype(), dtype_kwarg(args));
  const TensorProxyPtr out = to_dtype(prims::sum(to_computation(a, result), dims), result);
  return maybe_keep_dims(out, keepdim, a->shape(), dims);
}

Value mean_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& a = args.tensor(0);
  const std::vector<std::int64_t> dims = reduction_dims(args, 1, a->ndim(), true);
  const bool keepdim = args.boolean(2);
  const std::optional<DType> dtype = dtype_kwarg(args);
  if (dtype && !is_floating(*dtype)) {
    args.fail(str("mean(): could not infer output dtype. Optional dtype must be either a "
                  "floating point or complex dtype. Got: ",
                  c10_name(*dtype)));
  }
  if (!dtype && !is_floating(a->dtype())) {
    args.fail(str("mean(): could not infer output dtype. Input dtype must be either a floating "
                  "point or complex dtype. Got: ",
                  c10_name(a->dtype()), " (pass dtype= to average integers)"));
  }
  // Unlike sum, torch does not round the input to dtype= first: it sums a in f32 (or in
  // dtype) and rounds the mean once.
  const DType result = dtype.value_or(a->dtype());
  const TensorProxyPtr out = mean_of(to_dtype(a, computation_dtype(result)), dims);
  return maybe_keep_dims(to_dtype(out, result), keepdim, a->shape(), dims);
}

Value prod_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& a = args.tensor(0);
  const std::int64_t dim = canonical_dim(args, args.integer(1), a->ndim());
  const bool keepdim = args.boolean(2);
  const std::vector<std::int64_t> dims =
      a->ndim() == 0 ? std::vector<std::int64_t>{} : std::vector<std::int64_t>{dim};
  const DType result = accumulating_result(a->dtype(), dtype_kwarg(args));
  const TensorProxyPtr out = to_dtype(prims::prod(to_computation(a, result), dims), result);
  return maybe_keep_dims(out, keepdim, a->shape(), dims);
}

// amax and amin: max and min have no identity, so torch rejects empty reductions.
Value extreme_value(const BoundArgs& args, bool max) {
  const char* op = max ? "amax" : "amin";
  const TensorProxyPtr& a = args.tensor(0);
  const std::vector<std::int64_t> dims = reduction_dims(args, 1, a->ndim(), false);
  const bool keepdim = args.boolean(2);
  if (a->numel() == 0) {
    if (args[1].is_list() && args[1].as_list().empty()) {
      args.fail(str(op, "(): Expected reduction dim to be specified for input.numel() == 0. "
                        "Specify the reduction dim with the 'dim' argument."));
    }
    for (const std::int64_t d : args.ints(1)) {
      if (a->shape()[static_cast<std::size_t>(canonical_dim(args, d, a->ndim()))] == 0) {
        args.fail(str(op, "(): Expected reduction dim ", d, " to have non-zero size."));
      }
    }
  }
  const TensorProxyPtr out = max ? prims::amax(a, dims) : prims::amin(a, dims);
  return maybe_keep_dims(out, keepdim, a->shape(), dims);
}

Value amax_decomposition(const BoundArgs& args) {
  return extreme_value(args, true);
}
Value amin_decomposition(const BoundArgs& args) {
  return extreme_value(args, false);
}

// argmax and argmin: the first index of the extreme value; NaN counts as the extreme of
// both, as in torch (prims.argmax/argmin have torch's semantics).
Value extreme_index(const BoundArgs& args, bool max) {
  const char* op = max ? "argmax" : "argmin";
  const auto reduce = [max](const TensorProxyPtr& t, std::int64_t dim) {
    return max ? prims::argmax(t, dim) : prims::argmin(t, dim);
  };
  const TensorProxyPtr& a = args.tensor(0);
  const bool keepdim = args.boolean(2);
  if (a->dtype() == DType::Bool) args.fail(str(op, "(): does not support bool input"));
  if (args[1].is_none()) {
    // Over the flattened tensor; keepdim keeps every dim as extent 1.
    if (a->numel() == 0) {
      args.fail(str(op, "(): Expected reduction dim to be specified for input.numel() == 0."));
    }
    const TensorProxyPtr flat = a->ndim() <= 1 ? a : prims::reshape(a, {a->numel()});
    const TensorProxyPtr out = reduce(flat, 0);
    return keepdim && a->ndim() > 0 ? prims::reshape(out, Shape(a->shape().size(), 1)) : out;
  }
  const std::int64_t dim = canonical_dim(args, args.integer(1), a->ndim());
  if (a->ndim() > 0 && a->shape()[static_cast<std::size_t>(dim)] == 0) {
    args.fail(str(op, "(): Expected reduction dim ", dim, " to have non-zero size."));
  }
  const std::vector<std::int64_t> dims =
      a->ndim() == 0 ? std::vector<std::int64_t>{} : std::vector<std::int64_t>{dim};
  return maybe_keep_dims(reduce(a, dim), keepdim, a->shape(), dims);
}

Value argmax_decomposition(const BoundArgs& args) {
  return extreme_index(args, true);
}
Value argmin_decomposition(const BoundArgs& args) {
  return extreme_index(args, false);
}

Value variance_or_deviation(const BoundArgs& args, bool deviation) {
  const TensorProxyPtr& a = args.tensor(0);
  if (!is_floating(a->dtype())) {
    args.fail(str("std and var only support floating point and complex dtypes, got ",
                  torch_name(a->dtype())));
  }
  const std::vector<std::int64_t> dims = reduction_dims(args, 1, a->ndim(), true);
  // aten's default, None, is Bessel's correction.
  const double correction = args[2].is_none() ? 1.0 : args.number(2);
  const bool keepdim = args.boolean(3);
  const TensorProxyPtr x = to_dtype(a, computation_dtype(a->dtype()));
  TensorProxyPtr out = variance(deviations_from_mean(x, dims), dims, correction);
  if (deviation) out = prims::sqrt(out);
  return maybe_keep_dims(to_dtype(out, a->dtype()), keepdim, a->shape(), dims);
}

Value var_decomposition(const BoundArgs& args) {
  return variance_or_deviation(args, false);
}
Value std_decomposition(const BoundArgs& args) {
  return variance_or_deviation(args, true);
}

Value logsumexp_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& a = args.tensor(0);
  const std::vector<std::int64_t> dims = reduction_dims(args, 1, a->ndim(), false);
  const bool keepdim = args.boolean(2);
  // torch reduces every dim for dim=[] but then writes its [1, ...] maximum into a result
  // of shape [], which fails unless keepdim=True (or nothing is reduced).
  if (args[1].is_list() && args[1].as_list().empty() && !keepdim && a->ndim() > 0 &&
      a->numel() > 0) {
    args.fail(str("output with shape [] doesn't match the broadcast shape ",
                  shape_to_string(Shape(a->shape().size(), 1)),
                  " (dim=[] without keepdim=True; list the dims to reduce)"));
  }
  const Dtypes dtypes = elementwise_dtypes(args, {args[0]}, PromotionKind::IntToFloat);
  const TensorProxyPtr x = to_dtype(a, dtypes.computation);
  TensorProxyPtr out;
  if (a->numel() == 0) {
    // No maximum to subtract; torch sums the (empty) exponentials: log(0) = -inf.
    out = prims::log(prims::sum(prims::exp(x), dims));
  } else {
    // Subtract the maximum for stability; an infinite maximum is replaced by 0 so that rows
    // of -inf give log(0) = -inf and rows holding +inf give inf, not nan.
    const TensorProxyPtr max = prims::amax(x, dims);
    const TensorProxyPtr shift = prims::where(prims::isinf(max), 0.0, max);
    const TensorProxyPtr shifted = prims::sub(x, expand_reduced(shift, x->shape(), dims));
    out = prims::add(prims::log(prims::sum(prims::exp(shifted), dims)), shift);
  }
  return maybe_keep_dims(to_dtype(out, dtypes.result), keepdim, a->shape(), dims);
}

Value cumsum_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& a = args.tensor(0);
  const std::int64_t dim = canonical_dim(args, args.integer(1), a->ndim());
  const DType result = accumulating_result(a->dtype(), dtype_kwarg(args));
  return to_dtype(prims::cumsum(to_computation(a, result), dim), result);
}

// torch.diff: prepend and append concatenated to a along dim (ltorch.cat, which promotes
// their dtypes), then n times the difference of neighbours: sub, or xor for bool (as
// torch's kernel does). n larger than the extent stops at an empty dim.
Value diff_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& a = args.tensor(0);
  const std::int64_t n = args.integer(1);
  if (a->ndim() == 0) args.fail("diff expects input to be at least one-dimensional");
  if (n < 0) args.fail(str("order must be non-negative but got ", n));
  const std::int64_t dim = canonical_dim(args, args.integer(2), a->ndim());
  Value::List pieces;
  for (const std::size_t i : {std::size_t{3}, std::size_t{0}, std::size_t{4}}) {
    if (args[i].is_none()) continue;
    if (args.tensor(i)->ndim() != a->ndim()) {
      args.fail("diff expects prepend or append to be the same dimension as input");
    }
    pieces.emplace_back(args.tensor(i));
  }
  TensorProxyPtr result = pieces.size() == 1 ? a : ltorch::cat(pieces, dim);
  const std::int64_t steps = std::min(n, result->shape()[static_cast<std::size_t>(dim)]);
  for (std::int64_t step = 0; step < steps; ++step) {
    const std::int64_t extent = result->shape()[static_cast<std::size_t>(dim)];
    std::vector<std::int64_t> starts(result->shape().size(), 0);
    std::vector<std::int64_t> ends = result->shape();
    const std::vector<std::int64_t> strides(result->shape().size(), 1);
    starts[static_cast<std::size_t>(dim)] = 1;
    const TensorProxyPtr upper = prims::slice(result, starts, ends, strides);
    starts[static_cast<std::size_t>(dim)] = 0;
    ends[static_cast<std::size_t>(dim)] = extent - 1;
    const TensorProxyPtr lower = prims::slice(result, starts, ends, strides);
    result = result->dtype() == DType::Bool ? prims::ne(upper, lower) : prims::sub(upper, lower);
  }
  return result;
}

// ---------------------------------------------------------------------------------------
// Normalizations.

using NamedTensor = std::pair<const char*, TensorProxyPtr>;

// The optional tensor argument at index, or nullptr for None.
TensorProxyPtr optional_tensor(const BoundArgs& args, std::size_t index) {
  return args[index].is_none() ? nullptr : args.tensor(index);
}

void check_floating_input(const BoundArgs& args, const TensorProxy& input, const char* kernel) {
  if (!is_floating(input.dtype())) {
    args.fail(str("\"", kernel, "\" not implemented for '", c10_name(input.dtype()), "' (input ",
                  input.type_string(), "; normalizations take floating tensors)"));
  }
}

// torch's rule for the parameters of a norm: they share one dtype, which is the input's or,
// for an f16 or bf16 input, f32 ("mixed dtype"); and they live on the input's device.
void check_norm_params(const BoundArgs& args, const TensorProxy& input,
                       const std::vector<NamedTensor>& params) {
  const NamedTensor* first = nullptr;
  for (const NamedTensor& p : params) {
    if (p.second == nullptr) continue;
    if (p.second->device() != input.device()) {
      args.fail(str("expected ", p.first, " on the input's device ", input.device().to_string(),
                    ", got ", p.second->device().to_string()));
    }
    if (first == nullptr) {
      first = &p;
      const DType dtype = p.second->dtype();
      if (dtype != input.dtype() && !(is_low_precision(input.dtype()) && dtype == DType::Float32)) {
        args.fail(str("mixed dtype: expected ", p.first, " to have the input's dtype ",
                      torch_name(input.dtype()),
                      is_low_precision(input.dtype()) ? " or float32" : "", ", got ",
                      torch_name(dtype)));
      }
    } else if (p.second->dtype() != first->second->dtype()) {
      args.fail(str("mixed dtype: expected ", p.first, " to have the dtype of ", first->first, " (",
                    torch_name(first->second->dtype()), "), got ", torch_name(p.second->dtype())));
    }
  }
}

std::string shape_list(const Shape& shape, const char* separator) {
  std::string out;
  for (std::size_t i = 0; i < shape.size(); ++i)
    out += str(i == 0 ? "" : separator, shape[i]);
  return out;
}

// The trailing dims that layer_norm and rms_norm normalize over, after torch's checks
// (in torch's order).
std::vector<std::int64_t> normalized_dims(const BoundArgs& args, const TensorProxy& input,
                                          const Shape& normalized,
                                          const std::vector<NamedTensor>& params, bool rms) {
  if (normalized.empty()) {
    args.fail("Expected normalized_shape to be at least 1-dimensional, i.e., containing at "
              "least one element, but got normalized_shape = []");
  }
  for (const auto& [name, t] : params) {
    if (t != nullptr && t->shape() != normalized) {
      args.fail(str("Expected ", name, " to be of same shape as normalized_shape, but got ", name,
                    " of shape ", shape_to_string(t->shape()),
                    " and normalized_shape = ", shape_to_string(normalized)));
    }
  }
  const auto k = static_cast<std::int64_t>(normalized.size());
  const bool fits = input.ndim() >= k &&
                    std::equal(normalized.begin(), normalized.end(), input.shape().end() - k);
  if (!fits) {
    // rms_norm's message has no comma after the star; layer_norm's has.
    args.fail(str("Given normalized_shape=", shape_to_string(normalized),
                  ", expected input with shape [*", rms ? "" : ", ", shape_list(normalized, ", "),
                  "], but got input of size", shape_to_string(input.shape())));
  }
  std::vector<std::int64_t> dims;
  for (std::int64_t i = input.ndim() - k; i < input.ndim(); ++i)
    dims.push_back(i);
  return dims;
}

// x * weight + bias with the optional parameters broadcast as `place` puts them; x is in the
// computation dtype, and so are the parameters once converted.
TensorProxyPtr scale_and_shift(TensorProxyPtr x, const TensorProxyPtr& weight,
                               const TensorProxyPtr& bias,
                               const std::function<TensorProxyPtr(const TensorProxyPtr&)>& place) {
  if (weight != nullptr) x = prims::mul(x, place(to_dtype(weight, x->dtype())));
  if (bias != nullptr) x = prims::add(x, place(to_dtype(bias, x->dtype())));
  return x;
}

Value layer_norm_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& input = args.tensor(0);
  const Shape normalized = args.ints(1);
  const TensorProxyPtr weight = optional_tensor(args, 2);
  const TensorProxyPtr bias = optional_tensor(args, 3);
  const double eps = args.number(4);
  args.boolean(5);
  const std::vector<NamedTensor> params = {{"weight", weight}, {"bias", bias}};
  const std::vector<std::int64_t> dims = normalized_dims(args, *input, normalized, params, false);
  check_floating_input(args, *input, "LayerNormKernelImpl");
  check_norm_params(args, *input, params);

  const TensorProxyPtr x = to_dtype(input, computation_dtype(input->dtype()));
  const TensorProxyPtr deviations = deviations_from_mean(x, dims);
  const TensorProxyPtr rstd = prims::rsqrt(prims::add(variance(deviations, dims, 0), eps));
  const TensorProxyPtr out =
      scale_and_shift(prims::mul(deviations, expand_reduced(rstd, x->shape(), dims)), weight, bias,
                      [&](const TensorProxyPtr& p) { return broadcast_to(p, x->shape()); });
  return to_dtype(out, input->dtype());
}

// torch's _fused_rms_norm: computed in f32 (f64 for f64), the weight multiplied before the
// one rounding to the input's dtype; eps None is the machine epsilon of the computation dtype.
Value rms_norm_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& input = args.tensor(0);
  const Shape normalized = args.ints(1);
  const TensorProxyPtr weight = optional_tensor(args, 2);
  const std::vector<std::int64_t> dims =
      normalized_dims(args, *input, normalized, {{"weight", weight}}, true);
  check_floating_input(args, *input, "rms_norm");
  if (weight != nullptr && weight->device() != input->device()) {
    args.fail(str("expected weight on the input's device ", input->device().to_string(), ", got ",
                  weight->device().to_string()));
  }
  const DType computation = computation_dtype(input->dtype());
  const double eps = !args[3].is_none()              ? args.number(3)
                     : computation == DType::Float64 ? std::numeric_limits<double>::epsilon()
                                                     : std::numeric_limits<float>::epsilon();

  const TensorProxyPtr x = to_dtype(input, computation);
  const TensorProxyPtr rstd = prims::rsqrt(prims::add(mean_of(prims::mul(x, x), dims), eps));
  TensorProxyPtr out = prims::mul(x, expand_reduced(rstd, x->shape(), dims));
  if (weight != nullptr) {
    // The weight multiplies with type promotion (an f64 weight makes it an f64 product).
    const DType product = promote_types(computation, weight->dtype());
    out = prims::mul(to_dtype(out, product), broadcast_to(to_dtype(weight, product), x->shape()));
  }
  return to_dtype(out, input->dtype());
}

Value group_norm_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& input = args.tensor(0);
  const std::int64_t groups = args.integer(1);
  const TensorProxyPtr weight = optional_tensor(args, 2);
  const TensorProxyPtr bias = optional_tensor(args, 3);
  const double eps = args.number(4);
  args.boolean(5);
  if (input->ndim() < 2) {
    args.fail(str("Expected at least 2 dimensions for input tensor but received ", input->ndim()));
  }
  if (groups <= 0) args.fail(str("Expected num groups to be greater than 0, got ", groups));
  const Shape& shape = input->shape();
  const std::int64_t channels = shape[1];
  if (channels % groups != 0) {
    args.fail(str("Expected number of channels in input to be divisible by num_groups, but got "
                  "input of shape ",
                  shape_to_string(shape), " and num_groups=", groups));
  }
  const std::vector<NamedTensor> params = {{"weight", weight}, {"bias", bias}};
  for (const auto& [name, t] : params) {
    if (t != nullptr && (t->ndim() != 1 || t->numel() != channels)) {
      args.fail(str("Expected ", name,
                    " to be a vector of size equal to the number of channels in input, but got ",
                    name, " of shape ", shape_to_string(t->shape()), " and input of shape ",
                    shape_to_string(shape)));
    }
  }
  check_floating_input(args, *input, "GroupNormKernelImpl");
  check_norm_params(args, *input, params);

  // Normalize [N, groups, rest] over its last dim, then restore the input's shape.
  const TensorProxyPtr x = to_dtype(input, computation_dtype(input->dtype()));
  std::int64_t group_size = channels / groups;
  for (std::size_t i = 2; i < shape.size(); ++i)
    group_size *= shape[i];
  const Shape grouped = {shape[0], groups, group_size};
  const TensorProxyPtr xg = prims::reshape(x, grouped);
  const std::vector<std::int64_t> dims = {2};
  const TensorProxyPtr deviations = deviations_from_mean(xg, dims);
  const TensorProxyPtr rstd = prims::rsqrt(prims::add(variance(deviations, dims, 0), eps));
  const TensorProxyPtr normalized =
      prims::reshape(prims::mul(deviations, expand_reduced(rstd, grouped, dims)), shape);
  const TensorProxyPtr out =
      scale_and_shift(normalized, weight, bias, [&](const TensorProxyPtr& p) {
        return prims::broadcast_in_dim(p, shape, {1});
      });
  return to_dtype(out, input->dtype());
}

// Inference only: normalizes with the running statistics.
Value batch_norm_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& input = args.tensor(0);
  const TensorProxyPtr weight = optional_tensor(args, 1);
  const TensorProxyPtr bias = optional_tensor(args, 2);
  const TensorProxyPtr running_mean = optional_tensor(args, 3);
  const TensorProxyPtr running_var = optional_tensor(args, 4);
  const bool training = args.boolean(5);
  args.number(6);
  const double eps = args.number(7);
  args.boolean(8);
  if (training) {
    throw UnsupportedError(str(args.symbol().qualified_name(),
                               ": training-mode batch_norm is not supported yet (training=True "
                               "computes batch statistics and updates the running ones); trace "
                               "the model in eval mode"));
  }
  if (running_mean == nullptr) args.fail("running_mean must be defined in evaluation mode");
  if (running_var == nullptr) args.fail("running_var must be defined in evaluation mode");
  if (input->ndim() < 2) {
    args.fail(str("expected an input of at least 2 dims [N, C, ...], got ", input->type_string()));
  }
  const Shape& shape = input->shape();
  const std::int64_t channels = shape[1];
  const std::vector<NamedTensor> params = {{"weight", weight},
                                           {"bias", bias},
                                           {"running_mean", running_mean},
                                           {"running_var", running_var}};
  for (const auto& [name, t] : params) {
    if (t != nullptr && t->numel() != channels) {
      args.fail(str(name, " should contain ", channels, " elements not ", t->numel()));
    }
    if (t != nullptr && t->ndim() != 1) {
      args.fail(
          str("expected ", name, " to be 1-D of ", channels, " elements, got ", t->type_string()));
    }
  }
  check_floating_input(args, *input, "batch_norm");
  check_norm_params(args, *input, params);

  const TensorProxyPtr x = to_dtype(input, computation_dtype(input->dtype()));
  const auto per_channel = [&](const TensorProxyPtr& p) {
    return prims::broadcast_in_dim(to_dtype(p, x->dtype()), shape, {1});
  };
  const TensorProxyPtr rstd = prims::rsqrt(prims::add(to_dtype(running_var, x->dtype()), eps));
  const TensorProxyPtr normalized =
      prims::mul(prims::sub(x, per_channel(running_mean)), per_channel(rstd));
  return to_dtype(scale_and_shift(normalized, weight, bias, per_channel), input->dtype());
}

} // namespace

void add_reduction_symbols(std::vector<Symbol>& table) {
#define THUNDER_LTORCH(NAME, PARAMS, CHECK, DECOMPOSITION, TAGS, TORCH)                            \
  table.push_back(make_ltorch_symbol(#NAME, PARAMS, CHECK, DECOMPOSITION, TAGS, TORCH));
#include "thunder/ops/ltorch/reduction.def"
#undef THUNDER_LTORCH
}

} // namespace detail

namespace {
Value optional_dtype(std::optional<DType> dtype) {
  return dtype ? Value(*dtype) : Value();
}
} // namespace

TensorProxyPtr sum(const Value& a, const Value& dim, bool keepdim, std::optional<DType> dtype) {
  return detail::call_tensor(LTorchId::sum, {a, dim, keepdim}, {{"dtype", optional_dtype(dtype)}});
}
TensorProxyPtr mean(const Value& a, const Value& dim, bool keepdim, std::optional<DType> dtype) {
  return detail::call_tensor(LTorchId::mean, {a, dim, keepdim}, {{"dtype", optional_dtype(dtype)}});
}
TensorProxyPtr prod(const Value& a, std::int64_t dim, bool keepdim, std::optional<DType> dtype) {
  return detail::call_tensor(LTorchId::prod, {a, dim, keepdim}, {{"dtype", optional_dtype(dtype)}});
}
TensorProxyPtr amax(const Value& a, const Value& dim, bool keepdim) {
  return detail::call_tensor(LTorchId::amax, {a, dim, keepdim});
}
TensorProxyPtr amin(const Value& a, const Value& dim, bool keepdim) {
  return detail::call_tensor(LTorchId::amin, {a, dim, keepdim});
}
TensorProxyPtr argmax(const Value& a, const Value& dim, bool keepdim) {
  return detail::call_tensor(LTorchId::argmax, {a, dim, keepdim});
}
TensorProxyPtr argmin(const Value& a, const Value& dim, bool keepdim) {
  return detail::call_tensor(LTorchId::argmin, {a, dim, keepdim});
}
TensorProxyPtr var(const Value& a, const Value& dim, const Value& correction, bool keepdim) {
  return detail::call_tensor(LTorchId::var, {a, dim},
                             {{"correction", correction}, {"keepdim", keepdim}});
}
TensorProxyPtr std(const Value& a, const Value& dim, const Value& correction, bool keepdim) {
  return detail::call_tensor(LTorchId::std, {a, dim},
                             {{"correction", correction}, {"keepdim", keepdim}});
}
TensorProxyPtr logsumexp(const Value& a, const Value& dim, bool keepdim) {
  return detail::call_tensor(LTorchId::logsumexp, {a, dim, keepdim});
}
TensorProxyPtr cumsum(const Value& a, std::int64_t dim, std::optional<DType> dtype) {
  return detail::call_tensor(LTorchId::cumsum, {a, dim}, {{"dtype", optional_dtype(dtype)}});
}
TensorProxyPtr diff(const Value& a, std::int64_t n, std::int64_t dim, const Value& prepend,
                    const Value& append) {
  return detail::call_tensor(LTorchId::diff, {a, n, dim, prepend, append});
}
TensorProxyPtr layer_norm(const Value& input, const Shape& normalized_shape, const Value& weight,
                          const Value& bias, double eps) {
  return detail::call_tensor(LTorchId::layer_norm,
                             {input, Value::ints(normalized_shape), weight, bias, eps});
}
TensorProxyPtr rms_norm(const Value& input, const Shape& normalized_shape, const Value& weight,
                        std::optional<double> eps) {
  return detail::call_tensor(LTorchId::rms_norm, {input, Value::ints(normalized_shape), weight,
                                                  eps ? Value(*eps) : Value()});
}
TensorProxyPtr group_norm(const Value& input, std::int64_t num_groups, const Value& weight,
                          const Value& bias, double eps) {
  return detail::call_tensor(LTorchId::group_norm, {input, num_groups, weight, bias, eps});
}
TensorProxyPtr batch_norm(const Value& input, const Value& weight, const Value& bias,
                          const Value& running_mean, const Value& running_var, bool training,
                          double momentum, double eps) {
  return detail::call_tensor(LTorchId::batch_norm, {input, weight, bias, running_mean, running_var,
                                                    training, momentum, eps});
}

} // namespace thunder::ltorch
