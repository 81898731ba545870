// The network-quality indicator: signal bars with the level in words for
// screen readers (and as a tooltip).
import Box from "@mui/material/Box";
import Tooltip from "@mui/material/Tooltip";
import SignalCellularAlt from "@mui/icons-material/SignalCellularAlt";
import SignalCellularAlt1Bar from "@mui/icons-material/SignalCellularAlt1Bar";
import SignalCellularAlt2Bar from "@mui/icons-material/SignalCellularAlt2Bar";
import { qualityLevel } from "./state";

const colors = { good: "#4ade80", fair: "#fbbf24", poor: "#f87171" } as const;

/** whose: omitted for one's own connection ("Connection quality: good"), else the person's name. */
export function QualityIndicator(props: { score: number; reconnecting?: boolean; whose?: string; size?: "small" | "medium" }) {
  const level = qualityLevel(props.score, props.reconnecting);
  const label = props.whose ? `Connection quality of ${props.whose}: ${level}` : `Connection quality: ${level}`;
  const Icon = level === "good" ? SignalCellularAlt : level === "fair" ? SignalCellularAlt2Bar : SignalCellularAlt1Bar;
  return (
    <Tooltip title={label}>
      <Box role="img" aria-label={label} tabIndex={props.whose ? undefined : 0} sx={{ display: "inline-flex", alignItems: "center", color: colors[level] }}>
        <Icon fontSize={props.size ?? "small"} aria-hidden />
      </Box>
    </Tooltip>
  );
}
