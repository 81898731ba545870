import { describe, expect, it, vi } from "vitest";
import { act, renderHook, waitFor } from "@testing-library/react";
import type { SubscribeOptions } from "../api/events";
import { ApiError, Http } from "../api/http";
import type { Telemed, WaitingState } from "../api/telemed";
import { ACCESS_ENDED, useCallJoin, useWaitingRoom } from "./useWaitingRoom";

const waiting = (position: number): WaitingState => ({ state: "waiting", position, providerPresent: false, arrivedAt: "2025-03-01T10:00:00Z" });
const join = { Meeting: { MeetingId: "m1", MediaPlacement: { SignalingUrl: "wss://x/signal" } }, Attendee: { JoinToken: "j" } };

function setup(opts: { waitingRoom?: boolean; telemed?: Partial<Record<keyof Telemed, any>> } = {}) {
  let stream: SubscribeOptions | null = null;
  const close = vi.fn();
  const subscribe = vi.fn((_h: Http, o: SubscribeOptions) => {
    stream = o;
    return { close };
  });
  const telemed = {
    checkIn: vi.fn(async () => waiting(2)),
    waitingState: vi.fn(async () => waiting(2)),
    join: vi.fn(async () => join),
    ...opts.telemed,
  };
  const http = new Http(async () => "tok");
  const hook = renderHook(
    (p: { enabled: boolean }) =>
      useWaitingRoom({
        http,
        telemed: telemed as unknown as Telemed,
        encounterId: "e1",
        profile: "Patient/1",
        name: "Ana",
        waitingRoom: opts.waitingRoom ?? true,
        enabled: p.enabled,
        subscribe,
      }),
    { initialProps: { enabled: true } },
  );
  return { hook, telemed, subscribe, close, stream: () => stream! };
}

describe("useWaitingRoom", () => {
  it("checks in, listens to the visit's events and is admitted live", async () => {
    const { hook, telemed, subscribe, stream } = setup();
    await waitFor(() => expect(hook.result.current.view.phase).toBe("waiting"));
    expect(telemed.checkIn).toHaveBeenCalledWith("e1", "Ana");
    expect(subscribe.mock.calls[0][1].encounter).toBe("e1");
    expect(hook.result.current.view.position).toBe(2);

    act(() => stream().onEvent({ id: "2", type: "waiting.admitted", time: "", encounterId: "e1", participant: { key: "k", profile: "Patient/1", name: "Ana", role: "patient" } }));
    expect(hook.result.current.view.phase).toBe("admitted");
    expect(telemed.join).not.toHaveBeenCalled();
  });

  it("reloads the state when the stream (re)opens and checks in again after being taken out of the queue", async () => {
    const { hook, telemed, stream } = setup();
    await waitFor(() => expect(hook.result.current.view.phase).toBe("waiting"));
    telemed.waitingState.mockResolvedValueOnce(waiting(1));
    await act(async () => stream().onOpen!());
    expect(hook.result.current.view.position).toBe(1);

    telemed.waitingState.mockResolvedValueOnce({ ...waiting(0), state: "left" });
    telemed.checkIn.mockResolvedValueOnce(waiting(4));
    await act(async () => stream().onOpen!());
    expect(telemed.checkIn).toHaveBeenCalledTimes(2);
    expect(hook.result.current.view.position).toBe(4);
  });

  it("ends when the server says the visit is over", async () => {
    const { hook } = setup({ telemed: { checkIn: vi.fn(async () => Promise.reject(new ApiError(410, "ended"))) } });
    await waitFor(() => expect(hook.result.current.view.phase).toBe("ended"));
    expect(hook.result.current.error).toBeNull();
  });

  it("joins right after check-in when the visit has no waiting room", async () => {
    const { hook, telemed } = setup({ waitingRoom: false });
    await waitFor(() => expect(hook.result.current.joinAnswer).toEqual(join));
    expect(telemed.join).toHaveBeenCalledWith("e1");
  });

  it("keeps waiting when the server holds the person for admission after all", async () => {
    const { hook, telemed } = setup({ waitingRoom: false, telemed: { join: vi.fn(async () => Promise.reject(new ApiError(409, "waiting"))) } });
    await waitFor(() => expect(telemed.join).toHaveBeenCalled());
    expect(hook.result.current.joinAnswer).toBeNull();
    expect(hook.result.current.error).toBeNull();
    expect(hook.result.current.view.phase).toBe("waiting");
  });

  it("reports a refused stream and closes it when disabled", async () => {
    const { hook, stream, close } = setup();
    await waitFor(() => expect(hook.result.current.view.phase).toBe("waiting"));
    act(() => stream().onState!("closed"));
    expect((hook.result.current.error as Error).message).toBe(ACCESS_ENDED);
    hook.rerender({ enabled: false });
    expect(close).toHaveBeenCalled();
  });
});

describe("useCallJoin", () => {
  it("hands over a prefetched join answer once, then asks the server", async () => {
    const telemed = { join: vi.fn(async () => ({ ...join, fresh: true })) } as unknown as Telemed;
    const { result } = renderHook(() => useCallJoin(telemed, "e1", join as any));
    expect(await result.current()).toBe(join);
    expect(await result.current()).toMatchObject({ fresh: true });
  });
});
