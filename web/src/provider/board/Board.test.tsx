import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { act, render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { bundle, fakeServer, type FakeServer } from "../testing/fakeServer";
import { Board } from "./Board";

const VR = { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "VR" };
const mine = [{ individual: { reference: "Practitioner/dr1" } }];
const jane = { resourceType: "Patient", id: "p1", name: [{ given: ["Jane"], family: "Doe" }], telecom: [{ system: "email", value: "jane@example.org" }] };
const omar = { resourceType: "Patient", id: "p2", name: [{ text: "Omar Haddad" }] };

function today(h: number, m = 0) {
  const d = new Date();
  d.setHours(h, m, 0, 0);
  return d.toISOString();
}

class FakeAudio {
  static oscillators = 0;
  state = "running";
  currentTime = 0;
  destination = {};
  resume() {
    return Promise.resolve();
  }
  createOscillator() {
    FakeAudio.oscillators++;
    return { type: "", frequency: { value: 0 }, connect() {}, start() {}, stop() {} };
  }
  createGain() {
    return { gain: { setValueAtTime() {}, exponentialRampToValueAtTime() {} }, connect() {} };
  }
}

let server: FakeServer;

beforeEach(() => {
  window.history.replaceState(null, "", "/board");
  vi.stubGlobal("AudioContext", FakeAudio);
  server = fakeServer((c) => {
    if (c.method === "GET" && c.path === "/fhir/r4/Encounter" && c.query.get("status") === "finished") return bundle([]);
    if (c.method === "GET" && c.path === "/fhir/r4/Encounter") {
      return bundle(
        [
          { resourceType: "Encounter", id: "e1", status: "planned", class: VR, subject: { reference: "Patient/p1" }, period: { start: today(9) }, participant: mine },
          { resourceType: "Encounter", id: "e2", status: "in-progress", class: VR, subject: { reference: "Patient/p2" }, period: { start: today(8, 30) }, participant: mine },
        ],
        [jane, omar],
      );
    }
    if (c.path === "/v1/telemed/waiting-room") return { entries: [] };
    if (c.method === "GET" && c.path === "/fhir/r4/Patient") return bundle([jane]);
    if (c.method === "POST" && c.path === "/v1/telemed/v2/meeting/e1/admit") return { key: c.body.participant, state: "admitted" };
    if (c.method === "POST" && c.path === "/v1/telemed/v2/meeting/e1/wait-message") return { sent: 1 };
    if (c.method === "POST" && c.path === "/v1/telemed/v2/meeting") return { encounter: { ...c.body.encounter, id: "new1" } };
    if (c.method === "POST" && c.path === "/v1/telemed/v2/meeting/new1/invite") {
      return { id: "i1", name: "Jane Doe", role: "patient", url: "https://clinic.example/visit#invite=tok123", token: "tok123", expiresAt: today(23), emailed: !!c.body.email };
    }
    return undefined;
  });
});

afterEach(() => {
  server.restore();
});

const board = () => render(<Board viewer={{ fhirUser: "Practitioner/dr1", seesAll: false }} me={{ reference: "Practitioner/dr1", display: "Dr Ada Lee" }} />);

describe("Board", { timeout: 120_000 }, () => {
  it("groups today's visits, announces an arrival live, and admits", async () => {
    const user = userEvent.setup();
    board();
    expect(screen.getByRole("heading", { name: "Today's visits" })).toBeTruthy();
    const scheduled = await screen.findByRole("region", { name: "Scheduled" });
    expect(within(scheduled).getByRole("article", { name: "Jane Doe" })).toBeTruthy();
    expect(within(screen.getByRole("region", { name: "In call" })).getByRole("article", { name: "Omar Haddad" })).toBeTruthy();
    expect(within(screen.getByRole("region", { name: "Waiting" })).getByText("Nobody is waiting.")).toBeTruthy();

    const search = server.calls.find((c) => c.path === "/fhir/r4/Encounter")!;
    expect(search.query.get("participant")).toBe("Practitioner/dr1");
    expect(search.query.get("_include")).toBe("Encounter:subject");
    expect(search.headers.Authorization).toBe("Bearer tok");
    // The stream opened: the board reloaded to close any gap.
    await waitFor(() => expect(server.calls.filter((c) => c.path === "/v1/telemed/waiting-room").length).toBeGreaterThanOrEqual(2));

    const chimesBefore = FakeAudio.oscillators;
    act(() => server.emit("waiting.joined", { encounterId: "e1", participant: { key: "k1", name: "Jane Doe", role: "patient", profile: "Patient/p1" } }));
    const notice = await screen.findByText("Jane Doe is waiting");
    expect(notice.closest("[role=status]")).toBeTruthy();
    expect(FakeAudio.oscillators).toBeGreaterThan(chimesBefore);
    // The title follows the waiting count in an effect, after the render
    // that shows the notice.
    await waitFor(() => expect(document.title).toBe("(1) waiting · Today's visits · Housecall"));
    const waiting = screen.getByRole("region", { name: "Waiting" });
    const card = within(waiting).getByRole("article", { name: "Jane Doe" });
    expect(within(card).getByText(/^Waiting just now/)).toBeTruthy();
    expect(within(screen.getByRole("region", { name: "Scheduled" })).queryByRole("article")).toBeNull();

    await user.click(within(card).getByRole("button", { name: "Ask to wait" }));
    await user.type(screen.getByRole("textbox", { name: "Message to the patient" }), "Two minutes, please");
    await user.click(screen.getByRole("button", { name: "Send message" }));
    await waitFor(() => expect(server.calls.some((c) => c.path.endsWith("/wait-message"))).toBe(true));
    expect(server.calls.find((c) => c.path.endsWith("/wait-message"))!.body).toEqual({ message: "Two minutes, please" });

    expect(await screen.findByText("Message sent to Jane Doe: “Two minutes, please”")).toBeTruthy();
    await user.click(await within(card).findByRole("button", { name: "Admit" }));
    await waitFor(() => expect(window.location.pathname).toBe("/board/visit/e1"));
    expect(server.calls.find((c) => c.path.endsWith("/admit"))!.body).toEqual({ participant: "k1" });
  });

  it("creates an ad-hoc visit and hands out its link", async () => {
    const user = userEvent.setup();
    const writeText = vi.fn(async () => undefined);
    Object.defineProperty(navigator, "clipboard", { value: { writeText }, configurable: true });
    board();
    await screen.findByRole("region", { name: "Scheduled" });
    await user.click(screen.getByRole("button", { name: "New visit" }));
    await user.type(screen.getByRole("combobox", { name: "Patient" }), "Jane Do");
    await user.click(await screen.findByRole("option", { name: /Jane Doe/ }));
    const patientSearch = server.calls.filter((c) => c.path === "/fhir/r4/Patient").pop()!;
    expect(patientSearch.query.getAll("name")).toEqual(["Jane", "Do"]);
    await user.click(screen.getByRole("button", { name: "Create visit" }));

    const link = (await screen.findByRole("textbox", { name: "Visit link" })) as HTMLInputElement;
    expect(link.value).toBe("https://clinic.example/visit#invite=tok123");
    const created = server.calls.find((c) => c.method === "POST" && c.path === "/v1/telemed/v2/meeting")!;
    expect(created.body.waitingRoom).toBe(true);
    expect(created.body.encounter).toMatchObject({
      resourceType: "Encounter",
      status: "planned",
      class: { code: "VR" },
      subject: { reference: "Patient/p1" },
      participant: [{ individual: { reference: "Practitioner/dr1" } }],
    });
    expect(server.calls.find((c) => c.path === "/v1/telemed/v2/meeting/new1/invite")!.body).toEqual({ role: "patient" });

    await user.click(screen.getByRole("button", { name: "Copy link" }));
    expect(writeText).toHaveBeenCalledWith("https://clinic.example/visit#invite=tok123");
    expect(await screen.findByText(/Link copied/)).toBeTruthy();

    const email = screen.getByRole("textbox", { name: "Patient's e-mail" }) as HTMLInputElement;
    expect(email.value).toBe("jane@example.org");
    await user.click(screen.getByRole("button", { name: "Send by e-mail" }));
    expect(await screen.findByText("The link is on its way to jane@example.org.")).toBeTruthy();
    const invites = server.calls.filter((c) => c.path === "/v1/telemed/v2/meeting/new1/invite");
    expect(invites[1].body).toEqual({ role: "patient", email: "jane@example.org" });
  });

  it("explains a board that cannot load", async () => {
    server.restore();
    server = fakeServer(() => new Response("", { status: 503 }));
    board();
    const title = await screen.findByText("Today's visits could not be loaded");
    const alert = title.closest("[role=alert]") as HTMLElement;
    expect(within(alert).getByText(/Something went wrong on the server/)).toBeTruthy();
    expect(within(alert).getByRole("button", { name: "Try again" })).toBeTruthy();
    // The "To finish" list reports its own failure separately.
    expect(screen.getByText("The list could not be loaded")).toBeTruthy();
  });
});
