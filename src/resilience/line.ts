/**
 * The line of held-back calls, pure. A call that cannot go now is told when to come back; if
 * every such call were told "at the next token" (or "when a slot frees"), a backlog of N
 * would all come back at once, one would get through and N − 1 be held back again, each time
 * at the price of a saga-log write and a queue message. Instead each takes the next place in
 * a line spaced one token (or one expected slot release) apart, so the backlog comes back at
 * the pace it can be served.
 *
 * @returns the caller's slot (`from` or the end of the line, whichever is later) and the new end.
 */
export function joinLine(
  end: number | undefined,
  from: number,
  spacingMs: number,
): { slot: number; end: number } {
  const slot = end === undefined ? from : Math.max(from, end);
  return { slot, end: slot + spacingMs };
}
