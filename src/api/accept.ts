/** Content negotiation for routes that answer both browsers and API clients. */

interface MediaRange {
  readonly type: string;
  readonly q: number;
}

function parseAccept(header: string): MediaRange[] {
  return header.split(",").flatMap((part) => {
    const [type = "", ...params] = part.split(";").map((s) => s.trim().toLowerCase());
    if (type === "") return [];
    const q = params.find((p) => p.startsWith("q="));
    const weight = q === undefined ? 1 : Number(q.slice(2));
    return [{ type, q: Number.isFinite(weight) ? weight : 0 }];
  });
}

/** The weight the header gives `type`, from its most specific matching range. */
function weightOf(ranges: readonly MediaRange[], type: string): number {
  const [major] = type.split("/");
  const exact = ranges.find((r) => r.type === type);
  if (exact) return exact.q;
  const family = ranges.find((r) => r.type === `${major}/*`);
  if (family) return family.q;
  return ranges.find((r) => r.type === "*/*")?.q ?? 0;
}

/**
 * Whether the client asked for HTML rather than JSON: it names `text/html` itself, with a
 * higher weight than JSON gets. Browsers do (`text/html,…,*\/*;q=0.8`); `curl`, `fetch` and
 * SDKs send `*\/*`, `application/json` or nothing, and keep getting JSON.
 */
export function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  const ranges = parseAccept(accept);
  const html = ranges.find((r) => r.type === "text/html")?.q ?? 0;
  return html > 0 && html > weightOf(ranges, "application/json");
}
