import { MaestroError } from "../errors.js";
import type { ServiceCaller } from "../ports/service-caller.js";
import type { ServiceType } from "../workflow/model.js";

/** Routes each call to the caller for its service's type. */
export function dispatchByType(
  callers: Partial<Record<ServiceType, ServiceCaller>>,
): ServiceCaller {
  return {
    async call(request) {
      const caller = callers[request.service.type];
      if (!caller) {
        const error = new MaestroError(
          "unimplemented",
          `no caller for ${request.service.type} services is configured (service "${request.service.name}")`,
          { retryable: false },
        );
        return { ok: false, error: error.toInfo() };
      }
      return caller.call(request);
    },
  };
}
