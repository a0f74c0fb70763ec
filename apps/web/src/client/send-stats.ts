/** The health line of a WebRTC publish, computed from getStats() deltas. */
export interface SendHealth {
  state: RTCPeerConnectionState;
  kbps: number;
  width: number;
  height: number;
  fps: number;
}

/** Samples outbound video stats; call every second or so, it keeps the previous sample for the rate. */
export function sendStatsSampler(pc: RTCPeerConnection): () => Promise<SendHealth> {
  let last: { bytes: number; at: number } | undefined;
  return async () => {
    const report = await pc.getStats();
    let bytes = 0;
    let width = 0;
    let height = 0;
    let fps = 0;
    report.forEach((s: RTCStats & Record<string, unknown>) => {
      if (s.type !== "outbound-rtp") return;
      bytes += Number(s.bytesSent ?? 0);
      if (s.kind === "video") {
        width = Number(s.frameWidth ?? 0);
        height = Number(s.frameHeight ?? 0);
        fps = Number(s.framesPerSecond ?? 0);
      }
    });
    const at = performance.now();
    const kbps = last && at > last.at ? ((bytes - last.bytes) * 8) / (at - last.at) : 0;
    last = { bytes, at };
    return {
      state: pc.connectionState,
      kbps: Math.max(0, Math.round(kbps)),
      width,
      height,
      fps: Math.round(fps),
    };
  };
}
