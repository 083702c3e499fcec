// The graphile-worker 0.18 peer of `bench jobs` and `bench latency`, driven by the bench binary.
// Every command prints one JSON line on stdout when it is done.
//
//   node peer.mjs load    <url> <n>                                   migrate, bulk-add n no-op jobs (no worker runs)
//   node peer.mjs drain   <url> <n> <processes> <concurrency> <mode>  time first worker start -> no job left
//   node peer.mjs latency <url> <samples> <mode>                      enqueue -> start, one idle worker listening
//   node peer.mjs worker  <url> <concurrency> <mode>                  a child of `drain`: run on "go", stop on "stop"
//
// <mode> is `plain` (the defaults) or `batched` (the documented batching options: localQueue 500,
// completeJobBatchDelay 0, failJobBatchDelay 0).

import { fork } from "node:child_process";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Logger, makeWorkerUtils, run } from "graphile-worker";
import pg from "pg";

const ADD_CHUNK = 5000;
// Errors only: the JSON line on stdout is the result.
const logger = new Logger(() => (level, message) => level === "error" && console.error(message));
const POLL_MS = 2;

function preset(mode, concurrency) {
  const worker = { concurrentJobs: concurrency, pollInterval: 2000 };
  if (mode === "batched") {
    worker.localQueue = { size: 500 };
    worker.completeJobBatchDelay = 0;
    worker.failJobBatchDelay = 0;
  } else if (mode !== "plain") {
    throw new Error(`unknown mode ${mode}`);
  }
  return { worker };
}

function runner(url, concurrency, mode, taskList) {
  return run({
    connectionString: url,
    logger,
    concurrency,
    noHandleSignals: true,
    taskList,
    preset: preset(mode, concurrency),
  });
}

async function load(url, n) {
  const utils = await makeWorkerUtils({ connectionString: url, logger });
  await utils.migrate();
  for (let done = 0; done < n; done += ADD_CHUNK) {
    const size = Math.min(ADD_CHUNK, n - done);
    await utils.addJobs(Array.from({ length: size }, () => ({ identifier: "noop", payload: {} })));
  }
  await utils.release();
  return { loaded: n };
}

async function jobsLeft(client) {
  const { rows } = await client.query("select count(*)::int as n from graphile_worker._private_jobs");
  return rows[0].n;
}

async function drain(url, n, processes, concurrency, mode) {
  const self = fileURLToPath(import.meta.url);
  const children = Array.from({ length: processes }, () =>
    fork(self, ["worker", url, String(concurrency), mode], { stdio: ["ignore", "ignore", "inherit", "ipc"] }),
  );
  const message = (child, kind) =>
    new Promise((resolve, reject) => {
      child.on("message", (m) => m.kind === kind && resolve(m));
      child.on("exit", (code) => reject(new Error(`a worker exited with ${code} before "${kind}"`)));
    });
  // Modules loaded in every child before the clock starts; connecting is part of the timed work.
  await Promise.all(children.map((c) => message(c, "ready")));
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const started = performance.now();
  children.forEach((c) => c.send("go"));
  while ((await jobsLeft(client)) > 0) {
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  const elapsedMs = performance.now() - started;
  await client.end();
  const stopped = children.map((c) => message(c, "stopped"));
  children.forEach((c) => c.send("stop"));
  // CPU of the workers from "go" to "stop" (the clients' side of the wire).
  const cpuUs = (await Promise.all(stopped)).reduce((sum, m) => sum + m.cpu_us, 0);
  return {
    n,
    processes,
    concurrency,
    mode,
    elapsed_ms: elapsedMs,
    per_s: (n / elapsedMs) * 1000,
    client_cpu_us_per_job: cpuUs / n,
  };
}

async function worker(url, concurrency, mode) {
  let current;
  let cpu;
  process.on("message", async (m) => {
    if (m === "go") {
      cpu = process.cpuUsage();
      current = await runner(url, concurrency, mode, { noop: async () => {} });
    } else if (m === "stop") {
      await current?.stop();
      const used = process.cpuUsage(cpu);
      process.send({ kind: "stopped", cpu_us: used.user + used.system });
      process.disconnect();
    }
  });
  process.send({ kind: "ready" });
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function latency(url, samples, mode) {
  const utils = await makeWorkerUtils({ connectionString: url, logger });
  await utils.migrate();
  let started;
  const task = async () => started?.(performance.now());
  const r = await runner(url, 1, mode, { noop: task });
  // Let the worker reach its LISTEN before the first sample.
  await new Promise((res) => setTimeout(res, 500));
  const ms = [];
  for (let i = 0; i < samples; i++) {
    const begun = new Promise((res) => (started = res));
    const t0 = performance.now();
    await utils.addJob("noop", {});
    ms.push((await begun) - t0);
  }
  await r.stop();
  await utils.release();
  ms.sort((a, b) => a - b);
  return { samples, mode, p50_ms: percentile(ms, 50), p99_ms: percentile(ms, 99), max_ms: ms[ms.length - 1] };
}

const [command, ...args] = process.argv.slice(2);
const commands = {
  load: () => load(args[0], Number(args[1])),
  drain: () => drain(args[0], Number(args[1]), Number(args[2]), Number(args[3]), args[4]),
  latency: () => latency(args[0], Number(args[1]), args[2]),
  worker: () => worker(args[0], Number(args[1]), args[2]),
};
if (!commands[command]) {
  console.error(`usage: peer.mjs load|drain|latency|worker …`);
  process.exit(2);
}
commands[command]().then(
  (result) => result && console.log(JSON.stringify(result)),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
