/**
 * A minimal WebSocket receiver over raw TCP (Bun.connect). It counts message frames per TCP chunk instead of
 * dispatching one JS event per frame, so one load-generator process can take far more deliveries per
 * second than with the WebSocket class; a few clients also decode payloads to measure latency.
 */
import type { Socket } from "bun";

export interface ReceiverStats {
  /** `message` frames received by all receivers. */
  messages: number;
  /** Send-to-receive latencies (ms) from the sampling receivers. */
  latencies: number[];
  closed: number;
}

type State = {
  handshake: boolean;
  head: string;
  rest: Uint8Array | null;
  sample: boolean;
  opened: () => void;
};

const decoder = new TextDecoder();
const M = "m".charCodeAt(0);

/** Opens one receiving connection; resolves once the server switched protocols. */
export function connectReceiver(url: URL, stats: ReceiverStats, sample: boolean): Promise<Socket<State>> {
  return new Promise((resolve, reject) => {
    let opened!: () => void;
    const ready = new Promise<void>((r) => {
      opened = r;
    });
    Bun.connect<State>({
      hostname: url.hostname,
      port: Number(url.port),
      data: { handshake: false, head: "", rest: null, sample, opened },
      socket: {
        open(s) {
          s.write(
            `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\n` +
              "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
          );
        },
        data(s, chunk) {
          onData(s, chunk, stats);
        },
        close() {
          stats.closed++;
        },
        error(_s, err) {
          reject(err);
        },
        connectError(_s, err) {
          reject(err);
        },
      },
    })
      .then(async (s) => {
        await ready;
        resolve(s);
      })
      .catch(reject);
  });
}

function onData(s: Socket<State>, chunk: Uint8Array, stats: ReceiverStats): void {
  const st = s.data;
  let buf = chunk;
  if (!st.handshake) {
    st.head += decoder.decode(chunk);
    const end = st.head.indexOf("\r\n\r\n");
    if (end < 0) return;
    if (!st.head.startsWith("HTTP/1.1 101")) {
      s.end();
      return;
    }
    st.handshake = true;
    st.opened();
    // The header is ASCII, so its length in characters is its length in bytes.
    buf = chunk.subarray(chunk.length - (st.head.length - end - 4));
  }
  if (st.rest) {
    const joined = new Uint8Array(st.rest.length + buf.length);
    joined.set(st.rest);
    joined.set(buf, st.rest.length);
    buf = joined;
    st.rest = null;
  }
  let i = 0;
  while (buf.length - i >= 2) {
    const opcode = (buf[i] as number) & 0x0f;
    let len = (buf[i + 1] as number) & 0x7f;
    let header = 2;
    if (len === 126) {
      if (buf.length - i < 4) break;
      len = ((buf[i + 2] as number) << 8) | (buf[i + 3] as number);
      header = 4;
    } else if (len === 127) {
      if (buf.length - i < 10) break;
      len = Number(new DataView(buf.buffer, buf.byteOffset + i + 2, 8).getBigUint64(0));
      header = 10;
    }
    if (buf.length - i < header + len) break;
    const p = i + header;
    // Server frames start {"v":1,"type":"...": byte 15 of the payload is "m" only for "message".
    if (opcode === 1 && buf[p + 15] === M) {
      stats.messages++;
      if (st.sample) {
        const text = decoder.decode(buf.subarray(p, p + len));
        const at = text.indexOf('"text":"t:');
        if (at >= 0)
          stats.latencies.push(
            performance.timeOrigin + performance.now() - Number.parseFloat(text.slice(at + 10)),
          );
      }
    } else if (opcode === 9) {
      s.write(pong(buf.subarray(p, p + len)));
    }
    i = p + len;
  }
  if (i < buf.length) st.rest = buf.slice(i);
}

/** A masked pong (clients must mask); the zero mask keeps the payload as is. */
function pong(payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(6 + payload.length);
  f[0] = 0x8a;
  f[1] = 0x80 | payload.length;
  f.set(payload, 6);
  return f;
}
