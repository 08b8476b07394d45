#include "thunder/ops/ltorch.h"

#include "meta_utils.h"
#include "thunder/core/error.h"
#include "thunder/core/tracing.h"
#include "thunder/ops/prims.h"

#include <algorithm>
#include <functional>
#include <numbers>
#include <numeric>

namespace thunder::ltorch {
namespace {

using ops::canonical_dim;
using prims::PrimId;

// Parameter lists, shared where signatures agree.
const std::vector<Param> kUnary = {{"a"}};
const std::vector<Param> kBinary = {{"a"}, {"b"}};
const std::vector<Param> kAlphaBinary = {{"a"}, {"b"}, {"alpha", Value(1), true}};
const std::vector<Param> kDiv = {{"a"}, {"b"}, {"rounding_mode", Value(), true}};
const std::vector<Param> kGelu = {{"a"}, {"approximate", Value("none"), true}};
const std::vector<Param> kTo = {{"a"}, {"dtype"}};
const std::vector<Param> kReshape = {{"a"}, {"shape"}};
const std::vector<Param> kTranspose = {{"a"}, {"dim0"}, {"dim1"}};
const std::vector<Param> kPermute = {{"a"}, {"dims"}};
const std::vector<Param> kSum = {
    {"a"}, {"dim", Value()}, {"keepdim", Value(false)}, {"dtype", Value(), true}};
const std::vector<Param> kLinear = {{"input"}, {"weight"}, {"bias", Value()}};

// How an elementwise op chooses its dtypes, after PyTorch's ELEMENTWISE_TYPE_PROMOTION_KIND.
enum class PromotionKind {
  Default,    // the promoted dtype; f16/bf16 computed in f32
  IntToFloat, // like Default, but bool and integer results become the default float
  NoOpMath,   // the promoted dtype, computed in it (neg, abs, max ...)
};

struct Dtypes {
  DType computation;
  DType result;
};

Dtypes elementwise_dtypes(const BoundArgs& args, const std::vector<Value>& operands,
                          PromotionKind kind) {
  std::vector<PromotionOperand> promotion;
  for (const Value& v : operands)
    promotion.push_back(ops::promotion_operand(args, v));
  DType result = result_type(promotion);
  if (kind == PromotionKind::IntToFloat && !is_floating(result)) result = kDefaultFloatDType;
  const bool low_precision = result == DType::Float16 || result == DType::BFloat16;
  const DType computation =
      kind != PromotionKind::NoOpMath && low_precision ? DType::Float32 : result;
  return {computation, result};
}

// Brings a tensor operand to the broadcast shape and computation dtype; numbers stay
// numbers (prims take them as values of the tensor's dtype).
Value prepare_operand(const Value& v, const Shape& shape, DType dtype) {
  if (!v.is_tensor()) return v;
  TensorProxyPtr t = v.as_tensor();
  if (t->shape() != shape) {
    std::vector<std::int64_t> dims;
    const auto offset = static_cast<std::int64_t>(shape.size()) - t->ndim();
    for (std::int64_t i = 0; i < t->ndim(); ++i)
      dims.push_back(offset + i);
    t = prims::broadcast_in_dim(t, shape, dims);
  }
  if (t->dtype() != dtype) t = prims::convert_element_type(t, dtype);
  return t;
}

TensorProxyPtr to_dtype(const TensorProxyPtr& t, DType dtype) {
  return t->dtype() == dtype ? t : prims::convert_element_type(t, dtype);
}

// The decomposition of every elementwise op: broadcast, promote, compute, convert back.
using Compute = std::function<TensorProxyPtr(const std::vector<Value>&)>;

TensorProxyPtr elementwise(const BoundArgs& args, std::vector<Value> operands, PromotionKind kind,
                           const Compute& compute) {
  if (ops::first_tensor(operands) == nullptr) {
    args.fail("expected at least one tensor argument");
  }
  const Dtypes dtypes = elementwise_dtypes(args, operands, kind);
  std::vector<Shape> shapes;
  for (const Value& v : operands) {
    if (v.is_tensor()) shapes.push_back(v.as_tensor()->shape());
  }
  const Shape shape = ops::broadcast_shapes(args, shapes);
  ops::common_device(args, operands);
  for (Value& v : operands)
    v = prepare_operand(v, shape, dtypes.computation);
  return to_dtype(compute(operands), dtypes.result);
}

#define THUNDER_UNARY(NAME, KIND)                                                                  \
  Value NAME##_decomposition(const BoundArgs& args) {                                              \
    return elementwise(args, {args[0]}, PromotionKind::KIND,                                       \
                       [](const std::vector<Value>& v) { return prims::NAME(v[0]); });             \
  }
THUNDER_UNARY(neg, NoOpMath)
THUNDER_UNARY(abs, NoOpMath)
THUNDER_UNARY(exp, IntToFloat)
THUNDER_UNARY(log, IntToFloat)
THUNDER_UNARY(sqrt, IntToFloat)
THUNDER_UNARY(rsqrt, IntToFloat)
THUNDER_UNARY(tanh, IntToFloat)
THUNDER_UNARY(erf, IntToFloat)
#undef THUNDER_UNARY

#define THUNDER_BINARY(NAME, KIND)                                                                 \
  Value NAME##_decomposition(const BoundArgs& args) {                                              \
    return elementwise(args, {args[0], args[1]}, PromotionKind::KIND,                              \
                       [](const std::vector<Value>& v) { return prims::NAME(v[0], v[1]); });       \
  }
THUNDER_BINARY(mul, Default)
THUNDER_BINARY(maximum, NoOpMath)
THUNDER_BINARY(minimum, NoOpMath)
#undef THUNDER_BINARY

// a + alpha * b and a - alpha * b, with b scaled in the computation dtype as torch does.
// As torch's alpha_check: a bool alpha needs a bool result, a float alpha a floating one.
Value alpha_binary(const BoundArgs& args, TensorProxyPtr (*op)(const Value&, const Value&)) {
  const Value& alpha = args.get("alpha");
  if (!alpha.is_scalar() || alpha.is_number()) {
    args.fail(str("alpha must be a concrete number, got ", alpha.repr()));
  }
  const Dtypes dtypes = elementwise_dtypes(args, {args[0], args[1]}, PromotionKind::Default);
  if (alpha.kind() == ValueKind::Bool && dtypes.result != DType::Bool) {
    args.fail("boolean alpha only supported for Boolean results");
  }
  if (!is_floating(dtypes.result) && alpha.kind() == ValueKind::Float) {
    args.fail("for integral input tensors, argument alpha must not be a floating point number");
  }
  const double alpha_value = args.number(2);
  const bool unit_alpha = alpha_value == 1.0;
  return elementwise(
      args, {args[0], args[1]}, PromotionKind::Default, [&](const std::vector<Value>& v) {
        Value b = v[1];
        if (!unit_alpha && b.is_tensor()) {
          b = prims::mul(b, alpha);
        } else if (!unit_alpha && b.is_number()) {
          throw UnsupportedError(
              str(args.symbol().qualified_name(), ": alpha with a symbolic number operand"));
        } else if (!unit_alpha) {
          // Both concrete: fold, keeping Python's int * int -> int.
          const bool ints = b.kind() != ValueKind::Float && alpha.kind() != ValueKind::Float;
          const double product = ops::value_as_double(b) * alpha_value;
          b = ints ? Value(static_cast<std::int64_t>(product)) : Value(product);
        }
        return op(v[0], b);
      });
}

Value add_decomposition(const BoundArgs& args) {
  return alpha_binary(args, &prims::add);
}
Value sub_decomposition(const BoundArgs& args) {
  for (const Value& v : {args[0], args[1]}) {
    if (ops::value_dtype(v) == DType::Bool && v.is_tensor()) {
      args.fail("subtraction with two bool tensors (or a bool tensor and a number) is not "
                "supported; use logical_xor or bitwise_not instead");
    }
  }
  return alpha_binary(args, &prims::sub);
}

Value div_decomposition(const BoundArgs& args) {
  const Value& mode = args.get("rounding_mode");
  if (!mode.is_none()) {
    throw UnsupportedError(str("ltorch.div: rounding_mode=", mode.repr(),
                               " is not supported yet; only true division (None) is"));
  }
  return elementwise(args, {args[0], args[1]}, PromotionKind::IntToFloat,
                     [](const std::vector<Value>& v) { return prims::div(v[0], v[1]); });
}

void check_not_bool(const BoundArgs& args) {
  if (args[0].is_tensor() && args.tensor(0)->dtype() == DType::Bool) {
    const bool negation = args.symbol().name == "neg";
    args.fail(str(negation ? "negation is " : "", "not supported on bool tensors (",
                  args.tensor(0)->name(), ")",
                  negation ? "; use logical_not to invert a mask" : ""));
  }
}

Value relu_decomposition(const BoundArgs& args) {
  return elementwise(args, {args[0]}, PromotionKind::NoOpMath,
                     [](const std::vector<Value>& v) { return prims::maximum(v[0], 0); });
}

void check_gelu(const BoundArgs& args) {
  const TensorProxy& a = *args.tensor(0);
  if (!is_floating(a.dtype())) {
    args.fail(
        str("expected a floating tensor, got ", a.name(), " of dtype ", torch_name(a.dtype())));
  }
  const std::string& approximate = args.string(1);
  if (approximate != "none" && approximate != "tanh") {
    args.fail(str("approximate must be 'none' or 'tanh', got '", approximate, "'"));
  }
}

Value gelu_decomposition(const BoundArgs& args) {
  const auto erf_form = [](const std::vector<Value>& v) {
    // 0.5 * a * (1 + erf(a / sqrt(2)))
    const Value& a = v[0];
    const auto inner = prims::erf(prims::mul(a, std::numbers::sqrt2 / 2));
    return prims::mul(prims::mul(a, 0.5), prims::add(inner, 1.0));
  };
  const auto tanh_form = [](const std::vector<Value>& v) {
    // 0.5 * a * (1 + tanh(sqrt(2 / pi) * (a + 0.044715 * a^3)))
    const Value& a = v[0];
    const double k = std::numbers::sqrt2 * std::numbers::inv_sqrtpi;
    const auto cube = prims::mul(prims::mul(a, a), a);
    const auto inner = prims::mul(prims::add(a, prims::mul(cube, 0.044715)), k);
    return prims::mul(prims::mul(a, 0.5), prims::add(prims::tanh(inner), 1.0));
  };
  const bool use_tanh = args.string(1) == "tanh";
  return elementwise(args, {args[0]}, PromotionKind::Default,
                     use_tanh ? Compute(tanh_form) : Compute(erf_form));
}

Value to_decomposition(const BoundArgs& args) {
  if (args[1].kind() != ValueKind::DType) args.fail("argument 'dtype' must be a dtype");
  return prims::convert_element_type(args.tensor(0), args[1].as_dtype());
}

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

std::vector<std::int64_t> canonical_permutation(const BoundArgs& args,
                                                const std::vector<std::int64_t>& dims,
                                                std::int64_t ndim) {
  if (static_cast<std::int64_t>(dims.size()) != ndim) {
    args.fail(str("number of dims don't match in permute: input has ", ndim, " dims but ",
                  Value::ints(dims).repr(), " has ", dims.size()));
  }
  std::vector<std::int64_t> out;
  for (const std::int64_t d : dims) {
    const std::int64_t c = canonical_dim(args, d, ndim);
    if (std::find(out.begin(), out.end(), c) != out.end()) {
      args.fail(str("repeated dim in permutation ", Value::ints(dims).repr()));
    }
    out.push_back(c);
  }
  return out;
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

void check_same_dtype_and_device(const BoundArgs& args, const TensorProxy& a,
                                 const TensorProxy& b) {
  if (a.dtype() != b.dtype()) {
    args.fail(str("expected both operands to have the same dtype, got ", torch_name(a.dtype()),
                  " for ", a.name(), " and ", torch_name(b.dtype()), " for ", b.name()));
  }
  if (a.device() != b.device()) {
    args.fail(str("expected both operands on one device, got ", a.device().to_string(), " and ",
                  b.device().to_string()));
  }
}

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

std::vector<Symbol> make_table() {
  std::vector<Symbol> table;
#define THUNDER_LTORCH(NAME, PARAMS, CHECK, DECOMPOSITION, TAGS)                                   \
  table.push_back(make_symbol({.name = #NAME,                                                      \
                               .ns = SymbolNamespace::LTorch,                                      \
                               .params = PARAMS,                                                   \
                               .tags = TAGS,                                                       \
                               .check = CHECK,                                                     \
                               .decomposition = DECOMPOSITION}));
#include "thunder/ops/ltorch.def"
#undef THUNDER_LTORCH
  return table;
}

const std::vector<Symbol>& table() {
  static const std::vector<Symbol> symbols = make_table();
  return symbols;
}

TensorProxyPtr call(LTorchId id, std::vector<Value> args,
                    std::vector<std::pair<std::string, Value>> kwargs = {}) {
  return call_symbol(symbol(id), std::move(args), std::move(kwargs)).as_tensor();
}

} // namespace

const Symbol& symbol(LTorchId id) {
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

TensorProxyPtr add(const Value& a, const Value& b, const Value& alpha) {
  return call(LTorchId::add, {a, b}, {{"alpha", alpha}});
}
TensorProxyPtr sub(const Value& a, const Value& b, const Value& alpha) {
  return call(LTorchId::sub, {a, b}, {{"alpha", alpha}});
}
TensorProxyPtr mul(const Value& a, const Value& b) {
  return call(LTorchId::mul, {a, b});
}
TensorProxyPtr div(const Value& a, const Value& b, const Value& rounding_mode) {
  return call(LTorchId::div, {a, b}, {{"rounding_mode", rounding_mode}});
}
TensorProxyPtr maximum(const Value& a, const Value& b) {
  return call(LTorchId::maximum, {a, b});
}
TensorProxyPtr minimum(const Value& a, const Value& b) {
  return call(LTorchId::minimum, {a, b});
}
TensorProxyPtr neg(const Value& a) {
  return call(LTorchId::neg, {a});
}
TensorProxyPtr abs(const Value& a) {
  return call(LTorchId::abs, {a});
}
TensorProxyPtr exp(const Value& a) {
  return call(LTorchId::exp, {a});
}
TensorProxyPtr log(const Value& a) {
  return call(LTorchId::log, {a});
}
TensorProxyPtr sqrt(const Value& a) {
  return call(LTorchId::sqrt, {a});
}
TensorProxyPtr rsqrt(const Value& a) {
  return call(LTorchId::rsqrt, {a});
}
TensorProxyPtr tanh(const Value& a) {
  return call(LTorchId::tanh, {a});
}
TensorProxyPtr erf(const Value& a) {
  return call(LTorchId::erf, {a});
}
TensorProxyPtr relu(const Value& a) {
  return call(LTorchId::relu, {a});
}
TensorProxyPtr gelu(const Value& a, const std::string& approximate) {
  return call(LTorchId::gelu, {a}, {{"approximate", approximate}});
}
TensorProxyPtr to(const Value& a, DType dtype) {
  return call(LTorchId::to, {a, dtype});
}
TensorProxyPtr reshape(const Value& a, const Shape& shape) {
  return call(LTorchId::reshape, {a, Value::ints(shape)});
}
TensorProxyPtr transpose(const Value& a, std::int64_t dim0, std::int64_t dim1) {
  return call(LTorchId::transpose, {a, dim0, dim1});
}
TensorProxyPtr permute(const Value& a, const std::vector<std::int64_t>& dims) {
  return call(LTorchId::permute, {a, Value::ints(dims)});
}
TensorProxyPtr sum(const Value& a, const Value& dim, bool keepdim, std::optional<DType> dtype) {
  return call(LTorchId::sum, {a, dim, keepdim}, {{"dtype", dtype ? Value(*dtype) : Value()}});
}
TensorProxyPtr matmul(const Value& a, const Value& b) {
  return call(LTorchId::matmul, {a, b});
}
TensorProxyPtr linear(const Value& input, const Value& weight, const Value& bias) {
  return call(LTorchId::linear, {input, weight, bias});
}

} // namespace thunder::ltorch
