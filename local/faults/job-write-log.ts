/**
 * The job writes that took effect, as the SDK seam saw them: for each job item,
 * the status of every version written. An invariant checker reads from it how
 * many terminal transitions a job went through, which the job item alone cannot
 * tell. A write counts once DynamoDB accepted it (its answer came back, or was
 * lost by an injected fault after it took effect).
 */
import { isTerminal, type JobStatus } from '../../lambdas/jobs/job';

export interface LoggedWrite {
  readonly version: number;
  readonly status: JobStatus;
}

type AttributeValue = { S?: string; N?: string };

export class JobWriteLog {
  private readonly writes = new Map<string, LoggedWrite[]>();

  /** Called with the (marshalled) input of a DynamoDB call that took effect. */
  landed(operation: string, input: Record<string, unknown>): void {
    if (operation !== 'PutItem') return;
    const item = input.Item as Record<string, AttributeValue> | undefined;
    if (item?.entity?.S !== 'job' || !item.pk?.S || !item.status?.S || !item.version?.N) return;
    const list = this.writes.get(item.pk.S) ?? [];
    list.push({ version: Number(item.version.N), status: item.status.S as JobStatus });
    this.writes.set(item.pk.S, list);
  }

  /** The writes of one job item (`pk`), in version order. */
  of(pk: string): LoggedWrite[] {
    return [...(this.writes.get(pk) ?? [])].sort((a, b) => a.version - b.version);
  }

  /** Writes that moved the job from a non-terminal status (or none) into a terminal one. */
  terminalTransitions(pk: string): LoggedWrite[] {
    const writes = this.of(pk);
    return writes.filter((w, i) => isTerminal(w.status) && (i === 0 || !isTerminal(writes[i - 1].status)));
  }
}
