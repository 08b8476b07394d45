#include "meta_utils.h"

#include "thunder/core/error.h"

namespace thunder::ops {

DType value_dtype(const Value& value) {
  switch (value.kind()) {
  case ValueKind::Tensor:
    return value.as_tensor()->dtype();
  case ValueKind::Number:
    return number_dtype(value.as_number()->number_kind());
  case ValueKind::Bool:
    return DType::Bool;
  case ValueKind::Int:
    return DType::Int64;
  case ValueKind::Float:
    return DType::Float64;
  default:
    THUNDER_INTERNAL_ASSERT(false) << "value_dtype of " << value.repr();
    return DType::Float64;
  }
}

PromotionOperand promotion_operand(const BoundArgs& args, const Value& value) {
  if (value.is_tensor()) {
    const auto& t = value.as_tensor();
    return {t->dtype(), t->ndim() == 0 ? OperandKind::ZeroDimTensor : OperandKind::Tensor};
  }
  if (!value.is_scalar()) {
    args.fail(str("expected a tensor or a number, got ", value_kind_name(value.kind()), " ",
                  value.repr()));
  }
  return {value_dtype(value), OperandKind::Scalar};
}

Shape broadcast_shapes(const BoundArgs& args, const std::vector<Shape>& shapes) {
  std::size_t rank = 0;
  for (const Shape& s : shapes)
    rank = std::max(rank, s.size());
  Shape out(rank, 1);
  for (const Shape& s : shapes) {
    const std::size_t offset = rank - s.size();
    for (std::size_t i = 0; i < s.size(); ++i) {
      std::int64_t& o = out[offset + i];
      if (s[i] == o || s[i] == 1) continue;
      if (o == 1) {
        o = s[i];
        continue;
      }
      std::string listed;
      for (const Shape& each : shapes)
        listed += (listed.empty() ? "" : " and ") + shape_to_string(each);
      args.fail(str("shapes ", listed, " cannot be broadcast (", o, " != ", s[i], " at dim ",
                    static_cast<std::int64_t>(offset + i) - static_cast<std::int64_t>(rank), ")"));
    }
  }
  return out;
}

Device common_device(const BoundArgs& args, const std::vector<Value>& values) {
  const TensorProxy* first = first_tensor(values);
  if (first == nullptr) return Device::cpu();
  for (const Value& v : values) {
    if (v.is_tensor() && v.as_tensor()->device() != first->device()) {
      args.fail(str("expected all tensors on one device, but ", first->name(), " is on ",
                    first->device().to_string(), " and ", v.as_tensor()->name(), " is on ",
                    v.as_tensor()->device().to_string()));
    }
  }
  return first->device();
}

std::int64_t canonical_dim(const BoundArgs& args, std::int64_t dim, std::int64_t ndim) {
  // torch lets a 0-dim tensor be indexed as if it had one dim.
  const std::int64_t extent = std::max<std::int64_t>(ndim, 1);
  if (dim < -extent || dim >= extent) {
    args.fail(str("dimension out of range (expected to be in range of [", -extent, ", ", extent - 1,
                  "], but got ", dim, ")"));
  }
  return dim < 0 ? dim + extent : dim;
}

double value_as_double(const Value& value) {
  if (value.kind() == ValueKind::Bool) return value.as_bool() ? 1.0 : 0.0;
  return value.as_float();
}

const TensorProxy* first_tensor(const std::vector<Value>& values) {
  for (const Value& v : values) {
    if (v.is_tensor()) return v.as_tensor().get();
  }
  return nullptr;
}

} // namespace thunder::ops
