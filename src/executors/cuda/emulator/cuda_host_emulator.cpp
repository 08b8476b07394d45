// thunder's CUDA host emulator: a stand-in for libcuda.so.1 that runs the cuda executor's
// generated kernels on the CPU, so that a machine with no GPU (CI) executes the whole cuda
// path: the runner, its uploads and downloads, the caching allocator, the status words,
// cooperative blocks and their barriers, and every generated kernel, against the float64
// reference. Selected by THUNDER_CUDA_DRIVER_LIBRARY=<this library>. It is not a GPU: it
// checks what the emitter prints and what the runner does, not CUDA's math library, its
// memory model or its speed, and it names itself so in every device description.
//
// A kernel reaches it as CUDA C++ source (CudaRuntime calls thunderEmulatorModuleLoadSource
// instead of cuModuleLoadData when the driver library exports it; NVRTC has compiled the
// same source for the device's architecture before that). The host C++ compiler builds it
// into a shared object, with a prelude that defines the CUDA built-ins generated kernels
// use, and a launcher per kernel that unpacks cuLaunchKernel's parameter array by the
// kernel's own parameter types. Blocks run one after another; a block's threads are
// sequential calls when the kernel has no barrier, and real threads meeting at a
// std::barrier when it has (a thread that returns leaves the barrier, as on the GPU).
// Launches are synchronous, so a stream is only a name until it captures (CUDA graphs):
// then launches, device-to-device copies, fills and cuBLASLt calls are recorded with their
// parameters' values, and a graph replays them in order, checking every pointer again at
// each replay. As on a GPU, a copy to or from host memory or a synchronize on a capturing
// stream is an error (CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED).
//
// Memory is host memory; every copy and every pointer a kernel is given must lie in a
// live allocation of the driver's (CUDA_ERROR_INVALID_VALUE otherwise): a pointer that was
// never allocated, or that the runtime's caching allocator really freed, fails here as it
// would on the GPU (a kernel's accesses past the start of a buffer are not checked).
// Integer division by zero kills the process here (SIGFPE) where a GPU returns a value. THUNDER_CUDA_EMULATOR_MEMORY sets
// the device's size in bytes (default 4 GiB; read at each allocation), which makes
// out-of-memory testable. The library also stands in for cuBLASLt (the matmul calls the
// cuda executor makes), so CublasMatmul runs here too.
// THUNDER_CUDA_EMULATOR_ARCH ("8.0", default "9.0") is the compute capability it reports;
// THUNDER_CUDA_EMULATOR_CXX the compiler command (default: the one that built thunder).
#include <algorithm>
#include <array>
#include <barrier>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <dlfcn.h>
#include <unistd.h>

namespace {

using CUresult = int;
using CUdeviceptr = unsigned long long;

constexpr std::size_t kDefaultCapacity = std::size_t{4} << 30;
constexpr CUresult kSuccess = 0;
constexpr CUresult kInvalidValue = 1;
constexpr CUresult kOutOfMemory = 2;
constexpr CUresult kNotInitialized = 3;
constexpr CUresult kInvalidImage = 200;
constexpr CUresult kInvalidContext = 201;
constexpr CUresult kInvalidSource = 300;
constexpr CUresult kNotFound = 500;
constexpr CUresult kLaunchOutOfResources = 701;
constexpr CUresult kNotSupported = 801;
constexpr CUresult kCaptureUnsupported = 900;
constexpr CUresult kCaptureInvalidated = 901;

// The CUDA built-ins generated kernels use, for the host. __shared__ arrays become static
// locals: one block runs at a time, and all of its threads see the same array.
constexpr const char* kPrelude = R"(// thunder CUDA host emulator prelude
#include <string.h>
#include <tuple>
#include <type_traits>
#include <utility>
// libm's functions, declared rather than included (<math.h> would double the build time of
// every kernel): the float form and the double form of each that kernels call.
#define THUNDER_MATH1(name) extern "C" float name##f(float); extern "C" double name(double);
#define THUNDER_MATH2(name) \
  extern "C" float name##f(float, float); extern "C" double name(double, double);
THUNDER_MATH1(fabs) THUNDER_MATH1(floor) THUNDER_MATH1(ceil) THUNDER_MATH1(trunc)
THUNDER_MATH1(rint) THUNDER_MATH1(nearbyint) THUNDER_MATH1(exp) THUNDER_MATH1(exp2)
THUNDER_MATH1(log) THUNDER_MATH1(log2) THUNDER_MATH1(sin) THUNDER_MATH1(cos) THUNDER_MATH1(tan)
THUNDER_MATH1(log1p) THUNDER_MATH1(expm1) THUNDER_MATH1(tanh) THUNDER_MATH1(erf)
THUNDER_MATH1(sqrt) THUNDER_MATH2(pow) THUNDER_MATH2(fmax) THUNDER_MATH2(fmin)
THUNDER_MATH2(fmod) THUNDER_MATH2(atan2)
#undef THUNDER_MATH1
#undef THUNDER_MATH2
static inline bool isnan(float x) { return __builtin_isnan(x); }
static inline bool isnan(double x) { return __builtin_isnan(x); }
static inline bool isinf(float x) { return __builtin_isinf(x); }
static inline bool isinf(double x) { return __builtin_isinf(x); }
static inline bool isfinite(float x) { return __builtin_isfinite(x); }
static inline bool isfinite(double x) { return __builtin_isfinite(x); }
#define __global__
#define __device__
#define __forceinline__ inline
#define __launch_bounds__(n)
#define __shared__ static
struct dim3 { unsigned int x, y, z; };
// The calling lane's indices and its block's barrier are the emulator's (thread-local there):
// a kernel module has no thread-local storage of its own (hundreds of modules with dynamic
// TLS crash LeakSanitizer's tracer at exit).
struct thunder_emulator_lane { dim3 thread, block, block_dim, grid_dim; void (*barrier)(); };
static const thunder_emulator_lane* (*thunder_emulator_current)();
extern "C" void thunder_emulator_init(const thunder_emulator_lane* (*current)()) {
  thunder_emulator_current = current;
}
#define threadIdx (thunder_emulator_current()->thread)
#define blockIdx (thunder_emulator_current()->block)
#define blockDim (thunder_emulator_current()->block_dim)
#define gridDim (thunder_emulator_current()->grid_dim)
static inline void __syncthreads() { thunder_emulator_current()->barrier(); }
template <class T, class F> static inline T thunder_emulator_bits(F f) {
  T t;
  memcpy(&t, &f, sizeof t);
  return t;
}
static inline float __int_as_float(int v) { return thunder_emulator_bits<float>(v); }
static inline float __uint_as_float(unsigned int v) { return thunder_emulator_bits<float>(v); }
static inline unsigned int __float_as_uint(float v) { return thunder_emulator_bits<unsigned int>(v); }
static inline int __float_as_int(float v) { return thunder_emulator_bits<int>(v); }
static inline double __longlong_as_double(long long v) { return thunder_emulator_bits<double>(v); }
static inline long long __double_as_longlong(double v) { return thunder_emulator_bits<long long>(v); }
static inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
static inline double rsqrt(double x) { return 1.0 / sqrt(x); }
static inline int max(int a, int b) { return a > b ? a : b; }
static inline int min(int a, int b) { return a < b ? a : b; }
static inline long long max(long long a, long long b) { return a > b ? a : b; }
static inline long long min(long long a, long long b) { return a < b ? a : b; }
static inline unsigned int max(unsigned int a, unsigned int b) { return a > b ? a : b; }
static inline unsigned int min(unsigned int a, unsigned int b) { return a < b ? a : b; }
static inline unsigned int atomicCAS(unsigned int* p, unsigned int expected, unsigned int desired) {
  __atomic_compare_exchange_n(p, &expected, desired, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
  return expected;
}
// IEEE half <-> float, exact, and rounding to nearest even (what cvt.rn.f16.f32 does).
static inline float thunder_host_f16_to_float(unsigned short h) {
  const unsigned int sign = (unsigned int)(h & 0x8000u) << 16;
  const unsigned int exponent = (h >> 10) & 0x1Fu;
  unsigned int mantissa = h & 0x3FFu;
  if (exponent == 0x1Fu) return __uint_as_float(sign | 0x7F800000u | (mantissa << 13));
  if (exponent != 0u) return __uint_as_float(sign | ((exponent + 112u) << 23) | (mantissa << 13));
  const float magnitude = (float)mantissa * 5.9604644775390625e-8f; // 2^-24, exact
  return sign != 0u ? -magnitude : magnitude;
}
static inline unsigned short thunder_host_float_to_f16(float f) {
  const unsigned int u = __float_as_uint(f);
  const unsigned int sign = (u >> 16) & 0x8000u;
  const unsigned int a = u & 0x7FFFFFFFu;
  if (a > 0x7F800000u) return (unsigned short)(sign | 0x7E00u);
  if (a >= 0x477FF000u) return (unsigned short)(sign | 0x7C00u); // rounds past 65504
  if (a < 0x38800000u) {                                          // below 2^-14: subnormal
    const float scaled = __uint_as_float(a) * 16777216.0f;        // in units of 2^-24, exact
    return (unsigned short)(sign | (unsigned int)nearbyintf(scaled));
  }
  const unsigned int rounded = a + 0xFFFu + ((a >> 13) & 1u);
  return (unsigned short)(sign | ((rounded - 0x38000000u) >> 13));
}
namespace thunder_emulator {
template <class... A, std::size_t... I>
inline void call(void (*kernel)(A...), void** params, std::index_sequence<I...>) {
  std::tuple<A...> args;
  ((memcpy(&std::get<I>(args), params[I], sizeof(A))), ...);
  kernel(std::get<I>(args)...);
}
template <class... A> inline void run(void (*kernel)(A...), void** params) {
  call(kernel, params, std::index_sequence_for<A...>{});
}
// Which parameters are pointers (checked against the live allocations at each launch).
template <class... A> inline unsigned int pointers(void (*)(A...), unsigned char* is_pointer) {
  unsigned int n = 0;
  ((is_pointer[n++] = std::is_pointer<A>::value), ...);
  return n;
}
// Each parameter's size in bytes (what a captured launch copies).
template <class... A> inline unsigned int sizes(void (*)(A...), unsigned int* size) {
  unsigned int n = 0;
  ((size[n++] = sizeof(A)), ...);
  return n;
}
} // namespace thunder_emulator
)";

using RunFunction = void (*)(void**);

// The layout of the prelude's thunder_emulator_lane: what a running kernel reads.
struct Dim3 {
  unsigned x, y, z;
};
struct Lane {
  Dim3 thread, block, block_dim, grid_dim;
  void (*barrier)();
};
thread_local Lane lane;
const Lane* current_lane() {
  return &lane;
}
using ParamsFunction = unsigned (*)(unsigned char*);
using SizesFunction = unsigned (*)(unsigned*);

struct Function {
  std::string name;
  RunFunction run = nullptr;
  ParamsFunction params = nullptr;
  SizesFunction sizes = nullptr;
  bool barriers = false;
};

// What a capturing stream records and a graph replays: one call each, with its
// parameters' values copied at capture.
using Work = std::function<CUresult()>;
struct Stream {
  bool capturing = false;
  bool invalidated = false; ///< A refused call ended the capture's use; cuStreamEndCapture says so.
  std::vector<Work> work;
};
struct Graph {
  std::vector<Work> work;
};

struct Module {
  void* handle = nullptr;
  std::map<std::string, std::unique_ptr<Function>> functions;
};

struct State {
  std::mutex mutex;
  bool initialized = false;
  std::size_t capacity = kDefaultCapacity;
  std::size_t in_use = 0;
  std::map<std::uintptr_t, std::size_t> allocations; ///< Address -> bytes.
  std::map<std::string, Module*> modules_by_source;
  std::string work_dir;
  int compiled = 0;
  std::string last_error;
  std::map<void*, std::unique_ptr<Stream>> streams; ///< cuStreamCreate's, by handle.
};

State& state() {
  static State* s = new State; // never destroyed: kernels may still run at exit
  return *s;
}

void set_error(const std::string& message) {
  state().last_error = message;
}

// True when [address, address + bytes) lies in one live allocation. Caller holds the mutex.
bool in_allocation(std::uintptr_t address, std::size_t bytes) {
  const auto& allocations = state().allocations;
  auto it = allocations.upper_bound(address);
  if (it == allocations.begin()) return false;
  --it;
  return address >= it->first && address - it->first + bytes <= it->second;
}

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

// The device's size: THUNDER_CUDA_EMULATOR_MEMORY as it is now (read at each allocation, so
// a test can shrink the device for a while). False for a value that is not a number.
// Caller holds the mutex.
bool read_capacity() {
  State& s = state();
  s.capacity = kDefaultCapacity;
  if (const std::string memory = env("THUNDER_CUDA_EMULATOR_MEMORY"); !memory.empty()) {
    char* end = nullptr;
    const unsigned long long bytes = std::strtoull(memory.c_str(), &end, 10);
    if (end == memory.c_str() || *end != 0) return false;
    s.capacity = bytes;
  }
  return true;
}

std::string compiler_command() {
  std::string cxx = env("THUNDER_CUDA_EMULATOR_CXX");
#ifdef THUNDER_EMULATOR_CXX
  if (cxx.empty()) cxx = THUNDER_EMULATOR_CXX;
#endif
  return cxx.empty() ? "c++" : cxx;
}

// The names of the kernels a source defines: what follows `__global__ void` (and its
// __launch_bounds__), up to the parameter list.
std::vector<std::string> kernel_names(const std::string& source) {
  std::vector<std::string> names;
  const std::string marker = "__global__ void";
  for (std::size_t at = source.find(marker); at != std::string::npos;
       at = source.find(marker, at + 1)) {
    std::size_t i = at + marker.size();
    const auto skip_space = [&] {
      while (i < source.size() && std::isspace(static_cast<unsigned char>(source[i]))) ++i;
    };
    skip_space();
    if (source.compare(i, 17, "__launch_bounds__") == 0) {
      i = source.find(')', i);
      if (i == std::string::npos) break;
      ++i;
      skip_space();
    }
    std::size_t end = i;
    while (end < source.size() &&
           (std::isalnum(static_cast<unsigned char>(source[end])) || source[end] == '_'))
      ++end;
    if (end > i) names.push_back(source.substr(i, end - i));
  }
  return names;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Builds `source` into a shared object and opens it. Caller holds the mutex.
CUresult build_module(const std::string& source, Module** out) {
  State& s = state();
  if (const auto it = s.modules_by_source.find(source); it != s.modules_by_source.end()) {
    *out = it->second;
    return kSuccess;
  }
  const std::vector<std::string> names = kernel_names(source);
  if (names.empty()) {
    set_error("the source defines no __global__ kernel");
    return kInvalidSource;
  }
  if (s.work_dir.empty()) {
    std::string base = env("TMPDIR");
    if (base.empty()) base = "/tmp";
    std::string pattern = base + "/thunder-cuda-emulator-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      set_error("cannot create a directory under " + base + ": " + std::strerror(errno));
      return kNotSupported;
    }
    s.work_dir = pattern;
    // Emptied as kernels are opened (below); removed at exit when empty.
    std::atexit([] { ::rmdir(state().work_dir.c_str()); });
  }
  const std::string stem = s.work_dir + "/kernel" + std::to_string(s.compiled++);
  {
    std::ofstream file(stem + ".cpp");
    file << kPrelude << "\n#line 1 \"generated.cu\"\n" << source << "\n";
    for (const std::string& name : names) {
      file << "extern \"C\" void thunder_emulator_run_" << name << "(void** params) {\n"
           << "  thunder_emulator::run(" << name << ", params);\n}\n"
           << "extern \"C\" unsigned int thunder_emulator_params_" << name
           << "(unsigned char* is_pointer) {\n  return thunder_emulator::pointers(" << name
           << ", is_pointer);\n}\n"
           << "extern \"C\" unsigned int thunder_emulator_sizes_" << name
           << "(unsigned int* size) {\n  return thunder_emulator::sizes(" << name
           << ", size);\n}\n";
    }
    if (!file) {
      set_error("cannot write " + stem + ".cpp");
      return kNotSupported;
    }
  }
  // No fast math and no contraction: the host computes what the source says, op by op.
  const std::string command = compiler_command() +
                              " -std=c++17 -O1 -fPIC -shared -ffp-contract=off -w -o '" + stem +
                              ".so' '" + stem + ".cpp' > '" + stem + ".log' 2>&1";
  if (std::system(command.c_str()) != 0) {
    set_error("the host compiler failed on the kernel (source kept at " + stem +
              ".cpp; command: " + command + "):\n" + read_file(stem + ".log"));
    return kInvalidSource;
  }
  void* handle = ::dlopen((stem + ".so").c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    set_error("cannot open the compiled kernel " + stem + ".so: " + (why != nullptr ? why : "?"));
    return kInvalidImage;
  }
  using InitFunction = void (*)(const Lane* (*)());
  const auto init = reinterpret_cast<InitFunction>(::dlsym(handle, "thunder_emulator_init"));
  if (init == nullptr) {
    set_error("the compiled kernel " + stem + ".so has no thunder_emulator_init");
    return kInvalidImage;
  }
  init(&current_lane);
  auto module = std::make_unique<Module>();
  module->handle = handle;
  const bool barriers = source.find("__syncthreads") != std::string::npos;
  for (const std::string& name : names) {
    auto f = std::make_unique<Function>();
    f->name = name;
    f->run = reinterpret_cast<RunFunction>(::dlsym(handle, ("thunder_emulator_run_" + name).c_str()));
    f->params =
        reinterpret_cast<ParamsFunction>(::dlsym(handle, ("thunder_emulator_params_" + name).c_str()));
    f->sizes =
        reinterpret_cast<SizesFunction>(::dlsym(handle, ("thunder_emulator_sizes_" + name).c_str()));
    f->barriers = barriers;
    if (f->run == nullptr || f->params == nullptr || f->sizes == nullptr) {
      set_error("the compiled kernel has no launcher for " + name);
      return kInvalidImage;
    }
    module->functions.emplace(name, std::move(f));
  }
  // Opened files can go; the source stays only when something went wrong above.
  std::filesystem::remove(stem + ".cpp");
  std::filesystem::remove(stem + ".so");
  std::filesystem::remove(stem + ".log");
  Module* raw = module.release(); // modules live as long as the process (see state())
  s.modules_by_source.emplace(source, raw);
  *out = raw;
  return kSuccess;
}

thread_local std::barrier<>* current_barrier = nullptr;

void block_barrier() {
  current_barrier->arrive_and_wait();
}

// One launch at a time: a kernel's __shared__ arrays are statics of its module.
std::mutex& launch_mutex() {
  static std::mutex m;
  return m;
}

void run_kernel(const Function& f, void** params, unsigned blocks, unsigned threads) {
  const std::lock_guard lock(launch_mutex());
  if (!f.barriers) {
    for (unsigned b = 0; b < blocks; ++b) {
      for (unsigned t = 0; t < threads; ++t) {
        lane = Lane{{t, 0, 0}, {b, 0, 0}, {threads, 1, 1}, {blocks, 1, 1}, nullptr};
        f.run(params);
      }
    }
    return;
  }
  // One thread per lane. A block's lanes meet at its barrier, which a lane leaves when it
  // returns (as on the GPU); the next block starts when every lane is done with this one
  // (their __shared__ arrays are the same statics), and its barrier is made then.
  const auto count = static_cast<std::ptrdiff_t>(threads);
  auto barrier = std::make_unique<std::barrier<>>(count);
  const auto next_block = [&]() noexcept { barrier = std::make_unique<std::barrier<>>(count); };
  std::barrier<decltype(next_block)> block_done(count, next_block);
  std::vector<std::thread> lanes;
  lanes.reserve(threads);
  for (unsigned t = 0; t < threads; ++t) {
    lanes.emplace_back([&, t] {
      for (unsigned b = 0; b < blocks; ++b) {
        std::barrier<>* mine = barrier.get();
        current_barrier = mine;
        lane = Lane{{t, 0, 0}, {b, 0, 0}, {threads, 1, 1}, {blocks, 1, 1}, &block_barrier};
        f.run(params);
        mine->arrive_and_drop();
        block_done.arrive_and_wait();
      }
    });
  }
  for (std::thread& worker : lanes)
    worker.join();
}

// The stream `handle` names when it is capturing, else nullptr. Caller holds the mutex.
Stream* capturing(void* handle) {
  const auto it = state().streams.find(handle);
  return it != state().streams.end() && it->second->capturing ? it->second.get() : nullptr;
}

// What a GPU says to a copy from host memory or a synchronize while `stream` captures;
// the capture is invalidated, as there. Caller holds the mutex.
CUresult refuse_in_capture(Stream& stream, const std::string& what) {
  set_error(what + " on a stream that is capturing a CUDA graph");
  stream.invalidated = true;
  return kCaptureUnsupported;
}

// Every pointer a kernel gets must be device memory that is still allocated. Caller holds
// the mutex.
CUresult check_pointers(const Function& f, void** params) {
  unsigned char is_pointer[256] = {};
  const unsigned n = f.params(is_pointer);
  for (unsigned i = 0; i < n; ++i) {
    if (is_pointer[i] == 0) continue;
    std::uintptr_t address = 0;
    std::memcpy(&address, params[i], sizeof address);
    if (!in_allocation(address, 1)) {
      std::ostringstream hex;
      hex << std::hex << address;
      set_error("parameter " + std::to_string(i) + " of " + f.name + " (0x" + hex.str() +
                ") is not in any live allocation");
      return kInvalidValue;
    }
  }
  return kSuccess;
}

// Runs `work` now, or records it when `stream` is capturing.
CUresult run_or_capture(void* stream, const Work& work) {
  {
    const std::lock_guard lock(state().mutex);
    if (Stream* capture = capturing(stream)) {
      capture->work.push_back(work);
      return kSuccess;
    }
  }
  return work();
}

CUresult launch_now(const Function& f, void** params, unsigned blocks, unsigned threads) {
  {
    const std::lock_guard lock(state().mutex);
    if (const CUresult rc = check_pointers(f, params); rc != kSuccess) return rc;
  }
  run_kernel(f, params, blocks, threads);
  return kSuccess;
}

} // namespace

// The driver API subset CudaRuntime binds (cuda_api.h), with the same C ABI.
extern "C" {

CUresult cuInit(unsigned int flags) {
  if (flags != 0) return kInvalidValue;
  State& s = state();
  const std::lock_guard lock(s.mutex);
  if (!read_capacity()) return kInvalidValue;
  s.initialized = true;
  return kSuccess;
}

CUresult cuDriverGetVersion(int* version) {
  if (version == nullptr) return kInvalidValue;
  *version = 0; // not a driver: CudaRuntime says "host emulator" instead of a version
  return kSuccess;
}

CUresult cuGetErrorName(CUresult error, const char** name) {
  switch (error) {
  case kSuccess: *name = "CUDA_SUCCESS"; break;
  case kInvalidValue: *name = "CUDA_ERROR_INVALID_VALUE"; break;
  case kOutOfMemory: *name = "CUDA_ERROR_OUT_OF_MEMORY"; break;
  case kNotInitialized: *name = "CUDA_ERROR_NOT_INITIALIZED"; break;
  case kInvalidImage: *name = "CUDA_ERROR_INVALID_IMAGE"; break;
  case kInvalidContext: *name = "CUDA_ERROR_INVALID_CONTEXT"; break;
  case kInvalidSource: *name = "CUDA_ERROR_INVALID_SOURCE"; break;
  case kNotFound: *name = "CUDA_ERROR_NOT_FOUND"; break;
  case kLaunchOutOfResources: *name = "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES"; break;
  case kNotSupported: *name = "CUDA_ERROR_NOT_SUPPORTED"; break;
  case kCaptureUnsupported: *name = "CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED"; break;
  case kCaptureInvalidated: *name = "CUDA_ERROR_STREAM_CAPTURE_INVALIDATED"; break;
  default: *name = nullptr; return kInvalidValue;
  }
  return kSuccess;
}

CUresult cuGetErrorString(CUresult error, const char** text) {
  // The detail of the last failure (a compiler log, the range a copy missed) when there
  // is one: the emulator's errors come with their reason.
  const std::lock_guard lock(state().mutex);
  static thread_local std::string message;
  message = state().last_error.empty() ? "host emulator error" : state().last_error;
  if (error == kSuccess) message = "no error";
  *text = message.c_str();
  return kSuccess;
}

CUresult cuDeviceGetCount(int* count) {
  *count = 1;
  return state().initialized ? kSuccess : kNotInitialized;
}

CUresult cuDeviceGet(int* device, int ordinal) {
  if (ordinal != 0) return kInvalidValue;
  *device = 0;
  return kSuccess;
}

CUresult cuDeviceGetName(char* name, int length, int device) {
  if (device != 0 || length <= 0) return kInvalidValue;
  std::snprintf(name, static_cast<std::size_t>(length), "%s",
                "thunder CUDA host emulator (the CPU, not a GPU)");
  return kSuccess;
}

CUresult cuDeviceGetAttribute(int* value, int attribute, int device) {
  if (device != 0) return kInvalidValue;
  int major = 9;
  int minor = 0;
  if (const std::string arch = env("THUNDER_CUDA_EMULATOR_ARCH"); !arch.empty()) {
    if (std::sscanf(arch.c_str(), "%d.%d", &major, &minor) != 2) return kInvalidValue;
  }
  switch (attribute) {
  case 16: // multiprocessor count
    *value = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    return kSuccess;
  case 75:
    *value = major;
    return kSuccess;
  case 76:
    *value = minor;
    return kSuccess;
  default:
    return kInvalidValue;
  }
}

CUresult cuDevicePrimaryCtxRetain(void** context, int device) {
  if (device != 0) return kInvalidValue;
  static int the_context;
  *context = &the_context;
  return kSuccess;
}

CUresult cuDevicePrimaryCtxRelease_v2(int device) {
  return device == 0 ? kSuccess : kInvalidValue;
}

thread_local void* current_context = nullptr;

CUresult cuCtxSetCurrent(void* context) {
  current_context = context;
  return kSuccess;
}

CUresult cuCtxGetCurrent(void** context) {
  *context = current_context;
  return kSuccess;
}

CUresult cuModuleLoadData(void** /*module*/, const void* /*image*/) {
  const std::lock_guard lock(state().mutex);
  set_error("the host emulator runs CUDA C++ source (thunderEmulatorModuleLoadSource), not "
            "CUBIN or PTX");
  return kNotSupported;
}

CUresult thunderEmulatorModuleLoadSource(void** module, const char* source) {
  if (module == nullptr || source == nullptr) return kInvalidValue;
  const std::lock_guard lock(state().mutex);
  Module* m = nullptr;
  const CUresult rc = build_module(source, &m);
  if (rc == kSuccess) *module = m;
  return rc;
}

CUresult cuModuleUnload(void* module) {
  // Modules are shared by every load of the same source and live until exit.
  return module != nullptr ? kSuccess : kInvalidValue;
}

CUresult cuModuleGetFunction(void** function, void* module, const char* name) {
  auto* m = static_cast<Module*>(module);
  const auto it = m->functions.find(name);
  if (it == m->functions.end()) {
    const std::lock_guard lock(state().mutex);
    set_error(std::string("the module has no kernel named ") + name);
    return kNotFound;
  }
  *function = it->second.get();
  return kSuccess;
}

CUresult cuLaunchKernel(void* function, unsigned grid_x, unsigned grid_y, unsigned grid_z,
                        unsigned block_x, unsigned block_y, unsigned block_z, unsigned shared,
                        void* stream, void** params, void** extra) {
  const auto& f = *static_cast<const Function*>(function);
  {
    const std::lock_guard lock(state().mutex);
    if (grid_y != 1 || grid_z != 1 || block_y != 1 || block_z != 1 || shared != 0 ||
        extra != nullptr) {
      set_error("the host emulator launches one-dimensional grids and blocks without dynamic "
                "shared memory or extra parameters only");
      return kNotSupported;
    }
    if (grid_x == 0 || block_x == 0 || block_x > 1024) {
      set_error("a launch of " + std::to_string(grid_x) + " blocks of " +
                std::to_string(block_x) + " threads (1 to 1024 per block)");
      return kInvalidValue;
    }
    if (params == nullptr) return kInvalidValue;
    if (Stream* capture = capturing(stream)) {
      // The driver copies the parameters' values at the launch; so does the capture.
      if (const CUresult rc = check_pointers(f, params); rc != kSuccess) return rc;
      unsigned sizes[256] = {};
      const unsigned n = f.sizes(sizes);
      auto values = std::make_shared<std::vector<std::vector<std::byte>>>();
      for (unsigned i = 0; i < n; ++i) {
        const auto* bytes = static_cast<const std::byte*>(params[i]);
        values->emplace_back(bytes, bytes + sizes[i]);
      }
      capture->work.push_back([&f, values, grid_x, block_x] {
        std::vector<void*> pointers;
        for (std::vector<std::byte>& v : *values)
          pointers.push_back(v.data());
        return launch_now(f, pointers.data(), grid_x, block_x);
      });
      return kSuccess;
    }
  }
  return launch_now(f, params, grid_x, block_x);
}

CUresult cuMemAlloc_v2(CUdeviceptr* address, std::size_t bytes) {
  if (address == nullptr || bytes == 0) return kInvalidValue;
  State& s = state();
  const std::lock_guard lock(s.mutex);
  if (!read_capacity()) return kInvalidValue;
  if (s.in_use > s.capacity || bytes > s.capacity - s.in_use) {
    set_error("the emulated device has " + std::to_string(s.in_use < s.capacity ? s.capacity - s.in_use : 0) +
              " of its " + std::to_string(s.capacity) + " bytes free");
    return kOutOfMemory;
  }
  const std::size_t rounded = (bytes + 255) / 256 * 256;
  void* p = std::aligned_alloc(256, rounded);
  if (p == nullptr) return kOutOfMemory;
  s.allocations.emplace(reinterpret_cast<std::uintptr_t>(p), bytes);
  s.in_use += bytes;
  *address = reinterpret_cast<std::uintptr_t>(p);
  return kSuccess;
}

CUresult cuMemFree_v2(CUdeviceptr address) {
  State& s = state();
  const std::lock_guard lock(s.mutex);
  const auto it = s.allocations.find(static_cast<std::uintptr_t>(address));
  if (it == s.allocations.end()) {
    set_error("cuMemFree of an address that is not an allocation");
    return kInvalidValue;
  }
  s.in_use -= it->second;
  std::free(reinterpret_cast<void*>(it->first));
  s.allocations.erase(it);
  return kSuccess;
}

CUresult cuMemGetInfo_v2(std::size_t* free_bytes, std::size_t* total) {
  State& s = state();
  const std::lock_guard lock(s.mutex);
  read_capacity();
  *free_bytes = s.in_use < s.capacity ? s.capacity - s.in_use : 0;
  *total = s.capacity;
  return kSuccess;
}

CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr destination, const void* source, std::size_t bytes,
                              void* stream) {
  {
    const std::lock_guard lock(state().mutex);
    if (Stream* capture = capturing(stream)) {
      return refuse_in_capture(*capture, "a copy from host memory to the device");
    }
    if (!in_allocation(static_cast<std::uintptr_t>(destination), bytes)) {
      set_error("a copy of " + std::to_string(bytes) +
                " bytes to the device falls outside every live allocation");
      return kInvalidValue;
    }
  }
  std::memcpy(reinterpret_cast<void*>(destination), source, bytes);
  return kSuccess;
}

CUresult cuMemcpyDtoHAsync_v2(void* destination, CUdeviceptr source, std::size_t bytes,
                              void* stream) {
  {
    const std::lock_guard lock(state().mutex);
    if (Stream* capture = capturing(stream)) {
      return refuse_in_capture(*capture, "a copy from the device to host memory");
    }
    if (!in_allocation(static_cast<std::uintptr_t>(source), bytes)) {
      set_error("a copy of " + std::to_string(bytes) +
                " bytes from the device falls outside every live allocation");
      return kInvalidValue;
    }
  }
  std::memcpy(destination, reinterpret_cast<const void*>(source), bytes);
  return kSuccess;
}

CUresult cuStreamSynchronize(void* stream) {
  const std::lock_guard lock(state().mutex);
  if (Stream* capture = capturing(stream)) return refuse_in_capture(*capture, "a synchronize");
  return kSuccess; // launches and copies are synchronous
}

CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr destination, CUdeviceptr source, std::size_t bytes,
                              void* stream) {
  const auto copy = [=]() -> CUresult {
    const std::lock_guard lock(state().mutex);
    if (!in_allocation(static_cast<std::uintptr_t>(destination), bytes) ||
        !in_allocation(static_cast<std::uintptr_t>(source), bytes)) {
      set_error("a copy of " + std::to_string(bytes) +
                " bytes on the device falls outside every live allocation");
      return kInvalidValue;
    }
    std::memmove(reinterpret_cast<void*>(destination), reinterpret_cast<const void*>(source),
                 bytes);
    return kSuccess;
  };
  return run_or_capture(stream, copy);
}

CUresult cuMemsetD32Async(CUdeviceptr destination, unsigned int value, std::size_t count,
                          void* stream) {
  const auto fill = [=]() -> CUresult {
    const std::lock_guard lock(state().mutex);
    if (destination % 4 != 0 ||
        !in_allocation(static_cast<std::uintptr_t>(destination), count * 4)) {
      set_error("a fill of " + std::to_string(count) +
                " words falls outside every live allocation or is not 4-byte aligned");
      return kInvalidValue;
    }
    auto* words = reinterpret_cast<std::uint32_t*>(destination);
    std::fill(words, words + count, value);
    return kSuccess;
  };
  return run_or_capture(stream, fill);
}

// Page-locked host memory is host memory here; events are done as soon as they are
// recorded, since all work is.
CUresult cuMemHostAlloc(void** pointer, std::size_t bytes, unsigned int /*flags*/) {
  if (pointer == nullptr || bytes == 0) return kInvalidValue;
  *pointer = std::malloc(bytes);
  return *pointer != nullptr ? kSuccess : kOutOfMemory;
}

CUresult cuMemFreeHost(void* pointer) {
  std::free(pointer);
  return kSuccess;
}

CUresult cuEventCreate(void** event, unsigned int /*flags*/) {
  if (event == nullptr) return kInvalidValue;
  static char the_event;
  *event = &the_event;
  return kSuccess;
}

CUresult cuEventRecord(void* /*event*/, void* /*stream*/) {
  return kSuccess;
}

CUresult cuEventQuery(void* /*event*/) {
  return kSuccess;
}

CUresult cuEventSynchronize(void* /*event*/) {
  return kSuccess;
}

CUresult cuEventDestroy_v2(void* /*event*/) {
  return kSuccess;
}

CUresult cuStreamCreate(void** stream, unsigned int /*flags*/) {
  if (stream == nullptr) return kInvalidValue;
  const std::lock_guard lock(state().mutex);
  auto owned = std::make_unique<Stream>();
  *stream = owned.get();
  state().streams.emplace(*stream, std::move(owned));
  return kSuccess;
}

CUresult cuStreamDestroy_v2(void* stream) {
  const std::lock_guard lock(state().mutex);
  return state().streams.erase(stream) == 1 ? kSuccess : kInvalidValue;
}

CUresult cuStreamBeginCapture_v2(void* stream, int /*mode*/) {
  const std::lock_guard lock(state().mutex);
  const auto it = state().streams.find(stream);
  if (it == state().streams.end()) {
    set_error("only a stream of cuStreamCreate's can capture (not the legacy default stream)");
    return kCaptureUnsupported;
  }
  if (it->second->capturing) {
    set_error("the stream is capturing already");
    return kInvalidValue;
  }
  it->second->capturing = true;
  it->second->invalidated = false;
  it->second->work.clear();
  return kSuccess;
}

CUresult cuStreamEndCapture(void* stream, void** graph) {
  const std::lock_guard lock(state().mutex);
  const auto it = state().streams.find(stream);
  if (it == state().streams.end() || graph == nullptr) return kInvalidValue;
  Stream& s = *it->second;
  if (!s.capturing) {
    set_error("the stream is not capturing");
    return kInvalidValue;
  }
  s.capturing = false;
  // A capture a refused call invalidated ends here with that error, and no graph.
  if (s.invalidated) {
    s.work.clear();
    *graph = nullptr;
    return kCaptureInvalidated;
  }
  *graph = new Graph{std::move(s.work)};
  s.work.clear();
  return kSuccess;
}

CUresult cuGraphInstantiateWithFlags(void** exec, void* graph, unsigned long long /*flags*/) {
  if (exec == nullptr || graph == nullptr) return kInvalidValue;
  *exec = new Graph(*static_cast<const Graph*>(graph));
  return kSuccess;
}

CUresult cuGraphLaunch(void* exec, void* stream) {
  if (exec == nullptr) return kInvalidValue;
  const auto& graph = *static_cast<const Graph*>(exec);
  {
    const std::lock_guard lock(state().mutex);
    if (Stream* capture = capturing(stream)) {
      capture->work.push_back([&graph] {
        for (const Work& w : graph.work)
          if (const CUresult rc = w(); rc != kSuccess) return rc;
        return kSuccess;
      });
      return kSuccess;
    }
  }
  for (const Work& w : graph.work)
    if (const CUresult rc = w(); rc != kSuccess) return rc;
  return kSuccess;
}

CUresult cuGraphExecDestroy(void* exec) {
  delete static_cast<Graph*>(exec);
  return kSuccess;
}

CUresult cuGraphDestroy(void* graph) {
  delete static_cast<Graph*>(graph);
  return kSuccess;
}

} // extern "C"

// cuBLASLt's matmul, for the host: the calls and attributes the cuda executor makes
// (column-major layouts with a leading dimension, transposes, strided batches; f32, f64,
// f16, bf16; compute in f32, f32 with TF32 inputs, or f64), so its matmul path runs and is
// checked here too. Products add in order of k (a GPU's order differs; within tolerance).
namespace {

constexpr int kBlasSuccess = 0;
constexpr int kBlasInvalidValue = 7;
constexpr int kBlasNotSupported = 15;

// cublasLtMatmulDesc_t: compute and scale types, transposes, and the epilogue (1 default,
// 2 relu, 4 bias, 6 relu + bias) with its bias vector (D's rows long, D's type).
struct BlasDesc {
  int compute = 0, scale = 0, transa = 0, transb = 0;
  std::uint32_t epilogue = 1;
  const void* bias = nullptr;
};
struct BlasLayout {
  int type = 0;
  std::uint64_t rows = 0, cols = 0;
  std::int64_t ld = 0;
  int batch = 1;
  std::int64_t stride = 0;
};

std::size_t element_bytes(int type) {
  switch (type) {
  case 0: return 4; // CUDA_R_32F
  case 1: return 8; // CUDA_R_64F
  case 2:           // CUDA_R_16F
  case 14: return 2; // CUDA_R_16BF
  default: return 0;
  }
}

double f16_bits_to_double(std::uint16_t h) {
  const int exponent = (h >> 10) & 0x1F;
  const int mantissa = h & 0x3FF;
  double magnitude = 0;
  if (exponent == 0x1F) {
    magnitude = mantissa != 0 ? std::numeric_limits<double>::quiet_NaN()
                              : std::numeric_limits<double>::infinity();
  } else if (exponent == 0) {
    magnitude = std::ldexp(mantissa, -24);
  } else {
    magnitude = std::ldexp(mantissa + 1024, exponent - 25);
  }
  return (h & 0x8000) != 0 ? -magnitude : magnitude;
}

std::uint32_t float_bits(float f) {
  std::uint32_t u = 0;
  std::memcpy(&u, &f, sizeof u);
  return u;
}

float bits_float(std::uint32_t u) {
  float f = 0;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// float -> half bits, round to nearest even (torch's conversion).
std::uint16_t float_to_f16_bits(float f) {
  const std::uint32_t u = float_bits(f);
  const std::uint32_t sign = (u >> 16) & 0x8000u;
  const std::uint32_t a = u & 0x7FFFFFFFu;
  if (a > 0x7F800000u) return static_cast<std::uint16_t>(sign | 0x7E00u);
  if (a >= 0x477FF000u) return static_cast<std::uint16_t>(sign | 0x7C00u);
  if (a < 0x38800000u) {
    return static_cast<std::uint16_t>(sign | static_cast<std::uint32_t>(std::nearbyint(
                                                  static_cast<double>(bits_float(a)) * 16777216.0)));
  }
  return static_cast<std::uint16_t>(sign | ((a + 0xFFFu + ((a >> 13) & 1u) - 0x38000000u) >> 13));
}

std::uint16_t float_to_bf16_bits(float f) {
  const std::uint32_t u = float_bits(f);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return 0x7FC0u;
  return static_cast<std::uint16_t>((u + 0x7FFFu + ((u >> 16) & 1u)) >> 16);
}

double load(const BlasLayout& l, const std::byte* base, std::int64_t index) {
  const std::byte* p = base + index * static_cast<std::int64_t>(element_bytes(l.type));
  switch (l.type) {
  case 0: {
    float f;
    std::memcpy(&f, p, 4);
    return f;
  }
  case 1: {
    double d;
    std::memcpy(&d, p, 8);
    return d;
  }
  case 2: {
    std::uint16_t h;
    std::memcpy(&h, p, 2);
    return f16_bits_to_double(h);
  }
  default: {
    std::uint16_t b;
    std::memcpy(&b, p, 2);
    return bits_float(static_cast<std::uint32_t>(b) << 16);
  }
  }
}

void store(const BlasLayout& l, std::byte* base, std::int64_t index, double value) {
  std::byte* p = base + index * static_cast<std::int64_t>(element_bytes(l.type));
  switch (l.type) {
  case 0: {
    const auto f = static_cast<float>(value);
    std::memcpy(p, &f, 4);
    break;
  }
  case 1: std::memcpy(p, &value, 8); break;
  case 2: {
    const std::uint16_t h = float_to_f16_bits(static_cast<float>(value));
    std::memcpy(p, &h, 2);
    break;
  }
  default: {
    const std::uint16_t b = float_to_bf16_bits(static_cast<float>(value));
    std::memcpy(p, &b, 2);
  }
  }
}

// TF32: the product's inputs keep 10 mantissa bits (rounded to nearest).
float to_tf32(float f) {
  const std::uint32_t u = float_bits(f);
  if ((u & 0x7F800000u) == 0x7F800000u) return f;
  return bits_float((u + 0xFFFu + ((u >> 13) & 1u)) & 0xFFFFE000u);
}

// Rows and cols of op(layout).
std::pair<std::uint64_t, std::uint64_t> op_shape(const BlasLayout& l, int op) {
  return op == 0 ? std::make_pair(l.rows, l.cols) : std::make_pair(l.cols, l.rows);
}

bool covered(const BlasLayout& l, const void* p) {
  if (l.rows == 0 || l.cols == 0) return true;
  const auto last = static_cast<std::int64_t>(l.rows - 1) +
                    static_cast<std::int64_t>(l.cols - 1) * l.ld +
                    static_cast<std::int64_t>(l.batch - 1) * l.stride;
  const std::lock_guard lock(state().mutex);
  return in_allocation(reinterpret_cast<std::uintptr_t>(p),
                       static_cast<std::size_t>(last + 1) * element_bytes(l.type));
}

} // namespace

extern "C" {

std::size_t cublasLtGetVersion() {
  return 0; // not cuBLASLt: the description names this library
}

int cublasLtCreate(void** handle) {
  static int the_handle;
  *handle = &the_handle;
  return kBlasSuccess;
}

int cublasLtDestroy(void* /*handle*/) {
  return kBlasSuccess;
}

int cublasLtMatmulDescCreate(BlasDesc** desc, int compute, int scale) {
  if (compute != 68 && compute != 70 && compute != 77) return kBlasNotSupported;
  *desc = new BlasDesc{compute, scale, 0, 0, 1, nullptr};
  return kBlasSuccess;
}

int cublasLtMatmulDescDestroy(BlasDesc* desc) {
  delete desc;
  return kBlasSuccess;
}

int cublasLtMatmulDescSetAttribute(BlasDesc* desc, int attribute, const void* value,
                                   std::size_t size) {
  if (attribute == 7 && size == sizeof(std::uint32_t)) {
    std::uint32_t epilogue = 0;
    std::memcpy(&epilogue, value, size);
    if (epilogue != 1 && epilogue != 2 && epilogue != 4 && epilogue != 6) return kBlasNotSupported;
    desc->epilogue = epilogue;
    return kBlasSuccess;
  }
  if (attribute == 8 && size == sizeof(void*)) {
    std::memcpy(&desc->bias, value, size);
    return kBlasSuccess;
  }
  if (size != sizeof(int) || (attribute != 3 && attribute != 4)) return kBlasNotSupported;
  int op = 0;
  std::memcpy(&op, value, sizeof op);
  if (op != 0 && op != 1) return kBlasInvalidValue;
  (attribute == 3 ? desc->transa : desc->transb) = op;
  return kBlasSuccess;
}

int cublasLtMatrixLayoutCreate(BlasLayout** layout, int type, std::uint64_t rows,
                               std::uint64_t cols, std::int64_t ld) {
  if (element_bytes(type) == 0) return kBlasNotSupported;
  if (ld < static_cast<std::int64_t>(std::max<std::uint64_t>(rows, 1))) return kBlasInvalidValue;
  *layout = new BlasLayout{type, rows, cols, ld, 1, 0};
  return kBlasSuccess;
}

int cublasLtMatrixLayoutDestroy(BlasLayout* layout) {
  delete layout;
  return kBlasSuccess;
}

int cublasLtMatrixLayoutSetAttribute(BlasLayout* layout, int attribute, const void* value,
                                     std::size_t size) {
  if (attribute == 5 && size == sizeof(int)) {
    std::memcpy(&layout->batch, value, size);
    return layout->batch > 0 ? kBlasSuccess : kBlasInvalidValue;
  }
  if (attribute == 6 && size == sizeof(std::int64_t)) {
    std::memcpy(&layout->stride, value, size);
    return kBlasSuccess;
  }
  return kBlasNotSupported;
}

// A preference: the workspace limit and the least alignment of A, B, C and D it promises
// (cuBLASLt's default: 256 bytes each).
struct BlasPreference {
  std::uint64_t workspace = 0;
  std::uint32_t alignment[4] = {256, 256, 256, 256};
};

int cublasLtMatmulPreferenceCreate(BlasPreference** preference) {
  *preference = new BlasPreference;
  return kBlasSuccess;
}

int cublasLtMatmulPreferenceDestroy(BlasPreference* preference) {
  delete preference;
  return kBlasSuccess;
}

int cublasLtMatmulPreferenceSetAttribute(BlasPreference* preference, int attribute,
                                         const void* value, std::size_t size) {
  if (attribute == 1 && size == sizeof(std::uint64_t)) {
    std::memcpy(&preference->workspace, value, size);
    return kBlasSuccess;
  }
  if (attribute >= 5 && attribute <= 8 && size == sizeof(std::uint32_t)) {
    std::memcpy(&preference->alignment[attribute - 5], value, size);
    return kBlasSuccess;
  }
  return kBlasNotSupported;
}

int cublasLtMatmulAlgoGetHeuristic(void* /*handle*/, BlasDesc* desc, BlasLayout* a, BlasLayout* b,
                                   BlasLayout* c, BlasLayout* d, BlasPreference* preference,
                                   int requested, void* results, int* found) {
  *found = 0;
  const auto [m, k] = op_shape(*a, desc->transa);
  const auto [k2, n] = op_shape(*b, desc->transb);
  if (requested < 1 || k != k2 || c->rows != m || c->cols != n || d->rows != m || d->cols != n ||
      a->type != b->type || a->type != d->type || a->batch != d->batch || b->batch != d->batch) {
    return kBlasInvalidValue;
  }
  // cublasLtMatmulHeuristicResult_t: the algo (64 bytes), workspaceSize, state, ... The
  // algo keeps the alignments the preference promised, which the matmul then holds the
  // pointers to (a GPU algorithm chosen for 256-byte alignment faults on less).
  std::memset(results, 0, 96);
  std::memcpy(results, preference->alignment, sizeof preference->alignment);
  *found = 1;
  return kBlasSuccess;
}

int cublasLtMatmul(void* /*handle*/, BlasDesc* desc, const void* alpha, const void* a,
                   BlasLayout* la, const void* b, BlasLayout* lb, const void* beta,
                   const void* c, BlasLayout* /*lc*/, void* d, BlasLayout* ld,
                   const void* algo, void* workspace, std::size_t workspace_bytes,
                   void* stream) {
  {
    const std::lock_guard lock(state().mutex);
    if (Stream* capture = capturing(stream)) {
      // cuBLASLt reads its descriptors, layouts and host scalars when it is called; the
      // capture keeps copies of them.
      const std::size_t scalar = desc->compute == 70 ? sizeof(double) : sizeof(float);
      std::array<std::byte, 8> alpha_copy{}, beta_copy{};
      std::memcpy(alpha_copy.data(), alpha, scalar);
      std::memcpy(beta_copy.data(), beta, scalar);
      std::array<std::byte, 64> algo_copy{};
      std::memcpy(algo_copy.data(), algo, algo_copy.size());
      capture->work.push_back([=, desc_copy = *desc, la_copy = *la, lb_copy = *lb,
                               ld_copy = *ld]() mutable -> CUresult {
        const int rc = cublasLtMatmul(nullptr, &desc_copy, alpha_copy.data(), a, &la_copy, b,
                                      &lb_copy, beta_copy.data(), c, &ld_copy, d, &ld_copy,
                                      algo_copy.data(), workspace, workspace_bytes, nullptr);
        return rc == kBlasSuccess ? kSuccess : kInvalidValue;
      });
      return kBlasSuccess;
    }
  }
  if (!covered(*la, a) || !covered(*lb, b) || !covered(*ld, d)) {
    const std::lock_guard lock(state().mutex);
    set_error("cublasLtMatmul: an operand falls outside every live allocation");
    return kBlasInvalidValue;
  }
  std::uint32_t alignment[4];
  std::memcpy(alignment, algo, sizeof alignment);
  const void* pointers[4] = {a, b, c, d};
  for (int i = 0; i < 4; ++i) {
    if (reinterpret_cast<std::uintptr_t>(pointers[i]) % alignment[i] != 0) {
      const std::lock_guard lock(state().mutex);
      set_error("cublasLtMatmul: an operand is less aligned than the preference promised");
      return kBlasInvalidValue;
    }
  }
  const bool f64 = desc->compute == 70;
  const double scale_a = f64 ? *static_cast<const double*>(alpha) : *static_cast<const float*>(alpha);
  const double scale_b = f64 ? *static_cast<const double*>(beta) : *static_cast<const float*>(beta);
  if (scale_b != 0.0) return kBlasNotSupported; // D = alpha * op(A) op(B) only
  const auto [m, k] = op_shape(*la, desc->transa);
  const auto n = op_shape(*lb, desc->transb).second;
  const bool bias = (desc->epilogue & 4u) != 0;
  const bool relu = (desc->epilogue & 2u) != 0;
  if (bias) {
    // The bias: one value of D's type per row of D, the same for every batch.
    const BlasLayout vector{ld->type, m, 1, static_cast<std::int64_t>(std::max<std::uint64_t>(m, 1)), 1, 0};
    if (desc->bias == nullptr || !covered(vector, desc->bias)) {
      const std::lock_guard lock(state().mutex);
      set_error("cublasLtMatmul: the bias epilogue's vector falls outside every live allocation");
      return kBlasInvalidValue;
    }
    // No preference promises the bias's alignment: a GPU kernel may load it in 16-byte
    // vectors, and a less aligned bias faults there.
    if (reinterpret_cast<std::uintptr_t>(desc->bias) % 16 != 0) {
      const std::lock_guard lock(state().mutex);
      set_error("cublasLtMatmul: the bias vector is not 16-byte aligned");
      return kBlasInvalidValue;
    }
  }
  const auto element = [](const BlasLayout& l, int op, std::uint64_t row, std::uint64_t col) {
    return op == 0 ? static_cast<std::int64_t>(row) + static_cast<std::int64_t>(col) * l.ld
                   : static_cast<std::int64_t>(col) + static_cast<std::int64_t>(row) * l.ld;
  };
  const auto* pa = static_cast<const std::byte*>(a);
  const auto* pb = static_cast<const std::byte*>(b);
  auto* pd = static_cast<std::byte*>(d);
  for (int batch = 0; batch < ld->batch; ++batch) {
    for (std::uint64_t i = 0; i < m; ++i) {
      for (std::uint64_t j = 0; j < n; ++j) {
        double sum64 = 0;
        float sum32 = 0;
        for (std::uint64_t p = 0; p < k; ++p) {
          const double x = load(*la, pa, batch * la->stride + element(*la, desc->transa, i, p));
          const double y = load(*lb, pb, batch * lb->stride + element(*lb, desc->transb, p, j));
          if (f64) {
            sum64 += x * y;
          } else if (desc->compute == 77) {
            sum32 += to_tf32(static_cast<float>(x)) * to_tf32(static_cast<float>(y));
          } else {
            sum32 += static_cast<float>(x) * static_cast<float>(y);
          }
        }
        double value = f64 ? scale_a * sum64 : static_cast<float>(scale_a) * sum32;
        // The epilogue, on the accumulator (f32 but for f64), before D's rounding.
        if (bias) {
          const double add = load(*ld, static_cast<const std::byte*>(desc->bias), static_cast<std::int64_t>(i));
          value = f64 ? value + add : static_cast<double>(static_cast<float>(value) + static_cast<float>(add));
        }
        if (relu && value < 0) value = 0; // NaN stays NaN
        store(*ld, pd, batch * ld->stride + element(*ld, 0, i, j), value);
      }
    }
  }
  return kBlasSuccess;
}

} // extern "C"
