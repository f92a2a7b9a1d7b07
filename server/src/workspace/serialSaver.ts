/**
 * Runs a workspace index's jobs (builds, updates, saves) one at a time, in call order, and
 * debounces its saves: saveSoon() after each update writes once, `delayMs` after the last one,
 * as a job of the same queue so a save never overlaps a build or an update.
 * A failed job rejects its own promise only; the jobs after it still run.
 */
export class SerialSaver {
  private queue: Promise<unknown> = Promise.resolve();
  private timer?: NodeJS.Timeout;

  constructor(private readonly save: () => void, private readonly delayMs = 1000) {}

  run<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  saveSoon(): void {
    this.cancelSave();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.run(async () => this.save()); // nobody awaits a background save: its error is dropped
    }, this.delayMs);
    this.timer.unref();
  }

  cancelSave(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Writes a pending save now, after the jobs already queued. */
  flush(): Promise<void> {
    const pending = !!this.timer;
    this.cancelSave();
    return this.run(async () => {
      if (pending) this.save();
    });
  }
}
