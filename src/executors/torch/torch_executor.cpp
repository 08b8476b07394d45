#include "thunder/executors/torch_executor.h"

#include "thunder/core/error.h"

#include <ATen/ATen.h>
#include <ATen/ScalarOps.h>
#include <c10/core/GradMode.h>

#include <functional>
#include <map>
#include <string>
#include <unordered_map>

namespace thunder {
namespace {

// Runtime values of the proxies, by name.
using Environment = std::unordered_map<std::string, c10::IValue>;

// The arguments of one bound symbol, resolved against the environment.
class ResolvedArgs {
public:
  ResolvedArgs(const BoundSymbol& bsym, const Environment& env) : bsym_(bsym), env_(env) {}

  const Value& value(std::size_t i) const { return bsym_.args.at(i); }
  const Value& kwarg(const std::string& name) const {
    for (const auto& [key, value] : bsym_.kwargs) {
      if (key == name) return value;
    }
    THUNDER_INTERNAL_ASSERT(false) << bsym_.symbol->qualified_name() << " has no kwarg " << name;
    return bsym_.output;
  }
  bool is_tensor(std::size_t i) const { return value(i).is_tensor(); }
  at::Tensor tensor(std::size_t i) const { return lookup(value(i)).toTensor(); }
  at::Scalar scalar(const Value& v) const {
    switch (v.kind()) {
    case ValueKind::Bool:
      return v.as_bool();
    case ValueKind::Int:
      return v.as_int();
    case ValueKind::Float:
      return v.as_float();
    case ValueKind::Number:
      return lookup(v).toScalar();
    default:
      THUNDER_INTERNAL_ASSERT(false) << "not a scalar: " << v.repr();
      return {};
    }
  }
  at::Scalar scalar(std::size_t i) const { return scalar(value(i)); }
  std::vector<std::int64_t> ints(std::size_t i) const {
    return value(i).is_list() ? value(i).as_ints() : std::vector<std::int64_t>{value(i).as_int()};
  }
  // A number operand as a Python-scalar tensor ("wrapped number"), so that ATen's type
  // promotion treats it exactly as torch treats a Python scalar.
  at::Tensor tensor_or_wrapped(std::size_t i) const {
    return is_tensor(i) ? tensor(i) : at::native::wrapped_scalar_tensor(scalar(i));
  }
  // A number operand of a prim, as a 0-dim tensor of the other operand's dtype: prims
  // take numbers as values of their tensor's dtype, with no promotion.
  at::Tensor tensor_like(std::size_t i, const at::Tensor& other) const {
    return is_tensor(i) ? tensor(i) : at::scalar_tensor(scalar(i), other.options());
  }

private:
  const c10::IValue& lookup(const Value& v) const {
    const auto it = env_.find(v.proxy()->name());
    THUNDER_INTERNAL_ASSERT(it != env_.end())
        << "proxy " << v.proxy()->name() << " used before it is defined";
    return it->second;
  }
  const BoundSymbol& bsym_;
  const Environment& env_;
};

using Implementation = std::function<at::Tensor(const ResolvedArgs&)>;

// Elementwise binary prims: one operand may be a number, taken in the tensor's dtype.
Implementation prim_binary(at::Tensor (*op)(const at::Tensor&, const at::Tensor&)) {
  return [op](const ResolvedArgs& a) {
    const at::Tensor first = a.is_tensor(0) ? a.tensor(0) : a.tensor(1);
    return op(a.tensor_like(0, first), a.tensor_like(1, first));
  };
}

// ltorch elementwise binary ops: numbers take part as Python scalars.
Implementation torch_binary(at::Tensor (*op)(const at::Tensor&, const at::Tensor&)) {
  return [op](const ResolvedArgs& a) { return op(a.tensor_or_wrapped(0), a.tensor_or_wrapped(1)); };
}

Implementation unary(at::Tensor (*op)(const at::Tensor&)) {
  return [op](const ResolvedArgs& a) { return op(a.tensor(0)); };
}

at::Tensor broadcast_in_dim(const at::Tensor& a, const std::vector<std::int64_t>& shape,
                            const std::vector<std::int64_t>& dims) {
  std::vector<std::int64_t> aligned(shape.size(), 1);
  for (std::size_t i = 0; i < dims.size(); ++i) {
    aligned[static_cast<std::size_t>(dims[i])] = a.size(static_cast<std::int64_t>(i));
  }
  return a.reshape(aligned).expand(shape);
}

const std::map<std::string, Implementation, std::less<>>& implementations() {
  static const std::map<std::string, Implementation, std::less<>> table = {
      // prims
      {"prims.neg", unary(&at::neg)},
      {"prims.abs", unary(&at::abs)},
      {"prims.exp", unary(&at::exp)},
      {"prims.log", unary(&at::log)},
      {"prims.sqrt", unary(&at::sqrt)},
      {"prims.rsqrt", unary(&at::rsqrt)},
      {"prims.tanh", unary(&at::tanh)},
      {"prims.erf", unary(&at::erf)},
      {"prims.add",
       prim_binary([](const at::Tensor& a, const at::Tensor& b) { return at::add(a, b); })},
      {"prims.sub",
       prim_binary([](const at::Tensor& a, const at::Tensor& b) { return at::sub(a, b); })},
      {"prims.mul",
       prim_binary([](const at::Tensor& a, const at::Tensor& b) { return at::mul(a, b); })},
      {"prims.div",
       prim_binary([](const at::Tensor& a, const at::Tensor& b) { return at::div(a, b); })},
      {"prims.maximum", prim_binary(&at::maximum)},
      {"prims.minimum", prim_binary(&at::minimum)},
      {"prims.convert_element_type",
       [](const ResolvedArgs& a) { return a.tensor(0).to(to_scalar_type(a.value(1).as_dtype())); }},
      {"prims.broadcast_in_dim",
       [](const ResolvedArgs& a) { return broadcast_in_dim(a.tensor(0), a.ints(1), a.ints(2)); }},
      {"prims.reshape", [](const ResolvedArgs& a) { return a.tensor(0).reshape(a.ints(1)); }},
      {"prims.transpose", [](const ResolvedArgs& a) { return a.tensor(0).permute(a.ints(1)); }},
      {"prims.sum",
       [](const ResolvedArgs& a) {
         const at::Tensor t = a.tensor(0);
         const std::vector<std::int64_t> dims = a.ints(1);
         // ATen reads an empty dim list as "all dims"; for the prim it means "none".
         if (dims.empty()) return t.clone();
         return at::sum(t, dims, /*keepdim=*/false, t.scalar_type());
       }},
      {"prims.matmul", [](const ResolvedArgs& a) { return at::matmul(a.tensor(0), a.tensor(1)); }},

      // ltorch
      {"ltorch.add",
       [](const ResolvedArgs& a) {
         return at::add(a.tensor_or_wrapped(0), a.tensor_or_wrapped(1), a.scalar(a.kwarg("alpha")));
       }},
      {"ltorch.sub",
       [](const ResolvedArgs& a) {
         return at::sub(a.tensor_or_wrapped(0), a.tensor_or_wrapped(1), a.scalar(a.kwarg("alpha")));
       }},
      {"ltorch.mul",
       torch_binary([](const at::Tensor& a, const at::Tensor& b) { return at::mul(a, b); })},
      {"ltorch.div",
       torch_binary([](const at::Tensor& a, const at::Tensor& b) { return at::div(a, b); })},
      {"ltorch.maximum", torch_binary(&at::maximum)},
      {"ltorch.minimum", torch_binary(&at::minimum)},
      {"ltorch.neg", unary(&at::neg)},
      {"ltorch.abs", unary(&at::abs)},
      {"ltorch.exp", unary(&at::exp)},
      {"ltorch.log", unary(&at::log)},
      {"ltorch.sqrt", unary(&at::sqrt)},
      {"ltorch.rsqrt", unary(&at::rsqrt)},
      {"ltorch.tanh", unary(&at::tanh)},
      {"ltorch.erf", unary(&at::erf)},
      {"ltorch.relu", unary(&at::relu)},
      {"ltorch.gelu",
       [](const ResolvedArgs& a) {
         return at::gelu(a.tensor(0), a.kwarg("approximate").as_string());
       }},
      {"ltorch.to",
       [](const ResolvedArgs& a) { return a.tensor(0).to(to_scalar_type(a.value(1).as_dtype())); }},
      {"ltorch.reshape", [](const ResolvedArgs& a) { return a.tensor(0).reshape(a.ints(1)); }},
      {"ltorch.transpose",
       [](const ResolvedArgs& a) {
         return a.tensor(0).transpose(a.value(1).as_int(), a.value(2).as_int());
       }},
      {"ltorch.permute", [](const ResolvedArgs& a) { return a.tensor(0).permute(a.ints(1)); }},
      {"ltorch.sum",
       [](const ResolvedArgs& a) {
         std::optional<c10::ScalarType> dtype;
         if (!a.kwarg("dtype").is_none()) dtype = to_scalar_type(a.kwarg("dtype").as_dtype());
         const bool keepdim = a.value(2).as_bool();
         if (a.value(1).is_none())
           return at::sum(a.tensor(0), at::OptionalIntArrayRef(), keepdim, dtype);
         const std::vector<std::int64_t> dims = a.ints(1);
         return at::sum(a.tensor(0), at::OptionalIntArrayRef(dims), keepdim, dtype);
       }},
      {"ltorch.matmul", [](const ResolvedArgs& a) { return at::matmul(a.tensor(0), a.tensor(1)); }},
      {"ltorch.linear",
       [](const ResolvedArgs& a) {
         std::optional<at::Tensor> bias;
         if (!a.value(2).is_none()) bias = a.tensor(2);
         return at::linear(a.tensor(0), a.tensor(1), bias);
       }},
  };
  return table;
}

c10::IValue check_input(const Value& proxy_value, const c10::IValue& input, std::size_t index) {
  const Proxy& proxy = *proxy_value.proxy();
  const std::string where = str("input ", index, " ('", proxy.name(), "')");
  if (proxy_value.is_tensor()) {
    const TensorProxy& t = *proxy_value.as_tensor();
    if (!input.isTensor()) {
      throw ArgumentError(
          str(where, ": expected a tensor ", t.type_string(), ", got ", input.tagKind()));
    }
    const at::Tensor& tensor = input.toTensor();
    const Shape shape(tensor.sizes().begin(), tensor.sizes().end());
    const bool dtype_known = tensor.scalar_type() == c10::ScalarType::Bool ||
                             at::isFloatingType(tensor.scalar_type()) ||
                             at::isIntegralType(tensor.scalar_type(), false);
    const Device device =
        tensor.device().is_cuda()
            ? Device::cuda(tensor.device().index() < 0 ? 0 : tensor.device().index())
            : Device::cpu();
    if (!(tensor.device().is_cpu() || tensor.device().is_cuda()) || device != t.device() ||
        !dtype_known || from_scalar_type(tensor.scalar_type()) != t.dtype() || shape != t.shape()) {
      throw ArgumentError(str(where, ": expected ", t.type_string(), ", got ",
                              tensor.device().str(), " ", tensor.scalar_type(),
                              shape_to_string(shape)));
    }
    return input;
  }
  const NumberProxy& n = *proxy_value.as_number();
  const bool kind_ok =
      (n.number_kind() == NumberKind::Bool && input.isBool()) ||
      (n.number_kind() == NumberKind::Int && input.isInt()) ||
      (n.number_kind() == NumberKind::Float && (input.isDouble() || input.isInt()));
  if (!kind_ok) {
    throw ArgumentError(str(where, ": expected ", n.type_string(), ", got ", input.tagKind()));
  }
  if (n.value()) {
    const at::Scalar expected = std::visit([](auto v) { return at::Scalar(v); }, *n.value());
    if (input.toScalar().toDouble() != expected.toDouble()) {
      throw ArgumentError(str(where, ": the trace was specialized for ", n.type_string(), ", got ",
                              input.toScalar().toDouble()));
    }
  }
  return n.number_kind() == NumberKind::Float ? c10::IValue(input.toScalar().toDouble()) : input;
}

void run_bound_symbol(const BoundSymbol& bsym, Environment& env, TorchExecutionLevel level) {
  if (level == TorchExecutionLevel::Prims && !bsym.symbol->is_prim()) {
    for (const BoundSymbol& sub : bsym.subsymbols)
      run_bound_symbol(sub, env, level);
    return;
  }
  const auto& table = implementations();
  const auto it = table.find(bsym.symbol->qualified_name());
  if (it == table.end()) {
    throw UnsupportedError(
        str("torch executor: no ATen implementation of ", bsym.symbol->qualified_name()));
  }
  const at::Tensor result = it->second(ResolvedArgs(bsym, env));
  THUNDER_INTERNAL_ASSERT(bsym.output.is_tensor())
      << bsym.symbol->qualified_name() << " returns " << bsym.output.repr();
  env[bsym.output.as_tensor()->name()] = result;
}

} // namespace

c10::ScalarType to_scalar_type(DType dtype) {
  switch (dtype) {
  case DType::Bool:
    return c10::ScalarType::Bool;
  case DType::UInt8:
    return c10::ScalarType::Byte;
  case DType::Int8:
    return c10::ScalarType::Char;
  case DType::Int16:
    return c10::ScalarType::Short;
  case DType::Int32:
    return c10::ScalarType::Int;
  case DType::Int64:
    return c10::ScalarType::Long;
  case DType::Float16:
    return c10::ScalarType::Half;
  case DType::BFloat16:
    return c10::ScalarType::BFloat16;
  case DType::Float32:
    return c10::ScalarType::Float;
  case DType::Float64:
    return c10::ScalarType::Double;
  }
  THUNDER_INTERNAL_ASSERT(false) << "dtype " << static_cast<int>(dtype);
  return c10::ScalarType::Undefined;
}

DType from_scalar_type(c10::ScalarType type) {
  for (const DType dtype : kAllDTypes) {
    if (to_scalar_type(dtype) == type) return dtype;
  }
  throw ArgumentError(str("torch dtype ", type, " is not supported by thunder"));
}

bool TorchExecutor::implements(const Symbol& symbol) {
  return implementations().count(symbol.qualified_name()) != 0;
}

std::vector<at::Tensor> TorchExecutor::run(const Trace& trace,
                                           const std::vector<c10::IValue>& inputs,
                                           TorchExecutionLevel level) const {
  if (inputs.size() != trace.inputs.size()) {
    throw ArgumentError(
        str(trace.function_name, " takes ", trace.inputs.size(), " inputs, got ", inputs.size()));
  }
  Environment env;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    env[trace.inputs[i].proxy()->name()] = check_input(trace.inputs[i], inputs[i], i);
  }
  c10::NoGradGuard no_grad;
  for (const BoundSymbol& bsym : trace.bound_symbols)
    run_bound_symbol(bsym, env, level);

  std::vector<at::Tensor> outputs;
  trace.output.for_each_proxy([&](const Proxy& p) {
    const auto it = env.find(p.name());
    THUNDER_INTERNAL_ASSERT(it != env.end()) << "output " << p.name() << " never computed";
    THUNDER_INTERNAL_ASSERT(it->second.isTensor()) << "output " << p.name() << " is not a tensor";
    outputs.push_back(it->second.toTensor());
  });
  return outputs;
}

} // namespace thunder
