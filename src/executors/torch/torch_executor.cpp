#include "thunder/executors/torch_executor.h"

#include "aten_call.h"
#include "thunder/core/error.h"

#include <ATen/TensorIndexing.h>

#include <ATen/ATen.h>
#include <ATen/ScalarOps.h>
#include <c10/core/Allocator.h>
#include <c10/core/GradMode.h>
#include <c10/util/ThreadLocalDebugInfo.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

namespace thunder {
namespace {

using Environment = TorchEnvironment;

// The arguments of one bound symbol, resolved against the environment.
class ResolvedArgs {
public:
  ResolvedArgs(const BoundSymbol& bsym, const Environment& env) : bsym_(bsym), env_(env) {}

  const BoundSymbol& bsym() const { return bsym_; }
  std::size_t size() const { return bsym_.args.size(); }
  const Value& value(std::size_t i) const { return bsym_.args.at(i); }
  c10::IValue lookup_value(const Value& v) const { return lookup(v); }
  std::vector<at::Tensor> tensors(std::size_t i) const {
    std::vector<at::Tensor> out;
    for (const Value& item : value(i).as_list())
      out.push_back(lookup(item).toTensor());
    return out;
  }
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
  // A number operand of a prim, as a 0-dim tensor of the other operand's dtype: prims
  // take numbers as values of their tensor's dtype, with no promotion.
  at::Tensor tensor_like(std::size_t i, const at::Tensor& other) const {
    if (is_tensor(i)) return tensor(i);
    // Built wide, then converted: a number outside the dtype's range wraps as torch's
    // kernels wrap it, instead of failing the range check of scalar_tensor.
    const at::Scalar s = scalar(i);
    const at::ScalarType wide = s.isBoolean()         ? at::kBool
                                : s.isIntegral(false) ? at::kLong
                                                      : at::kDouble;
    return at::scalar_tensor(s, other.options().dtype(wide)).to(other.scalar_type());
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

using Implementation = std::function<c10::IValue(const ResolvedArgs&)>;

// ltorch symbols mirror ATen's signatures (Symbol::torch_ops), so they run by schema name
// through the dispatcher.
c10::IValue run_through_dispatcher(const ResolvedArgs& a) {
  const Symbol& symbol = *a.bsym().symbol;
  return torch_edge::call_overloads(
      symbol.torch_ops, a.bsym().args, a.bsym().kwargs,
      [&a](const Value& v) { return a.lookup_value(v); }, symbol.qualified_name());
}

// The prims' contract: a number operand is a value of the tensor operand's dtype.
std::vector<at::Tensor> prim_operands(const ResolvedArgs& a, std::size_t first) {
  at::Tensor like;
  for (std::size_t i = first; i < a.size() && !like.defined(); ++i) {
    if (a.is_tensor(i)) like = a.tensor(i);
  }
  THUNDER_INTERNAL_ASSERT(like.defined()) << "elementwise prim without a tensor operand";
  std::vector<at::Tensor> out;
  for (std::size_t i = first; i < a.size(); ++i)
    out.push_back(a.tensor_like(i, like));
  return out;
}

Implementation prim_unary(at::Tensor (*op)(const at::Tensor&)) {
  return [op](const ResolvedArgs& a) { return op(a.tensor(0)); };
}

template <typename Op>
Implementation prim_binary(Op op) {
  return [op](const ResolvedArgs& a) {
    const std::vector<at::Tensor> t = prim_operands(a, 0);
    return op(t[0], t[1]);
  };
}

at::Tensor broadcast_in_dim(const at::Tensor& a, const std::vector<std::int64_t>& shape,
                            const std::vector<std::int64_t>& dims) {
  std::vector<std::int64_t> aligned(shape.size(), 1);
  for (std::size_t i = 0; i < dims.size(); ++i) {
    aligned[static_cast<std::size_t>(dims[i])] = a.size(static_cast<std::int64_t>(i));
  }
  return a.reshape(aligned).expand(shape);
}

// prims.convolution: f16 and bf16 accumulate in f32 and round once, as the prim says (and
// as ATen's CPU kernels, which lack some reduced-precision paths, then agree everywhere).
at::Tensor convolution(const ResolvedArgs& a) {
  const at::Tensor x = a.tensor(0);
  const bool reduced = x.scalar_type() == at::kHalf || x.scalar_type() == at::kBFloat16;
  const auto computed = [&](const at::Tensor& t) { return reduced ? t.to(at::kFloat) : t; };
  std::optional<at::Tensor> bias;
  if (a.is_tensor(2)) bias = computed(a.tensor(2));
  const at::Tensor out = at::convolution(computed(x), computed(a.tensor(1)), bias, a.ints(3),
                                         a.ints(4), a.ints(5), /*transposed=*/false,
                                         std::vector<std::int64_t>(a.ints(3).size(), 0),
                                         a.value(6).as_int());
  return out.to(x.scalar_type());
}

// prims.pad: per dim [low, high, interior]; negative low/high crop.
at::Tensor pad(const at::Tensor& a, const at::Scalar& value, const Value& config) {
  std::vector<std::int64_t> shape;
  std::vector<at::indexing::TensorIndex> into;
  std::vector<at::indexing::TensorIndex> from;
  for (std::int64_t d = 0; d < a.dim(); ++d) {
    const std::vector<std::int64_t> c = config.as_list()[static_cast<std::size_t>(d)].as_ints();
    const std::int64_t extent = a.size(d);
    const std::int64_t step = c[2] + 1;
    const std::int64_t dilated = extent == 0 ? 0 : extent + (extent - 1) * c[2];
    const std::int64_t out = c[0] + dilated + c[1];
    shape.push_back(out);
    // Position of element i in the output: low + i * step; keep those inside [0, out).
    std::int64_t first = 0;
    while (first < extent && c[0] + first * step < 0)
      ++first;
    std::int64_t last = extent; // exclusive
    while (last > first && c[0] + (last - 1) * step >= out)
      --last;
    from.emplace_back(at::indexing::Slice(first, last));
    const std::int64_t begin = c[0] + first * step;
    into.emplace_back(at::indexing::Slice(
        begin, begin + std::max<std::int64_t>(last - first - 1, 0) * step + 1, step));
  }
  at::Tensor result = at::full(shape, value, a.options());
  if (result.numel() > 0 && a.numel() > 0) result.index_put_(into, a.index(from));
  return result;
}

// Reductions over a list of dims, keeping the input's dtype; an empty list reduces nothing.
Implementation prim_reduction(at::Tensor (*op)(const at::Tensor&, std::int64_t)) {
  return [op](const ResolvedArgs& a) {
    at::Tensor t = a.tensor(0);
    std::vector<std::int64_t> dims = a.ints(1);
    if (dims.empty()) return t.clone();
    // Reduce the highest dim first so the lower ones keep their numbers.
    for (auto it = dims.rbegin(); it != dims.rend(); ++it)
      t = op(t, *it);
    return t;
  };
}

const std::map<std::string, Implementation, std::less<>>& implementations() {
  using at::Tensor;
  static const std::map<std::string, Implementation, std::less<>> table = {
      // prims: elementwise unary
      {"prims.neg", prim_unary(&at::neg)},
      {"prims.abs", prim_unary(&at::abs)},
      {"prims.floor", prim_unary(&at::floor)},
      {"prims.ceil", prim_unary(&at::ceil)},
      {"prims.round", prim_unary(&at::round)},
      {"prims.trunc", prim_unary(&at::trunc)},
      {"prims.sign", prim_unary(&at::sign)},
      {"prims.bitwise_not", prim_unary(&at::bitwise_not)},
      {"prims.exp", prim_unary(&at::exp)},
      {"prims.exp2", prim_unary(&at::exp2)},
      {"prims.log", prim_unary(&at::log)},
      {"prims.log2", prim_unary(&at::log2)},
      {"prims.log1p", prim_unary(&at::log1p)},
      {"prims.expm1", prim_unary(&at::expm1)},
      {"prims.sqrt", prim_unary(&at::sqrt)},
      {"prims.rsqrt", prim_unary(&at::rsqrt)},
      {"prims.reciprocal", prim_unary(&at::reciprocal)},
      {"prims.sin", prim_unary(&at::sin)},
      {"prims.cos", prim_unary(&at::cos)},
      {"prims.tan", prim_unary(&at::tan)},
      {"prims.tanh", prim_unary(&at::tanh)},
      {"prims.erf", prim_unary(&at::erf)},
      {"prims.isnan", prim_unary(&at::isnan)},
      {"prims.isinf", prim_unary(&at::isinf)},
      {"prims.isfinite", prim_unary(&at::isfinite)},
      {"prims.logical_not", prim_unary(&at::logical_not)},
      // prims: elementwise binary
      {"prims.add", prim_binary([](const Tensor& a, const Tensor& b) { return at::add(a, b); })},
      {"prims.sub", prim_binary([](const Tensor& a, const Tensor& b) { return at::sub(a, b); })},
      {"prims.mul", prim_binary([](const Tensor& a, const Tensor& b) { return at::mul(a, b); })},
      {"prims.div", prim_binary([](const Tensor& a, const Tensor& b) {
         // Integer division truncates, as in C; ATen would give a float.
         if (at::isFloatingType(a.scalar_type())) return at::div(a, b);
         return at::div(a, b, "trunc");
       })},
      {"prims.pow", prim_binary([](const Tensor& a, const Tensor& b) { return at::pow(a, b); })},
      {"prims.maximum", prim_binary(&at::maximum)},
      {"prims.minimum", prim_binary(&at::minimum)},
      {"prims.fmod", prim_binary([](const Tensor& a, const Tensor& b) { return at::fmod(a, b); })},
      {"prims.remainder",
       prim_binary([](const Tensor& a, const Tensor& b) { return at::remainder(a, b); })},
      {"prims.atan2", prim_binary(&at::atan2)},
      {"prims.bitwise_and",
       prim_binary([](const Tensor& a, const Tensor& b) { return at::bitwise_and(a, b); })},
      {"prims.bitwise_or",
       prim_binary([](const Tensor& a, const Tensor& b) { return at::bitwise_or(a, b); })},
      {"prims.bitwise_xor",
       prim_binary([](const Tensor& a, const Tensor& b) { return at::bitwise_xor(a, b); })},
      {"prims.eq", prim_binary([](const Tensor& a, const Tensor& b) { return at::eq(a, b); })},
      {"prims.ne", prim_binary([](const Tensor& a, const Tensor& b) { return at::ne(a, b); })},
      {"prims.lt", prim_binary([](const Tensor& a, const Tensor& b) { return at::lt(a, b); })},
      {"prims.le", prim_binary([](const Tensor& a, const Tensor& b) { return at::le(a, b); })},
      {"prims.gt", prim_binary([](const Tensor& a, const Tensor& b) { return at::gt(a, b); })},
      {"prims.ge", prim_binary([](const Tensor& a, const Tensor& b) { return at::ge(a, b); })},
      {"prims.logical_and", prim_binary(&at::logical_and)},
      {"prims.logical_or", prim_binary(&at::logical_or)},
      {"prims.logical_xor", prim_binary(&at::logical_xor)},
      {"prims.where",
       [](const ResolvedArgs& a) {
         const std::vector<Tensor> t = prim_operands(a, 1);
         return at::where(a.tensor(0), t[0], t[1]);
       }},
      {"prims.convert_element_type",
       [](const ResolvedArgs& a) { return a.tensor(0).to(to_scalar_type(a.value(1).as_dtype())); }},
      // prims: shape
      {"prims.broadcast_in_dim",
       [](const ResolvedArgs& a) { return broadcast_in_dim(a.tensor(0), a.ints(1), a.ints(2)); }},
      {"prims.reshape", [](const ResolvedArgs& a) { return a.tensor(0).reshape(a.ints(1)); }},
      {"prims.transpose", [](const ResolvedArgs& a) { return a.tensor(0).permute(a.ints(1)); }},
      {"prims.slice",
       [](const ResolvedArgs& a) {
         Tensor t = a.tensor(0);
         const auto start = a.ints(1), end = a.ints(2), step = a.ints(3);
         for (std::size_t d = 0; d < start.size(); ++d) {
           t = t.slice(static_cast<std::int64_t>(d), start[d], end[d], step[d]);
         }
         return t;
       }},
      {"prims.squeeze",
       [](const ResolvedArgs& a) {
         const std::vector<std::int64_t> dims = a.ints(1);
         return dims.empty() ? a.tensor(0) : a.tensor(0).squeeze(dims);
       }},
      {"prims.cat",
       [](const ResolvedArgs& a) { return at::cat(a.tensors(0), a.value(1).as_int()); }},
      {"prims.pad",
       [](const ResolvedArgs& a) { return pad(a.tensor(0), a.scalar(1), a.value(2)); }},
      {"prims.index_select",
       [](const ResolvedArgs& a) {
         return at::index_select(a.tensor(0), a.value(1).as_int(), a.tensor(2));
       }},
      // prims: reductions
      {"prims.sum", prim_reduction([](const Tensor& t, std::int64_t d) {
         return at::sum(t, {d}, /*keepdim=*/false, t.scalar_type());
       })},
      {"prims.prod", prim_reduction([](const Tensor& t, std::int64_t d) {
         return at::prod(t, d, /*keepdim=*/false, t.scalar_type());
       })},
      {"prims.amax", prim_reduction([](const Tensor& t, std::int64_t d) { return at::amax(t, {d}); })},
      {"prims.amin", prim_reduction([](const Tensor& t, std::int64_t d) { return at::amin(t, {d}); })},
      {"prims.argmax",
       [](const ResolvedArgs& a) {
         const Tensor t = a.tensor(0);
         return t.dim() == 0 ? at::zeros({}, t.options().dtype(at::kLong))
                             : at::argmax(t, a.value(1).as_int());
       }},
      {"prims.argmin",
       [](const ResolvedArgs& a) {
         const Tensor t = a.tensor(0);
         return t.dim() == 0 ? at::zeros({}, t.options().dtype(at::kLong))
                             : at::argmin(t, a.value(1).as_int());
       }},
      {"prims.cumsum",
       [](const ResolvedArgs& a) {
         const Tensor t = a.tensor(0);
         return at::cumsum(t, a.value(1).as_int(), t.scalar_type());
       }},
      {"prims.matmul", [](const ResolvedArgs& a) { return at::matmul(a.tensor(0), a.tensor(1)); }},
      {"prims.convolution", convolution},
      // prims: creation
      {"prims.full",
       [](const ResolvedArgs& a) {
         return at::full(a.ints(0), a.scalar(1),
                         at::TensorOptions()
                             .dtype(to_scalar_type(a.value(2).as_dtype()))
                             .device(to_torch_device(a.value(3).as_device())));
       }},
      {"prims.iota",
       [](const ResolvedArgs& a) {
         const std::int64_t length = a.value(0).as_int(), start = a.value(1).as_int(),
                            step = a.value(2).as_int();
         const auto options = at::TensorOptions()
                                  .dtype(to_scalar_type(a.value(3).as_dtype()))
                                  .device(to_torch_device(a.value(4).as_device()));
         return at::arange(length, options.dtype(at::kLong)).mul_(step).add_(start).to(options);
       }},

  };
  return table;
}


void bind_outputs(const Value& output, const c10::IValue& result, Environment& env,
                  const BoundSymbol& bsym);

void run_bound_symbol(const BoundSymbol& bsym, Environment& env, TorchExecutionLevel level) {
  if (bsym.symbol == &python_del()) {
    for (const Proxy* p : bsym.input_proxies())
      env.erase(p->name());
    return;
  }
  if (level == TorchExecutionLevel::Prims && !bsym.symbol->is_prim()) {
    for (const BoundSymbol& sub : bsym.subsymbols)
      run_bound_symbol(sub, env, level);
    return;
  }
  const auto& table = implementations();
  const auto it = table.find(bsym.symbol->qualified_name());
  const ResolvedArgs args(bsym, env);
  if (it != table.end()) {
    bind_outputs(bsym.output, it->second(args), env, bsym);
  } else if (!bsym.symbol->torch_ops.empty()) {
    bind_outputs(bsym.output, run_through_dispatcher(args), env, bsym);
  } else {
    throw UnsupportedError(
        str("torch executor: no ATen implementation of ", bsym.symbol->qualified_name()));
  }
}

// Assigns a result to the output proxies, matching lists to lists and tuples.
void bind_outputs(const Value& output, const c10::IValue& result, Environment& env,
                  const BoundSymbol& bsym) {
  if (output.is_proxy()) {
    env[output.proxy()->name()] = result;
    return;
  }
  if (output.is_list()) {
    std::vector<c10::IValue> items;
    if (result.isTuple()) {
      items = result.toTupleRef().elements().vec();
    } else if (result.isTensorList()) {
      for (const at::Tensor& t : result.toTensorVector())
        items.emplace_back(t);
    } else if (result.isList()) {
      items = result.toListRef().vec();
    }
    THUNDER_INTERNAL_ASSERT(items.size() == output.as_list().size())
        << bsym.symbol->qualified_name() << " returned " << items.size() << " values for "
        << output.repr();
    for (std::size_t i = 0; i < items.size(); ++i) {
      bind_outputs(output.as_list()[i], items[i], env, bsym);
    }
    return;
  }
  THUNDER_INTERNAL_ASSERT(output.is_none())
      << bsym.symbol->qualified_name() << " has output " << output.repr();
}

} // namespace

c10::IValue check_trace_input(const Value& proxy_value, const c10::IValue& input, std::size_t index) {
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

c10::Device to_torch_device(const Device& device) {
  switch (device.type) {
  case DeviceType::CPU:
    return c10::Device(c10::kCPU);
  case DeviceType::CUDA:
    return c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(device.index));
  case DeviceType::Vulkan:
    break;
  }
  throw BackendError(str("torch executor: tensors on ", device.to_string(),
                         " are not torch tensors; the spirv executor owns them"));
}

DType from_scalar_type(c10::ScalarType type) {
  for (const DType dtype : kAllDTypes) {
    if (to_scalar_type(dtype) == type) return dtype;
  }
  throw ArgumentError(str("torch dtype ", type, " is not supported by thunder"));
}

c10::IValue TorchExecutor::call_aten(std::string_view qualified_name,
                                     std::vector<c10::IValue> args) {
  return torch_edge::call_operator(torch_edge::find_operator(qualified_name), std::move(args));
}

bool TorchExecutor::implements(const Symbol& symbol) {
  if (implementations().count(symbol.qualified_name()) != 0) return true;
  for (const std::string& name : symbol.torch_ops) {
    if (!torch_edge::has_operator(name)) return false;
  }
  return !symbol.torch_ops.empty();
}

void TorchExecutor::run_bound_symbol(const BoundSymbol& bsym, TorchEnvironment& env,
                                     TorchExecutionLevel level) const {
  c10::NoGradGuard no_grad;
  thunder::run_bound_symbol(bsym, env, level);
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
    env[trace.inputs[i].proxy()->name()] = check_trace_input(trace.inputs[i], inputs[i], i);
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

namespace {

// Counts the bytes the CPU allocator hands out and takes back while it is installed (as the
// profiler's memory reporting is, through the thread's debug info), and the most held.
class PeakMemoryReporter final : public c10::MemoryReportingInfoBase {
public:
  void reportMemoryUsage(void* /*ptr*/, std::int64_t alloc_size, std::size_t /*total_allocated*/,
                         std::size_t /*total_reserved*/, c10::Device device) override {
    if (!device.is_cpu()) return;
    const std::lock_guard lock(mutex_);
    live_ += alloc_size;
    peak_ = std::max(peak_, live_);
  }
  bool memoryProfilingEnabled() const override { return true; }
  std::int64_t peak() const {
    const std::lock_guard lock(mutex_);
    return peak_;
  }

private:
  mutable std::mutex mutex_;
  std::int64_t live_ = 0;
  std::int64_t peak_ = 0;
};

} // namespace

TorchExecutor::MeasuredRun TorchExecutor::run_measuring_memory(
    const Trace& trace, const std::vector<c10::IValue>& inputs) const {
  std::int64_t input_bytes = 0;
  std::set<const void*> storages;
  for (const c10::IValue& input : inputs) {
    if (!input.isTensor() || !input.toTensor().defined() || !input.toTensor().has_storage()) {
      continue;
    }
    const at::Tensor& t = input.toTensor();
    if (t.device().is_cpu() && storages.insert(t.storage().unsafeGetStorageImpl()).second)
      input_bytes += static_cast<std::int64_t>(t.storage().nbytes());
  }
  // The reporter takes the profiler's place in the thread's debug info; a profiler running
  // there would find another type than its own.
  if (c10::ThreadLocalDebugInfo::get(c10::DebugInfoKind::PROFILER_STATE) != nullptr) {
    throw ArgumentError("torch executor: measuring memory needs c10's memory reporting, which "
                        "a profiler running on this thread holds; stop the profiler first");
  }
  auto reporter = std::make_shared<PeakMemoryReporter>();
  MeasuredRun measured;
  {
    const c10::DebugInfoGuard guard(c10::DebugInfoKind::PROFILER_STATE, reporter);
    measured.outputs = run(trace, inputs);
  }
  measured.peak_bytes = input_bytes + reporter->peak();
  return measured;
}

std::size_t span_bytes(const at::Tensor& t) {
  if (t.numel() == 0) return 0;
  std::int64_t last = 0;
  for (std::int64_t d = 0; d < t.dim(); ++d)
    last += (t.size(d) - 1) * t.stride(d);
  return static_cast<std::size_t>(last + 1) * t.element_size();
}

at::Tensor matmul_epilogue_on_torch(const at::Tensor& a, const at::Tensor& b,
                                    const at::Tensor* bias, const MatmulEpilogue& epilogue,
                                    const TensorProxy& out) {
  const auto wide = [](const at::Tensor& t) {
    return t.scalar_type() == at::kDouble ? t : t.to(at::kFloat);
  };
  at::Tensor product = at::matmul(wide(a), wide(b));
  if (bias != nullptr) product = product + wide(*bias);
  if (epilogue.activation == MatmulActivation::Relu) product = at::relu(product);
  return product.to(to_scalar_type(out.dtype()))
      .reshape(std::vector<std::int64_t>(out.shape().begin(), out.shape().end()))
      .contiguous();
}

bool TorchFallbackExecutor::claims(const BoundSymbol& bsym) const {
  return bsym.symbol != nullptr && TorchExecutor::implements(*bsym.symbol);
}

std::string ExecutionReport::to_string() const {
  std::string out;
  for (const auto& [executor, count] : prims) {
    out += str(out.empty() ? "" : ", ", executor, ": ", count, " prims");
    if (executor != kFallbackExecutor && regions > 0) {
      out += str(" in ", regions, regions == 1 ? " region" : " regions");
      if (batches > 0) out += str(" (", batches, batches == 1 ? " batch" : " batches", ")");
    }
  }
  if (out.empty()) out = "nothing ran";
  for (auto it = kernels.begin(); it != kernels.end(); ++it) {
    out += str(it == kernels.begin() ? "; kernels: " : ", ", it->first, " x", it->second);
  }
  if (!cuda_graph.empty()) out += str("; CUDA graph: ", cuda_graph);
  if (buffer_requests > 0) {
    out += str("; buffers: ", planned_requests, " of ", buffer_requests, " as planned");
  }
  out += "; fallbacks: ";
  if (fallbacks.empty()) out += "none";
  for (std::size_t i = 0; i < fallbacks.size(); ++i) {
    out += str(i == 0 ? "" : "; ", fallbacks[i].op, " (", fallbacks[i].reason, ")");
  }
  return out;
}

} // namespace thunder
