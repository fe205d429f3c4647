// A test client on real sockets. Queries are built and replies decoded with dns2 3.1.1, an
// implementation independent of our codec; raw bytes can be sent too, for malformed input.

import dgram from "node:dgram";
import net from "node:net";
import dns2 from "dns2";

const { Packet } = dns2;

export interface QueryOptions {
  id?: number;
  /** Type name ("A", "SRV") or number. */
  type?: string | number;
  class?: number;
  rd?: boolean;
  cd?: boolean;
  edns?: { udpPayloadSize?: number; do?: boolean; version?: number };
}

export interface Reply {
  raw: Buffer;
  header: {
    id: number;
    qr: number;
    opcode: number;
    aa: number;
    tc: number;
    rd: number;
    ra: number;
    z: number;
    ad: number;
    cd: number;
    rcode: number;
    qdcount: number;
    ancount: number;
    nscount: number;
    arcount: number;
  };
  questions: { name: string; type: number; class: number }[];
  answers: DecodedRecord[];
  authorities: DecodedRecord[];
  additionals: DecodedRecord[];
}

export interface DecodedRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  address?: string;
  target?: string;
  port?: number;
  priority?: number;
  weight?: number;
  data?: string | string[];
  ns?: string;
  primary?: string;
  admin?: string;
  serial?: number;
  refresh?: number;
  retry?: number;
  expiration?: number;
  minimum?: number;
  doFlag?: boolean;
  version?: number;
  extendedRcode?: number;
}

export const TYPE: Record<string, number> = { ...Packet.TYPE, HINFO: 13, PTR: 12, TYPE666: 666 };

let nextId = 1;

export function buildQuery(name: string, options: QueryOptions = {}): Buffer {
  const packet = new Packet();
  packet.header.id = options.id ?? nextId++ & 0xffff;
  packet.header.rd = options.rd === false ? 0 : 1;
  // dns2 writes AD and CD but its header type does not declare them.
  Object.assign(packet.header, { cd: options.cd ? 1 : 0, ad: 0 });
  const type = options.type ?? "A";
  packet.questions.push(
    new Packet.Question(
      name,
      typeof type === "number" ? type : (TYPE[type] ?? NaN),
      options.class ?? Packet.CLASS.IN,
    ),
  );
  if (options.edns !== undefined) {
    packet.additionals.push(
      Packet.Resource.EDNS([], {
        udpPayloadSize: options.edns.udpPayloadSize ?? 1232,
        doFlag: options.edns.do ?? false,
        version: options.edns.version ?? 0,
      }),
    );
  }
  return packet.toBuffer();
}

export function decode(raw: Buffer): Reply {
  const packet = Packet.parse(raw);
  return { raw, ...packet } as unknown as Reply;
}

/** One UDP exchange; undefined when nothing came back within timeoutMs. */
export function udpExchange(
  port: number,
  message: Uint8Array,
  timeoutMs = 1500,
  host = "127.0.0.1",
): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket(host.includes(":") ? "udp6" : "udp4");
    const timer = setTimeout(() => {
      socket.close();
      resolve(undefined);
    }, timeoutMs);
    socket.once("message", (reply) => {
      clearTimeout(timer);
      socket.close();
      resolve(reply);
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      socket.close();
      reject(error);
    });
    socket.send(message, port, host);
  });
}

/** A TCP connection that frames messages and collects framed replies. */
export class TcpClient {
  private buffered = Buffer.alloc(0);
  private readonly replies: Buffer[] = [];
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      while (this.buffered.length >= 2) {
        const length = this.buffered.readUInt16BE(0);
        if (this.buffered.length < 2 + length) break;
        this.replies.push(this.buffered.subarray(2, 2 + length));
        this.buffered = this.buffered.subarray(2 + length);
      }
      this.wake();
    });
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
    socket.on("error", () => undefined);
  }

  static connect(port: number, host = "127.0.0.1"): Promise<TcpClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host }, () => resolve(new TcpClient(socket)));
      socket.once("error", reject);
    });
  }

  send(message: Uint8Array): void {
    const framed = Buffer.alloc(2 + message.length);
    framed.writeUInt16BE(message.length, 0);
    framed.set(message, 2);
    this.socket.write(framed);
  }

  /** Wait until `count` replies arrived (or the connection closed, or timeout); returns them all. */
  async replies_(count: number, timeoutMs = 2000): Promise<Buffer[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.replies.length < count && !this.closed && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.replies.splice(0, this.replies.length);
  }

  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

export async function tcpExchange(
  port: number,
  message: Uint8Array,
  timeoutMs = 2000,
): Promise<Buffer | undefined> {
  const client = await TcpClient.connect(port);
  try {
    client.send(message);
    const [reply] = await client.replies_(1, timeoutMs);
    return reply;
  } finally {
    client.close();
  }
}

export type Transport = "udp" | "tcp";

/** Query `name` and decode the reply; throws if no reply came. */
export async function query(
  port: number,
  name: string,
  options: QueryOptions & { transport?: Transport } = {},
): Promise<Reply> {
  const message = buildQuery(name, options);
  const raw =
    options.transport === "tcp"
      ? await tcpExchange(port, message)
      : await udpExchange(port, message);
  if (raw === undefined) throw new Error(`no reply for ${name} ${String(options.type ?? "A")}`);
  return decode(raw);
}
