// Snapshot rebuilds under churn, in-process with the built code, the way the server runs them:
// objects into an ObjectStore (one LIST per kind, as the kube source does), a SnapshotPublisher
// with the server's debounce, then a stream of single-object changes at a fixed rate.
//
//   node bench/rebuild.mjs [--services 10000] [--endpoints 10] [--changes 300]
//                                      [--rate 50] [--runs 3]
//
// Reports per run: the first (full) build, every rebuild's duration (from the publisher's
// onBuilt), change-to-published latency (upsert → the snapshot holding it is current, i.e.
// debounce + build), the longest event-loop pause (perf_hooks monitorEventLoopDelay, 1 ms
// resolution) during the churn and during the first build.
// Changes cycle through: a ClusterSetIP ServiceImport's IP, a headless service's slice (one
// endpoint fewer/more), and a ClusterSetIP slice (no names change, still a rebuild).
// Writes bench/results/rebuild.json.

import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import {
  RESULTS_DIR,
  dist,
  ensureResultsDir,
  machineInfo,
  percentile,
  median,
  option,
} from "./lib/common.mjs";
import { ZONE, generateObjects, isHeadless } from "./lib/data.mjs";

const SERVICES = Number(option("services", "10000"));
const ENDPOINTS = Number(option("endpoints", "10"));
const CHANGES = Number(option("changes", "300"));
const RATE = Number(option("rate", "50"));
const RUNS = Number(option("runs", "3"));

const { parseObject } = await dist("zone/objects.js");
const { ObjectStore } = await dist("source/store.js");
const { SnapshotPublisher } = await dist("zone/publisher.js");

const round = (value, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: round(percentile(sorted, 50), 2),
    p99: round(percentile(sorted, 99), 2),
    max: round(sorted.at(-1) ?? NaN, 2),
  };
}

function parsed(raw) {
  const object = parseObject(raw)?.object;
  if (object === undefined)
    throw new Error(`bench object did not validate: ${JSON.stringify(raw)}`);
  return object;
}

/** The raw objects that the churn rewrites, and how. */
function changeMakers(raws) {
  const clusterSetIpImport = raws.find((raw) => raw.kind === "ServiceImport" && !isHeadless(0));
  const headlessIndex = [...Array(SERVICES).keys()].find(isHeadless);
  const headlessSlice = raws.find(
    (raw) =>
      raw.kind === "EndpointSlice" &&
      raw.metadata.labels["multicluster.kubernetes.io/service-name"] === `svc-${headlessIndex}`,
  );
  const clusterSetIpSlice = raws.find(
    (raw) =>
      raw.kind === "EndpointSlice" &&
      raw.metadata.labels["multicluster.kubernetes.io/service-name"] === "svc-0",
  );
  return [
    (n) => ({
      ...clusterSetIpImport,
      spec: { ...clusterSetIpImport.spec, ips: [`10.250.${(n >> 8) & 255}.${n & 255}`] },
    }),
    (n) => ({
      ...headlessSlice,
      endpoints: headlessSlice.endpoints.slice(n % 2),
    }),
    (n) => ({ ...clusterSetIpSlice, endpoints: clusterSetIpSlice.endpoints.slice(n % 2) }),
  ];
}

async function run(raws) {
  const store = new ObjectStore();
  const builds = [];
  const visible = [];
  /** Change number → when it was applied; resolved by the next published snapshot. */
  let waiting = [];
  const publisher = new SnapshotPublisher(store, {
    zone: { zone: ZONE, ttl: 5, nsAddresses: [] },
    onBuilt: (_snapshot, seconds) => {
      builds.push(seconds * 1000);
      const now = performance.now();
      for (const at of waiting) visible.push(now - at);
      waiting = [];
    },
    onBuildError: (error) => {
      throw error;
    },
  });
  const sink = store.sink("bench");
  const byKind = { ServiceImport: [], EndpointSlice: [], ClusterProperty: [] };
  for (const raw of raws) {
    const object = parsed(raw);
    byKind[object.kind].push(object);
  }
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  await sleep(20);
  for (const kind of Object.keys(byKind)) sink.replace(kind, byKind[kind]);
  sink.markSynced(); // the first snapshot: a full build, synchronous
  await sleep(20);
  loopDelay.disable();
  const firstBuildMs = builds[0];
  const firstBuildPauseMs = loopDelay.max / 1e6;
  builds.length = 0;

  const makers = changeMakers(raws);
  loopDelay.reset();
  loopDelay.enable();
  const interval = 1000 / RATE;
  const started = performance.now();
  for (let n = 0; n < CHANGES; n++) {
    // Open loop: the schedule does not wait for rebuilds.
    const due = started + n * interval;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const object = parsed(makers[n % makers.length](n + 1));
    waiting.push(performance.now());
    sink.upsert(object);
  }
  await sleep(200);
  loopDelay.disable();
  publisher.close();
  return {
    firstBuildMs: round(firstBuildMs),
    firstBuildPauseMs: round(firstBuildPauseMs),
    names: publisher.current.nodes.size,
    rebuildMs: stats(builds),
    changeVisibleMs: stats(visible),
    churnLoopDelayMs: {
      p50: round(loopDelay.percentile(50) / 1e6, 2),
      p99: round(loopDelay.percentile(99) / 1e6, 2),
      max: round(loopDelay.max / 1e6, 2),
    },
  };
}

const raws = generateObjects({ services: SERVICES, endpoints: ENDPOINTS });
const runs = [];
for (let r = 0; r < RUNS; r++) {
  const result = await run(raws);
  runs.push(result);
  console.log(`run ${r + 1}: ${JSON.stringify(result)}`);
}
const med = (pick) => round(median(runs.map(pick)), 2);
const summary = {
  firstBuildMs: med((r) => r.firstBuildMs),
  firstBuildPauseMs: med((r) => r.firstBuildPauseMs),
  rebuildP50Ms: med((r) => r.rebuildMs.p50),
  rebuildP99Ms: med((r) => r.rebuildMs.p99),
  rebuildMaxMs: med((r) => r.rebuildMs.max),
  visibleP50Ms: med((r) => r.changeVisibleMs.p50),
  visibleP99Ms: med((r) => r.changeVisibleMs.p99),
  loopDelayMaxMs: med((r) => r.churnLoopDelayMs.max),
};
console.log(`median of ${RUNS} runs: ${JSON.stringify(summary)}`);
ensureResultsDir();
writeFileSync(
  join(RESULTS_DIR, "rebuild.json"),
  `${JSON.stringify(
    {
      when: new Date().toISOString(),
      machine: machineInfo(),
      services: SERVICES,
      endpointsPerSlice: ENDPOINTS,
      changes: CHANGES,
      ratePerSecond: RATE,
      runs,
      median: summary,
    },
    null,
    2,
  )}\n`,
);
