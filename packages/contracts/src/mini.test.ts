import { describe, expect, test } from "bun:test";
import { toJSONSchema } from "zod/v4/core";
import * as classic from "./index.ts";
import * as mini from "./mini.ts";

// Each body the browser parses with zod/mini, beside the classic schema the manager answers with.
const PAIRS = [
  "PublicId",
  "Rung",
  "StreamSummary",
  "StreamList",
  "StartedStream",
  "StreamLookup",
  "WhipInfo",
  "ErrorBody",
  "StreamCreationPolicy",
  "CreationTokenInfo",
  "IssuedCreationToken",
  "CreationTokenList",
  "AdminNode",
  "AdminStream",
  "AdminOverview",
] as const;

describe("the browser's zod/mini schemas are the manager's", () => {
  for (const name of PAIRS) {
    test(`${name}: the same JSON Schema, for input and output`, () => {
      for (const io of ["input", "output"] as const) {
        expect(toJSONSchema(mini[name], { io })).toEqual(toJSONSchema(classic[name], { io }));
      }
    });
  }

  test("the chat protocol is one definition: the package root re-exports the mini module's", () => {
    expect(classic.ChatServerFrame).toBe(mini.ChatServerFrame);
    expect(classic.ChatClientFrame).toBe(mini.ChatClientFrame);
  });

  test("a lookup parses the same on both sides, defaults included", () => {
    const body = {
      publicId: "abcdEFGH1234",
      name: "n",
      live: true,
      hlsUrl: "http://x/master.m3u8",
      chatUrl: "ws://x",
      rungs: [{ name: "720p", bandwidth: 2_800_000, width: 1280, height: 720 }],
    };
    expect(mini.StreamLookup.parse(body)).toEqual(classic.StreamLookup.parse(body));
    expect(mini.StreamLookup.safeParse({ ...body, publicId: "!" }).success).toBe(false);
  });
});
