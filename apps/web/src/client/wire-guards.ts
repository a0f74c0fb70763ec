/**
 * Runtime checks of the wire formats the /watch page reads (chat frames, stream lookups), mirroring the
 * zod schemas in @hearth/contracts. zod itself is ~28 KB gzip: with it, /watch would load ~157 KB of
 * JavaScript, over its 150 KB budget. These guards are typed against the contract and tested against it
 * (wire-guards.test.ts feeds both the same frames), so drift fails a test rather than a viewer.
 */
import type { ChatMessage, ChatServerFrame, Rung, StreamLookup } from "@hearth/contracts";

/** Close codes after which reconnecting cannot help (ChatCloseCode's values), with what to tell the viewer. */
export const FINAL_CLOSE_REASONS: Record<number, string> = {
  4000: "The stream ended; this chat is closed.",
  4003: "You are banned from this chat.",
  4004: "This chat room does not exist (the stream may have ended).",
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const isStr = (v: unknown): v is string => typeof v === "string";
const isInt = (v: unknown): v is number => Number.isInteger(v);
const isCounts = (o: Obj) => isInt(o.viewers) && isInt(o.chatters);
const USER_ID = /^[A-Za-z0-9_-]{8,40}$/;
/** The contracts' PUBLIC_ID_CHARS, anchored (a test compares them). */
export const PUBLIC_ID = /^[A-Za-z0-9_-]{8,32}$/;

function isMessage(v: unknown): v is ChatMessage {
  return (
    isObj(v) &&
    isStr(v.id) &&
    isStr(v.userId) &&
    USER_ID.test(v.userId) &&
    isStr(v.name) &&
    isStr(v.text) &&
    isInt(v.ts)
  );
}

const CHECKS: Record<ChatServerFrame["type"], (f: Obj) => boolean> = {
  hello: (f) => {
    const you = f.you;
    const room = f.room;
    return (
      isObj(you) &&
      isStr(you.userId) &&
      USER_ID.test(you.userId) &&
      isStr(you.identity) &&
      (you.name === null || isStr(you.name)) &&
      isObj(room) &&
      isStr(room.publicId) &&
      PUBLIC_ID.test(room.publicId) &&
      isInt(room.slowModeSeconds) &&
      isCounts(room) &&
      Array.isArray(f.history) &&
      f.history.every(isMessage)
    );
  },
  message: (f) => isMessage(f.message) && (f.nonce === undefined || isStr(f.nonce)),
  nick: (f) => isStr(f.name),
  join: (f) => isStr(f.name) && isCounts(f),
  leave: (f) => isStr(f.name) && isCounts(f),
  delete: (f) => isStr(f.messageId),
  moderation: (f) => isStr(f.userId) && USER_ID.test(f.userId) && (f.until === null || isInt(f.until)),
  slow: (f) => isInt(f.seconds),
  auth_ok: () => true,
  error: (f) => isStr(f.code) && isStr(f.message),
  room_closed: () => true,
  pong: () => true,
};

/** The frame when it is a valid server → client chat frame of protocol version 1, else undefined. */
export function parseServerFrame(raw: unknown): ChatServerFrame | undefined {
  if (!isObj(raw) || raw.v !== 1 || !isStr(raw.type) || !Object.hasOwn(CHECKS, raw.type)) return undefined;
  const check = CHECKS[raw.type as ChatServerFrame["type"]];
  return check(raw) ? (raw as ChatServerFrame) : undefined;
}

function isRung(v: unknown): v is Rung {
  return (
    isObj(v) &&
    isStr(v.name) &&
    isInt(v.bandwidth) &&
    isInt(v.width) &&
    isInt(v.height) &&
    (v.playlist === undefined || isStr(v.playlist))
  );
}

/** The body when it is a StreamLookup (GET /stream/:publicId), else undefined. */
export function parseStreamLookup(raw: unknown): StreamLookup | undefined {
  if (!isObj(raw)) return undefined;
  const ok =
    isStr(raw.publicId) &&
    PUBLIC_ID.test(raw.publicId) &&
    isStr(raw.name) &&
    typeof raw.live === "boolean" &&
    isStr(raw.hlsUrl) &&
    isStr(raw.chatUrl) &&
    Array.isArray(raw.rungs) &&
    raw.rungs.every(isRung);
  if (!ok) return undefined;
  // The contract's defaults for fields an older manager may not send.
  const quality =
    raw.quality === "full" || raw.quality === "reduced" || raw.quality === "source" ? raw.quality : null;
  return {
    ...(raw as StreamLookup),
    reconnecting: raw.reconnecting === true,
    quality,
    realtime: raw.realtime !== false,
  };
}
