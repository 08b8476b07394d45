#include "thunder/jit/prologue.h"

#include "thunder/core/error.h"
#include "thunder/core/tracing.h"

#include <bit>
#include <cstdint>
#include <functional>

namespace thunder {

InputMeta InputMeta::tensor(Shape shape, DType dtype, Device device, bool requires_grad,
                            bool contiguous) {
  InputMeta meta;
  meta.kind = Kind::Tensor;
  meta.shape = std::move(shape);
  meta.dtype = dtype;
  meta.device = device;
  meta.requires_grad = requires_grad;
  meta.contiguous = contiguous;
  return meta;
}

InputMeta InputMeta::number(ScalarValue value) {
  InputMeta meta;
  meta.kind = Kind::Number;
  meta.number_kind = static_cast<NumberKind>(value.index());
  meta.value = value;
  return meta;
}

std::string InputMeta::to_string() const {
  if (kind == Kind::Number) {
    static const char* const kNames[] = {"bool", "int", "float"};
    return str(kNames[static_cast<int>(number_kind)], " ",
               std::visit([](auto v) { return Value(v).repr(); }, value));
  }
  return str(device.to_string(), " ", short_name(dtype), shape_to_string(shape),
             requires_grad ? ", requires_grad" : "", contiguous ? "" : ", non-contiguous");
}

namespace {
// A float by its bits (see operator==); bools and ints as they are.
std::size_t hash_scalar(const ScalarValue& value) {
  if (const double* d = std::get_if<double>(&value))
    return std::hash<std::uint64_t>{}(std::bit_cast<std::uint64_t>(*d));
  return std::hash<ScalarValue>{}(value);
}
} // namespace

bool operator==(const InputMeta& a, const InputMeta& b) {
  if (a.kind != b.kind) return false;
  if (a.kind == InputMeta::Kind::Number) {
    if (a.number_kind != b.number_kind || a.value.index() != b.value.index()) return false;
    const double* x = std::get_if<double>(&a.value);
    return x != nullptr ? std::bit_cast<std::uint64_t>(*x) ==
                              std::bit_cast<std::uint64_t>(std::get<double>(b.value))
                        : a.value == b.value;
  }
  return a.shape == b.shape && a.dtype == b.dtype && a.device == b.device &&
         a.requires_grad == b.requires_grad && a.contiguous == b.contiguous;
}

std::size_t GuardKeyHash::operator()(const GuardKey& key) const {
  // boost::hash_combine's mixing; the fields are few and small.
  std::size_t seed = key.size();
  const auto mix = [&seed](std::size_t h) {
    seed ^= h + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2);
  };
  for (const InputMeta& input : key) {
    mix(static_cast<std::size_t>(input.kind));
    if (input.kind == InputMeta::Kind::Number) {
      mix(hash_scalar(input.value));
      continue;
    }
    mix(input.shape.size());
    for (const std::int64_t extent : input.shape)
      mix(std::hash<std::int64_t>{}(extent));
    mix(static_cast<std::size_t>(input.dtype));
    mix(static_cast<std::size_t>(input.device.type));
    mix(static_cast<std::size_t>(input.device.index));
    mix((input.requires_grad ? 2u : 0u) | (input.contiguous ? 1u : 0u));
  }
  return seed;
}

namespace guards {
namespace {

Value returns_none(const BoundArgs&) {
  return Value();
}

} // namespace

const Symbol& check_tensor_metadata() {
  static const Symbol symbol = make_symbol(Symbol{
      .name = "check_tensor_metadata",
      .ns = SymbolNamespace::Prims,
      .params = {{"t"},
                 {"shape"},
                 {"device"},
                 {"dtype"},
                 {"requires_grad"},
                 {"contiguous", Value(true), /*keyword_only=*/true}},
      .meta = returns_none,
  });
  return symbol;
}

const Symbol& check_number() {
  static const Symbol symbol = make_symbol(Symbol{
      .name = "check_number",
      .ns = SymbolNamespace::Prims,
      .params = {{"n"}, {"value"}},
      .meta = returns_none,
  });
  return symbol;
}

} // namespace guards

namespace {

Value scalar_value(const ScalarValue& value) {
  return std::visit([](auto v) { return Value(v); }, value);
}

// The InputMeta a guard's arguments describe.
InputMeta expected_meta(const BoundSymbol& guard) {
  if (guard.symbol == &guards::check_number()) {
    const Value& v = guard.args.at(1);
    switch (v.kind()) {
    case ValueKind::Bool:
      return InputMeta::number(v.as_bool());
    case ValueKind::Int:
      return InputMeta::number(v.as_int());
    default:
      return InputMeta::number(v.as_float());
    }
  }
  THUNDER_INTERNAL_ASSERT(guard.symbol == &guards::check_tensor_metadata())
      << "not a guard: " << guard.call_string();
  bool contiguous = true;
  for (const auto& [name, value] : guard.kwargs) {
    if (name == "contiguous") contiguous = value.as_bool();
  }
  return InputMeta::tensor(guard.args.at(1).as_ints(), guard.args.at(3).as_dtype(),
                           Device::parse(guard.args.at(2).as_string()), guard.args.at(4).as_bool(),
                           contiguous);
}

} // namespace

Trace make_prologue(const std::vector<std::string>& names, const GuardKey& key) {
  THUNDER_INTERNAL_ASSERT(names.size() == key.size())
      << names.size() << " names for " << key.size() << " inputs";
  TraceScope scope("prologue");
  Value::List inputs;
  for (std::size_t i = 0; i < key.size(); ++i) {
    const InputMeta& meta = key[i];
    if (meta.kind == InputMeta::Kind::Number) {
      inputs.emplace_back(scope.input_number(names[i], meta.number_kind, meta.value));
    } else {
      inputs.emplace_back(
          scope.input_tensor(names[i], meta.shape, meta.dtype, meta.device, meta.requires_grad));
    }
  }
  for (std::size_t i = 0; i < key.size(); ++i) {
    const InputMeta& meta = key[i];
    if (meta.kind == InputMeta::Kind::Number) {
      call_symbol(guards::check_number(), {inputs[i], scalar_value(meta.value)});
    } else {
      call_symbol(guards::check_tensor_metadata(),
                  {inputs[i], Value::ints(meta.shape), meta.device.to_string(), meta.dtype,
                   meta.requires_grad},
                  {{"contiguous", meta.contiguous}});
    }
  }
  return scope.finish(Value(std::move(inputs)), "Prologue");
}

std::optional<std::string> first_failed_guard(const Trace& prologue, const GuardKey& inputs) {
  THUNDER_INTERNAL_ASSERT(inputs.size() == prologue.inputs.size())
      << inputs.size() << " inputs for a prologue of " << prologue.inputs.size();
  for (const BoundSymbol& guard : prologue.bound_symbols) {
    const Proxy* checked = guard.args.at(0).proxy();
    THUNDER_INTERNAL_ASSERT(checked != nullptr) << "guard of no input: " << guard.call_string();
    std::size_t index = 0;
    while (index < prologue.inputs.size() && prologue.inputs[index].proxy() != checked)
      ++index;
    THUNDER_INTERNAL_ASSERT(index < prologue.inputs.size())
        << "guard of an unknown input: " << guard.call_string();
    if (!(expected_meta(guard) == inputs[index])) {
      return str(guard.call_string(), " got ", inputs[index].to_string());
    }
  }
  return std::nullopt;
}

} // namespace thunder
