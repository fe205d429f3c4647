#!/usr/bin/env node
// Command line entry: flags → config → startApp; SIGTERM/SIGINT → lame duck → exit 0.
// The explain, dump and lint subcommands load the source once, print a report and exit.

import { ConfigError, helpText, parseCli, type CliAction } from "./config.js";
import { SourceStartError, startApp, VERSION } from "./app.js";
import { createLogger } from "./observe/log.js";
import { UdpIoUnavailableError } from "./server/udp.js";
import {
  runDump,
  runExplain,
  runLint,
  SourceLoadError,
  type CommandResult,
} from "./debug/commands.js";

function fail(message: string): never {
  process.stderr.write(`clusterset-dns: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let action: CliAction;
  try {
    action = parseCli(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  if (action.action === "help") {
    process.stdout.write(`${helpText(VERSION)}\n`);
    return;
  }
  if (action.action === "version") {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  if (action.action !== "serve") {
    let result: CommandResult;
    try {
      result =
        action.action === "explain"
          ? await runExplain(action.config, action.name, action.type)
          : action.action === "dump"
            ? await runDump(action.config)
            : await runLint(action.config);
    } catch (error) {
      if (error instanceof SourceLoadError) fail(`--source: ${error.message}`);
      throw error;
    }
    // Exit only once stdout has drained: a large dump piped to another program must not be cut.
    process.stdout.write(result.stdout, () => process.exit(result.exitCode));
    return;
  }
  const { config } = action;
  const log = createLogger(config.logLevel);
  let app;
  try {
    app = await startApp(config, log);
  } catch (error) {
    if (error instanceof SourceStartError) fail(`--source: ${error.message}`);
    if (error instanceof UdpIoUnavailableError) fail(`--udp-io: ${error.message}`);
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL") {
      fail(`--listen/--http: cannot bind: ${(error as Error).message}`);
    }
    throw error;
  }
  const running = app;

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) {
      log.warn({ signal }, "second signal, exiting now");
      process.exit(0);
    }
    stopping = true;
    running.beginShutdown();
    log.info({ signal, lameduckSeconds: config.lameduckSeconds }, "shutting down");
    setTimeout(() => {
      running.stop().then(
        () => {
          log.info({}, "stopped");
          process.exit(0);
        },
        (error: unknown) => {
          log.error({ err: error }, "error while stopping");
          process.exit(0);
        },
      );
    }, config.lameduckSeconds * 1000);
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

main().catch((error: unknown) => {
  process.stderr.write(`clusterset-dns: fatal: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
