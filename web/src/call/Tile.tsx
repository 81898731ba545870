// One person's picture: their camera or shared screen (or their initials
// when the camera is off), their name, a muted microphone, their
// connection, and "waiting to reconnect" when their link drops.
import { useEffect, useRef } from "react";
import { attach } from "@housecall/sdk";
import Avatar from "@mui/material/Avatar";
import Box from "@mui/material/Box";
import IconButton from "@mui/material/IconButton";
import Typography from "@mui/material/Typography";
import MicOff from "@mui/icons-material/MicOff";
import type { CallController } from "./controller";
import { QualityIndicator } from "./Quality";
import { displayNameOf, initials, type PersonView } from "./state";

export type TileVariant = "main" | "strip" | "grid";

function useAttached(ctrl: CallController, person: PersonView, screen: boolean) {
  const ref = useRef<HTMLVideoElement>(null);
  const key = screen ? person.screen : person.camera;
  useEffect(() => {
    const el = ref.current;
    if (!el || !key) return;
    const kind = screen ? "screen" : "camera";
    const track = person.isLocal ? ctrl.localTrack(kind) : ctrl.remoteTrack(person.id, kind);
    if (!track) return;
    return attach(track, el);
  }, [ctrl, person.id, person.isLocal, key, screen]);
  return { ref, key };
}

export function Tile(props: { ctrl: CallController; person: PersonView; screen?: boolean; variant: TileVariant; canModerate?: boolean }) {
  const { ctrl, person, variant } = props;
  const screen = !!props.screen;
  const { ref, key } = useAttached(ctrl, person, screen);
  const name = displayNameOf(person);
  const label = screen ? `${person.isLocal ? "Your" : `${name}'s`} shared screen` : name;
  const testId = person.isLocal ? (screen ? "local-screen" : "local-video") : screen ? "remote-screen" : "remote-video";
  const small = variant === "strip";
  return (
    <Box
      component="figure"
      aria-label={label}
      sx={{
        position: "relative",
        m: 0,
        width: "100%",
        height: "100%",
        minHeight: 0,
        overflow: "hidden",
        borderRadius: 2,
        bgcolor: "#1f2937",
        outline: person.speaking && !screen ? "3px solid #5eead4" : "none",
        outlineOffset: -3,
      }}
    >
      {key ? (
        <Box
          component="video"
          ref={ref}
          data-testid={testId}
          autoPlay
          playsInline
          muted
          aria-label={screen ? label : `Video of ${name}`}
          sx={{
            width: "100%",
            height: "100%",
            display: "block",
            objectFit: screen || variant === "main" ? "contain" : "cover",
            // A mirrored self view feels natural; others and screens are shown as they are.
            transform: person.isLocal && !screen ? "scaleX(-1)" : undefined,
          }}
        />
      ) : (
        <Box sx={{ position: "absolute", inset: 0, display: "flex", alignItems: "center", justifyContent: "center" }}>
          <Avatar
            aria-hidden
            sx={{ bgcolor: "#0f766e", color: "#fff", width: small ? 40 : 88, height: small ? 40 : 88, fontSize: small ? "1rem" : "2rem" }}
          >
            {initials(person.name || name)}
          </Avatar>
        </Box>
      )}
      {person.reconnecting ? (
        <Box sx={{ position: "absolute", inset: 0, bgcolor: "rgba(17,24,39,0.7)", display: "flex", alignItems: "center", justifyContent: "center", p: 1 }}>
          <Typography sx={{ color: "#fff", textAlign: "center", fontSize: small ? "0.75rem" : "1rem" }}>Waiting for {name} to reconnect</Typography>
        </Box>
      ) : null}
      <Box
        component="figcaption"
        sx={{
          position: "absolute",
          left: 6,
          bottom: 6,
          right: 6,
          display: "flex",
          alignItems: "center",
          gap: 0.5,
          pointerEvents: "none",
        }}
      >
        <Box sx={{ display: "inline-flex", alignItems: "center", gap: 0.5, bgcolor: "rgba(17,24,39,0.75)", color: "#fff", borderRadius: 1, px: 0.75, py: 0.25, maxWidth: "100%", minWidth: 0 }}>
          {person.micMuted && !screen ? (
            <MicOff
              fontSize="inherit"
              titleAccess={person.mutedBy ? `Microphone muted by ${person.mutedBy}` : "Microphone muted"}
              sx={{ fontSize: "1rem", color: "#fca5a5" }}
            />
          ) : null}
          <Typography component="span" noWrap sx={{ fontSize: small ? "0.75rem" : "0.875rem" }}>
            {screen ? label : name}
          </Typography>
        </Box>
      </Box>
      {!person.isLocal && !screen ? (
        <Box sx={{ position: "absolute", top: 6, right: 6, display: "flex", alignItems: "center", gap: 0.5, bgcolor: "rgba(17,24,39,0.6)", borderRadius: 1, px: 0.25 }}>
          {props.canModerate && !person.micMuted ? (
            <IconButton size="small" aria-label={`Mute ${name}`} onClick={() => void ctrl.muteParticipant(person.id)} sx={{ color: "#fff" }}>
              <MicOff fontSize="small" />
            </IconButton>
          ) : null}
          <QualityIndicator score={person.quality} reconnecting={person.reconnecting} whose={name} />
        </Box>
      ) : null}
    </Box>
  );
}
