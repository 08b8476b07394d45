// A shared library opened at run time (dlopen), closed with its owner: how the cuda
// executor reaches libcuda and NVRTC without linking them. Private to the cuda executor.
#pragma once

#include <string>
#include <vector>

namespace thunder::cuda {

/// Where a CUDA library is looked for: $`env` alone when it is set (an explicit choice is
/// not second-guessed); else each of `sonames` on the loader's path, in the directories
/// found at configure time (the CUDA toolkit's lib64, the pip wheel's lib), and in
/// /usr/local/cuda/lib64.
std::vector<std::string> cuda_library_candidates(const char* env,
                                                 const std::vector<std::string>& sonames);

class DynamicLibrary {
public:
  /// Opens the first of `candidates` (sonames or paths) that loads. On none, BackendError:
  /// "cuda: <what> not found; tried: a (reason), b (reason). <hint>".
  DynamicLibrary(const std::string& what, const std::vector<std::string>& candidates,
                 const std::string& hint);
  ~DynamicLibrary();
  DynamicLibrary(const DynamicLibrary&) = delete;
  DynamicLibrary& operator=(const DynamicLibrary&) = delete;

  /// The address of `symbol`; BackendError naming the library if it has none.
  void* symbol(const char* name) const;
  /// The address of `symbol`, or nullptr if the library has none.
  void* find(const char* name) const;
  /// Fills a function pointer from the symbol of that name.
  template <typename F>
  void bind(F*& function, const char* name) const {
    function = reinterpret_cast<F*>(symbol(name));
  }
  /// The file it was loaded from.
  const std::string& path() const { return path_; }

private:
  void* handle_ = nullptr;
  std::string what_;
  std::string path_;
};

} // namespace thunder::cuda
