export { createDynamoSagaLog, type DynamoSagaLogOptions } from "./dynamo-saga-log.js";
export { MAX_ITEM_BYTES } from "./item-size.js";
export { createSagaTable, SAGA_TABLE } from "./saga-table.js";
