import { beforeEach, describe, expect, it, vi } from "vitest";
import { act, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { SubscribeOptions } from "../api/events";
import { Http } from "../api/http";
import type { Fhir } from "../api/fhir";
import type { Telemed } from "../api/telemed";
import { PatientFlow } from "./Flow";
import { CONSENT_POLICY } from "./intake";
import type { Visit } from "./visit";

// The call UI is another module's (src/call); here it only has to hand over.
vi.mock("../call", () => ({
  DeviceCheck: (p: { onReady: (d: object) => void }) => <button onClick={() => p.onReady({ videoDeviceId: "cam2" })}>Continue</button>,
  CallView: (p: { role: string; displayName: string; devices?: { videoDeviceId?: string }; onLeft: (r: string) => void; join: () => Promise<unknown> }) => (
    <div>
      <p>
        In the call as {p.displayName} ({p.role}) with {p.devices?.videoDeviceId}
      </p>
      <button onClick={() => void p.join()}>Join now</button>
      <button onClick={() => p.onLeft("left")}>Leave call</button>
      <button onClick={() => p.onLeft("ended")}>Provider ends</button>
    </div>
  ),
}));

let stream: SubscribeOptions | null = null;
vi.mock("../api/events", () => ({
  subscribe: (_h: unknown, o: SubscribeOptions) => {
    stream = o;
    return { close: () => undefined };
  },
}));

const b64 = (s: string) => btoa(s);
const visit: Visit = {
  encounterId: "e1",
  profile: "Patient/p1",
  patientId: "p1",
  name: "Ana López",
  role: "patient",
  status: "planned",
  waitingRoom: true,
  practitioners: ["Dr Lee"],
};

function fakes(done: { answered: boolean; consented: boolean }) {
  const bundle = (...resources: object[]) => ({ resourceType: "Bundle", entry: resources.map((resource) => ({ resource })) });
  const records: Record<string, object[]> = {
    Condition: [{ resourceType: "Condition", id: "c1", code: { text: "Viral sore throat" } }],
    MedicationRequest: [
      {
        resourceType: "MedicationRequest",
        id: "m1",
        status: "active",
        medicationCodeableConcept: { text: "Ibuprofen 400 mg tablet" },
        dosageInstruction: [{ timing: { repeat: { frequency: 3, period: 1, periodUnit: "d" } }, doseAndRate: [{ doseQuantity: { value: 1, unit: "tablet" } }] }],
        dispenseRequest: { quantity: { value: 15, unit: "tablet" }, numberOfRepeatsAllowed: 0 },
      },
    ],
    ServiceRequest: [],
    DocumentReference: [
      {
        resourceType: "DocumentReference",
        id: "d1",
        status: "current",
        docStatus: "final",
        content: [{ attachment: { title: "Instructions for the patient", data: b64("Rest and drink fluids.") } }],
      },
    ],
  };
  const fhir = {
    search: vi.fn(async (type: string) => {
      if (type === "Questionnaire") return bundle({ resourceType: "Questionnaire", url: "u", status: "active", item: [{ linkId: "a", text: "Any allergies?", type: "string" }] });
      if (type === "QuestionnaireResponse") return done.answered ? bundle({ resourceType: "QuestionnaireResponse", status: "completed" }) : bundle();
      if (type === "Consent")
        return done.consented
          ? bundle({ resourceType: "Consent", status: "active", policy: [{ uri: CONSENT_POLICY }], provision: { data: [{ reference: { reference: "Encounter/e1" } }] } })
          : bundle();
      return bundle();
    }),
    searchAll: vi.fn(async (type: string) => ({ matches: records[type] ?? [], included: [] })),
    read: vi.fn(async () => ({ resourceType: "Encounter", id: "e1" })),
    patch: vi.fn(async () => ({})),
    create: vi.fn(async (r: object) => ({ ...r, id: "new" })),
  };
  const telemed = {
    checkIn: vi.fn(async () => ({ state: "waiting", position: 1, providerPresent: false, arrivedAt: new Date().toISOString() })),
    waitingState: vi.fn(async () => ({ state: "waiting", position: 1, providerPresent: false, arrivedAt: new Date().toISOString() })),
    join: vi.fn(async () => ({})),
  };
  return { fhir, telemed };
}

function renderFlow(f: ReturnType<typeof fakes>, v: Visit = visit) {
  return render(<PatientFlow visit={v} http={new Http(async () => "t")} fhir={f.fhir as unknown as Fhir} telemed={f.telemed as unknown as Telemed} />);
}

describe("patient visit flow", () => {
  beforeEach(() => {
    stream = null;
  });

  it("goes from the device check through intake and consent to the waiting room, the call and the summary", async () => {
    const user = userEvent.setup({ delay: null });
    const f = fakes({ answered: false, consented: false });
    renderFlow(f);
    expect(screen.getByRole("heading", { name: "Before your visit" })).toBeTruthy();
    expect(screen.getByText("Hello, Ana.")).toBeTruthy();
    await user.click(screen.getByRole("button", { name: "Continue" }));

    await screen.findByRole("heading", { name: "About your visit" });
    await user.click(screen.getByRole("textbox", { name: "Reason for your visit" }));
    await user.paste("Sore throat");
    await user.click(screen.getByRole("button", { name: "Continue" }));

    await screen.findByRole("heading", { name: "Consent to a video visit" });
    await user.click(screen.getByRole("checkbox", { name: "I agree to have this visit by video" }));
    await user.click(screen.getByRole("button", { name: "Agree and continue" }));
    expect(f.fhir.create).toHaveBeenCalledWith(expect.objectContaining({ resourceType: "Consent" }));

    await screen.findByRole("heading", { name: "Waiting room" });
    await screen.findByText("Your provider will be with you shortly");
    expect(f.telemed.checkIn).toHaveBeenCalledWith("e1", undefined);
    expect(stream?.encounter).toBe("e1");

    act(() => stream!.onEvent({ id: "5", type: "waiting.message", time: new Date().toISOString(), encounterId: "e1", message: "I'll be 5 minutes" }));
    expect(screen.getByText("I'll be 5 minutes")).toBeTruthy();

    act(() =>
      stream!.onEvent({ id: "6", type: "waiting.admitted", time: "", encounterId: "e1", participant: { key: "k", profile: "Patient/p1", name: "Ana", role: "patient" } }),
    );
    expect(await screen.findByText("In the call as Ana López (participant) with cam2")).toBeTruthy();
    await user.click(screen.getByRole("button", { name: "Join now" }));
    expect(f.telemed.join).toHaveBeenCalledWith("e1");

    await user.click(screen.getByRole("button", { name: "Leave call" }));
    expect(screen.getByRole("heading", { name: "You left the call" })).toBeTruthy();
    await user.click(screen.getByRole("button", { name: "Rejoin the call" }));
    await user.click(screen.getByRole("button", { name: "Provider ends" }));

    await screen.findByRole("heading", { name: "Visit summary" });
    for (const s of ["Diagnoses", "Prescriptions", "Orders", "Instructions"]) expect(screen.getByRole("heading", { name: s })).toBeTruthy();
    expect(await screen.findByText("Viral sore throat")).toBeTruthy();
    expect(screen.getByText("Take 1 tablet, three times a day.")).toBeTruthy();
    expect(screen.getByText("Quantity: 15 tablets · No refills")).toBeTruthy();
    expect(screen.getByText("Rest and drink fluids.")).toBeTruthy();
    expect(screen.getByText(/You can close this page/)).toBeTruthy();
  }, 30_000);

  it("skips intake and consent already done for this visit", async () => {
    const user = userEvent.setup({ delay: null });
    const f = fakes({ answered: true, consented: true });
    renderFlow(f);
    await user.click(screen.getByRole("button", { name: "Continue" }));
    await screen.findByRole("heading", { name: "Waiting room" });
    expect(f.fhir.create).not.toHaveBeenCalled();
    act(() => stream!.onEvent({ id: "9", type: "visit.ended", time: "", encounterId: "e1" }));
    await screen.findByRole("heading", { name: "Visit summary" });
  });

  it("opens the summary directly for a visit that ended", async () => {
    renderFlow(fakes({ answered: true, consented: true }), { ...visit, status: "finished" });
    expect(screen.getByRole("heading", { name: "Visit summary" })).toBeTruthy();
    await screen.findByText("Viral sore throat");
  });
});
