#include "aten_call.h"

#include "thunder/core/error.h"
#include "thunder/executors/torch_executor.h"

#include <ATen/ScalarOps.h>
#include <ATen/core/function_schema.h>

namespace thunder::torch_edge {
namespace {

// How strictly a number may match a Tensor parameter.
enum class Matching { Strict, Wrapping };

c10::TypePtr unwrap_optional(const c10::TypePtr& type) {
  if (const auto optional = type->cast<c10::OptionalType>()) return optional->getElementType();
  return type;
}

bool is_number_kind(const Value& v) {
  return v.kind() == ValueKind::Bool || v.kind() == ValueKind::Int ||
         v.kind() == ValueKind::Float || v.kind() == ValueKind::Number;
}

// Converts one value to the argument's type, or returns nullopt if it does not fit.
std::optional<c10::IValue> convert(const Value& value, const c10::Argument& argument,
                                   const ProxyLookup& lookup, Matching matching) {
  const c10::TypePtr& declared = argument.type();
  if (value.is_none()) {
    if (declared->kind() == c10::TypeKind::OptionalType) return c10::IValue();
    return std::nullopt;
  }
  const c10::TypePtr type = unwrap_optional(declared);
  switch (type->kind()) {
  case c10::TypeKind::TensorType:
    if (value.is_tensor()) return lookup(value);
    if (is_number_kind(value) && matching == Matching::Wrapping) {
      const c10::IValue number = value.is_number() ? lookup(value) : c10::IValue();
      const at::Scalar s = value.is_number()                 ? number.toScalar()
                           : value.kind() == ValueKind::Bool ? at::Scalar(value.as_bool())
                           : value.kind() == ValueKind::Int  ? at::Scalar(value.as_int())
                                                             : at::Scalar(value.as_float());
      return at::native::wrapped_scalar_tensor(s);
    }
    return std::nullopt;
  case c10::TypeKind::NumberType:
    if (value.is_number()) return lookup(value);
    if (value.kind() == ValueKind::Bool) return c10::IValue(value.as_bool());
    if (value.kind() == ValueKind::Int) return c10::IValue(value.as_int());
    if (value.kind() == ValueKind::Float) return c10::IValue(value.as_float());
    return std::nullopt;
  case c10::TypeKind::IntType:
  case c10::TypeKind::SymIntType:
    if (value.kind() == ValueKind::Int) return c10::IValue(value.as_int());
    // Schemas spell ScalarType, Layout and MemoryFormat as ints.
    if (value.kind() == ValueKind::DType) {
      return c10::IValue(static_cast<std::int64_t>(to_scalar_type(value.as_dtype())));
    }
    if (value.is_number() && lookup(value).isInt()) return lookup(value);
    return std::nullopt;
  case c10::TypeKind::FloatType:
    if (value.kind() == ValueKind::Float || value.kind() == ValueKind::Int) {
      return c10::IValue(value.as_float());
    }
    if (value.is_number()) return c10::IValue(lookup(value).toScalar().toDouble());
    return std::nullopt;
  case c10::TypeKind::BoolType:
    if (value.kind() == ValueKind::Bool) return c10::IValue(value.as_bool());
    return std::nullopt;
  case c10::TypeKind::StringType:
    if (value.kind() == ValueKind::String) return c10::IValue(value.as_string());
    return std::nullopt;
  case c10::TypeKind::ScalarTypeType:
    if (value.kind() == ValueKind::DType) {
      return c10::IValue(static_cast<std::int64_t>(to_scalar_type(value.as_dtype())));
    }
    return std::nullopt;
  case c10::TypeKind::DeviceObjType:
    if (value.kind() == ValueKind::Device) {
      const Device& d = value.as_device();
      if (d.type == DeviceType::CPU) return c10::IValue(c10::Device(c10::kCPU));
      if (d.type == DeviceType::CUDA) {
        return c10::IValue(c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(d.index)));
      }
    }
    return std::nullopt;
  case c10::TypeKind::ListType: {
    const c10::TypePtr element = type->castRaw<c10::ListType>()->getElementType();
    if (element->kind() == c10::TypeKind::TensorType) {
      if (!value.is_list()) return std::nullopt;
      std::vector<at::Tensor> tensors;
      for (const Value& item : value.as_list()) {
        if (!item.is_tensor()) return std::nullopt;
        tensors.push_back(lookup(item).toTensor());
      }
      return c10::IValue(tensors);
    }
    // Tensor?[] (aten::index's indices): None items stay None.
    if (element->kind() == c10::TypeKind::OptionalType &&
        unwrap_optional(element)->kind() == c10::TypeKind::TensorType) {
      if (!value.is_list()) return std::nullopt;
      c10::List<std::optional<at::Tensor>> tensors;
      for (const Value& item : value.as_list()) {
        if (item.is_none()) {
          tensors.push_back(std::nullopt);
        } else if (item.is_tensor()) {
          tensors.push_back(lookup(item).toTensor());
        } else {
          return std::nullopt;
        }
      }
      return c10::IValue(tensors);
    }
    if (element->kind() == c10::TypeKind::IntType || element->kind() == c10::TypeKind::SymIntType) {
      if (value.kind() == ValueKind::Int)
        return c10::IValue(std::vector<std::int64_t>{value.as_int()});
      if (!value.is_list()) return std::nullopt;
      for (const Value& item : value.as_list()) {
        if (item.kind() != ValueKind::Int) return std::nullopt;
      }
      return c10::IValue(value.as_ints());
    }
    return std::nullopt;
  }
  default:
    return std::nullopt;
  }
}

// The whole argument list for one schema, or nullopt if the values do not fit it.
std::optional<std::vector<c10::IValue>>
bind(const c10::FunctionSchema& schema, const std::vector<Value>& args,
     const std::vector<std::pair<std::string, Value>>& kwargs, const ProxyLookup& lookup,
     Matching matching) {
  const std::vector<c10::Argument>& params = schema.arguments();
  std::vector<c10::IValue> stack;
  std::size_t positional = 0;
  for (const c10::Argument& param : params) {
    const Value* given = nullptr;
    if (!param.kwarg_only() && positional < args.size()) {
      given = &args[positional++];
    } else {
      for (const auto& [name, value] : kwargs) {
        if (name == param.name()) given = &value;
      }
    }
    if (given == nullptr) {
      if (!param.default_value()) return std::nullopt;
      stack.push_back(*param.default_value());
      continue;
    }
    std::optional<c10::IValue> converted = convert(*given, param, lookup, matching);
    if (!converted) return std::nullopt;
    stack.push_back(std::move(*converted));
  }
  // Trailing Nones the schema has no slot for are defaults left unsaid (squeeze(x, None)
  // is aten::squeeze(self)).
  while (positional < args.size() && args[positional].is_none())
    ++positional;
  if (positional != args.size()) return std::nullopt;
  for (const auto& [name, value] : kwargs) {
    bool known = false;
    for (const c10::Argument& param : params)
      known = known || param.name() == name;
    if (!known) return std::nullopt;
  }
  return stack;
}

} // namespace

namespace {
std::optional<c10::OperatorHandle> lookup_operator(std::string_view qualified_name) {
  const std::string text(qualified_name);
  const std::size_t colons = text.find("::");
  const std::size_t dot = text.find('.', colons == std::string::npos ? 0 : colons);
  const std::string name = text.substr(0, dot);
  std::string overload = dot == std::string::npos ? "" : text.substr(dot + 1);
  // Exporters spell the default overload "default"; the dispatcher names it "".
  if (overload == "default") overload.clear();
  return c10::Dispatcher::singleton().findSchema({name, overload});
}
} // namespace

bool has_operator(std::string_view qualified_name) {
  return lookup_operator(qualified_name).has_value();
}

c10::OperatorHandle find_operator(std::string_view qualified_name) {
  const std::optional<c10::OperatorHandle> op = lookup_operator(qualified_name);
  if (!op) {
    throw BackendError(str("torch executor: this LibTorch has no operator ", qualified_name));
  }
  return *op;
}

c10::IValue call_operator(const c10::OperatorHandle& op, std::vector<c10::IValue> args) {
  const std::vector<c10::Argument>& params = op.schema().arguments();
  if (args.size() > params.size()) {
    throw ArgumentError(
        str(op.schema().name(), ": takes ", params.size(), " arguments, got ", args.size()));
  }
  for (std::size_t i = args.size(); i < params.size(); ++i) {
    if (!params[i].default_value()) {
      throw ArgumentError(str(op.schema().name(), ": missing argument '", params[i].name(), "'"));
    }
    args.push_back(*params[i].default_value());
  }
  torch::jit::Stack stack(std::make_move_iterator(args.begin()),
                          std::make_move_iterator(args.end()));
  op.callBoxed(stack);
  if (stack.size() == 1) return std::move(stack[0]);
  return c10::ivalue::Tuple::create(std::move(stack));
}

c10::IValue call_overloads(const std::vector<std::string>& overloads,
                           const std::vector<Value>& args,
                           const std::vector<std::pair<std::string, Value>>& kwargs,
                           const ProxyLookup& lookup, const std::string& caller) {
  for (const Matching matching : {Matching::Strict, Matching::Wrapping}) {
    for (const std::string& name : overloads) {
      const c10::OperatorHandle op = find_operator(name);
      std::optional<std::vector<c10::IValue>> stack =
          bind(op.schema(), args, kwargs, lookup, matching);
      if (stack) return call_operator(op, std::move(*stack));
    }
  }
  std::string listed;
  for (const std::string& name : overloads)
    listed += (listed.empty() ? "" : ", ") + name;
  THUNDER_INTERNAL_ASSERT(false) << caller << ": no overload of " << listed
                                 << " accepts the traced arguments";
  return {};
}

} // namespace thunder::torch_edge
