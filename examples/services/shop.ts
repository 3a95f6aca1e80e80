/**
 * The services behind examples/workflows/order_processing.yaml: inventory, payments and
 * shipping, each a small HTTP JSON service. Shipping refuses the address "nowhere" with
 * 422, which fails the order late and shows the saga's compensation.
 *
 * Alone: `npx tsx examples/services/shop.ts` prints the three URLs.
 */
import { fileURLToPath } from "node:url";
import { createService, type Handler, listen, newState, type RunningService } from "./toolkit.js";

let counter = 0;
const id = (prefix: string) =>
  `${prefix}_${(++counter).toString(36)}${Date.now().toString(36).slice(-4)}`;

export function inventoryRoutes(): Record<string, Handler> {
  return {
    "POST /reservations": (body) => ({
      status: 201,
      body: { id: id("res"), order_id: body.order_id, items: body.items, status: "held" },
    }),
    "DELETE /reservations/:id": (_, p) => ({ body: { id: p.id, status: "released" } }),
    "POST /reservations/:id/confirm": (b, p) => ({
      body: { id: p.id, status: "confirmed", shipment_id: b.shipment_id },
    }),
  };
}

export function paymentRoutes(): Record<string, Handler> {
  return {
    "POST /charges": (body) => ({
      status: 201,
      body: {
        id: id("ch"),
        amount_cents: body.amount_cents,
        currency: body.currency,
        status: "captured",
      },
    }),
    "POST /charges/:id/refunds": (body, p) => ({
      status: 201,
      body: { id: id("re"), charge_id: p.id, amount_cents: body.amount_cents },
    }),
  };
}

export function shippingRoutes(): Record<string, Handler> {
  return {
    "POST /shipments": (body) =>
      body.address === "nowhere"
        ? { status: 422, body: { error: "address cannot be delivered to", address: body.address } }
        : {
            status: 201,
            body: { id: id("shp"), tracking: `TRK${Math.floor(Math.random() * 1e8)}` },
          },
  };
}

export interface Shop {
  readonly inventory: RunningService;
  readonly payments: RunningService;
  readonly shipping: RunningService;
  /** `--endpoint` overrides for order_processing.yaml. */
  readonly endpoints: Record<string, string>;
  close(): Promise<void>;
}

export async function startShop(): Promise<Shop> {
  const start = async (name: string, routes: Record<string, Handler>) => {
    const state = newState();
    return listen(name, createService(routes, state), state);
  };
  const inventory = await start("inventory", inventoryRoutes());
  const payments = await start("payments", paymentRoutes());
  const shipping = await start("shipping", shippingRoutes());
  return {
    inventory,
    payments,
    shipping,
    endpoints: { inventory: inventory.url, payments: payments.url, shipping: shipping.url },
    close: async () => {
      await Promise.all([inventory.close(), payments.close(), shipping.close()]);
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const shop = await startShop();
  for (const [name, url] of Object.entries(shop.endpoints)) console.log(`${name}=${url}`);
}
