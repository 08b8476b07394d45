// The Interpreter alone, with a fake OperatorHandler and no torch: control flow resolved
// on concrete values (branches taken, loops unrolled), Python scalar ops and a proxy's
// static metadata evaluated concretely, and data-dependent control flow as an error
// naming the node, its source line and the tensor.
#include "thunder/core/error.h"
#include "thunder/core/tracing.h"
#include "thunder/interpreter/interpreter.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace thunder {
namespace {

// Records the targets it is called with; each call returns a fresh tensor shaped like
// its first tensor argument.
class FakeHandler final : public OperatorHandler {
public:
  Value call(const Node& node, std::vector<Value> args,
             std::vector<std::pair<std::string, Value>>) override {
    calls.push_back(node.target);
    for (const Value& arg : args) {
      if (arg.is_tensor()) {
        const TensorProxy& t = *arg.as_tensor();
        return Value(new_tensor(node.target == "aten::sum" ? Shape{} : t.shape(), t.dtype(),
                                t.device()));
      }
    }
    return Value(new_tensor({}, DType::Float32, Device::cpu()));
  }
  std::vector<std::string> calls;
};

NodeInput named(const std::string& name) { return {"", ProgramArg::of_name(name), false}; }
NodeInput constant(Value value) { return {"", ProgramArg::of_constant(std::move(value)), false}; }

Node node(std::string target, std::vector<NodeInput> inputs, std::vector<std::string> outputs) {
  Node n;
  n.target = std::move(target);
  n.inputs = std::move(inputs);
  n.outputs = std::move(outputs);
  return n;
}

Block block(std::vector<std::string> inputs, std::vector<Node> nodes,
            std::vector<std::string> outputs) {
  return Block{std::move(inputs), std::move(nodes), std::move(outputs)};
}

// A program over a tensor x [2, 3] and a bool flag.
Program program_with(std::vector<Node> nodes, std::vector<std::string> outputs) {
  Program p;
  p.inputs = {{"x", InputKind::UserInput, ""}, {"flag", InputKind::UserInput, ""}};
  p.nodes = std::move(nodes);
  p.outputs = std::move(outputs);
  return p;
}

struct RunResult {
  Value outputs;
  std::vector<std::string> calls;
};

RunResult run(const Program& program, bool flag, const InterpreterOptions& options = {}) {
  TraceScope scope;
  auto x = scope.input_tensor("x", {2, 3}, DType::Float32);
  FakeHandler handler;
  RunResult out;
  out.outputs = interpret(program, {Value(x), Value(flag)}, handler, options);
  out.calls = handler.calls;
  return out;
}

Node if_flag() {
  Node n = node("prim::If", {named("flag")}, {"y"});
  n.blocks = {block({}, {node("aten::relu", {named("x")}, {"r"})}, {"r"}),
              block({}, {node("aten::neg", {named("x")}, {"n"})}, {"n"})};
  return n;
}

TEST(Interpreter, IfRunsOnlyTheTakenBranch) {
  const Program p = program_with({if_flag()}, {"y"});
  EXPECT_EQ(run(p, true).calls, (std::vector<std::string>{"aten::relu"}));
  EXPECT_EQ(run(p, false).calls, (std::vector<std::string>{"aten::neg"}));
}

TEST(Interpreter, NumberInputsWithKnownValuesAreSpecializedOn) {
  // A bool input the trace specializes on (its prologue guards the value) picks the branch;
  // one whose value is unknown is data-dependent.
  const Program p = program_with({if_flag()}, {"y"});
  for (const bool known : {true, false}) {
    TraceScope scope;
    auto x = scope.input_tensor("x", {2, 3}, DType::Float32);
    auto flag = known ? scope.input_number("flag", NumberKind::Bool, ScalarValue(false))
                      : scope.input_number("flag", NumberKind::Bool);
    FakeHandler handler;
    if (known) {
      interpret(p, {Value(x), Value(flag)}, handler);
      EXPECT_EQ(handler.calls, (std::vector<std::string>{"aten::neg"}));
    } else {
      EXPECT_THROW(interpret(p, {Value(x), Value(flag)}, handler), UnsupportedError);
    }
  }
}

TEST(Interpreter, IfBlockInputsBindOperands) {
  // torch.export's cond: the blocks are sub-graphs whose inputs bind the operands.
  Node n = node("prim::If", {constant(Value(false)), named("x")}, {"y"});
  n.blocks = {block({"a"}, {node("aten::relu", {named("a")}, {"r"})}, {"r"}),
              block({"b"}, {node("aten::cos", {named("b")}, {"c"})}, {"c"})};
  const RunResult r = run(program_with({n}, {"y"}), true);
  EXPECT_EQ(r.calls, (std::vector<std::string>{"aten::cos"}));
  EXPECT_TRUE(r.outputs.as_list()[0].is_tensor());
}

TEST(Interpreter, LoopIsUnrolledWithCarriedValues) {
  // for i in range(3): x = x * i
  Node loop = node("prim::Loop", {constant(Value(3)), constant(Value(true)), named("x")}, {"out"});
  loop.blocks = {block({"i", "c"},
                       {node("aten::mul.Tensor", {named("c"), named("i")}, {"m"}),
                        node("prim::Constant", {constant(Value(true))}, {"t"})},
                       {"t", "m"})};
  const RunResult r = run(program_with({loop}, {"out"}), true);
  EXPECT_EQ(r.calls, (std::vector<std::string>(3, "aten::mul.Tensor")));
  EXPECT_TRUE(r.outputs.as_list()[0].is_tensor());
}

TEST(Interpreter, WhileLoopOnIntsStopsOnItsCondition) {
  // i = 0; while i < 4: i = i + 1   (TorchScript: trip count INT64_MAX, a condition)
  Node loop = node("prim::Loop",
                   {constant(Value(std::numeric_limits<std::int64_t>::max())), constant(Value(true)),
                    constant(Value(0))},
                   {"i_final"});
  loop.blocks = {block({"iter", "i"},
                       {node("aten::add.int", {named("i"), constant(Value(1))}, {"i1"}),
                        node("aten::lt.int", {named("i1"), constant(Value(4))}, {"go"})},
                       {"go", "i1"})};
  const RunResult r = run(program_with({loop}, {"i_final"}), true);
  EXPECT_TRUE(r.calls.empty());
  EXPECT_EQ(r.outputs.as_list()[0], Value(4));
}

TEST(Interpreter, PrimWhileRunsCondAndBodyBlocks) {
  Node loop = node("prim::While", {{"carried", ProgramArg::of_constant(Value(1)), false}}, {"n"});
  loop.blocks = {block({"a"}, {node("aten::lt.int", {named("a"), constant(Value(100))}, {"c"})}, {"c"}),
                 block({"b"}, {node("aten::mul.int", {named("b"), constant(Value(3))}, {"m"})}, {"m"})};
  EXPECT_EQ(run(program_with({loop}, {"n"}), true).outputs.as_list()[0], Value(243));
}

TEST(Interpreter, TooManyIterationsIsAnError) {
  Node loop = node("prim::Loop", {constant(Value(50)), constant(Value(true))}, {});
  loop.blocks = {block({"i"}, {node("prim::Constant", {constant(Value(true))}, {"t"})}, {"t"})};
  loop.location = SourceLocation{"model.py", 7};
  try {
    run(program_with({loop}, {}), true, InterpreterOptions{.max_loop_iterations = 10});
    FAIL() << "expected UnsupportedError";
  } catch (const UnsupportedError& e) {
    EXPECT_STREQ(e.what(), "prim::Loop at model.py:7 runs more than 10 iterations; loops are "
                           "unrolled into the trace, so this is too many "
                           "(InterpreterOptions::max_loop_iterations)");
  }
}

TEST(Interpreter, SizesAndDimsOfProxiesAreConcrete) {
  const Program p = program_with(
      {node("aten::size.int", {named("x"), constant(Value(-1))}, {"n"}),
       node("aten::dim", {named("x")}, {"d"}), node("aten::size", {named("x")}, {"s"}),
       node("aten::mul.int", {named("n"), named("d")}, {"nd"}),
       node("aten::floordiv.int", {named("nd"), constant(Value(-4))}, {"q"}),
       node("aten::len.t", {named("s")}, {"len"}),
       node("aten::__getitem__.t", {named("s"), constant(Value(0))}, {"s0"}),
       node("aten::eq.int", {named("s0"), constant(Value(2))}, {"eq"}),
       node("aten::div.int", {named("n"), constant(Value(2))}, {"half"})},
      {"n", "d", "s", "nd", "q", "len", "eq", "half"});
  const RunResult r = run(p, true);
  EXPECT_TRUE(r.calls.empty());
  EXPECT_EQ(r.outputs.repr(), "[3, 2, [2, 3], 6, -2, 2, True, 1.5]");
}

TEST(Interpreter, ListsAndTuplesStayConcrete) {
  const Program p = program_with(
      {node("prim::ListConstruct", {constant(Value(1)), named("x")}, {"l"}),
       node("prim::ListUnpack", {named("l")}, {"a", "b"}),
       node("prim::TupleConstruct", {named("a"), constant(Value(2.5))}, {"t"}),
       node("prim::TupleIndex", {named("t"), constant(Value(1))}, {"u"}),
       node("aten::append.t", {named("l"), constant(Value("s"))}, {"l2"}),
       node("aten::len.t", {named("l")}, {"n"})},
      {"a", "b", "u", "n"});
  const RunResult r = run(p, true);
  EXPECT_EQ(r.outputs.repr(), "[1, x, 2.5, 3]");
}

TEST(Interpreter, TensorOperandsGoToTheHandler) {
  // aten::add is a scalar op on ints, a tensor op on tensors.
  const Program p = program_with({node("aten::add.Tensor", {named("x"), constant(Value(1))}, {"y"}),
                                  node("aten::add.int", {constant(Value(1)), constant(Value(2))}, {"z"})},
                                 {"y", "z"});
  const RunResult r = run(p, true);
  EXPECT_EQ(r.calls, (std::vector<std::string>{"aten::add.Tensor"}));
  EXPECT_EQ(r.outputs.as_list()[1], Value(3));
}

TEST(Interpreter, DataDependentIfIsAnErrorNamingNodeLineAndTensor) {
  // if x.sum() > 0: ...
  Node convert = node("aten::Bool.Tensor", {named("s")}, {"b"});
  convert.location = SourceLocation{"model.py", 12};
  Node n = if_flag();
  n.inputs = {named("b")};
  n.location = SourceLocation{"model.py", 12};
  const Program p = program_with({node("aten::sum", {named("x")}, {"s"}), convert, n}, {"y"});
  try {
    run(p, true);
    FAIL() << "expected UnsupportedError";
  } catch (const UnsupportedError& e) {
    EXPECT_STREQ(e.what(),
                 "data-dependent control flow: prim::If at model.py:12 depends on the data of "
                 "tensor t0 (through aten::Bool.Tensor at model.py:12), which is unknown while "
                 "tracing; thunder specializes control flow on Python values and shapes only. "
                 "Make the condition depend on shapes or module attributes, or capture the model "
                 "with torch.compile, which splits the graph here and runs the branch in eager "
                 "PyTorch");
  }
}

TEST(Interpreter, DataDependenceFlowsThroughScalarOps) {
  // n = int(x.sum()) + 1; for i in range(n): ...
  Node loop = node("prim::Loop", {named("n"), constant(Value(true))}, {});
  loop.blocks = {block({"i"}, {node("prim::Constant", {constant(Value(true))}, {"t"})}, {"t"})};
  const Program p = program_with({node("aten::sum", {named("x")}, {"s"}),
                                  node("aten::Int.Tensor", {named("s")}, {"i"}),
                                  node("aten::add.int", {named("i"), constant(Value(1))}, {"n"}), loop},
                                 {});
  try {
    run(p, true);
    FAIL() << "expected UnsupportedError";
  } catch (const UnsupportedError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("data-dependent control flow: prim::Loop depends on the "
                                          "data of tensor t0 (through aten::Int.Tensor)",
                                          0),
              0u)
        << e.what();
  }
}

TEST(Interpreter, DataDependentValueReachingATensorOpIsAnError) {
  const Program p = program_with({node("aten::sum", {named("x")}, {"s"}),
                                  node("aten::Int.Tensor", {named("s")}, {"i"}),
                                  node("aten::mul.Tensor", {named("x"), named("i")}, {"y"})},
                                 {"y"});
  try {
    run(p, true);
    FAIL() << "expected UnsupportedError";
  } catch (const UnsupportedError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("data-dependent value: aten::mul.Tensor takes a Python "
                                          "value that aten::Int.Tensor computed from the data of "
                                          "tensor t0",
                                          0),
              0u)
        << e.what();
  }
}

TEST(Interpreter, TensorPredicateIsDataDependent) {
  Node n = if_flag();
  n.inputs = {named("x")};
  try {
    run(program_with({n}, {"y"}), true);
    FAIL() << "expected UnsupportedError";
  } catch (const UnsupportedError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(
                  "data-dependent control flow: prim::If depends on the data of tensor x, which", 0),
              0u)
        << e.what();
  }
}

TEST(Interpreter, RaiseInTakenBranchIsAnArgumentError) {
  Node n = node("prim::If", {named("flag")}, {});
  Node raise = node("prim::RaiseException", {constant(Value("AssertionError: bad rank")),
                                             constant(Value("builtins.AssertionError"))},
                    {});
  raise.location = SourceLocation{"model.py", 3};
  n.blocks = {block({}, {raise}, {}), block({}, {}, {})};
  EXPECT_NO_THROW(run(program_with({n}, {}), false));
  try {
    run(program_with({n}, {}), true);
    FAIL() << "expected ArgumentError";
  } catch (const ArgumentError& e) {
    EXPECT_STREQ(e.what(), "the model raised an exception at model.py:3: AssertionError: bad rank");
  }
}

// One scalar op node at model.py:5 on constant arguments: its output.
Value eval(const std::string& target, const std::vector<Value>& args) {
  std::vector<NodeInput> inputs;
  for (const Value& a : args)
    inputs.push_back(constant(a));
  Node n = node(target, std::move(inputs), {"out"});
  n.location = SourceLocation{"model.py", 5};
  return run(program_with({n}, {"out"}), true).outputs.as_list()[0];
}

// The message of the ModelError that eval throws.
std::string eval_error(const std::string& target, const std::vector<Value>& args) {
  try {
    const Value out = eval(target, args);
    return "no error; got " + out.repr();
  } catch (const ModelError& e) {
    return e.what();
  }
}

constexpr std::int64_t int64_min = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t int64_max = std::numeric_limits<std::int64_t>::max();

TEST(Interpreter, ComparisonsWithNaNAreFalseAsInPython) {
  const Value nan(std::nan(""));
  for (const char* op :
       {"aten::lt.float", "aten::le.float", "aten::gt.float", "aten::ge.float", "aten::eq.float"}) {
    EXPECT_EQ(eval(op, {nan, Value(1.0)}), Value(false)) << op << "(nan, 1.0)";
    EXPECT_EQ(eval(op, {Value(1), nan}), Value(false)) << op << "(1, nan)";
    EXPECT_EQ(eval(op, {nan, nan}), Value(false)) << op << "(nan, nan)";
  }
  EXPECT_EQ(eval("aten::ne.float", {nan, nan}), Value(true));
  EXPECT_EQ(eval("aten::ge.float", {Value(1.0), Value(1.0)}), Value(true));
  EXPECT_EQ(eval("aten::lt.float_int", {Value(-0.5), Value(0)}), Value(true));
  // Ints against floats compare exactly: 2**53 + 1 rounds to 2.0**53 as a double.
  const Value big(std::int64_t{1} << 53);
  const Value big_plus_one((std::int64_t{1} << 53) + 1);
  EXPECT_EQ(eval("aten::gt.int_float", {big_plus_one, Value(9007199254740992.0)}), Value(true));
  EXPECT_EQ(eval("aten::eq.int_float", {big_plus_one, Value(9007199254740992.0)}), Value(false));
  EXPECT_EQ(eval("aten::eq.int_float", {big, Value(9007199254740992.0)}), Value(true));
  EXPECT_EQ(eval("aten::lt.int_float", {Value(int64_max), Value(9223372036854775808.0)}),
            Value(true));
  // max()/min() as Python's builtins: a NaN first stays, a NaN later is skipped.
  EXPECT_TRUE(std::isnan(eval("prim::max.float", {nan, Value(1.0)}).as_float()));
  EXPECT_EQ(eval("prim::max.float", {Value(1.0), nan}), Value(1.0));
  EXPECT_EQ(eval("prim::min.float", {Value(1.0), nan}), Value(1.0));
  EXPECT_EQ(eval("prim::max.float_list", {Value(Value::List{Value(2.0), nan, Value(3.0)})}),
            Value(3.0));
}

TEST(Interpreter, IntOverflowIsAnError) {
  EXPECT_EQ(eval_error("aten::add.int", {Value(int64_max), Value(1)}),
            "aten::add.int at model.py:5: integer overflow: 9223372036854775807 + 1 does not fit "
            "in a 64-bit int (Python ints are unbounded; thunder's are int64)");
  EXPECT_EQ(
      eval_error("aten::mul.int", {Value(std::int64_t{1} << 32), Value(std::int64_t{1} << 31)}),
      "aten::mul.int at model.py:5: integer overflow: 4294967296 * 2147483648 does not fit "
      "in a 64-bit int (Python ints are unbounded; thunder's are int64)");
  EXPECT_EQ(
      eval_error("aten::sub.int", {Value(int64_min), Value(1)})
          .rfind("aten::sub.int at model.py:5: integer overflow: -9223372036854775808 - 1", 0),
      0u);
  EXPECT_EQ(eval_error("aten::neg.int", {Value(int64_min)}),
            "aten::neg.int at model.py:5: integer overflow: -(-9223372036854775808) does not fit "
            "in a 64-bit int");
  EXPECT_EQ(eval_error("aten::abs.int", {Value(int64_min)})
                .rfind("aten::abs.int at model.py:5: "
                       "integer overflow",
                       0),
            0u);
  // In range, the ints are exact.
  EXPECT_EQ(eval("aten::add.int", {Value(int64_max), Value(int64_min)}), Value(-1));
  EXPECT_EQ(eval("aten::mul.int", {Value(-(std::int64_t{1} << 31)), Value(std::int64_t{1} << 32)}),
            Value(int64_min));
}

TEST(Interpreter, FloorDivOfInt64MinByMinusOneIsAnError) {
  EXPECT_EQ(eval_error("aten::floordiv.int", {Value(int64_min), Value(-1)}),
            "aten::floordiv.int at model.py:5: integer overflow: -(-9223372036854775808) does "
            "not fit in a 64-bit int");
  EXPECT_EQ(eval("aten::floordiv.int", {Value(7), Value(-1)}), Value(-7));
  EXPECT_EQ(eval("aten::floordiv.int", {Value(-7), Value(2)}), Value(-4));
  // Python: INT64_MIN % -1 == 0.
  EXPECT_EQ(eval("aten::remainder.int", {Value(int64_min), Value(-1)}), Value(0));
  EXPECT_EQ(eval("aten::remainder.int", {Value(-7), Value(2)}), Value(1));
  EXPECT_EQ(eval_error("aten::floordiv.int", {Value(1), Value(0)}),
            "aten::floordiv.int at model.py:5: integer division by zero");
}

TEST(Interpreter, IntOfInfinityOrNaNIsAnError) {
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_EQ(eval_error("aten::Int.float", {Value(inf)}),
            "aten::Int.float at model.py:5: cannot convert float infinity to integer");
  EXPECT_EQ(eval_error("aten::Int.float", {Value(-inf)}),
            "aten::Int.float at model.py:5: cannot convert float -infinity to integer");
  EXPECT_EQ(eval_error("aten::Int.float", {Value(std::nan(""))}),
            "aten::Int.float at model.py:5: cannot convert float NaN to integer");
  EXPECT_EQ(eval_error("aten::ceil.float", {Value(std::nan(""))}),
            "aten::ceil.float at model.py:5: cannot convert float NaN to integer");
  EXPECT_EQ(eval_error("aten::floor.float", {Value(1e30)}),
            "aten::floor.float at model.py:5: float 1e+30 does not fit in a 64-bit int");
  EXPECT_EQ(eval("aten::Int.float", {Value(-2.7)}), Value(-2));
  EXPECT_EQ(eval("aten::ceil.float", {Value(-2.5)}), Value(-2));
  EXPECT_EQ(eval("aten::floor.float", {Value(-2.5)}), Value(-3));
  // An int stays exact (no rounding through a double).
  EXPECT_EQ(eval("aten::floor.int", {Value(int64_max)}), Value(int64_max));
}

TEST(Interpreter, IntPowIsBySquaringWithOverflowChecks) {
  EXPECT_EQ(eval("aten::pow.int_to_int", {Value(2), Value(10)}), Value(1024));
  EXPECT_EQ(eval("aten::pow.int_to_int", {Value(3), Value(39)}), Value(4052555153018976267));
  EXPECT_EQ(eval_error("aten::pow.int_to_int", {Value(3), Value(40)}),
            "aten::pow.int_to_int at model.py:5: integer overflow: 3 ** 40 does not fit in a "
            "64-bit int (Python ints are unbounded; thunder's are int64)");
  EXPECT_EQ(eval("aten::pow.int_to_int", {Value(-2), Value(63)}), Value(int64_min));
  EXPECT_EQ(eval("aten::pow.int_to_int", {Value(7), Value(0)}), Value(1));
  // A huge exponent takes log2(b) steps.
  EXPECT_EQ(eval("aten::pow.int_to_int", {Value(-1), Value(int64_max)}), Value(-1));
  EXPECT_EQ(eval("aten::pow.int_to_int", {Value(0), Value(int64_max)}), Value(0));
  // A negative exponent gives a float, as in Python.
  EXPECT_EQ(eval("aten::pow.int_to_int", {Value(2), Value(-1)}), Value(0.5));
  EXPECT_EQ(eval_error("aten::pow.int_to_int", {Value(0), Value(-1)}),
            "aten::pow.int_to_int at model.py:5: 0 cannot be raised to a negative power "
            "(ZeroDivisionError in Python)");
  // TorchScript's aten::pow.int(int, int) -> float.
  EXPECT_EQ(eval("aten::pow.int", {Value(2), Value(10)}), Value(1024.0));
  EXPECT_EQ(eval("aten::pow.float", {Value(2.0), Value(0.5)}), Value(std::sqrt(2.0)));
}

TEST(Interpreter, IntAndFloatOfStringsParseOrNameTheString) {
  EXPECT_EQ(eval("aten::Int.str", {Value("12")}), Value(12));
  EXPECT_EQ(eval("aten::Int.str", {Value(" -7\n")}), Value(-7));
  EXPECT_EQ(eval("aten::Int.str", {Value("+3")}), Value(3));
  EXPECT_EQ(eval_error("aten::Int.str", {Value("x")}),
            "aten::Int.str at model.py:5: invalid literal for int() with base 10: 'x'");
  EXPECT_EQ(eval_error("aten::Int.str", {Value("1.5")}),
            "aten::Int.str at model.py:5: invalid literal for int() with base 10: '1.5'");
  EXPECT_EQ(eval_error("aten::Int.str", {Value("")}),
            "aten::Int.str at model.py:5: invalid literal for int() with base 10: ''");
  EXPECT_EQ(eval_error("aten::Int.str", {Value("99999999999999999999")}),
            "aten::Int.str at model.py:5: int('99999999999999999999') does not fit in a 64-bit "
            "int");
  EXPECT_EQ(eval("aten::Float.str", {Value("1.5")}), Value(1.5));
  EXPECT_EQ(eval("aten::Float.str", {Value(" -inf ")}),
            Value(-std::numeric_limits<double>::infinity()));
  EXPECT_EQ(eval("aten::Float.str", {Value("1e999")}),
            Value(std::numeric_limits<double>::infinity()));
  EXPECT_EQ(eval_error("aten::Float.str", {Value("1.5x")}),
            "aten::Float.str at model.py:5: could not convert string to float: '1.5x'");
}

TEST(Interpreter, UndefinedNameIsAModelError) {
  const Program p = program_with({node("aten::relu", {named("nope")}, {"y"})}, {"y"});
  try {
    run(p, true);
    FAIL() << "expected ModelError";
  } catch (const ModelError& e) {
    EXPECT_STREQ(e.what(), "program forward: node aten::relu uses 'nope' before it is defined");
  }
}

} // namespace
} // namespace thunder
