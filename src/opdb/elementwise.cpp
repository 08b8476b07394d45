// Op database entries of the ltorch elementwise family.
#include "families.h"

#include <ATen/ATen.h>

namespace thunder::opdb::detail {

using ltorch::LTorchId;

OpInfo unary_op(LTorchId id, std::vector<DType> dtypes, at::Tensor (*eager)(const at::Tensor&),
                TensorOptions domain, bool with_edge_values) {
  return {.symbol = ltorch_symbol(id),
          .dtypes = std::move(dtypes),
          .samples = [domain, with_edge_values](DType dtype) {
            return unary_samples(dtype, domain, with_edge_values);
          },
          .reference = [eager](const RefArgs& a) { return c10::IValue(eager(a.tensor(0))); }};
}

OpInfo binary_op(LTorchId id, std::vector<DType> dtypes,
                 at::Tensor (*eager)(const at::Tensor&, const at::Tensor&), TensorOptions lhs,
                 TensorOptions rhs) {
  return {.symbol = ltorch_symbol(id),
          .dtypes = std::move(dtypes),
          .samples = [lhs, rhs](DType dtype) { return binary_samples(dtype, lhs, rhs); },
          .reference = [eager](const RefArgs& a) {
            return c10::IValue(eager(a.tensor_or_scalar(0), a.tensor_or_scalar(1)));
          }};
}

namespace {

const TensorOptions kPositive{.low = 0.1, .high = 4.0};
const TensorOptions kNonZero{.exclude_zero = true};

at::Tensor mul(const at::Tensor& a, const at::Tensor& b) { return at::mul(a, b); }
at::Tensor div(const at::Tensor& a, const at::Tensor& b) { return at::div(a, b); }

// add/sub: the binary samples, plus alpha of the dtype's kind.
OpInfo alpha_op(LTorchId id, std::vector<DType> dtypes,
                at::Tensor (*eager)(const at::Tensor&, const at::Tensor&, const at::Scalar&)) {
  return {.symbol = ltorch_symbol(id),
          .dtypes = std::move(dtypes),
          .samples = [](DType dtype) {
            std::vector<Sample> out = binary_samples(dtype);
            const Value alpha = is_floating(dtype) ? Value(-1.5) : Value(std::int64_t{3});
            out.push_back({{make_tensor({2, 3}, dtype), make_tensor({3}, dtype)},
                           {{"alpha", alpha}},
                           "alpha"});
            out.push_back({{make_tensor({2, 3}, dtype), SampleArg(Value(std::int64_t{2}))},
                           {{"alpha", alpha}},
                           "alpha, Python number"});
            return out;
          },
          .reference = [eager](const RefArgs& a) {
            const std::optional<SampleArg> alpha = a.kwarg("alpha");
            const at::Scalar s = alpha ? (alpha->value().kind() == ValueKind::Float
                                              ? at::Scalar(alpha->value().as_float())
                                              : at::Scalar(alpha->value().as_int()))
                                       : at::Scalar(1);
            return c10::IValue(eager(a.tensor_or_scalar(0), a.tensor_or_scalar(1), s));
          },
          .error_samples = [] {
            return std::vector<ErrorSample>{
                {{{make_tensor({2, 3}, DType::Int64), make_tensor({2, 3}, DType::Int64)},
                  {{"alpha", 0.5}}},
                 "for integral input tensors, argument alpha must not be a floating point number"},
                {{{make_tensor({2, 3}, DType::Float32), make_tensor({4}, DType::Float32)}},
                 "shapes [2, 3] and [4] cannot be broadcast (3 != 4 at dim -1)"},
            };
          }};
}

} // namespace

void add_elementwise_ops(std::vector<OpInfo>& ops) {
  const std::vector<DType> numeric = concat(floating_dtypes(), integer_dtypes());
  const std::vector<DType> floating = floating_dtypes();

  ops.push_back(alpha_op(LTorchId::add, all_dtypes(),
                         [](const at::Tensor& a, const at::Tensor& b, const at::Scalar& alpha) {
                           return at::add(a, b, alpha);
                         }));
  ops.push_back(alpha_op(LTorchId::sub, numeric,
                         [](const at::Tensor& a, const at::Tensor& b, const at::Scalar& alpha) {
                           return at::sub(a, b, alpha);
                         }));
  ops.push_back(binary_op(LTorchId::mul, all_dtypes(), &mul));
  ops.push_back(binary_op(LTorchId::div, numeric, &div, {}, kNonZero));
  ops.push_back(binary_op(LTorchId::maximum, all_dtypes(), &at::maximum));
  ops.push_back(binary_op(LTorchId::minimum, all_dtypes(), &at::minimum));
  ops.push_back(unary_op(LTorchId::neg, numeric, &at::neg));
  ops.push_back(unary_op(LTorchId::abs, numeric, &at::abs));
  ops.push_back(unary_op(LTorchId::exp, numeric, &at::exp));
  ops.push_back(unary_op(LTorchId::log, numeric, &at::log, kPositive));
  ops.push_back(unary_op(LTorchId::sqrt, numeric, &at::sqrt, kPositive));
  ops.push_back(unary_op(LTorchId::rsqrt, numeric, &at::rsqrt, kPositive));
  ops.push_back(unary_op(LTorchId::tanh, numeric, &at::tanh));
  ops.push_back(unary_op(LTorchId::erf, numeric, &at::erf));
  ops.push_back(unary_op(LTorchId::relu, numeric, &at::relu));

  OpInfo gelu = unary_op(LTorchId::gelu, floating, [](const at::Tensor& a) { return at::gelu(a); });
  gelu.samples = [](DType dtype) {
    std::vector<Sample> out = unary_samples(dtype);
    out.push_back({{make_tensor({3, 4}, dtype)}, {{"approximate", "tanh"}}, "tanh"});
    out.push_back({{edge_values(dtype)}, {{"approximate", "tanh"}}, "tanh, edge values"});
    return out;
  };
  gelu.reference = [](const RefArgs& a) {
    const std::optional<SampleArg> approximate = a.kwarg("approximate");
    return c10::IValue(at::gelu(a.tensor(0), approximate ? approximate->value().as_string() : "none"));
  };
  gelu.error_samples = [] {
    return std::vector<ErrorSample>{
        {{{make_tensor({3}, DType::Float32)}, {{"approximate", "bogus"}}},
         "approximate must be 'none' or 'tanh', got 'bogus'"},
        {{{make_tensor({3}, DType::Int64)}}, "expected a floating tensor"},
    };
  };
  ops.push_back(std::move(gelu));

  ops.push_back({.symbol = ltorch_symbol(LTorchId::to),
                 .dtypes = all_dtypes(),
                 .samples = [](DType dtype) {
                   std::vector<Sample> out;
                   for (const DType target : all_dtypes()) {
                     out.push_back({{make_tensor({2, 3}, dtype), target}});
                   }
                   if (is_floating(dtype)) out.push_back({{edge_values(dtype), DType::Float32}, {}, "edge values"});
                   return out;
                 },
                 .reference = [](const RefArgs& a) {
                   return c10::IValue(a.tensor(0).to(to_scalar_type(a.value(1).as_dtype())));
                 }});
}

} // namespace thunder::opdb::detail
