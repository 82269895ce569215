/**
 * Submit a job (`#/submit`): a form per job type, drawn from the type's payload JSON
 * Schema (./submit-form.ts decides the controls and reads them back), plus the
 * optional idempotency key, webhook URL, delay and max attempts. The service judges
 * the submission (the form has `novalidate`): a 400's field problems are shown next
 * to their controls (`[data-error-for="<path>"]`, the control `aria-invalid`), the
 * rest in an alert. A created (or replayed) job opens its view.
 */
import { JobsApiError } from '../../client/errors';
import { alertMessage, describeFailure, handledKeyRefusal, type ConsoleSession, type ConsoleView, type JobTypeDescription } from './console-session';
import { h, replaceContent, setAttributes, type Child } from './dom';
import { hrefOf } from './routes';
import {
  ENVELOPE_PATHS,
  fieldsFromSchema,
  pathsOf,
  payloadFromForm,
  placeProblems,
  submissionFromForm,
  type ControlValue,
  type FieldProblem,
  type FormField,
} from './submit-form';

/** A drawn field: its control (or fieldset) and where its problems go. */
interface DrawnField {
  readonly control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement | HTMLFieldSetElement;
  readonly errorSlot: HTMLElement;
  readonly describedBy: string;
}

export function mountSubmitView(session: ConsoleSession): ConsoleView {
  let nextId = 0;
  const newId = () => `submit-field-${(nextId += 1)}`;
  let fields: readonly FormField[] = [];
  const drawn = new Map<string, DrawnField>();
  const stopped = new AbortController();

  const typeSelect = h('select', { id: 'submit-type', name: 'type' }, session.jobTypes.map((jobType) => h('option', { value: jobType.type }, jobType.type)));
  const typeDescription = h('p', { id: 'submit-type-description', class: 'hint' });
  setAttributes(typeSelect, { 'aria-describedby': 'submit-type-description' });
  const payloadSet = h('fieldset', { class: 'payload' });
  const envelope = {
    idempotencyKey: textInput('text', { autocomplete: 'off', maxlength: 255 }),
    webhookUrl: textInput('url', { placeholder: 'https://hooks.example.com/jobs', autocomplete: 'off' }),
    delaySeconds: textInput('number', { min: 0, max: 604800, step: 1, inputmode: 'numeric', placeholder: '0' }),
    maxAttempts: textInput('number', { min: 1, max: 25, step: 1, inputmode: 'numeric', placeholder: 'default: 5' }),
  };
  const envelopeLabels: Readonly<Record<keyof typeof envelope, string>> = {
    idempotencyKey: 'Idempotency key',
    webhookUrl: 'Webhook URL',
    delaySeconds: 'Delay (seconds)',
    maxAttempts: 'Max attempts',
  };
  const envelopeSet = h(
    'fieldset',
    { class: 'options' },
    h('legend', {}, 'Options'),
    (Object.keys(envelope) as (keyof typeof envelope)[]).map((name) => fieldRow(ENVELOPE_PATHS[name], envelopeLabels[name], envelope[name], false, null)),
  );
  const problemSlot = h('div', { class: 'problem-slot' });
  const submitButton = h('button', { type: 'submit', class: 'primary' }, 'Submit');
  const form = h(
    'form',
    { novalidate: true, class: 'submit-form', 'aria-labelledby': 'submit-heading' },
    h('div', { class: 'field' }, h('label', { for: 'submit-type' }, 'Job type'), typeSelect, typeDescription),
    payloadSet,
    envelopeSet,
    problemSlot,
    h('div', { class: 'form-buttons' }, submitButton),
  );
  const element = h('section', { class: 'view submit-view', 'aria-labelledby': 'submit-heading' }, h('div', { class: 'view-heading' }, h('h2', { id: 'submit-heading', tabindex: '-1' }, 'Submit a job')), form);

  function textInput(type: 'text' | 'url' | 'number' | 'email', attributes: Record<string, string | number>): HTMLInputElement {
    return h('input', { type, ...attributes });
  }

  /** A label, its control, its hint and the slot its problems go to; registered under `path`. */
  function fieldRow(path: string, label: string, control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, required: boolean, description: string | null): HTMLElement {
    const id = newId();
    const hintId = `${id}-hint`;
    const errorSlot = h('div', { class: 'error-slot', id: `${id}-errors` });
    setAttributes(control, { id, name: path, required, 'aria-describedby': description === null ? null : hintId });
    drawn.set(path, { control, errorSlot, describedBy: description === null ? '' : hintId });
    const isCheckbox = control instanceof HTMLInputElement && control.type === 'checkbox';
    // The label holds the property's name alone (its accessible name); "required" is told beside it
    // to the eye and by the control's `required` to assistive technology.
    const labelRow = h('span', { class: 'label-row' }, h('label', { for: id }, label), required ? h('span', { class: 'required', 'aria-hidden': 'true' }, 'required') : null);
    return h(
      'div',
      { class: isCheckbox ? 'field checkbox' : 'field', 'data-path': path },
      isCheckbox ? [control, labelRow] : [labelRow, control],
      description === null ? null : h('p', { class: 'hint', id: hintId }, description),
      errorSlot,
    );
  }

  function drawField(field: FormField): HTMLElement {
    const control = field.control;
    switch (control.kind) {
      case 'text':
        return fieldRow(field.path, field.name, h('input', { type: control.inputType, placeholder: control.placeholder, autocomplete: 'off' }), field.required, field.description);
      case 'select':
        return fieldRow(
          field.path,
          field.name,
          h(
            'select',
            {},
            h('option', { value: '' }, control.defaultOption === null ? '(none)' : `(default: ${control.defaultOption})`),
            control.options.map((option) => h('option', { value: option }, option)),
          ),
          field.required,
          field.description,
        );
      case 'number':
        return fieldRow(
          field.path,
          field.name,
          h('input', { type: 'number', min: control.minimum, max: control.maximum, step: control.integer ? 1 : 'any', placeholder: control.placeholder }),
          field.required,
          field.description,
        );
      case 'checkbox':
        return fieldRow(field.path, field.name, h('input', { type: 'checkbox', checked: control.defaultChecked }), field.required, field.description);
      case 'json':
        return fieldRow(
          field.path,
          field.name,
          h('textarea', { rows: field.path === 'payload' ? 8 : 3, spellcheck: 'false', placeholder: control.placeholder, class: 'json' }),
          field.required,
          field.description === null ? 'JSON.' : `${field.description} (JSON)`,
        );
      case 'fieldset': {
        const errorSlot = h('div', { class: 'error-slot' });
        const set = h(
          'fieldset',
          { 'data-path': field.path },
          h('legend', {}, field.name, field.required ? h('span', { class: 'required', 'aria-hidden': 'true' }, ' required') : null),
          field.description === null ? null : h('p', { class: 'hint' }, field.description),
          errorSlot,
          control.fields.map(drawField),
        );
        drawn.set(field.path, { control: set, errorSlot, describedBy: '' });
        return set;
      }
    }
  }

  function showType(jobType: JobTypeDescription | undefined): void {
    for (const path of pathsOf(fields)) drawn.delete(path);
    fields = jobType === undefined ? [] : fieldsFromSchema(jobType.schema);
    replaceContent(typeDescription, jobType?.description ?? '');
    const children: Child[] = [h('legend', {}, 'Payload'), fields.map(drawField)];
    replaceContent(payloadSet, ...children);
    clearProblems();
  }

  function read(path: string): ControlValue | undefined {
    const control = drawn.get(path)?.control;
    if (control instanceof HTMLInputElement) return control.type === 'checkbox' ? control.checked : control.value;
    if (control instanceof HTMLSelectElement || control instanceof HTMLTextAreaElement) return control.value;
    return undefined;
  }

  function clearProblems(): void {
    replaceContent(problemSlot);
    for (const { control, errorSlot, describedBy } of drawn.values()) {
      replaceContent(errorSlot);
      if (!(control instanceof HTMLFieldSetElement)) setAttributes(control, { 'aria-invalid': null, 'aria-describedby': describedBy === '' ? null : describedBy });
    }
  }

  /** Shows each placed problem at its control; returns the first control to focus. */
  function showPlaced(placed: ReadonlyMap<string, readonly string[]>): HTMLElement | null {
    let first: HTMLElement | null = null;
    for (const [path, messages] of placed) {
      const target = drawn.get(path);
      if (target === undefined) continue;
      replaceContent(target.errorSlot, messages.map((message) => h('p', { class: 'field-error', 'data-error-for': path }, message)));
      if (!(target.control instanceof HTMLFieldSetElement)) {
        setAttributes(target.control, { 'aria-invalid': 'true', 'aria-describedby': [target.describedBy, target.errorSlot.id].filter((id) => id !== '').join(' ') });
      }
      first ??= target.control instanceof HTMLFieldSetElement ? (target.control.querySelector('input, select, textarea') ?? null) : target.control;
    }
    return first;
  }

  function showProblems(problems: readonly FieldProblem[], detail: string | null): void {
    const { placed, unplaced } = placeProblems({ code: 'validation_failed', detail: detail ?? '', errors: problems }, [...drawn.keys()]);
    const first = showPlaced(placed);
    if (unplaced.length > 0) replaceContent(problemSlot, alertMessage(detail ?? unplaced.map((problem) => `${problem.path}: ${problem.message}`).join('; ')));
    first?.focus();
  }

  async function submit(): Promise<void> {
    clearProblems();
    const type = typeSelect.value;
    const { payload, problems: payloadProblems } = payloadFromForm(fields, read);
    const { submission, idempotencyKey, problems: envelopeProblems } = submissionFromForm(type, payload, {
      idempotencyKey: envelope.idempotencyKey.value,
      webhookUrl: envelope.webhookUrl.value,
      delaySeconds: envelope.delaySeconds.value,
      maxAttempts: envelope.maxAttempts.value,
    });
    const problems = [...payloadProblems, ...envelopeProblems];
    if (problems.length > 0) {
      showProblems(problems, null);
      return;
    }
    submitButton.disabled = true;
    try {
      const { job } = await session.client.jobs.submit(submission, { signal: stopped.signal, ...(idempotencyKey === null ? {} : { idempotencyKey }) });
      location.hash = hrefOf({ view: 'job', jobId: job.jobId });
    } catch (error) {
      if (stopped.signal.aborted || handledKeyRefusal(session, error)) return;
      if (!(error instanceof JobsApiError)) {
        replaceContent(problemSlot, alertMessage(describeFailure(error)));
        return;
      }
      const { placed, unplaced } = placeProblems(error, [...drawn.keys()]);
      const first = showPlaced(placed);
      // A problem without field problems (or with some no control shows) is told in full.
      if (unplaced.length > 0 || error.errors.length === 0) replaceContent(problemSlot, alertMessage(error.detail));
      first?.focus();
    } finally {
      submitButton.disabled = false;
    }
  }

  typeSelect.addEventListener('change', () => showType(session.jobTypes.find((jobType) => jobType.type === typeSelect.value)));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void submit();
  });
  showType(session.jobTypes[0]);

  return {
    element,
    dispose() {
      stopped.abort();
    },
  };
}
