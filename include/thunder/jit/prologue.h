// The prologue of a compiled specialization, and the guard key its cache is looked up by.
// A computation trace is valid only for inputs like the ones it was traced for: the same
// shapes, dtypes, devices, requires_grad and memory layout, and the same values of number
// inputs (they are specialized on). The prologue states those conditions as a trace of
// guards, one per input, the way Thunder's prologue trace does:
//
//   # Constructed by Prologue
//   def prologue(x, n):
//     # x: "cpu f32[4, 16]"
//     # n: "int 3"
//     prims.check_tensor_metadata(x, [4, 16], 'cpu', dtypes.float32, False, contiguous=True)
//     prims.check_number(n, 3)
//     return (x, n)
//
// Calls do not run the prologue: the guard key (exactly what the guards read) is hashed
// and looked up, so a call costs O(inputs), not O(cached specializations). The prologue is
// evaluated on a miss, to say which guard failed. No torch header: the compile API turns
// at::Tensors into InputMeta.
#pragma once

#include "thunder/core/proxy.h"
#include "thunder/core/symbol.h"
#include "thunder/core/trace.h"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace thunder {

/// What the guards read of one input: a tensor's metadata, or a number's value.
struct InputMeta {
  enum class Kind : std::uint8_t { Tensor, Number };
  Kind kind = Kind::Tensor;
  // Kind::Tensor.
  Shape shape;
  DType dtype = DType::Float32;
  Device device;
  bool requires_grad = false;
  bool contiguous = true;
  // Kind::Number.
  NumberKind number_kind = NumberKind::Int;
  ScalarValue value = std::int64_t{0};

  static InputMeta tensor(Shape shape, DType dtype, Device device, bool requires_grad,
                          bool contiguous);
  static InputMeta number(ScalarValue value);

  /// "cpu f32[4, 16]" (with ", requires_grad" / ", non-contiguous" where so), "int 3".
  std::string to_string() const;
  /// Every field equal; float values by bit pattern, so that -0.0 and 0.0 are different
  /// specializations and a NaN input finds the one compiled for it.
  friend bool operator==(const InputMeta& a, const InputMeta& b);
};

/// One InputMeta per user input, in signature order: the cache key of a specialization.
using GuardKey = std::vector<InputMeta>;

/// Hashes every field the guards check.
struct GuardKeyHash {
  std::size_t operator()(const GuardKey& key) const;
};

/// The guard symbols (namespace prims; they compute nothing and return None).
namespace guards {
/// check_tensor_metadata(t, shape, device, dtype, requires_grad, *, contiguous)
const Symbol& check_tensor_metadata();
/// check_number(n, value): the value the trace was specialized on.
const Symbol& check_number();
} // namespace guards

/// The prologue of the specialization for key; names are the inputs' names (one per key
/// entry, valid Python identifiers).
Trace make_prologue(const std::vector<std::string>& names, const GuardKey& key);

/// Evaluates the prologue's guards on these inputs (one InputMeta per prologue input).
/// Returns the first guard that fails, as "<guard call> got <what the input is>", or
/// nullopt when every guard passes.
std::optional<std::string> first_failed_guard(const Trace& prologue, const GuardKey& inputs);

} // namespace thunder
