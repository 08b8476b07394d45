// VulkanRuntime on whatever device the machine has (lavapipe in CI): kernels compiled at
// run time, buffers, batches with barriers, device choice and its errors, validation.
// Without a Vulkan loader or device each test is skipped with the reason.
#include "thunder/executors/spirv/vulkan_runtime.h"

#include "thunder/executors/spirv/shaderc_compiler.h"

#include "spirv_test_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <vector>

namespace thunder::spirv {
namespace {

using testing::kAddShader;
using testing::ScopedEnv;
using testing::unary_shader;

struct UnaryParams {
  uint32_t n;
  float k;
};

template <typename T>
std::span<const std::byte> bytes_of(const T& value) {
  return std::as_bytes(std::span(&value, 1));
}

Buffer upload_floats(VulkanRuntime& rt, const std::vector<float>& v) {
  Buffer b = rt.create_buffer(v.size() * sizeof(float));
  rt.upload(b, std::as_bytes(std::span(v)));
  return b;
}

std::vector<float> download_floats(VulkanRuntime& rt, const Buffer& b, std::size_t n) {
  std::vector<float> out(n);
  rt.download(b, std::as_writable_bytes(std::span(out)));
  return out;
}

uint32_t groups(std::size_t n) {
  return static_cast<uint32_t>((n + 255) / 256);
}

bool has_lavapipe(const std::vector<DeviceInfo>& devices) {
  return std::any_of(devices.begin(), devices.end(), [](const DeviceInfo& d) {
    return d.name.find("llvmpipe") != std::string::npos;
  });
}

// Runs c = a + b on n floats and checks every element; returns the mismatches.
std::size_t run_add(VulkanRuntime& rt, ShadercCompiler& compiler, std::size_t n) {
  auto spirv = compiler.compile(kAddShader, {.name = "add"});
  Pipeline add =
      rt.create_pipeline(*spirv, {.buffers = 3, .push_constant_bytes = 4, .name = "add"});
  std::vector<float> a(n), b(n);
  for (std::size_t i = 0; i < n; ++i) {
    a[i] = static_cast<float>(i) * 0.5f;
    b[i] = 1.0f / static_cast<float>(i + 1);
  }
  Buffer da = upload_floats(rt, a);
  Buffer db = upload_floats(rt, b);
  Buffer dc = rt.create_buffer(n * sizeof(float));
  Batch batch = rt.batch();
  const Buffer* bound[] = {&da, &db, &dc};
  uint32_t count = static_cast<uint32_t>(n);
  batch.dispatch(add, bound, bytes_of(count), groups(n));
  batch.submit();
  std::vector<float> c = download_floats(rt, dc, n);
  std::size_t bad = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (c[i] != a[i] + b[i]) {
      if (bad < 5) {
        ADD_FAILURE() << "c[" << i << "] = " << c[i] << ", expected " << a[i] + b[i];
      }
      ++bad;
    }
  }
  return bad;
}

// y = x + 1; z = y * 2 in one command buffer; checks z and returns the batch's barriers.
std::size_t run_chain(VulkanRuntime& rt, ShadercCompiler& compiler, std::size_t n) {
  Pipeline add = rt.create_pipeline(*compiler.compile(unary_shader("+"), {.name = "add_k"}),
                                    {.buffers = 2, .push_constant_bytes = 8, .name = "add_k"});
  Pipeline mul = rt.create_pipeline(*compiler.compile(unary_shader("*"), {.name = "mul_k"}),
                                    {.buffers = 2, .push_constant_bytes = 8, .name = "mul_k"});
  std::vector<float> x(n);
  for (std::size_t i = 0; i < n; ++i) {
    x[i] = static_cast<float>(i % 1000) - 500.0f;
  }
  Buffer dx = upload_floats(rt, x);
  Buffer dy = rt.create_buffer(n * sizeof(float));
  Buffer dz = rt.create_buffer(n * sizeof(float));
  Batch batch = rt.batch();
  const Buffer* first[] = {&dx, &dy};
  const Buffer* second[] = {&dy, &dz};
  batch.dispatch(add, first, bytes_of(UnaryParams{static_cast<uint32_t>(n), 1.0f}), groups(n));
  batch.dispatch(mul, second, bytes_of(UnaryParams{static_cast<uint32_t>(n), 2.0f}), groups(n));
  batch.submit();
  EXPECT_EQ(batch.dispatch_count(), 2u);
  std::vector<float> z = download_floats(rt, dz, n);
  std::size_t bad = 0;
  for (std::size_t i = 0; i < n; ++i) {
    float expected = (x[i] + 1.0f) * 2.0f;
    if (z[i] != expected && bad++ < 5) {
      ADD_FAILURE() << "z[" << i << "] = " << z[i] << ", expected " << expected;
    }
  }
  EXPECT_EQ(bad, 0u);
  return batch.barrier_count();
}

TEST(VulkanRuntime, ListDevicesFindsLavapipe) {
  std::vector<DeviceInfo> devices;
  try {
    devices = VulkanRuntime::list_devices();
  } catch (const BackendError& e) {
    GTEST_SKIP() << e.what();
  }
  if (devices.empty()) {
    GTEST_SKIP() << "the Vulkan loader reports no devices";
  }
  for (std::size_t i = 0; i < devices.size(); ++i) {
    EXPECT_EQ(devices[i].index, i);
    EXPECT_FALSE(devices[i].name.empty());
    EXPECT_FALSE(devices[i].type.empty());
    EXPECT_FALSE(devices[i].driver.empty());
    EXPECT_FALSE(devices[i].api_version.empty());
  }
  if (!has_lavapipe(devices)) {
    GTEST_SKIP() << "lavapipe (mesa-vulkan-drivers) is not installed here; first device: "
                 << devices[0].name;
  }
  auto lvp = std::find_if(devices.begin(), devices.end(), [](const DeviceInfo& d) {
    return d.name.find("llvmpipe") != std::string::npos;
  });
  EXPECT_EQ(lvp->type, "CPU");
  EXPECT_NE(lvp->driver.find("llvmpipe"), std::string::npos) << lvp->driver;
}

TEST(VulkanRuntime, UnknownDeviceNameListsDevices) {
  ScopedEnv device("THUNDER_VK_DEVICE", "nonexistent");
  std::vector<DeviceInfo> devices;
  try {
    devices = VulkanRuntime::list_devices();
  } catch (const BackendError& e) {
    GTEST_SKIP() << e.what();
  }
  if (devices.empty()) {
    GTEST_SKIP() << "the Vulkan loader reports no devices";
  }
  try {
    VulkanRuntime rt;
    FAIL() << "THUNDER_VK_DEVICE=nonexistent opened " << rt.device().name;
  } catch (const BackendError& e) {
    std::string message = e.what();
    EXPECT_EQ(message.rfind("spirv: THUNDER_VK_DEVICE='nonexistent' matches no Vulkan device; "
                            "the devices here are:\n  0: ",
                            0),
              0u)
        << message;
    for (const DeviceInfo& d : devices) {
      EXPECT_NE(message.find(d.name), std::string::npos) << message;
      EXPECT_NE(message.find("features: " + d.features.to_string()), std::string::npos) << message;
    }
    EXPECT_NE(message.find("Set THUNDER_VK_DEVICE to an index or a part of a device name."),
              std::string::npos)
        << message;
  }
}

TEST(VulkanRuntime, DeviceOutOfRangeIndexListsDevices) {
  ScopedEnv device("THUNDER_VK_DEVICE", "99");
  try {
    VulkanRuntime rt;
    FAIL() << "THUNDER_VK_DEVICE=99 opened " << rt.device().name;
  } catch (const BackendError& e) {
    std::string message = e.what();
    if (message.find("no Vulkan loader") != std::string::npos ||
        message.find("spirv: no Vulkan device") != std::string::npos) {
      GTEST_SKIP() << message;
    }
    EXPECT_NE(message.find("THUNDER_VK_DEVICE='99' matches no Vulkan device"), std::string::npos)
        << message;
  }
}

TEST(VulkanRuntime, DeviceChosenByIndexOrCaseInsensitiveName) {
  ScopedEnv unset("THUNDER_VK_DEVICE", std::nullopt);
  THUNDER_OPEN_RUNTIME_OR_SKIP(rt);
  if (!has_lavapipe(rt->devices())) {
    GTEST_SKIP() << "lavapipe is not installed here";
  }
  {
    ScopedEnv by_name("THUNDER_VK_DEVICE", "LLVMPIPE");
    VulkanRuntime named;
    EXPECT_NE(named.device().name.find("llvmpipe"), std::string::npos);
    uint32_t index = named.device().index;
    ScopedEnv by_index("THUNDER_VK_DEVICE", std::to_string(index));
    VulkanRuntime indexed;
    EXPECT_EQ(indexed.device().index, index);
    EXPECT_EQ(indexed.device().name, named.device().name);
  }
  VulkanRuntime from_options(RuntimeOptions{.device = "llvm"});
  EXPECT_NE(from_options.device().name.find("llvmpipe"), std::string::npos);
}

TEST(VulkanRuntime, AddsOneMillionFloats) {
  THUNDER_OPEN_RUNTIME_OR_SKIP(rt);
  ShadercCompiler compiler;
  EXPECT_EQ(run_add(*rt, compiler, 1 << 20), 0u) << "on " << rt->device().name;
}

TEST(VulkanRuntime, DependentDispatchesShareOneCommandBuffer) {
  THUNDER_OPEN_RUNTIME_OR_SKIP(rt);
  ShadercCompiler compiler;
  // The second dispatch reads y, which the first wrote: one barrier between them.
  EXPECT_EQ(run_chain(*rt, compiler, 100003), 1u);
}

TEST(VulkanRuntime, IndependentDispatchesNeedNoBarrier) {
  THUNDER_OPEN_RUNTIME_OR_SKIP(rt);
  ShadercCompiler compiler;
  Pipeline add = rt->create_pipeline(*compiler.compile(unary_shader("+")),
                                     {.buffers = 2, .push_constant_bytes = 8, .name = "add_k"});
  std::vector<float> x(1000, 3.0f);
  Buffer a = upload_floats(*rt, x);
  Buffer b = rt->create_buffer(4000);
  Buffer c = upload_floats(*rt, x);
  Buffer d = rt->create_buffer(4000);
  Batch batch = rt->batch();
  const Buffer* first[] = {&a, &b};
  const Buffer* second[] = {&c, &d};
  const Buffer* third[] = {&b, &c}; // reads b (first wrote it), writes c (second read it)
  batch.dispatch(add, first, bytes_of(UnaryParams{1000, 1.0f}), groups(1000));
  batch.dispatch(add, second, bytes_of(UnaryParams{1000, 2.0f}), groups(1000));
  EXPECT_EQ(batch.barrier_count(), 0u);
  batch.dispatch(add, third, bytes_of(UnaryParams{1000, 10.0f}), groups(1000));
  EXPECT_EQ(batch.barrier_count(), 1u);
  batch.submit();
  EXPECT_EQ(download_floats(*rt, b, 1000), std::vector<float>(1000, 4.0f));
  EXPECT_EQ(download_floats(*rt, d, 1000), std::vector<float>(1000, 5.0f));
  EXPECT_EQ(download_floats(*rt, c, 1000), std::vector<float>(1000, 14.0f));
}

// Barriers go only where byte ranges conflict: a write after a read or a write of an
// overlapping range, or a read after a write. Disjoint parts of one buffer (an arena's) and
// an input several dispatches only read need none.
TEST(VulkanRuntime, BarriersOnlyWhereRangesConflict) {
  THUNDER_OPEN_RUNTIME_OR_SKIP(rt);
  ShadercCompiler compiler;
  Pipeline add = rt->create_pipeline(*compiler.compile(unary_shader("+")),
                                     {.buffers = 2, .push_constant_bytes = 8, .name = "add_k"});
  const std::size_t align = rt->storage_offset_alignment();
  const std::size_t chunk = (1000 * sizeof(float) + align - 1) / align * align;
  Buffer x = upload_floats(*rt, std::vector<float>(1000, 3.0f));
  Buffer arena = rt->create_buffer(4 * chunk);
  std::vector<Buffer> p;
  for (std::size_t i = 0; i < 4; ++i)
    p.push_back(rt->part(arena, i * chunk, 1000 * sizeof(float)));
  Batch batch = rt->batch();
  const auto run = [&](const Buffer& in, const Buffer& out, float k) {
    const Buffer* bound[] = {&in, &out};
    batch.dispatch(add, bound, bytes_of(UnaryParams{1000, k}), groups(1000), 1, 1,
                   /*read_only=*/1);
  };
  run(x, p[0], 1.0f); // p0 = x + 1
  run(x, p[1], 2.0f); // p1 = x + 2: reads x too, writes another part
  EXPECT_EQ(batch.barrier_count(), 0u);
  run(p[0], p[2], 10.0f); // reads what the first wrote
  EXPECT_EQ(batch.barrier_count(), 1u);
  run(x, p[3], 100.0f); // nothing pending conflicts
  EXPECT_EQ(batch.barrier_count(), 1u);
  run(p[3], p[0], 1000.0f); // writes p0, which the third read
  EXPECT_EQ(batch.barrier_count(), 2u);
  batch.submit();
  const float want[] = {1103.0f, 5.0f, 14.0f, 103.0f};
  for (std::size_t i = 0; i < 4; ++i)
    EXPECT_EQ(download_floats(*rt, p[i], 1000), std::vector<float>(1000, want[i])) << "part " << i;

  // Without read_only every bound buffer counts as written: sharing x is a conflict.
  Batch conservative = rt->batch();
  const Buffer* first[] = {&x, &p[0]};
  const Buffer* second[] = {&x, &p[1]};
  conservative.dispatch(add, first, bytes_of(UnaryParams{1000, 1.0f}), groups(1000));
  conservative.dispatch(add, second, bytes_of(UnaryParams{1000, 1.0f}), groups(1000));
  EXPECT_EQ(conservative.barrier_count(), 1u);
  conservative.submit();
}

TEST(VulkanRuntime, UploadDownloadAtOffset) {
  THUNDER_OPEN_RUNTIME_OR_SKIP(rt);
  Buffer b = rt->create_buffer(64);
  EXPECT_EQ(b.size(), 64u);
  EXPECT_EQ(b.host_visible(), rt->unified_memory());
  std::vector<uint32_t> head = {1, 2, 3, 4};
  std::vector<uint32_t> tail = {5, 6};
  rt->upload(b, std::as_bytes(std::span(head)));
  rt->upload(b, std::as_bytes(std::span(tail)), 56);
  std::vector<uint32_t> out(2);
  rt->download(b, std::as_writable_bytes(std::span(out)), 8);
  EXPECT_EQ(out, (std::vector<uint32_t>{3, 4}));
  rt->download(b, std::as_writable_bytes(std::span(out)), 56);
  EXPECT_EQ(out, tail);
  try {
    rt->upload(b, std::as_bytes(std::span(head)), 60);
    FAIL() << "an upload past the end succeeded";
  } catch (const ArgumentError& e) {
    EXPECT_STREQ(e.what(),
                 "spirv: upload of 16 bytes at offset 60 does not fit a buffer of 64 bytes");
  }
}

TEST(VulkanRuntime, BufferOverStorageRangeIsClearError) {
  THUNDER_OPEN_RUNTIME_OR_SKIP(rt);
  uint64_t limit = rt->max_storage_buffer_range();
  ASSERT_GT(limit, 0u);
  try {
    rt->create_buffer(static_cast<std::size_t>(limit) + 4);
    FAIL() << "a buffer over maxStorageBufferRange was made";
  } catch (const BackendError& e) {
    std::string message = e.what();
    EXPECT_NE(
        message.find(str("spirv: a storage buffer of ", limit + 4,
                         " bytes exceeds maxStorageBufferRange (", limit, " bytes) of device ")),
        std::string::npos)
        << message;
    EXPECT_NE(message.find(rt->device().name), std::string::npos) << message;
  }
}

TEST(VulkanRuntime, DispatchChecksBindingsAndPushConstants) {
  THUNDER_OPEN_RUNTIME_OR_SKIP(rt);
  ShadercCompiler compiler;
  Pipeline add = rt->create_pipeline(*compiler.compile(kAddShader),
                                     {.buffers = 3, .push_constant_bytes = 4, .name = "add"});
  Buffer a = rt->create_buffer(16);
  Batch batch = rt->batch();
  const Buffer* two[] = {&a, &a};
  const Buffer* three[] = {&a, &a, &a};
  uint32_t n = 4;
  try {
    batch.dispatch(add, two, bytes_of(n), 1);
    FAIL();
  } catch (const ArgumentError& e) {
    EXPECT_STREQ(e.what(), "spirv: kernel 'add' binds 3 buffers; the dispatch gave 2");
  }
  try {
    batch.dispatch(add, three, {}, 1);
    FAIL();
  } catch (const ArgumentError& e) {
    EXPECT_STREQ(e.what(),
                 "spirv: kernel 'add' takes 4 bytes of push constants; the dispatch gave 0");
  }
  batch.submit();
  EXPECT_THROW(batch.submit(), ArgumentError);
}

// Discrete GPUs copy through staging buffers; lavapipe maps its memory. Forcing staging
// here runs that path, under validation when the layer is installed.
TEST(VulkanRuntime, StagingCopiesMatchMappedOnes) {
  ScopedEnv validation("THUNDER_VK_VALIDATION", std::nullopt);
  THUNDER_OPEN_RUNTIME_OR_SKIP(rt, RuntimeOptions{.validation = 0, .force_staging = true});
  Buffer b = rt->create_buffer(4096);
  EXPECT_FALSE(b.host_visible());
  ShadercCompiler compiler;
  EXPECT_EQ(run_add(*rt, compiler, 300000), 0u);
  EXPECT_EQ(run_chain(*rt, compiler, 1000), 1u);
  std::vector<uint32_t> head = {7, 8, 9};
  rt->upload(b, std::as_bytes(std::span(head)), 100);
  std::vector<uint32_t> out(3);
  rt->download(b, std::as_writable_bytes(std::span(out)), 100);
  EXPECT_EQ(out, head);
}

// Parts of one buffer (what the spirv runner's pool carves free buffers into): each is bound
// and copied at its own offset, mapped or through staging, a dispatch reading a part another
// wrote waits for it, and the memory counts once and lives while any part does.
void check_parts(VulkanRuntime& rt) {
  ShadercCompiler compiler;
  Pipeline add = rt.create_pipeline(*compiler.compile(unary_shader("+")),
                                    {.buffers = 2, .push_constant_bytes = 8, .name = "add_k"});
  const std::size_t align = rt.storage_offset_alignment();
  const std::size_t chunk = (1000 * sizeof(float) + align - 1) / align * align;
  const std::uint64_t held = rt.memory_stats().in_use;
  std::optional<Buffer> pa, pb;
  {
    Buffer whole = rt.create_buffer(2 * chunk);
    pa.emplace(rt.part(whole, 0, 1000 * sizeof(float)));
    pb.emplace(rt.part(whole, chunk, 1000 * sizeof(float)));
  }
  Buffer& a = *pa;
  Buffer& b = *pb;
  EXPECT_EQ(a.memory_id(), b.memory_id());
  EXPECT_EQ(b.offset(), chunk);
  EXPECT_EQ(rt.memory_stats().in_use, held + 2 * chunk); // the whole, once, kept by its parts
  const std::vector<float> threes(1000, 3.0f);
  rt.upload(a, std::as_bytes(std::span(threes)));
  Batch batch = rt.batch();
  const Buffer* first[] = {&a, &b};  // b = a + 1
  const Buffer* second[] = {&b, &a}; // a = b + 10, after the first: a barrier
  batch.dispatch(add, first, bytes_of(UnaryParams{1000, 1.0f}), groups(1000));
  batch.dispatch(add, second, bytes_of(UnaryParams{1000, 10.0f}), groups(1000));
  EXPECT_EQ(batch.barrier_count(), 1u);
  batch.submit();
  EXPECT_EQ(download_floats(rt, b, 1000), std::vector<float>(1000, 4.0f));
  EXPECT_EQ(download_floats(rt, a, 1000), std::vector<float>(1000, 14.0f));
  // A part over both ranges reads both, at its offset; the parts go in any order.
  std::optional<Buffer> joined(rt.part(a, 0, 2 * chunk));
  std::vector<float> both(2 * chunk / sizeof(float));
  rt.download(*joined, std::as_writable_bytes(std::span(both)));
  EXPECT_EQ(both[0], 14.0f);
  EXPECT_EQ(both[chunk / sizeof(float)], 4.0f);
  pa.reset();
  joined.reset();
  EXPECT_EQ(rt.memory_stats().in_use, held + 2 * chunk);
  pb.reset();
  EXPECT_EQ(rt.memory_stats().in_use, held);
}

TEST(VulkanRuntime, PartsOfABufferAreBuffersOfTheirOwnOverOneMemory) {
  THUNDER_OPEN_RUNTIME_OR_SKIP(rt);
  check_parts(*rt);
}

TEST(VulkanRuntime, PartsCopyThroughStagingAtTheirOffsets) {
  ScopedEnv validation("THUNDER_VK_VALIDATION", std::nullopt);
  THUNDER_OPEN_RUNTIME_OR_SKIP(rt, RuntimeOptions{.validation = 0, .force_staging = true});
  check_parts(*rt);
}

// Lavapipe offers every optional feature the backend uses; a runtime enables what its
// device offers, and none with minimal_features (option or THUNDER_VK_MINIMAL_FEATURES=1).
TEST(VulkanRuntime, EnablesTheOptionalFeaturesTheDeviceOffers) {
  ScopedEnv minimal("THUNDER_VK_MINIMAL_FEATURES", std::nullopt);
  THUNDER_OPEN_RUNTIME_OR_SKIP(rt);
  EXPECT_EQ(rt->features(), rt->device().features) << rt->features().to_string();
  EXPECT_EQ(rt->devices().at(rt->device().index).features, rt->device().features);
  if (rt->device().name.find("llvmpipe") != std::string::npos) {
    EXPECT_EQ(rt->features().to_string(),
              "storageBuffer16BitAccess storageBuffer8BitAccess shaderFloat16 shaderInt8 "
              "shaderInt16 shaderInt64 shaderFloat64 shaderSignedZeroInfNanPreserveFloat32 "
              "shaderSignedZeroInfNanPreserveFloat64");
  }
  const std::vector<DeviceInfo> listed = VulkanRuntime::list_devices();
  ASSERT_GT(listed.size(), rt->device().index);
  EXPECT_EQ(listed[rt->device().index].features, rt->device().features);
}

TEST(VulkanRuntime, MinimalFeaturesEnablesNone) {
  ScopedEnv unset("THUNDER_VK_MINIMAL_FEATURES", std::nullopt);
  THUNDER_OPEN_RUNTIME_OR_SKIP(rt, RuntimeOptions{.minimal_features = 1});
  EXPECT_EQ(rt->features(), DeviceFeatures{}) << rt->features().to_string();
  EXPECT_EQ(rt->features().to_string(), "none");
  {
    ScopedEnv minimal("THUNDER_VK_MINIMAL_FEATURES", "1");
    VulkanRuntime from_env;
    EXPECT_EQ(from_env.features(), DeviceFeatures{});
    // The option wins over the variable.
    VulkanRuntime full(RuntimeOptions{.minimal_features = 0});
    EXPECT_EQ(full.features(), full.device().features);
  }
  // What runs without features still runs.
  ShadercCompiler compiler;
  EXPECT_EQ(run_add(*rt, compiler, 1000), 0u);
}

// The cooperative-matrix matmul (RuntimeOptions::cooperative_matrix,
// THUNDER_VK_COOPERATIVE_MATRIX): unset, on exactly where the device has what it needs; asked
// for where it has not, an error naming the device and what is missing; "emulated" wherever
// 16-bit storage and arithmetic are; any other value an error listing the valid ones.
TEST(VulkanRuntime, CooperativeMatrixIsOnWhereTheDeviceHasItAndAnErrorWhereAskedWithout) {
  ScopedEnv unset("THUNDER_VK_COOPERATIVE_MATRIX", std::nullopt);
  ScopedEnv full("THUNDER_VK_MINIMAL_FEATURES", std::nullopt);
  THUNDER_OPEN_RUNTIME_OR_SKIP(rt);
  const bool offered = rt->device().features.cooperative_matrix;
  const std::vector<std::string>& shapes = rt->device().cooperative_matrix_shapes;
  std::string listed;
  for (const std::string& shape : shapes)
    listed += " [" + shape + "]";
  std::cout << "[vulkan] " << rt->device().name << ": the cooperative-matrix matmul is "
            << (offered ? "offered" : "not offered") << "; VK_NV_cooperative_matrix shapes:"
            << (shapes.empty() ? " none (no extension)" : listed) << "\n";
  // NVIDIA's drivers have the extension with the kernel's shape: where one lists shapes but
  // the kernel is not offered, the kernel's choice of shape or features is wrong for it.
  if (rt->device().vendor_id == 0x10DE && !shapes.empty()) {
    EXPECT_TRUE(offered) << "shapes:" << listed << "; features: "
                         << rt->device().features.to_string();
  }
  EXPECT_EQ(rt->cooperative_matrix(), offered ? CooperativeMatrix::On : CooperativeMatrix::Off);
  EXPECT_EQ(rt->features().cooperative_matrix, offered);
  if (rt->device().name.find("llvmpipe") != std::string::npos) {
    EXPECT_FALSE(offered) << "lavapipe has no VK_NV_cooperative_matrix";
  }

  EXPECT_EQ(rt->cooperative_matrix_reason().rfind(offered ? "on: " : "off: ", 0), 0u)
      << rt->cooperative_matrix_reason();
  VulkanRuntime off(RuntimeOptions{.cooperative_matrix = 0});
  EXPECT_EQ(off.cooperative_matrix(), CooperativeMatrix::Off);
  EXPECT_EQ(off.cooperative_matrix_reason(), "off: RuntimeOptions::cooperative_matrix = 0");
  EXPECT_FALSE(off.features().cooperative_matrix) << "the extension is not enabled when off";
  const DeviceFeatures& f = rt->features();
  if (f.storage_buffer_16bit && f.shader_float16 && f.shader_int16) {
    VulkanRuntime emulated(RuntimeOptions{.cooperative_matrix = RuntimeOptions::kEmulated});
    EXPECT_EQ(emulated.cooperative_matrix(), CooperativeMatrix::Emulated);
    EXPECT_FALSE(emulated.features().cooperative_matrix);
    ScopedEnv from_env("THUNDER_VK_COOPERATIVE_MATRIX", "emulated");
    const VulkanRuntime emulated_by_env;
    EXPECT_EQ(emulated_by_env.cooperative_matrix(), CooperativeMatrix::Emulated);
    EXPECT_EQ(emulated_by_env.cooperative_matrix_reason(),
              "emulated: THUNDER_VK_COOPERATIVE_MATRIX=emulated");
  } else {
    std::cout << "[vulkan] the emulated kernel not checked: " << rt->device().name
              << " lacks 16-bit features: " << f.to_string() << "\n";
  }
  if (offered) {
    ScopedEnv on("THUNDER_VK_COOPERATIVE_MATRIX", "1");
    EXPECT_EQ(VulkanRuntime().cooperative_matrix(), CooperativeMatrix::On);
  } else {
    ScopedEnv on("THUNDER_VK_COOPERATIVE_MATRIX", "1");
    try {
      VulkanRuntime wrong;
      ADD_FAILURE() << "THUNDER_VK_COOPERATIVE_MATRIX=1 accepted on " << rt->device().name;
    } catch (const BackendError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("THUNDER_VK_COOPERATIVE_MATRIX=1 asks for the cooperative-matrix "
                          "matmul, but device "),
                std::string::npos)
          << what;
      EXPECT_NE(what.find("Leave THUNDER_VK_COOPERATIVE_MATRIX unset"), std::string::npos)
          << what;
      EXPECT_NE(what.find(rt->device().name), std::string::npos) << what;
      EXPECT_NE(what.find("VK_NV_cooperative_matrix with a subgroup-scope 16x8x16"),
                std::string::npos)
          << what;
    }
    try {
      VulkanRuntime wrong(RuntimeOptions{.cooperative_matrix = 1});
      ADD_FAILURE() << "RuntimeOptions::cooperative_matrix = 1 accepted on " << rt->device().name;
    } catch (const BackendError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("RuntimeOptions::cooperative_matrix = 1 asks"), std::string::npos)
          << what;
      EXPECT_NE(what.find("Leave the option at -1"), std::string::npos) << what;
    }
  }
  // Without 16-bit features not even the emulation runs, and says why.
  try {
    VulkanRuntime minimal(
        RuntimeOptions{.minimal_features = 1, .cooperative_matrix = RuntimeOptions::kEmulated});
    ADD_FAILURE() << "the emulated kernel was accepted without 16-bit features";
  } catch (const BackendError& e) {
    EXPECT_NE(std::string(e.what()).find("needs storageBuffer16BitAccess, shaderFloat16 and "
                                         "shaderInt16"),
              std::string::npos)
        << e.what();
  }
  ScopedEnv bad("THUNDER_VK_COOPERATIVE_MATRIX", "auto");
  try {
    VulkanRuntime wrong;
    ADD_FAILURE() << "THUNDER_VK_COOPERATIVE_MATRIX=auto was accepted";
  } catch (const ArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "THUNDER_VK_COOPERATIVE_MATRIX must be 0, 1 or emulated, got 'auto'"),
              std::string::npos)
        << e.what();
  }
}

// One shader that reads and writes f16, u8, i64 and f64 buffers and computes in f16, i8,
// i16, i64 and f64: it runs, gives the right numbers, and the validation layer (which checks
// the shader's capabilities against the features enabled) reports nothing.
TEST(VulkanRuntime, EightSixteenAndSixtyFourBitBuffersRunUnderValidation) {
  std::unique_ptr<VulkanRuntime> rt;
  std::string why_not;
  try {
    rt = testing::open_runtime(why_not, RuntimeOptions{.validation = 1});
  } catch (const BackendError& e) {
    if (std::string(e.what()).find("is not installed (vulkan-validationlayers)") ==
        std::string::npos) {
      throw;
    }
    rt = testing::open_runtime(why_not, RuntimeOptions{.validation = 0});
  }
  if (!rt) GTEST_SKIP() << "no Vulkan device here: " << why_not;
  const DeviceFeatures& f = rt->features();
  if (!(f.storage_buffer_16bit && f.storage_buffer_8bit && f.shader_float16 && f.shader_int8 &&
        f.shader_int16 && f.shader_int64 && f.shader_float64)) {
    GTEST_SKIP() << rt->device().name << " lacks some of the features: " << f.to_string();
  }
  const char* shader = R"(#version 450
#extension GL_EXT_shader_8bit_storage : require
#extension GL_EXT_shader_16bit_storage : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#extension GL_EXT_shader_explicit_arithmetic_types_int8 : require
#extension GL_EXT_shader_explicit_arithmetic_types_int16 : require
#extension GL_EXT_shader_explicit_arithmetic_types_int64 : require
layout(local_size_x = 64) in;
layout(std430, set = 0, binding = 0) buffer H { float16_t h[]; };
layout(std430, set = 0, binding = 1) buffer U { uint8_t u[]; };
layout(std430, set = 0, binding = 2) buffer L { int64_t l[]; };
layout(std430, set = 0, binding = 3) buffer D { double d[]; };
layout(push_constant) uniform Params { uint n; } params;
void main() {
  uint i = gl_GlobalInvocationID.x;
  if (i >= params.n) return;
  h[i] = h[i] * float16_t(2.0);
  u[i] = uint8_t(int8_t(u[i]) + int8_t(int16_t(1)));
  l[i] = l[i] * 3000000000l;
  d[i] = d[i] * 3.0lf + 0.25lf;
}
)";
  ShadercCompiler compiler;
  Pipeline p = rt->create_pipeline(*compiler.compile(shader, {.name = "wide_narrow"}),
                                   {.buffers = 4, .push_constant_bytes = 4, .name = "wide_narrow"});
  constexpr uint32_t n = 100;
  std::vector<uint16_t> h(n, 0x3E00); // 1.5 in f16
  std::vector<uint8_t> u(n);
  std::vector<int64_t> l(n);
  std::vector<double> d(n);
  for (uint32_t i = 0; i < n; ++i) {
    u[i] = static_cast<uint8_t>(i * 3);
    l[i] = static_cast<int64_t>(i) - 50;
    d[i] = static_cast<double>(i);
  }
  Buffer dh = rt->create_buffer(n * 2);
  Buffer du = rt->create_buffer(n);
  Buffer dl = rt->create_buffer(n * 8);
  Buffer dd = rt->create_buffer(n * 8);
  rt->upload(dh, std::as_bytes(std::span(h)));
  rt->upload(du, std::as_bytes(std::span(u)));
  rt->upload(dl, std::as_bytes(std::span(l)));
  rt->upload(dd, std::as_bytes(std::span(d)));
  Batch batch = rt->batch();
  const Buffer* bound[] = {&dh, &du, &dl, &dd};
  batch.dispatch(p, bound, bytes_of(n), groups(n) * 4);
  batch.submit();
  rt->download(dh, std::as_writable_bytes(std::span(h)));
  rt->download(du, std::as_writable_bytes(std::span(u)));
  rt->download(dl, std::as_writable_bytes(std::span(l)));
  rt->download(dd, std::as_writable_bytes(std::span(d)));
  for (uint32_t i = 0; i < n; ++i) {
    ASSERT_EQ(h[i], 0x4200) << i; // 3.0 in f16
    ASSERT_EQ(u[i], static_cast<uint8_t>(i * 3 + 1)) << i;
    ASSERT_EQ(l[i], (static_cast<int64_t>(i) - 50) * 3000000000LL) << i;
    ASSERT_EQ(d[i], static_cast<double>(i) * 3.0 + 0.25) << i;
  }
  std::string all;
  for (const std::string& m : rt->validation_messages())
    all += m + "\n";
  EXPECT_TRUE(all.empty()) << all;
}

TEST(VulkanRuntime, ValidationLayerReportsNothingOnAFullRun) {
  ScopedEnv validation("THUNDER_VK_VALIDATION", "1");
  std::unique_ptr<VulkanRuntime> rt;
  std::string why_not;
  try {
    rt = testing::open_runtime(why_not);
  } catch (const BackendError& e) {
    if (std::string(e.what()).find("is not installed (vulkan-validationlayers)") !=
        std::string::npos) {
      GTEST_SKIP() << e.what();
    }
    throw;
  }
  if (!rt) {
    GTEST_SKIP() << "no Vulkan device here: " << why_not;
  }
  ASSERT_TRUE(rt->validation_enabled());
  {
    ShadercCompiler compiler;
    EXPECT_EQ(run_add(*rt, compiler, 4096), 0u);
    EXPECT_EQ(run_chain(*rt, compiler, 5000), 1u);
    Buffer b = rt->create_buffer(4);
  }
  // The staging path (what a discrete GPU takes) under the same layer.
  VulkanRuntime staged(RuntimeOptions{.force_staging = true});
  ASSERT_TRUE(staged.validation_enabled());
  {
    ShadercCompiler compiler;
    EXPECT_EQ(run_add(staged, compiler, 4096), 0u);
    EXPECT_EQ(run_chain(staged, compiler, 5000), 1u);
  }
  std::vector<std::string> messages = rt->validation_messages();
  for (const std::string& m : staged.validation_messages()) {
    messages.push_back(m);
  }
  std::string all;
  for (const std::string& m : messages) {
    all += m + "\n";
  }
  EXPECT_TRUE(messages.empty()) << all;
}

} // namespace
} // namespace thunder::spirv

namespace thunder::spirv {
namespace {

// The messenger is live: a pipeline layout that lacks a binding the shader uses is reported.
TEST(VulkanRuntime, ValidationLayerReportsALayoutMismatch) {
  std::unique_ptr<VulkanRuntime> rt;
  std::string why_not;
  try {
    rt = testing::open_runtime(why_not, RuntimeOptions{.validation = 1});
  } catch (const BackendError& e) {
    if (std::string(e.what()).find("is not installed (vulkan-validationlayers)") !=
        std::string::npos) {
      GTEST_SKIP() << e.what();
    }
    throw;
  }
  if (!rt) {
    GTEST_SKIP() << "no Vulkan device here: " << why_not;
  }
  ShadercCompiler compiler;
  try {
    // The add shader binds three buffers; this layout declares two.
    Pipeline wrong = rt->create_pipeline(*compiler.compile(testing::kAddShader),
                                         {.buffers = 2, .push_constant_bytes = 4, .name = "add"});
  } catch (const BackendError&) {
    // A driver may also refuse the pipeline; the layer's report is what this test checks.
  }
  std::vector<std::string> messages = rt->validation_messages();
  ASSERT_FALSE(messages.empty());
  EXPECT_EQ(messages[0].rfind("error: ", 0), 0u) << messages[0];
  rt->clear_validation_messages();
  EXPECT_TRUE(rt->validation_messages().empty());
}

TEST(VulkanRuntime, CountsStorageMemoryAndItsPeak) {
  THUNDER_OPEN_RUNTIME_OR_SKIP(rt);
  const VulkanRuntime::MemoryStats before = rt->memory_stats();
  {
    Buffer a = rt->create_buffer(1000);
    Buffer b = rt->create_buffer(3000);
    EXPECT_EQ(rt->memory_stats().in_use, before.in_use + 4000);
  }
  const VulkanRuntime::MemoryStats after = rt->memory_stats();
  EXPECT_EQ(after.in_use, before.in_use);
  EXPECT_GE(after.peak, before.in_use + 4000);
  rt->reset_peak_memory();
  EXPECT_EQ(rt->memory_stats().peak, before.in_use);
}

TEST(VulkanRuntime, MemoryLimitIsAClearOutOfMemoryErrorThatLeaksNothing) {
  THUNDER_OPEN_RUNTIME_OR_SKIP(rt, RuntimeOptions{.memory_limit = 10000});
  EXPECT_EQ(rt->memory_stats().limit, 10000u);
  Buffer a = rt->create_buffer(6000);
  try {
    Buffer b = rt->create_buffer(6000);
    FAIL() << "a buffer past the memory limit was created";
  } catch (const BackendError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("spirv: out of device memory: a storage buffer of 6000 bytes would "
                           "bring what device"),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("holds to 12000 bytes, past the limit of 10000"), std::string::npos)
        << message;
  }
  EXPECT_EQ(rt->memory_stats().in_use, 6000u); // the refused buffer holds nothing
  {
    Buffer c = rt->create_buffer(4000); // what is left is still usable
  }
  ShadercCompiler compiler;
  EXPECT_EQ(run_add(*rt, compiler, 100), 0u);
}

TEST(VulkanRuntime, MemoryLimitFromTheEnvironment) {
  {
    ScopedEnv limit("THUNDER_VK_MEMORY_LIMIT", "2M");
    THUNDER_OPEN_RUNTIME_OR_SKIP(rt);
    EXPECT_EQ(rt->memory_stats().limit, 2u << 20);
  }
  for (const char* bad : {"lots", "-5", "12X", "3MB"}) {
    ScopedEnv limit("THUNDER_VK_MEMORY_LIMIT", bad);
    try {
      VulkanRuntime rt;
      ADD_FAILURE() << "THUNDER_VK_MEMORY_LIMIT=" << bad << " was accepted";
    } catch (const ArgumentError& e) {
      EXPECT_NE(std::string(e.what()).find("is not a byte count"), std::string::npos) << e.what();
    } catch (const BackendError& e) {
      GTEST_SKIP() << "no Vulkan device here: " << e.what();
    }
  }
}

TEST(VulkanRuntime, PipelineCacheIsSavedAndReadBackWhenIntact) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("thunder-pipeline-cache-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  ScopedEnv cache("THUNDER_CACHE_DIR", dir.string());
  std::string path;
  {
    THUNDER_OPEN_RUNTIME_OR_SKIP(rt);
    path = rt->pipeline_cache_path();
    ASSERT_EQ(std::filesystem::path(path).parent_path(), dir / "spirv") << path;
    rt->save_pipeline_cache(); // nothing created yet: nothing written
    EXPECT_FALSE(std::filesystem::exists(path));
    ShadercCompiler compiler;
    EXPECT_EQ(run_add(*rt, compiler, 1000), 0u);
  } // the runtime saves its cache as it closes
  ASSERT_TRUE(std::filesystem::exists(path));
  // A hash line, then at least the Vulkan cache header (32 bytes). Lavapipe's cache holds
  // no pipelines, so this checks the file is made and accepted, not that it saves time.
  EXPECT_GE(std::filesystem::file_size(path), 17u + 32u);
  {
    THUNDER_OPEN_RUNTIME_OR_SKIP(rt);
    EXPECT_EQ(rt->pipeline_cache_path(), path);
    EXPECT_TRUE(rt->pipeline_cache_loaded());
    ShadercCompiler compiler;
    EXPECT_EQ(run_add(*rt, compiler, 1000), 0u);
    EXPECT_TRUE(rt->validation_messages().empty());
  }
  {
    // Data the driver cannot use (another driver's, or damaged) is ignored, not an error.
    std::ofstream(path, std::ios::binary | std::ios::app) << "damaged";
    THUNDER_OPEN_RUNTIME_OR_SKIP(rt);
    EXPECT_FALSE(rt->pipeline_cache_loaded());
    ShadercCompiler compiler;
    EXPECT_EQ(run_add(*rt, compiler, 1000), 0u);
  }
  std::filesystem::remove_all(dir);
}

TEST(VulkanRuntime, NoPipelineCacheFileWithoutCacheDir) {
  ScopedEnv cache("THUNDER_CACHE_DIR", std::nullopt);
  THUNDER_OPEN_RUNTIME_OR_SKIP(rt);
  EXPECT_EQ(rt->pipeline_cache_path(), "");
  ShadercCompiler compiler;
  EXPECT_EQ(run_add(*rt, compiler, 10), 0u);
  rt->save_pipeline_cache();
}

} // namespace
} // namespace thunder::spirv
