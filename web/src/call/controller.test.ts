import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { connect, HousecallError, type Room } from "@housecall/sdk";
import { ApiError } from "../api/http";
import { CallController, type CallOptions } from "./controller";
import { bannerOf, layoutOf } from "./state";
import { FakeRoom, goodBrowser, joinAnswer } from "./testkit";

vi.mock("@housecall/sdk", async (importOriginal) => {
  const actual = await importOriginal<typeof import("@housecall/sdk")>();
  return { ...actual, connect: vi.fn(), checkBrowser: vi.fn(() => goodBrowser) };
});

const connectMock = vi.mocked(connect);
const tick = () => new Promise((r) => setTimeout(r, 0));

function setup(extra: Partial<CallOptions> = {}) {
  const onLeft = vi.fn();
  const join = vi.fn(async () => joinAnswer as never);
  const opts: CallOptions = { join, displayName: "Pat Doe", onLeft, ...extra };
  const ctrl = new CallController(() => opts);
  return { ctrl, onLeft, join };
}

async function started(room = new FakeRoom(), extra: Partial<CallOptions> = {}) {
  connectMock.mockResolvedValueOnce(room as unknown as Room);
  const s = setup(extra);
  await s.ctrl.start();
  await tick();
  return { ...s, room };
}

beforeEach(() => connectMock.mockReset());
afterEach(() => vi.useRealTimers());

describe("CallController", () => {
  it("joins with the devices chosen before the call and shows everyone", async () => {
    const room = new FakeRoom();
    room.addRemote("Practitioner/7", "Dr Lee");
    const { ctrl } = await started(room, { devices: { audioDeviceId: "mic-9", videoDeviceId: "cam-9", speakerDeviceId: "spk-2" } });
    expect(connectMock).toHaveBeenCalledWith(joinAnswer, { audio: { deviceId: "mic-9" }, video: { deviceId: "cam-9" } });
    const s = ctrl.getState();
    expect(s.phase).toBe("connected");
    expect(s.me).toMatchObject({ id: "Patient/1", name: "Pat Doe", micMuted: false });
    expect(s.me.camera).not.toBeNull();
    expect(s.people.map((p) => [p.name, p.micMuted, !!p.camera, !!p.mic])).toEqual([["Dr Lee", false, true, true]]);
    // The devices actually opened; the speaker as chosen.
    expect(s.selected).toEqual({ camera: "cam-1", microphone: "mic-1", speaker: "spk-2" });
    expect(layoutOf(s)).toBe("speaker");
  });

  it("follows people joining, speaking, muting and leaving", async () => {
    const { ctrl, room } = await started();
    room.addRemote("Practitioner/7", "Dr Lee");
    room.addRemote("RelatedPerson/3", "Ana");
    await tick();
    expect(ctrl.getState().people).toHaveLength(2);
    expect(ctrl.getState().notice).toBe("Ana joined the visit");
    expect(layoutOf(ctrl.getState())).toBe("gallery");

    const ana = room.remoteParticipants.get("RelatedPerson/3")!;
    ana.isSpeaking = true;
    room.emit("activeSpeaker", ana, []);
    await tick();
    expect(ctrl.getState().speaker).toBe("RelatedPerson/3");
    expect(ctrl.getState().people[1].speaking).toBe(true);

    const pub = ana.publications.get("RelatedPerson/3-microphone")!;
    pub.muted = true;
    room.emit("trackMuted", { participant: ana, kind: "microphone", trackId: pub.trackId, by: "Practitioner/7" });
    await tick();
    expect(ctrl.getState().people[1]).toMatchObject({ micMuted: true, mutedBy: "Dr Lee" });

    ana.networkQuality = 2;
    room.emit("networkQuality", ana, 2);
    await tick();
    expect(ctrl.getState().people[1].quality).toBe(2);

    room.removeRemote("RelatedPerson/3");
    await tick();
    expect(ctrl.getState().people.map((p) => p.name)).toEqual(["Dr Lee"]);
    expect(ctrl.getState().speaker).toBeNull();
    expect(ctrl.getState().notice).toBe("Ana left the visit");
  });

  it("shows the reconnecting banner from the room's connection state", async () => {
    const { ctrl, room } = await started();
    room.emit("reconnecting", "ice-disconnected");
    expect(bannerOf(ctrl.getState())).toBe("Reconnecting…");
    room.emit("reconnected");
    expect(bannerOf(ctrl.getState())).toBeNull();
  });

  it("counts unread chat and sends messages", async () => {
    const { ctrl, room } = await started();
    room.emit("chat", { id: "c1", text: "Hello", from: { id: "Practitioner/7", name: "Dr Lee", role: "host" }, time: new Date(), local: false });
    expect(ctrl.getState().chat.unread).toBe(1);
    ctrl.setChatOpen(true);
    expect(ctrl.getState().chat.unread).toBe(0);
    expect(await ctrl.sendChat("  Hi there  ")).toBe(true);
    expect(room.sendChat).toHaveBeenCalledWith("Hi there");
    expect(ctrl.getState().chat.messages.map((m) => [m.text, m.local])).toEqual([
      ["Hello", false],
      ["Hi there", true],
    ]);
    room.sendChat.mockRejectedValueOnce(new HousecallError("timeout", "no answer"));
    expect(await ctrl.sendChat("again")).toBe(false);
    expect(ctrl.getState().problem?.kind).toBe("chat-failed");
  });

  it("shows only the non-fatal server errors that concern the person", async () => {
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    const { ctrl, room } = await started();
    room.emit("error", new HousecallError("negotiation-failed", "x"));
    expect(ctrl.getState().problem).toBeNull();
    expect(warn).toHaveBeenCalled();
    room.emit("error", new HousecallError("chat-failed", "not stored"));
    expect(ctrl.getState().problem?.kind).toBe("chat-failed");
    ctrl.dismissProblem();
    expect(ctrl.getState().problem).toBeNull();
    expect(ctrl.getState().phase).toBe("connected");
    warn.mockRestore();
  });

  it("hands a normal end to onLeft: left, ended, removed", async () => {
    for (const [reason, want] of [
      ["room-closed", "ended"],
      ["removed", "removed"],
    ] as const) {
      const { ctrl, room, onLeft } = await started();
      room.end(reason, new HousecallError(reason, "x"));
      expect(onLeft).toHaveBeenCalledExactlyOnceWith(want);
      expect(ctrl.getState().endReason).toBe(want);
    }
    const { ctrl, room, onLeft } = await started();
    await ctrl.leave();
    expect(room.disconnect).toHaveBeenCalled();
    expect(onLeft).toHaveBeenCalledExactlyOnceWith("left");
  });

  it("explains a lost connection and rejoins on request", async () => {
    const first = new FakeRoom();
    first.addRemote("Practitioner/7", "Dr Lee");
    const { ctrl, room, onLeft, join } = await started(first);
    room.end("reconnect-failed", new HousecallError("timeout", "grace over"));
    expect(onLeft).not.toHaveBeenCalled();
    expect(ctrl.getState().phase).toBe("failed");
    expect(ctrl.getState().problem?.kind).toBe("connection-lost");
    expect(ctrl.getState().people).toEqual([]);
    const again = new FakeRoom();
    connectMock.mockResolvedValueOnce(again as unknown as Room);
    await ctrl.start();
    expect(join).toHaveBeenCalledTimes(2);
    expect(ctrl.getState().phase).toBe("connected");
    expect(ctrl.getState().problem).toBeNull();
  });

  it("maps join failures to problems, and a visit that has ended to onLeft", async () => {
    const cases: [unknown, string][] = [
      [new ApiError(409, "waiting"), "not-admitted"],
      [new ApiError(0, "offline"), "server-unreachable"],
      [new ApiError(403, "expired"), "link-expired"],
    ];
    for (const [err, kind] of cases) {
      const { ctrl, onLeft } = setup({ join: vi.fn(async () => Promise.reject(err)) });
      await ctrl.start();
      expect(ctrl.getState()).toMatchObject({ phase: "failed", problem: { kind } });
      expect(onLeft).not.toHaveBeenCalled();
    }
    const ended = setup({ join: vi.fn(async () => Promise.reject(new ApiError(410, "ended"))) });
    await ended.ctrl.start();
    expect(ended.onLeft).toHaveBeenCalledWith("ended");
  });

  it("offers a way in without the blocked camera", async () => {
    connectMock.mockRejectedValueOnce(new HousecallError("media-denied", "refused"));
    const { ctrl } = setup();
    await ctrl.start();
    expect(ctrl.getState().problem?.kind).toBe("camera-denied");
    connectMock.mockResolvedValueOnce(new FakeRoom({ video: false }) as unknown as Room);
    await ctrl.start({ audio: true, video: false });
    expect(connectMock).toHaveBeenLastCalledWith(joinAnswer, { audio: true, video: false });
    expect(ctrl.getState().phase).toBe("connected");
    expect(ctrl.getState().me.camera).toBeNull();
  });

  it("reports network trouble while connecting", async () => {
    connectMock.mockRejectedValueOnce(new HousecallError("connect-timeout", "no media"));
    const { ctrl } = setup();
    await ctrl.start();
    expect(ctrl.getState().problem?.kind).toBe("network-blocked");
  });

  it("runs the controls and keeps the call going when one fails", async () => {
    const { ctrl, room } = await started();
    await ctrl.toggleMicrophone();
    expect(room.setMicrophoneEnabled).toHaveBeenCalledWith(false);
    await tick();
    expect(ctrl.getState().me.micMuted).toBe(true);
    await ctrl.toggleCamera();
    await tick();
    expect(ctrl.getState().me.camera).toBeNull();
    await ctrl.toggleScreen();
    await tick();
    expect(ctrl.getState().me.screen).not.toBeNull();
    expect(layoutOf(ctrl.getState())).toBe("speaker");
    await ctrl.toggleScreen();
    expect(room.unpublishScreen).toHaveBeenCalled();

    // Cancelling the browser's screen picker is no error.
    room.publishScreen.mockRejectedValueOnce(new HousecallError("media-denied", "cancelled"));
    await ctrl.toggleScreen();
    expect(ctrl.getState().problem).toBeNull();

    await ctrl.switchDevice("camera", "cam-2");
    expect(room.switchDevice).toHaveBeenCalledWith("camera", "cam-2");
    expect(ctrl.getState().selected.camera).toBe("cam-2");
    room.switchDevice.mockRejectedValueOnce(new HousecallError("media-unavailable", "busy"));
    await ctrl.switchDevice("microphone", "mic-2");
    expect(ctrl.getState().problem?.kind).toBe("device-switch");
    expect(ctrl.getState().selected.microphone).toBe("mic-1");
    expect(ctrl.getState().phase).toBe("connected");
  });

  it("releases the room on dispose, even one that connects afterwards", async () => {
    const { ctrl, room, onLeft } = await started();
    ctrl.dispose();
    expect(room.disconnect).toHaveBeenCalled();
    expect(room.listenerCount()).toBe(0);
    expect(onLeft).not.toHaveBeenCalled();

    let resolve!: (r: Room) => void;
    connectMock.mockReturnValueOnce(new Promise<Room>((r) => (resolve = r)));
    const late = setup();
    const p = late.ctrl.start();
    await tick();
    late.ctrl.dispose();
    const lateRoom = new FakeRoom();
    resolve(lateRoom as unknown as Room);
    await p;
    expect(lateRoom.disconnect).toHaveBeenCalled();
    expect(late.ctrl.getState().phase).toBe("joining");
  });
});
