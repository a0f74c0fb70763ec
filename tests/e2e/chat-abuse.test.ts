import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createConnection, type Socket } from "node:net";
import { RoomCounts } from "@hearth/contracts";
import type { DatabaseHandle } from "@hearth/db";
import type { RunningApp } from "@hearth/server-kit";
import { ChatClient, chatNode, freshDb, internal, until } from "./chat-harness.ts";

let db: { handle: DatabaseHandle; drop(): Promise<void> };
// One node with the default flood limits, one with them lifted to flood a slow reader.
let chat: { app: RunningApp; http: string; ws: string };
let loose: { app: RunningApp; http: string; ws: string };

beforeAll(async () => {
  db = await freshDb();
  chat = await chatNode(db.handle, {});
  loose = await chatNode(db.handle, {
    CHAT_RATE_MESSAGES: "1000000",
    CHAT_RATE_BURST: "1000000",
    CHAT_BACKPRESSURE_LIMIT: "65536",
  });
});

afterAll(async () => {
  await chat?.app.stop();
  await loose?.app.stop();
  await db?.drop();
});

async function newRoom(node: { http: string }): Promise<string> {
  const publicId = `abuse_${crypto.randomUUID().slice(0, 10)}`;
  expect((await internal(node.http, "POST", "/rooms", { publicId })).status).toBe(201);
  return publicId;
}

describe("flood protection and bad frames", () => {
  test("the token bucket lets a burst of 3 through, refuses the rest, and closes a persistent flooder", async () => {
    const room = await newRoom(chat);
    const watcher = await ChatClient.join(chat.ws, room);
    const flooder = await ChatClient.join(chat.ws, room, { name: "flood" });
    for (let i = 0; i < 5; i++) flooder.send({ type: "send", text: `spam ${i}` });
    await until(
      "2 rate_limited errors",
      () => flooder.all("error").filter((e) => e.code === "rate_limited").length === 2,
    );
    await watcher.next("message", 3);
    await Bun.sleep(100);
    expect(watcher.texts()).toEqual(["spam 0", "spam 1", "spam 2"]);
    const metrics = await (await fetch(`${chat.http}/metrics`)).text();
    expect(metrics).toMatch(/^chat_rate_limit_hits_total [2-9]\d*$/m);
    for (let i = 0; i < 20; i++) flooder.send({ type: "send", text: `more spam ${i}` });
    expect((await flooder.closed).code).toBe(4008);
    // The room carries on for everyone else.
    const polite = await ChatClient.join(chat.ws, room, { name: "polite" });
    polite.send({ type: "send", text: "hello" });
    await watcher.next("message", 4);
    expect(watcher.texts().at(-1)).toBe("hello");
    watcher.close();
    polite.close();
  });

  test("oversized, malformed, unknown, wrong-version and binary frames get error frames, the room carries on", async () => {
    const room = await newRoom(chat);
    const watcher = await ChatClient.join(chat.ws, room);
    const bad = await ChatClient.join(chat.ws, room, { name: "bad" });
    const cases: Array<[string | Uint8Array, string]> = [
      ["{not json", "invalid_frame"],
      ["42", "invalid_frame"],
      [JSON.stringify({ v: 1, type: "shout", text: "x" }), "invalid_frame"],
      [JSON.stringify({ v: 1, type: "send" }), "invalid_frame"],
      [JSON.stringify({ v: 1, type: "send", text: "x".repeat(501) }), "invalid_frame"],
      [JSON.stringify({ v: 9, type: "send", text: "x" }), "unsupported_version"],
      [JSON.stringify({ v: 1, type: "send", text: "x", pad: "p".repeat(5000) }), "frame_too_large"],
      ["x".repeat(200_000), "frame_too_large"],
      [new Uint8Array([0, 1, 2, 255]), "binary_not_supported"],
    ];
    for (const [payload, code] of cases) {
      const before = bad.all("error").length;
      bad.ws.send(payload);
      await until(
        `an error for ${String(payload).slice(0, 20)}`,
        () => bad.all("error").length === before + 1,
      );
      expect(bad.all("error").at(-1)?.code).toBe(code as never);
    }
    bad.send({ type: "send", text: "still here" });
    expect((await watcher.next("message")).message.text).toBe("still here");
    expect(bad.closeCode).toBeUndefined();
    // Past 1 MiB Bun itself closes the socket (1009); only that socket.
    bad.ws.send("y".repeat(2 * 1024 * 1024));
    expect((await bad.closed).code).toBe(1009);
    const other = await ChatClient.join(chat.ws, room, { name: "other" });
    other.send({ type: "send", text: "after the big one" });
    expect((await watcher.next("message", 2)).message.text).toBe("after the big one");
    watcher.close();
    other.close();
  });

  test("a client that stops reading is disconnected once its backlog passes the bound", {
    timeout: 30_000,
  }, async () => {
    const room = await newRoom(loose);
    const fast = await ChatClient.join(loose.ws, room);
    const stalled = await rawStalledClient(loose.http, room);
    const sender = await ChatClient.join(loose.ws, room, { name: "firehose" });
    const viewers = async () =>
      RoomCounts.parse(await (await internal(loose.http, "GET", "/rooms/counts")).json()).rooms[room]
        ?.viewers;
    expect(await viewers()).toBe(3);
    // ~700 bytes a frame: 40,000 of them are ~28 MB, far past the socket buffers and the 64 KiB bound.
    const text = "z".repeat(480);
    let sent = 0;
    while (sent < 40_000 && (await viewers()) === 3) {
      for (let i = 0; i < 2000; i++) sender.send({ type: "send", text: `${sent++} ${text}` });
      await until("the fast client keeping up", () => fast.all("message").length >= sent - 2000, 10_000);
    }
    await until("the stalled client dropped", async () => (await viewers()) === 2, 10_000);
    await until("the fast client got everything", () => fast.all("message").length === sent, 10_000);
    expect(fast.closeCode).toBeUndefined();
    stalled.destroy();
    fast.close();
    sender.close();
  });
});

/** A WebSocket handshake over raw TCP, then the socket stops reading (a stuck or malicious client). */
async function rawStalledClient(httpBase: string, room: string): Promise<Socket> {
  const { hostname, port } = new URL(httpBase);
  const sock = createConnection({ host: hostname, port: Number(port) });
  await new Promise<void>((resolve, reject) => {
    sock.once("connect", () => resolve());
    sock.once("error", reject);
  });
  sock.write(
    `GET /rooms/${room} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
  );
  await new Promise<void>((resolve) => {
    let seen = "";
    const onData = (chunk: Buffer) => {
      seen += chunk.toString("latin1");
      if (seen.includes('"hello"')) {
        sock.off("data", onData);
        sock.pause();
        resolve();
      }
    };
    sock.on("data", onData);
  });
  return sock;
}
