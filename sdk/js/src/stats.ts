// room.getStats(): the PeerConnection's statistics summarised per track,
// each received stream attributed to its participant and track.

import type { TrackKind, TrackRef } from "./protocol.js";

export interface InboundStats {
  participantId: string;
  trackId: string;
  kind: TrackKind | "unknown";
  mediaType: "audio" | "video";
  mid: string;
  codec: string;
  packetsReceived: number;
  packetsLost: number;
  bytesReceived: number;
  jitter: number;
  framesDecoded: number;
  framesDropped: number;
  frameWidth: number;
  frameHeight: number;
  framesPerSecond: number;
  nackCount: number;
  pliCount: number;
  audioLevel: number;
}

export interface OutboundStats {
  trackId: string;
  kind: TrackKind | "unknown";
  mediaType: "audio" | "video";
  mid: string;
  /** Simulcast layer ("" without simulcast). */
  rid: string;
  active: boolean;
  codec: string;
  packetsSent: number;
  bytesSent: number;
  framesEncoded: number;
  frameWidth: number;
  frameHeight: number;
  framesPerSecond: number;
  targetBitrate: number;
  qualityLimitationReason: string;
  retransmittedPacketsSent: number;
}

export interface ConnectionStats {
  /** Round-trip time to the server (ms) on the selected candidate pair. */
  rttMs: number;
  localCandidateType: string;
  remoteCandidateType: string;
  /** udp or tcp between this browser and the server (or its TURN relay). */
  protocol: string;
  /** For relayed connections: how the browser reaches the TURN server. */
  relayProtocol: string;
  availableOutgoingBitrate: number;
  availableIncomingBitrate: number;
  bytesSent: number;
  bytesReceived: number;
}

export interface RoomStats {
  timestamp: number;
  inbound: InboundStats[];
  outbound: OutboundStats[];
  connection: ConnectionStats | null;
  /** The browser's own report, for anything not summarised. */
  raw: RTCStatsReport;
}

type Entry = Record<string, unknown> & { id: string; type: string };

const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);
const str = (v: unknown): string => (typeof v === "string" ? v : "");

export interface StatsContext {
  /** mid → remote track (the server's attribution). */
  remoteByMid(mid: string): TrackRef | undefined;
  /** received MediaStreamTrack id → remote track. */
  remoteByTrack(trackIdentifier: string): TrackRef | undefined;
  /** mid → local publication. */
  localByMid(mid: string): { trackId: string; kind: TrackKind } | undefined;
}

export function summarize(report: RTCStatsReport, ctx: StatsContext): RoomStats {
  const byID = new Map<string, Entry>();
  report.forEach((v: Entry) => byID.set(v.id, v));
  const codecOf = (e: Entry) => str(byID.get(str(e.codecId))?.mimeType);
  const out: RoomStats = { timestamp: 0, inbound: [], outbound: [], connection: null, raw: report };
  let pair: Entry | undefined;
  for (const e of byID.values()) {
    out.timestamp = Math.max(out.timestamp, num(e.timestamp));
    switch (e.type) {
      case "inbound-rtp": {
        const mid = str(e.mid);
        const ref = (mid && ctx.remoteByMid(mid)) || ctx.remoteByTrack(str(e.trackIdentifier));
        out.inbound.push({
          participantId: ref?.participantId ?? "",
          trackId: ref?.trackId ?? "",
          kind: ref?.kind ?? "unknown",
          mediaType: str(e.kind) === "audio" ? "audio" : "video",
          mid,
          codec: codecOf(e),
          packetsReceived: num(e.packetsReceived),
          packetsLost: num(e.packetsLost),
          bytesReceived: num(e.bytesReceived),
          jitter: num(e.jitter),
          framesDecoded: num(e.framesDecoded),
          framesDropped: num(e.framesDropped),
          frameWidth: num(e.frameWidth),
          frameHeight: num(e.frameHeight),
          framesPerSecond: num(e.framesPerSecond),
          nackCount: num(e.nackCount),
          pliCount: num(e.pliCount),
          audioLevel: num(e.audioLevel),
        });
        break;
      }
      case "outbound-rtp": {
        const mid = str(e.mid);
        const pub = mid ? ctx.localByMid(mid) : undefined;
        out.outbound.push({
          trackId: pub?.trackId ?? "",
          kind: pub?.kind ?? "unknown",
          mediaType: str(e.kind) === "audio" ? "audio" : "video",
          mid,
          rid: str(e.rid),
          active: e.active === undefined ? true : e.active === true,
          codec: codecOf(e),
          packetsSent: num(e.packetsSent),
          bytesSent: num(e.bytesSent),
          framesEncoded: num(e.framesEncoded),
          frameWidth: num(e.frameWidth),
          frameHeight: num(e.frameHeight),
          framesPerSecond: num(e.framesPerSecond),
          targetBitrate: num(e.targetBitrate),
          qualityLimitationReason: str(e.qualityLimitationReason),
          retransmittedPacketsSent: num(e.retransmittedPacketsSent),
        });
        break;
      }
      case "transport": {
        const sel = byID.get(str(e.selectedCandidatePairId));
        if (sel) pair = sel;
        break;
      }
      case "candidate-pair":
        if (!pair && e.state === "succeeded" && (e.nominated === true || e.selected === true)) pair = e;
        break;
    }
  }
  if (pair) {
    const local = byID.get(str(pair.localCandidateId));
    const remote = byID.get(str(pair.remoteCandidateId));
    out.connection = {
      rttMs: Math.round(num(pair.currentRoundTripTime) * 1000),
      localCandidateType: str(local?.candidateType),
      remoteCandidateType: str(remote?.candidateType),
      protocol: str(local?.protocol),
      relayProtocol: str(local?.relayProtocol),
      availableOutgoingBitrate: num(pair.availableOutgoingBitrate),
      availableIncomingBitrate: num(pair.availableIncomingBitrate),
      bytesSent: num(pair.bytesSent),
      bytesReceived: num(pair.bytesReceived),
    };
  }
  return out;
}
