// A private Unbound (Debian's recursive resolver) in the foreground, configured as a
// forwarder with a stub zone pointing at our server: the test stand-in for CoreDNS, which
// cannot be installed here. Everything lives in a temp dir and dies with stop().

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import dgram from "node:dgram";
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildQuery, udpExchange } from "./dns-client.js";

/** Where Debian installs it; /usr/sbin is often not on a non-root PATH. */
const CANDIDATES = ["unbound", "/usr/sbin/unbound", "/usr/local/sbin/unbound"];

/** Path of a runnable unbound binary, or undefined when it is not installed. */
export function findUnbound(): string | undefined {
  for (const candidate of CANDIDATES) {
    if (candidate.includes("/")) {
      try {
        accessSync(candidate, constants.X_OK);
        return candidate;
      } catch {
        continue;
      }
    }
    const probe = spawnSync(candidate, ["-V"], { stdio: "ignore", timeout: 5000 });
    if (probe.error === undefined && probe.status === 0) return candidate;
  }
  return undefined;
}

export interface UnboundOptions {
  /** Zone forwarded to the stub, e.g. "clusterset.local". */
  zone: string;
  /** Port of our server on 127.0.0.1 (UDP and TCP). */
  upstreamPort: number;
  /** How long to wait for unbound to answer its first query. */
  startTimeoutMs?: number;
}

export interface UnboundInstance {
  /** Port unbound listens on, 127.0.0.1, UDP and TCP. */
  readonly port: number;
  readonly pid: number;
  readonly dir: string;
  /** What unbound wrote to stderr so far (its log), for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

/**
 * The server: clause. Every option is one unbound.conf(5) states plainly; the ones that make
 * this setup work at all are do-not-query-localhost: no (else 127.0.0.1 is never asked) and
 * the iterator-only module list (no validator, so no trust anchor and no DNSSEC failures for
 * an unsigned private zone).
 */
export function unboundConfig(o: {
  dir: string;
  port: number;
  zone: string;
  upstreamPort: number;
}): string {
  const zone = `${o.zone.replace(/\.$/, "")}.`;
  return [
    "server:",
    `  interface: 127.0.0.1@${o.port}`,
    `  port: ${o.port}`,
    "  do-ip6: no",
    "  do-daemonize: no",
    '  username: ""',
    '  chroot: ""',
    `  directory: "${o.dir}"`,
    `  pidfile: "${path.join(o.dir, "unbound.pid")}"`,
    "  use-syslog: no",
    '  logfile: ""',
    "  verbosity: 1",
    "  num-threads: 1",
    "  access-control: 127.0.0.0/8 allow",
    "  do-not-query-localhost: no",
    '  module-config: "iterator"',
    // .local is not among unbound's default local zones (1.17: localhost, reverse loopback,
    // home.arpa, onion, test, invalid, AS112); nodefault states that nothing local may answer.
    `  local-zone: "${zone}" nodefault`,
    `  domain-insecure: "${zone}"`,
    // Default yes strips the Additional section; CoreDNS's forward passes it through.
    "  minimal-responses: no",
    "  edns-buffer-size: 1232",
    "  cache-min-ttl: 0",
    "remote-control:",
    "  control-enable: no",
    "stub-zone:",
    `  name: "${zone}"`,
    `  stub-addr: 127.0.0.1@${o.upstreamPort}`,
    "",
  ].join("\n");
}

/** A port free on 127.0.0.1 for both TCP and UDP at the time of the call. */
async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const server = net.createServer();
    const port = await new Promise<number>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port));
    });
    const socket = dgram.createSocket("udp4");
    const udpFree = await new Promise<boolean>((resolve) => {
      socket.once("error", () => resolve(false));
      socket.bind(port, "127.0.0.1", () => resolve(true));
    });
    socket.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    if (udpFree) return port;
  }
  throw new Error("no port free for both TCP and UDP on 127.0.0.1");
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const gone = await Promise.race([
    exited(child).then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 3000)),
  ]);
  if (!gone) {
    child.kill("SIGKILL");
    await Promise.race([exited(child), new Promise((resolve) => setTimeout(resolve, 2000))]);
  }
}

/**
 * Start unbound and wait until it answers (it serves `localhost.` itself, so readiness does not
 * depend on the upstream). Rejects with unbound's log if it exits or stays silent.
 */
export async function startUnbound(options: UnboundOptions): Promise<UnboundInstance> {
  const binary = findUnbound();
  if (binary === undefined) throw new Error("unbound is not installed");
  const dir = mkdtempSync(path.join(tmpdir(), "clusterset-dns-unbound-"));
  const port = await freePort();
  const confPath = path.join(dir, "unbound.conf");
  writeFileSync(confPath, unboundConfig({ dir, port, ...options }));

  const child = spawn(binary, ["-d", "-c", confPath], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const append = (chunk: Buffer): void => {
    // Bounded: a chatty unbound must not grow the test's memory.
    if (log.length < 200_000) log += chunk.toString("utf8");
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  child.on("error", (error) => (log += `spawn error: ${error.message}\n`));

  const instance: UnboundInstance = {
    port,
    pid: child.pid ?? -1,
    dir,
    log: () => log,
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 5000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    const reply = await udpExchange(port, buildQuery("localhost.", { type: "A" }), 200);
    if (reply !== undefined) return instance;
  }
  await instance.stop();
  throw new Error(`unbound did not start answering on 127.0.0.1:${port}:\n${log}`);
}
