#include "dynamic_library.h"

#include "thunder/core/error.h"

#include <dlfcn.h>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <link.h>

namespace thunder::cuda {

std::vector<std::string> cuda_library_candidates(const char* env,
                                                 const std::vector<std::string>& sonames) {
  if (const char* path = std::getenv(env); path != nullptr && *path != 0) return {path};
  std::vector<std::string> out(sonames);
#ifdef THUNDER_NVRTC_HINT_DIRS
  std::stringstream dirs(THUNDER_NVRTC_HINT_DIRS);
  for (std::string dir; std::getline(dirs, dir, ';');) {
    if (dir.empty()) continue;
    for (const std::string& soname : sonames)
      out.push_back((std::filesystem::path(dir) / soname).string());
  }
#endif
  for (const std::string& soname : sonames) {
    if (soname.find(".so.") != std::string::npos)
      out.push_back("/usr/local/cuda/lib64/" + soname);
  }
  return out;
}

DynamicLibrary::DynamicLibrary(const std::string& what, const std::vector<std::string>& candidates,
                               const std::string& hint)
    : what_(what) {
  std::string tried;
  for (const std::string& candidate : candidates) {
    if (candidate.empty()) continue;
    handle_ = ::dlopen(candidate.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle_ != nullptr) break;
    const char* why = ::dlerror();
    tried += str(tried.empty() ? "" : ", ", candidate, " (", why != nullptr ? why : "?", ")");
  }
  if (handle_ == nullptr) {
    throw BackendError(str("cuda: ", what, " not found; tried: ", tried, ". ", hint));
  }
  link_map* map = nullptr;
  if (::dlinfo(handle_, RTLD_DI_LINKMAP, &map) == 0 && map != nullptr && map->l_name != nullptr) {
    path_ = map->l_name;
  }
}

DynamicLibrary::~DynamicLibrary() {
  // The driver and NVRTC keep threads and exit handlers of their own; unloading them
  // before process exit is unsafe, so the handle is left open on purpose.
  handle_ = nullptr;
}

void* DynamicLibrary::find(const char* name) const {
  return ::dlsym(handle_, name);
}

void* DynamicLibrary::symbol(const char* name) const {
  void* address = ::dlsym(handle_, name);
  if (address == nullptr) {
    throw BackendError(str("cuda: ", what_, " at ", path_, " has no symbol ", name,
                           " (too old a version?)"));
  }
  return address;
}

} // namespace thunder::cuda
