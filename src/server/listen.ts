// One DNS port for UDP and TCP. With port 0 (tests) TCP picks a free port and UDP binds the
// same number; if another process holds that UDP port we try again with a fresh one.

import type { UdpIo } from "../config.js";
import type { QueryHandler } from "./handler.js";
import { listenTcp, type TcpListener, type TcpOptions } from "./tcp.js";
import { listenUdp, type UdpListener } from "./udp.js";

export interface DnsListenOptions {
  host: string;
  port: number;
  tcp: TcpOptions;
  udpIo?: UdpIo;
  onError: (error: Error) => void;
}

export interface DnsListener {
  readonly host: string;
  readonly port: number;
  readonly tcp: TcpListener;
  readonly udpIo: UdpListener["io"];
  close(): Promise<void>;
}

const EPHEMERAL_ATTEMPTS = 10;

export async function listenDns(
  options: DnsListenOptions,
  handle: QueryHandler,
): Promise<DnsListener> {
  for (let attempt = 1; ; attempt++) {
    const tcp = await listenTcp(options.host, options.port, handle, options.tcp, options.onError);
    let udp: UdpListener;
    try {
      udp = await listenUdp(options.host, tcp.port, handle, options.onError, options.udpIo);
    } catch (error) {
      await tcp.close();
      const retry =
        options.port === 0 &&
        attempt < EPHEMERAL_ATTEMPTS &&
        (error as NodeJS.ErrnoException).code === "EADDRINUSE";
      if (retry) continue;
      throw error;
    }
    return {
      host: options.host,
      port: tcp.port,
      tcp,
      udpIo: udp.io,
      close: async () => {
        await Promise.all([tcp.close(), udp.close()]);
      },
    };
  }
}
