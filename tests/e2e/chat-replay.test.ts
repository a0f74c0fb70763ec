import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { CHAT_HISTORY_ON_JOIN, type ChatMessage, ChatReplay, chatReplayUrl } from "@hearth/contracts";
import type { DatabaseHandle } from "@hearth/db";
import type { RunningApp } from "@hearth/server-kit";
import { type RunningCdn, startCdn } from "./cdn-harness.ts";
import {
  ChatClient,
  capturingLogger,
  chatNode,
  freshDb,
  insertStream,
  internal,
  manager,
  until,
} from "./chat-harness.ts";
import { freePort } from "./support/ports.ts";

// Chat replay end to end: real WebSocket clients chat at known moments on a chat node backed by Postgres, the
// streamer (checked by the real manager) deletes a message, the room closes, and the broadcast's chat is read
// back over HTTP, from the node itself, after a restart of the node, and through the nginx edge of infra/.
let db: { handle: DatabaseHandle; drop(): Promise<void> };
let mgr: { app: RunningApp; url: string };
let chat: { app: RunningApp; http: string; ws: string };
let cdn: RunningCdn | undefined;
const chatPort = freePort();
const logLines: string[] = [];
// Room for the test's bursts: flood protection is covered in chat-abuse.
const CHAT_ENV = { CHAT_PORT: String(chatPort), CHAT_RATE_BURST: "50", CHAT_RATE_MESSAGES: "50" };

const startChat = async () =>
  chatNode(
    db.handle,
    { ...CHAT_ENV, MANAGER_INTERNAL_URL: mgr.url },
    capturingLogger(logLines, { svc: "chat" }),
  );

beforeAll(async () => {
  db = await freshDb();
  mgr = await manager(db.handle);
  chat = await startChat();
}, 60_000);

afterAll(async () => {
  await cdn?.stop();
  await chat?.app.stop();
  await mgr?.app.stop();
  await db?.drop();
});

/** Every message of a range, following `next`, from a replay URL (as the video page does). */
async function replayAll(url: string): Promise<{ messages: ChatMessage[]; raw: string }> {
  const messages: ChatMessage[] = [];
  let raw = "";
  let next: string | null = null;
  do {
    const res: Response = await fetch(next ? `${url}&after=${encodeURIComponent(next)}` : url);
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    const text = await res.text();
    raw += text;
    const page = ChatReplay.parse(JSON.parse(text));
    messages.push(...page.messages);
    next = page.next;
  } while (next);
  return { messages, raw };
}

/** Sends a message and waits for its echo; the window in which the server must have stamped it. */
async function say(
  c: ChatClient,
  text: string,
): Promise<{ message: ChatMessage; before: number; after: number }> {
  const n = c.all("message").length;
  const before = Date.now();
  c.send({ type: "send", text, nonce: text });
  const echo = await c.next("message", n + 1);
  const after = Date.now();
  expect(echo.message.text).toBe(text);
  return { message: echo.message, before, after };
}

describe("chat replay", () => {
  test("a broadcast's chat replays over HTTP in server-time order, without the deleted message, after the room closed and after a restart, through the CDN", async () => {
    const { publicId, key } = await insertStream(db.handle);
    const created = await internal(chat.http, "POST", "/rooms", { publicId });
    expect(created.status).toBe(201);
    const { chatUrl } = (await created.json()) as { chatUrl: string };
    const mod = await ChatClient.join(chat.ws, publicId, { name: "streamer" });
    mod.send({ type: "auth", key });
    await mod.next("auth_ok");
    const ana = await ChatClient.join(chat.ws, publicId, { name: "ana" });
    const bo = await ChatClient.join(chat.ws, publicId, { name: "bo" });
    const start = Date.now();

    // Known moments: a message, then pauses, then a burst, from two viewers and the streamer.
    const sent = [await say(ana, "first")];
    await Bun.sleep(300);
    sent.push(await say(bo, "second"));
    sent.push(await say(ana, "rude"));
    await Bun.sleep(300);
    sent.push(await say(mod, "welcome"));
    for (let i = 0; i < 5; i++) sent.push(await say(i % 2 ? ana : bo, `burst ${i}`));
    // Each message carries the server's time of its arrival, inside the window the client saw.
    for (const s of sent) {
      expect(s.message.ts).toBeGreaterThanOrEqual(s.before);
      expect(s.message.ts).toBeLessThanOrEqual(s.after);
    }

    // Replay while live, at once: the newest messages may still sit in the write-behind queue, and are included.
    const live = await replayAll(chatReplayUrl(chatUrl.replace(/^wss?:\/\/[^/]+/, chat.ws), start, null));
    expect(live.messages.map((m) => m.text)).toEqual(sent.map((s) => s.message.text));

    const rude = sent[2]?.message as ChatMessage;
    mod.send({ type: "delete", messageId: rude.id });
    expect((await ana.next("delete")).messageId).toBe(rude.id);
    await bo.next("delete");
    const end = Date.now();

    // The stream ends: the room closes and every socket with it.
    expect((await internal(chat.http, "DELETE", `/rooms/${publicId}`)).status).toBe(204);
    for (const c of [mod, ana, bo]) expect((await c.closed).code).toBe(4000);

    const kept = sent.map((s) => s.message).filter((m) => m.id !== rude.id);
    const url = (base: string) => chatReplayUrl(`${base}/rooms/${publicId}`, start, end);
    const check = async (base: string) => {
      const { messages, raw } = await replayAll(url(base));
      expect(messages).toEqual(kept);
      // In server-time order.
      expect(messages.map((m) => m.ts)).toEqual([...messages.map((m) => m.ts)].sort((a, b) => a - b));
      expect(raw).not.toContain(rude.text);
      // No secret in a public answer: the identities the clients hold, the stream key.
      for (const c of [mod, ana, bo]) expect(raw).not.toContain(c.hello.you.identity);
      expect(raw).not.toContain(key);
    };
    await check(chat.http);

    // A range that starts after the deleted message and ends inside the burst: exactly those, bounds inclusive.
    const from = sent[3]?.message.ts as number;
    const to = sent[5]?.message.ts as number;
    const part = await replayAll(chatReplayUrl(`${chat.http}/rooms/${publicId}`, from, to));
    expect(part.messages.map((m) => m.text)).toEqual(
      kept.filter((m) => m.ts >= from && m.ts <= to).map((m) => m.text),
    );
    expect(part.messages.map((m) => m.text)).toContain("welcome");

    // A restarted chat node (nothing in memory) answers the same.
    await chat.app.stop();
    chat = await startChat();
    await check(chat.http);

    // Through the nginx edge of infra/ (the public path the video page uses): /rooms/ reaches chat, uncached.
    cdn = await startCdn({ media: [{ id: "media-1", port: freePort() }], chat: [chatPort], workers: 1 });
    await check(cdn.edge);
    const viaEdge = await fetch(url(cdn.edge));
    expect(viaEdge.headers.get("cache-control")).toBe("no-store");
    // A range delete is seen at once through the edge: nothing served from an old copy.
    const res = await internal(chat.http, "DELETE", `/rooms/${publicId}/messages?from=${start}&to=${end}`);
    expect(res.status).toBe(204);
    expect((await replayAll(url(cdn.edge))).messages).toEqual([]);
    // The edge never exposes the internal route.
    const refused = await fetch(`${cdn.edge}/internal/rooms/${publicId}/messages?from=0&to=1`, {
      method: "DELETE",
    });
    expect(refused.status).toBe(404);
    expect(logLines.join("\n")).not.toContain(key);
  }, 120_000);

  test("deleting a live room's range takes the messages off its viewers' screens and out of the join history", async () => {
    const { publicId } = await insertStream(db.handle);
    expect((await internal(chat.http, "POST", "/rooms", { publicId })).status).toBe(201);
    const ana = await ChatClient.join(chat.ws, publicId, { name: "ana" });
    const start = Date.now();
    const sent = [];
    for (const text of ["one", "two", "three"]) sent.push((await say(ana, text)).message);
    const end = Date.now();
    // The next message must be stamped after the range, not in its last millisecond.
    await until("the clock to pass the range", () => Date.now() > end);
    const after = await say(ana, "after the range");
    const res = await internal(chat.http, "DELETE", `/rooms/${publicId}/messages?from=${start}&to=${end}`);
    expect(res.status).toBe(204);
    await until("three delete frames", () => ana.all("delete").length === 3);
    expect(ana.all("delete").map((d) => d.messageId)).toEqual(sent.map((m) => m.id));
    const late = await ChatClient.join(chat.ws, publicId);
    expect(late.hello.history.map((m) => m.text)).toEqual(["after the range"]);
    expect(late.hello.history.length).toBeLessThanOrEqual(CHAT_HISTORY_ON_JOIN);
    const replay = await replayAll(chatReplayUrl(`${chat.http}/rooms/${publicId}`, start, null));
    expect(replay.messages).toEqual([after.message]);
    ana.close();
    late.close();
  });
});
