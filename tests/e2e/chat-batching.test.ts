import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { DatabaseHandle } from "@hearth/db";
import type { RunningApp } from "@hearth/server-kit";
import { ChatClient, chatNode, freshDb, internal } from "./chat-harness.ts";

// A long batch window, so the policy shows clearly against loopback and scheduling noise.
const BATCH_MS = 1000;

let db: { handle: DatabaseHandle; drop(): Promise<void> };
let chat: { app: RunningApp; http: string; ws: string };

beforeAll(async () => {
  db = await freshDb();
  chat = await chatNode(db.handle, {
    CHAT_FANOUT_BATCH_MS: String(BATCH_MS),
    CHAT_FANOUT_BATCH_MIN: "1",
  });
});

afterAll(async () => {
  await chat?.app.stop();
  await db?.drop();
});

describe("fan-out batching in a big room", () => {
  test("a frame after a quiet spell goes out at once; frames close behind it share the next batch", async () => {
    const room = `room_${crypto.randomUUID().slice(0, 12)}`;
    expect((await internal(chat.http, "POST", "/rooms", { publicId: room })).status).toBe(201);
    const a = await ChatClient.join(chat.ws, room, { name: "ana" });
    const b = await ChatClient.join(chat.ws, room, { name: "bo" });
    const arrived = new Map<string, number>();
    b.ws.addEventListener("message", (e) => {
      const f = JSON.parse(String(e.data)) as { type: string; message?: { text: string } };
      if (f.type === "message" && f.message) arrived.set(f.message.text, performance.now());
    });
    // Let the join frames' batch go out, so the room has been quiet for a whole window.
    await Bun.sleep(BATCH_MS * 1.5);

    const sentFirst = performance.now();
    a.send({ type: "send", text: "first" });
    await b.next("message", 1, BATCH_MS * 5);
    const first = (arrived.get("first") ?? Number.NaN) - sentFirst;
    // Leading edge: no wait for the window (a trailing timer would hold it the full second).
    expect(first).toBeLessThan(BATCH_MS / 2);

    a.send({ type: "send", text: "second" });
    a.send({ type: "send", text: "third" });
    await b.next("message", 3, BATCH_MS * 5);
    expect(b.texts()).toEqual(["first", "second", "third"]);
    const second = (arrived.get("second") ?? Number.NaN) - (arrived.get("first") ?? Number.NaN);
    const third = (arrived.get("third") ?? Number.NaN) - (arrived.get("second") ?? Number.NaN);
    // Batches start at most one window apart, and both frames ride in the same batch.
    expect(second).toBeGreaterThan(BATCH_MS * 0.8);
    expect(third).toBeLessThan(BATCH_MS / 2);
    a.close();
    b.close();
  });
});
