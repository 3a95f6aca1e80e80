/**
 * Where a service's descriptors come from, cached: its descriptor set file (per path), else
 * the server's reflection (per channel, that is per endpoint; `close()` on the caller drops
 * the channels and so these too). Concurrent calls share one load; a failed load is
 * forgotten so the next call tries again.
 */
import type { FileRegistry } from "@bufbuild/protobuf";
import { MaestroError } from "../../errors.js";
import type { ServiceDefinition } from "../../workflow/model.js";
import type { Channel } from "./channels.js";
import { loadDescriptorSet } from "./descriptors.js";
import { fetchDescriptorsByReflection } from "./reflection-client.js";

export interface LoadedDescriptors {
  readonly registry: FileRegistry;
  readonly source: "file" | "reflection";
}

export interface DescriptorSource {
  /**
   * The service's descriptors. A file that cannot be read rejects with a terminal
   * `invalid_argument` MaestroError; reflection rejects with the transport's ConnectError.
   * `refresh` asks the server again instead of using what it said before.
   */
  load(
    service: ServiceDefinition,
    channel: Channel,
    headers: Headers,
    refresh?: boolean,
  ): Promise<LoadedDescriptors>;
}

interface PromiseCache<K> {
  get(key: K): Promise<FileRegistry> | undefined;
  set(key: K, value: Promise<FileRegistry>): unknown;
  delete(key: K): unknown;
}

function shared<K>(
  cache: PromiseCache<K>,
  key: K,
  load: () => Promise<FileRegistry>,
): Promise<FileRegistry> {
  let loading = cache.get(key);
  if (loading === undefined) {
    loading = load();
    cache.set(key, loading);
    loading.catch(() => cache.delete(key));
  }
  return loading;
}

export function createDescriptorSource(options: {
  readonly reflectionTimeoutMs: number;
}): DescriptorSource {
  const files = new Map<string, Promise<FileRegistry>>();
  const reflected = new WeakMap<Channel, Promise<FileRegistry>>();
  return {
    async load(service, channel, headers, refresh = false) {
      const path = service.descriptors;
      if (path !== undefined) {
        const read = () =>
          loadDescriptorSet(path).catch((error: unknown) => {
            throw new MaestroError("invalid_argument", (error as Error).message, {
              retryable: false,
            });
          });
        return { registry: await shared(files, path, read), source: "file" };
      }
      if (refresh) reflected.delete(channel);
      // Its own deadline, not one call's: the result is shared by every call waiting for it.
      const ask = () =>
        fetchDescriptorsByReflection(channel.transport("grpc"), {
          timeoutMs: options.reflectionTimeoutMs,
          headers,
        });
      return { registry: await shared(reflected, channel, ask), source: "reflection" };
    },
  };
}

/** Waits for a shared promise, but no longer than this call's signal allows. */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
