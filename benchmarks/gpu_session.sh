#!/usr/bin/env bash
# The one device call of a GPU session (issue #19), after the XGBoost wheel is staged:
#   bash ../shared/device/stage-xgboost-wheel.sh      # here; then make the printed calls back to back
#   run: command "bash benchmarks/gpu_session.sh", carry [".device/bin"], timeout_s 540
# It prints the GPU's name, runs the GPU tests, then the resident-loop benchmarks (binary, and
# multiclass K = 5 beside multi:softprob) with the per-round profile. Paste its output into
# benchmarks/RESULTS.md. Budget: ~1 min tests, ~3-4 min benchmarks at 10M x 50 with --reps 2.
set -u
export PYTHONPATH=/tmp/site:$PWD
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
python3 -c 'import xgboost, cupy; print("xgboost", xgboost.__version__, "cuda", xgboost.build_info().get("USE_CUDA"), "cupy", cupy.__version__)'
timeout 150 python3 -m pytest -q -m gpu tests/test_gpu.py -x -p no:cacheprovider 2>&1 | tail -15
timeout 200 python3 benchmarks/bench_xgboost_resident.py --rows 10000000 --cols 50 --rounds 100 --reps 2 --profile
timeout 160 python3 benchmarks/bench_xgboost_resident.py --rows 10000000 --cols 50 --rounds 100 --reps 1 --num-class 5
