import type { ReactNode } from "react";
import IconButton from "@mui/material/IconButton";
import Tooltip from "@mui/material/Tooltip";
import EventAvailableIcon from "@mui/icons-material/EventAvailable";
import PersonAddIcon from "@mui/icons-material/PersonAdd";

const round = { width: 52, height: 52, bgcolor: "#374151", color: "#fff", "&:hover": { bgcolor: "#4b5563" } } as const;

function Round(props: { label: string; onClick: () => void; children: ReactNode; danger?: boolean }) {
  return (
    <Tooltip title={props.label}>
      <IconButton aria-label={props.label} onClick={props.onClick} sx={props.danger ? { ...round, color: "#fecaca" } : round}>
        {props.children}
      </IconButton>
    </Tooltip>
  );
}

/** The provider's own buttons in the call's control bar. */
export function CallButtons(props: { onInvite: () => void; onEnd: () => void }) {
  return (
    <>
      <Round label="Invite guest" onClick={props.onInvite}>
        <PersonAddIcon />
      </Round>
      <Round label="End visit" onClick={props.onEnd} danger>
        <EventAvailableIcon />
      </Round>
    </>
  );
}
