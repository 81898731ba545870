// The video area: speaker view (one person or a shared screen large, the
// others in a strip — beside it on wide screens, below it on phones) or
// gallery view (everyone in an even grid).
import Box from "@mui/material/Box";
import Typography from "@mui/material/Typography";
import useMediaQuery from "@mui/material/useMediaQuery";
import type { CallController } from "./controller";
import { galleryColumns, spotlightOf, stripOf, type CallState, type Layout } from "./state";
import { Tile } from "./Tile";

export function Stage(props: { ctrl: CallController; state: CallState; layout: Layout; canModerate: boolean }) {
  const { ctrl, state, layout, canModerate } = props;
  const narrow = useMediaQuery("(max-width:599.95px)");
  const alone = state.people.length === 0;
  const waiting = alone ? (
    <Box sx={{ position: "absolute", top: 12, left: 0, right: 0, display: "flex", justifyContent: "center", pointerEvents: "none" }}>
      <Typography role="status" sx={{ bgcolor: "rgba(17,24,39,0.8)", color: "#fff", px: 2, py: 0.75, borderRadius: 2 }}>
        Waiting for others to join the visit…
      </Typography>
    </Box>
  ) : null;

  if (layout === "gallery") {
    const tiles = [
      ...state.people.filter((p) => p.screen).map((p) => ({ key: `${p.id}/screen`, person: p, screen: true })),
      ...state.people.map((p) => ({ key: p.id, person: p, screen: false })),
      { key: "me", person: state.me, screen: false },
    ];
    const cols = galleryColumns(tiles.length, narrow);
    const rows = Math.ceil(tiles.length / cols);
    return (
      <Box
        sx={{
          position: "relative",
          height: "100%",
          display: "grid",
          gap: 1,
          gridTemplateColumns: `repeat(${cols}, minmax(0, 1fr))`,
          gridTemplateRows: `repeat(${rows}, minmax(${narrow ? 140 : 160}px, 1fr))`,
          overflowY: "auto",
        }}
      >
        {tiles.map((t) => (
          <Tile key={t.key} ctrl={ctrl} person={t.person} screen={t.screen} variant="grid" canModerate={canModerate} />
        ))}
        {waiting}
      </Box>
    );
  }

  const spot = spotlightOf(state);
  const main = spot.id === state.me.id && !spot.screen ? state.me : (state.people.find((p) => p.id === spot.id) ?? state.me);
  const strip = stripOf(state);
  return (
    <Box sx={{ position: "relative", height: "100%", display: "flex", flexDirection: { xs: "column", md: "row" }, gap: 1, minHeight: 0 }}>
      <Box sx={{ flex: 1, minHeight: 0, minWidth: 0 }}>
        <Tile ctrl={ctrl} person={main} screen={spot.screen} variant="main" canModerate={canModerate} />
      </Box>
      {strip.length > 0 ? (
        <Box
          sx={{
            display: "flex",
            flexDirection: { xs: "row", md: "column" },
            gap: 1,
            flex: { xs: "0 0 96px", sm: "0 0 120px", md: "0 0 220px" },
            overflowX: { xs: "auto", md: "hidden" },
            overflowY: { xs: "hidden", md: "auto" },
          }}
        >
          {strip.map((p) => (
            <Box key={p.id} sx={{ flex: { xs: "0 0 128px", sm: "0 0 160px", md: "0 0 132px" }, minHeight: 0 }}>
              <Tile ctrl={ctrl} person={p} variant="strip" canModerate={canModerate} />
            </Box>
          ))}
        </Box>
      ) : null}
      {waiting}
    </Box>
  );
}
