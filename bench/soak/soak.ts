// The soak harness: the real server (startApp, --source kube) against the fake apiserver, for a
// bounded time, while objects churn, apiserver faults are injected on a schedule, and a load
// generator queries continuously and checks every answer against the expected state.
//
// "Right" answer: the reply to a query sent at s and received at r must equal the state of its
// name at some moment in [s - allowance, r]: the server may lag the apiserver by the
// convergence allowance, never more, and never invent a state. During a fault the server
// serves its last good data (spec: an outage keeps the last good answers), so the lag allowed
// stretches back to the fault's start until the server is seen to converge again (two canary
// objects, one per watched resource, are changed after each fault and polled through DNS).
//
// Used by bench/soak/run.ts (long form, results and plot) and test/e2e/soak.test.ts (20 s).

import dgram from "node:dgram";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { startApp, type App } from "../../src/app.js";
import { createLogger } from "../../src/observe/log.js";
import { buildQuery, decode } from "../../test/support/dns-client.js";
import { startFakeApiServer, type FakeApiServer } from "../../test/support/fake-apiserver.js";
import { endpointSlice, serviceImport } from "../../test/support/k8s-objects.js";
import { seededRandom } from "../../test/support/prng.js";
import { testConfig } from "../../test/support/server.js";

export interface SoakOptions {
  seconds: number;
  /** Object creates, updates and deletes per second. */
  churnPerSecond: number;
  /** Queries per second (open loop, so a slow server shows up as lost queries, not fewer sent). */
  queriesPerSecond: number;
  /** A fault every this many seconds, rotating through FAULTS. */
  faultEverySeconds: number;
  /** How far the server may lag a change in normal operation. */
  allowanceMs: number;
  /** The server's --watch-idle-timeout: how long a stalled watch lasts. */
  watchIdleTimeoutSeconds: number;
  /** A query without a reply after this long is lost. */
  queryTimeoutMs: number;
  /** Called about once a second. */
  onSample?: (sample: Sample) => void;
}

export const DEFAULT_OPTIONS: SoakOptions = {
  seconds: 600,
  churnPerSecond: 200,
  queriesPerSecond: 2000,
  faultEverySeconds: 5,
  allowanceMs: 500,
  watchIdleTimeoutSeconds: 3,
  queryTimeoutMs: 2000,
};

export interface Sample {
  seconds: number;
  sent: number;
  answered: number;
  wrong: number;
  servfail: number;
  lost: number;
  rssMiB: number;
  heapUsedMiB: number;
  /** Longest event-loop stall in the last second (server and load share the loop). */
  loopDelayMaxMs: number;
}

export interface WrongAnswer {
  name: string;
  got: string;
  acceptable: string[];
  sentAt: number;
  receivedAt: number;
}

export interface SoakReport {
  options: Omit<SoakOptions, "onSample">;
  durationSeconds: number;
  queries: { sent: number; answered: number; wrong: number; servfail: number; lost: number };
  /** Queries the load generator did not send because its own process was starved. */
  generatorSkipped: number;
  churn: { creates: number; updates: number; deletes: number };
  faults: {
    injected: Record<string, number>;
    survived: number;
    convergenceMs: { max: number; median: number };
    /** Faults after which the canaries never showed up (the run's end cut them off). */
    unconverged: number;
  };
  watch: { restarts: number; relists: number; errors: number };
  processRestarts: number;
  memory: { rssStartMiB: number; rssEndMiB: number; rssMaxMiB: number; heapUsedEndMiB: number };
  samples: Sample[];
  wrongExamples: WrongAnswer[];
}

const NS = "soak";
const ZONE = "clusterset.local";
const CLUSTERSET_SERVICES = 40;
const HEADLESS_SERVICES = 20;
const NXDOMAIN = "NXDOMAIN";
const CANARY_SVC = "canary-svc";
const CANARY_HL = "canary-hl";

const fqdn = (service: string): string => `${service}.${NS}.svc.${ZONE}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mib = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;

/** Expected answers over time, per name: what the server may have said at a given moment. */
class History {
  private readonly states = new Map<string, { at: number; answer: string }[]>();

  set(name: string, answer: string, at: number): void {
    const list = this.states.get(name);
    if (list === undefined) this.states.set(name, [{ at, answer }]);
    else if (list[list.length - 1]!.answer !== answer) list.push({ at, answer });
  }

  current(name: string): string {
    const list = this.states.get(name);
    return list?.[list.length - 1]?.answer ?? NXDOMAIN;
  }

  /** Every answer that was the state of `name` at some moment in [from, to]. */
  between(name: string, from: number, to: number): string[] {
    const list = this.states.get(name) ?? [];
    const answers: string[] = [];
    let first = 0;
    for (let i = 0; i < list.length; i++) if (list[i]!.at <= from) first = i;
    if (list.length === 0 || list[0]!.at > from) answers.push(NXDOMAIN);
    for (let i = first; i < list.length && list[i]!.at <= to; i++) answers.push(list[i]!.answer);
    return answers;
  }

  /** Forget states that ended before `before` (keeping the one current then). */
  prune(before: number): void {
    for (const list of this.states.values()) {
      let keepFrom = 0;
      for (let i = 0; i < list.length; i++) if (list[i]!.at <= before) keepFrom = i;
      if (keepFrom > 0) list.splice(0, keepFrom);
    }
  }
}

interface FaultWindow {
  kind: string;
  start: number;
  end: number | undefined;
}

/** The faults, each as the apiserver knobs that cause it. */
const FAULTS: { kind: string; inject(api: FakeApiServer): void }[] = [
  { kind: "watch ERROR 410 (expired)", inject: (api) => api.faults.expireWatches() },
  {
    kind: "HTTP 410 on rewatch",
    inject: (api) => {
      api.faults.http410OnNextWatch(2);
      api.faults.dropConnections();
    },
  },
  {
    kind: "HTTP 500s",
    inject: (api) => {
      api.faults.failNext(5, 500);
      api.faults.dropConnections();
    },
  },
  { kind: "dropped connections", inject: (api) => api.faults.dropConnections() },
  {
    kind: "stalled EndpointSlice watch",
    inject: (api) => {
      api.faults.stallNextWatch(1, "endpointslices");
      api.faults.dropConnections();
    },
  },
  {
    kind: "stalled ServiceImport watch",
    inject: (api) => {
      api.faults.stallNextWatch(1, "serviceimports");
      api.faults.dropConnections();
    },
  },
];

/** The churned world: which objects exist and what each name must answer. */
class World {
  readonly history = new History();
  readonly churn = { creates: 0, updates: 0, deletes: 0 };
  private readonly ips = new Map<number, string | undefined>();
  private readonly endpoints = new Map<number, number[] | undefined>();
  private counter = 0;

  constructor(
    private readonly api: FakeApiServer,
    private readonly rng: () => number,
  ) {}

  /** Every name the load generator asks. */
  names(): string[] {
    const names = [fqdn(CANARY_SVC), fqdn(CANARY_HL)];
    for (let i = 0; i < CLUSTERSET_SERVICES; i++) names.push(fqdn(`svc-${i}`));
    for (let i = 0; i < HEADLESS_SERVICES; i++) names.push(fqdn(`hl-${i}`));
    return names;
  }

  seed(): void {
    for (let i = 0; i < CLUSTERSET_SERVICES; i++) this.setClusterSetIp(i, this.nextIp());
    for (let i = 0; i < HEADLESS_SERVICES; i++) {
      this.api.set("ServiceImport", serviceImport(NS, `hl-${i}`, { type: "Headless" }));
      this.setSlice(i, [1, 2]);
    }
    this.api.set("ServiceImport", serviceImport(NS, CANARY_HL, { type: "Headless" }));
    this.canary();
  }

  /** One random create, update or delete. */
  step(): void {
    if (this.rng() < 0.6) {
      const i = Math.floor(this.rng() * CLUSTERSET_SERVICES);
      if (this.ips.get(i) === undefined) this.setClusterSetIp(i, this.nextIp());
      else if (this.rng() < 0.25) this.setClusterSetIp(i, undefined);
      else this.setClusterSetIp(i, this.nextIp());
    } else {
      const i = Math.floor(this.rng() * HEADLESS_SERVICES);
      if (this.endpoints.get(i) === undefined || this.rng() < 0.8) {
        const octets = [1, 2, 3, 4, 5, 6].filter(() => this.rng() < 0.4);
        this.setSlice(i, octets);
      } else {
        this.setSlice(i, undefined);
      }
    }
  }

  /** Change both canaries; returns their new expected answers. */
  canary(): { svc: string; hl: string } {
    const ip = this.nextIp();
    this.record(CANARY_SVC, ip, () =>
      this.api.set("ServiceImport", serviceImport(NS, CANARY_SVC, { ips: [ip] })),
    );
    const address = `10.250.${(this.counter >> 8) & 0xff}.${this.counter & 0xff}`;
    this.record(CANARY_HL, address, () =>
      this.api.set(
        "EndpointSlice",
        endpointSlice(NS, `${CANARY_HL}-c1`, {
          service: CANARY_HL,
          cluster: "c1",
          endpoints: [{ addresses: [address] }],
        }),
      ),
    );
    return { svc: ip, hl: address };
  }

  private nextIp(): string {
    const n = ++this.counter;
    return `10.${100 + ((n >> 16) & 0x7f)}.${(n >> 8) & 0xff}.${n & 0xff}`;
  }

  /** Record the new state at the moment just before the apiserver has it, then apply it. */
  private record(service: string, answer: string, apply: () => void): void {
    this.history.set(fqdn(service), answer, performance.now());
    apply();
  }

  private setClusterSetIp(i: number, ip: string | undefined): void {
    const name = `svc-${i}`;
    const existed = this.ips.get(i) !== undefined;
    this.ips.set(i, ip);
    if (ip === undefined) {
      this.churn.deletes++;
      this.record(name, NXDOMAIN, () => this.api.delete("ServiceImport", NS, name));
      return;
    }
    if (existed) this.churn.updates++;
    else this.churn.creates++;
    this.record(name, ip, () =>
      this.api.set("ServiceImport", serviceImport(NS, name, { ips: [ip] })),
    );
  }

  /** Octets of the ready addresses (one not-ready endpoint rides along), or no slice at all. */
  private setSlice(i: number, octets: number[] | undefined): void {
    const service = `hl-${i}`;
    const existed = this.endpoints.get(i) !== undefined;
    this.endpoints.set(i, octets);
    const slice = `${service}-c1`;
    if (octets === undefined) {
      this.churn.deletes++;
      this.record(service, NXDOMAIN, () => this.api.delete("EndpointSlice", NS, slice));
      return;
    }
    if (existed) this.churn.updates++;
    else this.churn.creates++;
    const addresses = octets.map((octet) => `10.201.${i}.${octet}`);
    const answer = addresses.length === 0 ? NXDOMAIN : addresses.join(",");
    this.record(service, answer, () =>
      this.api.set(
        "EndpointSlice",
        endpointSlice(NS, slice, {
          service,
          cluster: "c1",
          endpoints: [
            ...addresses.map((address) => ({ addresses: [address] })),
            { addresses: [`10.201.${i}.99`], ready: false },
          ],
        }),
      ),
    );
  }
}

/** Canonical answer text of a reply to an A query: sorted addresses, NXDOMAIN, or the rcode. */
function answerOf(raw: Buffer): string {
  const reply = decode(raw);
  if (reply.header.rcode === 3) return NXDOMAIN;
  if (reply.header.rcode !== 0) return `RCODE ${reply.header.rcode}`;
  if (reply.answers.length === 0) return "NODATA";
  return reply.answers
    .map((record) => record.address ?? "?")
    .sort((a, b) => {
      const na = a.split(".").map(Number);
      const nb = b.split(".").map(Number);
      for (let i = 0; i < 4; i++) if (na[i] !== nb[i]) return (na[i] ?? 0) - (nb[i] ?? 0);
      return 0;
    })
    .join(",");
}

async function metricsOf(app: App, name: string): Promise<number> {
  const text = await app.metrics.registry.metrics();
  let total = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`))
      total += Number(line.slice(line.lastIndexOf(" ") + 1)) || 0;
  }
  return total;
}

export async function runSoak(partial: Partial<SoakOptions> = {}, seed = 1): Promise<SoakReport> {
  const options: SoakOptions = { ...DEFAULT_OPTIONS, ...partial };
  const rng = seededRandom(seed);
  const api = await startFakeApiServer();
  const world = new World(api, rng);
  world.seed();
  const app = await startApp(
    testConfig([
      "--kubeconfig",
      api.kubeconfigPath,
      "--watch-idle-timeout",
      String(options.watchIdleTimeoutSeconds),
    ]),
    createLogger("silent"),
  );
  const socket = dgram.createSocket("udp4");
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  socket.setRecvBufferSize(4 * 1024 * 1024);

  const names = world.names();
  const queries = { sent: 0, answered: 0, wrong: 0, servfail: 0, lost: 0 };
  const wrongExamples: WrongAnswer[] = [];
  const faultWindows: FaultWindow[] = [];
  const injected: Record<string, number> = {};
  const convergence: number[] = [];
  const samples: Sample[] = [];
  const inFlight = new Map<number, { name: string; sentAt: number }>();
  const generator = { skipped: 0 };
  let nextId = 0;
  let stopping = false;

  try {
    // Wait for the first sync: until then every answer is SERVFAIL by design.
    const syncDeadline = performance.now() + 20_000;
    while (app.publisher.current === undefined) {
      if (performance.now() > syncDeadline) throw new Error("the kube source never synced");
      await sleep(20);
    }
    await sleep(options.allowanceMs);

    /** The earliest moment whose state a reply to a query sent at `sentAt` may show. */
    const lookback = (sentAt: number): number => {
      let from = sentAt - options.allowanceMs;
      for (let i = faultWindows.length - 1; i >= 0; i--) {
        const window = faultWindows[i]!;
        if (window.start <= sentAt && (window.end === undefined || window.end >= from))
          from = Math.min(from, window.start - options.allowanceMs);
      }
      return from;
    };

    socket.on("message", (raw: Buffer) => {
      const receivedAt = performance.now();
      const id = raw.readUInt16BE(0);
      const query = inFlight.get(id);
      if (query === undefined) return; // late reply to a query already counted lost
      inFlight.delete(id);
      queries.answered++;
      const got = answerOf(raw);
      if (got === "RCODE 2") {
        queries.servfail++;
        return;
      }
      const acceptable = world.history.between(query.name, lookback(query.sentAt), receivedAt);
      if (!acceptable.includes(got)) {
        queries.wrong++;
        if (wrongExamples.length < 20)
          wrongExamples.push({
            name: query.name,
            got,
            acceptable,
            sentAt: query.sentAt,
            receivedAt,
          });
      }
    });

    const started = performance.now();
    const endAt = started + options.seconds * 1000;

    // Load: open loop, a slice of the per-second rate every 5 ms.
    const load = (async () => {
      let owed = 0;
      let last = performance.now();
      while (!stopping) {
        const now = performance.now();
        owed += ((now - last) / 1000) * options.queriesPerSecond;
        last = now;
        // If this process was starved (the host is busy), do not fire the whole backlog at
        // once: a burst far above the rate is not "below capacity". Count what was skipped.
        const cap = Math.max(1, options.queriesPerSecond / 20);
        if (owed > cap) {
          generator.skipped += Math.floor(owed - cap);
          owed = cap;
        }
        for (; owed >= 1; owed--) {
          nextId = (nextId + 1) & 0xffff;
          const stale = inFlight.get(nextId);
          if (stale !== undefined) {
            queries.lost++;
            inFlight.delete(nextId);
          }
          const name = names[Math.floor(rng() * names.length)]!;
          inFlight.set(nextId, { name, sentAt: performance.now() });
          socket.send(buildQuery(name, { id: nextId }), app.dns.port, "127.0.0.1");
          queries.sent++;
        }
        for (const [id, query] of inFlight) {
          if (now - query.sentAt < options.queryTimeoutMs) break; // Map order is send order
          queries.lost++;
          inFlight.delete(id);
        }
        await sleep(5);
      }
    })();

    // Churn: steady creates/updates/deletes.
    const churn = (async () => {
      let lastPrune = performance.now();
      let owed = 0;
      let last = performance.now();
      while (!stopping) {
        const now = performance.now();
        owed += ((now - last) / 1000) * options.churnPerSecond;
        last = now;
        for (; owed >= 1; owed--) world.step();
        if (now - lastPrune > 1000) {
          world.history.prune(now - 120_000);
          lastPrune = now;
        }
        await sleep(10);
      }
    })();

    // Faults: one every faultEverySeconds; then change the canaries and wait to see them.
    const faults = (async () => {
      let index = 0;
      while (!stopping) {
        const due = performance.now() + options.faultEverySeconds * 1000;
        while (!stopping && performance.now() < due) await sleep(50);
        if (stopping) break;
        const fault = FAULTS[index++ % FAULTS.length]!;
        const window: FaultWindow = { kind: fault.kind, start: performance.now(), end: undefined };
        faultWindows.push(window);
        fault.inject(api);
        injected[fault.kind] = (injected[fault.kind] ?? 0) + 1;
        const expected = world.canary();
        // A fault injected just before the end is still followed to convergence (bounded by
        // the deadline): the run stopping is not the server recovering.
        const deadline = performance.now() + 60_000;
        while (performance.now() < deadline) {
          const [svc, hl] = await Promise.all([
            askOnce(app.dns.port, fqdn(CANARY_SVC)),
            askOnce(app.dns.port, fqdn(CANARY_HL)),
          ]);
          if (svc === expected.svc && hl === expected.hl) {
            window.end = performance.now();
            convergence.push(window.end - window.start);
            break;
          }
          await sleep(20);
        }
      }
    })();

    // Samples once a second until the end.
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    while (performance.now() < endAt) {
      await sleep(Math.min(1000, endAt - performance.now()));
      const memory = process.memoryUsage();
      const sample: Sample = {
        seconds: Math.round((performance.now() - started) / 100) / 10,
        ...queries,
        rssMiB: mib(memory.rss),
        heapUsedMiB: mib(memory.heapUsed),
        loopDelayMaxMs: Math.round(loopDelay.max / 1e6),
      };
      loopDelay.reset();
      samples.push(sample);
      options.onSample?.(sample);
    }
    loopDelay.disable();
    stopping = true;
    await Promise.all([load, churn, faults]);
    // Let the last replies arrive, then count what never did.
    const drainUntil = performance.now() + options.queryTimeoutMs;
    while (inFlight.size > 0 && performance.now() < drainUntil) await sleep(20);
    queries.lost += inFlight.size;

    const sorted = [...convergence].sort((a, b) => a - b);
    const rss = samples.map((s) => s.rssMiB);
    return {
      options: { ...options, onSample: undefined } as Omit<SoakOptions, "onSample">,
      durationSeconds: Math.round((performance.now() - started) / 100) / 10,
      queries: { ...queries },
      generatorSkipped: generator.skipped,
      churn: { ...world.churn },
      faults: {
        injected,
        survived: convergence.length,
        convergenceMs: {
          max: Math.round(sorted[sorted.length - 1] ?? 0),
          median: Math.round(sorted[Math.floor(sorted.length / 2)] ?? 0),
        },
        unconverged: faultWindows.filter((w) => w.end === undefined).length,
      },
      watch: {
        restarts: await metricsOf(app, "clusterset_dns_kube_watch_restarts_total"),
        relists: await metricsOf(app, "clusterset_dns_kube_relists_total"),
        errors: await metricsOf(app, "clusterset_dns_kube_watch_errors_total"),
      },
      processRestarts: 0,
      memory: {
        rssStartMiB: rss[0] ?? 0,
        rssEndMiB: rss[rss.length - 1] ?? 0,
        rssMaxMiB: Math.max(0, ...rss),
        heapUsedEndMiB: samples[samples.length - 1]?.heapUsedMiB ?? 0,
      },
      samples,
      wrongExamples,
    };
  } finally {
    stopping = true;
    socket.close();
    await app.stop();
    await api.close();
  }
}

/** One UDP A query (own socket); its canonical answer, or "timeout". */
async function askOnce(port: number, name: string): Promise<string> {
  const socket = dgram.createSocket("udp4");
  try {
    return await new Promise<string>((resolve) => {
      const timer = setTimeout(() => resolve("timeout"), 1000);
      socket.once("message", (raw: Buffer) => {
        clearTimeout(timer);
        resolve(answerOf(raw));
      });
      socket.send(buildQuery(name), port, "127.0.0.1");
    });
  } finally {
    socket.close();
  }
}
