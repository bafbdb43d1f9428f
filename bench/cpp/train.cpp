// The plain C++ contender of the training-step benchmark (workload 2): the loop a libtorch user
// writes with the C++ frontend (torch::nn modules, torch::optim::SGD with lr 0.01 and momentum
// 0.9): zero_grad, forward, cross-entropy, backward, step, and the loss read as a number (as
// torch-node's trainStep returns it). The same models, seeds and batches as
// bench/torch_node_train.ts and bench/python/train.py.
//
// Built by bench/run.ts (g++ against $LIBTORCH, cached in build/bench/). Usage:
//   train_cpp MODEL ITERS WARMUP THREADS [BUDGET_MS]   one measurement, as one JSON line
//   train_cpp --serve        a hello line, then one measurement per stdin line
//                            "MODEL ITERS WARMUP THREADS [BUDGET_MS]" until EOF
// The timed loop stops early, after at least one step, once it has run BUDGET_MS (the warm-up
// once it has run a quarter of that); "iters" in the reply is the number of steps timed.
// MODEL: mlp (784-256-10, batch 64), lenet (LeNet-5, batch 64 of 1x28x28) or resnet (3 stages of
// 2 BasicBlocks, 16/32/64 channels, BatchNorm, batch 32 of 3x32x32).
#include <sys/resource.h>
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <iostream>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace nn = torch::nn;
namespace F = torch::nn::functional;
using Clock = std::chrono::steady_clock;

// The modules are made (and so draw their initial weights) in the same order as in the other
// contenders: with the same seed, the same weights.
struct MlpImpl : nn::Module {
  nn::Linear fc1{nullptr}, fc2{nullptr};
  MlpImpl() {
    fc1 = register_module("fc1", nn::Linear(784, 256));
    fc2 = register_module("fc2", nn::Linear(256, 10));
  }
  torch::Tensor forward(const torch::Tensor& x) { return fc2->forward(torch::relu(fc1->forward(x))); }
};
TORCH_MODULE(Mlp);

struct LeNetImpl : nn::Module {
  nn::Conv2d conv1{nullptr}, conv2{nullptr};
  nn::Linear fc1{nullptr}, fc2{nullptr}, fc3{nullptr};
  LeNetImpl() {
    conv1 = register_module("conv1", nn::Conv2d(nn::Conv2dOptions(1, 6, 5).padding(2)));
    conv2 = register_module("conv2", nn::Conv2d(nn::Conv2dOptions(6, 16, 5)));
    fc1 = register_module("fc1", nn::Linear(400, 120));
    fc2 = register_module("fc2", nn::Linear(120, 84));
    fc3 = register_module("fc3", nn::Linear(84, 10));
  }
  torch::Tensor forward(const torch::Tensor& input) {
    auto x = F::max_pool2d(torch::relu(conv1->forward(input)), F::MaxPool2dFuncOptions(2));
    x = F::max_pool2d(torch::relu(conv2->forward(x)), F::MaxPool2dFuncOptions(2));
    x = torch::relu(fc1->forward(x.flatten(1)));
    x = torch::relu(fc2->forward(x));
    return fc3->forward(x);
  }
};
TORCH_MODULE(LeNet);

nn::Conv2d conv(int64_t in, int64_t out, int64_t k, int64_t stride, int64_t padding) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, k).stride(stride).padding(padding).bias(false));
}

struct BasicBlockImpl : nn::Module {
  nn::Conv2d conv1{nullptr}, conv2{nullptr};
  nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  nn::Sequential downsample{nullptr};
  BasicBlockImpl(int64_t in, int64_t channels, int64_t stride = 1) {
    conv1 = register_module("conv1", conv(in, channels, 3, stride, 1));
    bn1 = register_module("bn1", nn::BatchNorm2d(channels));
    conv2 = register_module("conv2", conv(channels, channels, 3, 1, 1));
    bn2 = register_module("bn2", nn::BatchNorm2d(channels));
    if (stride != 1 || in != channels) {
      downsample =
          register_module("downsample", nn::Sequential(conv(in, channels, 1, stride, 0), nn::BatchNorm2d(channels)));
    }
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto out = bn2->forward(conv2->forward(torch::relu(bn1->forward(conv1->forward(x)))));
    auto identity = downsample ? downsample->forward(x) : x;
    return torch::relu(out + identity);
  }
};
TORCH_MODULE(BasicBlock);

// Two blocks, made one after the other (the order in which a function's arguments are evaluated
// is unspecified: Sequential(BasicBlock(..), BasicBlock(..)) may make the second one first).
nn::Sequential stage(int64_t in, int64_t channels, int64_t stride) {
  BasicBlock first(in, channels, stride);
  BasicBlock second(channels, channels);
  return nn::Sequential(first, second);
}

struct SmallResNetImpl : nn::Module {
  nn::Sequential stem{nullptr}, layer1{nullptr}, layer2{nullptr}, layer3{nullptr};
  nn::Linear fc{nullptr};
  explicit SmallResNetImpl(int64_t w = 16) {
    stem = register_module("stem", nn::Sequential(conv(3, w, 3, 1, 1), nn::BatchNorm2d(w), nn::ReLU()));
    layer1 = register_module("layer1", stage(w, w, 1));
    layer2 = register_module("layer2", stage(w, 2 * w, 2));
    layer3 = register_module("layer3", stage(2 * w, 4 * w, 2));
    fc = register_module("fc", nn::Linear(4 * w, 10));
  }
  torch::Tensor forward(const torch::Tensor& x) {
    auto y = layer3->forward(layer2->forward(layer1->forward(stem->forward(x))));
    return fc->forward(F::adaptive_avg_pool2d(y, F::AdaptiveAvgPool2dFuncOptions(1)).flatten(1));
  }
};
TORCH_MODULE(SmallResNet);

struct Result {
  double ns = 0;
  long steps = 0;
  double firstLoss = 0;
  double lastLoss = 0;
  double cpuMs = 0;      // user + system CPU time of the whole process over the timed steps
  long minorFaults = 0;  // minor page faults over the timed steps
};

rusage usage() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u;
}

double cpuMs(const rusage& u) {
  auto ms = [](const timeval& t) { return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_usec) / 1e3; };
  return ms(u.ru_utime) + ms(u.ru_stime);
}

template <typename Model>
Result run(Model model, const std::vector<int64_t>& shape, long iters, long warmup, double budgetMs) {
  torch::manual_seed(1);
  const auto x = torch::randn(shape);
  const auto y = torch::randint(0, 10, {shape[0]});
  torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9));
  auto step = [&]() -> double {
    opt.zero_grad();
    auto loss = F::cross_entropy(model->forward(x), y);
    loss.backward();
    opt.step();
    return loss.template item<double>();
  };
  const double budgetNs = budgetMs * 1e6;
  auto since = [](Clock::time_point t) { return std::chrono::duration<double, std::nano>(Clock::now() - t).count(); };
  Result r;
  r.firstLoss = step();
  const auto w0 = Clock::now();
  for (long i = 1; i < warmup && since(w0) < budgetNs / 4; i++) step();
  r.lastLoss = r.firstLoss;
  const rusage u0 = usage();
  const auto t0 = Clock::now();
  while (r.steps < iters && r.ns < budgetNs) {
    r.lastLoss = step();
    r.steps++;
    r.ns = since(t0);
  }
  const rusage u1 = usage();
  r.cpuMs = cpuMs(u1) - cpuMs(u0);
  r.minorFaults = u1.ru_minflt - u0.ru_minflt;
  return r;
}

// One measurement as a JSON line; false for an unknown model.
bool measure(const std::string& name, long iters, long warmup, int threads, double budgetMs) {
  at::set_num_threads(threads);
  Result r;
  torch::manual_seed(0);
  if (name == "mlp") {
    r = run(Mlp(), {64, 784}, iters, warmup, budgetMs);
  } else if (name == "lenet") {
    r = run(LeNet(), {64, 1, 28, 28}, iters, warmup, budgetMs);
  } else if (name == "resnet") {
    r = run(SmallResNet(), {32, 3, 32, 32}, iters, warmup, budgetMs);
  } else {
    std::printf("{\"error\":\"unknown model '%s'\"}\n", name.c_str());
    std::fflush(stdout);
    return false;
  }
  std::printf(
      "{\"contender\":\"cpp\",\"model\":\"%s\",\"iters\":%ld,\"warmup\":%ld,\"threads\":%d,\"msPerStep\":%.6f,"
      "\"firstLoss\":%.9g,\"lastLoss\":%.9g,\"cpuMsPerStep\":%.6f,\"minorFaultsPerStep\":%.3f}\n",
      name.c_str(), r.steps, warmup, at::get_num_threads(), r.ns / 1e6 / static_cast<double>(r.steps), r.firstLoss,
      r.lastLoss, r.cpuMs / static_cast<double>(r.steps), static_cast<double>(r.minorFaults) / static_cast<double>(r.steps));
  std::fflush(stdout);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc == 2 && std::string(argv[1]) == "--serve") {
      std::printf("{\"contender\":\"cpp\",\"hello\":true,\"libtorch\":\"%s\",\"compiler\":\"%s\"}\n", TORCH_VERSION,
                  __VERSION__);
      std::fflush(stdout);
      std::string line;
      while (std::getline(std::cin, line)) {
        std::istringstream in(line);
        std::string name;
        long iters = 0, warmup = 0;
        int threads = 0;
        double budgetMs = std::numeric_limits<double>::infinity();
        if (!(in >> name >> iters >> warmup >> threads) || iters <= 0 || warmup < 0 || threads <= 0) {
          std::printf("{\"error\":\"expected 'MODEL ITERS WARMUP THREADS [BUDGET_MS]', got '%s'\"}\n", line.c_str());
          std::fflush(stdout);
          continue;
        }
        if (double b = 0; in >> b) budgetMs = b;
        try {
          measure(name, iters, warmup, threads, budgetMs);
        } catch (const std::exception& e) {
          std::string what = e.what();
          for (char& c : what)
            if (c == '"' || c == '\\' || c == '\n') c = ' ';
          std::printf("{\"error\":\"%s\"}\n", what.substr(0, 300).c_str());
          std::fflush(stdout);
        }
      }
      return 0;
    }
    if (argc != 5 && argc != 6) {
      std::fprintf(stderr, "usage: %s mlp|lenet|resnet ITERS WARMUP THREADS [BUDGET_MS], or %s --serve\n", argv[0],
                   argv[0]);
      return 2;
    }
    const double budgetMs = argc == 6 ? std::stod(argv[5]) : std::numeric_limits<double>::infinity();
    return measure(argv[1], std::stol(argv[2]), std::stol(argv[3]), std::stoi(argv[4]), budgetMs) ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train_cpp: %s\n", e.what());
    return 1;
  }
}
