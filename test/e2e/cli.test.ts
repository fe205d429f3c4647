// The CLI as users run it: a child process, its exit codes, its logs, and signals.

import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { query } from "../support/dns-client.js";

const CLI = path.resolve("src/cli.ts");
const DEMO = path.resolve("examples/clusterset.yaml");
const NODE_ARGS = ["--import", "tsx", CLI];

function runSync(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [...NODE_ARGS, ...args], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    timeout: 15000,
  });
}

interface Running {
  child: ChildProcess;
  dnsPort: number;
  httpPort: number;
  lines: Record<string, unknown>[];
}

/** Start the CLI and wait for its startup log line, which names the bound ports. */
async function start(args: string[]): Promise<Running> {
  const child = spawn(process.execPath, [...NODE_ARGS, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: Record<string, unknown>[] = [];
  let buffered = "";
  const started = new Promise<{ dns: string; http: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no startup line within 10 s")), 10000);
    child.stdout.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      let newline;
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const line = JSON.parse(buffered.slice(0, newline)) as Record<string, unknown>;
        buffered = buffered.slice(newline + 1);
        lines.push(line);
        if (line.msg === "clusterset-dns started") {
          clearTimeout(timer);
          resolve(line as { dns: string; http: string });
        }
      }
    });
    child.once("exit", (code) => reject(new Error(`exited early with ${code}`)));
  });
  const line = await started;
  const port = (hostPort: string) => Number(hostPort.slice(hostPort.lastIndexOf(":") + 1));
  return { child, dnsPort: port(line.dns), httpPort: port(line.http), lines };
}

describe("CLI", () => {
  it("--version prints the package version", () => {
    const result = runSync(["--version"]);
    assert.equal(result.status, 0);
    assert.match(result.stdout, /^\d+\.\d+\.\d+\n$/);
  });

  it("--help lists every flag of shared/design.md", () => {
    const result = runSync(["--help"]);
    assert.equal(result.status, 0);
    for (const flag of [
      "--source",
      "--kubeconfig",
      "--zone",
      "--listen",
      "--http",
      "--ttl",
      "--cluster-id",
      "--log-level",
      "--lameduck",
      "--watch-idle-timeout",
      "--version",
      "--help",
    ]) {
      assert.ok(result.stdout.includes(flag), flag);
    }
  });

  for (const [args, env, flag] of [
    [["--ttl", "abc"], {}, "--ttl"],
    [["--listen", "nowhere"], {}, "--listen"],
    [[], { CLUSTERSET_DNS_TTL: "99999" }, "CLUSTERSET_DNS_TTL"],
    [["--bogus"], {}, "--bogus"],
    [
      ["--source", "file:/nonexistent/clusterset.yaml", "--listen", "127.0.0.1:0", "--http", "off"],
      {},
      "--source",
    ],
  ] as const) {
    it(`bad input ${JSON.stringify(args)} ${JSON.stringify(env)} exits 2 with one line naming ${flag}`, () => {
      const result = runSync([...args], env);
      assert.equal(result.status, 2, result.stderr);
      const lines = result.stderr.trimEnd().split("\n");
      assert.equal(lines.length, 1, result.stderr);
      assert.ok(lines[0]!.includes(flag), lines[0]);
      assert.ok(!/\n\s+at /.test(result.stderr), "no stack trace");
    });
  }

  it("serves the demo, logs JSON with string levels, and exits 0 on SIGTERM with --lameduck 0 within 1 s", async () => {
    const running = await start([
      "--source",
      `file:${DEMO}`,
      "--listen",
      "127.0.0.1:0",
      "--http",
      "127.0.0.1:0",
      "--lameduck",
      "0",
    ]);
    const reply = await query(running.dnsPort, "myservice.demo.svc.clusterset.local");
    assert.equal(reply.header.rcode, 0);
    assert.ok(reply.answers.length > 0);
    assert.ok(running.lines.every((line) => typeof line.level === "string"));
    assert.ok(running.lines.some((line) => line.msg === "source synced"));
    const sent = Date.now();
    running.child.kill("SIGTERM");
    const [code] = (await once(running.child, "exit")) as [number | null];
    assert.equal(code, 0);
    assert.ok(Date.now() - sent < 1000, `exited after ${Date.now() - sent} ms`);
  });

  it("on SIGTERM keeps answering during the lame-duck period with /ready at 503", async () => {
    const running = await start([
      "--source",
      `file:${DEMO}`,
      "--listen",
      "127.0.0.1:0",
      "--http",
      "127.0.0.1:0",
      "--lameduck",
      "2",
    ]);
    const ready = await fetch(`http://127.0.0.1:${running.httpPort}/ready`);
    assert.equal(ready.status, 200);
    const sent = Date.now();
    running.child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 300));
    const draining = await fetch(`http://127.0.0.1:${running.httpPort}/ready`);
    assert.equal(draining.status, 503);
    assert.equal((await fetch(`http://127.0.0.1:${running.httpPort}/health`)).status, 200);
    const reply = await query(running.dnsPort, "myservice.demo.svc.clusterset.local");
    assert.equal(reply.header.rcode, 0, "still answering");
    const [code] = (await once(running.child, "exit")) as [number | null];
    assert.equal(code, 0);
    const elapsed = Date.now() - sent;
    assert.ok(elapsed >= 1800 && elapsed < 4000, `exited after ${elapsed} ms`);
  });
});
