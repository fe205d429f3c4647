// Where the Kubernetes connection settings come from.

import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";

const SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";

export interface KubeConfigEnvironment {
  env: NodeJS.ProcessEnv;
  home: string;
  fileExists: (path: string) => boolean;
}

const PROCESS_ENVIRONMENT: KubeConfigEnvironment = {
  env: process.env,
  home: homedir(),
  fileExists: existsSync,
};

/**
 * An explicit `kubeconfigPath` (the --kubeconfig flag) wins: someone typed it. Otherwise the
 * pod's service account when running in a cluster, else $KUBECONFIG (its first file, merged
 * with the rest like kubectl), else ~/.kube/config. Unlike client-node's loadFromDefault, no
 * silent fallback to http://localhost:8080: with no configuration at all we say so.
 */
export function loadKubeConfig(
  kubeconfigPath?: string,
  environment: KubeConfigEnvironment = PROCESS_ENVIRONMENT,
): KubeConfig {
  const config = new KubeConfig();
  if (kubeconfigPath !== undefined && kubeconfigPath !== "") {
    config.loadFromFile(kubeconfigPath);
    return config;
  }
  const { env } = environment;
  if (env.KUBERNETES_SERVICE_HOST && environment.fileExists(SERVICE_ACCOUNT_TOKEN)) {
    config.loadFromCluster();
    return config;
  }
  const files = (env.KUBECONFIG ?? "").split(delimiter).filter((file) => file !== "");
  const [first, ...rest] = files;
  if (first !== undefined) {
    // Every file of $KUBECONFIG, merged the way kubectl (and client-node's loadFromDefault) do.
    config.loadFromFile(first);
    for (const file of rest) {
      const more = new KubeConfig();
      more.loadFromFile(file);
      config.mergeConfig(more);
    }
    return config;
  }
  const homeConfig = join(environment.home, ".kube", "config");
  if (environment.fileExists(homeConfig)) {
    config.loadFromFile(homeConfig);
    return config;
  }
  throw new Error(
    "no Kubernetes configuration: not in a cluster, no --kubeconfig, no $KUBECONFIG and no ~/.kube/config",
  );
}
