#!/usr/bin/env bash
# The one device call of a GPU session (issue #19), after the XGBoost wheel is staged:
#   bash ../shared/device/stage-xgboost-wheel.sh      # here; then make the printed calls back to back
#   run: command "bash benchmarks/gpu_session.sh", carry [".device/bin"], timeout_s 540
# It prints the GPU's name, runs the GPU tests, then the resident-loop benchmarks (binary, and
# multiclass K = 5 beside multi:softprob) with the per-round profile. Paste its output into
# benchmarks/RESULTS.md. Budget: ~1 min tests, ~3-4 min benchmarks at 10M x 50 with --reps 2.
# `bash benchmarks/gpu_session.sh catboost` runs only the CatBoost step at the end (issue #28 B:
# FocalObjective with task_type="GPU"; needs no staged wheel; ~3 min): timeout_s 300.
set -u
export PYTHONPATH=/tmp/site:$PWD
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
catboost_step() {
  python3 -c 'import catboost, numba; from numba import cuda; from catboost.utils import get_gpu_device_count as n; print("catboost", catboost.__version__, "GPUs", n(), "| numba", numba.__version__, "cuda", cuda.is_available())'
  timeout 150 python3 -m pytest -q tests/test_catboost_gpu.py -p no:cacheprovider -rs 2>&1 | tail -8
  timeout 240 python3 benchmarks/bench_catboost_gpu.py --rows 1000000 --cols 50 --iterations 200 --reps 2 --cpu-rows 200000
}
if [ "${1:-}" = catboost ]; then catboost_step; exit; fi
python3 -c 'import xgboost, cupy; print("xgboost", xgboost.__version__, "cuda", xgboost.build_info().get("USE_CUDA"), "cupy", cupy.__version__)'
timeout 150 python3 -m pytest -q -m gpu tests/test_gpu.py -x -p no:cacheprovider 2>&1 | tail -15
timeout 200 python3 benchmarks/bench_xgboost_resident.py --rows 10000000 --cols 50 --rounds 100 --reps 2 --profile
timeout 160 python3 benchmarks/bench_xgboost_resident.py --rows 10000000 --cols 50 --rounds 100 --reps 1 --num-class 5
if [ "${1:-}" = all ]; then catboost_step; fi  # all of it runs past one 540 s call
