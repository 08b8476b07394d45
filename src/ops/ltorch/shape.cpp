// ltorch shape, data-movement and creation ops: parameters, checks and decompositions; the
// symbols are listed in thunder/ops/ltorch/shape.def.
#include "thunder/ops/ltorch/shape.h"

#include "common.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <optional>

namespace thunder::ltorch {
namespace detail {
namespace {

using ops::canonical_dim;

const std::vector<Param> kUnary = {{"a"}};
const std::vector<Param> kReshape = {{"a"}, {"shape"}};
const std::vector<Param> kTranspose = {{"a"}, {"dim0"}, {"dim1"}};
const std::vector<Param> kPermute = {{"a"}, {"dims"}};
const std::vector<Param> kFlatten = {{"a"}, {"start_dim", Value(0)}, {"end_dim", Value(-1)}};
const std::vector<Param> kUnflatten = {{"a"}, {"dim"}, {"sizes"}};
const std::vector<Param> kDim = {{"a"}, {"dim"}};
const std::vector<Param> kSqueeze = {{"a"}, {"dim", Value()}};
const std::vector<Param> kExpand = {{"a"}, {"size"}};
const std::vector<Param> kSplit = {{"a"}, {"split_size"}, {"dim", Value(0)}};
const std::vector<Param> kChunk = {{"a"}, {"chunks"}, {"dim", Value(0)}};
const std::vector<Param> kTensors = {{"tensors"}, {"dim", Value(0)}};
const std::vector<Param> kNarrow = {{"a"}, {"dim"}, {"start"}, {"length"}};
const std::vector<Param> kSelect = {{"a"}, {"dim"}, {"index"}};
const std::vector<Param> kSlice = {
    {"a"}, {"dim", Value(0)}, {"start", Value()}, {"end", Value()}, {"step", Value(1)}};
const std::vector<Param> kIndexSelect = {{"a"}, {"dim"}, {"index"}};
const std::vector<Param> kIndex = {{"a"}, {"indices"}};
const std::vector<Param> kGather = {{"a"}, {"dim"}, {"index"}, {"sparse_grad", Value(false), true}};
const std::vector<Param> kEmbedding = {{"weight"},
                                       {"indices"},
                                       {"padding_idx", Value(-1)},
                                       {"scale_grad_by_freq", Value(false)},
                                       {"sparse", Value(false)}};
const std::vector<Param> kTriangle = {{"a"}, {"diagonal", Value(0)}};
const std::vector<Param> kFull = {
    {"size"}, {"fill_value"}, {"dtype", Value(), true}, {"device", Value(), true}};
const std::vector<Param> kConstant = {
    {"size"}, {"dtype", Value(), true}, {"device", Value(), true}};
const std::vector<Param> kArange = {
    {"start"}, {"end"}, {"step", Value(1)}, {"dtype", Value(), true}, {"device", Value(), true}};
const std::vector<Param> kNewFull = {
    {"a"}, {"size"}, {"fill_value"}, {"dtype", Value(), true}, {"device", Value(), true}};
const std::vector<Param> kNewConstant = {
    {"a"}, {"size"}, {"dtype", Value(), true}, {"device", Value(), true}};
const std::vector<Param> kFullLike = {{"a"}, {"fill_value"}, {"dtype", Value(), true}};
const std::vector<Param> kConstantLike = {{"a"}, {"dtype", Value(), true}};

// ---------------------------------------------------------------------------------------
// Helpers.

std::size_t index_of(std::int64_t dim) {
  return static_cast<std::size_t>(dim);
}

std::int64_t product(Shape::const_iterator begin, Shape::const_iterator end) {
  return std::accumulate(begin, end, std::int64_t{1}, std::multiplies<>());
}

// torch's infer_size: shape with its -1 extent (at most one) inferred so that it holds
// numel elements; nullopt if no shape does.
std::optional<Shape> infer_size(const BoundArgs& args, const Shape& shape, std::int64_t numel) {
  std::optional<std::size_t> inferred;
  std::int64_t known = 1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      if (inferred) args.fail("only one dimension can be inferred");
      inferred = i;
    } else if (shape[i] >= 0) {
      known *= shape[i];
    } else {
      args.fail(str("invalid shape dimension ", shape[i], " at index ", i, " of shape ",
                    shape_to_string(shape)));
    }
  }
  if (numel != known && !(inferred && known > 0 && numel % known == 0)) return std::nullopt;
  Shape out = shape;
  if (inferred) {
    if (known == 0) {
      args.fail(str("cannot reshape tensor of 0 elements into shape ", shape_to_string(shape),
                    " because the unspecified dimension size -1 can be any value and is "
                    "ambiguous"));
    }
    out[*inferred] = numel / known;
  }
  return out;
}

// a itself when it already has the shape (a call that computes nothing records nothing).
TensorProxyPtr reshape_to(const TensorProxyPtr& a, const Shape& shape) {
  return a->shape() == shape ? a : prims::reshape(a, shape);
}

// Elements start, start + step, ... (before end) of dim; canonical, in-range arguments.
TensorProxyPtr slice_dim(const TensorProxyPtr& a, std::int64_t dim, std::int64_t start,
                         std::int64_t end, std::int64_t step) {
  const std::int64_t extent = a->shape()[index_of(dim)];
  if (start == 0 && end == extent && step == 1) return a;
  std::vector<std::int64_t> starts(a->shape().size(), 0);
  std::vector<std::int64_t> ends = a->shape();
  std::vector<std::int64_t> strides(a->shape().size(), 1);
  starts[index_of(dim)] = start;
  ends[index_of(dim)] = end;
  strides[index_of(dim)] = step;
  return prims::slice(a, starts, ends, strides);
}

// Canonical dims of a list, each at most once ("dim 1 appears multiple times ...").
std::vector<std::int64_t> canonical_dims(const BoundArgs& args,
                                         const std::vector<std::int64_t>& dims, std::int64_t ndim) {
  std::vector<std::int64_t> out;
  for (const std::int64_t d : dims) {
    const std::int64_t c = canonical_dim(args, d, ndim);
    if (std::find(out.begin(), out.end(), c) != out.end()) {
      args.fail(str("dim ", c, " appears multiple times in the list of dims"));
    }
    out.push_back(c);
  }
  return out;
}

// The list argument of cat and stack, as tensors.
std::vector<TensorProxyPtr> tensor_list(const BoundArgs& args, std::size_t index) {
  const Value& list = args[index];
  if (!list.is_list()) {
    args.fail(str("argument '", args.symbol().params[index].name,
                  "' must be a list of tensors, got ", value_kind_name(list.kind())));
  }
  std::vector<TensorProxyPtr> out;
  for (const Value& item : list.as_list()) {
    if (!item.is_tensor()) {
      args.fail(str("argument '", args.symbol().params[index].name,
                    "' must be a list of tensors, got ", value_kind_name(item.kind()),
                    " at position ", out.size()));
    }
    out.push_back(item.as_tensor());
  }
  return out;
}

// The dtype torch concatenates a list of tensors in (torch.result_type over the list),
// after checking that they share one device.
DType list_dtype(const BoundArgs& args, const std::vector<TensorProxyPtr>& tensors) {
  for (const TensorProxyPtr& t : tensors) {
    if (t->device() != tensors.front()->device()) {
      args.fail(str("Expected all tensors to be on the same device, but found at least two "
                    "devices, ",
                    tensors.front()->device().to_string(), " and ", t->device().to_string(), "!"));
    }
  }
  const std::vector<Value> operands(tensors.begin(), tensors.end());
  return elementwise_dtypes(args, operands, PromotionKind::NoOpMath).result;
}

// The extents of the pieces split(extent, split_size) makes, as torch cuts them: full
// pieces and a smaller last one; a single empty piece for an empty dim.
std::vector<std::int64_t> split_extents(std::int64_t extent, std::int64_t split_size) {
  if (split_size == 0) return {0}; // Only valid for extent 0.
  const std::int64_t pieces = std::max<std::int64_t>((extent + split_size - 1) / split_size, 1);
  std::vector<std::int64_t> out(static_cast<std::size_t>(pieces), split_size);
  out.back() = split_size - (split_size * pieces - extent);
  return out;
}

// The pieces of a along dim with these extents (which sum to its extent).
Value split_pieces(const TensorProxyPtr& a, std::int64_t dim,
                   const std::vector<std::int64_t>& extents) {
  Value::List out;
  std::int64_t offset = 0;
  for (const std::int64_t extent : extents) {
    out.emplace_back(slice_dim(a, dim, offset, offset + extent, 1));
    offset += extent;
  }
  return Value(std::move(out));
}

// A number of dtype's kind with this value, so that prims see a typed constant.
Value number_of(double value, DType dtype) {
  if (dtype == DType::Bool) return Value(value != 0.0);
  if (!is_floating(dtype)) return Value(static_cast<std::int64_t>(value));
  return Value(value);
}

std::optional<DType> dtype_kwarg(const BoundArgs& args) {
  const Value& dtype = args.get("dtype");
  if (dtype.is_none()) return std::nullopt;
  if (dtype.kind() != ValueKind::DType) {
    args.fail(str("argument 'dtype' must be a dtype or None, got ", dtype.repr()));
  }
  return dtype.as_dtype();
}

Device device_kwarg(const BoundArgs& args) {
  const Value& device = args.get("device");
  if (device.is_none()) return Device::cpu();
  if (device.kind() != ValueKind::Device) {
    args.fail(str("argument 'device' must be a device or None, got ", device.repr()));
  }
  return device.as_device();
}

// The size of a creation op: non-negative extents.
Shape size_arg(const BoundArgs& args, std::size_t index) {
  const Shape size = args.ints(index);
  for (const std::int64_t extent : size) {
    if (extent < 0) {
      args.fail(str("Trying to create tensor with negative dimension ", extent, ": ",
                    shape_to_string(size)));
    }
  }
  return size;
}

// The dtype torch.full infers from its fill value: bool, int64 or the default float.
DType fill_dtype(const BoundArgs& args, const Value& fill_value) {
  if (!fill_value.is_scalar()) {
    args.fail(str("fill_value must be a number, got ", value_kind_name(fill_value.kind()), " ",
                  fill_value.repr()));
  }
  const DType dtype = ops::value_dtype(fill_value);
  return is_floating(dtype) ? kDefaultFloatDType : dtype;
}

// torch fills through Scalar::to<T>, which rejects values that overflow T (c10::overflows):
// out-of-range numbers, and NaN for integers. Bool targets take anything; unsigned
// targets take negative ints down to -max (they wrap); inf and NaN fit floating types.
void check_fill_value(const BoundArgs& args, const Value& fill_value, DType dtype) {
  const ValueKind kind = fill_value.kind();
  if (dtype == DType::Bool || (kind != ValueKind::Int && kind != ValueKind::Float)) return;
  const auto [lowest, highest] = finite_range(dtype);
  bool overflows = false;
  if (kind == ValueKind::Int) {
    const std::int64_t v = fill_value.as_int();
    if (dtype == DType::UInt8) {
      overflows = v > 255 || (v < 0 && -static_cast<std::uint64_t>(v) > 255);
    } else if (dtype != DType::Int64) {
      overflows = static_cast<double>(v) < lowest || static_cast<double>(v) > highest;
    }
  } else {
    const double v = fill_value.as_float();
    if (is_floating(dtype)) {
      overflows = std::isfinite(v) && (v < lowest || v > highest);
    } else {
      overflows = std::isnan(v) || v < lowest || v > highest;
    }
  }
  if (overflows) {
    args.fail(str("value ", fill_value.repr(), " cannot be converted to type ", torch_name(dtype),
                  " without overflow"));
  }
}

// ---------------------------------------------------------------------------------------
// Reshaping.

Value reshape_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& a = args.tensor(0);
  const Shape shape = args.ints(1);
  const std::optional<Shape> inferred = infer_size(args, shape, a->numel());
  if (!inferred) {
    args.fail(
        str("shape '", shape_to_string(shape), "' is invalid for input of size ", a->numel()));
  }
  return reshape_to(a, *inferred);
}

// Shapes are static and traces have no strides, so a view is a reshape.
Value view_decomposition(const BoundArgs& args) {
  return reshape_decomposition(args);
}

Value transpose_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& a = args.tensor(0);
  const std::int64_t d0 = canonical_dim(args, args.integer(1), a->ndim());
  const std::int64_t d1 = canonical_dim(args, args.integer(2), a->ndim());
  std::vector<std::int64_t> perm;
  for (std::int64_t i = 0; i < a->ndim(); ++i)
    perm.push_back(i);
  if (a->ndim() > 0) std::swap(perm[index_of(d0)], perm[index_of(d1)]);
  return prims::transpose(a, perm);
}

Value permute_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& a = args.tensor(0);
  return prims::transpose(a, canonical_permutation(args, args.ints(1), a->ndim()));
}

Value flatten_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& a = args.tensor(0);
  const std::int64_t start = canonical_dim(args, args.integer(1), a->ndim());
  const std::int64_t end = canonical_dim(args, args.integer(2), a->ndim());
  if (start > end) args.fail("flatten() has invalid args: start_dim cannot come after end_dim");
  if (a->ndim() == 0) return reshape_to(a, {1});
  const Shape& in = a->shape();
  Shape shape(in.begin(), in.begin() + start);
  shape.push_back(product(in.begin() + start, in.begin() + end + 1));
  shape.insert(shape.end(), in.begin() + end + 1, in.end());
  return reshape_to(a, shape);
}

Value unflatten_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& a = args.tensor(0);
  if (a->ndim() == 0) {
    args.fail(str("Dimension specified as ", args.integer(1), " but tensor has no dimensions"));
  }
  const std::int64_t dim = canonical_dim(args, args.integer(1), a->ndim());
  const Shape sizes = args.ints(2);
  if (sizes.empty()) args.fail("sizes must be non-empty");
  const std::int64_t extent = a->shape()[index_of(dim)];
  const std::optional<Shape> inferred = infer_size(args, sizes, extent);
  if (!inferred) {
    args.fail(str("Provided sizes ", shape_to_string(sizes),
                  " don't multiply up to the size of dim ", dim, " (", extent,
                  ") in the input tensor"));
  }
  Shape shape(a->shape().begin(), a->shape().begin() + dim);
  shape.insert(shape.end(), inferred->begin(), inferred->end());
  shape.insert(shape.end(), a->shape().begin() + dim + 1, a->shape().end());
  return reshape_to(a, shape);
}

Value unsqueeze_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& a = args.tensor(0);
  const std::int64_t dim = canonical_dim(args, args.integer(1), a->ndim() + 1);
  Shape shape = a->shape();
  shape.insert(shape.begin() + dim, 1);
  return prims::reshape(a, shape);
}

// As torch: dims of extent other than 1 stay (squeeze is a no-op on them).
Value squeeze_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& a = args.tensor(0);
  std::vector<std::int64_t> dims;
  if (args[1].is_none()) {
    for (std::int64_t i = 0; i < a->ndim(); ++i)
      dims.push_back(i);
  } else {
    dims = canonical_dims(args, args.ints(1), a->ndim());
    if (a->ndim() == 0) dims.clear();
  }
  std::erase_if(dims, [&a](std::int64_t d) { return a->shape()[index_of(d)] != 1; });
  if (dims.empty()) return a;
  std::sort(dims.begin(), dims.end());
  return prims::squeeze(a, dims);
}

Value expand_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& a = args.tensor(0);
  const Shape sizes = args.ints(1);
  const auto count = static_cast<std::int64_t>(sizes.size());
  if (count < a->ndim()) {
    args.fail(str("the number of sizes provided (", count,
                  ") must be greater or equal to the number of dimensions in the tensor (",
                  a->ndim(), ")"));
  }
  const std::int64_t leading = count - a->ndim();
  Shape shape(sizes.size());
  for (std::int64_t i = 0; i < count; ++i) {
    const std::int64_t size = sizes[index_of(i)];
    if (i < leading && size == -1) {
      args.fail(str("The expanded size of the tensor (-1) isn't allowed in a leading, "
                    "non-existing dimension ",
                    i));
    }
    const std::int64_t existing = i < leading ? 1 : a->shape()[index_of(i - leading)];
    if (size < -1) {
      args.fail(str("The expanded size of the tensor (", size,
                    ") must be non-negative at dimension ", i,
                    ".  Target sizes: ", shape_to_string(sizes)));
    }
    if (size != -1 && existing != 1 && size != existing) {
      args.fail(str("The expanded size of the tensor (", size, ") must match the existing size (",
                    existing, ") at non-singleton dimension ", i, ".  Target sizes: ",
                    shape_to_string(sizes), ".  Tensor sizes: ", shape_to_string(a->shape())));
    }
    shape[index_of(i)] = size == -1 ? existing : size;
  }
  return broadcast_to(a, shape);
}

// Traces have no memory layout: the input itself, and the tracer records nothing.
Value contiguous_decomposition(const BoundArgs& args) {
  return args.tensor(0);
}

// ---------------------------------------------------------------------------------------
// Splitting and joining.

Value split_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& a = args.tensor(0);
  if (a->ndim() == 0) args.fail("split expects at least a 1-dimensional tensor");
  const std::int64_t dim = canonical_dim(args, args.integer(2), a->ndim());
  const std::int64_t extent = a->shape()[index_of(dim)];
  if (args[1].kind() == ValueKind::Int) {
    const std::int64_t split_size = args.integer(1);
    if (split_size < 0) {
      args.fail(str("split expects split_size be non-negative, but got split_size=", split_size));
    }
    if (split_size == 0 && extent != 0) {
      args.fail(str("split_size can only be 0 if dimension size is 0, but got dimension size of ",
                    extent));
    }
    return split_pieces(a, dim, split_extents(extent, split_size));
  }
  const std::vector<std::int64_t> sizes = args.ints(1);
  for (const std::int64_t size : sizes) {
    if (size < 0) {
      args.fail(str("split_with_sizes expects split_sizes have only non-negative entries, but "
                    "got split_sizes=",
                    shape_to_string(sizes)));
    }
  }
  if (std::accumulate(sizes.begin(), sizes.end(), std::int64_t{0}) != extent) {
    args.fail(str("split_with_sizes expects split_sizes to sum exactly to ", extent,
                  " (input tensor's size at dimension ", dim,
                  "), but got split_sizes=", shape_to_string(sizes)));
  }
  return split_pieces(a, dim, sizes);
}

Value chunk_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& a = args.tensor(0);
  if (a->ndim() == 0) args.fail("chunk expects at least a 1-dimensional tensor");
  const std::int64_t chunks = args.integer(1);
  if (chunks <= 0) args.fail(str("chunk expects `chunks` to be greater than 0, got: ", chunks));
  const std::int64_t dim = canonical_dim(args, args.integer(2), a->ndim());
  const std::int64_t extent = a->shape()[index_of(dim)];
  const std::int64_t split_size = (extent + chunks - 1) / chunks;
  // An empty dim still gives `chunks` (empty) pieces.
  if (extent == 0) {
    return split_pieces(a, dim, std::vector<std::int64_t>(static_cast<std::size_t>(chunks), 0));
  }
  return split_pieces(a, dim, split_extents(extent, split_size));
}

// torch skips "legacy empty" tensors (1-D of extent 0) when it checks shapes and
// canonicalizes dim, whatever the other tensors' rank.
bool legacy_empty(const TensorProxy& t) {
  return t.shape() == Shape{0};
}

Value cat_decomposition(const BoundArgs& args) {
  const std::vector<TensorProxyPtr> tensors = tensor_list(args, 0);
  if (tensors.empty()) args.fail("expected a non-empty list of Tensors");
  for (std::size_t i = 0; i < tensors.size(); ++i) {
    if (tensors[i]->ndim() == 0) {
      args.fail(str("zero-dimensional tensor (at position ", i, ") cannot be concatenated"));
    }
  }
  const DType dtype = list_dtype(args, tensors);
  const auto reference = std::find_if(tensors.begin(), tensors.end(),
                                      [](const TensorProxyPtr& t) { return !legacy_empty(*t); });
  std::vector<TensorProxyPtr> kept;
  std::int64_t dim = 0;
  if (reference == tensors.end()) {
    // Only empty tensors: torch leaves dim unchecked and returns an empty [0].
    kept = tensors;
  } else {
    const TensorProxy& ref = **reference;
    dim = canonical_dim(args, args.integer(1), ref.ndim());
    for (std::size_t i = 0; i < tensors.size(); ++i) {
      const TensorProxy& t = *tensors[i];
      if (legacy_empty(t)) continue;
      if (t.ndim() != ref.ndim()) {
        args.fail(str("Tensors must have same number of dimensions: got ", ref.ndim(), " and ",
                      t.ndim()));
      }
      for (std::size_t d = 0; d < t.shape().size(); ++d) {
        if (static_cast<std::int64_t>(d) != dim && t.shape()[d] != ref.shape()[d]) {
          args.fail(str("Sizes of tensors must match except in dimension ", dim, ". Expected size ",
                        ref.shape()[d], " but got size ", t.shape()[d], " for tensor number ", i,
                        " in the list."));
        }
      }
      kept.push_back(tensors[i]);
    }
  }
  for (TensorProxyPtr& t : kept)
    t = to_dtype(t, dtype);
  if (kept.size() == 1) return kept.front();
  return prims::cat(kept, dim);
}

Value stack_decomposition(const BoundArgs& args) {
  const std::vector<TensorProxyPtr> tensors = tensor_list(args, 0);
  if (tensors.empty()) args.fail("stack expects a non-empty TensorList");
  const Shape& shape = tensors.front()->shape();
  for (std::size_t i = 1; i < tensors.size(); ++i) {
    if (tensors[i]->shape() != shape) {
      args.fail(str("stack expects each tensor to be equal size, but got ", shape_to_string(shape),
                    " at entry 0 and ", shape_to_string(tensors[i]->shape()), " at entry ", i));
    }
  }
  const std::int64_t dim = canonical_dim(args, args.integer(1), tensors.front()->ndim() + 1);
  const DType dtype = list_dtype(args, tensors);
  Shape unsqueezed = shape;
  unsqueezed.insert(unsqueezed.begin() + dim, 1);
  std::vector<TensorProxyPtr> pieces;
  for (const TensorProxyPtr& t : tensors) {
    pieces.push_back(prims::reshape(to_dtype(t, dtype), unsqueezed));
  }
  if (pieces.size() == 1) return pieces.front();
  return prims::cat(pieces, dim);
}

// ---------------------------------------------------------------------------------------
// Indexing.

Value narrow_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& a = args.tensor(0);
  if (a->ndim() == 0) args.fail("narrow() cannot be applied to a 0-dim tensor.");
  const std::int64_t dim = canonical_dim(args, args.integer(1), a->ndim());
  std::int64_t start = args.integer(2);
  const std::int64_t length = args.integer(3);
  if (length < 0) args.fail("narrow(): length must be non-negative.");
  const std::int64_t extent = a->shape()[index_of(dim)];
  if (start < -extent || start > extent) {
    args.fail(str("start out of range (expected to be in range of [", -extent, ", ", extent,
                  "], but got ", start, ")"));
  }
  if (start < 0) start += extent;
  if (start > extent - length) {
    args.fail(
        str("start (", start, ") + length (", length, ") exceeds dimension size (", extent, ")."));
  }
  return slice_dim(a, dim, start, start + length, 1);
}

Value select_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& a = args.tensor(0);
  if (a->ndim() == 0) args.fail("select() cannot be applied to a 0-dim tensor.");
  const std::int64_t dim = canonical_dim(args, args.integer(1), a->ndim());
  std::int64_t index = args.integer(2);
  const std::int64_t extent = a->shape()[index_of(dim)];
  if (index < -extent || index >= extent) {
    args.fail(str("select(): index ", index, " out of range for tensor of size ",
                  shape_to_string(a->shape()), " at dimension ", dim));
  }
  if (index < 0) index += extent;
  return prims::squeeze(slice_dim(a, dim, index, index + 1, 1), {dim});
}

// torch's slice: negative start and end count from the end, both clamp to [0, extent] and
// end to at least start.
Value slice_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& a = args.tensor(0);
  if (a->ndim() == 0) args.fail("slice() cannot be applied to a 0-dim tensor.");
  const std::int64_t dim = canonical_dim(args, args.integer(1), a->ndim());
  const std::int64_t step = args.integer(4);
  if (step <= 0) args.fail("slice step must be positive");
  const std::int64_t extent = a->shape()[index_of(dim)];
  std::int64_t start = args[2].is_none() ? 0 : args.integer(2);
  std::int64_t end = args[3].is_none() ? extent : args.integer(3);
  if (start < 0) start += extent;
  if (end < 0) end += extent;
  start = std::clamp<std::int64_t>(start, 0, extent);
  end = std::clamp<std::int64_t>(end, start, extent);
  return slice_dim(a, dim, start, end, step);
}

void check_same_device(const BoundArgs& args, const TensorProxy& a, const TensorProxy& index) {
  if (index.device() != a.device()) {
    args.fail(str("expected the index on the device of the input (", a.device().to_string(),
                  "), got ", index.device().to_string()));
  }
}

Value index_select_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& a = args.tensor(0);
  const TensorProxyPtr& index = args.tensor(2);
  const std::int64_t dim = canonical_dim(args, args.integer(1), a->ndim());
  if (index->ndim() > 1) args.fail("index_select(): Index is supposed to be a vector");
  if (index->dtype() != DType::Int64 && index->dtype() != DType::Int32) {
    args.fail(str("index_select(): Expected dtype int32 or int64 for index, got ",
                  torch_name(index->dtype())));
  }
  if (a->ndim() == 0 && index->numel() != 1) {
    args.fail(str("index_select(): Index to scalar can have only 1 value, got ", index->numel(),
                  " value(s)"));
  }
  check_same_device(args, *a, *index);
  // prims.index_select takes a 1-D index.
  return prims::index_select(a, dim, reshape_to(index, {index->numel()}));
}

Value embedding_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& weight = args.tensor(0);
  const TensorProxyPtr& indices = args.tensor(1);
  args.integer(2);
  args.boolean(3);
  args.boolean(4);
  if (weight->ndim() != 2) args.fail("'weight' must be 2-D");
  if (indices->dtype() != DType::Int64 && indices->dtype() != DType::Int32) {
    args.fail(str("Expected tensor for argument #1 'indices' to have one of the following scalar "
                  "types: Long, Int; but got ",
                  torch_name(indices->dtype()), " instead"));
  }
  check_same_device(args, *weight, *indices);
  // padding_idx, scale_grad_by_freq and sparse only change the gradient.
  const TensorProxyPtr rows =
      prims::index_select(weight, 0, reshape_to(indices, {indices->numel()}));
  Shape shape = indices->shape();
  shape.push_back(weight->shape()[1]);
  return reshape_to(rows, shape);
}

// The contiguous strides of a shape, in elements.
std::vector<std::int64_t> contiguous_strides(const Shape& shape) {
  std::vector<std::int64_t> strides(shape.size(), 1);
  for (std::size_t i = shape.size(); i > 1; --i)
    strides[i - 2] = strides[i - 1] * shape[i - 1];
  return strides;
}

// a with its dims reordered (a itself for the identity order).
TensorProxyPtr permuted(const TensorProxyPtr& a, const std::vector<std::int64_t>& order) {
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (order[i] != static_cast<std::int64_t>(i)) return prims::transpose(a, order);
  }
  return a;
}

// Elements of a (any shape) at flat positions `flat` (int64, any shape): a gather from
// the flattened tensor through prims.index_select, shaped like `flat`.
TensorProxyPtr take_flat(const TensorProxyPtr& a, const TensorProxyPtr& flat) {
  const TensorProxyPtr rows = reshape_to(a, {a->numel()});
  return reshape_to(prims::index_select(rows, 0, reshape_to(flat, {flat->numel()})), flat->shape());
}

void check_index_dtype(const BoundArgs& args, const TensorProxy& index) {
  if (index.dtype() == DType::Bool || index.dtype() == DType::UInt8) {
    throw UnsupportedError(str(args.symbol().qualified_name(),
                               ": boolean mask indices select a data-dependent number of "
                               "elements, which static shapes cannot express; index with "
                               "integer tensors (torch.nonzero of the mask) instead"));
  }
  if (index.dtype() != DType::Int64 && index.dtype() != DType::Int32) {
    args.fail(str("tensors used as indices must be long, int, byte or bool tensors, got ",
                  torch_name(index.dtype())));
  }
}

// a[indices]: advanced indexing by integer tensors (None entries keep a dim). The index
// tensors broadcast to one shape B; the indexed dims become B, in place of the first
// indexed dim when the indexed dims are adjacent, else in front (numpy's rule). Traced as
// a gather of flat positions: the indexed dims are moved first and merged, and their
// (wrapped) indices combined with the merged dims' strides.
Value index_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& a = args.tensor(0);
  const Value& list = args[1];
  if (!list.is_list()) {
    args.fail(str("argument 'indices' must be a list of tensors or None, got ",
                  value_kind_name(list.kind())));
  }
  const Value::List& items = list.as_list();
  if (static_cast<std::int64_t>(items.size()) > a->ndim()) {
    args.fail(
        str("too many indices for tensor of dimension ", a->ndim(), " (got ", items.size(), ")"));
  }
  std::vector<std::int64_t> indexed;
  std::vector<TensorProxyPtr> indices;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (items[i].is_none()) continue;
    if (!items[i].is_tensor()) {
      args.fail(str("argument 'indices' must be a list of tensors or None, got ",
                    value_kind_name(items[i].kind()), " at position ", i));
    }
    check_index_dtype(args, *items[i].as_tensor());
    check_same_device(args, *a, *items[i].as_tensor());
    indexed.push_back(static_cast<std::int64_t>(i));
    indices.push_back(items[i].as_tensor());
  }
  if (indices.empty()) return a;

  // Broadcast the index shapes (numpy's rule, torch's message).
  Shape shape;
  for (const TensorProxyPtr& index : indices) {
    const Shape& s = index->shape();
    if (s.size() > shape.size()) shape.insert(shape.begin(), s.size() - shape.size(), 1);
    for (std::size_t j = 0; j < s.size(); ++j) {
      std::int64_t& out = shape[shape.size() - s.size() + j];
      if (s[j] == out || s[j] == 1) continue;
      if (out != 1) {
        std::string shapes;
        for (const TensorProxyPtr& t : indices)
          shapes += (shapes.empty() ? "" : ", ") + shape_to_string(t->shape());
        args.fail(str("shape mismatch: indexing tensors could not be broadcast together with "
                      "shapes ",
                      shapes));
      }
      out = s[j];
    }
  }

  // The indexed dims first, then the others in order.
  std::vector<std::int64_t> order = indexed;
  Shape rest;
  for (std::int64_t d = 0; d < a->ndim(); ++d) {
    if (std::find(indexed.begin(), indexed.end(), d) == indexed.end()) {
      order.push_back(d);
      rest.push_back(a->shape()[index_of(d)]);
    }
  }
  Shape merged_shape;
  for (const std::int64_t d : indexed)
    merged_shape.push_back(a->shape()[index_of(d)]);
  const std::vector<std::int64_t> strides = contiguous_strides(merged_shape);

  // The flat position of each selected element in the merged dims. An index out of range
  // in its own dim (index < -size or index >= size) could still land inside the merged
  // dims (a[i, 4] of a [3, 4] tensor is a[i + 1, 0]), so such positions become `merged`,
  // one past the end, which prims.index_select rejects. The indices are data, unknown at
  // trace time, so the error comes from the executor's index_select at run time (with
  // ATen, a c10::Error "index out of range in self"), not from thunder.
  const std::int64_t merged = product(merged_shape.begin(), merged_shape.end());
  TensorProxyPtr flat;
  TensorProxyPtr out_of_range;
  for (std::size_t j = 0; j < indices.size(); ++j) {
    const std::int64_t size = merged_shape[j];
    const TensorProxyPtr as_int64 = to_dtype(indices[j], DType::Int64);
    const TensorProxyPtr index = broadcast_to(as_int64, shape);
    // One prim call per statement: the order of the calls is the order in the trace.
    const TensorProxyPtr below = prims::lt(index, -size);
    const TensorProxyPtr above = prims::ge(index, size);
    const TensorProxyPtr bad = prims::bitwise_or(below, above);
    out_of_range = out_of_range ? prims::bitwise_or(out_of_range, bad) : bad;
    // Negative indices count from the end.
    const TensorProxyPtr negative = prims::lt(index, std::int64_t{0});
    const TensorProxyPtr wrapped_index = prims::add(index, size);
    TensorProxyPtr position = prims::where(negative, wrapped_index, index);
    if (strides[j] != 1) position = prims::mul(position, strides[j]);
    flat = flat ? prims::add(flat, position) : position;
  }
  flat = prims::where(out_of_range, merged, flat);

  Shape moved_shape = {merged};
  moved_shape.insert(moved_shape.end(), rest.begin(), rest.end());
  const TensorProxyPtr moved = reshape_to(permuted(a, order), moved_shape);
  Shape out_shape = shape;
  out_shape.insert(out_shape.end(), rest.begin(), rest.end());
  const TensorProxyPtr rows = prims::index_select(moved, 0, reshape_to(flat, {flat->numel()}));
  TensorProxyPtr out = reshape_to(rows, out_shape);

  // Adjacent indexed dims after some kept ones: the index dims go where the first was.
  bool adjacent = true;
  for (std::size_t j = 1; j < indexed.size(); ++j)
    adjacent = adjacent && indexed[j] == indexed[j - 1] + 1;
  const std::int64_t before = indexed.front();
  if (adjacent && before > 0) {
    const auto b = static_cast<std::int64_t>(shape.size());
    std::vector<std::int64_t> back;
    for (std::int64_t d = 0; d < before; ++d)
      back.push_back(b + d);
    for (std::int64_t d = 0; d < b; ++d)
      back.push_back(d);
    for (std::int64_t d = b + before; d < static_cast<std::int64_t>(out_shape.size()); ++d)
      back.push_back(d);
    out = permuted(out, back);
  }
  return out;
}

// torch.gather: out[i][j][k] = a[index[i][j][k]][j][k] for dim 0 (and so on), for an
// index no larger than a outside dim. Traced as a gather of flat positions: each output
// element's position in a from its coordinates (iotas) and the index along dim.
Value gather_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& a = args.tensor(0);
  const TensorProxyPtr& index = args.tensor(2);
  args.boolean(3);
  const std::int64_t dim = canonical_dim(args, args.integer(1), a->ndim());
  if (index->dtype() != DType::Int64 && index->dtype() != DType::Int32) {
    args.fail(
        str("gather(): Expected dtype int32/int64 for index, got ", torch_name(index->dtype())));
  }
  check_same_device(args, *a, *index);
  const std::int64_t ndim = std::max<std::int64_t>(a->ndim(), 1);
  if (std::max<std::int64_t>(index->ndim(), 1) != ndim) {
    args.fail("Index tensor must have the same number of dimensions as input tensor");
  }
  for (std::int64_t d = 0; d < a->ndim() && index->ndim() > 0; ++d) {
    if (d != dim && index->shape()[index_of(d)] > a->shape()[index_of(d)]) {
      args.fail(str("Size does not match at dimension ", d, " expected index ",
                    shape_to_string(index->shape()), " to be no larger than self ",
                    shape_to_string(a->shape()), " apart from dimension ", dim));
    }
  }
  // A 0-d a has one element: the flat position is the index itself, and index_select
  // rejects anything but 0, as gather does.
  if (a->ndim() == 0) return take_flat(a, to_dtype(index, DType::Int64));
  // Out-of-range indices are data, unknown at trace time. An index outside [0, size) along
  // dim (gather does not wrap negative ones) could still land inside a (index 4 along dim 1
  // of a [3, 4] tensor is the next row's first element), so its flat position becomes
  // numel, one past the end, which prims.index_select rejects: the run fails in the
  // executor's index_select (with ATen, a c10::Error "index out of range in self"), never
  // with a wrong element.
  const std::vector<std::int64_t> strides = contiguous_strides(a->shape());
  const Shape& shape = index->shape();
  const std::int64_t size = a->shape()[index_of(dim)];
  const TensorProxyPtr along = to_dtype(index, DType::Int64);
  // One prim call per statement: the order of the calls is the order in the trace.
  const TensorProxyPtr below = prims::lt(along, std::int64_t{0});
  const TensorProxyPtr above = prims::ge(along, size);
  const TensorProxyPtr out_of_range = prims::bitwise_or(below, above);
  TensorProxyPtr flat;
  for (std::int64_t d = 0; d < a->ndim(); ++d) {
    TensorProxyPtr coordinate = along;
    if (d != dim) {
      const TensorProxyPtr iota = prims::iota(shape[index_of(d)], 0, 1, DType::Int64, a->device());
      coordinate = prims::broadcast_in_dim(iota, shape, {d});
    }
    if (strides[index_of(d)] != 1) coordinate = prims::mul(coordinate, strides[index_of(d)]);
    flat = flat ? prims::add(flat, coordinate) : coordinate;
  }
  flat = prims::where(out_of_range, a->numel(), flat);
  return take_flat(a, flat);
}

// Keeps the elements of the last two dims with col - row >= diagonal (upper) or
// <= diagonal (lower), zeroes the others: a mask from two iotas.
TensorProxyPtr triangle(const BoundArgs& args, bool upper) {
  const TensorProxyPtr& a = args.tensor(0);
  if (a->ndim() < 2) {
    args.fail(str(upper ? "triu" : "tril", ": input tensor must have at least 2 dimensions"));
  }
  const std::int64_t diagonal = args.integer(1);
  const std::int64_t rows = a->shape()[a->shape().size() - 2];
  const std::int64_t cols = a->shape().back();
  const Shape plane = {rows, cols};
  // row + diagonal against col.
  const TensorProxyPtr row = prims::broadcast_in_dim(
      prims::iota(rows, diagonal, 1, DType::Int64, a->device()), plane, {0});
  const TensorProxyPtr col =
      prims::broadcast_in_dim(prims::iota(cols, 0, 1, DType::Int64, a->device()), plane, {1});
  TensorProxyPtr mask = upper ? prims::ge(col, row) : prims::le(col, row);
  if (a->ndim() > 2)
    mask = prims::broadcast_in_dim(mask, a->shape(), {a->ndim() - 2, a->ndim() - 1});
  return prims::where(mask, a, number_of(0, a->dtype()));
}

Value triu_decomposition(const BoundArgs& args) {
  return triangle(args, /*upper=*/true);
}
Value tril_decomposition(const BoundArgs& args) {
  return triangle(args, /*upper=*/false);
}

// ---------------------------------------------------------------------------------------
// Creation.

Value full_decomposition(const BoundArgs& args) {
  const Shape size = size_arg(args, 0);
  const Value& fill_value = args[1];
  const DType inferred = fill_dtype(args, fill_value);
  const DType dtype = dtype_kwarg(args).value_or(inferred);
  check_fill_value(args, fill_value, dtype);
  return prims::full(size, fill_value, dtype, device_kwarg(args));
}

Value constant(const BoundArgs& args, double value) {
  const Shape size = size_arg(args, 0);
  const DType dtype = dtype_kwarg(args).value_or(kDefaultFloatDType);
  return prims::full(size, number_of(value, dtype), dtype, device_kwarg(args));
}
Value zeros_decomposition(const BoundArgs& args) {
  return constant(args, 0);
}
Value ones_decomposition(const BoundArgs& args) {
  return constant(args, 1);
}

// new_full, new_zeros, new_ones: a's dtype and device unless given.
Value new_constant(const BoundArgs& args, const Value& fill_value) {
  const TensorProxyPtr& a = args.tensor(0);
  const Shape size = size_arg(args, 1);
  const DType dtype = dtype_kwarg(args).value_or(a->dtype());
  const Device device = args.get("device").is_none() ? a->device() : device_kwarg(args);
  check_fill_value(args, fill_value, dtype);
  return prims::full(size, fill_value, dtype, device);
}
Value new_full_decomposition(const BoundArgs& args) {
  fill_dtype(args, args[2]);
  return new_constant(args, args[2]);
}
Value new_zeros_decomposition(const BoundArgs& args) {
  const DType dtype = dtype_kwarg(args).value_or(args.tensor(0)->dtype());
  return new_constant(args, number_of(0, dtype));
}
Value new_ones_decomposition(const BoundArgs& args) {
  const DType dtype = dtype_kwarg(args).value_or(args.tensor(0)->dtype());
  return new_constant(args, number_of(1, dtype));
}

Value full_like_decomposition(const BoundArgs& args) {
  const TensorProxyPtr& a = args.tensor(0);
  const Value& fill_value = args[1];
  fill_dtype(args, fill_value);
  const DType dtype = dtype_kwarg(args).value_or(a->dtype());
  check_fill_value(args, fill_value, dtype);
  return prims::full(a->shape(), fill_value, dtype, a->device());
}

Value constant_like(const BoundArgs& args, double value) {
  const TensorProxyPtr& a = args.tensor(0);
  const DType dtype = dtype_kwarg(args).value_or(a->dtype());
  return prims::full(a->shape(), number_of(value, dtype), dtype, a->device());
}
Value zeros_like_decomposition(const BoundArgs& args) {
  return constant_like(args, 0);
}
Value ones_like_decomposition(const BoundArgs& args) {
  return constant_like(args, 1);
}

// A bool, int or float as Scalar::to<int64_t> takes it (floats truncate).
std::int64_t truncated(const Value& v) {
  if (v.kind() == ValueKind::Bool) return v.as_bool() ? 1 : 0;
  if (v.kind() == ValueKind::Int) return v.as_int();
  return static_cast<std::int64_t>(v.as_float());
}

bool is_whole(double v) {
  return std::trunc(v) == v && std::abs(v) < 9007199254740992.0; // 2^53
}

// torch's arange: the bounds checked in double; the length ceil((end - start) / step) in
// double, except for int64 results, where start, end and step are truncated to int64 and
// divided exactly; the values start + i * step in the accumulation type (int64 for
// integer results, float32 for f16/bf16, double otherwise).
Value arange_decomposition(const BoundArgs& args) {
  bool integral = true;
  for (std::size_t i = 0; i < 3; ++i) {
    const Value& v = args[i];
    if (v.is_number()) {
      throw UnsupportedError(str("ltorch.arange: a symbolic ", args.symbol().params[i].name, " (",
                                 v.repr(), ") is not supported yet; pass concrete numbers"));
    }
    args.number(i);
    integral = integral && v.kind() != ValueKind::Float;
  }
  const DType dtype = dtype_kwarg(args).value_or(integral ? DType::Int64 : kDefaultFloatDType);
  if (dtype == DType::Bool) args.fail("\"arange\" not implemented for 'Bool'");
  const Device device = device_kwarg(args);
  const double start = args.number(0), end = args.number(1), step = args.number(2);
  if (!(step > 0 || step < 0)) args.fail("step must be nonzero");
  if (!std::isfinite(start) || !std::isfinite(end)) {
    args.fail(str("unsupported range: ", start, " -> ", end));
  }
  if (!((step > 0 && end >= start) || (step < 0 && end <= start))) {
    args.fail("upper bound and lower bound inconsistent with step sign");
  }
  double length_d = 0;
  if (dtype == DType::Int64) {
    const std::int64_t xstart = truncated(args[0]), xend = truncated(args[1]),
                       xstep = truncated(args[2]);
    if (xstep == 0) args.fail("step must be nonzero");
    const std::int64_t sign = xstep > 0 ? 1 : -1;
    length_d = static_cast<double>((xend - xstart + xstep - sign) / xstep);
  } else {
    length_d = std::ceil((end - start) / step);
  }
  if (!(length_d >= 0 &&
        length_d <= static_cast<double>(std::numeric_limits<std::int64_t>::max()))) {
    args.fail("invalid size, possible overflow?");
  }
  const auto length = static_cast<std::int64_t>(length_d);
  if (!is_floating(dtype)) {
    const std::int64_t xstart = truncated(args[0]), xstep = truncated(args[2]);
    // An int32 (or narrower) arange with a fractional step truncates it to 0: a constant.
    if (xstep == 0) return prims::full({length}, xstart, dtype, device);
    return prims::iota(length, xstart, xstep, dtype, device);
  }
  if (is_whole(start) && is_whole(step)) {
    return prims::iota(length, static_cast<std::int64_t>(start), static_cast<std::int64_t>(step),
                       dtype, device);
  }
  const DType computation =
      dtype == DType::Float16 || dtype == DType::BFloat16 ? DType::Float32 : DType::Float64;
  TensorProxyPtr values = prims::iota(length, 0, 1, computation, device);
  values = prims::add(prims::mul(values, step), start);
  return to_dtype(values, dtype);
}

} // namespace

void add_shape_symbols(std::vector<Symbol>& table) {
#define THUNDER_LTORCH(NAME, PARAMS, CHECK, DECOMPOSITION, TAGS, TORCH)                            \
  table.push_back(make_ltorch_symbol(#NAME, PARAMS, CHECK, DECOMPOSITION, TAGS, TORCH));
#include "thunder/ops/ltorch/shape.def"
#undef THUNDER_LTORCH
}

} // namespace detail

namespace {
Value optional_value(const std::optional<DType>& dtype) {
  return dtype ? Value(*dtype) : Value();
}
Value optional_value(const std::optional<Device>& device) {
  return device ? Value(*device) : Value();
}
std::vector<TensorProxyPtr> tensors_of(const Value& list) {
  std::vector<TensorProxyPtr> out;
  for (const Value& item : list.as_list())
    out.push_back(item.as_tensor());
  return out;
}
} // namespace

TensorProxyPtr reshape(const Value& a, const Shape& shape) {
  return detail::call_tensor(LTorchId::reshape, {a, Value::ints(shape)});
}
TensorProxyPtr view(const Value& a, const Shape& shape) {
  return detail::call_tensor(LTorchId::view, {a, Value::ints(shape)});
}
TensorProxyPtr transpose(const Value& a, std::int64_t dim0, std::int64_t dim1) {
  return detail::call_tensor(LTorchId::transpose, {a, dim0, dim1});
}
TensorProxyPtr permute(const Value& a, const std::vector<std::int64_t>& dims) {
  return detail::call_tensor(LTorchId::permute, {a, Value::ints(dims)});
}
TensorProxyPtr flatten(const Value& a, std::int64_t start_dim, std::int64_t end_dim) {
  return detail::call_tensor(LTorchId::flatten, {a, start_dim, end_dim});
}
TensorProxyPtr unflatten(const Value& a, std::int64_t dim, const Shape& sizes) {
  return detail::call_tensor(LTorchId::unflatten, {a, dim, Value::ints(sizes)});
}
TensorProxyPtr unsqueeze(const Value& a, std::int64_t dim) {
  return detail::call_tensor(LTorchId::unsqueeze, {a, dim});
}
TensorProxyPtr squeeze(const Value& a, const Value& dim) {
  return detail::call_tensor(LTorchId::squeeze, {a, dim});
}
TensorProxyPtr expand(const Value& a, const Shape& size) {
  return detail::call_tensor(LTorchId::expand, {a, Value::ints(size)});
}
TensorProxyPtr contiguous(const Value& a) {
  return detail::call_tensor(LTorchId::contiguous, {a});
}
TensorProxyPtr alias(const Value& a) {
  return detail::call_tensor(LTorchId::alias, {a});
}
std::vector<TensorProxyPtr> split(const Value& a, const Value& split_size, std::int64_t dim) {
  return tensors_of(call(LTorchId::split, {a, split_size, dim}));
}
std::vector<TensorProxyPtr> chunk(const Value& a, std::int64_t chunks, std::int64_t dim) {
  return tensors_of(call(LTorchId::chunk, {a, chunks, dim}));
}
TensorProxyPtr cat(const std::vector<Value>& tensors, std::int64_t dim) {
  return detail::call_tensor(LTorchId::cat, {Value(tensors), dim});
}
TensorProxyPtr stack(const std::vector<Value>& tensors, std::int64_t dim) {
  return detail::call_tensor(LTorchId::stack, {Value(tensors), dim});
}
TensorProxyPtr narrow(const Value& a, std::int64_t dim, std::int64_t start, std::int64_t length) {
  return detail::call_tensor(LTorchId::narrow, {a, dim, start, length});
}
TensorProxyPtr select(const Value& a, std::int64_t dim, std::int64_t index) {
  return detail::call_tensor(LTorchId::select, {a, dim, index});
}
TensorProxyPtr slice(const Value& a, std::int64_t dim, const Value& start, const Value& end,
                     std::int64_t step) {
  return detail::call_tensor(LTorchId::slice, {a, dim, start, end, step});
}
TensorProxyPtr index_select(const Value& a, std::int64_t dim, const Value& index) {
  return detail::call_tensor(LTorchId::index_select, {a, dim, index});
}
TensorProxyPtr index(const Value& a, const std::vector<Value>& indices) {
  return detail::call_tensor(LTorchId::index, {a, Value(indices)});
}
TensorProxyPtr gather(const Value& a, std::int64_t dim, const Value& index) {
  return detail::call_tensor(LTorchId::gather, {a, dim, index});
}
TensorProxyPtr embedding(const Value& weight, const Value& indices, std::int64_t padding_idx) {
  return detail::call_tensor(LTorchId::embedding, {weight, indices, padding_idx});
}
TensorProxyPtr triu(const Value& a, std::int64_t diagonal) {
  return detail::call_tensor(LTorchId::triu, {a, diagonal});
}
TensorProxyPtr tril(const Value& a, std::int64_t diagonal) {
  return detail::call_tensor(LTorchId::tril, {a, diagonal});
}
TensorProxyPtr full(const Shape& size, const Value& fill_value, std::optional<DType> dtype,
                    std::optional<Device> device) {
  return detail::call_tensor(
      LTorchId::full, {Value::ints(size), fill_value},
      {{"dtype", optional_value(dtype)}, {"device", optional_value(device)}});
}
TensorProxyPtr zeros(const Shape& size, std::optional<DType> dtype, std::optional<Device> device) {
  return detail::call_tensor(
      LTorchId::zeros, {Value::ints(size)},
      {{"dtype", optional_value(dtype)}, {"device", optional_value(device)}});
}
TensorProxyPtr ones(const Shape& size, std::optional<DType> dtype, std::optional<Device> device) {
  return detail::call_tensor(
      LTorchId::ones, {Value::ints(size)},
      {{"dtype", optional_value(dtype)}, {"device", optional_value(device)}});
}
TensorProxyPtr arange(const Value& start, const Value& end, const Value& step,
                      std::optional<DType> dtype, std::optional<Device> device) {
  return detail::call_tensor(
      LTorchId::arange, {start, end, step},
      {{"dtype", optional_value(dtype)}, {"device", optional_value(device)}});
}
TensorProxyPtr new_full(const Value& a, const Shape& size, const Value& fill_value,
                        std::optional<DType> dtype) {
  return detail::call_tensor(LTorchId::new_full, {a, Value::ints(size), fill_value},
                             {{"dtype", optional_value(dtype)}});
}
TensorProxyPtr new_zeros(const Value& a, const Shape& size, std::optional<DType> dtype) {
  return detail::call_tensor(LTorchId::new_zeros, {a, Value::ints(size)},
                             {{"dtype", optional_value(dtype)}});
}
TensorProxyPtr new_ones(const Value& a, const Shape& size, std::optional<DType> dtype) {
  return detail::call_tensor(LTorchId::new_ones, {a, Value::ints(size)},
                             {{"dtype", optional_value(dtype)}});
}
TensorProxyPtr full_like(const Value& a, const Value& fill_value, std::optional<DType> dtype) {
  return detail::call_tensor(LTorchId::full_like, {a, fill_value},
                             {{"dtype", optional_value(dtype)}});
}
TensorProxyPtr zeros_like(const Value& a, std::optional<DType> dtype) {
  return detail::call_tensor(LTorchId::zeros_like, {a}, {{"dtype", optional_value(dtype)}});
}
TensorProxyPtr ones_like(const Value& a, std::optional<DType> dtype) {
  return detail::call_tensor(LTorchId::ones_like, {a}, {{"dtype", optional_value(dtype)}});
}

} // namespace thunder::ltorch
