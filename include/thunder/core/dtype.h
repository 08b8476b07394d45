// Element types and PyTorch's type promotion. The promotion here must agree with
// torch.result_type for every pair of dtypes, for 0-dim tensors and for Python scalars;
// tests/unit/dtype_test.cpp checks it against a table that torch itself wrote.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace thunder {

/// The element types a TensorProxy can hold.
enum class DType : std::uint8_t {
  Bool,
  UInt8,
  Int8,
  Int16,
  Int32,
  Int64,
  Float16,
  BFloat16,
  Float32,
  Float64,
};

inline constexpr std::array<DType, 10> kAllDTypes = {
    DType::Bool,  DType::UInt8,   DType::Int8,     DType::Int16,   DType::Int32,
    DType::Int64, DType::Float16, DType::BFloat16, DType::Float32, DType::Float64};

/// Kinds of dtype, ordered as PyTorch orders them for promotion: bool < integer < floating.
enum class DTypeCategory : std::uint8_t { Bool, Integer, Floating };

DTypeCategory category(DType dtype);
bool is_floating(DType dtype);
bool is_integer(DType dtype); ///< Integral and not bool.
bool is_signed(DType dtype);
int item_size(DType dtype); ///< Bytes per element.

/// Short name used in trace printouts: "f32", "bf16", "i64", "b8".
std::string_view short_name(DType dtype);
/// PyTorch's name: "float32", "bfloat16", "int64", "bool".
std::string_view torch_name(DType dtype);
/// c10's ScalarType name, as torch's messages print it: "Float", "Long", "Half", "Bool".
std::string_view c10_name(DType dtype);
/// The lowest and highest finite values of a dtype, as doubles (bool: those of double).
std::pair<double, double> finite_range(DType dtype);
/// Parses a short or a torch name ("f16", "float16", "half" ...); nullopt if unknown.
std::optional<DType> parse_dtype(std::string_view name);

/// Promotes two dtypes as torch.promote_types does.
DType promote_types(DType a, DType b);

/// The kind of a value that takes part in type promotion, in PyTorch's three priority
/// tiers: tensors with dimensions, 0-dim tensors, and Python scalars ("wrapped numbers").
enum class OperandKind : std::uint8_t { Tensor, ZeroDimTensor, Scalar };

/// One operand of type promotion. For a Scalar, dtype is the Python type it stands for:
/// Bool for bool, Int64 for int, Float64 for float (it promotes as the default dtype).
struct PromotionOperand {
  DType dtype;
  OperandKind kind;
};

/// The default floating dtype that Python floats promote to (torch.get_default_dtype()).
inline constexpr DType kDefaultFloatDType = DType::Float32;

/// The result dtype of an operation over these operands, as torch.result_type computes
/// it. Requires at least one operand.
DType result_type(std::span<const PromotionOperand> operands);

} // namespace thunder
