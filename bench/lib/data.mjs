// Deterministic synthetic ClusterSets: ServiceImports and EndpointSlices across three clusters,
// written as a kubectl-style JSON List; the dnsperf query mix that goes with them; and our
// Snapshot built from the manifest exactly as the server builds it (parse → validate → build).

import { readFileSync, writeFileSync } from "node:fs";
import { dist } from "./common.mjs";

export const ZONE = "clusterset.local";
export const CLUSTERS = ["cluster-a", "cluster-b", "cluster-c"];

/**
 * mulberry32: small, fast, seeded; the same data on every run. The same generator as
 * test/support/prng.ts, repeated because these scripts run under plain node (no TS loader).
 */
export function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Which services are headless (every fifth: 20%) or dual stack (every tenth of the rest). */
export const isHeadless = (i) => i % 5 === 4;
export const isDualStack = (i) => !isHeadless(i) && i % 10 === 3;

export function serviceName(i) {
  return { namespace: `ns-${Math.floor(i / 25)}`, name: `svc-${i}` };
}

function fqdn(i) {
  const { namespace, name } = serviceName(i);
  return `${name}.${namespace}.svc.${ZONE}`;
}

/**
 * Raw objects for `services` ServiceImports, each with one EndpointSlice per cluster holding
 * `endpoints` endpoints (headless services: `headlessEndpoints`). Half of the headless services
 * name their endpoints (StatefulSet style), the rest get address-derived host labels.
 */
export function generateObjects({ services, endpoints = 3, headlessEndpoints = endpoints }) {
  const objects = [];
  let podIndex = 0;
  for (let i = 0; i < services; i++) {
    const { namespace, name } = serviceName(i);
    const headless = isHeadless(i);
    const ips = headless ? [] : [`10.${96 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`];
    if (isDualStack(i)) ips.push(`fd00:96::${i.toString(16)}`);
    objects.push({
      apiVersion: "multicluster.x-k8s.io/v1beta1",
      kind: "ServiceImport",
      metadata: { namespace, name },
      spec: {
        type: headless ? "Headless" : "ClusterSetIP",
        ips,
        ports: [
          { name: "http", protocol: "TCP", port: 80 },
          { name: "grpc", protocol: "TCP", port: 9090 },
        ],
      },
      status: { clusters: CLUSTERS.map((cluster) => ({ cluster })) },
    });
    const count = headless ? headlessEndpoints : endpoints;
    CLUSTERS.forEach((cluster, c) => {
      const slice = [];
      for (let e = 0; e < count; e++) {
        const address = `10.${128 + c * 32 + ((podIndex >> 16) & 31)}.${(podIndex >> 8) & 255}.${podIndex & 255}`;
        podIndex++;
        const endpoint = { addresses: [address], conditions: { ready: true } };
        if (headless && i % 2 === 0) endpoint.hostname = `${name}-${e}`;
        endpoint.targetRef = { kind: "Pod", namespace, name: `${name}-${cluster}-${e}` };
        slice.push(endpoint);
      }
      objects.push({
        apiVersion: "discovery.k8s.io/v1",
        kind: "EndpointSlice",
        metadata: {
          namespace,
          name: `${name}-${cluster}`,
          labels: {
            "multicluster.kubernetes.io/service-name": name,
            "multicluster.kubernetes.io/source-cluster": cluster,
            "endpointslice.kubernetes.io/managed-by": "mcs-controller",
          },
        },
        addressType: "IPv4",
        endpoints: slice,
        ports: [{ name: "http", protocol: "TCP", port: 8080 }],
      });
    });
  }
  return objects;
}

export function manifestText(objects) {
  return `{"apiVersion":"v1","kind":"List","items":[\n${objects.map((o) => JSON.stringify(o)).join(",\n")}\n]}\n`;
}

export function writeManifest(path, objects) {
  writeFileSync(path, manifestText(objects));
}

/**
 * The query mix (dnsperf "name type" lines): mostly ClusterSetIP A; some AAAA NODATA, AAAA on
 * dual-stack services, SRV, small headless A, per-endpoint names and NXDOMAIN.
 */
export const QUERY_MIX = [
  ["ClusterSetIP A", 60],
  ["ClusterSetIP AAAA NODATA", 8],
  ["dual-stack AAAA", 2],
  ["_http._tcp SRV", 10],
  ["headless A", 8],
  ["per-endpoint A", 6],
  ["NXDOMAIN A", 6],
];

export function generateQueries({
  services,
  endpoints = 3,
  headlessEndpoints = endpoints,
  count = 100000,
  seed = 6,
}) {
  const next = random(seed);
  const pick = (n) => Math.floor(next() * n);
  const clusterSetIp = [];
  const dual = [];
  const headless = [];
  for (let i = 0; i < services; i++) {
    if (isHeadless(i)) headless.push(i);
    else if (isDualStack(i)) dual.push(i);
    else clusterSetIp.push(i);
  }
  // Pod indexes are assigned in order; recompute the first pod of each headless service.
  const firstPod = new Map();
  let podIndex = 0;
  for (let i = 0; i < services; i++) {
    firstPod.set(i, podIndex);
    podIndex += CLUSTERS.length * (isHeadless(i) ? headlessEndpoints : endpoints);
  }
  const total = QUERY_MIX.reduce((sum, [, weight]) => sum + weight, 0);
  const lines = [];
  for (let q = 0; q < count; q++) {
    let roll = pick(total);
    let kind = QUERY_MIX[0][0];
    for (const [name, weight] of QUERY_MIX) {
      if (roll < weight) {
        kind = name;
        break;
      }
      roll -= weight;
    }
    switch (kind) {
      case "ClusterSetIP A":
        lines.push(`${fqdn(clusterSetIp[pick(clusterSetIp.length)])} A`);
        break;
      case "ClusterSetIP AAAA NODATA":
        lines.push(`${fqdn(clusterSetIp[pick(clusterSetIp.length)])} AAAA`);
        break;
      case "dual-stack AAAA":
        lines.push(`${fqdn(dual[pick(dual.length)] ?? 0)} AAAA`);
        break;
      case "_http._tcp SRV": {
        const i =
          next() < 0.8 ? clusterSetIp[pick(clusterSetIp.length)] : headless[pick(headless.length)];
        lines.push(`_http._tcp.${fqdn(i)} SRV`);
        break;
      }
      case "headless A":
        lines.push(`${fqdn(headless[pick(headless.length)])} A`);
        break;
      case "per-endpoint A": {
        const i = headless[pick(headless.length)];
        const c = pick(CLUSTERS.length);
        const e = pick(headlessEndpoints);
        const { name } = serviceName(i);
        let host;
        if (i % 2 === 0) host = `${name}-${e}`;
        else {
          const pod = firstPod.get(i) + c * headlessEndpoints + e;
          host = `10-${128 + c * 32 + ((pod >> 16) & 31)}-${(pod >> 8) & 255}-${pod & 255}`;
        }
        lines.push(`${host}.${CLUSTERS[c]}.${fqdn(i)} A`);
        break;
      }
      case "NXDOMAIN A": {
        const { namespace } = serviceName(pick(services));
        lines.push(`missing-${pick(1_000_000)}.${namespace}.svc.${ZONE} A`);
        break;
      }
    }
  }
  return lines;
}

/** Parse + validate a manifest with the server's own code; returns an ObjectSet. */
export async function objectSetFromManifest(path) {
  const { parseManifestText } = await dist("source/manifest.js");
  const { parseObject } = await dist("zone/objects.js");
  const { objectKey } = await dist("zone/types.js");
  const parsed = parseManifestText(readFileSync(path, "utf8"), path);
  if (parsed.errors.length > 0) throw new Error(parsed.errors.join("; "));
  const set = { imports: new Map(), slices: new Map(), clusterProperties: new Map() };
  for (const raw of parsed.objects) {
    const object = parseObject(raw)?.object;
    if (object === undefined) continue;
    if (object.kind === "ServiceImport") set.imports.set(objectKey(object), object);
    else if (object.kind === "EndpointSlice") set.slices.set(objectKey(object), object);
    else set.clusterProperties.set(objectKey(object), object);
  }
  return set;
}

export async function snapshotFromManifest(path, { ttl = 5, serial = 1 } = {}) {
  const { buildSnapshot } = await dist("zone/snapshot.js");
  const objects = await objectSetFromManifest(path);
  return buildSnapshot(objects, { zone: ZONE, ttl, nsAddresses: [] }, serial, 1);
}
