// The fixed vocabulary of `explain`, `lint` and /debug/explain: every reason an object, a part of
// one, or a name is left out of the zone has one code here. Tools match on these codes, so they
// never change meaning; new ones may be added. README "Debugging" lists them for users.

import type { ValidationProblem } from "../zone/types.js";
import { SERVICE_NAME_LABEL, SOURCE_CLUSTER_LABEL } from "../zone/objects.js";

export const REASON_CODES = {
  // The question itself
  OUTSIDE_ZONE: "the name is not in the served zone; the server answers REFUSED",
  NOT_A_SERVICE_NAME: "the name is in the zone but not one the MCS DNS spec defines",
  NO_SERVICE_IMPORT: "no valid ServiceImport with that name in that namespace",
  SERVICE_IMPORT_REJECTED: "the ServiceImport exists but validation skipped it",
  NO_READY_ENDPOINTS: "headless ServiceImport without one ready endpoint: all its names NXDOMAIN",
  NO_IPS: "ClusterSetIP ServiceImport without an address of the asked family in spec.ips",
  CLUSTER_NAME_NOT_SERVED: "<cluster>.<service> names never have records (the spec forbids them)",
  NO_SUCH_ENDPOINT: "no ready endpoint with that host label in that cluster",
  NO_SUCH_PORT: "no port with that name and protocol, so no _name._proto SRV record",
  // Manifests and whole objects
  MANIFEST_ERROR: "a manifest file cannot be read or parsed; the file source refuses to load",
  BAD_API_VERSION: "kind or apiVersion not accepted; the object is skipped",
  BAD_OBJECT_NAME: "metadata.name or metadata.namespace missing or not a DNS label",
  UNKNOWN_SERVICE_TYPE: "spec.type is neither ClusterSetIP nor Headless; the import is skipped",
  DUPLICATE_OBJECT: "the same object appears twice; the last one wins",
  // EndpointSlices
  NO_SERVICE_NAME_LABEL: `EndpointSlice without the ${SERVICE_NAME_LABEL} label; skipped`,
  BAD_SERVICE_NAME_LABEL: `EndpointSlice whose ${SERVICE_NAME_LABEL} label is not a DNS label`,
  NO_CLUSTER_LABEL: `EndpointSlice without the ${SOURCE_CLUSTER_LABEL} label; skipped`,
  BAD_CLUSTER_ID: "cluster id not one or two lower-case RFC 1123 labels; that object is skipped",
  FQDN_SLICE: "EndpointSlice with addressType FQDN; never served",
  BAD_ADDRESS_TYPE: "EndpointSlice addressType is not IPv4, IPv6 or FQDN; skipped",
  CLUSTERSETIP_SLICE_IGNORED: "slice of a ClusterSetIP import: DNS answers with spec.ips only",
  // Endpoints
  NOT_READY: "endpoint with conditions.ready false; left out of every answer",
  BAD_ADDRESS: "address not valid for its family; that address is skipped",
  NO_ADDRESS: "endpoint with no usable address; it has no name",
  BAD_HOSTNAME: "endpoint hostname not a DNS label; the endpoint is skipped",
  BAD_ENDPOINT: "endpoint malformed (not an object, bad conditions, no address list); skipped",
  DUPLICATE_ADDRESS: "address already served by an earlier endpoint; one record for both",
  DUPLICATE_HOSTNAME:
    "host label shared with an earlier endpoint of the cluster; one name for both",
  // ServiceImport addresses
  EXTRA_IP: "a second address of one family in spec.ips; ignored",
  // Ports
  UNNAMED_PORT: "port without a name: no _name._proto SRV record (still in <service> SRV)",
  NO_PORT_NUMBER: "port without a port number; no SRV record from it",
  BAD_PORT: "port number out of 1..65535, unknown protocol or malformed; port skipped",
  BAD_PORT_NAME: "port name not a DNS label; port skipped",
  // Anything else
  OVER_LIMIT: "more entries than Kubernetes allows; the rest skipped",
  INVALID: "another validation problem; see the message",
} as const;

export type ReasonCode = keyof typeof REASON_CODES;

/**
 * error: the object or part is skipped; warning: served, but not as written (or a name the user
 * expects is missing); info: working as specified, worth knowing. lint fails on error and warning.
 */
export type Severity = "error" | "warning" | "info";

export interface Finding {
  code: ReasonCode;
  severity: Severity;
  /** "Kind/namespace/name", or a file name for MANIFEST_ERROR, or "" for the question. */
  object: string;
  /** Path inside the object, e.g. "endpoints[2].addresses[0]"; "" for the whole object. */
  path: string;
  message: string;
}

const ENDPOINT_ADDRESS = /^endpoints\[\d+\]\.addresses\[\d+\]$/;
const ENDPOINT_HOSTNAME = /^endpoints\[\d+\]\.hostname$/;
const ENDPOINT_ANY = /^endpoints\[\d+\]/;
const PORT_FIELD = /(?:^|\.)ports\[\d+\]\.(port|name|protocol)$/;

/** The code of a validation problem, from the path and wording objects.ts uses. */
export function classifyProblem(problem: ValidationProblem): ReasonCode {
  const { path, reason } = problem;
  if (reason.includes("beyond")) return "OVER_LIMIT";
  if (path === "kind" || path === "apiVersion") return "BAD_API_VERSION";
  if (path === "metadata" || path === "metadata.name" || path === "metadata.namespace")
    return "BAD_OBJECT_NAME";
  if (path === `metadata.labels["${SERVICE_NAME_LABEL}"]`)
    return reason === "missing" ? "NO_SERVICE_NAME_LABEL" : "BAD_SERVICE_NAME_LABEL";
  if (path === `metadata.labels["${SOURCE_CLUSTER_LABEL}"]`)
    return reason === "missing" ? "NO_CLUSTER_LABEL" : "BAD_CLUSTER_ID";
  if (path === "addressType") return reason.startsWith("FQDN") ? "FQDN_SLICE" : "BAD_ADDRESS_TYPE";
  if (path === "spec.type") return "UNKNOWN_SERVICE_TYPE";
  if (path.startsWith("spec.ips"))
    return reason.includes("one per family") ? "EXTRA_IP" : "BAD_ADDRESS";
  if (ENDPOINT_ADDRESS.test(path)) return "BAD_ADDRESS";
  if (ENDPOINT_HOSTNAME.test(path)) return "BAD_HOSTNAME";
  if (ENDPOINT_ANY.test(path)) return "BAD_ENDPOINT";
  const port = PORT_FIELD.exec(path);
  if (port) {
    if (port[1] === "name") return "BAD_PORT_NAME";
    if (port[1] === "port" && reason.startsWith("port number missing")) return "NO_PORT_NUMBER";
    return "BAD_PORT";
  }
  if (/(?:^|\.)ports(?:\[\d+\])?$/.test(path)) return "BAD_PORT";
  if (path.startsWith("status.clusters") || reason.includes("cluster id")) return "BAD_CLUSTER_ID";
  return "INVALID";
}

/** A validation problem as a finding: error when the whole object was skipped, else warning. */
export function problemFinding(problem: ValidationProblem): Finding {
  return {
    code: classifyProblem(problem),
    severity: problem.objectSkipped ? "error" : "warning",
    object: `${problem.kind}/${problem.namespace}/${problem.name}`,
    path: problem.path,
    message: problem.objectSkipped ? `${problem.reason}; object skipped` : problem.reason,
  };
}

export function objectName(kind: string, namespace: string, name: string): string {
  return `${kind}/${namespace}/${name}`;
}
