import { describe, expect, test } from "bun:test";
import { createLogger, redactText } from "./logger.ts";

/** A stream key exactly as apps/manager/src/stream-key.ts makes one. */
const STREAM_KEY = "live_Qm9vX2Zha2Vfa2V5X2Zvcl90ZXN0aW5nMTIz";
/** A chat identity token `<userId>.<hmac>` as apps/chat/src/identity.ts issues one. */
const IDENTITY = "c2VjcmV0LXVzZXItaWQtMQ.AbCdEfGhIjKlMnOpQrStUvWxYz012345";
const INTERNAL_TOKEN = "k4Zq+9/pW2tYvR8xN3mB7cL1dF6hJ0sA";

function capture(options: { secrets?: string[] } = {}) {
  const lines: string[] = [];
  const logger = createLogger({ svc: "test" }, { ...options, sink: (l) => lines.push(l) });
  return { logger, lines, text: () => lines.join("") };
}

describe("logger redaction", () => {
  test("secret-shaped substrings are redacted from messages and nested fields", () => {
    const { logger, text, lines } = capture();
    logger.error(`rtmp://127.0.0.1:1935/live/${STREAM_KEY} refused`, {
      err: `Error: publish ${STREAM_KEY} failed`,
      nested: { header: `Bearer ${INTERNAL_TOKEN}`, url: `/rooms/abc?identity=${IDENTITY}&x=1` },
      frames: [IDENTITY],
    });
    const out = text();
    expect(out).not.toContain(STREAM_KEY);
    expect(out).not.toContain(INTERNAL_TOKEN);
    expect(out).not.toContain(IDENTITY);
    expect(out).not.toContain(IDENTITY.split(".")[1] as string);
    const line = JSON.parse(lines[0] as string);
    expect(line.msg).toBe("rtmp://127.0.0.1:1935/live/live_<redacted> refused");
    expect(line.nested.header).toBe("Bearer <redacted>");
    expect(line.nested.url).toBe("/rooms/abc?identity=<redacted>&x=1");
    expect(line.frames).toEqual(["<redacted>"]);
  });

  test("fields named like secrets are redacted whatever their value; exact secrets anywhere", () => {
    const { logger, lines } = capture({ secrets: [INTERNAL_TOKEN, "short"] });
    logger.info("calling", {
      key: "abc",
      privateId: "whatever",
      creationToken: "t-1",
      note: `token is ${INTERNAL_TOKEN}.`,
      publicId: "Ab3dEf6hIj9k",
      keyframes: 3,
    });
    const line = JSON.parse(lines[0] as string);
    expect(line.key).toBe("<redacted>");
    expect(line.privateId).toBe("<redacted>");
    expect(line.creationToken).toBe("<redacted>");
    expect(line.note).toBe("token is <redacted>.");
    // What is not secret stays readable: public ids, numbers, and secrets too short to be meant.
    expect(line.publicId).toBe("Ab3dEf6hIj9k");
    expect(line.keyframes).toBe(3);
    expect(line.msg).toBe("calling");
  });

  test("children keep the redaction; ordinary text is untouched", () => {
    const { logger, lines } = capture();
    logger.child({ publicId: "Ab3dEf6hIj9k" }).warn("rtmp publish refused: malformed path", {
      remote: "127.0.0.1",
      session: "4a3bdf60",
      path: `/live/${STREAM_KEY}`,
    });
    const line = JSON.parse(lines[0] as string);
    expect(line.path).toBe("/live/live_<redacted>");
    expect(line.remote).toBe("127.0.0.1");
    expect(line.session).toBe("4a3bdf60");
    expect(redactText("GET /hls/Ab3dEf6hIj9k/source/index.m3u8 200")).toBe(
      "GET /hls/Ab3dEf6hIj9k/source/index.m3u8 200",
    );
  });
});
