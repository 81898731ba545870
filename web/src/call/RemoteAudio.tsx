// The sound of the call: one hidden <audio> per remote microphone, played
// on the chosen speaker. Browsers may refuse to start sound before the
// person has tapped the page; the call then offers "Tap to turn on sound".
import { useEffect, useRef } from "react";
import { attach } from "@housecall/sdk";
import type { CallController } from "./controller";
import { setSpeaker } from "./media";
import type { PersonView } from "./state";

function PersonAudio(props: { ctrl: CallController; person: PersonView; speaker: string }) {
  const { ctrl, person, speaker } = props;
  const ref = useRef<HTMLAudioElement>(null);
  useEffect(() => {
    const el = ref.current;
    const track = ctrl.remoteTrack(person.id, "microphone");
    if (!el || !track || !person.mic) return;
    const detach = attach(track, el);
    const unregister = ctrl.registerAudio(el);
    Promise.resolve()
      .then(() => el.play())
      .catch((err: { name?: string }) => {
        if (err?.name === "NotAllowedError") ctrl.setSoundBlocked(true);
      });
    return () => {
      unregister();
      detach();
    };
  }, [ctrl, person.id, person.mic]);
  useEffect(() => {
    if (ref.current) void setSpeaker(ref.current, speaker);
  }, [speaker, person.mic]);
  return <audio ref={ref} autoPlay data-testid="remote-audio" />;
}

export function RemoteAudio(props: { ctrl: CallController; people: PersonView[]; speaker: string }) {
  return (
    <div hidden>
      {props.people
        .filter((p) => p.mic)
        .map((p) => (
          <PersonAudio key={p.id} ctrl={props.ctrl} person={p} speaker={props.speaker} />
        ))}
    </div>
  );
}
