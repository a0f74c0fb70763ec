import { CHAT_HISTORY_ON_JOIN, ChatCloseCode, type RoomCounts } from "@hearth/contracts";
import type { Logger } from "@hearth/server-kit";
import type { WebSocketHandler } from "bun";
import type { BusEvent, BusHandler, ChatBus } from "./bus.ts";
import { type ActionContext, nick, send } from "./chat-actions.ts";
import { isRefusal, parseClientFrame } from "./client-frame.ts";
import { type Clock, systemClock } from "./clock.ts";
import { ConnectionCap } from "./connection-cap.ts";
import { claimDisplayName, releaseDisplayName } from "./display-names.ts";
import { Enforcement } from "./enforcement.ts";
import type { HistoryStore, ReplayPage, ReplayRange } from "./history-store.ts";
import type { IdentitySigner } from "./identity.ts";
import type { KeyVerifier } from "./key-verifier.ts";
import type { ChatMetrics } from "./metrics.ts";
import { moderate } from "./moderation.ts";
import { type ChatSocket, type ConnData, Room } from "./room.ts";
import { frame } from "./server-frame.ts";
import { TokenBucket } from "./token-bucket.ts";

export interface ChatHubOptions {
  store: HistoryStore;
  /** Builds the bus, handing it the hub's delivery function. */
  bus(handler: BusHandler): ChatBus;
  verifier: KeyVerifier;
  identity: IdentitySigner;
  metrics: ChatMetrics;
  logger: Logger;
  rate: { messages: number; windowSeconds: number; burst: number };
  strikesPerMinute: number;
  backpressureLimit: number;
  /** Rooms with at least `batchMin` local sockets send frames in batches every `batchMs` (0: never). */
  fanout: { batchMs: number; batchMin: number };
  /** Open connections allowed per client address (0: no cap). */
  maxConnectionsPerIp: number;
  /** Time for time-outs, slow mode, strikes and rate buckets; tests move a fake one. */
  clock?: Clock;
}

/** The piece of Bun's server the hub publishes through (topic fan-out in native code). */
export interface Publisher {
  publish(topic: string, data: string): number;
}

/** Every room on this node, the WebSocket handlers, and delivery of bus events to local sockets. */
export class ChatHub {
  readonly rooms = new Map<string, Room>();
  readonly bus: ChatBus;
  private readonly loading = new Map<string, Promise<Room | undefined>>();
  private publisher: Publisher | undefined;
  private nextConn = 1;
  private countsTimer: ReturnType<typeof setInterval> | undefined;

  private readonly enforce: Enforcement;
  private readonly actions: ActionContext;
  private readonly clock: Clock;
  /** Open connections per client address. */
  readonly cap: ConnectionCap;

  constructor(readonly o: ChatHubOptions) {
    this.clock = o.clock ?? systemClock;
    this.bus = o.bus((room, event) => this.deliver(room, event));
    this.enforce = new Enforcement(o.metrics, o.strikesPerMinute, this.clock);
    const { store, metrics, verifier, logger } = o;
    const clock = this.clock;
    this.actions = { store, metrics, verifier, logger, clock, bus: this.bus, enforce: this.enforce };
    this.cap = new ConnectionCap({ perIp: o.maxConnectionsPerIp, metrics, logger, clock });
  }

  /** Binds the hub to the running server and starts refreshing the other nodes' counts. */
  attach(publisher: Publisher): void {
    this.publisher = publisher;
    if (this.bus.kind === "redis") {
      this.countsTimer = setInterval(() => void this.counts().catch(() => {}), 2000);
    }
  }

  /**
   * Everything needed before the upgrade: a connection slot for the client's address (throws
   * ConnectionLimitError past the cap), the room (loaded and watched), the identity, any refusal.
   */
  async admit(
    publicId: string,
    identityToken: string | null,
    wantedName: string | null,
    ip: string,
  ): Promise<ConnData> {
    this.cap.acquire(ip);
    try {
      return await this.admitHolding(publicId, identityToken, wantedName, ip);
    } catch (err) {
      this.cap.release(ip);
      throw err;
    }
  }

  private async admitHolding(
    publicId: string,
    identityToken: string | null,
    wantedName: string | null,
    ip: string,
  ): Promise<ConnData> {
    const known = this.o.identity.verify(identityToken);
    const { userId, token } = known
      ? { userId: known, token: identityToken as string }
      : this.o.identity.issue();
    const { messages, windowSeconds, burst } = this.o.rate;
    const data: ConnData = {
      connId: this.nextConn++,
      room: publicId,
      ip,
      slotHeld: true,
      userId,
      identity: token,
      name: null,
      nameTaken: false,
      moderator: false,
      bucket: new TokenBucket(burst, messages / windowSeconds, () => this.clock.now()),
      strikes: [],
    };
    const room = await this.acquire(publicId);
    if (!room) {
      data.refusal = {
        code: "room_not_found",
        message: "no open room here",
        close: ChatCloseCode.roomNotFound,
      };
    } else if (room.standing(userId, this.clock.now()) === "banned") {
      room.pending--;
      this.releaseIfIdle(room);
      data.refusal = {
        code: "banned",
        message: "you are banned from this room",
        close: ChatCloseCode.banned,
      };
    } else if (wantedName) {
      if (await claimDisplayName(this.bus, room, data.connId, wantedName)) data.name = wantedName;
      else data.nameTaken = true;
    }
    return data;
  }

  /** Undoes admit() when the upgrade did not happen. */
  abandon(data: ConnData): void {
    this.releaseSlot(data);
    const room = this.rooms.get(data.room);
    if (room && !data.refusal) {
      releaseDisplayName(this.bus, room, data.connId, data.name);
      room.pending--;
      this.releaseIfIdle(room);
    }
  }

  /** Bun's WebSocket handlers and limits. */
  websocket(): WebSocketHandler<ConnData> {
    return {
      // Frames up to 1 MiB are read and refused politely; past that Bun closes the socket (1009).
      maxPayloadLength: 1024 * 1024,
      backpressureLimit: this.o.backpressureLimit,
      closeOnBackpressureLimit: true,
      idleTimeout: 120,
      sendPings: true,
      perMessageDeflate: false,
      open: (ws) => this.onOpen(ws),
      message: (ws, raw) => this.onMessage(ws, raw),
      close: (ws, code) => this.onClose(ws, code),
    };
  }

  private onOpen(ws: ChatSocket): void {
    const d = ws.data;
    const room = d.refusal ? undefined : this.rooms.get(d.room);
    if (room) room.pending--;
    if (!room || room.closed) {
      const r = d.refusal ?? { code: "room_not_found", message: "no open room here", close: 4004 };
      d.refusal = r;
      ws.send(frame({ type: "error", code: r.code, message: r.message }));
      ws.close(r.close, r.code);
      this.o.metrics.closed(r.code);
      if (room) {
        releaseDisplayName(this.bus, room, d.connId, d.name);
        this.releaseIfIdle(room);
      }
      return;
    }
    room.conns.add(ws);
    ws.subscribe(room.topic);
    this.o.metrics.connections++;
    const counts = this.roomCounts(room);
    ws.send(
      frame({
        type: "hello",
        you: { userId: d.userId, identity: d.identity, name: d.name },
        room: { publicId: room.publicId, slowModeSeconds: room.slowModeSeconds, ...counts },
        history: room.history(),
      }),
    );
    if (d.nameTaken) this.enforce.error(ws, "name_taken", "someone in this room already uses that name");
    if (d.name) this.bus.publish(room.publicId, { kind: "presence", name: d.name, joined: true });
  }

  private onClose(ws: ChatSocket, code: number): void {
    const d = ws.data;
    this.releaseSlot(d);
    if (d.refusal) return;
    const room = this.rooms.get(d.room);
    this.o.metrics.connections--;
    // 1006 with nothing sent by the client usually means Bun dropped it for back-pressure.
    if (code === 1006) this.o.metrics.closed("abnormal_or_slow");
    if (!room) return;
    room.conns.delete(ws);
    releaseDisplayName(this.bus, room, d.connId, d.name);
    if (d.name && !room.closed)
      this.bus.publish(room.publicId, { kind: "presence", name: d.name, joined: false });
    this.releaseIfIdle(room);
  }

  private onMessage(ws: ChatSocket, raw: string | Buffer): void {
    const parsed = parseClientFrame(raw);
    if (isRefusal(parsed)) {
      this.o.metrics.drop(parsed.code);
      this.enforce.error(ws, parsed.code, parsed.message);
      this.enforce.strike(ws);
      return;
    }
    const room = this.rooms.get(ws.data.room);
    if (!room || room.closed) return;
    switch (parsed.type) {
      case "ping":
        ws.send(frame({ type: "pong" }));
        return;
      case "send":
        send(this.actions, ws, room, parsed.text);
        return;
      case "nick":
        void nick(this.actions, ws, room, parsed.name).catch((err: Error) => {
          this.o.logger.error("nick failed", { room: room.publicId, err: err.message });
        });
        return;
      default:
        return void moderate(this.actions, ws, room, parsed).catch((err: Error) => {
          this.o.logger.error("moderation failed", {
            room: room.publicId,
            type: parsed.type,
            err: err.message,
          });
          this.enforce.error(ws, "unavailable", "that did not work; try again");
        });
    }
  }

  /** Delivers one bus event to this node's sockets in the room. */
  deliver(publicId: string, event: BusEvent): void {
    const room = this.rooms.get(publicId);
    if (!room) return;
    switch (event.kind) {
      case "message":
        room.remember(event.message);
        this.broadcast(room, frame({ type: "message", message: event.message }), true);
        return;
      case "delete":
        room.forget(event.messageId);
        this.broadcast(room, frame({ type: "delete", messageId: event.messageId }));
        return;
      case "moderation":
        room.bans.set(event.userId, event.until);
        this.broadcast(room, frame({ type: "moderation", userId: event.userId, until: event.until }));
        if (event.until === null) {
          for (const ws of room.conns)
            if (ws.data.userId === event.userId) this.enforce.kick(ws, "you were banned");
        }
        return;
      case "unban":
        room.bans.delete(event.userId);
        return;
      case "slow":
        room.slowModeSeconds = event.seconds;
        this.broadcast(room, frame({ type: "slow", seconds: event.seconds }));
        return;
      case "presence": {
        const type = event.joined ? "join" : "leave";
        this.broadcast(room, frame({ type, name: event.name, ...this.roomCounts(room) }));
        return;
      }
      case "closed":
        room.closed = true;
        // Everything queued, then room_closed, before the sockets close.
        this.flush(room);
        this.publisher?.publish(room.topic, frame({ type: "room_closed" }));
        for (const ws of room.conns) ws.close(ChatCloseCode.roomClosed, "room_closed");
        return;
    }
  }

  /** Creates (or reopens) a room. */
  async createRoom(publicId: string): Promise<void> {
    await this.o.store.openRoom(publicId);
  }

  /** Closes a room on every node: clients get room_closed and are disconnected. */
  async closeRoom(publicId: string): Promise<void> {
    await this.o.store.closeRoom(publicId);
    this.bus.publish(publicId, { kind: "closed" });
  }

  /** A page of a room's chat for replay beside its recording; undefined when the room never existed. */
  async replay(publicId: string, range: ReplayRange, limit: number): Promise<ReplayPage | undefined> {
    // Closed rooms answer too (a finished broadcast), and nothing here needs the room loaded on this node.
    if (!(await this.o.store.exists(publicId))) return undefined;
    return this.o.store.replay(publicId, range, limit);
  }

  /** Deletes a room's messages between two server times (a deleted recording's chat); how many went. */
  async deleteMessages(publicId: string, from: number, to: number): Promise<number> {
    const ids = await this.o.store.removeRange(publicId, from, to);
    // A room still open may show some of them in its join history (the last CHAT_HISTORY_ON_JOIN messages
    // of the room on each node): only the newest that many deleted ones can be there.
    if (ids.length > 0 && (await this.o.store.room(publicId))) {
      for (const messageId of ids.slice(-CHAT_HISTORY_ON_JOIN))
        this.bus.publish(publicId, { kind: "delete", messageId });
    }
    return ids.length;
  }

  /** Counts of every room on every node (summed through Redis when it is used). */
  async counts(): Promise<RoomCounts> {
    const local: RoomCounts["rooms"] = {};
    for (const [id, room] of this.rooms) if (room.conns.size > 0) local[id] = room.counts();
    return this.bus.counts(local);
  }

  /** Closes every socket and the bus. */
  async close(): Promise<void> {
    if (this.countsTimer) clearInterval(this.countsTimer);
    for (const room of this.rooms.values()) for (const ws of room.conns) ws.close(1001, "server stopping");
    await this.bus.close();
  }

  private roomCounts(room: Room) {
    const local = room.counts();
    const remote = this.bus.remoteCounts(room.publicId);
    return { viewers: local.viewers + remote.viewers, chatters: local.chatters + remote.chatters };
  }

  /**
   * Sends a frame to the room's local sockets. Big rooms batch frames: frames published in one event-loop
   * turn reach each socket in one write, which roughly halves the per-socket syscall cost that dominates
   * fan-out to thousands of clients. Batches start at most `batchMs` apart, counted from the previous
   * batch rather than from the first waiting frame: writing one batch to 10,000 sockets takes longer than
   * `batchMs`, and frames that arrived meanwhile have already waited that long.
   */
  private broadcast(room: Room, data: string, isMessage = false): void {
    if (isMessage) this.o.metrics.messagesOut += room.conns.size;
    const { batchMs, batchMin } = this.o.fanout;
    if (batchMs > 0 && (room.outbox.length > 0 || room.conns.size >= batchMin)) {
      room.outbox.push(data);
      room.flushTimer ??= setTimeout(
        () => this.flush(room),
        Math.max(0, batchMs - (performance.now() - room.lastFlushAt)),
      );
      return;
    }
    const start = performance.now();
    this.publisher?.publish(room.topic, data);
    this.o.metrics.fanoutSeconds.observe((performance.now() - start) / 1000);
  }

  private flush(room: Room): void {
    if (room.flushTimer) clearTimeout(room.flushTimer);
    room.flushTimer = undefined;
    const start = performance.now();
    room.lastFlushAt = start;
    const out = room.outbox;
    room.outbox = [];
    for (const data of out) this.publisher?.publish(room.topic, data);
    this.o.metrics.fanoutSeconds.observe((performance.now() - start) / 1000);
  }

  private async acquire(publicId: string): Promise<Room | undefined> {
    let room = this.rooms.get(publicId);
    if (!room) {
      let load = this.loading.get(publicId);
      if (!load) {
        load = this.load(publicId).finally(() => this.loading.delete(publicId));
        this.loading.set(publicId, load);
      }
      room = await load;
    }
    if (!room || room.closed) return undefined;
    room.pending++;
    return room;
  }

  private async load(publicId: string): Promise<Room | undefined> {
    const stored = await this.o.store.room(publicId);
    if (!stored) return undefined;
    const room = new Room(publicId, stored.slowModeSeconds, stored.bans);
    this.rooms.set(publicId, room);
    // Watch before reading the history: a message lands in one or the other (or both, deduplicated).
    await this.bus.watch(publicId);
    const history = await this.o.store.recent(publicId, CHAT_HISTORY_ON_JOIN);
    const seen = new Set(room.recent.map((m) => m.id));
    room.recent = [...history.filter((m) => !seen.has(m.id)), ...room.recent];
    return room;
  }

  private releaseSlot(d: ConnData): void {
    if (!d.slotHeld) return;
    d.slotHeld = false;
    this.cap.release(d.ip);
  }

  private releaseIfIdle(room: Room): void {
    if (room.inUse() || this.rooms.get(room.publicId) !== room) return;
    if (room.flushTimer) clearTimeout(room.flushTimer);
    this.rooms.delete(room.publicId);
    this.bus.unwatch(room.publicId);
  }
}
