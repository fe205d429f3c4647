// The real CLI as a child process, for tests that must see the process survive (a crash in an
// in-process server would take the test runner with it and prove nothing) and that measure its
// memory. Serves a manifest written to a temp dir; logs are collected for inspection.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { toYaml } from "../support/server.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CLI = path.join(ROOT, "src/cli.ts");

export interface ServerProcess {
  child: ChildProcess;
  dnsPort: number;
  httpPort: number;
  /** Parsed JSON log lines so far. */
  lines: Record<string, unknown>[];
  /** Still running (no exit, no signal). */
  readonly alive: boolean;
  /** Resident set size in KiB (Linux /proc), undefined when unavailable. */
  rssKiB(): number | undefined;
  /** GET on the ops port; the body as text. */
  http(pathname: string): Promise<{ status: number; body: string }>;
  stop(): Promise<void>;
}

export async function startServerProcess(
  objects: readonly Record<string, unknown>[],
  extraArgs: string[] = [],
): Promise<ServerProcess> {
  const dir = mkdtempSync(path.join(tmpdir(), "clusterset-dns-child-"));
  const manifest = path.join(dir, "clusterset.yaml");
  writeFileSync(manifest, toYaml(objects));
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      CLI,
      "--source",
      `file:${manifest}`,
      "--listen",
      "127.0.0.1:0",
      "--http",
      "127.0.0.1:0",
      "--lameduck",
      "0",
      "--log-level",
      "info",
      ...extraArgs,
    ],
    { stdio: ["ignore", "pipe", "pipe"], cwd: ROOT },
  );
  const lines: Record<string, unknown>[] = [];
  let exited = false;
  child.once("exit", () => (exited = true));
  child.stderr?.resume();
  let buffered = "";
  const started = new Promise<{ dns: string; http: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no startup line within 20 s")), 20000);
    child.stdout?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      let newline;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const text = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        let line: Record<string, unknown>;
        try {
          line = JSON.parse(text) as Record<string, unknown>;
        } catch {
          continue;
        }
        lines.push(line);
        if (line.msg === "clusterset-dns started") {
          clearTimeout(timer);
          resolve(line as { dns: string; http: string });
        }
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited early with ${code}`));
    });
  });
  const line = await started;
  const port = (hostPort: string) => Number(hostPort.slice(hostPort.lastIndexOf(":") + 1));
  const httpPort = port(line.http);
  // The file source syncs right after startup; wait for /ready so the first queries are answered.
  const deadline = Date.now() + 10000;
  for (;;) {
    const response = await fetch(`http://127.0.0.1:${httpPort}/ready`).catch(() => undefined);
    if (response?.status === 200) break;
    if (Date.now() > deadline) throw new Error("server not ready within 10 s");
    await new Promise((r) => setTimeout(r, 20));
  }
  return {
    child,
    dnsPort: port(line.dns),
    httpPort,
    lines,
    get alive() {
      return !exited && child.exitCode === null && child.signalCode === null;
    },
    rssKiB() {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
        const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
        return match ? Number(match[1]) : undefined;
      } catch {
        return undefined;
      }
    },
    async http(pathname) {
      const response = await fetch(`http://127.0.0.1:${httpPort}${pathname}`);
      return { status: response.status, body: await response.text() };
    },
    async stop() {
      if (!exited) {
        const done = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await done;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A metric's value from a Prometheus exposition (sum over label sets when several match). */
export function metricValue(exposition: string, name: string, labels = ""): number {
  let total = 0;
  let found = false;
  for (const line of exposition.split("\n")) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (!(rest.startsWith(" ") || rest.startsWith("{"))) continue;
    if (labels !== "" && !rest.includes(labels)) continue;
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (Number.isFinite(value)) {
      total += value;
      found = true;
    }
  }
  if (!found) throw new Error(`metric ${name}${labels} not found`);
  return total;
}
