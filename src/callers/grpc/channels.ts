/**
 * The connections of the Connect caller: one HTTP/2 session per endpoint (origin + TLS
 * settings), shared by every protocol spoken to that endpoint (gRPC, Connect, gRPC-web, and
 * gRPC reflection) and reused across calls. Connect's `Http2SessionManager` reconnects on its
 * own after the server goes away, and unrefs idle sessions, so a forgotten `close()` does not
 * keep the process alive; `close()` still ends them at once.
 */
import { readFile } from "node:fs/promises";
import type { SecureClientSessionOptions } from "node:http2";
import { Code, ConnectError, type Interceptor, type Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
  Http2SessionManager,
  type Http2SessionOptions,
} from "@connectrpc/connect-node";
import type { TlsSettings } from "../../workflow/model.js";
import type { EndpointProblem, GrpcEndpoint } from "./endpoint.js";

export type Protocol = "grpc" | "connect" | "grpc-web";

/** The transports of one endpoint. */
export interface Channel {
  readonly endpoint: GrpcEndpoint;
  transport(protocol: Protocol): Transport;
}

export interface ChannelPoolOptions {
  /**
   * HTTP version of the Connect protocol. `"2"` shares the endpoint's HTTP/2 session (and lets
   * reflection run on it); `"1.1"` suits Connect servers behind HTTP/1.1-only proxies.
   */
  readonly connectHttpVersion: "1.1" | "2";
  readonly sessionOptions?: Http2SessionOptions;
  readonly interceptors?: Interceptor[];
}

export interface ChannelPool {
  /** The channel for an endpoint, reading the service's TLS files on first use. */
  get(endpoint: GrpcEndpoint, tls: TlsSettings | undefined): Promise<Channel | EndpointProblem>;
  /** Ends every HTTP/2 session; calls in flight fail as canceled. The pool stays usable. */
  close(): void;
}

type TlsOptions = Pick<SecureClientSessionOptions, "ca" | "cert" | "key" | "servername">;

export function createChannelPool(options: ChannelPoolOptions): ChannelPool {
  const tlsFiles = new Map<string, Promise<TlsOptions | EndpointProblem>>();
  const sessions = new Map<string, Http2SessionManager>();
  const channels = new Map<string, Channel>();

  function loadTls(tls: TlsSettings): Promise<TlsOptions | EndpointProblem> {
    const key = JSON.stringify([tls.ca, tls.cert, tls.key, tls.serverName]);
    let loading = tlsFiles.get(key);
    if (loading === undefined) {
      loading = readTlsFiles(tls);
      tlsFiles.set(key, loading);
      // A missing file may appear later (a mounted secret); do not remember the failure.
      void loading.then((result) => {
        if ("problem" in result) tlsFiles.delete(key);
      });
    }
    return loading;
  }

  function createChannel(endpoint: GrpcEndpoint, tlsOptions: TlsOptions, key: string): Channel {
    const transports = new Map<Protocol, Transport>();
    const session = (): Http2SessionManager => {
      let manager = sessions.get(key);
      if (manager === undefined) {
        // Keepalive pings find a dead connection before a call does; without a ping interval
        // Connect sends none.
        const session = {
          pingIntervalMs: 30_000,
          pingTimeoutMs: 15_000,
          ...options.sessionOptions,
        };
        manager = new Http2SessionManager(endpoint.origin, session, tlsOptions);
        sessions.set(key, manager);
      }
      return manager;
    };
    const common = {
      baseUrl: endpoint.baseUrl,
      ...(options.interceptors !== undefined && { interceptors: options.interceptors }),
    };
    const build = (protocol: Protocol): Transport => {
      switch (protocol) {
        case "grpc":
          return createGrpcTransport({ ...common, sessionManager: session() });
        case "grpc-web":
          return createGrpcWebTransport({ ...common, httpVersion: "2", sessionManager: session() });
        case "connect":
          return options.connectHttpVersion === "2"
            ? createConnectTransport({ ...common, httpVersion: "2", sessionManager: session() })
            : createConnectTransport({ ...common, httpVersion: "1.1", nodeOptions: tlsOptions });
      }
    };
    return {
      endpoint,
      transport(protocol) {
        let transport = transports.get(protocol);
        if (transport === undefined) {
          transport = build(protocol);
          transports.set(protocol, transport);
        }
        return transport;
      },
    };
  }

  return {
    async get(endpoint, tls) {
      const tlsOptions = tls && endpoint.secure ? await loadTls(tls) : {};
      if ("problem" in tlsOptions) return tlsOptions;
      const key = `${endpoint.baseUrl} ${JSON.stringify(tls ?? {})}`;
      let channel = channels.get(key);
      if (channel === undefined) {
        channel = createChannel(
          endpoint,
          tlsOptions,
          `${endpoint.origin} ${JSON.stringify(tls ?? {})}`,
        );
        channels.set(key, channel);
      }
      return channel;
    },
    close() {
      const reason = new ConnectError("the caller was closed", Code.Canceled);
      for (const manager of sessions.values()) manager.abort(reason);
      sessions.clear();
      channels.clear();
    },
  };
}

async function readTlsFiles(tls: TlsSettings): Promise<TlsOptions | EndpointProblem> {
  const read = async (what: string, path: string | undefined) => {
    if (path === undefined) return undefined;
    try {
      return await readFile(path);
    } catch (error) {
      throw new Error(`cannot read the tls ${what} ${path}: ${(error as Error).message}`);
    }
  };
  try {
    const [ca, cert, key] = await Promise.all([
      read("ca", tls.ca),
      read("cert", tls.cert),
      read("key", tls.key),
    ]);
    if ((cert === undefined) !== (key === undefined)) {
      return { problem: "tls needs both cert and key for a client certificate, or neither" };
    }
    return {
      ...(ca !== undefined && { ca }),
      ...(cert !== undefined && { cert }),
      ...(key !== undefined && { key }),
      ...(tls.serverName !== undefined && { servername: tls.serverName }),
    };
  } catch (error) {
    return { problem: (error as Error).message };
  }
}
