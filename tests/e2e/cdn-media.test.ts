/**
 * The CDN in front of two REAL media nodes (apps/media start()), their HLS origin serving files written into
 * each node's HLS directory. The real origin keeps no request counter, so origin fetches are counted in the
 * shield's access log: every shield MISS is exactly one request to a media node.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createLogger } from "@hearth/server-kit";
import { type RunningMedia, start as startMedia } from "../../apps/media/src/main.ts";
import { burst, publicId, type RunningCdn, startCdn } from "./cdn-harness.ts";
import { freePort } from "./support/ports.ts";

const nodes: Array<{ id: string; app: RunningMedia; hlsDir: string }> = [];
let cdn: RunningCdn;

beforeAll(async () => {
  for (const id of ["media-1", "media-2"]) {
    const hlsDir = mkdtempSync(join(tmpdir(), `hearth-${id}-`));
    const app = await startMedia({
      env: {
        MEDIA_HTTP_PORT: "0",
        RTMP_PORT: "0",
        BIND_HOST: "127.0.0.1",
        HLS_DIR: hlsDir,
        DATA_DIR: hlsDir,
        INTERNAL_TOKEN: "test-internal-token-0123456789",
        // No manager here: nobody publishes, and the origin side never calls it.
        MANAGER_INTERNAL_URL: `http://127.0.0.1:${freePort()}`,
      },
      logger: createLogger({}, { silent: true }),
    });
    nodes.push({ id, app, hlsDir });
  }
  cdn = await startCdn({ media: nodes.map((n) => ({ id: n.id, port: n.app.httpPort })) });
}, 60_000);

afterAll(async () => {
  await cdn?.stop();
  for (const n of nodes) {
    await n.app.stop();
    rmSync(n.hlsDir, { recursive: true, force: true });
  }
});

async function put(node: number, rel: string, body: string | Uint8Array): Promise<void> {
  const dir = nodes[node]?.hlsDir ?? "";
  mkdirSync(dirname(join(dir, rel)), { recursive: true });
  await Bun.write(join(dir, rel), body);
}

/** Requests the shield sent to a media node for this path (one per shield MISS, counted in its log). */
async function originFetches(path: string): Promise<number> {
  // The access log is flushed every second (buffer=64k flush=1s).
  await Bun.sleep(1300);
  const log = await Bun.file(join(cdn.dir, "shield", "logs", "access.log")).text();
  return log.split("\n").filter((l) => l.includes(`GET ${path} `) && / cache=(MISS|EXPIRED) /.test(l)).length;
}

describe("edge → shield → real media nodes", () => {
  test("each node's streams are reached by its node id; headers are the origin's", async () => {
    const id = publicId();
    await put(0, `${id}/master.m3u8`, "#EXTM3U\n#node one\n");
    await put(1, `${id}/master.m3u8`, "#EXTM3U\n#node two\n");
    const two = await fetch(`${cdn.edge}/hls/media-2/${id}/master.m3u8`);
    expect(two.status).toBe(200);
    expect(await two.text()).toContain("#node two");
    expect(two.headers.get("cache-control")).toBe("public, max-age=1");
    expect(two.headers.get("content-type")).toBe("application/vnd.apple.mpegurl");
    expect(two.headers.get("access-control-allow-origin")).toBe("*");
    expect(two.headers.get("x-cache-status")).toBe("MISS");
    const again = await fetch(`${cdn.edge}/hls/media-2/${id}/master.m3u8`);
    expect(again.headers.get("x-cache-status")).toBe("HIT");
    await again.text();
    expect(await (await fetch(`${cdn.edge}/hls/media-1/${id}/master.m3u8`)).text()).toContain("#node one");
  });

  test("200 concurrent viewers of a new segment: one fetch from the media node", async () => {
    const id = publicId();
    const body = new Uint8Array(188 * 2000).map((_, i) => i % 253);
    await put(1, `${id}/720p/seg_x_7.ts`, body);
    const res = await burst(`${cdn.edge}/hls/media-2/${id}/720p/seg_x_7.ts`, 200);
    for (const r of res) {
      expect(r.status).toBe(200);
      expect(r.body.length).toBe(body.length);
      expect(r.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    }
    expect(res.filter((r) => r.headers.get("x-cache-status") === "MISS").length).toBe(1);
    expect(await originFetches(`/hls/media-2/${id}/720p/seg_x_7.ts`)).toBe(1);
  });

  test("the origin's 404 passes through, and a burst of them is one fetch", async () => {
    const id = publicId();
    const res = await burst(`${cdn.edge}/hls/media-1/${id}/720p/seg_x_1.ts`, 50);
    for (const r of res) expect(r.status).toBe(404);
    const first = res[0];
    expect(JSON.parse(new TextDecoder().decode(first?.body)).error.code).toBe("not_found");
    expect(first?.headers.get("cache-control")).toBe("no-store");
    expect(await originFetches(`/hls/media-1/${id}/720p/seg_x_1.ts`)).toBe(1);
  });

  test("Range on a real segment", async () => {
    const id = publicId();
    const body = new Uint8Array(188 * 100).map((_, i) => (i * 7) % 256);
    await put(0, `${id}/480p/seg_y_1.ts`, body);
    const res = await fetch(`${cdn.edge}/hls/media-1/${id}/480p/seg_y_1.ts`, {
      headers: { Range: "bytes=188-375" },
    });
    expect(res.status).toBe(206);
    expect(res.headers.get("content-range")).toBe(`bytes 188-375/${body.length}`);
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(body.subarray(188, 376)))).toBe(true);
  });
});
