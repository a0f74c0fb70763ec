/** WHIP publishing (RFC 9725), non-trickle: one offer with every host candidate, one answer. */

export interface WhipSession {
  pc: RTCPeerConnection;
  /** The WHIP resource (from Location), deleted on stop. */
  resource: string;
  stop(): Promise<void>;
}

/** Resolves when ICE gathering completes, or after `ms` (then the offer carries what was gathered). */
function iceGathered(pc: RTCPeerConnection, ms: number): Promise<void> {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener("icegatheringstatechange", check);
      resolve();
    };
    const check = () => pc.iceGatheringState === "complete" && done();
    const timer = setTimeout(done, ms);
    pc.addEventListener("icegatheringstatechange", check);
  });
}

/** Publishes `media` to `whipUrl`, authorised by the stream key; throws with the server's message. */
export async function whipPublish(whipUrl: string, key: string, media: MediaStream): Promise<WhipSession> {
  // No STUN/TURN: the media node is reached directly, so host candidates are all we need.
  const pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: "max-bundle" });
  try {
    for (const track of media.getTracks()) {
      const { sender } = pc.addTransceiver(track, { direction: "sendonly", streams: [media] });
      if (track.kind === "video") await keepResolution(sender);
    }
    await pc.setLocalDescription(await pc.createOffer());
    await iceGathered(pc, 3000);
    const res = await fetch(whipUrl, {
      method: "POST",
      headers: { "content-type": "application/sdp", authorization: `Bearer ${key}` },
      body: pc.localDescription?.sdp ?? "",
    });
    const text = await res.text();
    if (res.status !== 201 && res.status !== 200) {
      throw new Error(`the media node refused the broadcast (${res.status}): ${errorMessage(text)}`);
    }
    // Location may be relative to the endpoint; it needs CORS Access-Control-Expose-Headers to be readable.
    const resource = new URL(res.headers.get("location") ?? whipUrl, whipUrl).toString();
    await pc.setRemoteDescription({ type: "answer", sdp: text });
    return {
      pc,
      resource,
      async stop() {
        pc.close();
        await fetch(resource, { method: "DELETE", headers: { authorization: `Bearer ${key}` } }).catch(
          () => {},
        );
      },
    };
  } catch (err) {
    pc.close();
    throw err;
  }
}

/**
 * The media node plans its ladder from the resolution the broadcast starts at, and Chrome starts a call at a low
 * bandwidth estimate, scaling the picture down until it ramps up. Asking it to keep the resolution (and drop
 * frame rate or quality instead) keeps the source rung at the size the camera gives.
 */
async function keepResolution(sender: RTCRtpSender): Promise<void> {
  const params = sender.getParameters() as RTCRtpSendParameters & { degradationPreference?: string };
  params.degradationPreference = "maintain-resolution";
  await sender.setParameters(params).catch(() => {
    // Older browsers refuse the field: the content hint asks for the same.
    if (sender.track) sender.track.contentHint = "detail";
  });
}

/** The `error.message` of an error body, or the raw text. */
function errorMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { message?: string } };
    return body.error?.message ?? text.slice(0, 200);
  } catch {
    return text.slice(0, 200);
  }
}
