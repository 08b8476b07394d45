// torch.export archives made at test time by tests/models/export_models.py and
// tests/models/export_transformers.py (GPT-2, Llama, BERT from transformers, random
// weights): loaded by the C++ reader, interpreted, run on the torch executor, and compared
// with what eager torch gave for the same inputs. Bad archives get clear errors.
#include "thunder/compile.h"
#include "thunder/core/error.h"
#include "thunder/executors/torch_executor.h"
#include "thunder/frontends/export_reader.h"
#include "thunder/frontends/model_io.h"
#include "thunder/interpreter/program.h"
#include "thunder/opdb/opdb.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace thunder {
namespace {

std::string models_dir() {
  const char* dir = std::getenv("THUNDER_TEST_MODELS");
  return dir != nullptr ? dir : "";
}

ModelIO read_io(const std::string& name) {
  return read_model_io(models_dir() + "/" + name + ".io.json");
}

class ExportedModels : public ::testing::TestWithParam<std::string> {
protected:
  void SetUp() override {
    if (models_dir().empty()) GTEST_SKIP() << "THUNDER_TEST_MODELS is not set (ctest sets it)";
  }
};

bool is_transformer(const std::string& name) {
  return name == "gpt2" || name == "llama" || name == "bert";
}

TEST_P(ExportedModels, MatchEagerTorch) {
  const std::string name = GetParam();
  const ModelIO io = read_io(name);
  // The transformers must capture whole: strict mode makes any fallback an error.
  const auto module = compile(models_dir() + "/" + name + ".pt2",
                              Options{.backend = "torch", .strict = is_transformer(name)});
  SCOPED_TRACE(module->last_traces().back().to_string());
  const std::vector<at::Tensor> out = module->forward(io.inputs);
  ASSERT_EQ(out.size(), io.outputs.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].sizes(), io.outputs[i].sizes());
    // Per element, within the model tolerance of the output's dtype (as thunder-run checks).
    const DType dtype = from_scalar_type(io.outputs[i].scalar_type());
    const opdb::Comparison c =
        opdb::compare(out[i], io.outputs[i], io.outputs[i], opdb::model_tolerance(dtype));
    EXPECT_TRUE(c.pass) << "output " << i << ": " << c.rule << ", max abs " << c.max_abs
                        << ", max rel " << c.max_rel;
  }
  EXPECT_EQ(module->stats().calls, 1);
  // Only the model made to need it falls back to the torch executor.
  if (name == "cumprod") {
    ASSERT_EQ(module->stats().fallbacks.size(), 1u);
    EXPECT_EQ(module->stats().fallbacks[0].rfind("aten::cumprod.default", 0), 0u);
  } else {
    EXPECT_TRUE(module->stats().fallbacks.empty()) << module->stats().fallbacks.front();
  }
}

INSTANTIATE_TEST_SUITE_P(Models, ExportedModels,
                         ::testing::Values("mlp", "cnn", "attention", "cumprod", "gpt2", "llama",
                                           "bert"));

TEST(ExportedModelsStrict, FallbackIsAnErrorNamingTheOpAndLine) {
  if (models_dir().empty()) GTEST_SKIP() << "THUNDER_TEST_MODELS is not set (ctest sets it)";
  try {
    compile(models_dir() + "/cumprod.pt2", Options{.backend = "torch", .strict = true});
    FAIL() << "expected UnsupportedError";
  } catch (const UnsupportedError& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind("aten::cumprod.default at ", 0), 0u) << message;
    EXPECT_NE(message.find("export_models.py:"), std::string::npos) << message;
    EXPECT_NE(message.find("strict mode"), std::string::npos) << message;
  }
}

TEST(ExportReaderErrors, MissingFile) {
  EXPECT_THROW(load_exported_program("/nonexistent/model.pt2"), ModelError);
}

TEST(ExportReaderErrors, TruncatedArchive) {
  if (models_dir().empty()) GTEST_SKIP() << "THUNDER_TEST_MODELS is not set (ctest sets it)";
  const std::string source = models_dir() + "/mlp.pt2";
  const std::string truncated = ::testing::TempDir() + "/truncated.pt2";
  std::ifstream in(source, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(truncated, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size() / 2));
  try {
    load_exported_program(truncated);
    FAIL() << "expected ModelError";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find(truncated), std::string::npos) << e.what();
  }
}

// Each broken archive of tests/models/export_bad_models.py gives a thunder error (a
// ModelError; UnsupportedError for a well-formed feature the reader lacks) that names the
// file and says what is wrong with it.
class BrokenArchive : public ::testing::TestWithParam<std::pair<const char*, const char*>> {};

TEST_P(BrokenArchive, IsAModelErrorNamingFileAndDefect) {
  if (models_dir().empty()) GTEST_SKIP() << "THUNDER_TEST_MODELS is not set (ctest sets it)";
  const auto& [name, defect] = GetParam();
  const std::string path = models_dir() + "/bad/" + name + ".pt2";
  try {
    load_exported_program(path);
    FAIL() << "expected an error for " << path;
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()).rfind(path + ": " + defect, 0), 0u) << e.what();
    const bool unsupported = dynamic_cast<const UnsupportedError*>(&e) != nullptr;
    EXPECT_EQ(unsupported, std::string(name) == "unknown_node") << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(
    ExportReaderErrors, BrokenArchive,
    ::testing::Values(
        std::pair{"bad_json", "models/model.json is not valid JSON (["},
        std::pair{"missing_weight", "the archive has no record 'data/weights/weight_1'"},
        std::pair{"future_schema",
                  "models/model.json: schema version 99.0 is not supported (this reader "
                  "reads version 8.x)"},
        std::pair{"unknown_node", "models/model.json: node 0 (aten::no_such_op.default): "
                                  "argument kind 'as_mystery' is not supported yet"}),
    [](const auto& param_info) { return std::string(param_info.param.first); });

TEST(Backends, UnknownAndUnavailableAreErrors) {
  EXPECT_EQ(select_backend("torch"), "torch");
  try {
    select_backend("metal");
    FAIL();
  } catch (const ArgumentError& e) {
    EXPECT_STREQ(e.what(), "unknown backend 'metal': valid backends are cuda, spirv, torch, auto");
  }
  EXPECT_THROW(select_backend("cuda"), BackendError);
}

} // namespace
} // namespace thunder
