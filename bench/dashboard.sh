#!/usr/bin/env bash
# The fleet security dashboard: events ingested per second from a local Mosquitto into the embedded H2 database and
# into PostgreSQL (one run, side by side: the real carapace dashboard, verification and de-duplication included), then
# the page's load time in headless Chromium with those events stored, and the API calls behind it.
# Figures: docs/benchmarks.md.
#   bench/dashboard.sh [EVENTS] [DEVICES] [PAGE_LOADS]      (defaults 100000 100 5)
# Needs Mosquitto, PostgreSQL, chromium and chromium-driver (bin/setup); PostgreSQL is a throw-away cluster
# (bin/test-postgres) with fsync off, like the tests' (H2 writes its file without fsync too).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"
"$here/bin/setup"
mvn -B -q package dependency:build-classpath -pl bench/dashboard -am -DskipTests \
    -Dmdep.outputFile=target/bench-dashboard.classpath -Dmdep.includeScope=runtime
cp="bench/dashboard/target/classes:$(cat bench/dashboard/target/bench-dashboard.classpath)"
work=$(mktemp -d "$here/bench/dashboard/target/work.XXXXXX")
pg=$(mktemp -d /tmp/carapace-bench-pg-XXXXXX)
trap '"$here/bin/test-postgres" stop "$pg"; rm -rf "$work"' EXIT
url=$("$here/bin/test-postgres" start "$pg")
java -Xmx2g -cp "$cp" org.carapace.cli.dashboard.DashboardBenchmark "${1:-100000}" "${2:-100}" "${3:-5}" "$work" "$url"
