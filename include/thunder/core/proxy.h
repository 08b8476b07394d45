// Proxies: named stand-ins for values while a program is traced. A TensorProxy carries
// what is known statically about a tensor (shape, dtype, device, requires_grad); a
// NumberProxy an int, float or bool whose value may or may not be known. Proxies are
// immutable and shared between the bound symbols and traces that mention them; their
// names are unique within a trace (TraceScope hands them out).
#pragma once

#include "thunder/core/device.h"
#include "thunder/core/dtype.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace thunder {

using Shape = std::vector<std::int64_t>;

/// "[8, 64]"; "[]" for a 0-dim shape.
std::string shape_to_string(const Shape& shape);

enum class ProxyKind : std::uint8_t { Tensor, Number };

/// Base of all proxies.
class Proxy {
public:
  virtual ~Proxy() = default;
  Proxy(const Proxy&) = delete;
  Proxy& operator=(const Proxy&) = delete;

  const std::string& name() const { return name_; }
  ProxyKind kind() const { return kind_; }
  /// The metadata as trace comments print it: "cpu f32[8, 64]", "int 3", "float ?".
  virtual std::string type_string() const = 0;

protected:
  Proxy(std::string name, ProxyKind kind) : name_(std::move(name)), kind_(kind) {}

private:
  std::string name_;
  ProxyKind kind_;
};

class TensorProxy;
class NumberProxy;
using TensorProxyPtr = std::shared_ptr<const TensorProxy>;
using NumberProxyPtr = std::shared_ptr<const NumberProxy>;

/// A tensor during tracing.
class TensorProxy final : public Proxy {
public:
  /// Checked factory: rejects negative extents and invalid names with ArgumentError.
  static TensorProxyPtr create(std::string name, Shape shape, DType dtype, Device device,
                               bool requires_grad = false);

  const Shape& shape() const { return shape_; }
  DType dtype() const { return dtype_; }
  const Device& device() const { return device_; }
  bool requires_grad() const { return requires_grad_; }
  std::int64_t ndim() const { return static_cast<std::int64_t>(shape_.size()); }
  std::int64_t numel() const;
  std::string type_string() const override;

  TensorProxy(std::string name, Shape shape, DType dtype, Device device, bool requires_grad)
      : Proxy(std::move(name), ProxyKind::Tensor), shape_(std::move(shape)), dtype_(dtype),
        device_(device), requires_grad_(requires_grad) {}

private:
  Shape shape_;
  DType dtype_;
  Device device_;
  bool requires_grad_;
};

enum class NumberKind : std::uint8_t { Bool, Int, Float };
using ScalarValue = std::variant<bool, std::int64_t, double>;

/// The DType a number of this kind promotes as (Bool, Int64, Float64).
DType number_dtype(NumberKind kind);

/// A Python number during tracing; its value is known when the trace specializes on it.
class NumberProxy final : public Proxy {
public:
  /// Checked factory; a known value must match the kind.
  static NumberProxyPtr create(std::string name, NumberKind kind,
                               std::optional<ScalarValue> value = std::nullopt);

  NumberKind number_kind() const { return number_kind_; }
  const std::optional<ScalarValue>& value() const { return value_; }
  std::string type_string() const override;

  NumberProxy(std::string name, NumberKind kind, std::optional<ScalarValue> value)
      : Proxy(std::move(name), ProxyKind::Number), number_kind_(kind), value_(value) {}

private:
  NumberKind number_kind_;
  std::optional<ScalarValue> value_;
};

/// True if name is a valid Python identifier that does not clash with trace syntax.
bool is_valid_proxy_name(const std::string& name);

} // namespace thunder
