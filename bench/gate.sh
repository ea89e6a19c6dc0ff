#!/usr/bin/env bash
# What the container gate adds to a container's creation, with the baseline measured in the same run, interleaved
# (ABBA: the order of the conditions is reversed every other round):
#   1. busybox: `runc run` (create, start /bin/true, delete) of a runc bundle without and with the Carapace hooks in
#      config.json, and, in a phase of its own, `podman run --rm` without and with them (--hooks-dir: an empty one vs.
#      the one bin/carapace-install-hook writes);
#   2. the hook alone, against the running gate: a static binary's exec (busybox true, the floor), the hook at a
#      non-gating stage (exec + socket round trip, no decision), the hook deciding the busybox bundle and the
#      Debian minbase bundle (warm cache), each with the gate's own decision time (gate.status);
#   3. Debian minbase (bench/imagehash-prepare.sh builds and caches it): `runc run` without and with the hook,
#      warm; then cold: the runtime restarted before each run (its file digest cache lives in memory only, so a
#      restart is what empties it; the JIT is warmed again on a copy of the image, other inodes, before the timed
#      run), with the page cache kept, and with the page cache dropped too (sync; echo 3 > drop_caches, before the
#      timed run of both conditions).
# The runtime's running-container protection is switched off (protection.enabled=false): this measures the gate;
# protection's own setup at createRuntime is reported in its log and in docs/benchmarks.md (protection section).
# The runtime runs the dev profile with the gate's own decision timeout raised to 30 s and its hashing limit to 29 s,
# so that the hook's 5 s (the installed configuration) is the limit a timed run meets, and the untimed JIT warm-up
# after a restart (a copy of the image nobody has read yet: page-cache cold) cannot time out.
# Everything lives in a temporary directory (runtime, keys, trust root, signed policy, runc state, podman storage)
# and is removed on exit. Needs root, runc, podman, umoci, skopeo, jq, python3, setcap, debootstrap (first run).
#   bench/gate.sh [RUNS]       (default 50 per condition)
# Environment: GATE_BENCH_COLD_RUNS (default RUNS), GATE_BENCH_DROP_CACHES=0 to skip the page-cache-cold pair,
# GATE_BENCH_KEEP=1 to keep the work directory. Raw times: bench/.cache/gate-times.tsv.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-50}
cold_runs=${GATE_BENCH_COLD_RUNS:-$runs}
drop_caches=${GATE_BENCH_DROP_CACHES:-1}
warmup=5

die() { echo "bench/gate: $*" >&2; exit 2; }
case "$runs$cold_runs" in ''|*[!0-9]*) die "RUNS and GATE_BENCH_COLD_RUNS take a number" ;; esac
[ "$(id -u)" = 0 ] || die "needs root (runc, podman, image unpacking with owners, drop_caches)"
[ "${BASH_VERSINFO[0]}" -ge 5 ] || die "needs bash 5 (EPOCHREALTIME)"
for tool in runc podman umoci skopeo jq python3 setcap; do
    command -v "$tool" >/dev/null || die "$tool not found (bin/setup installs what the project needs)"
done
[ -x /bin/busybox ] || die "/bin/busybox not found (apt-get install busybox-static)"

. "$here/bin/lib.sh"
carapace_ensure_built bundles/org.carapace.enforcement/target/carapace-oci-hook runtime-configs/dev/target/dev.jar \
    "bundles/org.carapace.cli/target/org.carapace.cli-*.jar"
mb_cache=$("$here/bench/imagehash-prepare.sh")
mkdir -p "$here/bench/.cache"

work=$(mktemp -d /var/tmp/carapace-gatebench.XXXXXX)
runtime_pid=
pod=(podman --root "$work/podman/root" --runroot "$work/podman/runroot" --tmpdir "$work/podman/tmp"
     --storage-driver vfs --cgroup-manager cgroupfs --runtime runc --events-backend file)
cleanup() {
    set +e
    local id
    for id in "$work"/held-*.state.pid; do [ -f "$id" ] && kill "$(cat "$id")" 2>/dev/null; done
    for id in $(runc --root "$work/runc" list -q 2>/dev/null); do runc --root "$work/runc" delete -f "$id" >/dev/null 2>&1; done
    [ -d "$work/podman/root" ] && "${pod[@]}" rm -af >/dev/null 2>&1
    stop_runtime
    awk -v t="$work/" 'index($2, t) == 1 { print $2 }' /proc/mounts | sort -r | while read -r m; do umount -l "$m"; done
    if [ "${GATE_BENCH_KEEP:-0}" = 1 ]; then echo "bench/gate: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export CARAPACE_DATA_DIR=$work/data CARAPACE_RUN_DIR=$work/run
carapace() { "$here/bin/carapace" "$@"; }
sock=$work/run/gate.sock

free_udp_ports() { # two UDP ports on 127.0.0.1 nobody has bound
    local used p found=0; used=$(ss -Hulna | awk '{ n = split($4, a, ":"); print a[n] }')
    for ((p = 20000 + RANDOM % 20000; found < 2; p += 2)); do
        grep -qx "$p" <<<"$used" || { echo "$p"; found=$((found + 1)); }
    done
}
start_runtime() {
    : >> "$work/runtime.log"
    local before; before=$(grep -c 'Carapace runtime ready' "$work/runtime.log" || true)
    # the dev profile's SecOC demo endpoints bind two UDP ports: free ones, so that another dev runtime may run
    local ports; ports=($(free_udp_ports))
    "$here/bin/carapace-runtime" --profile dev --set secoc.demoPortA="${ports[0]}" --set secoc.demoPortB="${ports[1]}" \
        --set gate.decisionTimeoutMillis=30000 --set gate.maxHashMillis=29000 --set protection.enabled=false ${GATE_BENCH_RUNTIME_ARGS:-} >>"$work/runtime.log" 2>&1 </dev/null &
    runtime_pid=$!
    for _ in $(seq 1 600); do
        [ "$(grep -c 'Carapace runtime ready' "$work/runtime.log")" -gt "${before:-0}" ] && [ -S "$sock" ] && return 0
        kill -0 "$runtime_pid" 2>/dev/null || { tail -n 20 "$work/runtime.log" >&2; die "the runtime exited while starting"; }
        sleep 0.1
    done
    tail -n 20 "$work/runtime.log" >&2
    die "the runtime was not ready within 60 s"
}
stop_runtime() {
    [ -n "$runtime_pid" ] || return 0
    kill -TERM "$runtime_pid" 2>/dev/null
    wait "$runtime_pid" 2>/dev/null || true
    runtime_pid=
}

# the gate's own decision times: gate.status keeps the 20 most recent decisions (container id, durationMicros)
decisions() {
    python3 - "$work/run/admin.sock" <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
s.sendall(b'{"command":"gate.status","arguments":{}}\n')
data = b''
while not data.endswith(b'\n'):
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
answer = json.loads(data)
if not answer.get('ok'):
    sys.exit('gate.status failed: %s' % answer)
for d in answer['result']['recent']:
    print(d['containerId'], d['verdict'], d['durationMicros'])
EOF
}
collect_decisions() { decisions >> "$work/decisions"; }

# ---- set-up: runtime, images, keys, trust root, signed policy whitelisting busybox and minbase, manifests ----
echo "bench/gate: setting up in $work ..." >&2
mkdir -p "$work/keys" "$work/runc"
start_runtime
"$here/integration-tests/images/build-busybox-image.sh" "$work/bb-oci" >/dev/null
# podman creates /etc/mtab -> /proc/mounts in a container's rootfs when the image has none (not a mount point, so
# the gate sees an added file and refuses): the benchmark's busybox carries it, for runc and podman alike
(umask 022 && umoci unpack --image "$work/bb-oci:latest" "$work/bb-build" >/dev/null \
    && ln -s /proc/mounts "$work/bb-build/rootfs/etc/mtab" \
    && umoci repack --image "$work/bb-oci:latest" "$work/bb-build" >/dev/null && rm -rf "$work/bb-build")
image_digest() { # source manifest-out -> "DIGEST FILES"
    carapace image digest --json --manifest "$2" "$1" > "$work/digest.json"
    jq -r '"\(.rootfsDigest) \(.files // .entries)"' "$work/digest.json"
}
read -r bb_digest bb_files < <(image_digest "oci:$work/bb-oci:latest" "$work/bb-manifest.json")
read -r mb_digest mb_files < <(image_digest "oci:$mb_cache/oci:minbase" "$work/mb-manifest.json")
for k in root base add; do carapace keys generate -o "$work/keys/$k.pem" >/dev/null; done
carapace trust init --key root="$work/keys/root.pem" --key base-policy="$work/keys/base.pem" \
    --key additional-policy="$work/keys/add.pem" --sign "$work/keys/root.pem" -o "$work/root.json" >/dev/null
carapace trust install "$work/root.json" >/dev/null
carapace policy init -o "$work/base.json" >/dev/null
carapace policy add-image "$work/base.json" --name busybox --rootfs-digest "$bb_digest" \
    --manifest-ref "$bb_digest:$bb_files" >/dev/null
carapace policy add-image "$work/base.json" --name debian-minbase --rootfs-digest "$mb_digest" \
    --manifest-ref "$mb_digest:$mb_files" >/dev/null
carapace policy sign "$work/base.json" --key "$work/keys/base.pem" -o "$work/base.signed.json" >/dev/null
carapace policy install "$work/base.signed.json" >/dev/null
# the gate compares a rootfs whose mount points are left out with the whitelisted image's manifest
carapace gate manifest add "$work/bb-manifest.json" >/dev/null
carapace gate manifest add "$work/mb-manifest.json" >/dev/null

# the hook, installed the way a device installs it: hooks.d entries for podman, the config.json snippet for runc
"$here/bin/carapace-install-hook" --prefix "$work/prefix" --hooks-dir "$work/hooks-carapace" --socket "$sock" >/dev/null
hook=$work/prefix/libexec/carapace/carapace-oci-hook
mkdir -p "$work/hooks-empty"
jq --arg path "$hook" --arg sock "$sock" '.hooks |= map_values(map(.path = $path
    | .args = [.args[] | if . == "/run/carapace/gate.sock" then $sock else . end]))' \
    "$here/runtime-configs/hooks/runc-config-hooks.json" > "$work/runc-hooks.json"

# runc bundles: one unpacked rootfs per image, two config.json (without / with the hooks) pointing at it
umask 022
umoci unpack --image "$work/bb-oci:latest" "$work/bb" >/dev/null
umoci unpack --image "$mb_cache/oci:minbase" "$work/mb" >/dev/null
bundle() { # image-dir name with-hooks(0|1)
    mkdir -p "$work/$2"
    jq --arg root "$work/$1/rootfs" '.root.path = $root | .process.terminal = false | .process.args = ["/bin/true"]' \
        "$work/$1/config.json" > "$work/$2/config.json"
    if [ "$3" = 1 ]; then
        jq -s '.[0] * .[1]' "$work/$2/config.json" "$work/runc-hooks.json" > "$work/$2/config.hooked"
        mv "$work/$2/config.hooked" "$work/$2/config.json"
    fi
}
bundle bb bb-plain 0; bundle bb bb-hook 1; bundle mb mb-plain 0; bundle mb mb-hook 1
# the hook-alone cases need a container that is really being created: the gate looks at the root file system through
# the mount namespace of the state's init process, which must have the rootfs mounted (runc's bind mount) and not yet
# pivoted. A container held at createRuntime provides that: its only hook saves the state and sleeps.
held_pids=()
hold() { # name image-dir: runc create blocked in its createRuntime hook; its state in $work/name.state
    bundle "$2" "$1" 0
    jq --arg state "$work/$1.state" '.hooks = {createRuntime: [{path: "/bin/sh",
        args: ["sh", "-c", "echo $$ > \"$0.pid\" && cat > \"$0.tmp\" && mv \"$0.tmp\" \"$0\" && exec sleep 1000000", $state]}]}' \
        "$work/$1/config.json" > "$work/$1/c" && mv "$work/$1/c" "$work/$1/config.json"
    runc --root "$work/runc" create --bundle "$work/$1" "cgb-$1" </dev/null >/dev/null 2>"$work/$1.err" &
    held_pids+=($!)
    local i
    for ((i = 0; i < 200; i++)); do [ -s "$work/$1.state" ] && return 0; sleep 0.05; done
    die "cannot hold a container at createRuntime: $(cat "$work/$1.err")"
}
release_held() { # the sleeping hooks are killed: runc create fails on its hook and removes the containers itself
    local name
    for name in held-bb held-mb held-mbcopy; do
        if [ -f "$work/$name.state.pid" ]; then kill "$(cat "$work/$name.state.pid")" 2>/dev/null || true; fi
    done
    wait "${held_pids[@]}" 2>/dev/null || true
    held_pids=()
    for name in held-bb held-mb held-mbcopy; do
        runc --root "$work/runc" delete -f "cgb-$name" >/dev/null 2>&1 || true
    done
}
# a copy of minbase (same content, other inodes) to warm the JIT after a restart without warming the digest cache
mkdir -p "$work/mbcopy"
cp -a "$work/mb/rootfs" "$work/mbcopy/rootfs"
cp "$work/mb/config.json" "$work/mbcopy/config.json"
hold held-bb bb; hold held-mb mb; hold held-mbcopy mbcopy

# podman: the busybox image in vfs storage, loaded offline
mkdir -p "$work/podman/tmp"
skopeo copy --quiet "oci:$work/bb-oci:latest" \
    "containers-storage:[vfs@$work/podman/root+$work/podman/runroot]localhost/busybox:latest" >/dev/null

# ---- timing ----
times=$work/times
: > "$times"
fail() { # what
    tail -n 5 "$work/last.err" >&2
    tail -n 5 "$work/runtime.log" >&2
    die "$1 failed"
}
timed() { # label command... (stdout discarded, stderr kept for the failure message)
    local label=$1; shift
    local t0=$EPOCHREALTIME
    "$@" >/dev/null 2>"$work/last.err" </dev/null || fail "$label ($*)"
    local t1=$EPOCHREALTIME
    echo "$label $(( ${t1//[.,]/} - ${t0//[.,]/} ))" >> "$times"
}
timed_stdin() { # label stdin-file command...
    local label=$1 input=$2; shift 2
    local t0=$EPOCHREALTIME
    "$@" >/dev/null 2>"$work/last.err" <"$input" || fail "$label ($*)"
    local t1=$EPOCHREALTIME
    echo "$label $(( ${t1//[.,]/} - ${t0//[.,]/} ))" >> "$times"
}
n=0
next_id() { n=$((n + 1)); id=cgb-$1-$n; }
runc_run() { runc --root "$work/runc" run --bundle "$work/$1" "$2"; }
podman_run() { "${pod[@]}" --hooks-dir "$work/$1" run --rm --ulimit nofile=20000:20000 --ulimit nproc=4096:4096 \
    --network none --pull never localhost/busybox:latest /bin/true; }
state() { # held-container id -> file (the OCI state a runtime passes to a hook on stdin, under another id each time)
    jq --arg id "$2" '.id = $id' "$work/$1.state" > "$work/state.json"
}
release() { "$hook" --stage poststop --socket "$sock" < "$work/state.json" >/dev/null 2>&1 || true; } # untimed
drop_page_cache() { sync; echo 3 > /proc/sys/vm/drop_caches; }
run_round() { # round condition... (ABBA: reversed order in even rounds)
    local round=$1; shift
    local conds=("$@") i
    if [ $((round % 2)) = 0 ]; then
        for ((i = ${#conds[@]} - 1; i >= 0; i--)); do "${conds[$i]}"; done
    else
        for i in "${conds[@]}"; do "$i"; done
    fi
}
phase() { # label rounds condition...
    local label=$1 rounds=$2 r; shift 2
    echo "bench/gate: $label: $rounds rounds of $*" >&2
    for ((r = 1; r <= rounds; r++)); do
        run_round "$r" "$@"
        [ $((r % 5)) = 0 ] && collect_decisions
    done
    collect_decisions
}

c_runc_plain() { next_id rp; timed runc-busybox-without runc_run bb-plain "$id"; }
c_runc_hook() { next_id rh; timed runc-busybox-with runc_run bb-hook "$id"; }
c_podman_plain() { timed podman-busybox-without podman_run hooks-empty; }
c_podman_hook() { timed podman-busybox-with podman_run hooks-carapace; }
c_exec_floor() { timed_stdin exec-static-binary "$work/state.json" /bin/busybox true; }
c_hook_notify() { next_id hn; state held-bb "$id"
    timed_stdin hook-poststop-no-decision "$work/state.json" "$hook" --stage poststop --socket "$sock"; }
c_hook_bb() { next_id hb; state held-bb "$id"
    timed_stdin hook-decision-busybox "$work/state.json" "$hook" --stage createRuntime --socket "$sock"; release; }
c_hook_mb() { next_id hm; state held-mb "$id"
    timed_stdin hook-decision-minbase "$work/state.json" "$hook" --stage createRuntime --socket "$sock"; release; }
c_mb_plain() { next_id mp; timed minbase-without runc_run mb-plain "$id"; }
c_mb_hook() { next_id mh; timed minbase-with-warm runc_run mb-hook "$id"; }
restart_cold() { # a fresh runtime (empty digest cache), its JIT warmed on the copy of minbase and on busybox
    stop_runtime
    start_runtime
    local i
    next_id jit; state held-mbcopy "$id"
    "$hook" --stage createRuntime --timeout-ms 35000 --socket "$sock" < "$work/state.json" > /dev/null 2>"$work/last.err" \
        || fail "JIT warm-up on the minbase copy"
    release
    for i in 1 2 3 4 5; do
        next_id jit; state held-bb "$id"
        "$hook" --stage createRuntime --socket "$sock" < "$work/state.json" > /dev/null 2>"$work/last.err" || fail "JIT warm-up on busybox"
        release
    done
}
c_mb_plain_cold_phase() { next_id mp; timed minbase-without-cold-phase runc_run mb-plain "$id"; }
c_mb_cold() { restart_cold; next_id mc; timed minbase-with-cold runc_run mb-hook "$id"; collect_decisions; }
c_mb_plain_dropped() { drop_page_cache; next_id mpd; timed minbase-without-pagecache-dropped runc_run mb-plain "$id"; }
c_mb_cold_dropped() { restart_cold; drop_page_cache; next_id mcd
    timed minbase-with-cold-pagecache-dropped runc_run mb-hook "$id"; collect_decisions; }

# first of each: must be allowed (the gate's log says ALLOW), then warm-up rounds that are not recorded
: > "$work/decisions"
podman_run hooks-carapace >/dev/null 2>"$work/last.err" </dev/null || fail "podman run with the hook"
grep -q 'Gate: ALLOW container [0-9a-f]\{64\} (image busybox)' "$work/runtime.log" || fail "podman run with the hook (no ALLOW in the log)"
next_id check; runc_run mb-hook "$id" >/dev/null 2>"$work/last.err" </dev/null || fail "minbase with the hook"
grep -q "Gate: ALLOW container $id (image debian-minbase)" "$work/runtime.log" || fail "minbase with the hook (no ALLOW in the log)"
next_id check; state held-mbcopy "$id"
"$hook" --stage createRuntime --socket "$sock" < "$work/state.json" >/dev/null 2>"$work/last.err" || fail "the hook on the minbase copy"
release
echo "bench/gate: podman, runc and the minbase copy are allowed; warming up ..." >&2
for ((r = 1; r <= warmup; r++)); do
    run_round "$r" c_runc_plain c_runc_hook c_podman_plain c_podman_hook c_hook_bb c_mb_plain c_mb_hook
done
: > "$times"
{ echo "#"; decisions | awk '{ print $1 }'; } > "$work/decisions-warmup"   # still listed by gate.status: not counted
: > "$work/decisions"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

# runc and podman in phases of their own: podman's clean-up of a --rm container goes on after it returns and would
# slow whichever runc run came next
phase "busybox, runc" "$runs" c_runc_plain c_runc_hook
phase "busybox, podman" "$runs" c_podman_plain c_podman_hook
phase "the hook alone" "$runs" c_exec_floor c_hook_notify c_hook_bb c_hook_mb
phase "minbase warm" "$runs" c_mb_plain c_mb_hook
if [ "$drop_caches" = 1 ]; then
    phase "minbase cold" "$cold_runs" c_mb_plain_cold_phase c_mb_cold c_mb_plain_dropped c_mb_cold_dropped
else
    phase "minbase cold" "$cold_runs" c_mb_plain_cold_phase c_mb_cold
fi
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
release_held
[ -z "$(runc --root "$work/runc" list -q)" ] || die "runc containers left behind: $(runc --root "$work/runc" list -q)"
[ -z "$("${pod[@]}" ps -aq)" ] || die "podman containers left behind"
cp "$times" "$here/bench/.cache/gate-times.tsv"

# ---- report ----
stat_of() { # label -> "median p90 n" in ms (p90: nearest rank)
    awk -v l="$1" '$1 == l { print $2 }' "$times" | sort -n | awk '{a[NR] = $1}
        END { if (NR == 0) { print "- - 0"; exit }
              m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
              k = int(0.9 * NR); if (k < 0.9 * NR) k++
              printf "%.2f %.2f %d\n", m / 1000, a[k] / 1000, NR }'
}
# the gate's decision time for the decisions whose container id matches (unique ids: each decision once)
decision_of() { # id-regex -> "median p90 n" in ms
    sort -u "$work/decisions" | awk -v re="$1" 'NR == FNR { skip[$1] = 1; next } $1 ~ re && !($1 in skip) { print $3 }' \
        "$work/decisions-warmup" - | sort -n | awk '{a[NR] = $1}
        END { if (NR == 0) { print "- - 0"; exit }
              m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
              k = int(0.9 * NR); if (k < 0.9 * NR) k++
              printf "%.2f %.2f %d\n", m / 1000, a[k] / 1000, NR }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-") print "-"; else printf "%.3f", a / b }'; }
row() { # what without-label with-label gate-decision-regex target
    local wo w d
    read -r wm wp wn <<<"$(stat_of "$2")"
    read -r hm hp hn <<<"$(stat_of "$3")"
    read -r dm dp dn <<<"$(decision_of "$4")"
    printf '| %s | %s | %s / %s | %s / %s | %s | %s | %s / %s | %s |\n' "$1" "$wn" "$wm" "$wp" "$hm" "$hp" \
        "$(ratio "$hm" "$wm")" "$(ratio "$hp" "$wp")" "$dm" "$dp" "$5"
}
echo
echo "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $(uname -r)," \
    "$(runc --version | head -n 1), podman $(podman --version | awk '{print $3}');" \
    "busybox image $bb_files files, Debian minbase ($(. /etc/os-release; echo "$VERSION_CODENAME")) $mb_files files;" \
    "load average at the start: $load_start, at the end: $load_end"
echo
echo '| what | runs | without: median / p90 ms | with: median / p90 ms | ratio median | ratio p90 | gate decision median / p90 ms | target |'
echo '|---|---|---|---|---|---|---|---|'
row "runc run busybox" runc-busybox-without runc-busybox-with '^cgb-rh-' "≤ 1.10"
row "podman run --rm busybox" podman-busybox-without podman-busybox-with '^[0-9a-f]+$' "≤ 1.02"
row "runc run Debian minbase, warm" minbase-without minbase-with-warm '^cgb-mh-' ""
row "runc run Debian minbase, cold digest cache" minbase-without-cold-phase minbase-with-cold '^cgb-mc-' ""
if [ "$drop_caches" = 1 ]; then
    row "runc run Debian minbase, cold digest and page cache" minbase-without-pagecache-dropped \
        minbase-with-cold-pagecache-dropped '^cgb-mcd-' ""
fi
echo
echo '| the hook alone | runs | median ms | p90 ms | gate decision median / p90 ms |'
echo '|---|---|---|---|---|'
hook_row() { # what label regex
    read -r m p c <<<"$(stat_of "$2")"
    read -r dm dp dn <<<"$(decision_of "$3")"
    printf '| %s | %s | %s | %s | %s / %s |\n' "$1" "$c" "$m" "$p" "$dm" "$dp"
}
hook_row "exec of a static binary (busybox true), the floor" exec-static-binary '^$'
hook_row "hook at a non-gating stage (poststop): exec + socket round trip, no decision" hook-poststop-no-decision '^$'
hook_row "hook, createRuntime, busybox bundle (warm)" hook-decision-busybox '^cgb-hb-'
hook_row "hook, createRuntime, Debian minbase bundle (warm)" hook-decision-minbase '^cgb-hm-'
