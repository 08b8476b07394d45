// Typed functions for tracing ltorch elementwise ops by hand; each records a call in the
// current TraceScope. The symbols are listed in thunder/ops/ltorch/elementwise.def.
#pragma once

#include "thunder/core/value.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace thunder::ltorch {

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

} // namespace thunder::ltorch
