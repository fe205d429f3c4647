// Our server's query path wired like startApp but without the metrics observer, to price the
// metrics. Data comes from the file source as in production.
//   node bench/server-nometrics.mjs --manifest <file> --port <port>

import { dist } from "./lib/common.mjs";
import { ZONE } from "./lib/data.mjs";

function flag(name) {
  const index = process.argv.indexOf(`--${name}`);
  const value = index < 0 ? undefined : process.argv[index + 1];
  if (value === undefined) {
    console.error("usage: node bench/server-nometrics.mjs --manifest <file> --port <port>");
    process.exit(2);
  }
  return value;
}

const manifest = flag("manifest");
const port = Number(flag("port"));
const { ObjectStore } = await dist("source/store.js");
const { SnapshotPublisher } = await dist("zone/publisher.js");
const { AnswerCache } = await dist("server/cache.js");
const { QueryPolicy } = await dist("server/policy.js");
const { createQueryHandler } = await dist("server/handler.js");
const { listenDns } = await dist("server/listen.js");
const { startFileSource } = await dist("source/file.js");

const quiet = { info() {}, warn() {}, error() {}, debug() {} };
const store = new ObjectStore();
const publisher = new SnapshotPublisher(store, { zone: { zone: ZONE, ttl: 5, nsAddresses: [] } });
const cache = new AnswerCache({ maxBytes: 64 * 1024 * 1024 });
const policy = new QueryPolicy({ zone: ZONE, maxUdpPayload: 1232 }, publisher, cache);
const handler = createQueryHandler(policy, { onInternalError: (error) => console.error(error) });
await listenDns(
  {
    host: "127.0.0.1",
    port,
    tcp: { idleTimeoutMs: 10000, maxConnections: 1024 },
    onError: (error) => console.error(error),
  },
  handler,
);
await startFileSource({ path: manifest, sink: store.sink("file"), log: quiet });
process.on("SIGTERM", () => process.exit(0));
