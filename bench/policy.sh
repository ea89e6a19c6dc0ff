#!/usr/bin/env bash
# Policy store benchmarks (JMH, bench/jmh, package org.carapace.bench.policy): loading and verifying a policy of
# 10,000 images step by step (plain Jackson as the baseline) and lookups per second (plain HashMap as the baseline).
#   bench/policy.sh [PATTERN] [JMH options]   default: all policy benchmarks, -wi 3 -w 2s -i 5 -r 2s (one fork, @Fork)
#   bench/policy.sh PolicyLookup -i 10       only the lookups
# Figures and the command used: docs/benchmarks.md, section "Policy store".
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../bin/lib.sh"
cd "$CARAPACE_HOME"
mvn -B -q -DskipTests package -pl bench/jmh -am
cp="bench/jmh/target/classes:bench/jmh/target/lib/*"
# forks run with the runtime's heap settings (-Xmx160m, serial GC: @Fork in the benchmark classes)
pattern='org.carapace.bench.policy.*'
if [ $# -gt 0 ] && [ "${1#-}" = "$1" ]; then pattern="org.carapace.bench.policy.$1"; shift; fi
[ $# -gt 0 ] || set -- -wi 3 -w 2s -i 5 -r 2s
exec java -cp "$cp" org.openjdk.jmh.Main "$pattern" "$@"
