// Binds a CallController to a component: one controller per mounted call,
// started on mount and disposed (tracks stopped, room left) on unmount.
import { useEffect, useLayoutEffect, useRef, useState, useSyncExternalStore } from "react";
import { CallController, type CallOptions } from "./controller";
import type { CallState } from "./state";

export function useCall(opts: CallOptions): [CallState, CallController] {
  const ref = useRef(opts);
  useLayoutEffect(() => {
    ref.current = opts;
  });
  const [ctrl] = useState(() => new CallController(() => ref.current));
  const state = useSyncExternalStore(ctrl.subscribe, ctrl.getState, ctrl.getState);
  useEffect(() => {
    void ctrl.start();
    return () => ctrl.dispose();
  }, [ctrl]);
  return [state, ctrl];
}

