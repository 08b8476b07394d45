// The Interpreter alone, with a fake OperatorHandler and no torch: control flow resolved
// on concrete values (branches taken, loops unrolled), Python scalar ops and a proxy's
// static metadata evaluated concretely, and data-dependent control flow as an error
// naming the node, its source line and the tensor.
#include "thunder/core/error.h"
#include "thunder/core/tracing.h"
#include "thunder/interpreter/interpreter.h"

#include <gtest/gtest.h>

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
