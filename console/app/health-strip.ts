/**
 * The service's health beside every view. On the twin: what the CloudWatch dashboard
 * shows on AWS (each queue's depth and oldest message age, each DLQ's depth, the
 * sweep's overdue age, jobs created/succeeded/fatal per minute), read every 3 s from
 * the twin-only route config.json names (`GET <base>/twin/health`, with the key). On
 * AWS: a link to the stack's dashboard. Each figure is in a `[data-metric]` element
 * whose text is the number alone, or "–" when there is none.
 */
import type { ConsoleConfig } from './console-config';
import type { ConsoleSession } from './console-session';
import { h, replaceContent, type Child } from './dom';
import { startRefresh } from './refresh';

/** The twin's health document (the health route's contract, console/CONSOLE design). */
interface TwinHealth {
  readonly generatedAt: string;
  readonly queues: readonly {
    readonly name: string;
    readonly depth: number;
    readonly inFlight: number;
    readonly oldestAgeSeconds: number | null;
    readonly dlqDepth: number;
  }[];
  readonly sweep: { readonly overdueSeconds: number | null };
  readonly jobsPerMinute: readonly { readonly minute: string; readonly created: number; readonly succeeded: number; readonly fatal: number }[];
}

const NONE = '–';

/** The strip, or null when config.json names neither a health route nor a dashboard. */
export function mountHealthStrip(session: ConsoleSession, config: ConsoleConfig): { element: HTMLElement; dispose(): void } | null {
  if (config.healthUrl === null && config.dashboardUrl !== null) {
    const element = h(
      'section',
      { 'aria-label': 'Service health', class: 'health-strip' },
      h('a', { href: config.dashboardUrl, target: '_blank', rel: 'noopener noreferrer' }, 'CloudWatch dashboard'),
    );
    return { element, dispose: () => undefined };
  }
  if (config.healthUrl === null) return null;

  const healthUrl = new URL(config.healthUrl, `${session.baseUrl}/`).href;
  const body = h('div', { class: 'health-body' }, h('p', { class: 'hint' }, 'Reading the twin’s health…'));
  const element = h('section', { 'aria-label': 'Service health', class: 'health-strip' }, h('h2', { class: 'strip-title' }, 'Service health'), body);

  async function refresh(signal: AbortSignal): Promise<void> {
    try {
      const response = await fetch(healthUrl, { headers: { 'x-api-key': session.apiKey, accept: 'application/json' }, signal });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const health = (await response.json()) as TwinHealth;
      if (!signal.aborted) replaceContent(body, drawHealth(health));
    } catch (error) {
      if (signal.aborted) return;
      replaceContent(body, h('p', { class: 'hint' }, `Health unavailable (${error instanceof Error ? error.message : String(error)}).`));
    }
  }

  const first = new AbortController();
  void refresh(first.signal);
  const stopRefresh = startRefresh(refresh);
  return {
    element,
    dispose() {
      first.abort();
      stopRefresh();
    },
  };
}

function drawHealth(health: TwinHealth): Child[] {
  const latest = health.jobsPerMinute.at(-1);
  const peak = Math.max(1, ...health.jobsPerMinute.map((minute) => minute.created));
  return [
    health.queues.map((queue) =>
      metricGroup(`${queue.name} queue`, [
        ['depth', `${queue.name}.depth`, queue.depth],
        ['in flight', `${queue.name}.inFlight`, queue.inFlight],
        ['oldest (s)', `${queue.name}.oldestAgeSeconds`, queue.oldestAgeSeconds],
        ['DLQ', `${queue.name}.dlqDepth`, queue.dlqDepth],
      ]),
    ),
    metricGroup('sweep', [['overdue (s)', 'sweep.overdueSeconds', health.sweep.overdueSeconds]]),
    metricGroup(
      'jobs this minute',
      [
        ['created', 'jobsPerMinute.created', latest?.created ?? null],
        ['succeeded', 'jobsPerMinute.succeeded', latest?.succeeded ?? null],
        ['fatal', 'jobsPerMinute.fatal', latest?.fatal ?? null],
      ],
      h(
        'div',
        { class: 'bars', role: 'img', 'aria-label': `Jobs created per minute, last ${health.jobsPerMinute.length} minutes` },
        health.jobsPerMinute.map((minute) => {
          const bar = h('span', { class: minute.fatal > 0 ? 'bar has-fatal' : 'bar', title: `${minute.minute.slice(11, 16)} UTC: ${minute.created} created, ${minute.succeeded} succeeded, ${minute.fatal} fatal` });
          // CSSOM, not a style attribute: the page's CSP allows no inline style.
          bar.style.setProperty('--level', String(minute.created / peak));
          return bar;
        }),
      ),
    ),
  ];
}

function metricGroup(title: string, metrics: readonly (readonly [label: string, metric: string, value: number | null])[], extra: Child = null): HTMLElement {
  return h(
    'div',
    { class: 'metric-group' },
    h('h3', {}, title),
    h(
      'dl',
      {},
      metrics.map(([label, metric, value]) => h('div', { class: 'metric' }, h('dt', {}, label), h('dd', { 'data-metric': metric }, value === null ? NONE : String(value)))),
    ),
    extra,
  );
}
