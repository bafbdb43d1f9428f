// Errors at the JavaScript boundary. No C++ exception may escape a N-API callback (a
// c10::Error escaping aborts the process), so every entry point runs inside `guard`, which
// turns libtorch's errors into JavaScript Errors that name the op.
#pragma once
#include <c10/util/Exception.h>
#include <napi.h>

#include <stdexcept>
#include <string>

namespace tn {

// A failure of ours (not libtorch's): a bad handle, an unsupported value.
struct OpError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// A JavaScript value of the wrong type; becomes a TypeError.
struct ArgError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// `op: text`, without a C++ backtrace and without naming the op twice.
std::string opMessage(const char* op, std::string text);

[[noreturn]] void throwJs(Napi::Env env, const char* op, const std::exception& e, bool typeError);

template <class F>
auto guard(Napi::Env env, const char* op, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Napi::Error& e) {
    // An N-API failure inside the op (an unusable buffer, say): say which op it was.
    throw Napi::Error::New(env, opMessage(op, e.Message()));
  } catch (const ArgError& e) {
    throwJs(env, op, e, true);
  } catch (const c10::TypeError& e) {
    throwJs(env, op, e, true);
  } catch (const std::exception& e) {
    throwJs(env, op, e, false);
  }
}

}  // namespace tn
