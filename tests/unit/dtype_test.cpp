// Tests of thunder/core/dtype.h: names, sizes and categories of the dtypes, and type
// promotion checked case by case against tests/fixtures/promotion_table.txt, a table that
// torch itself wrote (tests/fixtures/make_promotion_table.py). Each line of the table is
// "promote A B -> R" or "result_type KIND:NAME ... -> R"; every mismatch is collected and
// reported with its line, so one run shows all the cases where we and torch disagree.
#include "thunder/core/dtype.h"

#include <gtest/gtest.h>

#include <cstddef>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#ifndef THUNDER_FIXTURE_DIR
#error "THUNDER_FIXTURE_DIR must name the tests/fixtures directory as a string literal"
#endif

using namespace thunder;

namespace {

constexpr const char* kPromotionTablePath = THUNDER_FIXTURE_DIR "/promotion_table.txt";

// What came of checking the table.
struct TableResult {
  int cases = 0;                     // lines that state a case, raises included
  std::vector<std::string> skipped;  // cases torch refused ("-> raises")
  std::vector<std::string> failures; // mismatches and lines we could not read
};

std::vector<std::string> split_words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> words;
  for (std::string word; in >> word;)
    words.push_back(word);
  return words;
}

// Parses "tensor:NAME", "zerodim:NAME" or "scalar:bool|int|float"; nullopt if malformed.
std::optional<PromotionOperand> parse_operand(const std::string& text) {
  const std::size_t colon = text.find(':');
  if (colon == std::string::npos) return std::nullopt;
  const std::string kind = text.substr(0, colon);
  const std::string name = text.substr(colon + 1);
  if (kind == "scalar") {
    if (name == "bool") return PromotionOperand{DType::Bool, OperandKind::Scalar};
    if (name == "int") return PromotionOperand{DType::Int64, OperandKind::Scalar};
    if (name == "float") return PromotionOperand{DType::Float64, OperandKind::Scalar};
    return std::nullopt;
  }
  const std::optional<DType> dtype = parse_dtype(name);
  if (!dtype) return std::nullopt;
  if (kind == "tensor") return PromotionOperand{*dtype, OperandKind::Tensor};
  if (kind == "zerodim") return PromotionOperand{*dtype, OperandKind::ZeroDimTensor};
  return std::nullopt;
}

// Checks one case line; returns an error message, or an empty string if it matches.
std::string check_case(const std::vector<std::string>& words) {
  // words: VERB ARG... -> EXPECTED
  if (words.size() < 4 || words[words.size() - 2] != "->") return "malformed line";
  const std::string& verb = words.front();
  const std::vector<std::string> args(words.begin() + 1, words.end() - 2);
  const std::optional<DType> expected = parse_dtype(words.back());
  if (!expected) return "unknown result dtype '" + words.back() + "'";

  DType actual;
  if (verb == "promote") {
    if (args.size() != 2) return "promote needs two dtypes";
    const std::optional<DType> a = parse_dtype(args[0]);
    const std::optional<DType> b = parse_dtype(args[1]);
    if (!a || !b) return "unknown dtype";
    actual = promote_types(*a, *b);
  } else if (verb == "result_type") {
    std::vector<PromotionOperand> operands;
    for (const std::string& arg : args) {
      const std::optional<PromotionOperand> operand = parse_operand(arg);
      if (!operand) return "unreadable operand '" + arg + "'";
      operands.push_back(*operand);
    }
    actual = result_type(operands);
  } else {
    return "unknown verb '" + verb + "'";
  }
  if (actual == *expected) return "";
  return "thunder gives " + std::string(torch_name(actual));
}

TableResult check_promotion_table(const std::string& path) {
  TableResult result;
  std::ifstream in(path);
  if (!in) {
    result.failures.push_back("cannot open " + path);
    return result;
  }
  int line_number = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_number;
    const std::vector<std::string> words = split_words(line);
    if (words.empty() || words.front().starts_with("#")) continue;
    ++result.cases;
    if (words.back() == "raises") {
      result.skipped.push_back(line);
      continue;
    }
    const std::string error = check_case(words);
    if (!error.empty()) {
      result.failures.push_back("line " + std::to_string(line_number) + ": " + line + "  (" +
                                error + ")");
    }
  }
  return result;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string joined;
  for (const std::string& line : lines)
    joined += "  " + line + "\n";
  return joined;
}

} // namespace

TEST(TypePromotion, MatchesTorchResultTypeForEveryCase) {
  const TableResult result = check_promotion_table(kPromotionTablePath);
  // An empty or misread table would otherwise pass trivially.
  EXPECT_GE(result.cases, 1000) << "too few cases in " << kPromotionTablePath;
  if (!result.skipped.empty()) {
    std::cout << "note: skipped " << result.skipped.size() << " case(s) that torch refuses:\n"
              << join_lines(result.skipped);
  }
  EXPECT_TRUE(result.failures.empty())
      << result.failures.size() << " of " << result.cases << " cases disagree with torch:\n"
      << join_lines(result.failures);
}

TEST(TypePromotion, OrderOfOperandsDoesNotMatter) {
  const std::vector<PromotionOperand> forward = {{DType::Int8, OperandKind::Tensor},
                                                 {DType::Float16, OperandKind::ZeroDimTensor},
                                                 {DType::Float64, OperandKind::Scalar}};
  const std::vector<PromotionOperand> backward(forward.rbegin(), forward.rend());
  EXPECT_EQ(result_type(forward), DType::Float16);
  EXPECT_EQ(result_type(backward), DType::Float16);
}

TEST(DTypeNames, ShortAndTorchNamesParseBackToTheSameDType) {
  for (DType dtype : kAllDTypes) {
    EXPECT_EQ(parse_dtype(short_name(dtype)), dtype) << short_name(dtype);
    EXPECT_EQ(parse_dtype(torch_name(dtype)), dtype) << torch_name(dtype);
    EXPECT_EQ(parse_dtype("torch." + std::string(torch_name(dtype))), dtype)
        << "torch." << torch_name(dtype);
  }
}

TEST(DTypeNames, AliasesParseAndUnknownNamesDoNot) {
  EXPECT_EQ(parse_dtype("half"), DType::Float16);
  EXPECT_EQ(parse_dtype("float"), DType::Float32);
  EXPECT_EQ(parse_dtype("double"), DType::Float64);
  EXPECT_EQ(parse_dtype("long"), DType::Int64);
  EXPECT_EQ(parse_dtype("int"), DType::Int32);
  EXPECT_EQ(parse_dtype("short"), DType::Int16);
  EXPECT_EQ(parse_dtype("complex64"), std::nullopt);
  EXPECT_EQ(parse_dtype(""), std::nullopt);
}

TEST(DTypeProperties, ItemSizeIsTheBytesPerElement) {
  EXPECT_EQ(item_size(DType::Bool), 1);
  EXPECT_EQ(item_size(DType::UInt8), 1);
  EXPECT_EQ(item_size(DType::Int8), 1);
  EXPECT_EQ(item_size(DType::Int16), 2);
  EXPECT_EQ(item_size(DType::Int32), 4);
  EXPECT_EQ(item_size(DType::Int64), 8);
  EXPECT_EQ(item_size(DType::Float16), 2);
  EXPECT_EQ(item_size(DType::BFloat16), 2);
  EXPECT_EQ(item_size(DType::Float32), 4);
  EXPECT_EQ(item_size(DType::Float64), 8);
}

TEST(DTypeProperties, CategoriesSplitBoolIntegersAndFloats) {
  EXPECT_EQ(category(DType::Bool), DTypeCategory::Bool);
  for (DType dtype : {DType::UInt8, DType::Int8, DType::Int16, DType::Int32, DType::Int64}) {
    EXPECT_EQ(category(dtype), DTypeCategory::Integer) << torch_name(dtype);
    EXPECT_TRUE(is_integer(dtype)) << torch_name(dtype);
    EXPECT_FALSE(is_floating(dtype)) << torch_name(dtype);
  }
  for (DType dtype : {DType::Float16, DType::BFloat16, DType::Float32, DType::Float64}) {
    EXPECT_EQ(category(dtype), DTypeCategory::Floating) << torch_name(dtype);
    EXPECT_TRUE(is_floating(dtype)) << torch_name(dtype);
    EXPECT_FALSE(is_integer(dtype)) << torch_name(dtype);
  }
  EXPECT_FALSE(is_integer(DType::Bool));
  EXPECT_FALSE(is_floating(DType::Bool));
}

TEST(DTypeProperties, OnlyBoolAndUInt8AreUnsigned) {
  for (DType dtype : kAllDTypes) {
    const bool unsigned_type = dtype == DType::Bool || dtype == DType::UInt8;
    EXPECT_EQ(is_signed(dtype), !unsigned_type) << torch_name(dtype);
  }
}
