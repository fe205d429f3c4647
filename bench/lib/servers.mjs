// The servers under test, each started pinned to the server core and stopped by pid:
// ours (the built CLI), NSD on the same records (zone written by toZoneFile), and the naive
// dns2 server. Each start resolves once the server answers a real question.

import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  BENCH_DIR,
  SERVER_NODE_ARGS,
  DIST,
  SERVER_CORE,
  noerror,
  spawnPinned,
  stopChild,
  waitForAnswer,
} from "./common.mjs";
import { ZONE } from "./data.mjs";

const TXT = 16;
const READY_NAME = `dns-version.${ZONE}`;

async function ready(child, port, name, timeoutMs) {
  const exited = child.exited.then(({ code, signal }) => {
    throw new Error(`server exited early (code ${code}, signal ${signal}): ${child.output}`);
  });
  const waited = await Promise.race([
    waitForAnswer(port, name, TXT, noerror, { timeoutMs, intervalMs: 10 }),
    exited,
  ]);
  exited.catch(() => {});
  return waited;
}

/** Start `command args` pinned to the server core; resolves once it answers a real question. */
async function startPinned(name, command, args, port, timeoutMs) {
  const started = performance.now();
  const child = spawnPinned(SERVER_CORE, command, args);
  await ready(child, port, READY_NAME, timeoutMs);
  return {
    name,
    child,
    pid: child.pid,
    readyMs: performance.now() - started,
    stop: () => stopChild(child),
  };
}

/** Our server from the built CLI. `extraArgs` e.g. ["--http", "127.0.0.1:9999"]. */
export async function startOurs({
  manifest,
  port,
  extraArgs = [],
  nodeArgs = SERVER_NODE_ARGS,
  timeoutMs = 60000,
  distDir = DIST,
  name = "clusterset-dns",
}) {
  return startPinned(
    name,
    process.execPath,
    [
      ...nodeArgs,
      join(distDir, "cli.js"),
      "--source",
      `file:${manifest}`,
      "--listen",
      `127.0.0.1:${port}`,
      "--http",
      "off",
      "--log-level",
      "warn",
      "--lameduck",
      "0",
      ...extraArgs,
    ],
    port,
    timeoutMs,
  );
}

/** Our policy and listeners wired without the metrics observer (to price the metrics). */
export async function startOursWithoutMetrics({ manifest, port, timeoutMs = 60000 }) {
  const args = [
    join(BENCH_DIR, "server-nometrics.mjs"),
    "--manifest",
    manifest,
    "--port",
    String(port),
  ];
  return startPinned(
    "clusterset-dns (no metrics)",
    process.execPath,
    [...SERVER_NODE_ARGS, ...args],
    port,
    timeoutMs,
  );
}

export async function startDns2({ manifest, port, timeoutMs = 60000 }) {
  const args = [join(BENCH_DIR, "naive-dns2.mjs"), "--manifest", manifest, "--port", String(port)];
  return startPinned("dns2 (naive)", process.execPath, args, port, timeoutMs);
}

/** An nsd.conf that touches nothing outside `dir`: loopback only, RRL off, one server, no database. */
export function nsdConfig(dir, port, zoneFile, { rrl = true } = {}) {
  return [
    "server:",
    `  ip-address: 127.0.0.1@${port}`,
    "  do-ip6: no",
    "  server-count: 1",
    '  database: ""',
    `  zonesdir: "${dir}"`,
    `  pidfile: "${join(dir, "nsd.pid")}"`,
    `  zonelistfile: "${join(dir, "zone.list")}"`,
    `  xfrdfile: "${join(dir, "xfrd.state")}"`,
    `  xfrdir: "${dir}"`,
    `  logfile: "${join(dir, "nsd.log")}"`,
    '  username: ""',
    '  chroot: ""',
    "  verbosity: 0",
    "  hide-version: yes",
    // Same answers as ours: no NS RRset added to the authority section of positive answers.
    "  minimal-responses: yes",
    ...(rrl ? ["  rrl-ratelimit: 0", "  rrl-whitelist-ratelimit: 0"] : []),
    "remote-control:",
    "  control-enable: no",
    "zone:",
    `  name: ${ZONE}`,
    `  zonefile: "${zoneFile}"`,
    "",
  ].join("\n");
}

/** Writes the config (checked with nsd-checkconf) and returns its path. */
export function writeNsdConfig(dir, port, zoneFile) {
  const path = join(dir, "nsd.conf");
  writeFileSync(path, nsdConfig(dir, port, zoneFile));
  let check = spawnSync("nsd-checkconf", [path], { encoding: "utf8" });
  if (check.status !== 0 && /rrl/.test(`${check.stdout}${check.stderr}`)) {
    // Built without RRL: nothing to turn off.
    writeFileSync(path, nsdConfig(dir, port, zoneFile, { rrl: false }));
    check = spawnSync("nsd-checkconf", [path], { encoding: "utf8" });
  }
  if (check.status !== 0) throw new Error(`nsd-checkconf: ${check.stdout}${check.stderr}`);
  return path;
}

export async function startNsd({ config, port, timeoutMs = 60000 }) {
  // -d: foreground; NSD forks its server and xfrd, which inherit the taskset pinning.
  return startPinned("NSD", "nsd", ["-d", "-c", config], port, timeoutMs);
}
