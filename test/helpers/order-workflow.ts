import { readFile } from "node:fs/promises";
import type { Shop } from "../../examples/services/shop.js";

/**
 * The example order_processing workflow, calling `shop`'s services on loopback, at
 * `version` when one is given (the registry takes semantic versions only).
 */
export async function orderWorkflowText(shop: Shop, version?: string): Promise<string> {
  let text = await readFile("examples/workflows/order_processing.yaml", "utf8");
  if (version !== undefined) text = text.replace('version: "1.0"', `version: "${version}"`);
  for (const [name, url] of Object.entries(shop.endpoints))
    text = text.replace(`http://${name}:8080`, url);
  return text;
}
