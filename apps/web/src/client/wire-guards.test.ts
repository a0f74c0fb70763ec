import { describe, expect, test } from "bun:test";
import { ChatCloseCode, ChatServerFrame, PUBLIC_ID_CHARS, StreamLookup } from "@hearth/contracts";
import { FINAL_CLOSE_REASONS, PUBLIC_ID, parseServerFrame, parseStreamLookup } from "./wire-guards.ts";

const msg = { id: "m1", userId: "user_abcdefgh", name: "ann", text: "hi <b>", ts: 1_700_000_000_000 };
const VALID: unknown[] = [
  {
    v: 1,
    type: "hello",
    you: { userId: "user_abcdefgh", identity: "user_abcdefgh.sig", name: null },
    room: { publicId: "abcdEFGH1234", slowModeSeconds: 0, viewers: 2, chatters: 1 },
    history: [msg],
  },
  { v: 1, type: "message", message: msg },
  { v: 1, type: "message", message: msg, nonce: "n1" },
  { v: 1, type: "nick", name: "ann" },
  { v: 1, type: "join", name: "ann", viewers: 3, chatters: 2 },
  { v: 1, type: "leave", name: "ann", viewers: 2, chatters: 1 },
  { v: 1, type: "delete", messageId: "m1" },
  { v: 1, type: "moderation", userId: "user_abcdefgh", until: null },
  { v: 1, type: "moderation", userId: "user_abcdefgh", until: 1_700_000_600_000 },
  { v: 1, type: "slow", seconds: 30 },
  { v: 1, type: "auth_ok" },
  { v: 1, type: "error", code: "slow_mode", message: "wait 3s" },
  { v: 1, type: "room_closed" },
  { v: 1, type: "pong" },
];
const INVALID: unknown[] = [
  null,
  "hello",
  [],
  { type: "pong" },
  { v: 2, type: "pong" },
  { v: 1, type: "nope" },
  { v: 1, type: "toString" },
  { v: 1, type: "message", message: { ...msg, ts: "now" } },
  { v: 1, type: "message", message: { ...msg, userId: "bad id!" } },
  { v: 1, type: "message" },
  { v: 1, type: "nick" },
  { v: 1, type: "join", name: "ann", viewers: 1.5, chatters: 1 },
  { v: 1, type: "delete", messageId: 7 },
  { v: 1, type: "moderation", userId: "user_abcdefgh" },
  { v: 1, type: "slow", seconds: "30" },
  { v: 1, type: "hello", you: { userId: "user_abcdefgh", identity: "x", name: null }, room: {}, history: [] },
];

describe("chat frame guard agrees with the contract's zod schema", () => {
  test("accepts every frame the schema accepts, unchanged", () => {
    for (const f of VALID) {
      expect(ChatServerFrame.safeParse(f).success).toBe(true);
      expect(parseServerFrame(f)).toEqual(ChatServerFrame.parse(f));
    }
  });

  test("rejects frames the schema rejects", () => {
    for (const f of INVALID) {
      expect(ChatServerFrame.safeParse(f).success).toBe(false);
      expect(parseServerFrame(f)).toBeUndefined();
    }
  });

  test("every ChatServerFrame type has a check (a new frame type fails here)", () => {
    const types = ChatServerFrame.options.map((o) => o.shape.type.value).sort();
    const covered = VALID.map((f) => (f as { type: string }).type);
    expect([...new Set(covered)].sort()).toEqual(types);
  });

  test("the final close codes are the contract's", () => {
    expect(Object.keys(FINAL_CLOSE_REASONS).map(Number).sort()).toEqual(
      [ChatCloseCode.roomClosed, ChatCloseCode.banned, ChatCloseCode.roomNotFound].sort(),
    );
  });
});

describe("stream lookup guard agrees with the contract", () => {
  test("its public-id pattern is the contract's", () => {
    expect(PUBLIC_ID.source).toBe(`^${PUBLIC_ID_CHARS}$`);
  });

  const ok = {
    publicId: "abcdEFGH1234",
    name: "n",
    live: true,
    hlsUrl: "http://x/master.m3u8",
    chatUrl: "ws://x",
    rungs: [{ name: "720p", bandwidth: 2_800_000, width: 1280, height: 720, playlist: "720p/index.m3u8" }],
  };
  test("accepts a valid lookup and rejects broken ones", () => {
    expect(parseStreamLookup(ok)).toEqual(StreamLookup.parse(ok));
    for (const bad of [
      { ...ok, live: "yes" },
      { ...ok, rungs: [{ name: "x" }] },
      { ...ok, publicId: "!" },
      {},
    ]) {
      expect(StreamLookup.safeParse(bad).success).toBe(false);
      expect(parseStreamLookup(bad)).toBeUndefined();
    }
  });
});
