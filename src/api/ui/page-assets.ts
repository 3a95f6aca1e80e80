/**
 * The run page's stylesheet and its one script, inline so the page needs no build and no
 * second request, and allowed by hash in a strict Content-Security-Policy: even markup that
 * slipped past escaping could not run a script or load anything from elsewhere.
 */
import { createHash } from "node:crypto";
import type { DisplayStatus } from "./run-view.js";

/** Stroke/text colour and fill per status; run statuses reuse the step ones. */
const PALETTE: Readonly<Record<DisplayStatus | "cancelled", readonly [string, string]>> = {
  pending: ["#868e96", "#f8f9fa"],
  running: ["#1971c2", "#e7f5ff"],
  waiting: ["#e67700", "#fff9db"],
  succeeded: ["#2b8a3e", "#ebfbee"],
  failed: ["#c92a2a", "#fff5f5"],
  skipped: ["#868e96", "#f1f3f5"],
  compensating: ["#9c36b5", "#f8f0fc"],
  compensated: ["#6741d9", "#f3f0ff"],
  compensation_failed: ["#a61e4d", "#fff0f6"],
  cancelled: ["#495057", "#f1f3f5"],
};

export const STATUS_COLOURS: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(PALETTE).map(([status, [colour]]) => [status, colour]),
);

const statusRules = Object.entries(PALETTE)
  .map(([status, [c, bg]]) => `.status-${status}{--c:${c};--bg:${bg}}`)
  .join("");

export const STYLE = `${statusRules}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#212529;background:#f4f5f7}
main{max-width:1200px;margin:0 auto;padding:24px 28px 48px}
a{color:#1864ab}
code,pre,.mono{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace;font-size:12.5px}
header{display:flex;flex-wrap:wrap;align-items:center;gap:10px 16px;margin-bottom:8px}
header nav{flex-basis:100%;font-size:13px;color:#868e96}
h1{font-size:22px;margin:0;font-weight:650}
h1 .version{color:#868e96;font-weight:400}
h2{font-size:15px;margin:0 0 12px;text-transform:uppercase;letter-spacing:.04em;color:#495057}
section{background:#fff;border:1px solid #e3e6ea;border-radius:10px;padding:18px 20px;margin-top:16px}
.badge{display:inline-block;padding:2px 10px;border-radius:999px;border:1px solid var(--c);color:var(--c);background:var(--bg);font-weight:600;font-size:12.5px;white-space:nowrap}
.live{font-size:12px;color:#1971c2}
.live::before{content:"";display:inline-block;width:8px;height:8px;margin-right:5px;border-radius:50%;background:#1971c2;animation:pulse 1.2s infinite}
@keyframes pulse{50%{opacity:.25}}
.facts{display:flex;flex-wrap:wrap;gap:4px 28px;margin:6px 0 0;flex-basis:100%;color:#495057}
.facts div{display:flex;gap:6px}.facts dt{color:#868e96}.facts dd{margin:0}
.failure{border-color:#ffc9c9;background:#fff5f5}
.failure h2{color:#c92a2a;text-transform:none;letter-spacing:0;font-size:16px}
.failure p{margin:0}
.error{color:#c92a2a;white-space:pre-wrap;word-break:break-word}
.graph-wrap{overflow-x:auto;padding-bottom:4px}
.graph .step .box{fill:var(--bg);stroke:var(--c);stroke-width:1.5}
.graph .step .accent{fill:var(--c)}
.graph .status-skipped .box,.graph .status-compensating .box,.graph .status-pending .box{stroke-dasharray:5 3}
.graph .status-running .accent,.graph .status-compensating .accent{animation:pulse 1.2s infinite}
.graph text{font-size:12px;fill:#495057}
.graph .id{font-size:13.5px;font-weight:650;fill:#212529}
.graph .call{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:11px}
.graph .status{fill:var(--c);font-weight:650;font-size:12.5px}
.graph .detail{font-size:11.5px;fill:#6c757d}
.graph .edge{fill:none;stroke:#ced4da;stroke-width:1.6}
.graph .edge.from-succeeded,.graph .edge.from-compensated{stroke:#8ce99a}
.graph marker path{fill:#adb5bd}
.graph .group rect{fill:none;stroke:#adb5bd;stroke-dasharray:4 4}
.graph .group text{font-size:11px;fill:#868e96}
.graph .undo-badge circle{fill:#6741d9}
.graph .undo-badge text{fill:#fff;font-size:10px;font-weight:700;text-anchor:middle}
.legend{display:flex;flex-wrap:wrap;gap:6px;list-style:none;padding:0;margin:12px 0 0}
.legend li{font-size:11.5px}
table{border-collapse:collapse;width:100%}
th.num{text-align:right}
th{text-align:left;font-size:12px;color:#868e96;font-weight:600;border-bottom:1px solid #dee2e6;padding:6px 10px}
td{border-bottom:1px solid #f1f3f5;padding:8px 10px;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.result{max-width:420px;word-break:break-word}
tr.status-failed td{background:#fff8f8}
summary{cursor:pointer;color:#495057;list-style:none;display:flex;gap:8px;align-items:baseline;min-width:0}
summary::-webkit-details-marker{display:none}
summary::before{content:"▸";color:#868e96}
details[open]>summary::before{content:"▾"}
summary .label{flex-shrink:0}
summary .preview{overflow:hidden;text-overflow:ellipsis;white-space:nowrap;min-width:0}
pre{background:#f8f9fa;border:1px solid #e9ecef;border-radius:6px;padding:10px;overflow:auto;max-height:320px;margin:6px 0 0}
.muted{color:#868e96}
ol.compensations{margin:0;padding:0;list-style:none;counter-reset:undo}
ol.compensations li{display:grid;grid-template-columns:34px 1fr auto;gap:4px 12px;align-items:baseline;padding:8px 0;border-bottom:1px solid #f1f3f5}
ol.compensations li:last-child{border-bottom:0}
ol.compensations .order{font-weight:700;color:var(--c);text-align:right}
ol.compensations .what{display:flex;flex-wrap:wrap;gap:4px 10px;align-items:baseline}
ol.compensations .error{grid-column:2/4}
`;

/**
 * While the run is live, fetch this same page again every second and swap the run in
 * (no reload, no flicker; open details stay open); stop once it is final. Fetching the page
 * itself rather than the SSE stream keeps working when a proxy or a browser extension adds
 * an Authorization header, which EventSource cannot send.
 */
export const LIVE_SCRIPT = `(() => {
  const current = () => document.getElementById("run");
  const tick = async () => {
    try {
      const res = await fetch(location.href, { headers: { accept: "text/html" }, cache: "no-store" });
      if (res.ok) {
        const next = new DOMParser().parseFromString(await res.text(), "text/html").getElementById("run");
        const now = current();
        if (next && now) {
          const open = [...now.querySelectorAll("details[open][id]")].map((d) => d.id);
          now.replaceWith(next);
          for (const id of open) document.getElementById(id)?.setAttribute("open", "");
          document.title = next.dataset.title || document.title;
        }
      }
    } catch {}
    if (current()?.dataset.final !== "true") setTimeout(tick, 1000);
  };
  if (current()?.dataset.final !== "true") setTimeout(tick, 1000);
})();`;

const sha256 = (text: string) => `'sha256-${createHash("sha256").update(text).digest("base64")}'`;

export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `style-src ${sha256(STYLE)}`,
  `script-src ${sha256(LIVE_SCRIPT)}`,
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");
