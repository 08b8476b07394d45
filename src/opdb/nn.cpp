// Op database entries of the ltorch nn family (matrix products, attention, convolution,
// pooling and losses).
#include "families.h"

#include <ATen/ATen.h>

#include <cmath>
#include <limits>

namespace thunder::opdb::detail {

using ltorch::LTorchId;

namespace {

const double kInf = std::numeric_limits<double>::infinity();
const double kNaN = std::nan("");
const TensorOptions kStrided{.noncontiguous = true};

Value ints(const std::vector<std::int64_t>& values) {
  return Value::ints(values);
}

// Positional argument i of the reference if the sample passes it (and it is not None).
std::optional<at::Tensor> optional_tensor(const RefArgs& a, std::size_t i) {
  if (a.size() > i && a.is_tensor(i)) return a.tensor(i);
  return std::nullopt;
}
std::vector<std::int64_t> ints_or(const RefArgs& a, std::size_t i,
                                  std::vector<std::int64_t> fallback) {
  return a.size() > i ? a.ints(i) : fallback;
}
std::int64_t int_or(const RefArgs& a, std::size_t i, std::int64_t fallback) {
  return a.size() > i ? a.value(i).as_int() : fallback;
}
bool bool_or(const RefArgs& a, std::size_t i, bool fallback) {
  return a.size() > i ? a.value(i).as_bool() : fallback;
}
double float_or(const RefArgs& a, std::size_t i, double fallback) {
  return a.size() > i ? a.value(i).as_float() : fallback;
}
at::Scalar scalar_kwarg(const RefArgs& a, std::string_view name) {
  const std::optional<SampleArg> given = a.kwarg(name);
  if (!given) return 1;
  const Value& v = given->value();
  if (v.kind() == ValueKind::Float) return v.as_float();
  if (v.kind() == ValueKind::Bool) return v.as_bool();
  return v.as_int();
}

// A tensor filled with one value.
at::Tensor filled(const Shape& shape, double value, DType dtype) {
  return at::full(shape, value, at::TensorOptions().dtype(to_scalar_type(dtype)));
}

// Class indices in [0, classes).
at::Tensor classes_of(const Shape& shape, std::int64_t classes, DType dtype = DType::Int64) {
  return make_tensor(shape, dtype, {.low = 0, .high = static_cast<double>(classes - 1)});
}

// Rows of class probabilities along dim 1 (or 0 for a 1-D shape).
at::Tensor probabilities(const Shape& shape, DType dtype) {
  const at::Tensor t = make_tensor(shape, DType::Float64, {.low = 0.0, .high = 1.0});
  return (t / t.sum(shape.size() == 1 ? 0 : 1, /*keepdim=*/true)).to(to_scalar_type(dtype));
}

// A float tensor of the shape holding edge values (inf, -inf, nan, large, tiny ...) and
// ordinary ones.
at::Tensor with_edge_values(const Shape& shape, DType dtype) {
  at::Tensor t = make_tensor(shape, dtype).flatten().clone();
  const at::Tensor edges = edge_values(dtype);
  const std::int64_t n = std::min<std::int64_t>(t.numel(), edges.numel());
  // Every third element, so that windows see edge values next to ordinary ones.
  for (std::int64_t i = 0; i < n && 3 * i < t.numel(); ++i)
    t[3 * i] = edges[i];
  return t.reshape(shape);
}

// A dilation for conv samples: torch's CPU kernels dilate only floating and int64
// convolutions ("slow_conv_dilated<>" not implemented for the smaller integers), so those
// take dilation 1 (the decomposition dilates every dtype).
Value dilation_for(DType dtype, const std::vector<std::int64_t>& dilation) {
  if (is_floating(dtype) || dtype == DType::Int64) return Value::ints(dilation);
  return Value::ints(std::vector<std::int64_t>(dilation.size(), 1));
}

const std::vector<DType> kNumeric = {DType::Float32, DType::Float16, DType::BFloat16,
                                     DType::Float64, DType::Int64,   DType::Int32,
                                     DType::Int16,   DType::Int8,    DType::UInt8};

} // namespace

void add_nn_ops(std::vector<OpInfo>& ops) {
  const std::vector<DType> matmul_dtypes = {DType::Float32, DType::Float16, DType::BFloat16,
                                            DType::Float64, DType::Int64};
  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::matmul),
       .dtypes = matmul_dtypes,
       .samples =
           [](DType dtype) {
             const TensorOptions strided{.noncontiguous = true};
             return std::vector<Sample>{
                 {{make_tensor({5}, dtype), make_tensor({5}, dtype)}, {}, "1-D @ 1-D"},
                 {{make_tensor({5}, dtype), make_tensor({5, 3}, dtype)}, {}, "1-D @ 2-D"},
                 {{make_tensor({4, 5}, dtype), make_tensor({5}, dtype)}, {}, "2-D @ 1-D"},
                 {{make_tensor({4, 5}, dtype), make_tensor({5, 3}, dtype)}},
                 {{make_tensor({2, 1, 4, 5}, dtype), make_tensor({3, 5, 6}, dtype)},
                  {},
                  "batch broadcast"},
                 {{make_tensor({4, 5}, dtype, strided), make_tensor({5, 3}, dtype)},
                  {},
                  "non-contiguous"},
                 {{make_tensor({0, 5}, dtype), make_tensor({5, 3}, dtype)}, {}, "size-0"},
                 {{make_tensor({4, 0}, dtype), make_tensor({0, 3}, dtype)}, {}, "empty inner dim"},
             };
           },
       .reference =
           [](const RefArgs& a) { return c10::IValue(at::matmul(a.tensor(0), a.tensor(1))); },
       .error_samples =
           [] {
             return std::vector<ErrorSample>{
                 {{{make_tensor({8, 64}, DType::Float32), make_tensor({32, 64}, DType::Float32)}},
                  "ltorch.matmul: shapes [8, 64] and [32, 64] cannot be multiplied (64 != 32)"},
                 {{{make_tensor({}, DType::Float32), make_tensor({3}, DType::Float32)}},
                  "both arguments to matmul need to be at least 1D"},
             };
           }});

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::linear),
       .dtypes = floating_dtypes(),
       .samples =
           [](DType dtype) {
             return std::vector<Sample>{
                 {{make_tensor({4, 5}, dtype), make_tensor({3, 5}, dtype)}, {}, "no bias"},
                 {{make_tensor({4, 5}, dtype), make_tensor({3, 5}, dtype),
                   make_tensor({3}, dtype)}},
                 {{make_tensor({2, 4, 5}, dtype), make_tensor({3, 5}, dtype),
                   make_tensor({3}, dtype)},
                  {},
                  "3-D input"},
                 {{make_tensor({5}, dtype), make_tensor({3, 5}, dtype), make_tensor({1}, dtype)},
                  {},
                  "1-D input, broadcast bias"},
                 {{make_tensor({0, 5}, dtype), make_tensor({3, 5}, dtype)}, {}, "size-0"},
             };
           },
       .reference =
           [](const RefArgs& a) {
             std::optional<at::Tensor> bias;
             if (a.size() > 2 && a.is_tensor(2)) bias = a.tensor(2);
             return c10::IValue(at::linear(a.tensor(0), a.tensor(1), bias));
           },
       .error_samples =
           [] {
             return std::vector<ErrorSample>{
                 {{{make_tensor({4, 5}, DType::Float32), make_tensor({3, 6}, DType::Float32)}},
                  "cannot be multiplied (5 != 6)"},
             };
           }});

  const DType f32 = DType::Float32;
  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::mm),
       .dtypes = kNumeric,
       .samples =
           [](DType dtype) {
             std::vector<Sample> out = {
                 {{make_tensor({4, 5}, dtype), make_tensor({5, 3}, dtype)}},
                 {{make_tensor({1, 5}, dtype), make_tensor({5, 1}, dtype)}, {}, "size-1"},
                 {{make_tensor({0, 5}, dtype), make_tensor({5, 3}, dtype)}, {}, "size-0"},
                 {{make_tensor({4, 0}, dtype), make_tensor({0, 3}, dtype)}, {}, "empty inner dim"},
                 {{make_tensor({4, 5}, dtype, kStrided), make_tensor({3, 5}, dtype).t()},
                  {},
                  "non-contiguous, transposed"},
             };
             if (is_floating(dtype)) {
               out.push_back({{with_edge_values({3, 4}, dtype), make_tensor({4, 2}, dtype)},
                              {},
                              "edge values"});
             }
             return out;
           },
       .reference = [](const RefArgs& a) { return c10::IValue(at::mm(a.tensor(0), a.tensor(1))); },
       .error_samples =
           [f32] {
             return std::vector<ErrorSample>{
                 {{{make_tensor({3}, f32), make_tensor({3, 4}, f32)}}, "self must be a matrix"},
                 {{{make_tensor({2, 3}, f32), make_tensor({3, 4, 1}, f32)}},
                  "mat2 must be a matrix"},
                 {{{make_tensor({2, 3}, f32), make_tensor({4, 5}, f32)}},
                  "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"},
                 {{{make_tensor({2, 3}, f32), make_tensor({3, 4}, DType::Float64)}},
                  "expected m1 and m2 to have the same dtype, but got: float32 != float64"},
                 {{{make_tensor({2, 3}, DType::Bool), make_tensor({3, 4}, DType::Bool)}},
                  "not implemented for bool tensors"},
             };
           }});

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::bmm),
       .dtypes = kNumeric,
       .samples =
           [](DType dtype) {
             return std::vector<Sample>{
                 {{make_tensor({2, 4, 5}, dtype), make_tensor({2, 5, 3}, dtype)}},
                 {{make_tensor({1, 1, 5}, dtype), make_tensor({1, 5, 1}, dtype)}, {}, "size-1"},
                 {{make_tensor({0, 4, 5}, dtype), make_tensor({0, 5, 3}, dtype)},
                  {},
                  "empty batch"},
                 {{make_tensor({2, 0, 5}, dtype), make_tensor({2, 5, 3}, dtype)}, {}, "size-0"},
                 {{make_tensor({2, 4, 0}, dtype), make_tensor({2, 0, 3}, dtype)},
                  {},
                  "empty inner dim"},
                 {{make_tensor({3, 4, 5}, dtype, kStrided),
                   make_tensor({3, 2, 5}, dtype).transpose(1, 2)},
                  {},
                  "non-contiguous, transposed"},
             };
           },
       .reference = [](const RefArgs& a) { return c10::IValue(at::bmm(a.tensor(0), a.tensor(1))); },
       .error_samples =
           [f32] {
             return std::vector<ErrorSample>{
                 {{{make_tensor({2, 3}, f32), make_tensor({3, 4}, f32)}},
                  "batch1 must be a 3D tensor"},
                 {{{make_tensor({2, 2, 3}, f32), make_tensor({3, 4}, f32)}},
                  "batch2 must be a 3D tensor"},
                 {{{make_tensor({2, 2, 3}, f32), make_tensor({3, 3, 4}, f32)}},
                  "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: "
                  "[3, 3]."},
                 {{{make_tensor({2, 2, 3}, f32), make_tensor({2, 4, 4}, f32)}},
                  "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: "
                  "[2, 4]."},
                 {{{make_tensor({2, 2, 3}, f32), make_tensor({2, 3, 4}, DType::Float64)}},
                  "expected scalar type float32 but found float64"},
             };
           }});

  // beta and alpha of the dtype's kind; integer tensors also take a float one (truncated).
  const auto addmm_samples = [](DType dtype, const Shape& m1, const Shape& m2, const Shape& out) {
    const Shape& batch_free = out;
    const bool floating = is_floating(dtype);
    const Value beta = floating ? Value(0.5) : Value(2);
    const Value alpha = floating ? Value(-1.5) : Value(3);
    Shape row = {batch_free.back()};
    std::vector<Sample> samples = {
        {{make_tensor(out, dtype), make_tensor(m1, dtype), make_tensor(m2, dtype)}},
        {{make_tensor(row, dtype), make_tensor(m1, dtype), make_tensor(m2, dtype)},
         {},
         "broadcast self"},
        {{make_tensor({}, dtype), make_tensor(m1, dtype), make_tensor(m2, dtype)},
         {{"beta", beta}, {"alpha", alpha}},
         "0-dim self, beta and alpha"},
        {{make_tensor(out, dtype), make_tensor(m1, dtype, kStrided), make_tensor(m2, dtype)},
         {{"alpha", alpha}},
         "non-contiguous"},
    };
    Shape empty_inner_1 = m1, empty_inner_2 = m2;
    empty_inner_1.back() = 0;
    empty_inner_2[m2.size() - 2] = 0;
    samples.push_back({{make_tensor(out, dtype), make_tensor(empty_inner_1, dtype),
                        make_tensor(empty_inner_2, dtype)},
                       {{"beta", beta}},
                       "empty inner dim"});
    Shape empty_out = out, empty_m1 = m1;
    empty_out[empty_out.size() - 2] = 0;
    empty_m1[m1.size() - 2] = 0;
    samples.push_back(
        {{make_tensor(row, dtype), make_tensor(empty_m1, dtype), make_tensor(m2, dtype)},
         {},
         "size-0"});
    if (floating) {
      samples.push_back({{filled(out, kNaN, dtype), make_tensor(m1, dtype), make_tensor(m2, dtype)},
                         {{"beta", 0.0}},
                         "beta=0 ignores a nan self"});
      samples.push_back({{filled(row, kInf, dtype), make_tensor(m1, dtype), make_tensor(m2, dtype)},
                         {{"beta", 0}, {"alpha", 2}},
                         "beta=0 ignores an inf self"});
    } else {
      samples.push_back({{make_tensor(out, dtype), make_tensor(m1, dtype), make_tensor(m2, dtype)},
                         {{"beta", 2.7}, {"alpha", 1.9}},
                         "float beta and alpha truncated"});
    }
    return samples;
  };

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::addmm),
       .dtypes = kNumeric,
       .samples =
           [addmm_samples](DType dtype) {
             return addmm_samples(dtype, {4, 5}, {5, 3}, {4, 3});
           },
       .reference =
           [](const RefArgs& a) {
             return c10::IValue(at::addmm(a.tensor(0), a.tensor(1), a.tensor(2),
                                          scalar_kwarg(a, "beta"), scalar_kwarg(a, "alpha")));
           },
       .error_samples =
           [f32] {
             return std::vector<ErrorSample>{
                 {{{make_tensor({2, 4}, f32), make_tensor({2, 3, 1}, f32),
                    make_tensor({3, 4}, f32)}},
                  "mat1 must be a matrix, got 3-D tensor"},
                 {{{make_tensor({2, 4}, f32), make_tensor({2, 3}, f32), make_tensor({4, 4}, f32)}},
                  "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x4)"},
                 {{{make_tensor({2, 4}, DType::Float64), make_tensor({2, 3}, f32),
                    make_tensor({3, 4}, f32)}},
                  "self and mat2 must have the same dtype, but got float64 and float32"},
                 {{{make_tensor({2, 4}, f32), make_tensor({2, 3}, DType::Float64),
                    make_tensor({3, 4}, f32)}},
                  "mat1 and mat2 must have the same dtype, but got float64 and float32"},
                 {{{make_tensor({2, 3}, f32), make_tensor({2, 3}, f32), make_tensor({3, 4}, f32)}},
                  "The expanded size of the tensor (4) must match the existing size (3) at "
                  "non-singleton dimension 1.  Target sizes: [2, 4].  Tensor sizes: [2, 3]"},
                 {{{make_tensor({3, 2, 4}, f32), make_tensor({2, 3}, f32),
                    make_tensor({3, 4}, f32)}},
                  "the number of sizes provided (2) must be greater or equal to the number of "
                  "dimensions in the tensor (3)"},
             };
           }});

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::baddbmm),
       .dtypes = kNumeric,
       .samples =
           [addmm_samples](DType dtype) {
             std::vector<Sample> out = addmm_samples(dtype, {2, 4, 5}, {2, 5, 3}, {2, 4, 3});
             out.push_back({{make_tensor({1, 4, 1}, dtype), make_tensor({0, 4, 5}, dtype),
                             make_tensor({0, 5, 3}, dtype)},
                            {},
                            "empty batch"});
             return out;
           },
       .reference =
           [](const RefArgs& a) {
             return c10::IValue(at::baddbmm(a.tensor(0), a.tensor(1), a.tensor(2),
                                            scalar_kwarg(a, "beta"), scalar_kwarg(a, "alpha")));
           },
       .error_samples =
           [f32] {
             return std::vector<ErrorSample>{
                 {{{make_tensor({2, 2, 4}, f32), make_tensor({2, 3}, f32),
                    make_tensor({2, 3, 4}, f32)}},
                  "batch1 must be a 3D tensor"},
                 {{{make_tensor({2, 2, 4}, f32), make_tensor({2, 2, 3}, f32),
                    make_tensor({3, 3, 4}, f32)}},
                  "Expected size for first two dimensions of batch2 tensor to be: [2, 3] but got: "
                  "[3, 3]."},
                 {{{make_tensor({2, 2, 4}, DType::Float64), make_tensor({2, 2, 3}, f32),
                    make_tensor({2, 3, 4}, f32)}},
                  "Input dtypes must be the same, got: input float64, batch1: float32, batch2: "
                  "float32"},
                 {{{make_tensor({3, 2, 4}, f32), make_tensor({2, 2, 3}, f32),
                    make_tensor({2, 3, 4}, f32)}},
                  "The expanded size of the tensor (2) must match the existing size (3) at "
                  "non-singleton dimension 0"},
             };
           }});

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::scaled_dot_product_attention),
       .dtypes = floating_dtypes(),
       .samples =
           [](DType dtype) {
             const auto t = [dtype](const Shape& shape) { return make_tensor(shape, dtype); };
             // Row 1 fully masked: torch gives zeros there.
             at::Tensor keep = make_tensor({4, 5}, DType::Bool);
             keep[1] = false;
             keep[0][0] = true;
             at::Tensor additive = make_tensor({2, 1, 4, 5}, DType::Float32);
             additive[0][0][2] = -kInf;
             additive[1][0][3][1] = -kInf;
             const Value none;
             return std::vector<Sample>{
                 {{t({2, 3, 4, 8}), t({2, 3, 5, 8}), t({2, 3, 5, 6})}},
                 {{t({3, 4, 8}), t({3, 5, 8}), t({3, 5, 6})}, {{"scale", 0.3}}, "scale"},
                 {{t({4, 8}), t({5, 8}), t({5, 6})}, {{"scale", -2}}, "2-D, negative scale"},
                 {{t({2, 1, 4, 8}), t({3, 5, 8}), t({1, 5, 6})}, {}, "batch broadcast"},
                 {{t({2, 3, 4, 8}), t({2, 3, 5, 8}), t({2, 3, 5, 6}), keep},
                  {},
                  "boolean mask, a fully masked row"},
                 {{t({2, 3, 4, 8}), t({2, 3, 5, 8}), t({2, 3, 5, 6}), additive},
                  {},
                  "float32 additive mask with -inf rows"},
                 {{t({3, 4, 8}), t({3, 5, 8}), t({3, 5, 6}), t({4, 5})}, {}, "mask of the dtype"},
                 {{t({2, 3, 4, 8}), t({2, 3, 6, 8}), t({2, 3, 6, 6}), none, 0.0, true},
                  {},
                  "causal, L < S"},
                 {{t({6, 8}), t({3, 8}), t({3, 5}), none, 0.0, true}, {}, "causal, L > S"},
                 {{t({1, 6, 4, 8}), t({1, 3, 5, 8}), t({1, 2, 5, 6})},
                  {{"enable_gqa", true}},
                  "grouped query attention"},
                 {{t({2, 3, 0, 8}), t({2, 3, 5, 8}), t({2, 3, 5, 6})}, {}, "no queries"},
                 {{t({2, 3, 4, 8}), t({2, 3, 0, 8}), t({2, 3, 0, 6})}, {}, "no keys"},
                 {{t({0, 3, 4, 8}), t({0, 3, 5, 8}), t({0, 3, 5, 6})}, {}, "empty batch"},
                 {{t({3, 4, 1}), t({3, 5, 1}), t({3, 5, 1})}, {}, "size-1 embedding"},
                 {{make_tensor({2, 4, 8}, dtype, kStrided), t({2, 8, 5}).transpose(1, 2),
                   t({2, 5, 6})},
                  {{"scale", 0.5}},
                  "non-contiguous"},
                 {{t({3, 4, 8}), t({3, 5, 8}), t({3, 5, 6}), none, -0.5},
                  {},
                  "negative dropout_p is no dropout"},
             };
           },
       .reference =
           [](const RefArgs& a) {
             std::optional<double> scale;
             if (const std::optional<SampleArg> s = a.kwarg("scale")) scale = s->value().as_float();
             const std::optional<SampleArg> gqa = a.kwarg("enable_gqa");
             return c10::IValue(at::scaled_dot_product_attention(
                 a.tensor(0), a.tensor(1), a.tensor(2), optional_tensor(a, 3), float_or(a, 4, 0.0),
                 bool_or(a, 5, false), scale, gqa && gqa->value().as_bool()));
           },
       .error_samples =
           [] {
             const auto t = [](const Shape& shape, DType dtype = DType::Float32) {
               return make_tensor(shape, dtype);
             };
             const Value none;
             return std::vector<ErrorSample>{
                 {{{t({3, 4, 8}), t({3, 5, 8}, DType::Float64), t({3, 5, 6})}},
                  "Expected query, key, and value to have the same dtype, but got query.dtype: "
                  "float32 key.dtype: float64 and value.dtype: float32 instead."},
                 {{{t({8}), t({8}), t({8})}},
                  "Expected query, key, and value to all be at least 2 dimensional"},
                 {{{t({3, 4, 8}, DType::Int64), t({3, 5, 8}, DType::Int64),
                    t({3, 5, 6}, DType::Int64)}},
                  "expected query, key and value to be floating point tensors, got int64"},
                 {{{t({3, 4, 8}), t({3, 5, 8}), t({3, 5, 6}), t({4, 5}, DType::Int64)}},
                  "Expected attn_mask dtype to be bool or float or to match query dtype, but got "
                  "attn_mask.dtype: int64 and query.dtype: float32 instead."},
                 {{{t({3, 4, 8}), t({3, 5, 8}), t({3, 5, 6}), t({4, 5}, DType::Bool), 0.0, true}},
                  "Explicit attn_mask should not be set when is_causal=True"},
                 {{{t({3, 4, 8}), t({3, 5, 8}), t({3, 5, 6}), none, 1.5}},
                  "dropout probability has to be between 0 and 1, but got 1.5"},
                 {{{t({3, 4, 8}), t({3, 5, 8}), t({3, 5, 6}), none, 0.5}},
                  "dropout_p=0.5 is not supported yet"},
                 {{{t({3, 4, 8}), t({3, 5, 7}), t({3, 5, 6})}},
                  "must have the same embedding dim (8 != 7)"},
                 {{{t({3, 4, 8}), t({3, 6, 8}), t({3, 5, 6})}},
                  "must have the same sequence length (6 != 5)"},
                 {{{t({2, 6, 4, 8}), t({2, 4, 5, 8}), t({2, 4, 5, 6})}, {{"enable_gqa", true}}},
                  "Number of heads in key and value must divide the number of heads in query"},
                 {{{t({2, 6, 4, 8}), t({2, 3, 5, 8}), t({2, 3, 5, 6})}},
                  "batch dims of query [2, 6, 4, 8] and key [2, 3, 5, 8] cannot be broadcast"},
                 {{{t({4, 8}), t({5, 8}), t({5, 6}), t({2, 4, 5}, DType::Bool)}},
                  "attn_mask of shape [2, 4, 5] does not broadcast to the attention weights' shape "
                  "[4, 5]"},
             };
           }});

  // conv1d and conv2d: ints or a padding string; the reference picks the overload.
  const auto conv_reference = [](std::size_t spatial) {
    return [spatial](const RefArgs& a) {
      const std::vector<std::int64_t> ones(spatial, 1), zeros(spatial, 0);
      const at::Tensor& input = a.tensor(0);
      const at::Tensor& weight = a.tensor(1);
      const std::optional<at::Tensor> bias = optional_tensor(a, 2);
      const std::vector<std::int64_t> stride = ints_or(a, 3, ones);
      const std::vector<std::int64_t> dilation = ints_or(a, 5, ones);
      const std::int64_t groups = int_or(a, 6, 1);
      if (a.size() > 4 && a.value(4).kind() == ValueKind::String) {
        const std::string& padding = a.value(4).as_string();
        return c10::IValue(
            spatial == 1 ? at::conv1d(input, weight, bias, stride, padding, dilation, groups)
                         : at::conv2d(input, weight, bias, stride, padding, dilation, groups));
      }
      const std::vector<std::int64_t> padding = ints_or(a, 4, zeros);
      return c10::IValue(spatial == 1
                             ? at::conv1d(input, weight, bias, stride, padding, dilation, groups)
                             : at::conv2d(input, weight, bias, stride, padding, dilation, groups));
    };
  };
  const std::vector<DType> conv_dtypes = kNumeric;

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::conv2d),
       .dtypes = conv_dtypes,
       .samples =
           [](DType dtype) {
             const auto t = [dtype](const Shape& shape) { return make_tensor(shape, dtype); };
             const auto dilated = [dtype](const std::vector<std::int64_t>& d) {
               return dilation_for(dtype, d);
             };
             const Value none;
             std::vector<Sample> out = {
                 {{t({2, 3, 7, 6}), t({4, 3, 3, 3}), t({4})}},
                 {{t({2, 3, 7, 6}), t({4, 3, 3, 3})}, {}, "no bias"},
                 {{t({1, 3, 9, 8}), t({5, 3, 3, 2}), t({5}), 2, ints({1, 2}), dilated({2, 1})},
                  {},
                  "stride, padding, dilation"},
                 {{t({1, 4, 6, 6}), t({6, 2, 3, 3}), t({6}), ints({1}), ints({1}), ints({1}), 2},
                  {},
                  "groups"},
                 {{t({2, 4, 5, 5}), t({8, 1, 3, 3}), none, 1, 1, 1, 4}, {}, "depthwise"},
                 {{t({3, 6, 6}), t({2, 3, 3, 3}), t({2}), 1, 1}, {}, "unbatched"},
                 {{t({2, 3, 6, 7}), t({4, 3, 4, 2}), t({4}), ints({1}), "same", dilated({1, 2})},
                  {},
                  "padding='same', even kernel"},
                 {{t({1, 3, 5, 5}), t({2, 3, 3, 3}), none, 1, "valid"}, {}, "padding='valid'"},
                 {{t({0, 3, 5, 5}), t({4, 3, 3, 3}), t({4})}, {}, "empty batch"},
                 {{t({2, 5, 4, 4}), t({3, 5, 1, 1})}, {}, "1x1 kernel"},
                 {{make_tensor({2, 3, 6, 6}, dtype, kStrided), t({4, 3, 3, 3}), t({4}), 1, 1},
                  {},
                  "non-contiguous"},
                 {{t({1, 2, 9, 9}), t({3, 2, 2, 2}), none, 3}, {}, "stride larger than the kernel"},
             };
             if (is_floating(dtype)) {
               at::Tensor x = make_tensor({1, 2, 6, 6}, dtype);
               x[0][0][1][2] = kInf;
               x[0][1][4][4] = -kInf;
               x[0][0][5][0] = kNaN;
               out.push_back({{x, t({2, 2, 3, 3}), t({2}), 1, 1}, {}, "inf and nan"});
             }
             return out;
           },
       .reference = conv_reference(2),
       .error_samples =
           [] {
             const auto t = [](const Shape& shape, DType dtype = DType::Float32) {
               return make_tensor(shape, dtype);
             };
             const Value none;
             return std::vector<ErrorSample>{
                 {{{t({5, 5}), t({8, 3, 3, 3})}},
                  "Expected 3D (unbatched) or 4D (batched) input to conv2d, but got input of size: "
                  "[5, 5]"},
                 {{{t({1, 3, 5, 5}), t({8, 3, 3})}}, "Expected 4-dimensional weight for conv2d"},
                 {{{t({1, 4, 5, 5}), t({8, 3, 3, 3})}},
                  "Given groups=1, weight of size [8, 3, 3, 3], expected input[1, 4, 5, 5] to have "
                  "3 "
                  "channels, but got 4 channels instead"},
                 {{{t({1, 4, 5, 5}), t({3, 2, 3, 3}), none, 1, 0, 1, 2}},
                  "Given groups=2, expected weight to be divisible by 2 at dimension 0, but got "
                  "weight of size [3, 2, 3, 3] instead"},
                 {{{t({1, 3, 5, 5}), t({3, 1, 3, 3}), none, 1, 0, 1, 4}},
                  "Given groups=4, expected weight to be at least 4 at dimension 0"},
                 {{{t({1, 3, 2, 2}), t({8, 3, 3, 3})}},
                  "Calculated padded input size per channel: (2 x 2). Kernel size: (3 x 3). Kernel "
                  "size can't be greater than actual input size"},
                 {{{t({1, 3, 5, 5}), t({8, 3, 3, 3}), none, 0}},
                  "non-positive stride is not supported"},
                 {{{t({1, 3, 5, 5}), t({8, 3, 3, 3}), none, 1, -1}},
                  "negative padding is not supported"},
                 {{{t({1, 3, 5, 5}), t({8, 3, 3, 3}), none, 1, 0, 0}},
                  "dilation should be greater than zero, but got [0, 0]"},
                 {{{t({1, 3, 5, 5}), t({8, 3, 3, 3}), none, 1, 0, 1, 0}},
                  "non-positive groups is not supported"},
                 {{{t({1, 3, 5, 5}), t({8, 3, 3, 3}), t({4})}},
                  "Given weight of size [8, 3, 3, 3], expected bias to be 1-dimensional with 8 "
                  "elements, but got bias of size [4] instead"},
                 {{{t({1, 3, 5, 5}), t({8, 3, 3, 3}), none, 2, "same"}},
                  "padding='same' is not supported for strided convolutions"},
                 {{{t({1, 3, 5, 5}), t({8, 3, 3, 3}), none, 1, "foo"}},
                  "Invalid padding string: 'foo'"},
                 {{{t({1, 3, 5, 5}), t({8, 3, 3, 3}), none, ints({1, 2, 3})}},
                  "expected stride to be a single integer value or a list of 2 values to match the "
                  "convolution dimensions, but got stride=[1, 2, 3]"},
                 {{{t({1, 3, 5, 5}), t({8, 3, 3, 3}, DType::Float64)}},
                  "Input type (float32) and weight type (float64) should be the same"},
                 {{{t({1, 3, 5, 5}), t({8, 3, 3, 3}), t({8}, DType::Float64)}},
                  "Input type (float32) and bias type (float64) should be the same"},
                 {{{t({1, 3, 0, 5}), t({8, 3, 3, 3}), none, 1, 2}},
                  "Only zero batch or zero channel inputs are supported, but got input shape: [1, "
                  "3, "
                  "0, 5]"},
                 {{{t({1, 3, 5, 5}), t({8, 3, 0, 3})}}, "kernel size should be greater than zero"},
                 {{{t({1, 3, 5, 5}, DType::Bool), t({8, 3, 3, 3}, DType::Bool)}},
                  "not implemented for bool tensors"},
             };
           }});

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::conv1d),
       .dtypes = conv_dtypes,
       .samples =
           [](DType dtype) {
             const auto t = [dtype](const Shape& shape) { return make_tensor(shape, dtype); };
             const auto dilated = [dtype](const std::vector<std::int64_t>& d) {
               return dilation_for(dtype, d);
             };
             const Value none;
             std::vector<Sample> out = {
                 {{t({2, 3, 9}), t({4, 3, 3}), t({4})}},
                 {{t({2, 3, 9}), t({4, 3, 3}), none, 2, 1, dilated({2})},
                  {},
                  "stride, padding, dilation"},
                 {{t({1, 6, 8}), t({6, 2, 3}), t({6}), 1, 0, 1, 3}, {}, "groups"},
                 {{t({3, 8}), t({2, 3, 3}), t({2})}, {}, "unbatched"},
                 {{t({2, 3, 7}), t({4, 3, 4}), t({4}), 1, "same"},
                  {},
                  "padding='same', even kernel"},
                 {{t({2, 3, 7}), t({4, 3, 4}), t({4}), 1, "valid"}, {}, "padding='valid'"},
                 {{t({0, 3, 7}), t({4, 3, 3})}, {}, "empty batch"},
                 {{make_tensor({2, 3, 7}, dtype, kStrided), t({4, 3, 2}), t({4}), ints({1}),
                   ints({1})},
                  {},
                  "non-contiguous"},
             };
             if (is_floating(dtype)) {
               at::Tensor x = make_tensor({1, 2, 9}, dtype);
               x[0][0][1] = kInf;
               x[0][1][6] = -kInf;
               x[0][0][8] = kNaN;
               out.push_back({{x, t({2, 2, 3}), t({2})}, {}, "inf and nan"});
             }
             return out;
           },
       .reference = conv_reference(1),
       .error_samples =
           [] {
             const auto t = [](const Shape& shape) { return make_tensor(shape, DType::Float32); };
             const Value none;
             return std::vector<ErrorSample>{
                 {{{t({5}), t({8, 3, 3})}},
                  "Expected 2D (unbatched) or 3D (batched) input to conv1d, but got input of size: "
                  "[5]"},
                 {{{t({1, 3, 5}), t({8, 3, 3}), none, ints({1, 1})}},
                  "expected stride to be a single integer value or a list of 1 values to match the "
                  "convolution dimensions, but got stride=[1, 1]"},
                 {{{t({1, 3, 2}), t({8, 3, 3})}},
                  "Calculated padded input size per channel: (2). Kernel size: (3). Kernel size "
                  "can't be greater than actual input size"},
             };
           }});

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::max_pool2d),
       .dtypes = kNumeric,
       .samples =
           [](DType dtype) {
             const auto t = [dtype](const Shape& shape) { return make_tensor(shape, dtype); };
             const Value empty = ints({});
             std::vector<Sample> out = {
                 {{t({2, 3, 6, 6}), 2}},
                 {{t({2, 3, 7, 6}), ints({3}), ints({2}), ints({1})}, {}, "padding"},
                 {{t({1, 2, 5, 5}), 2, empty, 0, 1, true}, {}, "ceil_mode, a window over the edge"},
                 {{t({1, 2, 6, 6}), 3, 2, 1, 1, true}, {}, "ceil_mode with padding"},
                 {{t({1, 2, 2, 2}), 3, 2, 1, 1, true}, {}, "ceil_mode, tiny input"},
                 {{t({1, 2, 5, 5}), 3, 2, 1, 1, true}, {}, "ceil_mode, no extra window"},
                 {{t({1, 2, 8, 9}), 3, 1, 1, 2}, {}, "dilation"},
                 {{t({2, 7, 5}), ints({2, 3}), ints({1, 2}), ints({1, 0})},
                  {},
                  "unbatched, asymmetric"},
                 {{t({0, 2, 4, 4}), 2}, {}, "empty batch"},
                 {{make_tensor({2, 3, 6, 6}, dtype, kStrided), 2, 1}, {}, "non-contiguous"},
                 {{make_tensor({1, 2, 5, 5}, dtype, {.low = -3.0, .high = -1.0}), 3, 1, 1},
                  {},
                  "negative values next to the padding"},
             };
             if (is_floating(dtype)) {
               out.push_back({{with_edge_values({1, 2, 5, 6}, dtype), 2, 1}, {}, "edge values"});
             }
             return out;
           },
       .reference =
           [](const RefArgs& a) {
             return c10::IValue(at::max_pool2d(a.tensor(0), a.ints(1), ints_or(a, 2, {}),
                                               ints_or(a, 3, {0}), ints_or(a, 4, {1}),
                                               bool_or(a, 5, false)));
           },
       .error_samples =
           [] {
             const auto t = [](const Shape& shape, DType dtype = DType::Float32) {
               return make_tensor(shape, dtype);
             };
             return std::vector<ErrorSample>{
                 {{{t({5, 5}), 2}}, "non-empty 3D or 4D (batch mode) tensor expected for input"},
                 {{{t({1, 3, 5, 5}), ints({1, 2, 3})}},
                  "kernel_size must either be a single int, or a tuple of two ints"},
                 {{{t({1, 3, 5, 5}), 2, ints({1, 2, 3})}},
                  "stride must either be omitted, a single int, or a tuple of two ints"},
                 {{{t({1, 3, 5, 5}), 2, 1, 0, ints({1, 2, 3})}},
                  "dilation must be either a single int, or a tuple of two ints"},
                 {{{t({1, 3, 5, 5}), 2, 0}}, "stride should not be zero"},
                 {{{t({1, 3, 5, 5}), 2, 1, -1}}, "pad must be non-negative, but got pad: -1"},
                 {{{t({1, 3, 5, 5}), 3, 1, 2}},
                  "pad should be at most half of effective kernel size, but got pad=2, "
                  "kernel_size=3 and dilation=1"},
                 {{{t({1, 3, 5, 5}), 3, 1, 2, 2}},
                  "pad should be smaller than or equal to half of kernel size, but got padW = 2, "
                  "padH = 2, kW = 3, kH = 3"},
                 {{{t({1, 3, 5, 5}), 2, 1, 0, 0}},
                  "dilation should be greater than zero, but got dilationH: 0 dilationW: 0"},
                 {{{t({1, 3, 2, 2}), 3}},
                  "Given input size: (3x2x2). Calculated output size: (3x0x0). Output size is too "
                  "small"},
                 {{{t({1, 0, 4, 4}), 2}},
                  "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, "
                  "but got:[1, 0, 4, 4]"},
                 {{{t({1, 3, 4, 4}, DType::Bool), 2}}, "not implemented for bool tensors"},
             };
           }});

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::avg_pool2d),
       .dtypes = concat(floating_dtypes(), {DType::Int64}),
       .samples =
           [](DType dtype) {
             const auto t = [dtype](const Shape& shape) { return make_tensor(shape, dtype); };
             const Value empty = ints({});
             const Value none;
             std::vector<Sample> out = {
                 {{t({2, 3, 6, 6}), 2}},
                 {{t({2, 3, 7, 6}), 3, 2, 1}, {}, "padding counted"},
                 {{t({2, 3, 7, 6}), 3, 2, 1, false, false}, {}, "padding not counted"},
                 {{t({1, 2, 5, 5}), 2, empty, 0, true}, {}, "ceil_mode, a window over the edge"},
                 {{t({1, 2, 6, 6}), 3, 2, 1, true, true},
                  {},
                  "ceil_mode, padding counted, a window over the padding"},
                 {{t({1, 2, 6, 6}), 3, 2, 1, true, false}, {}, "ceil_mode, padding not counted"},
                 {{t({1, 2, 2, 2}), 3, 2, 1, true}, {}, "ceil_mode, tiny input"},
                 {{t({1, 2, 7, 6}), 3, 2, 1, true, true, 4}, {}, "divisor_override"},
                 {{t({1, 2, 6, 6}), 2, 2, 0, false, true, -3}, {}, "negative divisor_override"},
                 {{t({2, 7, 5}), ints({2, 3}), ints({1, 2}), ints({1, 0})},
                  {},
                  "unbatched, asymmetric"},
                 {{t({0, 2, 4, 4}), 2}, {}, "empty batch"},
                 {{make_tensor({2, 3, 6, 6}, dtype, kStrided), 3, 1, 1, false, true, none},
                  {},
                  "non-contiguous"},
             };
             if (is_floating(dtype)) {
               at::Tensor x = make_tensor({1, 2, 5, 6}, dtype);
               x[0][0][1][2] = kInf;
               x[0][1][3][4] = -kInf;
               x[0][0][4][0] = kNaN;
               out.push_back({{x, 2, 1, 1}, {}, "inf and nan"});
             }
             return out;
           },
       .reference =
           [](const RefArgs& a) {
             std::optional<std::int64_t> divisor;
             if (a.size() > 6 && !a.value(6).is_none()) divisor = a.value(6).as_int();
             return c10::IValue(at::avg_pool2d(a.tensor(0), a.ints(1), ints_or(a, 2, {}),
                                               ints_or(a, 3, {0}), bool_or(a, 4, false),
                                               bool_or(a, 5, true), divisor));
           },
       .error_samples =
           [] {
             const auto t = [](const Shape& shape, DType dtype = DType::Float32) {
               return make_tensor(shape, dtype);
             };
             return std::vector<ErrorSample>{
                 {{{t({5, 5}), 2}},
                  "Expected 3D or 4D (batch mode) tensor with optional 0 dim batch size for input, "
                  "but got:[5, 5]"},
                 {{{t({1, 3, 5, 5}), ints({})}},
                  "kernel_size must either be a single int, or a tuple of two ints"},
                 {{{t({1, 3, 5, 5}), 3, 1, 2}},
                  "pad should be at most half of effective kernel size, but got pad=2, "
                  "kernel_size=3 and dilation=1"},
                 {{{t({1, 3, 5, 5}), 2, 1, 0, false, true, 0}}, "divisor must be not zero"},
                 {{{t({1, 3, 5, 5}), 2, 0}}, "stride should not be zero"},
                 {{{t({1, 3, 2, 2}), 3}},
                  "Given input size: (3x2x2). Calculated output size: (3x0x0). Output size is too "
                  "small"},
                 {{{t({1, 3, 4, 4}, DType::Int32), 2}},
                  "not implemented for int32 tensors (floating and int64 only)"},
             };
           }});

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::adaptive_avg_pool2d),
       .dtypes = floating_dtypes(),
       .samples =
           [](DType dtype) {
             const auto t = [dtype](const Shape& shape) { return make_tensor(shape, dtype); };
             std::vector<Sample> out = {
                 {{t({2, 3, 7, 9}), ints({3, 4})}, {}, "windows of varying size"},
                 {{t({2, 3, 8, 6}), ints({4, 3})}, {}, "windows of one size"},
                 {{t({1, 2, 5, 5}), ints({5, 5})}, {}, "identity"},
                 {{t({2, 3, 5, 6}), ints({1, 1})}, {}, "global average"},
                 {{t({5, 6}), ints({1, 1})}, {}, "global average of a 2-D input"},
                 {{t({1, 3, 5, 5}), ints({7, 8})}, {}, "more outputs than inputs"},
                 {{t({1, 1, 1, 1}), ints({2, 3})}, {}, "one input element"},
                 {{t({1, 3, 5, 5}), ints({0, 2})}, {}, "size-0 output"},
                 {{t({3, 6, 7}), ints({4, 4})}, {}, "unbatched"},
                 {{t({0, 3, 6, 6}), ints({4, 4})}, {}, "empty batch"},
                 {{make_tensor({2, 3, 7, 6}, dtype, kStrided), ints({3, 2})}, {}, "non-contiguous"},
             };
             at::Tensor x = make_tensor({1, 2, 7, 6}, dtype);
             x[0][0][1][2] = kInf;
             x[0][1][3][4] = -kInf;
             x[0][0][4][0] = kNaN;
             out.push_back({{x, ints({3, 4})}, {}, "inf and nan"});
             return out;
           },
       .reference =
           [](const RefArgs& a) {
             return c10::IValue(at::adaptive_avg_pool2d(a.tensor(0), a.ints(1)));
           },
       .error_samples =
           [] {
             const auto t = [](const Shape& shape, DType dtype = DType::Float32) {
               return make_tensor(shape, dtype);
             };
             return std::vector<ErrorSample>{
                 {{{t({1, 3, 5, 5}), ints({2})}}, "output_size must be 2"},
                 {{{t({1, 3, 5, 5}), ints({-1, 2})}},
                  "elements of output_size must be greater than or equal to 0 but received {-1, "
                  "2}"},
                 {{{t({5, 5}), ints({2, 2})}}, "Expected 3D or 4D tensor, but got [5, 5]"},
                 {{{t({1, 3, 0, 5}), ints({2, 2})}},
                  "Expected input to have non-zero size for non-batch dimensions, but input has "
                  "sizes [1, 3, 0, 5] with dimension 2 being empty"},
                 {{{t({1, 3, 5, 5}, DType::Int64), ints({2, 2})}}, "not implemented for int64"},
             };
           }});

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::nll_loss),
       .dtypes = floating_dtypes(),
       .samples =
           [](DType dtype) {
             const auto t = [dtype](const Shape& shape) { return make_tensor(shape, dtype); };
             const Value none;
             // Log-probabilities with nan and inf in classes that no target picks.
             at::Tensor special = t({3, 5});
             special[0][1] = kNaN;
             special[1][2] = kInf;
             special[2][0] = -kInf;
             const at::Tensor special_target = make_values({0, 1, 3}, DType::Int64);
             return std::vector<Sample>{
                 {{t({4, 5}), classes_of({4}, 5)}},
                 {{t({4, 5}), classes_of({4}, 5), none, 0}, {}, "no reduction"},
                 {{t({4, 5}), classes_of({4}, 5), none, 2}, {}, "sum"},
                 {{t({4, 5}), classes_of({4}, 5), t({5})}, {}, "weight"},
                 {{t({4, 5}), classes_of({4}, 5), t({5}), 0}, {}, "weight, no reduction"},
                 {{t({4, 5}), make_values({1, -100, 3, 0}, DType::Int64), t({5})},
                  {},
                  "a target of -100 is ignored"},
                 {{t({4, 5}), make_values({1, 2, 2, 0}, DType::Int64), none, 1, 2},
                  {},
                  "ignore_index"},
                 {{t({4, 5}), make_values({2, 2, 2, 2}, DType::Int64), none, 1, 2},
                  {},
                  "every target ignored"},
                 {{t({5}), classes_of({}, 5)}, {}, "1-D input"},
                 {{t({5}), classes_of({1}, 5), none, 0}, {}, "1-D input, target of one"},
                 {{t({2, 5, 3, 2}), classes_of({2, 3, 2}, 5), none, 0}, {}, "4-D input"},
                 {{t({2, 5, 3}), classes_of({2, 3}, 5), t({5})}, {}, "3-D input, weight"},
                 {{t({0, 5}), classes_of({0}, 5)}, {}, "empty batch"},
                 {{t({0, 5}), classes_of({0}, 5), none, 2}, {}, "empty batch, sum"},
                 {{t({4, 5}), classes_of({4}, 5, DType::UInt8)}, {}, "uint8 target"},
                 {{make_tensor({4, 5}, dtype, kStrided), classes_of({4}, 5)}, {}, "non-contiguous"},
                 {{special, special_target, none, 0}, {}, "nan and inf in other classes"},
                 {{t({4, 5}), classes_of({4}, 5), none, 3}, {}, "reduction 3 sums as torch's does"},
             };
           },
       .reference =
           [](const RefArgs& a) {
             return c10::IValue(at::nll_loss_nd(a.tensor(0), a.tensor(1), optional_tensor(a, 2),
                                                int_or(a, 3, 1), int_or(a, 4, -100)));
           },
       .error_samples =
           [] {
             const auto t = [](const Shape& shape, DType dtype = DType::Float32) {
               return make_tensor(shape, dtype);
             };
             const Value none;
             return std::vector<ErrorSample>{
                 {{{t({}), classes_of({}, 5)}}, "Expected 1 or more dimensions (got 0)"},
                 {{{t({3, 5}), classes_of({4}, 5)}},
                  "Expected input batch_size (3) to match target batch_size (4)."},
                 {{{t({3, 5}), classes_of({3, 1}, 5)}},
                  "0D or 1D target tensor expected, multi-target not supported"},
                 {{{t({5}), classes_of({2}, 5)}},
                  "For 1D input, 1D target must have size 1, but got target size: 2"},
                 {{{t({3, 5, 4}), classes_of({3, 5}, 5)}},
                  "Expected target size [3, 4], got [3, 5]"},
                 {{{t({3, 5}), classes_of({3}, 5, DType::Int32)}},
                  "expected target dtype to be int64 or uint8, but got int32"},
                 {{{t({3, 5}), classes_of({3}, 5), t({4})}},
                  "weight tensor should be defined either for all 5 classes or no classes but got "
                  "weight tensor of shape: [4]"},
                 {{{t({3, 5}), classes_of({3}, 5), t({5}, DType::Float64)}},
                  "expected scalar type float32 but found float64"},
                 {{{t({3, 5}, DType::Int64), classes_of({3}, 5)}},
                  "expected a floating input, got int64"},
             };
           }});

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::cross_entropy),
       .dtypes = floating_dtypes(),
       .samples =
           [](DType dtype) {
             const auto t = [dtype](const Shape& shape) { return make_tensor(shape, dtype); };
             const Value none;
             const at::Tensor some_ignored = make_values({1, -100, 3, 0}, DType::Int64);
             return std::vector<Sample>{
                 {{t({4, 5}), classes_of({4}, 5)}},
                 {{t({4, 5}), classes_of({4}, 5), none, 0}, {}, "no reduction"},
                 {{t({4, 5}), classes_of({4}, 5), none, 2}, {}, "sum"},
                 {{t({4, 5}), some_ignored, t({5})}, {}, "weight, a target ignored"},
                 {{t({4, 5}), classes_of({4}, 5), none, 1, -100, 0.1}, {}, "label smoothing"},
                 {{t({4, 5}), some_ignored, none, 0, -100, 0.2},
                  {},
                  "label smoothing, no reduction, a target ignored"},
                 {{t({4, 5}), some_ignored, t({5}), 1, -100, 0.3},
                  {},
                  "label smoothing, weight, a target ignored"},
                 {{t({4, 5}), classes_of({4}, 5), t({5}), 2, -100, 0.3},
                  {},
                  "label smoothing, weight, sum"},
                 {{t({4, 5}), classes_of({4}, 5), none, 1, -100, -0.5},
                  {},
                  "negative label smoothing is none"},
                 {{t({2, 5, 3}), classes_of({2, 3}, 5), none, 0, -100, 0.1}, {}, "3-D input"},
                 {{t({5}), classes_of({}, 5)}, {}, "1-D input"},
                 {{t({0, 5}), classes_of({0}, 5), none, 1, -100, 0.1}, {}, "empty batch"},
                 {{make_tensor({4, 5}, dtype, kStrided), classes_of({4}, 5)}, {}, "non-contiguous"},
                 {{t({4, 5}), probabilities({4, 5}, dtype)}, {}, "class probabilities"},
                 {{t({4, 5}), probabilities({4, 5}, dtype), t({5}), 0},
                  {},
                  "class probabilities, weight, no reduction"},
                 {{t({2, 5, 3}), probabilities({2, 5, 3}, dtype), none, 2, -100, 0.2},
                  {},
                  "class probabilities, label smoothing, sum"},
                 {{t({5}), probabilities({5}, dtype)}, {}, "1-D class probabilities"},
                 {{t({0, 5}), probabilities({0, 5}, dtype)}, {}, "empty class probabilities"},
                 {{t({4, 5}), probabilities({4, 5}, DType::Float64)},
                  {},
                  "class probabilities of another dtype"},
             };
           },
       .reference =
           [](const RefArgs& a) {
             return c10::IValue(at::cross_entropy_loss(a.tensor(0), a.tensor(1),
                                                       optional_tensor(a, 2), int_or(a, 3, 1),
                                                       int_or(a, 4, -100), float_or(a, 5, 0.0)));
           },
       .error_samples =
           [] {
             const auto t = [](const Shape& shape, DType dtype = DType::Float32) {
               return make_tensor(shape, dtype);
             };
             const Value none;
             return std::vector<ErrorSample>{
                 {{{t({3, 5}), classes_of({3}, 5), none, 1, -100, 1.5}},
                  "label_smoothing must be between 0.0 and 1.0. Got: 1.5"},
                 {{{t({3, 5}), classes_of({3, 5}, 5)}},
                  "Expected floating point type for target with class probabilities, got int64"},
                 {{{t({3, 5}), t({3, 5}), none, 1, 2}},
                  "ignore_index is not supported for floating point target"},
                 {{{t({3, 5}), t({3, 5}), t({4})}},
                  "weight tensor should be defined either for all 5 classes or no classes but got "
                  "weight tensor of shape: [4]"},
                 {{{t({3, 5}), t({3, 5}), none, 3}},
                  "Invalid reduction type encountered in cross_entropy: 3"},
                 {{{t({3, 5}), classes_of({3}, 5), none, 3, -100, 0.1}},
                  "Invalid reduction type encountered in cross_entropy: 3"},
                 {{{t({3, 5}), classes_of({4}, 5)}},
                  "Expected input batch_size (3) to match target batch_size (4)."},
                 {{{t({3, 5}), classes_of({3}, 5, DType::Int32)}},
                  "expected target dtype to be int64 or uint8, but got int32"},
             };
           }});
}

} // namespace thunder::opdb::detail
