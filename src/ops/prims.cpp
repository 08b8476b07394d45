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
const std::vector<Param> kConvert = {{"a"}, {"dtype"}};
const std::vector<Param> kBroadcastInDim = {{"a"}, {"shape"}, {"broadcast_dimensions"}};
const std::vector<Param> kReshape = {{"a"}, {"shape"}};
const std::vector<Param> kTranspose = {{"a"}, {"permutation"}};
const std::vector<Param> kReduction = {{"a"}, {"dims"}};

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

Value binary_meta(const BoundArgs& args) {
  const Value& a = args[0];
  const Value& b = args[1];
  const TensorProxy* first = ops::first_tensor({a, b});
  if (first == nullptr) args.fail("expected at least one tensor argument");
  for (const Value& v : {a, b}) {
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
  return new_tensor(first->shape(), first->dtype(), first->device());
}

Value convert_element_type_meta(const BoundArgs& args) {
  const TensorProxy& a = *args.tensor(0);
  if (args[1].kind() != ValueKind::DType) args.fail("argument 'dtype' must be a dtype");
  return new_tensor(a.shape(), args[1].as_dtype(), a.device());
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

Value reduction_meta(const BoundArgs& args) {
  const TensorProxy& a = *args.tensor(0);
  const std::vector<std::int64_t> dims = args.ints(1);
  std::vector<bool> reduced(static_cast<std::size_t>(a.ndim()), false);
  std::int64_t previous = -1;
  for (const std::int64_t d : dims) {
    if (d <= previous || d >= a.ndim()) {
      args.fail(str("dims ", Value::ints(dims).repr(), " must be sorted, unique and in [0, ",
                    a.ndim(), ")"));
    }
    reduced[static_cast<std::size_t>(d)] = true;
    previous = d;
  }
  Shape shape;
  for (std::size_t i = 0; i < a.shape().size(); ++i) {
    if (!reduced[i]) shape.push_back(a.shape()[i]);
  }
  return new_tensor(shape, a.dtype(), a.device());
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

std::vector<Symbol> make_table() {
  std::vector<Symbol> table;
#define THUNDER_PRIM(NAME, PARAMS, META, TAGS)                                                     \
  table.push_back(make_symbol({.name = #NAME,                                                      \
                               .ns = SymbolNamespace::Prims,                                       \
                               .params = PARAMS,                                                   \
                               .tags = TAGS,                                                       \
                               .meta = META}));
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

TensorProxyPtr neg(const Value& a) {
  return call(PrimId::neg, {a});
}
TensorProxyPtr abs(const Value& a) {
  return call(PrimId::abs, {a});
}
TensorProxyPtr exp(const Value& a) {
  return call(PrimId::exp, {a});
}
TensorProxyPtr log(const Value& a) {
  return call(PrimId::log, {a});
}
TensorProxyPtr sqrt(const Value& a) {
  return call(PrimId::sqrt, {a});
}
TensorProxyPtr rsqrt(const Value& a) {
  return call(PrimId::rsqrt, {a});
}
TensorProxyPtr tanh(const Value& a) {
  return call(PrimId::tanh, {a});
}
TensorProxyPtr erf(const Value& a) {
  return call(PrimId::erf, {a});
}
TensorProxyPtr add(const Value& a, const Value& b) {
  return call(PrimId::add, {a, b});
}
TensorProxyPtr sub(const Value& a, const Value& b) {
  return call(PrimId::sub, {a, b});
}
TensorProxyPtr mul(const Value& a, const Value& b) {
  return call(PrimId::mul, {a, b});
}
TensorProxyPtr div(const Value& a, const Value& b) {
  return call(PrimId::div, {a, b});
}
TensorProxyPtr maximum(const Value& a, const Value& b) {
  return call(PrimId::maximum, {a, b});
}
TensorProxyPtr minimum(const Value& a, const Value& b) {
  return call(PrimId::minimum, {a, b});
}
TensorProxyPtr matmul(const Value& a, const Value& b) {
  return call(PrimId::matmul, {a, b});
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
TensorProxyPtr sum(const Value& a, const std::vector<std::int64_t>& dims) {
  return call(PrimId::sum, {a, Value::ints(dims)});
}

} // namespace thunder::prims
