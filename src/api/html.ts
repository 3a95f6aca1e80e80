/** HTML escaping for the pages the API renders on the server (/docs, /ui). */

const ENTITIES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * Makes text safe as element content and as a quoted attribute value. Everything taken from
 * a run (step ids, errors, outputs) is user data and goes through here.
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ENTITIES[ch] ?? ch);
}
