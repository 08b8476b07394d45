// ScopedEnv: sets or unsets an environment variable for one scope and restores it after,
// for the tests of variables the library reads (THUNDER_BACKEND, THUNDER_CACHE_DIR,
// THUNDER_VK_DEVICE, THUNDER_NVRTC_LIBRARY, ...). Header-only; every test binary uses it.
#pragma once

#include <cstdlib>
#include <optional>
#include <string>

namespace thunder::testing {

/// Sets `name` to `value` (unsets it for nullopt) until the end of the scope.
class ScopedEnv {
public:
  ScopedEnv(const char* name, const std::optional<std::string>& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      ::setenv(name, value->c_str(), 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
  std::string name_;
  std::optional<std::string> old_;
};

} // namespace thunder::testing
