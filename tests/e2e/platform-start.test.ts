import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StartedStream } from "@hearth/contracts";
import postgres from "postgres";
import { freePort } from "./support/ports.ts";
import { cmdline, descendantRefs, survivors } from "./support/processes.ts";
import { publishSynthetic } from "./support/synthetic-source.ts";
import { answers, msSince, until } from "./support/until.ts";

const ROOT = join(import.meta.dir, "..", "..");
const dataDir = mkdtempSync(join(tmpdir(), "hearth-start-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const PG = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

describe.each(["embedded", "postgres"] as const)("scripts/start.sh, %s", (mode) => {
  let dbUrl: string | undefined;
  beforeAll(async () => {
    if (mode !== "postgres") return;
    // A database of its own: with DATABASE_URL every app runs as a process and migrates it at start.
    const name = `hearth_start_${randomBytes(4).toString("hex")}`;
    const admin = postgres(PG, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    await admin.end();
    const url = new URL(PG);
    url.pathname = `/${name}`;
    dbUrl = url.toString();
  });
  afterAll(async () => {
    if (!dbUrl) return;
    const admin = postgres(PG, { max: 1, onnotice: () => {} });
    await admin.unsafe(`drop database if exists ${new URL(dbUrl).pathname.slice(1)} with (force)`);
    await admin.end();
  });

  test("the README's start command runs the platform, serves the API and stops every child on SIGTERM", async () => {
    const ports = {
      WEB_PORT: freePort(),
      MANAGER_PORT: freePort(),
      CHAT_PORT: freePort(),
      MEDIA_HTTP_PORT: freePort(),
      RTMP_PORT: freePort(),
    };
    const env: Record<string, string> = { ...(process.env as Record<string, string>), DATA_DIR: dataDir };
    delete env.DATABASE_URL;
    if (dbUrl) env.DATABASE_URL = dbUrl;
    for (const [k, v] of Object.entries(ports)) env[k] = String(v);
    const proc = Bun.spawn(["bash", join(ROOT, "scripts", "start.sh")], {
      cwd: ROOT,
      env,
      stdout: "pipe",
      stderr: "pipe",
    });
    let output = "";
    let publisher: Bun.Subprocess | undefined;
    const collect = async (stream: ReadableStream<Uint8Array>) => {
      for await (const chunk of stream) output += new TextDecoder().decode(chunk);
    };
    void collect(proc.stdout);
    void collect(proc.stderr);
    // A deploy script's way to wait: poll the manager's /readyz from the moment of launch, and create a stream
    // the moment it first answers 200 (the manager must not be "ready" before the media node listens).
    const firstCreate = until(
      "the manager's /readyz",
      180_000,
      () => answers(`http://127.0.0.1:${ports.MANAGER_PORT}/readyz`)(),
      50,
    ).then(async () => {
      const res = await fetch(
        `http://127.0.0.1:${ports.MANAGER_PORT}/start_stream?name=right%20after%20readyz`,
        {
          method: "POST",
        },
      );
      return `${res.status} ${await res.text()}`;
    });
    firstCreate.catch(() => {});
    try {
      const t0 = performance.now();
      await until(
        'the launcher to print "hearth: ready"',
        180_000,
        () => {
          if (proc.exitCode !== null)
            throw new Error(`the launcher exited (${proc.exitCode}) first:\n${output}`);
          return output.includes("hearth: ready");
        },
        50,
      );
      console.log(`platform-start (${mode}): "hearth: ready" after ${msSince(t0)} ms`);
      expect(output).toContain(`http://localhost:${ports.MANAGER_PORT}`);
      expect(output).toContain(`http://localhost:${ports.WEB_PORT}`);

      // "ready" means ready: right away, with no polling of our own, a stream can be created and every app
      // answers (a script that waits for this line, or for /readyz, must not see "media unreachable").
      const res = await fetch(
        `http://127.0.0.1:${ports.MANAGER_PORT}/start_stream?name=from%20the%20launcher`,
        { method: "POST" },
      );
      expect(res.status, await res.clone().text()).toBe(201);
      expect(await firstCreate).toStartWith("201 ");
      const stream = StartedStream.parse(await res.json());
      expect((await fetch(`http://127.0.0.1:${ports.MANAGER_PORT}/readyz`)).status).toBe(200);
      const page = await fetch(`http://127.0.0.1:${ports.WEB_PORT}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toContain("text/html");
      await page.body?.cancel();
      for (const port of [ports.CHAT_PORT, ports.MEDIA_HTTP_PORT])
        expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);

      const list = await (await fetch(`http://127.0.0.1:${ports.MANAGER_PORT}/streams`)).text();
      expect(list).toContain(stream.publicId);
      // Go live over RTMP so the media node has an ffmpeg running when the platform is told to stop.
      publisher = publishSynthetic(
        `${stream.rtmp.server}/${stream.rtmp.streamKey}`,
        { seconds: 60 },
        "ignore",
      );
      await until("the stream to go live", 60_000, async () => {
        const s = await fetch(`http://127.0.0.1:${ports.MANAGER_PORT}/stream/${stream.publicId}`).then(
          (r) => r.json() as Promise<{ live?: boolean }>,
          () => ({ live: false }),
        );
        return s.live === true;
      });
      // The key is shown to its owner once, and never logged.
      expect(output).not.toContain(stream.privateId);

      const children = descendantRefs(proc.pid);
      const commands = children.map((c) => cmdline(c.pid));
      expect(commands.some((c) => c.startsWith("ffmpeg"))).toBe(true);
      // With DATABASE_URL each app is its own process.
      if (mode === "postgres") expect(commands.filter((c) => c.includes("/src/main.ts")).length).toBe(4);
      proc.kill("SIGTERM");
      const code = await Promise.race([proc.exited, Bun.sleep(60_000).then(() => "timeout")]);
      expect(code).toBe(0);
      // Orphans are reaped by init, and a killed process takes a moment to exit: wait, then list survivors.
      expect(await survivors(children, 15_000)).toEqual([]);
    } finally {
      publisher?.kill("SIGKILL");
      if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
      await proc.exited;
    }
  }, 360_000);
});
