#pragma once
#include <cerrno>
#include <string>
#include <utility>
#include <variant>

namespace fifogate {

// A failure with the action, the object and the reason:
// "open /run/fifogate/in for write: ENXIO (no worker)".
struct Error {
  int code = 0;        // errno value, or 0 for non-system failures
  std::string context; // action and object
  std::string detail;  // optional hint for humans

  std::string message() const;
  static Error sys(std::string context, int err = errno, std::string detail = {}) {
    return Error{err, std::move(context), std::move(detail)};
  }
  static Error logic(std::string context) { return Error{0, std::move(context), {}}; }
};

// Symbolic errno name ("ENXIO"), falling back to the number.
std::string errno_name(int err);

template <class T> class [[nodiscard]] Result {
public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error e) : v_(std::move(e)) {}
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T &value() { return std::get<0>(v_); }
  const T &value() const { return std::get<0>(v_); }
  T &operator*() { return value(); }
  T *operator->() { return &value(); }
  const Error &error() const { return std::get<1>(v_); }

private:
  std::variant<T, Error> v_;
};

template <> class [[nodiscard]] Result<void> {
public:
  Result() = default;
  Result(Error e) : err_(std::move(e)), ok_(false) {}
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error &error() const { return err_; }

private:
  Error err_;
  bool ok_ = true;
};

} // namespace fifogate
