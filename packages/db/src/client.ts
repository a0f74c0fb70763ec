import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PGlite } from "@electric-sql/pglite";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { migrate as migratePglite } from "drizzle-orm/pglite/migrator";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import { migrate as migratePostgres } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import * as schema from "./schema.ts";

/** The Drizzle handle every app uses, whichever driver is behind it. */
export type Database = PgDatabase<PgQueryResultHKT, typeof schema>;

/** An open database: the handle, which driver, and how to close it. */
export interface DatabaseHandle {
  db: Database;
  kind: "postgres" | "pglite";
  /** Applies the committed migrations in drizzle/. */
  migrate(): Promise<void>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** postgres:// URL; without it, PGlite. */
  url?: string | undefined;
  /** PGlite data directory; "memory://" keeps it in memory (tests). */
  dataDir?: string;
  /** Postgres schema to use (tests get a fresh one per run). */
  schema?: string;
  /** Connection pool size for postgres.js. */
  max?: number;
}

// Any fixed 64-bit number works; this one spells "hearth" so it is recognisable in pg_locks.
const MIGRATION_LOCK = 0x686561727468;
const MIGRATIONS = fileURLToPath(new URL("../../../drizzle", import.meta.url));

/** Opens Postgres (when a URL is given) or PGlite; nothing is migrated until migrate(). */
export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  if (options.url) {
    const pgSchema = options.schema;
    const sql = postgres(options.url, {
      max: options.max ?? 10,
      onnotice: () => {},
      // A fresh schema per test run: everything this handle does lands there.
      ...(pgSchema ? { connection: { search_path: pgSchema } } : {}),
      // Fail fast while Postgres is away so requests get 503 instead of hanging.
      connect_timeout: 3,
      idle_timeout: 30,
    });
    if (pgSchema) await sql.unsafe(`create schema if not exists "${pgSchema.replaceAll('"', "")}"`);
    const db = drizzlePostgres(sql, { schema }) as unknown as Database;
    return {
      db,
      kind: "postgres",
      async migrate() {
        // Apps started side by side (manager, chat) migrate at once: a session-level advisory lock lets one
        // run the migrations while the others wait, then find nothing to do. The lock lives on a connection
        // of its own, outside the pool: reserved from a pool of one (max: 1), it would starve the migration.
        const lockConn = postgres(options.url as string, { max: 1, onnotice: () => {}, connect_timeout: 3 });
        try {
          await lockConn`select pg_advisory_lock(${MIGRATION_LOCK})`;
          await migratePostgres(drizzlePostgres(sql, { schema }), {
            migrationsFolder: MIGRATIONS,
            ...(pgSchema ? { migrationsSchema: pgSchema } : {}),
          });
        } finally {
          // Ending the session releases the lock even if the unlock itself cannot be sent.
          await lockConn`select pg_advisory_unlock(${MIGRATION_LOCK})`.catch(() => {});
          await lockConn.end({ timeout: 5 });
        }
      },
      close: () => sql.end({ timeout: 5 }),
    };
  }
  const dataDir = options.dataDir ?? "memory://";
  if (!dataDir.startsWith("memory://")) mkdirSync(dataDir, { recursive: true });
  const client = new PGlite(dataDir);
  const db = drizzlePglite(client, { schema });
  return {
    db: db as unknown as Database,
    kind: "pglite",
    migrate: () => migratePglite(db, { migrationsFolder: MIGRATIONS }),
    close: () => client.close(),
  };
}
