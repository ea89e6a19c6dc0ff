#!/usr/bin/env bash
# Footprint of the headunit runtime: time from JVM launch to the ready line, and resident memory when idle: 5 s after
# ready (still settling: the JIT's freed memory goes back to the system at the launcher's native-heap trims, every
# 5 s) and 60 s after ready (steady state, after the headunit profile's first at-rest scan at 30 s and the trim that
# follows it; IDLE_SECONDS changes it).
# Runs the shipped launcher (bin/carapace-runtime: embedded JVM options) and, side by side in the same run, the
# same exported jar with the JVM's default options, interleaved, RUNS times each.
#   bench/footprint.sh [RUNS]      (default 10)      IDLE_SECONDS=60 bench/footprint.sh
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-10}
idle=${IDLE_SECONDS:-60}
jar="$here/runtime-configs/headunit/target/headunit.jar"
[ -f "$jar" ] || (cd "$here" && mvn -B -q -DskipTests package)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# the headunit profile refuses to start monitoring without the device's provisioned event key
"$here/bin/carapace" events keygen --device headunit-0001 --out "$work/event-auth.key" >/dev/null

# one start: prints "<ms JVM start to ready> <wall ms exec to ready> <RSS KiB 5 s after ready> <RSS KiB $idle s after>"
measure() {
    local variant=$1 log="$work/log" data="$work/data" run="$work/run" pid start end ready
    rm -rf "$data" "$run"
    start=$(date +%s%N)
    if [ "$variant" = shipped ]; then
        "$here/bin/carapace-runtime" --profile headunit --data-dir "$data" --run-dir "$run" \
            --set monitoring.keyFile="$work/event-auth.key" >"$log" 2>&1 &
    else
        java -Dcarapace.dataDir="$data" -Dcarapace.runDir="$run" -Dorg.osgi.framework.storage="$data/framework" \
            -Dcarapace.monitoring.keyFile="$work/event-auth.key" -jar "$jar" >"$log" 2>&1 &
    fi
    pid=$!
    for _ in $(seq 1 3000); do grep -q "runtime ready" "$log" && break; sleep 0.005; done
    end=$(date +%s%N)
    ready=$(sed -n 's/.*started in \([0-9]*\) ms.*/\1/p' "$log" | head -n 1)
    sleep 5
    local early; early=$(ps -o rss= -p $pid | tr -d ' ')
    sleep $((idle - 5))
    echo "$ready $(( (end - start) / 1000000 )) $early $(ps -o rss= -p $pid | tr -d ' ')"
    kill -TERM $pid; wait $pid 2>/dev/null || true
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2))}'; }

for i in $(seq 1 "$runs"); do
    measure shipped >>"$work/shipped"
    measure default >>"$work/default"
done
echo "headunit runtime footprint, $runs runs each, interleaved ($(nproc) cores, $(java -version 2>&1 | head -n 1))"
printf '| launcher | ready after JVM start, median ms | wall to ready, median ms | RSS 5 s after ready, median MiB | RSS %s s after ready, median MiB |\n|---|---|---|---|---|\n' "$idle"
for v in shipped default; do
    r=$(cut -d' ' -f1 "$work/$v" | median); w=$(cut -d' ' -f2 "$work/$v" | median); m=$(cut -d' ' -f3 "$work/$v" | median)
    s=$(cut -d' ' -f4 "$work/$v" | median)
    printf '| %s | %s | %s | %s | %s |\n' "$v" "$r" "$w" "$((m / 1024))" "$((s / 1024))"
done
