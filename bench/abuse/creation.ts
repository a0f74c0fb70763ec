/**
 * bench/abuse (a), creation flood: from one address, 1,000 `POST /start_stream` in 10 s against the real manager
 * (its main.ts start(), Postgres, public defaults: 10 an hour, burst 3, 5 open per address), with a normal
 * `GET /streams` every 20 ms alongside. Prints accepted vs refused (by status and code) and the GET p99.
 * Target: creation limited as configured (3 accepted), GET /streams p99 under 50 ms throughout.
 *
 *   bun bench/abuse/creation.ts
 *
 * The manager runs in a child process (`serve`), so the load generator's own work does not skew its latencies.
 * Media and chat answer from an in-process stand-in there: this measures the manager alone.
 */
import { randomBytes } from "node:crypto";

const FLOOD = 1000;
const SECONDS = 10;
const GET_EVERY_MS = 20;

if (process.argv[2] === "serve") await serve();
else await drive();

async function serve(): Promise<void> {
  const { openDatabase } = await import("@hearth/db");
  const { createLogger } = await import("@hearth/server-kit");
  const { start } = await import("../../apps/manager/src/main.ts");
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
  const schema = `bench_${randomBytes(4).toString("hex")}`;
  const db = await openDatabase({
    url: process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test",
    schema,
  });
  await db.migrate();
  const admin = randomBytes(24).toString("base64url");
  const app = await start({
    env: {
      MANAGER_PORT: "0",
      BIND_HOST: "127.0.0.1",
      INTERNAL_TOKEN: randomBytes(24).toString("base64url"),
      ADMIN_TOKEN: admin,
      MEDIA_INTERNAL_URL: `http://127.0.0.1:${services.port}`,
      CHAT_INTERNAL_URL: `http://127.0.0.1:${services.port}`,
    },
    logger: createLogger({}, { silent: true }),
    db,
  });
  const base = app.urls.API ?? "";
  // A directory of 100 streams, created by the operator (who is not rate-limited).
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`${base}/start_stream?name=seed%20${i}`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin}` },
    });
    if (res.status !== 201) throw new Error(`seeding failed: ${res.status}`);
  }
  process.stdout.write(`ready ${base}\n`);
  process.on("SIGTERM", async () => {
    await app.stop();
    services.stop(true);
    await db.db.execute(`drop schema if exists "${schema}" cascade` as never).catch(() => {});
    await db.close();
    process.exit(0);
  });
}

async function drive(): Promise<void> {
  const child = Bun.spawn(["bun", import.meta.path, "serve"], { stdout: "pipe", stderr: "inherit" });
  const reader = child.stdout.getReader();
  let out = "";
  while (!out.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("the manager exited before it was ready");
    out += new TextDecoder().decode(value);
  }
  const base = /ready (\S+)/.exec(out)?.[1];
  if (!base) throw new Error(`unexpected: ${out}`);
  try {
    const outcomes = new Map<string, number>();
    const postMs: number[] = [];
    const getMs: number[] = [];
    const t0 = performance.now();
    const end = t0 + SECONDS * 1000;
    let getting = true;
    const gets = (async () => {
      for (let next = performance.now(); getting; next += GET_EVERY_MS) {
        await Bun.sleep(Math.max(0, next - performance.now()));
        const s = performance.now();
        const res = await fetch(`${base}/streams`);
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`GET /streams answered ${res.status}`);
        getMs.push(performance.now() - s);
      }
    })();
    const posts: Promise<void>[] = [];
    for (let i = 0; i < FLOOD; i++) {
      await Bun.sleep(Math.max(0, t0 + (i * SECONDS * 1000) / FLOOD - performance.now()));
      posts.push(
        (async () => {
          const s = performance.now();
          const res = await fetch(`${base}/start_stream`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ name: `flood ${i}` }),
          });
          const body = (await res.json()) as { error?: { code: string } };
          postMs.push(performance.now() - s);
          const key = `${res.status}${body.error ? ` ${body.error.code}` : ""}`;
          outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
        })(),
      );
    }
    await Promise.all(posts);
    const sent = (performance.now() - t0) / 1000;
    await Bun.sleep(Math.max(0, end - performance.now()));
    getting = false;
    await gets;
    const pct = (xs: number[], p: number) => {
      const sorted = [...xs].sort((a, b) => a - b);
      return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
    };
    console.log(`POST /start_stream x${FLOOD} from one address in ${sent.toFixed(1)} s:`);
    for (const [k, n] of [...outcomes].sort()) console.log(`  ${k.padEnd(28)} ${n}`);
    console.log(
      `  POST latency   p50 ${pct(postMs, 50).toFixed(1)} ms  p99 ${pct(postMs, 99).toFixed(1)} ms`,
    );
    console.log(
      `GET /streams x${getMs.length} alongside: p50 ${pct(getMs, 50).toFixed(1)} ms  p99 ${pct(getMs, 99).toFixed(1)} ms  max ${Math.max(...getMs).toFixed(1)} ms (target p99 < 50 ms)`,
    );
  } finally {
    child.kill("SIGTERM");
    await child.exited;
  }
}
