import { afterAll, beforeAll, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { type DatabaseHandle, openDatabase } from "@hearth/db";
import { type SQLWrapper, sql } from "drizzle-orm";
import { inTimeRange, recentQuery, replayQuery } from "./message-queries.ts";

// Messages are kept for as long as recordings are, so the table grows without bound. Postgres (the real server,
// not PGlite) is asked how it runs the store's exact queries on a table of many rooms' messages: each must be an
// index range scan, never a read of the whole table or of a whole room.
const PG_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const schema = `t_chatq_${randomBytes(5).toString("hex")}`;
const ROOMS = 100;
const PER_ROOM = 1000;
const T0 = 1_800_000_000_000;
let handle: DatabaseHandle;

beforeAll(async () => {
  handle = await openDatabase({ url: PG_URL, schema, max: 2 });
  await handle.migrate();
  // 100 rooms x 1,000 messages, one a second (several rooms share each second).
  await handle.db.execute(sql`
    insert into chat_messages (id, room_id, user_id, display_name, text, created_at)
    select 'x' || r || '-' || i, 'room' || lpad(r::text, 6, '0'), 'user00000001', 'ana', 'hello',
      to_timestamp(${T0 / 1000} + i)
    from generate_series(1, ${ROOMS}) r, generate_series(1, ${PER_ROOM}) i`);
  await handle.db.execute(sql`analyze chat_messages`);
}, 120_000);

afterAll(async () => {
  await handle?.close();
  const admin = await openDatabase({ url: PG_URL, max: 1 });
  await admin.db.execute(sql.raw(`drop schema if exists "${schema}" cascade`));
  await admin.close();
});

async function plan(query: SQLWrapper): Promise<string> {
  const rows = (await handle.db.execute(sql`explain ${query}`)) as unknown as Array<{ "QUERY PLAN": string }>;
  const text = rows.map((r) => r["QUERY PLAN"]).join("\n");
  console.log(text);
  return text;
}

test("the join history reads the room's newest rows backwards on (room_id, seq)", async () => {
  const p = await plan(recentQuery(handle.db, "room000042", 50));
  expect(p).toContain("Index Scan Backward using chat_messages_room_idx");
  expect(p).not.toContain("Seq Scan");
  expect(p).not.toMatch(/^\s*(->\s*)?Sort\b/m);
  const rows = await recentQuery(handle.db, "room000042", 50);
  expect(rows.length).toBe(50);
  expect(rows.every((r) => r.id.startsWith("x42-"))).toBe(true);
});

test("a replay page, first or following, is an index range scan on (room_id, created_at)", async () => {
  const from = T0 + 100_000;
  const first = replayQuery(handle.db, "room000042", { from, to: null, after: null }, 501);
  const later = replayQuery(
    handle.db,
    "room000042",
    { from, to: T0 + 900_000, after: { ts: T0 + 700_000, seq: 0 } },
    501,
  );
  for (const q of [first, later]) {
    const p = await plan(q);
    expect(p).toContain("chat_messages_room_time_idx");
    expect(p).not.toContain("Seq Scan");
  }
  const rows = await later;
  expect(rows[0]?.createdAt.getTime()).toBe(T0 + 700_000);
  expect(rows.at(-1)?.createdAt.getTime()).toBe(T0 + 900_000);
});

test("a range delete finds its rows through the same index", async () => {
  const p = await plan(sql`delete from chat_messages where ${inTimeRange("room000042", T0, T0 + 60_000)}`);
  expect(p).toContain("chat_messages_room_time_idx");
  expect(p).not.toContain("Seq Scan");
});
