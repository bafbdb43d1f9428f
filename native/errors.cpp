#include "errors.h"

namespace tn {

void throwJs(Napi::Env env, const char* op, const std::exception& e, bool typeError) {
  // libtorch's what() carries a C++ backtrace; users need only the message.
  const auto* c10err = dynamic_cast<const c10::Error*>(&e);
  std::string message = std::string(op) + ": " + (c10err ? c10err->what_without_backtrace() : e.what());
  if (typeError) throw Napi::TypeError::New(env, message);
  throw Napi::Error::New(env, message);
}

}  // namespace tn
