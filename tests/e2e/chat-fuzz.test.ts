/**
 * Hostile input against a real chat node process on loopback, bounded in count and time: thousands of malformed
 * frames (random bytes, truncated and deeply nested JSON, wrong types, huge numbers, control characters, binary)
 * over hundreds of sockets, and malformed upgrade requests (bogus subprotocols, junk headers) on raw TCP. Each
 * gets an error frame, a refusal or a closed connection; afterwards the node still serves a room and its
 * memory is back within a bound.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ChatClient, freshDb, internal, until } from "./chat-harness.ts";
import { type ChatProcess, spawnChatNode } from "./chat-nodes.ts";

const FRAMES = 3000;
const RSS_GROWTH_BOUND_MB = 64;
let db: Awaited<ReturnType<typeof freshDb>>;
let node: ChatProcess;
let room: string;

/** The node's resident memory, in MB, from /proc. */
function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1] ?? 0) / 1024;
}

/** One malformed frame of a random kind (seeded by `i`, so a failure can be replayed). */
function junk(i: number): string | Uint8Array {
  const kinds: Array<() => string | Uint8Array> = [
    () => randomBytes(1 + (i % 300)),
    () => randomBytes(1 + (i % 200)).toString("latin1"),
    () => '{"v":1,"type":"send","text":"'.slice(0, i % 30),
    () => `${"[".repeat(1 + (i % 1500))}${"]".repeat(i % 7)}`,
    () => JSON.stringify({ v: 1, type: "send", text: i % 2 ? 1e308 : { nested: [null] } }),
    () => JSON.stringify({ v: 1, type: "timeout", userId: "x".repeat(i % 60), seconds: -i }),
    () => JSON.stringify({ v: 1, type: "nick", name: "\u0000\u0007\u009f".repeat(1 + (i % 9)) }),
    () => JSON.stringify({ v: 1e20, type: "ping" }),
    () => JSON.stringify({ v: 1, type: "__proto__", constructor: { prototype: { polluted: true } } }),
    () => JSON.stringify({ v: 1, type: "send", text: "a".repeat(5000) }),
    () => "\uD800\uDFFF\uFFFE".repeat(1 + (i % 50)),
    () => "null",
  ];
  return (kinds[i % kinds.length] as () => string | Uint8Array)();
}

/** A raw HTTP request to the room's upgrade URL; resolves with what came back (or "" on a reset). */
function rawUpgrade(lines: string): Promise<string> {
  const port = Number(new URL(node.http).port);
  return new Promise((resolve) => {
    const sock = createConnection({ host: "127.0.0.1", port });
    let got = "";
    sock.on("data", (d) => {
      got += d.toString("latin1");
      sock.destroy();
    });
    sock.on("error", () => resolve(got));
    sock.on("close", () => resolve(got));
    sock.setTimeout(5000, () => sock.destroy());
    sock.write(lines);
  });
}

beforeAll(async () => {
  db = await freshDb();
  const prefix = `test:chatfuzz:${randomBytes(4).toString("hex")}`;
  node = await spawnChatNode({
    id: "fuzz",
    schema: db.schema,
    redisUrl: "redis://127.0.0.1:6379",
    prefix,
    logFile: join(tmpdir(), `${prefix}.log`.replaceAll(":", "_")),
    env: { CHAT_MAX_CONNECTIONS_PER_IP: "40" },
  });
  room = `fuzz_${randomBytes(5).toString("hex")}`;
  expect((await internal(node.http, "POST", "/rooms", { publicId: room })).status).toBe(201);
}, 60_000);

afterAll(async () => {
  await node?.stop();
  await db?.drop();
}, 30_000);

describe("a chat node under malformed input", () => {
  test(`${FRAMES} malformed frames and junk upgrades: refusals and closes, never a crash; memory comes back`, async () => {
    const before = rssMb(node.proc.pid);
    let errors = 0;
    let sent = 0;
    // Waves of 20 sockets; each is closed by the server after its strikes (10 a minute) or by us after 12 frames.
    while (sent < FRAMES) {
      const size = Math.min(20, Math.ceil((FRAMES - sent) / 12));
      const wave = await Promise.all(
        Array.from({ length: size }, () => ChatClient.join(node.ws, room).catch(() => undefined)),
      );
      if (wave.every((c) => c === undefined)) throw new Error("no socket could join the room any more");
      for (const c of wave) {
        if (!c) continue;
        for (let k = 0; k < 12; k++) c.ws.send(junk(sent++));
      }
      await Promise.all(
        wave.map(async (c) => {
          if (!c) return;
          await until("the refusals", () => c.all("error").length >= 10 || c.closeCode !== undefined, 10_000);
          errors += c.all("error").length;
          c.close();
          await c.closed;
        }),
      );
    }
    expect(errors).toBeGreaterThan(FRAMES / 2);

    const upgrades = [
      `GET /rooms/${room} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: ${"hearth-identity.".repeat(200)}\r\n\r\n`,
      `GET /rooms/${room} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: hearth-identity.\u00ff\u00fe, ,,,\r\n\r\n`,
      `GET /rooms/${room} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      `GET /rooms/${"%00".repeat(500)} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n`,
      `GET /rooms/${room}?name=${"%FF".repeat(300)} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nX-Forwarded-For: ${"1.".repeat(2000)}\r\n\r\n`,
      "\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003",
    ];
    for (let i = 0; i < 200; i++) await rawUpgrade(upgrades[i % upgrades.length] as string);

    // Still serving: a well-behaved pair chats in the same room.
    expect(node.proc.exitCode).toBeNull();
    const ana = await ChatClient.join(node.ws, room, { name: "ana" });
    const bo = await ChatClient.join(node.ws, room, { name: "bo" });
    ana.send({ type: "send", text: "still here?" });
    expect((await bo.next("message")).message.text).toBe("still here?");
    ana.close();
    bo.close();
    // Every socket was given back: the per-address cap holds nothing.
    await until("the sockets released", async () =>
      /^chat_client_addresses 0$/m.test(await (await fetch(`${node.http}/metrics`)).text()),
    );
    // Memory: the allocator keeps some of what the waves used; the bound is what a leak would cross.
    await until(
      "the node's memory to come back",
      () => rssMb(node.proc.pid) - before < RSS_GROWTH_BOUND_MB,
      30_000,
    );
  }, 240_000);
});
