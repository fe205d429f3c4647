// Flags and environment → a validated Config. Every flag can also come from
// CLUSTERSET_DNS_<FLAG> (upper case, "-" → "_"); a flag on the command line wins. A bad
// value is a ConfigError whose message is the one line the CLI prints before exiting 2.

import { hostname } from "node:os";
import { parseArgs } from "node:util";
import { parseCidr, type Cidr } from "./server/acl.js";
import { canonicalIPv4, canonicalIPv6 } from "./wire/ip.js";
import { isValidClusterId } from "./zone/objects.js";
import { parseTypeName } from "./debug/records.js";

export class ConfigError extends Error {}

export type SourceConfig = { kind: "kube" } | { kind: "file"; path: string };

export interface HostPort {
  host: string;
  port: number;
}

export interface Config {
  source: SourceConfig;
  kubeconfig: string | undefined;
  zone: string;
  listen: HostPort;
  http: HostPort | undefined;
  ttl: number;
  clusterId: string | undefined;
  logLevel: string;
  lameduckSeconds: number;
  watchIdleTimeoutSeconds: number;
  nsAddresses: string[];
  maxUdpPayload: number;
  tcpIdleTimeoutSeconds: number;
  tcpMaxConnections: number;
  cacheBytes: number;
  serverId: string | undefined;
  /** EDNS NSID text for clients that ask (RFC 5001); undefined = off. */
  nsid: string | undefined;
  /** Clients allowed AXFR/IXFR over TCP; empty = nobody. */
  allowTransfer: Cidr[];
  /** UDP responses per second per client /24 or /56 before TC=1 slips; 0 = off. */
  rrlRate: number;
  /** Serve /debug/explain and /debug/zone on the ops port. */
  debug: boolean;
  /** Output of explain, dump and lint. */
  output: OutputFormat;
  /** Extension: SRV priority 0 for local-cluster targets, 1 for others. */
  preferLocalSrv: boolean;
  /** UDP socket I/O: batched native recvmmsg/sendmmsg, node:dgram, or the first that works. */
  udpIo: UdpIo;
}

export type UdpIo = "auto" | "batch" | "dgram";
const UDP_IO: readonly UdpIo[] = ["auto", "batch", "dgram"];

export type OutputFormat = "text" | "json";

export type CliAction =
  | { action: "help" }
  | { action: "version" }
  | { action: "serve"; config: Config }
  | { action: "explain"; config: Config; name: string; type: number }
  | { action: "dump"; config: Config }
  | { action: "lint"; config: Config };

/** Subcommands and the positional arguments each takes, for --help and usage errors. */
const COMMANDS = {
  serve: { args: "", help: "answer DNS queries (the default)" },
  explain: { args: "<name> [type]", help: "the answer for one name and why (type default A)" },
  dump: { args: "", help: "the whole zone in RFC 1035 zone-file format" },
  lint: { args: "", help: "objects the server would reject or partly ignore; exit 1 if any" },
} as const;

type CommandName = keyof typeof COMMANDS;

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** The flag table; `help` is the text --help prints for it. */
const FLAGS = {
  source: {
    type: "string",
    arg: "kube|file:<path>",
    help: "where objects come from",
    default: "kube",
  },
  kubeconfig: {
    type: "string",
    arg: "<path>",
    help: "kubeconfig file (else in-cluster, else $KUBECONFIG, else ~/.kube/config)",
  },
  zone: { type: "string", arg: "<name>", help: "zone served", default: "clusterset.local" },
  listen: {
    type: "string",
    arg: "<host:port>",
    help: 'DNS over UDP and TCP (":5353" = all IPv4 and IPv6)',
    default: ":5353",
  },
  http: {
    type: "string",
    arg: "<host:port>|off",
    help: "/metrics /health /ready",
    default: ":9153",
  },
  ttl: { type: "string", arg: "<seconds>", help: "record TTL, 0..3600", default: "5" },
  "cluster-id": {
    type: "string",
    arg: "<id>",
    help: "local cluster id (default: ClusterProperty cluster.clusterset.k8s.io)",
  },
  "log-level": { type: "string", arg: "<level>", help: LOG_LEVELS.join("|"), default: "info" },
  lameduck: {
    type: "string",
    arg: "<seconds>",
    help: "on SIGTERM keep answering this long with /ready at 503",
    default: "5",
  },
  "watch-idle-timeout": {
    type: "string",
    arg: "<seconds>",
    help: "restart a watch silent this long",
    default: "120",
  },
  "ns-address": {
    type: "string",
    arg: "<ip,...>",
    help: "addresses of ns.dns.<zone> (default: none, NODATA)",
  },
  "udp-max-size": {
    type: "string",
    arg: "<bytes>",
    help: "largest UDP reply, 512..4096",
    default: "1232",
  },
  "tcp-idle-timeout": {
    type: "string",
    arg: "<seconds>",
    help: "close idle TCP connections after",
    default: "10",
  },
  "tcp-max-connections": {
    type: "string",
    arg: "<n>",
    help: "concurrent TCP connections (longest idle is closed at the cap)",
    default: "1024",
  },
  "udp-io": {
    type: "string",
    arg: "auto|batch|dgram",
    help: "UDP I/O: native recvmmsg/sendmmsg batches (Linux, built by npm install) or node:dgram; auto = batch if built",
    default: "auto",
  },
  "cache-size": {
    type: "string",
    arg: "<MiB>",
    help: "memory for the encoded-answer cache",
    default: "64",
  },
  "server-id": {
    type: "string",
    arg: "<text>",
    help: "answer CH TXT id.server/hostname.bind with this (default: off)",
  },
  nsid: {
    type: "string",
    arg: "<text>|off",
    help: "EDNS NSID sent to clients that ask, e.g. dig +nsid (default: the host name, i.e. the pod name)",
  },
  "allow-transfer": {
    type: "string",
    arg: "<CIDR,...>",
    help: "clients allowed AXFR/IXFR over TCP (default: nobody)",
  },
  "rrl-rate": {
    type: "string",
    arg: "<n>",
    help: "UDP responses/s per client /24 or /56, over it TC=1 (0 = off)",
    default: "0",
  },
  "prefer-local-srv": {
    type: "boolean",
    arg: "",
    help: "extension: SRV priority 0 for local-cluster targets, 1 for others (default: all 0)",
  },
  debug: {
    type: "boolean",
    arg: "",
    help: "serve /debug/explain and /debug/zone on the --http port (shows object names)",
  },
  output: { type: "string", arg: "text|json", help: "explain/dump/lint output", default: "text" },
  version: { type: "boolean", arg: "", help: "print the version and exit" },
  help: { type: "boolean", arg: "", help: "print this help and exit" },
} as const;

type FlagName = keyof typeof FLAGS;

export function envName(flag: string): string {
  return `CLUSTERSET_DNS_${flag.toUpperCase().replaceAll("-", "_")}`;
}

export function helpText(version: string): string {
  const lines = Object.entries(FLAGS).map(([name, flag]) => {
    const left = `  --${name}${flag.arg ? ` ${flag.arg}` : ""}`;
    const def = "default" in flag ? ` (default: ${flag.default})` : "";
    return `${left.padEnd(40)} ${flag.help}${def}`;
  });
  const commands = Object.entries(COMMANDS).map(
    ([name, command]) => `  ${`${name} ${command.args}`.padEnd(38)} ${command.help}`,
  );
  return [
    `clusterset-dns ${version}: authoritative DNS for Kubernetes Multi-Cluster Services`,
    "",
    "usage: clusterset-dns [serve] [options]",
    "       clusterset-dns explain <name> [type] [options]",
    "       clusterset-dns dump [options]",
    "       clusterset-dns lint [options]",
    "",
    "commands:",
    ...commands,
    "",
    "options:",
    ...lines,
    "",
    "Every flag also reads CLUSTERSET_DNS_<FLAG>, e.g. CLUSTERSET_DNS_LISTEN=:53.",
  ].join("\n");
}

export function parseCli(argv: readonly string[], env: NodeJS.ProcessEnv): CliAction {
  let values: Partial<Record<FlagName, string | boolean>>;
  let positionals: string[];
  try {
    const options = Object.fromEntries(
      Object.entries(FLAGS).map(([name, flag]) => [name, { type: flag.type }]),
    ) as Record<FlagName, { type: "string" | "boolean" }>;
    ({ values, positionals } = parseArgs({
      args: [...argv],
      options,
      strict: true,
      allowPositionals: true,
    }));
  } catch (error) {
    throw new ConfigError((error as Error).message.split("\n")[0] ?? "bad arguments");
  }
  if (values.help === true) return { action: "help" };
  if (values.version === true) return { action: "version" };
  const command = parseCommand(positionals);

  const raw = (flag: FlagName): { value: string; from: string } | undefined => {
    const fromFlag = values[flag];
    if (typeof fromFlag === "string") return { value: fromFlag, from: `--${flag}` };
    const fromEnv = env[envName(flag)];
    if (fromEnv !== undefined && fromEnv !== "") return { value: fromEnv, from: envName(flag) };
    const spec = FLAGS[flag];
    if ("default" in spec) return { value: spec.default, from: `--${flag}` };
    return undefined;
  };
  const required = (flag: FlagName): { value: string; from: string } => {
    const found = raw(flag);
    if (found === undefined) throw new ConfigError(`--${flag}: missing value`);
    return found;
  };
  const integer = (flag: FlagName, min: number, max: number): number => {
    const { value, from } = required(flag);
    const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      throw new ConfigError(`${from}: "${value}" is not an integer in ${min}..${max}`);
    }
    return n;
  };

  const zoneRaw = required("zone");
  const zone = zoneRaw.value.toLowerCase().replace(/\.$/, "");
  if (!/^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/.test(zone)) {
    throw new ConfigError(`${zoneRaw.from}: "${zoneRaw.value}" is not a valid DNS zone name`);
  }

  const clusterIdRaw = raw("cluster-id");
  if (clusterIdRaw !== undefined && !isValidClusterId(clusterIdRaw.value)) {
    throw new ConfigError(
      `${clusterIdRaw.from}: "${clusterIdRaw.value}" is not a cluster id (one or two lower-case RFC 1123 labels)`,
    );
  }

  const logLevel = required("log-level");
  if (!LOG_LEVELS.includes(logLevel.value)) {
    throw new ConfigError(
      `${logLevel.from}: "${logLevel.value}" is not one of ${LOG_LEVELS.join(", ")}`,
    );
  }

  const boolean = (flag: "debug" | "prefer-local-srv"): boolean => {
    if (values[flag] === true) return true;
    const fromEnv = env[envName(flag)];
    if (fromEnv === undefined || fromEnv === "") return false;
    const value = fromEnv.trim().toLowerCase();
    if (["1", "true", "yes", "on"].includes(value)) return true;
    if (["0", "false", "no", "off"].includes(value)) return false;
    throw new ConfigError(`${envName(flag)}: "${fromEnv}" is not true or false`);
  };
  const outputRaw = required("output");
  if (outputRaw.value !== "text" && outputRaw.value !== "json") {
    throw new ConfigError(`${outputRaw.from}: "${outputRaw.value}" is not text or json`);
  }
  const output: OutputFormat = outputRaw.value;
  const udpIoRaw = required("udp-io");
  const udpIo = UDP_IO.find((choice) => choice === udpIoRaw.value);
  if (udpIo === undefined) {
    throw new ConfigError(
      `${udpIoRaw.from}: "${udpIoRaw.value}" is not one of ${UDP_IO.join(", ")}`,
    );
  }

  const httpRaw = required("http");
  const nsRaw = raw("ns-address");
  const kubeconfig = raw("kubeconfig")?.value;
  const serverId = raw("server-id")?.value;
  const nsidRaw = raw("nsid")?.value;
  const nsid = nsidRaw === "off" ? undefined : (nsidRaw ?? hostname());
  const transferRaw = raw("allow-transfer");

  const config: Config = {
    source: parseSource(required("source")),
    kubeconfig,
    zone,
    listen: parseHostPort(required("listen")),
    http: httpRaw.value === "off" ? undefined : parseHostPort(httpRaw),
    ttl: integer("ttl", 0, 3600),
    clusterId: clusterIdRaw?.value,
    logLevel: logLevel.value,
    lameduckSeconds: integer("lameduck", 0, 3600),
    watchIdleTimeoutSeconds: integer("watch-idle-timeout", 1, 86400),
    nsAddresses: nsRaw === undefined ? [] : parseAddresses(nsRaw),
    maxUdpPayload: integer("udp-max-size", 512, 4096),
    tcpIdleTimeoutSeconds: integer("tcp-idle-timeout", 1, 3600),
    tcpMaxConnections: integer("tcp-max-connections", 1, 1_000_000),
    cacheBytes: integer("cache-size", 1, 65536) * 1024 * 1024,
    serverId,
    nsid,
    allowTransfer: transferRaw === undefined ? [] : parseCidrs(transferRaw),
    rrlRate: integer("rrl-rate", 0, 1_000_000),
    debug: boolean("debug"),
    output,
    preferLocalSrv: boolean("prefer-local-srv"),
    udpIo,
  };
  switch (command.command) {
    case "explain":
      return { action: "explain", config, name: command.name, type: command.type };
    case "dump":
      return { action: "dump", config };
    case "lint":
      return { action: "lint", config };
    default:
      return { action: "serve", config };
  }
}

type ParsedCommand =
  { command: "serve" | "dump" | "lint" } | { command: "explain"; name: string; type: number };

function usage(command: CommandName): string {
  const args = COMMANDS[command].args;
  return `usage: clusterset-dns ${command}${args ? ` ${args}` : ""} [options]`;
}

/** The subcommand and its positional arguments; options may come before or after them. */
function parseCommand(positionals: readonly string[]): ParsedCommand {
  const [first, ...rest] = positionals;
  if (first === undefined) return { command: "serve" };
  if (!Object.hasOwn(COMMANDS, first)) {
    throw new ConfigError(
      `unknown command "${first}" (commands: ${Object.keys(COMMANDS).join(", ")}; see --help)`,
    );
  }
  const command = first as CommandName;
  if (command !== "explain") {
    if (rest.length > 0)
      throw new ConfigError(`${command}: unexpected argument "${rest[0]}"; ${usage(command)}`);
    return { command };
  }
  const [name, typeText, extra] = rest;
  if (name === undefined || name === "")
    throw new ConfigError(`explain: missing <name>; ${usage(command)}`);
  if (extra !== undefined)
    throw new ConfigError(`explain: unexpected argument "${extra}"; ${usage(command)}`);
  const type = parseTypeName(typeText ?? "A");
  if (type === undefined)
    throw new ConfigError(
      `explain: "${typeText}" is not a record type (A, AAAA, SRV, TXT, SOA, NS, ANY, TYPEnnn)`,
    );
  return { command: "explain", name, type };
}

function parseSource({ value, from }: { value: string; from: string }): SourceConfig {
  if (value === "kube") return { kind: "kube" };
  if (value.startsWith("file:") && value.length > "file:".length) {
    return { kind: "file", path: value.slice("file:".length) };
  }
  throw new ConfigError(`${from}: "${value}" is not "kube" or "file:<path>"`);
}

/** "host:port", "[v6]:port" or ":port" (all addresses, IPv4 and IPv6). */
export function parseHostPort({ value, from }: { value: string; from: string }): HostPort {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value.trim());
  const bad = (): ConfigError =>
    new ConfigError(
      `${from}: "${value}" is not <host:port> (e.g. 127.0.0.1:5353, [::1]:5353, :5353)`,
    );
  if (match === null) throw bad();
  const port = Number(match[3]);
  if (port > 65535) throw bad();
  const v6 = match[1];
  const v4OrEmpty = match[2] ?? "";
  if (v6 !== undefined) {
    const host = canonicalIPv6(v6);
    if (host === undefined) throw bad();
    return { host, port };
  }
  if (v4OrEmpty === "") return { host: "::", port };
  if (v4OrEmpty === "localhost") return { host: "127.0.0.1", port };
  if (canonicalIPv4(v4OrEmpty) === undefined) throw bad();
  return { host: v4OrEmpty, port };
}

function parseAddresses({ value, from }: { value: string; from: string }): string[] {
  return value.split(",").map((part) => {
    const text = part.trim();
    const address = canonicalIPv4(text) ?? canonicalIPv6(text);
    if (address === undefined) throw new ConfigError(`${from}: "${text}" is not an IP address`);
    return address;
  });
}

function parseCidrs({ value, from }: { value: string; from: string }): Cidr[] {
  return value.split(",").map((part) => {
    const cidr = parseCidr(part);
    if (cidr === undefined)
      throw new ConfigError(`${from}: "${part.trim()}" is not an address or CIDR`);
    return cidr;
  });
}
