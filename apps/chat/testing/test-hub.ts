/**
 * Test-only: a chat hub on an in-memory PGlite with the in-process bus (the real store and bus), and a
 * clock the test moves. Lives outside src/ so the production build never imports it.
 */
import { type DatabaseHandle, openDatabase } from "@hearth/db";
import { createLogger } from "@hearth/server-kit";
import { localBus } from "../src/bus.ts";
import { ChatHub, type ChatHubOptions } from "../src/chat-hub.ts";
import type { Clock } from "../src/clock.ts";
import { historyStore } from "../src/history-store.ts";
import { hmacIdentity } from "../src/identity.ts";
import type { KeyVerifier } from "../src/key-verifier.ts";
import { ChatMetrics } from "../src/metrics.ts";

/** A clock that moves only when told. */
export class ManualClock implements Clock {
  constructor(private t = 1_700_000_000_000) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

/** A hub for unit tests; `options` override the defaults (the production defaults, with no batching). */
export async function testHub(
  verifier: KeyVerifier = { verify: async () => false },
  options: Partial<ChatHubOptions> = {},
) {
  const handle: DatabaseHandle = await openDatabase({ dataDir: "memory://" });
  await handle.migrate();
  const logger = createLogger({}, { silent: true });
  const metrics = new ChatMetrics();
  const store = historyStore(handle.db, logger);
  const clock = new ManualClock();
  const hub = new ChatHub({
    store,
    bus: localBus,
    verifier,
    identity: hmacIdentity("unit-test-identity-secret"),
    metrics,
    logger,
    rate: { messages: 5, windowSeconds: 10, burst: 3 },
    strikesPerMinute: 10,
    backpressureLimit: 1 << 20,
    fanout: { batchMs: 0, batchMin: 1 },
    maxConnectionsPerIp: 50,
    clock,
    ...options,
  });
  return { handle, hub, store, metrics, logger, clock };
}
