// One signalling connection: a WebSocket to the server's /rtc endpoint that
// sends join (or resume) as its first message and waits for "joined". After
// that it hands each decoded message to the room. A connection is used
// once: reconnecting opens a new one.

import type { Env, WebSocketLike } from "./env.js";
import { HousecallError } from "./errors.js";
import { decode, encode, type ClientMessageType, type JoinedData, type Message, type MessageData } from "./protocol.js";

const WS_OPEN = 1;

export interface SignalHandlers {
  message(m: Message): void;
  /** The connection ended without close() being called. */
  lost(code: number, reason: string): void;
  /** A server message could not be decoded (logged, then ignored). */
  protocolError(err: Error): void;
}

export class SignalConnection {
  private ws: WebSocketLike | null = null;
  private handlers: SignalHandlers | null = null;
  private buffered: Message[] = [];
  private closed = false;
  private nextID = 1;

  constructor(
    private readonly env: Env,
    private readonly url: string,
  ) {}

  /**
   * Opens the socket, sends the first message and resolves with "joined".
   * A server error rejects with its code (unauthorized, room-full,
   * resume-failed, …); a socket that fails or a silent server rejects with
   * signalling-failed or timeout.
   */
  open(first: { type: "join"; data: MessageData["join"] } | { type: "resume"; data: MessageData["resume"] }, timeoutMs: number): Promise<JoinedData> {
    return new Promise<JoinedData>((resolve, reject) => {
      let settled = false;
      const settle = (err: Error | null, joined?: JoinedData) => {
        if (settled) return;
        settled = true;
        this.env.clearTimeout(timer);
        if (err) {
          this.close();
          reject(err);
        } else {
          resolve(joined!);
        }
      };
      const timer = this.env.setTimeout(
        () => settle(new HousecallError("timeout", `no answer to ${first.type} from the signalling server`)),
        timeoutMs,
      );
      let ws: WebSocketLike;
      try {
        ws = new this.env.WebSocket(this.url);
      } catch (err) {
        settle(new HousecallError("signalling-failed", "cannot open the signalling connection", err));
        return;
      }
      this.ws = ws;
      ws.onopen = () => {
        if (this.closed) return;
        ws.send(encode(first.type, first.data as never, String(this.nextID++)));
      };
      ws.onerror = () => {
        /* onclose follows and decides */
      };
      ws.onclose = (ev) => {
        if (this.ws !== ws) return;
        this.ws = null;
        if (!settled) {
          settle(new HousecallError("signalling-failed", `signalling connection closed (${ev.code}${ev.reason ? " " + ev.reason : ""})`));
          return;
        }
        if (!this.closed) {
          this.closed = true;
          this.handlers?.lost(ev.code, ev.reason);
        }
      };
      ws.onmessage = (ev) => {
        if (this.ws !== ws || typeof ev.data !== "string") return;
        let m: Message;
        try {
          m = decode(ev.data);
        } catch (err) {
          if (!settled) settle(new HousecallError("protocol", (err as Error).message, err));
          else this.handlers?.protocolError(err as Error);
          return;
        }
        if (!settled) {
          if (m.type === "joined") settle(null, m.data);
          else if (m.type === "error") settle(new HousecallError(m.data.code, m.data.message || m.data.code));
          else settle(new HousecallError("protocol", `unexpected first message ${m.type}`));
          return;
        }
        if (this.handlers) this.handlers.message(m);
        else this.buffered.push(m);
      };
    });
  }

  /** Starts delivering messages (those that arrived since joined first). */
  attach(h: SignalHandlers): void {
    this.handlers = h;
    const pending = this.buffered;
    this.buffered = [];
    for (const m of pending) {
      if (this.handlers !== h) break;
      h.message(m);
    }
  }

  get isOpen(): boolean {
    return !this.closed && this.ws?.readyState === WS_OPEN;
  }

  /** Sends a message; false when the connection is not open. */
  send<T extends ClientMessageType>(type: T, data: MessageData[T], id?: string): boolean {
    if (!this.isOpen || !this.ws) return false;
    try {
      this.ws.send(encode(type, data, id));
      return true;
    } catch {
      return false;
    }
  }

  /** A fresh correlation id for a request whose error names it in "ref". */
  newID(): string {
    return "c" + this.nextID++;
  }

  /** Closes without reporting a loss. */
  close(code = 1000, reason = ""): void {
    this.closed = true;
    this.handlers = null;
    const ws = this.ws;
    this.ws = null;
    if (!ws) return;
    ws.onmessage = null;
    ws.onclose = null;
    ws.onopen = null;
    try {
      ws.close(code, reason);
    } catch {
      /* already closing */
    }
  }
}
