import {
  CHAT_MAX_FRAME_BYTES,
  CHAT_PROTOCOL_VERSION,
  ChatClientFrame,
  type ChatErrorCode,
} from "@hearth/contracts";

/** Why a frame was refused: an error frame's code and human text. */
export type FrameRefusal = { code: ChatErrorCode; message: string };

/** Parses one incoming WebSocket frame; never throws, whatever the bytes. */
export function parseClientFrame(raw: string | Buffer): ChatClientFrame | FrameRefusal {
  if (typeof raw !== "string") {
    return { code: "binary_not_supported", message: "send JSON text frames; binary frames are not accepted" };
  }
  // A UTF-8 character is at most 3 bytes per UTF-16 unit, so short frames skip the exact count.
  if (raw.length * 3 > CHAT_MAX_FRAME_BYTES && Buffer.byteLength(raw) > CHAT_MAX_FRAME_BYTES) {
    return { code: "frame_too_large", message: `frames are limited to ${CHAT_MAX_FRAME_BYTES} bytes` };
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { code: "invalid_frame", message: "frames must be JSON objects" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { code: "invalid_frame", message: "frames must be JSON objects" };
  }
  const v = (value as { v?: unknown }).v;
  if (v !== CHAT_PROTOCOL_VERSION) {
    return {
      code: "unsupported_version",
      message: `this server speaks protocol version ${CHAT_PROTOCOL_VERSION}; send "v": ${CHAT_PROTOCOL_VERSION}`,
    };
  }
  const parsed = ChatClientFrame.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join(".")}: ` : "";
    return { code: "invalid_frame", message: `${where}${issue?.message ?? "does not match the protocol"}` };
  }
  return parsed.data;
}

/** Whether a parse result is a refusal rather than a frame. */
export function isRefusal(r: ChatClientFrame | FrameRefusal): r is FrameRefusal {
  return "code" in r;
}
