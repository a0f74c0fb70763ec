import { describe, expect, test } from "bun:test";
import { checkLlhlsPlaylist, partUris } from "../../testing/playlist-conformance.ts";
import { feedFragments, SYNTHETIC_INIT } from "../../testing/test-feed.ts";
import { renderMediaPlaylist } from "./media-playlist.ts";
import { RenditionPackager } from "./rendition-packager.ts";

function packager(): RenditionPackager {
  return new RenditionPackager({ targetDuration: 1, partTarget: 0.2, windowSegments: 10, partSegments: 2 });
}

const render = (p: RenditionPackager, skip = false) =>
  renderMediaPlaylist(p, {
    sessionTag: "t1",
    skip,
    reports: [{ uri: "../low/index.m3u8", lastMsn: 3, lastPart: 1 }],
  });

describe("renderMediaPlaylist", () => {
  test("a live playlist passes hls-parser's strict LL-HLS checks and lists parts for the last segments", () => {
    const p = packager();
    p.beginInput(SYNTHETIC_INIT);
    feedFragments(p, 38);
    const text = render(p);
    const pl = checkLlhlsPlaylist(text);
    expect(pl.mediaSequenceBase).toBe(0);
    expect(pl.segments.filter((s) => s.uri)).toHaveLength(7);
    // The open segment (msn 7) and the two before it list their parts.
    expect(pl.segments.filter((s) => s.parts.length > 0).map((s) => s.mediaSequenceNumber)).toEqual([
      5, 6, 7,
    ]);
    expect(
      partUris(pl)
        .filter((x) => x.independent)
        .map((x) => x.index),
    ).toEqual([0, 0, 0]);
    expect(text).toContain('#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-t1-38.m4s"');
    expect(text).toContain('#EXT-X-RENDITION-REPORT:URI="../low/index.m3u8",LAST-MSN=3,LAST-PART=1');
    expect(text).toContain(
      "#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=6.00000,PART-HOLD-BACK=0.60000",
    );
    expect(pl.renditionReports[0]?.lastMSN).toBe(3);
  });

  test("the same playlist is plain live HLS for players that ignore LL-HLS tags", () => {
    const p = packager();
    p.beginInput(SYNTHETIC_INIT);
    // Three full segments and the start of the fourth (which is open, so only its parts are listed).
    feedFragments(p, 17);
    const legacy = render(p)
      .split("\n")
      .filter((l) => !/^#EXT-X-(PART|PRELOAD-HINT|RENDITION-REPORT|SERVER-CONTROL|PART-INF)/.test(l));
    const segs = legacy.filter((l) => l.startsWith("seg-"));
    expect(segs).toEqual(["seg-t1-0.m4s", "seg-t1-1.m4s", "seg-t1-2.m4s"]);
    expect(legacy.filter((l) => l.startsWith("#EXTINF:1.00000,"))).toHaveLength(3);
    expect(legacy.at(-2)).toBe("seg-t1-2.m4s");
  });

  test("a restart adds a discontinuity and a new EXT-X-MAP; numbering continues", () => {
    const p = packager();
    p.beginInput(SYNTHETIC_INIT);
    feedFragments(p, 12);
    p.endInput();
    p.beginInput(SYNTHETIC_INIT);
    feedFragments(p, 12);
    const pl = checkLlhlsPlaylist(render(p));
    const listed: [number, boolean, string | undefined][] = pl.segments.map((s) => [
      s.mediaSequenceNumber,
      s.discontinuity === true,
      s.map?.uri,
    ]);
    expect(listed).toEqual([
      [0, false, "init-t1-0.mp4"],
      [1, false, "init-t1-0.mp4"],
      [2, false, "init-t1-0.mp4"],
      [3, true, "init-t1-1.mp4"],
      [4, false, "init-t1-1.mp4"],
      // The open segment (parts only): hls-parser attaches no map to it.
      [5, false, undefined],
    ]);
  });

  test("a delta update skips the segments older than CAN-SKIP-UNTIL and stays parseable", () => {
    const p = packager();
    p.beginInput(SYNTHETIC_INIT);
    feedFragments(p, 60);
    const full = checkLlhlsPlaylist(render(p));
    const delta = checkLlhlsPlaylist(render(p, true));
    expect(delta.skip).toBeGreaterThan(0);
    // Everything within six target durations of the end is still listed.
    const kept = delta.segments.reduce((t, s) => t + (s.duration ?? 0), 0);
    expect(kept).toBeGreaterThanOrEqual(6 - 1e-6);
    expect(delta.segments.at(-1)?.parts.map((x) => x.uri)).toEqual(
      full.segments.at(-1)?.parts.map((x) => x.uri),
    );
    expect(delta.segments[0]?.mediaSequenceNumber).toBe((full.mediaSequenceBase ?? 0) + delta.skip);
  });

  test("an ended stream gets EXT-X-ENDLIST and no preload hint", () => {
    const p = packager();
    p.beginInput(SYNTHETIC_INIT);
    feedFragments(p, 12);
    p.end();
    const text = render(p);
    expect(text).toContain("#EXT-X-ENDLIST");
    expect(text).not.toContain("PRELOAD-HINT");
    expect(checkLlhlsPlaylist(text).endlist).toBe(true);
  });
});
