#!/usr/bin/env bash
# Builds torch-node and runs its GPU suite on a machine with a GPU, CUDA and Python torch but no
# Node and no network, from a checkout that carries `.gpu/` (made by scripts/gpu/bundle.mjs).
#
#   bash scripts/gpu/run.sh [OUT_DIR] [STEPS]
#
# STEPS (default "info build loader gpu dist bench train suite") picks and orders the steps:
#   info   the GPU, driver, Python torch          build  the addon against Python's torch
#   gpu    test/gpu and CUDA branches elsewhere             bench  bench/gpu (data path, overlap, launch)
#   train  examples/train.js on CUDA (synthetic)   suite  the whole CPU+GPU test suite
#   dist   test/distributed (Gloo, 2 processes; NCCL is in test/gpu)
#   loader which addon loads and why (TORCH_NODE_DEBUG=1), whether a CUDA driver is seen
#   kernels  our own CPU kernels (max-pool) and the optimizers, against that machine's libtorch
#   cpubench bench suites data and train (CPU; BENCH_SUITES, BENCH_ROUNDS) on its many cores, results to OUT_DIR
#   ab     bench/ab_train.js once per ';'-separated argument list in AB_RUNS (variants of the training step)
#   tests  the test files named in TEST_FILES (space-separated, dist/test/...): a short rerun of chosen
#          suites (Node is on PATH only inside this script)
# Logs go to OUT_DIR (default .gpu/results). Each step has a time limit (seconds, overridable
# as LIMIT_<STEP>) so that a slow step cannot eat the others' time.
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${1:-.gpu/results}
steps=${2:-info build loader gpu dist bench train suite}
mkdir -p "$out"
started=$(date +%s)
stamp() { echo "[$(($(date +%s) - started)) s] $*"; }

# Node from the bundle, on PATH for cmake-js and the CMake script.
if ! command -v node >/dev/null || [ "$(node -v 2>/dev/null)" = "" ]; then
  mkdir -p /tmp/torch-node-gpu/bin
  xz -dc .gpu/node.xz >/tmp/torch-node-gpu/bin/node && chmod +x /tmp/torch-node-gpu/bin/node
  export PATH=/tmp/torch-node-gpu/bin:$PATH
fi
[ -d node_modules/cmake-js ] || tar xzf .gpu/node_modules.tar.gz
[ -d dist/test/gpu ] || tar xzf .gpu/dist.tar.gz
export TORCH_NODE_USE_PYTORCH=1 PYTHONUNBUFFERED=1
[ -f .gpu/include/gloo/config.h ] && export GLOO_INCLUDE_DIR=$PWD/.gpu/include

step() { # name, default limit, command...
  local name=$1 limit=$2
  shift 2
  local var="LIMIT_${name^^}"
  limit=${!var:-$limit}
  stamp "--- $name (limit ${limit} s)"
  timeout --signal=KILL "$limit" "$@" >"$out/$name.log" 2>&1
  local rc=$?
  stamp "$name: exit $rc"
  tail -n 40 "$out/$name.log"
  return $rc
}

for s in $steps; do
  case $s in
  info) step info 60 bash -c 'node -v; nvidia-smi; g++ --version | head -1; cmake --version | head -1;
    python3 -c "import torch; print(torch.__version__, torch.version.cuda, torch.cuda.get_device_name(0))"' ;;
  build)
    if ! step build 300 node scripts/install.mjs --rebuild; then
      # Let make go on past the first error, so that one run shows every failing file.
      if [ -f build/build.ninja ]; then keep=(-k 0); else keep=(-k); fi
      timeout 200 cmake --build build -j "$(nproc)" -- "${keep[@]}" >"$out/build-all-errors.log" 2>&1
      grep -n "error" "$out/build-all-errors.log" | head -60
      exit 1
    fi ;;
  # The GPU suite, and the tests elsewhere that take a CUDA branch where a GPU is present.
  loader) step loader 60 bash -c 'node -p "require(\"./scripts/variants.cjs\").cudaDriver()";
    TORCH_NODE_DEBUG=1 node --input-type=module -e "const t = await import(\"./dist/lib/index.js\");
      console.log(t.buildInfo(), t.cuda.isAvailable(), t.cuda.deviceCount())"' ;;
  gpu) step gpu 240 node --test --test-concurrency="${GPU_CONCURRENCY:-1}" dist/test/gpu/ dist/test/tensor.test.js \
    dist/test/engine/model/data_preprocessor.test.js dist/test/engine/model/base_model.test.js \
    dist/test/engine/optim/amp_optim_wrapper.test.js dist/test/engine/evaluator/metric.test.js \
    dist/test/engine/dataset/sampler.test.js dist/test/serialization/roundtrip.test.js \
    dist/test/autograd/saved_tensors_hooks.test.js dist/test/autograd_function.test.js dist/test/generator.test.js dist/test/errors.test.js \
    dist/test/lifetime.test.js dist/test/amp/amp.test.js dist/test/engine/runner/load_and_resume.test.js \
    dist/test/engine/runner/log_processor.test.js dist/test/engine/hooks/empty_cache_hook.test.js ;;
  kernels) step kernels 120 node --test --test-concurrency=1 dist/test/nn/max_pool.test.js dist/test/optim/ ;;
  cpubench) step cpubench 300 bash -c "node dist/bench/run.js --only \${BENCH_SUITES:-data,train} --rounds \${BENCH_ROUNDS:-3};
    cp bench/results/latest.md bench/results/latest.json '$out'/" ;;
  ab) step ab 420 bash -c 'IFS=";"; for a in $AB_RUNS; do echo "== ab_train $a"; IFS=" " eval "node dist/bench/ab_train.js $a"; done' ;;
  tests) step tests 240 bash -c 'node --test --test-concurrency="${GPU_CONCURRENCY:-1}" $TEST_FILES' ;;
  bench) step bench 180 node dist/bench/gpu.js --rounds 10 --out "$out" ;;
  dist) step dist 180 node --test --test-concurrency=1 dist/test/distributed/ ;;
  train) step train 180 node dist/examples/train.js --epochs 2 --device cuda --work-dir /tmp/torch-node-train ;;
  # The whole suite; on a many-core machine SUITE_CONCURRENCY files at a time (the GPU's memory is shared by them).
  suite) step suite 300 node --test --test-concurrency="${SUITE_CONCURRENCY:-1}" dist/test/ ;;
  *) echo "unknown step $s" && exit 2 ;;
  esac
done
stamp "done"
