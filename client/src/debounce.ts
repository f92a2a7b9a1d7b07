/** Runs `action` once, `delayMs` after the last trigger (a burst of triggers costs one run). */
export class Debouncer {
  private timer?: ReturnType<typeof setTimeout>;

  constructor(private readonly action: () => void, private readonly delayMs: number) {}

  trigger(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.action();
    }, this.delayMs);
  }

  /** Runs a pending action now. */
  flush(): void {
    if (!this.timer) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.action();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
