// The naive design, for comparison: dns2 3.1.1's UDP server answering from the same snapshot via
// our lookup(), with dns2 decoding every query and encoding every answer (no answer cache, no
// pre-encoded bytes). Runs on its own so the load bench can pin it like the real server:
//   node bench/naive-dns2.mjs --manifest <file> --port <port>

import dns2 from "dns2";
import { dist } from "./lib/common.mjs";
import { snapshotFromManifest, ZONE } from "./lib/data.mjs";

const { Packet, UDPServer } = dns2;

function flag(name) {
  const index = process.argv.indexOf(`--${name}`);
  const value = index < 0 ? undefined : process.argv[index + 1];
  if (value === undefined) {
    console.error(`usage: node bench/naive-dns2.mjs --manifest <file> --port <port>`);
    process.exit(2);
  }
  return value;
}

const manifest = flag("manifest");
const port = Number(flag("port"));
const { lookup, inZone } = await dist("zone/lookup.js");
const snapshot = await snapshotFromManifest(manifest);

/** Our record → dns2's resource shape. */
function toDns2(record) {
  const base = { name: record.name, type: record.data.type, class: record.class, ttl: record.ttl };
  const data = record.data;
  switch (data.type) {
    case 1:
    case 28:
      return { ...base, address: data.address };
    case 2:
      return { ...base, ns: data.host };
    case 6:
      return {
        ...base,
        primary: data.mname,
        admin: data.rname,
        serial: data.serial,
        refresh: data.refresh,
        retry: data.retry,
        expiration: data.expire,
        minimum: data.minimum,
      };
    case 16:
      return { ...base, data: data.strings };
    case 33:
      return {
        ...base,
        priority: data.priority,
        weight: data.weight,
        port: data.port,
        target: data.target,
      };
    default:
      return undefined;
  }
}

const server = new UDPServer((request, send) => {
  const response = Packet.createResponseFromRequest(request);
  const question = request.questions[0];
  if (question === undefined) return;
  const name = question.name.toLowerCase();
  if (!inZone(name, ZONE)) {
    response.header.rcode = 5;
  } else {
    const result = lookup(snapshot, name, question.type);
    response.header.aa = 1;
    response.header.rcode = result.rcode;
    response.answers = result.answer.map((record) => ({ ...toDns2(record), name: question.name }));
    response.authorities = result.authority.map(toDns2);
    response.additionals = result.additional.map(toDns2);
  }
  void send(response);
});
server.on("requestError", () => {});
await server.listen(port, "127.0.0.1");
console.log(`naive dns2 server on 127.0.0.1:${port}, ${snapshot.nodes.size} names`);
