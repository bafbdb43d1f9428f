// The plain C++ contender of the per-op overhead benchmark: the same workloads as
// bench/torch_node.ts and bench/python/bench.py, written as a libtorch user would in C++.
//
// Built by bench/run.ts (g++ against $LIBTORCH, cached in build/bench/). Usage:
//   bench_cpp WORKLOAD ITERS WARMUP      one measurement, printed as one JSON line
//   bench_cpp --serve                    a hello line, then one measurement per stdin line
//                                        "WORKLOAD ITERS WARMUP" until EOF
// WORKLOAD is add1 (1-element float32 a.add(b)), add64 (64x64) or linear (F.linear forward
// and backward on a 16x64 input, 32x64 weight, bias 32; grads set to none each iteration).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/headeronly/version.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Result {
  double ns = 0;
  double check = 0;
};

// Inputs come from the default generator seeded with 0, in the same order in all three
// contenders, so all of them compute on the same numbers (the runner compares `check`).
Result add(const std::vector<int64_t>& shape, long iters, long warmup) {
  at::manual_seed(0);
  const at::Tensor a = at::randn(shape);
  const at::Tensor b = at::randn(shape);
  Result r;
  r.check = a.add(b).sum().item<double>();
  for (long i = 0; i < warmup; i++) {
    at::Tensor c = a.add(b);
  }
  const auto t0 = Clock::now();
  for (long i = 0; i < iters; i++) {
    at::Tensor c = a.add(b);
  }
  r.ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
  return r;
}

Result linear(long iters, long warmup) {
  at::manual_seed(0);
  const at::Tensor x = at::randn({16, 64});
  at::Tensor w = at::randn({32, 64}).requires_grad_(true);
  at::Tensor bias = at::randn({32}).requires_grad_(true);
  auto step = [&]() -> at::Tensor {
    at::Tensor y = at::linear(x, w, bias);
    at::Tensor s = y.sum();
    s.backward();
    w.mutable_grad().reset();
    bias.mutable_grad().reset();
    return s;
  };
  Result r;
  r.check = step().item<double>();
  for (long i = 0; i < warmup; i++) step();
  const auto t0 = Clock::now();
  for (long i = 0; i < iters; i++) step();
  r.ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
  return r;
}

// One measurement as a JSON line; false for an unknown workload.
bool measure(const std::string& workload, long iters, long warmup) {
  Result r;
  if (workload == "add1") {
    r = add({1}, iters, warmup);
  } else if (workload == "add64") {
    r = add({64, 64}, iters, warmup);
  } else if (workload == "linear") {
    r = linear(iters, warmup);
  } else {
    std::printf("{\"error\":\"unknown workload '%s'\"}\n", workload.c_str());
    std::fflush(stdout);
    return false;
  }
  std::printf(
      "{\"contender\":\"cpp\",\"workload\":\"%s\",\"iters\":%ld,\"warmup\":%ld,\"totalNs\":%.0f,"
      "\"usPerOp\":%.6f,\"threads\":%d,\"check\":%.9g}\n",
      workload.c_str(), iters, warmup, r.ns, r.ns / 1e3 / static_cast<double>(iters), at::get_num_threads(), r.check);
  std::fflush(stdout);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  at::set_num_threads(1);
  try {
    if (argc == 2 && std::string(argv[1]) == "--serve") {
      std::printf("{\"contender\":\"cpp\",\"hello\":true,\"libtorch\":\"%s\",\"threads\":%d,\"compiler\":\"%s\"}\n",
                  TORCH_VERSION, at::get_num_threads(), __VERSION__);
      std::fflush(stdout);
      std::string line;
      while (std::getline(std::cin, line)) {
        std::istringstream in(line);
        std::string workload;
        long iters = 0, warmup = 0;
        if (!(in >> workload >> iters >> warmup)) {
          std::printf("{\"error\":\"expected 'WORKLOAD ITERS WARMUP', got '%s'\"}\n", line.c_str());
          std::fflush(stdout);
          continue;
        }
        measure(workload, iters, warmup);
      }
      return 0;
    }
    if (argc != 4) {
      std::fprintf(stderr, "usage: %s add1|add64|linear ITERS WARMUP, or %s --serve\n", argv[0], argv[0]);
      return 2;
    }
    return measure(argv[1], std::stol(argv[2]), std::stol(argv[3])) ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_cpp: %s\n", e.what());
    return 1;
  }
}
