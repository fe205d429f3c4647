// The query path without sockets: the same packets dnsperf sends, through createQueryHandler
// (policy, answer cache, metrics) in-process, timed per query. Socket costs are excluded, so this
// isolates what our code costs and is far less disturbed by other load on the machine than a
// dnsperf run. Compares builds when given several dist folders.
//
//   node bench/hotpath.mjs [--services 1000] [--rounds 5] [--dists dist,<other dist>...]

import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { DIST, RESULTS_DIR, ensureResultsDir, median } from "./lib/common.mjs";
import { ZONE, generateObjects, generateQueries, manifestText } from "./lib/data.mjs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";

function option(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index < 0 ? fallback : process.argv[index + 1];
}

const SERVICES = Number(option("services", "1000"));
const ROUNDS = Number(option("rounds", "5"));
const DISTS = option("dists", DIST)
  .split(",")
  .map((d) => resolve(d));
const QUERIES = 100000;

const work = mkdtempSync(join(tmpdir(), "clusterset-hotpath-"));
process.on("exit", () => rmSync(work, { recursive: true, force: true }));
const manifest = join(work, "m.json");
writeFileSync(
  manifest,
  manifestText(generateObjects({ services: SERVICES, endpoints: 3, headlessEndpoints: 2 })),
);
const lines = generateQueries({
  services: SERVICES,
  endpoints: 3,
  headlessEndpoints: 2,
  count: QUERIES,
});

async function setup(distDir) {
  const load = (m) => import(pathToFileURL(join(distDir, m)).href);
  const { encodeQuery } = await load("wire/message.js");
  const { parseManifestText } = await load("source/manifest.js");
  const { parseObject } = await load("zone/objects.js");
  const { objectKey } = await load("zone/types.js");
  const { buildSnapshot } = await load("zone/snapshot.js");
  const { AnswerCache } = await load("server/cache.js");
  const { QueryPolicy } = await load("server/policy.js");
  const { createQueryHandler } = await load("server/handler.js");
  const { Metrics } = await load("observe/metrics.js");
  const { readFileSync } = await import("node:fs");
  const set = { imports: new Map(), slices: new Map(), clusterProperties: new Map() };
  for (const raw of parseManifestText(readFileSync(manifest, "utf8"), manifest).objects) {
    const object = parseObject(raw)?.object;
    if (object?.kind === "ServiceImport") set.imports.set(objectKey(object), object);
    else if (object?.kind === "EndpointSlice") set.slices.set(objectKey(object), object);
  }
  const snapshot = buildSnapshot(set, { zone: ZONE, ttl: 5, nsAddresses: [] }, 1, 1);
  const types = { A: 1, AAAA: 28, SRV: 33 };
  // dnsperf sends plain queries (no EDNS) unless given -e; match that.
  const packets = lines.map((line, i) => {
    const [name, type] = line.split(" ");
    return Buffer.from(encodeQuery({ id: i & 0xffff, name, type: types[type], rd: true }));
  });
  const metrics = new Metrics({ version: "bench", collectDefault: false });
  const make = (observer) => {
    const cache = new AnswerCache({
      maxBytes: 64 * 1024 * 1024,
      hooks: observer ? metrics.cache : undefined,
    });
    const policy = new QueryPolicy(
      { zone: ZONE, maxUdpPayload: 1232 },
      { current: snapshot },
      cache,
    );
    return createQueryHandler(policy, {
      observer,
      onInternalError: (error) => {
        throw error;
      },
    });
  };
  return { packets, withMetrics: make(metrics), withoutMetrics: make(undefined) };
}

function time(handler, packets) {
  let bytes = 0;
  const started = process.hrtime.bigint();
  for (let i = 0; i < packets.length; i++)
    bytes += handler(packets[i], "udp", 4, "127.0.0.1")?.length ?? 0;
  const ns = Number(process.hrtime.bigint() - started) / packets.length;
  if (bytes === 0) throw new Error("no replies");
  return ns;
}

ensureResultsDir();
const results = [];
for (const distDir of DISTS) {
  const { packets, withMetrics, withoutMetrics } = await setup(distDir);
  // Warm up JIT and the answer cache (the random NXDOMAIN names stay misses, as in a real flood).
  time(withMetrics, packets);
  time(withoutMetrics, packets);
  const measured = { withMetrics: [], withoutMetrics: [] };
  for (let round = 0; round < ROUNDS; round++) {
    measured.withMetrics.push(time(withMetrics, packets));
    measured.withoutMetrics.push(time(withoutMetrics, packets));
  }
  const row = {
    dist: distDir,
    nsPerQueryWithMetrics: Math.round(median(measured.withMetrics)),
    nsPerQueryWithoutMetrics: Math.round(median(measured.withoutMetrics)),
  };
  results.push(row);
  console.log(
    `${distDir}: ${row.nsPerQueryWithMetrics} ns/query with metrics, ${row.nsPerQueryWithoutMetrics} without`,
  );
}
writeFileSync(
  join(RESULTS_DIR, "hotpath.json"),
  `${JSON.stringify({ when: new Date().toISOString(), services: SERVICES, queries: QUERIES, rounds: ROUNDS, results }, null, 2)}\n`,
);
