import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { StartedStream } from "@hearth/contracts";
import { type DatabaseHandle, streams } from "@hearth/db";
import { createLogger } from "@hearth/server-kit";
import { eq } from "drizzle-orm";
import { freshDatabase, INTERNAL, managerFor } from "../testing/harness.ts";
import { idleStreamSweeper } from "./idle-streams.ts";

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
    const req = (path: string, init?: RequestInit) => m.app.request(`http://localhost${path}`, init);
    const start = async (name: string) =>
      StartedStream.parse(await (await req(`/start_stream?name=${name}`, { method: "POST" })).json());
    const state = (publicId: string, phase: string, seq: number) =>
      req(`/internal/streams/${publicId}/state`, {
        method: "POST",
        headers: { authorization: `Bearer ${INTERNAL}`, "content-type": "application/json" },
        body: JSON.stringify({ phase, origin: { node: "default", session: "s", epoch: 1, seq } }),
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

    let now = Date.now();
    const sweeper = idleStreamSweeper({
      db: handle.db,
      media: m.media,
      chat: m.chat,
      logger: createLogger({}, { silent: true }),
      clock: () => now,
      ttlMs: 24 * HOUR,
    });
    const exists = async (publicId: string) =>
      (await handle.db.select().from(streams).where(eq(streams.publicId, publicId))).length === 1;

    expect(await sweeper.sweep()).toBe(0);
    now += 23 * HOUR;
    expect(await sweeper.sweep()).toBe(0);
    now += 2 * HOUR;
    m.calls.length = 0;
    expect(await sweeper.sweep()).toBe(1);
    expect(await exists(idle.publicId)).toBe(false);
    for (const s of [live, wasLive, ended]) expect(await exists(s.publicId)).toBe(true);
    expect(m.calls).toEqual([`media.remove ${idle.publicId}`, `chat.remove ${idle.publicId}`]);
    // Its key no longer verifies, and it is gone from the directory.
    const verify = await req("/internal/keys/verify", {
      method: "POST",
      headers: { authorization: `Bearer ${INTERNAL}`, "content-type": "application/json" },
      body: JSON.stringify({ key: idle.privateId }),
    });
    expect(verify.status).toBe(403);
    const list = await (await req("/streams?limit=100")).json();
    expect(list.streams.some((s: { publicId: string }) => s.publicId === idle.publicId)).toBe(false);
    expect(await sweeper.sweep()).toBe(0);
  });
});
