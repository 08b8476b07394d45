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

TensorProxyPtr neg(const Value& a);
TensorProxyPtr abs(const Value& a);
TensorProxyPtr exp(const Value& a);
TensorProxyPtr log(const Value& a);
TensorProxyPtr sqrt(const Value& a);
TensorProxyPtr rsqrt(const Value& a);
TensorProxyPtr tanh(const Value& a);
TensorProxyPtr erf(const Value& a);

TensorProxyPtr add(const Value& a, const Value& b);
TensorProxyPtr sub(const Value& a, const Value& b);
TensorProxyPtr mul(const Value& a, const Value& b);
TensorProxyPtr div(const Value& a, const Value& b);
TensorProxyPtr maximum(const Value& a, const Value& b);
TensorProxyPtr minimum(const Value& a, const Value& b);

TensorProxyPtr convert_element_type(const Value& a, DType dtype);
/// Places a's dims at broadcast_dimensions of a tensor of the given shape; every other
/// dim, and every dim of a of extent 1, is broadcast.
TensorProxyPtr broadcast_in_dim(const Value& a, const Shape& shape,
                                const std::vector<std::int64_t>& broadcast_dimensions);
TensorProxyPtr reshape(const Value& a, const Shape& shape);
/// Permutes dims: output dim i is input dim permutation[i].
TensorProxyPtr transpose(const Value& a, const std::vector<std::int64_t>& permutation);
TensorProxyPtr sum(const Value& a, const std::vector<std::int64_t>& dims);
TensorProxyPtr matmul(const Value& a, const Value& b);

} // namespace thunder::prims
