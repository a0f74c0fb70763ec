/**
 * The platform launcher behind `bun run start`.
 * Without DATABASE_URL: embedded mode, one Bun process, one PGlite handle shared by every app (each still on
 * its own port, each built by its own app.ts). With DATABASE_URL: every app runs as its own process and they
 * share nothing but Postgres, Redis and HTTP. SIGINT/SIGTERM stop everything that was started, ffmpeg included.
 * `--cdn`: the production path on one machine: infra/cdn.sh's nginx shield + edge in front of the apps, and every
 * public URL (pages, API, HLS, WHIP, chat) on the edge (CDN_EDGE_PORT, default 8088).
 */
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { openDatabase } from "@hearth/db";
import {
  type AppStartOptions,
  createLogger,
  installCrashHandlers,
  type RunningApp,
} from "@hearth/server-kit";
import { z } from "zod";

const ROOT = join(import.meta.dir, "..");
// Start order matters. Chat and media first: they call the manager only when asked (a key check) or retry
// (heartbeats), so they may start before it. Then the manager: once it answers, every app a stream needs
// listens, so a script that waits for the manager (/readyz) can create a stream at once. The web tier last:
// it calls all of them.
const APPS = ["chat", "media", "manager", "web"] as const;
// Stop order: the CDN (in front of everything) first, then the web tier, then media (its last "offline" reports still reach the manager), the manager
// last; the database after all of them.
const STOP_ORDER = ["cdn", "web", "media", "chat", "manager"] as const;

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

const stops = new Map<(typeof STOP_ORDER)[number] | "db", () => Promise<void>>();
const urls: Array<[string, string]> = [];
let stopping = false;

async function stopAll(signal: string, code = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info("stopping Hearth", { signal });
  for (const name of [...STOP_ORDER, "db" as const]) {
    const stop = stops.get(name);
    if (stop) await stop().catch((err) => logger.error("stop failed", { name, err: String(err) }));
  }
  process.exit(code);
}
process.on("SIGINT", () => void stopAll("SIGINT"));
process.on("SIGTERM", () => void stopAll("SIGTERM"));
// Embedded mode runs every app in this process, the media node among them: a stray rejection is logged and
// everything keeps serving; an uncaught exception stops everything (exit 1). With DATABASE_URL each app's
// own process applies its own policy (runStandalone) and this launcher stops the platform if one exits.
installCrashHandlers(
  logger,
  { uncaughtException: "exit", unhandledRejection: "log" },
  (code) => void stopAll("crash", code),
);

const local = (port: number, path: string) => `http://127.0.0.1:${port}${path}`;

if (!env.DATABASE_URL) {
  const db = await openDatabase({ dataDir: join(env.DATA_DIR, "pglite") });
  await db.migrate();
  stops.set("db", () => db.close());
  for (const name of present) {
    const mod = (await import(join(ROOT, "apps", name, "src", "main.ts"))) as {
      start(o: AppStartOptions): Promise<RunningApp>;
    };
    const app = await mod.start({ env: childEnv, logger: logger.child({ svc: name }), db });
    stops.set(name, () => app.stop());
    for (const [what, url] of Object.entries(app.urls)) urls.push([`${name} ${what}`, url]);
    await waitUntil(`${name} to answer`, local(PORTS[name], "/healthz"));
  }
} else {
  for (const name of present) {
    const child = Bun.spawn(["bun", join(ROOT, "apps", name, "src", "main.ts")], {
      env: childEnv,
      stdio: ["ignore", "inherit", "inherit"],
    });
    stops.set(name, async () => {
      child.kill("SIGTERM");
      // An app that has not stopped in 15 s is killed with what it spawned (its ffmpegs): once it is gone they
      // would be orphans that nobody stops.
      const killer = setTimeout(() => {
        logger.error(`${name} did not stop within 15 s; killing it and its children`, { pid: child.pid });
        for (const pid of descendantsOf(child.pid)) killQuietly(pid);
        child.kill("SIGKILL");
      }, 15_000);
      await child.exited;
      clearTimeout(killer);
    });
    void child.exited.then((code) => {
      if (!stopping) {
        logger.error(`${name} exited; stopping the platform`, { code });
        void stopAll("child-exit", 1);
      }
    });
    // One at a time, in dependency order: the next app calls this one as soon as it starts.
    await waitUntil(`${name} to answer`, local(PORTS[name], "/healthz"));
  }
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
// Every app listens; "ready" also means a stream can be created now: the manager's /readyz answers 200 only
// once it reaches its database, a healthy media node and chat.
if (present.includes("manager")) await waitUntil("the manager to be ready", local(PORTS.manager, "/readyz"));

/** Every process below `root`, from /proc (Linux); none elsewhere. */
function descendantsOf(root: number): number[] {
  const parent = new Map<number, number>();
  try {
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
        // The fields after the command name's last ")" are fixed: state, then the parent's pid.
        parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
      } catch {
        // It ended while we looked.
      }
    }
  } catch {
    return [];
  }
  const out: number[] = [];
  const frontier = [root];
  for (let p = frontier.pop(); p !== undefined; p = frontier.pop())
    for (const [child, of] of parent)
      if (of === p) {
        out.push(child);
        frontier.push(child);
      }
  return out;
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

/** Polls `url` until it answers 200; after a minute, stops everything and exits non-zero. */
async function waitUntil(what: string, url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  let last = "no answer";
  while (Date.now() < deadline && !stopping) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
      last = `${res.status} ${(await res.text()).slice(0, 300)}`;
    } catch (err) {
      last = String(err);
    }
    await Bun.sleep(100);
  }
  if (!stopping) {
    logger.error(`gave up waiting for ${what}`, { url, last });
    await stopAll("not-ready", 1);
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
  // Stopped first (STOP_ORDER): the CDN is in front of everything else.
  stops.set("cdn", async () => {
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
    await stopAll("cdn-failed", 1);
    return;
  }
  void cdn.exited.then((code) => {
    if (!stopping) {
      logger.error("the CDN exited; stopping the platform", { code });
      void stopAll("cdn-exit", 1);
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
// Printed last, once every app answers and the manager is ready: scripts wait for this line.
process.stdout.write("hearth: ready\n");
