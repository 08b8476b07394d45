#include "thunder/ops/prims.h"

#include "meta_utils.h"
#include "thunder/core/error.h"
#include "thunder/core/tracing.h"

#include <algorithm>
#include <array>

namespace thunder::prims {
namespace {

// Parameter lists shared by several prims.
const std::vector<Param> kUnary = {{"a"}};
const std::vector<Param> kBinary = {{"a"}, {"b"}};
const std::vector<Param> kWhere = {{"pred"}, {"a"}, {"b"}};
const std::vector<Param> kConvert = {{"a"}, {"dtype"}};
const std::vector<Param> kBroadcastInDim = {{"a"}, {"shape"}, {"broadcast_dimensions"}};
const std::vector<Param> kReshape = {{"a"}, {"shape"}};
const std::vector<Param> kTranspose = {{"a"}, {"permutation"}};
const std::vector<Param> kSlice = {{"a"}, {"start_indices"}, {"end_indices"}, {"strides"}};
const std::vector<Param> kSqueeze = {{"a"}, {"dims"}};
const std::vector<Param> kCat = {{"tensors"}, {"dim"}};
const std::vector<Param> kPad = {{"a"}, {"padding_value"}, {"padding_config"}};
const std::vector<Param> kIndexSelect = {{"a"}, {"dim"}, {"index"}};
const std::vector<Param> kReduction = {{"a"}, {"dims"}};
const std::vector<Param> kArgReduction = {{"a"}, {"dim"}};
const std::vector<Param> kCumsum = {{"a"}, {"dim"}};
const std::vector<Param> kConvolution = {{"a"},      {"weight"},   {"bias"},  {"stride"},
                                         {"padding"}, {"dilation"}, {"groups"}};
const std::vector<Param> kFull = {{"shape"}, {"fill_value"}, {"dtype"}, {"device"}};
const std::vector<Param> kIota = {{"length"}, {"start"}, {"step"}, {"dtype"}, {"device"}};

DType dtype_arg(const BoundArgs& args, std::size_t index) {
  if (args[index].kind() != ValueKind::DType) {
    args.fail(str("argument '", args.symbol().params[index].name, "' must be a dtype, got ",
                  args[index].repr()));
  }
  return args[index].as_dtype();
}

Device device_arg(const BoundArgs& args, std::size_t index) {
  if (args[index].kind() != ValueKind::Device) {
    args.fail(str("argument '", args.symbol().params[index].name, "' must be a device, got ",
                  args[index].repr()));
  }
  return args[index].as_device();
}

std::int64_t dim_arg(const BoundArgs& args, std::size_t index, std::int64_t ndim) {
  const std::int64_t dim = args.integer(index);
  if (dim < 0 || dim >= std::max<std::int64_t>(ndim, 1)) {
    args.fail(str("dim ", dim, " must be canonical, in [0, ", ndim, ")"));
  }
  return dim;
}

Value unary_meta(const BoundArgs& args) {
  const TensorProxy& a = *args.tensor(0);
  return new_tensor(a.shape(), a.dtype(), a.device());
}

// Transcendental prims are defined on floating tensors only; ltorch converts first.
Value unary_float_meta(const BoundArgs& args) {
  const TensorProxy& a = *args.tensor(0);
  if (!is_floating(a.dtype())) {
    args.fail(
        str("expected a floating tensor, got ", a.name(), " of dtype ", torch_name(a.dtype())));
  }
  return unary_meta(args);
}

Value unary_integer_meta(const BoundArgs& args) {
  const TensorProxy& a = *args.tensor(0);
  if (is_floating(a.dtype())) {
    args.fail(str("expected a bool or integer tensor, got ", a.name(), " of dtype ",
                  torch_name(a.dtype())));
  }
  return unary_meta(args);
}

Value unary_bool_meta(const BoundArgs& args) {
  const TensorProxy& a = *args.tensor(0);
  return new_tensor(a.shape(), DType::Bool, a.device());
}

// The tensor that fixes an elementwise prim's shape, dtype and device; every other operand
// from first_operand on must agree with it or be a number.
const TensorProxy& elementwise_operands(const BoundArgs& args, std::size_t first_operand) {
  const std::vector<Value> operands(
      args.values().begin() + static_cast<std::ptrdiff_t>(first_operand), args.values().end());
  const TensorProxy* first = ops::first_tensor(operands);
  if (first == nullptr) args.fail("expected at least one tensor argument");
  for (const Value& v : operands) {
    if (v.is_tensor()) {
      const TensorProxy& t = *v.as_tensor();
      if (t.shape() != first->shape() || t.dtype() != first->dtype() ||
          t.device() != first->device()) {
        args.fail(str("prims need tensors of one shape, dtype and device, got ",
                      first->type_string(), " and ", t.type_string()));
      }
    } else if (!v.is_scalar()) {
      args.fail(str("expected a tensor or a number, got ", value_kind_name(v.kind())));
    }
  }
  return *first;
}

Value binary_meta(const BoundArgs& args) {
  const TensorProxy& t = elementwise_operands(args, 0);
  return new_tensor(t.shape(), t.dtype(), t.device());
}

Value binary_float_meta(const BoundArgs& args) {
  const TensorProxy& t = elementwise_operands(args, 0);
  if (!is_floating(t.dtype())) {
    args.fail(str("expected floating tensors, got dtype ", torch_name(t.dtype())));
  }
  return new_tensor(t.shape(), t.dtype(), t.device());
}

Value binary_integer_meta(const BoundArgs& args) {
  const TensorProxy& t = elementwise_operands(args, 0);
  if (is_floating(t.dtype())) {
    args.fail(str("expected bool or integer tensors, got dtype ", torch_name(t.dtype())));
  }
  return new_tensor(t.shape(), t.dtype(), t.device());
}

Value binary_bool_meta(const BoundArgs& args) {
  const TensorProxy& t = elementwise_operands(args, 0);
  return new_tensor(t.shape(), DType::Bool, t.device());
}

Value where_meta(const BoundArgs& args) {
  const TensorProxy& pred = *args.tensor(0);
  if (pred.dtype() != DType::Bool) {
    args.fail(str("pred must be a bool tensor, got ", pred.type_string()));
  }
  const TensorProxy& t = elementwise_operands(args, 1);
  if (pred.shape() != t.shape() || pred.device() != t.device()) {
    args.fail(str("pred ", pred.type_string(), " does not match the operands ", t.type_string()));
  }
  return new_tensor(t.shape(), t.dtype(), t.device());
}

Value convert_element_type_meta(const BoundArgs& args) {
  const TensorProxy& a = *args.tensor(0);
  return new_tensor(a.shape(), dtype_arg(args, 1), a.device());
}

Value broadcast_in_dim_meta(const BoundArgs& args) {
  const TensorProxy& a = *args.tensor(0);
  const Shape shape = args.ints(1);
  const std::vector<std::int64_t> dims = args.ints(2);
  if (static_cast<std::int64_t>(dims.size()) != a.ndim()) {
    args.fail(str("broadcast_dimensions has ", dims.size(), " entries but ", a.name(), " has ",
                  a.ndim(), " dims"));
  }
  std::int64_t previous = -1;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    const std::int64_t d = dims[i];
    if (d <= previous || d >= static_cast<std::int64_t>(shape.size())) {
      args.fail(str("broadcast_dimensions ", Value::ints(dims).repr(),
                    " must be increasing and less than ", shape.size()));
    }
    if (a.shape()[i] != 1 && a.shape()[i] != shape[static_cast<std::size_t>(d)]) {
      args.fail(str("cannot broadcast ", a.type_string(), " to ", shape_to_string(shape)));
    }
    previous = d;
  }
  return new_tensor(shape, a.dtype(), a.device());
}

Value reshape_meta(const BoundArgs& args) {
  const TensorProxy& a = *args.tensor(0);
  const Shape shape = args.ints(1);
  std::int64_t numel = 1;
  for (const std::int64_t extent : shape) {
    if (extent < 0) args.fail(str("shape ", shape_to_string(shape), " has a negative extent"));
    numel *= extent;
  }
  if (numel != a.numel()) {
    args.fail(str("shape ", shape_to_string(shape), " is invalid for input of size ", a.numel()));
  }
  return new_tensor(shape, a.dtype(), a.device());
}

Value transpose_meta(const BoundArgs& args) {
  const TensorProxy& a = *args.tensor(0);
  const std::vector<std::int64_t> perm = args.ints(1);
  std::vector<bool> seen(static_cast<std::size_t>(a.ndim()), false);
  if (static_cast<std::int64_t>(perm.size()) != a.ndim()) {
    args.fail(str("permutation ", Value::ints(perm).repr(), " does not match ", a.ndim(), " dims"));
  }
  Shape shape;
  for (const std::int64_t d : perm) {
    if (d < 0 || d >= a.ndim() || seen[static_cast<std::size_t>(d)]) {
      args.fail(str("permutation ", Value::ints(perm).repr(), " is not a permutation of ", a.ndim(),
                    " dims"));
    }
    seen[static_cast<std::size_t>(d)] = true;
    shape.push_back(a.shape()[static_cast<std::size_t>(d)]);
  }
  return new_tensor(shape, a.dtype(), a.device());
}

Value slice_meta(const BoundArgs& args) {
  const TensorProxy& a = *args.tensor(0);
  const std::vector<std::int64_t> start = args.ints(1);
  const std::vector<std::int64_t> end = args.ints(2);
  const std::vector<std::int64_t> strides = args.ints(3);
  const auto rank = static_cast<std::size_t>(a.ndim());
  if (start.size() != rank || end.size() != rank || strides.size() != rank) {
    args.fail(
        str("start_indices, end_indices and strides need one entry per dim of ", a.type_string()));
  }
  Shape shape;
  for (std::size_t i = 0; i < rank; ++i) {
    if (start[i] < 0 || start[i] > end[i] || end[i] > a.shape()[i] || strides[i] < 1) {
      args.fail(str("invalid slice [", start[i], ":", end[i], ":", strides[i], "] of dim ", i,
                    " (extent ", a.shape()[i], ")"));
    }
    shape.push_back((end[i] - start[i] + strides[i] - 1) / strides[i]);
  }
  return new_tensor(shape, a.dtype(), a.device());
}

Value squeeze_meta(const BoundArgs& args) {
  const TensorProxy& a = *args.tensor(0);
  const std::vector<std::int64_t> dims = args.ints(1);
  std::vector<bool> removed(static_cast<std::size_t>(a.ndim()), false);
  for (const std::int64_t d : dims) {
    if (d < 0 || d >= a.ndim() || removed[static_cast<std::size_t>(d)] ||
        a.shape()[static_cast<std::size_t>(d)] != 1) {
      args.fail(str("cannot squeeze dims ", Value::ints(dims).repr(), " of ", a.type_string()));
    }
    removed[static_cast<std::size_t>(d)] = true;
  }
  Shape shape;
  for (std::size_t i = 0; i < removed.size(); ++i) {
    if (!removed[i]) shape.push_back(a.shape()[i]);
  }
  return new_tensor(shape, a.dtype(), a.device());
}

Value cat_meta(const BoundArgs& args) {
  if (!args[0].is_list() || args[0].as_list().empty()) {
    args.fail("tensors must be a non-empty list of tensors");
  }
  std::vector<TensorProxyPtr> tensors;
  for (const Value& v : args[0].as_list()) {
    if (!v.is_tensor()) args.fail(str("tensors must hold only tensors, got ", v.repr()));
    tensors.push_back(v.as_tensor());
  }
  const TensorProxy& first = *tensors.front();
  if (first.ndim() == 0) args.fail("cannot concatenate 0-dim tensors");
  const std::int64_t dim = dim_arg(args, 1, first.ndim());
  Shape shape = first.shape();
  shape[static_cast<std::size_t>(dim)] = 0;
  for (const TensorProxyPtr& t : tensors) {
    bool ok =
        t->ndim() == first.ndim() && t->dtype() == first.dtype() && t->device() == first.device();
    for (std::size_t i = 0; ok && i < shape.size(); ++i) {
      ok = static_cast<std::int64_t>(i) == dim || t->shape()[i] == first.shape()[i];
    }
    if (!ok) {
      args.fail(str("cannot concatenate ", first.type_string(), " and ", t->type_string(),
                    " along dim ", dim));
    }
    shape[static_cast<std::size_t>(dim)] += t->shape()[static_cast<std::size_t>(dim)];
  }
  return new_tensor(shape, first.dtype(), first.device());
}

Value pad_meta(const BoundArgs& args) {
  const TensorProxy& a = *args.tensor(0);
  if (!args[1].is_scalar()) args.fail("padding_value must be a number");
  if (!args[2].is_list() || static_cast<std::int64_t>(args[2].as_list().size()) != a.ndim()) {
    args.fail(str("padding_config needs one [low, high, interior] per dim of ", a.type_string()));
  }
  Shape shape;
  for (std::size_t i = 0; i < a.shape().size(); ++i) {
    const Value& config = args[2].as_list()[i];
    bool ok = config.is_list() && config.as_list().size() == 3;
    for (std::size_t k = 0; ok && k < 3; ++k)
      ok = config.as_list()[k].kind() == ValueKind::Int;
    if (!ok) args.fail("each padding_config entry must be [low, high, interior] of ints");
    const std::vector<std::int64_t> c = config.as_ints();
    const std::int64_t extent = a.shape()[i];
    const std::int64_t dilated = extent == 0 ? 0 : extent + (extent - 1) * c[2];
    const std::int64_t out = c[0] + dilated + c[1];
    if (c[2] < 0 || out < 0 || c[0] < -dilated || c[1] < -dilated) {
      args.fail(str("padding ", config.repr(), " is invalid for dim ", i, " of extent ", extent));
    }
    shape.push_back(out);
  }
  return new_tensor(shape, a.dtype(), a.device());
}

Value index_select_meta(const BoundArgs& args) {
  const TensorProxy& a = *args.tensor(0);
  const std::int64_t dim = dim_arg(args, 1, a.ndim());
  const TensorProxy& index = *args.tensor(2);
  if (index.ndim() > 1 || !is_integer(index.dtype())) {
    args.fail(str("index must be a 0-D or 1-D integer tensor, got ", index.type_string()));
  }
  Shape shape = a.shape();
  if (a.ndim() > 0) shape[static_cast<std::size_t>(dim)] = index.numel();
  return new_tensor(shape, a.dtype(), a.device());
}

Value reduction_meta(const BoundArgs& args) {
  const TensorProxy& a = *args.tensor(0);
  const std::vector<std::int64_t> dims =
      args[1].is_list() && args[1].as_list().empty() ? std::vector<std::int64_t>{} : args.ints(1);
  std::vector<bool> reduced(static_cast<std::size_t>(a.ndim()), false);
  std::int64_t previous = -1;
  for (const std::int64_t d : dims) {
    if (d <= previous || d >= a.ndim()) {
      args.fail(str("dims ", Value::ints(dims).repr(), " must be sorted, unique and in [0, ",
                    a.ndim(), ")"));
    }
    reduced[static_cast<std::size_t>(d)] = true;
    previous = d;
    // A maximum or minimum of nothing is undefined (torch refuses it too).
    const std::string& name = args.symbol().name;
    if ((name == "amax" || name == "amin") && a.shape()[static_cast<std::size_t>(d)] == 0) {
      args.fail(str("cannot reduce dim ", d, " of extent 0 of ", a.type_string()));
    }
  }
  Shape shape;
  for (std::size_t i = 0; i < a.shape().size(); ++i) {
    if (!reduced[i]) shape.push_back(a.shape()[i]);
  }
  return new_tensor(shape, a.dtype(), a.device());
}

Value arg_reduction_meta(const BoundArgs& args) {
  const TensorProxy& a = *args.tensor(0);
  const std::int64_t dim = dim_arg(args, 1, a.ndim());
  Shape shape = a.shape();
  if (a.ndim() > 0) {
    if (shape[static_cast<std::size_t>(dim)] == 0) {
      args.fail(str("cannot reduce dim ", dim, " of extent 0 of ", a.type_string()));
    }
    shape.erase(shape.begin() + dim);
  }
  return new_tensor(shape, DType::Int64, a.device());
}

Value cumsum_meta(const BoundArgs& args) {
  const TensorProxy& a = *args.tensor(0);
  dim_arg(args, 1, a.ndim());
  return new_tensor(a.shape(), a.dtype(), a.device());
}

Value full_meta(const BoundArgs& args) {
  const Shape shape = args[0].is_list() && args[0].as_list().empty() ? Shape{} : args.ints(0);
  for (const std::int64_t extent : shape) {
    if (extent < 0) args.fail(str("shape ", shape_to_string(shape), " has a negative extent"));
  }
  if (!args[1].is_scalar()) args.fail(str("fill_value must be a number, got ", args[1].repr()));
  return new_tensor(shape, dtype_arg(args, 2), device_arg(args, 3));
}

Value iota_meta(const BoundArgs& args) {
  const std::int64_t length = args.integer(0);
  args.integer(1);
  if (length < 0 || args.integer(2) == 0) {
    args.fail(str("needs length >= 0 and a non-zero step, got ", length, " and ", args.integer(2)));
  }
  return new_tensor({length}, dtype_arg(args, 3), device_arg(args, 4));
}

Value matmul_meta(const BoundArgs& args) {
  const TensorProxy& a = *args.tensor(0);
  const TensorProxy& b = *args.tensor(1);
  if (a.ndim() < 2 || a.ndim() != b.ndim()) {
    args.fail(str("expected operands of equal rank >= 2, got ", a.type_string(), " and ",
                  b.type_string()));
  }
  if (a.dtype() != b.dtype() || a.device() != b.device()) {
    args.fail(str("expected operands of one dtype and device, got ", a.type_string(), " and ",
                  b.type_string()));
  }
  const auto rank = static_cast<std::size_t>(a.ndim());
  const Shape batch_a(a.shape().begin(), a.shape().end() - 2);
  const Shape batch_b(b.shape().begin(), b.shape().end() - 2);
  if (batch_a != batch_b || a.shape()[rank - 1] != b.shape()[rank - 2]) {
    args.fail(str("shapes ", shape_to_string(a.shape()), " and ", shape_to_string(b.shape()),
                  " cannot be multiplied (", a.shape()[rank - 1], " != ", b.shape()[rank - 2],
                  " or batch dims differ)"));
  }
  Shape shape = batch_a;
  shape.push_back(a.shape()[rank - 2]);
  shape.push_back(b.shape()[rank - 1]);
  return new_tensor(shape, a.dtype(), a.device());
}

Value convolution_meta(const BoundArgs& args) {
  const TensorProxy& a = *args.tensor(0);
  const TensorProxy& w = *args.tensor(1);
  if (a.ndim() < 3 || w.ndim() != a.ndim()) {
    args.fail(str("expected a [N, C, *spatial] input and a weight of the same rank, got ",
                  a.type_string(), " and ", w.type_string()));
  }
  if (a.dtype() != w.dtype() || a.device() != w.device()) {
    args.fail(str("expected input and weight of one dtype and device, got ", a.type_string(),
                  " and ", w.type_string()));
  }
  const auto spatial = static_cast<std::size_t>(a.ndim() - 2);
  const std::int64_t groups = args.integer(6);
  const std::int64_t out_channels = w.shape()[0];
  if (groups <= 0 || out_channels % groups != 0 || a.shape()[1] != w.shape()[1] * groups) {
    args.fail(str("groups=", groups, " does not split input ", a.type_string(), " and weight ",
                  w.type_string(), " into equal channel groups"));
  }
  if (!args[2].is_none()) {
    const TensorProxy& bias = *args.tensor(2);
    if (bias.ndim() != 1 || bias.shape()[0] != out_channels || bias.dtype() != a.dtype() ||
        bias.device() != a.device()) {
      args.fail(str("expected a bias of [", out_channels, "] ", torch_name(a.dtype()), ", got ",
                    bias.type_string()));
    }
  }
  const std::vector<std::int64_t> stride = args.ints(3);
  const std::vector<std::int64_t> padding = args.ints(4);
  const std::vector<std::int64_t> dilation = args.ints(5);
  if (stride.size() != spatial || padding.size() != spatial || dilation.size() != spatial) {
    args.fail(str("stride, padding and dilation need one int per spatial dim (", spatial,
                  ") of ", a.type_string()));
  }
  Shape shape = {a.shape()[0], out_channels};
  for (std::size_t i = 0; i < spatial; ++i) {
    const std::int64_t padded = a.shape()[i + 2] + 2 * padding[i];
    const std::int64_t window = dilation[i] * (w.shape()[i + 2] - 1) + 1;
    if (stride[i] <= 0 || padding[i] < 0 || dilation[i] <= 0 || w.shape()[i + 2] <= 0 ||
        padded < window) {
      args.fail(str("stride ", Value::ints(stride).repr(), ", padding ",
                    Value::ints(padding).repr(), " and dilation ", Value::ints(dilation).repr(),
                    " do not fit weight ", w.type_string(), " to input ", a.type_string()));
    }
    shape.push_back((padded - window) / stride[i] + 1);
  }
  return new_tensor(shape, a.dtype(), a.device());
}

std::vector<Symbol> make_table() {
  std::vector<Symbol> table;
#define THUNDER_PRIM(NAME, PARAMS, META, TAGS)                                                     \
  table.push_back(make_symbol({.name = #NAME,                                                      \
                               .ns = SymbolNamespace::Prims,                                       \
                               .params = PARAMS,                                                   \
                               .tags = TAGS,                                                       \
                               .meta = META,                                                       \
                               .torch_ops = {}}));
#include "thunder/ops/prims.def"
#undef THUNDER_PRIM
  return table;
}

const std::vector<Symbol>& table() {
  static const std::vector<Symbol> symbols = make_table();
  return symbols;
}

TensorProxyPtr call(PrimId id, std::vector<Value> args) {
  return call_symbol(symbol(id), std::move(args)).as_tensor();
}

} // namespace

const Symbol& symbol(PrimId id) {
  return table().at(static_cast<std::size_t>(id));
}

const std::vector<const Symbol*>& all() {
  static const std::vector<const Symbol*> pointers = [] {
    std::vector<const Symbol*> out;
    for (const Symbol& s : table())
      out.push_back(&s);
    return out;
  }();
  return pointers;
}

#define THUNDER_UNARY(NAME)                                                                        \
  TensorProxyPtr NAME(const Value& a) {                                                            \
    return call(PrimId::NAME, {a});                                                                \
  }
#define THUNDER_BINARY(NAME)                                                                       \
  TensorProxyPtr NAME(const Value& a, const Value& b) {                                            \
    return call(PrimId::NAME, {a, b});                                                             \
  }
THUNDER_UNARY(neg)
THUNDER_UNARY(abs)
THUNDER_UNARY(floor)
THUNDER_UNARY(ceil)
THUNDER_UNARY(round)
THUNDER_UNARY(trunc)
THUNDER_UNARY(sign)
THUNDER_UNARY(bitwise_not)
THUNDER_UNARY(exp)
THUNDER_UNARY(exp2)
THUNDER_UNARY(log)
THUNDER_UNARY(log2)
THUNDER_UNARY(log1p)
THUNDER_UNARY(expm1)
THUNDER_UNARY(sqrt)
THUNDER_UNARY(rsqrt)
THUNDER_UNARY(reciprocal)
THUNDER_UNARY(sin)
THUNDER_UNARY(cos)
THUNDER_UNARY(tan)
THUNDER_UNARY(tanh)
THUNDER_UNARY(erf)
THUNDER_UNARY(isnan)
THUNDER_UNARY(isinf)
THUNDER_UNARY(isfinite)
THUNDER_UNARY(logical_not)
THUNDER_BINARY(add)
THUNDER_BINARY(sub)
THUNDER_BINARY(mul)
THUNDER_BINARY(div)
THUNDER_BINARY(pow)
THUNDER_BINARY(maximum)
THUNDER_BINARY(minimum)
THUNDER_BINARY(fmod)
THUNDER_BINARY(remainder)
THUNDER_BINARY(atan2)
THUNDER_BINARY(bitwise_and)
THUNDER_BINARY(bitwise_or)
THUNDER_BINARY(bitwise_xor)
THUNDER_BINARY(eq)
THUNDER_BINARY(ne)
THUNDER_BINARY(lt)
THUNDER_BINARY(le)
THUNDER_BINARY(gt)
THUNDER_BINARY(ge)
THUNDER_BINARY(logical_and)
THUNDER_BINARY(logical_or)
THUNDER_BINARY(logical_xor)
THUNDER_BINARY(matmul)
#undef THUNDER_UNARY
#undef THUNDER_BINARY

TensorProxyPtr where(const Value& pred, const Value& a, const Value& b) {
  return call(PrimId::where, {pred, a, b});
}
TensorProxyPtr convert_element_type(const Value& a, DType dtype) {
  return call(PrimId::convert_element_type, {a, dtype});
}
TensorProxyPtr broadcast_in_dim(const Value& a, const Shape& shape,
                                const std::vector<std::int64_t>& broadcast_dimensions) {
  return call(PrimId::broadcast_in_dim, {a, Value::ints(shape), Value::ints(broadcast_dimensions)});
}
TensorProxyPtr reshape(const Value& a, const Shape& shape) {
  return call(PrimId::reshape, {a, Value::ints(shape)});
}
TensorProxyPtr transpose(const Value& a, const std::vector<std::int64_t>& permutation) {
  return call(PrimId::transpose, {a, Value::ints(permutation)});
}
TensorProxyPtr slice(const Value& a, const std::vector<std::int64_t>& start_indices,
                     const std::vector<std::int64_t>& end_indices,
                     const std::vector<std::int64_t>& strides) {
  return call(PrimId::slice,
              {a, Value::ints(start_indices), Value::ints(end_indices), Value::ints(strides)});
}
TensorProxyPtr squeeze(const Value& a, const std::vector<std::int64_t>& dims) {
  return call(PrimId::squeeze, {a, Value::ints(dims)});
}
TensorProxyPtr cat(const std::vector<TensorProxyPtr>& tensors, std::int64_t dim) {
  Value::List items(tensors.begin(), tensors.end());
  return call(PrimId::cat, {Value(std::move(items)), dim});
}
TensorProxyPtr pad(const Value& a, const Value& padding_value,
                   const std::vector<std::vector<std::int64_t>>& padding_config) {
  Value::List config;
  for (const auto& entry : padding_config)
    config.push_back(Value::ints(entry));
  return call(PrimId::pad, {a, padding_value, Value(std::move(config))});
}
TensorProxyPtr index_select(const Value& a, std::int64_t dim, const Value& index) {
  return call(PrimId::index_select, {a, dim, index});
}
TensorProxyPtr sum(const Value& a, const std::vector<std::int64_t>& dims) {
  return call(PrimId::sum, {a, Value::ints(dims)});
}
TensorProxyPtr prod(const Value& a, const std::vector<std::int64_t>& dims) {
  return call(PrimId::prod, {a, Value::ints(dims)});
}
TensorProxyPtr amax(const Value& a, const std::vector<std::int64_t>& dims) {
  return call(PrimId::amax, {a, Value::ints(dims)});
}
TensorProxyPtr amin(const Value& a, const std::vector<std::int64_t>& dims) {
  return call(PrimId::amin, {a, Value::ints(dims)});
}
TensorProxyPtr argmax(const Value& a, std::int64_t dim) {
  return call(PrimId::argmax, {a, dim});
}
TensorProxyPtr argmin(const Value& a, std::int64_t dim) {
  return call(PrimId::argmin, {a, dim});
}
TensorProxyPtr cumsum(const Value& a, std::int64_t dim) {
  return call(PrimId::cumsum, {a, dim});
}
TensorProxyPtr convolution(const Value& a, const Value& weight, const Value& bias,
                           const std::vector<std::int64_t>& stride,
                           const std::vector<std::int64_t>& padding,
                           const std::vector<std::int64_t>& dilation, std::int64_t groups) {
  return call(PrimId::convolution, {a, weight, bias, Value::ints(stride), Value::ints(padding),
                                    Value::ints(dilation), groups});
}
TensorProxyPtr full(const Shape& shape, const Value& fill_value, DType dtype, Device device) {
  return call(PrimId::full, {Value::ints(shape), fill_value, dtype, device});
}
TensorProxyPtr iota(std::int64_t length, std::int64_t start, std::int64_t step, DType dtype,
                    Device device) {
  return call(PrimId::iota, {length, start, step, dtype, device});
}

} // namespace thunder::prims
