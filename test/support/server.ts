// Starts the real server (startApp, as the CLI does) on 127.0.0.1 port 0 with a file source
// written to a temp dir, and stops it after the test.

import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { stringify } from "yaml";
import { startApp, type App } from "../../src/app.js";
import { parseCli, type Config } from "../../src/config.js";
import { createLogger } from "../../src/observe/log.js";

export interface TestServer {
  app: App;
  port: number;
  dir: string;
  manifestPath: string;
  /** Rewrite the manifest file (the file source reloads it). */
  write(objects: readonly Record<string, unknown>[]): void;
  stop(): Promise<void>;
}

export function toYaml(objects: readonly Record<string, unknown>[]): string {
  return objects.map((object) => stringify(object)).join("---\n");
}

export function testConfig(extraArgs: string[] = [], source?: string): Config {
  const action = parseCli(
    [
      "--source",
      source ?? "kube",
      "--listen",
      "127.0.0.1:0",
      "--http",
      "127.0.0.1:0",
      "--log-level",
      "silent",
      ...extraArgs,
    ],
    {},
  );
  if (action.action !== "serve") throw new Error("unexpected CLI action");
  return action.config;
}

export async function startTestServer(
  objects: readonly Record<string, unknown>[],
  extraArgs: string[] = [],
): Promise<TestServer> {
  const dir = mkdtempSync(path.join(tmpdir(), "clusterset-dns-test-"));
  const manifestPath = path.join(dir, "clusterset.yaml");
  writeFileSync(manifestPath, toYaml(objects));
  const config = testConfig(extraArgs, `file:${manifestPath}`);
  const app = await startApp(config, createLogger("silent"));
  return {
    app,
    port: app.dns.port,
    dir,
    manifestPath,
    write: (next) => writeFileSync(manifestPath, toYaml(next)),
    stop: async () => {
      await app.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
