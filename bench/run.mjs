// `npm run bench`: every benchmark in turn, each also runnable on its own.
//   load.mjs    throughput and latency vs NSD and the naive dns2 server (dnsperf, pinned)
//   hotpath.mjs the query path in-process, with and without metrics
//   scale.mjs   memory, load time, rebuild and update latency at 100, 1k, 10k services
// Needs the Debian packages dnsperf and nsd (and a built server: npm run build). Extra
// arguments go to load.mjs. Installs nothing.

import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { BENCH_DIR, requireTools } from "./lib/common.mjs";

requireTools(["dnsperf", "nsd", "nsd-checkconf", "taskset"]);

const steps = [
  ["load.mjs", [], process.argv.slice(2)],
  ["hotpath.mjs", [], []],
  ["scale.mjs", ["--import", "tsx"], []],
];
for (const [script, nodeArgs, args] of steps) {
  console.log(`\n=== ${script} ===`);
  const result = spawnSync(process.execPath, [...nodeArgs, join(BENCH_DIR, script), ...args], {
    stdio: "inherit",
  });
  if (result.status !== 0) {
    console.error(`bench: ${script} failed (status ${result.status ?? result.signal})`);
    process.exit(1);
  }
}
