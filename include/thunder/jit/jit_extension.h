// The JitExtension: the OperatorHandler the Interpreter calls for each node. It maps an
// ATen node to the ltorch symbol that mirrors it (the lookaside, from Symbol::torch_ops),
// binding the node's positional and keyword inputs as the schema orders them. A node
// nothing mirrors becomes an opaque bound symbol that the torch executor runs through the
// dispatcher, with outputs shaped as the exporter recorded them; it is counted as a
// fallback, and in strict mode it is an error naming the op and the source line.
#pragma once

#include "thunder/interpreter/interpreter.h"

#include <string>
#include <string_view>
#include <vector>

namespace thunder {

/// The ltorch symbol that mirrors an ATen overload ("aten::linear.default" or
/// "aten::linear"), or nullptr.
const Symbol* lookaside(std::string_view aten_overload);

struct JitOptions {
  bool strict = false;        ///< A node with no lookaside is an error instead of a fallback.
  bool use_lookasides = true; ///< false: every node stays the ATen call it is (the reference).
};

class JitExtension final : public OperatorHandler {
public:
  JitExtension(const Program& program, JitOptions options);
  Value call(const Node& node, std::vector<Value> args,
             std::vector<std::pair<std::string, Value>> kwargs) override;

  /// The ATen operators that became opaque calls, with why, in program order.
  const std::vector<std::string>& fallbacks() const { return fallbacks_; }

private:
  const Symbol& opaque_symbol(const Node& node);

  const Program& program_;
  JitOptions options_;
  std::vector<std::string> fallbacks_;
};

} // namespace thunder
