/**
 * The platform launcher behind `bun run start`.
 * Without DATABASE_URL: embedded mode, one Bun process, one PGlite handle shared by every app (each still on
 * its own port, each built by its own app.ts). With DATABASE_URL: every app runs as its own process and they
 * share nothing but Postgres, Redis and HTTP. SIGINT/SIGTERM stop everything that was started, ffmpeg included.
 * `--cdn`: the production path on one machine: infra/cdn.sh's nginx shield + edge in front of the apps, and every
 * public URL (pages, API, HLS, WHIP, chat) on the edge (CDN_EDGE_PORT, default 8088).
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { openDatabase } from "@hearth/db";
import { type AppStartOptions, createLogger, type RunningApp } from "@hearth/server-kit";
import { z } from "zod";

const ROOT = join(import.meta.dir, "..");
// Start order matters: the manager first (others call it), the web tier last (it calls all of them).
const APPS = ["manager", "chat", "media", "web"] as const;

const LauncherEnv = z.object({
  DATABASE_URL: z.string().url().optional(),
  DATA_DIR: z.string().default(join(ROOT, "data")),
  INTERNAL_TOKEN: z.string().min(16).optional(),
  LOG_SILENT: z.enum(["0", "1"]).default("0"),
  PUBLIC_HOST: z.string().default("localhost"),
  WEB_PORT: z.coerce.number().int().default(8080),
  MANAGER_PORT: z.coerce.number().int().default(8081),
  CHAT_PORT: z.coerce.number().int().default(8082),
  MEDIA_HTTP_PORT: z.coerce.number().int().default(8083),
  RTMP_PORT: z.coerce.number().int().default(1935),
  CDN_EDGE_PORT: z.coerce.number().int().default(8088),
});

const env = LauncherEnv.parse(process.env);
const behindCdn = process.argv.includes("--cdn");
const logger = createLogger({ svc: "hearth" }, { silent: env.LOG_SILENT === "1" });
// Internal calls need a shared secret; embedded mode makes one per run unless the operator set one.
// Every address one app needs of another follows from the ports, unless the operator set it.
const host = env.PUBLIC_HOST;
const childEnv: Record<string, string | undefined> = {
  MANAGER_INTERNAL_URL: `http://127.0.0.1:${env.MANAGER_PORT}`,
  MEDIA_INTERNAL_URL: `http://127.0.0.1:${env.MEDIA_HTTP_PORT}`,
  CHAT_INTERNAL_URL: `http://127.0.0.1:${env.CHAT_PORT}`,
  PUBLIC_WEB_URL: `http://${host}:${env.WEB_PORT}`,
  MANAGER_URL: `http://${host}:${env.MANAGER_PORT}`,
  PUBLIC_HLS_BASE: `http://${host}:${env.MEDIA_HTTP_PORT}/hls`,
  PUBLIC_WHIP_BASE: `http://${host}:${env.MEDIA_HTTP_PORT}/whip`,
  PUBLIC_RTMP_BASE: `rtmp://${host}:${env.RTMP_PORT}/live`,
  PUBLIC_CHAT_BASE: `ws://${host}:${env.CHAT_PORT}`,
  // Behind the CDN, viewers and browsers reach only the edge (infra/README.md: the URL scheme); the web server
  // still renders pages from the manager directly.
  ...(behindCdn && {
    PUBLIC_WEB_URL: `http://${host}:${env.CDN_EDGE_PORT}`,
    MANAGER_URL: `http://${host}:${env.CDN_EDGE_PORT}/api`,
    MANAGER_SSR_URL: `http://127.0.0.1:${env.MANAGER_PORT}`,
    PUBLIC_HLS_BASE: `http://${host}:${env.CDN_EDGE_PORT}/hls`,
    PUBLIC_WHIP_BASE: `http://${host}:${env.CDN_EDGE_PORT}/whip`,
    PUBLIC_CHAT_BASE: `ws://${host}:${env.CDN_EDGE_PORT}`,
  }),
  ...process.env,
  WEB_PORT: String(env.WEB_PORT),
  MANAGER_PORT: String(env.MANAGER_PORT),
  CHAT_PORT: String(env.CHAT_PORT),
  MEDIA_HTTP_PORT: String(env.MEDIA_HTTP_PORT),
  RTMP_PORT: String(env.RTMP_PORT),
  INTERNAL_TOKEN: env.INTERNAL_TOKEN ?? randomBytes(24).toString("base64url"),
  DATA_DIR: env.DATA_DIR,
};
const PORTS = {
  manager: env.MANAGER_PORT,
  chat: env.CHAT_PORT,
  media: env.MEDIA_HTTP_PORT,
  web: env.WEB_PORT,
} as const;
const present = APPS.filter((a) => existsSync(join(ROOT, "apps", a, "src", "main.ts")));

const stops: Array<() => Promise<void>> = [];
const urls: Array<[string, string]> = [];
let stopping = false;

async function stopAll(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info("stopping Hearth", { signal });
  // Reverse order: the web tier goes first, the manager and the database last.
  for (const stop of stops.reverse())
    await stop().catch((err) => logger.error("stop failed", { err: String(err) }));
  process.exit(0);
}
process.on("SIGINT", () => void stopAll("SIGINT"));
process.on("SIGTERM", () => void stopAll("SIGTERM"));

if (!env.DATABASE_URL) {
  const db = await openDatabase({ dataDir: join(env.DATA_DIR, "pglite") });
  await db.migrate();
  stops.push(() => db.close());
  for (const name of present) {
    const mod = (await import(join(ROOT, "apps", name, "src", "main.ts"))) as {
      start(o: AppStartOptions): Promise<RunningApp>;
    };
    const app = await mod.start({ env: childEnv, logger: logger.child({ svc: name }), db });
    stops.push(() => app.stop());
    for (const [what, url] of Object.entries(app.urls)) urls.push([`${name} ${what}`, url]);
  }
} else {
  for (const name of present) {
    const child = Bun.spawn(["bun", join(ROOT, "apps", name, "src", "main.ts")], {
      env: childEnv,
      stdio: ["ignore", "inherit", "inherit"],
    });
    stops.push(async () => {
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await child.exited;
      clearTimeout(killer);
    });
    void child.exited.then((code) => {
      if (!stopping) {
        logger.error(`${name} exited; stopping the platform`, { code });
        void stopAll("child-exit");
      }
    });
  }
  // Each app is its own process here: wait until each answers, then list what a person opens.
  for (const name of present) await waitHealthy(name, `http://127.0.0.1:${PORTS[name]}/healthz`);
  const publicUrls: Record<(typeof APPS)[number], Array<[string, string]>> = {
    manager: [["manager API", childEnv.MANAGER_URL ?? ""]],
    chat: [["chat WebSocket", `${childEnv.PUBLIC_CHAT_BASE}/rooms/<publicId>`]],
    media: [
      ["media HLS", childEnv.PUBLIC_HLS_BASE ?? ""],
      ["media RTMP", childEnv.PUBLIC_RTMP_BASE ?? ""],
    ],
    web: [["web", childEnv.PUBLIC_WEB_URL ?? ""]],
  };
  for (const name of present) urls.push(...publicUrls[name]);
}

/** Polls an app's /healthz until it answers (or gives up after a minute, stopping everything). */
async function waitHealthy(name: string, url: string): Promise<void> {
  for (let i = 0; i < 600 && !stopping; i++) {
    if (
      await fetch(url, { signal: AbortSignal.timeout(1000) }).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await Bun.sleep(100);
  }
  if (!stopping) {
    logger.error(`${name} did not become healthy`, { url });
    await stopAll("unhealthy");
  }
}

if (behindCdn && !stopping) await startCdn();

/** Runs infra/cdn.sh up in front of the apps (stopped with them) and waits for its "ready" line. */
async function startCdn(): Promise<void> {
  const local = (port: number) => `127.0.0.1:${port}`;
  const cdn = Bun.spawn(
    [
      "bash",
      join(ROOT, "infra", "cdn.sh"),
      "up",
      "--dir",
      join(env.DATA_DIR, "cdn"),
      "--edge-port",
      String(env.CDN_EDGE_PORT),
    ]
      .concat(["--media", `media-1=${local(env.MEDIA_HTTP_PORT)}`, "--web", local(env.WEB_PORT)])
      .concat(["--manager", local(env.MANAGER_PORT), "--chat", local(env.CHAT_PORT)]),
    { stdout: "pipe", stderr: "inherit" },
  );
  // Stopped first (stops run in reverse): the CDN is in front of everything else.
  stops.push(async () => {
    cdn.kill("SIGTERM");
    await cdn.exited;
  });
  // Read up to the ready line only; the pipe stays open (released, not cancelled) so cdn.sh never hits SIGPIPE.
  const reader = cdn.stdout.getReader();
  let out = "";
  while (!out.includes("cdn: ready")) {
    const chunk = await reader.read();
    if (chunk.done) break;
    out += new TextDecoder().decode(chunk.value);
  }
  reader.releaseLock();
  if (!out.includes("cdn: ready")) {
    logger.error("infra/cdn.sh did not start; stopping the platform", { output: out.trim() });
    await stopAll("cdn-failed");
    return;
  }
  void cdn.exited.then((code) => {
    if (!stopping) {
      logger.error("the CDN exited; stopping the platform", { code });
      void stopAll("cdn-exit");
    }
  });
  // In embedded mode the apps list their own (direct) URLs: put what a viewer opens first.
  urls.unshift(
    ["CDN edge (open this)", childEnv.PUBLIC_WEB_URL ?? ""],
    ["CDN edge HLS", childEnv.PUBLIC_HLS_BASE ?? ""],
  );
}

const width = Math.max(0, ...urls.map(([k]) => k.length));
const lines = urls.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`);
process.stdout.write(
  `\nHearth is running (${env.DATABASE_URL ? "Postgres" : `embedded PGlite in ${env.DATA_DIR}`}).\n${lines.join("\n")}\nCtrl-C stops everything.\n\n`,
);
process.stdout.write("hearth: ready\n");
