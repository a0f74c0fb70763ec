import { describe, expect, test } from "bun:test";
import { isRefusal, parseClientFrame } from "./client-frame.ts";

const code = (raw: string | Buffer) => {
  const r = parseClientFrame(raw);
  return isRefusal(r) ? r.code : r.type;
};

describe("parseClientFrame", () => {
  test("accepts protocol frames", () => {
    expect(code(JSON.stringify({ v: 1, type: "send", text: "hi" }))).toBe("send");
    expect(code(JSON.stringify({ v: 1, type: "nick", name: "  ana " }))).toBe("nick");
  });

  test("refuses everything else with a code, never throwing", () => {
    expect(code(Buffer.from([1, 2, 3]))).toBe("binary_not_supported");
    expect(code("{nope")).toBe("invalid_frame");
    expect(code("[1]")).toBe("invalid_frame");
    expect(code("null")).toBe("invalid_frame");
    expect(code(JSON.stringify({ v: 2, type: "send", text: "x" }))).toBe("unsupported_version");
    expect(code(JSON.stringify({ v: 1, type: "shout", text: "x" }))).toBe("invalid_frame");
    expect(code(JSON.stringify({ v: 1, type: "send", text: "x".repeat(501) }))).toBe("invalid_frame");
    expect(code(JSON.stringify({ v: 1, type: "send", text: "é".repeat(2100) }))).toBe("frame_too_large");
    expect(code(JSON.stringify({ v: 1, type: "nick", name: "a\u0007b" }))).toBe("invalid_frame");
    expect(code(JSON.stringify({ v: 1, type: "nick", name: "x".repeat(26) }))).toBe("invalid_frame");
  });
});
