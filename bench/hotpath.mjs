// The query path without sockets: the same packets dnsperf sends, through createQueryHandler
// (policy, answer cache, metrics) in-process, timed per query. Socket costs are excluded, so this
// isolates what our code costs and is far less disturbed by other load on the machine than a
// dnsperf run. Compares builds when given several dist folders.
//
// Three packet sets, each with and without the metrics observer:
//   mix       the dnsperf query mix (no EDNS; 6% random NXDOMAIN names, always cache misses)
//   hits      the same mix without the random names: every query is an answer-cache hit
//   hitsEdns  the hits with an OPT record (payload 1232), as resolvers like CoreDNS send them
// Timed as CPU time of this process (process.cpuUsage, user + system), not wall time: on a
// shared machine the wall clock also counts the time other processes held the core.
// Each build runs in its own child process (a fresh heap and JIT; builds never share
// lru-cache's code), builds alternate --repeat times, and the report is the median over those
// processes of each one's median of --rounds passes (after one warm-up pass), plus the best pass.
//
//   node bench/hotpath.mjs [--services 1000] [--rounds 7] [--repeat 3] [--dists dist,<other>...]

import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { DIST, RESULTS_DIR, ensureResultsDir, median, option } from "./lib/common.mjs";
import { ZONE, generateObjects, generateQueries, manifestText } from "./lib/data.mjs";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";

const SERVICES = Number(option("services", "1000"));
const ROUNDS = Number(option("rounds", "7"));
const REPEAT = Number(option("repeat", "3"));
const DISTS = option("dists", DIST)
  .split(",")
  .map((d) => resolve(d));
const CHILD = option("child", undefined);
const QUERIES = 100000;
const SETS = ["mix", "hits", "hitsEdns"];
const VARIANTS = ["withMetrics", "withoutMetrics"];

if (CHILD === undefined) {
  await parent();
  process.exit(0);
}

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
  const encode = (line, i, edns) => {
    const [name, type] = line.split(" ");
    return Buffer.from(encodeQuery({ id: i & 0xffff, name, type: types[type], rd: true, edns }));
  };
  const hitLines = lines.filter((line) => !line.startsWith("missing-"));
  const sets = {
    mix: lines.map((line, i) => encode(line, i, undefined)),
    hits: hitLines.map((line, i) => encode(line, i, undefined)),
    hitsEdns: hitLines.map((line, i) => encode(line, i, { udpPayloadSize: 1232 })),
  };
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
  return { sets, withMetrics: make(metrics), withoutMetrics: make(undefined) };
}

function time(handler, packets) {
  let bytes = 0;
  const started = process.cpuUsage();
  for (let i = 0; i < packets.length; i++)
    bytes += handler(packets[i], "udp", 4, "127.0.0.1")?.length ?? 0;
  const used = process.cpuUsage(started);
  if (bytes === 0) throw new Error("no replies");
  return ((used.user + used.system) * 1e3) / packets.length;
}

// Child: one build, one process; prints one JSON line.
{
  const { sets, withMetrics, withoutMetrics } = await setup(CHILD);
  const handlers = { withMetrics, withoutMetrics };
  const row = {};
  for (const setName of SETS) {
    const packets = sets[setName];
    // Warm up JIT and the answer cache (the random NXDOMAIN names stay misses, as in a real flood).
    for (const variant of VARIANTS) time(handlers[variant], packets);
    const measured = { withMetrics: [], withoutMetrics: [] };
    for (let round = 0; round < ROUNDS; round++)
      for (const variant of VARIANTS) measured[variant].push(time(handlers[variant], packets));
    row[setName] = { queries: packets.length };
    for (const variant of VARIANTS)
      row[setName][variant] = {
        median: median(measured[variant]),
        best: Math.min(...measured[variant]),
      };
  }
  console.log(JSON.stringify(row));
}

async function parent() {
  const runs = new Map(DISTS.map((d) => [d, []]));
  for (let repeat = 0; repeat < REPEAT; repeat++) {
    for (const distDir of DISTS) {
      const args = [
        process.argv[1],
        "--child",
        distDir,
        "--services",
        String(SERVICES),
        "--rounds",
        String(ROUNDS),
      ];
      const out = execFileSync(process.execPath, args, { encoding: "utf8" });
      runs.get(distDir).push(JSON.parse(out.trim().split("\n").at(-1)));
    }
  }
  ensureResultsDir();
  const results = [];
  for (const [distDir, rows] of runs) {
    const row = { dist: distDir };
    for (const setName of SETS) {
      row[setName] = { queries: rows[0][setName].queries };
      for (const variant of VARIANTS) {
        row[setName][variant] = {
          median: Math.round(median(rows.map((r) => r[setName][variant].median))),
          best: Math.round(Math.min(...rows.map((r) => r[setName][variant].best))),
          processes: rows.map((r) => Math.round(r[setName][variant].median)),
        };
      }
      const r = row[setName];
      console.log(
        `${distDir} ${setName.padEnd(8)}: ${r.withMetrics.median} CPU ns/query with metrics (best ${r.withMetrics.best}), ${r.withoutMetrics.median} without (best ${r.withoutMetrics.best})`,
      );
    }
    // The fields earlier results used (the mix).
    row.nsPerQueryWithMetrics = row.mix.withMetrics.median;
    row.nsPerQueryWithoutMetrics = row.mix.withoutMetrics.median;
    results.push(row);
  }
  writeFileSync(
    join(RESULTS_DIR, "hotpath.json"),
    `${JSON.stringify({ when: new Date().toISOString(), clock: "process CPU time", services: SERVICES, queries: QUERIES, rounds: ROUNDS, repeat: REPEAT, results }, null, 2)}\n`,
  );
}
