// The ThunderCompiler on hand-built Programs (as the Python front end describes Dynamo
// graphs): which nodes it takes, the regions it forms with their inputs and outputs, the
// reason it records for each node it leaves out, and that its regions run and match ATen.
#include "thunder/compiler/thunder_compiler.h"

#include "thunder/core/error.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

namespace thunder {
namespace {

NodeInput named(const std::string& param, const std::string& value) {
  return {param, ProgramArg::of_name(value), false};
}
NodeInput constant(const std::string& param, Value value, bool keyword = false) {
  return {param, ProgramArg::of_constant(std::move(value)), keyword};
}

Node node(std::string target, std::vector<NodeInput> inputs, std::string output, int line) {
  Node n;
  n.target = std::move(target);
  n.inputs = std::move(inputs);
  n.outputs = {std::move(output)};
  n.location = SourceLocation{"model.py", line};
  return n;
}

// x -> relu -> r; <op>(r) -> c; tanh(c) -> t; add(t, r) -> out. All f32[4, 8].
Program chain(Node middle) {
  Program p;
  p.inputs = {{"x", InputKind::UserInput, ""}};
  p.nodes.push_back(node("aten::relu.default", {named("self", "x")}, "r", 1));
  p.nodes.push_back(std::move(middle));
  p.nodes.push_back(node("aten::tanh.default", {named("self", "c")}, "t", 3));
  p.nodes.push_back(node("aten::add.Tensor", {named("self", "t"), named("other", "r")}, "out", 4));
  p.outputs = {"out"};
  for (const char* name : {"x", "r", "c", "t", "out"})
    p.tensors[name] = TensorInfo{{4, 8}, DType::Float32, Device::cpu(), false};
  return p;
}

at::Tensor expected_chain(const at::Tensor& x,
                          const std::function<at::Tensor(at::Tensor)>& middle) {
  const at::Tensor r = at::relu(x);
  return at::tanh(middle(r)) + r;
}

std::vector<at::Tensor> run(const GraphRegion& region, const std::vector<at::Tensor>& inputs) {
  EXPECT_TRUE(region.thunder);
  return region.module->forward(inputs);
}

TEST(ThunderCompiler, TakesAGraphWhoseNodesAllHaveSymbolsWhole) {
  const Program p = chain(node("aten::sigmoid.default", {named("self", "r")}, "c", 2));
  const CompiledGraph graph = ThunderCompiler(Options{"torch"}).compile(p, "graph0");
  EXPECT_TRUE(graph.reasons.empty());
  ASSERT_EQ(graph.regions.size(), 1u);
  EXPECT_EQ(graph.regions[0].nodes, (std::vector<std::size_t>{0, 1, 2, 3}));
  EXPECT_EQ(graph.regions[0].inputs, std::vector<std::string>{"x"});
  EXPECT_EQ(graph.regions[0].outputs, std::vector<std::string>{"out"});
  EXPECT_EQ(graph.backend, "torch");
  const at::Tensor x = at::randn({4, 8});
  const std::vector<at::Tensor> out = run(graph.regions[0], {x});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(at::allclose(out[0], expected_chain(x, [](at::Tensor r) { return at::sigmoid(r); })));
  EXPECT_EQ(graph.regions[0].module->stats().fallbacks, std::vector<std::string>{});
}

TEST(ThunderCompiler, SplitsAroundAMissingOpWithItsReason) {
  Node cumprod = node("aten::cumprod.default", {named("self", "r"), constant("dim", 1)}, "c", 2);
  const Program p = chain(std::move(cumprod));
  const CompiledGraph graph = ThunderCompiler(Options{"torch"}).compile(p, "graph0");
  ASSERT_EQ(graph.reasons.size(), 1u);
  const SplitReason& reason = graph.reasons[0];
  EXPECT_EQ(reason.kind, SplitReason::Kind::MissingOp);
  EXPECT_EQ(reason.node, 1u);
  EXPECT_EQ(reason.op, "aten::cumprod.default");
  EXPECT_EQ(reason.to_string(),
            "aten::cumprod.default (model.py:2): missing_op: no ltorch symbol mirrors it");

  ASSERT_EQ(graph.regions.size(), 3u);
  EXPECT_TRUE(graph.regions[0].thunder);
  EXPECT_FALSE(graph.regions[1].thunder);
  EXPECT_EQ(graph.regions[1].module, nullptr);
  EXPECT_TRUE(graph.regions[2].thunder);
  // r crosses from the first region to the eager node and to the last region.
  EXPECT_EQ(graph.regions[0].outputs, std::vector<std::string>{"r"});
  EXPECT_EQ(graph.regions[1].inputs, std::vector<std::string>{"r"});
  EXPECT_EQ(graph.regions[1].outputs, std::vector<std::string>{"c"});
  EXPECT_EQ(graph.regions[2].inputs, (std::vector<std::string>{"c", "r"}));
  EXPECT_EQ(graph.regions[2].outputs, std::vector<std::string>{"out"});

  // Run it as the front end does: regions on thunder, the node between in ATen.
  const at::Tensor x = at::randn({4, 8});
  const at::Tensor r = run(graph.regions[0], {x}).at(0);
  const at::Tensor c = at::cumprod(r, 1);
  const at::Tensor out = run(graph.regions[2], {c, r}).at(0);
  EXPECT_TRUE(at::allclose(out, expected_chain(x, [](at::Tensor v) { return at::cumprod(v, 1); })));
}

TEST(ThunderCompiler, ASymbolThatDoesNotTakeTheArgumentsIsUnsupportedArguments) {
  // aten::sigmoid with an argument its symbol has no parameter for.
  Node odd = node("aten::sigmoid.default",
                  {named("self", "r"), constant("frobnicate", 3, /*keyword=*/true)}, "c", 2);
  const CompiledGraph graph = ThunderCompiler(Options{"torch"}).compile(chain(std::move(odd)), "g");
  ASSERT_EQ(graph.reasons.size(), 1u);
  EXPECT_EQ(graph.reasons[0].kind, SplitReason::Kind::UnsupportedArguments);
  EXPECT_NE(graph.reasons[0].message.find("does not take this call"), std::string::npos)
      << graph.reasons[0].message;
  EXPECT_EQ(graph.reasons[0].message.find("strict mode"), std::string::npos)
      << graph.reasons[0].message;
}

TEST(ThunderCompiler, AMetaThatRejectsTheInputsIsMetaFailure) {
  // mm of [4, 8] by [4, 8]: the meta refuses the shapes.
  Node mm = node("aten::mm.default", {named("self", "r"), named("mat2", "r")}, "c", 2);
  const CompiledGraph graph = ThunderCompiler(Options{"torch"}).compile(chain(std::move(mm)), "g");
  ASSERT_EQ(graph.reasons.size(), 1u);
  EXPECT_EQ(graph.reasons[0].kind, SplitReason::Kind::MetaFailure);
  EXPECT_EQ(graph.reasons[0].message,
            "ltorch.mm: mat1 and mat2 shapes cannot be multiplied (4x8 and 4x8)");
  EXPECT_EQ(graph.regions.size(), 3u);
}

TEST(ThunderCompiler, KeepsTheFrontEndsReasons) {
  const Program p = chain(node("aten::sigmoid.default", {named("self", "r")}, "c", 2));
  std::vector<std::optional<SplitReason>> known(p.nodes.size());
  known[1] = SplitReason{SplitReason::Kind::DataDependence, 0, "aten::sigmoid.default",
                         "a test says so", std::nullopt};
  const CompiledGraph graph = ThunderCompiler(Options{"torch"}).compile(p, "g", known);
  ASSERT_EQ(graph.reasons.size(), 1u);
  EXPECT_EQ(graph.reasons[0].kind, SplitReason::Kind::DataDependence);
  EXPECT_EQ(graph.reasons[0].node, 1u);
  EXPECT_EQ(graph.reasons[0].message, "a test says so");
  EXPECT_EQ(graph.regions.size(), 3u);
}

TEST(ThunderCompiler, StrictModeRefusesASplitNamingEveryNode) {
  Options options{"torch"};
  options.strict = true;
  Node cumprod = node("aten::cumprod.default", {named("self", "r"), constant("dim", 1)}, "c", 2);
  try {
    ThunderCompiler(options).compile(chain(std::move(cumprod)), "graph3");
    FAIL() << "no error";
  } catch (const UnsupportedError& e) {
    EXPECT_EQ(std::string(e.what()),
              "graph3: strict mode allows no split, and 1 node(s) cannot run on thunder:\n"
              "  aten::cumprod.default (model.py:2): missing_op: no ltorch symbol mirrors it");
  }
}

// relu(x) [T]; <first>(x, 1) [E]; tanh(r) [T]; cumprod(x, 0) [E]; add(t, c1) [T];
// add(o1, c2) [T]: in program order five regions.
Program interleaved(const std::string& first) {
  Program p;
  p.inputs = {{"x", InputKind::UserInput, ""}};
  p.nodes.push_back(node("aten::relu.default", {named("self", "x")}, "r", 1));
  p.nodes.push_back(node(first, {named("self", "x"), constant("dim", 1)}, "c1", 2));
  p.nodes.push_back(node("aten::tanh.default", {named("self", "r")}, "t", 3));
  p.nodes.push_back(
      node("aten::cumprod.default", {named("self", "x"), constant("dim", 0)}, "c2", 4));
  p.nodes.push_back(node("aten::add.Tensor", {named("self", "t"), named("other", "c1")}, "o1", 5));
  p.nodes.push_back(
      node("aten::add.Tensor", {named("self", "o1"), named("other", "c2")}, "out", 6));
  p.outputs = {"out"};
  for (const char* name : {"x", "r", "c1", "t", "c2", "o1", "out"})
    p.tensors[name] = TensorInfo{{4, 8}, DType::Float32, Device::cpu(), false};
  return p;
}

std::vector<std::vector<std::size_t>> region_nodes(const CompiledGraph& graph) {
  std::vector<std::vector<std::size_t>> out;
  for (const GraphRegion& region : graph.regions)
    out.push_back(region.nodes);
  return out;
}

TEST(ThunderCompiler, IndependentNodesAreGroupedByVerdict) {
  const CompiledGraph graph =
      ThunderCompiler(Options{"torch"}).compile(interleaved("aten::cumprod.default"), "g");
  EXPECT_EQ(region_nodes(graph), (std::vector<std::vector<std::size_t>>{{0, 2}, {1, 3}, {4, 5}}));
  EXPECT_EQ(graph.regions[0].outputs, (std::vector<std::string>{"t"}));
  EXPECT_EQ(graph.regions[1].outputs, (std::vector<std::string>{"c1", "c2"}));
  EXPECT_EQ(graph.regions[2].inputs, (std::vector<std::string>{"t", "c1", "c2"}));
  const at::Tensor x = at::randn({4, 8});
  const at::Tensor t = run(graph.regions[0], {x}).at(0);
  const at::Tensor out = run(graph.regions[2], {t, at::cumprod(x, 1), at::cumprod(x, 0)}).at(0);
  EXPECT_TRUE(at::allclose(out, at::tanh(at::relu(x)) + at::cumprod(x, 1) + at::cumprod(x, 0)));
}

TEST(ThunderCompiler, AMutatingNodeKeepsItsPlace) {
  // cumprod_ writes into x: nothing moves across it. relu stays before it, alone, and tanh
  // after it; the nodes after it are grouped among themselves.
  const CompiledGraph graph =
      ThunderCompiler(Options{"torch"}).compile(interleaved("aten::cumprod_.default"), "g");
  EXPECT_EQ(region_nodes(graph), (std::vector<std::vector<std::size_t>>{{0}, {1, 3}, {2, 4, 5}}));
}

TEST(ThunderCompiler, AutoChoosesEachGraphsBackendByTheDeviceOfItsInputs) {
  // One compiler sees Dynamo's CPU and CUDA graphs alike: with auto, a graph with an input
  // on a CUDA device runs on cuda where that backend is available (torch on a machine
  // without a GPU: there this checks the choice, the GPU machine checks cuda), any other
  // graph on torch.
  Program on_gpu = chain(node("aten::sigmoid.default", {named("self", "r")}, "c", 2));
  EXPECT_EQ(ThunderCompiler::graph_device(on_gpu), "cpu");
  // Any CUDA input counts, not only the first.
  Program mixed = on_gpu;
  mixed.inputs.insert(mixed.inputs.begin(), ProgramInput{"k", InputKind::UserInput, ""});
  mixed.tensors["k"] = TensorInfo{{}, DType::Float32, Device::cpu(), false};
  mixed.tensors["x"].device = Device::cuda(1);
  EXPECT_EQ(ThunderCompiler::graph_device(mixed), "cuda:1");
  for (auto& [name, info] : on_gpu.tensors)
    info.device = Device::cuda(0);
  const ThunderCompiler compiler(Options{"auto"});
  EXPECT_EQ(compiler.compile(on_gpu, "gpu graph").backend, select_backend("auto", "cuda:0"));
  const Program on_cpu = chain(node("aten::sigmoid.default", {named("self", "r")}, "c", 2));
  EXPECT_EQ(compiler.compile(on_cpu, "cpu graph").backend, "torch");
  // A named backend is every graph's.
  EXPECT_EQ(ThunderCompiler(Options{"torch"}).compile(on_gpu, "gpu graph").backend, "torch");
}

TEST(ThunderCompiler, BackendIsCheckedWhenItIsMade) {
  EXPECT_THROW(ThunderCompiler(Options{"vulcan"}), ArgumentError);
  EXPECT_EQ(ThunderCompiler(Options{"auto"}).backend(), "torch");
  EXPECT_THROW(parse_split_reason_kind("nope"), ArgumentError);
  EXPECT_EQ(parse_split_reason_kind("meta_failure"), SplitReason::Kind::MetaFailure);
}

} // namespace
} // namespace thunder
