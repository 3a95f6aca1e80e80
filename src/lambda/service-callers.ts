import { createConnectCaller } from "../callers/connect-caller.js";
import { dispatchByType } from "../callers/dispatch.js";
import { createHttpCaller } from "../callers/http-caller.js";
import type { ServiceCaller } from "../ports/service-caller.js";

/** HTTP and gRPC-family callers; one Connect caller keeps one HTTP/2 session per endpoint. */
export function serviceCallers(): ServiceCaller {
  const connect = createConnectCaller();
  return dispatchByType({ http: createHttpCaller(), grpc: connect, connect, "grpc-web": connect });
}
