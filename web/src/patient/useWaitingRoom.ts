// The live waiting room of one person: check-in, the event stream for the
// visit (kept open through the call so the server sees the person present),
// a state reload whenever the stream (re)opens, and — for visits without a
// waiting room — the join as soon as the check-in is done.
import { useCallback, useEffect, useReducer, useRef, useState } from "react";
import type { JoinResponse } from "@housecall/sdk";
import { subscribe as defaultSubscribe, type SubscribeOptions, type Subscription } from "../api/events";
import { ApiError, type Http } from "../api/http";
import type { Telemed } from "../api/telemed";
import { initialWaiting, waitingReducer, type WaitingView } from "./waiting";

export interface WaitingRoomOptions {
  http: Http;
  telemed: Telemed;
  encounterId: string;
  profile: string;
  /** The name a guest typed (sent with the check-in). */
  name?: string;
  waitingRoom: boolean;
  /** Check in and listen only while true. */
  enabled: boolean;
  subscribe?: (http: Http, opts: SubscribeOptions) => Subscription;
}

export interface WaitingRoomState {
  view: WaitingView;
  error: unknown;
  retry: () => void;
  /** A join answer obtained without a waiting room (hand it to the call once). */
  joinAnswer: JoinResponse | null;
}

/** The stream was refused (401/403): the link or sign-in stopped working. */
export const ACCESS_ENDED =
  "Your access to this visit has ended, so the waiting room can't update. If your visit is still going on, open the link from your clinic again or ask them for a new one.";

export function useWaitingRoom(o: WaitingRoomOptions): WaitingRoomState {
  const [view, dispatch] = useReducer(waitingReducer, initialWaiting);
  const [error, setError] = useState<unknown>(null);
  const [joinAnswer, setJoinAnswer] = useState<JoinResponse | null>(null);
  const [attempt, setAttempt] = useState(0);
  const checking = useRef<Promise<void> | null>(null);
  const joinTried = useRef(false);
  const opts = useRef(o);
  opts.current = o;

  const fail = useCallback((e: unknown) => {
    if (e instanceof ApiError && e.status === 410) dispatch({ type: "ended" });
    else setError(e);
  }, []);

  const checkIn = useCallback((): Promise<void> => {
    if (checking.current) return checking.current;
    const { telemed, encounterId, name } = opts.current;
    const p = telemed
      .checkIn(encounterId, name)
      .then((state) => {
        setError(null);
        dispatch({ type: "state", state });
      }, fail)
      .finally(() => {
        checking.current = null;
      });
    checking.current = p;
    return p;
  }, [fail]);

  // After a reconnect the server may have taken us out of the queue (away
  // longer than its grace period): coming back checks in again.
  const reload = useCallback(async () => {
    if (checking.current) await checking.current;
    const { telemed, encounterId } = opts.current;
    try {
      const state = await telemed.waitingState(encounterId);
      if (state.state === "left") return checkIn();
      setError(null);
      dispatch({ type: "state", state });
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return checkIn();
      fail(e);
    }
  }, [checkIn, fail]);

  const { enabled, encounterId, http } = o;
  useEffect(() => {
    if (!enabled) return;
    let live = true;
    void checkIn();
    const sub = (opts.current.subscribe ?? defaultSubscribe)(http, {
      encounter: encounterId,
      onEvent: (event) => live && dispatch({ type: "event", event, me: { profile: opts.current.profile } }),
      onOpen: () => live && void reload(),
      onState: (state) => {
        if (!live) return;
        dispatch({ type: "stream", state });
        if (state === "closed") setError(new ApiError(403, ACCESS_ENDED));
      },
    });
    return () => {
      live = false;
      sub.close();
    };
  }, [enabled, encounterId, http, checkIn, reload, attempt]);

  // Taken out of the queue while the page stayed open: back in.
  useEffect(() => {
    if (enabled && view.phase === "checking-in" && view.arrivedAt && !checking.current) void checkIn();
  }, [enabled, view.phase, view.arrivedAt, checkIn]);

  // Without a waiting room the call is open as soon as we're checked in.
  useEffect(() => {
    if (!enabled || o.waitingRoom || view.phase !== "waiting" || joinTried.current) return;
    joinTried.current = true;
    o.telemed.join(encounterId).then(setJoinAnswer, (e) => {
      // 409: the server does hold us in the waiting room after all; wait for admission.
      if (!(e instanceof ApiError && e.status === 409)) fail(e);
    });
  }, [enabled, o.waitingRoom, o.telemed, view.phase, encounterId, fail]);

  const retry = useCallback(() => {
    setError(null);
    joinTried.current = false;
    setAttempt((n) => n + 1);
  }, []);

  return { view, error, retry, joinAnswer };
}

/**
 * The call's join function: a join answer fetched without a waiting room is
 * used once; every later join (a rejoin, a reconnect) asks the server anew.
 */
export function useCallJoin(telemed: Telemed, encounterId: string, answer: JoinResponse | null): () => Promise<JoinResponse> {
  const used = useRef<JoinResponse | null>(null);
  return useCallback(() => {
    if (answer && used.current !== answer) {
      used.current = answer;
      return Promise.resolve(answer);
    }
    return telemed.join(encounterId);
  }, [answer, telemed, encounterId]);
}
