/**
 * The server side of the WHIP benchmark, in its own process so its CPU can be read from /proc:
 *   bun bench/whip/server.ts ingest <rtmpPort,...>   WHIP ingest only; stream i (key bench-key-i)
 *                                                    relays to rtmp://127.0.0.1:<port i>/live/bench-key-i
 *   bun bench/whip/server.ts platform <streams>      manager + chat + media node (ladder) in this
 *                                                    process, WHIP wired to the node's RTMP ingest
 * Prints one line `READY <json>` when it listens; stops on SIGTERM.
 */
import { internalClient } from "@hearth/server-kit";
import { managerKeyVerifier } from "../../apps/media/src/key-verifier.ts";
import {
  bunSpawnFfmpeg,
  createWhipIngest,
  managerStreamExists,
  type WhipDeps,
} from "../../apps/media/src/whip/index.ts";
import { createLogger } from "../../packages/server-kit/src/index.ts";
import { createStream, startPlatform, TOKEN } from "../../tests/e2e/media-harness.ts";
import { serveWhip } from "../../tests/e2e/support/serve-whip.ts";

const [mode, arg = ""] = process.argv.slice(2);
const logger = createLogger({ svc: "whip-bench" }, { silent: process.env.WHIP_BENCH_LOG !== "1" });
const common: Pick<WhipDeps, "spawnFfmpeg" | "logger"> = { spawnFfmpeg: bunSpawnFfmpeg(), logger };
let stopPlatform = async () => {};
let ready: Record<string, unknown>;
let deps: WhipDeps;

if (mode === "ingest") {
  const ports = arg.split(",").map(Number);
  const streams = ports.map((port, i) => ({ publicId: `benchStream${i}`, key: `bench-key-${i}`, port }));
  deps = {
    ...common,
    verifyKey: async (key) => streams.find((s) => s.key === key)?.publicId ?? null,
    streamExists: async (id) => streams.some((s) => s.publicId === id),
    isLive: () => false,
    rtmpUrl: (key) => `rtmp://127.0.0.1:${streams.find((s) => s.key === key)?.port}/live/${key}`,
  };
  ready = { streams: streams.map(({ publicId, key }) => ({ publicId, key })) };
} else if (mode === "platform") {
  const p = await startPlatform({ X264_PRESET: "veryfast" });
  const manager = internalClient({ service: "manager", baseUrl: p.managerUrl, token: TOKEN });
  const verifier = managerKeyVerifier(manager);
  deps = {
    ...common,
    verifyKey: (key) => verifier.verify(key),
    streamExists: managerStreamExists(manager),
    isLive: (id) => p.media.registry.isLive(id),
    rtmpUrl: (key) => `rtmp://127.0.0.1:${p.ports.rtmp}/live/${key}`,
  };
  const streams = [];
  for (let i = 0; i < Number(arg || 1); i++) {
    const s = await createStream(p.managerUrl, `whip bench ${i}`);
    streams.push({ publicId: s.publicId, key: s.privateId });
  }
  ready = { streams, mediaUrl: p.mediaUrl };
  stopPlatform = () => p.stop();
} else {
  throw new Error("usage: server.ts ingest <ports> | platform <streams>");
}

const ingest = createWhipIngest(deps);
const http = serveWhip(ingest);
console.log(`READY ${JSON.stringify({ ...ready, whipUrl: http.url, pid: process.pid })}`);

let stopping = false;
process.on("SIGTERM", async () => {
  if (stopping) return;
  stopping = true;
  await ingest.stop();
  http.stop();
  await stopPlatform();
  process.exit(0);
});
