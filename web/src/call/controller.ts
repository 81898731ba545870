// One call's life: fetch the join answer, connect with the SDK, follow the
// room's events into CallState (state.ts), carry out the controls, and
// release every track and the connection at the end. Plain TypeScript, so
// tests drive it with the SDK mocked at the module boundary.
import { checkBrowser, connect, type JoinResponse, type RemoteTrack, type Room, type TrackKind } from "@housecall/sdk";
import { ApiError } from "../api/http";
import { listDevices } from "./media";
import { problemFromDisconnect, problemFromError, problemOf } from "./problems";
import { localView, peopleOf } from "./snapshot";
import { initialState, leaveReasonOf, reduce, type Action, type CallState, type Layout, type LeaveReason, type SelectedDevices } from "./state";

export interface CallOptions {
  join: () => Promise<JoinResponse>;
  displayName: string;
  onLeft: (reason: LeaveReason) => void;
  devices?: { audioDeviceId?: string; videoDeviceId?: string; speakerDeviceId?: string };
}

/** Which devices to capture when joining: a person who blocked the camera may join without it. */
export interface Capture {
  audio: boolean;
  video: boolean;
}

const STATS_EVERY_MS = 5_000;
const NOTICE_MS = 5_000;

export class CallController {
  private state: CallState;
  private listeners = new Set<() => void>();
  private room: Room | null = null;
  private gen = 0;
  private unbind: (() => void)[] = [];
  private syncQueued = false;
  private mutedBy = new Map<string, string>();
  private myMutedBy: string | undefined;
  private busy = new Set<string>();
  private statsTimer: ReturnType<typeof setInterval> | undefined;
  private noticeTimer: ReturnType<typeof setTimeout> | undefined;
  private audio = new Set<HTMLMediaElement>();
  private left = false;
  capture: Capture = { audio: true, video: true };

  constructor(private readonly opts: () => CallOptions) {
    const d = opts().devices ?? {};
    this.state = initialState(opts().displayName, { camera: d.videoDeviceId, microphone: d.audioDeviceId, speaker: d.speakerDeviceId });
  }

  // ---- store ---------------------------------------------------------------

  subscribe = (fn: () => void): (() => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  getState = (): CallState => this.state;

  private dispatch(a: Action): void {
    const next = reduce(this.state, a);
    if (next === this.state) return;
    this.state = next;
    for (const fn of [...this.listeners]) fn();
  }

  // ---- lifecycle -----------------------------------------------------------

  /** Joins (again): fetches a join answer and connects. */
  async start(capture: Capture = this.capture): Promise<void> {
    const g = ++this.gen;
    this.capture = capture;
    this.left = false;
    this.teardown();
    this.dispatch({ type: "joining" });
    const b = checkBrowser();
    if (!b.secureContext) return this.dispatch({ type: "failed", problem: problemOf("insecure-page") });
    if (!b.webrtc || !b.getUserMedia) return this.dispatch({ type: "failed", problem: problemOf("unsupported-browser") });
    let room: Room;
    try {
      const answer = await this.opts().join();
      if (g !== this.gen) return;
      room = await this.connectWith(answer, capture);
    } catch (err) {
      if (g !== this.gen) return;
      if ((err instanceof ApiError && err.status === 410) || (err as { code?: string })?.code === "room-closed") return this.finish("ended");
      if ((err as { code?: string })?.code === "removed") return this.finish("removed");
      return this.dispatch({ type: "failed", problem: problemFromError(err) });
    }
    if (g !== this.gen) {
      void room.disconnect();
      return;
    }
    this.room = room;
    this.bind(room);
    this.dispatch({ type: "connected", me: this.me(room), people: peopleOf(room, this.mutedBy) });
    // The settings show the devices actually opened (the browser's default when none was chosen).
    const opened = (k: TrackKind) => room.localParticipant.track(k)?.getSettings?.().deviceId ?? "";
    this.dispatch({ type: "selected", devices: { camera: opened("camera") || this.state.selected.camera, microphone: opened("microphone") || this.state.selected.microphone } });
    this.statsTimer = setInterval(() => void this.readStats(), STATS_EVERY_MS);
    void this.readStats();
  }

  private async connectWith(answer: JoinResponse, capture: Capture): Promise<Room> {
    const d = this.opts().devices ?? {};
    const sel = this.state.selected;
    const pick = (on: boolean, id: string | undefined) => (on ? (id ? { deviceId: id } : true) : false);
    try {
      return await connect(answer, { audio: pick(capture.audio, sel.microphone || d.audioDeviceId), video: pick(capture.video, sel.camera || d.videoDeviceId) });
    } catch (err) {
      // A device chosen before the call may have been unplugged since: use the default one.
      const cause = (err as { code?: string; cause?: { name?: string } }) ?? {};
      if (cause.code === "media-unavailable" && cause.cause?.name === "OverconstrainedError" && (sel.microphone || sel.camera)) {
        this.dispatch({ type: "selected", devices: { microphone: "", camera: "" } });
        return connect(answer, { audio: capture.audio, video: capture.video });
      }
      // Without a camera, join with sound only rather than not at all.
      if (cause.code === "media-unavailable" && cause.cause?.name === "NotFoundError" && capture.video && capture.audio) {
        const { cameras, microphones } = await listDevices();
        if (cameras.length === 0 && microphones.length > 0) {
          this.capture = { audio: true, video: false };
          const room = await connect(answer, { audio: pick(true, sel.microphone || d.audioDeviceId), video: false });
          this.notify("No camera was found, so you joined with sound only.");
          return room;
        }
        if (microphones.length === 0) throw Object.assign(new Error("no microphone"), { code: "no-microphone" });
      }
      throw err;
    }
  }

  /** Leaves the call; onLeft("left") follows. */
  async leave(): Promise<void> {
    const room = this.room;
    if (room && room.state !== "disconnected") {
      await room.disconnect(); // "disconnected" (client) ends the call
      if (!this.left) this.finish("left");
      return;
    }
    this.gen++;
    this.finish("left");
  }

  /** Ends everything without telling the app (unmount). */
  dispose(): void {
    this.gen++;
    this.teardown();
  }

  private teardown(): void {
    for (const off of this.unbind) off();
    this.unbind = [];
    clearInterval(this.statsTimer);
    clearTimeout(this.noticeTimer);
    this.statsTimer = undefined;
    const room = this.room;
    this.room = null;
    if (room && room.state !== "disconnected") void room.disconnect();
    this.mutedBy.clear();
    this.myMutedBy = undefined;
  }

  private finish(reason: LeaveReason): void {
    if (this.left) return;
    this.left = true;
    this.teardown();
    this.dispatch({ type: "ended", reason });
    this.opts().onLeft(reason);
  }

  // ---- room events ---------------------------------------------------------

  private me(room: Room) {
    return localView(room.localParticipant, this.opts().displayName, this.myMutedBy);
  }

  private sync = (): void => {
    if (this.syncQueued) return;
    this.syncQueued = true;
    queueMicrotask(() => {
      this.syncQueued = false;
      const room = this.room;
      if (room) this.dispatch({ type: "people", me: this.me(room), people: peopleOf(room, this.mutedBy) });
    });
  };

  private nameOf(id: string | undefined): string {
    if (!id) return "The provider";
    return this.room?.remoteParticipants.get(id)?.name || "The provider";
  }

  private bind(room: Room): void {
    const on = this.unbind;
    const s = this.sync;
    for (const e of ["participantStateChanged", "trackPublished", "trackUnpublished", "trackSubscribed", "trackUnsubscribed", "networkQuality", "localTrackPublished", "localTrackUnpublished", "localTrackChanged"] as const) {
      on.push(room.on(e, s));
    }
    on.push(room.on("participantJoined", (p) => (s(), this.notify(`${p.name || "Someone"} joined the visit`))));
    on.push(
      room.on("participantLeft", (p) => {
        this.mutedBy.delete(p.id);
        s();
        this.notify(`${p.name || "Someone"} left the visit`);
      }),
    );
    on.push(
      room.on("trackMuted", (m) => {
        if (m.kind === "microphone" && m.by) {
          if (m.participant.id === room.localParticipant.id) {
            this.myMutedBy = this.nameOf(m.by);
            this.notify(`${this.myMutedBy} muted your microphone. Unmute when you want to speak.`);
          } else this.mutedBy.set(m.participant.id, this.nameOf(m.by));
        }
        s();
      }),
    );
    on.push(
      room.on("trackUnmuted", (m) => {
        if (m.kind === "microphone") this.mutedBy.delete(m.participant.id);
        s();
      }),
    );
    on.push(room.on("activeSpeaker", (p) => (this.dispatch({ type: "speaker", id: p?.id ?? null }), s())));
    on.push(room.on("chat", (m) => this.dispatch({ type: "chat", message: { id: m.id, text: m.text, fromName: m.from.name, local: m.local, time: m.time } })));
    on.push(room.on("reconnecting", () => this.dispatch({ type: "reconnecting" })));
    on.push(room.on("reconnected", () => (this.dispatch({ type: "reconnected" }), s())));
    on.push(
      room.on("error", (err) => {
        // Non-fatal server errors: only a refused chat message concerns the person; the call goes on.
        if (err.code === "chat-failed" || err.code === "rate-limited") this.dispatch({ type: "problem", problem: problemOf("chat-failed") });
        else console.warn("housecall: the video service reported", err.code);
      }),
    );
    on.push(
      room.on("disconnected", (reason, err) => {
        const leave = leaveReasonOf(reason);
        if (leave) return this.finish(leave);
        this.teardown();
        this.dispatch({ type: "failed", problem: problemFromDisconnect(reason, err) });
      }),
    );
  }

  private notify(text: string): void {
    clearTimeout(this.noticeTimer);
    this.dispatch({ type: "notice", text });
    this.noticeTimer = setTimeout(() => this.dispatch({ type: "notice", text: null }), NOTICE_MS);
  }

  private async readStats(): Promise<void> {
    const room = this.room;
    if (!room || room.state !== "connected") return;
    try {
      const st = await room.getStats();
      const c = st.connection;
      if (this.room === room) this.dispatch({ type: "connection", info: c ? { rttMs: c.rttMs, relayed: c.localCandidateType === "relay" } : null });
    } catch {
      /* statistics are informative only */
    }
  }

  // ---- controls ------------------------------------------------------------

  /** Runs one control at a time per kind; a failure is shown, the call goes on. */
  private async control(key: string, fn: (room: Room) => Promise<unknown>, onError: (err: unknown) => void): Promise<void> {
    const room = this.room;
    if (!room || this.busy.has(key)) return;
    this.busy.add(key);
    try {
      await fn(room);
      this.dispatch({ type: "problem", problem: null });
    } catch (err) {
      if (this.room === room) onError(err);
    } finally {
      this.busy.delete(key);
      this.sync();
    }
  }

  private showError = (err: unknown) => this.dispatch({ type: "problem", problem: problemFromError(err) });

  toggleMicrophone(): Promise<void> {
    return this.control("microphone", async (room) => {
      const on = !room.localParticipant.isMicrophoneEnabled;
      await room.setMicrophoneEnabled(on);
      if (on) this.myMutedBy = undefined;
    }, this.showError);
  }

  toggleCamera(): Promise<void> {
    return this.control("camera", (room) => room.setCameraEnabled(!room.localParticipant.isCameraEnabled), this.showError);
  }

  toggleScreen(): Promise<void> {
    return this.control(
      "screen",
      (room) => (room.localParticipant.isScreenShared ? room.unpublishScreen() : room.publishScreen()),
      (err) => {
        // Closing the browser's picker is a choice, not a failure.
        if ((err as { code?: string })?.code === "media-denied") return;
        this.dispatch({ type: "problem", problem: problemOf("screen-share") });
      },
    );
  }

  switchDevice(kind: "camera" | "microphone", deviceId: string): Promise<void> {
    return this.control(
      kind,
      async (room) => {
        await room.switchDevice(kind, deviceId);
        this.dispatch({ type: "selected", devices: { [kind]: deviceId } });
      },
      () => this.dispatch({ type: "problem", problem: problemOf("device-switch") }),
    );
  }

  /** Plays every received sound on this speaker. */
  setSpeaker(deviceId: string): void {
    this.dispatch({ type: "selected", devices: { speaker: deviceId } });
  }

  /** Sends a chat message; false (with a problem shown) when it was not delivered. */
  async sendChat(text: string): Promise<boolean> {
    const room = this.room;
    if (!room || text.trim() === "") return false;
    try {
      await room.sendChat(text.trim());
      return true;
    } catch {
      this.dispatch({ type: "problem", problem: problemOf("chat-failed") });
      return false;
    }
  }

  /** Hosts: mutes another participant's microphone (only they can unmute). */
  muteParticipant(id: string): Promise<void> {
    return this.control(`mute:${id}`, (room) => room.mute(id, "microphone"), () => this.dispatch({ type: "problem", problem: problemOf("moderation") }));
  }

  setChatOpen(open: boolean): void {
    this.dispatch({ type: "chatOpen", open });
  }

  setLayout(layout: Layout): void {
    this.dispatch({ type: "layout", layout });
  }

  dismissProblem(): void {
    this.dispatch({ type: "problem", problem: null });
  }

  // ---- media for the components ---------------------------------------------

  /** A remote participant's received track of a kind. */
  remoteTrack(participantId: string, kind: TrackKind): RemoteTrack | null {
    return this.room?.remoteParticipants.get(participantId)?.track(kind) ?? null;
  }

  /** The captured local track of a kind (the self view). */
  localTrack(kind: TrackKind): MediaStreamTrack | null {
    return this.room?.localParticipant.track(kind) ?? null;
  }

  /** Audio elements report here so that one tap can start them all. */
  registerAudio(el: HTMLMediaElement): () => void {
    this.audio.add(el);
    return () => this.audio.delete(el);
  }

  setSoundBlocked(blocked: boolean): void {
    this.dispatch({ type: "soundBlocked", blocked });
  }

  /** After a tap: starts every audio element the browser held back. */
  async unlockSound(): Promise<void> {
    const results = await Promise.allSettled([...this.audio].map((el) => Promise.resolve().then(() => el.play())));
    this.setSoundBlocked(results.some((r) => r.status === "rejected"));
  }

  /** The current device choices. */
  get selected(): SelectedDevices {
    return this.state.selected;
  }
}
