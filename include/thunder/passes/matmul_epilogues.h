// Matmul epilogues: a linear layer decomposes into a matrix product, then a bias add, then
// often a relu, and in f16/bf16 into an f32 product of upcast operands rounded once at the
// end (as torch's addmm rounds). Run as they are, the product's result goes to memory and
// a second kernel reads it back, and the f32 product reads f32 copies of the weights.
// cuBLASLt (like most GEMM libraries) applies a bias and an activation in the product's
// epilogue, on the accumulator, before the one rounding. This pass finds
//
//   c = prims.matmul(a, b)            [a, b: prims.convert_element_type(x, f32) + views]
//   c = prims.reshape(c, [..., N])    (optional: a linear of a 3-D input; alone too, since
//                                      a reshape after an unfused product is a copy kernel)
//   d = prims.add(c, prims.broadcast_in_dim(bias, [..., N], [last]))   (optional)
//   e = prims.maximum(d, 0)           (optional: relu)
//   out = prims.convert_element_type(e, f16 | bf16)                   (optional)
//
// where every intermediate has no other reader, and, when the executor of the matmul says
// it runs that epilogue (Executor::runs_matmul_epilogue), replaces it by one call
//
//   out = cuda.matmul_epilogue(a16, b16, bias, activation='relu')
//
// whose subsymbols are the calls it replaced (a plain product, not reshaped, stays as it is). Upcast operands are taken before their
// conversion (the views replayed on the f16/bf16 tensor), so the product reads the
// weights as they are stored. Only folds that keep the trace's numbers: the product
// accumulates in f32 either way, and the bias is added before the one rounding, as torch
// does; an empty sum (K = 0) or an empty result is left alone.
#pragma once

#include "thunder/core/trace.h"

#include <optional>
#include <string>
#include <vector>

namespace thunder {

class Executor;
struct MatmulEpilogue;

/// The trace (provenance "Matmul Epilogues") with each product above folded into one call
/// of its executor, which must be one of `executors` and say it runs the epilogue. Needs a
/// trace from assign_executors; conversions and views left unread are dropped.
Trace fuse_matmul_epilogues(const Trace& assigned, const std::vector<const Executor*>& executors);

/// The symbol of the folded product run by `executor` ("cuda.matmul_epilogue"): one per
/// executor, in the Fusion namespace (its name says who runs it) but no fusion region.
const Symbol& matmul_epilogue_symbol(const std::string& executor);

/// The epilogue of a call this pass made; nullopt for any other bound symbol.
std::optional<MatmulEpilogue> matmul_epilogue_of(const BoundSymbol& bsym);

} // namespace thunder
