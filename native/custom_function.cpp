// Autograd calling back into JavaScript: custom autograd Functions (torch.autograd.Function) and
// tensor hooks (tensor.registerHook).
//
// A custom Function is a graph node of ours (JsNode), wired as PyTorch wires its PyNode
// (torch/csrc/autograd/python_function.cpp): the forward runs in JavaScript with grad mode off,
// then `functionRecord` collects the next edges of the tensor inputs, lets libtorch's
// `_wrap_outputs` set the outputs' history (non-differentiable outputs, inputs modified in place,
// inputs returned as they are), and saves the tensors for backward as SavedVariables (so that a
// tensor modified in place afterwards fails with PyTorch's version-counter error, and the saved
// tensors live exactly as long as the graph needs them).
//
// Threads. For CPU tensors the engine runs backward nodes on the thread that called backward():
// the JavaScript thread, inside that call, so apply() calls the JavaScript backward directly.
// For CUDA tensors a device thread runs them: apply() and hooks then hand the call to the
// JavaScript thread, which serves the backward's queue meanwhile, and wait (engine.cpp).
// JavaScript references held by a node or a hook are released on their own thread; one dropped
// elsewhere is queued, and freed the next time that thread enters the engine or records a
// Function. Once the environment is torn down (worker exit), references are left to it.
//
// Results. The JavaScript side runs the user's backward (or hook) in a torch.scope and hands the
// gradients over with `functionSetGrads` before the scope ends, so that every tensor made in the
// backward, its results included, is freed when it returns: libtorch holds its own references.
#include "custom_function.h"

#include <ATen/ATen.h>
#include <c10/core/DeviceGuard.h>
#include <c10/core/GradMode.h>
#include <torch/csrc/autograd/custom_function.h>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/saved_variable.h>
#include <torch/csrc/autograd/variable.h>
#include <torch/csrc/autograd/variable_info.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <vector>

#include "args.h"
#include "engine.h"
#include "node_ref.h"

namespace tn {

namespace {

using torch::autograd::Node;
using torch::autograd::SavedVariable;
using torch::autograd::variable_list;
using torch::autograd::VariableInfo;

class JsNode;

// _wrap_outputs (libtorch's internal step of custom Functions, which this file shares with
// PyTorch's own) changes between releases: `pure_view` came after 2.11, and 2.14 added an
// out-parameter for the node that became the outputs' history (a CopySlices for a dirty view),
// whose creation hooks the caller then fires. The form this libtorch has is the one that compiles
// (the calls depend on the template parameter, so only the chosen one is instantiated).
template <typename Inputs>
std::vector<std::optional<at::Tensor>> wrapOutputs(const Inputs& inputs,
                                                   const std::unordered_set<at::TensorImpl*>& nonDifferentiable,
                                                   const std::unordered_set<at::TensorImpl*>& dirty,
                                                   const std::vector<std::optional<at::Tensor>>& raw,
                                                   const NodeRef<Node>& cdata, const torch::autograd::_jvp_fn_t& jvp,
                                                   const torch::autograd::_view_as_self_fn_t& viewAsSelf,
                                                   NodeRef<Node>& attached, bool& reportsAttached) {
  namespace ag = torch::autograd;
  const std::unordered_set<at::TensorImpl*> none;
  if constexpr (requires {
                  ag::_wrap_outputs(inputs, nonDifferentiable, dirty, raw, cdata, jvp, none, viewAsSelf, false,
                                    attached);
                }) {
    reportsAttached = true;
    return ag::_wrap_outputs(inputs, nonDifferentiable, dirty, raw, cdata, jvp, none, viewAsSelf, false, attached);
  } else if constexpr (requires {
                         ag::_wrap_outputs(inputs, nonDifferentiable, dirty, raw, cdata, jvp, none, viewAsSelf, false);
                       }) {
    return ag::_wrap_outputs(inputs, nonDifferentiable, dirty, raw, cdata, jvp, none, viewAsSelf, false);
  } else {
    return ag::_wrap_outputs(inputs, nonDifferentiable, dirty, raw, cdata, jvp, none, viewAsSelf);
  }
}

// Where _wrap_outputs reports the node (libtorch >= 2.14, which has these hooks): fires them. A
// template, so that an older libtorch, which lacks fire_node_creation_hooks, never instantiates it.
template <typename P>
void fireCreationHooks(const P& node) {
  if constexpr (requires { fire_node_creation_hooks(node); }) {
    if (node) fire_node_creation_hooks(node);
  }
}

// One call of a JavaScript backward or hook in progress: where its gradients go.
struct Frame {
  double serial;
  JsNode* node;  // null for a hook
  std::vector<at::Tensor> results;
  bool done = false;
};

// Per JavaScript thread (the main thread, each worker).
struct EnvState {
  napi_env env;
  std::thread::id thread;
  std::atomic<bool> alive{true};
  std::mutex orphansMutex;
  std::vector<napi_ref> orphans;  // references dropped on other threads
  std::optional<Napi::Error> pending;
  std::string pendingMessage;
  std::vector<Frame*> frames;
  double nextSerial = 1;

  bool here() const { return alive.load() && std::this_thread::get_id() == thread; }

  void releaseOrphans() {
    std::vector<napi_ref> refs;
    {
      std::lock_guard<std::mutex> lock(orphansMutex);
      refs.swap(orphans);
    }
    for (napi_ref r : refs) napi_delete_reference(env, r);
  }
};

thread_local std::shared_ptr<EnvState> currentState;

EnvState& state() {
  if (!currentState) throw OpError("the addon is not initialised on this thread");
  return *currentState;
}

// A persistent reference to a JavaScript function, released on the thread that made it.
class JsFunction {
 public:
  JsFunction(std::shared_ptr<EnvState> state, Napi::Function fn) : state_(std::move(state)) {
    NAPI_THROW_IF_FAILED_VOID(state_->env, napi_create_reference(state_->env, fn, 1, &ref_));
  }
  JsFunction(const JsFunction&) = delete;
  JsFunction& operator=(const JsFunction&) = delete;
  ~JsFunction() {
    if (!ref_ || !state_->alive.load()) return;  // a torn-down environment took its references along
    if (std::this_thread::get_id() == state_->thread) {
      napi_delete_reference(state_->env, ref_);
    } else {
      std::lock_guard<std::mutex> lock(state_->orphansMutex);
      state_->orphans.push_back(ref_);
    }
  }

  EnvState& state() const { return *state_; }
  Napi::Function value() const {
    napi_value v;
    NAPI_THROW_IF_FAILED(state_->env, napi_get_reference_value(state_->env, ref_, &v), Napi::Function());
    return Napi::Function(state_->env, v);
  }

 private:
  std::shared_ptr<EnvState> state_;
  napi_ref ref_ = nullptr;
};

// Calls `fn(handles, serial)` on the JavaScript thread; `fn` hands its results back through
// functionSetGrads(serial, ...) before returning. A JavaScript exception becomes a c10::Error
// (carrying its message through the engine) and is kept for the entry point to rethrow.
std::vector<at::Tensor> callJs(const JsFunction& fn, const std::string& what, const variable_list& args, JsNode* node) {
  EnvState& st = fn.state();
  Napi::Env env(st.env);
  Napi::HandleScope scope(env);
  Frame frame{st.nextSerial++, node, {}, false};
  st.frames.push_back(&frame);
  struct Pop {
    EnvState& st;
    ~Pop() { st.frames.pop_back(); }
  } pop{st};
  std::string message;
  try {
    auto list = Napi::Array::New(env, args.size());
    for (uint32_t k = 0; k < args.size(); k++) {
      list[k] = args[k].defined() ? Napi::Number::New(env, handles().put(args[k])) : env.Null();
    }
    fn.value().Call({list, Napi::Number::New(env, frame.serial)});
  } catch (const Napi::Error& e) {
    message = e.Message();
    if (message.empty()) message = "JavaScript threw";  // a thrown non-Error, or termination
    st.pending = e;
    st.pendingMessage = message;
  }
  TORCH_CHECK(message.empty(), what, ": ", message);
  TORCH_CHECK(frame.done, what, ": the JavaScript callback returned no gradients");
  return std::move(frame.results);
}

// A torch.autograd.Function's node in the graph: apply() runs the JavaScript backward.
class JsNode final : public Node {
 public:
  std::string name_;
  std::unique_ptr<JsFunction> backward_;
  // Per forward output: what a missing gradient materializes as (none for a non-tensor output).
  std::vector<std::optional<VariableInfo>> outputInfo_;
  size_t numTensorInputs_ = 0;
  bool materializeGrads_ = true;

  std::string name() const override { return name_; }

  void save(std::vector<SavedVariable> saved) {
    std::lock_guard<std::mutex> lock(savedMutex_);
    saved_ = std::move(saved);
  }

  std::vector<at::Tensor> savedTensors() {
    std::lock_guard<std::mutex> lock(savedMutex_);
    TORCH_CHECK(!freed_, torch::autograd::ERR_BACKWARD_TWICE);
    std::vector<at::Tensor> out;
    out.reserve(saved_.size());
    for (const auto& s : saved_) out.push_back(s.unpack(getptr()));
    return out;
  }

  void release_variables() override {
    std::lock_guard<std::mutex> lock(savedMutex_);
    saved_.clear();
    freed_ = true;
  }

  variable_list apply(variable_list&& grads) override {
    TORCH_CHECK(backward_, "torch.autograd.Function ", name_, ": its backward was released");
    if (!backward_->state().here()) {
      // A CUDA device thread runs this node: the backward runs on its JavaScript thread.
      variable_list out;
      runForBackwardCaller([&] { out = apply(std::move(grads)); }, name_.c_str());
      return out;
    }
    at::OptionalDeviceGuard deviceGuard;
    for (size_t i = 0; i < grads.size(); i++) {
      if (!grads[i].defined() && materializeGrads_ && i < outputInfo_.size() && outputInfo_[i]) {
        grads[i] = outputInfo_[i]->zeros(deviceGuard);
      }
    }
    auto results = callJs(*backward_, name_, grads, this);
    TORCH_CHECK(results.size() == numTensorInputs_, "function ", name_,
                " returned an incorrect number of gradients (expected ", numTensorInputs_, ", got ", results.size(),
                ")");
    return results;
  }

 private:
  std::mutex savedMutex_;
  std::vector<SavedVariable> saved_;
  bool freed_ = false;
};

Frame& findFrame(const Args& a, size_t i) {
  const double serial = a.float64(i, "serial");
  auto& frames = state().frames;
  for (auto it = frames.rbegin(); it != frames.rend(); ++it) {
    if ((*it)->serial == serial) return **it;
  }
  throw OpError("the backward call this belongs to has ended");
}

std::unordered_set<at::TensorImpl*> implSet(const std::vector<at::Tensor>& ts) {
  std::unordered_set<at::TensorImpl*> out;
  for (const auto& t : ts) out.insert(t.unsafeGetTensorImpl());
  return out;
}

// functionRecord(name, inputs[], outputs (handle|null)[], toSave (handle|null)[], nonDifferentiable[],
//   dirty[], materializeGrads, backward) -> per output: -1 (the same tensor, its history set), a new
//   handle (PyTorch returns another tensor: an input returned as it is becomes a view of it), or
//   null (not a tensor).
Napi::Value functionRecord(const Napi::CallbackInfo& info) {
  const Args a(info, "autograd.Function");
  return run(a, [&]() -> Napi::Value {
    EnvState& st = state();
    st.releaseOrphans();
    const std::string name = a.string(0, "name");
    const variable_list inputs = a.tensorList(1, "inputs");
    const auto rawOutputs = a.optTensorList(2, "outputs");
    const auto toSave = a.optTensorList(3, "toSave");
    const auto nonDifferentiable = implSet(a.tensorList(4, "nonDifferentiable"));
    const auto dirty = implSet(a.tensorList(5, "dirty"));
    const bool materialize = a.boolean(6, "materializeGrads", true);
    if (!info[7].IsFunction()) a.typeError(7, "backward", "a function");

    for (auto* impl : dirty) impl->bump_version();

    const bool executable = c10::GradMode::is_enabled() && torch::autograd::any_variable_requires_grad(inputs);
    NodeRef<JsNode> node;
    if (executable) {
      node = makeNode<JsNode>();
      node->name_ = name;
      node->set_next_edges(torch::autograd::collect_next_edges(inputs));
      node->numTensorInputs_ = inputs.size();
      node->materializeGrads_ = materialize;
    }

    std::vector<std::optional<at::Tensor>> raw;
    raw.reserve(rawOutputs.size());
    for (const std::optional<at::Tensor> o : rawOutputs) raw.push_back(o);
    const torch::autograd::_jvp_fn_t jvp = [name](const variable_list&, const variable_list&) -> variable_list {
      TORCH_CHECK(false, "forward-mode AD is not implemented for torch.autograd.Function ", name);
    };
    const torch::autograd::_view_as_self_fn_t viewAsSelf = [](const at::Tensor& x) { return x.view_as(x); };
    const NodeRef<Node> cdata = node;
    NodeRef<Node> attached;
    bool reportsAttached = false;
    const auto wrapped =
        wrapOutputs(inputs, nonDifferentiable, dirty, raw, cdata, jvp, viewAsSelf, attached, reportsAttached);

    if (executable) {
      node->outputInfo_.reserve(wrapped.size());
      for (const auto& w : wrapped) {
        node->outputInfo_.push_back(w ? std::optional<VariableInfo>(VariableInfo(*w)) : std::nullopt);
      }
      std::vector<SavedVariable> saved;
      saved.reserve(toSave.size());
      for (const std::optional<at::Tensor> t : toSave) {
        if (t && t->defined()) {
          saved.emplace_back(*t, t->grad_fn().get() == node.get());
        } else {
          saved.emplace_back();
        }
      }
      node->save(std::move(saved));
      node->backward_ = std::make_unique<JsFunction>(currentState, info[7].As<Napi::Function>());
      // as libtorch's own Function::apply: once the saved variables are on the node
      if (reportsAttached) fireCreationHooks(attached);
    }

    auto out = Napi::Array::New(a.env(), wrapped.size());
    for (uint32_t k = 0; k < wrapped.size(); k++) {
      if (!wrapped[k]) {
        out[k] = a.env().Null();
      } else if (raw[k] && wrapped[k]->unsafeGetTensorImpl() == raw[k]->unsafeGetTensorImpl()) {
        out[k] = Napi::Number::New(a.env(), -1);
      } else {
        out[k] = a.ret(*wrapped[k]);
      }
    }
    return out;
  });
}

// functionSetGrads(serial, grads (handle|null)[]): the results of the JavaScript call `serial`.
Napi::Value functionSetGrads(const Napi::CallbackInfo& info) {
  const Args a(info, "autograd.Function");
  return run(a, [&]() -> Napi::Value {
    Frame& frame = findFrame(a, 0);
    std::vector<at::Tensor> results;
    for (const std::optional<at::Tensor> g : a.optTensorList(1, "grads")) results.push_back(g.value_or(at::Tensor()));
    frame.results = std::move(results);
    frame.done = true;
    return a.none();
  });
}

// functionSavedTensors(serial): ctx.savedTensors during the backward call `serial`.
Napi::Value functionSavedTensors(const Napi::CallbackInfo& info) {
  const Args a(info, "savedTensors");
  return run(a, [&]() -> Napi::Value {
    Frame& frame = findFrame(a, 0);
    if (!frame.node) throw OpError("savedTensors is read in a custom Function's backward");
    return a.ret(frame.node->savedTensors());
  });
}

// registerHook(self, fn) -> the hook's index for removeHook. fn(gradHandle|null, serial) hands its
// result (a handle, or null to keep the gradient) to functionSetGrads.
Napi::Value registerHook(const Napi::CallbackInfo& info) {
  const Args a(info, "registerHook");
  return run(a, [&]() -> Napi::Value {
    state().releaseOrphans();
    const at::Tensor& self = a.tensor(0, "self");
    if (!info[1].IsFunction()) a.typeError(1, "hook", "a function");
    auto fn = std::make_shared<JsFunction>(currentState, info[1].As<Napi::Function>());
    const unsigned index = self.register_hook([fn](const at::Tensor& grad) -> at::Tensor {
      std::vector<at::Tensor> results;
      const auto call = [&] { results = callJs(*fn, "tensor hook", {grad}, nullptr); };
      // On a CUDA device thread the hook runs on its JavaScript thread.
      if (fn->state().here()) {
        call();
      } else {
        runForBackwardCaller(call, "tensor hook");
      }
      return results.empty() ? at::Tensor() : results[0];
    });
    return Napi::Number::New(a.env(), index);
  });
}

// A leaf's post-accumulate-grad hooks (tensor.registerPostAccumulateGradHook), in registration
// order: AccumulateGrad calls them with the leaf once its .grad holds the new gradient. libtorch
// keeps one such object per tensor, so each tensor gets one of ours, to which hooks are added.
class JsPostAccGradHooks final : public torch::autograd::PostAccumulateGradHook {
 public:
  unsigned add(std::shared_ptr<JsFunction> fn) {
    std::lock_guard<std::mutex> lock(mutex_);
    hooks_.emplace_back(nextId_, std::move(fn));
    return nextId_++;
  }
  void remove(unsigned id) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::erase_if(hooks_, [id](const auto& h) { return h.first == id; });
  }
  void operator()(const torch::autograd::Variable& tensor) override {
    std::vector<std::shared_ptr<JsFunction>> fns;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (const auto& h : hooks_) fns.push_back(h.second);
    }
    for (const auto& fn : fns) {
      const auto call = [&] { callJs(*fn, "post accumulate grad hook", {tensor}, nullptr); };
      // On a CUDA device thread the hook runs on its JavaScript thread.
      if (fn->state().here()) {
        call();
      } else {
        runForBackwardCaller(call, "post accumulate grad hook");
      }
    }
  }

 private:
  std::mutex mutex_;
  std::vector<std::pair<unsigned, std::shared_ptr<JsFunction>>> hooks_;
  unsigned nextId_ = 0;
};

JsPostAccGradHooks* postAccGradHooks(const at::Tensor& self) {
  return dynamic_cast<JsPostAccGradHooks*>(torch::autograd::impl::post_acc_grad_hooks(self).get());
}

// registerPostAccumulateGradHook(self, fn) -> the hook's id for removePostAccumulateGradHook.
// fn(tensorHandle, serial) calls the user's hook and then functionSetGrads(serial, []).
Napi::Value registerPostAccumulateGradHook(const Napi::CallbackInfo& info) {
  const Args a(info, "registerPostAccumulateGradHook");
  return run(a, [&]() -> Napi::Value {
    state().releaseOrphans();
    const at::Tensor& self = a.tensor(0, "self");
    if (!info[1].IsFunction()) a.typeError(1, "hook", "a function");
    TORCH_CHECK(self.requires_grad(), "cannot register a hook on a tensor that doesn't require gradient");
    TORCH_CHECK(!self.grad_fn(), "post accumulate grad hooks cannot be registered on non-leaf tensors");
    JsPostAccGradHooks* hooks = postAccGradHooks(self);
    if (!hooks) {
      auto made = std::make_unique<JsPostAccGradHooks>();
      hooks = made.get();
      torch::autograd::impl::set_post_acc_grad_hooks(self, std::move(made));
    }
    const unsigned id = hooks->add(std::make_shared<JsFunction>(currentState, info[1].As<Napi::Function>()));
    return Napi::Number::New(a.env(), id);
  });
}

Napi::Value removePostAccumulateGradHook(const Napi::CallbackInfo& info) {
  const Args a(info, "removePostAccumulateGradHook");
  return run(a, [&]() -> Napi::Value {
    if (JsPostAccGradHooks* hooks = postAccGradHooks(a.tensor(0, "self"))) {
      hooks->remove(static_cast<unsigned>(a.int64(1, "id")));
    }
    return a.none();
  });
}

Napi::Value removeHook(const Napi::CallbackInfo& info) {
  const Args a(info, "removeHook");
  return run(a, [&]() -> Napi::Value {
    a.tensor(0, "self").remove_hook(static_cast<unsigned>(a.int64(1, "index")));
    return a.none();
  });
}

}  // namespace

void beginEngineCall() {
  if (!currentState) return;
  currentState->releaseOrphans();
  currentState->pending.reset();
}

std::optional<Napi::Error> takePendingJsError(const std::string& message) {
  if (!currentState || !currentState->pending) return std::nullopt;
  std::optional<Napi::Error> e = std::move(currentState->pending);
  currentState->pending.reset();
  if (message.find(currentState->pendingMessage) == std::string::npos) return std::nullopt;
  return e;
}

void setPendingJsError(const Napi::Error& e, const std::string& message) {
  if (!currentState) return;
  currentState->pending = e;
  currentState->pendingMessage = message;
}

void registerCustomFunction(Napi::Env env, Napi::Object exports) {
  auto st = std::make_shared<EnvState>();
  st->env = env;
  st->thread = std::this_thread::get_id();
  currentState = st;
  env.AddCleanupHook([st] {
    st->pending.reset();
    st->alive.store(false);
    if (currentState == st) currentState.reset();
  });
  const std::pair<const char*, Napi::Function::Callback> fns[] = {
      {"functionRecord", functionRecord},
      {"functionSetGrads", functionSetGrads},
      {"functionSavedTensors", functionSavedTensors},
      {"registerHook", registerHook},
      {"removeHook", removeHook},
      {"registerPostAccumulateGradHook", registerPostAccumulateGradHook},
      {"removePostAccumulateGradHook", removePostAccumulateGradHook},
  };
  for (const auto& [name, fn] : fns) exports.Set(name, Napi::Function::New(env, fn, name));
  registerSavedTensorHooks(env, exports);
}

}  // namespace tn
