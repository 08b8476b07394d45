// Op database entries of the ltorch reduction family: reductions, scans and
// normalizations.
#include "families.h"

#include "thunder/core/error.h"

#include <ATen/ATen.h>

#include <limits>
#include <map>

namespace thunder::opdb::detail {

using ltorch::LTorchId;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

// Optional int-list dim argument of a reduction as ATen takes it.
at::OptionalIntArrayRef dims_of(const Value& dim, std::vector<std::int64_t>& storage) {
  if (dim.is_none()) return std::nullopt;
  storage = dim.is_list() ? dim.as_ints() : std::vector<std::int64_t>{dim.as_int()};
  return at::IntArrayRef(storage);
}

// Positional argument i of a reference call, or None when the sample leaves it out.
Value value_or_none(const RefArgs& a, std::size_t i) {
  return i < a.size() ? a.value(i) : Value();
}

bool bool_arg(const RefArgs& a, std::size_t i, bool fallback) {
  return i < a.size() ? a.value(i).as_bool() : fallback;
}

double double_arg(const RefArgs& a, std::size_t i, double fallback) {
  return i < a.size() ? a.value(i).as_float() : fallback;
}

// An optional tensor argument (None or left out: nullopt).
std::optional<at::Tensor> optional_tensor(const RefArgs& a, std::size_t i) {
  if (i < a.size() && a.is_tensor(i)) return a.tensor(i);
  return std::nullopt;
}

std::optional<at::ScalarType> dtype_kwarg(const RefArgs& a) {
  if (const auto d = a.kwarg("dtype")) return to_scalar_type(d->value().as_dtype());
  return std::nullopt;
}

// Integers reduce exactly; their samples need no edge values.
void add_edge_values(std::vector<Sample>& out, DType dtype, std::vector<SampleArg> rest = {}) {
  if (!is_floating(dtype)) return;
  std::vector<SampleArg> args = {edge_values(dtype)};
  args.insert(args.end(), rest.begin(), rest.end());
  out.push_back({std::move(args), {}, "edge values"});
}

// The samples of sum and mean: dim None, an int, a list, keepdim, 0-dim, size-0 and
// size-1 dims, a non-contiguous input. kwargs go on every sample (mean of integers needs
// dtype=).
std::vector<Sample> sum_mean_samples(DType dtype, const Kwargs& kwargs) {
  const TensorOptions strided{.noncontiguous = true};
  std::vector<Sample> out = {
      {{make_tensor({3, 4}, dtype)}, kwargs, "all dims"},
      {{make_tensor({3, 4, 5}, dtype), 1}, kwargs},
      {{make_tensor({3, 4, 5}, dtype), Value::ints({0, -1}), true}, kwargs, "keepdim"},
      {{make_tensor({3, 4}, dtype), Value::ints({})}, kwargs, "dim=[] is all dims"},
      {{make_tensor({3, 4}, dtype, strided), -1}, kwargs, "non-contiguous"},
      {{make_tensor({}, dtype), 0}, kwargs, "0-dim"},
      {{make_tensor({}, dtype), -1, true}, kwargs, "0-dim, dim -1"},
      {{make_tensor({0, 4}, dtype), 0}, kwargs, "size-0"},
      {{make_tensor({0, 4}, dtype)}, kwargs, "size-0, all dims"},
      {{make_tensor({1, 4}, dtype), 0, true}, kwargs, "size-1"},
      {{make_tensor({64, 33}, dtype)}, kwargs, "many elements"},
  };
  return out;
}

c10::IValue sum_mean_reference(const RefArgs& a, bool mean) {
  std::vector<std::int64_t> storage;
  const at::OptionalIntArrayRef dims = dims_of(value_or_none(a, 1), storage);
  const bool keepdim = bool_arg(a, 2, false);
  return mean ? at::mean(a.tensor(0), dims, keepdim, dtype_kwarg(a))
              : at::sum(a.tensor(0), dims, keepdim, dtype_kwarg(a));
}

// amax / amin / logsumexp: dims as a list (an int is a one-element list).
std::vector<std::int64_t> int_list(const RefArgs& a, std::size_t i) {
  return i < a.size() ? a.ints(i) : std::vector<std::int64_t>{};
}

// The samples of amax and amin.
std::vector<Sample> extreme_value_samples(DType dtype) {
  const TensorOptions strided{.noncontiguous = true};
  std::vector<Sample> out = {
      {{make_tensor({3, 4}, dtype)}, {}, "all dims"},
      {{make_tensor({3, 4, 5}, dtype), 1}},
      {{make_tensor({3, 4, 5}, dtype), Value::ints({0, -1}), true}, {}, "keepdim"},
      {{make_tensor({3, 4}, dtype, strided), Value::ints({-1})}, {}, "non-contiguous"},
      {{make_tensor({}, dtype), 0}, {}, "0-dim"},
      {{make_tensor({}, dtype), Value::ints({-1}), true}, {}, "0-dim, dim -1"},
      {{make_tensor({0, 4}, dtype), 1}, {}, "size-0, not reduced"},
      {{make_tensor({4, 0}, dtype), 0, true}, {}, "size-0, not reduced, keepdim"},
      {{make_tensor({1, 4}, dtype), 0, true}, {}, "size-1"},
      {{make_tensor({64, 33}, dtype), 0}, {}, "many elements"},
  };
  add_edge_values(out, dtype, {0});
  if (is_floating(dtype)) {
    out.push_back({{make_values({1, kNan, 3, -kInf, kInf, 2}, dtype).reshape({2, 3}), 1},
                   {},
                   "nan and inf rows"});
  }
  return out;
}

std::vector<ErrorSample> extreme_value_errors(const char* op) {
  return {
      {{{make_tensor({0, 3}, DType::Float32), -2}},
       str(op, "(): Expected reduction dim -2 to have non-zero size.")},
      {{{make_tensor({0, 3}, DType::Float32)}},
       str(op, "(): Expected reduction dim to be specified for input.numel() == 0.")},
      {{{make_tensor({2, 3}, DType::Float32), Value::ints({1, -1})}},
       "dim 1 appears multiple times in the list of dims"},
      {{{make_tensor({2, 3}, DType::Float32), 2}},
       "dimension out of range (expected to be in range of [-2, 1], but got 2)"},
  };
}

OpInfo extreme_value_op(LTorchId id, bool max) {
  return {.symbol = ltorch_symbol(id),
          .dtypes = all_dtypes(),
          .samples = extreme_value_samples,
          .reference =
              [max](const RefArgs& a) {
                const std::vector<std::int64_t> dims = int_list(a, 1);
                const bool keepdim = bool_arg(a, 2, false);
                return c10::IValue(max ? at::amax(a.tensor(0), dims, keepdim)
                                       : at::amin(a.tensor(0), dims, keepdim));
              },
          .error_samples = [max] { return extreme_value_errors(max ? "amax" : "amin"); }};
}

// The samples of argmax and argmin: dim None (flattened), ties, NaN.
std::vector<Sample> extreme_index_samples(DType dtype) {
  const TensorOptions strided{.noncontiguous = true};
  std::vector<Sample> out = {
      {{make_tensor({3, 4}, dtype)}, {}, "flattened"},
      {{make_tensor({3, 4}, dtype), Value(), true}, {}, "flattened, keepdim"},
      {{make_tensor({3, 4, 5}, dtype), 1}},
      {{make_tensor({3, 4, 5}, dtype), -1, true}, {}, "keepdim"},
      {{make_tensor({3, 4}, dtype, strided), 0}, {}, "non-contiguous"},
      {{make_tensor({}, dtype)}, {}, "0-dim, flattened"},
      {{make_tensor({}, dtype), -1, true}, {}, "0-dim, dim -1"},
      {{make_tensor({0, 4}, dtype), 1}, {}, "size-0, not reduced"},
      {{make_tensor({1, 4}, dtype), 0, true}, {}, "size-1"},
      {{make_values({1, 3, 3, 0, 3, 0}, dtype).reshape({2, 3}), 1}, {}, "ties: the first index"},
      {{make_values({1, 3, 3, 0, 3, 0}, dtype)}, {}, "ties, flattened"},
  };
  add_edge_values(out, dtype);
  if (is_floating(dtype)) {
    out.push_back(
        {{make_values({1, kNan, 3, kNan, -kInf, kInf, kInf, -kInf}, dtype).reshape({2, 4}), 1},
         {},
         "nan is the extreme, inf ties"});
  }
  return out;
}

OpInfo extreme_index_op(LTorchId id, bool max) {
  const char* op = max ? "argmax" : "argmin";
  return {.symbol = ltorch_symbol(id),
          .dtypes = concat(floating_dtypes(), integer_dtypes()),
          .samples = extreme_index_samples,
          .reference =
              [max](const RefArgs& a) {
                const Value dim = value_or_none(a, 1);
                const std::optional<std::int64_t> d =
                    dim.is_none() ? std::nullopt : std::optional<std::int64_t>(dim.as_int());
                const bool keepdim = bool_arg(a, 2, false);
                return c10::IValue(max ? at::argmax(a.tensor(0), d, keepdim)
                                       : at::argmin(a.tensor(0), d, keepdim));
              },
          .error_samples =
              [op] {
                return std::vector<ErrorSample>{
                    {{{make_tensor({3}, DType::Bool)}}, str(op, "(): does not support bool input")},
                    {{{make_tensor({0, 3}, DType::Float32)}},
                     str(op, "(): Expected reduction dim to be specified for input.numel() == 0.")},
                    {{{make_tensor({0, 3}, DType::Float32), -2}},
                     str(op, "(): Expected reduction dim 0 to have non-zero size.")},
                    {{{make_tensor({2, 3}, DType::Float32), -3}},
                     "dimension out of range (expected to be in range of [-2, 1], but got -3)"},
                };
              }};
}

OpInfo var_std_op(LTorchId id, bool deviation) {
  return {
      .symbol = ltorch_symbol(id),
      .dtypes = floating_dtypes(),
      .samples =
          [](DType dtype) {
            const TensorOptions strided{.noncontiguous = true};
            std::vector<Sample> out = {
                {{make_tensor({3, 4}, dtype)}, {}, "all dims"},
                {{make_tensor({3, 4, 5}, dtype), 1}},
                {{make_tensor({3, 4, 5}, dtype), Value::ints({0, -1})},
                 {{"keepdim", true}},
                 "keepdim"},
                {{make_tensor({3, 4}, dtype), Value::ints({})}, {}, "dim=[] is all dims"},
                {{make_tensor({3, 4}, dtype), 1}, {{"correction", 0}}, "correction=0"},
                {{make_tensor({3, 4}, dtype), 1}, {{"correction", 1.5}}, "fractional correction"},
                {{make_tensor({3, 4}, dtype), 0}, {{"correction", 3}}, "n - correction = 0: inf"},
                {{make_tensor({3, 4}, dtype), 1}, {{"correction", Value()}}, "correction=None"},
                {{make_tensor({3, 4}, dtype, strided), -1}, {}, "non-contiguous"},
                {{make_tensor({}, dtype)}, {}, "0-dim: 0 / 0"},
                {{make_tensor({}, dtype), -1}, {{"correction", 0}}, "0-dim, correction=0"},
                {{make_tensor({0, 4}, dtype), 0}, {}, "size-0"},
                {{make_tensor({1, 4}, dtype), 0}, {{"keepdim", true}}, "size-1"},
                {{make_tensor({64, 33}, dtype)}, {}, "many elements"},
                {{make_tensor({8, 16}, dtype, {.low = 250, .high = 260}), 1}, {}, "large mean"},
            };
            add_edge_values(out, dtype, {0});
            return out;
          },
      .reference =
          [deviation](const RefArgs& a) {
            std::vector<std::int64_t> storage;
            const at::OptionalIntArrayRef dims = dims_of(value_or_none(a, 1), storage);
            std::optional<at::Scalar> correction;
            if (const auto c = a.kwarg("correction"); c && !c->value().is_none()) {
              correction = c->value().kind() == ValueKind::Int ? at::Scalar(c->value().as_int())
                                                               : at::Scalar(c->value().as_float());
            }
            const auto k = a.kwarg("keepdim");
            const bool keepdim = k && k->value().as_bool();
            return c10::IValue(deviation ? at::std(a.tensor(0), dims, correction, keepdim)
                                         : at::var(a.tensor(0), dims, correction, keepdim));
          },
      .error_samples =
          [] {
            return std::vector<ErrorSample>{
                {{{make_tensor({2, 3}, DType::Int64), 1}},
                 "std and var only support floating point and complex dtypes"},
                {{{make_tensor({2, 3}, DType::Float32), 2}},
                 "dimension out of range (expected to be in range of [-2, 1], but got 2)"},
                {{{make_tensor({2, 3}, DType::Float32), 1}, {{"correction", "one"}}},
                 "argument 'correction' must be a number"},
            };
          }};
}

// The tolerance goes by the sample's dtype, but these ops turn bool and integer inputs into
// float32 results: those are judged as float32 (torch's own float32 reduction order is not
// ours, so exactness would be the wrong bar).
std::map<DType, Tolerance> float32_tolerance_for_integer_inputs() {
  std::map<DType, Tolerance> out;
  for (const DType dtype : all_dtypes()) {
    if (!is_floating(dtype)) out[dtype] = default_tolerance(DType::Float32);
  }
  return out;
}

// Parameters of a norm: float32 for a low-precision input where torch allows it ("mixed
// dtype"), else the input's dtype.
DType param_dtype(DType dtype, bool mixed) {
  return mixed && (dtype == DType::Float16 || dtype == DType::BFloat16) ? DType::Float32 : dtype;
}

} // namespace

void add_reduction_ops(std::vector<OpInfo>& ops) {
  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::sum),
       .dtypes = all_dtypes(),
       .samples =
           [](DType dtype) {
             std::vector<Sample> out = sum_mean_samples(dtype, {});
             out.push_back(
                 {{make_tensor({3, 4}, dtype), 1}, {{"dtype", DType::Float64}}, "dtype="});
             out.push_back(
                 {{make_tensor({3, 4}, dtype), 1}, {{"dtype", DType::Float16}}, "dtype=float16"});
             add_edge_values(out, dtype);
             return out;
           },
       .reference = [](const RefArgs& a) { return sum_mean_reference(a, false); },
       .error_samples =
           [] {
             return std::vector<ErrorSample>{
                 {{{make_tensor({2, 3}, DType::Float32), 2}},
                  "dimension out of range (expected to be in range of [-2, 1], but got 2)"},
                 {{{make_tensor({2, 3}, DType::Float32), Value::ints({0, -2})}},
                  "dim 0 appears multiple times in the list of dims"},
                 {{{make_tensor({2, 3}, DType::Float32), 1}, {{"dtype", "float"}}},
                  "argument 'dtype' must be a dtype or None"},
             };
           }});

  // mean: integer inputs only with a floating dtype=, so their samples all pass one.
  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::mean),
       .dtypes = all_dtypes(),
       .samples =
           [](DType dtype) {
             if (!is_floating(dtype)) return sum_mean_samples(dtype, {{"dtype", DType::Float32}});
             std::vector<Sample> out = sum_mean_samples(dtype, {});
             out.push_back(
                 {{make_tensor({3, 4}, dtype), 1}, {{"dtype", DType::Float64}}, "dtype="});
             out.push_back(
                 {{make_tensor({3, 4}, dtype), 1}, {{"dtype", DType::BFloat16}}, "dtype=bfloat16"});
             add_edge_values(out, dtype);
             return out;
           },
       .reference = [](const RefArgs& a) { return sum_mean_reference(a, true); },
       .error_samples =
           [] {
             return std::vector<ErrorSample>{
                 {{{make_tensor({2, 3}, DType::Int64), 1}},
                  "mean(): could not infer output dtype. Input dtype must be either a "
                  "floating point or complex dtype. Got: Long"},
                 {{{make_tensor({2, 3}, DType::Bool)}},
                  "Input dtype must be either a floating point or complex dtype. Got: Bool"},
                 {{{make_tensor({2, 3}, DType::Float32), 1}, {{"dtype", DType::Int32}}},
                  "mean(): could not infer output dtype. Optional dtype must be either a "
                  "floating point or complex dtype. Got: Int"},
                 {{{make_tensor({2, 3}, DType::Float32), Value::ints({1, 1})}},
                  "dim 1 appears multiple times in the list of dims"},
             };
           },
       .tolerances = float32_tolerance_for_integer_inputs()});

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::prod),
       .dtypes = all_dtypes(),
       .samples =
           [](DType dtype) {
             const TensorOptions strided{.noncontiguous = true};
             std::vector<Sample> out = {
                 {{make_tensor({3, 4, 5}, dtype), 1}},
                 {{make_tensor({3, 4, 5}, dtype), -1, true}, {}, "keepdim"},
                 {{make_tensor({3, 4}, dtype, strided), 1}, {}, "non-contiguous"},
                 {{make_tensor({}, dtype), 0}, {}, "0-dim"},
                 {{make_tensor({}, dtype), -1, true}, {}, "0-dim, dim -1"},
                 {{make_tensor({0, 4}, dtype), 0}, {}, "size-0: 1"},
                 {{make_tensor({0, 4}, dtype), 1}, {}, "size-0, not reduced"},
                 {{make_tensor({1, 4}, dtype), 0, true}, {}, "size-1"},
                 {{make_tensor({4, 12}, dtype, {.low = 0.5, .high = 1.5}), 1}, {}, "longer rows"},
                 {{make_tensor({3, 4}, dtype), 1}, {{"dtype", DType::Float64}}, "dtype="},
             };
             add_edge_values(out, dtype, {0});
             return out;
           },
       .reference =
           [](const RefArgs& a) {
             return c10::IValue(
                 at::prod(a.tensor(0), a.value(1).as_int(), bool_arg(a, 2, false), dtype_kwarg(a)));
           },
       .error_samples =
           [] {
             return std::vector<ErrorSample>{
                 {{{make_tensor({2, 3}, DType::Float32), 2}},
                  "dimension out of range (expected to be in range of [-2, 1], but got 2)"},
                 {{{make_tensor({2, 3}, DType::Float32), Value::ints({0, 1})}},
                  "argument 'dim' must be int, got list"},
             };
           }});

  ops.push_back(extreme_value_op(LTorchId::amax, true));
  ops.push_back(extreme_value_op(LTorchId::amin, false));
  ops.push_back(extreme_index_op(LTorchId::argmax, true));
  ops.push_back(extreme_index_op(LTorchId::argmin, false));
  ops.push_back(var_std_op(LTorchId::var, false));
  ops.push_back(var_std_op(LTorchId::std, true));

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::logsumexp),
       .dtypes = all_dtypes(),
       .samples =
           [](DType dtype) {
             const TensorOptions strided{.noncontiguous = true};
             std::vector<Sample> out = {
                 {{make_tensor({3, 4, 5}, dtype), 1}},
                 {{make_tensor({3, 4, 5}, dtype), Value::ints({0, -1}), true}, {}, "keepdim"},
                 {{make_tensor({3, 4}, dtype), Value::ints({}), true},
                  {},
                  "dim=[], keepdim: all dims"},
                 {{make_tensor({3, 4}, dtype, strided), -1}, {}, "non-contiguous"},
                 {{make_tensor({}, dtype), 0}, {}, "0-dim"},
                 {{make_tensor({}, dtype), Value::ints({}), false}, {}, "0-dim, dim=[]"},
                 {{make_tensor({3, 0}, dtype), 1}, {}, "size-0: -inf"},
                 {{make_tensor({0, 3}, dtype), 1}, {}, "size-0, not reduced"},
                 {{make_tensor({1, 4}, dtype), 0, true}, {}, "size-1"},
                 {{make_tensor({64, 33}, dtype), 0}, {}, "many elements"},
             };
             add_edge_values(out, dtype, {0});
             if (is_floating(dtype)) {
               out.push_back(
                   {{make_values({-kInf, -kInf, -kInf, kInf, 1, 2, kNan, 1, 2, 60, 61, 62}, dtype)
                         .reshape({4, 3}),
                     1},
                    {},
                    "-inf, inf, nan and large rows"});
             }
             return out;
           },
       .reference =
           [](const RefArgs& a) {
             return c10::IValue(at::logsumexp(a.tensor(0), int_list(a, 1), bool_arg(a, 2, false)));
           },
       .error_samples =
           [] {
             return std::vector<ErrorSample>{
                 {{{make_tensor({2, 3}, DType::Float32), Value::ints({})}},
                  "output with shape [] doesn't match the broadcast shape [1, 1]"},
                 {{{make_tensor({2, 3}, DType::Float32), Value::ints({0, -2})}},
                  "dim 0 appears multiple times in the list of dims"},
                 {{{make_tensor({2, 3}, DType::Float32), 3}},
                  "dimension out of range (expected to be in range of [-2, 1], but got 3)"},
             };
           },
       .tolerances = float32_tolerance_for_integer_inputs()});

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::cumsum),
       .dtypes = all_dtypes(),
       .samples =
           [](DType dtype) {
             const TensorOptions strided{.noncontiguous = true};
             std::vector<Sample> out = {
                 {{make_tensor({5}, dtype), 0}},
                 {{make_tensor({3, 4, 5}, dtype), 1}},
                 {{make_tensor({3, 4}, dtype), -1}, {}, "dim -1"},
                 {{make_tensor({3, 4}, dtype, strided), 1}, {}, "non-contiguous"},
                 {{make_tensor({}, dtype), 0}, {}, "0-dim"},
                 {{make_tensor({}, dtype), -1}, {}, "0-dim, dim -1"},
                 {{make_tensor({0, 4}, dtype), 0}, {}, "size-0"},
                 {{make_tensor({1, 4}, dtype), 0}, {}, "size-1"},
                 {{make_tensor({64, 33}, dtype), 0}, {}, "many elements"},
                 {{make_tensor({3, 4}, dtype), 1}, {{"dtype", DType::Float64}}, "dtype="},
             };
             add_edge_values(out, dtype, {0});
             return out;
           },
       .reference =
           [](const RefArgs& a) {
             return c10::IValue(at::cumsum(a.tensor(0), a.value(1).as_int(), dtype_kwarg(a)));
           },
       .error_samples =
           [] {
             return std::vector<ErrorSample>{
                 {{{make_tensor({2, 3}, DType::Float32), 2}},
                  "dimension out of range (expected to be in range of [-2, 1], but got 2)"},
                 {{{make_tensor({}, DType::Float32), 1}},
                  "dimension out of range (expected to be in range of [-1, 0], but got 1)"},
             };
           }});

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::diff),
       .dtypes = all_dtypes(),
       .samples =
           [](DType dtype) {
             const TensorOptions strided{.noncontiguous = true};
             const Value none;
             return std::vector<Sample>{
                 {{make_tensor({5}, dtype)}},
                 {{make_tensor({3, 4}, dtype), 2, 0}, {}, "n 2, dim 0"},
                 {{make_tensor({3, 4}, dtype), 1, -1, make_tensor({3, 2}, dtype),
                   make_tensor({3, 1}, dtype)},
                  {},
                  "prepend and append"},
                 {{make_tensor({2, 3}, dtype), 1, 1, make_tensor({2, 1}, DType::Int64)},
                  {},
                  "int64 prepend (promoted)"},
                 {{make_tensor({2, 3}, dtype), 1, 1, none, make_tensor({2, 2}, dtype)},
                  {},
                  "append only"},
                 {{make_tensor({4}, dtype), 7}, {}, "n past the extent"},
                 {{make_tensor({4}, dtype), 0}, {}, "n 0"},
                 {{make_tensor({0, 3}, dtype), 1, 0}, {}, "size-0"},
                 {{make_tensor({3, 4}, dtype, strided), 1, 1}, {}, "non-contiguous"},
             };
           },
       .reference =
           [](const RefArgs& a) {
             const auto optional_tensor = [&a](std::size_t i) -> std::optional<at::Tensor> {
               if (a.size() <= i || !a.is_tensor(i)) return std::nullopt;
               return a.tensor(i);
             };
             const std::int64_t n = a.size() > 1 ? a.value(1).as_int() : 1;
             const std::int64_t dim = a.size() > 2 ? a.value(2).as_int() : -1;
             return c10::IValue(
                 at::diff(a.tensor(0), n, dim, optional_tensor(3), optional_tensor(4)));
           },
       .error_samples =
           [] {
             const DType f32 = DType::Float32;
             return std::vector<ErrorSample>{
                 {{{make_tensor({}, f32)}}, "diff expects input to be at least one-dimensional"},
                 {{{make_tensor({3}, f32), -1}}, "order must be non-negative but got -1"},
                 {{{make_tensor({3, 2}, f32), 1, -1, make_tensor({2}, f32)}},
                  "diff expects prepend or append to be the same dimension as input"},
                 {{{make_tensor({3, 2}, f32), 1, 2}},
                  "dimension out of range (expected to be in range of [-2, 1], but got 2)"},
             };
           }});

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::layer_norm),
       .dtypes = floating_dtypes(),
       .samples =
           [](DType dtype) {
             const TensorOptions strided{.noncontiguous = true};
             const DType p = param_dtype(dtype, true);
             return std::vector<Sample>{
                 {{make_tensor({2, 3, 4}, dtype), Value::ints({4})}, {}, "no weight or bias"},
                 {{make_tensor({2, 3, 4}, dtype), Value::ints({4}), make_tensor({4}, dtype),
                   make_tensor({4}, dtype)}},
                 {{make_tensor({2, 3, 4}, dtype), Value::ints({3, 4}), make_tensor({3, 4}, dtype),
                   make_tensor({3, 4}, dtype), 1e-3},
                  {},
                  "two dims, eps"},
                 {{make_tensor({2, 5}, dtype), Value::ints({5}), make_tensor({5}, dtype)},
                  {},
                  "weight only"},
                 {{make_tensor({2, 5}, dtype), Value::ints({5}), Value(), make_tensor({5}, dtype)},
                  {},
                  "bias only"},
                 {{make_tensor({6}, dtype), Value::ints({6})}, {}, "1-D input"},
                 {{make_tensor({3, 4}, dtype, strided), Value::ints({4}), make_tensor({4}, dtype),
                   make_tensor({4}, dtype)},
                  {},
                  "non-contiguous"},
                 {{make_tensor({0, 4}, dtype), Value::ints({4}), make_tensor({4}, dtype)},
                  {},
                  "size-0 batch"},
                 {{make_tensor({2, 0}, dtype), Value::ints({0})}, {}, "size-0 normalized"},
                 {{make_tensor({3, 1}, dtype), Value::ints({1})}, {}, "size-1 normalized"},
                 {{make_tensor({4, 64}, dtype, {.low = 90, .high = 110}), Value::ints({64})},
                  {},
                  "large mean"},
                 {{make_tensor({2, 4}, dtype), Value::ints({4}), make_tensor({4}, p),
                   make_tensor({4}, p)},
                  {},
                  "float32 parameters"},
                 {{edge_values(dtype).reshape({2, 6}), Value::ints({6})}, {}, "edge values"},
             };
           },
       .reference =
           [](const RefArgs& a) {
             return c10::IValue(at::layer_norm(a.tensor(0), a.ints(1), optional_tensor(a, 2),
                                               optional_tensor(a, 3), double_arg(a, 4, 1e-5)));
           },
       .error_samples =
           [] {
             const auto t = [](const Shape& s, DType d = DType::Float32) {
               return make_tensor(s, d);
             };
             return std::vector<ErrorSample>{
                 {{{t({2, 3}), Value::ints({})}},
                  "Expected normalized_shape to be at least 1-dimensional, i.e., containing at "
                  "least "
                  "one element, but got normalized_shape = []"},
                 {{{t({2, 3}), Value::ints({2})}},
                  "Given normalized_shape=[2], expected input with shape [*, 2], but got input of "
                  "size[2, 3]"},
                 {{{t({2, 3}), Value::ints({3}), t({2})}},
                  "Expected weight to be of same shape as normalized_shape, but got weight of "
                  "shape "
                  "[2] and normalized_shape = [3]"},
                 {{{t({2, 3}), Value::ints({3}), Value(), t({1, 3})}},
                  "Expected bias to be of same shape as normalized_shape, but got bias of shape "
                  "[1, 3] and normalized_shape = [3]"},
                 {{{t({2, 3}, DType::Int64), Value::ints({3})}},
                  "\"LayerNormKernelImpl\" not implemented for 'Long'"},
                 {{{t({2, 3}), Value::ints({3}), t({3}, DType::Float16)}},
                  "mixed dtype: expected weight to have the input's dtype float32, got float16"},
                 {{{t({2, 3}, DType::Float16), Value::ints({3}), t({3}, DType::Float16), t({3})}},
                  "mixed dtype: expected bias to have the dtype of weight (float16), got float32"},
             };
           }});

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::rms_norm),
       .dtypes = floating_dtypes(),
       .samples =
           [](DType dtype) {
             const TensorOptions strided{.noncontiguous = true};
             const TensorOptions small{.low = -1e-3, .high = 1e-3};
             const DType p = param_dtype(dtype, true);
             return std::vector<Sample>{
                 {{make_tensor({2, 3, 4}, dtype), Value::ints({4})}, {}, "no weight"},
                 {{make_tensor({2, 3, 4}, dtype), Value::ints({4}), make_tensor({4}, dtype)}},
                 {{make_tensor({2, 3, 4}, dtype), Value::ints({3, 4}), make_tensor({3, 4}, dtype),
                   1e-3},
                  {},
                  "two dims, eps"},
                 {{make_tensor({6}, dtype), Value::ints({6})}, {}, "1-D input"},
                 {{make_tensor({3, 4}, dtype, strided), Value::ints({4}), make_tensor({4}, dtype)},
                  {},
                  "non-contiguous"},
                 {{make_tensor({0, 4}, dtype), Value::ints({4})}, {}, "size-0 batch"},
                 {{make_tensor({2, 0}, dtype), Value::ints({0})}, {}, "size-0 normalized"},
                 {{make_tensor({3, 1}, dtype), Value::ints({1})}, {}, "size-1 normalized"},
                 // Mean squares near eps: the default eps is the computation dtype's.
                 {{make_tensor({4, 16}, dtype, small), Value::ints({16})},
                  {},
                  "tiny values, eps=None"},
                 {{make_tensor({4, 16}, dtype, small), Value::ints({16}), Value(), 1e-6},
                  {},
                  "tiny values, eps=1e-6"},
                 {{make_tensor({2, 4}, dtype), Value::ints({4}), make_tensor({4}, p)},
                  {},
                  "float32 weight"},
                 {{make_tensor({2, 4}, dtype), Value::ints({4}), make_tensor({4}, DType::Float64)},
                  {},
                  "float64 weight"},
                 {{edge_values(dtype).reshape({2, 6}), Value::ints({6})}, {}, "edge values"},
             };
           },
       .reference =
           [](const RefArgs& a) {
             std::optional<double> eps;
             if (a.size() > 3 && !a.value(3).is_none()) eps = a.value(3).as_float();
             return c10::IValue(at::rms_norm(a.tensor(0), a.ints(1), optional_tensor(a, 2), eps));
           },
       .error_samples =
           [] {
             const auto t = [](const Shape& s, DType d = DType::Float32) {
               return make_tensor(s, d);
             };
             return std::vector<ErrorSample>{
                 {{{t({2, 3}), Value::ints({})}},
                  "Expected normalized_shape to be at least 1-dimensional"},
                 {{{t({4, 2, 3}), Value::ints({4, 3})}},
                  "Given normalized_shape=[4, 3], expected input with shape [*4, 3], but got input "
                  "of size[4, 2, 3]"},
                 {{{t({2, 3}), Value::ints({3}), t({2})}},
                  "Expected weight to be of same shape as normalized_shape, but got weight of "
                  "shape "
                  "[2] and normalized_shape = [3]"},
                 {{{t({2, 3}, DType::Int32), Value::ints({3})}},
                  "\"rms_norm\" not implemented for 'Int'"},
             };
           }});

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::group_norm),
       .dtypes = floating_dtypes(),
       .samples =
           [](DType dtype) {
             const TensorOptions strided{.noncontiguous = true};
             const DType p = param_dtype(dtype, true);
             return std::vector<Sample>{
                 {{make_tensor({2, 6, 4}, dtype), 3}, {}, "no weight or bias"},
                 {{make_tensor({2, 6, 4}, dtype), 2, make_tensor({6}, dtype),
                   make_tensor({6}, dtype)}},
                 {{make_tensor({2, 6}, dtype), 3, make_tensor({6}, dtype), Value(), 1e-3},
                  {},
                  "2-D, eps"},
                 {{make_tensor({2, 6, 2, 3}, dtype), 6, Value(), make_tensor({6}, dtype)},
                  {},
                  "4-D, a group per channel"},
                 {{make_tensor({1, 4, 5}, dtype), 1}, {}, "one group"},
                 {{make_tensor({2, 4, 3}, dtype, strided), 2, make_tensor({4}, dtype)},
                  {},
                  "non-contiguous"},
                 {{make_tensor({0, 6, 4}, dtype), 3}, {}, "size-0 batch"},
                 {{make_tensor({2, 6, 0}, dtype), 3}, {}, "size-0 spatial"},
                 {{make_tensor({2, 4, 1}, dtype), 4}, {}, "groups of one element"},
                 {{make_tensor({2, 4, 3}, dtype), 2, make_tensor({4}, p), make_tensor({4}, p)},
                  {},
                  "float32 parameters"},
             };
           },
       .reference =
           [](const RefArgs& a) {
             return c10::IValue(at::group_norm(a.tensor(0), a.value(1).as_int(),
                                               optional_tensor(a, 2), optional_tensor(a, 3),
                                               double_arg(a, 4, 1e-5)));
           },
       .error_samples =
           [] {
             const auto t = [](const Shape& s, DType d = DType::Float32) {
               return make_tensor(s, d);
             };
             return std::vector<ErrorSample>{
                 {{{t({6}), 3}}, "Expected at least 2 dimensions for input tensor but received 1"},
                 {{{t({2, 6, 4}), 0}}, "Expected num groups to be greater than 0, got 0"},
                 {{{t({2, 6, 4}), 4}},
                  "Expected number of channels in input to be divisible by num_groups, but got "
                  "input "
                  "of shape [2, 6, 4] and num_groups=4"},
                 {{{t({2, 6, 4}), 3, t({2, 3})}},
                  "Expected weight to be a vector of size equal to the number of channels in "
                  "input, "
                  "but got weight of shape [2, 3] and input of shape [2, 6, 4]"},
                 {{{t({2, 6, 4}, DType::Int64), 3}},
                  "\"GroupNormKernelImpl\" not implemented for 'Long'"},
                 {{{t({2, 6, 4}), 3, t({6}, DType::Float64)}},
                  "mixed dtype: expected weight to have the input's dtype float32, got float64"},
             };
           }});

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::batch_norm),
       .dtypes = floating_dtypes(),
       .samples =
           [](DType dtype) {
             const TensorOptions strided{.noncontiguous = true};
             const TensorOptions positive{.low = 0.25, .high = 2};
             const auto stats = [&](std::int64_t c, DType d) -> std::vector<SampleArg> {
               return {make_tensor({c}, d), make_tensor({c}, d, positive)};
             };
             // input, weight, bias, running_mean, running_var, training, momentum, eps.
             const auto call = [&](at::Tensor input, SampleArg weight, SampleArg bias, DType d,
                                   double eps = 1e-5) {
               const std::int64_t c = input.size(1);
               std::vector<SampleArg> s = stats(c, d);
               return std::vector<SampleArg>{std::move(input),
                                             std::move(weight),
                                             std::move(bias),
                                             s[0],
                                             s[1],
                                             false,
                                             0.1,
                                             eps};
             };
             const DType p = param_dtype(dtype, true);
             return std::vector<Sample>{
                 {call(make_tensor({4, 6}, dtype), Value(), Value(), dtype),
                  {},
                  "running stats only"},
                 {call(make_tensor({2, 6, 5}, dtype), make_tensor({6}, dtype),
                       make_tensor({6}, dtype), dtype)},
                 {call(make_tensor({2, 3, 4, 4}, dtype), make_tensor({3}, dtype), Value(), dtype,
                       1e-3),
                  {},
                  "4-D, weight only, eps"},
                 {call(make_tensor({2, 4, 3}, dtype, strided), Value(), make_tensor({4}, dtype),
                       dtype),
                  {},
                  "non-contiguous, bias only"},
                 {call(make_tensor({0, 6}, dtype), Value(), Value(), dtype), {}, "size-0 batch"},
                 {call(make_tensor({2, 6, 0}, dtype), Value(), Value(), dtype),
                  {},
                  "size-0 spatial"},
                 {call(make_tensor({1, 1}, dtype), Value(), Value(), dtype), {}, "size-1"},
                 {call(make_tensor({2, 4, 3}, dtype), make_tensor({4}, p), make_tensor({4}, p), p),
                  {},
                  "float32 parameters"},
             };
           },
       .reference =
           [](const RefArgs& a) {
             return c10::IValue(at::batch_norm(
                 a.tensor(0), optional_tensor(a, 1), optional_tensor(a, 2), optional_tensor(a, 3),
                 optional_tensor(a, 4), a.value(5).as_bool(), a.value(6).as_float(),
                 a.value(7).as_float(), /*cudnn_enabled=*/true));
           },
       .error_samples =
           [] {
             const auto t = [](const Shape& s, DType d = DType::Float32) {
               return make_tensor(s, d);
             };
             return std::vector<ErrorSample>{
                 {{{t({2, 6}), Value(), Value(), t({6}), t({6}), true, 0.1, 1e-5}},
                  "training-mode batch_norm is not supported yet"},
                 {{{t({2, 6}), Value(), Value(), Value(), t({6}), false, 0.1, 1e-5}},
                  "running_mean must be defined in evaluation mode"},
                 {{{t({2, 6}), Value(), Value(), t({6}), Value(), false, 0.1, 1e-5}},
                  "running_var must be defined in evaluation mode"},
                 {{{t({2, 4}), Value(), Value(), t({6}), t({6}), false, 0.1, 1e-5}},
                  "running_mean should contain 4 elements not 6"},
                 {{{t({2, 6}), t({4}), Value(), t({6}), t({6}), false, 0.1, 1e-5}},
                  "weight should contain 6 elements not 4"},
                 {{{t({2, 6}, DType::Int64), Value(), Value(), t({6}), t({6}), false, 0.1, 1e-5}},
                  "\"batch_norm\" not implemented for 'Long'"},
                 {{{t({2, 6}, DType::Float16), Value(), Value(), t({6}, DType::Float16), t({6}),
                    false, 0.1, 1e-5}},
                  "mixed dtype: expected running_var to have the dtype of running_mean (float16), "
                  "got "
                  "float32"},
             };
           }});
}

} // namespace thunder::opdb::detail
