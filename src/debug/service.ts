// What one service's objects contribute to the zone, part by part: each EndpointSlice, each
// endpoint (used, or left out and why), each port (which SRV owners it makes, or why none), and
// the objects near it that were set aside. It follows the rules of zone/snapshot.ts; the answer
// itself always comes from a real snapshot, so a difference here could only mislead an
// explanation, never an answer.

import { MAX_ENDPOINTS_PER_SLICE } from "../zone/objects.js";
import { hostLabelForAddress } from "../zone/hostlabel.js";
import { serviceOwner, sortSlices } from "../zone/snapshot.js";
import { absoluteName } from "../zone/zonefile.js";
import type {
  EndpointSlice,
  ServiceImportType,
  ServicePort,
  ValidationProblem,
} from "../zone/types.js";
import type { InventoryEntry } from "./inventory.js";
import { importOf, relatesTo, sliceOf, type InventoryIndex } from "./index.js";
import {
  classifyProblem,
  objectName,
  problemFinding,
  type Finding,
  type ReasonCode,
  type Severity,
} from "./reasons.js";

export interface Reason {
  code: ReasonCode;
  message: string;
  /** Path of the bad part when it is more precise than the item's, e.g. "endpoints[2].addresses[1]". */
  path?: string;
}

export interface EndpointView {
  /** Position in the slice's endpoints list. */
  index: number;
  /** Valid addresses (canonical); for a skipped endpoint, the raw text when known. */
  addresses: string[];
  hostname: string | null;
  ready: boolean | null;
  /** The endpoint's own name (absolute) when it is served. */
  name: string | null;
  used: boolean;
  reasons: Reason[];
}

export interface PortView {
  object: string;
  index: number;
  name: string | null;
  protocol: string | null;
  port: number | null;
  /** Owners (absolute) that get an SRV record for this port. */
  srv: string[];
  used: boolean;
  reasons: Reason[];
}

export interface SliceView {
  object: string;
  origin: string;
  cluster: string;
  local: boolean;
  addressType: string;
  /** SRV priority of this slice's targets (1 only for remote clusters under --prefer-local-srv). */
  srvPriority: number;
  used: boolean;
  reason: Reason | null;
  endpoints: EndpointView[];
  ports: PortView[];
}

export interface SetAsideView {
  object: string;
  origin: string;
  findings: Finding[];
}

export type ServiceStatus = "valid" | "rejected" | "missing";

export interface ServiceAnalysis {
  namespace: string;
  name: string;
  /** S.N.svc.Z, absolute. */
  owner: string;
  status: ServiceStatus;
  type: ServiceImportType | null;
  ips: string[];
  origin: string | null;
  /** Slices in record order (local cluster first). */
  slices: SliceView[];
  /** The ServiceImport's ports (ClusterSetIP) or the used slices' ports (Headless). */
  ports: PortView[];
  setAside: SetAsideView[];
  /** Endpoints that make names (headless only). */
  readyEndpoints: number;
  findings: Finding[];
}

export interface AnalysisContext {
  zone: string;
  localClusterId: string | undefined;
  preferLocalSrv: boolean;
}

const SEVERITY: Partial<Record<ReasonCode, Severity>> = {
  NOT_READY: "info",
  DUPLICATE_ADDRESS: "info",
  DUPLICATE_HOSTNAME: "info",
  UNNAMED_PORT: "info",
  CLUSTERSETIP_SLICE_IGNORED: "info",
  NO_ADDRESS: "warning",
  NO_PORT_NUMBER: "info",
  NO_SERVICE_IMPORT: "warning",
  DUPLICATE_OBJECT: "warning",
};

export function severityOf(code: ReasonCode): Severity {
  return SEVERITY[code] ?? "warning";
}

function reason(code: ReasonCode, message: string): Reason {
  return { code, message };
}

function problemReason(problem: ValidationProblem): Reason {
  return { code: classifyProblem(problem), message: problem.reason, path: problem.path };
}

/** Problems about list items, by item index: `<prefix>[i]...`. */
function problemsByIndex(
  problems: readonly ValidationProblem[],
  prefix: string,
): Map<number, ValidationProblem[]> {
  const pattern = new RegExp(`^${prefix.replaceAll(".", "\\.")}\\[(\\d+)\\]`);
  const out = new Map<number, ValidationProblem[]>();
  for (const problem of problems) {
    const match = pattern.exec(problem.path);
    if (!match) continue;
    const index = Number(match[1]);
    const list = out.get(index);
    if (list) list.push(problem);
    else out.set(index, [problem]);
  }
  return out;
}

function skippedIndexes(byIndex: Map<number, ValidationProblem[]>, item: string): Set<number> {
  const skipped = new Set<number>();
  for (const [index, problems] of byIndex)
    if (problems.some((p) => p.reason.endsWith(`${item} skipped`))) skipped.add(index);
  return skipped;
}

function rawField(raw: unknown, path: readonly string[]): unknown {
  let value = raw;
  for (const key of path) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function rawList(raw: unknown, path: readonly string[]): unknown[] | undefined {
  const value = rawField(raw, path);
  return Array.isArray(value) ? (value as unknown[]) : undefined;
}

function isUnset(value: unknown): boolean {
  return value === undefined || value === null;
}

/** Position in the raw endpoints list of each validated endpoint (skipped ones leave gaps). */
export function endpointPositions(entry: InventoryEntry, slice: EndpointSlice): number[] {
  const skipped = skippedIndexes(problemsByIndex(entry.problems, "endpoints"), "endpoint");
  const positions: number[] = [];
  for (let index = 0; positions.length < slice.endpoints.length; index++)
    if (!skipped.has(index)) positions.push(index);
  return positions;
}

/** Tracks what earlier endpoints of the service already produced, in record order. */
interface Produced {
  addresses: Set<string>;
  targets: Set<string>;
}

function endpointViews(
  entry: InventoryEntry,
  slice: EndpointSlice,
  base: string,
  serving: boolean,
  produced: Produced,
): EndpointView[] {
  const byIndex = problemsByIndex(entry.problems, "endpoints");
  const skipped = skippedIndexes(byIndex, "endpoint");
  const raws = rawList(entry.raw, ["endpoints"]);
  const total =
    raws !== undefined
      ? Math.min(raws.length, MAX_ENDPOINTS_PER_SLICE)
      : slice.endpoints.length + skipped.size;
  const views: EndpointView[] = [];
  let next = 0;
  for (let index = 0; index < total; index++) {
    const reasons = (byIndex.get(index) ?? []).map(problemReason);
    if (skipped.has(index)) {
      const addresses = rawList(raws?.[index], ["addresses"]) ?? [];
      views.push({
        index,
        addresses: addresses.map((a) => String(a)),
        hostname: null,
        ready: null,
        name: null,
        used: false,
        reasons,
      });
      continue;
    }
    const endpoint = slice.endpoints[next++];
    if (endpoint === undefined) break;
    const view: EndpointView = {
      index,
      addresses: endpoint.addresses,
      hostname: endpoint.hostname ?? null,
      ready: endpoint.ready,
      name: null,
      used: false,
      reasons,
    };
    views.push(view);
    const first = endpoint.addresses[0];
    if (!endpoint.ready) {
      view.reasons.unshift(reason("NOT_READY", "conditions.ready is false"));
      continue;
    }
    if (first === undefined) {
      if (!reasons.some((r) => r.code === "BAD_ADDRESS"))
        view.reasons.push(reason("NO_ADDRESS", "the endpoint lists no address"));
      continue;
    }
    if (!serving) continue;
    view.used = true;
    const host = endpoint.hostname ?? hostLabelForAddress(first);
    const target = `${host}.${slice.clusterId}.${base}`;
    view.name = absoluteName(target);
    if (produced.targets.has(target))
      view.reasons.push(
        reason("DUPLICATE_HOSTNAME", `${host} is also the name of an earlier endpoint`),
      );
    produced.targets.add(target);
    for (const address of endpoint.addresses) {
      if (produced.addresses.has(address))
        view.reasons.push(
          reason("DUPLICATE_ADDRESS", `${address} is also an address of an earlier endpoint`),
        );
      produced.addresses.add(address);
    }
  }
  return views;
}

function srvOwnerOf(port: ServicePort, base: string): string | undefined {
  return port.name === undefined
    ? undefined
    : `_${port.name}._${port.protocol.toLowerCase()}.${base}`;
}

/**
 * Port views of a port list. `unsetIsSilent`: a slice port without a number is legal Kubernetes
 * and skipped without a validation problem, so only the raw list shows it.
 */
function portViews(
  entry: InventoryEntry,
  ports: readonly ServicePort[],
  path: readonly string[],
  base: string,
  serving: boolean,
  unsetIsSilent: boolean,
): PortView[] {
  const prefix = path.join(".");
  const byIndex = problemsByIndex(entry.problems, prefix);
  const skipped = skippedIndexes(byIndex, "port");
  const raws = rawList(entry.raw, path);
  if (raws !== undefined && unsetIsSilent)
    raws.forEach((raw, index) => {
      if (isUnset(rawField(raw, ["port"]))) skipped.add(index);
    });
  const total = raws !== undefined ? raws.length : ports.length + skipped.size;
  const object = objectName(entry.kind, entry.namespace, entry.name);
  const views: PortView[] = [];
  let next = 0;
  for (let index = 0; index < total && index < 1000; index++) {
    const reasons = (byIndex.get(index) ?? []).map(problemReason);
    if (skipped.has(index)) {
      const raw = raws?.[index];
      const name = rawField(raw, ["name"]);
      const number = rawField(raw, ["port"]);
      if (isUnset(number) && !reasons.some((r) => r.code === "NO_PORT_NUMBER"))
        reasons.push(reason("NO_PORT_NUMBER", "no port number"));
      views.push({
        object,
        index,
        name: typeof name === "string" && name !== "" ? name : null,
        protocol: null,
        port: typeof number === "number" ? number : null,
        srv: [],
        used: false,
        reasons,
      });
      continue;
    }
    const port = ports[next++];
    if (port === undefined) break;
    const owner = srvOwnerOf(port, base);
    if (owner === undefined)
      reasons.push(
        reason(
          "UNNAMED_PORT",
          `port ${port.port}/${port.protocol} has no name: only ${absoluteName(base)} SRV`,
        ),
      );
    views.push({
      object,
      index,
      name: port.name ?? null,
      protocol: port.protocol,
      port: port.port,
      srv: serving ? [...(owner ? [owner] : []), base].map(absoluteName) : [],
      used: serving,
      reasons,
    });
  }
  return views;
}

function findingsOf(object: string, path: string, reasons: readonly Reason[]): Finding[] {
  return reasons.map((r) => ({
    code: r.code,
    severity: severityOf(r.code),
    object,
    path: r.path ?? path,
    message: r.message,
  }));
}

function setAsideView(entry: InventoryEntry): SetAsideView {
  const object = objectName(entry.kind, entry.namespace, entry.name);
  const findings = entry.problems.map(problemFinding);
  if (entry.supersededBy !== undefined)
    findings.push({
      code: "DUPLICATE_OBJECT",
      severity: "warning",
      object,
      path: "",
      message: `a later copy of this object (in ${entry.supersededBy}) replaces this one`,
    });
  return { object, origin: entry.origin, findings };
}

export function analyzeService(
  index: InventoryIndex,
  namespace: string,
  name: string,
  context: AnalysisContext,
): ServiceAnalysis {
  const base = serviceOwner(namespace, name, context.zone);
  const entries = index.imports.get(`${namespace}/${name}`);
  const service = importOf(entries?.valid);
  const status: ServiceStatus = service
    ? "valid"
    : (entries?.others.length ?? 0) > 0
      ? "rejected"
      : "missing";
  const headless = service?.type === "Headless";
  const findings: Finding[] = [];
  const importEntry = entries?.valid;
  if (importEntry) findings.push(...importEntry.problems.map(problemFinding));

  const sliceEntries = [...(index.slices.get(`${namespace}/${name}`) ?? [])];
  const bySlice = new Map<EndpointSlice, InventoryEntry>();
  for (const entry of sliceEntries) {
    const slice = sliceOf(entry);
    if (slice) bySlice.set(slice, entry);
  }
  const ordered = sortSlices([...bySlice.keys()], context.localClusterId);
  const produced: Produced = { addresses: new Set(), targets: new Set() };
  const slices: SliceView[] = [];
  const ports: PortView[] = [];
  let readyEndpoints = 0;
  for (const slice of ordered) {
    const entry = bySlice.get(slice) as InventoryEntry;
    const object = objectName("EndpointSlice", slice.namespace, slice.name);
    let sliceReason: Reason | null = null;
    if (!service)
      sliceReason = reason(
        "NO_SERVICE_IMPORT",
        `no ServiceImport ${namespace}/${name} for this slice to belong to`,
      );
    else if (!headless)
      sliceReason = reason(
        "CLUSTERSETIP_SLICE_IGNORED",
        "ClusterSetIP services answer with spec.ips; their slices do not make records",
      );
    const local = slice.clusterId === context.localClusterId;
    const endpoints = endpointViews(entry, slice, base, headless, produced);
    const used = endpoints.some((e) => e.used);
    readyEndpoints += endpoints.filter((e) => e.used).length;
    const slicePorts = portViews(entry, slice.ports, ["ports"], base, headless && used, true);
    if (headless) ports.push(...slicePorts);
    findings.push(
      ...entry.problems.filter((p) => !/^(endpoints|ports)\[/.test(p.path)).map(problemFinding),
    );
    if (sliceReason) findings.push(...findingsOf(object, "", [sliceReason]));
    for (const endpoint of endpoints)
      findings.push(...findingsOf(object, `endpoints[${endpoint.index}]`, endpoint.reasons));
    for (const port of slicePorts)
      findings.push(...findingsOf(object, `ports[${port.index}]`, port.reasons));
    slices.push({
      object,
      origin: entry.origin,
      cluster: slice.clusterId,
      local,
      addressType: slice.addressType,
      srvPriority: context.preferLocalSrv && context.localClusterId !== undefined && !local ? 1 : 0,
      used,
      reason: sliceReason,
      endpoints,
      ports: slicePorts,
    });
  }
  if (service && importEntry && !headless) {
    const importPorts = portViews(importEntry, service.ports, ["spec", "ports"], base, true, false);
    ports.push(...importPorts);
    const object = objectName("ServiceImport", namespace, name);
    for (const port of importPorts)
      findings.push(
        ...findingsOf(object, `spec.ports[${port.index}]`, port.reasons).filter(
          // Problems of skipped ports are already in the import's problem findings.
          (f) => f.code === "UNNAMED_PORT",
        ),
      );
  }
  if (headless && readyEndpoints === 0)
    findings.unshift({
      code: "NO_READY_ENDPOINTS",
      severity: "warning",
      object: objectName("ServiceImport", namespace, name),
      path: "",
      message: `headless service with no ready endpoint in ${slices.length} EndpointSlice(s): every name of it is NXDOMAIN`,
    });

  const setAside = [
    ...(index.setAsideByNamespace.get(namespace) ?? []).filter((e) => relatesTo(e, name)),
    ...(index.setAsideByNamespace.get("") ?? []).filter((e) => e.kind === "ClusterProperty"),
  ].map(setAsideView);
  for (const view of setAside) findings.push(...view.findings);

  return {
    namespace,
    name,
    owner: absoluteName(base),
    status,
    type: service?.type ?? null,
    ips: service?.ips ?? [],
    origin: importEntry?.origin ?? null,
    slices,
    ports,
    setAside,
    readyEndpoints,
    findings,
  };
}
