/**
 * A level-triggered wake-up for one waiting loop: notify() before wait()
 * makes the next wait() return at once. Loops re-check their conditions after
 * every wake, so spurious wake-ups are harmless. Used instead of Promise.race
 * against long-lived promises, which would pile up reactions on every turn.
 */
import { assert } from '../core/errors.js';

export class Wakeup {
  private waiter: (() => void) | null = null;
  private signalled = false;

  notify(): void {
    const waiter = this.waiter;
    if (waiter === null) {
      this.signalled = true;
      return;
    }
    this.waiter = null;
    waiter();
  }

  wait(): Promise<void> {
    assert(this.waiter === null, 'one waiter at a time');
    if (this.signalled) {
      this.signalled = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  /** Waits for notify() or `timeoutMs`, whichever comes first. */
  async waitAtMost(timeoutMs: number): Promise<void> {
    const timer = setTimeout(() => this.notify(), timeoutMs);
    try {
      await this.wait();
    } finally {
      clearTimeout(timer);
    }
  }
}
