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

export class ModelHost {
  private model?: Promise<CodeModel>;
  private loadedKey = "";
  private idleTimer?: NodeJS.Timeout;
  private tail: Promise<unknown> = Promise.resolve();
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

  /** Runs `work` after the queued ones; drops it if a newer request with the same key arrived. */
  run<T>(key: string, options: HostOptions, work: (model: CodeModel) => Promise<T>): Promise<T> {
    const ticket = ++this.sequence;
    this.latest.set(key, ticket);
    const job = this.tail.then(async () => {
      if (this.latest.get(key) !== ticket) throw new SupersededError();
      this.running++;
      clearTimeout(this.idleTimer);
      try {
        return await work(await this.get(options));
      } finally {
        this.running--;
        if (this.latest.get(key) === ticket) this.latest.delete(key);
        this.scheduleRelease(options.idleMinutes);
      }
    });
    this.tail = job.catch(() => undefined);
    return job;
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
