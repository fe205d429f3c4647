// Builders for raw Kubernetes objects as the API (or kubectl) would show them. Tests, the fake
// apiserver and the benchmarks build their data with these, so every source sees the same shapes.

export interface PortInput {
  name?: string;
  protocol?: string;
  port?: number;
}

export function serviceImport(
  namespace: string,
  name: string,
  spec: { type?: string; ips?: string[]; ports?: PortInput[]; clusters?: string[] },
  apiVersion = "multicluster.x-k8s.io/v1beta1",
): Record<string, unknown> {
  return {
    apiVersion,
    kind: "ServiceImport",
    metadata: { namespace, name },
    spec: {
      type: spec.type ?? "ClusterSetIP",
      ips: spec.ips ?? [],
      ports: spec.ports ?? [],
    },
    status: { clusters: (spec.clusters ?? []).map((cluster) => ({ cluster })) },
  };
}

export interface EndpointInput {
  addresses: string[];
  hostname?: string;
  ready?: boolean;
}

export function endpointSlice(
  namespace: string,
  name: string,
  input: {
    service: string;
    cluster: string;
    addressType?: string;
    endpoints: EndpointInput[];
    ports?: PortInput[];
  },
): Record<string, unknown> {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      namespace,
      name,
      labels: {
        "multicluster.kubernetes.io/service-name": input.service,
        "multicluster.kubernetes.io/source-cluster": input.cluster,
        "endpointslice.kubernetes.io/managed-by": "mcs-controller",
      },
    },
    addressType: input.addressType ?? "IPv4",
    endpoints: input.endpoints.map((endpoint) => ({
      addresses: endpoint.addresses,
      ...(endpoint.hostname === undefined ? {} : { hostname: endpoint.hostname }),
      ...(endpoint.ready === undefined ? {} : { conditions: { ready: endpoint.ready } }),
    })),
    ports: input.ports ?? [],
  };
}

export function clusterProperty(value: string): Record<string, unknown> {
  return {
    apiVersion: "about.k8s.io/v1beta1",
    kind: "ClusterProperty",
    metadata: { name: "cluster.clusterset.k8s.io" },
    spec: { value },
  };
}
