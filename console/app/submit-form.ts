/**
 * The submit form as data, without the DOM (./submit-view.ts draws it): which control
 * each property of a job type's payload JSON Schema gets (`fieldsFromSchema`), the
 * payload the filled form means (`payloadFromForm`), the submission around it
 * (`submissionFromForm`), and where each of a 400's field problems belongs
 * (`placeProblems`). Tested in test/console/submit-form.test.ts with the real
 * schemas of GET /v1/job-types.
 *
 * Mapping (SPEC §16, console DOM contract): `string` → text input (`format: email`
 * → an email input, `enum` → a select), `integer`/`number` → a number input,
 * `boolean` → a checkbox, an object with `properties` → a nested fieldset, anything
 * else (arrays, free-form objects, untyped values) → a textarea taking JSON. A union
 * (`anyOf`/`oneOf`, e.g. email's `to`: one address or a list) takes the control of its
 * first scalar branch. A schema without properties (echo) is one JSON textarea for the
 * whole payload. Defaults are shown, not sent: an empty control leaves its property out,
 * so the service applies the type's own default.
 */
import type { JobSubmission } from '../../client/types';

/** A JSON Schema as GET /v1/job-types gives it (2020-12, from zod). */
export type JsonSchema = Readonly<Record<string, unknown>>;

export type FieldControl =
  | { readonly kind: 'text'; readonly inputType: 'text' | 'email'; readonly placeholder: string | null }
  | { readonly kind: 'select'; readonly options: readonly string[]; readonly defaultOption: string | null }
  | { readonly kind: 'number'; readonly integer: boolean; readonly minimum: number | null; readonly maximum: number | null; readonly placeholder: string | null }
  | { readonly kind: 'checkbox'; readonly defaultChecked: boolean }
  | { readonly kind: 'json'; readonly placeholder: string | null }
  | { readonly kind: 'fieldset'; readonly fields: readonly FormField[] };

export interface FormField {
  /** The property's name: the control's label. */
  readonly name: string;
  /** Where the value goes, as a 400 names it: `payload.url`, `payload.headers`. */
  readonly path: string;
  readonly required: boolean;
  readonly description: string | null;
  readonly control: FieldControl;
}

/** A value as read from a control: its text, or a checkbox's state. */
export type ControlValue = string | boolean;

/** One field problem: the console's own (a JSON textarea that does not parse) or a 400's. */
export interface FieldProblem {
  readonly path: string;
  readonly message: string;
}

/** The path of the whole payload (the single textarea of a schema without properties). */
export const PAYLOAD_PATH = 'payload';

/** The controls around the payload, by the path a 400 gives for each. */
export const ENVELOPE_PATHS = {
  idempotencyKey: 'idempotencyKey',
  webhookUrl: 'webhookUrl',
  delaySeconds: 'delaySeconds',
  maxAttempts: 'maxAttempts',
} as const;

/** The payload's controls for a job type's schema. */
export function fieldsFromSchema(schema: JsonSchema): readonly FormField[] {
  const properties = recordOf(schema.properties);
  if (properties === null || Object.keys(properties).length === 0) {
    return [{ name: PAYLOAD_PATH, path: PAYLOAD_PATH, required: true, description: 'The payload, a JSON object.', control: { kind: 'json', placeholder: '{}' } }];
  }
  return fieldsOf(schema, PAYLOAD_PATH);
}

/** Every path that has a control, nested fieldsets' included (where a 400's problems may be shown). */
export function pathsOf(fields: readonly FormField[]): string[] {
  return fields.flatMap((field) => (field.control.kind === 'fieldset' ? [field.path, ...pathsOf(field.control.fields)] : [field.path]));
}

/**
 * The payload the controls' values mean (`read(path)` gives each control's value).
 * Empty controls are left out; a JSON textarea that does not parse, or a number
 * input that holds no number, is a problem at its path instead.
 */
export function payloadFromForm(fields: readonly FormField[], read: (path: string) => ControlValue | undefined): { payload: Record<string, unknown>; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  if (fields.length === 1 && fields[0].path === PAYLOAD_PATH) {
    const text = stringOf(read(PAYLOAD_PATH)).trim();
    if (text === '') return { payload: {}, problems };
    const parsed = parseJson(text);
    if (!parsed.ok) return { payload: {}, problems: [{ path: PAYLOAD_PATH, message: parsed.message }] };
    if (typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) {
      return { payload: {}, problems: [{ path: PAYLOAD_PATH, message: 'must be a JSON object' }] };
    }
    return { payload: parsed.value as Record<string, unknown>, problems };
  }
  return { payload: objectFrom(fields, read, problems), problems };
}

/** The envelope's controls' texts, as typed. */
export interface EnvelopeValues {
  readonly idempotencyKey: string;
  readonly webhookUrl: string;
  readonly delaySeconds: string;
  readonly maxAttempts: string;
}

/** The submission (and the Idempotency-Key header) the filled form means. */
export function submissionFromForm(
  type: string,
  payload: Record<string, unknown>,
  envelope: EnvelopeValues,
): { submission: JobSubmission; idempotencyKey: string | null; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const submission: FormSubmission = { type, payload };
  const webhookUrl = envelope.webhookUrl.trim();
  if (webhookUrl !== '') submission.webhookUrl = webhookUrl;
  const delaySeconds = numberOf(envelope.delaySeconds, ENVELOPE_PATHS.delaySeconds, problems);
  if (delaySeconds !== undefined) submission.delaySeconds = delaySeconds;
  const maxAttempts = numberOf(envelope.maxAttempts, ENVELOPE_PATHS.maxAttempts, problems);
  if (maxAttempts !== undefined) submission.maxAttempts = maxAttempts;
  // The key is sent as typed (no trim): the service says whether it is a valid one.
  const idempotencyKey = envelope.idempotencyKey === '' ? null : envelope.idempotencyKey;
  // The union of the client's submission types is known per type at compile time only; the
  // type is picked at run time here, and the service judges the payload by its schema.
  return { submission: submission as JobSubmission, idempotencyKey, problems };
}

/** A submission of a type picked at run time. */
interface FormSubmission {
  type: string;
  payload: Record<string, unknown>;
  webhookUrl?: string;
  delaySeconds?: number;
  maxAttempts?: number;
}

/**
 * Where a refused submit's problems go: each field problem next to the deepest control
 * whose path is it or contains it (`payload.to.0` → `payload.to`); the rest (a path
 * without a control, such as `runAt`) are `unplaced`, for an alert. Codes that name one
 * field without an `errors` list (the URL guards, the Idempotency-Key rule) are placed at
 * that field.
 */
export function placeProblems(
  problem: { readonly code: string; readonly detail: string; readonly errors: readonly FieldProblem[] },
  paths: readonly string[],
): { placed: Map<string, string[]>; unplaced: FieldProblem[] } {
  const fieldOfCode: Readonly<Record<string, string>> = {
    invalid_webhook_url: ENVELOPE_PATHS.webhookUrl,
    invalid_target_url: 'payload.url',
    invalid_idempotency_key: ENVELOPE_PATHS.idempotencyKey,
  };
  const known = fieldOfCode[problem.code];
  const errors = problem.errors.length > 0 ? problem.errors : known === undefined ? [] : [{ path: known, message: withoutPathPrefix(problem.detail, known) }];
  const placed = new Map<string, string[]>();
  const unplaced: FieldProblem[] = [];
  for (const error of errors) {
    const target = paths.filter((path) => error.path === path || error.path.startsWith(`${path}.`)).sort((a, b) => b.length - a.length)[0];
    if (target === undefined) unplaced.push(error);
    else placed.set(target, [...(placed.get(target) ?? []), error.message]);
  }
  return { placed, unplaced };
}

function fieldsOf(schema: JsonSchema, path: string): FormField[] {
  const properties = recordOf(schema.properties) ?? {};
  const required = new Set(Array.isArray(schema.required) ? schema.required.filter((name): name is string => typeof name === 'string') : []);
  return Object.entries(properties).map(([name, value]) => {
    const property = recordOf(value) ?? {};
    const fieldPath = `${path}.${name}`;
    return {
      name,
      path: fieldPath,
      required: required.has(name),
      description: typeof property.description === 'string' ? property.description : null,
      control: controlOf(property, fieldPath),
    };
  });
}

function controlOf(property: JsonSchema, path: string): FieldControl {
  const branch = scalarBranchOf(property);
  const type = typeOf(branch);
  const fallback = branch.default ?? property.default;
  const placeholder = fallback === undefined ? null : `default: ${JSON.stringify(fallback)}`;
  const options = stringsOf(branch.enum);
  if (options !== null) return { kind: 'select', options, defaultOption: typeof fallback === 'string' ? fallback : null };
  switch (type) {
    case 'string':
      return { kind: 'text', inputType: branch.format === 'email' ? 'email' : 'text', placeholder };
    case 'integer':
    case 'number':
      return { kind: 'number', integer: type === 'integer', minimum: finiteOrNull(branch.minimum), maximum: finiteOrNull(branch.maximum), placeholder };
    case 'boolean':
      return { kind: 'checkbox', defaultChecked: fallback === true };
    case 'object':
      if (recordOf(branch.properties) !== null) return { kind: 'fieldset', fields: fieldsOf(branch, path) };
      return { kind: 'json', placeholder: placeholder ?? '{}' };
    default:
      return { kind: 'json', placeholder };
  }
}

/** The branch of a union whose control the field takes: its first scalar one, else the property itself. */
function scalarBranchOf(property: JsonSchema): JsonSchema {
  const union = Array.isArray(property.anyOf) ? property.anyOf : Array.isArray(property.oneOf) ? property.oneOf : null;
  if (union === null) return property;
  const branches = union.map((branch) => recordOf(branch) ?? {});
  return branches.find((branch) => ['string', 'integer', 'number', 'boolean'].includes(typeOf(branch) ?? '')) ?? property;
}

/** `type`, or the first non-null one of a list (`["string", "null"]`). */
function typeOf(schema: JsonSchema): string | null {
  if (typeof schema.type === 'string') return schema.type;
  if (Array.isArray(schema.type)) return schema.type.find((type): type is string => typeof type === 'string' && type !== 'null') ?? null;
  return null;
}

function objectFrom(fields: readonly FormField[], read: (path: string) => ControlValue | undefined, problems: FieldProblem[]): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const field of fields) {
    const value = valueOf(field, read, problems);
    // Object.defineProperty: a property named __proto__ is an own key like any other (SPEC §3).
    if (value !== undefined) Object.defineProperty(result, field.name, { value, enumerable: true, writable: true, configurable: true });
  }
  return result;
}

function valueOf(field: FormField, read: (path: string) => ControlValue | undefined, problems: FieldProblem[]): unknown {
  const control = field.control;
  const raw = read(field.path);
  switch (control.kind) {
    case 'checkbox': {
      const checked = raw === true;
      return checked !== control.defaultChecked || field.required ? checked : undefined;
    }
    case 'text':
    case 'select': {
      const text = stringOf(raw);
      return text === '' ? undefined : text;
    }
    case 'number':
      return numberOf(stringOf(raw), field.path, problems);
    case 'json': {
      const text = stringOf(raw).trim();
      if (text === '') return undefined;
      const parsed = parseJson(text);
      if (parsed.ok) return parsed.value;
      problems.push({ path: field.path, message: parsed.message });
      return undefined;
    }
    case 'fieldset': {
      const nested = objectFrom(control.fields, read, problems);
      return Object.keys(nested).length > 0 || field.required ? nested : undefined;
    }
  }
}

function numberOf(text: string, path: string, problems: FieldProblem[]): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const value = Number(trimmed);
  if (Number.isFinite(value)) return value;
  problems.push({ path, message: 'must be a number' });
  return undefined;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    return { ok: false, message: `not valid JSON (${error instanceof Error ? error.message : String(error)})` };
  }
}

/** `webhookUrl: scheme ftp: is not allowed` → `scheme ftp: is not allowed` (the field is named by where it is shown). */
function withoutPathPrefix(detail: string, path: string): string {
  return detail.startsWith(`${path}: `) ? detail.slice(path.length + 2) : detail;
}

function stringOf(value: ControlValue | undefined): string {
  return typeof value === 'string' ? value : '';
}

/** An `enum` of strings (a select's options), else null. */
function stringsOf(value: unknown): readonly string[] | null {
  if (!Array.isArray(value)) return null;
  const options: unknown[] = value;
  return options.every((option): option is string => typeof option === 'string') ? options : null;
}

function finiteOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function recordOf(value: unknown): JsonSchema | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonSchema) : null;
}
