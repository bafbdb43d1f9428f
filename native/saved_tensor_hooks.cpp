// Saved-tensor hooks (torch.autograd.graph.saved_tensors_hooks) with JavaScript pack and unpack
// functions, and the saved tensors that the non-reentrant checkpoint keeps its inputs in.
//
// libtorch asks the default autograd Engine for hooks each time an op saves a tensor for backward
// (SavedVariable's constructor calls Engine::get_default_saved_variable_hooks). The base Engine
// answers none; Python installs an Engine of its own that answers its hooks stack. So does the
// addon (engine.cpp), with what jsSavedVariableHooks() here answers: the JavaScript thread's
// stack. An empty stack answers nullptr at once, so an op that saves tensors pays one
// thread-local read.
//
// The JavaScript side (lib/torch/autograd/graph.ts) keeps the pack/unpack pairs and what pack
// returned: here a pair is a number (its id on the stack) and a packed value a record id. One
// JavaScript function, the dispatcher, runs both kinds of call; a record whose saved tensor
// autograd freed is queued as dead, and JavaScript drops it (and frees the tensors it owns) the
// next time it runs a hook or pushes one, whatever the thread that freed it.
//
// Threads. Pack runs where the op runs: ops are called from JavaScript, and the stack is per
// thread, so a saved tensor made on another thread (a CUDA device thread in a double backward)
// gets no hooks. Unpack runs in backward: for CPU tensors on the thread that called backward,
// the JavaScript thread; on a CUDA device thread it is handed to that JavaScript thread, which
// serves the backward meanwhile (engine.cpp).
//
// Handles. An op holds references into the handle table while it runs, and a pack hook runs in
// the middle of the op and makes tensors: the table keeps its slots where they are as it grows
// (handles.h).
#include <ATen/ATen.h>
#include <ATen/SavedTensorHooks.h>
#include <torch/csrc/autograd/engine.h>
#include <torch/csrc/autograd/graph_task.h>
#include <torch/csrc/autograd/saved_variable.h>
#include <torch/csrc/autograd/saved_variable_hooks.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "args.h"
#include "custom_function.h"
#include "engine.h"

namespace tn {

namespace {

using torch::autograd::SavedVariable;
using torch::autograd::SavedVariableHooks;

constexpr double kPack = 0;
constexpr double kUnpack = 1;

// One JavaScript thread's hooks: its stack of pair ids, its dispatcher, its dead records.
struct HookEnv {
  napi_env env = nullptr;
  napi_ref dispatcher = nullptr;
  std::thread::id thread;
  std::atomic<bool> alive{true};
  std::vector<double> stack;
  std::mutex deadMutex;
  std::vector<double> dead;
  // What the unpack call in progress handed back (savedTensorsUnpacked).
  at::Tensor unpacked;
  // The checkpoint's saved inputs, by id.
  std::unordered_map<double, std::unique_ptr<SavedVariable>> saved;
  double nextSaved = 1;

  bool here() const { return alive.load() && std::this_thread::get_id() == thread; }

  void died(double record) {
    if (!alive.load()) return;
    const std::lock_guard<std::mutex> lock(deadMutex);
    dead.push_back(record);
  }
};

thread_local std::shared_ptr<HookEnv> currentEnv;

HookEnv& hookEnv() {
  if (!currentEnv) throw OpError("the addon is not initialised on this thread");
  return *currentEnv;
}

// dispatcher(kind, id, tensor handle | null) -> a record id (pack). A JavaScript exception becomes
// a c10::Error carrying its message (and is kept for the engine call to rethrow).
double callDispatcher(HookEnv& e, double kind, double id, const at::Tensor* tensor, const char* what) {
  Napi::Env env(e.env);
  Napi::HandleScope scope(env);
  std::string message;
  double out = 0;
  try {
    napi_value fn;
    NAPI_THROW_IF_FAILED(env, napi_get_reference_value(env, e.dispatcher, &fn), 0);
    Napi::Value h = tensor ? Napi::Value(Napi::Number::New(env, handles().put(*tensor))) : env.Null();
    const Napi::Value r = Napi::Function(env, fn).Call({Napi::Number::New(env, kind), Napi::Number::New(env, id), h});
    if (r.IsNumber()) out = r.As<Napi::Number>().DoubleValue();
  } catch (const Napi::Error& err) {
    message = err.Message();
    if (message.empty()) message = "JavaScript threw";
    setPendingJsError(err, message);
  }
  TORCH_CHECK(message.empty(), what, ": ", message);
  return out;
}

// The hooks of one saved tensor: the pair that was on top of the stack when it was saved, and the
// record of what its pack returned.
class JsSavedHooks final : public SavedVariableHooks {
 public:
  JsSavedHooks(std::shared_ptr<HookEnv> env, double pair) : env_(std::move(env)), pair_(pair) {}
  JsSavedHooks(const JsSavedHooks&) = delete;
  JsSavedHooks& operator=(const JsSavedHooks&) = delete;

  ~JsSavedHooks() override {
    if (record_ > 0) env_->died(record_);
  }

  void call_pack_hook(const at::Tensor& tensor) override {
    TORCH_CHECK(env_->here(), "saved tensor pack hook: JavaScript hooks run only on their JavaScript thread");
    record_ = callDispatcher(*env_, kPack, pair_, &tensor, "saved tensor pack hook");
    TORCH_CHECK(record_ > 0, "saved tensor pack hook: the hook's result was not recorded");
  }

  at::Tensor call_unpack_hook() override {
    if (!env_->here()) {
      // A CUDA device thread unpacks in backward: the hook runs on its JavaScript thread.
      at::Tensor out;
      runForBackwardCaller([&] { out = call_unpack_hook(); }, "saved tensor unpack hook");
      return out;
    }
    env_->unpacked = at::Tensor();
    callDispatcher(*env_, kUnpack, record_, nullptr, "saved tensor unpack hook");
    at::Tensor out = std::move(env_->unpacked);
    env_->unpacked = at::Tensor();
    TORCH_CHECK(out.defined(), "saved tensor unpack hook: the hook handed back no tensor");
    return out;
  }

 private:
  std::shared_ptr<HookEnv> env_;
  double pair_;
  double record_ = 0;
};

// savedTensorsHooksInstall(dispatcher): this thread's dispatcher (once, from graph.ts).
Napi::Value install(const Napi::CallbackInfo& info) {
  const Args a(info, "savedTensorsHooks");
  return run(a, [&]() -> Napi::Value {
    if (!info[0].IsFunction()) a.typeError(0, "dispatcher", "a function");
    HookEnv& e = hookEnv();
    if (e.dispatcher != nullptr) napi_delete_reference(e.env, e.dispatcher);
    NAPI_THROW_IF_FAILED(e.env, napi_create_reference(e.env, info[0], 1, &e.dispatcher), a.none());
    return a.none();
  });
}

// savedTensorsHooksPush(pairId): refused, with the message given, while hooks are disabled.
Napi::Value push(const Napi::CallbackInfo& info) {
  const Args a(info, "savedTensorsHooks");
  return run(a, [&]() -> Napi::Value {
    const auto& disabled = at::SavedTensorDefaultHooks::get_disabled_error_message();
    if (disabled) throw std::runtime_error(*disabled);
    HookEnv& e = hookEnv();
    TORCH_CHECK(e.dispatcher != nullptr, "saved tensor hooks are not installed");
    e.stack.push_back(a.float64(0, "pairId"));
    return a.none();
  });
}

Napi::Value pop(const Napi::CallbackInfo& info) {
  const Args a(info, "savedTensorsHooks");
  return run(a, [&]() -> Napi::Value {
    HookEnv& e = hookEnv();
    TORCH_CHECK(!e.stack.empty(), "no saved tensor hooks to pop");
    e.stack.pop_back();
    return a.none();
  });
}

// savedTensorsHooksDisable(message): as Python's, an error (with that message) while hooks are
// pushed. libtorch keeps the message in its own thread-local state (at::SavedTensorDefaultHooks),
// which it carries to the threads it hands work to.
Napi::Value disable(const Napi::CallbackInfo& info) {
  const Args a(info, "disableSavedTensorsHooks");
  return run(a, [&]() -> Napi::Value {
    const std::string message = a.string(0, "message");
    if (!hookEnv().stack.empty()) throw std::runtime_error(message);
    at::SavedTensorDefaultHooks::disable(message);
    return a.none();
  });
}

Napi::Value enable(const Napi::CallbackInfo& info) {
  const Args a(info, "disableSavedTensorsHooks");
  return run(a, [&]() -> Napi::Value {
    at::SavedTensorDefaultHooks::enable();
    return a.none();
  });
}

// The message hooks are disabled with, or null when they are enabled.
Napi::Value disabledMessage(const Napi::CallbackInfo& info) {
  const auto& m = at::SavedTensorDefaultHooks::get_disabled_error_message();
  return m ? Napi::Value(Napi::String::New(info.Env(), *m)) : info.Env().Null();
}

// savedTensorsUnpacked(handle): what the unpack call in progress hands back.
Napi::Value unpacked(const Napi::CallbackInfo& info) {
  const Args a(info, "savedTensorsHooks");
  return run(a, [&]() -> Napi::Value {
    hookEnv().unpacked = a.tensor(0, "tensor");
    return a.none();
  });
}

// The records whose saved tensors autograd freed since the last call.
Napi::Value takeDead(const Napi::CallbackInfo& info) {
  const Args a(info, "savedTensorsHooks");
  return run(a, [&]() -> Napi::Value {
    HookEnv& e = hookEnv();
    std::vector<double> ids;
    {
      const std::lock_guard<std::mutex> lock(e.deadMutex);
      ids.swap(e.dead);
    }
    auto out = Napi::Array::New(a.env(), ids.size());
    for (uint32_t k = 0; k < ids.size(); k++) out[k] = Napi::Number::New(a.env(), ids[k]);
    return out;
  });
}

// savedTensorMake(tensor) -> id: saves `tensor` as an op saves its input (the hooks on top of the
// stack pack it), for savedTensorUnpack(id) to give back; savedTensorFree(id) drops it.
Napi::Value savedMake(const Napi::CallbackInfo& info) {
  const Args a(info, "checkpoint");
  return run(a, [&]() -> Napi::Value {
    HookEnv& e = hookEnv();
    const at::Tensor t = a.tensor(0, "tensor");
    auto sv = std::make_unique<SavedVariable>(t, false);
    const double id = e.nextSaved++;
    e.saved.emplace(id, std::move(sv));
    return Napi::Number::New(a.env(), id);
  });
}

Napi::Value savedUnpack(const Napi::CallbackInfo& info) {
  const Args a(info, "checkpoint");
  return run(a, [&]() -> Napi::Value {
    HookEnv& e = hookEnv();
    const auto it = e.saved.find(a.float64(0, "id"));
    TORCH_CHECK(it != e.saved.end(), "checkpoint: the saved input was freed");
    return a.ret(it->second->unpack());
  });
}

Napi::Value savedFree(const Napi::CallbackInfo& info) {
  const Args a(info, "checkpoint");
  return run(a, [&]() -> Napi::Value {
    HookEnv& e = hookEnv();
    const auto it = e.saved.find(a.float64(0, "id"));
    if (it != e.saved.end()) {
      const std::unique_ptr<SavedVariable> sv = std::move(it->second);
      e.saved.erase(it);
    }
    return a.none();
  });
}

// The id of the backward call running on this thread (-1 outside backward), as Python's
// torch._C._current_graph_task_id.
Napi::Value graphTaskId(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), torch::autograd::get_current_graph_task_id());
}

}  // namespace

std::unique_ptr<SavedVariableHooks> jsSavedVariableHooks() {
  HookEnv* e = currentEnv.get();
  if (e == nullptr || e->stack.empty()) return nullptr;
  return std::make_unique<JsSavedHooks>(currentEnv, e->stack.back());
}

void registerSavedTensorHooks(Napi::Env env, Napi::Object exports) {
  installEngine();
  auto e = std::make_shared<HookEnv>();
  e->env = env;
  e->thread = std::this_thread::get_id();
  currentEnv = e;
  env.AddCleanupHook([e] {
    // The environment takes its references along; hooks still held by graphs see it dead.
    e->alive.store(false);
    e->saved.clear();
    e->unpacked = at::Tensor();
    if (currentEnv == e) currentEnv.reset();
  });
  const std::pair<const char*, Napi::Function::Callback> fns[] = {
      {"savedTensorsHooksInstall", install}, {"savedTensorsHooksPush", push},
      {"savedTensorsHooksPop", pop},         {"savedTensorsHooksDisable", disable},
      {"savedTensorsHooksEnable", enable},   {"savedTensorsHooksDisabledMessage", disabledMessage},
      {"savedTensorsUnpacked", unpacked},    {"savedTensorsTakeDead", takeDead},
      {"savedTensorMake", savedMake},        {"savedTensorUnpack", savedUnpack},
      {"savedTensorFree", savedFree},        {"currentGraphTaskId", graphTaskId},
  };
  for (const auto& [name, fn] : fns) exports.Set(name, Napi::Function::New(env, fn, name));
}

}  // namespace tn
