/**
 * The real manager (its own main.ts start()) as the process a manager benchmark drives, with 100 streams seeded.
 * Media and chat answer from a small in-process stand-in, because these benchmarks measure the manager alone;
 * the full path is measured by the e2e suites. The child prints `ready <base>` once it serves and stops cleanly
 * on SIGTERM; {@link spawnBenchManager} is the driving side.
 */
import { randomBytes } from "node:crypto";
import { openDatabase } from "@hearth/db";
import { createLogger } from "@hearth/server-kit";
import { start } from "../../apps/manager/src/main.ts";

/** Stand-in for the media node and chat service: answers their internal calls instantly. */
function startServicesStandIn(): ReturnType<typeof Bun.serve> {
  return Bun.serve({
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
}

/**
 * Runs in the child: starts the manager on `database` with `env` added to its settings, seeds 100 streams
 * (as `seedToken`'s bearer when given, e.g. the operator, who is not rate-limited), prints `ready <base>`.
 */
export async function serveBenchManager(o: {
  database: "postgres" | "pglite";
  env: Record<string, string>;
  seedToken?: string;
}): Promise<void> {
  const services = startServicesStandIn();
  const schema = `bench_${randomBytes(4).toString("hex")}`;
  const db =
    o.database === "postgres"
      ? await openDatabase({
          url: process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test",
          schema,
        })
      : await openDatabase({ dataDir: "memory://" });
  await db.migrate();
  const app = await start({
    env: {
      MANAGER_PORT: "0",
      BIND_HOST: "127.0.0.1",
      INTERNAL_TOKEN: randomBytes(24).toString("base64url"),
      MEDIA_INTERNAL_URL: `http://127.0.0.1:${services.port}`,
      CHAT_INTERNAL_URL: `http://127.0.0.1:${services.port}`,
      ...o.env,
    },
    logger: createLogger({}, { silent: true }),
    db,
  });
  const base = app.urls.API ?? "";
  const headers: Record<string, string> = o.seedToken ? { authorization: `Bearer ${o.seedToken}` } : {};
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`${base}/start_stream?name=seed%20${i}`, { method: "POST", headers });
    if (res.status !== 201) throw new Error(`seeding failed: ${res.status}`);
  }
  process.stdout.write(`ready ${base}\n`);
  process.on("SIGTERM", async () => {
    await app.stop();
    services.stop(true);
    if (db.kind === "postgres")
      await db.db.execute(`drop schema if exists "${schema}" cascade` as never).catch(() => {});
    await db.close();
    process.exit(0);
  });
}

/** The driving side: spawns `bun <script> ...args` and resolves once it prints `ready <base>`. */
export async function spawnBenchManager(
  script: string,
  args: string[],
): Promise<{ base: string; stop(): Promise<void> }> {
  const child = Bun.spawn(["bun", script, ...args], { stdout: "pipe", stderr: "inherit" });
  const reader = child.stdout.getReader();
  let out = "";
  while (!out.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${script} ${args.join(" ")} exited before it was ready`);
    out += new TextDecoder().decode(value);
  }
  const base = /ready (\S+)/.exec(out)?.[1];
  if (!base) {
    child.kill("SIGKILL");
    throw new Error(`unexpected: ${out}`);
  }
  return {
    base,
    async stop() {
      child.kill("SIGTERM");
      await child.exited;
    },
  };
}
