import { describe, expect, it } from "vitest";
import type { VisitEvent } from "../api/events";
import { initialWaiting, waitingDetail, waitingHeadline, waitingReducer, type WaitingAction, type WaitingView } from "./waiting";

const me = { profile: "Patient/1" };
const ev = (type: string, extra: Partial<VisitEvent> = {}): WaitingAction => ({
  type: "event",
  me,
  event: { id: "1", type, time: "2025-03-01T10:05:00.123456789Z", encounterId: "e1", ...extra },
});
const run = (...actions: WaitingAction[]): WaitingView => actions.reduce(waitingReducer, initialWaiting);
const checkedIn: WaitingAction = {
  type: "state",
  state: { state: "waiting", position: 3, providerPresent: false, arrivedAt: "2025-03-01T10:00:00Z" },
};

describe("waiting room reducer", () => {
  it("starts checking in and shows the queue position from the check-in answer", () => {
    expect(waitingDetail(initialWaiting)).toBe("Letting your provider know you're here…");
    const s = run(checkedIn);
    expect(s.phase).toBe("waiting");
    expect(waitingHeadline(s)).toBe("You are number 3 in line");
    expect(s.arrivedAt).toBe("2025-03-01T10:00:00Z");
  });

  it("moves up the line with position events and then says the provider comes shortly", () => {
    let s = run(checkedIn, ev("waiting.position", { position: 2, participant: { key: "k", profile: "Patient/1", name: "Ana", role: "patient" } }));
    expect(waitingHeadline(s)).toBe("You are number 2 in line");
    s = waitingReducer(s, ev("waiting.position", { position: 1 }));
    expect(waitingHeadline(s)).toBe("Your provider will be with you shortly");
  });

  it("collects the provider's messages once each, oldest first", () => {
    const withMsg: WaitingAction = {
      type: "state",
      state: { state: "waiting", position: 1, providerPresent: true, arrivedAt: "2025-03-01T10:00:00Z", message: { text: "Running 5 minutes late", time: "2025-03-01T10:05:00.123Z" } },
    };
    let s = run(checkedIn, ev("waiting.message", { message: "Running 5 minutes late" }), withMsg);
    expect(s.messages).toEqual([{ text: "Running 5 minutes late", time: "2025-03-01T10:05:00.123456789Z" }]);
    s = waitingReducer(s, ev("waiting.message", { message: "Almost ready", time: "2025-03-01T10:09:00Z" }));
    expect(s.messages.map((m) => m.text)).toEqual(["Running 5 minutes late", "Almost ready"]);
    expect(waitingDetail(s)).toMatch(/knows you're here/);
  });

  it("is admitted only by an admission that names this person", () => {
    const other = ev("waiting.admitted", { participant: { key: "g", profile: "RelatedPerson/9", name: "Interpreter", role: "interpreter" } });
    expect(run(checkedIn, other).phase).toBe("waiting");
    const mine = ev("waiting.admitted", { participant: { key: "p", profile: "Patient/1", name: "Ana", role: "patient" } });
    const s = run(checkedIn, mine);
    expect(s.phase).toBe("admitted");
    // A late reload that still says waiting does not undo the admission.
    expect(waitingReducer(s, checkedIn).phase).toBe("admitted");
  });

  it("says the provider has joined while a host is in the call", () => {
    const host = { key: "h1", profile: "Practitioner/5", name: "Dr Lee", role: "host" };
    let s = run(checkedIn, ev("participant.joined", { participant: host }));
    expect(waitingHeadline(s)).toBe("Your provider has joined");
    s = waitingReducer(s, ev("participant.joined", { participant: { key: "x", name: "Guest", role: "guest" } }));
    expect(s.hostsInCall).toEqual(["h1"]);
    s = waitingReducer(s, ev("participant.left", { participant: host }));
    expect(waitingHeadline(s)).toBe("You are number 3 in line");
  });

  it("ends on visit.ended or a finished status and stays ended", () => {
    expect(run(checkedIn, ev("visit.ended")).phase).toBe("ended");
    const s = run(checkedIn, ev("visit.updated", { status: "cancelled" }));
    expect(s.phase).toBe("ended");
    expect(waitingReducer(s, ev("waiting.admitted", { participant: { key: "p", profile: "Patient/1", name: "Ana", role: "patient" } })).phase).toBe("ended");
    expect(waitingReducer(s, { type: "stream", state: "closed" }).stream).toBe("closed");
  });

  it("goes back to checking in when the server took the person out of the queue", () => {
    const s = run(checkedIn, ev("waiting.left", { participant: { key: "p", profile: "Patient/1", name: "Ana", role: "patient" } }));
    expect(s.phase).toBe("checking-in");
    expect(run(checkedIn, { type: "state", state: { state: "left", position: 0, providerPresent: false, arrivedAt: "2025-03-01T10:00:00Z" } }).phase).toBe("checking-in");
  });

  it("tracks the event stream's state", () => {
    expect(run(checkedIn, { type: "stream", state: "reconnecting" }).stream).toBe("reconnecting");
  });
});
