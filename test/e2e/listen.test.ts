// One port, UDP and TCP, IPv4 and IPv6: ":<port>" binds the dual-stack wildcard.

import assert from "node:assert/strict";
import { buildQuery, decode, TcpClient, udpExchange } from "../support/dns-client.js";
import { startTestServer, type TestServer } from "../support/server.js";
import { name, specObjects } from "../support/spec-fixture.js";

describe("listening", () => {
  let server: TestServer;
  before(async () => {
    // Later flags win: this replaces the harness's 127.0.0.1:0.
    server = await startTestServer(specObjects(), ["--listen", ":0"]);
  });
  after(async () => {
    await server.stop();
  });

  for (const host of ["127.0.0.1", "::1"]) {
    it(`answers over UDP on ${host}`, async () => {
      const raw = await udpExchange(server.port, buildQuery(name("v4svc")), 1500, host);
      assert.ok(raw, "reply");
      assert.equal(decode(raw).answers[0]!.address, "10.0.0.1");
    });
  }

  for (const host of ["127.0.0.1", "::1"]) {
    it(`answers over TCP on ${host}, same port`, async () => {
      const client = await TcpClient.connect(server.port, host);
      try {
        client.send(buildQuery(name("v4svc")));
        const [raw] = await client.replies_(1);
        assert.ok(raw, "reply");
        assert.equal(decode(raw).answers[0]!.address, "10.0.0.1");
      } finally {
        client.close();
      }
    });
  }
});
