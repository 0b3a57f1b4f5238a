/** Test helper process: take the lock given as argv[2] (stale after 2 s), say "held", then wait to be killed (60 s at most). */
import { withLock } from "../../../harness/common/lock.ts";

await withLock(process.argv[2]!, { deadlineMs: 10_000, staleMs: 2000, what: "test holder" }, async () => {
  process.stdout.write("held\n");
  await new Promise((r) => setTimeout(r, 60_000));
});
