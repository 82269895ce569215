/**
 * The console's addresses, all in `location.hash` so that the page itself stays one
 * URL (`<base>/console`) and a link to a job can be shared (`/console#/jobs/<id>`):
 *   #/jobs                         jobs by status (queued first)
 *   #/jobs?status=<s>&type=<t>     one status tab, optionally one job type
 *   #/jobs/<jobId>                 one job
 *   #/submit                       the submit form
 * Pure: parsed and written without the DOM, tested in test/console/routes.test.ts.
 */
import type { JobStatus } from '../../client/types';

/** The tabs, in the order a job usually moves through them. */
export const JOB_STATUSES: readonly JobStatus[] = ['queued', 'running', 'retry', 'succeeded', 'fatal', 'canceled'];

export type Route =
  | { readonly view: 'jobs'; readonly status: JobStatus; readonly type: string | null }
  | { readonly view: 'job'; readonly jobId: string }
  | { readonly view: 'submit' };

export const DEFAULT_ROUTE: Route = { view: 'jobs', status: 'queued', type: null };

/** What a hash names; anything unknown is the default route. */
export function parseRoute(hash: string): Route {
  const [path = '', query = ''] = hash.replace(/^#/, '').split('?', 2);
  const segments = path.split('/').filter((segment) => segment !== '');
  if (segments[0] === 'submit' && segments.length === 1) return { view: 'submit' };
  if (segments[0] !== 'jobs') return DEFAULT_ROUTE;
  if (segments.length === 2) {
    const jobId = safeDecode(segments[1]);
    return jobId === null ? DEFAULT_ROUTE : { view: 'job', jobId };
  }
  if (segments.length > 2) return DEFAULT_ROUTE;
  const params = new URLSearchParams(query);
  const status = params.get('status');
  const type = params.get('type');
  return {
    view: 'jobs',
    status: JOB_STATUSES.find((known) => known === status) ?? 'queued',
    type: type === null || type === '' ? null : type,
  };
}

/** The hash of a route (`#/…`), the inverse of parseRoute. */
export function hrefOf(route: Route): string {
  switch (route.view) {
    case 'submit':
      return '#/submit';
    case 'job':
      return `#/jobs/${encodeURIComponent(route.jobId)}`;
    case 'jobs': {
      const params = new URLSearchParams();
      if (route.status !== 'queued' || route.type !== null) params.set('status', route.status);
      if (route.type !== null) params.set('type', route.type);
      const query = params.toString();
      return query === '' ? '#/jobs' : `#/jobs?${query}`;
    }
  }
}

function safeDecode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}
