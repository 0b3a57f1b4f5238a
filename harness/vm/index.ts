export type {
  Machine,
  MachineFactory,
  MachineSpec,
  MachineExit,
  ExecOptions,
  ExecResult,
  TeardownReport,
  KernelLogFollower,
  KernelLogStatus,
  KernelLogGap,
} from "./machine.ts";
export { createQemuMachine, QemuMachine } from "./qemu-machine.ts";
export { resolveAccel, probeBoot, qemuVersion, QEMU_BINARY, type AccelProbe } from "./accel.ts";
export { baseKernelArgs, qemuEscape, type Accel } from "./qemu-args.ts";
export { liveChildren } from "./reaper.ts";
