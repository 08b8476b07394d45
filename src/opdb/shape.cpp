// Op database entries of the ltorch shape family (shape, data movement and creation ops).
#include "families.h"
#include "thunder/core/error.h"

#include <ATen/ATen.h>

#include <cmath>
#include <limits>

namespace thunder::opdb::detail {

using ltorch::LTorchId;

namespace {

const double kInf = std::numeric_limits<double>::infinity();
const double kNaN = std::nan("");
const TensorOptions kStrided{.noncontiguous = true};

// Positional argument i of the reference if the sample passes it, else the default.
std::int64_t int_or(const RefArgs& a, std::size_t i, std::int64_t fallback) {
  return a.size() > i ? a.value(i).as_int() : fallback;
}

// A 1-D int64 index tensor of exactly these values.
at::Tensor indices(const std::vector<double>& values, DType dtype = DType::Int64) {
  return make_values(values, dtype);
}

// A fill value of the dtype's kind.
Value fill_of(DType dtype) {
  if (dtype == DType::Bool) return Value(true);
  if (!is_floating(dtype)) return Value(7);
  return Value(2.5);
}

std::optional<at::ScalarType> dtype_kwarg(const RefArgs& a) {
  if (const std::optional<SampleArg> dtype = a.kwarg("dtype")) {
    if (!dtype->value().is_none()) return to_scalar_type(dtype->value().as_dtype());
  }
  return std::nullopt;
}

at::Scalar scalar_of(const Value& v) {
  if (v.kind() == ValueKind::Bool) return v.as_bool();
  if (v.kind() == ValueKind::Int) return v.as_int();
  return v.as_float();
}

// A creation op's reference: made with the sample's dtype (or torch's inference), and
// made again in float64 for the float64 run when that dtype is floating.
c10::IValue created(const RefArgs& a,
                    const std::function<at::Tensor(std::optional<at::ScalarType>)>& make) {
  at::Tensor t = make(dtype_kwarg(a));
  if (a.float64() && at::isFloatingType(t.scalar_type())) t = make(at::kDouble);
  return t;
}

at::TensorOptions options_of(std::optional<at::ScalarType> dtype) {
  at::TensorOptions options;
  if (dtype) options = options.dtype(*dtype);
  return options;
}

const std::vector<DType> kArangeDtypes = concat(floating_dtypes(), integer_dtypes());

void add_reshaping_ops(std::vector<OpInfo>& ops) {
  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::reshape),
       .dtypes = all_dtypes(),
       .samples =
           [](DType dtype) {
             return std::vector<Sample>{
                 {{make_tensor({2, 3, 4}, dtype), Value::ints({6, 4})}},
                 {{make_tensor({2, 3, 4}, dtype), Value::ints({4, -1})}, {}, "inferred"},
                 {{make_tensor({3, 4}, dtype, kStrided), Value::ints({12})}, {}, "non-contiguous"},
                 {{make_tensor({}, dtype), Value::ints({1, 1})}, {}, "0-dim"},
                 {{make_tensor({1}, dtype), Value::ints({})}, {}, "to 0-dim"},
                 {{make_tensor({0, 3}, dtype), Value::ints({3, 0})}, {}, "size-0"},
                 {{make_tensor({0, 3}, dtype), Value::ints({-1, 3})}, {}, "size-0 inferred"},
                 {{make_tensor({2, 3}, dtype), Value::ints({2, 3})}, {}, "same shape"},
             };
           },
       .reference = [](const RefArgs& a) { return c10::IValue(a.tensor(0).reshape(a.ints(1))); },
       .error_samples =
           [] {
             return std::vector<ErrorSample>{
                 {{{make_tensor({2, 3}, DType::Float32), Value::ints({4, 2})}},
                  "shape '[4, 2]' is invalid for input of size 6"},
                 {{{make_tensor({2, 3}, DType::Float32), Value::ints({-1, -1})}},
                  "only one dimension can be inferred"},
                 {{{make_tensor({2, 3}, DType::Float32), Value::ints({-2, -3})}},
                  "invalid shape dimension -2 at index 0 of shape [-2, -3]"},
                 {{{make_tensor({0, 3}, DType::Float32), Value::ints({-1, 0})}},
                  "cannot reshape tensor of 0 elements into shape [-1, 0]"},
             };
           }});

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::view),
       .dtypes = all_dtypes(),
       .samples =
           [](DType dtype) {
             return std::vector<Sample>{
                 {{make_tensor({2, 3, 4}, dtype), Value::ints({6, 4})}},
                 {{make_tensor({2, 3, 4}, dtype), Value::ints({4, -1})}, {}, "inferred"},
                 // Splitting a dim is a valid view of any strides.
                 {{make_tensor({3, 4}, dtype, kStrided), Value::ints({3, 2, 2})},
                  {},
                  "non-contiguous"},
                 {{make_tensor({}, dtype), Value::ints({1, 1})}, {}, "0-dim"},
                 {{make_tensor({0, 3}, dtype), Value::ints({3, 0})}, {}, "size-0"},
             };
           },
       .reference = [](const RefArgs& a) { return c10::IValue(a.tensor(0).view(a.ints(1))); },
       .error_samples =
           [] {
             return std::vector<ErrorSample>{
                 {{{make_tensor({3, 4}, DType::Float32), Value::ints({5, -1})}},
                  "shape '[5, -1]' is invalid for input of size 12"},
                 {{{make_tensor({2, 3}, DType::Float32), Value::ints({-1, -1})}},
                  "only one dimension can be inferred"},
             };
           }});

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::transpose),
       .dtypes = all_dtypes(),
       .samples =
           [](DType dtype) {
             return std::vector<Sample>{
                 {{make_tensor({2, 3, 4}, dtype), 0, 2}},
                 {{make_tensor({2, 3, 4}, dtype), -1, -3}, {}, "negative dims"},
                 {{make_tensor({3, 4}, dtype), 1, 1}, {}, "same dim"},
                 {{make_tensor({}, dtype), 0, -1}, {}, "0-dim"},
                 {{make_tensor({0, 4}, dtype), 0, 1}, {}, "size-0"},
             };
           },
       .reference =
           [](const RefArgs& a) {
             return c10::IValue(a.tensor(0).transpose(a.value(1).as_int(), a.value(2).as_int()));
           },
       .error_samples =
           [] {
             return std::vector<ErrorSample>{
                 {{{make_tensor({2, 3}, DType::Float32), 0, 2}},
                  "dimension out of range (expected to be in range of [-2, 1], but got 2)"},
             };
           }});

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::permute),
       .dtypes = all_dtypes(),
       .samples =
           [](DType dtype) {
             return std::vector<Sample>{
                 {{make_tensor({2, 3, 4}, dtype), Value::ints({2, 0, 1})}},
                 {{make_tensor({2, 3, 4}, dtype), Value::ints({-1, 0, -2})}, {}, "negative dims"},
                 {{make_tensor({}, dtype), Value::ints({})}, {}, "0-dim"},
             };
           },
       .reference = [](const RefArgs& a) { return c10::IValue(a.tensor(0).permute(a.ints(1))); },
       .error_samples =
           [] {
             return std::vector<ErrorSample>{
                 {{{make_tensor({2, 3}, DType::Float32), Value::ints({0, 0})}},
                  "repeated dim in permutation [0, 0]"},
             };
           }});

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::flatten),
       .dtypes = all_dtypes(),
       .samples =
           [](DType dtype) {
             return std::vector<Sample>{
                 {{make_tensor({2, 3, 4}, dtype)}, {}, "all dims"},
                 {{make_tensor({2, 3, 4}, dtype), 1, 2}},
                 {{make_tensor({2, 3, 4, 5}, dtype), -3, -2}, {}, "negative dims"},
                 {{make_tensor({2, 3, 4}, dtype), 1, 1}, {}, "one dim"},
                 {{make_tensor({}, dtype)}, {}, "0-dim"},
                 {{make_tensor({2, 0, 4}, dtype), 0, 1}, {}, "size-0"},
                 {{make_tensor({3, 4}, dtype, kStrided)}, {}, "non-contiguous"},
             };
           },
       .reference =
           [](const RefArgs& a) {
             return c10::IValue(a.tensor(0).flatten(int_or(a, 1, 0), int_or(a, 2, -1)));
           },
       .error_samples =
           [] {
             return std::vector<ErrorSample>{
                 {{{make_tensor({2, 3, 4}, DType::Float32), 2, 1}},
                  "flatten() has invalid args: start_dim cannot come after end_dim"},
                 {{{make_tensor({2, 3, 4}, DType::Float32), 0, 3}},
                  "dimension out of range (expected to be in range of [-3, 2], but got 3)"},
             };
           }});

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::unflatten),
       .dtypes = all_dtypes(),
       .samples =
           [](DType dtype) {
             return std::vector<Sample>{
                 {{make_tensor({2, 12}, dtype), 1, Value::ints({3, 4})}},
                 {{make_tensor({2, 12}, dtype), -1, Value::ints({2, -1, 3})}, {}, "inferred"},
                 {{make_tensor({6, 2}, dtype), 0, Value::ints({1, 6})}, {}, "size-1"},
                 {{make_tensor({0, 6}, dtype), 1, Value::ints({2, 3})}, {}, "size-0"},
                 {{make_tensor({3, 4}, dtype, kStrided), 1, Value::ints({2, 2})},
                  {},
                  "non-contiguous"},
             };
           },
       .reference =
           [](const RefArgs& a) {
             return c10::IValue(a.tensor(0).unflatten(a.value(1).as_int(), a.ints(2)));
           },
       .error_samples =
           [] {
             return std::vector<ErrorSample>{
                 {{{make_tensor({2, 12}, DType::Float32), 1, Value::ints({5, 3})}},
                  "Provided sizes [5, 3] don't multiply up to the size of dim 1 (12) in the "
                  "input tensor"},
                 {{{make_tensor({2, 12}, DType::Float32), 1, Value::ints({})}},
                  "sizes must be non-empty"},
                 {{{make_tensor({}, DType::Float32), 0, Value::ints({1})}},
                  "Dimension specified as 0 but tensor has no dimensions"},
             };
           }});

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::unsqueeze),
       .dtypes = all_dtypes(),
       .samples =
           [](DType dtype) {
             return std::vector<Sample>{
                 {{make_tensor({2, 3}, dtype), 0}},
                 {{make_tensor({2, 3}, dtype), -1}, {}, "negative dim"},
                 {{make_tensor({2, 3}, dtype), 2}, {}, "last dim"},
                 {{make_tensor({}, dtype), 0}, {}, "0-dim"},
                 {{make_tensor({0, 3}, dtype), 1}, {}, "size-0"},
                 {{make_tensor({3, 4}, dtype, kStrided), 1}, {}, "non-contiguous"},
             };
           },
       .reference =
           [](const RefArgs& a) { return c10::IValue(a.tensor(0).unsqueeze(a.value(1).as_int())); },
       .error_samples =
           [] {
             return std::vector<ErrorSample>{
                 {{{make_tensor({2, 3}, DType::Float32), 3}},
                  "dimension out of range (expected to be in range of [-3, 2], but got 3)"},
             };
           }});

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::squeeze),
       .dtypes = all_dtypes(),
       .samples =
           [](DType dtype) {
             return std::vector<Sample>{
                 {{make_tensor({2, 1, 3, 1}, dtype)}, {}, "all dims"},
                 {{make_tensor({2, 1, 3}, dtype), 1}, {}, "one dim"},
                 {{make_tensor({2, 1, 3}, dtype), 0}, {}, "dim of extent 2 (kept)"},
                 {{make_tensor({1, 2, 1}, dtype), Value::ints({0, -1, 1})}, {}, "dims"},
                 {{make_tensor({}, dtype)}, {}, "0-dim"},
                 {{make_tensor({}, dtype), -1}, {}, "0-dim, dim"},
                 {{make_tensor({1, 0, 1}, dtype)}, {}, "size-0"},
                 {{make_tensor({1, 4}, dtype, kStrided)}, {}, "non-contiguous"},
             };
           },
       .reference =
           [](const RefArgs& a) {
             const at::Tensor& t = a.tensor(0);
             if (a.size() < 2 || a.value(1).is_none()) return c10::IValue(t.squeeze());
             if (a.value(1).is_list()) return c10::IValue(t.squeeze(a.ints(1)));
             return c10::IValue(t.squeeze(a.value(1).as_int()));
           },
       .error_samples =
           [] {
             return std::vector<ErrorSample>{
                 {{{make_tensor({2, 1, 3}, DType::Float32), Value::ints({1, -2})}},
                  "dim 1 appears multiple times in the list of dims"},
                 {{{make_tensor({2, 1, 3}, DType::Float32), 3}},
                  "dimension out of range (expected to be in range of [-3, 2], but got 3)"},
             };
           }});

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::expand),
       .dtypes = all_dtypes(),
       .samples =
           [](DType dtype) {
             return std::vector<Sample>{
                 {{make_tensor({3, 1}, dtype), Value::ints({2, 3, 4})}, {}, "new leading dim"},
                 {{make_tensor({3, 1}, dtype), Value::ints({-1, 4})}, {}, "-1 keeps a dim"},
                 {{make_tensor({}, dtype), Value::ints({2, 2})}, {}, "0-dim"},
                 {{make_tensor({3, 1}, dtype), Value::ints({3, 0})}, {}, "to size-0"},
                 {{make_tensor({0, 1}, dtype), Value::ints({0, 5})}, {}, "size-0"},
                 {{make_tensor({1, 4}, dtype, kStrided), Value::ints({3, 4})},
                  {},
                  "non-contiguous"},
                 {{make_tensor({3, 1}, dtype), Value::ints({3, 1})}, {}, "same shape"},
             };
           },
       .reference = [](const RefArgs& a) { return c10::IValue(a.tensor(0).expand(a.ints(1))); },
       .error_samples =
           [] {
             return std::vector<ErrorSample>{
                 {{{make_tensor({3, 1}, DType::Float32), Value::ints({4, 4})}},
                  "The expanded size of the tensor (4) must match the existing size (3) at "
                  "non-singleton dimension 0.  Target sizes: [4, 4].  Tensor sizes: [3, 1]"},
                 {{{make_tensor({3, 1}, DType::Float32), Value::ints({-1, 3, 4})}},
                  "The expanded size of the tensor (-1) isn't allowed in a leading, "
                  "non-existing dimension 0"},
                 {{{make_tensor({3, 1}, DType::Float32), Value::ints({4})}},
                  "the number of sizes provided (1) must be greater or equal to the number "
                  "of dimensions in the tensor (2)"},
             };
           }});

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::contiguous),
       .dtypes = all_dtypes(),
       .samples =
           [](DType dtype) {
             return std::vector<Sample>{
                 {{make_tensor({3, 4}, dtype, kStrided)}, {}, "non-contiguous"},
                 {{make_tensor({2, 3}, dtype)}},
                 {{make_tensor({}, dtype)}, {}, "0-dim"},
                 {{make_tensor({0, 3}, dtype)}, {}, "size-0"},
             };
           },
       .reference = [](const RefArgs& a) { return c10::IValue(a.tensor(0).contiguous()); }});
}

void add_split_and_join_ops(std::vector<OpInfo>& ops) {

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::alias),
       .dtypes = all_dtypes(),
       .samples =
           [](DType dtype) {
             return std::vector<Sample>{
                 {{make_tensor({3, 4}, dtype)}},
                 {{make_tensor({}, dtype)}, {}, "0-dim"},
                 {{make_tensor({3, 4}, dtype, kStrided)}, {}, "non-contiguous"},
             };
           },
       .reference = [](const RefArgs& a) { return c10::IValue(at::alias(a.tensor(0)).clone()); }});

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::split),
       .dtypes = all_dtypes(),
       .samples =
           [](DType dtype) {
             return std::vector<Sample>{
                 {{make_tensor({5, 2}, dtype), 2}, {}, "smaller last piece"},
                 {{make_tensor({2, 6}, dtype), 3, 1}, {}, "dim 1"},
                 {{make_tensor({5, 2}, dtype), Value::ints({1, 4})}, {}, "sizes"},
                 {{make_tensor({3, 5}, dtype), Value::ints({0, 3, 2}), -1}, {}, "sizes with 0"},
                 {{make_tensor({4, 3}, dtype), 4}, {}, "one piece"},
                 {{make_tensor({0, 3}, dtype), 2}, {}, "size-0"},
                 {{make_tensor({0, 3}, dtype), 0}, {}, "size-0, split_size 0"},
                 {{make_tensor({3, 4}, dtype, kStrided), 3, -1}, {}, "non-contiguous"},
             };
           },
       .reference =
           [](const RefArgs& a) {
             const std::int64_t dim = int_or(a, 2, 0);
             if (a.value(1).is_list())
               return c10::IValue(a.tensor(0).split_with_sizes(a.ints(1), dim));
             return c10::IValue(a.tensor(0).split(a.value(1).as_int(), dim));
           },
       .error_samples =
           [] {
             return std::vector<ErrorSample>{
                 {{{make_tensor({5, 3}, DType::Float32), -1}},
                  "split expects split_size be non-negative, but got split_size=-1"},
                 {{{make_tensor({5, 3}, DType::Float32), 0}},
                  "split_size can only be 0 if dimension size is 0, but got dimension size of 5"},
                 {{{make_tensor({5, 3}, DType::Float32), Value::ints({2, 2})}},
                  "split_with_sizes expects split_sizes to sum exactly to 5 (input tensor's "
                  "size at dimension 0), but got split_sizes=[2, 2]"},
                 {{{make_tensor({5, 3}, DType::Float32), Value::ints({2, -1, 4})}},
                  "split_with_sizes expects split_sizes have only non-negative entries"},
                 {{{make_tensor({}, DType::Float32), 1}},
                  "split expects at least a 1-dimensional tensor"},
             };
           }});

  ops.push_back({.symbol = ltorch_symbol(LTorchId::chunk),
                 .dtypes = all_dtypes(),
                 .samples =
                     [](DType dtype) {
                       return std::vector<Sample>{
                           {{make_tensor({5, 3}, dtype), 3}, {}, "smaller last chunk"},
                           {{make_tensor({6, 3}, dtype), 4}, {}, "fewer chunks than asked"},
                           {{make_tensor({2, 5}, dtype), 2, 1}, {}, "dim 1"},
                           {{make_tensor({2, 3}, dtype), 1}, {}, "one chunk"},
                           {{make_tensor({0, 3}, dtype), 3}, {}, "size-0"},
                           {{make_tensor({3, 4}, dtype, kStrided), 2, -1}, {}, "non-contiguous"},
                       };
                     },
                 .reference =
                     [](const RefArgs& a) {
                       return c10::IValue(a.tensor(0).chunk(a.value(1).as_int(), int_or(a, 2, 0)));
                     },
                 .error_samples =
                     [] {
                       return std::vector<ErrorSample>{
                           {{{make_tensor({5, 3}, DType::Float32), 0}},
                            "chunk expects `chunks` to be greater than 0, got: 0"},
                           {{{make_tensor({}, DType::Float32), 1}},
                            "chunk expects at least a 1-dimensional tensor"},
                       };
                     }});

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::cat),
       .dtypes = all_dtypes(),
       .samples =
           [](DType dtype) {
             using List = std::vector<at::Tensor>;
             return std::vector<Sample>{
                 {{List{make_tensor({2, 3}, dtype), make_tensor({4, 3}, dtype)}}},
                 {{List{make_tensor({2, 3}, dtype), make_tensor({2, 1}, dtype),
                        make_tensor({2, 2}, dtype)},
                   -1},
                  {},
                  "three, last dim"},
                 {{List{make_tensor({2, 3}, dtype), make_tensor({1, 3}, DType::Int32)}},
                  {},
                  "mixed dtypes"},
                 {{List{make_tensor({1, 3}, DType::Float64), make_tensor({2, 3}, dtype)}},
                  {},
                  "mixed dtypes, float64"},
                 {{List{make_tensor({0}, dtype), make_tensor({2, 3}, dtype)}, 1},
                  {},
                  "legacy empty tensor skipped"},
                 {{List{make_tensor({0}, dtype), make_tensor({0}, DType::Int8)}, 3},
                  {},
                  "only legacy empty tensors"},
                 {{List{make_tensor({2, 3}, dtype)}}, {}, "one tensor"},
                 {{List{make_tensor({0, 3}, dtype), make_tensor({2, 3}, dtype)}}, {}, "size-0"},
                 {{List{make_tensor({3, 4}, dtype, kStrided), make_tensor({3, 4}, dtype)}, 1},
                  {},
                  "non-contiguous"},
             };
           },
       .reference =
           [](const RefArgs& a) { return c10::IValue(at::cat(a.tensors(0), int_or(a, 1, 0))); },
       .error_samples =
           [] {
             using List = std::vector<at::Tensor>;
             const DType f32 = DType::Float32;
             return std::vector<ErrorSample>{
                 {{{List{}}}, "expected a non-empty list of Tensors"},
                 {{{List{make_tensor({2}, f32), make_tensor({}, f32)}}},
                  "zero-dimensional tensor (at position 1) cannot be concatenated"},
                 {{{List{make_tensor({2, 3}, f32), make_tensor({2, 4}, f32)}}},
                  "Sizes of tensors must match except in dimension 0. Expected size 3 but "
                  "got size 4 for tensor number 1 in the list."},
                 {{{List{make_tensor({2, 3}, f32), make_tensor({2, 3, 1}, f32)}}},
                  "Tensors must have same number of dimensions: got 2 and 3"},
                 {{{List{make_tensor({2, 3}, f32)}, 2}},
                  "dimension out of range (expected to be in range of [-2, 1], but got 2)"},
             };
           }});

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::stack),
       .dtypes = all_dtypes(),
       .samples =
           [](DType dtype) {
             using List = std::vector<at::Tensor>;
             return std::vector<Sample>{
                 {{List{make_tensor({2, 3}, dtype), make_tensor({2, 3}, dtype),
                        make_tensor({2, 3}, dtype)}}},
                 {{List{make_tensor({2, 3}, dtype), make_tensor({2, 3}, dtype)}, -1},
                  {},
                  "last dim"},
                 {{List{make_tensor({2, 3}, dtype), make_tensor({2, 3}, DType::Int16)}, 1},
                  {},
                  "mixed dtypes"},
                 {{List{make_tensor({}, dtype), make_tensor({}, dtype)}}, {}, "0-dim"},
                 {{List{make_tensor({2, 3}, dtype)}}, {}, "one tensor"},
                 {{List{make_tensor({0, 3}, dtype), make_tensor({0, 3}, dtype)}, 1}, {}, "size-0"},
                 {{List{make_tensor({3, 4}, dtype, kStrided), make_tensor({3, 4}, dtype)}},
                  {},
                  "non-contiguous"},
             };
           },
       .reference =
           [](const RefArgs& a) { return c10::IValue(at::stack(a.tensors(0), int_or(a, 1, 0))); },
       .error_samples =
           [] {
             using List = std::vector<at::Tensor>;
             const DType f32 = DType::Float32;
             return std::vector<ErrorSample>{
                 {{{List{}}}, "stack expects a non-empty TensorList"},
                 {{{List{make_tensor({2, 3}, f32), make_tensor({2, 4}, f32)}}},
                  "stack expects each tensor to be equal size, but got [2, 3] at entry 0 and "
                  "[2, 4] at entry 1"},
                 {{{List{make_tensor({2, 3}, f32)}, 3}},
                  "dimension out of range (expected to be in range of [-3, 2], but got 3)"},
             };
           }});
}

void add_indexing_ops(std::vector<OpInfo>& ops) {
  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::narrow),
       .dtypes = all_dtypes(),
       .samples =
           [](DType dtype) {
             return std::vector<Sample>{
                 {{make_tensor({3, 4}, dtype), 0, 1, 2}},
                 {{make_tensor({3, 4}, dtype), -1, -3, 2}, {}, "negative dim and start"},
                 {{make_tensor({3, 4}, dtype), 1, 4, 0}, {}, "empty at the end"},
                 {{make_tensor({5}, dtype), 0, 0, 5}, {}, "everything"},
                 {{make_tensor({0, 4}, dtype), 1, 1, 2}, {}, "size-0"},
                 {{make_tensor({3, 4}, dtype, kStrided), 1, 1, 3}, {}, "non-contiguous"},
             };
           },
       .reference =
           [](const RefArgs& a) {
             return c10::IValue(
                 a.tensor(0).narrow(a.value(1).as_int(), a.value(2).as_int(), a.value(3).as_int()));
           },
       .error_samples =
           [] {
             const DType f32 = DType::Float32;
             return std::vector<ErrorSample>{
                 {{{make_tensor({3, 4}, f32), 0, 4, 0}},
                  "start out of range (expected to be in range of [-3, 3], but got 4)"},
                 {{{make_tensor({3, 4}, f32), 0, 1, 5}},
                  "start (1) + length (5) exceeds dimension size (3)."},
                 {{{make_tensor({3, 4}, f32), 0, 1, -1}}, "narrow(): length must be non-negative."},
                 {{{make_tensor({}, f32), 0, 0, 1}},
                  "narrow() cannot be applied to a 0-dim tensor."},
             };
           }});

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::select),
       .dtypes = all_dtypes(),
       .samples =
           [](DType dtype) {
             return std::vector<Sample>{
                 {{make_tensor({3, 4}, dtype), 0, 1}},
                 {{make_tensor({3, 4}, dtype), 1, -1}, {}, "negative index"},
                 {{make_tensor({2, 3, 4}, dtype), -2, 2}, {}, "negative dim"},
                 {{make_tensor({1}, dtype), 0, 0}, {}, "to 0-dim"},
                 {{make_tensor({2, 0}, dtype), 0, 1}, {}, "size-0"},
                 {{make_tensor({3, 4}, dtype, kStrided), 1, 2}, {}, "non-contiguous"},
             };
           },
       .reference =
           [](const RefArgs& a) {
             return c10::IValue(a.tensor(0).select(a.value(1).as_int(), a.value(2).as_int()));
           },
       .error_samples =
           [] {
             const DType f32 = DType::Float32;
             return std::vector<ErrorSample>{
                 {{{make_tensor({3, 4}, f32), 0, 3}},
                  "select(): index 3 out of range for tensor of size [3, 4] at dimension 0"},
                 {{{make_tensor({3, 4}, f32), 1, -5}},
                  "select(): index -5 out of range for tensor of size [3, 4] at dimension 1"},
                 {{{make_tensor({}, f32), 0, 0}}, "select() cannot be applied to a 0-dim tensor."},
             };
           }});

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::slice),
       .dtypes = all_dtypes(),
       .samples =
           [](DType dtype) {
             const Value none;
             const std::int64_t max = std::numeric_limits<std::int64_t>::max();
             return std::vector<Sample>{
                 {{make_tensor({5, 4}, dtype), 0, 1, 4}},
                 {{make_tensor({5, 4}, dtype), 1, none, none, 2}, {}, "step"},
                 {{make_tensor({5, 4}, dtype), 0, -3, 100, 2}, {}, "negative start, end clamped"},
                 {{make_tensor({5, 4}, dtype), 0, -100, -1}, {}, "start clamped, negative end"},
                 {{make_tensor({5, 4}, dtype), 0, 4, 2}, {}, "end before start"},
                 {{make_tensor({5, 4}, dtype), -1, 1, max}, {}, "end INT64_MAX"},
                 {{make_tensor({5, 4}, dtype)}, {}, "everything"},
                 {{make_tensor({0, 4}, dtype), 0, 1, 3}, {}, "size-0"},
                 {{make_tensor({3, 4}, dtype, kStrided), 1, 1, none, 2}, {}, "non-contiguous"},
             };
           },
       .reference =
           [](const RefArgs& a) {
             const auto optional = [&a](std::size_t i) -> std::optional<std::int64_t> {
               if (a.size() <= i || a.value(i).is_none()) return std::nullopt;
               return a.value(i).as_int();
             };
             return c10::IValue(at::slice(a.tensor(0), int_or(a, 1, 0), optional(2), optional(3),
                                          int_or(a, 4, 1)));
           },
       .error_samples =
           [] {
             const DType f32 = DType::Float32;
             return std::vector<ErrorSample>{
                 {{{make_tensor({5, 4}, f32), 0, 0, 5, 0}}, "slice step must be positive"},
                 {{{make_tensor({}, f32), 0, 0, 1}},
                  "slice() cannot be applied to a 0-dim tensor."},
                 {{{make_tensor({5, 4}, f32), 2}},
                  "dimension out of range (expected to be in range of [-2, 1], but got 2)"},
             };
           }});

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::index_select),
       .dtypes = all_dtypes(),
       .samples =
           [](DType dtype) {
             return std::vector<Sample>{
                 {{make_tensor({5, 4}, dtype), 0, indices({4, 0, 2, 2})}, {}, "repeated index"},
                 {{make_tensor({5, 4}, dtype), -1, indices({3, 1}, DType::Int32)},
                  {},
                  "int32 index"},
                 {{make_tensor({5, 4}, dtype), 1, indices({2}).reshape({})}, {}, "0-dim index"},
                 {{make_tensor({}, dtype), 0, indices({0})}, {}, "0-dim input"},
                 {{make_tensor({5, 4}, dtype), 0, indices({})}, {}, "empty index"},
                 {{make_tensor({0, 4}, dtype), 1, indices({1, 3})}, {}, "size-0"},
                 {{make_tensor({3, 4}, dtype, kStrided), 1, indices({3, 0})}, {}, "non-contiguous"},
             };
           },
       .reference =
           [](const RefArgs& a) {
             return c10::IValue(at::index_select(a.tensor(0), a.value(1).as_int(), a.tensor(2)));
           },
       .error_samples =
           [] {
             const DType f32 = DType::Float32;
             return std::vector<ErrorSample>{
                 {{{make_tensor({5, 4}, f32), 0, indices({1, 2}).reshape({2, 1})}},
                  "index_select(): Index is supposed to be a vector"},
                 {{{make_tensor({5, 4}, f32), 0, indices({1}, DType::Float32)}},
                  "index_select(): Expected dtype int32 or int64 for index"},
                 {{{make_tensor({}, f32), 0, indices({0, 0})}},
                  "index_select(): Index to scalar can have only 1 value, got 2 value(s)"},
                 {{{make_tensor({5, 4}, f32), 2, indices({1})}},
                  "dimension out of range (expected to be in range of [-2, 1], but got 2)"},
             };
           }});

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::index),
       .dtypes = all_dtypes(),
       .samples =
           [](DType dtype) {
             const at::Tensor none;
             return std::vector<Sample>{
                 {{make_tensor({5, 4}, dtype), std::vector<at::Tensor>{indices({4, 0, 2, 2})}}},
                 {{make_tensor({5, 4}, dtype),
                   std::vector<at::Tensor>{indices({1, 3}).reshape({2, 1}), indices({0, 3, 1})}},
                  {},
                  "broadcast indices"},
                 {{make_tensor({5, 4, 3}, dtype), std::vector<at::Tensor>{none, indices({3, 0})}},
                  {},
                  "None first: index dims in place"},
                 {{make_tensor({5, 4, 3}, dtype),
                   std::vector<at::Tensor>{indices({1, 4}), none, indices({2, 0})}},
                  {},
                  "apart: index dims first"},
                 {{make_tensor({5, 4, 3}, dtype),
                   std::vector<at::Tensor>{none, indices({3, 1}), indices({2, 0})}},
                  {},
                  "adjacent after a kept dim"},
                 {{make_tensor({5, 4}, dtype), std::vector<at::Tensor>{indices({-1, -5, 2})}},
                  {},
                  "negative indices"},
                 {{make_tensor({5, 4}, dtype),
                   std::vector<at::Tensor>{indices({1, 2}, DType::Int32), indices({3, 0})}},
                  {},
                  "int32 index"},
                 {{make_tensor({6}, dtype),
                   std::vector<at::Tensor>{indices({0, 5, 1, 1, 2, 3}).reshape({2, 3})}},
                  {},
                  "2-D index"},
                 {{make_tensor({5, 4}, dtype), std::vector<at::Tensor>{indices({2}).reshape({})}},
                  {},
                  "0-dim index"},
                 {{make_tensor({5, 4}, dtype), std::vector<at::Tensor>{indices({})}},
                  {},
                  "empty index"},
                 {{make_tensor({3, 4}, dtype, kStrided),
                   std::vector<at::Tensor>{indices({2, 0}), indices({3, 1})}},
                  {},
                  "non-contiguous"},
             };
           },
       .reference =
           [](const RefArgs& a) {
             c10::List<std::optional<at::Tensor>> list;
             for (const at::Tensor& t : a.tensors(1)) {
               list.push_back(t.defined() ? std::optional<at::Tensor>(t) : std::nullopt);
             }
             return c10::IValue(at::index(a.tensor(0), list));
           },
       .error_samples =
           [] {
             const DType f32 = DType::Float32;
             return std::vector<ErrorSample>{
                 {{{make_tensor({5, 4}, f32),
                    std::vector<at::Tensor>{indices({1}), indices({1}), indices({1})}}},
                  "too many indices for tensor of dimension 2 (got 3)"},
                 {{{make_tensor({5, 4}, f32), std::vector<at::Tensor>{indices({1}, f32)}}},
                  "tensors used as indices must be long, int, byte or bool tensors"},
                 {{{make_tensor({5, 4}, f32),
                    std::vector<at::Tensor>{indices({1, 2}), indices({1, 2, 3})}}},
                  "shape mismatch: indexing tensors could not be broadcast together with shapes "
                  "[2], [3]"},
                 {{{make_tensor({5, 4}, f32),
                    std::vector<at::Tensor>{indices({1, 0}, DType::Bool)}}},
                  "boolean mask indices select a data-dependent number of elements"},
             };
           }});

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::gather),
       .dtypes = all_dtypes(),
       .samples =
           [](DType dtype) {
             return std::vector<Sample>{
                 {{make_tensor({3, 4}, dtype), 1, indices({0, 3, 3, 1, 2, 0}).reshape({3, 2})}},
                 {{make_tensor({3, 4}, dtype), 0, indices({2, 0, 1, 1}).reshape({1, 4})},
                  {},
                  "dim 0"},
                 {{make_tensor({3, 4, 2}, dtype), -2,
                   indices({0, 3, 1, 2, 2, 0, 1, 1}).reshape({2, 2, 2})},
                  {},
                  "3-D, index smaller than input"},
                 {{make_tensor({3, 4}, dtype), 1, indices({1, 0, 2}, DType::Int32).reshape({3, 1})},
                  {},
                  "int32 index"},
                 {{make_tensor({}, dtype), 0, indices({0}).reshape({})}, {}, "0-dim"},
                 {{make_tensor({5}, dtype), 0, indices({})}, {}, "empty index"},
                 {{make_tensor({3, 4}, dtype, kStrided), 1,
                   indices({3, 0, 1, 1, 2, 0}).reshape({3, 2})},
                  {},
                  "non-contiguous"},
             };
           },
       .reference =
           [](const RefArgs& a) {
             return c10::IValue(at::gather(a.tensor(0), a.value(1).as_int(), a.tensor(2)));
           },
       .error_samples =
           [] {
             const DType f32 = DType::Float32;
             return std::vector<ErrorSample>{
                 {{{make_tensor({3, 4}, f32), 1, indices({1, 2}, f32).reshape({2, 1})}},
                  "gather(): Expected dtype int32/int64 for index"},
                 {{{make_tensor({3, 4}, f32), 1, indices({1, 2})}},
                  "Index tensor must have the same number of dimensions as input tensor"},
                 {{{make_tensor({3, 2}, f32), 0,
                    indices({0, 0, 0, 0, 0, 0, 0, 0, 0}).reshape({3, 3})}},
                  "Size does not match at dimension 1 expected index [3, 3] to be no larger than "
                  "self [3, 2] apart from dimension 0"},
                 {{{make_tensor({3, 4}, f32), 2, indices({1}).reshape({1, 1})}},
                  "dimension out of range (expected to be in range of [-2, 1], but got 2)"},
             };
           }});

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::embedding),
       .dtypes = all_dtypes(),
       .samples =
           [](DType dtype) {
             return std::vector<Sample>{
                 {{make_tensor({5, 3}, dtype), indices({1, 2, 4, 4}).reshape({2, 2})}},
                 {{make_tensor({5, 3}, dtype), indices({0, 3, 1}, DType::Int32)},
                  {},
                  "int32 indices"},
                 {{make_tensor({5, 3}, dtype), indices({2}).reshape({})}, {}, "0-dim indices"},
                 {{make_tensor({5, 3}, dtype), indices({}).reshape({0, 2})}, {}, "size-0 indices"},
                 {{make_tensor({5, 3}, dtype), indices({0, 1}), 0}, {}, "padding_idx"},
                 {{make_tensor({5, 4}, dtype, kStrided), indices({3, 0})}, {}, "non-contiguous"},
             };
           },
       .reference =
           [](const RefArgs& a) {
             return c10::IValue(at::embedding(a.tensor(0), a.tensor(1), int_or(a, 2, -1)));
           },
       .error_samples =
           [] {
             const DType f32 = DType::Float32;
             return std::vector<ErrorSample>{
                 {{{make_tensor({5}, f32), indices({1})}}, "'weight' must be 2-D"},
                 {{{make_tensor({5, 3}, f32), indices({1}, DType::Float32)}},
                  "Expected tensor for argument #1 'indices' to have one of the following "
                  "scalar types: Long, Int"},
             };
           }});

  for (const LTorchId id : {LTorchId::triu, LTorchId::tril}) {
    const bool upper = id == LTorchId::triu;
    ops.push_back(
        {.symbol = ltorch_symbol(id),
         .dtypes = all_dtypes(),
         .samples =
             [](DType dtype) {
               return std::vector<Sample>{
                   {{make_tensor({4, 5}, dtype)}},
                   {{make_tensor({4, 5}, dtype), 1}, {}, "diagonal 1"},
                   {{make_tensor({4, 5}, dtype), -2}, {}, "diagonal -2"},
                   {{make_tensor({3, 4}, dtype), 10}, {}, "diagonal past the end"},
                   {{make_tensor({2, 3, 4}, dtype), -1}, {}, "batched"},
                   {{make_tensor({1, 1}, dtype)}, {}, "size-1"},
                   {{make_tensor({0, 3}, dtype)}, {}, "size-0"},
                   {{make_tensor({3, 4}, dtype, kStrided), 1}, {}, "non-contiguous"},
               };
             },
         .reference =
             [upper](const RefArgs& a) {
               const std::int64_t diagonal = int_or(a, 1, 0);
               return c10::IValue(upper ? at::triu(a.tensor(0), diagonal)
                                        : at::tril(a.tensor(0), diagonal));
             },
         .error_samples =
             [upper] {
               return std::vector<ErrorSample>{
                   {{{make_tensor({3}, DType::Float32)}},
                    str(upper ? "triu" : "tril", ": input tensor must have at least 2 dimensions")},
               };
             }});
  }
}

void add_creation_ops(std::vector<OpInfo>& ops) {
  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::full),
       .dtypes = all_dtypes(),
       .samples =
           [](DType dtype) {
             std::vector<Sample> out = {
                 {{Value::ints({2, 3}), fill_of(dtype)}, {{"dtype", dtype}}},
                 {{Value::ints({}), fill_of(dtype)}, {{"dtype", dtype}}, "0-dim"},
                 {{Value::ints({0, 3}), fill_of(dtype)}, {{"dtype", dtype}}, "size-0"},
                 {{Value::ints({4}), 2.7},
                  {{"dtype", dtype}, {"device", Device::cpu()}},
                  "float fill, device"},
                 {{Value::ints({2}), true}, {}, "bool fill: bool"},
                 {{Value::ints({2}), 3}, {}, "int fill: int64"},
                 {{Value::ints({2}), -1.5}, {}, "float fill: float32"},
             };
             if (is_floating(dtype)) {
               out.push_back({{Value::ints({3}), kInf}, {{"dtype", dtype}}, "inf"});
               out.push_back({{Value::ints({3}), kNaN}, {{"dtype", dtype}}, "nan"});
             } else if (dtype != DType::Bool) {
               out.push_back({{Value::ints({3}), -1}, {{"dtype", dtype}}, "-1 (wraps for uint8)"});
             }
             return out;
           },
       .reference =
           [](const RefArgs& a) {
             const std::vector<std::int64_t> size = a.ints(0);
             const at::Scalar fill = scalar_of(a.value(1));
             return created(a, [&](std::optional<at::ScalarType> dtype) {
               return at::full(size, fill, options_of(dtype));
             });
           },
       .error_samples =
           [] {
             return std::vector<ErrorSample>{
                 {{{Value::ints({-1, 2}), 1}},
                  "Trying to create tensor with negative dimension -1: [-1, 2]"},
                 {{{Value::ints({2}), 300}, {{"dtype", DType::UInt8}}},
                  "value 300 cannot be converted to type uint8 without overflow"},
                 {{{Value::ints({2}), kNaN}, {{"dtype", DType::Int32}}},
                  "cannot be converted to type int32 without overflow"},
                 {{{Value::ints({2}), 1e10}, {{"dtype", DType::Float16}}},
                  "cannot be converted to type float16 without overflow"},
                 {{{Value::ints({2}), "x"}}, "fill_value must be a number, got str"},
             };
           }});

  for (const LTorchId id : {LTorchId::zeros, LTorchId::ones}) {
    const double value = id == LTorchId::zeros ? 0.0 : 1.0;
    ops.push_back(
        {.symbol = ltorch_symbol(id),
         .dtypes = all_dtypes(),
         .samples =
             [](DType dtype) {
               return std::vector<Sample>{
                   {{Value::ints({2, 3})}, {{"dtype", dtype}}},
                   {{Value::ints({})}, {{"dtype", dtype}}, "0-dim"},
                   {{Value::ints({0, 3})}, {{"dtype", dtype}}, "size-0"},
                   {{3}, {{"dtype", dtype}, {"device", Device::cpu()}}, "int size, device"},
                   {{Value::ints({4})}, {}, "default dtype"},
               };
             },
         .reference =
             [value](const RefArgs& a) {
               const std::vector<std::int64_t> size = a.ints(0);
               return created(a, [&](std::optional<at::ScalarType> dtype) {
                 return at::full(size, value, options_of(dtype).dtype(dtype.value_or(at::kFloat)));
               });
             },
         .error_samples =
             [] {
               return std::vector<ErrorSample>{
                   {{{Value::ints({2, -3})}},
                    "Trying to create tensor with negative dimension -3: [2, -3]"},
               };
             }});
  }

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::arange),
       .dtypes = kArangeDtypes,
       .samples =
           [](DType dtype) {
             std::vector<Sample> out = {
                 {{0, 5}, {{"dtype", dtype}}},
                 {{1, 10, 3}, {{"dtype", dtype}}, "step 3"},
                 {{10, 0, -3}, {{"dtype", dtype}}, "negative step"},
                 {{0.5, 7.5, 1.5}, {{"dtype", dtype}}, "float bounds (truncated for integers)"},
                 {{4, 4}, {{"dtype", dtype}}, "empty"},
                 {{true, 3}, {{"dtype", dtype}, {"device", Device::cpu()}}, "bool start, device"},
                 {{-2, 5}, {}, "ints: int64"},
                 {{0, 1, 0.1}, {}, "a float: float32"},
                 {{-1.25, 40.0, 0.375}, {}, "float32 values"},
             };
             // Integer results truncate the step: 0.3 becomes 0, an error for int64
             // (see the error samples) and a constant for narrower integers.
             if (dtype != DType::Int64) {
               out.push_back({{0, 2, 0.3}, {{"dtype", dtype}}, "fractional step"});
             }
             return out;
           },
       .reference =
           [](const RefArgs& a) {
             const at::Scalar start = a.scalar(0), end = a.scalar(1);
             const at::Scalar step = a.size() > 2 ? a.scalar(2) : at::Scalar(1);
             return created(a, [&](std::optional<at::ScalarType> dtype) {
               return at::arange(start, end, step, options_of(dtype));
             });
           },
       .error_samples =
           [] {
             return std::vector<ErrorSample>{
                 {{{0, 3, 0}}, "step must be nonzero"},
                 {{{5, 3}}, "upper bound and lower bound inconsistent with step sign"},
                 {{{0, kInf}}, "unsupported range: 0 -> inf"},
                 {{{0, 3, 0.5}, {{"dtype", DType::Int64}}}, "step must be nonzero"},
                 {{{0, 3}, {{"dtype", DType::Bool}}}, "not implemented for 'Bool'"},
             };
           }});

  for (const LTorchId id : {LTorchId::new_full, LTorchId::new_zeros, LTorchId::new_ones}) {
    const bool full = id == LTorchId::new_full;
    const bool zeros = id == LTorchId::new_zeros;
    ops.push_back(
        {.symbol = ltorch_symbol(id),
         .dtypes = all_dtypes(),
         .samples =
             [full](DType dtype) {
               // new_full takes a fill value after the size.
               const auto args = [full, dtype](at::Tensor a, Shape size) {
                 std::vector<SampleArg> out = {std::move(a), Value::ints(size)};
                 if (full) out.emplace_back(fill_of(dtype));
                 return out;
               };
               return std::vector<Sample>{
                   {args(make_tensor({2, 3}, dtype), {4, 2})},
                   {args(make_tensor({2}, dtype), {}), {}, "0-dim result"},
                   {args(make_tensor({2}, dtype), {0, 3}), {}, "size-0"},
                   {args(make_tensor({2, 3}, DType::Float32), {3}), {{"dtype", dtype}}, "dtype="},
                   {args(make_tensor({2, 3}, dtype), {2, 2}),
                    {{"device", Device::cpu()}},
                    "device="},
               };
             },
         .reference =
             [full, zeros](const RefArgs& a) {
               const std::vector<std::int64_t> sizes = a.value(1).as_ints();
               return created(a, [&](std::optional<at::ScalarType> dtype) {
                 at::TensorOptions options = a.tensor(0).options();
                 if (dtype) options = options.dtype(*dtype);
                 if (full) return a.tensor(0).new_full(sizes, scalar_of(a.value(2)), options);
                 return zeros ? a.tensor(0).new_zeros(sizes, options)
                              : a.tensor(0).new_ones(sizes, options);
               });
             },
         .error_samples =
             [full] {
               std::vector<SampleArg> args = {make_tensor({2}, DType::Float32),
                                              Value::ints({2, -3})};
               if (full) args.emplace_back(1.0);
               return std::vector<ErrorSample>{
                   {{args}, "Trying to create tensor with negative dimension -3: [2, -3]"},
               };
             }});
  }

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::full_like),
       .dtypes = all_dtypes(),
       .samples =
           [](DType dtype) {
             return std::vector<Sample>{
                 {{make_tensor({2, 3}, dtype), fill_of(dtype)}},
                 {{make_tensor({}, dtype), fill_of(dtype)}, {}, "0-dim"},
                 {{make_tensor({0, 3}, dtype), fill_of(dtype)}, {}, "size-0"},
                 {{make_tensor({3, 4}, dtype, kStrided), fill_of(dtype)}, {}, "non-contiguous"},
                 {{make_tensor({2, 3}, dtype), 2.7}, {}, "float fill"},
                 {{make_tensor({2, 3}, dtype), true}, {{"dtype", DType::Int32}}, "dtype="},
                 {{make_tensor({2, 3}, DType::Int64), 1.5},
                  {{"dtype", dtype}},
                  "dtype= from int64"},
             };
           },
       .reference =
           [](const RefArgs& a) {
             const at::Scalar fill = scalar_of(a.value(1));
             return created(a, [&](std::optional<at::ScalarType> dtype) {
               return at::full_like(a.tensor(0), fill, options_of(dtype));
             });
           },
       .error_samples =
           [] {
             return std::vector<ErrorSample>{
                 {{{make_tensor({2}, DType::UInt8), 300}},
                  "cannot be converted to type uint8 without overflow"},
                 {{{make_tensor({2}, DType::Float32), 1e300}},
                  "cannot be converted to type float32 without overflow"},
             };
           }});

  for (const LTorchId id : {LTorchId::zeros_like, LTorchId::ones_like}) {
    const bool zeros = id == LTorchId::zeros_like;
    ops.push_back({.symbol = ltorch_symbol(id),
                   .dtypes = all_dtypes(),
                   .samples =
                       [](DType dtype) {
                         return std::vector<Sample>{
                             {{make_tensor({2, 3}, dtype)}},
                             {{make_tensor({}, dtype)}, {}, "0-dim"},
                             {{make_tensor({0, 3}, dtype)}, {}, "size-0"},
                             {{make_tensor({3, 4}, dtype, kStrided)}, {}, "non-contiguous"},
                             {{make_tensor({2, 3}, DType::Float32)}, {{"dtype", dtype}}, "dtype="},
                         };
                       },
                   .reference =
                       [zeros](const RefArgs& a) {
                         return created(a, [&](std::optional<at::ScalarType> dtype) {
                           return zeros ? at::zeros_like(a.tensor(0), options_of(dtype))
                                        : at::ones_like(a.tensor(0), options_of(dtype));
                         });
                       }});
  }
}

} // namespace

void add_shape_ops(std::vector<OpInfo>& ops) {
  add_reshaping_ops(ops);
  add_split_and_join_ops(ops);
  add_indexing_ops(ops);
  add_creation_ops(ops);
}

} // namespace thunder::opdb::detail
