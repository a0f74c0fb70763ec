/**
 * SIGTERM to a media node process while it transcodes a live stream: the process exits cleanly and
 * not one ffmpeg it spawned is left running.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createStream, lookup, type Platform, publish, reap, startPlatform, TOKEN } from "./media-harness.ts";
import { freePort } from "./support/ports.ts";
import { cmdline, descendantRefs, survivors } from "./support/processes.ts";
import { answers, until } from "./support/until.ts";

const ROOT = join(import.meta.dir, "..", "..");
let p: Platform;
const dataDir = mkdtempSync(join(tmpdir(), "hearth-media-node-"));

beforeAll(async () => {
  p = await startPlatform();
}, 30_000);
afterAll(async () => {
  await p?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

test("a registered media node takes the stream; SIGTERM to it leaves no ffmpeg process behind", async () => {
  const ports = { http: freePort(), rtmp: freePort() };
  const node = Bun.spawn(["bun", join(ROOT, "apps", "media", "src", "main.ts")], {
    env: {
      ...(process.env as Record<string, string>),
      INTERNAL_TOKEN: TOKEN,
      BIND_HOST: "127.0.0.1",
      DATA_DIR: dataDir,
      MEDIA_HTTP_PORT: String(ports.http),
      RTMP_PORT: String(ports.rtmp),
      MANAGER_INTERNAL_URL: p.managerUrl,
      X264_PRESET: "ultrafast",
      // Scale-out registration: once a node heart-beats, the manager places new streams on registered nodes.
      MEDIA_NODE_ID: "media-e2e",
      MEDIA_NODE_INTERNAL_URL: `http://127.0.0.1:${ports.http}`,
      PUBLIC_HLS_BASE: `http://127.0.0.1:${ports.http}/hls`,
      PUBLIC_RTMP_BASE: `rtmp://127.0.0.1:${ports.rtmp}/live`,
    },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let output = "";
  void (async () => {
    for await (const c of node.stderr) output += new TextDecoder().decode(c);
  })();
  await until("media node up", 30_000, answers(`http://127.0.0.1:${ports.http}/healthz`));
  // Its first heartbeat is sent at start; until the manager has it, streams go to the default node.
  const stream = await until(
    "the manager to place a stream on the node",
    20_000,
    async () => {
      const s = await createStream(p.managerUrl, "shutdown");
      return s.hlsUrl.startsWith(`http://127.0.0.1:${ports.http}/`) ? s : undefined;
    },
    250,
  );
  expect(stream.hlsUrl).toBe(`http://127.0.0.1:${ports.http}/hls/${stream.publicId}/master.m3u8`);
  expect(stream.rtmp.server).toBe(`rtmp://127.0.0.1:${ports.rtmp}/live`);
  const pub = publish(`${stream.rtmp.server}/${stream.rtmp.streamKey}`, 60);
  try {
    await until("live", 30_000, async () => (await lookup(p.managerUrl, stream.publicId)).live);
    const ffmpegs = await until("an ffmpeg child", 20_000, () => {
      const kids = descendantRefs(node.pid).filter((r) => cmdline(r.pid).includes("ffmpeg"));
      return kids.length > 0 ? kids : undefined;
    });
    // Every descendant, each named by pid and start time: after the node exits they are orphans (reaped by
    // init), and a pid may be reused; a zombie or an exiting process (flagged PF_EXITING, command line already empty) has stopped.
    const all = [...ffmpegs, ...descendantRefs(node.pid)];
    node.kill("SIGTERM");
    expect(await reap(node, 20_000)).toBe(0);
    expect(await survivors(all, 15_000)).toEqual([]);
    expect(output).toContain("media stopping");
    expect(output).not.toContain(stream.privateId);
    // The manager was told: the stream is offline.
    await until("offline", 20_000, async () => !(await lookup(p.managerUrl, stream.publicId)).live);
  } finally {
    pub.kill("SIGKILL");
    await reap(pub);
    if (node.exitCode === null && node.signalCode === null) node.kill("SIGKILL");
    await node.exited;
  }
}, 90_000);
