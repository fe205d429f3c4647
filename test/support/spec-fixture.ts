// The ClusterSet every spec-row end-to-end test runs against: one object per behaviour in
// shared/spec.md §2, in namespace "ns", zone clusterset.local.

import { endpointSlice, serviceImport } from "./k8s-objects.js";

export const NS = "ns";
export const ZONE = "clusterset.local";
export const name = (relative: string): string => `${relative}.${NS}.svc.${ZONE}`;

/** 300 ready endpoints for truncation tests: 10.9.<i/250>.<i%250 + 1>. */
export const BIG_COUNT = 300;
export const bigAddress = (i: number): string => `10.9.${Math.floor(i / 250)}.${(i % 250) + 1}`;

export function specObjects(): Record<string, unknown>[] {
  return [
    serviceImport(NS, "v4svc", {
      ips: ["10.0.0.1"],
      ports: [
        { name: "http", protocol: "TCP", port: 80 },
        { name: "dns", protocol: "UDP", port: 53 },
        { name: "foo", protocol: "TCP", port: 42 },
        { name: "foo", protocol: "UDP", port: 42 },
        { port: 8080 },
      ],
      clusters: ["c1", "c2"],
    }),
    serviceImport(
      NS,
      "dual",
      { ips: ["10.0.0.2", "fd00::2"], ports: [{ name: "https", port: 443 }] },
      "multicluster.x-k8s.io/v1alpha1",
    ),
    serviceImport(NS, "noips", { ips: [], ports: [{ name: "http", protocol: "TCP", port: 80 }] }),
    serviceImport(NS, "v6only", { ips: ["fd00::3"] }),
    serviceImport(NS, "hl", { type: "Headless", ports: [{ name: "ignored", port: 1 }] }),
    endpointSlice(NS, "hl-c1", {
      service: "hl",
      cluster: "c1",
      endpoints: [
        { addresses: ["10.1.0.1"], hostname: "pod-0", ready: true },
        { addresses: ["10.1.0.2"] },
        { addresses: ["10.1.0.3"], ready: false },
      ],
      ports: [{ name: "http", protocol: "TCP", port: 8080 }, { port: 9090 }],
    }),
    endpointSlice(NS, "hl-c2-v4", {
      service: "hl",
      cluster: "c2",
      endpoints: [{ addresses: ["10.2.0.2"] }],
      ports: [{ name: "http", protocol: "TCP", port: 8080 }],
    }),
    endpointSlice(NS, "hl-c2-v6", {
      service: "hl",
      cluster: "c2",
      addressType: "IPv6",
      endpoints: [{ addresses: ["fd00:10:244:0:0:0:0:5"] }, { addresses: ["fd00::"] }],
      ports: [{ name: "http", protocol: "TCP", port: 8080 }],
    }),
    endpointSlice(NS, "hl-two-label", {
      service: "hl",
      cluster: "name.extra",
      endpoints: [{ addresses: ["10.3.0.1"], hostname: "pod-0" }],
      ports: [{ name: "http", protocol: "TCP", port: 8080 }],
    }),
    endpointSlice(NS, "hl-c3-v4", {
      service: "hl",
      cluster: "c3",
      endpoints: [{ addresses: ["10.4.0.1"], hostname: "both" }],
      ports: [{ name: "http", protocol: "TCP", port: 8080 }],
    }),
    endpointSlice(NS, "hl-c3-v6", {
      service: "hl",
      cluster: "c3",
      addressType: "IPv6",
      endpoints: [{ addresses: ["fd00:4::1"], hostname: "both" }],
      ports: [{ name: "http", protocol: "TCP", port: 8080 }],
    }),
    endpointSlice(NS, "hl-bad-cluster", {
      service: "hl",
      cluster: "Bad_Cluster",
      endpoints: [{ addresses: ["10.66.0.1"] }],
      ports: [{ name: "http", protocol: "TCP", port: 8080 }],
    }),
    serviceImport(NS, "empty", { type: "Headless" }),
    endpointSlice(NS, "empty-c1", {
      service: "empty",
      cluster: "c1",
      endpoints: [{ addresses: ["10.5.0.1"], ready: false }],
      ports: [{ name: "http", protocol: "TCP", port: 80 }],
    }),
    serviceImport(NS, "big", { type: "Headless" }),
    endpointSlice(NS, "big-c1", {
      service: "big",
      cluster: "c1",
      endpoints: Array.from({ length: BIG_COUNT }, (_, i) => ({ addresses: [bigAddress(i)] })),
      ports: [{ name: "http", protocol: "TCP", port: 80 }],
    }),
  ];
}
