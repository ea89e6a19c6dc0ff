#!/usr/bin/env bash
# Security events per second at QoS 1 to a local Mosquitto through the durable journal, side by side with Paho alone
# (QoS 1 and QoS 0, same envelopes, no journal), interleaved rounds; then memory and disk with a million events
# queued offline and the time to deliver them. Figures: docs/benchmarks.md.
#   bench/events.sh [EVENTS_PER_ROUND] [ROUNDS] [OFFLINE_EVENTS]     (defaults 200000 3 1000000)
# The benchmark JVM gets the head unit runtime's heap limit (-Xmx160m, serial GC), so the offline figures show
# whether a day-long outage fits the device. The journal lives in a temporary directory on the working disk.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
# one reactor invocation: the class path of the benchmark names the freshly built module jars
mvn -B -q package dependency:build-classpath -pl bench/events -am -DskipTests \
    -Dmdep.outputFile=target/bench-events.classpath -Dmdep.includeScope=runtime
cp="bench/events/target/classes:$(cat bench/events/target/bench-events.classpath)"
mkdir -p bench/events/target
work=$(mktemp -d "$here/bench/events/target/work.XXXXXX")
trap 'rm -rf "$work"' EXIT
exec java -XX:+UseSerialGC -Xms16m -Xmx160m -cp "$cp" org.carapace.monitoring.internal.EventsBenchmark \
    "${1:-200000}" "${2:-3}" "${3:-1000000}" "$work"
