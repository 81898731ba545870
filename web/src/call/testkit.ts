// Test doubles for the call UI's tests: a Room that emits what a test tells
// it to (the SDK's own participant classes, no network), and fake media
// tracks. Only tests import this file.
import { vi } from "vitest";
import { LocalParticipant, LocalPublication, RemoteParticipant, RemoteTrack, type TrackKind } from "@housecall/sdk";

let seq = 0;

export function fakeTrack(kind: "audio" | "video", deviceId = "dev-" + kind): MediaStreamTrack {
  return {
    id: `t${++seq}`,
    kind,
    enabled: true,
    readyState: "live",
    stop: vi.fn(),
    getSettings: () => ({ deviceId }),
    addEventListener: () => {},
    removeEventListener: () => {},
  } as unknown as MediaStreamTrack;
}

type Fn = (...args: any[]) => void; // eslint-disable-line @typescript-eslint/no-explicit-any

export class FakeRoom {
  state: "connecting" | "connected" | "reconnecting" | "disconnected" = "connected";
  readonly localParticipant = new LocalParticipant();
  readonly remoteParticipants = new Map<string, RemoteParticipant>();
  private handlers = new Map<string, Set<Fn>>();

  constructor(opts: { audio?: boolean; video?: boolean } = {}) {
    const lp = this.localParticipant;
    lp.id = "Patient/1";
    lp.name = "Pat Doe";
    lp.role = "participant";
    lp.canPublish = true;
    if (opts.audio !== false) this.publishLocal("microphone", fakeTrack("audio", "mic-1"));
    if (opts.video !== false) this.publishLocal("camera", fakeTrack("video", "cam-1"));
  }

  private publishLocal(kind: TrackKind, track: MediaStreamTrack): LocalPublication {
    const pub = new LocalPublication(kind, track);
    pub.trackId = `${kind}-local`;
    this.localParticipant.publications.set(kind, pub);
    return pub;
  }

  on(name: string, fn: Fn): () => void {
    let set = this.handlers.get(name);
    if (!set) this.handlers.set(name, (set = new Set()));
    set.add(fn);
    return () => set!.delete(fn);
  }

  emit(name: string, ...args: unknown[]): void {
    for (const fn of [...(this.handlers.get(name) ?? [])]) fn(...args);
  }

  listenerCount(): number {
    let n = 0;
    for (const s of this.handlers.values()) n += s.size;
    return n;
  }

  /** Adds a remote participant with a received microphone and camera, as the SDK would. */
  addRemote(id: string, name: string, role = "host", opts: { micMuted?: boolean } = {}): RemoteParticipant {
    const p = new RemoteParticipant(id, { id, name, role, state: "active", tracks: [] });
    this.remoteParticipants.set(id, p);
    this.emit("participantJoined", p);
    for (const kind of ["microphone", "camera"] as const) {
      const pub = p.addPublication({ id: `${id}-${kind}`, kind, muted: kind === "microphone" && !!opts.micMuted });
      pub.track = new RemoteTrack(p, pub.trackId, kind, fakeTrack(kind === "camera" ? "video" : "audio"), null, "0", this);
      this.emit("trackSubscribed", pub.track, p);
    }
    return p;
  }

  removeRemote(id: string, reason = "left"): void {
    const p = this.remoteParticipants.get(id);
    if (!p) return;
    this.remoteParticipants.delete(id);
    this.emit("participantLeft", p, reason);
  }

  /** Ends the room as the SDK does: state first, then "disconnected", then no more listeners. */
  end(reason: string, error?: unknown): void {
    if (this.state === "disconnected") return;
    this.state = "disconnected";
    for (const pub of this.localParticipant.publications.values()) pub.track?.stop();
    this.emit("disconnected", reason, error);
    this.handlers.clear();
  }

  setRenderedSize = vi.fn();
  disconnect = vi.fn(async () => this.end("client"));
  setMicrophoneEnabled = vi.fn(async (on: boolean) => {
    const pub = this.localParticipant.publications.get("microphone")!;
    pub.muted = !on;
    this.emit("localTrackChanged", pub);
  });
  setCameraEnabled = vi.fn(async (on: boolean) => {
    const pub = this.localParticipant.publications.get("camera")!;
    pub.muted = !on;
    pub.track = on ? fakeTrack("video", "cam-1") : null;
    this.emit("localTrackChanged", pub);
  });
  switchDevice = vi.fn(async (_kind: string, _id: string) => {});
  publishScreen = vi.fn(async () => {
    const pub = this.publishLocal("screen", fakeTrack("video", "screen"));
    this.emit("localTrackPublished", pub);
    return pub;
  });
  unpublishScreen = vi.fn(async () => {
    const pub = this.localParticipant.publications.get("screen");
    this.localParticipant.publications.delete("screen");
    if (pub) this.emit("localTrackUnpublished", pub);
  });
  sendChat = vi.fn(async (text: string) => {
    const m = { id: `m${++seq}`, text, from: { id: this.localParticipant.id, name: this.localParticipant.name, role: "participant" }, time: new Date(), local: true };
    this.emit("chat", m);
    return m;
  });
  mute = vi.fn(async () => {});
  getStats = vi.fn(async () => ({ timestamp: 0, inbound: [], outbound: [], connection: { rttMs: 42, localCandidateType: "host" }, raw: new Map() }));
}

/** A Telemed join answer the (mocked) connect() receives. */
export const joinAnswer = {
  Meeting: { MeetingId: "m1", MediaPlacement: { SignalingUrl: "wss://example.test/rtc" } },
  Attendee: { JoinToken: "tok" },
};

/** checkBrowser() of a capable browser. */
export const goodBrowser = { ok: true, webrtc: true, getUserMedia: true, vp8: true, opus: true, secureContext: true, userAgent: "test" };
