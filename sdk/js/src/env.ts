// The browser APIs the SDK uses, gathered behind one interface so that unit
// tests can replace them with fakes (a fake WebSocket, a fake
// RTCPeerConnection, a fake clock) without touching globals.

export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string; wasClean?: boolean }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface Env {
  WebSocket: new (url: string) => WebSocketLike;
  RTCPeerConnection: new (config: RTCConfiguration) => RTCPeerConnection;
  getUserMedia(constraints: MediaStreamConstraints): Promise<MediaStream>;
  getDisplayMedia(constraints: DisplayMediaStreamOptions): Promise<MediaStream>;
  enumerateDevices(): Promise<MediaDeviceInfo[]>;
  /** new MediaStream(tracks); absent in environments without media. */
  newMediaStream(tracks: MediaStreamTrack[]): MediaStream;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

/** The real browser environment. */
export function browserEnv(): Env {
  const g = globalThis as unknown as Record<string, unknown> & typeof globalThis;
  const md = (): MediaDevices => {
    const m = g.navigator?.mediaDevices;
    if (!m) throw new Error("navigator.mediaDevices is not available (a secure context, https or localhost, is required)");
    return m;
  };
  return {
    WebSocket: g.WebSocket as unknown as Env["WebSocket"],
    RTCPeerConnection: g.RTCPeerConnection as unknown as Env["RTCPeerConnection"],
    getUserMedia: (c) => md().getUserMedia(c),
    getDisplayMedia: (c) => md().getDisplayMedia(c),
    enumerateDevices: () => md().enumerateDevices(),
    newMediaStream: (tracks) => new MediaStream(tracks),
    setTimeout: (fn, ms) => g.setTimeout(fn, ms),
    clearTimeout: (h) => g.clearTimeout(h as ReturnType<typeof setTimeout>),
    now: () => Date.now(),
  };
}

/** Resolves after ms on env's clock. */
export function sleep(env: Env, ms: number): Promise<void> {
  return new Promise((resolve) => env.setTimeout(resolve, ms));
}
