// Shared plumbing for the benchmarks: tool checks, pinned child processes that are always cleaned
// up, a tiny UDP client for readiness and update polling, dnsperf runs, RSS. Everything talks to
// 127.0.0.1 only, and every loop here is bounded in count and time.

import { spawn, spawnSync } from "node:child_process";
import dgram from "node:dgram";
import {
  closeSync,
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { createInterface } from "node:readline";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const BENCH_DIR = dirname(dirname(fileURLToPath(import.meta.url)));
export const ROOT = dirname(BENCH_DIR);
export const RESULTS_DIR = join(BENCH_DIR, "results");
/** The built server under test; BENCH_DIST points elsewhere (e.g. a saved baseline build). */
export const DIST = process.env.BENCH_DIST ?? join(ROOT, "dist");
export const SERVER_CORE = process.env.BENCH_SERVER_CORE ?? "1";
/**
 * Node flags our server runs with in deploy/deployment.yaml (NODE_OPTIONS): the bench measures
 * the server as deployed. test/unit/deploy checks the two agree.
 */
export const DEPLOYED_NODE_ARGS = [
  "--max-old-space-size=512",
  "--max-semi-space-size=4",
  "--heap-growing-percent=200",
];
/** What the servers under test get: the deployment's flags unless BENCH_NODE_ARGS says otherwise. */
export const SERVER_NODE_ARGS =
  process.env.BENCH_NODE_ARGS === undefined
    ? DEPLOYED_NODE_ARGS
    : process.env.BENCH_NODE_ARGS.split(" ").filter((arg) => arg !== "");
export const CLIENT_CORE = process.env.BENCH_CLIENT_CORE ?? "0";

/** Import a module of the built server, e.g. dist("zone/snapshot.js"). */
export async function dist(module) {
  const path = join(DIST, module);
  if (!existsSync(path)) {
    console.error(`bench: ${path} is missing; run \`npm run build\` first`);
    process.exit(2);
  }
  return import(pathToFileURL(path).href);
}

const TOOL_PACKAGES = {
  dnsperf: "dnsperf",
  nsd: "nsd",
  "nsd-checkzone": "nsd",
  taskset: "util-linux",
  cc: "gcc",
};

/** Exit 2 with a clear message when a tool is missing; never installs anything. */
export function requireTools(tools) {
  const missing = tools.filter(
    (tool) => spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0,
  );
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((tool) => TOOL_PACKAGES[tool] ?? tool))];
  console.error(
    `bench: missing ${missing.join(", ")}. Install the Debian package(s): apt-get install -y ${packages.join(" ")}`,
  );
  process.exit(2);
}

/**
 * Pin this process (every thread) to the client core, so the harness never competes with the
 * server for its core; children started later are pinned again to their own core.
 */
export function pinSelf() {
  const result = spawnSync("taskset", ["-a", "-p", "-c", CLIENT_CORE, String(process.pid)], {
    encoding: "utf8",
  });
  if (result.status !== 0) {
    console.error(`bench: taskset could not pin the harness: ${result.stderr}`);
    process.exit(2);
  }
}

export function ensureResultsDir() {
  mkdirSync(RESULTS_DIR, { recursive: true });
}

// ---- child processes ------------------------------------------------------------------------

const children = new Set();
let cleanupInstalled = false;

function killAll() {
  for (const child of children) {
    try {
      process.kill(child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  children.clear();
}

function installCleanup() {
  if (cleanupInstalled) return;
  cleanupInstalled = true;
  process.on("exit", killAll);
  for (const signal of ["SIGINT", "SIGTERM"]) {
    process.on(signal, () => {
      killAll();
      process.exit(130);
    });
  }
  process.on("uncaughtException", (error) => {
    console.error(error);
    killAll();
    process.exit(1);
  });
  process.on("unhandledRejection", (error) => {
    console.error(error);
    killAll();
    process.exit(1);
  });
}

/** Spawn `command args` pinned to `core` with taskset; the child is killed when we exit. */
export function spawnPinned(core, command, args, options = {}) {
  installCleanup();
  const child = spawn("taskset", ["-c", String(core), command, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    ...options,
  });
  children.add(child);
  child.output = "";
  const keep = (chunk) => {
    // Keep only the tail: enough for error messages, bounded for chatty children.
    child.output = (child.output + chunk.toString()).slice(-64 * 1024);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  child.exited = new Promise((resolve) => {
    child.on("exit", (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
  });
  return child;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the child is gone. */
export async function stopChild(child, graceMs = 3000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(child.pid, "SIGTERM");
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(child.pid, "SIGKILL");
    } catch {
      // gone
    }
  }, graceMs);
  await child.exited;
  clearTimeout(timer);
}

/** The value after `--name` on the command line, else `fallback`. */
export function option(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index < 0 ? fallback : process.argv[index + 1];
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** VmRSS of a process in MiB, from /proc. */
export function rssMiB(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) / 1024 : NaN;
}

/** Sum of VmRSS over a process and its children (NSD forks a server and xfrd). */
export function treeRssMiB(pid) {
  let total = rssMiB(pid);
  for (const line of spawnSync("pgrep", ["-P", String(pid)], { encoding: "utf8" }).stdout.split(
    "\n",
  )) {
    if (line.trim() !== "") total += treeRssMiB(Number(line));
  }
  return total;
}

/** CPU seconds (user + system) used so far by a process and its children, from /proc. */
export function treeCpuSeconds(pid) {
  let ticks = 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the ")" that ends the command name: utime is the 12th, stime the 13th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    ticks = Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
  let total = ticks / CLOCK_TICKS;
  for (const line of spawnSync("pgrep", ["-P", String(pid)], { encoding: "utf8" }).stdout.split(
    "\n",
  )) {
    if (line.trim() !== "") total += treeCpuSeconds(Number(line));
  }
  return total;
}

const CLOCK_TICKS =
  Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

// ---- a small UDP client ------------------------------------------------------------------------

/** One query over UDP; resolves with the decoded reply or undefined on timeout. */
export async function query(port, name, type, { timeoutMs = 500, edns = true } = {}) {
  const { encodeQuery, decodeMessage } = await dist("wire/message.js");
  const socket = dgram.createSocket("udp4");
  const id = Math.floor(Math.random() * 65536);
  const packet = encodeQuery({ id, name, type, edns: edns ? { udpPayloadSize: 1232 } : undefined });
  try {
    return await new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), timeoutMs);
      socket.on("message", (reply) => {
        const decoded = decodeMessage(reply);
        if (decoded.header.id !== id) return;
        clearTimeout(timer);
        resolve(decoded);
      });
      socket.on("error", () => {
        clearTimeout(timer);
        resolve(undefined);
      });
      socket.send(packet, port, "127.0.0.1");
    });
  } finally {
    socket.close();
  }
}

/** Poll until `accept(reply)` holds; returns ms waited, or throws after `timeoutMs`. */
export async function waitForAnswer(
  port,
  name,
  type,
  accept,
  { timeoutMs = 30000, intervalMs = 20 } = {},
) {
  const started = performance.now();
  const deadline = started + timeoutMs;
  while (performance.now() < deadline) {
    const reply = await query(port, name, type, { timeoutMs: 200 });
    if (reply !== undefined && accept(reply)) return performance.now() - started;
    await sleep(intervalMs);
  }
  throw new Error(
    `no acceptable answer for ${name}/${type} on port ${port} within ${timeoutMs} ms`,
  );
}

export const noerror = (reply) => reply.header.rcode === 0;

/** A free UDP+TCP-ish port: bind 0, read it, close. Good enough on a quiet loopback. */
export async function freePort() {
  const socket = dgram.createSocket("udp4");
  await new Promise((resolve) => socket.bind(0, "127.0.0.1", resolve));
  const { port } = socket.address();
  await new Promise((resolve) => socket.close(resolve));
  return port;
}

// ---- dnsperf -----------------------------------------------------------------------------------

/**
 * One bounded dnsperf run pinned to the client core. `rate` caps the query rate (-Q);
 * `verbose` collects per-response latencies (-v) for percentiles: dnsperf writes them to a
 * file that is read after the run, so parsing never competes with the measurement.
 */
export async function dnsperf({
  port,
  queryFile,
  seconds = 10,
  clients = 8,
  outstanding = 200,
  rate,
  verbose = false,
}) {
  const args = [
    "-s",
    "127.0.0.1",
    "-p",
    String(port),
    "-d",
    queryFile,
    "-l",
    String(seconds),
    "-c",
    String(clients),
    "-q",
    String(outstanding),
    "-T",
    "1",
    "-t",
    "2",
  ];
  if (rate !== undefined) args.push("-Q", String(Math.round(rate)));
  if (verbose) args.push("-v");
  const outDir = mkdtempSync(join(tmpdir(), "dnsperf-"));
  const outPath = join(outDir, "stdout.txt");
  const out = openSync(outPath, "w");
  try {
    // Bounded: dnsperf stops itself after -l seconds.
    const { code, stderr } = await runOnClientCore("dnsperf", args, { stdout: out, seconds });
    const latencies = [];
    let summary = "";
    const lines = createInterface({ input: createReadStream(outPath), crlfDelay: Infinity });
    for await (const line of lines) {
      // -v lines: "> NOERROR <name> <type> <latency seconds>"; "> T ..." is a timeout.
      if (line.startsWith("> ")) {
        if (!verbose) continue;
        const fields = line.trim().split(/\s+/);
        const latency = Number(fields[fields.length - 1]);
        if (fields[1] === "T") latencies.push(Infinity);
        else if (Number.isFinite(latency)) latencies.push(latency);
      } else if (summary.length < 64 * 1024) {
        summary += `${line}\n`;
      }
    }
    if (code !== 0) throw new Error(`dnsperf exited ${code}: ${stderr}${summary}`);
    return { ...parseDnsperf(summary), latencies };
  } finally {
    closeSync(out);
    rmSync(outDir, { recursive: true, force: true });
  }
}

/** Compiles bench/probe.c into dir (each run, so it always matches the source); returns its path. */
export function buildProbe(dir) {
  const source = join(dirname(fileURLToPath(import.meta.url)), "..", "probe.c");
  const binary = join(dir, "probe");
  const result = spawnSync("cc", ["-O2", "-Wall", "-o", binary, source], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`bench: cc could not build the probe: ${result.stderr}`);
  return binary;
}

/**
 * Paced single-query probe on the client core (see bench/probe.c): `rate` queries per second
 * for `seconds`, each round trip timed on its own socket. Resolves to its JSON line.
 */
export async function probeLatency({ binary, port, queryFile, seconds, rate = 1000 }) {
  const intervalUs = Math.round(1e6 / rate);
  const count = Math.max(1, Math.floor(seconds * rate));
  // Bounded: count probes, each waited for at most 1 s.
  const args = [String(port), queryFile, String(intervalUs), String(count), "1000"];
  const { code, stdout, stderr } = await runOnClientCore(binary, args, { seconds });
  if (code !== 0) throw new Error(`probe exited ${code}: ${stderr}`);
  return JSON.parse(stdout);
}

/**
 * Run a load or measuring tool pinned to the client core, tracked so that Ctrl-C or a crash
 * ends it, and killed if it outlives `seconds` by 15 s (it should stop itself). Its stdout goes
 * to `stdout` (a file descriptor) or is collected; the tail of stderr is kept for messages.
 */
async function runOnClientCore(command, args, { stdout = "pipe", seconds }) {
  installCleanup();
  const child = spawn("taskset", ["-c", CLIENT_CORE, command, ...args], {
    stdio: ["ignore", stdout, "pipe"],
  });
  children.add(child);
  let collected = "";
  let stderr = "";
  child.stdout?.on("data", (chunk) => (collected += chunk.toString()));
  child.stderr.on("data", (chunk) => (stderr = (stderr + chunk.toString()).slice(-8 * 1024)));
  const guard = setTimeout(() => child.kill("SIGKILL"), (seconds + 15) * 1000);
  const code = await new Promise((resolve) => child.on("exit", (exitCode) => resolve(exitCode)));
  clearTimeout(guard);
  children.delete(child);
  return { code, stdout: collected, stderr };
}

export function parseDnsperf(text) {
  const number = (pattern) => {
    const match = pattern.exec(text);
    return match ? Number(match[1]) : NaN;
  };
  return {
    sent: number(/Queries sent:\s+(\d+)/),
    completed: number(/Queries completed:\s+(\d+)/),
    lost: number(/Queries lost:\s+(\d+)/),
    qps: number(/Queries per second:\s+([\d.]+)/),
    avgLatencyMs: number(/Average Latency \(s\):\s+([\d.]+)/) * 1000,
    maxLatencyMs: number(/Average Latency \(s\):\s+[\d.]+ \(min [\d.]+, max ([\d.]+)\)/) * 1000,
    noerror: number(/NOERROR (\d+)/),
    nxdomain: number(/NXDOMAIN (\d+)/),
  };
}

export function percentile(sortedValues, p) {
  if (sortedValues.length === 0) return NaN;
  const index = Math.min(sortedValues.length - 1, Math.ceil((p / 100) * sortedValues.length) - 1);
  return sortedValues[Math.max(0, index)];
}

export function median(values) {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

export function machineInfo() {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const model = /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? "unknown";
  const nsd = spawnSync("nsd", ["-v"], { encoding: "utf8" });
  const nsdVersion =
    /NSD version ([\d.]+)/.exec(`${nsd.stdout}${nsd.stderr}`)?.[1] ?? "not installed";
  const dnsperfOut = spawnSync("dnsperf", ["-h"], { encoding: "utf8" });
  const dnsperfVersion =
    /Version ([\d.]+)/.exec(`${dnsperfOut.stdout}${dnsperfOut.stderr}`)?.[1] ?? "not installed";
  return {
    nproc: Number(spawnSync("nproc", { encoding: "utf8" }).stdout.trim()),
    cpu: model,
    node: process.version,
    nsd: nsdVersion,
    dnsperf: dnsperfVersion,
    kernel: spawnSync("uname", ["-r"], { encoding: "utf8" }).stdout.trim(),
  };
}
