// Objects → an immutable Snapshot of the zone (spec §2, §3). Pure: the same objects and options
// give the same snapshot. Each service's names are an independent fragment, memoized on the
// identity of its ServiceImport and EndpointSlice objects (the store replaces an object on every
// change, never mutates one), so a rebuild after one change recomputes one service.
//
// Record order is deterministic. ClusterSetIP: spec.ips and spec.ports in the order given.
// Headless: slices ordered local cluster first (when the local cluster id is known), then by
// cluster id, then slice name; endpoints in slice order; ports in slice order. The first
// occurrence of a duplicate record decides its place.

import { RRClass, RRType, type RecordData, type ResourceRecord } from "../wire/types.js";
import { canonicalIPv4, canonicalIPv6 } from "../wire/ip.js";
import type { ObjectSet } from "../source/store.js";
import type { EndpointSlice, ServiceImport, ServicePort } from "./types.js";
import { hostLabelForAddress } from "./hostlabel.js";
import { CLUSTER_ID_PROPERTY } from "./objects.js";

export interface ZoneOptions {
  /** Lower case, no trailing dot, e.g. "clusterset.local". */
  zone: string;
  /** TTL of every record but dns-version TXT (28800); 0..3600. */
  ttl: number;
  /** Addresses of ns.dns.<zone>; empty → ns.dns.<zone> exists with no records (NODATA). */
  nsAddresses: readonly string[];
  /** Local cluster id when known (flag, else ClusterProperty); used for ordering only. */
  localClusterId?: string | undefined;
}

export interface ZoneNode {
  /** Record sets at this name by type. Empty for an empty non-terminal. */
  readonly rrsets: ReadonlyMap<number, readonly ResourceRecord[]>;
}

export interface Snapshot {
  readonly zone: string;
  readonly ttl: number;
  readonly serial: number;
  /** Increases by one with every snapshot a process publishes; part of the answer-cache key. */
  readonly generation: number;
  /** The zone's SOA record (owner = zone), also used in negative answers. */
  readonly soa: ResourceRecord;
  /** Every existing name (lower case), empty non-terminals included. */
  readonly nodes: ReadonlyMap<string, ZoneNode>;
}

/** The names one service contributes, each with its node; empty when the service has no names. */
export type ServiceFragment = readonly (readonly [name: string, node: ZoneNode])[];

/** What a fragment depends on besides its objects. */
export interface FragmentContext {
  zone: string;
  ttl: number;
  localClusterId: string | undefined;
}

export const DNS_VERSION_TTL = 28800;
export const DNS_VERSION = "1.0.0";
export const SOA_REFRESH = 7200;
export const SOA_RETRY = 1800;
export const SOA_EXPIRE = 86400;
const SRV_PRIORITY = 0;
const SRV_WEIGHT = 100;

/** The node of every empty non-terminal (and of a ClusterSetIP service with no records). */
export const EMPTY_NODE: ZoneNode = Object.freeze({
  rrsets: new Map<number, readonly ResourceRecord[]>(),
});
const NO_FRAGMENT: ServiceFragment = Object.freeze([]);
const NO_SLICES: readonly EndpointSlice[] = Object.freeze([]);

/** `label.parent`, where the root parent is "". */
function child(label: string, parent: string): string {
  return parent === "" ? label : `${label}.${parent}`;
}

/** `S.N.svc.Z` */
export function serviceOwner(namespace: string, name: string, zone: string): string {
  return child(`${name}.${namespace}.svc`, zone);
}

/** The local cluster id from the options, else from the ClusterProperty, else unknown. */
export function localClusterIdOf(objects: ObjectSet, options: ZoneOptions): string | undefined {
  if (options.localClusterId !== undefined && options.localClusterId !== "")
    return options.localClusterId;
  for (const property of objects.clusterProperties.values())
    if (property.name === CLUSTER_ID_PROPERTY) return property.value;
  return undefined;
}

/**
 * Builds the nodes of one fragment: records deduplicated per owner by data identity (data objects
 * are interned per fragment, so equal data is the same object and shared between owners), and
 * every ancestor of an owner, up to and including the fragment's base, created as a node.
 */
class FragmentBuilder {
  private readonly nodes = new Map<
    string,
    { rrsets: Map<number, ResourceRecord[]>; seen: Set<RecordData> }
  >();
  private readonly interned = new Map<string, RecordData>();

  constructor(
    private readonly base: string,
    private readonly ttl: number,
  ) {}

  /** Make `owner` exist, with its ancestors up to the base. */
  ensure(owner: string): { rrsets: Map<number, ResourceRecord[]>; seen: Set<RecordData> } {
    const existing = this.nodes.get(owner);
    if (existing) return existing;
    const node = { rrsets: new Map<number, ResourceRecord[]>(), seen: new Set<RecordData>() };
    this.nodes.set(owner, node);
    let name = owner;
    while (name !== this.base) {
      const dot = name.indexOf(".");
      if (dot < 0) break;
      name = name.slice(dot + 1);
      if (this.nodes.has(name)) break;
      this.nodes.set(name, { rrsets: new Map(), seen: new Set() });
    }
    return node;
  }

  add(owner: string, data: RecordData): void {
    const node = this.ensure(owner);
    if (node.seen.has(data)) return;
    node.seen.add(data);
    const record: ResourceRecord = { name: owner, ttl: this.ttl, class: RRClass.IN, data };
    const rrset = node.rrsets.get(data.type);
    if (rrset) rrset.push(record);
    else node.rrsets.set(data.type, [record]);
  }

  address(type: typeof RRType.A | typeof RRType.AAAA, address: string): RecordData {
    const known = this.interned.get(address);
    if (known) return known;
    const data: RecordData = { type, address };
    this.interned.set(address, data);
    return data;
  }

  srv(target: string, port: number): RecordData {
    const key = `${port} ${target}`;
    const known = this.interned.get(key);
    if (known) return known;
    const data: RecordData = {
      type: RRType.SRV,
      priority: SRV_PRIORITY,
      weight: SRV_WEIGHT,
      port,
      target,
    };
    this.interned.set(key, data);
    return data;
  }

  finish(): ServiceFragment {
    const out: (readonly [string, ZoneNode])[] = [];
    for (const [name, node] of this.nodes) {
      if (node.rrsets.size === 0) {
        out.push([name, EMPTY_NODE]);
        continue;
      }
      const rrsets = new Map<number, readonly ResourceRecord[]>();
      for (const [type, records] of node.rrsets) rrsets.set(type, Object.freeze(records));
      out.push([name, Object.freeze({ rrsets })]);
    }
    return Object.freeze(out);
  }
}

function srvOwner(port: ServicePort & { name: string }, base: string): string {
  return `_${port.name}._${port.protocol.toLowerCase()}.${base}`;
}

function hasName(port: ServicePort): port is ServicePort & { name: string } {
  return port.name !== undefined;
}

function addressType(address: string): typeof RRType.A | typeof RRType.AAAA {
  return address.includes(":") ? RRType.AAAA : RRType.A;
}

function clusterSetIpFragment(service: ServiceImport, context: FragmentContext): ServiceFragment {
  const base = serviceOwner(service.namespace, service.name, context.zone);
  const builder = new FragmentBuilder(base, context.ttl);
  // The service name exists even with no VIP and no ports (then every type is NODATA).
  builder.ensure(base);
  for (const ip of service.ips) builder.add(base, builder.address(addressType(ip), ip));
  for (const port of service.ports) {
    const srv = builder.srv(base, port.port);
    if (hasName(port)) builder.add(srvOwner(port, base), srv);
    builder.add(base, srv);
  }
  return builder.finish();
}

function headlessFragment(
  service: ServiceImport,
  slices: readonly EndpointSlice[],
  context: FragmentContext,
): ServiceFragment {
  const base = serviceOwner(service.namespace, service.name, context.zone);
  const builder = new FragmentBuilder(base, context.ttl);
  let anyReady = false;
  for (const slice of slices) {
    const type = slice.addressType === "IPv4" ? RRType.A : RRType.AAAA;
    const clusterOwner = `${slice.clusterId}.${base}`;
    for (const endpoint of slice.endpoints) {
      const first = endpoint.addresses[0];
      if (!endpoint.ready || first === undefined) continue;
      anyReady = true;
      // Like Kubernetes DNS, an endpoint without a hostname is named after its first address,
      // and all its addresses (fungible, per the EndpointSlice API) live under that one name.
      const target = `${endpoint.hostname ?? hostLabelForAddress(first)}.${clusterOwner}`;
      for (const address of endpoint.addresses) {
        const data = builder.address(type, address);
        builder.add(target, data);
        builder.add(base, data);
      }
      for (const port of slice.ports) {
        const srv = builder.srv(target, port.port);
        if (hasName(port)) builder.add(srvOwner(port, base), srv);
        builder.add(base, srv);
      }
    }
  }
  // No ready endpoint: the service has no names at all (NXDOMAIN), not even its own.
  return anyReady ? builder.finish() : NO_FRAGMENT;
}

/**
 * The names of one service. `slices` are the service's slices in record order (see
 * sortSlices); they are ignored for a ClusterSetIP service.
 */
export function buildServiceFragment(
  service: ServiceImport,
  slices: readonly EndpointSlice[],
  context: FragmentContext,
): ServiceFragment {
  return service.type === "Headless"
    ? headlessFragment(service, slices, context)
    : clusterSetIpFragment(service, context);
}

/** Local cluster first, then by cluster id, then by slice name (unique within a namespace). */
export function sortSlices(
  slices: EndpointSlice[],
  localClusterId: string | undefined,
): EndpointSlice[] {
  return slices.sort((a, b) => {
    if (a.clusterId !== b.clusterId) {
      if (a.clusterId === localClusterId) return -1;
      if (b.clusterId === localClusterId) return 1;
      return a.clusterId < b.clusterId ? -1 : 1;
    }
    if (a.name !== b.name) return a.name < b.name ? -1 : 1;
    return 0;
  });
}

interface MemoEntry {
  contextKey: string;
  slices: readonly EndpointSlice[];
  fragment: ServiceFragment;
}

// Keyed on the ServiceImport object: when the store drops or replaces it, its entry goes too.
const fragmentMemo = new WeakMap<ServiceImport, MemoEntry>();

function sameSlices(a: readonly EndpointSlice[], b: readonly EndpointSlice[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function memoizedFragment(
  service: ServiceImport,
  slices: readonly EndpointSlice[],
  context: FragmentContext,
  contextKey: string,
): ServiceFragment {
  const entry = fragmentMemo.get(service);
  if (entry && entry.contextKey === contextKey && sameSlices(entry.slices, slices))
    return entry.fragment;
  const fragment = buildServiceFragment(service, slices, context);
  fragmentMemo.set(service, { contextKey, slices, fragment });
  return fragment;
}

/** Slices of headless imports, grouped by "namespace/serviceName", in record order. */
function groupSlices(
  objects: ObjectSet,
  localClusterId: string | undefined,
): Map<string, EndpointSlice[]> {
  const groups = new Map<string, EndpointSlice[]>();
  for (const slice of objects.slices.values()) {
    const key = `${slice.namespace}/${slice.serviceName}`;
    const group = groups.get(key);
    if (group) group.push(slice);
    else groups.set(key, [slice]);
  }
  for (const group of groups.values()) if (group.length > 1) sortSlices(group, localClusterId);
  return groups;
}

function makeSoa(zone: string, ttl: number, serial: number): ResourceRecord {
  return {
    name: zone,
    ttl,
    class: RRClass.IN,
    data: {
      type: RRType.SOA,
      mname: child("ns.dns", zone),
      rname: child("hostmaster", zone),
      serial,
      refresh: SOA_REFRESH,
      retry: SOA_RETRY,
      expire: SOA_EXPIRE,
      minimum: ttl,
    },
  };
}

function node(rrsets: [number, ResourceRecord[]][]): ZoneNode {
  return Object.freeze({
    rrsets: new Map<number, readonly ResourceRecord[]>(
      rrsets.map(([type, records]) => [type, Object.freeze(records)]),
    ),
  });
}

/** Apex SOA and NS, dns.Z, ns.dns.Z with its configured addresses, dns-version.Z TXT. */
function addApex(nodes: Map<string, ZoneNode>, options: ZoneOptions, soa: ResourceRecord): void {
  const { zone, ttl } = options;
  const nsHost = child("ns.dns", zone);
  nodes.set(
    zone,
    node([
      [RRType.SOA, [soa]],
      [
        RRType.NS,
        [{ name: zone, ttl, class: RRClass.IN, data: { type: RRType.NS, host: nsHost } }],
      ],
    ]),
  );
  nodes.set(child("dns", zone), EMPTY_NODE);
  const a: ResourceRecord[] = [];
  const aaaa: ResourceRecord[] = [];
  const seen = new Set<string>();
  for (const text of options.nsAddresses) {
    const v4 = canonicalIPv4(text);
    const address = v4 ?? canonicalIPv6(text);
    // Config validates addresses; an invalid one here is simply not published.
    if (address === undefined || seen.has(address)) continue;
    seen.add(address);
    if (v4 !== undefined)
      a.push({ name: nsHost, ttl, class: RRClass.IN, data: { type: RRType.A, address } });
    else aaaa.push({ name: nsHost, ttl, class: RRClass.IN, data: { type: RRType.AAAA, address } });
  }
  const nsRrsets: [number, ResourceRecord[]][] = [];
  if (a.length > 0) nsRrsets.push([RRType.A, a]);
  if (aaaa.length > 0) nsRrsets.push([RRType.AAAA, aaaa]);
  nodes.set(nsHost, nsRrsets.length > 0 ? node(nsRrsets) : EMPTY_NODE);
  const versionOwner = child("dns-version", zone);
  nodes.set(
    versionOwner,
    node([
      [
        RRType.TXT,
        [
          {
            name: versionOwner,
            ttl: DNS_VERSION_TTL,
            class: RRClass.IN,
            data: { type: RRType.TXT, strings: [DNS_VERSION] },
          },
        ],
      ],
    ]),
  );
}

export function buildSnapshot(
  objects: ObjectSet,
  options: ZoneOptions,
  serial: number,
  generation: number,
): Snapshot {
  const { zone, ttl } = options;
  const context: FragmentContext = {
    zone,
    ttl,
    localClusterId: localClusterIdOf(objects, options),
  };
  // Record order in ClusterSetIP fragments does not depend on the local cluster.
  const clusterSetIpKey = `${zone}\n${ttl}`;
  const headlessKey = `${clusterSetIpKey}\n${context.localClusterId ?? ""}`;
  const soa = makeSoa(zone, ttl, serial);
  const nodes = new Map<string, ZoneNode>();
  addApex(nodes, options, soa);

  const slicesByService = groupSlices(objects, context.localClusterId);
  const svcOwner = child("svc", zone);
  for (const service of objects.imports.values()) {
    const headless = service.type === "Headless";
    const slices = headless
      ? (slicesByService.get(`${service.namespace}/${service.name}`) ?? NO_SLICES)
      : NO_SLICES;
    const fragment = memoizedFragment(
      service,
      slices,
      context,
      headless ? headlessKey : clusterSetIpKey,
    );
    if (fragment.length === 0) continue;
    for (const [name, fragmentNode] of fragment) nodes.set(name, fragmentNode);
    // Ancestors above the service: N.svc.Z and svc.Z exist only while some service has names.
    const namespaceOwner = child(service.namespace, svcOwner);
    if (!nodes.has(namespaceOwner)) {
      nodes.set(namespaceOwner, EMPTY_NODE);
      if (!nodes.has(svcOwner)) nodes.set(svcOwner, EMPTY_NODE);
    }
  }

  return Object.freeze({ zone, ttl, serial, generation, soa, nodes });
}
