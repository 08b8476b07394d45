#include "thunder/core/dtype.h"

#include "thunder/core/error.h"

#include <algorithm>
#include <limits>

namespace thunder {
namespace {

struct DTypeInfo {
  DType dtype;
  std::string_view short_name;
  std::string_view torch_name;
  std::string_view c10_name;
  DTypeCategory category;
  bool is_signed;
  int item_size;
};

constexpr std::array<DTypeInfo, 10> kInfo = {{
    {DType::Bool, "b8", "bool", "Bool", DTypeCategory::Bool, false, 1},
    {DType::UInt8, "u8", "uint8", "Byte", DTypeCategory::Integer, false, 1},
    {DType::Int8, "i8", "int8", "Char", DTypeCategory::Integer, true, 1},
    {DType::Int16, "i16", "int16", "Short", DTypeCategory::Integer, true, 2},
    {DType::Int32, "i32", "int32", "Int", DTypeCategory::Integer, true, 4},
    {DType::Int64, "i64", "int64", "Long", DTypeCategory::Integer, true, 8},
    {DType::Float16, "f16", "float16", "Half", DTypeCategory::Floating, true, 2},
    {DType::BFloat16, "bf16", "bfloat16", "BFloat16", DTypeCategory::Floating, true, 2},
    {DType::Float32, "f32", "float32", "Float", DTypeCategory::Floating, true, 4},
    {DType::Float64, "f64", "float64", "Double", DTypeCategory::Floating, true, 8},
}};

const DTypeInfo& info(DType dtype) {
  const auto index = static_cast<std::size_t>(dtype);
  THUNDER_INTERNAL_ASSERT(index < kInfo.size()) << "dtype value " << index;
  return kInfo[index];
}

// PyTorch's promotion lattice for these types (c10's promoteTypes, restricted to the
// dtypes we support). Rows and columns follow the order of the DType enum.
constexpr DType b1 = DType::Bool, u1 = DType::UInt8, i1 = DType::Int8, i2 = DType::Int16,
                i4 = DType::Int32, i8 = DType::Int64, f2 = DType::Float16, bf = DType::BFloat16,
                f4 = DType::Float32, f8 = DType::Float64;
constexpr DType kPromotion[10][10] = {
    /*        b1  u1  i1  i2  i4  i8  f2  bf  f4  f8 */
    /* b1 */ {b1, u1, i1, i2, i4, i8, f2, bf, f4, f8},
    /* u1 */ {u1, u1, i2, i2, i4, i8, f2, bf, f4, f8},
    /* i1 */ {i1, i2, i1, i2, i4, i8, f2, bf, f4, f8},
    /* i2 */ {i2, i2, i2, i2, i4, i8, f2, bf, f4, f8},
    /* i4 */ {i4, i4, i4, i4, i4, i8, f2, bf, f4, f8},
    /* i8 */ {i8, i8, i8, i8, i8, i8, f2, bf, f4, f8},
    /* f2 */ {f2, f2, f2, f2, f2, f2, f2, f4, f4, f8},
    /* bf */ {bf, bf, bf, bf, bf, bf, f4, bf, f4, f8},
    /* f4 */ {f4, f4, f4, f4, f4, f4, f4, f4, f4, f8},
    /* f8 */ {f8, f8, f8, f8, f8, f8, f8, f8, f8, f8},
};

// Combines the result of a higher-priority tier with that of a lower one: the lower tier
// only matters when it is of a higher category (an integer tensor meets a float scalar),
// or when the higher tier is bool. Mirrors ATen's combine_categories.
std::optional<DType> combine_tiers(std::optional<DType> higher, std::optional<DType> lower) {
  if (!higher) return lower;
  if (!lower) return higher;
  if (is_floating(*higher)) return higher;
  if (*higher == DType::Bool || is_floating(*lower)) return promote_types(*higher, *lower);
  return higher;
}

} // namespace

DTypeCategory category(DType dtype) {
  return info(dtype).category;
}
bool is_floating(DType dtype) {
  return category(dtype) == DTypeCategory::Floating;
}
bool is_integer(DType dtype) {
  return category(dtype) == DTypeCategory::Integer;
}
bool is_signed(DType dtype) {
  return info(dtype).is_signed;
}
int item_size(DType dtype) {
  return info(dtype).item_size;
}
std::string_view short_name(DType dtype) {
  return info(dtype).short_name;
}
std::string_view torch_name(DType dtype) {
  return info(dtype).torch_name;
}
std::string_view c10_name(DType dtype) {
  return info(dtype).c10_name;
}

std::optional<DType> parse_dtype(std::string_view name) {
  if (name.starts_with("torch.")) name.remove_prefix(6);
  for (const DTypeInfo& entry : kInfo) {
    if (name == entry.short_name || name == entry.torch_name) return entry.dtype;
  }
  struct Alias {
    std::string_view name;
    DType dtype;
  };
  static constexpr Alias kAliases[] = {
      {"half", DType::Float16}, {"float", DType::Float32}, {"double", DType::Float64},
      {"long", DType::Int64},   {"int", DType::Int32},     {"short", DType::Int16},
  };
  for (const Alias& alias : kAliases) {
    if (name == alias.name) return alias.dtype;
  }
  return std::nullopt;
}

DType promote_types(DType a, DType b) {
  return kPromotion[static_cast<int>(a)][static_cast<int>(b)];
}

DType result_type(std::span<const PromotionOperand> operands) {
  THUNDER_INTERNAL_ASSERT(!operands.empty()) << "result_type needs at least one operand";
  std::optional<DType> tiers[3];
  for (const PromotionOperand& operand : operands) {
    DType dtype = operand.dtype;
    // A Python float is a "wrapped number" that takes the default dtype; ints stay int64
    // and bools stay bool.
    if (operand.kind == OperandKind::Scalar && is_floating(dtype)) dtype = kDefaultFloatDType;
    std::optional<DType>& tier = tiers[static_cast<int>(operand.kind)];
    tier = tier ? promote_types(*tier, dtype) : dtype;
  }
  const std::optional<DType> result = combine_tiers(tiers[0], combine_tiers(tiers[1], tiers[2]));
  THUNDER_INTERNAL_ASSERT(result.has_value());
  return *result;
}

std::pair<double, double> finite_range(DType dtype) {
  switch (dtype) {
  case DType::UInt8:
    return {0, 255};
  case DType::Int8:
    return {-128, 127};
  case DType::Int16:
    return {-32768, 32767};
  case DType::Int32:
    return {-2147483648.0, 2147483647.0};
  case DType::Int64:
    return {static_cast<double>(std::numeric_limits<std::int64_t>::lowest()),
            static_cast<double>(std::numeric_limits<std::int64_t>::max())};
  case DType::Float16:
    return {-65504.0, 65504.0};
  case DType::BFloat16:
    return {-3.38953138925153547590470800371487866880e+38,
            3.38953138925153547590470800371487866880e+38};
  case DType::Float32:
    return {static_cast<double>(std::numeric_limits<float>::lowest()),
            static_cast<double>(std::numeric_limits<float>::max())};
  default:
    return {std::numeric_limits<double>::lowest(), std::numeric_limits<double>::max()};
  }
}

} // namespace thunder
