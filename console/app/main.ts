/**
 * The web console (SPEC §16), as the page starts: read config.json, ask for an API key
 * unless this tab has one (sessionStorage only), check it with a keyed call, then the
 * header ("Submit a job", "Forget key"), the health strip and the view the hash names
 * (./routes.ts), swapped as the hash changes. Every data call goes through the typed
 * client over the public API with that key.
 */
// The client's modules, not its index (see ./console-session.ts).
import { JobsApiError } from '../../client/errors';
import { JobsClient } from '../../client/jobs-client';
import { apiBaseUrl, loadConsoleConfig, type ConsoleConfig } from './console-config';
import { alertMessage, describeFailure, type ConsoleSession, type ConsoleView } from './console-session';
import { h, replaceContent } from './dom';
import { mountHealthStrip } from './health-strip';
import { mountJobView } from './job-view';
import { mountJobsView } from './jobs-view';
import { parseRoute, type Route } from './routes';
import { forgetSessionKey, readSessionKey, storeSessionKey } from './session-key';
import { mountSubmitView } from './submit-view';

async function boot(): Promise<void> {
  const main = document.querySelector('main') ?? document.body.appendChild(h('main'));
  const baseUrl = apiBaseUrl(location.href);
  const config = await loadConsoleConfig(baseUrl);
  const stored = readSessionKey();
  if (stored === null) showKeyPrompt(main, baseUrl, config, null);
  else await signIn(main, baseUrl, config, stored, { fromStorage: true });
}

/** Checks `apiKey` with a keyed call (the job types, which every view needs); a refusal keeps the prompt. */
async function signIn(main: HTMLElement, baseUrl: string, config: ConsoleConfig, apiKey: string, options: { fromStorage: boolean }): Promise<string | null> {
  const client = new JobsClient({ baseUrl, apiKey });
  try {
    const { items } = await client.jobTypes.list();
    storeSessionKey(apiKey);
    openConsole(main, { client, baseUrl, apiKey, jobTypes: items, keyRefused: () => undefined }, config);
    return null;
  } catch (error) {
    const message = error instanceof JobsApiError && error.status === 403 ? `The service refused this API key: ${error.detail}` : describeFailure(error);
    if (options.fromStorage) {
      if (error instanceof JobsApiError && error.status === 403) forgetSessionKey();
      showKeyPrompt(main, baseUrl, config, message);
    }
    return message;
  }
}

function showKeyPrompt(main: HTMLElement, baseUrl: string, config: ConsoleConfig, problem: string | null): void {
  document.querySelector('body > header')?.remove();
  const input = h('input', { type: 'password', id: 'api-key', name: 'api-key', autocomplete: 'off', spellcheck: 'false', required: true });
  const problemSlot = h('div', { class: 'problem-slot' }, problem === null ? null : alertMessage(problem));
  const openButton = h('button', { type: 'submit', class: 'primary' }, 'Open console');
  const form = h(
    'form',
    { class: 'key-prompt', novalidate: true, 'aria-labelledby': 'key-heading' },
    h('h1', { id: 'key-heading' }, 'Jobs console'),
    h('p', { class: 'hint' }, 'Enter your tenant’s API key. It stays in this tab (sessionStorage) until you close it or forget it.'),
    h('div', { class: 'field' }, h('label', { for: 'api-key' }, 'API key'), input),
    problemSlot,
    h('div', { class: 'form-buttons' }, openButton),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const apiKey = input.value.trim();
    if (apiKey === '') {
      replaceContent(problemSlot, alertMessage('Enter an API key.'));
      input.focus();
      return;
    }
    openButton.disabled = true;
    replaceContent(problemSlot);
    void signIn(main, baseUrl, config, apiKey, { fromStorage: false }).then((refused) => {
      openButton.disabled = false;
      if (refused === null) return;
      replaceContent(problemSlot, alertMessage(refused));
      input.select();
    });
  });
  replaceContent(main, form);
  input.focus();
}

function openConsole(main: HTMLElement, signedIn: ConsoleSession, config: ConsoleConfig): void {
  let view: ConsoleView | null = null;
  const viewSlot = h('div', { class: 'view-slot' });
  const forgetButton = h('button', { type: 'button' }, 'Forget key');
  const header = h(
    'header',
    { class: 'console-header' },
    h('p', { class: 'brand' }, h('a', { href: '#/jobs' }, 'Jobs console')),
    h('nav', { 'aria-label': 'Console' }, h('a', { href: '#/jobs' }, 'Jobs'), h('a', { href: '#/submit' }, 'Submit a job')),
    forgetButton,
  );

  const leave = (problem: string | null) => {
    window.removeEventListener('hashchange', onHashChange);
    view?.dispose();
    view = null;
    health?.dispose();
    forgetSessionKey();
    showKeyPrompt(main, signedIn.baseUrl, config, problem);
  };
  const session: ConsoleSession = { ...signedIn, keyRefused: (detail) => leave(`The service refused this API key: ${detail}`) };
  const health = mountHealthStrip(session, config);

  const show = (route: Route, moveFocus: boolean) => {
    if (view?.update?.(route)) return;
    view?.dispose();
    view = mountView(session, route);
    replaceContent(viewSlot, view.element);
    // A new view is announced by moving to its heading (the link that led here may be gone).
    if (moveFocus) view.element.querySelector<HTMLElement>('h2')?.focus();
  };
  const onHashChange = () => show(parseRoute(location.hash), true);

  forgetButton.addEventListener('click', () => leave(null));
  window.addEventListener('hashchange', onHashChange);
  document.querySelector('body > header')?.remove();
  document.body.prepend(header);
  replaceContent(main, health?.element ?? null, viewSlot);
  show(parseRoute(location.hash), false);
}

function mountView(session: ConsoleSession, route: Route): ConsoleView {
  switch (route.view) {
    case 'jobs':
      return mountJobsView(session, route);
    case 'job':
      return mountJobView(session, route);
    case 'submit':
      return mountSubmitView(session);
  }
}

void boot();
