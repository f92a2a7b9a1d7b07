import { CodeModel } from "./codeModel";

/**
 * Owns the loaded model for the language server: loads it on first use (never at start-up),
 * reloads when the model folder or providers change, releases it after an idle period, and runs
 * one generation at a time (a queue; the model uses both cores, parallel requests would only
 * slow each other). A request superseded by a newer one for the same key (document + task) is
 * dropped before it runs.
 */
export interface HostOptions {
  dir: string;
  providers: string[];
  threads: number;
  idleMinutes: number;
}

export class SupersededError extends Error {
  constructor() {
    super("superseded by a newer request for the same document");
  }
}

export type Priority = "normal" | "low";

interface Job {
  key: string;
  ticket: number;
  priority: Priority;
  start(): void;
}

export class ModelHost {
  private model?: Promise<CodeModel>;
  private loadedKey = "";
  private idleTimer?: NodeJS.Timeout;
  /** Waiting jobs; normal ones always go before low-priority ones (hover token types). */
  private readonly waiting: Job[] = [];
  private busy = false;
  private latest = new Map<string, number>();
  private sequence = 0;
  private running = 0;

  constructor(private readonly log: (message: string) => void = () => undefined) {}

  /** The loaded model, loading it if needed. A failed load is not cached. */
  get(options: HostOptions): Promise<CodeModel> {
    const key = `${options.dir}|${options.providers.join(",")}|${options.threads}`;
    if (this.model && key !== this.loadedKey) void this.release();
    if (!this.model) {
      this.loadedKey = key;
      const started = Date.now();
      this.model = CodeModel.load(options.dir, options.providers, options.threads).then(
        (model) => {
          this.log(`model ${model.name} loaded from ${options.dir} on ${model.device} in ${Date.now() - started} ms`);
          for (const reason of model.seq2seq.fallbacks) this.log(`execution provider skipped: ${reason}`);
          return model;
        },
        (error) => {
          this.model = undefined;
          throw error;
        },
      );
    }
    return this.model;
  }

  /** Current state without loading anything. */
  get loaded(): Promise<CodeModel | undefined> {
    return this.model ? this.model.catch(() => undefined) : Promise.resolve(undefined);
  }

  /**
   * Runs `work` after the queued ones (normal priority before low); drops it if a newer request
   * with the same key arrived before it started. While it runs, `superseded()` turns true as soon
   * as a newer request with the same key is queued, so generation can stop between decode steps.
   */
  run<T>(
    key: string,
    options: HostOptions,
    work: (model: CodeModel, superseded: () => boolean) => Promise<T>,
    priority: Priority = "normal",
  ): Promise<T> {
    const ticket = ++this.sequence;
    this.latest.set(key, ticket);
    const superseded = () => this.latest.get(key) !== ticket;
    return new Promise<T>((resolve, reject) => {
      const job: Job = {
        key,
        ticket,
        priority,
        start: () => {
          if (superseded()) {
            reject(new SupersededError());
            this.next();
            return;
          }
          this.running++;
          clearTimeout(this.idleTimer);
          void (async () => {
            try {
              const model = await this.get(options);
              if (superseded()) throw new SupersededError();
              resolve(await work(model, superseded));
            } catch (error) {
              reject(error);
            } finally {
              this.running--;
              if (!superseded()) this.latest.delete(key);
              this.scheduleRelease(options.idleMinutes);
              this.next();
            }
          })();
        },
      };
      const firstLow = priority === "normal" ? this.waiting.findIndex((j) => j.priority === "low") : -1;
      if (firstLow >= 0) this.waiting.splice(firstLow, 0, job);
      else this.waiting.push(job);
      if (!this.busy) this.next();
    });
  }

  /** Number of jobs waiting (not running). */
  get queued(): number {
    return this.waiting.length;
  }

  private next(): void {
    const job = this.waiting.shift();
    this.busy = job !== undefined;
    job?.start();
  }

  private scheduleRelease(minutes: number): void {
    clearTimeout(this.idleTimer);
    if (minutes <= 0) return;
    this.idleTimer = setTimeout(() => {
      if (this.running === 0) void this.release().then(() => this.log(`model released after ${minutes} idle minutes`));
    }, minutes * 60_000);
    this.idleTimer.unref();
  }

  async release(): Promise<void> {
    clearTimeout(this.idleTimer);
    const model = this.model;
    this.model = undefined;
    this.loadedKey = "";
    const loaded = await model?.catch(() => undefined);
    await loaded?.release();
  }
}
