import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RoomCounts } from "@hearth/contracts";
import type { RunningApp } from "@hearth/server-kit";
import { ChatClient, freshDb, insertStream, internal, manager, until } from "./chat-harness.ts";
import { type ChatProcess, spawnChatNode } from "./chat-nodes.ts";

// Two chat node processes sharing rooms through the machine's Redis on 127.0.0.1:6379
// (a random channel prefix keeps this run apart from anything else using that Redis).
let db: Awaited<ReturnType<typeof freshDb>>;
let a: ChatProcess;
let b: ChatProcess;
let mgr: { app: RunningApp; url: string };

beforeAll(async () => {
  db = await freshDb();
  mgr = await manager(db.handle);
  const prefix = `test:chat:${randomBytes(4).toString("hex")}`;
  const common = {
    schema: db.schema,
    redisUrl: "redis://127.0.0.1:6379",
    prefix,
    // Batched fan-out from 2 sockets up, so ordering and room_closed are checked with batching on too.
    env: {
      CHAT_RATE_MESSAGES: "1000",
      CHAT_RATE_BURST: "1000",
      CHAT_FANOUT_BATCH_MIN: "2",
      MANAGER_INTERNAL_URL: mgr.url,
    },
  };
  [a, b] = await Promise.all([
    spawnChatNode({
      id: "node-a",
      logFile: join(tmpdir(), `${prefix}-a.log`.replaceAll(":", "_")),
      ...common,
    }),
    spawnChatNode({
      id: "node-b",
      logFile: join(tmpdir(), `${prefix}-b.log`.replaceAll(":", "_")),
      ...common,
    }),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await mgr?.app.stop();
  await db?.drop();
});

describe("two chat nodes through Redis", () => {
  test("messages cross nodes exactly once, in one order per room", { timeout: 30_000 }, async () => {
    const room = `xnode_${randomBytes(5).toString("hex")}`;
    expect((await internal(a.http, "POST", "/rooms", { publicId: room })).status).toBe(201);
    const clients = await Promise.all([
      ChatClient.join(a.ws, room, { name: "a1" }),
      ChatClient.join(a.ws, room, { name: "a2" }),
      ChatClient.join(b.ws, room, { name: "b1" }),
      ChatClient.join(b.ws, room, { name: "b2" }),
    ]);
    const PER = 50;
    for (let i = 0; i < PER; i++) {
      for (const c of clients) c.send({ type: "send", text: `${c.hello.you.name}:${i}` });
      if (i % 10 === 9) await Bun.sleep(5);
    }
    const total = PER * clients.length;
    await Promise.all(clients.map((c) => c.next("message", total, 15_000)));
    await Bun.sleep(300); // anything extra (a duplicate) would arrive by now
    const reference = clients[0]?.texts() ?? [];
    expect(reference.length).toBe(total);
    expect(new Set(reference).size).toBe(total);
    for (const c of clients) {
      expect(c.texts()).toEqual(reference);
      expect(new Set(c.all("message").map((m) => m.message.id)).size).toBe(total);
    }
    for (const sender of ["a1", "a2", "b1", "b2"]) {
      const mine = reference.filter((t) => t.startsWith(`${sender}:`));
      expect(mine).toEqual(Array.from({ length: PER }, (_, i) => `${sender}:${i}`));
    }
    // Both nodes interleaved: order is the bus's, not "all of A then all of B".
    expect(reference.slice(0, 40).some((t) => t.startsWith("a"))).toBe(true);
    expect(reference.slice(0, 40).some((t) => t.startsWith("b"))).toBe(true);

    // Counts are summed across nodes for the manager.
    await until(
      "counts summed over both nodes",
      async () => {
        const counts = RoomCounts.parse(await (await internal(b.http, "GET", "/rooms/counts")).json());
        return counts.rooms[room]?.viewers === 4 && counts.rooms[room]?.chatters === 4;
      },
      10_000,
    );

    // A late joiner on B sees history written by both nodes.
    const late = await ChatClient.join(b.ws, room);
    expect(late.hello.history.map((m) => m.text)).toEqual(reference.slice(-50));

    // Closing the room through node B closes it for node A's clients too.
    expect((await internal(b.http, "DELETE", `/rooms/${room}`)).status).toBe(204);
    for (const c of [...clients, late]) expect((await c.closed).code).toBe(4000);
    expect(clients[0]?.all("room_closed").length).toBe(1);
  });

  test("moderation on one node reaches the other: delete, slow mode and a ban", {
    timeout: 20_000,
  }, async () => {
    const { publicId, key } = await insertStream(db.handle);
    expect((await internal(b.http, "POST", "/rooms", { publicId })).status).toBe(201);
    const mod = await ChatClient.join(a.ws, publicId, { name: "streamer" });
    const viewer = await ChatClient.join(b.ws, publicId, { name: "viewer" });
    mod.send({ type: "auth", key });
    await mod.next("auth_ok");
    viewer.send({ type: "send", text: "rude" });
    const rude = (await mod.next("message")).message;
    mod.send({ type: "delete", messageId: rude.id });
    expect((await viewer.next("delete")).messageId).toBe(rude.id);
    mod.send({ type: "slow", seconds: 30 });
    expect((await viewer.next("slow")).seconds).toBe(30);
    mod.send({ type: "ban", userId: viewer.hello.you.userId });
    expect((await viewer.closed).code).toBe(4003);
    // Reconnecting to either node with the same identity is refused.
    for (const node of [a, b]) {
      const again = new ChatClient(`${node.ws}/rooms/${publicId}`, viewer.hello.you.identity);
      await again.error("banned");
      expect((await again.closed).code).toBe(4003);
    }
    mod.close();
  });

  test("display names are unique in a room across nodes while connected", async () => {
    const room = `names_${randomBytes(5).toString("hex")}`;
    expect((await internal(a.http, "POST", "/rooms", { publicId: room })).status).toBe(201);
    const first = await ChatClient.join(a.ws, room, { name: "Dup" });
    expect(first.hello.you.name).toBe("Dup");
    const second = await ChatClient.join(b.ws, room, { name: "dup" });
    expect(second.hello.you.name).toBeNull();
    await second.error("name_taken");
    second.send({ type: "nick", name: "DUP" });
    await until(
      "two name_taken",
      () => second.all("error").filter((e) => e.code === "name_taken").length === 2,
    );
    first.close();
    await first.closed;
    await until(
      "the name is free again",
      async () => {
        second.send({ type: "nick", name: "dup" });
        await Bun.sleep(100);
        return second.all("nick").length === 1;
      },
      5000,
    );
    const third = await ChatClient.join(a.ws, room, { name: "DUP" });
    expect(third.hello.you.name).toBeNull();
    second.close();
    third.close();
  });
});
