// The pre-call check's hooks: running the checks (again on request), the
// live camera preview and the microphone level, each releasing its device
// when it stops or the page moves on.
import { useCallback, useEffect, useLayoutEffect, useRef, useState, type RefObject } from "react";
import { checkBrowser, createAudioLevelMeter, startPreview, type BrowserCheck, type JoinResponse, type NetworkCheck } from "@housecall/sdk";
import { listDevices, onDeviceChange } from "./media";
import { checkNetwork, probeDevices, sameOriginJoin, type DeviceProbe } from "./precheck";
import { problemFromError, type Problem } from "./problems";

export interface PrecheckState {
  browser: BrowserCheck;
  /** null while the camera and microphone are being checked. */
  devices: DeviceProbe | null;
  network: NetworkCheck | null;
  networkState: "running" | "done" | "failed" | "skipped";
  /** The network test used a real join answer (STUN/TURN measured). */
  full: boolean;
}

/** Runs the checks on mount; run() repeats them ("Check again"). */
export function usePrecheck(join?: () => Promise<JoinResponse>): [PrecheckState, () => void] {
  const [state, setState] = useState<PrecheckState>(() => ({ browser: checkBrowser(), devices: null, network: null, networkState: "running", full: false }));
  const gen = useRef(0);
  const joinRef = useRef(join);
  useLayoutEffect(() => {
    joinRef.current = join;
  });

  const run = useCallback(() => {
    const g = ++gen.current;
    const browser = checkBrowser();
    const live = () => g === gen.current;
    setState({ browser, devices: null, network: null, networkState: browser.webrtc ? "running" : "skipped", full: false });
    if (browser.webrtc) {
      void (async () => {
        let answer: JoinResponse | null = null;
        if (joinRef.current) answer = await joinRef.current().catch(() => null);
        try {
          const network = await checkNetwork(answer ?? sameOriginJoin());
          if (live()) setState((s) => ({ ...s, network, networkState: network ? "done" : "failed", full: !!answer }));
        } catch {
          if (live()) setState((s) => ({ ...s, networkState: "failed" }));
        }
      })();
    }
    void probeDevices(typeof navigator === "undefined" ? undefined : navigator.mediaDevices).then((devices) => {
      if (live()) setState((s) => ({ ...s, devices }));
    });
  }, []);

  useEffect(() => {
    run();
    // Devices plugged in or out during the check appear in the pickers.
    const off = onDeviceChange(() => {
      void listDevices().then((l) => {
        setState((s) => (s.devices ? { ...s, devices: { ...s.devices, cameras: l.cameras.map(withGroup), microphones: l.microphones.map(withGroup), speakers: l.speakers.map(withGroup) } } : s));
      });
    });
    return () => {
      gen.current++;
      off();
    };
  }, [run]);
  return [state, run];
}

const withGroup = (d: { deviceId: string; label: string }) => ({ ...d, groupId: "" });

/** Shows the chosen camera in the video element while enabled; the problem when it cannot be opened. */
export function usePreview(video: RefObject<HTMLVideoElement | null>, cameraId: string, enabled: boolean): Problem | null {
  const [problem, setProblem] = useState<Problem | null>(null);
  useEffect(() => {
    const el = video.current;
    if (!enabled || !el) return;
    let live = true;
    let stop: (() => void) | null = null;
    startPreview(el, cameraId ? { deviceId: cameraId } : {}).then(
      (p) => {
        if (!live) return p.stop();
        stop = () => p.stop();
        setProblem(null);
      },
      (err) => {
        if (live) setProblem(problemFromError(err));
      },
    );
    return () => {
      live = false;
      stop?.();
    };
  }, [video, cameraId, enabled]);
  return enabled ? problem : null;
}

/** The chosen microphone's level, 0–100, while enabled. */
export function useMicLevel(micId: string, enabled: boolean): number {
  const [level, setLevel] = useState(0);
  useEffect(() => {
    if (!enabled) return;
    let live = true;
    let stop: (() => void) | null = null;
    createAudioLevelMeter(micId ? { deviceId: micId } : {}, (l) => {
      // Whole percent steps: fewer renders, no visible difference.
      if (live) setLevel(Math.round(l * 100));
    }).then(
      (m) => {
        if (!live) return m.stop();
        stop = () => m.stop();
      },
      () => {
        if (live) setLevel(0);
      },
    );
    return () => {
      live = false;
      stop?.();
      setLevel(0);
    };
  }, [micId, enabled]);
  return level;
}
