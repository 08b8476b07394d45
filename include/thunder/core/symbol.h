// Symbol: an operation as data. A symbol has a name and namespace (prims for the
// primitives every executor implements, ltorch for torch-level ops), its parameters,
// tags that passes and executors dispatch on, an optional check of its arguments, and
// either a meta (prims: computes the output proxies) or a decomposition (ltorch: calls
// other symbols, whose bound symbols become its subsymbols). BoundArgs is what checks,
// metas and decompositions receive: the call's arguments bound to the parameters.
#pragma once

#include "thunder/core/value.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace thunder {

/// prims: the primitives; ltorch: torch-level ops with decompositions; torch: opaque ATen
/// operators that no ltorch symbol mirrors, run as they are by the torch executor; fusion:
/// fusion regions made by the fusion pass, named by their executor ("spirv.fusion0").
enum class SymbolNamespace : std::uint8_t { Prims, LTorch, Torch, Fusion };
std::string_view namespace_name(SymbolNamespace ns); ///< "prims", "ltorch", "torch", "fusion".

/// Properties passes and executors dispatch on. A symbol has a set of them.
enum class Tag : std::uint32_t {
  Elementwise = 1u << 0,
  Reduction = 1u << 1,
  Shape = 1u << 2, ///< Moves or views data without arithmetic (reshape, transpose ...).
  Matmul = 1u << 3,
  Creation = 1u << 4, ///< Makes a tensor from no tensor input (full, iota).
  Random = 1u << 5,   ///< Not a pure function of its inputs: CSE must not merge it.
};

/// A set of tags.
class Tags {
public:
  constexpr Tags() = default;
  constexpr Tags(Tag tag) : bits_(static_cast<std::uint32_t>(tag)) {}
  constexpr Tags operator|(Tags other) const { return Tags(bits_ | other.bits_); }
  constexpr bool has(Tag tag) const { return (bits_ & static_cast<std::uint32_t>(tag)) != 0; }

private:
  constexpr explicit Tags(std::uint32_t bits) : bits_(bits) {}
  std::uint32_t bits_ = 0;
};
constexpr Tags operator|(Tag a, Tag b) {
  return Tags(a) | Tags(b);
}

/// One parameter of a symbol. Keyword-only parameters print as name=value.
struct Param {
  std::string name;
  std::optional<Value> default_value = std::nullopt; ///< nullopt: required.
  bool keyword_only = false;
};

class BoundArgs;
struct Symbol;

/// Validates arguments; throws ArgumentError naming the symbol on bad input.
using CheckFn = void (*)(const BoundArgs& args);
/// Computes the outputs of a prim or an opaque op (fresh proxies from new_tensor /
/// new_number). A std::function: an opaque op's meta carries the shapes its exporter
/// recorded.
using MetaFn = std::function<Value(const BoundArgs& args)>;
/// Computes the outputs of a composite by calling other symbols.
using DecompositionFn = Value (*)(const BoundArgs& args);

/// An operation. Build it with make_symbol, which checks that it is well formed.
struct Symbol {
  std::string name;
  SymbolNamespace ns = SymbolNamespace::Prims;
  std::vector<Param> params;
  Tags tags;
  CheckFn check = nullptr;
  MetaFn meta = nullptr;
  DecompositionFn decomposition = nullptr;
  /// The ATen overloads this symbol mirrors ("aten::add.Tensor"): same positional
  /// parameters in order, same keyword-only names. Front ends map them to the symbol; the
  /// torch executor runs the symbol through them.
  std::vector<std::string> torch_ops;

  /// "prims.add", "ltorch.gelu"; a fusion region's name as it is ("spirv.fusion0").
  std::string qualified_name() const;
  /// No decomposition: executors run it as it is (prims, and opaque torch ops).
  bool is_prim() const { return decomposition == nullptr; }
};

/// Checked factory: a symbol has exactly one of meta and decomposition, valid and unique
/// parameter names, required positional parameters before defaulted ones, and keyword-only
/// parameters last.
Symbol make_symbol(Symbol symbol);

/// The arguments of one call, bound to the symbol's parameters (defaults filled in).
class BoundArgs {
public:
  /// Binds positional and keyword arguments; throws ArgumentError naming the symbol when
  /// one is missing, repeated, unknown or too many.
  BoundArgs(const Symbol& symbol, std::vector<Value> args,
            std::vector<std::pair<std::string, Value>> kwargs);

  const Symbol& symbol() const { return *symbol_; }
  /// All parameters' values, in parameter order.
  const std::vector<Value>& values() const { return values_; }
  std::size_t size() const { return values_.size(); }
  const Value& operator[](std::size_t index) const;
  const Value& get(std::string_view name) const;

  // Typed access that reports a wrong kind as the user's mistake:
  // "ltorch.add: argument 'a' must be Tensor, got str".
  const TensorProxyPtr& tensor(std::size_t index) const;
  std::int64_t integer(std::size_t index) const;
  bool boolean(std::size_t index) const;
  double number(std::size_t index) const; ///< A concrete bool, int or float.
  const std::string& string(std::size_t index) const;
  std::vector<std::int64_t> ints(std::size_t index) const; ///< A list of ints, or one int.

  /// Throws ArgumentError prefixed with "<qualified name>: ".
  [[noreturn]] void fail(const std::string& message) const;

private:
  const Value& checked(std::size_t index, ValueKind kind) const;
  const Symbol* symbol_;
  std::vector<Value> values_;
};

} // namespace thunder
