import { CHAT_PROTOCOL_VERSION, type ChatServerFrame } from "@hearth/contracts";

type Unversioned<T> = T extends unknown ? Omit<T, "v"> : never;

/** Encodes a server frame, adding the protocol version. */
export function frame(f: Unversioned<ChatServerFrame>): string {
  return JSON.stringify({ v: CHAT_PROTOCOL_VERSION, ...f });
}
