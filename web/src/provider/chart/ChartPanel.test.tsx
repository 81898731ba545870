import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { bundle, fakeServer, type Call, type FakeServer } from "../testing/fakeServer";
import type { ChartContext } from "./builders";
import { fromBase64 } from "./builders";
import { ChartPanel } from "./ChartPanel";
import { useChart } from "./useChart";

const ctx: ChartContext = { encounter: "e1", patient: { reference: "Patient/p1", display: "Jane Doe" }, me: { reference: "Practitioner/dr1", display: "Dr Ada Lee" } };

function Harness() {
  const chart = useChart("e1");
  return <ChartPanel ctx={ctx} chart={chart} />;
}

let server: FakeServer;
let version = 0;

beforeEach(() => {
  server = fakeServer((c: Call) => {
    const m = /^\/fhir\/r4\/(\w+)(?:\/([\w-]+))?$/.exec(c.path);
    if (!m) return undefined;
    if (c.method === "GET") return bundle([]);
    version++;
    const meta = { versionId: String(version), lastUpdated: new Date().toISOString() };
    if (c.method === "POST") return { ...c.body, id: `${m[1].toLowerCase()}-${version}`, meta };
    if (c.method === "PUT") return { ...c.body, meta };
    return undefined;
  });
});

afterEach(() => server.restore());

const posted = (type: string) => server.calls.filter((c) => c.method === "POST" && c.path === `/fhir/r4/${type}`);

describe("ChartPanel", { timeout: 120_000 }, () => {
  it("saves, lists and withdraws a diagnosis", async () => {
    const user = userEvent.setup();
    render(<Harness />);
    expect(screen.getByRole("tab", { name: "Diagnoses", selected: true })).toBeTruthy();
    await waitFor(() => expect(server.calls.some((c) => c.path === "/fhir/r4/Condition" && c.query.get("encounter") === "Encounter/e1")).toBe(true));
    await user.type(screen.getByRole("textbox", { name: "Diagnosis" }), "Strep throat");
    await user.type(screen.getByRole("textbox", { name: "Code" }), "j02.0");
    expect(screen.getByText("ICD-10-CM J02.0")).toBeTruthy();
    await user.click(screen.getByRole("button", { name: "Add diagnosis" }));
    await screen.findByText("Saved: Strep throat");
    const body = posted("Condition")[0].body;
    expect(body.code).toEqual({ coding: [{ system: "http://hl7.org/fhir/sid/icd-10-cm", code: "J02.0" }], text: "Strep throat" });
    expect(body.encounter).toEqual({ reference: "Encounter/e1" });
    expect(body.recorder.reference).toBe("Practitioner/dr1");
    expect((screen.getByRole("textbox", { name: "Diagnosis" }) as HTMLInputElement).value).toBe("");

    const saved = screen.getByRole("region", { name: "Diagnoses of this visit" });
    expect(within(saved).getByText("Strep throat")).toBeTruthy();
    await user.click(within(saved).getByRole("button", { name: "Remove Strep throat" }));
    await user.click(within(saved).getByRole("button", { name: "Yes, remove" }));
    await waitFor(() => expect(within(saved).queryByText("Strep throat")).toBeNull());
    const put = server.calls.find((c) => c.method === "PUT")!;
    expect(put.path).toBe("/fhir/r4/Condition/condition-1");
    expect(put.headers["If-Match"]).toBe('W/"1"');
    expect(put.body.verificationStatus.coding[0].code).toBe("entered-in-error");
    expect(put.body.clinicalStatus).toBeUndefined();
  });

  it("shows what is wrong with a code and saves nothing", async () => {
    const user = userEvent.setup();
    render(<Harness />);
    await user.type(screen.getByRole("textbox", { name: "Diagnosis" }), "Flu");
    await user.type(screen.getByRole("textbox", { name: "Code" }), "flu");
    await user.click(screen.getByRole("button", { name: "Add diagnosis" }));
    expect(screen.getAllByText(/Enter an ICD-10-CM code/).length).toBeGreaterThan(0);
    expect(posted("Condition")).toHaveLength(0);
  });

  it("writes a prescription, edits it, and saves the visit note", async () => {
    const user = userEvent.setup();
    render(<Harness />);
    await user.click(screen.getByRole("tab", { name: "Prescriptions" }));
    const fill = async (label: string, v: string) => {
      await user.click(screen.getByRole("textbox", { name: label }));
      await user.paste(v);
    };
    await fill("Medication", "Amoxicillin 500 mg capsule");
    await fill("Dose", "500 mg");
    await fill("Route", "by mouth");
    await fill("Frequency", "three times a day");
    await fill("Duration (days)", "10");
    await fill("Quantity", "30");
    await fill("Refills", "0");
    await user.click(screen.getByRole("button", { name: "Add prescription" }));
    await screen.findByText("Saved: Amoxicillin 500 mg capsule");
    const mr = posted("MedicationRequest")[0].body;
    expect(mr).toMatchObject({ status: "active", intent: "order", medicationCodeableConcept: { text: "Amoxicillin 500 mg capsule" }, requester: { reference: "Practitioner/dr1" } });
    expect(mr.dosageInstruction[0].timing.repeat).toMatchObject({ frequency: 3, period: 1, periodUnit: "d" });
    expect(mr.dispenseRequest).toMatchObject({ quantity: { value: 30 }, numberOfRepeatsAllowed: 0 });
    expect(screen.getByText(/500 mg by mouth three times a day for 10 days · quantity 30 · no refills/)).toBeTruthy();

    await user.click(screen.getByRole("button", { name: "Edit Amoxicillin 500 mg capsule" }));
    const refills = screen.getByRole("textbox", { name: "Refills" }) as HTMLInputElement;
    expect(refills.value).toBe("0");
    await user.clear(refills);
    await user.paste("1");
    await user.click(screen.getByRole("button", { name: "Save changes" }));
    await screen.findByText("Updated: Amoxicillin 500 mg capsule");
    const put = server.calls.find((c) => c.method === "PUT" && c.path.startsWith("/fhir/r4/MedicationRequest/"))!;
    expect(put.body.dispenseRequest.numberOfRepeatsAllowed).toBe(1);
    expect(put.body.id).toBe(mr.id ?? put.path.split("/").pop());

    await user.click(screen.getByRole("tab", { name: "Note" }));
    await fill("Visit note", "Sore throat, exudate.");
    await fill("Instructions for the patient", "Take all of the antibiotic.");
    await user.click(screen.getByRole("button", { name: "Save note" }));
    await screen.findByText(/The visit note is saved/);
    const doc = posted("DocumentReference")[0].body;
    expect(doc.docStatus).toBe("final");
    expect(doc.context.encounter).toEqual([{ reference: "Encounter/e1" }]);
    expect(fromBase64(doc.content[0].attachment.data)).toBe("Sore throat, exudate.");
    expect(doc.content[1].attachment.title).toBe("Instructions for the patient");
    expect(screen.getByText(/Final note saved/)).toBeTruthy();
  });
});
