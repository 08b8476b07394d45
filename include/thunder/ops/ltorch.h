// The ltorch symbols: torch-level operations with PyTorch's semantics (broadcasting,
// type promotion, argument checks and their messages), each with a decomposition into
// prims. Front ends map aten ops onto these; the list is ltorch.def. The typed functions
// here record calls in the current TraceScope, for tracing by hand.
#pragma once

#include "thunder/core/symbol.h"
#include "thunder/core/value.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace thunder::ltorch {

/// One id per ltorch symbol, in ltorch.def order.
enum class LTorchId {
#define THUNDER_LTORCH(name, ...) name,
#include "thunder/ops/ltorch.def"
#undef THUNDER_LTORCH
};

/// The symbol of an ltorch op.
const Symbol& symbol(LTorchId id);
/// Every ltorch symbol, in ltorch.def order.
const std::vector<const Symbol*>& all();

TensorProxyPtr add(const Value& a, const Value& b, const Value& alpha = 1);
TensorProxyPtr sub(const Value& a, const Value& b, const Value& alpha = 1);
TensorProxyPtr mul(const Value& a, const Value& b);
/// rounding_mode: None (true division); 'trunc' and 'floor' are not supported yet.
TensorProxyPtr div(const Value& a, const Value& b, const Value& rounding_mode = Value());
TensorProxyPtr maximum(const Value& a, const Value& b);
TensorProxyPtr minimum(const Value& a, const Value& b);
TensorProxyPtr neg(const Value& a);
TensorProxyPtr abs(const Value& a);
TensorProxyPtr exp(const Value& a);
TensorProxyPtr log(const Value& a);
TensorProxyPtr sqrt(const Value& a);
TensorProxyPtr rsqrt(const Value& a);
TensorProxyPtr tanh(const Value& a);
TensorProxyPtr erf(const Value& a);
TensorProxyPtr relu(const Value& a);
/// approximate: "none" or "tanh".
TensorProxyPtr gelu(const Value& a, const std::string& approximate = "none");
TensorProxyPtr to(const Value& a, DType dtype);

/// One extent may be -1 (inferred).
TensorProxyPtr reshape(const Value& a, const Shape& shape);
TensorProxyPtr transpose(const Value& a, std::int64_t dim0, std::int64_t dim1);
TensorProxyPtr permute(const Value& a, const std::vector<std::int64_t>& dims);

/// dim: None (all dims), an int or a list of ints.
TensorProxyPtr sum(const Value& a, const Value& dim = Value(), bool keepdim = false,
                   std::optional<DType> dtype = std::nullopt);

TensorProxyPtr matmul(const Value& a, const Value& b);
TensorProxyPtr linear(const Value& input, const Value& weight, const Value& bias = Value());

} // namespace thunder::ltorch
