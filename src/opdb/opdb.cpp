#include "thunder/opdb/opdb.h"

#include "families.h"
#include "thunder/core/error.h"
#include "thunder/core/tracing.h"

#include <ATen/ATen.h>
#include <ATen/ScalarOps.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <mutex>

namespace thunder::opdb {

std::string SampleArg::describe() const {
  const auto tensor_text = [](const at::Tensor& t) {
    if (!t.defined()) return std::string("None");
    std::string out = str(short_name(from_scalar_type(t.scalar_type())),
                          shape_to_string(Shape(t.sizes().begin(), t.sizes().end())));
    if (!t.is_contiguous()) out += " (strided)";
    return out;
  };
  if (is_tensor()) return tensor_text(tensor());
  if (is_tensor_list()) {
    std::string out = "[";
    for (std::size_t i = 0; i < tensors().size(); ++i) {
      out += (i == 0 ? "" : ", ") + tensor_text(tensors()[i]);
    }
    return out + "]";
  }
  return value().repr();
}

std::string Sample::describe(std::string_view op) const {
  std::string out = std::string(op) + "(";
  bool first = true;
  for (const SampleArg& arg : args) {
    out += (first ? "" : ", ") + arg.describe();
    first = false;
  }
  for (const auto& [name, arg] : kwargs) {
    out += (first ? "" : ", ") + name + "=" + arg.describe();
    first = false;
  }
  out += ")";
  if (!note.empty()) out += " " + note;
  return out;
}

namespace {
SampleArg to_float64(const SampleArg& arg) {
  const auto convert = [](const at::Tensor& t) {
    return t.defined() && at::isFloatingType(t.scalar_type()) ? t.to(at::kDouble) : t;
  };
  if (arg.is_tensor()) return SampleArg(convert(arg.tensor()));
  if (arg.is_tensor_list()) {
    std::vector<at::Tensor> out;
    for (const at::Tensor& t : arg.tensors()) out.push_back(convert(t));
    return SampleArg(std::move(out));
  }
  return arg;
}

at::Scalar value_scalar(const Value& v) {
  switch (v.kind()) {
  case ValueKind::Bool:
    return v.as_bool();
  case ValueKind::Int:
    return v.as_int();
  case ValueKind::Float:
    return v.as_float();
  default:
    THUNDER_INTERNAL_ASSERT(false) << "not a number: " << v.repr();
    return {};
  }
}
} // namespace

RefArgs::RefArgs(const Sample& sample, bool float64) : float64_(float64) {
  for (const SampleArg& arg : sample.args) args_.push_back(float64 ? to_float64(arg) : arg);
  for (const auto& [name, arg] : sample.kwargs) {
    kwargs_.emplace_back(name, float64 ? to_float64(arg) : arg);
  }
}

at::Tensor RefArgs::tensor_or_scalar(std::size_t i) const {
  return is_tensor(i) ? tensor(i) : at::native::wrapped_scalar_tensor(scalar(i));
}
at::Scalar RefArgs::scalar(std::size_t i) const { return value_scalar(value(i)); }
std::vector<std::int64_t> RefArgs::ints(std::size_t i) const {
  const Value& v = value(i);
  return v.is_list() ? v.as_ints() : std::vector<std::int64_t>{v.as_int()};
}
std::optional<SampleArg> RefArgs::kwarg(std::string_view name) const {
  for (const auto& [key, arg] : kwargs_) {
    if (key == name) return arg;
  }
  return std::nullopt;
}

Tolerance default_tolerance(DType dtype) {
  switch (dtype) {
  case DType::Float64:
    return {1e-7, 1e-7};
  case DType::Float32:
    return {1.3e-6, 1e-5};
  case DType::Float16:
    return {1e-3, 1e-5};
  case DType::BFloat16:
    return {1.6e-2, 1e-5};
  default:
    return {0, 0};
  }
}

Tolerance model_tolerance(DType dtype) {
  switch (dtype) {
  case DType::Float64:
    return {1e-7, 1e-7};
  case DType::Float32:
    return {1e-4, 1e-4};
  case DType::Float16:
    return {1e-2, 1e-2};
  case DType::BFloat16:
    return {5e-2, 5e-2};
  default:
    return {0, 0};
  }
}

Tolerance OpInfo::tolerance(DType dtype) const {
  const auto it = tolerances.find(dtype);
  return it == tolerances.end() ? default_tolerance(dtype) : it->second;
}

const std::vector<OpInfo>& op_database() {
  static const std::vector<OpInfo> ops = [] {
    std::vector<OpInfo> out;
    detail::add_elementwise_ops(out);
    detail::add_activation_ops(out);
    detail::add_shape_ops(out);
    detail::add_reduction_ops(out);
    detail::add_nn_ops(out);
    std::sort(out.begin(), out.end(),
              [](const OpInfo& a, const OpInfo& b) { return a.name() < b.name(); });
    for (std::size_t i = 1; i < out.size(); ++i) {
      THUNDER_INTERNAL_ASSERT(out[i - 1].name() != out[i].name())
          << "two op database entries for " << out[i].name();
    }
    return out;
  }();
  return ops;
}

const OpInfo* find_op(std::string_view qualified_name) {
  for (const OpInfo& op : op_database()) {
    if (op.name() == qualified_name) return &op;
  }
  return nullptr;
}

std::vector<DType> floating_dtypes() {
  return {DType::Float32, DType::Float16, DType::BFloat16, DType::Float64};
}
std::vector<DType> integer_dtypes() {
  return {DType::Int64, DType::Int32, DType::Int16, DType::Int8, DType::UInt8};
}
std::vector<DType> all_dtypes() {
  return concat(concat(floating_dtypes(), integer_dtypes()), {DType::Bool});
}
std::vector<DType> concat(std::vector<DType> a, const std::vector<DType>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

namespace {
std::mutex& generator_mutex() {
  static std::mutex mutex;
  return mutex;
}
at::Generator& generator() {
  static at::Generator gen = at::detail::createCPUGenerator(20261126);
  return gen;
}
} // namespace

std::vector<Sample> generate_samples(const OpInfo& op, DType dtype) {
  {
    const std::lock_guard<std::mutex> lock(generator_mutex());
    const std::uint64_t seed = std::hash<std::string>{}(op.name() + "/" + std::string(torch_name(dtype)));
    generator().set_current_seed(seed);
  }
  return op.samples(dtype);
}

at::Tensor make_tensor(const Shape& shape, DType dtype, const TensorOptions& options) {
  const std::lock_guard<std::mutex> lock(generator_mutex());
  Shape storage = shape;
  if (options.noncontiguous && !storage.empty()) storage.back() *= 2;
  at::Tensor t = at::empty(storage, at::TensorOptions().dtype(at::kDouble));
  t.uniform_(options.low, options.high, generator());
  if (dtype == DType::Bool) {
    t = t.gt((options.low + options.high) / 2);
  } else if (!is_floating(dtype)) {
    t = t.round();
  }
  if (options.exclude_zero) t = at::where(t.eq(0), at::ones_like(t), t);
  t = t.to(to_scalar_type(dtype));
  if (options.noncontiguous && !shape.empty()) {
    t = t.slice(static_cast<std::int64_t>(shape.size()) - 1, 0, storage.back(), 2);
  }
  return t;
}

at::Tensor make_values(const std::vector<double>& values, DType dtype) {
  return at::tensor(values, at::TensorOptions().dtype(at::kDouble)).to(to_scalar_type(dtype));
}

at::Tensor edge_values(DType dtype) {
  const double inf = std::numeric_limits<double>::infinity();
  return make_values({inf, -inf, std::nan(""), 1e30, -1e30, 1e-30, -1e-30, 0.0, -0.0, 0.5, -2.5,
                      7.0},
                     dtype);
}

std::vector<Sample> unary_samples(DType dtype, const TensorOptions& options,
                                  bool with_edge_values) {
  TensorOptions strided = options;
  strided.noncontiguous = true;
  std::vector<Sample> out = {
      {{make_tensor({}, dtype, options)}, {}, "0-dim"},
      {{make_tensor({5}, dtype, options)}, {}, ""},
      {{make_tensor({3, 4}, dtype, options)}, {}, ""},
      {{make_tensor({3, 4}, dtype, strided)}, {}, "non-contiguous"},
      {{make_tensor({0, 3}, dtype, options)}, {}, "size-0"},
      {{make_tensor({1, 4}, dtype, options)}, {}, "size-1"},
      {{make_tensor({2, 1, 3}, dtype, options)}, {}, ""},
  };
  if (with_edge_values && is_floating(dtype)) out.push_back({{edge_values(dtype)}, {}, "edge values"});
  return out;
}

std::vector<Sample> binary_samples(DType dtype, const TensorOptions& lhs, const TensorOptions& rhs) {
  TensorOptions lhs_strided = lhs, rhs_strided = rhs;
  lhs_strided.noncontiguous = rhs_strided.noncontiguous = true;
  // A Python number of the dtype's kind, drawn like the tensors.
  const auto number = [&](const TensorOptions& o) -> Value {
    const double v = make_tensor({}, DType::Float64, o).item<double>();
    if (dtype == DType::Bool) return Value(v > (o.low + o.high) / 2);
    if (!is_floating(dtype)) {
      const auto i = static_cast<std::int64_t>(std::llround(v));
      return Value(o.exclude_zero && i == 0 ? std::int64_t{1} : i);
    }
    return Value(o.exclude_zero && v == 0.0 ? 1.0 : v);
  };
  return {
      {{make_tensor({4}, dtype, lhs), make_tensor({4}, dtype, rhs)}, {}, ""},
      {{make_tensor({3, 1, 4}, dtype, lhs), make_tensor({5, 1}, dtype, rhs)}, {}, "broadcast"},
      {{make_tensor({2, 3}, dtype, lhs), make_tensor({}, dtype, rhs)}, {}, "0-dim operand"},
      {{make_tensor({2, 3}, dtype, lhs), SampleArg(number(rhs))}, {}, "Python number"},
      {{SampleArg(number(lhs)), make_tensor({2, 3}, dtype, rhs)}, {}, "Python number first"},
      {{make_tensor({0, 3}, dtype, lhs), make_tensor({1, 3}, dtype, rhs)}, {}, "size-0"},
      {{make_tensor({3, 4}, dtype, lhs_strided), make_tensor({3, 4}, dtype, rhs_strided)},
       {},
       "non-contiguous"},
  };
}

TracedSample trace_sample(const OpInfo& op, const Sample& sample) {
  TracedSample out;
  TraceScope scope(op.symbol->name);
  int counter = 0;
  const auto input = [&](const at::Tensor& t) -> Value {
    out.inputs.emplace_back(t);
    return scope.input_tensor(str("in", counter++), Shape(t.sizes().begin(), t.sizes().end()),
                              from_scalar_type(t.scalar_type()));
  };
  const auto resolve = [&](const SampleArg& arg) -> Value {
    if (arg.is_tensor()) return input(arg.tensor());
    if (arg.is_tensor_list()) {
      Value::List items;
      for (const at::Tensor& t : arg.tensors()) items.push_back(t.defined() ? input(t) : Value());
      return Value(std::move(items));
    }
    return arg.value();
  };
  std::vector<Value> args;
  for (const SampleArg& arg : sample.args) args.push_back(resolve(arg));
  std::vector<std::pair<std::string, Value>> kwargs;
  for (const auto& [name, arg] : sample.kwargs) kwargs.emplace_back(name, resolve(arg));
  const Value output = call_symbol(*op.symbol, std::move(args), std::move(kwargs));
  out.trace = scope.finish(output, "Op database sample");
  return out;
}

Comparison compare(const at::Tensor& result, const at::Tensor& torch_result,
                   const at::Tensor& reference, Tolerance tolerance) {
  Comparison c;
  if (result.scalar_type() != torch_result.scalar_type() ||
      result.sizes() != torch_result.sizes()) {
    c.rule = str("got ", result.scalar_type(), result.sizes(), ", torch gives ",
                 torch_result.scalar_type(), torch_result.sizes());
    return c;
  }
  if (!at::isFloatingType(result.scalar_type())) {
    c.pass = at::equal(result, torch_result);
    c.rule = c.pass ? "exact" : "differs from torch (exact match required)";
    if (!c.pass) {
      c.max_abs = (result.to(at::kDouble) - torch_result.to(at::kDouble)).abs().max().item<double>();
    }
    return c;
  }
  if (result.numel() == 0) {
    c.pass = true;
    c.rule = "empty";
    return c;
  }
  const at::Tensor ref = reference.to(at::kDouble);
  // The error against the float64 reference; a NaN or inf where the reference has none
  // (or the other way round) counts as an infinite error.
  const auto error = [&ref](const at::Tensor& t) {
    const at::Tensor x = t.to(at::kDouble);
    at::Tensor diff = (x - ref).abs();
    const at::Tensor same_special = (x.isnan() & ref.isnan()) | (x.isinf() & x.eq(ref));
    diff = at::where(same_special, at::zeros_like(diff), diff);
    return at::nan_to_num(diff, std::numeric_limits<double>::infinity());
  };
  const at::Tensor err = error(result);
  c.max_abs = err.max().item<double>();
  // Relative to |reference|, floored at the tolerance's atol: where the reference is
  // within atol of zero only the absolute error means anything (the rule below lets it
  // through by atol), and a quotient by a value near zero would report 1e+298.
  const double floor = tolerance.atol > 0 ? tolerance.atol : 1e-300;
  c.max_rel = (err / ref.abs().nan_to_num(0, 0, 0).clamp_min(floor))
                  .masked_fill(err.eq(0), 0)
                  .max()
                  .item<double>();
  const bool within = (err <= tolerance.atol + tolerance.rtol * ref.abs().nan_to_num(0, 0, 0))
                          .all()
                          .item<bool>();
  if (within) {
    c.pass = true;
    c.rule = "within dtype tolerance";
    return c;
  }
  const double torch_error = error(torch_result).max().item<double>();
  if (c.max_abs <= kTorchErrorFactor * torch_error) {
    c.pass = true;
    c.rule = str("no farther from float64 than ", kTorchErrorFactor, "x torch (", torch_error, ")");
    return c;
  }
  c.rule = str("error ", c.max_abs, " exceeds tolerance and ", kTorchErrorFactor,
               "x torch's error ", torch_error);
  return c;
}

std::vector<at::Tensor> flatten_tensors(const c10::IValue& value) {
  std::vector<at::Tensor> out;
  if (value.isTensor()) {
    out.push_back(value.toTensor());
  } else if (value.isTensorList()) {
    out = value.toTensorVector();
  } else if (value.isTuple()) {
    for (const c10::IValue& item : value.toTupleRef().elements()) {
      for (at::Tensor& t : flatten_tensors(item)) out.push_back(std::move(t));
    }
  } else if (value.isList()) {
    for (const c10::IValue& item : value.toListRef()) {
      for (at::Tensor& t : flatten_tensors(item)) out.push_back(std::move(t));
    }
  } else {
    THUNDER_INTERNAL_ASSERT(false) << "reference returned " << value.tagKind();
  }
  return out;
}

int decomposition_depth(const BoundSymbol& bsym) {
  if (bsym.symbol->is_prim()) return 0;
  int deepest = 0;
  for (const BoundSymbol& sub : bsym.subsymbols) deepest = std::max(deepest, decomposition_depth(sub));
  return 1 + deepest;
}

} // namespace thunder::opdb
