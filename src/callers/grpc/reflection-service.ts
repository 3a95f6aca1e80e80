/**
 * The server side of gRPC server reflection (grpc.reflection.v1 and v1alpha) for Connect
 * routers, so `buf curl`, grpcurl and Maestro's own reflection client can call a service
 * without its protos. It lives beside the client because both speak the same protocol; the
 * example services use it, and Maestro's own gRPC API can.
 */
import {
  type DescExtension,
  type DescFile,
  type DescMessage,
  type DescService,
  type MessageInitShape,
  toBinary,
} from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, type ConnectRouter, type MethodImpl } from "@connectrpc/connect";
import {
  ServerReflection,
  type ServerReflectionRequest,
  type ServerReflectionRequestSchema,
  type ServerReflectionResponseSchema,
} from "../../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ServerReflectionAlpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.js";

type Reply = MessageInitShape<typeof ServerReflectionResponseSchema>;
type RequestInit = MessageInitShape<typeof ServerReflectionRequestSchema>;

/** What the reflection service knows: files by name, the file declaring each symbol. */
interface Index {
  readonly services: readonly string[];
  readonly files: ReadonlyMap<string, DescFile>;
  readonly symbols: ReadonlyMap<string, DescFile>;
  readonly extensions: ReadonlyMap<string, DescExtension[]>;
}

/**
 * Registers reflection v1 and v1alpha on the router, describing `services` (list the health
 * service too if there is one). The reflection services list themselves, as gRPC servers do.
 */
export function registerReflection(
  router: ConnectRouter,
  services: readonly DescService[],
  options: { readonly versions?: readonly ("v1" | "v1alpha")[] } = {},
): void {
  const versions = new Set(options.versions ?? ["v1", "v1alpha"]);
  const own = [
    ...(versions.has("v1") ? [ServerReflection] : []),
    ...(versions.has("v1alpha") ? [ServerReflectionAlpha] : []),
  ];
  const index = buildIndex([...services, ...own]);
  async function* serverReflectionInfo(requests: AsyncIterable<ServerReflectionRequest>) {
    for await (const request of requests) yield answer(index, request);
  }
  if (versions.has("v1")) router.service(ServerReflection, { serverReflectionInfo });
  if (versions.has("v1alpha")) {
    // Same messages, other package: the handler serves both.
    const alpha = ServerReflectionAlpha.method.serverReflectionInfo;
    router.rpc(alpha, serverReflectionInfo as unknown as MethodImpl<typeof alpha>);
  }
}

function buildIndex(services: readonly DescService[]): Index {
  const files = new Map<string, DescFile>();
  const symbols = new Map<string, DescFile>();
  const extensions = new Map<string, DescExtension[]>();
  const addExtension = (ext: DescExtension): void => {
    symbols.set(ext.typeName, ext.file);
    const list = extensions.get(ext.extendee.typeName) ?? [];
    list.push(ext);
    extensions.set(ext.extendee.typeName, list);
  };
  const addMessage = (message: DescMessage): void => {
    symbols.set(message.typeName, message.file);
    for (const field of message.fields)
      symbols.set(`${message.typeName}.${field.name}`, message.file);
    for (const nested of message.nestedMessages) addMessage(nested);
    for (const nested of message.nestedEnums) symbols.set(nested.typeName, message.file);
    for (const nested of message.nestedExtensions) addExtension(nested);
  };
  const addFile = (file: DescFile): void => {
    if (files.has(file.proto.name)) return;
    files.set(file.proto.name, file);
    for (const message of file.messages) addMessage(message);
    for (const en of file.enums) symbols.set(en.typeName, file);
    for (const ext of file.extensions) addExtension(ext);
    for (const service of file.services) {
      symbols.set(service.typeName, file);
      for (const method of service.methods) symbols.set(`${service.typeName}.${method.name}`, file);
    }
    for (const dependency of file.dependencies) addFile(dependency);
  };
  for (const service of services) addFile(service.file);
  return { services: services.map((s) => s.typeName), files, symbols, extensions };
}

/** The file and everything it imports, the file first, serialized. */
function withImports(file: DescFile): Uint8Array[] {
  const seen = new Set<string>();
  const out: Uint8Array[] = [];
  const visit = (f: DescFile): void => {
    if (seen.has(f.proto.name)) return;
    seen.add(f.proto.name);
    out.push(toBinary(FileDescriptorProtoSchema, f.proto));
    for (const dependency of f.dependencies) visit(dependency);
  };
  visit(file);
  return out;
}

function answer(index: Index, request: ServerReflectionRequest): Reply {
  const originalRequest = copyRequest(request);
  const reply = (messageResponse: Reply["messageResponse"]): Reply => ({
    validHost: request.host,
    originalRequest,
    messageResponse,
  });
  const notFound = (what: string): Reply =>
    reply({
      case: "errorResponse",
      value: { errorCode: Code.NotFound, errorMessage: `${what} not found` },
    });
  const files = (file: DescFile | undefined, what: string): Reply =>
    file === undefined
      ? notFound(what)
      : reply({
          case: "fileDescriptorResponse",
          value: { fileDescriptorProto: withImports(file) },
        });

  const { messageRequest } = request;
  switch (messageRequest.case) {
    case "listServices":
      return reply({
        case: "listServicesResponse",
        value: { service: index.services.map((name) => ({ name })) },
      });
    case "fileByFilename":
      return files(index.files.get(messageRequest.value), `file ${messageRequest.value}`);
    case "fileContainingSymbol":
      return files(index.symbols.get(messageRequest.value), `symbol ${messageRequest.value}`);
    case "fileContainingExtension": {
      const { containingType, extensionNumber } = messageRequest.value;
      const ext = index.extensions.get(containingType)?.find((e) => e.number === extensionNumber);
      return files(ext?.file, `extension ${extensionNumber} of ${containingType}`);
    }
    case "allExtensionNumbersOfType": {
      const type = messageRequest.value;
      if (!index.symbols.has(type)) return notFound(`type ${type}`);
      const numbers = (index.extensions.get(type) ?? []).map((e) => e.number);
      return reply({
        case: "allExtensionNumbersResponse",
        value: { baseTypeName: type, extensionNumber: numbers },
      });
    }
    default:
      return reply({
        case: "errorResponse",
        value: { errorCode: Code.InvalidArgument, errorMessage: "empty reflection request" },
      });
  }
}

/** A plain copy, so the echo fits v1 and v1alpha responses alike. */
function copyRequest(request: ServerReflectionRequest): RequestInit {
  const { host, messageRequest } = request;
  if (messageRequest.case === "fileContainingExtension") {
    const { containingType, extensionNumber } = messageRequest.value;
    return {
      host,
      messageRequest: { case: messageRequest.case, value: { containingType, extensionNumber } },
    };
  }
  return { host, messageRequest };
}
