#include "thunder/core/value.h"

#include "thunder/core/error.h"

#include <charconv>
#include <cmath>

namespace thunder {

std::string_view value_kind_name(ValueKind kind) {
  static constexpr std::string_view kNames[] = {
      "NoneType", "bool", "int", "float", "str", "dtype", "device", "list", "Tensor", "number",
  };
  return kNames[static_cast<int>(kind)];
}

Value::Value(TensorProxyPtr v) : data_(std::move(v)) {
  THUNDER_INTERNAL_ASSERT(std::get<TensorProxyPtr>(data_) != nullptr) << "null TensorProxy";
}

Value::Value(NumberProxyPtr v) : data_(std::move(v)) {
  THUNDER_INTERNAL_ASSERT(std::get<NumberProxyPtr>(data_) != nullptr) << "null NumberProxy";
}

Value Value::ints(const std::vector<std::int64_t>& values) {
  List items(values.begin(), values.end());
  return Value(std::move(items));
}

bool Value::is_scalar() const {
  const ValueKind k = kind();
  return k == ValueKind::Bool || k == ValueKind::Int || k == ValueKind::Float ||
         k == ValueKind::Number;
}

namespace {
template <typename T>
const T& get_checked(const auto& data, ValueKind wanted) {
  const T* ptr = std::get_if<T>(&data);
  THUNDER_INTERNAL_ASSERT(ptr != nullptr)
      << "value of kind " << value_kind_name(static_cast<ValueKind>(data.index())) << " used as "
      << value_kind_name(wanted);
  return *ptr;
}
} // namespace

bool Value::as_bool() const {
  return get_checked<bool>(data_, ValueKind::Bool);
}
std::int64_t Value::as_int() const {
  return get_checked<std::int64_t>(data_, ValueKind::Int);
}
double Value::as_float() const {
  if (kind() == ValueKind::Int) return static_cast<double>(as_int());
  return get_checked<double>(data_, ValueKind::Float);
}
const std::string& Value::as_string() const {
  return get_checked<std::string>(data_, ValueKind::String);
}
DType Value::as_dtype() const {
  return get_checked<DType>(data_, ValueKind::DType);
}
const Device& Value::as_device() const {
  return get_checked<Device>(data_, ValueKind::Device);
}
const Value::List& Value::as_list() const {
  return get_checked<List>(data_, ValueKind::List);
}
std::vector<std::int64_t> Value::as_ints() const {
  std::vector<std::int64_t> out;
  for (const Value& item : as_list())
    out.push_back(item.as_int());
  return out;
}
const TensorProxyPtr& Value::as_tensor() const {
  return get_checked<TensorProxyPtr>(data_, ValueKind::Tensor);
}
const NumberProxyPtr& Value::as_number() const {
  return get_checked<NumberProxyPtr>(data_, ValueKind::Number);
}

const Proxy* Value::proxy() const {
  if (const auto* t = std::get_if<TensorProxyPtr>(&data_)) return t->get();
  if (const auto* n = std::get_if<NumberProxyPtr>(&data_)) return n->get();
  return nullptr;
}

std::string float_repr(double value) {
  if (std::isnan(value)) return "float('nan')";
  if (std::isinf(value)) return value > 0 ? "float('inf')" : "-float('inf')";
  char buffer[64];
  const auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  THUNDER_INTERNAL_ASSERT(ec == std::errc()) << "to_chars failed";
  std::string out(buffer, end);
  // Python writes 1.0, not 1, and 1e+20 as 1e+20: add ".0" only when it reads as an int.
  if (out.find_first_of(".en") == std::string::npos) out += ".0";
  return out;
}

std::string Value::repr() const {
  return std::visit(
      [](const auto& v) -> std::string {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return "None";
        } else if constexpr (std::is_same_v<T, bool>) {
          return v ? "True" : "False";
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          return std::to_string(v);
        } else if constexpr (std::is_same_v<T, double>) {
          return float_repr(v);
        } else if constexpr (std::is_same_v<T, std::string>) {
          std::string out = "'";
          for (const char c : v) {
            if (c == '\'' || c == '\\') out += '\\';
            if (c == '\n') {
              out += "\\n";
              continue;
            }
            out += c;
          }
          return out + "'";
        } else if constexpr (std::is_same_v<T, DType>) {
          return str("dtypes.", torch_name(v));
        } else if constexpr (std::is_same_v<T, Device>) {
          return str("devices.Device('", v.to_string(), "')");
        } else if constexpr (std::is_same_v<T, List>) {
          std::string out = "[";
          for (std::size_t i = 0; i < v.size(); ++i) {
            if (i != 0) out += ", ";
            out += v[i].repr();
          }
          return out + "]";
        } else {
          return v->name();
        }
      },
      data_);
}

bool operator==(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return false;
  if (a.is_proxy()) return a.proxy() == b.proxy();
  if (a.kind() == ValueKind::Float) {
    // Compare bit patterns through repr so that nan == nan and 0.0 != -0.0, as CSE needs.
    return a.repr() == b.repr();
  }
  return a.data_ == b.data_;
}

void Value::for_each_proxy(const std::function<void(const Proxy&)>& fn) const {
  if (const Proxy* p = proxy()) {
    fn(*p);
  } else if (is_list()) {
    for (const Value& item : as_list())
      item.for_each_proxy(fn);
  }
}

Value Value::map_proxies(const std::function<Value(const Value&)>& substitute) const {
  if (is_proxy()) return substitute(*this);
  if (!is_list()) return *this;
  List items;
  items.reserve(as_list().size());
  for (const Value& item : as_list())
    items.push_back(item.map_proxies(substitute));
  return Value(std::move(items));
}

} // namespace thunder
