import { createSocket, type Socket } from "node:dgram";

/** Binds a UDP socket on loopback; resolves false when the port is taken. */
function canBind(port: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket("udp4");
    socket.once("error", () => {
      socket.close();
      resolve(undefined);
    });
    socket.bind(port, "127.0.0.1", () => resolve(socket));
  });
}

/**
 * Finds `count` free even ports on 127.0.0.1 whose odd neighbour is free too (RTP on the even port,
 * RTCP on the next: what ffmpeg's RTP demuxer expects). ffmpeg binds them a moment later, so a
 * collision is possible but unlikely in a range this wide; the relay restarts if it happens.
 */
export async function reserveRtpPorts(
  count: number,
  range: [number, number] = [20000, 59998],
): Promise<number[]> {
  const found: number[] = [];
  const held: Socket[] = [];
  try {
    for (let attempt = 0; attempt < 200 && found.length < count; attempt++) {
      const [low, high] = range;
      const port = low + 2 * Math.floor((Math.random() * (high - low)) / 2);
      if (found.includes(port)) continue;
      const rtp = await canBind(port);
      if (!rtp) continue;
      const rtcp = await canBind(port + 1);
      if (!rtcp) {
        rtp.close();
        continue;
      }
      held.push(rtp, rtcp);
      found.push(port);
    }
  } finally {
    for (const socket of held) socket.close();
  }
  if (found.length < count) throw new Error("no free UDP port pairs on 127.0.0.1 for the WHIP relay");
  return found;
}
