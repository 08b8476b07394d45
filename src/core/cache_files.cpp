#include "thunder/core/cache_files.h"

#include "thunder/core/error.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <unistd.h>

namespace thunder {

std::string stable_hash(const std::string& text) {
  std::uint64_t h = 14695981039346656037ULL;
  for (const unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string cache_directory(const std::string& backend) {
  namespace fs = std::filesystem;
  if (const char* cache = std::getenv("THUNDER_CACHE_DIR"); cache != nullptr && *cache != 0) {
    return (fs::path(cache) / backend).string();
  }
  return (fs::temp_directory_path() / ("thunder-" + backend)).string();
}

std::string save_cache_file(const std::string& backend, const std::string& file_name,
                            const std::string& contents, const std::string& dir) {
  namespace fs = std::filesystem;
  const fs::path directory = dir.empty() ? fs::path(cache_directory(backend)) : fs::path(dir);
  std::error_code ec;
  fs::create_directories(directory, ec);
  const fs::path path = directory / file_name;
  const fs::path temporary = directory / str(".", file_name, ".", ::getpid(), ".tmp");
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << contents;
    out.close();
    if (!out) ec = std::make_error_code(std::errc::io_error);
  }
  if (!ec) fs::rename(temporary, path, ec);
  if (ec) {
    fs::remove(temporary, ec);
    throw BackendError(str(backend, ": cannot write '", path.string(),
                           "' (set THUNDER_CACHE_DIR to a writable directory)"));
  }
  return path.string();
}

std::optional<std::string> read_cache_file(const std::string& dir, const std::string& file_name) {
  std::ifstream in(std::filesystem::path(dir) / file_name, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream contents;
  contents << in.rdbuf();
  if (!in && !in.eof()) return std::nullopt;
  return contents.str();
}

std::string kernel_cache_directory(const std::string& backend) {
  const char* cache = std::getenv("THUNDER_CACHE_DIR");
  return cache != nullptr && *cache != 0 ? cache_directory(backend) : std::string();
}

std::optional<std::string> read_keyed_cache_file(const std::string& dir, const std::string& key_text,
                                                 const std::string& extension) {
  if (dir.empty()) return std::nullopt;
  const std::string hash = stable_hash(key_text);
  if (read_cache_file(dir, hash + ".key") != key_text) return std::nullopt;
  std::optional<std::string> image = read_cache_file(dir, hash + "." + extension);
  if (!image || image->empty()) return std::nullopt;
  return image;
}

bool write_keyed_cache_file(const std::string& backend, const std::string& dir,
                            const std::string& key_text, const std::string& extension,
                            const std::string& image) {
  if (dir.empty()) return false;
  const std::string hash = stable_hash(key_text);
  try {
    save_cache_file(backend, hash + "." + extension, image, dir);
    save_cache_file(backend, hash + ".key", key_text, dir);
    return true;
  } catch (const BackendError&) {
    return false;
  }
}

} // namespace thunder
