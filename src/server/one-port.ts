/**
 * HTTP/1.1 and cleartext HTTP/2 on one port. An h2c server refuses HTTP/1.1 and an
 * HTTP/1.1 server cannot speak gRPC, so a plain TCP server reads the first bytes of each
 * connection: the HTTP/2 client preface (prior knowledge, as gRPC clients send it) goes to
 * the HTTP/2 server, anything else to the HTTP/1.1 server. The peeked bytes are put back
 * before the hand-over, so each server reads the connection from its start.
 */
import { createServer as createHttp1Server, type RequestListener } from "node:http";
import {
  createServer as createHttp2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type Http2Session,
} from "node:http2";
import { type AddressInfo, createServer, type Socket } from "node:net";

const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "latin1");

export interface OnePortOptions {
  readonly port: number;
  readonly host: string;
  readonly http1: RequestListener;
  readonly http2: (request: Http2ServerRequest, response: Http2ServerResponse) => void;
  /** How long a new connection may stay silent before it is dropped. @default 30s */
  readonly firstBytesTimeoutMs?: number;
}

export interface OnePortServer {
  readonly port: number;
  /** Stops accepting, drops open connections and HTTP/2 sessions, and resolves once all are gone. */
  close(): Promise<void>;
}

/** Whether `head` (the bytes seen so far) is, or may still become, the HTTP/2 preface. */
function prefaceSoFar(head: Buffer): "yes" | "no" | "maybe" {
  const n = Math.min(head.length, PREFACE.length);
  if (!head.subarray(0, n).equals(PREFACE.subarray(0, n))) return "no";
  return n === PREFACE.length ? "yes" : "maybe";
}

export async function listenOnePort(options: OnePortOptions): Promise<OnePortServer> {
  const http1 = createHttp1Server(options.http1);
  const http2 = createHttp2Server(options.http2);
  // Sessions outlive requests (a gRPC channel stays open), so closing needs them at hand.
  const sessions = new Set<Http2Session>();
  http2.on("session", (session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  const waiting = new Set<Socket>();

  function route(socket: Socket) {
    waiting.add(socket);
    let head: Buffer = Buffer.alloc(0);
    const drop = () => socket.destroy();
    socket.setTimeout(options.firstBytesTimeoutMs ?? 30_000, drop);
    socket.on("error", drop);
    socket.on("data", peek);
    function peek(chunk: Buffer) {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      const verdict = prefaceSoFar(head);
      if (verdict === "maybe") return;
      socket.off("data", peek);
      socket.off("error", drop);
      socket.setTimeout(0);
      waiting.delete(socket);
      socket.pause();
      socket.unshift(head);
      if (verdict === "yes") {
        // The HTTP/2 session reads what the socket holds buffered, then reads its handle.
        http2.emit("connection", socket);
      } else {
        http1.emit("connection", socket);
        // The HTTP/1.1 server reads through the stream, which the pause above stopped.
        socket.resume();
      }
    }
    socket.once("close", () => waiting.delete(socket));
  }

  const tcp = createServer(route);
  await new Promise<void>((resolve, reject) => {
    tcp.once("error", reject);
    tcp.listen(options.port, options.host, () => {
      tcp.off("error", reject);
      resolve();
    });
  });

  return {
    port: (tcp.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        tcp.close(() => resolve());
        for (const socket of waiting) socket.destroy();
        http1.closeAllConnections();
        for (const session of sessions) session.destroy();
      }),
  };
}
