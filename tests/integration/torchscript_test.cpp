// TorchScript modules scripted at test time by tests/models/torchscript_models.py: read by
// the TorchScript front end (inlined, attributes resolved, prim::If/prim::Loop kept as
// blocks), interpreted with the JitExtension for the sample inputs' shapes, run on the
// torch executor and compared with what eager torch gave. Data-dependent control flow is
// an error naming the node and line. The model loader picks the front end by content.
#include "thunder/compile.h"
#include "thunder/core/error.h"
#include "thunder/core/tracing.h"
#include "thunder/executors/torch_executor.h"
#include "thunder/frontends/model_io.h"
#include "thunder/frontends/model_loader.h"
#include "thunder/frontends/torchscript_reader.h"
#include "thunder/jit/jit_extension.h"
#include "thunder/passes/dead_code_elimination.h"

#include <ATen/ATen.h>
#include <caffe2/serialize/inline_container.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

namespace thunder {
namespace {

std::string models_dir() {
  const char* dir = std::getenv("THUNDER_TEST_MODELS");
  return dir != nullptr ? dir : "";
}

// A model's IO file; "error" and "error_at" say what thunder must report instead of
// running it, naming this line ("torchscript_models.py:63").
struct ModelCase {
  std::vector<at::Tensor> inputs, outputs;
  std::string error, error_at;
};

ModelCase read_io(const std::string& name) {
  ModelIO io = read_model_io(models_dir() + "/" + name + ".io.json");
  return {std::move(io.inputs), std::move(io.outputs), io.fields["error"], io.fields["error_at"]};
}

// What thunder::compile does for one specialization: proxies for the inputs (the sample
// inputs' metadata; TorchScript records none), the Interpreter with the JitExtension, DCE.
struct Traced {
  LoadedModel model;
  Trace trace;
  std::vector<std::string> fallbacks;
};

Traced trace_model(const std::string& path, const std::vector<at::Tensor>& user_inputs) {
  Traced out;
  out.model = load_model(path);
  const Program& program = out.model.program;
  TraceScope scope(program.name);
  std::vector<Value> inputs;
  std::size_t next_user = 0;
  for (const ProgramInput& input : program.inputs) {
    if (input.kind == InputKind::UserInput) {
      const at::Tensor& t = user_inputs.at(next_user++);
      inputs.emplace_back(scope.input_tensor(input.name, t.sizes().vec(),
                                             from_scalar_type(t.scalar_type()), Device::cpu()));
    } else {
      const TensorInfo& info = program.tensor_info(input.name);
      inputs.emplace_back(scope.input_tensor(input.name, info.shape, info.dtype, info.device));
    }
  }
  JitExtension jit(program, JitOptions{});
  const Value outputs = interpret(program, inputs, jit);
  out.trace = dead_code_elimination(scope.finish(outputs, "Interpreting " + path));
  out.fallbacks = jit.fallbacks();
  return out;
}

std::vector<at::Tensor> run(const Traced& traced, const std::vector<at::Tensor>& user_inputs) {
  std::vector<c10::IValue> all;
  std::size_t next_user = 0;
  for (const ProgramInput& input : traced.model.program.inputs) {
    all.emplace_back(input.kind == InputKind::UserInput ? user_inputs.at(next_user++)
                                                        : traced.model.state.at(input.target));
  }
  return TorchExecutor().run(traced.trace, all);
}

class TorchScriptModels : public ::testing::TestWithParam<std::string> {
protected:
  void SetUp() override {
    if (models_dir().empty()) GTEST_SKIP() << "THUNDER_TEST_MODELS is not set (ctest sets it)";
  }
};

TEST_P(TorchScriptModels, MatchEagerTorch) {
  const std::string name = GetParam();
  const ModelCase io = read_io(name);
  const Traced traced = trace_model(models_dir() + "/" + name + ".pt", io.inputs);
  SCOPED_TRACE(traced.trace.to_string());
  EXPECT_TRUE(traced.fallbacks.empty()) << traced.fallbacks.front();
  const std::vector<at::Tensor> out = run(traced, io.inputs);
  ASSERT_EQ(out.size(), io.outputs.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].sizes(), io.outputs[i].sizes());
    EXPECT_TRUE(at::allclose(out[i].to(at::kDouble), io.outputs[i].to(at::kDouble), 1e-4, 1e-5))
        << "output " << i << " max abs diff "
        << (out[i].to(at::kDouble) - io.outputs[i].to(at::kDouble)).abs().max().item<double>();
  }
}

INSTANTIATE_TEST_SUITE_P(Models, TorchScriptModels,
                         ::testing::Values("ts_flag_on", "ts_flag_off", "ts_layers"));

TEST_P(TorchScriptModels, CompileRunsThemLikeEagerTorch) {
  const std::string name = GetParam();
  const ModelCase io = read_io(name);
  const auto module = compile(models_dir() + "/" + name + ".pt", Options{.backend = "torch"});
  const std::vector<at::Tensor> out = module->forward(io.inputs);
  SCOPED_TRACE(module->last_traces().back().to_string());
  ASSERT_EQ(out.size(), io.outputs.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    EXPECT_TRUE(at::allclose(out[i].to(at::kDouble), io.outputs[i].to(at::kDouble), 1e-4, 1e-5))
        << "output " << i;
  }
  EXPECT_TRUE(module->stats().fallbacks.empty());
  module->forward(io.inputs);
  EXPECT_EQ(module->stats().cache_hits, 1);
}

// How many bound symbols of the trace call this symbol.
int count_calls(const Trace& trace, const std::string& symbol) {
  int n = 0;
  for (const BoundSymbol& b : trace.bound_symbols)
    n += b.symbol->qualified_name() == symbol;
  return n;
}

TEST(TorchScript, IfOnAFlagKeepsOnlyTheTakenBranch) {
  if (models_dir().empty()) GTEST_SKIP() << "THUNDER_TEST_MODELS is not set (ctest sets it)";
  const ModelCase io = read_io("ts_flag_on");
  const Traced on = trace_model(models_dir() + "/ts_flag_on.pt", io.inputs);
  const Traced off = trace_model(models_dir() + "/ts_flag_off.pt", io.inputs);
  EXPECT_EQ(count_calls(on.trace, "ltorch.gelu"), 1) << on.trace.to_string();
  EXPECT_EQ(count_calls(on.trace, "ltorch.relu"), 0) << on.trace.to_string();
  EXPECT_EQ(count_calls(off.trace, "ltorch.gelu"), 0) << off.trace.to_string();
  EXPECT_EQ(count_calls(off.trace, "ltorch.relu"), 1) << off.trace.to_string();
  // The flag is read at load time: a constant, not an input.
  std::vector<std::string> inputs;
  for (const ProgramInput& input : on.model.program.inputs)
    inputs.push_back(input.name + (input.kind == InputKind::UserInput ? "" : "=" + input.target));
  EXPECT_EQ(inputs, (std::vector<std::string>{"x", "p_fc_weight=fc.weight", "p_fc_bias=fc.bias"}));
}

TEST(TorchScript, LoopsAreUnrolledAndParametersNamedByTheirModulePath) {
  if (models_dir().empty()) GTEST_SKIP() << "THUNDER_TEST_MODELS is not set (ctest sets it)";
  const ModelCase io = read_io("ts_layers");
  const Traced traced = trace_model(models_dir() + "/ts_layers.pt", io.inputs);
  const Program& program = traced.model.program;
  // The ModuleList loop is unrolled by TorchScript itself; range(self.repeats), the loop
  // over x.dim() - 1 and the while loop stay prim::Loop blocks for the Interpreter.
  int loops = 0;
  for (const Node& node : program.nodes)
    loops += node.target == "prim::Loop";
  EXPECT_EQ(loops, 3);
  EXPECT_EQ(count_calls(traced.trace, "ltorch.linear"), 3);
  EXPECT_EQ(count_calls(traced.trace, "ltorch.tanh"), 3);
  // range(2): a mul and an add each; x.dim() - 1 = 1 add; while: 3 subs.
  EXPECT_EQ(count_calls(traced.trace, "ltorch.sub"), 3) << traced.trace.to_string();
  EXPECT_TRUE(traced.model.state.count("layers.2.weight") == 1);
  EXPECT_TRUE(traced.model.state.count("norm.bias") == 1);
  for (const ProgramInput& input : program.inputs) {
    if (input.kind == InputKind::Parameter) {
      EXPECT_EQ(traced.model.state.count(input.target), 1u) << input.target;
      EXPECT_EQ(program.tensor_info(input.name).shape, traced.model.state.at(input.target).sizes().vec());
    }
  }
  // Source lines of the scripted Python survive.
  bool located = false;
  for (const Node& node : program.nodes) {
    located = located || (node.location &&
                          node.location->file.find("torchscript_models.py") != std::string::npos);
  }
  EXPECT_TRUE(located);
}

TEST(TorchScript, DataDependentIfIsAnErrorNamingNodeAndLine) {
  if (models_dir().empty()) GTEST_SKIP() << "THUNDER_TEST_MODELS is not set (ctest sets it)";
  const ModelCase io = read_io("ts_data_dependent");
  ASSERT_EQ(io.error, "data-dependent control flow");
  try {
    trace_model(models_dir() + "/ts_data_dependent.pt", io.inputs);
    FAIL() << "expected UnsupportedError";
  } catch (const UnsupportedError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind("data-dependent control flow: prim::If at ", 0), 0u) << message;
    EXPECT_NE(message.find(io.error_at + " depends on the data of tensor t"), std::string::npos)
        << message;
    EXPECT_NE(message.find("(through aten::Bool.Tensor at "), std::string::npos) << message;
    EXPECT_NE(message.find("torch.compile"), std::string::npos) << message;
  }
}

// torch.export keeps torch.cond and while_loop as higher-order ops whose sub-graphs become
// blocks; with static shapes their conditions are tensors, so tracing stops at them.
class ExportControlFlow : public ::testing::TestWithParam<std::string> {
protected:
  void SetUp() override {
    if (models_dir().empty()) GTEST_SKIP() << "THUNDER_TEST_MODELS is not set (ctest sets it)";
  }
};

TEST_P(ExportControlFlow, SubGraphsAreBlocksAndTheTensorConditionIsAnError) {
  const std::string name = GetParam();
  const ModelCase io = read_io(name);
  const std::string path = models_dir() + "/" + name + ".pt2";
  const LoadedModel model = load_model(path);
  const std::string target = name == "hop_cond" ? "prim::If" : "prim::While";
  const Node* control = nullptr;
  for (const Node& node : model.program.nodes) {
    if (node.target == target) control = &node;
  }
  ASSERT_NE(control, nullptr);
  ASSERT_EQ(control->blocks.size(), 2u);
  const std::string first = name == "hop_cond" ? "true_graph_0/" : "while_loop_cond_graph_0/";
  ASSERT_FALSE(control->blocks[0].inputs.empty());
  EXPECT_EQ(control->blocks[0].inputs[0].rfind(first, 0), 0u) << control->blocks[0].inputs[0];
  EXPECT_EQ(control->blocks[0].outputs.size(), 1u);
  EXPECT_FALSE(control->blocks[1].nodes.empty());
  try {
    trace_model(path, io.inputs);
    FAIL() << "expected UnsupportedError";
  } catch (const UnsupportedError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind(str(io.error, ": ", target, " at "), 0), 0u) << message;
    EXPECT_NE(message.find(io.error_at + " depends on the data of tensor t"), std::string::npos)
        << message;
  }
}

INSTANTIATE_TEST_SUITE_P(Models, ExportControlFlow, ::testing::Values("hop_cond", "hop_while"));

TEST(TorchScript, UnmirroredOpIsAnErrorNamingOpAndLine) {
  if (models_dir().empty()) GTEST_SKIP() << "THUNDER_TEST_MODELS is not set (ctest sets it)";
  const ModelCase io = read_io("ts_cumprod");
  try {
    trace_model(models_dir() + "/ts_cumprod.pt", io.inputs);
    FAIL() << "expected UnsupportedError";
  } catch (const UnsupportedError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind("aten::cumprod at ", 0), 0u) << message;
    EXPECT_NE(message.find(io.error_at + ": " + io.error + ": the program records no shape"),
              std::string::npos)
        << message;
  }
}

TEST(ModelLoader, PicksTheFrontEndByContent) {
  if (models_dir().empty()) GTEST_SKIP() << "THUNDER_TEST_MODELS is not set (ctest sets it)";
  EXPECT_EQ(model_format(models_dir() + "/ts_layers.pt"), "TorchScript");
  EXPECT_EQ(model_format(models_dir() + "/mlp.pt2"), "torch.export");
  // The name does not matter, the content does.
  const std::string renamed = ::testing::TempDir() + "/layers_model.pt2";
  {
    std::ifstream in(models_dir() + "/ts_layers.pt", std::ios::binary);
    std::ofstream(renamed, std::ios::binary) << in.rdbuf();
  }
  EXPECT_EQ(load_model(renamed).format, "TorchScript");
  EXPECT_EQ(load_model(models_dir() + "/mlp.pt2").format, "torch.export");
}

TEST(ModelLoader, NeitherFormatIsAModelError) {
  const std::string text = ::testing::TempDir() + "/not_a_model.pt";
  std::ofstream(text) << "hello";
  try {
    load_model(text);
    FAIL() << "expected ModelError";
  } catch (const ModelError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(text + ": not a model file: neither a torch.export "
                                                 "archive (.pt2) nor a TorchScript file",
                                          0),
              0u)
        << e.what();
  }
  const std::string zip = ::testing::TempDir() + "/other.zip";
  {
    caffe2::serialize::PyTorchStreamWriter writer(zip);
    writer.writeRecord("notes.txt", "hi", 2);
    writer.writeEndOfFile();
  }
  try {
    load_model(zip);
    FAIL() << "expected ModelError";
  } catch (const ModelError& e) {
    EXPECT_EQ(std::string(e.what()),
              zip + ": a zip archive, but neither a torch.export archive (no models/*.json or "
                    "archive_format) nor a TorchScript file (no code/ and data.pkl); save models "
                    "with torch.export.save or torch.jit.save");
  }
  try {
    load_model("/nonexistent/model.pt");
    FAIL() << "expected ModelError";
  } catch (const ModelError& e) {
    EXPECT_STREQ(e.what(), "/nonexistent/model.pt: no such file");
  }
}

TEST(TorchScriptReader, NotTorchScriptIsAModelError) {
  EXPECT_THROW(load_torchscript("/nonexistent/model.pt"), ModelError);
}

} // namespace
} // namespace thunder
