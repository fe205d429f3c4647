// The long-form soak: node --import tsx bench/soak/run.ts [--minutes N] [--churn N] [--qps N]
// [--fault-every S] [--seed N]. Runs the server against the fake apiserver with churn, faults
// and checked load (bench/soak/soak.ts), prints a line a second, writes
// bench/soak/results/soak-<time>.json and .svg (RSS over time), and exits 1 on any wrong or
// lost answer.

import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { memoryPlot } from "./plot.js";
import { DEFAULT_OPTIONS, runSoak } from "./soak.js";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "10" },
    churn: { type: "string", default: String(DEFAULT_OPTIONS.churnPerSecond) },
    qps: { type: "string", default: String(DEFAULT_OPTIONS.queriesPerSecond) },
    "fault-every": { type: "string", default: String(DEFAULT_OPTIONS.faultEverySeconds) },
    seed: { type: "string", default: "1" },
  },
});
const number = (flag: string, text: string | undefined): number => {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    console.error(`--${flag} must be a positive number`);
    process.exit(2);
  }
  return value;
};

const minutes = number("minutes", values.minutes);
const report = await runSoak(
  {
    seconds: minutes * 60,
    churnPerSecond: number("churn", values.churn),
    queriesPerSecond: number("qps", values.qps),
    faultEverySeconds: number("fault-every", values["fault-every"]),
    onSample: (s) => {
      if (process.env.SOAK_VERBOSE === undefined && Math.round(s.seconds) % 10 !== 0) return;
      console.log(
        `${s.seconds.toFixed(0).padStart(5)} s  sent ${s.sent}  answered ${s.answered}  wrong ${s.wrong}  servfail ${s.servfail}  lost ${s.lost}  rss ${s.rssMiB} MiB  heap ${s.heapUsedMiB} MiB  loop max ${s.loopDelayMaxMs} ms`,
      );
    },
  },
  number("seed", values.seed),
);

const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), "results");
mkdirSync(dir, { recursive: true });
const base = path.join(dir, `soak-${stamp}`);
writeFileSync(`${base}.json`, JSON.stringify(report, null, 2) + "\n");
writeFileSync(
  `${base}.svg`,
  memoryPlot(
    report.samples,
    `clusterset-dns soak, ${minutes} min: RSS and heap used (${report.queries.sent} queries, ${report.faults.survived} faults)`,
  ),
);
const { samples: _samples, ...summary } = report;
console.log(JSON.stringify(summary, null, 2));
console.log(`results: ${path.relative(process.cwd(), base)}.json / .svg`);
process.exitCode = report.queries.wrong === 0 && report.queries.lost === 0 ? 0 : 1;
