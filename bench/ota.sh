#!/usr/bin/env bash
# OTA update timing (docs/ota.md): from a package's arrival in the inbox (the rename an OTA client does) to the new
# bundle active and committed, and what the container gate answered while org.carapace.imagehash was swapped.
# Each round packages a new version of the image hashing bundle (the built jar with another Bundle-Version), signs it
# with two ota keys (threshold 2), renames it into the inbox of a running dev runtime, and meanwhile runs the real
# OCI hook (carapace-oci-hook) against gate.sock in a loop with a state whose bundle does not exist: every answer
# that is a gate decision reads "refused: ... bundle ...", a hook call that found no gate reads "not running",
# "closed the connection" or "no answer". An exit code 0 (allowed) would be an unchecked allow: the script fails.
#   bench/ota.sh [ROUNDS]      (default 5)
# Times come from the runtime's log (the installer's "active" line) against the rename's clock; the hook loop's raw
# lines stay in bench/.cache/ota-gate.tsv. Needs root (the gate's socket), jq, python3. Everything else lives in a
# temporary directory, removed on exit (OTA_BENCH_KEEP=1 keeps it).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-5}
. "$here/bin/lib.sh"
cd "$here"
carapace_ensure_built "runtime-configs/dev/target/dev.jar" "bundles/org.carapace.cli/target/lib/picocli-*.jar"
hook=bundles/org.carapace.enforcement/target/carapace-oci-hook
jar=$(ls bundles/org.carapace.imagehash/target/org.carapace.imagehash-*.jar | grep -v sources | head -n 1)
work=$(mktemp -d /tmp/carapace-bench-ota.XXXXXX)
runtime_pid=
cleanup() {
    [ -z "$runtime_pid" ] || kill "$runtime_pid" 2>/dev/null || true
    [ "${OTA_BENCH_KEEP:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT
cli() { bin/carapace "$@" >>"$work/cli.log" 2>&1; }
mkdir -p bench/.cache "$work/data"
: > bench/.cache/ota-gate.tsv

for key in root base ota1 ota2; do cli keys generate -o "$work/$key.pem"; done
cli trust init --key root="$work/root.pub.pem" --key base-policy="$work/base.pub.pem" \
    --key additional-policy="$work/base.pub.pem" --key ota="$work/ota1.pub.pem" --key ota="$work/ota2.pub.pem" \
    --threshold ota=2 --sign "$work/root.pem" -o "$work/root.json"

port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
: >"$work/runtime.log"
bin/carapace-runtime --profile dev --data-dir "$work/data" --run-dir "$work/run" \
    --set monitoring.broker=tcp://127.0.0.1:9 --set protection.enabled=false \
    --set secoc.demoPortA="$(port)" --set secoc.demoPortB="$(port)" >"$work/runtime.log" 2>&1 &
runtime_pid=$!
for _ in $(seq 1 120); do grep -q "Carapace runtime ready" "$work/runtime.log" && break; sleep 0.5; done
grep -q "Carapace runtime ready" "$work/runtime.log" || { cat "$work/runtime.log" >&2; exit 1; }
cli trust install "$work/root.json" --run-dir "$work/run"

# a state the gate refuses after reading it (its bundle does not exist): each answer is a real decision
printf '{"ociVersion":"1.0.2","id":"bench-ota","status":"creating","pid":1,"bundle":"%s/no-such-bundle"}' "$work" >"$work/state.json"

new_version() {  # SOURCE TARGET VERSION
    python3 - "$1" "$2" "$3" <<'PY'
import re, sys, zipfile
src, dst, ver = sys.argv[1:]
with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
    for item in zin.infolist():
        data = zin.read(item.filename)
        if item.filename == "META-INF/MANIFEST.MF":
            data = re.sub(r"Bundle-Version: [^\r\n]*", "Bundle-Version: " + ver, data.decode()).encode()
        zout.writestr(item, data)
PY
}

hook_loop() {  # ROUND; until $work/stop exists
    while [ ! -e "$work/stop" ]; do
        start=$(date +%s%N)
        if msg=$("$hook" --socket "$work/run/gate.sock" --timeout-ms 5000 <"$work/state.json" 2>&1); then rc=0; else rc=$?; fi
        end=$(date +%s%N)
        printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$start" "$end" "$rc" "$(printf '%s' "$msg" | tr '\t\n' '  ' | cut -c1-160)" \
            >>bench/.cache/ota-gate.tsv
    done
}

printf 'round\tarrival_to_active_ms\thook_calls\tdecided\tundecided\tallowed\tmedian_hook_ms\tmax_hook_ms\tundecided_window_ms\n'
for round in $(seq 1 "$rounds"); do
    version="0.9.$((100 + round))"
    name="imagehash-$version"
    new_version "$jar" "$work/$name.jar" "$version"
    cli ota package --name "$name" --jar "$work/$name.jar" --counter "$round" --expires +1d -o "$work/$name.u.ota"
    cli ota sign "$work/$name.u.ota" --key "$work/ota1.pem" --key "$work/ota2.pem" -o "$work/$name.ota"
    cp "$work/$name.ota" "$work/data/ota/inbox/.$name.part"
    rm -f "$work/stop"
    hook_loop "$round" &
    loop_pid=$!
    sleep 1
    arrival=$(date +%s%3N)
    mv "$work/data/ota/inbox/.$name.part" "$work/data/ota/inbox/$name.ota"
    for _ in $(seq 1 600); do grep -q "OTA: $name \(active\|failed\|rolled-back\)" "$work/runtime.log" && break; sleep 0.1; done
    sleep 1
    touch "$work/stop"
    wait "$loop_pid"
    line=$(grep "OTA: $name " "$work/runtime.log" | tail -n 1)
    case "$line" in *" active: "*) ;; *) echo "round $round: $line" >&2; exit 1 ;; esac
    active=$(date -d "$(printf '%s' "$line" | cut -d' ' -f1)" +%s%3N)
    python3 - "$round" "$((active - arrival))" <<'PY'
import sys
rnd, arrival_ms = sys.argv[1], sys.argv[2]
rows = [l.rstrip("\n").split("\t") for l in open("bench/.cache/ota-gate.tsv") if l.split("\t")[0] == rnd]
decided = [r for r in rows if r[3] != "0" and "refused: " in r[4] and "bundle" in r[4] and "not running" not in r[4]]
allowed = [r for r in rows if r[3] == "0"]
undecided = [r for r in rows if r not in decided and r not in allowed]
lat = [(int(r[2]) - int(r[1])) / 1e6 for r in rows]
window = (max(int(r[2]) for r in undecided) - min(int(r[1]) for r in undecided)) / 1e6 if undecided else 0
median = sorted(lat)[len(lat) // 2]
print(f"{rnd}\t{arrival_ms}\t{len(rows)}\t{len(decided)}\t{len(undecided)}\t{len(allowed)}\t{median:.0f}\t{max(lat):.0f}\t{window:.0f}")
if allowed:
    sys.exit("an unchecked ALLOW during the swap")
PY
done
