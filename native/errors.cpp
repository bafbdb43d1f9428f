#include "errors.h"

namespace tn {

std::string opMessage(const char* op, std::string text) {
  // libtorch's what() carries a C++ backtrace, and some messages embed one; users need only the
  // message.
  const auto trace = text.find("\nException raised from");
  if (trace != std::string::npos) text.erase(trace);
  const std::string prefix = std::string(op) + ": ";
  return text.rfind(prefix, 0) == 0 ? text : prefix + text;
}

void throwJs(Napi::Env env, const char* op, const std::exception& e, bool typeError) {
  const auto* c10err = dynamic_cast<const c10::Error*>(&e);
  const std::string message = opMessage(op, c10err ? c10err->what_without_backtrace() : e.what());
  if (typeError) throw Napi::TypeError::New(env, message);
  throw Napi::Error::New(env, message);
}

}  // namespace tn
