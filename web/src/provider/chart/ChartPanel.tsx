import { useState } from "react";
import Box from "@mui/material/Box";
import Tab from "@mui/material/Tab";
import Tabs from "@mui/material/Tabs";
import type { ChartContext } from "./builders";
import { DiagnosesTab } from "./DiagnosesTab";
import { NoteTab } from "./NoteTab";
import { OrdersTab } from "./OrdersTab";
import { PrescriptionsTab } from "./PrescriptionsTab";
import type { Chart } from "./useChart";

const TABS = ["Diagnoses", "Prescriptions", "Orders", "Note"] as const;

/**
 * The charting side panel: one tab per kind of entry, each saved as FHIR
 * the moment it is added. Panels stay mounted (hidden) so half-typed
 * entries survive switching tabs.
 */
export function ChartPanel(props: { ctx: ChartContext; chart: Chart }) {
  const [tab, setTab] = useState(0);
  const { ctx, chart } = props;
  return (
    <Box component="section" aria-label="Chart" sx={{ bgcolor: "background.paper" }}>
      <Tabs
        value={tab}
        onChange={(_, v: number) => setTab(v)}
        variant="scrollable"
        scrollButtons="auto"
        allowScrollButtonsMobile
        aria-label="Chart sections"
        sx={{ borderBottom: 1, borderColor: "divider", position: "sticky", top: 0, zIndex: 1, bgcolor: "background.paper" }}
      >
        {TABS.map((t, i) => (
          <Tab key={t} label={t} id={`chart-tab-${i}`} aria-controls={`chart-panel-${i}`} />
        ))}
      </Tabs>
      <Box sx={{ p: 2 }}>
        {TABS.map((t, i) => (
          <div key={t} role="tabpanel" id={`chart-panel-${i}`} aria-labelledby={`chart-tab-${i}`} hidden={tab !== i}>
            {i === 0 ? <DiagnosesTab ctx={ctx} list={chart.conditions} /> : null}
            {i === 1 ? <PrescriptionsTab ctx={ctx} list={chart.medications} /> : null}
            {i === 2 ? <OrdersTab ctx={ctx} list={chart.orders} /> : null}
            {i === 3 ? <NoteTab ctx={ctx} chart={chart} /> : null}
          </div>
        ))}
      </Box>
    </Box>
  );
}
