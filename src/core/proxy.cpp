#include "thunder/core/proxy.h"

#include "thunder/core/error.h"
#include "thunder/core/value.h"

#include <cctype>

namespace thunder {

std::string shape_to_string(const Shape& shape) {
  std::string out = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i != 0) out += ", ";
    out += std::to_string(shape[i]);
  }
  return out + "]";
}

bool is_valid_proxy_name(const std::string& name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  for (const char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  }
  // Names the printed trace uses for itself.
  static const char* const kReserved[] = {"None",    "True",  "False",  "def",   "return", "dtypes",
                                          "devices", "prims", "ltorch", "float", "lambda"};
  for (const char* reserved : kReserved) {
    if (name == reserved) return false;
  }
  return true;
}

namespace {
void check_name(const std::string& name) {
  if (!is_valid_proxy_name(name)) {
    throw ArgumentError(
        str("invalid name '", name, "': names must be Python identifiers and not reserved words"));
  }
}
} // namespace

std::int64_t TensorProxy::numel() const {
  std::int64_t n = 1;
  for (const std::int64_t extent : shape_)
    n *= extent;
  return n;
}

std::string TensorProxy::type_string() const {
  return str(device_.to_string(), " ", short_name(dtype_), shape_to_string(shape_));
}

TensorProxyPtr TensorProxy::create(std::string name, Shape shape, DType dtype, Device device,
                                   bool requires_grad) {
  check_name(name);
  for (const std::int64_t extent : shape) {
    if (extent < 0) {
      throw ArgumentError(
          str("tensor '", name, "': shape ", shape_to_string(shape), " has a negative extent"));
    }
  }
  return std::make_shared<const TensorProxy>(std::move(name), std::move(shape), dtype, device,
                                             requires_grad);
}

DType number_dtype(NumberKind kind) {
  switch (kind) {
  case NumberKind::Bool:
    return DType::Bool;
  case NumberKind::Int:
    return DType::Int64;
  case NumberKind::Float:
    return DType::Float64;
  }
  THUNDER_INTERNAL_ASSERT(false) << "number kind " << static_cast<int>(kind);
  return DType::Float64;
}

std::string NumberProxy::type_string() const {
  static const char* const kNames[] = {"bool", "int", "float"};
  std::string out = kNames[static_cast<int>(number_kind_)];
  if (!value_) return out + " ?";
  return out + " " + std::visit([](auto v) { return Value(v).repr(); }, *value_);
}

NumberProxyPtr NumberProxy::create(std::string name, NumberKind kind,
                                   std::optional<ScalarValue> value) {
  check_name(name);
  if (value && static_cast<std::size_t>(kind) != value->index()) {
    throw ArgumentError(str("number '", name, "': value does not match its kind"));
  }
  return std::make_shared<const NumberProxy>(std::move(name), kind, value);
}

} // namespace thunder
