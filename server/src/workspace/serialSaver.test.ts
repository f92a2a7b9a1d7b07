import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { test } from "node:test";
import { SerialSaver } from "./serialSaver";

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

test("jobs run one at a time, in call order", async () => {
  const queue = new SerialSaver(() => {});
  const log: string[] = [];
  const gate = deferred();
  const first = queue.run(async () => {
    log.push("first starts");
    await gate.promise;
    log.push("first ends");
    return 1;
  });
  const second = queue.run(async () => {
    log.push("second");
    return 2;
  });
  await sleep(5);
  assert.deepEqual(log, ["first starts"], "the second job waits for the first");
  gate.resolve();
  assert.deepEqual(await Promise.all([first, second]), [1, 2]);
  assert.deepEqual(log, ["first starts", "first ends", "second"]);
});

test("a failed job rejects its own promise only; the next one runs", async () => {
  const queue = new SerialSaver(() => {});
  const failed = queue.run(async () => {
    throw new Error("boom");
  });
  const next = queue.run(async () => "ran");
  await assert.rejects(failed, /boom/);
  assert.equal(await next, "ran");
});

test("repeated saveSoon calls make one save, queued behind the job in progress", async () => {
  let saves = 0;
  const queue = new SerialSaver(() => saves++, 20);
  const gate = deferred();
  const busy = queue.run(() => gate.promise);
  queue.saveSoon();
  await sleep(10);
  queue.saveSoon();
  queue.saveSoon();
  await sleep(40);
  assert.equal(saves, 0, "the save waits for the job in progress");
  gate.resolve();
  await busy;
  await queue.run(async () => {});
  assert.equal(saves, 1);
});

test("flush writes a pending save at once and only once; without one it writes nothing", async () => {
  let saves = 0;
  const queue = new SerialSaver(() => saves++, 20);
  await queue.flush();
  assert.equal(saves, 0);
  queue.saveSoon();
  await queue.flush();
  assert.equal(saves, 1);
  await sleep(40);
  assert.equal(saves, 1, "the timer was cancelled");
  queue.saveSoon();
  queue.cancelSave();
  await queue.flush();
  await sleep(40);
  assert.equal(saves, 1, "a cancelled save never runs");
});

test("a failing save rejects flush; a failing background save does not block the queue", async () => {
  let fail = true;
  let saves = 0;
  const queue = new SerialSaver(() => {
    saves++;
    if (fail) throw new Error("disk full");
  }, 5);
  queue.saveSoon();
  await assert.rejects(queue.flush(), /disk full/);
  queue.saveSoon();
  await sleep(20);
  assert.equal(saves, 2, "the background save ran and failed");
  assert.equal(await queue.run(async () => "still runs"), "still runs");
  fail = false;
  queue.saveSoon();
  await queue.flush();
  assert.equal(saves, 3);
});
