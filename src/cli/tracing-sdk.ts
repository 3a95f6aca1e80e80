/**
 * Turns tracing on for `maestro serve` and `maestro execute`: when an OTLP endpoint is given
 * (`--otel-endpoint`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT`),
 * the OpenTelemetry SDK is registered as the global provider with an OTLP/HTTP exporter, and
 * the spans Maestro makes through `@opentelemetry/api` are exported. Otherwise nothing is
 * loaded and every span stays a no-op. The SDK is loaded only here, so it never reaches a
 * Lambda bundle: on Lambda a layer (ADOT) registers the provider instead.
 */
import { UsageError } from "./io.js";

export interface Tracing {
  /** Exports what is buffered and unregisters the provider. */
  shutdown(): Promise<void>;
}

/** The OTLP/HTTP traces URL the settings name, or undefined when tracing stays off. */
export function tracesUrl(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (flag === undefined && traces !== undefined && traces !== "") return traces;
  const base = flag ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (base === undefined || base === "") return undefined;
  // As the OTLP spec says for the base endpoint: the signal's path is appended.
  return `${base.replace(/\/+$/, "")}/v1/traces`;
}

/** Registers the SDK when an endpoint is set; undefined (tracing off) when none is. */
export async function startTracing(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Promise<Tracing | undefined> {
  const url = tracesUrl(flag, env);
  if (url === undefined) return undefined;
  try {
    new URL(url);
  } catch {
    throw new UsageError(`OTLP endpoint "${url}" is not a URL`);
  }
  const [{ NodeTracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, resources] =
    await Promise.all([
      import("@opentelemetry/sdk-trace-node"),
      import("@opentelemetry/exporter-trace-otlp-http"),
      import("@opentelemetry/resources"),
    ]);
  const provider = new NodeTracerProvider({
    resource: resources
      .defaultResource()
      .merge(
        resources.resourceFromAttributes({ "service.name": env.OTEL_SERVICE_NAME || "maestro" }),
      ),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url }))],
  });
  // Also installs the W3C trace-context propagator and the async context manager.
  provider.register();
  return { shutdown: () => provider.shutdown() };
}
