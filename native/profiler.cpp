// torch.profiler over libtorch's Kineto profiler (torch/csrc/autograd/profiler_kineto.h), as
// Python's torch.autograd.profiler drives it: prepare (Kineto's warm-up), enable, disable. The
// events come back to JavaScript as plain objects, and lib/torch/profiler/ does what Python's
// profiler_util does with them (the tree, key averages, the table).
//
// The profiler's state is per thread in libtorch: these functions act on the calling JavaScript
// thread only. A disabled profiler's result is held by an External that JavaScript's GC frees;
// user ranges (recordFunction) are held by id in a per-thread table, so that a stale or repeated
// exit touches nothing.
#include <ATen/record_function.h>
#include <torch/csrc/autograd/profiler_kineto.h>

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>

#include "args.h"
#include "profiler.h"

namespace tn {

namespace {

using torch::autograd::profiler::KinetoEvent;
using torch::autograd::profiler::ProfilerResult;
using torch::profiler::impl::ActivityType;
using torch::profiler::impl::ProfilerConfig;
using torch::profiler::impl::ProfilerState;

struct UserRanges {
  std::unordered_map<int64_t, std::unique_ptr<at::RecordFunction>> open;
  int64_t next = 1;
};
thread_local UserRanges userRanges;
// Whether prepareProfiler ran for the session about to be enabled: enableProfiler without it
// finds Kineto uninitialised and crashes (Python's import happens to initialise it first).
thread_local bool prepared = false;

// (activities, recordShapes, profileMemory, withStack, withFlops) from arguments 0..4.
struct Request {
  std::set<ActivityType> activities;
  ProfilerConfig config{ProfilerState::KINETO};
};

Request request(const Args& a) {
  Request r;
  if (!a.info()[0].IsArray()) a.typeError(0, "activities", "an array of 'cpu' or 'cuda'");
  const auto list = a.info()[0].As<Napi::Array>();
  for (uint32_t i = 0; i < list.Length(); i++) {
    const Napi::Value v = list[i];
    const std::string name = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
    if (name == "cpu")
      r.activities.insert(ActivityType::CPU);
    else if (name == "cuda")
      r.activities.insert(ActivityType::CUDA);
    else
      throw OpError("activities must be 'cpu' or 'cuda', got '" + name + "'");
  }
  if (r.activities.empty()) throw OpError("No valid profiler activities found");
  r.config =
      ProfilerConfig(ProfilerState::KINETO, a.boolean(1, "recordShapes", false), a.boolean(2, "profileMemory", false),
                     a.boolean(3, "withStack", false), a.boolean(4, "withFlops", false));
  return r;
}

void requireIdle() {
  // libtorch's own check in enableProfiler, made before prepareProfiler too: preparing a second
  // session over a running one would drop the first one's events without a word.
  if (torch::profiler::impl::profilerEnabled()) throw OpError("Profiler is already enabled on this thread.");
}

// profilerPrepare(activities, recordShapes, profileMemory, withStack, withFlops)
Napi::Value profilerPrepare(const Napi::CallbackInfo& info) {
  const Args a(info, "profile");
  return run(a, [&]() -> Napi::Value {
    const Request r = request(a);
    requireIdle();
    torch::autograd::profiler::prepareProfiler(r.config, r.activities);
    prepared = true;
    return a.none();
  });
}

// profilerEnable(activities, recordShapes, profileMemory, withStack, withFlops)
Napi::Value profilerEnable(const Napi::CallbackInfo& info) {
  const Args a(info, "profile");
  return run(a, [&]() -> Napi::Value {
    const Request r = request(a);
    requireIdle();
    if (!prepared) torch::autograd::profiler::prepareProfiler(r.config, r.activities);
    prepared = false;
    torch::autograd::profiler::enableProfiler(r.config, r.activities);
    return a.none();
  });
}

Napi::Value profilerEnabled(const Napi::CallbackInfo& info) {
  const Args a(info, "profilerEnabled");
  return run(a, [&]() -> Napi::Value { return a.ret(torch::profiler::impl::profilerEnabled()); });
}

// profilerDisable() -> the result, or null when no profiler runs on this thread (libtorch's
// disableProfiler then hands back a result that is not safe to read).
Napi::Value profilerDisable(const Napi::CallbackInfo& info) {
  const Args a(info, "profile.stop");
  return run(a, [&]() -> Napi::Value {
    if (!torch::profiler::impl::profilerEnabled()) return a.env().Null();
    std::unique_ptr<ProfilerResult> result = torch::autograd::profiler::disableProfiler();
    if (!result) return a.env().Null();
    return Napi::External<ProfilerResult>::New(a.env(), result.release(),
                                               [](Napi::Env, ProfilerResult* r) { delete r; });
  });
}

ProfilerResult& resultOf(const Args& a) {
  if (!a.info()[0].IsExternal()) a.typeError(0, "result", "a profiler result");
  return *a.info()[0].As<Napi::External<ProfilerResult>>().Data();
}

Napi::Array strings(Napi::Env env, c10::ArrayRef<std::string> items) {
  auto arr = Napi::Array::New(env, items.size());
  for (uint32_t i = 0; i < items.size(); i++) arr[i] = Napi::String::New(env, items[i]);
  return arr;
}

double num(uint64_t v) { return static_cast<double>(v); }
double num(int64_t v) { return static_cast<double>(v); }

Napi::Object eventObject(Napi::Env env, const KinetoEvent& e, uint64_t traceStart) {
  auto o = Napi::Object::New(env);
  o.Set("name", e.name());
  o.Set("overloadName", e.overload_name());
  // Nanoseconds from the trace's start, as Python's _parse_kineto_results counts them: absolute
  // ones do not fit a double exactly.
  o.Set("startNs", num(static_cast<int64_t>(e.startNs() - traceStart)));
  o.Set("endNs", num(static_cast<int64_t>(e.endNs() - traceStart)));
  o.Set("thread", num(e.startThreadId()));
  o.Set("endThread", num(e.endThreadId()));
  o.Set("fwdThread", num(e.fwdThreadId()));
  o.Set("activityType", static_cast<double>(e.activityType()));
  o.Set("deviceType", static_cast<double>(static_cast<int>(e.deviceType())));
  o.Set("deviceIndex", static_cast<double>(e.deviceIndex()));
  o.Set("deviceResourceId", num(e.deviceResourceId()));
  o.Set("scope", static_cast<double>(e.scope()));
  o.Set("sequenceNr", num(e.sequenceNr()));
  o.Set("correlationId", num(e.correlationId()));
  o.Set("linkedCorrelationId", num(e.linkedCorrelationId()));
  o.Set("isAsync", e.isAsync());
  o.Set("isHidden", e.isHiddenEvent());
  o.Set("nBytes", num(e.nBytes()));
  o.Set("flops", num(e.flops()));
  auto shapes = Napi::Array::New(env);
  if (e.hasShapes()) {
    const auto s = e.shapes();
    for (uint32_t i = 0; i < s.size(); i++) {
      auto dims = Napi::Array::New(env, s[i].size());
      for (uint32_t k = 0; k < s[i].size(); k++) dims[k] = num(s[i][k]);
      shapes[i] = dims;
    }
  }
  o.Set("shapes", shapes);
  o.Set("dtypes", e.hasTypes() ? strings(env, e.dtypes()) : Napi::Array::New(env));
  o.Set("stack", e.hasStack() ? strings(env, e.stack()) : Napi::Array::New(env));
  return o;
}

// profilerEvents(result) -> {traceStartNs, events: [...]}
Napi::Value profilerEvents(const Napi::CallbackInfo& info) {
  const Args a(info, "profile.events");
  return run(a, [&]() -> Napi::Value {
    ProfilerResult& r = resultOf(a);
    const auto& events = r.events();
    auto arr = Napi::Array::New(a.env(), events.size());
    for (uint32_t i = 0; i < events.size(); i++) arr[i] = eventObject(a.env(), events[i], r.trace_start_ns());
    auto out = Napi::Object::New(a.env());
    out.Set("traceStartNs", num(r.trace_start_ns()));
    out.Set("events", arr);
    return out;
  });
}

// profilerSave(result, path): Kineto's Chrome trace.
Napi::Value profilerSave(const Napi::CallbackInfo& info) {
  const Args a(info, "exportChromeTrace");
  return run(a, [&]() -> Napi::Value {
    ProfilerResult& r = resultOf(a);
    r.save(a.string(1, "path"));
    return a.none();
  });
}

// recordFunctionEnter(name) -> an id for recordFunctionExit. As Python's
// _record_function_enter_new: a USER_SCOPE range, recorded only while a profiler listens.
Napi::Value recordFunctionEnter(const Napi::CallbackInfo& info) {
  const Args a(info, "recordFunction");
  return run(a, [&]() -> Napi::Value {
    const std::string name = a.string(0, "name");
    auto rec = std::make_unique<at::RecordFunction>(at::RecordScope::USER_SCOPE);
    if (rec->isActive()) rec->before(name);
    const int64_t id = userRanges.next++;
    userRanges.open.emplace(id, std::move(rec));
    return a.ret(id);
  });
}

// recordFunctionExit(id): ends the range; an id already ended is ignored.
Napi::Value recordFunctionExit(const Napi::CallbackInfo& info) {
  const Args a(info, "recordFunction");
  return run(a, [&]() -> Napi::Value {
    const int64_t id = a.int64(0, "id");
    // Destroying the RecordFunction runs its end callbacks.
    userRanges.open.erase(id);
    return a.none();
  });
}

}  // namespace

void registerProfiler(Napi::Env env, Napi::Object exports) {
  const std::pair<const char*, Napi::Function::Callback> fns[] = {
      {"profilerPrepare", profilerPrepare},         {"profilerEnable", profilerEnable},
      {"profilerEnabled", profilerEnabled},         {"profilerDisable", profilerDisable},
      {"profilerEvents", profilerEvents},           {"profilerSave", profilerSave},
      {"recordFunctionEnter", recordFunctionEnter}, {"recordFunctionExit", recordFunctionExit},
  };
  for (const auto& [name, fn] : fns) exports.Set(name, Napi::Function::New(env, fn, name));
}

}  // namespace tn
