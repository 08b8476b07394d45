#include "thunder/executors/spirv/vulkan_runtime.h"

#include "thunder/core/cache_files.h"
#include "thunder/core/error.h"

#include <volk.h>

#include <algorithm>
#include <map>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace thunder::spirv {
namespace {

const char* result_name(VkResult r) {
  switch (r) {
#define THUNDER_VK_RESULT(name)                                                                    \
  case name:                                                                                       \
    return #name;
    THUNDER_VK_RESULT(VK_SUCCESS)
    THUNDER_VK_RESULT(VK_NOT_READY)
    THUNDER_VK_RESULT(VK_TIMEOUT)
    THUNDER_VK_RESULT(VK_EVENT_SET)
    THUNDER_VK_RESULT(VK_EVENT_RESET)
    THUNDER_VK_RESULT(VK_INCOMPLETE)
    THUNDER_VK_RESULT(VK_ERROR_OUT_OF_HOST_MEMORY)
    THUNDER_VK_RESULT(VK_ERROR_OUT_OF_DEVICE_MEMORY)
    THUNDER_VK_RESULT(VK_ERROR_INITIALIZATION_FAILED)
    THUNDER_VK_RESULT(VK_ERROR_DEVICE_LOST)
    THUNDER_VK_RESULT(VK_ERROR_MEMORY_MAP_FAILED)
    THUNDER_VK_RESULT(VK_ERROR_LAYER_NOT_PRESENT)
    THUNDER_VK_RESULT(VK_ERROR_EXTENSION_NOT_PRESENT)
    THUNDER_VK_RESULT(VK_ERROR_FEATURE_NOT_PRESENT)
    THUNDER_VK_RESULT(VK_ERROR_INCOMPATIBLE_DRIVER)
    THUNDER_VK_RESULT(VK_ERROR_TOO_MANY_OBJECTS)
    THUNDER_VK_RESULT(VK_ERROR_FORMAT_NOT_SUPPORTED)
    THUNDER_VK_RESULT(VK_ERROR_FRAGMENTED_POOL)
    THUNDER_VK_RESULT(VK_ERROR_UNKNOWN)
    THUNDER_VK_RESULT(VK_ERROR_OUT_OF_POOL_MEMORY)
    THUNDER_VK_RESULT(VK_ERROR_INVALID_EXTERNAL_HANDLE)
    THUNDER_VK_RESULT(VK_ERROR_FRAGMENTATION)
    THUNDER_VK_RESULT(VK_ERROR_INVALID_OPAQUE_CAPTURE_ADDRESS)
    THUNDER_VK_RESULT(VK_PIPELINE_COMPILE_REQUIRED)
    THUNDER_VK_RESULT(VK_ERROR_VALIDATION_FAILED_EXT)
    THUNDER_VK_RESULT(VK_ERROR_INVALID_SHADER_NV)
#undef THUNDER_VK_RESULT
  default:
    return "VkResult";
  }
}

// Every Vulkan call goes through here: the message names the call, the VkResult and the
// device, so a failure report says what broke without a debugger.
void check(VkResult r, const char* call_text, const std::string& where = {}) {
  if (r == VK_SUCCESS) {
    return;
  }
  // "ctx->vk.vkCreateBuffer(ctx->device, ...)" -> "vkCreateBuffer".
  std::string call(call_text);
  call = call.substr(0, call.find('('));
  if (auto cut = call.find_last_of(".>"); cut != std::string::npos) {
    call = call.substr(cut + 1);
  }
  std::string hint;
  if (r == VK_ERROR_OUT_OF_DEVICE_MEMORY || r == VK_ERROR_OUT_OF_HOST_MEMORY) {
    hint = "; free memory or use smaller inputs";
  } else if (r == VK_ERROR_DEVICE_LOST) {
    hint = "; the driver reset the device (a kernel ran too long or faulted)";
  }
  throw BackendError(str("spirv: ", call, " failed with ", result_name(r), " (",
                         static_cast<int>(r), ")", where.empty() ? "" : " on ", where, hint));
}

#define THUNDER_VK_CHECK(call, ...) check((call), #call __VA_OPT__(, ) __VA_ARGS__)

// THUNDER_VK_MEMORY_LIMIT: bytes, or a number with a K, M or G suffix (powers of 1024); 0 or
// unset for none. Anything else is an ArgumentError naming the variable.
std::uint64_t memory_limit_from_env() {
  const char* text = std::getenv("THUNDER_VK_MEMORY_LIMIT");
  if (text == nullptr || *text == 0) return 0;
  char* end = nullptr;
  errno = 0;
  const unsigned long long number = std::strtoull(text, &end, 10);
  std::uint64_t scale = 1;
  if (end != text && *end != 0 && end[1] == 0) {
    switch (std::toupper(static_cast<unsigned char>(*end))) {
    case 'K': scale = 1ULL << 10; ++end; break;
    case 'M': scale = 1ULL << 20; ++end; break;
    case 'G': scale = 1ULL << 30; ++end; break;
    default: break;
    }
  }
  if (end == text || *end != 0 || errno != 0 || *text == '-' ||
      number > std::numeric_limits<std::uint64_t>::max() / scale) {
    throw ArgumentError(str("THUNDER_VK_MEMORY_LIMIT='", text,
                            "' is not a byte count (write e.g. 1073741824, 512M or 2G)"));
  }
  return number * scale;
}

std::string version_string(uint32_t v) {
  return str(VK_API_VERSION_MAJOR(v), ".", VK_API_VERSION_MINOR(v), ".", VK_API_VERSION_PATCH(v));
}

const char* type_name(VkPhysicalDeviceType t) {
  switch (t) {
  case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
    return "discrete GPU";
  case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
    return "integrated GPU";
  case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
    return "virtual GPU";
  case VK_PHYSICAL_DEVICE_TYPE_CPU:
    return "CPU";
  default:
    return "other";
  }
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string env_or_empty(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : std::string();
}

} // namespace

std::optional<bool> switch_option(int option, const char* variable) {
  if (option >= 0) return option != 0;
  const std::string value = env_or_empty(variable);
  if (value.empty()) return std::nullopt;
  if (value != "0" && value != "1") {
    throw ArgumentError(str(variable, " must be 0 or 1, got '", value, "'"));
  }
  return value == "1";
}

namespace {

void load_vulkan() {
  static std::once_flag once;
  static VkResult loaded = VK_ERROR_INITIALIZATION_FAILED;
  std::call_once(once, [] { loaded = volkInitialize(); });
  if (loaded != VK_SUCCESS) {
    throw BackendError(
        "spirv: no Vulkan loader found (libvulkan.so.1 could not be loaded); install the "
        "Vulkan loader (libvulkan1) and a driver (mesa-vulkan-drivers provides lavapipe, "
        "which runs on the CPU), or choose another backend (THUNDER_BACKEND)");
  }
}

// volk keeps instance functions in globals; the loader hands out trampolines that work for
// any instance, so reloading them for each new instance is safe, but not concurrently.
std::mutex& volk_mutex() {
  static std::mutex m;
  return m;
}

constexpr const char* kValidationLayer = "VK_LAYER_KHRONOS_validation";
constexpr uint64_t kFenceTimeoutNs = 120ull * 1000 * 1000 * 1000;

BackendError no_device_error(const std::string& detail) {
  return BackendError(str("spirv: no Vulkan device: ", detail,
                          "; install a Vulkan driver (mesa-vulkan-drivers provides lavapipe, "
                          "which runs on the CPU) or check VK_ICD_FILENAMES / VK_DRIVER_FILES"));
}

#if defined(__SANITIZE_ADDRESS__)
// Under AddressSanitizer only: an instance per layer set kept for the whole process, so the
// loader never unloads a driver or layer library. Unloading unmaps its globals, and
// LeakSanitizer then reports what they pointed to as leaks (lavapipe's 128 bytes), which
// would hide real ones among them.
void pin_loader_libraries(const VkInstanceCreateInfo& info) {
  static std::mutex mutex;
  static std::set<std::string> pinned;
  std::string key;
  for (std::uint32_t i = 0; i < info.enabledLayerCount; ++i)
    key += str(info.ppEnabledLayerNames[i], ";");
  const std::lock_guard lock(mutex);
  if (!pinned.insert(key).second) return;
  VkInstanceCreateInfo pin = info;
  pin.pNext = nullptr; // no debug messenger: its user data does not live as long
  pin.enabledExtensionCount = 0;
  pin.ppEnabledExtensionNames = nullptr;
  pin.flags = 0;
  VkInstance kept = VK_NULL_HANDLE;
  (void)vkCreateInstance(&pin, nullptr, &kept); // never destroyed
}
#endif

// vkCreateInstance fails with VK_ERROR_INCOMPATIBLE_DRIVER when the loader finds no driver.
void create_instance(const VkInstanceCreateInfo& info, VkInstance* instance) {
  VkResult r = vkCreateInstance(&info, nullptr, instance);
  if (r == VK_ERROR_INCOMPATIBLE_DRIVER) {
    throw no_device_error("vkCreateInstance found no driver (VK_ERROR_INCOMPATIBLE_DRIVER)");
  }
  check(r, "vkCreateInstance");
#if defined(__SANITIZE_ADDRESS__)
  pin_loader_libraries(info);
#endif
}

// The optional features of the spirv backend as Vulkan structs, chained from a
// VkPhysicalDeviceFeatures2: queried with vkGetPhysicalDeviceFeatures2, or passed to
// vkCreateDevice with only the wanted ones set. Vulkan 1.2 devices (and instances) have the
// Vulkan11/12 structs; a 1.1 one only 16-bit storage (8-bit storage and shaderFloat16/Int8
// would need the VK_KHR_8bit_storage and VK_KHR_shader_float16_int8 extensions, not used).
struct FeatureChain {
  VkPhysicalDeviceFeatures2 features2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
  VkPhysicalDeviceVulkan11Features v11{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES};
  VkPhysicalDeviceVulkan12Features v12{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
  VkPhysicalDevice16BitStorageFeatures storage16{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_16BIT_STORAGE_FEATURES};
  // Chained only where the device has VK_NV_cooperative_matrix (and Vulkan 1.2).
  VkPhysicalDeviceCooperativeMatrixFeaturesNV coop{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_NV};
  bool has_coop = false;

  FeatureChain(uint32_t api_version, bool cooperative_matrix_extension) {
    if (api_version >= VK_API_VERSION_1_2) {
      features2.pNext = &v11;
      v11.pNext = &v12;
      has_coop = cooperative_matrix_extension;
      if (has_coop) v12.pNext = &coop;
    } else {
      features2.pNext = &storage16;
    }
  }
  FeatureChain(const FeatureChain&) = delete;
  FeatureChain& operator=(const FeatureChain&) = delete;

  DeviceFeatures read(uint32_t api_version) const {
    DeviceFeatures f;
    f.shader_int16 = features2.features.shaderInt16 == VK_TRUE;
    f.shader_int64 = features2.features.shaderInt64 == VK_TRUE;
    f.shader_float64 = features2.features.shaderFloat64 == VK_TRUE;
    if (api_version >= VK_API_VERSION_1_2) {
      f.storage_buffer_16bit = v11.storageBuffer16BitAccess == VK_TRUE;
      f.storage_buffer_8bit = v12.storageBuffer8BitAccess == VK_TRUE;
      f.shader_float16 = v12.shaderFloat16 == VK_TRUE;
      f.shader_int8 = v12.shaderInt8 == VK_TRUE;
      // The rest of what the cooperative-matrix kernel needs is checked by query_features.
      f.cooperative_matrix = has_coop && coop.cooperativeMatrix == VK_TRUE &&
                             v12.vulkanMemoryModel == VK_TRUE && f.shader_float16 &&
                             f.shader_int16 && f.storage_buffer_16bit;
    } else {
      f.storage_buffer_16bit = storage16.storageBuffer16BitAccess == VK_TRUE;
    }
    return f;
  }
  void set(const DeviceFeatures& f, uint32_t api_version) {
    const auto b = [](bool on) -> VkBool32 { return on ? VK_TRUE : VK_FALSE; };
    features2.features.shaderInt16 = b(f.shader_int16);
    features2.features.shaderInt64 = b(f.shader_int64);
    features2.features.shaderFloat64 = b(f.shader_float64);
    if (api_version >= VK_API_VERSION_1_2) {
      v11.storageBuffer16BitAccess = b(f.storage_buffer_16bit);
      v12.storageBuffer8BitAccess = b(f.storage_buffer_8bit);
      v12.shaderFloat16 = b(f.shader_float16);
      v12.shaderInt8 = b(f.shader_int8);
      // The kernel's SPIR-V declares the VulkanMemoryModel capability (glslang's for
      // cooperative matrices' scopes).
      v12.vulkanMemoryModel = b(f.cooperative_matrix);
      coop.cooperativeMatrix = b(f.cooperative_matrix);
    } else {
      storage16.storageBuffer16BitAccess = b(f.storage_buffer_16bit);
    }
  }
};

// The Vulkan version whose device-level features may be used: the lower of the instance's
// and the device's (Vulkan 1.1+ rules).
uint32_t usable_api_version(uint32_t instance_version, uint32_t device_version) {
  return std::min(instance_version, device_version);
}

bool has_device_extension(VkPhysicalDevice pd, const char* name) {
  uint32_t count = 0;
  if (vkEnumerateDeviceExtensionProperties(pd, nullptr, &count, nullptr) != VK_SUCCESS) {
    return false;
  }
  std::vector<VkExtensionProperties> extensions(count);
  if (vkEnumerateDeviceExtensionProperties(pd, nullptr, &count, extensions.data()) !=
      VK_SUCCESS) {
    return false;
  }
  return std::any_of(extensions.begin(), extensions.end(), [&](const VkExtensionProperties& e) {
    return std::string_view(e.extensionName) == name;
  });
}

const char* component_name(VkComponentTypeNV type) {
  switch (type) {
  case VK_COMPONENT_TYPE_FLOAT16_NV:
    return "f16";
  case VK_COMPONENT_TYPE_FLOAT32_NV:
    return "f32";
  case VK_COMPONENT_TYPE_FLOAT64_NV:
    return "f64";
  case VK_COMPONENT_TYPE_SINT8_NV:
    return "i8";
  case VK_COMPONENT_TYPE_SINT32_NV:
    return "i32";
  case VK_COMPONENT_TYPE_UINT8_NV:
    return "u8";
  case VK_COMPONENT_TYPE_UINT32_NV:
    return "u32";
  default:
    return "other";
  }
}

// VK_NV_cooperative_matrix's shapes on the device (shape_name prints one); empty without
// the extension's properties function or where the query fails.
std::vector<VkCooperativeMatrixPropertiesNV> cooperative_matrix_shapes(VkPhysicalDevice pd) {
  uint32_t count = 0;
  if (vkGetPhysicalDeviceCooperativeMatrixPropertiesNV == nullptr ||
      vkGetPhysicalDeviceCooperativeMatrixPropertiesNV(pd, &count, nullptr) != VK_SUCCESS) {
    return {};
  }
  std::vector<VkCooperativeMatrixPropertiesNV> shapes(
      count, {VK_STRUCTURE_TYPE_COOPERATIVE_MATRIX_PROPERTIES_NV});
  if (vkGetPhysicalDeviceCooperativeMatrixPropertiesNV(pd, &count, shapes.data()) != VK_SUCCESS) {
    return {};
  }
  shapes.resize(count);
  return shapes;
}

std::string shape_name(const VkCooperativeMatrixPropertiesNV& s) {
  return str(s.MSize, "x", s.NSize, "x", s.KSize, " ", component_name(s.AType), "*",
             component_name(s.BType), "+", component_name(s.CType), "->",
             component_name(s.DType), s.scope == VK_SCOPE_SUBGROUP_NV ? "" : " (not subgroup)");
}

// Whether the device runs shaders/matmul_coop.comp as written: a subgroup-scope
// M=16, N=8, K=16 product of f16 A and B into f32 C and D (the shape NVIDIA's drivers list),
// in compute shaders whose subgroups have 32 invocations (a workgroup of 128 is the
// kernel's four subgroups, each a 32 x 32 quarter of the tile).
bool runs_matmul_coop(VkPhysicalDevice pd,
                      const std::vector<VkCooperativeMatrixPropertiesNV>& shapes) {
  VkPhysicalDeviceCooperativeMatrixPropertiesNV coop{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_PROPERTIES_NV};
  VkPhysicalDeviceSubgroupProperties subgroup{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
  subgroup.pNext = &coop;
  VkPhysicalDeviceProperties2 props{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
  props.pNext = &subgroup;
  vkGetPhysicalDeviceProperties2(pd, &props);
  if (subgroup.subgroupSize != 32 || !(subgroup.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) ||
      !(subgroup.supportedOperations & VK_SUBGROUP_FEATURE_BASIC_BIT) ||
      !(coop.cooperativeMatrixSupportedStages & VK_SHADER_STAGE_COMPUTE_BIT)) {
    return false;
  }
  return std::any_of(shapes.begin(), shapes.end(), [](const VkCooperativeMatrixPropertiesNV& s) {
    return s.MSize == 16 && s.NSize == 8 && s.KSize == 16 &&
           s.AType == VK_COMPONENT_TYPE_FLOAT16_NV && s.BType == VK_COMPONENT_TYPE_FLOAT16_NV &&
           s.CType == VK_COMPONENT_TYPE_FLOAT32_NV && s.DType == VK_COMPONENT_TYPE_FLOAT32_NV &&
           s.scope == VK_SCOPE_SUBGROUP_NV;
  });
}

// The device's features; `shapes` gets its cooperative-matrix shapes where it has the
// extension.
DeviceFeatures query_features(VkPhysicalDevice pd, uint32_t api_version,
                              std::vector<std::string>& shapes) {
  const bool coop = has_device_extension(pd, VK_NV_COOPERATIVE_MATRIX_EXTENSION_NAME);
  FeatureChain chain(api_version, coop);
  vkGetPhysicalDeviceFeatures2(pd, &chain.features2);
  DeviceFeatures features = chain.read(api_version);
  if (coop) {
    const std::vector<VkCooperativeMatrixPropertiesNV> listed = cooperative_matrix_shapes(pd);
    for (const VkCooperativeMatrixPropertiesNV& s : listed)
      shapes.push_back(shape_name(s));
    features.cooperative_matrix = features.cooperative_matrix && runs_matmul_coop(pd, listed);
  }
  // Float controls are core properties from Vulkan 1.2 (a 1.1 device would need the
  // VK_KHR_shader_float_controls extension, not used).
  if (api_version >= VK_API_VERSION_1_2) {
    VkPhysicalDeviceFloatControlsProperties controls{
        VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FLOAT_CONTROLS_PROPERTIES};
    VkPhysicalDeviceProperties2 props{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
    props.pNext = &controls;
    vkGetPhysicalDeviceProperties2(pd, &props);
    features.preserve_inf_nan_float32 = controls.shaderSignedZeroInfNanPreserveFloat32 == VK_TRUE;
    features.preserve_inf_nan_float64 = controls.shaderSignedZeroInfNanPreserveFloat64 == VK_TRUE;
  }
  return features;
}

DeviceInfo describe(VkPhysicalDevice pd, uint32_t index, uint32_t instance_version) {
  VkPhysicalDeviceProperties props{};
  vkGetPhysicalDeviceProperties(pd, &props);
  DeviceInfo info;
  info.index = index;
  info.name = props.deviceName;
  info.type = type_name(props.deviceType);
  info.api_version = version_string(props.apiVersion);
  info.vendor_id = props.vendorID;
  info.device_id = props.deviceID;
  info.driver = str("driver version ", props.driverVersion);
  if (props.apiVersion >= VK_API_VERSION_1_2 && vkGetPhysicalDeviceProperties2) {
    VkPhysicalDeviceDriverProperties driver{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_DRIVER_PROPERTIES};
    VkPhysicalDeviceProperties2 props2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
    props2.pNext = &driver;
    vkGetPhysicalDeviceProperties2(pd, &props2);
    info.driver = str(driver.driverName, " ", driver.driverInfo);
  }
  if (props.apiVersion >= VK_API_VERSION_1_1) {
    info.features = query_features(pd, usable_api_version(instance_version, props.apiVersion),
                                   info.cooperative_matrix_shapes);
  }
  return info;
}

std::string device_list(const std::vector<DeviceInfo>& devices) {
  std::string out;
  for (const DeviceInfo& d : devices) {
    out += str("\n  ", d.index, ": ", d.name, " (", d.type, ", ", d.driver, ", Vulkan ",
               d.api_version, "; features: ", d.features.to_string(), ")");
  }
  return out.empty() ? std::string("\n  (none)") : out;
}

// An instance of the highest version up to 1.3 that the loader offers (at least 1.1).
struct InstanceHandle {
  VkInstance instance = VK_NULL_HANDLE;
  ~InstanceHandle() {
    if (instance) {
      vkDestroyInstance(instance, nullptr);
    }
  }
};

uint32_t instance_api_version() {
  uint32_t version = VK_API_VERSION_1_0;
  if (vkEnumerateInstanceVersion) {
    THUNDER_VK_CHECK(vkEnumerateInstanceVersion(&version));
  }
  if (version < VK_API_VERSION_1_1) {
    throw BackendError(str("spirv: the Vulkan loader offers Vulkan ", version_string(version),
                           "; the spirv backend needs 1.1 or newer (update libvulkan1)"));
  }
  return std::min(version, static_cast<uint32_t>(VK_API_VERSION_1_3));
}

std::vector<VkPhysicalDevice> physical_devices(VkInstance instance) {
  uint32_t count = 0;
  THUNDER_VK_CHECK(vkEnumeratePhysicalDevices(instance, &count, nullptr));
  std::vector<VkPhysicalDevice> out(count);
  THUNDER_VK_CHECK(vkEnumeratePhysicalDevices(instance, &count, out.data()));
  out.resize(count);
  return out;
}

} // namespace

// --- Context: instance, device, queue; shared by everything made from it ------------------

struct VulkanRuntime::Context {
  VkInstance instance = VK_NULL_HANDLE;
  VkDebugUtilsMessengerEXT messenger = VK_NULL_HANDLE;
  VkPhysicalDevice physical = VK_NULL_HANDLE;
  VkDevice device = VK_NULL_HANDLE;
  VolkDeviceTable vk{};
  VkQueue queue = VK_NULL_HANDLE;
  uint32_t queue_family = 0;
  VkPhysicalDeviceProperties props{};
  VkPhysicalDeviceMemoryProperties memory{};
  bool validation = false;
  bool unified = false;
  bool force_staging = false;
  bool cooperative = false;
  CooperativeMatrix cooperative_matrix = CooperativeMatrix::Off;
  std::string cooperative_matrix_why; // VulkanRuntime::cooperative_matrix_reason()
  bool resident_weights = false;
  uint32_t instance_version = VK_API_VERSION_1_1;
  // This instance's own functions for its teardown: volk's globals belong to whichever
  // instance was loaded last (list_devices' or another runtime's), maybe destroyed since,
  // and with a layer each instance has functions of its own.
  PFN_vkDestroyInstance destroy_instance = nullptr;
  PFN_vkDestroyDebugUtilsMessengerEXT destroy_messenger = nullptr;
  DeviceFeatures features; ///< enabled on `device`
  DeviceInfo info;
  std::vector<DeviceInfo> devices;
  // Transfers (staging copies) use one pool; the queue is externally synchronized.
  VkCommandPool transfer_pool = VK_NULL_HANDLE;
  // Storage buffers held (bytes requested) and the most held at once; guarded by
  // memory_mutex. memory_limit: RuntimeOptions::memory_limit, 0 for none.
  std::uint64_t memory_in_use = 0;
  std::uint64_t memory_peak = 0;
  std::uint64_t memory_limit = 0;
  mutable std::mutex memory_mutex;
  // The driver's pipeline cache, loaded from and saved to pipeline_cache_path (when
  // THUNDER_CACHE_DIR is set) so a later process skips the driver's own compile.
  VkPipelineCache pipeline_cache = VK_NULL_HANDLE;
  std::string pipeline_cache_path;
  bool pipeline_cache_grew = false; // guarded by pipeline_cache_mutex
  bool pipeline_cache_loaded = false; // its file was read and passed the checks
  std::mutex pipeline_cache_mutex;
  std::mutex queue_mutex;

  mutable std::mutex messages_mutex;
  std::vector<std::string> messages;

  Context() = default;
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  ~Context() {
    if (device) {
      vk.vkDeviceWaitIdle(device);
      if (transfer_pool) {
        vk.vkDestroyCommandPool(device, transfer_pool, nullptr);
      }
      if (pipeline_cache) {
        save_pipeline_cache();
        vk.vkDestroyPipelineCache(device, pipeline_cache, nullptr);
      }
      vk.vkDestroyDevice(device, nullptr);
    }
    if (messenger) {
      destroy_messenger(instance, messenger, nullptr);
    }
    if (instance) {
      destroy_instance(instance, nullptr);
    }
  }

  std::string where() const { return str("device ", info.index, " '", info.name, "'"); }

  // Creates the pipeline cache, seeded from its file when there is one. The driver checks
  // the data's header (vendor, device, pipelineCacheUUID) and ignores data it cannot use.
  void open_pipeline_cache() {
    if (const std::string dir = kernel_cache_directory("spirv"); !dir.empty()) {
      std::string uuid;
      for (const uint8_t byte : props.pipelineCacheUUID)
        uuid += str(std::hex, static_cast<int>(byte) >> 4, static_cast<int>(byte) & 15);
      pipeline_cache_path =
          str(dir, "/pipelines-", std::hex, props.vendorID, "-", props.deviceID, "-",
              props.driverVersion, "-", uuid, ".bin");
    }
    std::optional<std::string> data;
    if (!pipeline_cache_path.empty()) {
      const auto slash = pipeline_cache_path.rfind('/');
      data = read_cache_file(pipeline_cache_path.substr(0, slash),
                             pipeline_cache_path.substr(slash + 1));
    }
    // Vulkan wants exactly what vkGetPipelineCacheData gave: the file is used only when its
    // hash line matches what follows and that is a cache of this device (header version
    // one, vendor, device, pipelineCacheUUID); anything else is ignored.
    std::string payload;
    if (data) {
      const auto newline = data->find('\n');
      if (newline != std::string::npos && data->substr(0, newline) ==
                                              stable_hash(data->substr(newline + 1))) {
        payload = data->substr(newline + 1);
      }
    }
    VkPipelineCacheHeaderVersionOne header{};
    if (payload.size() >= sizeof header) {
      std::memcpy(&header, payload.data(), sizeof header);
    }
    const bool usable = payload.size() >= sizeof header && header.headerSize >= sizeof header &&
                        header.headerVersion == VK_PIPELINE_CACHE_HEADER_VERSION_ONE &&
                        header.vendorID == props.vendorID && header.deviceID == props.deviceID &&
                        std::memcmp(header.pipelineCacheUUID, props.pipelineCacheUUID,
                                    VK_UUID_SIZE) == 0;
    VkPipelineCacheCreateInfo info{VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO};
    if (usable) {
      info.initialDataSize = payload.size();
      info.pInitialData = payload.data();
      pipeline_cache_loaded = true;
    }
    THUNDER_VK_CHECK(vk.vkCreatePipelineCache(device, &info, nullptr, &pipeline_cache), where());
  }

  // Writes the pipeline cache to its file if pipelines were added since it was read. A
  // cache that cannot be written costs time, not correctness.
  void save_pipeline_cache() {
    const std::lock_guard lock(pipeline_cache_mutex);
    if (!pipeline_cache_grew || pipeline_cache_path.empty()) return;
    std::size_t size = 0;
    if (vk.vkGetPipelineCacheData(device, pipeline_cache, &size, nullptr) != VK_SUCCESS) return;
    std::string data(size, '\0');
    if (vk.vkGetPipelineCacheData(device, pipeline_cache, &size, data.data()) != VK_SUCCESS) return;
    data.resize(size);
    const auto slash = pipeline_cache_path.rfind('/');
    try {
      save_cache_file("spirv", pipeline_cache_path.substr(slash + 1),
                      stable_hash(data) + "\n" + data,
                      pipeline_cache_path.substr(0, slash));
      pipeline_cache_grew = false;
    } catch (const BackendError&) {
    }
  }

  std::optional<uint32_t> find_memory_type(uint32_t type_bits, VkMemoryPropertyFlags want) const {
    for (uint32_t i = 0; i < memory.memoryTypeCount; ++i) {
      if ((type_bits & (1u << i)) && (memory.memoryTypes[i].propertyFlags & want) == want) {
        return i;
      }
    }
    return std::nullopt;
  }

  static VKAPI_ATTR VkBool32 VKAPI_CALL on_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                   VkDebugUtilsMessageTypeFlagsEXT /*types*/,
                                                   const VkDebugUtilsMessengerCallbackDataEXT* data,
                                                   void* user) {
    auto* self = static_cast<Context*>(user);
    const char* level =
        (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) ? "error" : "warning";
    std::lock_guard lock(self->messages_mutex);
    self->messages.push_back(str(level, ": ", data && data->pMessage ? data->pMessage : "?"));
    return VK_FALSE;
  }
};

namespace {

VkDebugUtilsMessengerCreateInfoEXT messenger_info(VulkanRuntime::Context* ctx) {
  VkDebugUtilsMessengerCreateInfoEXT info{VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
  info.messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                         VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
  info.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                     VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                     VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
  info.pfnUserCallback = &VulkanRuntime::Context::on_message;
  info.pUserData = ctx;
  return info;
}

bool layer_available(const char* name) {
  uint32_t count = 0;
  THUNDER_VK_CHECK(vkEnumerateInstanceLayerProperties(&count, nullptr));
  std::vector<VkLayerProperties> layers(count);
  THUNDER_VK_CHECK(vkEnumerateInstanceLayerProperties(&count, layers.data()));
  return std::any_of(layers.begin(), layers.begin() + count, [name](const VkLayerProperties& l) {
    return std::strcmp(l.layerName, name) == 0;
  });
}

// Default choice: the first discrete GPU, else integrated, virtual, CPU, other.
uint32_t preferred_device(const std::vector<DeviceInfo>& devices) {
  for (const char* type : {"discrete GPU", "integrated GPU", "virtual GPU", "CPU"}) {
    for (const DeviceInfo& d : devices) {
      if (d.type == type) {
        return d.index;
      }
    }
  }
  return 0;
}

uint32_t choose_device(const std::vector<DeviceInfo>& devices, const std::string& wanted,
                       const char* source) {
  if (devices.empty()) {
    throw no_device_error("the Vulkan loader reports no devices");
  }
  if (wanted.empty()) {
    return preferred_device(devices);
  }
  bool digits = std::all_of(wanted.begin(), wanted.end(),
                            [](unsigned char c) { return std::isdigit(c) != 0; });
  if (digits && wanted.size() < 10) {
    unsigned long index = std::stoul(wanted);
    if (index < devices.size()) {
      return static_cast<uint32_t>(index);
    }
  } else {
    std::string needle = lower(wanted);
    for (const DeviceInfo& d : devices) {
      if (lower(d.name).find(needle) != std::string::npos) {
        return d.index;
      }
    }
  }
  throw BackendError(str("spirv: ", source, "='", wanted,
                         "' matches no Vulkan device; the devices "
                         "here are:",
                         device_list(devices), "\nSet ", source,
                         " to an index or a part of a device name."));
}

} // namespace

// --- Buffer -------------------------------------------------------------------------------

struct Buffer::Impl {
  std::shared_ptr<VulkanRuntime::Context> ctx;
  VkBuffer buffer = VK_NULL_HANDLE;
  VkDeviceMemory memory = VK_NULL_HANDLE;
  void* mapped = nullptr;
  std::size_t size = 0;
  std::uint64_t counted = 0; // bytes this buffer adds to the context's memory_in_use
  // A part (VulkanRuntime::part): the buffer that owns `buffer` and `memory`, and where in
  // it this one starts (`mapped` already points there).
  std::shared_ptr<const Impl> whole;
  std::size_t offset = 0;

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    if (!ctx || whole) {
      return;
    }
    if (counted != 0) {
      const std::lock_guard lock(ctx->memory_mutex);
      ctx->memory_in_use -= counted;
    }
    if (mapped) {
      ctx->vk.vkUnmapMemory(ctx->device, memory);
    }
    if (buffer) {
      ctx->vk.vkDestroyBuffer(ctx->device, buffer, nullptr);
    }
    if (memory) {
      ctx->vk.vkFreeMemory(ctx->device, memory, nullptr);
    }
  }
};

Buffer::Buffer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Buffer::Buffer(Buffer&&) noexcept = default;
Buffer& Buffer::operator=(Buffer&&) noexcept = default;
Buffer::~Buffer() = default;
std::size_t Buffer::size() const {
  return impl_ ? impl_->size : 0;
}
bool Buffer::host_visible() const {
  return impl_ && impl_->mapped;
}
const void* Buffer::memory_id() const {
  if (!impl_) return nullptr;
  return impl_->whole ? impl_->whole.get() : impl_.get();
}
std::size_t Buffer::offset() const {
  return impl_ ? impl_->offset : 0;
}

namespace {

// A buffer with its own memory of the given properties; `map` maps it for the host.
std::unique_ptr<Buffer::Impl> make_buffer(const std::shared_ptr<VulkanRuntime::Context>& ctx,
                                          std::size_t bytes, VkBufferUsageFlags usage,
                                          VkMemoryPropertyFlags properties, bool map) {
  auto impl = std::make_unique<Buffer::Impl>();
  impl->ctx = ctx;
  impl->size = bytes;
  // Vulkan has no empty buffers; an empty tensor still gets a binding.
  VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  info.size = std::max<std::size_t>(bytes, 4);
  info.usage = usage;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  THUNDER_VK_CHECK(ctx->vk.vkCreateBuffer(ctx->device, &info, nullptr, &impl->buffer),
                   ctx->where());
  VkMemoryRequirements req{};
  ctx->vk.vkGetBufferMemoryRequirements(ctx->device, impl->buffer, &req);
  std::optional<uint32_t> type = ctx->find_memory_type(req.memoryTypeBits, properties);
  if (!type) {
    throw BackendError(str("spirv: ", ctx->where(), " has no memory type with properties 0x",
                           std::hex, properties, " for a buffer of ", std::dec, bytes, " bytes"));
  }
  VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  alloc.allocationSize = req.size;
  alloc.memoryTypeIndex = *type;
  THUNDER_VK_CHECK(ctx->vk.vkAllocateMemory(ctx->device, &alloc, nullptr, &impl->memory),
                   str(ctx->where(), " (", bytes, " bytes)"));
  THUNDER_VK_CHECK(ctx->vk.vkBindBufferMemory(ctx->device, impl->buffer, impl->memory, 0),
                   ctx->where());
  if (map) {
    THUNDER_VK_CHECK(
        ctx->vk.vkMapMemory(ctx->device, impl->memory, 0, VK_WHOLE_SIZE, 0, &impl->mapped),
        ctx->where());
  }
  return impl;
}

// A one-time command buffer on the transfer pool, submitted and waited for.
template <typename Record>
void run_once(VulkanRuntime::Context& ctx, Record&& record) {
  std::lock_guard lock(ctx.queue_mutex);
  VkCommandBufferAllocateInfo alloc{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  alloc.commandPool = ctx.transfer_pool;
  alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  alloc.commandBufferCount = 1;
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  THUNDER_VK_CHECK(ctx.vk.vkAllocateCommandBuffers(ctx.device, &alloc, &cmd), ctx.where());
  VkFence fence = VK_NULL_HANDLE;
  struct Cleanup {
    VulkanRuntime::Context& ctx;
    VkCommandBuffer& cmd;
    VkFence& fence;
    ~Cleanup() {
      if (fence) {
        ctx.vk.vkDestroyFence(ctx.device, fence, nullptr);
      }
      ctx.vk.vkFreeCommandBuffers(ctx.device, ctx.transfer_pool, 1, &cmd);
    }
  } cleanup{ctx, cmd, fence};
  VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  THUNDER_VK_CHECK(ctx.vk.vkBeginCommandBuffer(cmd, &begin), ctx.where());
  record(cmd);
  THUNDER_VK_CHECK(ctx.vk.vkEndCommandBuffer(cmd), ctx.where());
  VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  THUNDER_VK_CHECK(ctx.vk.vkCreateFence(ctx.device, &fence_info, nullptr, &fence), ctx.where());
  VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &cmd;
  THUNDER_VK_CHECK(ctx.vk.vkQueueSubmit(ctx.queue, 1, &submit, fence), ctx.where());
  THUNDER_VK_CHECK(ctx.vk.vkWaitForFences(ctx.device, 1, &fence, VK_TRUE, kFenceTimeoutNs),
                   ctx.where());
}

void memory_barrier(VulkanRuntime::Context& ctx, VkCommandBuffer cmd,
                    VkPipelineStageFlags src_stage, VkAccessFlags src,
                    VkPipelineStageFlags dst_stage, VkAccessFlags dst) {
  VkMemoryBarrier barrier{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  barrier.srcAccessMask = src;
  barrier.dstAccessMask = dst;
  ctx.vk.vkCmdPipelineBarrier(cmd, src_stage, dst_stage, 0, 1, &barrier, 0, nullptr, 0, nullptr);
}

// A buffer VulkanRuntime::placeholder made: no runtime, no memory.
bool is_placeholder(const Buffer::Impl& b) {
  return !b.ctx;
}

void check_range(const Buffer::Impl& b, std::size_t offset, std::size_t bytes, const char* what) {
  THUNDER_INTERNAL_ASSERT(!is_placeholder(b)) << "spirv: " << what << " with a placeholder buffer";
  if (offset > b.size || bytes > b.size - offset) {
    throw ArgumentError(str("spirv: ", what, " of ", bytes, " bytes at offset ", offset,
                            " does not fit a buffer of ", b.size, " bytes"));
  }
}

} // namespace

// --- Pipeline -----------------------------------------------------------------------------

struct Pipeline::Impl {
  std::shared_ptr<VulkanRuntime::Context> ctx;
  PipelineLayout layout;
  VkDescriptorSetLayout set_layout = VK_NULL_HANDLE;
  VkPipelineLayout pipeline_layout = VK_NULL_HANDLE;
  VkPipeline pipeline = VK_NULL_HANDLE;

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    if (!ctx) {
      return;
    }
    if (pipeline) {
      ctx->vk.vkDestroyPipeline(ctx->device, pipeline, nullptr);
    }
    if (pipeline_layout) {
      ctx->vk.vkDestroyPipelineLayout(ctx->device, pipeline_layout, nullptr);
    }
    if (set_layout) {
      ctx->vk.vkDestroyDescriptorSetLayout(ctx->device, set_layout, nullptr);
    }
  }
};

Pipeline::Pipeline(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Pipeline::Pipeline(Pipeline&&) noexcept = default;
Pipeline& Pipeline::operator=(Pipeline&&) noexcept = default;
Pipeline::~Pipeline() = default;
const PipelineLayout& Pipeline::layout() const {
  return impl_->layout;
}

// --- Batch --------------------------------------------------------------------------------

struct Batch::Impl {
  std::shared_ptr<VulkanRuntime::Context> ctx;
  VkCommandPool pool = VK_NULL_HANDLE;
  VkCommandBuffer cmd = VK_NULL_HANDLE;
  VkFence fence = VK_NULL_HANDLE;
  std::vector<VkDescriptorPool> descriptor_pools;
  uint32_t sets_left = 0;
  // A range of a buffer a dispatch binds, and whether it may write it.
  struct Access {
    VkBuffer buffer;
    VkDeviceSize begin, end;
    bool write;
  };
  // Disjoint byte ranges, begin -> end, joined as they are added: each look-up and
  // addition is logarithmic, so a long batch of dispatches costs n log n, not n^2.
  struct Ranges {
    std::map<VkDeviceSize, VkDeviceSize> spans;
    bool overlaps(VkDeviceSize begin, VkDeviceSize end) const {
      auto it = spans.upper_bound(begin); // the first span that starts after begin
      if (it != spans.end() && it->first < end) return true;
      return it != spans.begin() && std::prev(it)->second > begin;
    }
    void add(VkDeviceSize begin, VkDeviceSize end) {
      auto it = spans.upper_bound(begin);
      if (it != spans.begin() && std::prev(it)->second >= begin) {
        --it;
        begin = it->first;
        end = std::max(end, it->second);
        it = spans.erase(it);
      }
      while (it != spans.end() && it->first <= end) {
        end = std::max(end, it->second);
        it = spans.erase(it);
      }
      spans.emplace(begin, end);
    }
  };
  // What dispatches since the last barrier read and wrote, by buffer.
  struct Pending {
    Ranges read, written;
  };
  std::map<VkBuffer, Pending> pending;
  std::size_t dispatches = 0;
  std::size_t barriers = 0;
  bool submitted = false;

  static constexpr uint32_t kSetsPerPool = 64;
  static constexpr uint32_t kBuffersPerPool = kSetsPerPool * 16;

  Impl() = default;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;
  ~Impl() {
    if (!ctx) {
      return;
    }
    if (fence) {
      ctx->vk.vkDestroyFence(ctx->device, fence, nullptr);
    }
    for (VkDescriptorPool p : descriptor_pools) {
      ctx->vk.vkDestroyDescriptorPool(ctx->device, p, nullptr);
    }
    if (pool) {
      // Frees the command buffer too.
      ctx->vk.vkDestroyCommandPool(ctx->device, pool, nullptr);
    }
  }

  VkDescriptorSet allocate_set(VkDescriptorSetLayout layout, uint32_t buffers) {
    if (sets_left == 0 || buffers > kBuffersPerPool / kSetsPerPool) {
      VkDescriptorPoolSize size{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                std::max(kBuffersPerPool, buffers)};
      VkDescriptorPoolCreateInfo info{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
      info.maxSets = kSetsPerPool;
      info.poolSizeCount = 1;
      info.pPoolSizes = &size;
      VkDescriptorPool p = VK_NULL_HANDLE;
      THUNDER_VK_CHECK(ctx->vk.vkCreateDescriptorPool(ctx->device, &info, nullptr, &p),
                       ctx->where());
      descriptor_pools.push_back(p);
      sets_left = kSetsPerPool;
    }
    VkDescriptorSetAllocateInfo alloc{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
    alloc.descriptorPool = descriptor_pools.back();
    alloc.descriptorSetCount = 1;
    alloc.pSetLayouts = &layout;
    VkDescriptorSet set = VK_NULL_HANDLE;
    THUNDER_VK_CHECK(ctx->vk.vkAllocateDescriptorSets(ctx->device, &alloc, &set), ctx->where());
    --sets_left;
    // A pool sized for one large set is not reused for the next.
    if (buffers > kBuffersPerPool / kSetsPerPool) {
      sets_left = 0;
    }
    return set;
  }
};

Batch::Batch(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Batch::Batch(Batch&&) noexcept = default;
Batch& Batch::operator=(Batch&&) noexcept = default;
Batch::~Batch() = default;
std::size_t Batch::dispatch_count() const {
  return impl_->dispatches;
}
std::size_t Batch::barrier_count() const {
  return impl_->barriers;
}

void Batch::dispatch(const Pipeline& pipeline, std::span<const Buffer* const> buffers,
                     std::span<const std::byte> push_constants, uint32_t groups_x,
                     uint32_t groups_y, uint32_t groups_z, std::size_t read_only) {
  Impl& b = *impl_;
  const Pipeline::Impl& p = *pipeline.impl_;
  auto& vk = b.ctx->vk;
  if (b.submitted) {
    throw ArgumentError(str("spirv: dispatch of '", p.layout.name,
                            "' on a batch already submitted; make a new batch"));
  }
  if (p.ctx != b.ctx) {
    throw ArgumentError(str("spirv: pipeline '", p.layout.name,
                            "' belongs to another VulkanRuntime than this batch"));
  }
  if (buffers.size() != p.layout.buffers) {
    throw ArgumentError(str("spirv: kernel '", p.layout.name, "' binds ", p.layout.buffers,
                            " buffers; the dispatch gave ", buffers.size()));
  }
  if (push_constants.size() != p.layout.push_constant_bytes) {
    throw ArgumentError(str("spirv: kernel '", p.layout.name, "' takes ",
                            p.layout.push_constant_bytes,
                            " bytes of push constants; the dispatch gave ", push_constants.size()));
  }
  const uint32_t* max = b.ctx->props.limits.maxComputeWorkGroupCount;
  if (groups_x > max[0] || groups_y > max[1] || groups_z > max[2]) {
    throw UnsupportedError(str("spirv: kernel '", p.layout.name, "' dispatch of [", groups_x, ", ",
                               groups_y, ", ", groups_z, "] workgroups exceeds the limit [", max[0],
                               ", ", max[1], ", ", max[2], "] of ", b.ctx->where(),
                               "; the kernel must loop over the excess"));
  }
  for (const Buffer* buf : buffers) {
    THUNDER_INTERNAL_ASSERT(!buf || !buf->impl_ || !is_placeholder(*buf->impl_))
        << "spirv: kernel '" << p.layout.name << "' binds a placeholder buffer";
    if (!buf || !buf->impl_ || buf->impl_->ctx != b.ctx) {
      throw ArgumentError(str("spirv: kernel '", p.layout.name,
                              "': a bound buffer is empty, moved-from or from another runtime"));
    }
  }

  // A dispatch that writes a range an earlier one of the batch read or wrote, or reads one
  // it wrote, waits for it: one barrier orders everything before it (execution) and makes
  // its writes visible (memory), so what was pending is then settled. Parts of one buffer
  // that do not overlap (an arena's) and ranges both only read need none.
  std::vector<Impl::Access> accesses;
  for (std::size_t i = 0; i < buffers.size(); ++i) {
    const Buffer::Impl& bound = *buffers[i]->impl_;
    const VkDeviceSize size = std::max<VkDeviceSize>(bound.size, 4);
    accesses.push_back({bound.buffer, bound.offset, bound.offset + size, i >= read_only});
  }
  const bool hazard = std::any_of(accesses.begin(), accesses.end(), [&](const Impl::Access& a) {
    const auto it = b.pending.find(a.buffer);
    return it != b.pending.end() && (it->second.written.overlaps(a.begin, a.end) ||
                                     (a.write && it->second.read.overlaps(a.begin, a.end)));
  });
  if (hazard) {
    memory_barrier(*b.ctx, b.cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                   VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT,
                   VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                   VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT);
    b.pending.clear();
    ++b.barriers;
  }

  VkDescriptorSet set = b.allocate_set(p.set_layout, p.layout.buffers);
  std::vector<VkDescriptorBufferInfo> infos(buffers.size());
  std::vector<VkWriteDescriptorSet> writes(buffers.size());
  for (std::size_t i = 0; i < buffers.size(); ++i) {
    const Buffer::Impl& bound = *buffers[i]->impl_;
    infos[i] = {bound.buffer, bound.offset,
                bound.whole ? std::max<VkDeviceSize>(bound.size, 4) : VK_WHOLE_SIZE};
    writes[i] = {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
    writes[i].dstSet = set;
    writes[i].dstBinding = static_cast<uint32_t>(i);
    writes[i].descriptorCount = 1;
    writes[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    writes[i].pBufferInfo = &infos[i];
  }
  if (!writes.empty()) {
    vk.vkUpdateDescriptorSets(b.ctx->device, static_cast<uint32_t>(writes.size()), writes.data(), 0,
                              nullptr);
  }
  vk.vkCmdBindPipeline(b.cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p.pipeline);
  vk.vkCmdBindDescriptorSets(b.cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p.pipeline_layout, 0, 1, &set,
                             0, nullptr);
  if (!push_constants.empty()) {
    vk.vkCmdPushConstants(b.cmd, p.pipeline_layout, VK_SHADER_STAGE_COMPUTE_BIT, 0,
                          static_cast<uint32_t>(push_constants.size()), push_constants.data());
  }
  vk.vkCmdDispatch(b.cmd, groups_x, groups_y, groups_z);
  for (const Impl::Access& a : accesses) {
    Impl::Pending& pending = b.pending[a.buffer];
    (a.write ? pending.written : pending.read).add(a.begin, a.end);
  }
  ++b.dispatches;
}

void Batch::submit() {
  Impl& b = *impl_;
  if (b.submitted) {
    throw ArgumentError("spirv: a batch is submitted once; make a new batch");
  }
  b.submitted = true;
  auto& vk = b.ctx->vk;
  // Results go to the host (mapped memory) or to a later transfer/dispatch.
  memory_barrier(*b.ctx, b.cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_ACCESS_SHADER_WRITE_BIT,
                 VK_PIPELINE_STAGE_HOST_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT |
                     VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                 VK_ACCESS_HOST_READ_BIT | VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_SHADER_READ_BIT |
                     VK_ACCESS_SHADER_WRITE_BIT);
  THUNDER_VK_CHECK(vk.vkEndCommandBuffer(b.cmd), b.ctx->where());
  VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &b.cmd;
  std::lock_guard lock(b.ctx->queue_mutex);
  THUNDER_VK_CHECK(vk.vkQueueSubmit(b.ctx->queue, 1, &submit, b.fence), b.ctx->where());
  THUNDER_VK_CHECK(vk.vkWaitForFences(b.ctx->device, 1, &b.fence, VK_TRUE, kFenceTimeoutNs),
                   b.ctx->where());
}

// --- VulkanRuntime ------------------------------------------------------------------------

std::string DeviceFeatures::to_string() const {
  std::string out;
  const auto add = [&](bool on, const char* name) {
    if (on) out += out.empty() ? name : str(" ", name);
  };
  add(storage_buffer_16bit, "storageBuffer16BitAccess");
  add(storage_buffer_8bit, "storageBuffer8BitAccess");
  add(shader_float16, "shaderFloat16");
  add(shader_int8, "shaderInt8");
  add(shader_int16, "shaderInt16");
  add(shader_int64, "shaderInt64");
  add(shader_float64, "shaderFloat64");
  add(preserve_inf_nan_float32, "shaderSignedZeroInfNanPreserveFloat32");
  add(preserve_inf_nan_float64, "shaderSignedZeroInfNanPreserveFloat64");
  add(cooperative_matrix, "VK_NV_cooperative_matrix(16x8x16 f16->f32)");
  return out.empty() ? std::string("none") : out;
}

std::vector<DeviceInfo> VulkanRuntime::list_devices() {
  load_vulkan();
  std::lock_guard lock(volk_mutex());
  VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.pApplicationName = "thunder-cpp";
  app.apiVersion = instance_api_version();
  VkInstanceCreateInfo info{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
  info.pApplicationInfo = &app;
  InstanceHandle handle;
  create_instance(info, &handle.instance);
  volkLoadInstanceOnly(handle.instance);
  std::vector<DeviceInfo> out;
  std::vector<VkPhysicalDevice> pds = physical_devices(handle.instance);
  for (uint32_t i = 0; i < pds.size(); ++i) {
    out.push_back(describe(pds[i], i, app.apiVersion));
  }
  return out;
}

namespace {

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items)
    out += out.empty() ? item : str(", ", item);
  return out;
}

// What shaders/matmul_coop.comp needs of a device, for messages.
constexpr const char* kCooperativeMatrixNeeds =
    "VK_NV_cooperative_matrix with a subgroup-scope 16x8x16 f16*f16+f32 shape, subgroups of "
    "32, shaderFloat16, shaderInt16, storageBuffer16BitAccess and vulkanMemoryModel";

// RuntimeOptions::cooperative_matrix (or THUNDER_VK_COOPERATIVE_MATRIX) for the device
// `where`, with the features it will enable (none with minimal features) and the
// cooperative-matrix shapes it lists; `why` gets what decided it, in words.
CooperativeMatrix cooperative_matrix_option(int option, const DeviceFeatures& features,
                                            const std::vector<std::string>& shapes,
                                            const std::string& where, std::string& why) {
  constexpr const char* kVariable = "THUNDER_VK_COOPERATIVE_MATRIX";
  THUNDER_INTERNAL_ASSERT(option >= -1 && option <= RuntimeOptions::kEmulated)
      << "RuntimeOptions::cooperative_matrix is -1, 0, 1 or kEmulated, not " << option;
  std::string value;
  if (option == RuntimeOptions::kEmulated) {
    value = "emulated";
  } else if (option >= 0) {
    value = option != 0 ? "1" : "0";
  } else {
    value = env_or_empty(kVariable);
  }
  const bool from_option = option >= 0;
  const std::string source = from_option ? str("RuntimeOptions::cooperative_matrix = ", option)
                                         : str(kVariable, "=", value);
  const std::string lacks =
      str(where, " lacks what it needs: ", kCooperativeMatrixNeeds, " (features: ",
          features.to_string(), "; cooperative-matrix shapes: ",
          shapes.empty() ? std::string("none") : joined(shapes), ")");
  if (value.empty()) {
    why = features.cooperative_matrix ? str("on: ", where, " has ", kCooperativeMatrixNeeds)
                                      : str("off: ", lacks);
    return features.cooperative_matrix ? CooperativeMatrix::On : CooperativeMatrix::Off;
  }
  if (value == "0") {
    why = str("off: ", source);
    return CooperativeMatrix::Off;
  }
  if (value == "1") {
    if (!features.cooperative_matrix) {
      throw BackendError(str("spirv: ", source, " asks for the cooperative-matrix matmul, but ",
                             lacks, ". ",
                             from_option ? "Leave the option at -1" : str("Leave ", kVariable,
                                                                          " unset"),
                             " to use it only where the device has it."));
    }
    why = str("on: ", source);
    return CooperativeMatrix::On;
  }
  if (value == "emulated") {
    if (!features.storage_buffer_16bit || !features.shader_float16 || !features.shader_int16) {
      throw BackendError(str("spirv: ", source, " asks for the emulated cooperative-matrix "
                             "matmul, which needs storageBuffer16BitAccess, shaderFloat16 and "
                             "shaderInt16; ",
                             where, " has enabled: ", features.to_string()));
    }
    why = str("emulated: ", source);
    return CooperativeMatrix::Emulated;
  }
  throw ArgumentError(str(kVariable, " must be 0, 1 or emulated, got '", value, "'"));
}

} // namespace

VulkanRuntime::VulkanRuntime(const RuntimeOptions& options) : ctx_(std::make_shared<Context>()) {
  load_vulkan();
  Context& ctx = *ctx_;
  ctx.force_staging = options.force_staging;
  ctx.memory_limit = options.memory_limit != 0 ? options.memory_limit : memory_limit_from_env();
  ctx.validation = options.validation >= 0 ? options.validation != 0
                                           : env_or_empty("THUNDER_VK_VALIDATION") == "1";
  // volk's instance-level functions are process-wide: they stay this instance's until the
  // device is made (device-level calls go through ctx.vk).
  std::unique_lock volk_lock(volk_mutex());
  {
    VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
    app.pApplicationName = "thunder-cpp";
    app.apiVersion = instance_api_version();
    ctx.instance_version = app.apiVersion;
    VkInstanceCreateInfo info{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
    info.pApplicationInfo = &app;
    std::vector<const char*> layers;
    std::vector<const char*> extensions;
    VkDebugUtilsMessengerCreateInfoEXT debug = messenger_info(&ctx);
    if (ctx.validation) {
      if (!layer_available(kValidationLayer)) {
        throw BackendError(str("spirv: THUNDER_VK_VALIDATION=1 but the layer ", kValidationLayer,
                               " is not installed (vulkan-validationlayers); install it or unset "
                               "THUNDER_VK_VALIDATION"));
      }
      layers.push_back(kValidationLayer);
      extensions.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
      // Chained here, the messenger also sees instance creation and destruction.
      info.pNext = &debug;
    }
    info.enabledLayerCount = static_cast<uint32_t>(layers.size());
    info.ppEnabledLayerNames = layers.data();
    info.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
    info.ppEnabledExtensionNames = extensions.data();
    create_instance(info, &ctx.instance);
    volkLoadInstanceOnly(ctx.instance);
    ctx.destroy_instance = vkDestroyInstance;
    ctx.destroy_messenger = vkDestroyDebugUtilsMessengerEXT;
    if (ctx.validation) {
      THUNDER_VK_CHECK(
          vkCreateDebugUtilsMessengerEXT(ctx.instance, &debug, nullptr, &ctx.messenger));
    }
  }

  std::vector<VkPhysicalDevice> pds = physical_devices(ctx.instance);
  for (uint32_t i = 0; i < pds.size(); ++i) {
    ctx.devices.push_back(describe(pds[i], i, ctx.instance_version));
  }
  const char* source = options.device.empty() ? "THUNDER_VK_DEVICE" : "RuntimeOptions::device";
  std::string wanted = options.device.empty() ? env_or_empty("THUNDER_VK_DEVICE") : options.device;
  uint32_t index = choose_device(ctx.devices, wanted, source);
  ctx.physical = pds[index];
  ctx.info = ctx.devices[index];
  vkGetPhysicalDeviceProperties(ctx.physical, &ctx.props);
  vkGetPhysicalDeviceMemoryProperties(ctx.physical, &ctx.memory);
  if (ctx.props.apiVersion < VK_API_VERSION_1_1) {
    throw BackendError(str("spirv: ", ctx.where(), " supports Vulkan ", ctx.info.api_version,
                           "; the spirv backend needs 1.1 or newer. Devices here:",
                           device_list(ctx.devices), "\nChoose another with THUNDER_VK_DEVICE."));
  }

  uint32_t family_count = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(ctx.physical, &family_count, nullptr);
  std::vector<VkQueueFamilyProperties> families(family_count);
  vkGetPhysicalDeviceQueueFamilyProperties(ctx.physical, &family_count, families.data());
  std::optional<uint32_t> family;
  for (uint32_t i = 0; i < family_count; ++i) {
    if (families[i].queueFlags & VK_QUEUE_COMPUTE_BIT) {
      family = i;
      break;
    }
  }
  if (!family) {
    throw BackendError(str("spirv: ", ctx.where(),
                           " has no compute queue; choose another "
                           "device with THUNDER_VK_DEVICE. Devices here:",
                           device_list(ctx.devices)));
  }
  ctx.queue_family = *family;

  float priority = 1.0f;
  VkDeviceQueueCreateInfo queue_info{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
  queue_info.queueFamilyIndex = ctx.queue_family;
  queue_info.queueCount = 1;
  queue_info.pQueuePriorities = &priority;
  // Every optional feature the device offers, unless asked for a minimal device (how the
  // f32/i32-only path is tested on devices that have them all).
  const bool minimal = options.minimal_features >= 0
                           ? options.minimal_features != 0
                           : env_or_empty("THUNDER_VK_MINIMAL_FEATURES") == "1";
  const uint32_t feature_version =
      usable_api_version(ctx.instance_version, ctx.props.apiVersion);
  if (!minimal) ctx.features = ctx.info.features;
  ctx.cooperative = switch_option(options.cooperative, "THUNDER_VK_COOPERATIVE")
                        .value_or(ctx.info.type != "CPU");
  ctx.cooperative_matrix =
      cooperative_matrix_option(options.cooperative_matrix, ctx.features,
                                ctx.info.cooperative_matrix_shapes, ctx.where(),
                                ctx.cooperative_matrix_why);
  // The extension and its features are enabled only where the kernel will use them.
  ctx.features.cooperative_matrix = ctx.cooperative_matrix == CooperativeMatrix::On;
  const std::optional<bool> resident =
      switch_option(options.resident_weights, "THUNDER_VK_RESIDENT_WEIGHTS");
  // Set from `unified` once the memory types are known (below).
  ctx.resident_weights = resident.value_or(true);
  const bool resident_by_default = !resident.has_value();
  FeatureChain enabled(feature_version, ctx.features.cooperative_matrix);
  enabled.set(ctx.features, feature_version);
  std::vector<const char*> device_extensions;
  if (ctx.features.cooperative_matrix) {
    device_extensions.push_back(VK_NV_COOPERATIVE_MATRIX_EXTENSION_NAME);
  }
  VkDeviceCreateInfo device_info{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
  device_info.pNext = &enabled.features2; // pEnabledFeatures stays null, as Vulkan requires
  device_info.queueCreateInfoCount = 1;
  device_info.pQueueCreateInfos = &queue_info;
  device_info.enabledExtensionCount = static_cast<uint32_t>(device_extensions.size());
  device_info.ppEnabledExtensionNames = device_extensions.data();
  THUNDER_VK_CHECK(vkCreateDevice(ctx.physical, &device_info, nullptr, &ctx.device), ctx.where());
  volkLoadDeviceTable(&ctx.vk, ctx.device);
  volk_lock.unlock();
  ctx.vk.vkGetDeviceQueue(ctx.device, ctx.queue_family, 0, &ctx.queue);

  VkCommandPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  pool_info.flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT;
  pool_info.queueFamilyIndex = ctx.queue_family;
  THUNDER_VK_CHECK(ctx.vk.vkCreateCommandPool(ctx.device, &pool_info, nullptr, &ctx.transfer_pool),
                   ctx.where());
  ctx.open_pipeline_cache();

  // Unified memory: every device-local type is also host-visible and coherent, so buffers
  // are mapped and copied into directly (lavapipe, most integrated GPUs).
  bool any_device_local = false;
  bool all_mappable = true;
  for (uint32_t i = 0; i < ctx.memory.memoryTypeCount; ++i) {
    VkMemoryPropertyFlags f = ctx.memory.memoryTypes[i].propertyFlags;
    if (f & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT) {
      any_device_local = true;
      constexpr VkMemoryPropertyFlags mappable =
          VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
      all_mappable = all_mappable && (f & mappable) == mappable;
    }
  }
  ctx.unified = any_device_local && all_mappable;
  if (resident_by_default) ctx.resident_weights = !ctx.unified;
}

VulkanRuntime::~VulkanRuntime() = default;

const std::string& VulkanRuntime::pipeline_cache_path() const {
  return ctx_->pipeline_cache_path;
}

void VulkanRuntime::save_pipeline_cache() {
  ctx_->save_pipeline_cache();
}

bool VulkanRuntime::pipeline_cache_loaded() const {
  return ctx_->pipeline_cache_loaded;
}

const DeviceInfo& VulkanRuntime::device() const {
  return ctx_->info;
}
const std::vector<DeviceInfo>& VulkanRuntime::devices() const {
  return ctx_->devices;
}
const DeviceFeatures& VulkanRuntime::features() const {
  return ctx_->features;
}
bool VulkanRuntime::validation_enabled() const {
  return ctx_->validation;
}
bool VulkanRuntime::unified_memory() const {
  return ctx_->unified;
}
bool VulkanRuntime::cooperative_kernels() const {
  return ctx_->cooperative;
}

CooperativeMatrix VulkanRuntime::cooperative_matrix() const {
  return ctx_->cooperative_matrix;
}

const std::string& VulkanRuntime::cooperative_matrix_reason() const {
  return ctx_->cooperative_matrix_why;
}
bool VulkanRuntime::resident_weights() const {
  return ctx_->resident_weights;
}
uint64_t VulkanRuntime::max_storage_buffer_range() const {
  return ctx_->props.limits.maxStorageBufferRange;
}

std::vector<std::string> VulkanRuntime::validation_messages() const {
  std::lock_guard lock(ctx_->messages_mutex);
  return ctx_->messages;
}

void VulkanRuntime::clear_validation_messages() {
  std::lock_guard lock(ctx_->messages_mutex);
  ctx_->messages.clear();
}

Buffer VulkanRuntime::create_buffer(std::size_t bytes) {
  uint64_t limit = max_storage_buffer_range();
  if (bytes > limit) {
    throw BackendError(str(
        "spirv: a storage buffer of ", bytes, " bytes exceeds maxStorageBufferRange (", limit,
        " bytes) of ", ctx_->where(), "; split the tensor or choose a device with a larger limit"));
  }
  constexpr VkBufferUsageFlags usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
                                       VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                                       VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  Context& ctx = *ctx_;
  const std::uint64_t counted = std::max<std::size_t>(bytes, 4);
  {
    // Reserved before the driver allocates, so two threads cannot both pass the limit.
    const std::lock_guard lock(ctx.memory_mutex);
    if (ctx.memory_limit != 0 && ctx.memory_in_use + counted > ctx.memory_limit) {
      throw BackendError(str("spirv: out of device memory: a storage buffer of ", bytes,
                             " bytes would bring what ", ctx.where(), " holds to ",
                             ctx.memory_in_use + counted, " bytes, past the limit of ",
                             ctx.memory_limit,
                             " (THUNDER_VK_MEMORY_LIMIT / RuntimeOptions::memory_limit); free "
                             "memory, use smaller inputs or raise the limit"));
    }
    ctx.memory_in_use += counted;
    ctx.memory_peak = std::max(ctx.memory_peak, ctx.memory_in_use);
  }
  std::unique_ptr<Buffer::Impl> impl;
  try {
    if (ctx.unified && !ctx.force_staging) {
      impl = make_buffer(ctx_, bytes, usage,
                         VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT | VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                             VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                         /*map=*/true);
    } else {
      impl = make_buffer(ctx_, bytes, usage, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT, /*map=*/false);
    }
  } catch (...) {
    const std::lock_guard lock(ctx.memory_mutex);
    ctx.memory_in_use -= counted;
    throw;
  }
  impl->counted = counted;
  return Buffer(std::move(impl));
}

Buffer VulkanRuntime::placeholder(std::size_t bytes) {
  auto impl = std::make_unique<Buffer::Impl>();
  impl->size = bytes; // no ctx: nothing to free, and no memory counted
  return Buffer(std::move(impl));
}

Buffer VulkanRuntime::part(const Buffer& of, std::size_t offset, std::size_t bytes) {
  THUNDER_INTERNAL_ASSERT(!of.impl_ || !is_placeholder(*of.impl_)) << "spirv: part of a placeholder buffer";
  THUNDER_INTERNAL_ASSERT(of.impl_ && of.impl_->ctx == ctx_) << "spirv: part of an empty buffer";
  const std::shared_ptr<const Buffer::Impl> whole =
      of.impl_->whole ? of.impl_->whole : std::shared_ptr<const Buffer::Impl>(of.impl_);
  const std::size_t capacity = std::max<std::size_t>(whole->size, 4);
  THUNDER_INTERNAL_ASSERT(offset <= capacity && std::max<std::size_t>(bytes, 4) <= capacity - offset &&
                          offset % storage_offset_alignment() == 0)
      << "spirv: a part of " << bytes << " bytes at offset " << offset << " of a buffer of "
      << whole->size << " bytes (offsets are multiples of " << storage_offset_alignment() << ")";
  auto impl = std::make_unique<Buffer::Impl>();
  impl->ctx = ctx_;
  impl->buffer = whole->buffer;
  impl->mapped = whole->mapped ? static_cast<std::byte*>(whole->mapped) + offset : nullptr;
  impl->size = bytes;
  impl->whole = whole;
  impl->offset = offset;
  return Buffer(std::move(impl));
}

std::size_t VulkanRuntime::storage_offset_alignment() const {
  return std::max<std::size_t>(ctx_->props.limits.minStorageBufferOffsetAlignment, 4);
}

VulkanRuntime::MemoryStats VulkanRuntime::memory_stats() const {
  const std::lock_guard lock(ctx_->memory_mutex);
  return {ctx_->memory_in_use, ctx_->memory_peak, ctx_->memory_limit};
}

void VulkanRuntime::reset_peak_memory() {
  const std::lock_guard lock(ctx_->memory_mutex);
  ctx_->memory_peak = ctx_->memory_in_use;
}

void VulkanRuntime::upload(Buffer& buffer, std::span<const std::byte> data, std::size_t offset) {
  Buffer::Impl& dst = *buffer.impl_;
  check_range(dst, offset, data.size(), "upload");
  if (data.empty()) {
    return;
  }
  if (dst.mapped) {
    // Coherent memory; the next queue submission makes host writes visible to the device.
    std::memcpy(static_cast<std::byte*>(dst.mapped) + offset, data.data(), data.size());
    return;
  }
  auto staging =
      make_buffer(ctx_, data.size(), VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
                  VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                  /*map=*/true);
  std::memcpy(staging->mapped, data.data(), data.size());
  run_once(*ctx_, [&](VkCommandBuffer cmd) {
    VkBufferCopy region{0, dst.offset + offset, data.size()};
    ctx_->vk.vkCmdCopyBuffer(cmd, staging->buffer, dst.buffer, 1, &region);
    memory_barrier(*ctx_, cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT,
                   VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                   VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
                       VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT);
  });
}

void VulkanRuntime::download(const Buffer& buffer, std::span<std::byte> out, std::size_t offset) {
  const Buffer::Impl& src = *buffer.impl_;
  check_range(src, offset, out.size(), "download");
  if (out.empty()) {
    return;
  }
  if (src.mapped) {
    // Batch::submit ended with a barrier to host reads and waited on its fence.
    std::memcpy(out.data(), static_cast<const std::byte*>(src.mapped) + offset, out.size());
    return;
  }
  auto staging =
      make_buffer(ctx_, out.size(), VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                  VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT,
                  /*map=*/true);
  run_once(*ctx_, [&](VkCommandBuffer cmd) {
    VkBufferCopy region{src.offset + offset, 0, out.size()};
    ctx_->vk.vkCmdCopyBuffer(cmd, src.buffer, staging->buffer, 1, &region);
    memory_barrier(*ctx_, cmd, VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT,
                   VK_PIPELINE_STAGE_HOST_BIT, VK_ACCESS_HOST_READ_BIT);
  });
  std::memcpy(out.data(), staging->mapped, out.size());
}

Pipeline VulkanRuntime::create_pipeline(std::span<const uint32_t> spirv,
                                        const PipelineLayout& layout) {
  Context& ctx = *ctx_;
  if (layout.push_constant_bytes % 4 != 0 ||
      layout.push_constant_bytes > ctx.props.limits.maxPushConstantsSize) {
    throw UnsupportedError(
        str("spirv: kernel '", layout.name, "' has ", layout.push_constant_bytes,
            " bytes of push constants; they must be a multiple of 4 and at most ",
            ctx.props.limits.maxPushConstantsSize, " on ", ctx.where()));
  }
  if (layout.buffers > ctx.props.limits.maxPerStageDescriptorStorageBuffers) {
    throw UnsupportedError(str("spirv: kernel '", layout.name, "' binds ", layout.buffers,
                               " storage buffers; ", ctx.where(), " allows ",
                               ctx.props.limits.maxPerStageDescriptorStorageBuffers,
                               " per stage; split the kernel"));
  }
  if (spirv.empty()) {
    throw ArgumentError(str("spirv: kernel '", layout.name, "' has no SPIR-V words"));
  }
  auto impl = std::make_unique<Pipeline::Impl>();
  impl->ctx = ctx_;
  impl->layout = layout;

  std::vector<VkDescriptorSetLayoutBinding> bindings(layout.buffers);
  for (uint32_t i = 0; i < layout.buffers; ++i) {
    bindings[i] = {i, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1, VK_SHADER_STAGE_COMPUTE_BIT, nullptr};
  }
  VkDescriptorSetLayoutCreateInfo set_info{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
  set_info.bindingCount = layout.buffers;
  set_info.pBindings = bindings.data();
  THUNDER_VK_CHECK(
      ctx.vk.vkCreateDescriptorSetLayout(ctx.device, &set_info, nullptr, &impl->set_layout),
      ctx.where());

  VkPushConstantRange range{VK_SHADER_STAGE_COMPUTE_BIT, 0, layout.push_constant_bytes};
  VkPipelineLayoutCreateInfo layout_info{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
  layout_info.setLayoutCount = 1;
  layout_info.pSetLayouts = &impl->set_layout;
  layout_info.pushConstantRangeCount = layout.push_constant_bytes > 0 ? 1 : 0;
  layout_info.pPushConstantRanges = &range;
  THUNDER_VK_CHECK(
      ctx.vk.vkCreatePipelineLayout(ctx.device, &layout_info, nullptr, &impl->pipeline_layout),
      ctx.where());

  VkShaderModuleCreateInfo module_info{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
  module_info.codeSize = spirv.size() * sizeof(uint32_t);
  module_info.pCode = spirv.data();
  VkShaderModule module = VK_NULL_HANDLE;
  THUNDER_VK_CHECK(ctx.vk.vkCreateShaderModule(ctx.device, &module_info, nullptr, &module),
                   str(ctx.where(), " (kernel '", layout.name, "')"));
  VkComputePipelineCreateInfo pipeline_info{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
  pipeline_info.stage = {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO};
  pipeline_info.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
  pipeline_info.stage.module = module;
  pipeline_info.stage.pName = "main";
  pipeline_info.layout = impl->pipeline_layout;
  // vkCreateComputePipelines may use one VkPipelineCache from several threads at once.
  VkResult r = ctx.vk.vkCreateComputePipelines(ctx.device, ctx.pipeline_cache, 1, &pipeline_info,
                                               nullptr, &impl->pipeline);
  if (r == VK_SUCCESS) {
    const std::lock_guard lock(ctx.pipeline_cache_mutex);
    ctx.pipeline_cache_grew = true;
  }
  // The module is only needed while the pipeline is created.
  ctx.vk.vkDestroyShaderModule(ctx.device, module, nullptr);
  check(r, "vkCreateComputePipelines", str(ctx.where(), " (kernel '", layout.name, "')"));
  return Pipeline(std::move(impl));
}

Batch VulkanRuntime::batch() {
  Context& ctx = *ctx_;
  auto impl = std::make_unique<Batch::Impl>();
  impl->ctx = ctx_;
  VkCommandPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  pool_info.flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT;
  pool_info.queueFamilyIndex = ctx.queue_family;
  THUNDER_VK_CHECK(ctx.vk.vkCreateCommandPool(ctx.device, &pool_info, nullptr, &impl->pool),
                   ctx.where());
  VkCommandBufferAllocateInfo alloc{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  alloc.commandPool = impl->pool;
  alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  alloc.commandBufferCount = 1;
  THUNDER_VK_CHECK(ctx.vk.vkAllocateCommandBuffers(ctx.device, &alloc, &impl->cmd), ctx.where());
  VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  THUNDER_VK_CHECK(ctx.vk.vkCreateFence(ctx.device, &fence_info, nullptr, &impl->fence),
                   ctx.where());
  VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  THUNDER_VK_CHECK(ctx.vk.vkBeginCommandBuffer(impl->cmd, &begin), ctx.where());
  return Batch(std::move(impl));
}

} // namespace thunder::spirv
