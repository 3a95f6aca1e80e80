/** What the resilience tests share: a store that counts requests, a logger that keeps lines, services from YAML. */
import type { Logger } from "../../src/ports/logger.js";
import type { GuardStore } from "../../src/resilience/guard-store.js";
import type { ServiceDefinition } from "../../src/workflow/model.js";
import { workflowFrom } from "../helpers/workflows.js";

export interface CountingStore extends GuardStore {
  /** Requests by operation name. */
  readonly requests: Record<string, number>;
  total(): number;
  reset(): void;
}

/** Wraps a store and counts the requests made through it, by operation. */
export function countingStore(inner: GuardStore): CountingStore {
  const requests: Record<string, number> = {};
  const counted =
    <A extends unknown[], R>(name: string, f: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      requests[name] = (requests[name] ?? 0) + 1;
      return f(...args);
    };
  return {
    requests,
    total: () => Object.values(requests).reduce((a, b) => a + b, 0),
    reset() {
      for (const key of Object.keys(requests)) delete requests[key];
    },
    readBreaker: counted("readBreaker", inner.readBreaker.bind(inner)),
    writeBreaker: counted("writeBreaker", inner.writeBreaker.bind(inner)),
    takeToken: counted("takeToken", inner.takeToken.bind(inner)),
    slowDown: counted("slowDown", inner.slowDown.bind(inner)),
    acquireLease: counted("acquireLease", inner.acquireLease.bind(inner)),
    releaseLease: counted("releaseLease", inner.releaseLease.bind(inner)),
    joinLine: counted("joinLine", inner.joinLine.bind(inner)),
  };
}

export interface LoggedLine {
  readonly level: string;
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

export function captureLogger(): Logger & { readonly lines: LoggedLine[] } {
  const lines: LoggedLine[] = [];
  const make = (bound: Record<string, unknown>): Logger => {
    const at =
      (level: string) =>
      (message: string, fields: Readonly<Record<string, unknown>> = {}) =>
        lines.push({ level, message, fields: { ...bound, ...fields } });
    return {
      debug: at("debug"),
      info: at("info"),
      warn: at("warn"),
      error: at("error"),
      child: (fields) => make({ ...bound, ...fields }),
    };
  };
  return Object.assign(make({}), { lines });
}

/** A service compiled from the YAML of its settings, e.g. `circuit_breaker: { failure_threshold: 2 }`. */
export function serviceWith(settings: string, name = "svc"): ServiceDefinition {
  const workflow = workflowFrom(`
name: guarded
version: "1"
services:
  ${name}:
    type: http
    endpoint: "http://svc"
    timeout: 1s
    ${settings}
steps:
  - { id: only, service: ${name}, method: POST /x }
`);
  const service = workflow.services.get(name);
  if (!service) throw new Error(`no service ${name}`);
  return service;
}
