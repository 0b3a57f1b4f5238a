/**
 * Frame choice for stalls and hangs: the frame that names the stuck code is not the top of the stack
 * (a random point of a loop) but the callee of a generic dispatcher, or the first non-waiting frame.
 */

const STALL_ANCHORS = new RegExp([
  "process_one_work", "do_syscall_", "do_fast_syscall_", "sysenter_dispatch", "tracesys_phase2",
  "el0_svc_handler", "invoke_syscall", "ret_fast_syscall", "netif_receive_skb", "do_softirq",
  "call_timer_fn", "_run_timers", "run_timer_softirq", "hrtimer_run", "run_ksoftirqd",
  "smpboot_thread_fn", "^kthread$", "start_secondary", "cpu_startup_entry", "ret_from_fork",
  "vfs_write", "vfs_read", "__do_fault", "do_page_fault", "^page_fault$", "vfs_iter_read", "vfs_iter_write", "do_iter_read", "do_iter_write",
  "call_read_iter", "call_write_iter", "new_sync_read", "new_sync_write", "vfs_ioctl", "ksys_ioctl",
  "compat_ioctl", "compat_sys_ioctl", "blkdev_driver_ioctl", "blkdev_ioctl", "do_iter_readv_writev",
  "do_mmap", "do_vfs_ioctl", "^do_dentry_open", "msr_(?:read|write)", "sock_(?:sendmsg|recvmsg)", "^setsockopt$",
  "^getsockopt$", "^sys_setsockopt$", "^sys_getsockopt$", "rtnetlink_rcv_msg", "nfnetlink_rcv_msg", "genl_rcv_msg", "genl_family_rcv_msg", "netlink_rcv_skb",
  "__fput", "task_work_run", "exit_to_usermode_loop", "smp_call_function", "tasklet_action",
  "tasklet_hi_action", "^sock_write_iter$", "^sock_read_iter$", "^sock_ioctl$",
].map((p) => `(?:${p})`).join("|"));

/**
 * The frame right above the first dispatcher anchor; `smp_call_function*` names itself. Among the
 * frames that are not skipped: the first kept frame is its own "frame above".
 */
export function stallFrame(frames: string[], skipped: (i: number) => boolean): { frame: string; index: number } | undefined {
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i]!;
    if (!STALL_ANCHORS.test(f) || skipped(i)) continue;
    if (f.includes("smp_call_function")) return { frame: "smp_call_function", index: i };
    // the nearest kept frame above the anchor (the anchor itself when none is)
    for (let j = i - 1; j >= 0; j--) if (!skipped(j)) return { frame: frames[j]!, index: j };
    return { frame: f, index: i };
  }
  return undefined;
}

const HANG_ANCHORS: [string, string][] = [
  ["rtnl_lock", ""],
  ["synchronize_rcu", "synchronize_rcu"],
  ["synchronize_srcu", "synchronize_rcu"],
  ["synchronize_net", "synchronize_rcu"],
  ["synchronize_sched", "synchronize_rcu"],
];
const HANG_SKIP = [
  "sched", "_lock", "_slowlock", "down", "rwsem", "completion", "kthread", "wait", "synchronize",
  "context_switch", "__switch_to", "cancel_delayed_work", "rcu_barrier",
];

/** Hung tasks: group rtnl_lock and synchronize_* hangs; otherwise the first frame that is not waiting. */
export function hangFrame(frames: string[], skipped: (i: number) => boolean): { frame: string; index: number } | undefined {
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i]!;
    for (const [anchor, repl] of HANG_ANCHORS) {
      if (f.includes(anchor) && !skipped(i)) return { frame: repl || f, index: i };
    }
  }
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i]!;
    if (!HANG_SKIP.some((s) => f.includes(s)) && !skipped(i)) return { frame: f, index: i };
  }
  return undefined;
}
