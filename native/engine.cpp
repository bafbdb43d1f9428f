// The addon's autograd engine: libtorch's Engine with the two things that Python's own engine
// (torch/csrc/autograd/python_engine.cpp) adds to it, installed as the default engine at load.
//
// 1. Saved-tensor hooks: libtorch asks the default engine for hooks each time an op saves a
//    tensor for backward; ours answers the JavaScript thread's stack (saved_tensor_hooks.cpp).
//
// 2. JavaScript from device threads. For CUDA tensors the engine runs backward nodes on its CUDA
//    device thread, and a custom Function's backward, a tensor hook or a saved tensor's unpack
//    hook is JavaScript, which runs only on its own thread. Python takes the GIL on the device
//    thread; the JavaScript thread instead is inside backward(), serving the graph task's CPU
//    queue (Engine::thread_main) until the graph is done. So a device thread that needs
//    JavaScript queues the call and gets a task for a node of ours (RunCalls) onto that CPU
//    queue, then waits: the JavaScript thread pops the task like any other, and RunCalls runs
//    the queued calls there. libtorch does not export ReadyQueue::push, so the task goes in as
//    the engine's own tasks do: the device thread evaluates a node of ours (Gateway) whose only
//    output (one CPU scalar, made once per process) feeds RunCalls, after counting RunCalls as
//    waiting for one input; the engine then queues RunCalls on the graph task's CPU queue. The task
//    counts as outstanding work of the graph task until it is run. The two nodes are made when a
//    device thread first needs them, except for a graph task that runs only some nodes
//    (autograd.grad): it must list them among those before it starts. So a backward that runs no
//    JavaScript on a device thread pays one registry entry and nothing else. When backward() returns (also with an
//    error, while a device thread may still be working), calls not yet run fail instead of waiting forever.
//
//    A backward started from inside such a call (a reentrant checkpoint) would need the device
//    thread, which is waiting for the call: that is an Error rather than a hang.
#include "engine.h"

#include <ATen/ATen.h>
#include <ATen/record_function.h>
#include <c10/core/StreamGuard.h>
#include <c10/core/impl/DeviceGuardImplInterface.h>
#include <torch/csrc/autograd/engine.h>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/graph_task.h>
#include <torch/csrc/autograd/input_buffer.h>

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "node_ref.h"

namespace tn {

namespace {

using torch::autograd::GraphTask;
using torch::autograd::InputBuffer;
using torch::autograd::Node;
using torch::autograd::ReadyQueue;
using torch::autograd::variable_list;

// A call waiting for the JavaScript thread.
struct Call {
  const std::function<void()>* fn;
  // The device thread's current CUDA device and stream when it queued the call: the engine had
  // made the node's own stream current (the stream its forward ran on), and the JavaScript runs
  // on it as the node would have, not on whatever stream the backward's caller has current.
  std::optional<c10::Stream> stream;
  std::exception_ptr error;
  bool done = false;
};

// A backward call made on a JavaScript thread, while it runs: where device threads queue calls.
struct Caller {
  std::mutex mutex;
  std::condition_variable ran;
  std::vector<Call*> pending;
  bool closed = false;
  std::weak_ptr<GraphTask> task;
  NodeRef<Node> runCalls;  // made once needed (makeNodes), under `mutex` after the start
  NodeRef<Node> gateway;

  void makeNodes(const std::shared_ptr<Caller>& self);

  void finish(Call* call, std::exception_ptr error) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      call->error = std::move(error);
      call->done = true;
    }
    ran.notify_all();
  }
};

std::mutex callersMutex;
std::unordered_map<int, std::shared_ptr<Caller>> callers;  // by graph task id

// How many queued calls this thread is running (a backward started inside one would hang).
thread_local int runningCalls = 0;

// The CPU scalar that Gateway hands to RunCalls: made once, outside any profile's record.
const at::Tensor& gatewayScalar() {
  // Never freed: a static tensor would be destroyed after the allocators at exit.
  static const at::Tensor* scalar = [] {
    at::DisableRecordFunctionGuard unrecorded;
    return new at::Tensor(at::zeros({}));
  }();
  return *scalar;
}

// The node that a device thread evaluates to get RunCalls queued: one CPU scalar into it.
class Gateway final : public Node {
 public:
  std::string name() const override { return "JavaScriptCallsGateway"; }
  variable_list apply(variable_list&& /*inputs*/) override { return {gatewayScalar()}; }
};

// The node whose tasks the JavaScript thread runs: each runs the calls queued so far.
class RunCalls final : public Node {
 public:
  explicit RunCalls(std::weak_ptr<Caller> caller) : caller_(std::move(caller)) {}
  std::string name() const override { return "JavaScriptCalls"; }

  variable_list apply(variable_list&& /*inputs*/) override {
    const std::shared_ptr<Caller> caller = caller_.lock();
    if (!caller) return {};
    // A call queued after this swap has a task of its own still to come.
    std::vector<Call*> calls;
    {
      std::lock_guard<std::mutex> lock(caller->mutex);
      calls.swap(caller->pending);
    }
    for (Call* call : calls) {
      std::exception_ptr error;
      runningCalls++;
      try {
        const c10::OptionalStreamGuard onNodeStream(call->stream);
        (*call->fn)();
      } catch (...) {
        error = std::current_exception();
      }
      runningCalls--;
      caller->finish(call, std::move(error));
    }
    return {};
  }

 private:
  std::weak_ptr<Caller> caller_;
};

void Caller::makeNodes(const std::shared_ptr<Caller>& self) {
  runCalls = makeNode<RunCalls>(self);
  runCalls->add_input_metadata(gatewayScalar());
  gateway = makeNode<Gateway>();
  gateway->add_next_edge(torch::autograd::Edge(runCalls, 0));
}

class JsEngine final : public torch::autograd::Engine {
 public:
  std::unique_ptr<torch::autograd::SavedVariableHooks> get_default_saved_variable_hooks() override {
    return jsSavedVariableHooks();
  }

  c10::intrusive_ptr<at::ivalue::Future> execute_with_graph_task(const std::shared_ptr<GraphTask>& graphTask,
                                                                 NodeRef<Node> graphRoot,
                                                                 InputBuffer&& inputBuffer) override {
    TORCH_CHECK(runningCalls == 0,
                "backward: a backward call inside a JavaScript backward or hook that runs for CUDA tensors is not "
                "supported (the CUDA device's autograd thread is waiting for that JavaScript); for activation "
                "checkpointing use checkpoint(..., {useReentrant: false})");
    auto caller = std::make_shared<Caller>();
    caller->task = graphTask;
    // A graph task that runs only what some outputs need (autograd.grad) runs only the nodes it
    // lists; nothing else reads the list before the task starts.
    if (!graphTask->exec_info_.empty()) {
      caller->makeNodes(caller);
      graphTask->exec_info_[caller->runCalls.get()].needed_ = true;
      graphTask->exec_info_[caller->gateway.get()].needed_ = true;
    }
    const int id = static_cast<int>(graphTask->id_);
    {
      std::lock_guard<std::mutex> lock(callersMutex);
      callers[id] = caller;
    }
    struct Close {
      int id;
      std::shared_ptr<Caller> caller;
      ~Close() {
        {
          std::lock_guard<std::mutex> lock(callersMutex);
          callers.erase(id);
        }
        std::vector<Call*> left;
        {
          std::lock_guard<std::mutex> lock(caller->mutex);
          caller->closed = true;
          left.swap(caller->pending);
        }
        for (Call* call : left) {
          caller->finish(call, std::make_exception_ptr(
                                   std::runtime_error("the backward call ended before JavaScript could run for it")));
        }
      }
    } close{id, caller};
    return Engine::execute_with_graph_task(graphTask, std::move(graphRoot), std::move(inputBuffer));
  }
};

torch::autograd::Engine& jsEngine() {
  static JsEngine engine;
  return engine;
}

}  // namespace

void installEngine() {
  static std::once_flag installed;
  std::call_once(installed, [] { torch::autograd::set_default_engine_stub(&jsEngine); });
}

void runForBackwardCaller(const std::function<void()>& fn, const char* what) {
  std::shared_ptr<Caller> caller;
  {
    std::lock_guard<std::mutex> lock(callersMutex);
    auto it = callers.find(torch::autograd::get_current_graph_task_id());
    if (it != callers.end()) caller = it->second;
  }
  TORCH_CHECK(caller, what,
              ": JavaScript cannot run on this thread, and no backward call of a JavaScript thread is "
              "waiting for it");
  Call call{&fn};
  // Device threads are made for the devices with a guard implementation; here only CUDA's.
  if (c10::impl::hasDeviceGuardImpl(c10::DeviceType::CUDA)) {
    const c10::impl::DeviceGuardImplInterface* cuda = c10::impl::getDeviceGuardImpl(c10::DeviceType::CUDA);
    call.stream = cuda->getStream(cuda->getDevice());
  }
  std::shared_ptr<GraphTask> task = caller->task.lock();
  {
    std::lock_guard<std::mutex> lock(caller->mutex);
    TORCH_CHECK(task && !caller->closed, what, ": the backward call has ended");
    if (!caller->runCalls) caller->makeNodes(caller);
    caller->pending.push_back(&call);
  }
  {
    // RunCalls is ready once the gateway's output reaches it (with several device threads at
    // once, once all their gateways' outputs have).
    std::lock_guard<std::mutex> lock(task->mutex_);
    task->dependencies_[caller->runCalls.get()] += 1;
  }
  try {
    InputBuffer none(0);
    jsEngine().evaluate_function(task, caller->gateway.get(), none, task->cpu_ready_queue_);
  } catch (...) {
    std::lock_guard<std::mutex> lock(caller->mutex);
    auto& pending = caller->pending;
    pending.erase(std::remove(pending.begin(), pending.end(), &call), pending.end());
    throw;
  }
  task.reset();
  std::unique_lock<std::mutex> lock(caller->mutex);
  caller->ran.wait(lock, [&] { return call.done; });
  if (call.error) std::rethrow_exception(call.error);
}

}  // namespace tn
