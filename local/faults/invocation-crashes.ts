/**
 * `worker.crash`: a Lambda dying mid-invocation, without touching business code.
 *
 * The twin's event source runs each invocation through `run`. A doomed
 * invocation (chosen by the plan) runs inside an AsyncLocalStorage context and
 * dies at one of its SDK calls: either before the request leaves, or after it
 * reached the service (the process died waiting for the answer). From then on
 * every SDK call made from that context hangs for ever (a dead process writes
 * nothing more), and `run` rejects at once, so the event source abandons the
 * batch: no delete, its messages come back after the visibility timeout, and
 * leases taken by it expire and are taken over.
 *
 * What a dead invocation does outside the SDK (an `http` job's request already
 * under way) still happens, as it would have reached the target before the
 * crash on AWS too.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { FaultPlan } from './fault-plan';

export class InvocationCrashedError extends Error {
  override name = 'InvocationCrashedError';
}

interface DoomedInvocation {
  /** SDK calls left before the one it dies at (1 = the next call). */
  callsLeft: number;
  /** Whether the fatal call reaches the service before the process dies. */
  fatalCallLands: boolean;
  dead: boolean;
  die(): void;
}

/** What the SDK middleware does with a call made from the current invocation. */
export type CallFate = 'proceed' | 'hang' | 'land-then-hang';

/** Never settles: what a call from a dead process amounts to. */
export function hang(): Promise<never> {
  return new Promise<never>(() => undefined);
}

export class InvocationCrashes {
  private readonly storage = new AsyncLocalStorage<DoomedInvocation>();

  constructor(private readonly plan: FaultPlan) {}

  /**
   * Runs one invocation of `name` on `records` messages (`subject` names them
   * stably). Rejects with InvocationCrashedError when the invocation died.
   */
  run<T>(name: string, subject: string, records: number, invocation: () => Promise<T>): Promise<T> {
    const decision = this.plan.decide('worker.crash', `${name} ${subject}`);
    if (!decision.inject) return invocation();
    // A point among the calls an invocation of this size makes (about four per record: read, claim, finish, send).
    const span = 4 * Math.max(1, records) + 1;
    const position = decision.draw * span;
    return new Promise<T>((resolve, reject) => {
      const doomed: DoomedInvocation = {
        callsLeft: 1 + Math.floor(position),
        fatalCallLands: position % 1 >= 0.5,
        dead: false,
        die: () => {
          if (doomed.dead) return;
          doomed.dead = true;
          this.plan.count('worker.crash');
          reject(new InvocationCrashedError(`${name}: invocation crashed (injected worker.crash)`));
        },
      };
      this.storage.run(doomed, invocation).then(resolve, reject);
    });
  }

  /** Called by the SDK middleware before each call. */
  fateOfCall(): CallFate {
    const doomed = this.storage.getStore();
    if (!doomed) return 'proceed';
    if (doomed.dead) return 'hang';
    doomed.callsLeft--;
    if (doomed.callsLeft > 0) return 'proceed';
    if (doomed.fatalCallLands) return 'land-then-hang';
    doomed.die();
    return 'hang';
  }

  /** The fatal call landed; the invocation dies before it sees the answer. */
  dieNow(): void {
    this.storage.getStore()?.die();
  }
}
