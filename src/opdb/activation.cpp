// Op database entries of the ltorch activation family.
#include "families.h"

#include <ATen/ATen.h>

#include <cmath>
#include <limits>

namespace thunder::opdb::detail {

using ltorch::LTorchId;

namespace {

const double kInf = std::numeric_limits<double>::infinity();
const double kNaN = std::nan("");

// Integer and bool inputs of sigmoid, and of softmax with dtype=float32, give float32
// results, but default_tolerance is keyed by the input dtype and is exact for integers:
// judge those results by float32's tolerance instead.
std::map<DType, Tolerance> float32_tolerance_for_integer_inputs() {
  std::map<DType, Tolerance> out;
  for (const DType dtype : concat(integer_dtypes(), {DType::Bool})) {
    out[dtype] = default_tolerance(DType::Float32);
  }
  return out;
}

// A Scalar argument of the reference: the sample's positional argument i, or the default.
at::Scalar scalar_or(const RefArgs& a, std::size_t i, const at::Scalar& fallback) {
  return a.size() > i ? a.scalar(i) : fallback;
}

// An activation on floating tensors: the unary samples, values of large magnitude (where
// exp overflows unless the decomposition avoids it), and the given extra samples.
OpInfo floating_activation(LTorchId id, at::Tensor (*eager)(const at::Tensor&),
                           std::function<std::vector<Sample>(DType)> extra = {}) {
  OpInfo op = unary_op(id, floating_dtypes(), eager);
  op.samples = [extra](DType dtype) {
    std::vector<Sample> out = unary_samples(dtype);
    out.push_back({{make_tensor({4, 8}, dtype, {.low = -100, .high = 100})}, {}, "large values"});
    if (extra) {
      for (Sample& s : extra(dtype))
        out.push_back(std::move(s));
    }
    return out;
  };
  op.error_samples = [] {
    return std::vector<ErrorSample>{
        {{{make_tensor({3}, DType::Int64)}}, "expected a floating tensor, got in0 of dtype int64"},
        {{{make_tensor({3}, DType::Bool)}}, "expected a floating tensor, got in0 of dtype bool"},
    };
  };
  return op;
}

// The samples of softmax and log_softmax: dims of every kind, rows with -inf, inf and NaN,
// and dtype=. Integer and bool inputs need dtype=, so each of their samples passes one.
std::vector<Sample> softmax_samples(DType dtype) {
  const TensorOptions strided{.noncontiguous = true};
  const bool floating = is_floating(dtype);
  // For integer inputs every sample converts (to f32, or f64 where noted).
  const auto kwargs = [floating](DType target = DType::Float32) {
    return floating ? Kwargs{} : Kwargs{{"dtype", target}};
  };
  std::vector<Sample> out = {
      {{make_tensor({5}, dtype), 0}, kwargs()},
      {{make_tensor({3, 4}, dtype), 1}, kwargs(), "last dim"},
      {{make_tensor({3, 4}, dtype), 0}, kwargs(), "first dim"},
      {{make_tensor({2, 3, 4}, dtype), -2}, kwargs(DType::Float64), "negative dim"},
      {{make_tensor({3, 4}, dtype, strided), 1}, kwargs(), "non-contiguous"},
      {{make_tensor({}, dtype), 0}, kwargs(), "0-dim"},
      {{make_tensor({}, dtype), -1}, kwargs(), "0-dim, dim=-1"},
      {{make_tensor({0, 3}, dtype), 1}, kwargs(), "size-0"},
      {{make_tensor({3, 0}, dtype), 1}, kwargs(), "size-0 along dim"},
      {{make_tensor({1, 4}, dtype), 0}, kwargs(), "size-1 along dim"},
      {{make_tensor({4, 37}, dtype), 1}, kwargs(), "long rows"},
  };
  if (floating) {
    out.push_back({{make_tensor({4, 8}, dtype, {.low = -100, .high = 100}), 1},
                   {},
                   "large values (exp overflows without the max shift)"});
    out.push_back({{at::tensor({-kInf, 0.0, 1.0, -kInf, -kInf, -kInf, kInf, 0.0, 1.0, kNaN, 0.0,
                                1.0, kInf, kInf, kInf, 0.5, -2.5, 7.0},
                               at::kDouble)
                        .reshape({6, 3})
                        .to(to_scalar_type(dtype)),
                    1},
                   {},
                   "rows with -inf, all -inf, inf, nan, all inf"});
    out.push_back({{edge_values(dtype), 0}, {}, "edge values"});
    out.push_back({{make_tensor({3, 4}, dtype), 1}, {{"dtype", DType::Float64}}, "dtype=float64"});
    out.push_back({{make_tensor({3, 4}, dtype), 1}, {{"dtype", DType::Float16}}, "dtype=float16"});
  }
  return out;
}

OpInfo softmax_op(LTorchId id, at::Tensor (*eager)(const at::Tensor&, std::int64_t,
                                                   std::optional<at::ScalarType>)) {
  return {.symbol = ltorch_symbol(id),
          .dtypes = all_dtypes(),
          .samples = &softmax_samples,
          .reference =
              [eager](const RefArgs& a) {
                std::optional<at::ScalarType> dtype;
                if (const auto d = a.kwarg("dtype")) dtype = to_scalar_type(d->value().as_dtype());
                const std::int64_t dim = a.value(1).as_int();
                if (!a.float64()) return c10::IValue(eager(a.tensor(0), dim, dtype));
                // torch converts to dtype= first and computes in it. RefArgs widens only
                // floating inputs, and dtype= would narrow them again: convert as torch does,
                // then compute in float64, so that the reference is one.
                at::Tensor x = a.tensor(0);
                if (dtype) x = x.to(*dtype);
                return c10::IValue(eager(x.to(at::kDouble), dim, std::nullopt));
              },
          .error_samples =
              [] {
                return std::vector<ErrorSample>{
                    {{{make_tensor({2, 3}, DType::Float32), 2}},
                     "dimension out of range (expected to be in range of [-2, 1], but got 2)"},
                    {{{make_tensor({}, DType::Float32), 1}},
                     "dimension out of range (expected to be in range of [-1, 0], but got 1)"},
                    {{{make_tensor({2, 3}, DType::Int64), 1}},
                     "expected a floating tensor, got in0 of dtype int64; pass dtype="},
                    {{{make_tensor({2, 3}, DType::Float32), 1}, {{"dtype", DType::Int32}}},
                     "expected a floating dtype, got dtype=int32"},
                    {{{make_tensor({2, 3}, DType::Float32), 1}, {{"dtype", "float32"}}},
                     "argument 'dtype' must be a dtype or None, got 'float32'"},
                };
              },
          .tolerances = float32_tolerance_for_integer_inputs()};
}

} // namespace

void add_activation_ops(std::vector<OpInfo>& ops) {
  const std::vector<DType> numeric = concat(floating_dtypes(), integer_dtypes());

  ops.push_back(unary_op(LTorchId::sigmoid, all_dtypes(), &at::sigmoid));
  ops.back().reference = [](const RefArgs& a) {
    // Integer and bool inputs compute in float32; RefArgs leaves them as they are, so the
    // float64 reference widens them itself.
    const at::Tensor& x = a.tensor(0);
    return c10::IValue(at::sigmoid(a.float64() ? x.to(at::kDouble) : x));
  };
  ops.back().tolerances = float32_tolerance_for_integer_inputs();
  ops.back().samples = [](DType dtype) {
    std::vector<Sample> out = unary_samples(dtype);
    if (is_floating(dtype)) {
      out.push_back({{make_tensor({4, 8}, dtype, {.low = -100, .high = 100})}, {}, "large values"});
    }
    return out;
  };

  ops.push_back(floating_activation(LTorchId::logsigmoid, &at::log_sigmoid));
  ops.push_back(floating_activation(LTorchId::silu, &at::silu));
  ops.push_back(floating_activation(LTorchId::mish, &at::mish));
  ops.push_back(floating_activation(LTorchId::selu, &at::selu));
  // Both ends of the clamp: a + 3 crosses 0 and 6 in [-6, 6].
  const auto around_clamp = [](DType dtype) {
    return std::vector<Sample>{
        {{make_tensor({4, 8}, dtype, {.low = -6, .high = 6})}, {}, "both clamps"},
        {{make_values({-3.0, 3.0, -3.5, 3.5, -2.999, 2.999}, dtype)}, {}, "at the corners"},
    };
  };
  ops.push_back(floating_activation(LTorchId::hardsigmoid, &at::hardsigmoid, around_clamp));
  ops.push_back(floating_activation(LTorchId::hardswish, &at::hardswish, around_clamp));

  // relu6 and hardtanh: integer tensors too; bool is rejected.
  OpInfo relu6 = unary_op(LTorchId::relu6, numeric, &at::relu6, {.low = -4, .high = 9});
  relu6.error_samples = [] {
    return std::vector<ErrorSample>{
        {{{make_tensor({3}, DType::Bool)}}, "Bool inputs not supported for relu6"},
    };
  };
  ops.push_back(std::move(relu6));

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::hardtanh),
       .dtypes = numeric,
       .samples =
           [](DType dtype) {
             std::vector<Sample> out = unary_samples(dtype);
             if (dtype == DType::UInt8) {
               // The default limits are negative, an error for uint8: every sample passes
               // limits (once truncated, -0.5 is 0 and allowed).
               for (Sample& s : out)
                 s = Sample{{s.args[0], 2, 5}, {}, s.note};
               out.push_back({{make_tensor({3, 4}, dtype, {.low = 0, .high = 9}), -0.5, 4.7},
                              {},
                              "float limits"});
               return out;
             }
             out.push_back({{make_tensor({3, 4}, dtype), -2, 2}, {}, "int limits"});
             out.push_back({{make_tensor({3, 4}, dtype), -1.5, 2.5}, {}, "float limits"});
             out.push_back({{make_tensor({3, 4}, dtype), 2, 1}, {}, "min_val > max_val"});
             out.push_back({{make_tensor({3, 4}, dtype), false, true}, {}, "bool limits"});
             if (is_floating(dtype)) {
               out.push_back(
                   {{edge_values(dtype), -kInf, 0.25}, {}, "edge values, infinite limit"});
               out.push_back({{make_tensor({3, 4}, dtype), kNaN, 1.0}, {}, "NaN limit"});
             }
             return out;
           },
       .reference =
           [](const RefArgs& a) {
             return c10::IValue(at::hardtanh(a.tensor(0), scalar_or(a, 1, -1), scalar_or(a, 2, 1)));
           },
       .error_samples =
           [] {
             return std::vector<ErrorSample>{
                 {{{make_tensor({3}, DType::Bool)}}, "Bool inputs not supported for hardtanh"},
                 {{{make_tensor({3}, DType::UInt8)}},
                  "cannot do hardtanh on an unsigned type with negative limits"},
                 {{{make_tensor({3}, DType::Float16), -1e6, 1e6}},
                  "min_val=-1e+06 cannot be converted to float16 without overflow"},
                 {{{make_tensor({3}, DType::Int8), -300, 300}},
                  "min_val=-300.0 cannot be converted to int8 without overflow"},
                 {{{make_tensor({3}, DType::Int64), kNaN, 1}},
                  "min_val=float('nan') cannot be converted to int64 without overflow"},
             };
           }});

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::leaky_relu),
       .dtypes = floating_dtypes(),
       .samples =
           [](DType dtype) {
             std::vector<Sample> out = unary_samples(dtype);
             out.push_back({{make_tensor({3, 4}, dtype), 0.2}, {}, "negative_slope"});
             out.push_back({{make_tensor({3, 4}, dtype), -2}, {}, "negative negative_slope (int)"});
             out.push_back({{edge_values(dtype), 0.0}, {}, "edge values, zero slope"});
             out.push_back({{edge_values(dtype), 1e6}, {}, "edge values, large slope"});
             return out;
           },
       .reference =
           [](const RefArgs& a) {
             return c10::IValue(at::leaky_relu(a.tensor(0), scalar_or(a, 1, 0.01)));
           },
       .error_samples =
           [] {
             return std::vector<ErrorSample>{
                 {{{make_tensor({3}, DType::Int32)}},
                  "expected a floating tensor, got in0 of dtype int32"},
                 {{{make_tensor({3}, DType::Float32), 1e39}},
                  "negative_slope=1e+39 cannot be converted to float32 without overflow"},
             };
           }});

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::elu),
       .dtypes = floating_dtypes(),
       .samples =
           [](DType dtype) {
             std::vector<Sample> out = unary_samples(dtype);
             out.push_back({{make_tensor({3, 4}, dtype), 2.0}, {}, "alpha"});
             out.push_back(
                 {{make_tensor({3, 4}, dtype), 0.5, 1.5, 2.0}, {}, "alpha, scale, input_scale"});
             out.push_back(
                 {{edge_values(dtype), 1.3, 0.7, 0.5}, {}, "edge values, all coefficients"});
             out.push_back({{make_values({-1e-3, -1e-5, -1e-7, -0.1, 1e-7}, dtype)}, {}, "near 0"});
             return out;
           },
       .reference =
           [](const RefArgs& a) {
             return c10::IValue(
                 at::elu(a.tensor(0), scalar_or(a, 1, 1), scalar_or(a, 2, 1), scalar_or(a, 3, 1)));
           },
       .error_samples =
           [] {
             return std::vector<ErrorSample>{
                 {{{make_tensor({3}, DType::Int64)}},
                  "expected a floating tensor, got in0 of dtype int64"},
                 {{{make_tensor({3}, DType::Float32), 1.0, 1e40}},
                  "scale=1e+40 cannot be converted to float32 without overflow"},
             };
           }});

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::celu),
       .dtypes = floating_dtypes(),
       .samples =
           [](DType dtype) {
             std::vector<Sample> out = unary_samples(dtype);
             out.push_back({{make_tensor({3, 4}, dtype), 0.5}, {}, "alpha"});
             out.push_back({{make_tensor({3, 4}, dtype), -1.5}, {}, "negative alpha"});
             out.push_back({{edge_values(dtype), 3}, {}, "edge values, int alpha"});
             return out;
           },
       .reference =
           [](const RefArgs& a) {
             return c10::IValue(at::celu(a.tensor(0), scalar_or(a, 1, 1.0)));
           },
       .error_samples =
           [] {
             return std::vector<ErrorSample>{
                 {{{make_tensor({3}, DType::Float32), 0.0}}, "alpha cannot be 0 for celu"},
                 {{{make_tensor({3}, DType::Float32), 1e-40}},
                  "1 / alpha=1e+40 cannot be converted to float32 without overflow"},
                 {{{make_tensor({3}, DType::Int64)}},
                  "expected a floating tensor, got in0 of dtype int64"},
             };
           }});

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::softplus),
       .dtypes = floating_dtypes(),
       .samples =
           [](DType dtype) {
             std::vector<Sample> out = unary_samples(dtype);
             out.push_back(
                 {{make_tensor({4, 8}, dtype, {.low = -100, .high = 100})}, {}, "large values"});
             out.push_back({{make_values({19.0, 19.9, 20.0, 20.1, 21.0, -20.0}, dtype)},
                            {},
                            "around the default threshold"});
             out.push_back({{make_values({4.9, 5.0, 5.1, -5.0, 0.0}, dtype), 2, 10},
                            {},
                            "beta and threshold, around the threshold"});
             out.push_back({{make_tensor({3, 4}, dtype), 0.5, 1.0}, {}, "beta < 1"});
             out.push_back({{make_tensor({3, 4}, dtype), -1.0, 20.0}, {}, "negative beta"});
             out.push_back({{edge_values(dtype), 3.0, 2.0}, {}, "edge values, beta and threshold"});
             return out;
           },
       .reference =
           [](const RefArgs& a) {
             return c10::IValue(at::softplus(a.tensor(0), scalar_or(a, 1, 1), scalar_or(a, 2, 20)));
           },
       .error_samples =
           [] {
             return std::vector<ErrorSample>{
                 {{{make_tensor({3}, DType::Int64)}},
                  "expected a floating tensor, got in0 of dtype int64"},
                 {{{make_tensor({3}, DType::Float32), 1.0, -1e39}},
                  "threshold=-1e+39 cannot be converted to float32 without overflow"},
             };
           }});

  ops.push_back(softmax_op(LTorchId::softmax, [](const at::Tensor& t, std::int64_t dim,
                                                 std::optional<at::ScalarType> dtype) {
    return at::softmax(t, dim, dtype);
  }));
  ops.push_back(softmax_op(LTorchId::log_softmax, [](const at::Tensor& t, std::int64_t dim,
                                                     std::optional<at::ScalarType> dtype) {
    return at::log_softmax(t, dim, dtype);
  }));

  ops.push_back(
      {.symbol = ltorch_symbol(LTorchId::dropout),
       .dtypes = all_dtypes(),
       .samples =
           [](DType dtype) {
             const TensorOptions strided{.noncontiguous = true};
             std::vector<Sample> out = {
                 {{make_tensor({3, 4}, dtype), 0.5, false}, {}, "eval"},
                 {{make_tensor({}, dtype), 0.0, false}, {}, "0-dim, p=0"},
                 {{make_tensor({3, 4}, dtype, strided), 1.0, false}, {}, "non-contiguous, p=1"},
                 {{make_tensor({0, 3}, dtype), 1, false}, {}, "size-0, int p"},
             };
             if (is_floating(dtype))
               out.push_back({{edge_values(dtype), 0.1, false}, {}, "edge values"});
             return out;
           },
       .reference =
           [](const RefArgs& a) {
             return c10::IValue(
                 at::dropout(a.tensor(0), a.value(1).as_float(), a.value(2).as_bool()));
           },
       .error_samples =
           [] {
             return std::vector<ErrorSample>{
                 {{{make_tensor({3}, DType::Float32), 2.0, false}},
                  "dropout probability has to be between 0 and 1, but got 2.0"},
                 {{{make_tensor({3}, DType::Float32), -0.5, false}},
                  "dropout probability has to be between 0 and 1, but got -0.5"},
                 {{{make_tensor({3}, DType::Float32), kNaN, false}},
                  "dropout probability has to be between 0 and 1, but got nan"},
                 {{{make_tensor({3}, DType::Float32), 0.5, true}},
                  "training mode (train=True) is not supported yet"},
                 {{{make_tensor({3}, DType::Float32), true, false}},
                  "argument 'p' must be a float"},
             };
           }});
}

} // namespace thunder::opdb::detail
