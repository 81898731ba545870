import { describe, expect, it } from "vitest";
import { HousecallError } from "@housecall/sdk";
import { ApiError } from "../api/http";
import { allowCameraSteps, browserOf, joinFallbacks, problemFromDisconnect, problemFromError } from "./problems";

const UA = {
  chrome: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  edge: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
  firefox: "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
  safari: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
  ios: "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
  android: "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
};

const named = (name: string) => Object.assign(new Error(name), { name });

describe("error mapping", () => {
  it.each([
    [new HousecallError("media-denied", "refused"), "camera-denied"],
    [new HousecallError("media-unavailable", "x", named("NotFoundError")), "no-device"],
    [new HousecallError("media-unavailable", "x", named("NotReadableError")), "device-busy"],
    [new HousecallError("connect-timeout", "x"), "network-blocked"],
    [new HousecallError("ice-failed", "x"), "network-blocked"],
    [new HousecallError("signalling-failed", "x"), "network-blocked"],
    [new HousecallError("unsupported-browser", "x"), "unsupported-browser"],
    [new HousecallError("unauthorized", "x"), "link-expired"],
    [new HousecallError("room-closed", "x"), "visit-ended"],
    [new HousecallError("room-full", "x"), "room-full"],
    [new HousecallError("removed", "x"), "removed"],
    [new HousecallError("replaced", "x"), "joined-elsewhere"],
    [new HousecallError("chat-failed", "x"), "chat-failed"],
    [new ApiError(0, "unreachable"), "server-unreachable"],
    [new ApiError(403, "no"), "link-expired"],
    [new ApiError(409, "waiting"), "not-admitted"],
    [new ApiError(410, "ended"), "visit-ended"],
    [new Error("boom"), "unknown"],
    ["weird", "unknown"],
  ])("%s → %s", (err, kind) => {
    const p = problemFromError(err, UA.chrome);
    expect(p.kind).toBe(kind);
    expect(p.title).not.toBe("");
    expect(p.text).not.toBe("");
  });

  it("says what to do about a blocked camera in the browser at hand", () => {
    const p = problemFromError(new HousecallError("media-denied", "refused"), UA.firefox);
    expect(p.severity).toBe("error");
    expect(p.retry).toBe(true);
    expect(p.steps.join(" ")).toMatch(/crossed-out camera/);
    expect(allowCameraSteps(UA.chrome).join(" ")).toMatch(/address bar/);
    expect(allowCameraSteps(UA.safari).join(" ")).toMatch(/Settings for This Website/);
    expect(allowCameraSteps(UA.ios).join(" ")).toMatch(/aA/);
    expect(allowCameraSteps(UA.android).join(" ")).toMatch(/Permissions/);
    expect(allowCameraSteps("curl/8").length).toBeGreaterThan(0);
  });

  it("recognises browsers", () => {
    expect(Object.fromEntries(Object.entries(UA).map(([k, ua]) => [k, browserOf(ua)]))).toEqual({
      chrome: "chrome",
      edge: "edge",
      firefox: "firefox",
      safari: "safari",
      ios: "ios",
      android: "android",
    });
  });

  it("explains an unexpected disconnection", () => {
    expect(problemFromDisconnect("reconnect-failed", new HousecallError("timeout", "grace over")).kind).toBe("connection-lost");
    expect(problemFromDisconnect("replaced", new HousecallError("replaced", "elsewhere")).kind).toBe("joined-elsewhere");
    expect(problemFromDisconnect("unauthorized", undefined).kind).toBe("link-expired");
    expect(problemFromDisconnect("media-error", undefined).kind).toBe("connection-lost");
  });

  it("offers to join without the device that is the trouble", () => {
    expect(joinFallbacks("camera-denied", { audio: true, video: true })).toEqual([{ label: "Join without camera", capture: { audio: true, video: false } }]);
    expect(joinFallbacks("camera-denied", { audio: true, video: false })).toEqual([
      { label: "Join without camera and microphone", capture: { audio: false, video: false } },
    ]);
    expect(joinFallbacks("camera-denied", { audio: false, video: false })).toEqual([]);
    expect(joinFallbacks("no-microphone", { audio: true, video: true })).toEqual([{ label: "Join without microphone", capture: { audio: false, video: true } }]);
    expect(joinFallbacks("network-blocked", { audio: true, video: true })).toEqual([]);
  });
});
