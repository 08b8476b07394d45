// Errors of thunder-cpp. Two kinds, never mixed: thunder::Error and its subclasses are
// for users and the environment (bad arguments, unsupported ops, missing devices); they
// carry a message that names the op, shapes and what to do. A broken invariant inside
// the library is a bug: THUNDER_INTERNAL_ASSERT throws InternalError with file and line.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace thunder {

/// Concatenates anything printable with operator<< into one string.
template <typename... Ts>
std::string str(Ts&&... parts) {
  std::ostringstream os;
  (os << ... << std::forward<Ts>(parts));
  return os.str();
}

/// Base of every error a user can cause and fix (bad input, unsupported op, no device).
class Error : public std::runtime_error {
public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

/// An argument has the wrong type, shape, dtype or value.
class ArgumentError : public Error {
public:
  using Error::Error;
};

/// The request is valid but the library does not (yet) support it.
class UnsupportedError : public Error {
public:
  using Error::Error;
};

/// A backend, device, driver or library the request needs is not available.
class BackendError : public Error {
public:
  using Error::Error;
};

/// A generated or hand-written GPU kernel failed to compile or validate; the message
/// carries the compiler log and the path its source was saved to.
class ShaderError : public BackendError {
public:
  using BackendError::BackendError;
};

/// A malformed model: a model file or program with missing or inconsistent parts.
class ModelError : public Error {
public:
  using Error::Error;
};

/// A bug in thunder-cpp: an internal invariant does not hold. Not derived from Error, so
/// code that handles user errors never swallows it.
class InternalError : public std::logic_error {
public:
  explicit InternalError(const std::string& message) : std::logic_error(message) {}
};

namespace detail {

class AssertMessage {
public:
  AssertMessage(const char* file, int line, const char* condition) {
    os_ << "thunder internal error at " << file << ":" << line << ": check `" << condition
        << "` failed. This is a bug in thunder-cpp; please report it. ";
  }
  template <typename T>
  AssertMessage& operator<<(const T& part) {
    os_ << part;
    return *this;
  }
  std::string message() const { return os_.str(); }

private:
  std::ostringstream os_;
};

struct AssertThrower {
  // operator& binds looser than <<, so the whole message is streamed before this runs.
  [[noreturn]] void operator&(const AssertMessage& message) const {
    throw InternalError(message.message());
  }
};

} // namespace detail
} // namespace thunder

/// Checks an invariant of the library; on failure throws thunder::InternalError with the
/// file, line, condition and whatever is streamed after the macro.
// The if/else form (not a loop) keeps the macro a single statement that compilers do not
// flag, and an `else` after it binds to the caller's `if`.
#define THUNDER_INTERNAL_ASSERT(cond)                                                              \
  if (cond) {                                                                                      \
  } else                                                                                           \
    ::thunder::detail::AssertThrower() & ::thunder::detail::AssertMessage(__FILE__, __LINE__, #cond)
