/** The CLI's client for a running Maestro API (`maestro serve` or a deployed stack). */
import type { CliIo } from "./io.js";

export class RemoteError extends Error {
  override readonly name = "RemoteError";
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function apiClient(io: CliIo, endpoint: string | undefined) {
  const base = (endpoint ?? io.env.MAESTRO_ENDPOINT ?? "http://127.0.0.1:8080").replace(/\/$/, "");
  const token = io.env.MAESTRO_TOKEN;
  return {
    base,
    async get<T>(path: string): Promise<T> {
      let res: Response;
      try {
        res = await fetch(`${base}${path}`, {
          headers: token ? { authorization: `Bearer ${token}` } : {},
        });
      } catch (error) {
        const cause =
          (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
        throw new RemoteError(0, `cannot reach ${base}: ${cause}`);
      }
      const body = (await res.json().catch(() => ({}))) as T & { detail?: string };
      if (!res.ok)
        throw new RemoteError(res.status, `${res.status}: ${body.detail ?? res.statusText}`);
      return body;
    },
  };
}
