#include "common.h"

#include <algorithm>
#include <sstream>

namespace thunder::ltorch::detail {

using ops::canonical_dim;

Dtypes elementwise_dtypes(const BoundArgs& args, const std::vector<Value>& operands,
                          PromotionKind kind) {
  std::vector<PromotionOperand> promotion;
  for (const Value& v : operands)
    promotion.push_back(ops::promotion_operand(args, v));
  DType result = result_type(promotion);
  if (kind == PromotionKind::AlwaysBool) return {result, DType::Bool};
  if (kind == PromotionKind::IntToFloat && !is_floating(result)) result = kDefaultFloatDType;
  const bool low_precision = result == DType::Float16 || result == DType::BFloat16;
  const DType computation =
      kind != PromotionKind::NoOpMath && low_precision ? DType::Float32 : result;
  return {computation, result};
}

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

TensorProxyPtr broadcast_to(const TensorProxyPtr& t, const Shape& shape) {
  if (t->shape() == shape) return t;
  std::vector<std::int64_t> dims;
  const auto offset = static_cast<std::int64_t>(shape.size()) - t->ndim();
  for (std::int64_t i = 0; i < t->ndim(); ++i) dims.push_back(offset + i);
  return prims::broadcast_in_dim(t, shape, dims);
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

Symbol make_ltorch_symbol(const char* name, const std::vector<Param>& params, CheckFn check,
                          DecompositionFn decomposition, Tags tags, const char* torch_ops) {
  Symbol symbol{.name = name,
                .ns = SymbolNamespace::LTorch,
                .params = params,
                .tags = tags,
                .check = check,
                .decomposition = decomposition,
                .torch_ops = {}};
  std::stringstream overloads(torch_ops);
  std::string overload;
  while (std::getline(overloads, overload, ',')) {
    if (!overload.empty()) symbol.torch_ops.push_back(overload);
  }
  return make_symbol(std::move(symbol));
}

TensorProxyPtr call_tensor(LTorchId id, std::vector<Value> args,
                           std::vector<std::pair<std::string, Value>> kwargs) {
  return call_symbol(symbol(id), std::move(args), std::move(kwargs)).as_tensor();
}

} // namespace thunder::ltorch::detail
