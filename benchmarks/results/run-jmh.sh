#!/usr/bin/env bash
# The JMH runs behind RESULTS.md, in the order they were made. Run from the repository root after
# `mvn -B -q -DskipTests package`; each writes benchmarks/results/<name>.json.
set -euo pipefail
jar=benchmarks/target/benchmarks.jar
out=benchmarks/results
prof=(-prof gc -prof dev.inbox.benchmarks.LoopCpuProfiler)
java -jar $jar 'FanoutBenchmark' -p sink=discard -p burst=1 -f 2 -wi 3 -i 3 "${prof[@]}" -rf json -rff $out/fanout-discard.json
java -jar $jar 'FanoutBenchmark' -p sink=discard -p burst=16 -p recipients=1000 -p connectionsPerUser=1 -p metrics=on,off \
    -f 2 -wi 3 -i 3 "${prof[@]}" -rf json -rff $out/fanout-discard-burst-metrics.json
java -jar $jar 'FanoutBenchmark' -p sink=loopback -p burst=1 -p recipients=1,10,100,1000 -p connectionsPerUser=1 \
    -f 1 -wi 3 -i 3 "${prof[@]}" -rf json -rff $out/fanout-loopback.json
java -jar $jar 'CodecBenchmark' -f 2 -wi 3 -i 3 -prof gc -rf json -rff $out/codec.json
java -jar $jar 'RelayEnvelopeBenchmark' -f 2 -wi 3 -i 3 -prof gc -rf json -rff $out/relay-envelope.json
java -jar $jar 'RelayBenchmark' -f 3 -wi 3 -i 3 "${prof[@]}" -rf json -rff $out/relay.json
# The fan-out target's case three more times (separate JVMs, separate runs): RESULTS.md quotes their median.
for i in 1 2 3; do
  java -jar $jar 'FanoutBenchmark' -p sink=discard -p burst=1 -p recipients=1000 -p connectionsPerUser=1 \
      -f 1 -wi 3 -i 5 "${prof[@]}" -rf json -rff $out/fanout-discard-1000-run$i.json
done
