#!/usr/bin/env bash
# Running-container protection benchmark (docs/benchmarks.md, "Running-container protection").
# Real runc containers of the protection test image, protected and unprotected, interleaved, in a JVM with the
# shipped runtime's GC settings. Needs root, runc, umoci, gcc.
#   bench/protection.sh [ROUNDS] [native|java] [SECTIONS]      SECTIONS: latency,first,loops (default all)
# Figures: bundles/org.carapace.protection/target/protection-bench-<responder>.txt
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-7}
responder=${2:-native}
sections=${3:-latency,first,loops}
mvn -B -q verify -pl bundles/org.carapace.protection -am -Dbench.excludedGroups=none -Dgroups=bench \
    -Dtest=ProtectionBench -Dsurefire.failIfNoSpecifiedTests=false -Dbench.rounds="$rounds" \
    -Dbench.responder="$responder" -Dbench.sections="$sections" \
    -Dbench.argLine="-XX:+UseSerialGC -Xmx160m"
cat "bundles/org.carapace.protection/target/protection-bench-$responder.txt"
