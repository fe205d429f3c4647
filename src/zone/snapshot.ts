// Objects → an immutable Snapshot of the zone (spec §2, §3). Pure: the same objects and options
// give the same snapshot. Each service's names are an independent fragment, memoized on the
// identity of its ServiceImport and EndpointSlice objects (the store replaces an object on every
// change, never mutates one), so a rebuild after one change recomputes one service.
//
// buildSnapshot looks at every object. ZoneBuilder keeps the routing map of the last build and,
// told which services changed (the store's change sets), touches only those: the next snapshot
// costs O(changed services): the service table is shared with the last snapshot and changed
// through a small overlay (route-table.ts), not copied.
//
// Record order is deterministic. ClusterSetIP: spec.ips and spec.ports in the order given.
// Headless: slices ordered local cluster first (when the local cluster id is known), then by
// cluster id, then slice name; endpoints in slice order; ports in slice order. The first
// occurrence of a duplicate record decides its place.

import { RRClass, RRType, type RecordData, type ResourceRecord } from "../wire/types.js";
import { canonicalIPv4, canonicalIPv6 } from "../wire/ip.js";
import type { ObjectSet } from "../source/store.js";
import { objectKey, type EndpointSlice, type ServiceImport, type ServicePort } from "./types.js";
import { hostLabelForAddress } from "./hostlabel.js";
import { CLUSTER_ID_PROPERTY } from "./objects.js";
import { EMPTY_NODE, makeDataNode, makeNode, ZoneNodes } from "./nodes.js";
import { RouteTable, type RouteLookup, type RouteTableDraft } from "./route-table.js";

export interface ZoneOptions {
  /** Lower case, no trailing dot, e.g. "clusterset.local". */
  zone: string;
  /** TTL of every record but dns-version TXT (28800); 0..3600. */
  ttl: number;
  /** Addresses of ns.dns.<zone>; empty → ns.dns.<zone> exists with no records (NODATA). */
  nsAddresses: readonly string[];
  /** Local cluster id when known (flag, else ClusterProperty); used for ordering only. */
  localClusterId?: string | undefined;
  /**
   * Extension (--prefer-local-srv), off by default: SRV records of headless services give
   * local-cluster targets priority 0 and other targets priority 1. Without a known local
   * cluster id every SRV keeps priority 0, as the spec requires.
   */
  preferLocalSrv?: boolean | undefined;
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
export type ServiceFragment = ReadonlyMap<string, ZoneNode>;

/** What a fragment depends on besides its objects. */
export interface FragmentContext {
  zone: string;
  ttl: number;
  localClusterId: string | undefined;
  /** See ZoneOptions.preferLocalSrv. */
  preferLocalSrv?: boolean | undefined;
}

export const DNS_VERSION_TTL = 28800;
export const DNS_VERSION = "1.0.0";
export const SOA_REFRESH = 7200;
export const SOA_RETRY = 1800;
export const SOA_EXPIRE = 86400;
const SRV_PRIORITY = 0;
/** Priority of remote-cluster SRV targets under --prefer-local-srv (lower is preferred). */
export const SRV_REMOTE_PRIORITY = 1;
const SRV_WEIGHT = 100;

/** The node of every empty non-terminal (and of a ClusterSetIP service with no records). */
export { EMPTY_NODE };
const NO_FRAGMENT: ServiceFragment = new Map();
// Below this many records a linear scan deduplicates faster than a Set costs to build.
const LINEAR_DEDUP_LIMIT = 16;
const NO_SLICES: readonly EndpointSlice[] = Object.freeze([]);

/** `label.parent`, where the root parent is "". */
function child(label: string, parent: string): string {
  return parent === "" ? label : joinName(label, parent);
}

/**
 * `label.parent` as one flat string. A template literal makes a tree of the pieces, which V8
 * flattens into a second copy as soon as the name is hashed as a map key, and keeps both
 * (measured: 1.3 MiB at 104k names).
 */
function joinName(label: string, parent: string): string {
  return [label, parent].join(".");
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

interface NodeDraft {
  readonly owner: string;
  types: number[];
  sets: RecordData[][];
  /** Data of every record at the node, once the node is too big for linear deduplication. */
  seen: Set<RecordData> | undefined;
  /** SRV data pointing at this name, one per port, shared by every owner that lists it. */
  srvTo: RecordData[] | undefined;
}

function draft(owner: string): NodeDraft {
  return { owner, types: [], sets: [], seen: undefined, srvTo: undefined };
}

/**
 * Builds the nodes of one fragment: records deduplicated per owner by data identity (data objects
 * are interned per fragment, so equal data is the same object and shared between owners), and
 * every ancestor of an owner, up to and including the fragment's base, created as a node.
 */
class FragmentBuilder {
  private readonly nodes = new Map<string, NodeDraft>();
  private readonly addresses = new Map<string, RecordData>();
  readonly base: NodeDraft;

  constructor(
    base: string,
    private readonly ttl: number,
  ) {
    this.base = draft(base);
    this.nodes.set(base, this.base);
  }

  /** The node `owner`, created with its missing ancestors up to the base. */
  node(owner: string): NodeDraft {
    const existing = this.nodes.get(owner);
    if (existing) return existing;
    const created = draft(owner);
    this.nodes.set(owner, created);
    let name = owner;
    while (name !== this.base.owner) {
      const dot = name.indexOf(".");
      if (dot < 0) break;
      name = name.slice(dot + 1);
      if (this.nodes.has(name)) break;
      this.nodes.set(name, draft(name));
    }
    return created;
  }

  /** The node `label.parent`, where `parent` is a node of this builder already. */
  childNode(label: string, parent: NodeDraft): NodeDraft {
    const owner = joinName(label, parent.owner);
    const existing = this.nodes.get(owner);
    if (existing) return existing;
    const created = draft(owner);
    this.nodes.set(owner, created);
    return created;
  }

  add(node: NodeDraft, data: RecordData): void {
    const index = node.types.indexOf(data.type);
    const rrset = index < 0 ? undefined : node.sets[index];
    if (rrset && this.holds(node, rrset, data)) return;
    if (rrset) rrset.push(data);
    else {
      node.types.push(data.type);
      node.sets.push([data]);
    }
    node.seen?.add(data);
  }

  private holds(node: NodeDraft, rrset: readonly RecordData[], data: RecordData): boolean {
    if (node.seen) return node.seen.has(data);
    if (rrset.length < LINEAR_DEDUP_LIMIT) return rrset.includes(data);
    const seen = new Set<RecordData>();
    for (const set of node.sets) for (const known of set) seen.add(known);
    node.seen = seen;
    return seen.has(data);
  }

  address(type: typeof RRType.A | typeof RRType.AAAA, address: string): RecordData {
    const known = this.addresses.get(address);
    if (known) return known;
    const data: RecordData = { type, address };
    this.addresses.set(address, data);
    return data;
  }

  /** SRV data pointing at `target`, a node of this fragment. */
  srv(target: NodeDraft, port: number, priority: number = SRV_PRIORITY): RecordData {
    const srvTo = (target.srvTo ??= []);
    for (const known of srvTo) if (known.type === RRType.SRV && known.port === port) return known;
    const data: RecordData = {
      type: RRType.SRV,
      priority,
      weight: SRV_WEIGHT,
      port,
      target: target.owner,
    };
    srvTo.push(data);
    return data;
  }

  finish(): ServiceFragment {
    const out = new Map<string, ZoneNode>();
    for (const [name, node] of this.nodes)
      out.set(
        name,
        node.types.length === 0
          ? EMPTY_NODE
          : makeDataNode(node.owner, this.ttl, node.types, node.sets),
      );
    return out;
  }
}

/** `_name._proto.S.N.svc.Z` of each port, undefined for unnamed ports. */
function srvOwners(ports: readonly ServicePort[], base: string): (string | undefined)[] {
  return ports.map((port) =>
    port.name === undefined
      ? undefined
      : [`_${port.name}`, `_${port.protocol.toLowerCase()}`, base].join("."),
  );
}

function addressType(address: string): typeof RRType.A | typeof RRType.AAAA {
  return address.includes(":") ? RRType.AAAA : RRType.A;
}

/** SRV records for `target` on each port: at `_name._proto` for named ports, at the base for all. */
function addSrv(
  builder: FragmentBuilder,
  target: NodeDraft,
  ports: readonly ServicePort[],
  owners: readonly (string | undefined)[],
  priority: number = SRV_PRIORITY,
): void {
  for (let i = 0; i < ports.length; i++) {
    const srv = builder.srv(target, (ports[i] as ServicePort).port, priority);
    const owner = owners[i];
    if (owner !== undefined) builder.add(builder.node(owner), srv);
    builder.add(builder.base, srv);
  }
}

function clusterSetIpFragment(service: ServiceImport, context: FragmentContext): ServiceFragment {
  // The service name exists even with no VIP and no ports (then every type is NODATA).
  const builder = new FragmentBuilder(
    serviceOwner(service.namespace, service.name, context.zone),
    context.ttl,
  );
  const base = builder.base;
  for (const ip of service.ips) builder.add(base, builder.address(addressType(ip), ip));
  addSrv(builder, base, service.ports, srvOwners(service.ports, base.owner));
  return builder.finish();
}

function headlessFragment(
  service: ServiceImport,
  slices: readonly EndpointSlice[],
  context: FragmentContext,
): ServiceFragment {
  const builder = new FragmentBuilder(
    serviceOwner(service.namespace, service.name, context.zone),
    context.ttl,
  );
  let anyReady = false;
  const preferLocal = context.preferLocalSrv === true && context.localClusterId !== undefined;
  for (const slice of slices) {
    const type = slice.addressType === "IPv4" ? RRType.A : RRType.AAAA;
    const priority =
      preferLocal && slice.clusterId !== context.localClusterId
        ? SRV_REMOTE_PRIORITY
        : SRV_PRIORITY;
    let cluster: NodeDraft | undefined;
    let owners: (string | undefined)[] | undefined;
    for (const endpoint of slice.endpoints) {
      const first = endpoint.addresses[0];
      if (!endpoint.ready || first === undefined) continue;
      anyReady = true;
      // Created on first use: a cluster with no ready endpoint has no names.
      cluster ??= builder.node(joinName(slice.clusterId, builder.base.owner));
      owners ??= srvOwners(slice.ports, builder.base.owner);
      // Like Kubernetes DNS, an endpoint without a hostname is named after its first address,
      // and all its addresses (fungible, per the EndpointSlice API) live under that one name.
      const target = builder.childNode(endpoint.hostname ?? hostLabelForAddress(first), cluster);
      for (const address of endpoint.addresses) {
        const data = builder.address(type, address);
        builder.add(target, data);
        builder.add(builder.base, data);
      }
      addSrv(builder, target, slice.ports, owners, priority);
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
    const key = serviceKey(slice.namespace, slice.serviceName);
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
  return makeNode(
    rrsets.map(([type]) => type),
    rrsets.map(([, records]) => records),
  );
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

/** `namespace/name` of a ServiceImport: the key of the store's change sets and slice groups. */
export function serviceKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/** The keys fragments are memoized under: what, besides the objects, each kind depends on. */
interface ContextKeys {
  clusterSetIp: string;
  headless: string;
}

function contextOf(objects: ObjectSet, options: ZoneOptions): FragmentContext {
  return {
    zone: options.zone,
    ttl: options.ttl,
    localClusterId: localClusterIdOf(objects, options),
    preferLocalSrv: options.preferLocalSrv === true,
  };
}

function contextKeysOf(context: FragmentContext): ContextKeys {
  // Record order in ClusterSetIP fragments does not depend on the local cluster.
  const clusterSetIp = `${context.zone}\n${context.ttl}`;
  const headless = `${clusterSetIp}\n${context.localClusterId ?? ""}\n${context.preferLocalSrv ? "prefer-local" : ""}`;
  return { clusterSetIp, headless };
}

/**
 * Builds snapshots one after another, each from the state of the one before. `build` with the
 * set of changed services (keys from serviceKey) recomputes those services only; without one
 * (or when the zone options or the local cluster changed) it looks at every object. The result
 * equals buildSnapshot's for the same objects.
 */
export class ZoneBuilder {
  /** ContextKeys.headless of the state below; undefined when there is no usable state. */
  private stateKey: string | undefined;
  /**
   * `S.N` → fragment of every ServiceImport, empty for one without names (so the table keeps
   * the store's order). The last snapshot reads this table; a build edits a draft of it.
   */
  private services = RouteTable.empty<ServiceFragment>();
  private draft: RouteTableDraft<ServiceFragment> | undefined;
  /** Services with names, per namespace: N.svc.Z exists while this is above zero. */
  private namedServices = new Map<string, number>();
  /** Names in all fragments together. */
  private serviceNames = 0;

  build(
    objects: ObjectSet,
    options: ZoneOptions,
    changed: ReadonlySet<string> | undefined,
    serial: number,
    generation: number,
  ): Snapshot {
    const context = contextOf(objects, options);
    const keys = contextKeysOf(context);
    try {
      if (changed === undefined || this.stateKey !== keys.headless)
        this.rebuildAll(objects, context, keys);
      else this.update(objects, context, keys, changed);
    } catch (error) {
      // Half-applied changes must not survive: the next build starts over.
      this.stateKey = undefined;
      this.draft = undefined;
      throw error;
    }
    return this.assemble(options, serial, generation);
  }

  private rebuildAll(objects: ObjectSet, context: FragmentContext, keys: ContextKeys): void {
    this.stateKey = undefined;
    this.services = RouteTable.empty();
    this.draft = undefined;
    this.namedServices = new Map();
    this.serviceNames = 0;
    const groups = objects.slicesByService
      ? undefined
      : groupSlices(objects, context.localClusterId);
    for (const service of objects.imports.values()) {
      const key = serviceKey(service.namespace, service.name);
      const slices = groups
        ? service.type === "Headless"
          ? (groups.get(key) ?? NO_SLICES)
          : NO_SLICES
        : slicesOf(objects, service, key, context);
      this.put(service, memoizedFragment(service, slices, context, fragmentKey(service, keys)));
    }
    this.stateKey = keys.headless;
  }

  private update(
    objects: ObjectSet,
    context: FragmentContext,
    keys: ContextKeys,
    changed: ReadonlySet<string>,
  ): void {
    // Without the store's index, one scan of the slices serves every changed service.
    let groups: Map<string, EndpointSlice[]> | undefined;
    for (const key of changed) {
      const slash = key.indexOf("/");
      const namespace = key.slice(0, slash);
      const name = key.slice(slash + 1);
      const service = objects.imports.get(objectKey({ kind: "ServiceImport", namespace, name }));
      if (service === undefined) {
        this.drop(namespace, name);
        continue;
      }
      let slices: readonly EndpointSlice[];
      if (objects.slicesByService || service.type !== "Headless")
        slices = slicesOf(objects, service, key, context);
      else {
        groups ??= groupSlices(objects, context.localClusterId);
        slices = groups.get(key) ?? NO_SLICES;
      }
      this.put(service, memoizedFragment(service, slices, context, fragmentKey(service, keys)));
    }
  }

  /** The services as this build has them so far. */
  private current(): Pick<RouteLookup<ServiceFragment>, "get"> {
    return this.draft ?? this.services;
  }

  private writableServices(): RouteTableDraft<ServiceFragment> {
    this.draft ??= this.services.edit();
    return this.draft;
  }

  private put(service: ServiceImport, fragment: ServiceFragment): void {
    const route = `${service.name}.${service.namespace}`;
    const old = this.current().get(route);
    if (old === fragment) return;
    if (old !== undefined) this.forget(service.namespace, old);
    this.writableServices().set(route, fragment);
    if (fragment.size > 0) {
      this.serviceNames += fragment.size;
      this.namedServices.set(
        service.namespace,
        (this.namedServices.get(service.namespace) ?? 0) + 1,
      );
    }
  }

  private drop(namespace: string, name: string): void {
    const route = `${name}.${namespace}`;
    const old = this.current().get(route);
    if (old === undefined) return;
    this.forget(namespace, old);
    this.writableServices().delete(route);
  }

  private forget(namespace: string, fragment: ServiceFragment): void {
    if (fragment.size === 0) return;
    this.serviceNames -= fragment.size;
    const count = (this.namedServices.get(namespace) ?? 0) - 1;
    if (count > 0) this.namedServices.set(namespace, count);
    else this.namedServices.delete(namespace);
  }

  private assemble(options: ZoneOptions, serial: number, generation: number): Snapshot {
    const { zone, ttl } = options;
    const soa = makeSoa(zone, ttl, serial);
    const common = new Map<string, ZoneNode>();
    addApex(common, options, soa);
    const svcOwner = child("svc", zone);
    // Ancestors above the services: N.svc.Z and svc.Z exist only while some service has names.
    for (const namespace of this.namedServices.keys()) {
      common.set(child(namespace, svcOwner), EMPTY_NODE);
      common.set(svcOwner, EMPTY_NODE);
    }
    if (this.draft !== undefined) {
      this.services = this.draft.done();
      this.draft = undefined;
    }
    const nodes = new ZoneNodes(
      common,
      this.services,
      `.${svcOwner}`,
      common.size + this.serviceNames,
    );
    return Object.freeze({ zone, ttl, serial, generation, soa, nodes });
  }
}

function fragmentKey(service: ServiceImport, keys: ContextKeys): string {
  return service.type === "Headless" ? keys.headless : keys.clusterSetIp;
}

/** A headless service's slices in record order, from the store's index; none for ClusterSetIP. */
function slicesOf(
  objects: ObjectSet,
  service: ServiceImport,
  key: string,
  context: FragmentContext,
): readonly EndpointSlice[] {
  if (service.type !== "Headless") return NO_SLICES;
  const group = objects.slicesByService?.get(key);
  if (group === undefined || group.size === 0) return NO_SLICES;
  const slices = [...group.values()];
  return slices.length > 1 ? sortSlices(slices, context.localClusterId) : slices;
}

export function buildSnapshot(
  objects: ObjectSet,
  options: ZoneOptions,
  serial: number,
  generation: number,
): Snapshot {
  return new ZoneBuilder().build(objects, options, undefined, serial, generation);
}
