// Result<T>: the return type of everything on the data path that can fail on untrusted input.
// g++ 12 ships std::expected only with -std=c++23, so this is the small subset we need.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace exaproxy {

// An error with a machine-usable code (module specific; often an HTTP status) and a message for logs.
struct Error {
  int code = 0;
  std::string message;
};

template <typename T> class [[nodiscard]] Result {
public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

private:
  std::variant<T, Error> v_;
};

// Result<void> equivalent.
struct Ok {};
using Status = Result<Ok>;

inline Error makeError(int code, std::string message) { return Error{code, std::move(message)}; }

} // namespace exaproxy
