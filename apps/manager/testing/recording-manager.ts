import { afterAll, beforeAll, expect } from "bun:test";
import { type RecordingReport, StartedStream, Video } from "@hearth/contracts";
import type { DatabaseHandle } from "@hearth/db";
import { internalClient } from "@hearth/server-kit";
import { nodeRecordingFiles } from "../src/recording-files.ts";
import { httpChatService } from "../src/services.ts";
import { freshDatabase, INTERNAL, type ManagerOptions, managerFor } from "./harness.ts";
import { recordingNode } from "./recording-node.ts";

/**
 * A fresh `kind` database and a stand-in recording node for the tests of the describe block (or file) this is
 * called in, both closed after them. Read `handle` and `node` inside tests: they are set by beforeAll.
 */
export function recordingFixture(kind: "postgres" | "pglite" = "postgres") {
  const f = {} as { handle: DatabaseHandle; node: ReturnType<typeof recordingNode> };
  beforeAll(async () => {
    f.handle = await freshDatabase(kind);
    f.node = recordingNode();
  });
  afterAll(async () => {
    f.node.stop();
    await f.handle.close();
  });
  return f;
}

/** A manager whose recording calls go over HTTP to a stand-in node; `viewers` is what chat would count now. */
export function recordingManager(
  handle: DatabaseHandle,
  node: ReturnType<typeof recordingNode>,
  options: ManagerOptions = {},
) {
  const viewers = { now: 0 };
  let m: ReturnType<typeof managerFor> | undefined;
  const files = nodeRecordingFiles({
    nodes: { byId: (id) => (m as ReturnType<typeof managerFor>).nodes.byId(id) },
    single: node.client(),
    clientFor: (url) => node.client(url),
  });
  m = managerFor(handle, {
    ...options,
    files,
    override: { viewers: { get: () => viewers.now }, ...options.override },
  });
  const chat = httpChatService(internalClient({ service: "chat", baseUrl: node.url, token: INTERNAL }));
  m.state.deleteMessages = chat.deleteMessages;
  const mm = m;
  const req = (path: string, init?: RequestInit) => mm.app.request(`http://localhost${path}`, init);
  const internal = (path: string, method: string, body: unknown) =>
    req(path, {
      method,
      headers: { authorization: `Bearer ${INTERNAL}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const start = async (name: string) => {
    const res = await req(`/start_stream?name=${encodeURIComponent(name)}`, { method: "POST" });
    expect(res.status).toBe(201);
    return StartedStream.parse(await res.json());
  };
  let seq = 0;
  const phase = (publicId: string, p: "live" | "ended", session = "s1", nodeId = "default") =>
    internal(`/internal/streams/${publicId}/state`, "POST", {
      phase: p,
      origin: { node: nodeId, session, epoch: 1, seq: ++seq },
    });
  const report = (r: RecordingReport) => internal(`/internal/recordings/${r.videoId}`, "PUT", r);
  const video = async (id: string) => {
    const res = await req(`/video/${id}`);
    return res.status === 200 ? Video.parse(await res.json()) : res.status;
  };
  return { ...mm, viewers, req, internal, start, phase, report, video };
}

let videoSeq = 0;
/** A report of a new recording of `publicId`, started `agoMs` before now. */
export function recordingOf(
  publicId: string,
  agoMs = 60_000,
  over: Partial<RecordingReport> = {},
): RecordingReport {
  return {
    videoId: `vid${Date.now().toString(36)}${(++videoSeq).toString().padStart(4, "0")}`,
    publicId,
    node: "default",
    session: "s1",
    state: "recording",
    startedAt: Date.now() - agoMs,
    endedAt: null,
    durationSeconds: 10,
    bytes: 1000,
    ...over,
  };
}
export const ready = (r: RecordingReport, durationSeconds: number, bytes = r.bytes): RecordingReport => ({
  ...r,
  state: "ready",
  endedAt: r.startedAt + durationSeconds * 1000,
  durationSeconds,
  bytes,
});
