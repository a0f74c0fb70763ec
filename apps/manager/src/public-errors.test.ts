import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ErrorBody } from "@hearth/contracts";
import type { DatabaseHandle } from "@hearth/db";
import type { Logger } from "@hearth/server-kit";
import { freshDatabase, managerFor } from "../testing/harness.ts";

let handle: DatabaseHandle;
beforeAll(async () => {
  handle = await freshDatabase("postgres");
});
afterAll(async () => {
  await handle.close();
});

/** A logger that keeps its lines, to see what went to the log instead of the public. */
function recordingLogger(lines: Record<string, unknown>[]): Logger {
  const write = (level: string) => (msg: string, fields?: Record<string, unknown>) => {
    lines.push({ level, msg, ...fields });
  };
  const l: Logger = { info: write("info"), warn: write("warn"), error: write("error"), child: () => l };
  return l;
}

describe("public error bodies", () => {
  test("a 503 from /start_stream carries no upstream text; the log has it with the request id", async () => {
    const lines: Record<string, unknown>[] = [];
    const m = managerFor(handle, { logger: recordingLogger(lines) });
    const upstream = "connect ECONNREFUSED media-7.internal.example:8083 (token=sekrit) at Socket.connect";
    m.media.create = async () => {
      throw new Error(upstream);
    };
    for (const via of ["media", "chat"] as const) {
      if (via === "chat") {
        m.media.create = async (publicId) => ({
          node: null,
          rtmpServer: "rtmp://localhost:1935/live",
          whipUrl: `http://localhost:8083/whip/${publicId}`,
          hlsUrl: `http://localhost:8083/hls/${publicId}/master.m3u8`,
        });
        m.chat.create = async () => {
          throw new Error(upstream);
        };
      }
      const res = await m.app.request("http://localhost/start_stream?name=doomed", {
        method: "POST",
        headers: { "x-request-id": `req-${via}` },
      });
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBe("2");
      const text = await res.text();
      const body = ErrorBody.parse(JSON.parse(text));
      expect(body.error.code).toBe("upstream_unavailable");
      expect(body.error.message).toContain(`req-${via}`);
      for (const leak of ["ECONNREFUSED", "internal.example", "8083", "sekrit", "Socket", "at "])
        expect(text).not.toContain(leak);
      expect(lines).toContainEqual(
        expect.objectContaining({
          msg: "start_stream failed upstream",
          requestId: `req-${via}`,
          err: upstream,
        }),
      );
    }
  });
});
