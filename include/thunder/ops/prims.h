// The prims: primitive symbols that every executor implements and every ltorch symbol
// decomposes into. Their contracts are strict (no broadcasting, no type promotion, dims
// canonical), so executors and code generators stay simple; ltorch does the rest. The
// list of prims is prims.def; the typed functions here record calls in the current
// TraceScope.
#pragma once

#include "thunder/core/symbol.h"
#include "thunder/core/value.h"

#include <cstdint>
#include <vector>

namespace thunder::prims {

/// One id per prim, in prims.def order.
enum class PrimId {
#define THUNDER_PRIM(name, ...) name,
#include "thunder/ops/prims.def"
#undef THUNDER_PRIM
};

/// The symbol of a prim.
const Symbol& symbol(PrimId id);
/// Every prim, in prims.def order.
const std::vector<const Symbol*>& all();

// Elementwise unary.
TensorProxyPtr neg(const Value& a);
TensorProxyPtr abs(const Value& a);
TensorProxyPtr floor(const Value& a);
TensorProxyPtr ceil(const Value& a);
TensorProxyPtr round(const Value& a);
TensorProxyPtr trunc(const Value& a);
TensorProxyPtr sign(const Value& a);
TensorProxyPtr bitwise_not(const Value& a);
TensorProxyPtr exp(const Value& a);
TensorProxyPtr exp2(const Value& a);
TensorProxyPtr log(const Value& a);
TensorProxyPtr log2(const Value& a);
TensorProxyPtr log1p(const Value& a);
TensorProxyPtr expm1(const Value& a);
TensorProxyPtr sqrt(const Value& a);
TensorProxyPtr rsqrt(const Value& a);
TensorProxyPtr reciprocal(const Value& a);
TensorProxyPtr sin(const Value& a);
TensorProxyPtr cos(const Value& a);
TensorProxyPtr tan(const Value& a);
TensorProxyPtr tanh(const Value& a);
TensorProxyPtr erf(const Value& a);
TensorProxyPtr isnan(const Value& a);
TensorProxyPtr isinf(const Value& a);
TensorProxyPtr isfinite(const Value& a);
TensorProxyPtr logical_not(const Value& a);

// Elementwise binary.
TensorProxyPtr add(const Value& a, const Value& b);
TensorProxyPtr sub(const Value& a, const Value& b);
TensorProxyPtr mul(const Value& a, const Value& b);
TensorProxyPtr div(const Value& a, const Value& b);
TensorProxyPtr pow(const Value& a, const Value& b);
TensorProxyPtr maximum(const Value& a, const Value& b);
TensorProxyPtr minimum(const Value& a, const Value& b);
TensorProxyPtr fmod(const Value& a, const Value& b);
TensorProxyPtr remainder(const Value& a, const Value& b);
TensorProxyPtr atan2(const Value& a, const Value& b);
TensorProxyPtr bitwise_and(const Value& a, const Value& b);
TensorProxyPtr bitwise_or(const Value& a, const Value& b);
TensorProxyPtr bitwise_xor(const Value& a, const Value& b);
TensorProxyPtr eq(const Value& a, const Value& b);
TensorProxyPtr ne(const Value& a, const Value& b);
TensorProxyPtr lt(const Value& a, const Value& b);
TensorProxyPtr le(const Value& a, const Value& b);
TensorProxyPtr gt(const Value& a, const Value& b);
TensorProxyPtr ge(const Value& a, const Value& b);
TensorProxyPtr logical_and(const Value& a, const Value& b);
TensorProxyPtr logical_or(const Value& a, const Value& b);
TensorProxyPtr logical_xor(const Value& a, const Value& b);
TensorProxyPtr where(const Value& pred, const Value& a, const Value& b);

TensorProxyPtr convert_element_type(const Value& a, DType dtype);
/// Places a's dims at broadcast_dimensions of a tensor of the given shape; every other
/// dim, and every dim of a of extent 1, is broadcast.
TensorProxyPtr broadcast_in_dim(const Value& a, const Shape& shape,
                                const std::vector<std::int64_t>& broadcast_dimensions);
TensorProxyPtr reshape(const Value& a, const Shape& shape);
/// Permutes dims: output dim i is input dim permutation[i].
TensorProxyPtr transpose(const Value& a, const std::vector<std::int64_t>& permutation);
TensorProxyPtr slice(const Value& a, const std::vector<std::int64_t>& start_indices,
                     const std::vector<std::int64_t>& end_indices,
                     const std::vector<std::int64_t>& strides);
TensorProxyPtr squeeze(const Value& a, const std::vector<std::int64_t>& dims);
TensorProxyPtr cat(const std::vector<TensorProxyPtr>& tensors, std::int64_t dim);
/// padding_config: one [low, high, interior] per dim.
TensorProxyPtr pad(const Value& a, const Value& padding_value,
                   const std::vector<std::vector<std::int64_t>>& padding_config);
TensorProxyPtr index_select(const Value& a, std::int64_t dim, const Value& index);

TensorProxyPtr sum(const Value& a, const std::vector<std::int64_t>& dims);
TensorProxyPtr prod(const Value& a, const std::vector<std::int64_t>& dims);
TensorProxyPtr amax(const Value& a, const std::vector<std::int64_t>& dims);
TensorProxyPtr amin(const Value& a, const std::vector<std::int64_t>& dims);
TensorProxyPtr argmax(const Value& a, std::int64_t dim);
TensorProxyPtr argmin(const Value& a, std::int64_t dim);
TensorProxyPtr cumsum(const Value& a, std::int64_t dim);

TensorProxyPtr matmul(const Value& a, const Value& b);
/// a [N, C, *spatial] with weight [O, C / groups, *kernel] and bias None or [O]; padding is
/// the zeros added on both sides of each spatial dim.
TensorProxyPtr convolution(const Value& a, const Value& weight, const Value& bias,
                           const std::vector<std::int64_t>& stride,
                           const std::vector<std::int64_t>& padding,
                           const std::vector<std::int64_t>& dilation, std::int64_t groups);

TensorProxyPtr full(const Shape& shape, const Value& fill_value, DType dtype, Device device);
TensorProxyPtr iota(std::int64_t length, std::int64_t start, std::int64_t step, DType dtype,
                    Device device);

} // namespace thunder::prims
