/** The task a report is about: the hung task, or the `CPU: N PID: N Comm: X` task of an oops. */

const HUNG_RE = /INFO: task (.+):([0-9]+) (?:blocked|can't die)/;
const STATE_NEW_RE = /^task:\s*\S.*?\s+state:([A-Za-z])/;
const STATE_OLD_RE = /^(\S+)\s+([RSDTtXZPIK])\s*[0-9]+\s+([0-9]+)/;
const CPU_RE = /CPU: [0-9]+ (?:UID: [0-9]+ )?PID: ([0-9]+) Comm: (\S+)/;
const SOFTLOCKUP_RE = /stuck for [0-9]+s! \[(.+):([0-9]+)\]/;
const OOM_RE = /^(\S+) invoked oom-killer:/;
const KILLED_RE = /[Oo]ut of memory: Kill(?:ed)? process ([0-9]+) \((.*?)\)/;

export interface TaskInfo {
  comm: string;
  pid: number;
  state?: string;
}

export function hungTaskOf(lines: string[]): TaskInfo | undefined {
  let task: TaskInfo | undefined;
  for (let i = 0; i < lines.length && i < 12; i++) {
    const t = lines[i]!;
    if (!task) {
      const m = HUNG_RE.exec(t);
      if (m) task = { comm: m[1]!, pid: Number(m[2]) };
      continue;
    }
    const s = STATE_NEW_RE.exec(t);
    if (s) {
      task.state = s[1]!;
      break;
    }
    const o = STATE_OLD_RE.exec(t);
    if (o && Number(o[3]) === task.pid) {
      task.state = o[2]!;
      break;
    }
  }
  return task;
}

export function oopsTaskOf(lines: string[]): TaskInfo | undefined {
  const first = lines[0] ?? "";
  const sl = SOFTLOCKUP_RE.exec(first);
  if (sl) return { comm: sl[1]!, pid: Number(sl[2]) };
  const oom = OOM_RE.exec(first.trimStart());
  for (let i = 0; i < lines.length && i < 60; i++) {
    const m = CPU_RE.exec(lines[i]!);
    if (m) return { comm: oom ? oom[1]! : m[2]!, pid: Number(m[1]) };
  }
  return undefined;
}

export function oomKilledOf(lines: string[]): { comm: string; pid: number } | undefined {
  for (const t of lines) {
    const m = KILLED_RE.exec(t);
    if (m) return { comm: m[2]!, pid: Number(m[1]) };
  }
  return undefined;
}
