export { parseRedisUrl, checkRedis, RedisUnreachableError, type RedisTarget, type RedisTlsOptions } from "./connection.ts";
export { startWorker, type FarmWorker, type WorkerOptions } from "./worker.ts";
export { runSuiteOnFarm, resumeFarmRun, farmRunStore, FarmRunFileError, FARM_FILE, type FarmRunOptions, type FarmDeadlines } from "./coordinator.ts";
export { farmStatus, type FarmStatus } from "./status.ts";
export { openFarmExecutor, jobIdUnder, type FarmExecutor, type FarmExecutorOptions } from "./attempt-executor.ts";
