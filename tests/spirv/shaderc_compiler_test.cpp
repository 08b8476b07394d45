// ShadercCompiler and SPIR-V validation: no device needed, so these run everywhere the
// Vulkan stack was found at build time.
#include "thunder/executors/spirv/shaderc_compiler.h"

#include "spirv_test_util.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace thunder::spirv {
namespace {

using testing::kAddShader;
using testing::ScopedEnv;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

// "saved to <path>" up to the end of the line.
std::string saved_path(const std::string& message, const std::string& marker) {
  auto at = message.find(marker);
  if (at == std::string::npos) {
    return {};
  }
  at += marker.size();
  return message.substr(at, message.find('\n', at) - at);
}

std::filesystem::path fresh_dir(const std::string& name) {
  auto dir = std::filesystem::temp_directory_path() /
             ("thunder-spirv-test-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  return dir;
}

TEST(ShadercCompiler, CompilesAddShaderToValidSpirv) {
  ShadercCompiler compiler;
  auto words = compiler.compile(kAddShader, {.name = "add"});
  ASSERT_GT(words->size(), 5u);
  EXPECT_EQ((*words)[0], 0x07230203u); // SPIR-V magic
  // Vulkan 1.1 means SPIR-V 1.3.
  EXPECT_EQ((*words)[1], 0x00010300u);
  EXPECT_NO_THROW(validate_spirv(*words, "add"));
}

TEST(ShadercCompiler, CacheHitsOnSameSourceAndOptions) {
  ShadercCompiler compiler;
  auto first = compiler.compile(kAddShader, {.name = "add"});
  auto second = compiler.compile(kAddShader, {.name = "add"});
  EXPECT_EQ(first.get(), second.get());
  EXPECT_EQ(compiler.cache_size(), 1u);
  EXPECT_EQ(compiler.cache_hits(), 1u);
  auto unoptimized = compiler.compile(kAddShader, {.name = "add", .optimize = false});
  EXPECT_NE(first.get(), unoptimized.get());
  EXPECT_EQ(compiler.cache_size(), 2u);
}

TEST(ShadercCompiler, OutputIsDeterministic) {
  ShadercCompiler a;
  ShadercCompiler b;
  EXPECT_EQ(*a.compile(kAddShader), *b.compile(kAddShader));
  EXPECT_EQ(stable_hash("abc"), stable_hash("abc"));
  EXPECT_EQ(stable_hash(""), "cbf29ce484222325"); // FNV-1a 64 offset basis
}

TEST(ShadercCompiler, CachesOnDiskAcrossCompilersAndRecompilesDamagedEntries) {
  const auto dir = fresh_dir("disk");
  std::shared_ptr<const SpirvWords> first;
  {
    ShadercCompiler compiler(dir.string());
    EXPECT_EQ(compiler.cache_dir(), dir.string());
    first = compiler.compile(kAddShader, {.name = "add"});
    EXPECT_EQ(compiler.disk_hits(), 0u);
  }
  // One image and the key text it was made from, which starts with the compiler versions.
  std::vector<std::filesystem::path> images;
  std::filesystem::path key_file;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".spv") images.push_back(entry.path());
    if (entry.path().extension() == ".key") key_file = entry.path();
  }
  ASSERT_EQ(images.size(), 1u);
  const std::string key_text = read_file(key_file.string());
  EXPECT_EQ(key_text.rfind(ShadercCompiler::version(), 0), 0u) << key_text;
  EXPECT_NE(key_text.find(kAddShader), std::string::npos);
  {
    ShadercCompiler compiler(dir.string());
    EXPECT_EQ(*compiler.compile(kAddShader, {.name = "add"}), *first);
    EXPECT_EQ(compiler.disk_hits(), 1u);
    // Other options are another entry.
    compiler.compile(kAddShader, {.name = "add", .optimize = false});
    EXPECT_EQ(compiler.disk_hits(), 1u);
  }
  {
    // A damaged image is not used: the validator refuses it and the shader is compiled again.
    std::ofstream(images[0], std::ios::binary | std::ios::trunc) << std::string(64, '\x7f');
    ShadercCompiler compiler(dir.string());
    EXPECT_EQ(*compiler.compile(kAddShader, {.name = "add"}), *first);
    EXPECT_EQ(compiler.disk_hits(), 0u);
  }
  {
    // An entry whose key text is another source (a collision, a stale file) is not used.
    std::ofstream(key_file, std::ios::binary | std::ios::trunc) << key_text << "// changed";
    ShadercCompiler compiler(dir.string());
    compiler.compile(kAddShader, {.name = "add"});
    EXPECT_EQ(compiler.disk_hits(), 0u);
  }
  std::filesystem::remove_all(dir);
}

TEST(ShadercCompiler, NoDiskCacheWithoutCacheDir) {
  ScopedEnv cache("THUNDER_CACHE_DIR", std::nullopt);
  EXPECT_EQ(ShadercCompiler().cache_dir(), "");
}

TEST(ShadercCompiler, SyntaxErrorCarriesLogAndSavedSource) {
  auto dir = fresh_dir("syntax");
  ScopedEnv cache("THUNDER_CACHE_DIR", dir.string());
  std::string bad = std::string(kAddShader) + "\nvoid broken() { float x = ; }\n";
  ShadercCompiler compiler;
  try {
    compiler.compile(bad, {.name = "broken_add"});
    FAIL() << "a syntax error compiled";
  } catch (const ShaderError& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("spirv: GLSL of kernel 'broken_add' failed to compile (shaderc, "
                           "Vulkan 1.1):\nbroken_add:"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("error:"), std::string::npos) << message;
    EXPECT_NE(message.find("syntax error"), std::string::npos) << message;
    std::string path = saved_path(message, "source saved to ");
    ASSERT_FALSE(path.empty()) << message;
    EXPECT_EQ(std::filesystem::path(path).parent_path(), dir / "spirv");
    ASSERT_TRUE(std::filesystem::exists(path)) << path;
    EXPECT_EQ(read_file(path), bad);
  }
  EXPECT_EQ(compiler.cache_size(), 0u);
  std::filesystem::remove_all(dir);
}

TEST(ShadercCompiler, FailingSourceGoesToTempDirWithoutCacheDir) {
  ScopedEnv cache("THUNDER_CACHE_DIR", std::nullopt);
  ShadercCompiler compiler;
  try {
    compiler.compile("#version 450\nvoid main() { undefined_fn(); }\n", {.name = "undefined"});
    FAIL() << "an undefined call compiled";
  } catch (const ShaderError& e) {
    std::string path = saved_path(e.what(), "source saved to ");
    EXPECT_EQ(std::filesystem::path(path).parent_path(),
              std::filesystem::temp_directory_path() / "thunder-spirv");
    EXPECT_TRUE(std::filesystem::exists(path)) << e.what();
    std::filesystem::remove(path);
  }
}

TEST(SpirvValidation, InvalidModuleCarriesValidatorLogAndDisassembly) {
  auto dir = fresh_dir("validate");
  ScopedEnv cache("THUNDER_CACHE_DIR", dir.string());
  ShadercCompiler compiler;
  SpirvWords words = *compiler.compile(kAddShader, {.name = "add"});
  // OpMemoryModel (opcode 14, 3 words): make the addressing model Physical64, which needs
  // the Addresses capability the module does not declare.
  bool patched = false;
  for (std::size_t i = 5; i < words.size();) {
    uint32_t count = words[i] >> 16;
    if ((words[i] & 0xffffu) == 14u && count == 3) {
      words[i + 1] = 2;
      patched = true;
      break;
    }
    ASSERT_GT(count, 0u);
    i += count;
  }
  ASSERT_TRUE(patched);
  try {
    validate_spirv(words, "patched_add");
    FAIL() << "an invalid module validated";
  } catch (const ShaderError& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("spirv: SPIR-V of kernel 'patched_add' failed validation (Vulkan 1.1):\n"
                           "error at word "),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("Addresses"), std::string::npos) << message;
    std::string path = saved_path(message, "disassembly saved to ");
    ASSERT_TRUE(std::filesystem::exists(path)) << message;
    EXPECT_NE(read_file(path).find("OpMemoryModel Physical64 GLSL450"), std::string::npos);
  }
  std::filesystem::remove_all(dir);
}

TEST(ShadercCompiler, UnknownVulkanTargetIsArgumentError) {
  ShadercCompiler compiler;
  EXPECT_THROW(compiler.compile(kAddShader, {.vulkan_minor = 9}), ArgumentError);
}

} // namespace
} // namespace thunder::spirv
