import { z } from "zod";
import { PublicId } from "./streams.ts";

/**
 * The chat wire protocol: JSON text frames over `ws://HOST:8082/rooms/<publicId>`.
 * Query parameters on connect: `identity` (the token a previous `hello` issued, so bans and
 * time-outs follow the person across reconnects) and `name` (optional display name).
 * Every frame carries `v`; a server answers a frame of another version with `error` `unsupported_version`.
 */
export const CHAT_PROTOCOL_VERSION = 1;
const V = z.literal(CHAT_PROTOCOL_VERSION);

/** Frames larger than this (in UTF-8 bytes) are refused with an `error` frame. */
export const CHAT_MAX_FRAME_BYTES = 4096;
/** A message's text, in characters. */
export const CHAT_MAX_TEXT = 500;
/** How many messages a client joining mid-stream receives in `hello`. */
export const CHAT_HISTORY_ON_JOIN = 50;

/** WebSocket close codes the server uses (4000-4999 are for applications). */
export const ChatCloseCode = {
  /** The room was closed by the manager (the stream stopped). */
  roomClosed: 4000,
  /** Banned from this room (now or earlier: bans follow the identity). */
  banned: 4003,
  /** No open room with that public id. */
  roomNotFound: 4004,
  /** Kept flooding after being told to slow down. */
  flooding: 4008,
  /** The connection could not keep up with the room (back-pressure over the bound). */
  tooSlow: 4009,
} as const;

// Control characters (C0, DEL, C1) would break rendering and logs.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** A display name: 1-25 characters after trimming, no control characters. */
export const ChatDisplayName = z
  .string()
  .transform((s) => s.trim())
  .pipe(
    z
      .string()
      .min(1, "name must not be empty")
      .max(25, "name must be at most 25 characters")
      .refine((s) => !CONTROL.test(s), "name must not contain control characters"),
  );

/** An anonymous user id (public: moderators ban by it). The identity token proves ownership of it. */
export const ChatUserId = z.string().regex(/^[A-Za-z0-9_-]{8,40}$/);

/** A stored chat message. `text` is plain text: clients must render it as text, never as HTML. */
export const ChatMessage = z.object({
  id: z.string(),
  userId: ChatUserId,
  name: z.string(),
  text: z.string(),
  /** Server timestamp, milliseconds since the epoch. */
  ts: z.number().int(),
});
export type ChatMessage = z.infer<typeof ChatMessage>;

/** Viewers: open connections; chatters: connections that picked a display name. */
export const ChatCounts = z.object({ viewers: z.number().int(), chatters: z.number().int() });
export type ChatCounts = z.infer<typeof ChatCounts>;

// ---- client → server ----

export const ChatClientFrame = z.discriminatedUnion("type", [
  /** Pick (or change) a display name; unique in the room while connected. */
  z.object({ v: V, type: z.literal("nick"), name: ChatDisplayName }),
  /** Post a message; `nonce` is echoed back on the sender's own `message` frame. */
  z.object({
    v: V,
    type: z.literal("send"),
    text: z.string().min(1).max(CHAT_MAX_TEXT),
    nonce: z.string().max(64).optional(),
  }),
  /** Become the room's moderator with the stream's private id (never repeated to anyone). */
  z.object({ v: V, type: z.literal("auth"), key: z.string().min(1).max(200) }),
  z.object({ v: V, type: z.literal("delete"), messageId: z.string().min(1).max(64) }),
  z.object({
    v: V,
    type: z.literal("timeout"),
    userId: ChatUserId,
    seconds: z
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 3600),
  }),
  z.object({ v: V, type: z.literal("ban"), userId: ChatUserId }),
  z.object({ v: V, type: z.literal("unban"), userId: ChatUserId }),
  /** Slow mode: one message per `seconds` per user; 0 turns it off. */
  z.object({ v: V, type: z.literal("slow"), seconds: z.number().int().min(0).max(3600) }),
  z.object({ v: V, type: z.literal("ping") }),
]);
export type ChatClientFrame = z.infer<typeof ChatClientFrame>;

// ---- server → client ----

export const ChatErrorCode = z.enum([
  "invalid_frame",
  "unsupported_version",
  "frame_too_large",
  "binary_not_supported",
  "rate_limited",
  "slow_mode",
  "timed_out",
  "banned",
  "name_required",
  "name_taken",
  "not_moderator",
  "auth_failed",
  "room_not_found",
  "not_found",
  "unavailable",
]);
export type ChatErrorCode = z.infer<typeof ChatErrorCode>;

export const ChatServerFrame = z.discriminatedUnion("type", [
  z.object({
    v: V,
    type: z.literal("hello"),
    /** Who you are: keep `identity` and present it as `?identity=` when reconnecting. */
    you: z.object({ userId: ChatUserId, identity: z.string(), name: z.string().nullable() }),
    room: z.object({ publicId: PublicId, slowModeSeconds: z.number().int() }).extend(ChatCounts.shape),
    /** The last messages, oldest first. */
    history: z.array(ChatMessage),
  }),
  z.object({ v: V, type: z.literal("message"), message: ChatMessage, nonce: z.string().optional() }),
  z.object({ v: V, type: z.literal("nick"), name: z.string() }),
  z.object({ v: V, type: z.literal("join"), name: z.string() }).extend(ChatCounts.shape),
  z.object({ v: V, type: z.literal("leave"), name: z.string() }).extend(ChatCounts.shape),
  z.object({ v: V, type: z.literal("delete"), messageId: z.string() }),
  /** A user was timed out (`until` set) or banned (`until` null); their messages stay unless deleted. */
  z.object({ v: V, type: z.literal("moderation"), userId: ChatUserId, until: z.number().int().nullable() }),
  z.object({ v: V, type: z.literal("slow"), seconds: z.number().int() }),
  z.object({ v: V, type: z.literal("auth_ok") }),
  z.object({ v: V, type: z.literal("error"), code: ChatErrorCode, message: z.string() }),
  z.object({ v: V, type: z.literal("room_closed") }),
  z.object({ v: V, type: z.literal("pong") }),
]);
export type ChatServerFrame = z.infer<typeof ChatServerFrame>;
