// The strip above the video: who is here, one's own connection quality,
// "you are sharing your screen", and the speaker/gallery switch.
import Box from "@mui/material/Box";
import ToggleButton from "@mui/material/ToggleButton";
import ToggleButtonGroup from "@mui/material/ToggleButtonGroup";
import Typography from "@mui/material/Typography";
import GridView from "@mui/icons-material/GridView";
import PresentToAll from "@mui/icons-material/PresentToAll";
import ViewSidebar from "@mui/icons-material/ViewSidebar";
import { QualityIndicator } from "./Quality";
import type { CallState, Layout } from "./state";

const toggle = { color: "#d1d5db", borderColor: "#4b5563", "&.Mui-selected": { color: "#fff", bgcolor: "#0f766e" }, "&.Mui-selected:hover": { bgcolor: "#115e59" } } as const;

export function TopBar(props: { state: CallState; layout: Layout; connected: boolean; onLayout: (l: Layout) => void }) {
  const { state, connected } = props;
  const count = state.people.length + 1;
  return (
    <Box sx={{ display: "flex", alignItems: "center", flexWrap: "wrap", gap: 1.5, px: 1.5, py: 1, color: "#e5e7eb", minHeight: 56 }}>
      {connected ? <QualityIndicator score={state.me.quality} reconnecting={state.phase === "reconnecting"} size="medium" /> : null}
      <Typography component="h1" sx={{ fontSize: "1rem", fontWeight: 600, mr: "auto" }}>
        Video visit
        {connected ? (
          <Box component="span" sx={{ fontWeight: 400, color: "#9ca3af" }}>
            {" "}
            · {count === 1 ? "only you" : `${count} people`}
          </Box>
        ) : null}
      </Typography>
      {state.me.screen ? (
        <Box sx={{ display: "inline-flex", alignItems: "center", gap: 0.5, bgcolor: "#0f766e", color: "#fff", borderRadius: 1, px: 1, py: 0.25 }}>
          <PresentToAll fontSize="small" aria-hidden />
          <Typography component="span" sx={{ fontSize: "0.875rem" }}>
            You are sharing your screen
          </Typography>
        </Box>
      ) : null}
      <ToggleButtonGroup
        size="small"
        exclusive
        value={props.layout}
        aria-label="Layout"
        onChange={(_, v: Layout | null) => {
          if (v) props.onLayout(v);
        }}
      >
        <ToggleButton value="speaker" aria-label="Speaker view" sx={toggle}>
          <ViewSidebar fontSize="small" aria-hidden />
        </ToggleButton>
        <ToggleButton value="gallery" aria-label="Gallery view" sx={toggle}>
          <GridView fontSize="small" aria-hidden />
        </ToggleButton>
      </ToggleButtonGroup>
    </Box>
  );
}
