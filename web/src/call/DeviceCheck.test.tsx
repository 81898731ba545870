import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { configure, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { checkBrowser, createAudioLevelMeter, preCallCheck, startPreview, type PreCallResult } from "@housecall/sdk";
import { DeviceCheck } from "./DeviceCheck";
import { goodBrowser } from "./testkit";

vi.mock("@housecall/sdk", async (importOriginal) => {
  const actual = await importOriginal<typeof import("@housecall/sdk")>();
  return { ...actual, checkBrowser: vi.fn(), preCallCheck: vi.fn(), startPreview: vi.fn(), createAudioLevelMeter: vi.fn() };
});

const named = (name: string) => Object.assign(new Error(name), { name });
const dev = (kind: MediaDeviceKind, id: string, label: string) => ({ kind, deviceId: id, label, groupId: "g" });
const devices = [
  dev("videoinput", "cam1", "Built-in camera"),
  dev("videoinput", "cam2", "USB camera"),
  dev("audioinput", "mic1", "Built-in microphone"),
  dev("audiooutput", "spk1", "Speakers"),
  dev("audiooutput", "spk2", "Headphones"),
];
const network = { ok: true, host: true, srflx: false, relay: false, relayProtocols: [], signalling: true, rttMs: -1, bandwidthKbps: -1, path: "udp" as const };

let getUserMedia: ReturnType<typeof vi.fn>;
const stopPreview = vi.fn();
const stopMeter = vi.fn();

beforeEach(() => {
  vi.clearAllMocks();
  vi.mocked(checkBrowser).mockReturnValue(goodBrowser);
  vi.mocked(preCallCheck).mockResolvedValue({ network } as unknown as PreCallResult);
  vi.mocked(startPreview).mockImplementation(async () => ({ track: {} as MediaStreamTrack, stop: stopPreview }));
  vi.mocked(createAudioLevelMeter).mockImplementation(async (_src, onLevel) => {
    onLevel(0.42);
    return { stop: stopMeter };
  });
  getUserMedia = vi.fn(async () => ({ getTracks: () => [{ stop: vi.fn() }] }));
  Object.defineProperty(navigator, "mediaDevices", {
    configurable: true,
    value: { getUserMedia, enumerateDevices: vi.fn(async () => devices), addEventListener: vi.fn(), removeEventListener: vi.fn() },
  });
  Object.defineProperty(HTMLMediaElement.prototype, "setSinkId", { configurable: true, writable: true, value: vi.fn(async () => {}) });
});
afterEach(() => {
  Object.defineProperty(navigator, "mediaDevices", { configurable: true, value: undefined });
  delete (HTMLMediaElement.prototype as { setSinkId?: unknown }).setSinkId;
});

// Rendering MUI in jsdom is slow on a busy machine.
configure({ asyncUtilTimeout: 10_000 });
describe("DeviceCheck", { timeout: 30_000 }, () => {
  it("checks the devices and network and continues with the chosen devices", async () => {
    const onReady = vi.fn();
    const { unmount } = render(<DeviceCheck role="patient" onReady={onReady} />);
    expect(screen.getByRole("heading", { name: "Check your camera and microphone" })).toBeTruthy();
    expect(screen.getByTestId("preview-video")).toBeTruthy();
    await screen.findByText(/ready for the video visit/);
    expect(screen.getByText(/reached the video service/)).toBeTruthy();
    // The network test runs against this server's signalling endpoint.
    expect(vi.mocked(preCallCheck).mock.calls[0][0]).toMatchObject({ Meeting: { MediaPlacement: { SignalingUrl: "ws://localhost:3000/rtc" } } });

    const cam = screen.getByRole("combobox", { name: "Camera" }) as HTMLSelectElement;
    expect([...cam.options].map((o) => o.text)).toEqual(["Built-in camera", "USB camera"]);
    expect(screen.getByRole("combobox", { name: "Microphone" })).toBeTruthy();
    fireEvent.change(cam, { target: { value: "cam2" } });
    fireEvent.change(screen.getByRole("combobox", { name: "Speaker" }), { target: { value: "spk2" } });
    await waitFor(() => expect(vi.mocked(startPreview)).toHaveBeenLastCalledWith(expect.anything(), { deviceId: "cam2" }));
    // The first preview was released when the camera changed.
    expect(stopPreview).toHaveBeenCalled();

    const meter = screen.getByRole("meter", { name: "Microphone level" });
    expect(meter.getAttribute("aria-valuenow")).toBe("42");
    expect(screen.getByRole("button", { name: "Play test sound" })).toBeTruthy();

    fireEvent.click(screen.getByRole("button", { name: "Continue" }));
    expect(onReady).toHaveBeenCalledWith({ audioDeviceId: "mic1", videoDeviceId: "cam2", speakerDeviceId: "spk2" });
    unmount();
    expect(stopMeter).toHaveBeenCalled();
  });

  it("explains a blocked camera with the steps to allow it", async () => {
    getUserMedia.mockRejectedValue(named("NotAllowedError"));
    render(<DeviceCheck role="guest" onReady={vi.fn()} />);
    expect(await screen.findByText("Your camera and microphone are blocked")).toBeTruthy();
    expect(screen.getByText(/not ready for the video visit/)).toBeTruthy();
    expect(screen.getByText(/Reload the page/)).toBeTruthy();
    expect(vi.mocked(startPreview)).not.toHaveBeenCalled();
    getUserMedia.mockResolvedValue({ getTracks: () => [] });
    fireEvent.click(screen.getByRole("button", { name: "Check again" }));
    await waitFor(() => expect(screen.queryByText("Your camera and microphone are blocked")).toBeNull());
    await screen.findByText(/ready for the video visit/);
  });

  it("says when the network blocks video", async () => {
    vi.mocked(preCallCheck).mockResolvedValue({ network: { ...network, signalling: false, ok: false } } as unknown as PreCallResult);
    render(<DeviceCheck role="patient" onReady={vi.fn()} />);
    expect(await screen.findByText("Video cannot get through this network")).toBeTruthy();
    expect(screen.getByText(/could not reach the video service/)).toBeTruthy();
    expect(screen.getByText(/mobile data/)).toBeTruthy();
  });

  it("stops an unsupported browser with what to do", async () => {
    vi.mocked(checkBrowser).mockReturnValue({ ...goodBrowser, ok: false, webrtc: false });
    render(<DeviceCheck role="patient" onReady={vi.fn()} />);
    expect(await screen.findByText("This browser cannot make video calls")).toBeTruthy();
    expect(screen.getByText(/recent version of Chrome, Edge, Firefox or Safari/)).toBeTruthy();
    await waitFor(() => expect((screen.getByRole("button", { name: "Continue" }) as HTMLButtonElement).disabled).toBe(true));
  });

  it("continues without a camera, warning about it", async () => {
    getUserMedia.mockImplementation(async (c: MediaStreamConstraints) => {
      if (c.video) throw named("NotFoundError");
      return { getTracks: () => [] };
    });
    vi.mocked(navigator.mediaDevices.enumerateDevices).mockResolvedValue([dev("audioinput", "mic1", "Mic")] as MediaDeviceInfo[]);
    const onReady = vi.fn();
    render(<DeviceCheck role="patient" onReady={onReady} />);
    expect(await screen.findByText("No camera found")).toBeTruthy();
    expect(vi.mocked(startPreview)).not.toHaveBeenCalled();
    fireEvent.click(screen.getByRole("button", { name: "Continue" }));
    expect(onReady).toHaveBeenCalledWith({ audioDeviceId: "mic1", videoDeviceId: undefined, speakerDeviceId: undefined });
  });
});
