/**
 * The process under test for bench/api: the real manager (its own main.ts start()) on Postgres or PGlite,
 * with 100 streams seeded. Media and chat answer from a small in-process stand-in, because this benchmark
 * measures the manager alone; the full path is measured by the e2e suites.
 */
import { randomBytes } from "node:crypto";
import { openDatabase } from "@hearth/db";
import { createLogger } from "@hearth/server-kit";
import { start } from "../../apps/manager/src/main.ts";

const kind = process.argv[2] === "pglite" ? "pglite" : "postgres";
const cacheMs = process.argv[3] ?? "500";
const token = randomBytes(24).toString("base64url");

// Stand-in for the media node and chat service: answers their internal calls instantly.
const services = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(req) {
    const url = new URL(req.url);
    if (req.method === "DELETE") return new Response(null, { status: 204 });
    if (url.pathname === "/internal/rooms/counts") return Response.json({ rooms: {} });
    const { publicId } = (await req.json()) as { publicId: string };
    if (url.pathname === "/internal/rooms")
      return Response.json({ chatUrl: `ws://127.0.0.1/rooms/${publicId}` });
    return Response.json({
      rtmpServer: "rtmp://127.0.0.1:1935/live",
      whipUrl: `http://127.0.0.1/whip/${publicId}`,
      hlsUrl: `http://127.0.0.1/hls/${publicId}/master.m3u8`,
    });
  },
});

const db =
  kind === "postgres"
    ? await openDatabase({
        url: process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test",
        schema: `bench_${randomBytes(4).toString("hex")}`,
      })
    : await openDatabase({ dataDir: "memory://" });
await db.migrate();
const app = await start({
  env: {
    MANAGER_PORT: "0",
    BIND_HOST: "127.0.0.1",
    INTERNAL_TOKEN: token,
    MEDIA_INTERNAL_URL: `http://127.0.0.1:${services.port}`,
    CHAT_INTERNAL_URL: `http://127.0.0.1:${services.port}`,
    DIRECTORY_CACHE_MS: cacheMs,
    // This bench measures what a creation costs, not the abuse limits (bench/abuse does): lift them.
    CREATE_RATE_PER_HOUR: "1000000000",
    CREATE_BURST: "1000000000",
    MAX_OPEN_STREAMS_PER_IP: "1000000000",
    MAX_OPEN_STREAMS: "1000000000",
  },
  logger: createLogger({}, { silent: true }),
  db,
});
const base = app.urls.API ?? "";
for (let i = 0; i < 100; i++) {
  const res = await fetch(`${base}/start_stream?name=seed%20${i}`, { method: "POST" });
  if (res.status !== 201) throw new Error(`seeding failed: ${res.status}`);
}
process.stdout.write(`ready ${base}\n`);
process.on("SIGTERM", async () => {
  await app.stop();
  services.stop(true);
  if (db.kind === "postgres")
    await db.db.execute(`drop schema if exists bench_x cascade` as never).catch(() => {});
  await db.close();
  process.exit(0);
});
