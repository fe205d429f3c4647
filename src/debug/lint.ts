// `lint`: every object the server would reject or partly ignore, and why, for CI on ClusterSet
// manifests. The same validation as the server (the findings of one object are its
// ValidationProblems), plus the checks that need more than one object. Pure.

import { hostLabelForAddress } from "../zone/hostlabel.js";
import type { ServicePort } from "../zone/types.js";
import type { Inventory, InventoryEntry } from "./inventory.js";
import { importOf, indexInventory, sliceOf } from "./index.js";
import { endpointPositions } from "./service.js";
import { objectName, problemFinding, type Finding, type Severity } from "./reasons.js";

export interface LintReport {
  source: string;
  /** Objects of our kinds that were read (valid or not). */
  objects: number;
  /** Objects of other kinds, not looked at. */
  ignored: number;
  findings: Finding[];
  counts: Record<Severity, number>;
  /** True when any finding is an error or a warning: `lint` exits 1. */
  failed: boolean;
}

function rawPorts(raw: unknown): unknown[] {
  if (typeof raw !== "object" || raw === null) return [];
  const ports = (raw as { ports?: unknown }).ports;
  return Array.isArray(ports) ? (ports as unknown[]) : [];
}

function unnamedPort(object: string, path: string, port: ServicePort): Finding {
  return {
    code: "UNNAMED_PORT",
    severity: "info",
    object,
    path,
    message: `port ${port.port}/${port.protocol} has no name: no _name._proto SRV record for it`,
  };
}

function sliceFindings(entry: InventoryEntry, serviceType: string | undefined): Finding[] {
  const slice = sliceOf(entry);
  if (!slice) return [];
  const object = objectName("EndpointSlice", slice.namespace, slice.name);
  const findings: Finding[] = [];
  if (serviceType === undefined)
    findings.push({
      code: "NO_SERVICE_IMPORT",
      severity: "warning",
      object,
      path: "",
      message: `no ServiceImport ${slice.namespace}/${slice.serviceName}; the slice is not served`,
    });
  else if (serviceType === "ClusterSetIP")
    findings.push({
      code: "CLUSTERSETIP_SLICE_IGNORED",
      severity: "info",
      object,
      path: "",
      message: `${slice.namespace}/${slice.serviceName} is ClusterSetIP: answered from spec.ips, the slice makes no records`,
    });
  rawPorts(entry.raw).forEach((port, index) => {
    const number =
      typeof port === "object" && port !== null ? (port as { port?: unknown }).port : 0;
    if (number === undefined || number === null)
      findings.push({
        code: "NO_PORT_NUMBER",
        severity: "info",
        object,
        path: `ports[${index}]`,
        message: "no port number: no SRV record from this port",
      });
  });
  if (serviceType === "Headless")
    slice.ports.forEach((port) => {
      if (port.name === undefined) findings.push(unnamedPort(object, "ports", port));
    });
  if (serviceType === "Headless") {
    const positions = endpointPositions(entry, slice);
    slice.endpoints.forEach((endpoint, i) => {
      if (endpoint.ready) return;
      const label = endpoint.hostname ?? hostLabelForAddress(endpoint.addresses[0] ?? "");
      findings.push({
        code: "NOT_READY",
        severity: "info",
        object,
        path: `endpoints[${positions[i] ?? i}]`,
        message: `${label || "endpoint"} is not ready and left out`,
      });
    });
  }
  return findings;
}

export function lint(inventory: Inventory): LintReport {
  const index = indexInventory(inventory);
  const findings: Finding[] = inventory.errors.map((error) => ({
    code: "MANIFEST_ERROR",
    severity: "error",
    object: "",
    path: "",
    message: error,
  }));
  const readyByService = new Map<string, boolean>();
  for (const entry of inventory.entries) {
    findings.push(...entry.problems.map(problemFinding));
    if (entry.supersededBy !== undefined) {
      findings.push({
        code: "DUPLICATE_OBJECT",
        severity: "warning",
        object: objectName(entry.kind, entry.namespace, entry.name),
        path: "",
        message: `the copy in ${entry.origin} is replaced by a later copy (in ${entry.supersededBy})`,
      });
      continue;
    }
    const slice = sliceOf(entry);
    if (!slice) continue;
    const key = `${slice.namespace}/${slice.serviceName}`;
    const service = importOf(index.imports.get(key)?.valid);
    findings.push(...sliceFindings(entry, service?.type));
    if (slice.endpoints.some((e) => e.ready && e.addresses.length > 0))
      readyByService.set(key, true);
  }
  for (const [key, entries] of index.imports) {
    const service = importOf(entries.valid);
    if (service?.type === "ClusterSetIP")
      for (const port of service.ports)
        if (port.name === undefined)
          findings.push(
            unnamedPort(
              objectName("ServiceImport", service.namespace, service.name),
              "spec.ports",
              port,
            ),
          );
    if (service?.type !== "Headless" || readyByService.get(key) === true) continue;
    findings.push({
      code: "NO_READY_ENDPOINTS",
      severity: "warning",
      object: objectName("ServiceImport", service.namespace, service.name),
      path: "",
      message: "headless service without a ready endpoint: every name of it is NXDOMAIN",
    });
  }
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const finding of findings) counts[finding.severity]++;
  return {
    source: inventory.source,
    objects: inventory.entries.length,
    ignored: inventory.ignored,
    findings,
    counts,
    failed: counts.error + counts.warning > 0,
  };
}
