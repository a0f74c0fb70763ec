import { type DatabaseHandle, openDatabase } from "@hearth/db";
import { createLogger } from "@hearth/server-kit";
import { localBus } from "./bus.ts";
import { ChatHub } from "./chat-hub.ts";
import { historyStore } from "./history-store.ts";
import { hmacIdentity } from "./identity.ts";
import type { KeyVerifier } from "./key-verifier.ts";
import { ChatMetrics } from "./metrics.ts";

/** A hub on an in-memory PGlite with the in-process bus, for unit tests (the real store and bus). */
export async function testHub(verifier: KeyVerifier = { verify: async () => false }) {
  const handle: DatabaseHandle = await openDatabase({ dataDir: "memory://" });
  await handle.migrate();
  const logger = createLogger({}, { silent: true });
  const metrics = new ChatMetrics();
  const store = historyStore(handle.db, logger);
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
  });
  return { handle, hub, store, metrics, logger };
}
