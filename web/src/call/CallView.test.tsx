import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { act, configure, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { attach, connect, HousecallError, type Room } from "@housecall/sdk";
import { CallView } from "./CallView";
import { FakeRoom, goodBrowser, joinAnswer } from "./testkit";

vi.mock("@housecall/sdk", async (importOriginal) => {
  const actual = await importOriginal<typeof import("@housecall/sdk")>();
  return { ...actual, connect: vi.fn(), checkBrowser: vi.fn(() => goodBrowser), attach: vi.fn(() => () => {}) };
});

const connectMock = vi.mocked(connect);
const attachMock = vi.mocked(attach);
const named = (name: string) => Object.assign(new Error(name), { name });
let play: ReturnType<typeof vi.fn>;

beforeEach(() => {
  connectMock.mockReset();
  attachMock.mockClear();
  play = vi.fn(async () => {});
  Object.defineProperty(HTMLMediaElement.prototype, "play", { configurable: true, value: play });
  Object.defineProperty(HTMLMediaElement.prototype, "pause", { configurable: true, value: vi.fn() });
  Object.defineProperty(navigator, "mediaDevices", {
    configurable: true,
    value: { getDisplayMedia: vi.fn(), enumerateDevices: vi.fn(async () => []), addEventListener: vi.fn(), removeEventListener: vi.fn() },
  });
});
afterEach(() => {
  Object.defineProperty(navigator, "mediaDevices", { configurable: true, value: undefined });
});

async function renderCall(room = new FakeRoom(), role: "host" | "participant" | "guest" = "participant") {
  connectMock.mockResolvedValueOnce(room as unknown as Room);
  const onLeft = vi.fn();
  const utils = render(<CallView join={async () => joinAnswer as never} role={role} displayName="Pat Doe" onLeft={onLeft} />);
  await screen.findByRole("button", { name: "Mute microphone" });
  return { ...utils, room, onLeft };
}

// Rendering MUI in jsdom is slow on a busy machine.
configure({ asyncUtilTimeout: 10_000 });
describe("CallView", { timeout: 30_000 }, () => {
  it("shows the people, their videos and the labelled controls", async () => {
    const room = new FakeRoom();
    room.addRemote("Practitioner/7", "Dr Lee");
    await renderCall(room);
    expect(screen.getByTestId("remote-video")).toBeTruthy();
    expect(screen.getByTestId("local-video")).toBeTruthy();
    expect(screen.getByTestId("remote-audio")).toBeTruthy();
    // Camera, self view and microphone are attached to their elements.
    expect(attachMock).toHaveBeenCalledTimes(3);
    expect(screen.getByText("Dr Lee")).toBeTruthy();
    expect(screen.getByText("Pat Doe (you)")).toBeTruthy();
    for (const name of ["Turn camera off", "Share screen", "Chat", "Settings", "Leave call", "Speaker view", "Gallery view"]) {
      expect(screen.getByRole("button", { name })).toBeTruthy();
    }
    expect(screen.getByLabelText("Connection quality: good")).toBeTruthy();
    expect(screen.getByLabelText("Connection quality of Dr Lee: good")).toBeTruthy();
    expect(screen.getByRole("button", { name: "Speaker view" }).getAttribute("aria-pressed")).toBe("true");
    fireEvent.click(screen.getByRole("button", { name: "Gallery view" }));
    expect(screen.getByRole("button", { name: "Gallery view" }).getAttribute("aria-pressed")).toBe("true");
  });

  it("toggles microphone and camera and shows a remote mute", async () => {
    const room = new FakeRoom();
    room.addRemote("Practitioner/7", "Dr Lee", "host", { micMuted: true });
    await renderCall(room);
    expect(screen.getByRole("img", { name: "Microphone muted" })).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Mute microphone" }));
    await screen.findByRole("button", { name: "Unmute microphone" });
    fireEvent.click(screen.getByRole("button", { name: "Turn camera off" }));
    await screen.findByRole("button", { name: "Turn camera on" });
    expect(screen.queryByTestId("local-video")).toBeNull();
  });

  it("shows the reconnecting banner while the connection recovers", async () => {
    const { room } = await renderCall();
    expect(screen.queryByText("Reconnecting…")).toBeNull();
    act(() => room.emit("reconnecting", "ice-failed"));
    expect(screen.getByText("Reconnecting…")).toBeTruthy();
    expect(screen.getByLabelText("Connection quality: poor")).toBeTruthy();
    act(() => room.emit("reconnected"));
    expect(screen.queryByText("Reconnecting…")).toBeNull();
  });

  it("counts unread chat and sends a message", async () => {
    const { room } = await renderCall();
    act(() => room.emit("chat", { id: "c1", text: "Can you hear me?", from: { id: "Practitioner/7", name: "Dr Lee", role: "host" }, time: new Date(), local: false }));
    const chat = screen.getByRole("button", { name: "Chat" });
    expect(chat.getAttribute("aria-describedby")).toBe("call-unread");
    expect(document.getElementById("call-unread")?.textContent).toBe("1 unread message");
    fireEvent.click(chat);
    expect(screen.getByText("Can you hear me?")).toBeTruthy();
    expect(chat.getAttribute("aria-describedby")).toBeNull();
    fireEvent.change(screen.getByRole("textbox", { name: "Message" }), { target: { value: "Yes" } });
    fireEvent.click(screen.getByRole("button", { name: "Send" }));
    await waitFor(() => expect(room.sendChat).toHaveBeenCalledWith("Yes"));
    const log = screen.getByRole("log", { name: "Chat messages" });
    await waitFor(() => expect(within(log).getByText("Yes")).toBeTruthy());
    expect((screen.getByRole("textbox", { name: "Message" }) as HTMLInputElement).value).toBe("");
  });

  it("offers a tap to turn on sound when the browser blocks autoplay", async () => {
    play.mockRejectedValue(named("NotAllowedError"));
    const room = new FakeRoom();
    room.addRemote("Practitioner/7", "Dr Lee");
    await renderCall(room);
    const tap = await screen.findByRole("button", { name: "Tap to turn on sound" });
    play.mockResolvedValue(undefined);
    fireEvent.click(tap);
    await waitFor(() => expect(screen.queryByRole("button", { name: "Tap to turn on sound" })).toBeNull());
  });

  it("hands leaving and the end of the visit to onLeft", async () => {
    const a = await renderCall();
    fireEvent.click(screen.getByRole("button", { name: "Leave call" }));
    await waitFor(() => expect(a.onLeft).toHaveBeenCalledWith("left"));
    a.unmount();
    const b = await renderCall();
    act(() => b.room.end("room-closed", new HousecallError("room-closed", "ended")));
    expect(b.onLeft).toHaveBeenCalledWith("ended");
  });

  it("releases the room on unmount", async () => {
    const { room, unmount, onLeft } = await renderCall();
    unmount();
    expect(room.disconnect).toHaveBeenCalled();
    expect(onLeft).not.toHaveBeenCalled();
  });

  it("explains a blocked camera and joins without it on request", async () => {
    connectMock.mockRejectedValueOnce(new HousecallError("media-denied", "refused"));
    render(<CallView join={async () => joinAnswer as never} role="guest" displayName="Ana" onLeft={vi.fn()} />);
    expect(await screen.findByText("Your camera and microphone are blocked")).toBeTruthy();
    expect(screen.getByRole("alert").textContent).toMatch(/Reload the page/);
    connectMock.mockResolvedValueOnce(new FakeRoom({ video: false }) as unknown as Room);
    fireEvent.click(screen.getByRole("button", { name: "Join without camera" }));
    await screen.findByRole("button", { name: "Mute microphone" });
    expect(connectMock).toHaveBeenLastCalledWith(joinAnswer, { audio: true, video: false });
    expect(screen.getByRole("button", { name: "Turn camera on" })).toBeTruthy();
  });

  it("lets a host mute a participant", async () => {
    const room = new FakeRoom();
    room.addRemote("Patient/1b", "Sam Roe", "participant");
    await renderCall(room, "host");
    fireEvent.click(screen.getByRole("button", { name: "Mute Sam Roe" }));
    await waitFor(() => expect(room.mute).toHaveBeenCalledWith("Patient/1b", "microphone"));
  });
});
