// The deploy/ manifests: they parse, the kustomize base lists every file, and each object meets
// the operational contract (issue 5). kubectl is not installed here, so these checks stand in
// for `kubectl kustomize deploy/` plus a reviewer.

import assert from "node:assert/strict";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { parseAllDocuments, type Document } from "yaml";

/** A parsed manifest; tests read its fields freely. */
type Manifest = ReturnType<Document["toJS"]>;

const ROOT = join(import.meta.dirname, "../../..");
const DEPLOY = join(ROOT, "deploy");
const APP_LABELS = { "app.kubernetes.io/name": "clusterset-dns" };

function yamlFilesUnder(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((entry) => {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) return yamlFilesUnder(path);
      return /\.ya?ml$/.test(entry) ? [path] : [];
    });
}

function parseFile(path: string): Manifest[] {
  const documents = parseAllDocuments(readFileSync(path, "utf8"));
  assert.ok(Array.isArray(documents), `${path}: not a YAML stream`);
  for (const document of documents) {
    assert.deepEqual(document.errors, [], `${relative(ROOT, path)}: ${document.errors.join("; ")}`);
  }
  return documents.map((document) => document.toJS()).filter((doc) => doc !== null);
}

const kustomization: Manifest = parseFile(join(DEPLOY, "kustomization.yaml"))[0];
const baseObjects: Manifest[] = (kustomization.resources as string[]).flatMap((resource) =>
  parseFile(join(DEPLOY, resource)),
);

function only(kind: string): Manifest {
  const found = baseObjects.filter((object) => object.kind === kind);
  assert.equal(found.length, 1, `expected exactly one ${kind} in the base, found ${found.length}`);
  return found[0];
}

/** Whether `selector` (matchLabels) selects an object with `labels`. */
function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return (
    Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v)
  );
}

describe("deploy/ manifests", () => {
  const deployment = only("Deployment");
  const podSpec = deployment.spec.template.spec;
  const podLabels = deployment.spec.template.metadata.labels;
  const container = podSpec.containers[0];

  it("every YAML file under deploy/ parses", () => {
    const files = yamlFilesUnder(DEPLOY);
    assert.ok(files.length >= 12, `only ${files.length} YAML files`);
    for (const file of files) {
      for (const object of parseFile(file)) {
        assert.equal(typeof object.apiVersion, "string", `${relative(ROOT, file)}: apiVersion`);
        assert.equal(typeof object.kind, "string", `${relative(ROOT, file)}: kind`);
        if (object.kind !== "Kustomization") {
          assert.equal(
            typeof object.metadata?.name,
            "string",
            `${relative(ROOT, file)}: metadata.name`,
          );
        }
      }
    }
  });

  it("the kustomization lists every base file, each exists, and extras stay out", () => {
    assert.equal(kustomization.apiVersion, "kustomize.config.k8s.io/v1beta1");
    assert.equal(kustomization.kind, "Kustomization");
    const resources: string[] = kustomization.resources;
    for (const resource of resources)
      assert.ok(existsSync(join(DEPLOY, resource)), `missing ${resource}`);
    const topLevel = readdirSync(DEPLOY)
      .filter((entry) => /\.ya?ml$/.test(entry) && entry !== "kustomization.yaml")
      .sort();
    assert.deepEqual([...resources].sort(), topLevel);
    assert.ok(
      !resources.some((resource) => resource.includes("extras") || resource.includes("coredns")),
    );
    const kinds = baseObjects.map((object) => object.kind as string).sort();
    assert.deepEqual(kinds, [
      "ClusterRole",
      "ClusterRoleBinding",
      "Deployment",
      "HorizontalPodAutoscaler",
      "Namespace",
      "NetworkPolicy",
      "PodDisruptionBudget",
      "Service",
      "ServiceAccount",
    ]);
  });

  it("objects carry no namespace of their own (the kustomization sets it)", () => {
    assert.equal(typeof kustomization.namespace, "string");
    for (const object of baseObjects) {
      assert.equal(
        object.metadata.namespace,
        undefined,
        `${object.kind} ${object.metadata.name} has a namespace`,
      );
      assert.deepEqual(
        { ...object.metadata.labels, ...APP_LABELS },
        object.metadata.labels,
        `${object.kind} lacks the app label`,
      );
    }
    const namespace = only("Namespace");
    assert.equal(namespace.metadata.name, kustomization.namespace);
    assert.equal(namespace.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
  });

  it("Deployment: 2 replicas, spread, probes, resources, DNS policy, args", () => {
    assert.equal(deployment.apiVersion, "apps/v1");
    assert.equal(deployment.spec.replicas, 2);
    assert.ok(selects(deployment.spec.selector.matchLabels, podLabels));
    assert.equal(deployment.spec.strategy.rollingUpdate.maxUnavailable, 0);
    assert.equal(podSpec.serviceAccountName, only("ServiceAccount").metadata.name);
    assert.equal(podSpec.dnsPolicy, "Default");

    const antiAffinity =
      podSpec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution;
    assert.equal(antiAffinity.length, 1);
    assert.equal(antiAffinity[0].podAffinityTerm.topologyKey, "kubernetes.io/hostname");
    assert.ok(selects(antiAffinity[0].podAffinityTerm.labelSelector.matchLabels, podLabels));

    assert.equal(podSpec.containers.length, 1);
    assert.deepEqual(container.args, ["--source", "kube", "--listen", ":5353", "--http", ":9153"]);
    assert.deepEqual(
      container.ports.map((port: Manifest) => [port.name, port.containerPort, port.protocol]),
      [
        ["dns", 5353, "UDP"],
        ["dns-tcp", 5353, "TCP"],
        ["metrics", 9153, "TCP"],
      ],
    );

    assert.deepEqual(container.readinessProbe.httpGet, { path: "/ready", port: "metrics" });
    assert.deepEqual(container.livenessProbe.httpGet, { path: "/health", port: "metrics" });
    for (const probe of [container.readinessProbe, container.livenessProbe]) {
      assert.ok(
        probe.timeoutSeconds >= 1 && probe.periodSeconds >= 1 && probe.failureThreshold >= 2,
      );
    }

    assert.deepEqual(container.resources, {
      requests: { cpu: "100m", memory: "256Mi" },
      limits: { memory: "768Mi" },
    });
    // The lame-duck period (5 s by default) must fit in the grace period.
    assert.ok(podSpec.terminationGracePeriodSeconds >= 10);
  });

  it("Deployment: NODE_OPTIONS are the flags the benchmarks run the server with", async () => {
    // bench/lib/common.mjs is plain JS without types; only this constant is read.
    const common = (await import(join(ROOT, "bench/lib/common.mjs"))) as {
      DEPLOYED_NODE_ARGS: string[];
    };
    const env = (container.env as { name: string; value: string }[]).find(
      (variable) => variable.name === "NODE_OPTIONS",
    );
    assert.equal(env?.value, common.DEPLOYED_NODE_ARGS.join(" "));
  });

  it("Deployment: non-root, read-only, no privilege escalation, no capabilities, seccomp", () => {
    assert.equal(podSpec.securityContext.runAsNonRoot, true);
    assert.ok(podSpec.securityContext.runAsUser > 0);
    assert.equal(podSpec.securityContext.seccompProfile.type, "RuntimeDefault");
    const security = container.securityContext;
    assert.equal(security.runAsNonRoot, true);
    assert.equal(security.readOnlyRootFilesystem, true);
    assert.equal(security.allowPrivilegeEscalation, false);
    assert.deepEqual(security.capabilities, { drop: ["ALL"] });
    assert.equal(security.privileged, undefined);
    assert.equal(security.seccompProfile.type, "RuntimeDefault");
    assert.equal(podSpec.hostNetwork, undefined);
  });

  it("Service: 53 UDP and TCP to the container's DNS ports by name, plus metrics", () => {
    const service = only("Service");
    assert.ok(selects(service.spec.selector, podLabels));
    const containerPorts = new Map<string, Manifest>(
      container.ports.map((port: Manifest) => [port.name, port]),
    );
    const ports: Manifest[] = service.spec.ports;
    assert.deepEqual(
      ports.map((port) => [port.name, port.port, port.protocol, port.targetPort]),
      [
        ["dns", 53, "UDP", "dns"],
        ["dns-tcp", 53, "TCP", "dns-tcp"],
        ["metrics", 9153, "TCP", "metrics"],
      ],
    );
    for (const port of ports) {
      const target = containerPorts.get(port.targetPort);
      assert.ok(
        target !== undefined,
        `Service port ${port.name} targets unknown container port ${port.targetPort}`,
      );
      assert.equal(
        target.protocol,
        port.protocol,
        `${port.name}: protocol differs from the container port`,
      );
    }
    assert.equal(containerPorts.get("dns")?.containerPort, 5353);
    assert.equal(containerPorts.get("dns-tcp")?.containerPort, 5353);
  });

  it("RBAC grants get/list/watch on exactly the three resources and nothing else", () => {
    const role = only("ClusterRole");
    const granted = (role.rules as Manifest[]).flatMap((rule) => {
      assert.equal(rule.nonResourceURLs, undefined);
      assert.equal(rule.resourceNames, undefined);
      return (rule.apiGroups as string[]).flatMap((group) =>
        (rule.resources as string[]).flatMap((resource) =>
          (rule.verbs as string[]).map((verb) => `${group}/${resource}:${verb}`),
        ),
      );
    });
    const expected = [
      "multicluster.x-k8s.io/serviceimports",
      "discovery.k8s.io/endpointslices",
      "about.k8s.io/clusterproperties",
    ]
      .flatMap((resource) => ["get", "list", "watch"].map((verb) => `${resource}:${verb}`))
      .sort();
    assert.deepEqual([...granted].sort(), expected);
    assert.ok(!granted.some((entry) => entry.includes("*")));
    assert.equal(role.aggregationRule, undefined);
    assert.ok(
      !baseObjects.some((object) => object.kind === "Role" || object.kind === "RoleBinding"),
    );

    const binding = only("ClusterRoleBinding");
    assert.deepEqual(binding.roleRef, {
      apiGroup: "rbac.authorization.k8s.io",
      kind: "ClusterRole",
      name: role.metadata.name,
    });
    assert.deepEqual(binding.subjects, [
      {
        kind: "ServiceAccount",
        name: only("ServiceAccount").metadata.name,
        namespace: kustomization.namespace,
      },
    ]);
  });

  it("PodDisruptionBudget keeps one replica up", () => {
    const pdb = only("PodDisruptionBudget");
    assert.equal(pdb.apiVersion, "policy/v1");
    assert.equal(pdb.spec.minAvailable, 1);
    assert.ok(selects(pdb.spec.selector.matchLabels, podLabels));
  });

  it("NetworkPolicy admits DNS from the whole cluster and metrics from monitoring only", () => {
    const policy = only("NetworkPolicy");
    assert.ok(selects(policy.spec.podSelector.matchLabels, podLabels));
    assert.deepEqual(policy.spec.policyTypes, ["Ingress"]);
    assert.deepEqual(policy.spec.ingress, [
      {
        from: [{ namespaceSelector: {} }],
        ports: [
          { protocol: "UDP", port: 5353 },
          { protocol: "TCP", port: 5353 },
        ],
      },
      {
        from: [
          { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } },
        ],
        ports: [{ protocol: "TCP", port: 9153 }],
      },
    ]);
  });

  it("HorizontalPodAutoscaler scales the Deployment on CPU, 2 to 10", () => {
    const hpa = only("HorizontalPodAutoscaler");
    assert.equal(hpa.apiVersion, "autoscaling/v2");
    assert.deepEqual(hpa.spec.scaleTargetRef, {
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: deployment.metadata.name,
    });
    assert.equal(hpa.spec.minReplicas, 2);
    assert.equal(hpa.spec.maxReplicas, 10);
    assert.deepEqual(hpa.spec.metrics, [
      {
        type: "Resource",
        resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } },
      },
    ]);
    // Utilization is relative to the request, so there must be one.
    assert.ok(container.resources.requests.cpu);
  });

  it("extras/ adds a ServiceMonitor on the metrics port on top of the base", () => {
    const extras: Manifest = parseFile(join(DEPLOY, "extras/kustomization.yaml"))[0];
    assert.ok(
      (extras.resources as string[]).some((resource) => resource.replace(/\/$/, "") === ".."),
    );
    const monitor: Manifest = parseFile(join(DEPLOY, "extras/servicemonitor.yaml"))[0];
    assert.equal(monitor.apiVersion, "monitoring.coreos.com/v1");
    assert.equal(monitor.kind, "ServiceMonitor");
    assert.ok(selects(monitor.spec.selector.matchLabels, only("Service").metadata.labels));
    assert.deepEqual(
      monitor.spec.endpoints.map((endpoint: Manifest) => [endpoint.port, endpoint.path]),
      [["metrics", "/metrics"]],
    );
  });

  it("the CoreDNS snippet and ConfigMap patch forward clusterset.local the same way", () => {
    const blockOf = (text: string): string => {
      const start = text.indexOf("clusterset.local:53 {");
      assert.ok(start >= 0, "no clusterset.local:53 block");
      let depth = 0;
      for (let i = start; i < text.length; i++) {
        if (text[i] === "{") depth++;
        if (text[i] === "}" && --depth === 0) return text.slice(start, i + 1).replace(/\s+/g, " ");
      }
      assert.fail("unbalanced braces");
    };
    const snippet = readFileSync(join(DEPLOY, "coredns/Corefile-snippet"), "utf8");
    const block = blockOf(snippet);
    assert.match(block, / errors /);
    assert.match(block, / cache 5 /);
    // forward needs an IP address (the Service's ClusterIP), not a name.
    assert.match(block, / forward \. \d+\.\d+\.\d+\.\d+ /);
    const patch: Manifest = parseFile(join(DEPLOY, "coredns/configmap-patch.yaml"))[0];
    assert.equal(patch.kind, "ConfigMap");
    assert.deepEqual([patch.metadata.namespace, patch.metadata.name], ["kube-system", "coredns"]);
    assert.equal(blockOf(patch.data.Corefile), block);
    assert.match(patch.data.Corefile, /^\.:53 \{/m);
  });

  it("the Containerfile builds a non-root image of built JS with the ports the manifests use", () => {
    const containerfile = readFileSync(join(ROOT, "Containerfile"), "utf8");
    const instructions = containerfile
      .split("\n")
      .filter((line) => line.trim() !== "" && !line.trim().startsWith("#"));
    const from = instructions.filter((line) => line.startsWith("FROM "));
    assert.ok(from.length >= 2, "multi-stage");
    assert.match(from.at(-1)!, /distroless\/nodejs20|node:20-slim/);
    assert.ok(instructions.some((line) => line.startsWith("RUN npm run build")));
    // The UDP batching module is built (and its absence fails the build) and copied over.
    assert.ok(
      instructions.some((line) =>
        /npm run install && test -f build\/Release\/udp_batch\.node/.test(line),
      ),
    );
    assert.ok(instructions.some((line) => /^COPY --from=build \S*udp_batch\.node/.test(line)));
    assert.ok(instructions.some((line) => line.includes("npm ci --omit=dev --ignore-scripts")));
    assert.ok(instructions.some((line) => /^COPY --from=build \S*dist/.test(line)));
    // Only what the build needs goes into the image, never the whole context.
    assert.ok(!instructions.some((line) => /^COPY \.\s/.test(line)));
    const user = instructions.filter((line) => line.startsWith("USER "));
    assert.equal(user.at(-1), "USER 65532:65532");
    assert.equal(String(podSpec.securityContext.runAsUser), "65532");
    assert.ok(instructions.includes("EXPOSE 5353/udp 5353/tcp 9153/tcp"));
    assert.match(
      instructions.find((line) => line.startsWith("ENTRYPOINT"))!,
      /"dist\/cli\.js"\]$/,
    );
  });
});
