// Status and Result<T>: the one error vocabulary of Orcastra.
//
// Every fallible call returns a Status (no value) or a Result<T> (a value or a Status). Third-party
// exceptions (yaml-cpp, msgpack, zmq) are caught at the adapter that calls the library and turned
// into a Status whose message names where the problem is (file:line, peer, field). No exception
// crosses a module boundary.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace orcastra {

class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk,
    kInvalidArgument,  // the caller's input is wrong (usage, config value)
    kNotFound,         // file, container, node, ... does not exist
    kParseError,       // malformed data from outside (a /proc file, JSON, MessagePack, YAML)
    kIoError,          // a read/write/socket call failed
    kUnavailable,      // the peer (Docker daemon, leader) cannot be reached now; retry later
    kConflict,         // the object changed under us (stale version)
    kAborted,  // refused because our authority is stale (the lease is lost, a newer fencing term
               // wrote); retrying as is cannot succeed
    kTimeout,
    kUnsupported,       // a version or feature we do not speak
    kPermissionDenied,  // the peer is known but may not do this (role, node identity, key)
    kInternal,          // a bug or an unexpected answer
  };

  Status() = default;
  static Status Ok() { return {}; }
  static Status InvalidArgument(std::string msg) {
    return {Code::kInvalidArgument, std::move(msg)};
  }
  static Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status ParseError(std::string msg) { return {Code::kParseError, std::move(msg)}; }
  static Status IoError(std::string msg) { return {Code::kIoError, std::move(msg)}; }
  static Status Unavailable(std::string msg) { return {Code::kUnavailable, std::move(msg)}; }
  static Status Conflict(std::string msg) { return {Code::kConflict, std::move(msg)}; }
  static Status Aborted(std::string msg) { return {Code::kAborted, std::move(msg)}; }
  static Status Timeout(std::string msg) { return {Code::kTimeout, std::move(msg)}; }
  static Status Unsupported(std::string msg) { return {Code::kUnsupported, std::move(msg)}; }
  static Status PermissionDenied(std::string msg) {
    return {Code::kPermissionDenied, std::move(msg)};
  }
  static Status Internal(std::string msg) { return {Code::kInternal, std::move(msg)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // "parse error: /proc/meminfo:3: ..." ; "ok" for success.
  std::string ToString() const;

  // Returns a copy whose message is prefixed by `context` ("reading node report: <message>").
  Status WithContext(std::string_view context) const;
  // Returns a copy with `message` instead (an error stays the same kind of error).
  Status WithMessage(std::string message) const;

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}

  Code code_ = Code::kOk;
  std::string message_;
};

std::string_view CodeName(Status::Code code);

// A value of type T or the Status that explains why there is none. Holding an ok Status is a bug.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::move(value)) {}        // NOLINT(google-explicit-constructor)
  Result(Status status) : data_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(data_).ok() && "Result built from an ok Status");
  }

  bool ok() const { return std::holds_alternative<T>(data_); }
  // The error; Status::Ok() when there is a value.
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(data_); }

  T& value() & { return std::get<T>(data_); }
  const T& value() const& { return std::get<T>(data_); }
  T&& value() && { return std::get<T>(std::move(data_)); }
  T value_or(T fallback) const& { return ok() ? std::get<T>(data_) : std::move(fallback); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> data_;
};

}  // namespace orcastra

// Returns the Status of `expr` from the enclosing function when it is not ok.
#define ORC_RETURN_IF_ERROR(expr)              \
  do {                                         \
    ::orcastra::Status orc_status_ = (expr);   \
    if (!orc_status_.ok()) return orc_status_; \
  } while (false)
