// Value: what a bound symbol takes and returns. Either a concrete Python-like value
// (None, bool, int, float, str, dtype, device, list) or a proxy. Values print as Python
// source, which is also what makes them comparable for common subexpression elimination.
#pragma once

#include "thunder/core/device.h"
#include "thunder/core/dtype.h"
#include "thunder/core/proxy.h"

#include <concepts>
#include <cstdint>
#include <functional>
#include <string>
#include <variant>
#include <vector>

namespace thunder {

enum class ValueKind : std::uint8_t {
  None,
  Bool,
  Int,
  Float,
  String,
  DType,
  Device,
  List,
  Tensor,
  Number,
};

/// Python's name for a kind ("NoneType", "int", "Tensor" ...), for error messages.
std::string_view value_kind_name(ValueKind kind);

/// A concrete value or a proxy, immutable once built.
class Value {
public:
  using List = std::vector<Value>;

  Value() = default; ///< None.
  Value(std::nullptr_t) {}
  Value(bool v) : data_(v) {}
  template <std::integral T>
  requires(!std::same_as<T, bool>) Value(T v) : data_(static_cast<std::int64_t>(v)) {}
  Value(double v) : data_(v) {}
  Value(std::string v) : data_(std::move(v)) {}
  Value(const char* v) : data_(std::string(v)) {}
  Value(DType v) : data_(v) {}
  Value(Device v) : data_(v) {}
  Value(List v) : data_(std::move(v)) {}
  Value(TensorProxyPtr v);
  Value(NumberProxyPtr v);
  /// A list of ints, e.g. a shape or a permutation.
  static Value ints(const std::vector<std::int64_t>& values);

  ValueKind kind() const { return static_cast<ValueKind>(data_.index()); }
  bool is_none() const { return kind() == ValueKind::None; }
  bool is_tensor() const { return kind() == ValueKind::Tensor; }
  bool is_number() const { return kind() == ValueKind::Number; }
  bool is_proxy() const { return is_tensor() || is_number(); }
  bool is_list() const { return kind() == ValueKind::List; }
  /// A concrete bool, int or float, or a NumberProxy.
  bool is_scalar() const;

  // Accessors; calling the wrong one is a bug (InternalError). Metas check kind() first
  // and report the user's mistake as an ArgumentError.
  bool as_bool() const;
  std::int64_t as_int() const;
  double as_float() const; ///< An int or float as double.
  const std::string& as_string() const;
  DType as_dtype() const;
  const Device& as_device() const;
  const List& as_list() const;
  std::vector<std::int64_t> as_ints() const; ///< A list whose items are all ints.
  const TensorProxyPtr& as_tensor() const;
  const NumberProxyPtr& as_number() const;
  /// The proxy inside, or nullptr for a concrete value.
  const Proxy* proxy() const;

  /// Python source for this value: None, True, 3, 1.5, 'tanh', float('inf'),
  /// dtypes.float32, [8, 64], or the proxy's name.
  std::string repr() const;

  /// Structural equality; proxies are equal when they are the same proxy.
  friend bool operator==(const Value& a, const Value& b);

  /// Calls fn on every proxy in this value, depth first, in order.
  void for_each_proxy(const std::function<void(const Proxy&)>& fn) const;
  /// A copy where each proxy p is replaced by substitute(p) (which returns p itself to
  /// keep it).
  Value map_proxies(const std::function<Value(const Value&)>& substitute) const;

private:
  std::variant<std::monostate, bool, std::int64_t, double, std::string, DType, Device, List,
               TensorProxyPtr, NumberProxyPtr>
      data_;
};

/// Python source for a float that reads back to the same double.
std::string float_repr(double value);

} // namespace thunder
