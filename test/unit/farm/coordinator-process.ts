/**
 * A coordinator in its own process, for the "coordinator killed → --resume" test: it enqueues
 * the run's attempts and waits for them; the test SIGKILLs it.
 */
import { EventBus } from "../../../harness/common/index.ts";
import { parseRedisUrl, runSuiteOnFarm } from "../../../harness/farm/index.ts";
import { ResultStore } from "../../../harness/results/index.ts";
import { fakePlan, fakeScenario } from "./fixtures.ts";

const store = new ResultStore(process.env.FARM_RESULTS!, process.env.FARM_RUN_ID!);
await store.init();
const bus = new EventBus();
bus.on((e) => process.stderr.write(`${JSON.stringify(e)}\n`));
await runSuiteOnFarm({
  target: parseRedisUrl(process.env.FARM_REDIS!),
  suite: "resume",
  scenarios: [fakeScenario("farm-resume", "slow", { attempts: 2 })],
  plan: fakePlan(),
  store,
  sink: bus,
  pollMs: 100,
});
