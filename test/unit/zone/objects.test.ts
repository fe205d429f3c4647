import assert from "node:assert/strict";
import {
  MAX_ADDRESSES_PER_ENDPOINT,
  MAX_ENDPOINTS_PER_SLICE,
  MAX_PROBLEMS_PER_OBJECT,
  isValidClusterId,
  parseClusterProperty,
  parseEndpointSlice,
  parseObject,
  parseServiceImport,
} from "../../../src/zone/objects.js";
import type { EndpointSlice, ServiceImport, ValidationProblem } from "../../../src/zone/types.js";
import { clusterProperty, endpointSlice, serviceImport } from "../../support/k8s-objects.js";

type Raw = Record<string, unknown>;

function importOf(raw: unknown): {
  object: ServiceImport | undefined;
  problems: ValidationProblem[];
} {
  return parseServiceImport(raw);
}

function sliceOf(raw: unknown): {
  object: EndpointSlice | undefined;
  problems: ValidationProblem[];
} {
  return parseEndpointSlice(raw);
}

/** Paths and skip flags of problems, the part tests pin down exactly. */
function where(problems: ValidationProblem[]): [string, boolean][] {
  return problems.map((p) => [p.path, p.objectSkipped]);
}

function rawSlice(overrides: Raw = {}, endpoints: unknown[] = [{ addresses: ["10.0.0.1"] }]): Raw {
  return {
    ...endpointSlice("ns", "s-1", { service: "svc", cluster: "c1", endpoints: [] }),
    endpoints,
    ...overrides,
  };
}

describe("zone/objects", () => {
  describe("isValidClusterId", () => {
    it("accepts one or two lower-case labels", () => {
      for (const id of [
        "c1",
        "a",
        "cluster-1",
        "name.extra",
        "0",
        "a".repeat(63),
        `${"a".repeat(63)}.${"b".repeat(63)}`,
      ])
        assert.equal(isValidClusterId(id), true, id);
    });
    it("rejects upper case, three labels, empty, bad hyphens, long labels, underscores", () => {
      for (const id of [
        "",
        "C1",
        "Bad_Cluster",
        "a.b.c",
        "-a",
        "a-",
        ".a",
        "a.",
        "a..b",
        "a".repeat(64),
        `a.${"b".repeat(64)}`,
        "a_b",
        "a b",
      ])
        assert.equal(isValidClusterId(id), false, id);
    });
  });

  describe("parseServiceImport", () => {
    it("parses a v1beta1 import with ips, ports and status clusters", () => {
      const result = importOf(
        serviceImport("ns", "web", {
          ips: ["10.0.0.1", "FD00:0:0::2"],
          ports: [
            { name: "http", protocol: "TCP", port: 80 },
            { port: 8080 },
            { name: "dns", protocol: "UDP", port: 53 },
          ],
          clusters: ["c1", "name.extra"],
        }),
      );
      assert.deepEqual(result.problems, []);
      assert.deepEqual(result.object, {
        kind: "ServiceImport",
        namespace: "ns",
        name: "web",
        type: "ClusterSetIP",
        ips: ["10.0.0.1", "fd00::2"],
        ports: [
          { name: "http", protocol: "TCP", port: 80 },
          { name: undefined, protocol: "TCP", port: 8080 },
          { name: "dns", protocol: "UDP", port: 53 },
        ],
        clusters: ["c1", "name.extra"],
      });
    });

    it("parses a v1alpha1 import the same way", () => {
      const result = importOf(
        serviceImport("ns", "hl", { type: "Headless" }, "multicluster.x-k8s.io/v1alpha1"),
      );
      assert.deepEqual(result.problems, []);
      assert.equal(result.object?.type, "Headless");
      assert.deepEqual(result.object?.ips, []);
    });

    it("accepts a missing apiVersion and a missing kind (LIST items) but not another kind or version", () => {
      const raw = serviceImport("ns", "a", {});
      delete raw.apiVersion;
      assert.ok(importOf(raw).object);
      delete raw.kind;
      assert.ok(importOf(raw).object);
      const other = importOf({ ...serviceImport("ns", "a", {}), kind: "Service" });
      assert.equal(other.object, undefined);
      assert.deepEqual(where(other.problems), [["kind", true]]);
      const version = importOf(serviceImport("ns", "a", {}, "multicluster.x-k8s.io/v2"));
      assert.equal(version.object, undefined);
      assert.deepEqual(where(version.problems), [["apiVersion", true]]);
    });

    it("defaults spec.type to ClusterSetIP and a missing spec to nothing", () => {
      const raw = serviceImport("ns", "a", { ips: ["10.0.0.1"] });
      delete (raw.spec as Raw).type;
      assert.equal(importOf(raw).object?.type, "ClusterSetIP");
      const noSpec = importOf({ kind: "ServiceImport", metadata: { namespace: "ns", name: "a" } });
      assert.deepEqual(noSpec.problems, []);
      assert.deepEqual(noSpec.object?.ports, []);
      assert.equal(noSpec.object?.type, "ClusterSetIP");
    });

    it("skips the whole import for an unknown type", () => {
      const result = importOf(serviceImport("ns", "a", { type: "LoadBalancer" }));
      assert.equal(result.object, undefined);
      assert.deepEqual(result.problems, [
        {
          kind: "ServiceImport",
          namespace: "ns",
          name: "a",
          path: "spec.type",
          reason: 'unknown type "LoadBalancer"',
          objectSkipped: true,
        },
      ]);
    });

    it("skips the whole import for a missing or invalid name or namespace", () => {
      const cases: [Raw, string][] = [
        [{ kind: "ServiceImport", metadata: { namespace: "ns" } }, "metadata.name"],
        [{ kind: "ServiceImport", metadata: { name: "a" } }, "metadata.namespace"],
        [{ kind: "ServiceImport" }, "metadata"],
        [serviceImport("ns", "Web", {}), "metadata.name"],
        [serviceImport("ns", "a".repeat(64), {}), "metadata.name"],
        [serviceImport("ns", "a.b", {}), "metadata.name"],
        [serviceImport("Ns", "a", {}), "metadata.namespace"],
        [serviceImport("", "a", {}), "metadata.namespace"],
      ];
      for (const [raw, path] of cases) {
        const result = importOf(raw);
        assert.equal(result.object, undefined, path);
        assert.deepEqual(where(result.problems), [[path, true]]);
      }
      assert.deepEqual(where(importOf(null).problems), [["", true]]);
      assert.deepEqual(where(importOf([]).problems), [["", true]]);
    });

    it("keeps the first address of each family and reports the rest", () => {
      const result = importOf(
        serviceImport("ns", "a", { ips: ["10.0.0.1", "10.0.0.2", "fd00::1", "fd00::2"] }),
      );
      assert.deepEqual(result.object?.ips, ["10.0.0.1", "fd00::1"]);
      assert.deepEqual(where(result.problems), [
        ["spec.ips[1]", false],
        ["spec.ips[3]", false],
      ]);
    });

    it("skips a bad ip and keeps the others", () => {
      const result = importOf(
        serviceImport("ns", "a", { ips: ["10.0.0.256", "fd00::1", "010.0.0.1"] }),
      );
      assert.deepEqual(result.object?.ips, ["fd00::1"]);
      assert.deepEqual(where(result.problems), [
        ["spec.ips[0]", false],
        ["spec.ips[2]", false],
      ]);
    });

    it("skips bad ports and keeps the good ones", () => {
      const result = importOf(
        serviceImport("ns", "a", {
          ports: [
            { name: "ok", port: 1 },
            { name: "zero", port: 0 },
            { name: "big", port: 65536 },
            { name: "Upper", port: 80 },
            { name: "under_score", port: 80 },
            { name: "a".repeat(64), port: 80 },
            { name: "icmp", protocol: "ICMP", port: 80 },
            { name: "unset" },
            { name: "max", protocol: "SCTP", port: 65535 },
            { name: "", protocol: "UDP", port: 53 },
          ],
        }),
      );
      assert.deepEqual(result.object?.ports, [
        { name: "ok", protocol: "TCP", port: 1 },
        { name: "max", protocol: "SCTP", port: 65535 },
        { name: undefined, protocol: "UDP", port: 53 },
      ]);
      assert.deepEqual(where(result.problems), [
        ["spec.ports[1].port", false],
        ["spec.ports[2].port", false],
        ["spec.ports[3].name", false],
        ["spec.ports[4].name", false],
        ["spec.ports[5].name", false],
        ["spec.ports[6].protocol", false],
        ["spec.ports[7].port", false],
      ]);
    });

    it("rejects a non-integer or string port number", () => {
      const raw = serviceImport("ns", "a", {});
      (raw.spec as Raw).ports = [{ port: 80.5 }, { port: "80" }, "http"];
      const result = importOf(raw);
      assert.deepEqual(result.object?.ports, []);
      assert.deepEqual(where(result.problems), [
        ["spec.ports[0].port", false],
        ["spec.ports[1].port", false],
        ["spec.ports[2]", false],
      ]);
    });

    it("drops invalid status cluster ids", () => {
      const result = importOf(serviceImport("ns", "a", { clusters: ["c1", "C2", "a.b.c"] }));
      assert.deepEqual(result.object?.clusters, ["c1"]);
      assert.deepEqual(where(result.problems), [
        ["status.clusters[1].cluster", false],
        ["status.clusters[2].cluster", false],
      ]);
    });
  });

  describe("parseEndpointSlice", () => {
    it("parses endpoints, readiness, hostnames, targetRef and ports", () => {
      const raw = endpointSlice("ns", "web-c1-abcde", {
        service: "web",
        cluster: "name.extra",
        endpoints: [
          { addresses: ["10.1.0.1"], hostname: "pod-0", ready: true },
          { addresses: ["10.1.0.2"] },
          { addresses: ["10.1.0.3"], ready: false },
        ],
        ports: [
          { name: "http", protocol: "TCP", port: 8080 },
          { port: 9090, protocol: "UDP" },
        ],
      });
      const endpoints = raw.endpoints as Raw[];
      (endpoints[0] as Raw).targetRef = { kind: "Pod", namespace: "ns", name: "pod-0", uid: "x" };
      const result = sliceOf(raw);
      assert.deepEqual(result.problems, []);
      assert.deepEqual(result.object, {
        kind: "EndpointSlice",
        namespace: "ns",
        name: "web-c1-abcde",
        serviceName: "web",
        clusterId: "name.extra",
        addressType: "IPv4",
        endpoints: [
          { addresses: ["10.1.0.1"], hostname: "pod-0", ready: true, targetRef: "Pod/ns/pod-0" },
          { addresses: ["10.1.0.2"], hostname: undefined, ready: true, targetRef: undefined },
          { addresses: ["10.1.0.3"], hostname: undefined, ready: false, targetRef: undefined },
        ],
        ports: [
          { name: "http", protocol: "TCP", port: 8080 },
          { name: undefined, protocol: "UDP", port: 9090 },
        ],
      });
    });

    it("treats conditions.ready null or absent as ready and a non-boolean as a bad endpoint", () => {
      const result = sliceOf(
        rawSlice({}, [
          { addresses: ["10.0.0.1"], conditions: { ready: null, serving: false } },
          { addresses: ["10.0.0.2"], conditions: {} },
          { addresses: ["10.0.0.3"], conditions: { ready: "yes" } },
          { addresses: ["10.0.0.4"], conditions: { ready: false } },
        ]),
      );
      assert.deepEqual(
        result.object?.endpoints.map((e) => [e.addresses[0], e.ready]),
        [
          ["10.0.0.1", true],
          ["10.0.0.2", true],
          ["10.0.0.4", false],
        ],
      );
      assert.deepEqual(where(result.problems), [["endpoints[2].conditions.ready", false]]);
    });

    it("canonicalizes IPv6 addresses and skips a bad address, keeping the endpoint's others", () => {
      const result = sliceOf(
        rawSlice({ addressType: "IPv6" }, [
          { addresses: ["FD00:10:244:0:0:0:0:5", "not-an-ip", "10.0.0.1", "fd00::5", "fd00::6"] },
        ]),
      );
      assert.deepEqual(result.object?.endpoints[0]?.addresses, [
        "fd00:10:244::5",
        "fd00::5",
        "fd00::6",
      ]);
      assert.deepEqual(where(result.problems), [
        ["endpoints[0].addresses[1]", false],
        ["endpoints[0].addresses[2]", false],
      ]);
    });

    it("skips an IPv6 address in an IPv4 slice", () => {
      const result = sliceOf(rawSlice({}, [{ addresses: ["fd00::1", "10.0.0.9"] }]));
      assert.deepEqual(result.object?.endpoints[0]?.addresses, ["10.0.0.9"]);
      assert.deepEqual(where(result.problems), [["endpoints[0].addresses[0]", false]]);
    });

    it("skips an endpoint with an invalid hostname and keeps the others", () => {
      const result = sliceOf(
        rawSlice({}, [
          { addresses: ["10.0.0.1"], hostname: "Pod_0" },
          { addresses: ["10.0.0.2"], hostname: "a.b" },
          { addresses: ["10.0.0.3"], hostname: "ok" },
          { addresses: ["10.0.0.4"], hostname: 7 },
          { addresses: ["10.0.0.5"], hostname: "" },
        ]),
      );
      assert.deepEqual(
        result.object?.endpoints.map((e) => [e.addresses[0], e.hostname]),
        [
          ["10.0.0.3", "ok"],
          ["10.0.0.5", undefined],
        ],
      );
      assert.deepEqual(where(result.problems), [
        ["endpoints[0].hostname", false],
        ["endpoints[1].hostname", false],
        ["endpoints[3].hostname", false],
      ]);
    });

    it("skips an endpoint without an address list", () => {
      const result = sliceOf(rawSlice({}, [{ hostname: "a" }, { addresses: "10.0.0.1" }, 5]));
      assert.deepEqual(result.object?.endpoints, []);
      assert.deepEqual(where(result.problems), [
        ["endpoints[0].addresses", false],
        ["endpoints[1].addresses", false],
        ["endpoints[2]", false],
      ]);
    });

    it("skips the whole slice for an FQDN or unknown address type", () => {
      const fqdn = sliceOf(rawSlice({ addressType: "FQDN" }));
      assert.equal(fqdn.object, undefined);
      assert.deepEqual(fqdn.problems, [
        {
          kind: "EndpointSlice",
          namespace: "ns",
          name: "s-1",
          path: "addressType",
          reason: "FQDN slices are not served",
          objectSkipped: true,
        },
      ]);
      assert.deepEqual(where(sliceOf(rawSlice({ addressType: "IPv5" })).problems), [
        ["addressType", true],
      ]);
      assert.deepEqual(where(sliceOf(rawSlice({ addressType: undefined })).problems), [
        ["addressType", true],
      ]);
    });

    it("skips the whole slice for a missing or invalid cluster id", () => {
      const clusterPath = 'metadata.labels["multicluster.kubernetes.io/source-cluster"]';
      for (const cluster of ["Bad_Cluster", "C1", "a.b.c", "", undefined]) {
        const raw = endpointSlice("ns", "s", { service: "svc", cluster: "x", endpoints: [] });
        const labels = (raw.metadata as Raw).labels as Raw;
        if (cluster === undefined) delete labels["multicluster.kubernetes.io/source-cluster"];
        else labels["multicluster.kubernetes.io/source-cluster"] = cluster;
        const result = sliceOf(raw);
        assert.equal(result.object, undefined, String(cluster));
        assert.deepEqual(where(result.problems), [[clusterPath, true]]);
      }
    });

    it("skips the whole slice for a missing service-name label or labels", () => {
      const raw = endpointSlice("ns", "s", { service: "svc", cluster: "c1", endpoints: [] });
      const labels = (raw.metadata as Raw).labels as Raw;
      delete labels["multicluster.kubernetes.io/service-name"];
      const result = sliceOf(raw);
      assert.equal(result.object, undefined);
      assert.deepEqual(where(result.problems), [
        ['metadata.labels["multicluster.kubernetes.io/service-name"]', true],
      ]);
      delete (raw.metadata as Raw).labels;
      assert.equal(sliceOf(raw).object, undefined);
    });

    it("skips the whole slice for a missing name or invalid namespace", () => {
      const noName = rawSlice();
      delete (noName.metadata as Raw).name;
      assert.deepEqual(where(sliceOf(noName).problems), [["metadata.name", true]]);
      const badNs = rawSlice();
      (badNs.metadata as Raw).namespace = "NS";
      assert.deepEqual(where(sliceOf(badNs).problems), [["metadata.namespace", true]]);
    });

    it("skips unset slice port numbers silently and bad ports with a problem", () => {
      const result = sliceOf(
        rawSlice({
          ports: [
            { name: "all", protocol: "TCP", port: null },
            { name: "none" },
            { name: "http", port: 80 },
            { name: "bad", port: 70000 },
            { name: "proto", protocol: "tcp", port: 81 },
          ],
        }),
      );
      assert.deepEqual(result.object?.ports, [{ name: "http", protocol: "TCP", port: 80 }]);
      assert.deepEqual(where(result.problems), [
        ["ports[3].port", false],
        ["ports[4].protocol", false],
      ]);
    });

    it("caps endpoints per slice at the Kubernetes limit", () => {
      const endpoints = Array.from({ length: MAX_ENDPOINTS_PER_SLICE + 5 }, (_, i) => ({
        addresses: [`10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`],
      }));
      const result = sliceOf(rawSlice({}, endpoints));
      assert.equal(result.object?.endpoints.length, MAX_ENDPOINTS_PER_SLICE);
      assert.deepEqual(
        result.problems.map((p) => [p.path, p.reason]),
        [["endpoints", "5 endpoints beyond the limit of 1000 skipped"]],
      );
    });

    it("caps addresses per endpoint at the Kubernetes limit", () => {
      const addresses = Array.from(
        { length: MAX_ADDRESSES_PER_ENDPOINT + 1 },
        (_, i) => `10.0.1.${i + 1}`,
      );
      const result = sliceOf(rawSlice({}, [{ addresses }]));
      assert.equal(result.object?.endpoints[0]?.addresses.length, MAX_ADDRESSES_PER_ENDPOINT);
      assert.equal(result.object?.endpoints[0]?.addresses.at(-1), "10.0.1.100");
      assert.deepEqual(where(result.problems), [["endpoints[0].addresses", false]]);
    });

    it("bounds the problem list of one object", () => {
      const endpoints = Array.from({ length: 200 }, () => ({ addresses: ["bad"] }));
      const result = sliceOf(rawSlice({}, endpoints));
      assert.equal(result.problems.length, MAX_PROBLEMS_PER_OBJECT + 1);
      assert.equal(result.problems.at(-1)?.reason, "150 more problems not listed");
      assert.equal(result.object?.endpoints.length, 200);
    });
  });

  describe("parseClusterProperty", () => {
    it("parses the cluster id property", () => {
      assert.deepEqual(parseClusterProperty(clusterProperty("c1")), {
        object: {
          kind: "ClusterProperty",
          namespace: "",
          name: "cluster.clusterset.k8s.io",
          value: "c1",
        },
        problems: [],
      });
    });

    it("rejects an invalid cluster id in cluster.clusterset.k8s.io only", () => {
      const result = parseClusterProperty(clusterProperty("Bad_Id"));
      assert.equal(result.object, undefined);
      assert.deepEqual(result.problems, [
        {
          kind: "ClusterProperty",
          namespace: "",
          name: "cluster.clusterset.k8s.io",
          path: "spec.value",
          reason: '"Bad_Id" is not a valid cluster id',
          objectSkipped: true,
        },
      ]);
      const other = clusterProperty("Any Value");
      (other.metadata as Raw).name = "clusterset.k8s.io";
      assert.equal(parseClusterProperty(other).object?.value, "Any Value");
    });

    it("skips a property without a value", () => {
      const raw = clusterProperty("c1");
      delete raw.spec;
      assert.deepEqual(where(parseClusterProperty(raw).problems), [["spec.value", true]]);
    });
  });

  describe("parseObject", () => {
    it("dispatches on kind", () => {
      assert.equal(parseObject(serviceImport("ns", "a", {}))?.object?.kind, "ServiceImport");
      assert.equal(
        parseObject(endpointSlice("ns", "a", { service: "a", cluster: "c", endpoints: [] }))?.object
          ?.kind,
        "EndpointSlice",
      );
      assert.equal(parseObject(clusterProperty("c1"))?.object?.kind, "ClusterProperty");
    });

    it("ignores other kinds, a missing kind, non-objects and our kinds in other API groups", () => {
      assert.equal(
        parseObject({ apiVersion: "v1", kind: "Service", metadata: { name: "a" } }),
        undefined,
      );
      assert.equal(parseObject({ metadata: { name: "a" } }), undefined);
      assert.equal(parseObject("ServiceImport"), undefined);
      assert.equal(parseObject(null), undefined);
      assert.equal(
        parseObject({
          ...serviceImport("ns", "a", {}),
          apiVersion: "lighthouse.submariner.io/v2alpha1",
        }),
        undefined,
      );
    });

    it("reports our kinds with a bad shape instead of ignoring them", () => {
      const result = parseObject({ kind: "ServiceImport", metadata: { name: "a" } });
      assert.equal(result?.object, undefined);
      assert.deepEqual(where(result?.problems ?? []), [["metadata.namespace", true]]);
    });
  });
});
