import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { act, render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { bundle, fakeServer, type FakeServer } from "../testing/fakeServer";
import { applyWaiting } from "./useVisitLive";
import { VisitPage } from "./VisitPage";

// The call itself is another module's work (and needs WebRTC): a stand-in
// that shows what the visit page hands it.
const callProps = vi.hoisted(() => ({ current: null as any }));
vi.mock("../../call", () => ({
  CallView: (props: any) => {
    callProps.current = props;
    return (
      <div data-testid="call">
        <p>Call as {props.role}: {props.displayName}</p>
        {props.extraControls}
        <button onClick={() => props.onLeft("left")}>Leave call</button>
        {props.sidePanel}
      </div>
    );
  },
}));

const me = { reference: "Practitioner/dr1", display: "Dr Ada Lee" };
let server: FakeServer;
let status = "arrived";

beforeEach(() => {
  status = "arrived";
  window.history.replaceState(null, "", "/board/visit/e1");
  server = fakeServer((c) => {
    if (c.path === "/fhir/r4/Encounter/e1") return { resourceType: "Encounter", id: "e1", status, subject: { reference: "Patient/p1" }, period: { start: new Date().toISOString() } };
    if (c.path === "/fhir/r4/Patient/p1") return { resourceType: "Patient", id: "p1", name: [{ text: "Jane Doe" }] };
    if (c.method === "GET" && /^\/fhir\/r4\/\w+$/.test(c.path)) return bundle([]);
    if (c.path === "/v1/telemed/v2/meeting/e1/waiting-room") return { waitingRoom: true, entries: [] };
    if (c.path === "/v1/telemed/v2/meeting/e1/join") return { Meeting: {}, Attendee: {} };
    if (c.path === "/v1/telemed/v2/meeting/e1/admit") return { key: c.body.participant, state: "admitted" };
    if (c.path === "/v1/telemed/v2/meeting/e1/end") return { encounter: { resourceType: "Encounter", id: "e1", status: "finished" } };
    if (c.path === "/v1/telemed/v2/meeting/e1/invite") {
      return { id: "g1", name: c.body.name, role: c.body.role, url: "https://clinic.example/visit/guest#invite=g", token: "g", expiresAt: new Date(Date.now() + 3600e3).toISOString() };
    }
    return undefined;
  });
});

afterEach(() => server.restore());

describe("VisitPage", { timeout: 120_000 }, () => {
  it("joins as host with the chart beside the call, admits a guest, invites one, and ends the visit", async () => {
    const user = userEvent.setup();
    render(<VisitPage id="e1" me={me} />);
    expect(await screen.findByText("Call as host: Dr Ada Lee")).toBeTruthy();
    expect(screen.getByRole("tab", { name: "Diagnoses" })).toBeTruthy();
    expect(await screen.findByRole("heading", { name: "Jane Doe" })).toBeTruthy();
    await callProps.current.join();
    expect(server.calls.some((c) => c.path === "/v1/telemed/v2/meeting/e1/join")).toBe(true);
    // The visit's own event stream.
    await waitFor(() => expect(server.calls.some((c) => c.path === "/v1/telemed/events" && c.query.get("encounter") === "e1")).toBe(true));

    act(() => server.emit("waiting.joined", { encounterId: "e1", participant: { key: "g7", name: "Maria Lopez", role: "interpreter" } }));
    expect(await screen.findByText("Maria Lopez is waiting")).toBeTruthy();
    await user.click(screen.getByRole("button", { name: "Admit" }));
    await waitFor(() => expect(screen.queryByText("Maria Lopez is waiting")).toBeNull());
    expect(server.calls.find((c) => c.path.endsWith("/admit"))!.body).toEqual({ participant: "g7" });

    await user.click(screen.getByRole("button", { name: "Invite guest" }));
    await user.type(screen.getByRole("textbox", { name: "Guest's name" }), "Tom");
    await user.selectOptions(screen.getByRole("combobox", { name: "Role" }), "Family member");
    await user.click(screen.getByRole("button", { name: "Create link" }));
    expect(((await screen.findByRole("textbox", { name: "Guest link" })) as HTMLInputElement).value).toBe("https://clinic.example/visit/guest#invite=g");
    expect(server.calls.find((c) => c.path.endsWith("/invite"))!.body).toEqual({ name: "Tom", role: "family" });
    await user.click(screen.getByRole("button", { name: "Done" }));

    await user.click(await screen.findByRole("button", { name: "End visit" }));
    await user.click(screen.getByRole("button", { name: "End visit for everyone" }));
    await waitFor(() => expect(window.location.pathname).toBe("/board"));
    expect(server.calls.some((c) => c.method === "POST" && c.path === "/v1/telemed/v2/meeting/e1/end")).toBe(true);
  });

  it("after leaving the call shows the chart with Rejoin; a finished visit shows the chart only", async () => {
    const user = userEvent.setup();
    const { unmount } = render(<VisitPage id="e1" me={me} />);
    await user.click(await screen.findByRole("button", { name: "Leave call" }));
    expect(await screen.findByText(/You left the call/)).toBeTruthy();
    expect(screen.getByRole("tab", { name: "Note" })).toBeTruthy();
    await user.click(screen.getByRole("button", { name: "Rejoin call" }));
    expect(await screen.findByTestId("call")).toBeTruthy();
    unmount();

    status = "finished";
    render(<VisitPage id="e1" me={me} />);
    expect(await screen.findByText(/The visit has ended/)).toBeTruthy();
    expect(screen.queryByTestId("call")).toBeNull();
    expect(screen.queryByRole("button", { name: "End visit" })).toBeNull();
  });

  it("explains a visit that does not exist", async () => {
    render(<VisitPage id="nope" me={me} />);
    expect(await screen.findByText(/This visit was not found/)).toBeTruthy();
  });
});

describe("applyWaiting", () => {
  it("adds arrivals once, drops the admitted and those who left, clears on end", () => {
    const p = (key: string) => ({ key, name: key, role: "family" });
    let l = applyWaiting([], { id: "1", type: "waiting.joined", time: "2025-01-01T10:00:00Z", encounterId: "e1", participant: p("a") });
    l = applyWaiting(l, { id: "2", type: "waiting.joined", time: "2025-01-01T10:01:00Z", encounterId: "e1", participant: p("b") });
    l = applyWaiting(l, { id: "3", type: "waiting.joined", time: "2025-01-01T10:05:00Z", encounterId: "e1", participant: p("a") });
    expect(l.map((e) => [e.key, e.arrivedAt])).toEqual([["a", "2025-01-01T10:00:00Z"], ["b", "2025-01-01T10:01:00Z"]]);
    expect(applyWaiting(l, { id: "4", type: "waiting.admitted", time: "", encounterId: "e1", participant: p("a") }).map((e) => e.key)).toEqual(["b"]);
    expect(applyWaiting(l, { id: "5", type: "waiting.left", time: "", encounterId: "e1", participant: p("b") }).map((e) => e.key)).toEqual(["a"]);
    expect(applyWaiting(l, { id: "6", type: "visit.ended", time: "", encounterId: "e1" })).toEqual([]);
  });
});
