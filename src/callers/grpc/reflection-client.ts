/**
 * A gRPC server reflection client (grpc.reflection.v1, falling back to v1alpha): fetches
 * the descriptors of every service a server lists, with their imports, and builds a
 * registry from them. No package on the npm registry provides one.
 *
 * Reflection is a bidirectional stream, so it always runs over gRPC on HTTP/2 (gRPC-web and
 * Connect over HTTP/1.1 cannot carry it). v1 and v1alpha have the same messages under
 * different package names; one code path serves both.
 */
import { type FileRegistry, fromBinary, type MessageInitShape } from "@bufbuild/protobuf";
import { type FileDescriptorProto, FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type Transport } from "@connectrpc/connect";
import {
  ServerReflection,
  type ServerReflectionRequestSchema,
  type ServerReflectionResponse,
} from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionAlpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { isWellKnown, registryFromFiles } from "./descriptors.js";

type ReflectionMethod = typeof ServerReflection.method.serverReflectionInfo;
type ReflectionRequest = MessageInitShape<typeof ServerReflectionRequestSchema>;

const V1: ReflectionMethod = ServerReflection.method.serverReflectionInfo;
// Same fields and numbers as v1: only the type names (and so the URL) differ.
const V1ALPHA = ServerReflectionAlpha.method.serverReflectionInfo as unknown as ReflectionMethod;

export interface ReflectionOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
  readonly headers?: Headers;
}

/**
 * Fetches the descriptors of every service the server lists. Throws a ConnectError: the
 * transport's own (unavailable, deadline…) or `unimplemented` when the server has no
 * reflection service.
 */
export async function fetchDescriptorsByReflection(
  transport: Transport,
  options: ReflectionOptions = {},
): Promise<FileRegistry> {
  try {
    return await fetchWith(transport, V1, options);
  } catch (error) {
    if (ConnectError.from(error).code !== Code.Unimplemented) throw error;
  }
  try {
    return await fetchWith(transport, V1ALPHA, options);
  } catch (error) {
    const cause = ConnectError.from(error);
    if (cause.code !== Code.Unimplemented) throw error;
    throw new ConnectError(
      "the server offers no gRPC reflection (v1 or v1alpha); give the service a descriptors file",
      Code.Unimplemented,
      undefined,
      undefined,
      cause,
    );
  }
}

async function fetchWith(
  transport: Transport,
  method: ReflectionMethod,
  options: ReflectionOptions,
): Promise<FileRegistry> {
  const outbox = createOutbox<ReflectionRequest>();
  // The first request goes out with the stream's headers: a server answers the headers only
  // once it has something to say, so waiting for them with nothing sent would never end.
  outbox.push({ messageRequest: { case: "listServices", value: "" } });
  const response = await transport.stream(
    method,
    options.signal,
    options.timeoutMs,
    options.headers,
    outbox.messages,
  );
  const inbox = response.message[Symbol.asyncIterator]();
  const receive = async (): Promise<ServerReflectionResponse> => {
    const next = await inbox.next();
    if (next.done) throw new ConnectError("the reflection stream ended early", Code.Unavailable);
    const reply = next.value;
    if (reply.messageResponse.case === "errorResponse") {
      const { errorCode, errorMessage } = reply.messageResponse.value;
      const code = errorCode in Code ? (errorCode as Code) : Code.Unknown;
      throw new ConnectError(`reflection: ${errorMessage}`, code);
    }
    return reply;
  };
  const ask = (request: ReflectionRequest): Promise<ServerReflectionResponse> => {
    outbox.push(request);
    return receive();
  };

  try {
    const listed = await receive();
    const services =
      listed.messageResponse.case === "listServicesResponse"
        ? listed.messageResponse.value.service.map((s) => s.name)
        : [];
    const files = new Map<string, FileDescriptorProto>();
    const keep = (reply: ServerReflectionResponse): void => {
      if (reply.messageResponse.case !== "fileDescriptorResponse") return;
      for (const bytes of reply.messageResponse.value.fileDescriptorProto) {
        const file = fromBinary(FileDescriptorProtoSchema, bytes);
        if (!files.has(file.name)) files.set(file.name, file);
      }
    };
    for (const name of services) {
      if (name.startsWith("grpc.reflection.")) continue;
      try {
        keep(await ask({ messageRequest: { case: "fileContainingSymbol", value: name } }));
      } catch (error) {
        // A listed service the server cannot describe: the others stay callable.
        if (ConnectError.from(error).code !== Code.NotFound) throw error;
      }
    }
    // Servers normally send imports along; ask for any that did not come. Well-known types are
    // left to registryFromFiles, which has them.
    for (let missing = missingImports(files); missing.length > 0; missing = missingImports(files)) {
      for (const name of missing) {
        keep(await ask({ messageRequest: { case: "fileByFilename", value: name } }));
        if (!files.has(name))
          throw new ConnectError(`reflection did not send ${name}`, Code.NotFound);
      }
    }
    try {
      return registryFromFiles(files.values());
    } catch (error) {
      // A server bug that asking again will not fix.
      const message = `the server's descriptors do not fit together: ${(error as Error).message}`;
      throw new ConnectError(message, Code.FailedPrecondition);
    }
  } finally {
    outbox.close();
    // Read to the end so the stream closes cleanly; its errors no longer matter.
    try {
      while (!(await inbox.next()).done) {
        // Discard.
      }
    } catch {
      // Ignored.
    }
  }
}

function missingImports(files: ReadonlyMap<string, FileDescriptorProto>): string[] {
  const missing = new Set<string>();
  for (const file of files.values()) {
    for (const name of file.dependency) {
      if (!files.has(name) && !isWellKnown(name)) missing.add(name);
    }
  }
  return [...missing];
}

/** Requests written one at a time into the request stream. */
function createOutbox<T>(): { push(item: T): void; close(): void; messages: AsyncIterable<T> } {
  const queue: T[] = [];
  let closed = false;
  let wake: (() => void) | undefined;
  async function* messages(): AsyncGenerator<T> {
    for (;;) {
      const item = queue.shift();
      if (item !== undefined) {
        yield item;
        continue;
      }
      if (closed) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = undefined;
    }
  }
  return {
    push(item) {
      queue.push(item);
      wake?.();
    },
    close() {
      closed = true;
      wake?.();
    },
    messages: messages(),
  };
}
