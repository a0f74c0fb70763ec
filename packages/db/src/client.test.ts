import { expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import { openDatabase } from "./client.ts";

const URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
/** How many migrations the repository holds. */
const MIGRATIONS = (
  (await Bun.file(new globalThis.URL("../../../drizzle/meta/_journal.json", import.meta.url)).json()) as {
    entries: unknown[];
  }
).entries.length;

test("several processes migrating one Postgres at once: one runs the migrations, the others wait", async () => {
  const schema = `t_${randomBytes(6).toString("hex")}`;
  const handles = [];
  for (let i = 0; i < 3; i++) handles.push(await openDatabase({ url: URL, schema, max: 2 }));
  try {
    await Promise.all(handles.map((h) => h.migrate()));
    const rows = (await handles[0]?.db.execute(
      sql.raw(`select count(*)::int as n from "${schema}"."__drizzle_migrations"`),
    )) as unknown as Array<{ n: number }>;
    // Each migration recorded exactly once.
    expect(MIGRATIONS).toBeGreaterThan(0);
    expect(rows[0]?.n).toBe(MIGRATIONS);
  } finally {
    await handles[0]?.db.execute(sql.raw(`drop schema "${schema}" cascade`));
    await Promise.all(handles.map((h) => h.close()));
  }
});

test("a pool of one connection migrates (the migration lock does not take the pool's only connection)", async () => {
  const schema = `t_${randomBytes(6).toString("hex")}`;
  const h = await openDatabase({ url: URL, schema, max: 1 });
  try {
    await h.migrate();
    const rows = (await h.db.execute(
      sql.raw(`select count(*)::int as n from "${schema}"."streams"`),
    )) as unknown as Array<{ n: number }>;
    expect(rows[0]?.n).toBe(0);
  } finally {
    await h.db.execute(sql.raw(`drop schema "${schema}" cascade`));
    await h.close();
  }
}, 15_000);

test("PGlite in memory migrates and answers", async () => {
  const h = await openDatabase({ dataDir: "memory://" });
  await h.migrate();
  const rows = (await h.db.execute(sql`select count(*)::int as n from streams`)) as unknown as {
    rows: Array<{ n: number }>;
  };
  expect(rows.rows[0]?.n).toBe(0);
  await h.close();
});
