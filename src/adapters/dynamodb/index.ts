export { createDynamoSagaLog, type DynamoSagaLogOptions } from "./dynamo-saga-log.js";
export { createDynamoGuardStore, type DynamoGuardStoreOptions } from "./guard-store.js";
export { MAX_ITEM_BYTES } from "./item-size.js";
export { createSagaTable, SAGA_TABLE } from "./saga-table.js";
