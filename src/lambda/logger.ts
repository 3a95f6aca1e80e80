import { Logger as PowertoolsLogger } from "@aws-lambda-powertools/logger";
import type { Logger } from "../ports/logger.js";

/** Our Logger port on top of the Powertools logger (JSON lines, Lambda context, sampling). */
/** The service name comes from POWERTOOLS_SERVICE_NAME (the stack sets the environment's prefix). */
export function powertoolsLogger(inner: PowertoolsLogger = new PowertoolsLogger()): Logger {
  const wrap = (logger: PowertoolsLogger): Logger => ({
    debug: (message, fields) => logger.debug(message, { ...fields }),
    info: (message, fields) => logger.info(message, { ...fields }),
    warn: (message, fields) => logger.warn(message, { ...fields }),
    error: (message, fields) => logger.error(message, { ...fields }),
    child: (fields) => wrap(logger.createChild({ persistentKeys: { ...fields } })),
  });
  return wrap(inner);
}
