import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { ChatMessage } from "@hearth/contracts";
import type { Database } from "@hearth/db";
import { createLogger } from "@hearth/server-kit";
import { testHub } from "../testing/test-hub.ts";
import { historyStore, type ReplayRange } from "./history-store.ts";

let t: Awaited<ReturnType<typeof testHub>>;
beforeAll(async () => {
  t = await testHub();
  await t.store.openRoom("history01");
}, 60_000);
afterAll(async () => {
  await t.handle.close();
});

const msg = (i: number, ts = 1000 + i): ChatMessage => ({
  id: `m${i}`,
  userId: "user00000001",
  name: "ana",
  text: `text ${i}`,
  ts,
});

// Message ids are unique across rooms (as the server's random ones are): each test names its own.
const msgs = (prefix: string) => (i: number) => ({ ...msg(i), id: `${prefix}${i}` });

const silent = createLogger({}, { silent: true });

/** The real database with its INSERT statements counted (every other call goes straight through). */
function countingInserts(db: Database): { db: Database; inserts: () => number } {
  let n = 0;
  const counted = new Proxy(db, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (prop === "insert") {
        return (...args: unknown[]) => {
          n++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { db: counted, inserts: () => n };
}

/** Every page of a range, following `next`; checks each page's size. */
async function allPages(
  store: typeof t.store,
  room: string,
  range: Omit<ReplayRange, "after">,
  limit: number,
) {
  const out: ChatMessage[] = [];
  let after: ReplayRange["after"] = null;
  for (let pages = 1; ; pages++) {
    const page = await store.replay(room, { ...range, after }, limit);
    expect(page.messages.length).toBeLessThanOrEqual(limit);
    out.push(...page.messages);
    if (!page.next) return { messages: out, pages };
    expect(page.messages.length).toBe(limit);
    after = page.next;
  }
}

describe("history: every message stays", () => {
  test("no trimming: all 230 messages stay, the join history is the last N, counting ones not yet written", async () => {
    for (let i = 0; i < 230; i++) t.store.append("history01", msg(i));
    expect((await t.store.recent("history01", 3)).map((m) => m.id)).toEqual(["m227", "m228", "m229"]);
    await t.store.flush();
    const all = await t.store.recent("history01", 1000);
    expect(all.length).toBe(230);
    expect(all[0]).toEqual(msg(0));
    expect(all.at(-1)).toEqual(msg(229));
  });

  test("the write-behind queue still batches: 300 messages in one tick are one INSERT", async () => {
    const { db, inserts } = countingInserts(t.handle.db);
    const store = historyStore(db, silent);
    await store.openRoom("batch0001");
    const before = inserts();
    for (let i = 0; i < 300; i++) store.append("batch0001", { ...msg(i), id: `b${i}` });
    await store.flush();
    expect(inserts() - before).toBe(1);
    expect((await store.recent("batch0001", 500)).length).toBe(300);
  });

  test("removed messages are gone, whether written yet or not", async () => {
    t.store.append("history01", msg(500));
    expect(await t.store.remove("history01", "m500")).toBe(true);
    expect(await t.store.remove("history01", "m229")).toBe(true);
    expect(await t.store.remove("history01", "m229")).toBe(false);
    await t.store.flush();
    const ids = (await t.store.recent("history01", 5)).map((m) => m.id);
    expect(ids).toEqual(["m224", "m225", "m226", "m227", "m228"]);
    const replayed = await allPages(t.store, "history01", { from: 0, to: null }, 100);
    expect(replayed.messages.map((m) => m.id)).not.toContain("m229");
    expect(replayed.messages.map((m) => m.id)).not.toContain("m500");
    expect(replayed.messages.length).toBe(229);
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

  test("closing a room keeps its messages (even ones still queued) and forgets its bans", async () => {
    const m = msgs("c");
    await t.store.openRoom("closing01");
    for (let i = 0; i < 5; i++) t.store.append("closing01", m(i));
    await t.store.ban("closing01", "banned000001", null);
    // No flush: closeRoom itself must write what is queued.
    await t.store.closeRoom("closing01");
    expect(await t.store.room("closing01")).toBeUndefined();
    expect(await t.store.exists("closing01")).toBe(true);
    expect(await t.store.exists("neveropen1")).toBe(false);
    const page = await t.store.replay("closing01", { from: 0, to: null, after: null }, 100);
    expect(page).toEqual({ messages: [0, 1, 2, 3, 4].map((i) => m(i)), next: null });
    // Reopened (the manager retrying), the room has no ban left and its history back.
    await t.store.openRoom("closing01");
    expect((await t.store.room("closing01"))?.bans.size).toBe(0);
    expect((await t.store.recent("closing01", 2)).map((m) => m.id)).toEqual(["c3", "c4"]);
  });
});

describe("replay", () => {
  // Arrival order differs from server-time order (two nodes' clocks), and several messages share a millisecond.
  const times = [5000, 3000, 3000, 7000, 3000, 5000, 9000, 1000, 7000, 7000, 2000, 8000];
  const arrived = times.map((ts, i) => ({ ...msg(i, ts), id: `r${i}` }));
  // Server-time order; within one millisecond, arrival (insertion) order.
  const expected = arrived
    .map((m, i) => ({ m, i }))
    .sort((a, b) => a.m.ts - b.m.ts || a.i - b.i)
    .map(({ m }) => m);

  beforeAll(async () => {
    await t.store.openRoom("replay001");
    await t.store.openRoom("replay002");
    for (const m of arrived) t.store.append("replay001", m);
    // Another room's messages at the same times never show.
    for (const m of arrived) t.store.append("replay002", { ...m, id: `o${m.id}` });
    await t.store.flush();
  });

  test("one page: server-time order, ties in arrival order", async () => {
    const page = await t.store.replay("replay001", { from: 0, to: null, after: null }, 100);
    expect(page.messages).toEqual(expected);
    expect(page.next).toBeNull();
  });

  test("paging through next, at every page size, gives each message exactly once, in order", async () => {
    for (const limit of [1, 2, 3, 5, 11, 12, 13]) {
      const all = await allPages(t.store, "replay001", { from: 0, to: null }, limit);
      expect(all.messages).toEqual(expected);
      // A page says `next` only when more follow: exactly as many pages as the messages fill.
      expect(all.pages).toBe(Math.ceil(expected.length / limit));
    }
  });

  test("range bounds are inclusive at both ends, from any page size", async () => {
    for (const limit of [2, 100]) {
      const all = await allPages(t.store, "replay001", { from: 3000, to: 7000 }, limit);
      expect(all.messages).toEqual(expected.filter((m) => m.ts >= 3000 && m.ts <= 7000));
    }
    const none = await t.store.replay("replay001", { from: 9001, to: null, after: null }, 10);
    expect(none).toEqual({ messages: [], next: null });
    const one = await t.store.replay("replay001", { from: 9000, to: 9000, after: null }, 10);
    expect(one.messages.map((m) => m.id)).toEqual(["r6"]);
  });

  test("messages still in the write-behind queue are included, once, and paging stays exact", async () => {
    const msg = msgs("q");
    await t.store.openRoom("queued001");
    for (let i = 0; i < 6; i++) t.store.append("queued001", msg(i));
    await t.store.flush();
    // Queued: not written until the timer or a flush.
    for (let i = 6; i < 10; i++) t.store.append("queued001", msg(i));
    const whole = await t.store.replay("queued001", { from: 0, to: null, after: null }, 100);
    expect(whole).toEqual({ messages: [...Array(10).keys()].map((i) => msg(i)), next: null });
    // The queue straddles a page boundary: still each message exactly once, in order.
    for (let i = 10; i < 14; i++) t.store.append("queued001", msg(i));
    const paged = await allPages(t.store, "queued001", { from: 0, to: null }, 4);
    expect(paged.messages).toEqual([...Array(14).keys()].map((i) => msg(i)));
    for (let i = 14; i < 16; i++) t.store.append("queued001", msg(i));
    const tail = await t.store.replay("queued001", { from: msg(13).ts, to: null, after: null }, 4);
    expect(tail).toEqual({ messages: [13, 14, 15].map((i) => msg(i)), next: null });
    await t.store.flush();
    expect((await allPages(t.store, "queued001", { from: 0, to: null }, 5)).messages.length).toBe(16);
  });

  test("a range delete removes that room's written and queued messages in the range, nothing else", async () => {
    const msg = msgs("d");
    await t.store.openRoom("rangedel1");
    for (let i = 0; i < 10; i++) t.store.append("rangedel1", msg(i));
    await t.store.flush();
    t.store.append("rangedel1", msg(10));
    t.store.append("rangedel1", msg(11));
    t.store.append("replay002", { ...msg(10), id: "other10" });
    expect(await t.store.removeRange("rangedel1", msg(3).ts, msg(10).ts)).toEqual(
      [3, 4, 5, 6, 7, 8, 9, 10].map((i) => `d${i}`),
    );
    await t.store.flush();
    const left = await t.store.replay("rangedel1", { from: 0, to: null, after: null }, 100);
    expect(left.messages.map((m) => m.id)).toEqual(["d0", "d1", "d2", "d11"]);
    expect((await t.store.replay("replay002", { from: 0, to: null, after: null }, 100)).messages.length).toBe(
      13,
    );
    expect(await t.store.removeRange("rangedel1", 0, 1)).toEqual([]);
  });
});
