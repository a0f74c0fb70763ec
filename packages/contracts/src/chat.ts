import * as z from "zod/mini";
import { PUBLIC_ID_CHARS } from "./public-id-chars.ts";

/**
 * The chat wire protocol: JSON text frames over `ws://HOST:8082/rooms/<publicId>`.
 *
 * Written once, in zod/mini, so the chat server and the browser parse frames with the same definitions
 * while the watch page stays small (`@hearth/contracts/mini` re-exports this module).
 *
 * Connecting: the optional query parameter `name` is a display name (public). The identity token (what a
 * previous `hello` issued, so bans and time-outs follow the person across reconnects) is a secret and never
 * goes in the URL, which proxies log: the client offers it as a WebSocket subprotocol
 * (`Sec-WebSocket-Protocol: hearth-chat.v1, hearth-identity.<token>`, see {@link chatSubprotocols}) and the
 * server always selects `hearth-chat.v1`. Every frame carries `v`; a server answers a frame of another
 * version with `error` `unsupported_version`.
 */
export const CHAT_PROTOCOL_VERSION = 1;
const V = z.literal(CHAT_PROTOCOL_VERSION);

/** The subprotocol a chat server selects on every connection. */
export const CHAT_SUBPROTOCOL = "hearth-chat.v1";
/** Prefix of the subprotocol value that carries the identity token (token characters only: `A-Za-z0-9_-.`). */
export const CHAT_IDENTITY_SUBPROTOCOL_PREFIX = "hearth-identity.";
const TOKEN_CHARS = /^[A-Za-z0-9_.-]{1,200}$/;

/** The subprotocols a client offers: always the protocol, plus its identity when it has a well-formed one. */
export function chatSubprotocols(identity: string | null | undefined): string[] {
  const out = [CHAT_SUBPROTOCOL];
  if (identity && TOKEN_CHARS.test(identity)) out.push(`${CHAT_IDENTITY_SUBPROTOCOL_PREFIX}${identity}`);
  return out;
}

/** The identity token a `Sec-WebSocket-Protocol` request header offers, or null. */
export function identityFromSubprotocols(header: string | null | undefined): string | null {
  if (!header || header.length > 1000) return null;
  for (const raw of header.split(",")) {
    const v = raw.trim();
    if (v.startsWith(CHAT_IDENTITY_SUBPROTOCOL_PREFIX)) {
      const token = v.slice(CHAT_IDENTITY_SUBPROTOCOL_PREFIX.length);
      return TOKEN_CHARS.test(token) ? token : null;
    }
  }
  return null;
}

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

const int = () => z.number().check(z.int());
const PublicId = z.string().check(z.regex(new RegExp(`^${PUBLIC_ID_CHARS}$`)));

/** A display name: 1-25 characters after trimming, no control characters. */
export const ChatDisplayName = z.pipe(
  z.pipe(
    z.string(),
    z.transform((s: string) => s.trim()),
  ),
  z.string().check(
    z.minLength(1, "name must not be empty"),
    z.maxLength(25, "name must be at most 25 characters"),
    z.refine((s) => !CONTROL.test(s), "name must not contain control characters"),
  ),
);

/** An anonymous user id (public: moderators ban by it). The identity token proves ownership of it. */
export const ChatUserId = z.string().check(z.regex(/^[A-Za-z0-9_-]{8,40}$/));

/** A stored chat message. `text` is plain text: clients must render it as text, never as HTML. */
export const ChatMessage = z.object({
  id: z.string(),
  userId: ChatUserId,
  name: z.string(),
  text: z.string(),
  /** Server timestamp, milliseconds since the epoch. */
  ts: int(),
});
export type ChatMessage = z.infer<typeof ChatMessage>;

/** Most messages one chat replay answer carries; the rest follow through `next`. */
export const CHAT_REPLAY_PAGE = 500;

/**
 * `GET /rooms/<publicId>/replay?from=<ms>&to=<ms>[&after=<cursor>]` (HTTP, public, CORS): a broadcast's chat in
 * server-time order, for replay beside its recording. Messages a moderator deleted are gone. `next`: pass it as
 * `after` for the following page; null at the end of the range.
 */
export const ChatReplay = z.object({ messages: z.array(ChatMessage), next: z.nullable(z.string()) });
export type ChatReplay = z.infer<typeof ChatReplay>;

/** Viewers: open connections; chatters: connections that picked a display name. */
export const ChatCounts = z.object({ viewers: int(), chatters: int() });
export type ChatCounts = z.infer<typeof ChatCounts>;

// ---- client → server ----

export const ChatClientFrame = z.discriminatedUnion("type", [
  /** Pick (or change) a display name; unique in the room while connected. */
  z.object({ v: V, type: z.literal("nick"), name: ChatDisplayName }),
  /**
   * Post a message. `nonce` is accepted for clients written against protocol drafts and ignored: every socket of
   * the room, the sender's included, gets the same batched `message` frame (one serialisation per batch), so a
   * client recognises its own message by its `userId`.
   */
  z.object({
    v: V,
    type: z.literal("send"),
    text: z.string().check(z.minLength(1), z.maxLength(CHAT_MAX_TEXT)),
    nonce: z.optional(z.string().check(z.maxLength(64))),
  }),
  /** Become the room's moderator with the stream's private id (never repeated to anyone). */
  z.object({ v: V, type: z.literal("auth"), key: z.string().check(z.minLength(1), z.maxLength(200)) }),
  z.object({ v: V, type: z.literal("delete"), messageId: z.string().check(z.minLength(1), z.maxLength(64)) }),
  z.object({
    v: V,
    type: z.literal("timeout"),
    userId: ChatUserId,
    seconds: int().check(z.minimum(1), z.maximum(7 * 24 * 3600)),
  }),
  z.object({ v: V, type: z.literal("ban"), userId: ChatUserId }),
  z.object({ v: V, type: z.literal("unban"), userId: ChatUserId }),
  /** Slow mode: one message per `seconds` per user; 0 turns it off. */
  z.object({ v: V, type: z.literal("slow"), seconds: int().check(z.minimum(0), z.maximum(3600)) }),
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
    /** Who you are: keep `identity` and offer it as a subprotocol when reconnecting (never in the URL). */
    you: z.object({ userId: ChatUserId, identity: z.string(), name: z.nullable(z.string()) }),
    room: z.object({ publicId: PublicId, slowModeSeconds: int(), ...ChatCounts.shape }),
    /** The last messages, oldest first. */
    history: z.array(ChatMessage),
  }),
  z.object({ v: V, type: z.literal("message"), message: ChatMessage }),
  z.object({ v: V, type: z.literal("nick"), name: z.string() }),
  z.object({ v: V, type: z.literal("join"), name: z.string(), ...ChatCounts.shape }),
  z.object({ v: V, type: z.literal("leave"), name: z.string(), ...ChatCounts.shape }),
  z.object({ v: V, type: z.literal("delete"), messageId: z.string() }),
  /** A user was timed out (`until` set) or banned (`until` null); their messages stay unless deleted. */
  z.object({ v: V, type: z.literal("moderation"), userId: ChatUserId, until: z.nullable(int()) }),
  z.object({ v: V, type: z.literal("slow"), seconds: int() }),
  z.object({ v: V, type: z.literal("auth_ok") }),
  z.object({ v: V, type: z.literal("error"), code: ChatErrorCode, message: z.string() }),
  z.object({ v: V, type: z.literal("room_closed") }),
  z.object({ v: V, type: z.literal("pong") }),
]);
export type ChatServerFrame = z.infer<typeof ChatServerFrame>;
