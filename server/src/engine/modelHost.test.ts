import assert from "node:assert/strict";
import { test } from "node:test";
import type { CodeModel } from "./codeModel";
import { ModelHost, SupersededError, type HostOptions } from "./modelHost";

/** A host whose "model" is a plain object: the queue is what is tested here. */
class FakeHost extends ModelHost {
  override get(): Promise<CodeModel> {
    return Promise.resolve({} as CodeModel);
  }
}

const options: HostOptions = { dir: "/nowhere", providers: ["cpu"], threads: 1, idleMinutes: 0 };
const tick = (ms = 5) => new Promise((done) => setTimeout(done, ms));

test("one job at a time; normal priority goes before queued low-priority work", async () => {
  const host = new FakeHost();
  const order: string[] = [];
  let release!: () => void;
  const first = host.run("a|summarize", options, async () => {
    order.push("first");
    await new Promise<void>((done) => (release = done));
  });
  const low = host.run("a|tokenTypes", options, async () => void order.push("low"), "low");
  const normal = host.run("b|refine", options, async () => void order.push("normal"));
  await tick();
  assert.deepEqual(order, ["first"]);
  assert.equal(host.queued, 2);
  release();
  await Promise.all([first, low, normal]);
  assert.deepEqual(order, ["first", "normal", "low"]);
});

test("a queued job superseded by a newer one with the same key is dropped; a running one is told", async () => {
  const host = new FakeHost();
  let release!: () => void;
  let sawNewer = false;
  const running = host.run("a|summarize", options, async (_model, superseded) => {
    await new Promise<void>((done) => (release = done));
    sawNewer = superseded();
  });
  await tick(); // the first job is running now
  const older = host.run("b|summarize", options, async () => "older").then(() => undefined, (error) => error);
  const newer = host.run("b|summarize", options, async () => "newer");
  const newest = host.run("a|summarize", options, async () => "a again");
  release();
  await running;
  assert.equal(sawNewer, true, "the running job was not told a newer request arrived");
  assert.ok((await older) instanceof SupersededError);
  assert.equal(await newer, "newer");
  assert.equal(await newest, "a again");
});

test("a failing job does not stop the queue", async () => {
  const host = new FakeHost();
  const failed = host.run("x", options, async () => {
    throw new Error("boom");
  });
  const next = host.run("y", options, async () => 42);
  await assert.rejects(failed, /boom/);
  assert.equal(await next, 42);
});
