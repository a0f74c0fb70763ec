export { type Database, type DatabaseHandle, type OpenDatabaseOptions, openDatabase } from "./client.ts";
export * from "./schema.ts";
