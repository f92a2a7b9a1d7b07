/**
 * Refinements awaiting the user's answer, keyed by the diff's refined side. The answer may come
 * from the notification's buttons, from the diff editor's title bar, or from closing the diff
 * (a reject); the first one wins and the rest are ignored. Kept free of VS Code so it is
 * unit-tested alone.
 */
export type Decision = "accept" | "reject";

export class RefinementReviews {
  private readonly pending = new Map<string, (decision: Decision) => void>();

  /** Starts a review; resolves with its first decision. */
  wait(key: string): Promise<Decision> {
    if (this.pending.has(key)) throw new Error(`a review of ${key} is already pending`);
    return new Promise((resolve) => {
      this.pending.set(key, (decision) => {
        this.pending.delete(key);
        resolve(decision);
      });
    });
  }

  /** Answers a pending review; false when there is none (already answered, or unknown). */
  decide(key: string, decision: Decision): boolean {
    const resolve = this.pending.get(key);
    resolve?.(decision);
    return resolve !== undefined;
  }

  isPending(key: string): boolean {
    return this.pending.has(key);
  }

  /** Rejects every pending review (the extension is shutting down). */
  rejectAll(): void {
    for (const key of [...this.pending.keys()]) this.decide(key, "reject");
  }
}
