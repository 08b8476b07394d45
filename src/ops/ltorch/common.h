// What the ltorch families share: PyTorch's elementwise type promotion and the generic
// elementwise decomposition (broadcast, promote, compute, convert back), argument checks
// that several ops use, and the registration of a family's symbols from its .def file.
// Private to the ops library.
#pragma once

#include "../meta_utils.h"
#include "thunder/core/error.h"
#include "thunder/core/symbol.h"
#include "thunder/core/tracing.h"
#include "thunder/ops/ltorch.h"
#include "thunder/ops/prims.h"

#include <functional>
#include <string>
#include <vector>

namespace thunder::ltorch::detail {

/// How an elementwise op chooses its dtypes, after PyTorch's ELEMENTWISE_TYPE_PROMOTION_KIND.
enum class PromotionKind {
  Default,    ///< the promoted dtype; f16/bf16 computed in f32
  IntToFloat, ///< like Default, but bool and integer results become the default float
  NoOpMath,   ///< the promoted dtype, computed in it (neg, abs, max ...)
  AlwaysBool, ///< computed in the promoted dtype, bool result (comparisons)
};

struct Dtypes {
  DType computation;
  DType result;
};

Dtypes elementwise_dtypes(const BoundArgs& args, const std::vector<Value>& operands,
                          PromotionKind kind);

/// Brings a tensor operand to the shape and dtype; numbers stay numbers (prims take them
/// as values of the tensor's dtype).
Value prepare_operand(const Value& v, const Shape& shape, DType dtype);

/// t itself if it already has this dtype, else a conversion.
TensorProxyPtr to_dtype(const TensorProxyPtr& t, DType dtype);

/// t broadcast to shape, aligning trailing dims (t itself if the shapes agree).
TensorProxyPtr broadcast_to(const TensorProxyPtr& t, const Shape& shape);

using Compute = std::function<TensorProxyPtr(const std::vector<Value>&)>;

/// The decomposition of every elementwise op: broadcast the operands, convert them to
/// the computation dtype, compute, convert to the result dtype.
TensorProxyPtr elementwise(const BoundArgs& args, std::vector<Value> operands, PromotionKind kind,
                           const Compute& compute);

/// ArgumentError unless both tensors have one dtype and one device.
void check_same_dtype_and_device(const BoundArgs& args, const TensorProxy& a, const TensorProxy& b);

/// Canonical dims of a permutation of ndim dims; ArgumentError for repeats or wrong count.
std::vector<std::int64_t> canonical_permutation(const BoundArgs& args,
                                                const std::vector<std::int64_t>& dims,
                                                std::int64_t ndim);

/// Builds an ltorch symbol from a .def line; torch_ops is a comma-separated list of the
/// ATen overloads it mirrors ("aten::add.Tensor"), or empty.
Symbol make_ltorch_symbol(const char* name, const std::vector<Param>& params, CheckFn check,
                          DecompositionFn decomposition, Tags tags, const char* torch_ops);

/// Calls an ltorch symbol and returns its tensor output.
TensorProxyPtr call_tensor(LTorchId id, std::vector<Value> args,
                           std::vector<std::pair<std::string, Value>> kwargs = {});

// Each family adds its symbols in .def order; ltorch.cpp calls them in ltorch.def order.
void add_elementwise_symbols(std::vector<Symbol>& table);
void add_activation_symbols(std::vector<Symbol>& table);
void add_shape_symbols(std::vector<Symbol>& table);
void add_reduction_symbols(std::vector<Symbol>& table);
void add_nn_symbols(std::vector<Symbol>& table);

} // namespace thunder::ltorch::detail
