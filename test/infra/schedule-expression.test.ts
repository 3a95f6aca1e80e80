import { describe, expect, it } from "vitest";
import { eventBridgeExpression, eventBridgeExpressionOf } from "../../infra/schedule-expression.js";

describe("EventBridge schedule expressions", () => {
  it("keeps expressions already in EventBridge's form", () => {
    expect(eventBridgeExpressionOf("rate(5 minutes)")).toBe("rate(5 minutes)");
    expect(eventBridgeExpressionOf(" cron(0 12 ? * MON-FRI *) ")).toBe("cron(0 12 ? * MON-FRI *)");
  });

  it("writes rates in the largest whole unit", () => {
    const rate = (rateMs: number) => eventBridgeExpression({ expression: "x", rateMs });
    expect(rate(60_000)).toBe("rate(1 minute)");
    expect(rate(90 * 60_000)).toBe("rate(90 minutes)");
    expect(rate(3_600_000)).toBe("rate(1 hour)");
    expect(rate(2 * 86_400_000)).toBe("rate(2 days)");
    expect(() => rate(30_000)).toThrow("not a whole number of minutes");
  });

  it("turns a 5-field cron into the 6-field form with ? in the unused day field", () => {
    expect(eventBridgeExpressionOf("*/5 * * * *")).toBe("cron(*/5 * * * ? *)");
    expect(eventBridgeExpressionOf("0 3 1 * *")).toBe("cron(0 3 1 * ? *)");
    expect(eventBridgeExpressionOf("30 2 * * 1-5")).toBe("cron(30 2 ? * 2-6 *)");
  });

  it("numbers weekdays from 1 = Sunday, leaving steps, nth and names alone", () => {
    const dow = (field: string) =>
      eventBridgeExpression({ expression: "x", cron: `0 0 * * ${field}` });
    expect(dow("0")).toBe("cron(0 0 ? * 1 *)");
    expect(dow("7")).toBe("cron(0 0 ? * 1 *)");
    expect(dow("0,6")).toBe("cron(0 0 ? * 1,7 *)");
    expect(dow("5-7")).toBe("cron(0 0 ? * 6-7,1 *)");
    expect(dow("1-5/2")).toBe("cron(0 0 ? * 2-6/2 *)");
    expect(dow("5#3")).toBe("cron(0 0 ? * 6#3 *)");
    expect(dow("5L")).toBe("cron(0 0 ? * 6L *)");
    expect(dow("MON-FRI")).toBe("cron(0 0 ? * MON-FRI *)");
  });

  it("refuses a cron that restricts both day fields, which EventBridge cannot express", () => {
    expect(() => eventBridgeExpressionOf("0 0 1 * 1")).toThrow(
      "restricts both day-of-month and day-of-week",
    );
  });
});
