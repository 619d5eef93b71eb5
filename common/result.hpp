// Result<T>: the value of an operation or an Error with a stable snake_case code and a kind.
// Policy: not-found is a value (std::optional or a status enum), a failure is an Error;
// no exceptions on the data plane. Codes are the ones that reach clients in
// {"error":{"code","message"}} bodies, so never rename one. The kind is set where the
// error is made and says what sort of failure it is (a bad input, a conflict, a storage
// fault…); the HTTP layer maps kinds to statuses in one place (http::status_of), and the
// audited write records refusals and faults apart by kind — nobody re-derives meaning
// from the code text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace trustmon {

enum class ErrorKind : std::uint8_t {
  invalid,          // the input is malformed or breaks a rule of the request (400)
  unauthenticated,  // no credential or an unknown one (401)
  forbidden,        // the caller may not do this (403)
  not_found,        // the thing named does not exist (404)
  conflict,         // the state does not allow it: taken, already done, wrong transition (409)
  too_large,        // the input is over a cap (413)
  unsupported,      // a media type or form this endpoint does not take (415)
  unprocessable,    // well-formed, but fails a content check (422)
  rate_limited,     // too many requests now; try later (429)
  unavailable,      // transient: shutting down, store full, a key not loaded (503)
  storage,          // the store failed; the operation did not happen (500)
  internal,         // a fault of the server itself (500)
  gone,             // it existed and is over: an expired one-time challenge or link (410)
};

// "invalid", "not_found", …: the kind's name where it appears in JSON.
const char* error_kind_name(ErrorKind kind) noexcept;

struct Error {
  std::string code;     // stable, snake_case, e.g. "issuer_unknown"
  std::string message;  // for humans; never holds secrets
  ErrorKind kind = ErrorKind::internal;

  // A refusal of the caller's request (not a fault of the server or its store).
  bool is_refusal() const noexcept { return kind != ErrorKind::storage && kind != ErrorKind::internal; }
  // The store failed (including a full map or too many readers).
  bool is_storage_fault() const noexcept { return kind == ErrorKind::storage; }
};

inline Error make_error(ErrorKind kind, std::string code, std::string message) {
  return Error{std::move(code), std::move(message), kind};
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}            // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}        // NOLINT(google-explicit-constructor)

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)

  bool ok() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  const Error& error() const& { return error_; }
  Error&& error() && { return std::move(error_); }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace trustmon
