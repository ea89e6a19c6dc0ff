#!/usr/bin/env bash
# Rootfs digest throughput on a real Debian minbase image (bench/imagehash-prepare.sh builds and caches it), with
# the baselines measured in the same run over the same files:
#   - carapace cold: every file read and hashed (strict mode), page cache warm; warm: the IMA-style cache answers
#     (JMH, SampleTime, median);
#   - sha256sum and openssl dgst -sha256 over the same regular files, one process and two in parallel (median of RUNS).
# Also, for information, the digest from the image's OCI layout (gzip layers: decompression-bound), and the gate's
# case: the warm check of the busybox test image's runtime bundle (mount destinations excluded).
#   bench/imagehash.sh [RUNS]     (default 5)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-5}
cache=$("$here/bench/imagehash-prepare.sh")
rootfs="$cache/bundle/rootfs"
jmh="$here/bench/jmh/target"
if [ ! -f "$jmh/classes/META-INF/BenchmarkList" ] || [ ! -d "$jmh/lib" ]; then
    (cd "$here" && mvn -B -q -DskipTests package -pl bench/jmh -am) >&2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# JMH allows one benchmark per machine (/tmp/jmh.lock): wait for another one to finish, at most 30 minutes
for _ in $(seq 1 360); do pgrep -f org.openjdk.jmh.Main >/dev/null || break; sleep 5; done

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
now() { date +%s%N; }

# the files the baselines read (every path of a regular file, as sha256sum would be given them)
find "$rootfs" -type f -print0 > "$work/files"
files=$(tr -cd '\0' < "$work/files" | wc -c)
bytes=$(find "$rootfs" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
entries=$(find "$rootfs" -mindepth 1 | wc -l)
xargs -0 -a "$work/files" cat > /dev/null   # page cache warm for everyone

baseline() { # name command...
    local name=$1; shift
    for _ in $(seq 1 "$runs"); do
        local start; start=$(now)
        "$@" > /dev/null
        echo $(( ($(now) - start) / 1000 ))
    done | median > "$work/$name"
}
baseline sha256sum xargs -0 -a "$work/files" -n 256 sha256sum
baseline sha256sum-p2 xargs -0 -a "$work/files" -n 256 -P 2 sha256sum
baseline openssl xargs -0 -a "$work/files" -n 256 openssl dgst -sha256
baseline openssl-p2 xargs -0 -a "$work/files" -n 256 -P 2 openssl dgst -sha256

java -cp "$jmh/classes:$jmh/lib/*" org.openjdk.jmh.Main RootfsDigestBenchmark \
    -p source="dir:$rootfs" -p threads=0,1 -f 1 -wi 3 -w 2s -i 5 -r 3s -rf json -rff "$work/dir.json" > "$work/jmh-dir.log"
java -cp "$jmh/classes:$jmh/lib/*" org.openjdk.jmh.Main 'RootfsDigestBenchmark.warm' \
    -p source="bundle:$here/bench/.cache/busybox/bundle" -p threads=0,1 -f 1 -wi 3 -w 2s -i 5 -r 2s -rf json \
    -rff "$work/busybox.json" > "$work/jmh-busybox.log"
java -cp "$jmh/classes:$jmh/lib/*" org.openjdk.jmh.Main 'RootfsDigestBenchmark.cold' \
    -p source="oci:$cache/oci:minbase" -p threads=0 -f 1 -wi 2 -w 2s -i 3 -r 3s -rf json -rff "$work/oci.json" > "$work/jmh-oci.log"

# carapace's own byte count: regular-file content, each inode once
carapace_bytes=$("$here/bin/carapace" image digest --json "dir:$rootfs" | sed -n 's/.*"bytes" : \([0-9]*\).*/\1/p')
p50() { # file benchmark threads -> median ms
    jq -r --arg b "$2" --arg t "$3" '.[] | select((.benchmark | endswith($b)) and .params.threads == $t)
        | .primaryMetric.scorePercentiles["50.0"]' "$1"
}
cold2=$(p50 "$work/dir.json" .cold 0); cold1=$(p50 "$work/dir.json" .cold 1)
warm2=$(p50 "$work/dir.json" .warm 0); warm1=$(p50 "$work/dir.json" .warm 1)
oci=$(p50 "$work/oci.json" .cold 0)
mbps() { awk -v b="$1" -v ms="$2" 'BEGIN {printf "%.0f", b / 1e6 / (ms / 1000)}'; }

echo "Debian minbase ($(. /etc/os-release; echo "$VERSION_CODENAME")): $entries entries, $files regular files, $bytes bytes" \
    "($carapace_bytes bytes of distinct inodes); $(nproc) cores, $(java -version 2>&1 | head -n 1);" \
    "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '| what | median ms | MB/s | vs sha256sum | vs openssl |\n|---|---|---|---|---|\n'
s1=$(awk '{print $1/1000}' "$work/sha256sum"); o1=$(awk '{print $1/1000}' "$work/openssl")
row() { # label ms bytes
    printf '| %s | %.1f | %s | %.1fx | %.2fx |\n' "$1" "$2" "$(mbps "$3" "$2")" \
        "$(awk -v a="$s1" -v b="$2" 'BEGIN {print a/b}')" "$(awk -v a="$o1" -v b="$2" 'BEGIN {print a/b}')"
}
row "carapace cold, 2 threads (dir:)" "$cold2" "$carapace_bytes"
row "carapace cold, 1 thread (dir:)" "$cold1" "$carapace_bytes"
row "carapace warm cache, 2 threads (dir:)" "$warm2" "$carapace_bytes"
row "carapace warm cache, 1 thread (dir:)" "$warm1" "$carapace_bytes"
row "carapace from gzip layers (oci:)" "$oci" "$carapace_bytes"
printf '| busybox bundle, warm cache, 2 threads (gate case) | %.2f | | | |\n' "$(p50 "$work/busybox.json" .warm 0)"
printf '| busybox bundle, warm cache, 1 thread (gate case) | %.2f | | | |\n' "$(p50 "$work/busybox.json" .warm 1)"
row "sha256sum, 1 process" "$s1" "$bytes"
row "sha256sum, 2 processes" "$(awk '{print $1/1000}' "$work/sha256sum-p2")" "$bytes"
row "openssl dgst -sha256, 1 process" "$o1" "$bytes"
row "openssl dgst -sha256, 2 processes" "$(awk '{print $1/1000}' "$work/openssl-p2")" "$bytes"
