// The shared call UI (ui-contract.md): the video call screen and the
// pre-call check, used by the patient, guest and provider apps.
export { CallView } from "./CallView";
export type { CallViewProps } from "./CallView";
export { DeviceCheck } from "./DeviceCheck";
export type { ChosenDevices, DeviceCheckProps } from "./DeviceCheck";
export type { LeaveReason } from "./state";
export { problemFromError, problemOf } from "./problems";
export type { Problem, ProblemKind } from "./problems";
export { ProblemPanel } from "./ProblemPanel";
