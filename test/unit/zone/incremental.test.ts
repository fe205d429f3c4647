import assert from "node:assert/strict";
import { ObjectStore, type ObjectSink, type StoreChange } from "../../../src/source/store.js";
import { parseObject } from "../../../src/zone/objects.js";
import { SnapshotPublisher } from "../../../src/zone/publisher.js";
import { buildSnapshot, ZoneBuilder, type Snapshot } from "../../../src/zone/snapshot.js";
import type { ClusterObject, EndpointSlice } from "../../../src/zone/types.js";
import { clusterProperty, endpointSlice, serviceImport } from "../../support/k8s-objects.js";
import { seededRandom } from "../../support/prng.js";
import { options, rdata } from "./zone-helpers.js";

function parsed(raw: Record<string, unknown>): ClusterObject {
  const object = parseObject(raw)?.object;
  assert.ok(object, "fixture must validate");
  return object;
}

/** Every name with its record sets as text, sorted: what a snapshot serves, order aside. */
function contents(snapshot: Snapshot): string[] {
  const lines: string[] = [];
  for (const [name, node] of snapshot.nodes) {
    const sets = [...node.rrsets].map(
      ([type, records]) =>
        `${type}:${records.map((r) => `${r.name}/${r.ttl}/${r.class}/${rdata(r)}`).join(",")}`,
    );
    lines.push(`${name} ${sets.join(" ")}`);
  }
  return lines.sort();
}

const NAMESPACES = ["ns-a", "ns-b"];
const SERVICES = ["s0", "s1", "s2"];
const CLUSTERS = ["c1", "c2", "name.extra"];

/** A random object of our kinds over a small universe, so that changes collide often. */
function randomObject(next: () => number): ClusterObject {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const namespace = pick(NAMESPACES);
  const roll = next();
  if (roll < 0.3) {
    const headless = next() < 0.5;
    return parsed(
      serviceImport(namespace, pick(SERVICES), {
        type: headless ? "Headless" : "ClusterSetIP",
        ips: headless || next() < 0.2 ? [] : [`10.0.0.${Math.floor(next() * 4)}`],
        ports: next() < 0.5 ? [{ name: "http", port: 80 }] : [{ port: 81 }],
      }),
    );
  }
  if (roll < 0.95) {
    const cluster = pick(CLUSTERS);
    const endpoints = Array.from({ length: Math.floor(next() * 4) }, (_, e) => ({
      addresses: [`10.1.${Math.floor(next() * 3)}.${e}`],
      ...(next() < 0.3 ? { hostname: `h${e}` } : {}),
      ...(next() < 0.2 ? { ready: false } : {}),
    }));
    return parsed(
      endpointSlice(namespace, `slice-${Math.floor(next() * 5)}`, {
        // A slice may move to another service by its label.
        service: pick(SERVICES),
        cluster,
        endpoints,
        ports: [{ name: "http", port: 8080 + Math.floor(next() * 2) }],
      }),
    );
  }
  return parsed(clusterProperty(pick(CLUSTERS)));
}

function randomStep(sink: ObjectSink, store: ObjectStore, next: () => number): void {
  const roll = next();
  if (roll < 0.6) sink.upsert(randomObject(next));
  else if (roll < 0.85) {
    const kinds = ["ServiceImport", "EndpointSlice", "ClusterProperty"] as const;
    const kind = kinds[Math.floor(next() * 3)] ?? "ServiceImport";
    const map =
      kind === "ServiceImport"
        ? store.objects.imports
        : kind === "EndpointSlice"
          ? store.objects.slices
          : store.objects.clusterProperties;
    const victim = [...map.values()][Math.floor(next() * map.size)];
    if (victim) sink.remove(victim);
  } else {
    // A relist: some objects again (equal or not), the rest gone.
    const objects = Array.from({ length: Math.floor(next() * 8) }, () => randomObject(next));
    const kind = objects[0]?.kind ?? "EndpointSlice";
    sink.replace(kind, [...store.objects.slices.values(), ...objects].slice(-10));
  }
}

describe("zone/incremental (ZoneBuilder fed by the store's change sets)", () => {
  for (const [label, zoneOptions, clusterId] of [
    ["defaults", {}, undefined],
    ["--cluster-id and --prefer-local-srv", { preferLocalSrv: true }, "c2"],
    ["--prefer-local-srv with the ClusterProperty", { preferLocalSrv: true }, undefined],
  ] as const) {
    it(`serves exactly what a full build serves after every change (${label})`, () => {
      for (let seed = 1; seed <= 6; seed++) {
        const next = seededRandom(seed);
        const store = new ObjectStore();
        const publisher = new SnapshotPublisher(store, {
          zone: { zone: options().zone, ttl: 5, nsAddresses: [], ...zoneOptions },
          clusterId,
        });
        const sink = store.sink("test");
        sink.markSynced();
        for (let step = 0; step < 150; step++) {
          const batch = 1 + Math.floor(next() * 3);
          for (let i = 0; i < batch; i++) randomStep(sink, store, next);
          publisher.rebuild();
          const served = publisher.current;
          assert.ok(served);
          const { imports, slices, clusterProperties } = store.objects;
          // Plain maps, no slice index: the other code path of the builder.
          const full = buildSnapshot(
            { imports, slices, clusterProperties },
            options({ ...zoneOptions, localClusterId: clusterId }),
            served.serial,
            served.generation,
          );
          assert.deepEqual(contents(served), contents(full), `seed ${seed} step ${step}`);
          assert.equal(served.nodes.size, full.nodes.size, `size, seed ${seed} step ${step}`);
        }
        publisher.close();
      }
    });
  }

  it("recomputes only the changed services and shares the rest with the last snapshot", () => {
    const store = new ObjectStore();
    const publisher = new SnapshotPublisher(store, {
      zone: { zone: options().zone, ttl: 5, nsAddresses: [] },
    });
    const sink = store.sink("test");
    sink.replace("ServiceImport", [
      parsed(serviceImport("ns", "one", { ips: ["10.0.0.1"] })),
      parsed(serviceImport("ns", "two", { type: "Headless" })),
    ]);
    sink.upsert(
      parsed(endpointSlice("ns", "two-c1", { service: "two", cluster: "c1", endpoints: [] })),
    );
    sink.markSynced();
    const first = publisher.current;
    assert.ok(first);
    assert.equal(first.nodes.has("two.ns.svc.clusterset.local"), false);

    sink.upsert(
      parsed(
        endpointSlice("ns", "two-c1", {
          service: "two",
          cluster: "c1",
          endpoints: [{ addresses: ["10.1.0.1"] }],
        }),
      ),
    );
    publisher.rebuild();
    const second = publisher.current;
    assert.ok(second && second !== first);
    assert.equal(
      second.nodes.get("one.ns.svc.clusterset.local"),
      first.nodes.get("one.ns.svc.clusterset.local"),
    );
    assert.deepEqual(second.nodes.get("two.ns.svc.clusterset.local")?.rrsets.get(1)?.map(rdata), [
      "10.1.0.1",
    ]);
    // The first snapshot is untouched by the second build.
    assert.equal(first.nodes.has("two.ns.svc.clusterset.local"), false);
    // two, c1.two and the endpoint's own name.
    assert.equal(second.nodes.size, first.nodes.size + 3);
    publisher.close();
  });

  it("a builder given a change set with unknown or absent services ignores them", () => {
    const builder = new ZoneBuilder();
    const objects = {
      imports: new Map<string, ClusterObject & { kind: "ServiceImport" }>(),
      slices: new Map<string, EndpointSlice>(),
      clusterProperties: new Map(),
    };
    const first = builder.build(objects, options(), undefined, 1, 1);
    const second = builder.build(objects, options(), new Set(["nope/none"]), 2, 2);
    assert.deepEqual(contents(second).length, contents(first).length);
  });
});

describe("source/store change sets", () => {
  function recorder(store: ObjectStore): StoreChange[] {
    const changes: StoreChange[] = [];
    store.setListener({ onChange: (change) => changes.push(change) });
    return changes;
  }
  const keys = (change: StoreChange | undefined): string[] => [...(change?.services ?? [])].sort();

  it("names the import's service, and the service a slice belongs to before and after", () => {
    const store = new ObjectStore();
    const changes = recorder(store);
    const sink = store.sink("test");
    sink.upsert(parsed(serviceImport("ns", "web", {})));
    const slice = parsed(
      endpointSlice("ns", "web-c1", { service: "web", cluster: "c1", endpoints: [] }),
    );
    sink.upsert(slice);
    sink.upsert(
      parsed(endpointSlice("ns", "web-c1", { service: "api", cluster: "c1", endpoints: [] })),
    );
    sink.remove({ kind: "EndpointSlice", namespace: "ns", name: "web-c1" });
    sink.upsert(parsed(clusterProperty("c1")));
    sink.markSynced();
    assert.deepEqual(changes.map(keys), [
      ["ns/web"],
      ["ns/web"],
      ["ns/api", "ns/web"],
      ["ns/api"],
      [],
      [],
    ]);
    assert.deepEqual(
      changes.map((change) => change.clusterProperties),
      [false, false, false, false, true, false],
    );
    assert.equal(store.objects.slicesByService?.size, 0);
  });

  it("keeps the stored instance when an equal object arrives, and reports no service", () => {
    const store = new ObjectStore();
    const changes = recorder(store);
    const sink = store.sink("test");
    const raw = endpointSlice("ns", "web-c1", {
      service: "web",
      cluster: "c1",
      endpoints: [{ addresses: ["10.1.0.1"] }],
    });
    const first = parsed(raw);
    sink.upsert(first);
    sink.upsert(parsed(raw));
    sink.replace("EndpointSlice", [
      parsed(raw),
      parsed(endpointSlice("ns", "db-c1", { service: "db", cluster: "c1", endpoints: [] })),
    ]);
    assert.equal(store.objects.slices.get("EndpointSlice/ns/web-c1"), first);
    assert.equal(
      store.objects.slicesByService?.get("ns/web")?.get("EndpointSlice/ns/web-c1"),
      first,
    );
    assert.deepEqual(changes.map(keys), [["ns/web"], [], ["ns/db"]]);

    sink.replace("EndpointSlice", []);
    assert.deepEqual(keys(changes.at(-1)), ["ns/db", "ns/web"]);
    assert.equal(store.objects.slices.size, 0);
    assert.equal(store.objects.slicesByService?.size, 0);
  });

  it("replace of the same keys in the same order touches only the objects that differ", () => {
    const store = new ObjectStore();
    const changes = recorder(store);
    const sink = store.sink("test");
    const slice = (name: string, service: string): ClusterObject =>
      parsed(endpointSlice("ns", name, { service, cluster: "c1", endpoints: [] }));
    const a = slice("a-c1", "a");
    const b = slice("b-c1", "b");
    const c = slice("c-c1", "c");
    sink.replace("EndpointSlice", [a, b, c]);
    // b moves to service "x" (its label changed); c arrives again as an equal copy.
    const moved = slice("b-c1", "x");
    sink.replace("EndpointSlice", [a, moved, slice("c-c1", "c")]);
    assert.deepEqual(keys(changes.at(-1)), ["ns/b", "ns/x"]);
    assert.deepEqual([...store.objects.slices.values()], [a, moved, c]);
    assert.equal(store.objects.slices.get("EndpointSlice/ns/c-c1"), c);
    assert.deepEqual([...(store.objects.slicesByService?.keys() ?? [])].sort(), [
      "ns/a",
      "ns/c",
      "ns/x",
    ]);
    assert.equal(store.objects.slicesByService?.get("ns/x")?.get("EndpointSlice/ns/b-c1"), moved);
  });

  it("replace takes the order of the new list", () => {
    const store = new ObjectStore();
    const sink = store.sink("test");
    const a = parsed(serviceImport("ns", "a", {}));
    const b = parsed(serviceImport("ns", "b", {}));
    sink.replace("ServiceImport", [a, b]);
    sink.replace("ServiceImport", [parsed(serviceImport("ns", "b", {})), a]);
    assert.deepEqual(
      [...store.objects.imports.keys()],
      ["ServiceImport/ns/b", "ServiceImport/ns/a"],
    );
    assert.equal(store.objects.imports.get("ServiceImport/ns/b"), b);
  });
});
