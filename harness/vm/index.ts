export { Guest, type GuestSpec, type TeardownReport } from "./guest.ts";
export { resolveAccel, probeBoot, qemuVersion, QEMU_BINARY, type AccelProbe } from "./accel.ts";
export { buildQemuArgs, baseKernelArgs, qemuEscape, type QemuSpec, type Accel } from "./qemu-args.ts";
export { SshSession, type ExecResult, type ExecOptions } from "./ssh.ts";
export { ConsoleFollower } from "./console.ts";
export { QmpClient } from "./qmp.ts";
export { liveChildren } from "./reaper.ts";
export { freePort } from "./ports.ts";
