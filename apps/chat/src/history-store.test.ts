import { afterAll, beforeAll, expect, test } from "bun:test";
import { testHub } from "../testing/test-hub.ts";
import { HISTORY_KEEP } from "./history-store.ts";

let t: Awaited<ReturnType<typeof testHub>>;
beforeAll(async () => {
  t = await testHub();
  await t.store.openRoom("history01");
});
afterAll(async () => {
  await t.handle.close();
});

const msg = (i: number) => ({
  id: `m${i}`,
  userId: "user00000001",
  name: "ana",
  text: `text ${i}`,
  ts: 1000 + i,
});

test("keeps the last 200 messages, oldest first, counting ones not yet written", async () => {
  for (let i = 0; i < 230; i++) t.store.append("history01", msg(i));
  expect((await t.store.recent("history01", 3)).map((m) => m.id)).toEqual(["m227", "m228", "m229"]);
  await t.store.flush();
  const all = await t.store.recent("history01", 1000);
  expect(all.length).toBe(HISTORY_KEEP);
  expect(all[0]?.id).toBe("m30");
  expect(all.at(-1)).toEqual(msg(229));
});

test("removed messages are gone, whether written yet or not", async () => {
  t.store.append("history01", msg(500));
  expect(await t.store.remove("history01", "m500")).toBe(true);
  expect(await t.store.remove("history01", "m229")).toBe(true);
  expect(await t.store.remove("history01", "m229")).toBe(false);
  await t.store.flush();
  const ids = (await t.store.recent("history01", 5)).map((m) => m.id);
  expect(ids).toEqual(["m224", "m225", "m226", "m227", "m228"]);
});

test("bans and time-outs: active ones load with the room, expired and lifted ones do not", async () => {
  await t.store.ban("history01", "banned000001", null);
  await t.store.ban("history01", "timedout0001", Date.now() + 60_000);
  await t.store.ban("history01", "expired00001", Date.now() - 1);
  await t.store.ban("history01", "forgiven0001", null);
  await t.store.unban("history01", "forgiven0001");
  const room = await t.store.room("history01");
  expect([...(room?.bans.keys() ?? [])].sort()).toEqual(["banned000001", "timedout0001"]);
  expect(room?.bans.get("banned000001")).toBeNull();
});
