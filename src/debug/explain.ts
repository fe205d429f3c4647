// `explain`: one question → the answer the server gives (from a real snapshot, through the
// server's own lookup) and why, in reason codes and sentences. Pure: the inventory and the
// snapshot in, a report out; rendering and I/O live elsewhere.

import { RRType, type ResourceRecord } from "../wire/types.js";
import { inZone, lookup } from "../zone/lookup.js";
import { hostLabelForAddress } from "../zone/hostlabel.js";
import { isValidClusterId } from "../zone/objects.js";
import { serviceOwner, type Snapshot } from "../zone/snapshot.js";
import { absoluteName } from "../zone/zonefile.js";
import type { Inventory } from "./inventory.js";
import { editDistance, importOf, indexInventory, type InventoryIndex } from "./index.js";
import { recordView, typeName, type RecordView } from "./records.js";
import { objectName, type Finding, type ReasonCode } from "./reasons.js";
import { analyzeService, type EndpointView, type ServiceAnalysis } from "./service.js";

export interface ExplainInput {
  inventory: Inventory;
  /** The snapshot the answer comes from: built from inventory.objects, or a server's current one. */
  snapshot: Snapshot;
  /** The local cluster id in effect (flag, else ClusterProperty), for ordering notes. */
  localClusterId: string | undefined;
  preferLocalSrv: boolean;
}

/** Where a name sits in the MCS naming scheme. */
export type NameKind =
  | "outside-zone"
  | "apex"
  | "zone-info"
  | "namespace"
  | "service"
  | "srv"
  | "srv-protocol"
  | "cluster"
  | "endpoint"
  | "other";

export interface Suggestion {
  name: string;
  reason: "SAME_NAME_OTHER_NAMESPACE" | "SIMILAR_NAME" | "ADD_SVC_LABEL" | "ADD_ZONE";
}

export interface ExplainReport {
  question: { name: string; type: string };
  zone: string;
  localClusterId: string | null;
  answer: {
    rcode: "NOERROR" | "NXDOMAIN" | "REFUSED";
    nodata: boolean;
    answer: RecordView[];
    authority: RecordView[];
    additional: RecordView[];
  };
  nameKind: NameKind;
  /** Sentences, the most important first. */
  why: string[];
  /** Every reason-coded finding: about the question first, then about the objects. */
  findings: Finding[];
  /** The service the name belongs to, when it names one. */
  service: ServiceAnalysis | null;
  suggestions: Suggestion[];
}

interface NameParts {
  kind: NameKind;
  namespace?: string;
  service?: string;
  /** Labels left of S.N.svc.Z. */
  prefix: string[];
}

const ZONE_INFO = new Set(["dns-version", "dns", "ns.dns"]);
const MAX_SUGGESTIONS = 5;
const MAX_NAMES_LISTED = 8;

/** Lower case without the trailing dot, as the server keys names. */
export function normalizeName(name: string): string {
  return name.trim().replace(/\.+$/, "").toLowerCase();
}

function relativeLabels(nameLower: string, zone: string): string[] {
  if (nameLower === zone) return [];
  const rel = zone === "" ? nameLower : nameLower.slice(0, nameLower.length - zone.length - 1);
  return rel.split(".");
}

function clustersOf(index: InventoryIndex, namespace: string, service: string): Set<string> {
  const clusters = new Set<string>();
  for (const entry of index.slices.get(`${namespace}/${service}`) ?? [])
    if (entry.object?.kind === "EndpointSlice") clusters.add(entry.object.clusterId);
  return clusters;
}

function classify(labels: string[], index: InventoryIndex): NameParts {
  if (labels.length === 0) return { kind: "apex", prefix: [] };
  const joined = labels.join(".");
  if (ZONE_INFO.has(joined)) return { kind: "zone-info", prefix: [] };
  const svc = labels.length - 1;
  if (labels[svc] !== "svc") return { kind: "other", prefix: [] };
  if (labels.length === 1) return { kind: "namespace", prefix: [] };
  if (labels.length === 2) return { kind: "namespace", namespace: labels[0], prefix: [] };
  const namespace = labels[svc - 1] as string;
  const service = labels[svc - 2] as string;
  const prefix = labels.slice(0, svc - 2);
  const parts = { namespace, service, prefix };
  if (prefix.length === 0) return { kind: "service", ...parts };
  if (prefix.every((label) => label.startsWith("_"))) {
    if (prefix.length === 2) return { kind: "srv", ...parts };
    if (prefix.length === 1) return { kind: "srv-protocol", ...parts };
    return { kind: "other", ...parts };
  }
  const clusters = clustersOf(index, namespace, service);
  const whole = prefix.join(".");
  const rest = prefix.slice(1).join(".");
  // A two-label cluster id `name.extra` makes `extra` and `name.extra` names of their own.
  if (clusters.has(whole) || [...clusters].some((c) => c.endsWith(`.${whole}`)))
    return { kind: "cluster", ...parts };
  if (clusters.has(rest)) return { kind: "endpoint", ...parts };
  if (prefix.length === 1) return { kind: "cluster", ...parts };
  if (prefix.length <= 3 && isValidClusterId(rest)) return { kind: "endpoint", ...parts };
  return { kind: "other", ...parts };
}

function views(records: readonly ResourceRecord[]): RecordView[] {
  return records.map(recordView);
}

function questionFinding(code: ReasonCode, object: string, message: string): Finding {
  return { code, severity: "error", object, path: "", message };
}

function suggestServices(
  index: InventoryIndex,
  namespace: string,
  service: string,
  zone: string,
): Suggestion[] {
  const suggestions: Suggestion[] = [];
  const wanted = `${service}.${namespace}`;
  const limit = Math.max(2, Math.floor(wanted.length / 4));
  const similar: { name: string; distance: number }[] = [];
  for (const entries of index.imports.values()) {
    const found = importOf(entries.valid);
    if (!found) continue;
    const owner = absoluteName(serviceOwner(found.namespace, found.name, zone));
    if (found.name === service && found.namespace !== namespace) {
      suggestions.push({ name: owner, reason: "SAME_NAME_OTHER_NAMESPACE" });
      continue;
    }
    const distance = editDistance(wanted, `${found.name}.${found.namespace}`, limit);
    if (distance > 0 && distance <= limit) similar.push({ name: owner, distance });
  }
  similar.sort((a, b) => a.distance - b.distance || (a.name < b.name ? -1 : 1));
  for (const { name } of similar) suggestions.push({ name, reason: "SIMILAR_NAME" });
  return suggestions.slice(0, MAX_SUGGESTIONS);
}

function list(items: readonly string[]): string {
  if (items.length === 0) return "none";
  const shown = items.slice(0, MAX_NAMES_LISTED).join(", ");
  return items.length > MAX_NAMES_LISTED
    ? `${shown} and ${items.length - MAX_NAMES_LISTED} more`
    : shown;
}

function countBy(items: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return [...counts].map(([code, n]) => `${n} ${code}`).join(", ");
}

/** Why a headless service has no ready endpoint, counted by the first reason of each. */
function whyNoEndpoints(analysis: ServiceAnalysis): string {
  const reasons = analysis.slices.flatMap((slice) =>
    slice.endpoints.map((e) => e.reasons[0]?.code ?? "UNKNOWN"),
  );
  const slices = analysis.slices.length;
  const setAside = analysis.setAside.length;
  const parts = [
    `${slices} EndpointSlice(s) in use`,
    reasons.length > 0 ? `endpoints left out: ${countBy(reasons)}` : "no endpoints listed",
  ];
  if (setAside > 0)
    parts.push(
      `set aside: ${list(analysis.setAside.map((v) => `${v.object} [${v.findings.map((f) => f.code).join(", ")}]`))}`,
    );
  return `Headless ServiceImport ${analysis.namespace}/${analysis.name} has no ready endpoint, so none of its names exist (NXDOMAIN): ${parts.join("; ")}.`;
}

function hostLabelOf(endpoint: EndpointView): string | undefined {
  if (endpoint.hostname !== null) return endpoint.hostname;
  const first = endpoint.addresses[0];
  return first === undefined ? undefined : hostLabelForAddress(first);
}

interface Explainer {
  findings: Finding[];
  why: string[];
}

function explainService(
  out: Explainer,
  parts: NameParts,
  analysis: ServiceAnalysis,
  qtype: number,
  answered: boolean,
): void {
  const object = objectName("ServiceImport", analysis.namespace, analysis.name);
  if (analysis.status === "missing") {
    out.findings.push(
      questionFinding(
        "NO_SERVICE_IMPORT",
        object,
        `no ServiceImport ${analysis.name} in namespace ${analysis.namespace}`,
      ),
    );
    out.why.push(
      `No ServiceImport ${analysis.namespace}/${analysis.name} exists, so ${analysis.owner} and every name below it are NXDOMAIN.`,
    );
    if (analysis.slices.length > 0)
      out.why.push(
        `${analysis.slices.length} EndpointSlice(s) name this service (clusters ${list([...new Set(analysis.slices.map((s) => s.cluster))])}), but slices alone make no names: the ServiceImport is missing.`,
      );
    return;
  }
  if (analysis.status === "rejected") {
    const problem = analysis.setAside
      .filter((s) => s.object === object)
      .flatMap((s) => s.findings)[0];
    out.findings.push(
      questionFinding(
        "SERVICE_IMPORT_REJECTED",
        object,
        `the ServiceImport was skipped: ${problem ? `${problem.code} ${problem.message}` : "see findings"}`,
      ),
    );
    out.why.push(
      `ServiceImport ${analysis.namespace}/${analysis.name} exists but validation skipped it${problem ? ` (${problem.code}: ${problem.message})` : ""}, so ${analysis.owner} is NXDOMAIN.`,
    );
    return;
  }
  const headless = analysis.type === "Headless";
  out.why.push(
    `ServiceImport ${analysis.namespace}/${analysis.name} (${analysis.type}${analysis.origin ? `, from ${analysis.origin}` : ""}) matches.`,
  );
  if (headless && analysis.readyEndpoints === 0) {
    out.why.push(whyNoEndpoints(analysis));
    return;
  }
  switch (parts.kind) {
    case "service":
      explainServiceName(out, analysis, qtype, answered);
      return;
    case "srv":
      explainSrv(out, parts, analysis, answered);
      return;
    case "srv-protocol":
      out.why.push(
        answered
          ? "This name exists as the parent of _name._proto SRV names."
          : `_${(parts.prefix[0] ?? "").slice(1)} is the parent of _name._proto SRV names; it has no records itself.`,
      );
      return;
    case "cluster":
      out.findings.push(
        questionFinding(
          "CLUSTER_NAME_NOT_SERVED",
          object,
          "the MCS DNS spec forbids names that target one cluster",
        ),
      );
      out.why.push(
        headless
          ? `${parts.prefix.join(".")}.${analysis.owner} never has records (the spec forbids cluster-targeting names); it exists only as the parent of per-endpoint names <host>.<cluster>.${analysis.owner}`
          : `${parts.prefix.join(".")}.${analysis.owner} never has records: the spec forbids cluster-targeting names, and a ClusterSetIP service has no names below it.`,
      );
      return;
    case "endpoint":
      explainEndpoint(out, parts, analysis, answered);
      return;
    default:
      out.why.push("This name is not one the MCS DNS spec defines below a service.");
  }
}

function explainServiceName(
  out: Explainer,
  analysis: ServiceAnalysis,
  qtype: number,
  answered: boolean,
): void {
  const headless = analysis.type === "Headless";
  const object = objectName("ServiceImport", analysis.namespace, analysis.name);
  const isAddress = qtype === RRType.A || qtype === RRType.AAAA;
  if (!headless && isAddress) {
    if (answered)
      out.why.push(
        `ClusterSetIP: the answer is spec.ips (${list(analysis.ips)}), whatever the endpoints do.`,
      );
    else {
      const family = qtype === RRType.A ? "IPv4" : "IPv6";
      out.findings.push({
        code: "NO_IPS",
        severity: "warning",
        object,
        path: "spec.ips",
        message: `spec.ips has no ${family} address (${list(analysis.ips)})`,
      });
      out.why.push(`ClusterSetIP service without an ${family} address in spec.ips: NODATA.`);
    }
    return;
  }
  if (headless && isAddress) {
    const used = analysis.slices.filter((s) => s.used);
    const family = qtype === RRType.A ? "IPv4" : "IPv6";
    out.why.push(
      answered
        ? `Headless: the ready addresses of ${analysis.readyEndpoints} endpoint(s) in clusters ${list([...new Set(used.map((s) => s.cluster))])} (local cluster first when known).`
        : `Headless service with ready endpoints, but none with an ${family} address: NODATA.`,
    );
    return;
  }
  if (qtype === RRType.SRV) {
    out.why.push(
      answered
        ? `One SRV per distinct port number (named or not) of the ${headless ? "ready endpoints' EndpointSlices" : "ServiceImport"}.`
        : `No ${headless ? "used EndpointSlice" : "ServiceImport"} port has a port number: NODATA.`,
    );
    return;
  }
  if (!answered)
    out.why.push(`A service name has A, AAAA and SRV records only; ${typeName(qtype)} → NODATA.`);
}

function explainSrv(
  out: Explainer,
  parts: NameParts,
  analysis: ServiceAnalysis,
  answered: boolean,
): void {
  const portName = (parts.prefix[0] ?? "").slice(1);
  const protocol = (parts.prefix[1] ?? "").slice(1);
  const headless = analysis.type === "Headless";
  const from = headless ? "the ready endpoints' EndpointSlices" : "the ServiceImport";
  const matching = analysis.ports.filter(
    (p) => p.name === portName && p.protocol?.toLowerCase() === protocol,
  );
  if (answered) {
    out.why.push(
      `Port ${portName}/${protocol.toUpperCase()} of ${from} (${list([...new Set(matching.map((p) => p.object))])}) makes this SRV name.`,
    );
    if (!headless && analysis.ips.length === 0)
      out.why.push("spec.ips is empty, so the Additional section is empty.");
    return;
  }
  const object = objectName("ServiceImport", analysis.namespace, analysis.name);
  out.findings.push(
    questionFinding(
      "NO_SUCH_PORT",
      object,
      `no port named ${portName} with protocol ${protocol.toUpperCase()} in ${from}`,
    ),
  );
  const named = [
    ...new Set(
      analysis.ports
        .filter((p) => p.used && p.name !== null)
        .map((p) => `_${p.name}._${p.protocol?.toLowerCase()}`),
    ),
  ];
  out.why.push(
    `No port named ${portName}/${protocol.toUpperCase()} in ${from}; named ports served: ${list(named)}.`,
  );
  const unnamed = analysis.ports.filter((p) => p.used && p.name === null);
  if (unnamed.length > 0)
    out.why.push(
      `${unnamed.length} port(s) have no name (UNNAMED_PORT: ${list(unnamed.map((p) => `${p.port}/${p.protocol}`))}); they only appear in ${analysis.owner} SRV.`,
    );
  const skipped = analysis.ports.filter((p) => !p.used && (p.name === portName || p.name === null));
  for (const port of skipped)
    for (const r of port.reasons)
      out.why.push(`${port.object} port #${port.index}: ${r.code} ${r.message}.`);
  if (headless)
    out.why.push(
      "Headless SRV ports come from the EndpointSlices; the ServiceImport's spec.ports do not count.",
    );
}

function explainEndpoint(
  out: Explainer,
  parts: NameParts,
  analysis: ServiceAnalysis,
  answered: boolean,
): void {
  const host = parts.prefix[0] ?? "";
  const cluster = parts.prefix.slice(1).join(".");
  const object = objectName("ServiceImport", analysis.namespace, analysis.name);
  if (analysis.type !== "Headless") {
    out.findings.push(
      questionFinding(
        "NO_SUCH_ENDPOINT",
        object,
        "ClusterSetIP services have no per-endpoint names",
      ),
    );
    out.why.push("A ClusterSetIP service has no per-endpoint names; only headless services do.");
    return;
  }
  const inCluster = analysis.slices.filter((s) => s.cluster === cluster);
  const endpoints = inCluster.flatMap((s) =>
    s.endpoints.map((e) => ({ slice: s.object, endpoint: e })),
  );
  const same = endpoints.filter(({ endpoint }) => hostLabelOf(endpoint) === host);
  if (answered) {
    out.why.push(
      `Endpoint(s) ${list(same.filter((e) => e.endpoint.used).map((e) => `${e.slice} endpoints[${e.endpoint.index}]`))} in cluster ${cluster}.`,
    );
    return;
  }
  out.findings.push(
    questionFinding("NO_SUCH_ENDPOINT", object, `no ready endpoint ${host} in cluster ${cluster}`),
  );
  if (inCluster.length === 0) {
    out.why.push(
      `No EndpointSlice of this service comes from cluster ${cluster}; clusters: ${list([...new Set(analysis.slices.map((s) => s.cluster))])}.`,
    );
    return;
  }
  if (same.length === 0) {
    const names = endpoints
      .filter((e) => e.endpoint.used)
      .map((e) => hostLabelOf(e.endpoint) ?? "?");
    out.why.push(
      `No endpoint with host label ${host} in cluster ${cluster}; ready endpoints there: ${list([...new Set(names)])}.`,
    );
    return;
  }
  for (const { slice, endpoint } of same)
    out.why.push(
      `${slice} endpoints[${endpoint.index}] would be ${host}.${cluster}.${analysis.owner} but is left out: ${endpoint.reasons.map((r) => `${r.code} (${r.message})`).join("; ")}.`,
    );
}

function emptyAnswer(rcode: ExplainReport["answer"]["rcode"]): ExplainReport["answer"] {
  return { rcode, nodata: false, answer: [], authority: [], additional: [] };
}

export function explain(input: ExplainInput, name: string, qtype: number): ExplainReport {
  const { snapshot } = input;
  const zone = snapshot.zone;
  const nameLower = normalizeName(name);
  const index = indexInventory(input.inventory);
  const report: ExplainReport = {
    question: { name: absoluteName(nameLower), type: typeName(qtype) },
    zone: absoluteName(zone),
    localClusterId: input.localClusterId ?? null,
    answer: emptyAnswer("REFUSED"),
    nameKind: "outside-zone",
    why: [],
    findings: [],
    service: null,
    suggestions: [],
  };
  if (!inZone(nameLower, zone)) {
    report.findings.push(
      questionFinding("OUTSIDE_ZONE", "", `${report.question.name} is not in ${report.zone}`),
    );
    report.why.push(
      `${report.question.name} is outside the zone ${report.zone}: the server answers REFUSED.`,
    );
    const completed = zone === "" ? nameLower : `${nameLower}.${zone}`;
    if (classify(relativeLabels(completed, zone), index).kind !== "other")
      report.suggestions.push({ name: absoluteName(completed), reason: "ADD_ZONE" });
    return report;
  }
  if (qtype === RRType.AXFR || qtype === RRType.IXFR) {
    report.why.push(
      "Zone transfers are decided by server policy, not by the zone data; `dump` prints the whole zone.",
    );
    return report;
  }

  const result = lookup(snapshot, nameLower, qtype);
  report.answer = {
    rcode: result.rcode === 3 ? "NXDOMAIN" : "NOERROR",
    nodata: result.rcode === 0 && result.answer.length === 0,
    answer: views(result.answer),
    authority: views(result.authority),
    additional: views(result.additional),
  };
  const answered = result.answer.length > 0;
  const labels = relativeLabels(nameLower, zone);
  const parts = classify(labels, index);
  report.nameKind = parts.kind;
  const out: Explainer = { findings: report.findings, why: report.why };

  switch (parts.kind) {
    case "apex":
      report.why.push("The zone apex: SOA and NS.");
      break;
    case "zone-info":
      report.why.push(
        "Zone information: dns-version TXT (the MCS DNS schema version), ns.dns (A/AAAA only with --ns-address).",
      );
      break;
    case "namespace":
      report.why.push(
        result.rcode === 0
          ? "This name exists because a service below it has names; it has no records itself."
          : "No service in this namespace has names, so the namespace name does not exist either.",
      );
      break;
    case "other": {
      report.findings.push(
        questionFinding(
          "NOT_A_SERVICE_NAME",
          "",
          "not <service>.<namespace>.svc.<zone> or a name below one",
        ),
      );
      report.why.push(
        "This name is not a service name (<service>.<namespace>.svc.<zone>) nor one of the names below a service.",
      );
      const last = labels.slice(-2);
      if (last.length === 2 && index.imports.get(`${last[1]}/${last[0]}`)?.valid)
        report.suggestions.push({
          name: absoluteName(serviceOwner(last[1] as string, last[0] as string, zone)),
          reason: "ADD_SVC_LABEL",
        });
      break;
    }
    default: {
      const analysis = analyzeService(index, parts.namespace as string, parts.service as string, {
        zone,
        localClusterId: input.localClusterId,
        preferLocalSrv: input.preferLocalSrv,
      });
      report.service = analysis;
      explainService(out, parts, analysis, qtype, answered);
      if (analysis.status !== "valid")
        report.suggestions = suggestServices(index, analysis.namespace, analysis.name, zone);
      report.findings.push(...analysis.findings);
      if (input.localClusterId !== undefined && analysis.type === "Headless" && answered)
        report.why.push(
          `Local cluster ${input.localClusterId}: its endpoints are listed first${input.preferLocalSrv ? "; SRV priority 0 for local targets, 1 for others (--prefer-local-srv)" : ""}.`,
        );
    }
  }
  if (report.answer.nodata && report.why.length === 0)
    report.why.push(`The name exists but has no ${typeName(qtype)} records: NODATA.`);
  return report;
}
