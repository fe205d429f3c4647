// Memory, load time, rebuild time and update latency as the ClusterSet grows (issue 6).
//
//   node --import tsx bench/scale.mjs [--sizes 100,1000,10000] [--endpoints 10] [--updates 50]
//                                      [--file-updates 20] [--seconds 5] [--sources file,folder,kube]
//                                      [--server-args "<more server flags>"]
//
// For each size: N ServiceImports × 3 clusters × `endpoints` endpoints (20% headless), served by
// the built server pinned to core 1, loaded from the file source (one JSON List manifest, and
// a folder of one manifest per namespace) and from the fake apiserver (kube source, list + watch). Measures time from process start to the first
// answer, RSS (VmRSS) after load, snapshot build time (full and after one change, in-process
// with the same code), update-visible latency (change one ServiceImport's IP, poll until the
// answer shows it), and QPS (dnsperf, core 0). Writes bench/results/scale.json and scale.svg.
// tsx is needed only to run the fake apiserver from test/support in this process.

import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  RESULTS_DIR,
  dist,
  dnsperf,
  ensureResultsDir,
  freePort,
  machineInfo,
  percentile,
  pinSelf,
  requireTools,
  rssMiB,
  sleep,
  stopChild,
  waitForAnswer,
  spawnPinned,
  SERVER_CORE,
  DIST,
  SERVER_NODE_ARGS,
  option,
} from "./lib/common.mjs";
import {
  ZONE,
  generateObjects,
  generateQueries,
  objectSetFromManifest,
  manifestText,
  serviceName,
} from "./lib/data.mjs";
import { writeCostCurveSvg } from "./lib/svg.mjs";

const SIZES = option("sizes", "100,1000,10000").split(",").map(Number);
const ENDPOINTS = Number(option("endpoints", "10"));
const UPDATES = Number(option("updates", "200"));
const FILE_UPDATES = Number(option("file-updates", "20"));
const SETTLE_SECONDS = Number(option("settle", "10"));
const SECONDS = Number(option("seconds", "5"));
const SOURCES = option("sources", "file,folder,kube").split(",");
/** More flags for every server, to try settings (e.g. --server-args "--cache-size 16"). */
const SERVER_ARGS = option("server-args", "").split(" ").filter(Boolean);
const A = 1;
/** dnsperf's background load while updates run: long enough for the slowest set of updates. */
const BACKGROUND_SECONDS = 40;

requireTools(["dnsperf", "taskset"]);
ensureResultsDir();
pinSelf();

const work = mkdtempSync(join(tmpdir(), "clusterset-scale-"));
process.on("exit", () => rmSync(work, { recursive: true, force: true }));

/** CoreDNS's published memory formula, MB ≈ (pods + services) × 0.000858 + 49.1. */
const coreDnsMiB = (pods, services) => (pods + services) * 0.000858 + 49.1;

/** Service 0 is ClusterSetIP; its A answer is what the update loop changes. */
const probeName = () => {
  const { namespace, name } = serviceName(0);
  return `${name}.${namespace}.svc.${ZONE}`;
};
const addressOf = (reply) => reply.answer.find((record) => record.data.type === A)?.data.address;
const ipFor = (n, base = 250) => `10.${base}.${(n >> 8) & 255}.${n & 255}`;

function withIp(raw, ip) {
  return { ...raw, spec: { ...raw.spec, ips: [ip] } };
}

/**
 * RSS once the server has sat idle for --settle seconds after loading: V8 gives back the
 * pages the load's garbage took (its memory reducer runs a few seconds after allocation
 * stops). This is the steady state CoreDNS's formula describes; rssMiB is 0.5 s after the
 * first answer.
 */
async function settledRss(pid) {
  await sleep(SETTLE_SECONDS * 1000);
  return rssMiB(pid);
}

function startServer(args, port) {
  const started = performance.now();
  const child = spawnPinned(SERVER_CORE, process.execPath, [
    ...SERVER_NODE_ARGS,
    join(DIST, "cli.js"),
    "--listen",
    `127.0.0.1:${port}`,
    "--http",
    "off",
    "--log-level",
    "warn",
    "--lameduck",
    "0",
    ...args,
    ...SERVER_ARGS,
  ]);
  return { child, started };
}

async function firstAnswer(server, port) {
  const exited = server.child.exited.then(({ code }) => {
    throw new Error(`server exited early (${code}): ${server.child.output}`);
  });
  exited.catch(() => {});
  await Promise.race([
    waitForAnswer(
      port,
      probeName(),
      A,
      (reply) => reply.header.rcode === 0 && addressOf(reply) !== undefined,
      {
        timeoutMs: 120000,
        intervalMs: 10,
      },
    ),
    exited,
  ]);
  return performance.now() - server.started;
}

/**
 * Change, then poll (every 2 ms) until the answer shows it; `count` times. `prepare(ip)` runs
 * untimed first (for a file: writing the new text beside the old, the bench's cost, not ours);
 * the clock starts at `apply(ip, prepared)`.
 */
async function updateLatencies(port, count, apply, base, prepare = async () => undefined) {
  const latencies = [];
  for (let n = 1; n <= count; n++) {
    const ip = ipFor(n, base);
    const prepared = await prepare(ip);
    const started = performance.now();
    await apply(ip, prepared);
    await waitForAnswer(port, probeName(), A, (reply) => addressOf(reply) === ip, {
      timeoutMs: 20000,
      intervalMs: 2,
    });
    latencies.push(performance.now() - started);
    await sleep(20);
  }
  latencies.sort((a, b) => a - b);
  return {
    count,
    p50Ms: round(percentile(latencies, 50)),
    p90Ms: round(percentile(latencies, 90)),
    p99Ms: round(percentile(latencies, 99)),
    maxMs: round(latencies.at(-1)),
  };
}

/**
 * Replace a manifest whole, as editors save and as the kubelet swaps a mounted ConfigMap: the
 * new text is written beside it (untimed), then renamed over it (timed from here). ".next" is
 * not a manifest name, so the source ignores the file until the rename.
 */
const nextPath = (path) => `${path}.next`;
/** One manifest per namespace in `dir`; returns the objects of each file, by file path. */
function writeFolder(dir, objects) {
  mkdirSync(dir, { recursive: true });
  const files = new Map();
  for (const object of objects) {
    const path = join(dir, `${object.metadata.namespace}.json`);
    if (!files.has(path)) files.set(path, []);
    files.get(path).push(object);
  }
  for (const [path, group] of files) writeFileSync(path, manifestText(group));
  return files;
}

/**
 * The file source from `source` (a file or a folder): first answer, RSS, QPS, then updates of
 * service 0 (`fileOf` says which file holds it and what that file's objects are) under a
 * background load, each a whole-file replace.
 */
async function measureFileSource(source, queryFile, fileOf) {
  const port = await freePort();
  const server = startServer(["--source", `file:${source}`], port);
  try {
    const readyMs = await firstAnswer(server, port);
    await sleep(500);
    const rssLoaded = rssMiB(server.child.pid);
    const rssSettled = await settledRss(server.child.pid);
    await dnsperf({ port, queryFile, seconds: 2 }); // warm-up: JIT and answer cache
    const load = await dnsperf({ port, queryFile, seconds: SECONDS });
    const rssAfterLoad = rssMiB(server.child.pid);
    // One 57 MB file takes up to ~3 s per edit (written, renamed, re-read): room for all of them.
    const seconds = BACKGROUND_SECONDS + FILE_UPDATES * 3;
    const background = dnsperf({ port, queryFile, seconds, rate: 10000 });
    await sleep(500);
    const { path, objects } = fileOf();
    const index = objects.findIndex(
      (o) => o.kind === "ServiceImport" && o.metadata.name === "svc-0",
    );
    const updates = await updateLatencies(
      port,
      FILE_UPDATES,
      async () => renameSync(nextPath(path), path),
      250,
      async (ip) => {
        objects[index] = withIp(objects[index], ip);
        writeFileSync(nextPath(path), manifestText(objects));
      },
    );
    const backgroundLoad = await background;
    return {
      firstAnswerMs: round(readyMs),
      rssMiB: round(rssLoaded),
      rssSettledMiB: round(rssSettled),
      rssAfterLoadMiB: round(rssAfterLoad),
      qps: Math.round(load.qps),
      lost: load.lost,
      update: updates,
      backgroundQps: Math.round(backgroundLoad.qps),
      backgroundLost: backgroundLoad.lost,
    };
  } finally {
    await stopChild(server.child);
  }
}

const round = (value, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

/** Full build from cold objects and rebuild after one ServiceImport changed, with the server's code. */
async function buildTimes(manifest) {
  const { buildSnapshot } = await dist("zone/snapshot.js");
  const objects = await objectSetFromManifest(manifest);
  const options = { zone: ZONE, ttl: 5, nsAddresses: [] };
  let started = performance.now();
  buildSnapshot(objects, options, 1, 1);
  const fullMs = performance.now() - started;
  const changes = [];
  const key = [...objects.imports.keys()][0];
  for (let n = 0; n < 20; n++) {
    const service = objects.imports.get(key);
    objects.imports.set(key, { ...service, ips: [ipFor(n + 1)] });
    started = performance.now();
    buildSnapshot(objects, options, n + 2, n + 2);
    changes.push(performance.now() - started);
  }
  changes.sort((a, b) => a - b);
  return {
    fullMs: round(fullMs),
    oneChangeP50Ms: round(percentile(changes, 50), 2),
    oneChangeMaxMs: round(changes.at(-1), 2),
  };
}

const rows = [];
for (const size of SIZES) {
  const objects = generateObjects({ services: size, endpoints: ENDPOINTS });
  const endpointCount = size * 3 * ENDPOINTS;
  const manifest = join(work, `clusterset-${size}.json`);
  writeFileSync(manifest, manifestText(objects));
  const queryFile = join(work, `queries-${size}.txt`);
  writeFileSync(
    queryFile,
    `${generateQueries({ services: size, endpoints: ENDPOINTS, count: 50000 }).join("\n")}\n`,
  );
  const row = {
    services: size,
    clusters: 3,
    endpoints: endpointCount,
    objects: objects.length,
    coreDnsFormulaMiB: round(coreDnsMiB(endpointCount, size)),
    build: await buildTimes(manifest),
  };
  console.log(`${size} services: build ${JSON.stringify(row.build)}`);

  if (SOURCES.includes("file")) {
    row.file = await measureFileSource(manifest, queryFile, () => ({ path: manifest, objects }));
    console.log(`  file: ${JSON.stringify(row.file)}`);
  }

  if (SOURCES.includes("folder")) {
    const folder = join(work, `clusterset-${size}`);
    const files = writeFolder(folder, objects);
    const { namespace } = serviceName(0);
    const path = join(folder, `${namespace}.json`);
    row.folder = await measureFileSource(folder, queryFile, () => ({
      path,
      objects: files.get(path),
    }));
    row.folder.files = files.size;
    console.log(`  folder: ${JSON.stringify(row.folder)}`);
  }

  if (SOURCES.includes("kube")) {
    const { startFakeApiServer } = await import("../test/support/fake-apiserver.ts");
    const api = await startFakeApiServer();
    try {
      for (const raw of objects) api.set(raw.kind, raw);
      const port = await freePort();
      const server = startServer(["--source", "kube", "--kubeconfig", api.kubeconfigPath], port);
      try {
        const readyMs = await firstAnswer(server, port);
        await sleep(500);
        const rssLoaded = rssMiB(server.child.pid);
        const rssSettled = await settledRss(server.child.pid);
        // Updates while dnsperf keeps a steady background load (a quarter of our idle QPS at 1k).
        const background = dnsperf({ port, queryFile, seconds: BACKGROUND_SECONDS, rate: 10000 });
        await sleep(500);
        let current = objects[0];
        const updates = await updateLatencies(
          port,
          UPDATES,
          async (ip) => {
            current = withIp(current, ip);
            api.set("ServiceImport", current);
          },
          251,
        );
        const load = await background;
        const rssAfterLoad = rssMiB(server.child.pid);
        row.kube = {
          firstAnswerMs: round(readyMs),
          rssMiB: round(rssLoaded),
          rssSettledMiB: round(rssSettled),
          rssAfterLoadMiB: round(rssAfterLoad),
          update: updates,
          backgroundQps: Math.round(load.qps),
          backgroundLost: load.lost,
        };
        console.log(`  kube: ${JSON.stringify(row.kube)}`);
      } finally {
        await stopChild(server.child);
      }
    } finally {
      await api.close();
    }
  }
  rows.push(row);
}

const report = {
  when: new Date().toISOString(),
  machine: machineInfo(),
  endpointsPerSlice: ENDPOINTS,
  rows,
};
writeFileSync(join(RESULTS_DIR, "scale.json"), `${JSON.stringify(report, null, 2)}\n`);
writeFileSync(join(RESULTS_DIR, "scale.svg"), writeCostCurveSvg(rows));

console.log(
  "\nservices  endpoints  first answer (file/kube)  RSS MiB (file/kube)  CoreDNS MiB  QPS  full build  1-change build  update p50/p99 file  update p50/p99 folder  update p50/p99 kube",
);
for (const r of rows) {
  console.log(
    [
      String(r.services).padStart(8),
      String(r.endpoints).padStart(10),
      `${r.file?.firstAnswerMs ?? "-"} / ${r.kube?.firstAnswerMs ?? "-"} ms`.padStart(25),
      `${r.file?.rssMiB ?? "-"} / ${r.kube?.rssMiB ?? "-"}`.padStart(20),
      String(r.coreDnsFormulaMiB).padStart(12),
      String(r.file?.qps ?? "-").padStart(6),
      `${r.build.fullMs} ms`.padStart(11),
      `${r.build.oneChangeP50Ms} ms`.padStart(15),
      `${r.file?.update.p50Ms ?? "-"}/${r.file?.update.p99Ms ?? "-"} ms`.padStart(20),
      `${r.folder?.update.p50Ms ?? "-"}/${r.folder?.update.p99Ms ?? "-"} ms`.padStart(22),
      `${r.kube?.update.p50Ms ?? "-"}/${r.kube?.update.p99Ms ?? "-"} ms`.padStart(20),
    ].join(" "),
  );
}
console.log(`written ${join(RESULTS_DIR, "scale.json")} and scale.svg`);
