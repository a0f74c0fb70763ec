import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { RoomCounts } from "@hearth/contracts";
import type { DatabaseHandle } from "@hearth/db";
import type { RunningApp } from "@hearth/server-kit";
import { ChatClient, chatNode, freshDb, internal, until } from "./chat-harness.ts";

let db: { handle: DatabaseHandle; drop(): Promise<void> };
let chat: { app: RunningApp; http: string; ws: string };

beforeAll(async () => {
  db = await freshDb();
  chat = await chatNode(db.handle, { PUBLIC_CHAT_BASE: "ws://chat.example:8082" });
});

afterAll(async () => {
  await chat?.app.stop();
  await db?.drop();
});

async function newRoom(): Promise<string> {
  const publicId = `room_${crypto.randomUUID().slice(0, 12)}`;
  const res = await internal(chat.http, "POST", "/rooms", { publicId });
  expect(res.status).toBe(201);
  expect(await res.json()).toEqual({ chatUrl: `ws://chat.example:8082/rooms/${publicId}` });
  return publicId;
}

describe("a chat room", () => {
  test("the internal API wants the internal token", async () => {
    const res = await fetch(`${chat.http}/internal/rooms`, { method: "POST", body: "{}" });
    expect(res.status).toBe(401);
    const wrong = await fetch(`${chat.http}/internal/rooms/counts`, {
      headers: { authorization: "Bearer nope" },
    });
    expect(wrong.status).toBe(403);
    expect(await wrong.json()).toEqual({ error: { code: "forbidden", message: "internal token rejected" } });
  });

  test("two clients see each other's messages, in the same order", async () => {
    const room = await newRoom();
    const a = await ChatClient.join(chat.ws, room, { name: "ana" });
    const b = await ChatClient.join(chat.ws, room, { name: "bo" });
    expect(a.hello.you.name).toBe("ana");
    expect(a.hello.you.userId).not.toBe(b.hello.you.userId);
    await a.next("join", 1); // bo joined
    for (let i = 0; i < 3; i++) {
      a.send({ type: "send", text: `a${i}` });
      b.send({ type: "send", text: `b${i}` });
    }
    await a.next("message", 6);
    await b.next("message", 6);
    expect(a.texts()).toEqual(b.texts());
    expect(a.texts().filter((t) => t.startsWith("a"))).toEqual(["a0", "a1", "a2"]);
    expect(b.texts().filter((t) => t.startsWith("b"))).toEqual(["b0", "b1", "b2"]);
    const m = a.all("message")[0]?.message;
    expect(m?.name).toMatch(/^(ana|bo)$/);
    expect(Math.abs((m?.ts ?? 0) - Date.now())).toBeLessThan(10_000);
    a.close();
    b.close();
  });

  test("a late joiner gets the last 50 messages; the database keeps every one (for chat replay)", async () => {
    const room = await newRoom();
    // The token bucket is per connection: many short-lived senders fill the history quickly.
    for (let i = 0; i < 215; i += 3) {
      const c = await ChatClient.join(chat.ws, room, { name: `s${i}` });
      for (let j = i; j < Math.min(i + 3, 215); j++) c.send({ type: "send", text: `m${j}` });
      await c.next("message", Math.min(3, 215 - i));
      c.close();
      await c.closed;
    }
    const late = await ChatClient.join(chat.ws, room);
    const history = late.hello.history.map((m) => m.text);
    expect(history.length).toBe(50);
    expect(history[0]).toBe("m165");
    expect(history[49]).toBe("m214");
    late.close();
    await until("history written", async () => {
      const rows = (await db.handle.db.execute(
        `select count(*)::int as n, min(text) as first from chat_messages where room_id = '${room}'`,
      )) as unknown as Array<{ n: number }> | { rows: Array<{ n: number }> };
      const list = Array.isArray(rows) ? rows : rows.rows;
      return list[0]?.n === 215;
    });
  });

  test("HTML comes back as the same text", async () => {
    const room = await newRoom();
    const a = await ChatClient.join(chat.ws, room, { name: "mallory" });
    const html = `<img src=x onerror="alert(1)"> <b>&amp;</b> <script>alert('x')</script>`;
    a.send({ type: "send", text: html });
    expect((await a.next("message")).message.text).toBe(html);
    a.close();
    const b = await ChatClient.join(chat.ws, room);
    expect(b.hello.history.map((m) => m.text)).toEqual([html]);
    b.close();
  });

  test("names: 1-25 characters, no control characters, unique in the room while connected", async () => {
    const room = await newRoom();
    const a = await ChatClient.join(chat.ws, room, { name: "Zoë" });
    const b = await ChatClient.join(chat.ws, room);
    b.send({ type: "send", text: "anonymous" });
    await b.error("name_required");
    b.send({ type: "nick", name: "zoë" });
    await b.error("name_taken");
    b.send({ type: "nick", name: "x".repeat(26) });
    b.send({ type: "nick", name: "bad\nname" });
    await until(
      "two invalid_frame errors",
      () => b.all("error").filter((e) => e.code === "invalid_frame").length === 2,
    );
    b.send({ type: "nick", name: "  zed  " });
    expect((await b.next("nick")).name).toBe("zed");
    a.close();
    await a.closed;
    b.send({ type: "nick", name: "ZOË" });
    expect((await b.next("nick", 2)).name).toBe("ZOË");
    b.close();
  });

  test("counts reach the internal API; closing the room tells everyone and disconnects them", async () => {
    const room = await newRoom();
    const a = await ChatClient.join(chat.ws, room, { name: "ana" });
    const b = await ChatClient.join(chat.ws, room);
    const counts = RoomCounts.parse(await (await internal(chat.http, "GET", "/rooms/counts")).json());
    expect(counts.rooms[room]).toEqual({ viewers: 2, chatters: 1 });
    const metrics = await (await fetch(`${chat.http}/metrics`)).text();
    expect(metrics).toMatch(/^chat_connections [1-9]\d*$/m);
    expect(metrics).toMatch(/^chat_messages_in_total \d+$/m);
    expect((await internal(chat.http, "DELETE", `/rooms/${room}`)).status).toBe(204);
    await a.next("room_closed");
    await b.next("room_closed");
    expect((await a.closed).code).toBe(4000);
    expect((await b.closed).code).toBe(4000);
    const again = new ChatClient(`${chat.ws}/rooms/${room}`);
    await again.error("room_not_found");
    expect((await again.closed).code).toBe(4004);
  });

  test("a room that was never created refuses the connection", async () => {
    const c = new ChatClient(`${chat.ws}/rooms/never_created_1`);
    await c.error("room_not_found");
    expect((await c.closed).code).toBe(4004);
    const plain = await fetch(`${chat.http}/rooms/never_created_1`);
    expect(plain.status).toBe(426);
  });
});
