/**
 * Jobs by status (`#/jobs?status=…&type=…`): six tabs (WAI-ARIA tabs, roving tabindex,
 * arrow keys, Home/End), each named by its status and the count of jobs listed
 * (`queued 25+` while more pages exist); a filter by job type; the table of the
 * current tab's jobs, newest first, more pages by cursor as the end scrolls into
 * view (or with "Load more"). Refreshed every 3 s while the tab is visible: the
 * pages shown are read again and rows are updated in place, so focus and scroll stay.
 */
import type { JobStatus, JobSummary } from '../../client/types';
import { alertMessage, describeFailure, handledKeyRefusal, isAbort, type ConsoleSession, type ConsoleView } from './console-session';
import { h, replaceContent, setAttributes, setText } from './dom';
import { startRefresh } from './refresh';
import { hrefOf, JOB_STATUSES, type Route } from './routes';

/** Jobs per page, as the API's default. */
const PAGE_SIZE = 25;
/** The largest page the API gives. */
const MAX_PAGE_SIZE = 100;

interface Listing {
  readonly status: JobStatus;
  readonly type: string | null;
}

interface TabCount {
  readonly listed: number;
  readonly more: boolean;
}

export function mountJobsView(session: ConsoleSession, route: Extract<Route, { view: 'jobs' }>): ConsoleView {
  let listing: Listing = { status: route.status, type: route.type };
  let rows: JobSummary[] = [];
  let nextCursor: string | null = null;
  let loaded = false;
  let loadingMore = false;
  /** Aborted when the listing changes or the view goes: answers for an old listing are dropped. */
  let query = new AbortController();
  const counts = new Map<JobStatus, TabCount>();
  const rowsById = new Map<string, HTMLTableRowElement>();

  const tabs = new Map(
    JOB_STATUSES.map((status) => [
      status,
      h('button', { type: 'button', role: 'tab', id: `jobs-tab-${status}`, 'aria-controls': 'jobs-panel', class: `tab status-${status}` }, status, ' ', h('span', { class: 'tab-count' })),
    ]),
  );
  const tablist = h('div', { role: 'tablist', 'aria-label': 'Job status', class: 'tabs' }, [...tabs.values()]);
  const typeSelect = h(
    'select',
    { id: 'jobs-type-filter' },
    h('option', { value: '' }, 'All types'),
    session.jobTypes.map((jobType) => h('option', { value: jobType.type }, jobType.type)),
  );
  const tbody = h('tbody');
  const table = h(
    'table',
    { 'aria-label': 'Jobs', class: 'jobs-table' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Job'), h('th', { scope: 'col' }, 'Type'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Attempts'), h('th', { scope: 'col' }, 'Created'))),
    tbody,
  );
  const empty = h('p', { class: 'empty', hidden: true });
  const problemSlot = h('div', { class: 'problem-slot' });
  const loadMoreButton = h('button', { type: 'button', class: 'load-more', hidden: true }, 'Load more');
  const sentinel = h('div', { class: 'sentinel', 'aria-hidden': 'true' });
  const panel = h('div', { role: 'tabpanel', id: 'jobs-panel', class: 'jobs-panel' }, problemSlot, h('div', { class: 'table-scroll' }, table), empty, loadMoreButton, sentinel);
  const element = h(
    'section',
    { class: 'view jobs-view', 'aria-labelledby': 'jobs-heading' },
    h('div', { class: 'view-heading' }, h('h2', { id: 'jobs-heading', tabindex: '-1' }, 'Jobs'), h('div', { class: 'filter' }, h('label', { for: 'jobs-type-filter' }, 'Type'), typeSelect)),
    tablist,
    panel,
  );

  const go = (next: Listing) => {
    location.hash = hrefOf({ view: 'jobs', status: next.status, type: next.type });
  };

  tablist.addEventListener('click', (event) => {
    const tab = (event.target as Element).closest('[role="tab"]');
    const status = JOB_STATUSES.find((candidate) => tabs.get(candidate) === tab);
    if (status !== undefined) go({ ...listing, status });
  });
  tablist.addEventListener('keydown', (event) => {
    const index = JOB_STATUSES.indexOf(listing.status);
    const last = JOB_STATUSES.length - 1;
    const target = { ArrowRight: index === last ? 0 : index + 1, ArrowLeft: index === 0 ? last : index - 1, Home: 0, End: last }[event.key];
    if (target === undefined) return;
    event.preventDefault();
    const status = JOB_STATUSES[target];
    tabs.get(status)?.focus();
    go({ ...listing, status });
  });
  typeSelect.addEventListener('change', () => go({ ...listing, type: typeSelect.value === '' ? null : typeSelect.value }));
  loadMoreButton.addEventListener('click', () => void loadMore());

  const observer = new IntersectionObserver((entries) => {
    if (entries.some((entry) => entry.isIntersecting)) void loadMore();
  });
  observer.observe(sentinel);

  function showListing(): void {
    for (const [status, tab] of tabs) {
      const selected = status === listing.status;
      setAttributes(tab, { 'aria-selected': String(selected), tabindex: selected ? '0' : '-1' });
    }
    setAttributes(panel, { 'aria-labelledby': `jobs-tab-${listing.status}` });
    if (listing.type !== null && ![...typeSelect.options].some((option) => option.value === listing.type)) {
      typeSelect.append(h('option', { value: listing.type }, listing.type));
    }
    typeSelect.value = listing.type ?? '';
  }

  function showCounts(): void {
    counts.set(listing.status, { listed: rows.length, more: nextCursor !== null });
    for (const [status, tab] of tabs) {
      const count = counts.get(status);
      const badge = tab.querySelector('.tab-count');
      if (badge) setText(badge, count === undefined ? '' : `${count.listed}${count.more ? '+' : ''}`);
    }
  }

  function showRows(): void {
    const seen = new Set<string>();
    rows.forEach((job, index) => {
      seen.add(job.jobId);
      const row = rowsById.get(job.jobId) ?? newRow(job.jobId);
      rowsById.set(job.jobId, row);
      fillRow(row, job);
      // Moving a row that holds focus would blur it: only rows out of place move.
      if (tbody.children[index] !== row) tbody.insertBefore(row, tbody.children[index] ?? null);
    });
    for (const [jobId, row] of rowsById) {
      if (!seen.has(jobId)) {
        row.remove();
        rowsById.delete(jobId);
      }
    }
    empty.hidden = !loaded || rows.length > 0;
    setText(empty, `No ${listing.status} jobs${listing.type === null ? '' : ` of type ${listing.type}`}.`);
    loadMoreButton.hidden = nextCursor === null;
    showCounts();
  }

  function showProblem(error: unknown): void {
    if (isAbort(error) || handledKeyRefusal(session, error)) return;
    replaceContent(problemSlot, alertMessage(describeFailure(error)));
  }

  /** Reads the current tab's pages again (as many jobs as are shown) and the other tabs' first pages. */
  async function refresh(signal: AbortSignal): Promise<void> {
    const { status, type } = listing;
    const wanted = Math.max(PAGE_SIZE, rows.length);
    const limit = Math.min(MAX_PAGE_SIZE, wanted);
    const fresh: JobSummary[] = [];
    let cursor: string | undefined;
    let more: string | null;
    do {
      const page = await session.client.jobs.listPage({ status, limit, cursor, signal, ...(type === null ? {} : { type }) });
      fresh.push(...page.items);
      more = page.nextCursor;
      cursor = more ?? undefined;
    } while (cursor !== undefined && fresh.length < wanted);
    if (signal.aborted) return;
    rows = fresh;
    nextCursor = more;
    loaded = true;
    replaceContent(problemSlot);
    showRows();
    const others = await Promise.all(
      JOB_STATUSES.filter((other) => other !== status).map(async (other) => {
        const page = await session.client.jobs.listPage({ status: other, limit: PAGE_SIZE, signal, ...(type === null ? {} : { type }) });
        return [other, { listed: page.items.length, more: page.nextCursor !== null }] as const;
      }),
    );
    if (signal.aborted) return;
    for (const [other, count] of others) counts.set(other, count);
    showCounts();
  }

  async function loadMore(): Promise<void> {
    if (nextCursor === null || loadingMore) return;
    loadingMore = true;
    const signal = query.signal;
    const { status, type } = listing;
    try {
      const page = await session.client.jobs.listPage({ status, limit: PAGE_SIZE, cursor: nextCursor, signal, ...(type === null ? {} : { type }) });
      if (signal.aborted) return;
      const known = new Set(rows.map((job) => job.jobId));
      rows = [...rows, ...page.items.filter((job) => !known.has(job.jobId))];
      nextCursor = page.nextCursor;
      showRows();
    } catch (error) {
      showProblem(error);
    } finally {
      loadingMore = false;
    }
    // The sentinel may still be in view (a tall screen): observing it again reports it afresh.
    observer.unobserve(sentinel);
    observer.observe(sentinel);
  }

  function startListing(): void {
    query.abort();
    query = new AbortController();
    rows = [];
    nextCursor = null;
    loaded = false;
    counts.clear();
    replaceContent(problemSlot);
    showListing();
    showRows();
    refresh(query.signal).catch(showProblem);
  }

  startListing();
  const stopRefresh = startRefresh(async (signal) => {
    const current = query.signal;
    await refresh(AbortSignal.any([signal, current])).catch(showProblem);
  });

  return {
    element,
    update(next) {
      if (next.view !== 'jobs') return false;
      if (next.status !== listing.status || next.type !== listing.type) {
        listing = { status: next.status, type: next.type };
        startListing();
      }
      return true;
    },
    dispose() {
      stopRefresh();
      query.abort();
      observer.disconnect();
    },
  };
}

function newRow(jobId: string): HTMLTableRowElement {
  return h(
    'tr',
    { 'data-job-id': jobId },
    h('td', { 'data-label': 'Job', 'data-field': 'jobId' }, h('a', { href: hrefOf({ view: 'job', jobId }), class: 'job-id' }, jobId)),
    h('td', { 'data-label': 'Type', 'data-field': 'type' }),
    h('td', { 'data-label': 'Status', 'data-field': 'status' }, h('span', { class: 'status' })),
    h('td', { 'data-label': 'Attempts', 'data-field': 'attempts' }),
    h('td', { 'data-label': 'Created', 'data-field': 'createdAt' }, h('time')),
  );
}

function fillRow(row: HTMLTableRowElement, job: JobSummary): void {
  const [, type, status, attempts, created] = row.cells;
  setText(type, job.type);
  const badge = status.firstElementChild;
  if (badge) {
    setText(badge, job.status);
    setAttributes(badge, { class: `status status-${job.status}` });
  }
  setText(attempts, `${job.attempts} / ${job.maxAttempts}`);
  const time = created.firstElementChild;
  if (time) {
    setAttributes(time, { datetime: job.createdAt });
    setText(time, job.createdAt);
  }
}
