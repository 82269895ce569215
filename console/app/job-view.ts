/**
 * One job (`#/jobs/<jobId>`, a link that can be shared): every field of the Job view,
 * payload and result as formatted JSON, the webhook's state, the attempts timeline
 * (start, end, duration, error of each), and the actions cancel, retry, delete and
 * redeliver, each confirmed in a modal <dialog>. The service decides what is allowed:
 * all four are always offered, and a refusal (409) shows the problem's `detail`.
 * Refreshed every 3 s while the job or its webhook can still change.
 */
import { TERMINAL_STATUSES, type Attempt, type Job } from '../../client/types';
import { alertMessage, describeFailure, handledKeyRefusal, isAbort, type ConsoleSession, type ConsoleView } from './console-session';
import { h, replaceContent, setText } from './dom';
import { startRefresh } from './refresh';
import { hrefOf, type Route } from './routes';

/** The Job view's scalar fields, in the order SPEC §3.6 lists them. */
const JOB_FIELDS = [
  'jobId',
  'tenantId',
  'type',
  'status',
  'attempts',
  'maxAttempts',
  'nextRunAt',
  'idempotencyKey',
  'payloadHash',
  'webhookUrl',
  'createdAt',
  'updatedAt',
  'finishedAt',
  'expiresAt',
  'lastError',
] as const satisfies readonly (keyof Job)[];

const WEBHOOK_FIELDS = ['status', 'attempts', 'lastStatusCode', 'lastError', 'deliveredAt'] as const satisfies readonly (keyof Job['webhook'])[];

type JobAction = 'cancel' | 'retry' | 'delete' | 'redeliver';

const ACTIONS: Readonly<Record<JobAction, { readonly label: string; readonly question: string; readonly done: string }>> = {
  cancel: { label: 'Cancel', question: 'Cancel this job? A queued or waiting job then never runs.', done: 'Canceled.' },
  retry: { label: 'Retry', question: 'Retry this job? A fatal or canceled job goes back to queued with a fresh attempt budget.', done: 'Queued again.' },
  delete: { label: 'Delete', question: 'Delete this job now? It is erased, and its idempotency key becomes free.', done: 'Deleted.' },
  redeliver: { label: 'Redeliver webhook', question: 'Send this job’s terminal webhook event again (same webhook-id)?', done: 'Webhook redelivery scheduled.' },
};

/** What a null shows as (the health strip says the same). */
const NONE = '–';

export function mountJobView(session: ConsoleSession, route: Extract<Route, { view: 'job' }>): ConsoleView {
  const { jobId } = route;
  const stopped = new AbortController();
  let job: Job | null = null;
  let gone = false;

  const fieldValues = new Map(JOB_FIELDS.map((name) => [name, h('dd', { 'data-field': name })]));
  const webhookValues = new Map(WEBHOOK_FIELDS.map((name) => [name, h('dd', { 'data-field': `webhook.${name}` })]));
  const payload = h('pre', { 'data-field': 'payload', class: 'json', tabindex: '0' });
  const result = h('pre', { 'data-field': 'result', class: 'json', tabindex: '0' });
  const attempts = h('ol', { 'aria-label': 'Attempts', class: 'attempts' });
  const noAttempts = h('p', { class: 'empty', hidden: true }, 'No attempt yet.');
  const problemSlot = h('div', { class: 'problem-slot' });
  const statusSlot = h('p', { role: 'status', class: 'action-status' });

  const question = h('p', { id: 'job-action-question' });
  const confirmButton = h('button', { type: 'button', class: 'danger' }, 'Confirm');
  const backButton = h('button', { type: 'button', autofocus: true }, 'Back');
  const dialog = h(
    'dialog',
    { 'aria-labelledby': 'job-action-title', 'aria-describedby': 'job-action-question', class: 'confirm' },
    h('h3', { id: 'job-action-title' }),
    question,
    h('div', { class: 'dialog-buttons' }, backButton, confirmButton),
  );
  let pending: JobAction | null = null;
  let opener: HTMLElement | null = null;

  const actionButtons = (Object.keys(ACTIONS) as JobAction[]).map((action) => {
    const button = h('button', { type: 'button', 'data-action': action, class: action === 'delete' ? 'danger' : undefined }, ACTIONS[action].label);
    button.addEventListener('click', () => {
      pending = action;
      opener = button;
      setText(dialog.querySelector('h3') as HTMLElement, `${ACTIONS[action].label}: job ${jobId}`);
      setText(question, ACTIONS[action].question);
      dialog.showModal();
    });
    return button;
  });
  backButton.addEventListener('click', () => dialog.close());
  confirmButton.addEventListener('click', () => {
    const action = pending;
    dialog.close();
    if (action !== null) void act(action);
  });
  // Escape closes the dialog natively ('cancel', then 'close'); focus goes back to the button that opened it.
  dialog.addEventListener('close', () => {
    pending = null;
    opener?.focus();
  });

  const element = h(
    'section',
    { class: 'view job-view', 'aria-labelledby': 'job-heading' },
    h('div', { class: 'view-heading' }, h('h2', { id: 'job-heading', tabindex: '-1' }, 'Job ', h('code', {}, jobId)), h('a', { href: hrefOf({ view: 'jobs', status: 'queued', type: null }) }, 'All jobs')),
    h('div', { class: 'actions', role: 'group', 'aria-label': 'Actions' }, actionButtons),
    problemSlot,
    statusSlot,
    h(
      'div',
      { class: 'job-columns' },
      h('section', { 'aria-labelledby': 'job-fields-heading', class: 'panel' }, h('h3', { id: 'job-fields-heading' }, 'Fields'), h('dl', { class: 'fields' }, JOB_FIELDS.map((name) => [h('dt', {}, name), fieldValues.get(name)]))),
      h(
        'div',
        { class: 'job-side' },
        h('section', { 'aria-labelledby': 'job-payload-heading', class: 'panel' }, h('h3', { id: 'job-payload-heading' }, 'Payload'), payload),
        h('section', { 'aria-labelledby': 'job-result-heading', class: 'panel' }, h('h3', { id: 'job-result-heading' }, 'Result'), result),
        h(
          'section',
          { 'aria-labelledby': 'job-webhook-heading', class: 'panel' },
          h('h3', { id: 'job-webhook-heading' }, 'Webhook'),
          h('dl', { class: 'fields' }, WEBHOOK_FIELDS.map((name) => [h('dt', {}, name), webhookValues.get(name)])),
        ),
        h('section', { 'aria-labelledby': 'job-attempts-heading', class: 'panel' }, h('h3', { id: 'job-attempts-heading' }, 'Attempts'), attempts, noAttempts),
      ),
    ),
    dialog,
  );

  function showProblem(error: unknown): void {
    if (isAbort(error) || handledKeyRefusal(session, error)) return;
    replaceContent(problemSlot, alertMessage(describeFailure(error)));
  }

  function showJob(next: Job, history: readonly Attempt[]): void {
    job = next;
    for (const name of JOB_FIELDS) setText(fieldValues.get(name) as HTMLElement, textOf(next[name]));
    for (const name of WEBHOOK_FIELDS) setText(webhookValues.get(name) as HTMLElement, textOf(next.webhook[name]));
    setText(payload, JSON.stringify(next.payload, null, 2));
    setText(result, JSON.stringify(next.result, null, 2));
    replaceContent(attempts, history.map(attemptItem));
    noAttempts.hidden = history.length > 0;
  }

  async function load(signal: AbortSignal): Promise<void> {
    const [next, history] = await Promise.all([session.client.jobs.get(jobId, { signal }), session.client.jobs.attempts(jobId, { signal })]);
    if (signal.aborted) return;
    replaceContent(problemSlot);
    showJob(next, history.items);
  }

  async function act(action: JobAction): Promise<void> {
    replaceContent(problemSlot);
    setText(statusSlot, '');
    try {
      const jobs = session.client.jobs;
      const signal = stopped.signal;
      if (action === 'cancel') await jobs.cancel(jobId, { signal });
      else if (action === 'retry') await jobs.retry(jobId, { signal });
      else if (action === 'redeliver') await jobs.redeliver(jobId, { signal });
      else {
        await jobs.delete(jobId, { signal });
        gone = true;
        location.hash = hrefOf({ view: 'jobs', status: 'queued', type: null });
        return;
      }
      setText(statusSlot, ACTIONS[action].done);
      await load(signal);
    } catch (error) {
      showProblem(error);
    }
  }

  /** Nothing about the job changes by itself any more: terminal, and no webhook try to come. */
  const settled = () => job !== null && TERMINAL_STATUSES.includes(job.status) && job.webhook.status !== 'pending';

  load(stopped.signal).catch(showProblem);
  const stopRefresh = startRefresh(async (signal) => {
    if (gone || settled()) return;
    await load(signal).catch(showProblem);
  });

  return {
    element,
    dispose() {
      stopRefresh();
      stopped.abort();
      if (dialog.open) dialog.close();
    },
  };
}

function attemptItem(attempt: Attempt): HTMLLIElement {
  return h(
    'li',
    { 'data-attempt': attempt.attempt, 'data-status': attempt.status, class: `attempt attempt-${attempt.status}` },
    h('p', { class: 'attempt-title' }, h('strong', {}, `Attempt ${attempt.attempt}`), ' ', h('span', { class: `status status-${attempt.status}` }, attempt.status)),
    h(
      'dl',
      { class: 'attempt-times' },
      h('dt', {}, 'Started'),
      h('dd', { 'data-field': 'startedAt' }, h('time', { datetime: attempt.startedAt }, attempt.startedAt)),
      h('dt', {}, 'Finished'),
      h('dd', { 'data-field': 'finishedAt' }, attempt.finishedAt === null ? NONE : h('time', { datetime: attempt.finishedAt }, attempt.finishedAt)),
      h('dt', {}, 'Duration'),
      h('dd', { 'data-field': 'durationMs' }, attempt.durationMs === null ? NONE : `${attempt.durationMs} ms`),
    ),
    attempt.error === null ? null : h('pre', { class: 'attempt-error', 'data-field': 'error' }, attempt.error),
  );
}

function textOf(value: string | number | null): string {
  return value === null ? NONE : String(value);
}
