/**
 * A clock burned into the picture. The publisher's ffmpeg writes, into every frame, the wall-clock time at which the
 * frame was made (ms since the epoch, mod 2^24) as a row of 24 black/white blocks; the page reads the row back
 * from the frame on screen. Encoder, packager, CDN, player buffer and decoder are all inside the difference, and
 * nothing the server says (program date-time) is trusted.
 */

export const BITS = 24;
/** Geometry at 1280x720; the reader scales it to whatever rung is on screen (360p: 20 px blocks). */
export const BLOCK = 40;
export const PITCH = 48;
export const LEFT = 40;
export const TOP = 24;
const SOURCE_WIDTH = 1280;
const SOURCE_HEIGHT = 720;

/**
 * The video filter chain for a 1280x720 source. `settb` + `setpts=RTCTIME/1000` make each frame's time its wall
 * clock in ms, read when ffmpeg takes the frame from its -re source (a camera's capture moment); each drawbox is
 * enabled when its bit of round(t*1000) is 1; then `settb`/`setpts=N` give the encoder ordinary 30 fps timestamps.
 */
export function barcodeFilter(fps: number): string {
  const boxes = Array.from(
    { length: BITS },
    (_, i) =>
      `drawbox=x=${LEFT + i * PITCH}:y=${TOP}:w=${BLOCK}:h=${BLOCK}:color=white:t=fill:` +
      `enable='eq(mod(floor(floor(t*1000+0.5)/pow(2\\,${i}))\\,2)\\,1)'`,
  );
  return [
    "settb=expr=1/1000",
    "setpts=RTCTIME/1000",
    // A black band under the blocks: a 0 bit reads black whatever the test pattern draws there.
    `drawbox=x=${LEFT - 8}:y=${TOP - 8}:w=${BITS * PITCH + 8}:h=${BLOCK + 16}:color=black:t=fill`,
    ...boxes,
    `settb=expr=1/${fps}`,
    "setpts=N",
  ].join(",");
}

/** ffmpeg arguments publishing a 720p30 barcode-stamped test source (H.264 + AAC) to an RTMP URL, as OBS would. */
export function barcodePublisherArgs(rtmpUrl: string, seconds: number, fps = 30): string[] {
  return [
    ...["-hide_banner", "-loglevel", "error"],
    // -re: frames are made at their real rate, so the stamped time is when a camera would have captured them.
    ...["-re", "-f", "lavfi", "-i", `testsrc2=size=${SOURCE_WIDTH}x${SOURCE_HEIGHT}:rate=${fps}`],
    ...["-re", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"],
    ...["-t", String(seconds)],
    ...["-vf", barcodeFilter(fps)],
    // OBS's low-latency x264 settings: no B-frames or lookahead; a keyframe every second like the ladder's GOP.
    ...["-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", String(fps)],
    ...["-b:v", "2500k", "-maxrate", "2500k", "-bufsize", "2500k"],
    ...["-c:a", "aac", "-b:a", "128k"],
    ...["-f", "flv", rtmpUrl],
  ];
}

/**
 * Page script (addInitScript): on the page's first <video>, every presented frame (requestVideoFrameCallback),
 * at most 4 times a second, draws the barcode row into a canvas, decodes it and records Date.now() minus the
 * decoded capture time next to the player's own figure (Date.now() − program date-time of the frame on screen:
 * `window.hls.playingDate` for a bare hls.js page, the stats overlay's value on the watch page).
 */
export const READER_SCRIPT = `(() => {
  const BITS = ${BITS}, BLOCK = ${BLOCK}, PITCH = ${PITCH}, LEFT = ${LEFT}, TOP = ${TOP};
  const MOD = 2 ** BITS;
  window.__g2g = { samples: [], bad: 0 };
  const canvas = document.createElement("canvas");
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  let last = 0;
  function pdtLatency() {
    if (window.hls && window.hls.playingDate) return Date.now() - window.hls.playingDate.getTime();
    const dd = document.querySelector('[data-testid="stats-latency"]');
    const ms = dd && dd.getAttribute("data-ms");
    return ms ? Number(ms) : null;
  }
  function read(video) {
    const w = video.videoWidth, h = video.videoHeight;
    if (!w || !h) return;
    const sx = w / ${SOURCE_WIDTH}, sy = h / ${SOURCE_HEIGHT};
    const rowH = Math.max(1, Math.round((TOP + BLOCK) * sy));
    canvas.width = w; canvas.height = rowH;
    ctx.drawImage(video, 0, 0, w, rowH, 0, 0, w, rowH);
    const img = ctx.getImageData(0, 0, w, rowH).data;
    const luma = (x, y) => { const i = (Math.round(y) * w + Math.round(x)) * 4; return 0.299 * img[i] + 0.587 * img[i + 1] + 0.114 * img[i + 2]; };
    let v = 0, unsure = 0;
    const cy = (TOP + BLOCK / 2) * sy;
    for (let b = 0; b < BITS; b++) {
      const cx = (LEFT + b * PITCH + BLOCK / 2) * sx;
      // The mean of a 3x3 patch in the block's middle: coding noise on one pixel does not flip a bit.
      let s = 0;
      for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) s += luma(cx + dx * 3 * sx, cy + dy * 3 * sy);
      s /= 9;
      if (s > 160) v += 2 ** b; else if (s > 96) unsure++;
    }
    const now = Date.now();
    const latency = (((now % MOD) - v) % MOD + MOD) % MOD;
    // A block in between black and white, or an absurd distance, is a misread (a frame mid-transition): dropped.
    if (unsure > 0 || latency > 60000) { window.__g2g.bad++; return; }
    window.__g2g.samples.push({ at: now, picture: latency, pdt: pdtLatency(), height: h });
  }
  function attach(video) {
    const tick = () => {
      const now = performance.now();
      if (now - last >= 250) { last = now; try { read(video); } catch (e) { window.__g2g.bad++; } }
      video.requestVideoFrameCallback(tick);
    };
    video.requestVideoFrameCallback(tick);
  }
  const find = setInterval(() => {
    const v = document.querySelector("video");
    if (v) { clearInterval(find); attach(v); }
  }, 50);
})();`;

export interface G2gSample {
  /** Date.now() in the page when the frame was presented. */
  at: number;
  /** Date.now() − the capture time decoded from the picture, ms. */
  picture: number;
  /** The player's own figure at the same moment (Date.now() − program date-time), ms; null if it has none. */
  pdt: number | null;
  /** Height of the rung on screen. */
  height: number;
}
