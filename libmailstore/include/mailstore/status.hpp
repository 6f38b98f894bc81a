// Status and Result: how libmailstore reports failure. No exception crosses the
// public API; a function that can fail returns one of these instead.
#pragma once

#include <mailstore/export.hpp>

#include <optional>
#include <string>
#include <utility>

namespace mailstore {

// A success, or a failure with a code and a message meant for a human (it
// names the thing that failed and, where possible, where: "file:line: ...").
class Status {
public:
    enum class Code {
        ok = 0,
        invalid_argument, // bad input from the caller or a config file
        not_found,        // the named thing does not exist
        io_error,         // a system call failed
        permission_denied,
        already_exists,
        temporary_failure, // try again later (a locked file, an unreachable server)
        internal,          // a bug or an unexpected state
        not_supported,     // a valid request for something not implemented (an unknown SEARCH CHARSET)
    };

    Status() = default;
    static Status ok() { return {}; }
    static Status error(Code code, std::string message) { return Status(code, std::move(message)); }
    static Status invalid(std::string message) { return error(Code::invalid_argument, std::move(message)); }
    static Status not_found(std::string message) { return error(Code::not_found, std::move(message)); }
    static Status io(std::string message) { return error(Code::io_error, std::move(message)); }

    bool is_ok() const { return code_ == Code::ok; }
    explicit operator bool() const { return is_ok(); }
    Code code() const { return code_; }
    const std::string& message() const { return message_; }

private:
    Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
    Code code_ = Code::ok;
    std::string message_;
};

// A value or the Status explaining why there is none.
template <typename T>
class Result {
public:
    Result(T value) : value_(std::move(value)) {}
    Result(Status status) : status_(std::move(status)) {}

    bool is_ok() const { return value_.has_value(); }
    explicit operator bool() const { return is_ok(); }
    const Status& status() const { return status_; }

    T& value() & { return *value_; }
    const T& value() const& { return *value_; }
    T&& value() && { return std::move(*value_); }
    T* operator->() { return &*value_; }
    const T* operator->() const { return &*value_; }
    T& operator*() & { return *value_; }
    const T& operator*() const& { return *value_; }

private:
    std::optional<T> value_;
    Status status_;
};

} // namespace mailstore
