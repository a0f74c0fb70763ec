/**
 * The hub's rules that depend on time (time-outs, slow mode), driven through its WebSocket handlers with
 * stand-in sockets and a clock the test moves: no sleeping. The real sockets are covered in tests/e2e.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type ChatServerFrame, ChatServerFrame as ServerFrame } from "@hearth/contracts";
import { testHub } from "../testing/test-hub.ts";
import type { ChatHub } from "./chat-hub.ts";
import type { ChatSocket, ConnData } from "./room.ts";

const KEY = "live_unit-test-stream-key";
let t: Awaited<ReturnType<typeof testHub>>;
/** The hub's WebSocket handlers, as Bun would call them. */
const handlers = () => t.hub.websocket() as Required<ReturnType<ChatHub["websocket"]>>;
const subscribers = new Map<string, Set<FakeSocket>>();

/** Enough of Bun's ServerWebSocket for the hub: frames sent to it are parsed against the contract. */
class FakeSocket {
  readonly frames: ChatServerFrame[] = [];
  closedWith: number | undefined;
  constructor(readonly data: ConnData) {}
  send(s: string) {
    this.frames.push(ServerFrame.parse(JSON.parse(s)));
    return s.length;
  }
  subscribe(topic: string) {
    const set = subscribers.get(topic) ?? new Set();
    set.add(this);
    subscribers.set(topic, set);
  }
  close(code: number) {
    if (this.closedWith !== undefined) return;
    this.closedWith = code;
    for (const set of subscribers.values()) set.delete(this);
    handlers().close(this as unknown as ChatSocket, code, "");
  }
  all<T extends ChatServerFrame["type"]>(type: T) {
    return this.frames.filter((f): f is Extract<ChatServerFrame, { type: T }> => f.type === type);
  }
  texts() {
    return this.all("message").map((m) => m.message.text);
  }
  errors() {
    return this.all("error").map((e) => e.code);
  }
}

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await Bun.sleep(5);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function join(room: string, name: string, identity: string | null = null): Promise<FakeSocket> {
  const ws = new FakeSocket(await t.hub.admit(room, identity, name, "192.0.2.1"));
  handlers().open(ws as unknown as ChatSocket);
  return ws;
}

function say(ws: FakeSocket, frame: Record<string, unknown>): void {
  handlers().message(ws as unknown as ChatSocket, JSON.stringify({ v: 1, ...frame }));
}

async function moderator(room: string): Promise<FakeSocket> {
  const mod = await join(room, "streamer");
  say(mod, { type: "auth", key: KEY });
  await until("auth_ok", () => mod.all("auth_ok").length === 1);
  return mod;
}

beforeAll(async () => {
  t = await testHub({ verify: async (key) => key === KEY });
  t.hub.attach({
    publish(topic, data) {
      for (const ws of subscribers.get(topic) ?? []) ws.send(data);
      return data.length;
    },
  });
}, 60_000);
afterAll(async () => {
  await t.hub.close();
  await t.handle.close();
});

describe("time in the chat hub comes from its clock", () => {
  test("a time-out silences a user until it ends, across a reconnect", async () => {
    await t.hub.createRoom("timeout01");
    const mod = await moderator("timeout01");
    const viewer = await join("timeout01", "viewer");
    const you = viewer.all("hello")[0]?.you;
    if (!you) throw new Error("no hello");
    say(mod, { type: "timeout", userId: you.userId, seconds: 120 });
    await until("the moderation note", () => viewer.all("moderation").length === 1);
    expect(viewer.all("moderation")[0]?.until).toBe(t.clock.now() + 120_000);
    say(viewer, { type: "send", text: "can I talk?" });
    expect(viewer.errors()).toContain("timed_out");
    viewer.close(1000);
    const back = await join("timeout01", "viewer", you.identity);
    expect(back.all("hello")[0]?.you.userId).toBe(you.userId);
    t.clock.advance(119_000);
    say(back, { type: "send", text: "still?" });
    expect(back.errors()).toEqual(["timed_out"]);
    t.clock.advance(1_000);
    say(back, { type: "send", text: "free again" });
    expect(mod.texts()).toEqual(["free again"]);
    expect(mod.all("message")[0]?.message.ts).toBe(t.clock.now());
  });

  test("slow mode: one message per N seconds per user, the moderator exempt", async () => {
    await t.hub.createRoom("slowmode1");
    const mod = await moderator("slowmode1");
    const viewer = await join("slowmode1", "viewer");
    say(mod, { type: "slow", seconds: 30 });
    await until("slow mode on", () => viewer.all("slow").length === 1);
    say(viewer, { type: "send", text: "first" });
    say(viewer, { type: "send", text: "second" });
    expect(viewer.errors()).toEqual(["slow_mode"]);
    say(mod, { type: "send", text: "mod 1" });
    say(mod, { type: "send", text: "mod 2" });
    t.clock.advance(29_999);
    say(viewer, { type: "send", text: "too soon" });
    expect(viewer.errors()).toEqual(["slow_mode", "slow_mode"]);
    t.clock.advance(1);
    say(viewer, { type: "send", text: "third" });
    expect(viewer.texts()).toEqual(["first", "mod 1", "mod 2", "third"]);
    say(mod, { type: "slow", seconds: 0 });
    await until("slow mode off", () => viewer.all("slow").length === 2);
    // The token bucket (burst 3, refilling with the same clock) is what limits now.
    t.clock.advance(10_000);
    say(viewer, { type: "send", text: "fourth" });
    say(viewer, { type: "send", text: "fifth" });
    expect(viewer.texts().slice(-2)).toEqual(["fourth", "fifth"]);
  });

  test("malformed frames get error frames and strikes, never a throw; a flood of them closes the socket", async () => {
    await t.hub.createRoom("garbage01");
    const ws = await join("garbage01", "noisy");
    const junk = [
      "",
      "{",
      "null",
      "[]",
      '{"v":1}',
      '{"v":2,"type":"ping"}',
      '{"v":1,"type":"send"}',
      "x".repeat(9000),
    ];
    for (const raw of junk) handlers().message(ws as unknown as ChatSocket, raw);
    handlers().message(ws as unknown as ChatSocket, Buffer.from([0xff, 0x00]));
    expect(ws.errors()).toContain("invalid_frame");
    expect(ws.errors()).toContain("frame_too_large");
    expect(ws.errors()).toContain("binary_not_supported");
    expect(ws.errors()).toContain("unsupported_version");
    // Nine refusals so far; the limit is 10 a minute, so two more close it.
    handlers().message(ws as unknown as ChatSocket, "{");
    expect(ws.closedWith).toBeUndefined();
    handlers().message(ws as unknown as ChatSocket, "{");
    expect(ws.closedWith).toBe(4008);
  });

  test("a closed connection gives its address's slot back", async () => {
    await t.hub.createRoom("slotroom1");
    const before = t.hub.cap.held("192.0.2.1");
    const ws = await join("slotroom1", "slotty");
    expect(t.hub.cap.held("192.0.2.1")).toBe(before + 1);
    ws.close(1000);
    expect(t.hub.cap.held("192.0.2.1")).toBe(before);
  });
});
