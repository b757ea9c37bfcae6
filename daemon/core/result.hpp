// Result of a core operation: a value or an operator-readable error ("file:line: what; how to fix").
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace chu {

// What kind of failure, for the exit status it gives: a restart helps only a runtime one.
enum class ErrorKind {
    runtime,  // may pass: systemd restarts the daemon (exit 1)
    config,   // the configuration or the inputs agreed at join are wrong: no restart (exit 78)
    data,     // the journal is damaged: no restart (exit 65)
};

struct Error {
    std::string message;
    ErrorKind kind = ErrorKind::runtime;
};

template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}
    Result(Error error) : v_(std::move(error)) {}

    explicit operator bool() const { return v_.index() == 0; }
    T& value() { return std::get<0>(v_); }
    const T& value() const { return std::get<0>(v_); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    const Error& error() const { return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

// For operations that only succeed or fail.
struct Ok {};
using Status = Result<Ok>;

inline Error error_at(const std::string& file, int line, const std::string& what)
{
    return Error{file + ":" + std::to_string(line) + ": " + what};
}

}  // namespace chu
