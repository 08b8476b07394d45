// Typed functions for tracing ltorch shape, data-movement and creation ops by hand; each
// records a call in the current TraceScope. The symbols are listed in
// thunder/ops/ltorch/shape.def.
#pragma once

#include "thunder/core/value.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace thunder::ltorch {

/// One extent may be -1 (inferred).
TensorProxyPtr reshape(const Value& a, const Shape& shape);
/// reshape under torch's name (shapes are static, so every view is a reshape here).
TensorProxyPtr view(const Value& a, const Shape& shape);
/// Swaps two dims.
TensorProxyPtr transpose(const Value& a, std::int64_t dim0, std::int64_t dim1);
/// Reorders the dims: output dim i is input dim dims[i].
TensorProxyPtr permute(const Value& a, const std::vector<std::int64_t>& dims);
/// Merges dims start_dim..end_dim into one; a 0-dim tensor becomes [1].
TensorProxyPtr flatten(const Value& a, std::int64_t start_dim = 0, std::int64_t end_dim = -1);
/// Splits dim into sizes (one of which may be -1).
TensorProxyPtr unflatten(const Value& a, std::int64_t dim, const Shape& sizes);
/// Inserts a dim of extent 1 at dim (in [-ndim - 1, ndim]).
TensorProxyPtr unsqueeze(const Value& a, std::int64_t dim);
/// Removes dims of extent 1: all of them (dim None), or those listed (an int or a list)
/// that have extent 1.
TensorProxyPtr squeeze(const Value& a, const Value& dim = Value());
/// Broadcasts to size; -1 keeps a dim, extra sizes are new leading dims.
TensorProxyPtr expand(const Value& a, const Shape& size);
/// The input itself: traces have no memory layout.
TensorProxyPtr contiguous(const Value& a);
/// The input itself (aten::alias: traces have no aliasing to express).
TensorProxyPtr alias(const Value& a);
/// Pieces along dim: split_size an int (pieces of that extent, the last one smaller) or a
/// list of extents.
std::vector<TensorProxyPtr> split(const Value& a, const Value& split_size, std::int64_t dim = 0);
/// At most chunks pieces of equal extent along dim (the last one smaller).
std::vector<TensorProxyPtr> chunk(const Value& a, std::int64_t chunks, std::int64_t dim = 0);
/// Concatenates along dim, promoting dtypes; 1-D tensors of extent 0 are skipped.
TensorProxyPtr cat(const std::vector<Value>& tensors, std::int64_t dim = 0);
/// Stacks tensors of one shape along a new dim, promoting dtypes.
TensorProxyPtr stack(const std::vector<Value>& tensors, std::int64_t dim = 0);
/// Elements start .. start + length of dim (start may be negative).
TensorProxyPtr narrow(const Value& a, std::int64_t dim, std::int64_t start, std::int64_t length);
/// The slice at index of dim, without that dim (index may be negative).
TensorProxyPtr select(const Value& a, std::int64_t dim, std::int64_t index);
/// a[start:end:step] along dim; start and end are None or ints, negative ones count from
/// the end, and both are clamped to the extent.
TensorProxyPtr slice(const Value& a, std::int64_t dim = 0, const Value& start = Value(),
                     const Value& end = Value(), std::int64_t step = 1);
/// The entries index (a 0-D or 1-D int32/int64 tensor) of dim.
TensorProxyPtr index_select(const Value& a, std::int64_t dim, const Value& index);
/// a[indices]: advanced indexing by int32/int64 tensors (None keeps a dim), as torch's
/// aten::index.Tensor; boolean masks are not supported (their result shape is data).
TensorProxyPtr index(const Value& a, const std::vector<Value>& indices);
/// torch.gather: along dim, the elements of a that index (int64, a's rank) names.
TensorProxyPtr gather(const Value& a, std::int64_t dim, const Value& index);
/// Rows of weight (2-D) for each of indices: shape indices.shape + [embedding_dim].
TensorProxyPtr embedding(const Value& weight, const Value& indices, std::int64_t padding_idx = -1);
/// The upper triangle of the last two dims: elements with col - row >= diagonal.
TensorProxyPtr triu(const Value& a, std::int64_t diagonal = 0);
/// The lower triangle of the last two dims: elements with col - row <= diagonal.
TensorProxyPtr tril(const Value& a, std::int64_t diagonal = 0);
/// A tensor of fill_value; dtype from fill_value when absent (bool, int64 or float32).
TensorProxyPtr full(const Shape& size, const Value& fill_value,
                    std::optional<DType> dtype = std::nullopt,
                    std::optional<Device> device = std::nullopt);
/// Zeros, float32 unless dtype.
TensorProxyPtr zeros(const Shape& size, std::optional<DType> dtype = std::nullopt,
                     std::optional<Device> device = std::nullopt);
/// Ones, float32 unless dtype.
TensorProxyPtr ones(const Shape& size, std::optional<DType> dtype = std::nullopt,
                    std::optional<Device> device = std::nullopt);
/// start, start + step, ... up to end (excluded): int64 if all three are ints, else
/// float32, unless dtype.
TensorProxyPtr arange(const Value& start, const Value& end, const Value& step = 1,
                      std::optional<DType> dtype = std::nullopt,
                      std::optional<Device> device = std::nullopt);
/// A tensor of fill_value of the given size, with a's dtype (unless dtype) and device.
TensorProxyPtr new_full(const Value& a, const Shape& size, const Value& fill_value,
                        std::optional<DType> dtype = std::nullopt);
/// Zeros of the given size, with a's dtype (unless dtype) and device.
TensorProxyPtr new_zeros(const Value& a, const Shape& size,
                         std::optional<DType> dtype = std::nullopt);
/// Ones of the given size, with a's dtype (unless dtype) and device.
TensorProxyPtr new_ones(const Value& a, const Shape& size,
                        std::optional<DType> dtype = std::nullopt);
/// A tensor of fill_value with a's shape and device, and its dtype unless dtype.
TensorProxyPtr full_like(const Value& a, const Value& fill_value,
                         std::optional<DType> dtype = std::nullopt);
/// Zeros with a's shape and device, and its dtype unless dtype.
TensorProxyPtr zeros_like(const Value& a, std::optional<DType> dtype = std::nullopt);
/// Ones with a's shape and device, and its dtype unless dtype.
TensorProxyPtr ones_like(const Value& a, std::optional<DType> dtype = std::nullopt);

} // namespace thunder::ltorch
