// The typed, validated Kubernetes objects the model is built from. Sources (file, kube) turn
// raw JSON into these through objects.ts; nothing downstream knows where they came from.

export type PortProtocol = "TCP" | "UDP" | "SCTP";

export interface ServicePort {
  /** Undefined for an unnamed port (no `_name._proto` SRV record). */
  name: string | undefined;
  protocol: PortProtocol;
  port: number;
}

export type ServiceImportType = "ClusterSetIP" | "Headless";

export interface ServiceImport {
  kind: "ServiceImport";
  namespace: string;
  name: string;
  type: ServiceImportType;
  /** Canonical text form (IPv6 per RFC 5952, lower case). */
  ips: string[];
  ports: ServicePort[];
  /** status.clusters[].cluster; informational only. */
  clusters: string[];
}

export interface Endpoint {
  /** Canonical text form, of the slice's address family. */
  addresses: string[];
  /** Validated DNS label, lower case; undefined when the endpoint has none. */
  hostname: string | undefined;
  /** conditions.ready true or absent. */
  ready: boolean;
  /** "Kind/namespace/name" of targetRef, for debugging output only. */
  targetRef: string | undefined;
}

export interface EndpointSlice {
  kind: "EndpointSlice";
  namespace: string;
  name: string;
  /** Label multicluster.kubernetes.io/service-name. */
  serviceName: string;
  /** Label multicluster.kubernetes.io/source-cluster: one or two lower-case RFC 1123 labels. */
  clusterId: string;
  addressType: "IPv4" | "IPv6";
  endpoints: Endpoint[];
  /** Ports with a port number; unset numbers were skipped in validation. */
  ports: ServicePort[];
}

export interface ClusterProperty {
  kind: "ClusterProperty";
  /** Always "": ClusterProperty is cluster-scoped. */
  namespace: "";
  name: string;
  value: string;
}

export type ClusterObject = ServiceImport | EndpointSlice | ClusterProperty;
export type ObjectKind = ClusterObject["kind"];

/** Identity of an object in the store; namespace is "" for cluster-scoped objects. */
export interface ObjectRef {
  kind: ObjectKind;
  namespace: string;
  name: string;
}

/** Something in an object that was skipped (the smallest bad part) or made it skip entirely. */
export interface ValidationProblem {
  kind: string;
  namespace: string;
  name: string;
  /** JSON-ish path of the bad part, e.g. "spec.ports[2].name", "" for the whole object. */
  path: string;
  reason: string;
  /** True when the whole object was skipped, false when only a part was. */
  objectSkipped: boolean;
}

export interface ParseResult<T> {
  /** Undefined when the whole object had to be skipped. */
  object: T | undefined;
  problems: ValidationProblem[];
}

export function objectKey(ref: ObjectRef): string {
  return `${ref.kind}/${ref.namespace}/${ref.name}`;
}
