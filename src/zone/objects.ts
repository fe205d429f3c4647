// Raw Kubernetes JSON → the typed objects of types.ts (spec §1). A malformed object never stops
// the server: the smallest bad part is skipped, the rest kept, and every skip is reported as a
// ValidationProblem. Sizes are bounded so that an absurd object costs bounded time and memory.

import { canonicalIPv4, canonicalIPv6 } from "../wire/ip.js";
import { isDnsLabel } from "./hostlabel.js";
import type {
  ClusterObject,
  ClusterProperty,
  Endpoint,
  EndpointSlice,
  ParseResult,
  PortProtocol,
  ServiceImport,
  ServicePort,
  ValidationProblem,
} from "./types.js";

/** Kubernetes' own limit of endpoints per EndpointSlice; more are skipped with a problem. */
export const MAX_ENDPOINTS_PER_SLICE = 1000;
/** Kubernetes' own limit of addresses per endpoint; more are skipped with a problem. */
export const MAX_ADDRESSES_PER_ENDPOINT = 100;
/** Kubernetes' own limit of ports per EndpointSlice. */
export const MAX_PORTS_PER_SLICE = 100;
/** Services have no hard port limit in Kubernetes; this one only bounds absurd input. */
export const MAX_PORTS_PER_IMPORT = 1000;
/** spec.ips holds at most one address per family; entries past this are not even looked at. */
export const MAX_IPS_EXAMINED = 16;
/** status.clusters is informational; entries past this are dropped. */
export const MAX_STATUS_CLUSTERS = 1000;
/** Per-object problem list bound; the rest is summarised in one final problem. */
export const MAX_PROBLEMS_PER_OBJECT = 50;
/** KEP-2149 bounds ClusterProperty values to 128 Ki characters. */
export const MAX_CLUSTER_PROPERTY_VALUE = 128 * 1024;

/** The ClusterProperty whose value is the local cluster's id. */
export const CLUSTER_ID_PROPERTY = "cluster.clusterset.k8s.io";

export const SERVICE_NAME_LABEL = "multicluster.kubernetes.io/service-name";
export const SOURCE_CLUSTER_LABEL = "multicluster.kubernetes.io/source-cluster";

const SERVICE_IMPORT_GROUP = "multicluster.x-k8s.io";
const SERVICE_IMPORT_VERSIONS = ["v1alpha1", "v1beta1"];
const ENDPOINT_SLICE_GROUP = "discovery.k8s.io";
// v1beta1 has the same fields we read; it is long gone from clusters but still in old manifests.
const ENDPOINT_SLICE_VERSIONS = ["v1", "v1beta1"];
const CLUSTER_PROPERTY_GROUP = "about.k8s.io";
const CLUSTER_PROPERTY_VERSIONS = ["v1alpha1", "v1beta1"];

const MAX_OBJECT_NAME = 253;

type JsonObject = Record<string, unknown>;

// Memory: a store at scale holds hundreds of thousands of endpoints, so the objects kept are
// made small. Arrays are allocated at their exact length (an array grown by push keeps room for
// 17 elements), the few strings repeated across objects (namespaces, service names, cluster
// ids, port names) are stored once, and identical port and cluster lists are shared. Objects
// are never mutated after parsing (the store replaces them), so sharing is safe.

/** Strings and lists seen often; cleared when full, so absurd input cannot grow it forever. */
const MAX_INTERNED = 16384;
const internedStrings = new Map<string, string>();
const internedLists = new Map<string, readonly unknown[]>();

/** One shared copy of a string that recurs across objects. */
function intern(text: string): string {
  const known = internedStrings.get(text);
  if (known !== undefined) return known;
  if (internedStrings.size >= MAX_INTERNED) internedStrings.clear();
  internedStrings.set(text, text);
  return text;
}

/** One shared, frozen copy of a list whose content `key` spells out. */
function internList<T>(key: string, items: readonly T[]): T[] {
  const known = internedLists.get(key) as T[] | undefined;
  if (known !== undefined) return known;
  if (internedLists.size >= MAX_INTERNED) internedLists.clear();
  const list = Object.freeze(items.slice()) as T[];
  internedLists.set(key, list);
  return list;
}

/** `items` at its exact length (a copy only when push left it with spare room). */
function exact<T>(items: T[]): T[] {
  return items.length === 0 ? [] : items.slice();
}

function internPorts(ports: readonly ServicePort[]): ServicePort[] {
  let key = "";
  for (const port of ports) key += `${port.name ?? ""}/${port.protocol}/${port.port},`;
  return internList(key, ports);
}

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** undefined and null both mean "field not set" in Kubernetes JSON. */
function isUnset(value: unknown): value is undefined | null {
  return value === undefined || value === null;
}

function describe(value: unknown): string {
  if (typeof value === "string")
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return typeof value;
}

/**
 * One lower-case RFC 1123 label, or two joined by "." (`name.extra`, as KEP-1645 allows).
 * Each label is at most 63 characters, so the whole id is well under 253.
 */
export function isValidClusterId(id: string): boolean {
  if (id.length === 0 || id.length > 253) return false;
  const dot = id.indexOf(".");
  if (dot < 0) return isDnsLabel(id);
  if (id.indexOf(".", dot + 1) >= 0) return false;
  return isDnsLabel(id.slice(0, dot)) && isDnsLabel(id.slice(dot + 1));
}

/** Collects the problems of one object, bounded, and builds the ParseResult. */
class ProblemLog {
  private readonly problems: ValidationProblem[] = [];
  private omitted = 0;

  constructor(
    private readonly kind: string,
    public namespace: string,
    public name: string,
  ) {}

  /** A part was skipped; the object stays. */
  part(path: string, reason: string): void {
    if (this.problems.length >= MAX_PROBLEMS_PER_OBJECT) {
      this.omitted++;
      return;
    }
    this.problems.push(this.problem(path, reason, false));
  }

  /** The whole object is skipped. */
  skip<T>(path: string, reason: string): ParseResult<T> {
    const problems = this.finish();
    problems.push(this.problem(path, reason, true));
    return { object: undefined, problems };
  }

  done<T>(object: T): ParseResult<T> {
    return { object, problems: this.finish() };
  }

  private finish(): ValidationProblem[] {
    if (this.omitted > 0) {
      this.problems.push(this.problem("", `${this.omitted} more problems not listed`, false));
      this.omitted = 0;
    }
    return this.problems;
  }

  private problem(path: string, reason: string, objectSkipped: boolean): ValidationProblem {
    return {
      kind: this.kind,
      namespace: this.namespace,
      name: this.name,
      path,
      reason,
      objectSkipped,
    };
  }
}

/** A problem log named after whatever identity the raw object shows, valid or not. */
function logFor(kind: string, raw: unknown): ProblemLog {
  const metadata = isJsonObject(raw) ? raw.metadata : undefined;
  const text = (value: unknown): string =>
    typeof value === "string" ? value.slice(0, MAX_OBJECT_NAME) : "";
  return isJsonObject(metadata)
    ? new ProblemLog(kind, text(metadata.namespace), text(metadata.name))
    : new ProblemLog(kind, "", "");
}

/**
 * The kind and apiVersion gate shared by the three parsers. A missing kind is accepted because
 * the caller chose the parser (LIST items of built-in types come without kind/apiVersion); a
 * missing apiVersion is accepted for the same reason.
 */
function checkType(
  raw: JsonObject,
  kind: string,
  group: string,
  versions: readonly string[],
  log: ProblemLog,
): ParseResult<never> | undefined {
  if (!isUnset(raw.kind) && raw.kind !== kind)
    return log.skip("kind", `kind ${describe(raw.kind)} is not ${kind}`);
  if (isUnset(raw.apiVersion)) return undefined;
  const accepted = versions.map((version) => `${group}/${version}`);
  if (typeof raw.apiVersion !== "string" || !accepted.includes(raw.apiVersion))
    return log.skip(
      "apiVersion",
      `apiVersion ${describe(raw.apiVersion)} is not one of ${accepted.join(", ")}`,
    );
  return undefined;
}

/** metadata.name / metadata.namespace that must be DNS labels because they become labels. */
function readLabelField(metadata: JsonObject, field: "name" | "namespace"): string | undefined {
  const value = metadata[field];
  return typeof value === "string" && isDnsLabel(value) ? value : undefined;
}

/** metadata.name of an object whose name never becomes a DNS label; undefined if unusable. */
function readObjectName(metadata: JsonObject): string | undefined {
  const name = metadata.name;
  return typeof name === "string" && name.length > 0 && name.length <= MAX_OBJECT_NAME
    ? name
    : undefined;
}

function badObjectNameReason(value: unknown): string {
  return isUnset(value) ? "missing" : `${describe(value)} is not an object name`;
}

function badLabelReason(value: unknown): string {
  return isUnset(value) ? "missing" : `${describe(value)} is not a lower-case DNS label`;
}

function parseProtocol(value: unknown): PortProtocol | undefined {
  if (isUnset(value)) return "TCP";
  return value === "TCP" || value === "UDP" || value === "SCTP" ? value : undefined;
}

/**
 * Ports of a ServiceImport or an EndpointSlice. A port number that is not set is skipped: in a
 * slice that is legal Kubernetes ("all ports") and not a problem, but it cannot make an SRV
 * record; in a ServiceImport it is a schema violation and reported.
 */
function parsePorts(
  value: unknown,
  path: string,
  limit: number,
  unsetPortIsProblem: boolean,
  log: ProblemLog,
): ServicePort[] {
  if (isUnset(value)) return [];
  if (!Array.isArray(value)) {
    log.part(path, "not a list; no ports used");
    return [];
  }
  if (value.length > limit)
    log.part(path, `${value.length - limit} ports beyond the limit of ${limit} skipped`);
  const ports: ServicePort[] = [];
  const count = Math.min(value.length, limit);
  for (let i = 0; i < count; i++) {
    const item: unknown = value[i];
    const itemPath = `${path}[${i}]`;
    if (!isJsonObject(item)) {
      log.part(itemPath, "not an object; port skipped");
      continue;
    }
    if (isUnset(item.port)) {
      if (unsetPortIsProblem) log.part(`${itemPath}.port`, "port number missing; port skipped");
      continue;
    }
    const port = item.port;
    if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) {
      log.part(
        `${itemPath}.port`,
        `${describe(port)} is not a port number in 1..65535; port skipped`,
      );
      continue;
    }
    let name: string | undefined;
    if (!isUnset(item.name) && item.name !== "") {
      // The name becomes the `_name` label of an SRV owner, so it must fit a DNS label.
      if (typeof item.name !== "string" || !isDnsLabel(item.name)) {
        log.part(`${itemPath}.name`, `${badLabelReason(item.name)}; port skipped`);
        continue;
      }
      name = intern(item.name);
    }
    const protocol = parseProtocol(item.protocol);
    if (protocol === undefined) {
      log.part(`${itemPath}.protocol`, `unknown protocol ${describe(item.protocol)}; port skipped`);
      continue;
    }
    ports.push({ name, protocol, port });
  }
  return internPorts(ports);
}

export function parseServiceImport(raw: unknown): ParseResult<ServiceImport> {
  const log = logFor("ServiceImport", raw);
  if (!isJsonObject(raw)) return log.skip("", "not an object");
  const bad = checkType(raw, "ServiceImport", SERVICE_IMPORT_GROUP, SERVICE_IMPORT_VERSIONS, log);
  if (bad) return bad;
  const metadata = raw.metadata;
  if (!isJsonObject(metadata)) return log.skip("metadata", "missing");
  const name = readLabelField(metadata, "name");
  if (name === undefined) return log.skip("metadata.name", badLabelReason(metadata.name));
  const namespace = readLabelField(metadata, "namespace");
  if (namespace === undefined)
    return log.skip("metadata.namespace", badLabelReason(metadata.namespace));

  const spec = isUnset(raw.spec) ? {} : raw.spec;
  if (!isJsonObject(spec)) return log.skip("spec", "not an object");
  // The MCS API defaults spec.type to ClusterSetIP.
  const type = isUnset(spec.type) ? "ClusterSetIP" : spec.type;
  if (type !== "ClusterSetIP" && type !== "Headless")
    return log.skip("spec.type", `unknown type ${describe(type)}`);

  return log.done<ServiceImport>({
    kind: "ServiceImport",
    namespace: intern(namespace),
    name,
    type,
    ips: parseImportIps(spec.ips, log),
    ports: parsePorts(spec.ports, "spec.ports", MAX_PORTS_PER_IMPORT, true, log),
    clusters: parseStatusClusters(raw.status, log),
  });
}

/** spec.ips: the first valid address of each family, canonical, v4 and v6 in the order given. */
function parseImportIps(value: unknown, log: ProblemLog): string[] {
  if (isUnset(value)) return [];
  if (!Array.isArray(value)) {
    log.part("spec.ips", "not a list; no addresses used");
    return [];
  }
  if (value.length > MAX_IPS_EXAMINED)
    log.part(
      "spec.ips",
      `${value.length - MAX_IPS_EXAMINED} addresses beyond ${MAX_IPS_EXAMINED} skipped`,
    );
  const ips: string[] = [];
  let haveV4 = false;
  let haveV6 = false;
  const count = Math.min(value.length, MAX_IPS_EXAMINED);
  for (let i = 0; i < count; i++) {
    const text: unknown = value[i];
    const path = `spec.ips[${i}]`;
    const v4 = typeof text === "string" ? canonicalIPv4(text) : undefined;
    const v6 = typeof text === "string" && v4 === undefined ? canonicalIPv6(text) : undefined;
    if (v4 !== undefined) {
      if (haveV4)
        log.part(path, `second IPv4 address ${v4} ignored; a ServiceImport has one per family`);
      else ips.push(v4);
      haveV4 = true;
    } else if (v6 !== undefined) {
      if (haveV6)
        log.part(path, `second IPv6 address ${v6} ignored; a ServiceImport has one per family`);
      else ips.push(v6);
      haveV6 = true;
    } else {
      log.part(path, `${describe(text)} is not an IP address; address skipped`);
    }
  }
  return exact(ips);
}

function parseStatusClusters(status: unknown, log: ProblemLog): string[] {
  if (!isJsonObject(status) || isUnset(status.clusters)) return [];
  const list = status.clusters;
  if (!Array.isArray(list)) {
    log.part("status.clusters", "not a list; ignored");
    return [];
  }
  const clusters: string[] = [];
  const count = Math.min(list.length, MAX_STATUS_CLUSTERS);
  for (let i = 0; i < count; i++) {
    const item: unknown = list[i];
    const id = isJsonObject(item) ? item.cluster : undefined;
    if (typeof id === "string" && isValidClusterId(id)) clusters.push(intern(id));
    else
      log.part(
        `status.clusters[${i}].cluster`,
        `${describe(id)} is not a valid cluster id; entry skipped`,
      );
  }
  return internList(clusters.join(","), clusters);
}

export function parseEndpointSlice(raw: unknown): ParseResult<EndpointSlice> {
  const log = logFor("EndpointSlice", raw);
  if (!isJsonObject(raw)) return log.skip("", "not an object");
  const bad = checkType(raw, "EndpointSlice", ENDPOINT_SLICE_GROUP, ENDPOINT_SLICE_VERSIONS, log);
  if (bad) return bad;
  const metadata = raw.metadata;
  if (!isJsonObject(metadata)) return log.skip("metadata", "missing");
  // A slice's own name never becomes a DNS label (generated names may hold dots), so any
  // Kubernetes object name will do; the namespace must match an import's, which is a label.
  const name = readObjectName(metadata);
  if (name === undefined) return log.skip("metadata.name", badObjectNameReason(metadata.name));
  const namespace = readLabelField(metadata, "namespace");
  if (namespace === undefined)
    return log.skip("metadata.namespace", badLabelReason(metadata.namespace));

  const labels = isJsonObject(metadata.labels) ? metadata.labels : {};
  const serviceName = labels[SERVICE_NAME_LABEL];
  if (typeof serviceName !== "string" || !isDnsLabel(serviceName))
    return log.skip(`metadata.labels["${SERVICE_NAME_LABEL}"]`, badLabelReason(serviceName));
  const clusterId = labels[SOURCE_CLUSTER_LABEL];
  if (typeof clusterId !== "string" || !isValidClusterId(clusterId))
    return log.skip(
      `metadata.labels["${SOURCE_CLUSTER_LABEL}"]`,
      isUnset(clusterId) ? "missing" : `${describe(clusterId)} is not a valid cluster id`,
    );

  const addressType = raw.addressType;
  if (addressType === "FQDN") return log.skip("addressType", "FQDN slices are not served");
  if (addressType !== "IPv4" && addressType !== "IPv6")
    return log.skip("addressType", `unknown addressType ${describe(addressType)}`);

  return log.done<EndpointSlice>({
    kind: "EndpointSlice",
    namespace: intern(namespace),
    name,
    serviceName: intern(serviceName),
    clusterId: intern(clusterId),
    addressType,
    endpoints: parseEndpoints(raw.endpoints, addressType, log),
    ports: parsePorts(raw.ports, "ports", MAX_PORTS_PER_SLICE, false, log),
  });
}

function parseEndpoints(value: unknown, family: "IPv4" | "IPv6", log: ProblemLog): Endpoint[] {
  if (isUnset(value)) return [];
  if (!Array.isArray(value)) {
    log.part("endpoints", "not a list; no endpoints used");
    return [];
  }
  if (value.length > MAX_ENDPOINTS_PER_SLICE)
    log.part(
      "endpoints",
      `${value.length - MAX_ENDPOINTS_PER_SLICE} endpoints beyond the limit of ${MAX_ENDPOINTS_PER_SLICE} skipped`,
    );
  const endpoints: Endpoint[] = [];
  const count = Math.min(value.length, MAX_ENDPOINTS_PER_SLICE);
  for (let i = 0; i < count; i++) {
    const endpoint = parseEndpoint(value[i], `endpoints[${i}]`, family, log);
    if (endpoint) endpoints.push(endpoint);
  }
  return exact(endpoints);
}

function parseEndpoint(
  raw: unknown,
  path: string,
  family: "IPv4" | "IPv6",
  log: ProblemLog,
): Endpoint | undefined {
  if (!isJsonObject(raw)) {
    log.part(path, "not an object; endpoint skipped");
    return undefined;
  }
  let hostname: string | undefined;
  if (!isUnset(raw.hostname) && raw.hostname !== "") {
    if (typeof raw.hostname !== "string" || !isDnsLabel(raw.hostname)) {
      log.part(`${path}.hostname`, `${badLabelReason(raw.hostname)}; endpoint skipped`);
      return undefined;
    }
    hostname = raw.hostname;
  }
  // ready true or absent (also null) is ready. Any other value leaves readiness unknown, and
  // serving an endpoint that may not be ready is worse than leaving it out.
  let ready = true;
  const conditions = raw.conditions;
  if (!isUnset(conditions)) {
    if (!isJsonObject(conditions)) {
      log.part(`${path}.conditions`, "not an object; endpoint skipped");
      return undefined;
    }
    if (!isUnset(conditions.ready)) {
      if (typeof conditions.ready !== "boolean") {
        log.part(
          `${path}.conditions.ready`,
          `${describe(conditions.ready)} is not a boolean; endpoint skipped`,
        );
        return undefined;
      }
      ready = conditions.ready;
    }
  }
  const addresses = parseAddresses(raw.addresses, `${path}.addresses`, family, log);
  if (addresses === undefined) return undefined;
  return { addresses, hostname, ready, targetRef: describeTargetRef(raw.targetRef) };
}

function parseAddresses(
  value: unknown,
  path: string,
  family: "IPv4" | "IPv6",
  log: ProblemLog,
): string[] | undefined {
  if (!Array.isArray(value)) {
    log.part(path, `${isUnset(value) ? "missing" : "not a list"}; endpoint skipped`);
    return undefined;
  }
  if (value.length > MAX_ADDRESSES_PER_ENDPOINT)
    log.part(
      path,
      `${value.length - MAX_ADDRESSES_PER_ENDPOINT} addresses beyond the limit of ${MAX_ADDRESSES_PER_ENDPOINT} skipped`,
    );
  const canonical = family === "IPv4" ? canonicalIPv4 : canonicalIPv6;
  // The common case, one address, without a growable array.
  if (value.length === 1 && typeof value[0] === "string") {
    const address = canonical(value[0]);
    if (address !== undefined) return [address];
  }
  const addresses: string[] = [];
  const count = Math.min(value.length, MAX_ADDRESSES_PER_ENDPOINT);
  for (let i = 0; i < count; i++) {
    const text: unknown = value[i];
    const address = typeof text === "string" ? canonical(text) : undefined;
    if (address === undefined)
      log.part(`${path}[${i}]`, `${describe(text)} is not an ${family} address; skipped`);
    else if (!addresses.includes(address)) addresses.push(address);
  }
  return exact(addresses);
}

function describeTargetRef(value: unknown): string | undefined {
  if (!isJsonObject(value)) return undefined;
  const text = (field: unknown): string => (typeof field === "string" ? field : "");
  // join makes one flat string; a template literal would keep a tree of string pieces.
  return [text(value.kind), text(value.namespace), text(value.name)].join("/");
}

export function parseClusterProperty(raw: unknown): ParseResult<ClusterProperty> {
  const log = logFor("ClusterProperty", raw);
  log.namespace = "";
  if (!isJsonObject(raw)) return log.skip("", "not an object");
  const bad = checkType(
    raw,
    "ClusterProperty",
    CLUSTER_PROPERTY_GROUP,
    CLUSTER_PROPERTY_VERSIONS,
    log,
  );
  if (bad) return bad;
  const metadata = raw.metadata;
  if (!isJsonObject(metadata)) return log.skip("metadata", "missing");
  const name = readObjectName(metadata);
  if (name === undefined) return log.skip("metadata.name", badObjectNameReason(metadata.name));
  const spec = raw.spec;
  const value = isJsonObject(spec) ? spec.value : undefined;
  if (typeof value !== "string")
    return log.skip("spec.value", isUnset(value) ? "missing" : "not a string");
  if (value.length > MAX_CLUSTER_PROPERTY_VALUE)
    return log.skip("spec.value", `longer than ${MAX_CLUSTER_PROPERTY_VALUE} characters`);
  if (name === CLUSTER_ID_PROPERTY && !isValidClusterId(value))
    return log.skip("spec.value", `${describe(value)} is not a valid cluster id`);
  return log.done<ClusterProperty>({ kind: "ClusterProperty", namespace: "", name, value });
}

/** Group part of an apiVersion ("" for the core group). */
function groupOf(apiVersion: unknown): string | undefined {
  if (typeof apiVersion !== "string") return undefined;
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? "" : apiVersion.slice(0, slash);
}

/**
 * Parse any object by its kind. Undefined for kinds we ignore: no kind, another kind, or one of
 * our kind names in another API group (other projects define their own ServiceImport).
 */
export function parseObject(raw: unknown): ParseResult<ClusterObject> | undefined {
  if (!isJsonObject(raw)) return undefined;
  const group = groupOf(raw.apiVersion);
  const ours = (expected: string): boolean => group === undefined || group === expected;
  switch (raw.kind) {
    case "ServiceImport":
      return ours(SERVICE_IMPORT_GROUP) ? parseServiceImport(raw) : undefined;
    case "EndpointSlice":
      return ours(ENDPOINT_SLICE_GROUP) ? parseEndpointSlice(raw) : undefined;
    case "ClusterProperty":
      return ours(CLUSTER_PROPERTY_GROUP) ? parseClusterProperty(raw) : undefined;
    default:
      return undefined;
  }
}
