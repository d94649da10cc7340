// Local error values (LevelDB-style): a Status is ok or carries a code and a
// human-readable message; Result<T> is a value or a non-ok Status. These never
// travel on the wire (see protocol/error_code.h for that).
#ifndef HAIL_PROTOCOL_STATUS_H_
#define HAIL_PROTOCOL_STATUS_H_

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace hail {

class Status {
 public:
  enum class Code {
    kOk,
    kNotFound,
    kAlreadyExists,
    kInvalidArgument,
    kCorruption,
    kIoError,
    kBusy,
    kPermissionDenied,
    // A write the store cannot make now (its disk is full, or writes failed
    // and it has not recovered yet); reads still work. Retry later.
    kUnavailable,
  };

  Status() = default;
  static Status Ok() { return Status(); }
  static Status NotFound(std::string m) {
    return {Code::kNotFound, std::move(m)};
  }
  static Status AlreadyExists(std::string m) {
    return {Code::kAlreadyExists, std::move(m)};
  }
  static Status InvalidArgument(std::string m) {
    return {Code::kInvalidArgument, std::move(m)};
  }
  static Status Corruption(std::string m) {
    return {Code::kCorruption, std::move(m)};
  }
  static Status IoError(std::string m) {
    return {Code::kIoError, std::move(m)};
  }
  static Status Busy(std::string m) { return {Code::kBusy, std::move(m)}; }
  static Status PermissionDenied(std::string m) {
    return {Code::kPermissionDenied, std::move(m)};
  }

  static Status Unavailable(std::string m) {
    return {Code::kUnavailable, std::move(m)};
  }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsUnavailable() const { return code_ == Code::kUnavailable; }

 private:
  Status(Code code, std::string message)
      : code_(code), message_(std::move(message)) {}

  Code code_ = Code::kOk;
  std::string message_;
};

// A T or the Status explaining why there is none.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    assert(!status_.ok());
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() {
    assert(ok());
    return *value_;
  }
  const T& value() const {
    assert(ok());
    return *value_;
  }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace hail

#endif  // HAIL_PROTOCOL_STATUS_H_
