// Files the GPU backends keep: generated sources saved for a person to read after a
// compile failure, and compiled kernels kept between runs. One place decides where they
// go ($THUNDER_CACHE_DIR/<backend>, else <temp>/thunder-<backend>) and how they are named
// (a stable hash of what they were made from).
#pragma once

#include <optional>
#include <string>

namespace thunder {

/// Stable 64-bit FNV-1a hash of `text`, as 16 hex digits (cache keys, file names).
std::string stable_hash(const std::string& text);

/// $THUNDER_CACHE_DIR/<backend> when the variable is set, else <temp>/thunder-<backend>.
std::string cache_directory(const std::string& backend);

/// Writes `contents` to `<dir>/<file_name>` (dir: `dir` if given, else
/// cache_directory(backend)), creating the directory, through a temporary file renamed into
/// place so a concurrent reader never sees half a file. Returns the path. BackendError,
/// naming the path and THUNDER_CACHE_DIR, when it cannot be written.
std::string save_cache_file(const std::string& backend, const std::string& file_name,
                            const std::string& contents, const std::string& dir = {});

/// The contents of `<dir>/<file_name>`, or nothing when there is no such readable file.
std::optional<std::string> read_cache_file(const std::string& dir, const std::string& file_name);

/// Where a backend keeps compiled kernels between runs: cache_directory(backend) when
/// THUNDER_CACHE_DIR is set, else empty (no disk cache; failing sources still go to temp).
std::string kernel_cache_directory(const std::string& backend);

/// A compiled kernel kept between runs: `<dir>/<hash>.<extension>` beside `<hash>.key`,
/// which holds the whole key text (tool versions, options, source) it was made from. The
/// image, or nothing when it is absent, empty, or was made from another key text (a hash
/// collision or a stale file is compiled afresh, never used).
std::optional<std::string> read_keyed_cache_file(const std::string& dir, const std::string& key_text,
                                                 const std::string& extension);

/// Stores `image` under `key_text` as read_keyed_cache_file reads it (image first, key last,
/// so a reader that finds the key finds the whole image). False when it cannot be written:
/// a cache that cannot be written costs time, not correctness.
bool write_keyed_cache_file(const std::string& backend, const std::string& dir,
                            const std::string& key_text, const std::string& extension,
                            const std::string& image);

} // namespace thunder
