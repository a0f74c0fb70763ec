import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { StartedStream, StreamList } from "@hearth/contracts";
import { type DatabaseHandle, streams } from "@hearth/db";
import { createLogger } from "@hearth/server-kit";
import { eq } from "drizzle-orm";
import { freshDatabase, managerFor, manualClock } from "../testing/harness.ts";
import { requestsTo } from "../testing/requests.ts";
import { idleStreamSweeper } from "./idle-streams.ts";
import { pageCache } from "./page-cache.ts";

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await freshDatabase("postgres");
});
afterAll(async () => {
  await handle.close();
});

const HOUR = 3_600_000;

describe("idle streams", () => {
  test("never-live streams go after STREAM_IDLE_TTL; live, once-live and ended streams stay", async () => {
    const m = managerFor(handle);
    const { req, internal } = requestsTo(m.app);
    const start = (name: string) => startStream(req, name);
    const state = (publicId: string, phase: string, seq: number) =>
      internal(`/streams/${publicId}/state`, {
        phase,
        origin: { node: "default", session: "s", epoch: 1, seq },
      });
    const idle = await start("idle");
    const live = await start("live");
    const wasLive = await start("was-live");
    const ended = await start("ended");
    expect((await state(live.publicId, "live", 1)).status).toBe(204);
    expect((await state(wasLive.publicId, "live", 1)).status).toBe(204);
    expect((await state(wasLive.publicId, "ended", 2)).status).toBe(204);
    const stop = await req(`/stop_stream/${ended.publicId}`, {
      method: "POST",
      headers: { authorization: `Bearer ${ended.privateId}` },
    });
    expect(stop.status).toBe(204);

    const clock = manualClock();
    const sweeper = sweeperFor(m, clock, 24 * HOUR);
    const exists = async (publicId: string) =>
      (await handle.db.select().from(streams).where(eq(streams.publicId, publicId))).length === 1;

    expect(await sweeper.sweep()).toBe(0);
    clock.advance(23 * HOUR);
    expect(await sweeper.sweep()).toBe(0);
    clock.advance(2 * HOUR);
    m.calls.length = 0;
    expect(await sweeper.sweep()).toBe(1);
    expect(await exists(idle.publicId)).toBe(false);
    for (const s of [live, wasLive, ended]) expect(await exists(s.publicId)).toBe(true);
    expect(m.calls).toEqual([`media.remove ${idle.publicId}`, `chat.remove ${idle.publicId}`]);
    // Its key no longer verifies, and it is gone from the directory.
    expect((await internal("/keys/verify", { key: idle.privateId })).status).toBe(403);
    expect(await listed(req)).not.toContain(idle.publicId);
    expect(await sweeper.sweep()).toBe(0);
  });

  test("the directory stops listing a removed stream at once, even from its page cache", async () => {
    const pages = pageCache(60 * 60_000);
    const m = managerFor(handle, { directoryCacheMs: 60 * 60_000, override: { pages } });
    const { req } = requestsTo(m.app);
    const idle = await startStream(req, "cached");
    // The page that lists it is now in memory for an hour.
    expect(await listed(req)).toContain(idle.publicId);
    const clock = manualClock();
    const sweeper = sweeperFor(m, clock, HOUR, pages.clear);
    clock.advance(2 * HOUR);
    expect(await sweeper.sweep()).toBeGreaterThanOrEqual(1);
    expect(await listed(req)).not.toContain(idle.publicId);
  });
});

type Req = ReturnType<typeof requestsTo>["req"];

/** The sweeper as main.ts wires it, over `m`'s database and service doubles, on `clock`. */
function sweeperFor(
  m: ReturnType<typeof managerFor>,
  clock: ReturnType<typeof manualClock>,
  ttlMs: number,
  onRemoved?: () => void,
) {
  return idleStreamSweeper({
    db: handle.db,
    media: m.media,
    chat: m.chat,
    logger: createLogger({}, { silent: true }),
    clock: clock.now,
    ttlMs,
    onRemoved,
  });
}

async function startStream(req: Req, name: string): Promise<StartedStream> {
  const res = await req(`/start_stream?name=${name}`, { method: "POST" });
  expect(res.status).toBe(201);
  return StartedStream.parse(await res.json());
}

/** The public ids on the directory's first page. */
async function listed(req: Req): Promise<string[]> {
  return StreamList.parse(await (await req("/streams?limit=100")).json()).streams.map((s) => s.publicId);
}
