import { randomBytes } from "node:crypto";
import type { Logger } from "@hearth/server-kit";
import type { ChatBus } from "./bus.ts";
import type { Clock } from "./clock.ts";
import { claimDisplayName, releaseDisplayName } from "./display-names.ts";
import type { Enforcement } from "./enforcement.ts";
import type { HistoryStore } from "./history-store.ts";
import type { KeyVerifier } from "./key-verifier.ts";
import type { ChatMetrics } from "./metrics.ts";
import { type ChatSocket, normaliseName, type Room } from "./room.ts";
import { frame } from "./server-frame.ts";

/** What a client's actions (chatting and moderating) need from the hub. */
export interface ActionContext {
  store: HistoryStore;
  bus: ChatBus;
  metrics: ChatMetrics;
  verifier: KeyVerifier;
  logger: Logger;
  enforce: Enforcement;
  clock: Clock;
}

/** A viewer posts a message: name, standing, slow mode and the token bucket are checked, in that order. */
export function send(ctx: ActionContext, ws: ChatSocket, room: Room, text: string): void {
  const d = ws.data;
  const now = ctx.clock.now();
  if (!d.name) {
    ctx.enforce.refuse(ws, "name_required", "pick a display name first (a nick frame)");
    return;
  }
  const standing = room.standing(d.userId, now);
  if (standing === "banned") {
    ctx.enforce.kick(ws, "you are banned from this room");
    return;
  }
  if (standing === "timed_out") {
    ctx.enforce.refuse(ws, "timed_out", "you are timed out in this room");
    return;
  }
  if (!d.moderator && room.slowModeSeconds > 0) {
    const last = room.lastSend.get(d.userId);
    if (last !== undefined && now - last < room.slowModeSeconds * 1000) {
      ctx.enforce.refuse(ws, "slow_mode", `slow mode: one message every ${room.slowModeSeconds} s`);
      return;
    }
  }
  if (!d.bucket.take()) {
    ctx.metrics.rateLimitHits++;
    ctx.enforce.refuse(ws, "rate_limited", "too many messages; slow down");
    ctx.enforce.strike(ws);
    return;
  }
  room.lastSend.set(d.userId, now);
  const message = {
    id: randomBytes(9).toString("base64url"),
    userId: d.userId,
    name: d.name,
    text,
    ts: now,
  };
  ctx.metrics.messagesIn++;
  ctx.store.append(room.publicId, message);
  ctx.bus.publish(room.publicId, { kind: "message", message });
}

/** A viewer picks or changes a display name (unique in the room across nodes while connected). */
export async function nick(ctx: ActionContext, ws: ChatSocket, room: Room, name: string): Promise<void> {
  const d = ws.data;
  if (d.name === name) {
    ws.send(frame({ type: "nick", name }));
    return;
  }
  if (!(await claimDisplayName(ctx.bus, room, d.connId, name))) {
    ctx.enforce.refuse(ws, "name_taken", "someone here already uses that name");
    return;
  }
  // The socket may have closed while the name was being claimed.
  if (!room.conns.has(ws)) {
    releaseDisplayName(ctx.bus, room, d.connId, name);
    return;
  }
  const old = d.name;
  // "ana" → "Ana" is the same claim; releasing the old spelling would give it away.
  if (old !== null && normaliseName(old) !== normaliseName(name))
    releaseDisplayName(ctx.bus, room, d.connId, old);
  d.name = name;
  ws.send(frame({ type: "nick", name }));
  if (old) ctx.bus.publish(room.publicId, { kind: "presence", name: old, joined: false });
  ctx.bus.publish(room.publicId, { kind: "presence", name, joined: true });
}
