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
/// rounding_mode: None (true division, a float result), 'trunc' or 'floor' (the promoted
/// dtype; floor divides as Python does).
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
/// 2 ** a.
TensorProxyPtr exp2(const Value& a);
/// Base-2 logarithm.
TensorProxyPtr log2(const Value& a);
/// Base-10 logarithm.
TensorProxyPtr log10(const Value& a);
/// log(1 + a), accurate for small a.
TensorProxyPtr log1p(const Value& a);
/// exp(a) - 1, accurate for small a.
TensorProxyPtr expm1(const Value& a);
/// Sine (radians).
TensorProxyPtr sin(const Value& a);
/// Cosine (radians).
TensorProxyPtr cos(const Value& a);
/// Tangent (radians).
TensorProxyPtr tan(const Value& a);
/// 1 / a, a float result.
TensorProxyPtr reciprocal(const Value& a);
/// Rounds down; integer tensors come back unchanged, bool is rejected.
TensorProxyPtr floor(const Value& a);
/// Rounds up; integer tensors come back unchanged, bool is rejected.
TensorProxyPtr ceil(const Value& a);
/// Rounds half to even, to `decimals` decimal places (negative: to tens, hundreds ...).
TensorProxyPtr round(const Value& a, std::int64_t decimals = 0);
/// Rounds towards zero; integer tensors come back unchanged, bool is rejected.
TensorProxyPtr trunc(const Value& a);
/// -1, 0 or 1 in a's dtype (bool stays bool).
TensorProxyPtr sign(const Value& a);
/// a * a (bool squares to int64, as pow(a, 2)).
TensorProxyPtr square(const Value& a);
/// Bool: a is nan.
TensorProxyPtr isnan(const Value& a);
/// Bool: a is +-inf.
TensorProxyPtr isinf(const Value& a);
/// Bool: a is neither nan nor +-inf.
TensorProxyPtr isfinite(const Value& a);
/// Bool: a is zero.
TensorProxyPtr logical_not(const Value& a);
/// ~a for integer and bool tensors.
TensorProxyPtr bitwise_not(const Value& a);
/// a ** b; tensor or number on either side (not both numbers).
TensorProxyPtr pow(const Value& a, const Value& b);
/// C remainder: the result takes a's sign.
TensorProxyPtr fmod(const Value& a, const Value& b);
/// Python remainder: the result takes b's sign.
TensorProxyPtr remainder(const Value& a, const Value& b);
/// atan(a / b) in the quadrant of (b, a), a float result.
TensorProxyPtr atan2(const Value& a, const Value& b);
/// a // b in the promoted dtype, as div(a, b, rounding_mode='floor').
TensorProxyPtr floor_divide(const Value& a, const Value& b);
/// Comparisons: bool results, computed in the promoted dtype.
TensorProxyPtr eq(const Value& a, const Value& b);
/// a != b.
TensorProxyPtr ne(const Value& a, const Value& b);
/// a < b.
TensorProxyPtr lt(const Value& a, const Value& b);
/// a <= b.
TensorProxyPtr le(const Value& a, const Value& b);
/// a > b.
TensorProxyPtr gt(const Value& a, const Value& b);
/// a >= b.
TensorProxyPtr ge(const Value& a, const Value& b);
/// Bool: both nonzero.
TensorProxyPtr logical_and(const Value& a, const Value& b);
/// Bool: either nonzero.
TensorProxyPtr logical_or(const Value& a, const Value& b);
/// Bool: exactly one nonzero.
TensorProxyPtr logical_xor(const Value& a, const Value& b);
/// a & b for integer and bool operands.
TensorProxyPtr bitwise_and(const Value& a, const Value& b);
/// a | b for integer and bool operands.
TensorProxyPtr bitwise_or(const Value& a, const Value& b);
/// a ^ b for integer and bool operands.
TensorProxyPtr bitwise_xor(const Value& a, const Value& b);
/// a where condition (bool) holds, else b; all three broadcast, a and b promote (either
/// may be a number).
TensorProxyPtr where(const Value& condition, const Value& a, const Value& b);
/// a with value (a number or a 0-dim tensor) where mask (bool) holds; keeps a's dtype, and
/// broadcasts a and mask together.
TensorProxyPtr masked_fill(const Value& a, const Value& mask, const Value& value);
/// min(max(a, min), max); min and max are None, numbers or tensors (at least one not None),
/// and take part in type promotion and broadcasting.
TensorProxyPtr clamp(const Value& a, const Value& min = Value(), const Value& max = Value());

} // namespace thunder::ltorch
