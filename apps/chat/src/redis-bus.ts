import type { ChatCounts, RoomCounts } from "@hearth/contracts";
import type { Logger } from "@hearth/server-kit";
import { RedisClient } from "bun";
import type { BusEvent, BusHandler, ChatBus } from "./bus.ts";

export interface RedisBusOptions {
  url: string;
  /** Namespace for channels and keys. */
  prefix: string;
  nodeId: string;
  logger: Logger;
  handler: BusHandler;
}

// A node that has not reported for this long is gone; its counts no longer count.
const STALE_MS = 10_000;
const RETRY_MIN_MS = 200;
const RETRY_MAX_MS = 2000;

type NodeReport = { t: number; rooms: RoomCounts["rooms"] };

/**
 * Rooms shared through Redis pub/sub, one channel per room. Every event, this node's own included, is
 * delivered from the subscription, so each node sees a room's events in the one order Redis published
 * them. While Redis is away, events go to this node's clients only; on its return the node resubscribes.
 */
export function redisBus(o: RedisBusOptions): ChatBus & { ready: Promise<void> } {
  const channelPrefix = `${o.prefix}:room:`;
  const countsKey = `${o.prefix}:counts`;
  const watched = new Set<string>();
  let pub: RedisClient | undefined;
  let sub: RedisClient | undefined;
  let up = false;
  let closed = false;
  let retryMs = RETRY_MIN_MS;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let remote = new Map<string, ChatCounts>();
  // Nodes with a fresh counts report; undefined until the first read (then nobody is presumed dead).
  let liveNodes: Set<string> | undefined;
  const namesKey = (room: string) => `${o.prefix}:names:${room}`;
  const holderOf = (connId: number) => `${o.nodeId}/${connId}`;

  const listener = (raw: string, channel: string) => {
    if (!channel.startsWith(channelPrefix)) return;
    let event: BusEvent;
    try {
      event = JSON.parse(raw) as BusEvent;
    } catch {
      return;
    }
    o.handler(channel.slice(channelPrefix.length), event);
  };

  const down = (why: string) => {
    if (closed || !up) return;
    up = false;
    o.logger.warn("redis unavailable; serving this node's clients only", { err: why });
    drop();
    schedule();
  };

  // Bun's client does not restore subscriptions after it reconnects by itself, and re-subscribing on
  // the same client doubles the listeners, so every reconnect starts from two fresh clients.
  const drop = () => {
    for (const c of [pub, sub]) {
      if (!c) continue;
      c.onclose = null;
      c.close();
    }
    pub = undefined;
    sub = undefined;
  };

  const schedule = () => {
    if (closed || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      // A failed attempt has already scheduled the next one.
      connect().catch(() => {});
    }, retryMs);
    retryMs = Math.min(RETRY_MAX_MS, retryMs * 2);
  };

  const connect = async (): Promise<void> => {
    const opts = { autoReconnect: false, enableOfflineQueue: false, connectionTimeout: 2000 };
    const p = new RedisClient(o.url, opts);
    const s = new RedisClient(o.url, opts);
    pub = p;
    sub = s;
    let snapshot = new Set<string>();
    try {
      await Promise.all([p.connect(), s.connect()]);
      snapshot = new Set(watched);
      if (snapshot.size > 0)
        await s.subscribe(
          [...snapshot].map((r) => channelPrefix + r),
          listener,
        );
    } catch (err) {
      drop();
      schedule();
      throw err;
    }
    if (closed) return drop();
    p.onclose = (err) => down(err.message);
    s.onclose = (err) => down(err.message);
    up = true;
    retryMs = RETRY_MIN_MS;
    // Announce this node at once, so names it holds are never mistaken for a dead node's.
    await p.hset(countsKey, { [o.nodeId]: JSON.stringify({ t: Date.now(), rooms: {} }) }).catch(() => {});
    // Rooms watched while we were connecting.
    for (const room of watched) {
      if (!snapshot.has(room)) await s.subscribe(channelPrefix + room, listener).catch(() => {});
    }
    o.logger.info("redis bus connected", { subscribed: watched.size });
  };

  const ready = connect().catch((err: Error) => {
    o.logger.warn("redis unavailable at start; retrying", { err: err.message });
  });

  return {
    kind: "redis",
    ready,
    connected: () => up,
    publish(room, event) {
      if (!up || !pub) return o.handler(room, event);
      pub.publish(channelPrefix + room, JSON.stringify(event)).catch(() => {
        // The connection died under this publish; the event most likely never left, keep it local.
        o.handler(room, event);
      });
    },
    async watch(room) {
      if (watched.has(room)) return;
      watched.add(room);
      if (!up || !sub) return;
      await sub.subscribe(channelPrefix + room, listener).catch((err: Error) => down(err.message));
    },
    unwatch(room) {
      if (!watched.delete(room)) return;
      if (up && sub) sub.unsubscribe(channelPrefix + room).catch((err: Error) => down(err.message));
    },
    async counts(local) {
      if (!up || !pub) return { rooms: local };
      const now = Date.now();
      const report: NodeReport = { t: now, rooms: local };
      const client = pub;
      const all = await Promise.all([
        client.hset(countsKey, { [o.nodeId]: JSON.stringify(report) }),
        client.hgetall(countsKey),
      ]).then(
        ([, all]) => all,
        // Redis went away mid-call: this node's own counts are still true.
        () => undefined,
      );
      if (!all) return { rooms: local };
      const total: RoomCounts["rooms"] = {};
      const others = new Map<string, ChatCounts>();
      const live = new Set<string>();
      for (const [node, raw] of Object.entries(all)) {
        let r: NodeReport;
        try {
          r = JSON.parse(raw) as NodeReport;
        } catch {
          continue;
        }
        if (now - r.t > STALE_MS) {
          void client.hdel(countsKey, node).catch(() => {});
          continue;
        }
        live.add(node);
        for (const [room, c] of Object.entries(r.rooms)) {
          add(total, room, c);
          if (node !== o.nodeId) addTo(others, room, c);
        }
      }
      remote = others;
      liveNodes = live;
      return { rooms: total };
    },
    remoteCounts: (room) => remote.get(room) ?? { viewers: 0, chatters: 0 },
    async claimName(room, key, connId) {
      // While Redis is away names are only unique per node; that is the price of staying up.
      if (!up || !pub) return true;
      const holder = holderOf(connId);
      try {
        let current: string | null = null;
        // The holder may release between our HSETNX and HGET: then try to set it again.
        for (let attempt = 0; attempt < 3 && current === null; attempt++) {
          if (await pub.hsetnx(namesKey(room), key, holder)) return true;
          current = await pub.hget(namesKey(room), key);
        }
        if (current === null || current === holder) return current === holder;
        const node = current.slice(0, current.lastIndexOf("/"));
        if (liveNodes && node !== o.nodeId && !liveNodes.has(node)) {
          // Held by a node that stopped reporting (crashed): the name is free.
          await pub.hset(namesKey(room), { [key]: holder });
          return true;
        }
        return false;
      } catch {
        return true;
      }
    },
    releaseName(room, key, connId) {
      if (!up || !pub) return;
      const client = pub;
      void client
        .hget(namesKey(room), key)
        .then((current) => (current === holderOf(connId) ? client.hdel(namesKey(room), key) : 0))
        .catch(() => {});
    },
    async close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      if (up && pub) await pub.hdel(countsKey, o.nodeId).catch(() => {});
      up = false;
      drop();
    },
  };
}

function add(into: RoomCounts["rooms"], room: string, c: ChatCounts): void {
  const cur = into[room] ?? { viewers: 0, chatters: 0 };
  into[room] = { viewers: cur.viewers + c.viewers, chatters: cur.chatters + c.chatters };
}

function addTo(into: Map<string, ChatCounts>, room: string, c: ChatCounts): void {
  const cur = into.get(room) ?? { viewers: 0, chatters: 0 };
  into.set(room, { viewers: cur.viewers + c.viewers, chatters: cur.chatters + c.chatters });
}
