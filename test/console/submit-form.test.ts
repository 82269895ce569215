/**
 * The console's submit form as data (console/app/submit-form.ts, SPEC §16): the controls
 * each job type's payload schema gets, the payload and submission a filled form means,
 * and where a refused submit's problems are shown. The schemas are the real ones: the
 * body GET /v1/job-types serves (`describeJobTypes`), through JSON as a browser gets it.
 */
import { getJobTypeDefinition, describeJobTypes } from '../../lambdas/job-types/registry';
import { fieldProblems } from '../../lambdas/jobs/submission';
import {
  ENVELOPE_PATHS,
  PAYLOAD_PATH,
  fieldsFromSchema,
  pathsOf,
  payloadFromForm,
  placeProblems,
  submissionFromForm,
  type ControlValue,
  type EnvelopeValues,
  type FormField,
  type JsonSchema,
} from '../../console/app/submit-form';

/** A job type's payload schema exactly as GET /v1/job-types sends it. */
function servedSchema(type: string): JsonSchema {
  const body = JSON.parse(JSON.stringify(describeJobTypes())) as { items: Array<{ type: string; schema: JsonSchema }> };
  const item = body.items.find((candidate) => candidate.type === type);
  if (item === undefined) throw new Error(`GET /v1/job-types has no type ${type}`);
  return item.schema;
}

/** A form whose controls hold `values` (by path); every other control is empty. */
function filledForm(values: Readonly<Record<string, ControlValue>>): (path: string) => ControlValue | undefined {
  return (path) => values[path];
}

function fieldAt(fields: readonly FormField[], path: string): FormField {
  const field = fields.find((candidate) => candidate.path === path);
  if (field === undefined) throw new Error(`no field at ${path}`);
  return field;
}

const emptyEnvelope: EnvelopeValues = { idempotencyKey: '', webhookUrl: '', delaySeconds: '', maxAttempts: '' };

/** A schema with what no registered type has yet: a boolean and a nested object. */
const schemaWithNestedObject: JsonSchema = {
  type: 'object',
  properties: {
    dryRun: { type: 'boolean' },
    notify: { type: 'boolean', default: true },
    retry: {
      type: 'object',
      properties: { limit: { type: 'integer', minimum: 0 }, backoff: { type: 'object', properties: { base: { type: 'number' } } } },
      required: ['limit'],
    },
  },
  required: ['retry'],
};

describe('fieldsFromSchema with the served schemas', () => {
  it('gives every served job type a form', () => {
    // Arrange
    const { items } = describeJobTypes() as { items: Array<{ type: string }> };

    // Act
    const fieldCounts = items.map(({ type }) => [type, fieldsFromSchema(servedSchema(type)).length]);

    // Assert
    expect(fieldCounts).toEqual([
      ['http', 5],
      ['email', 6],
      ['sms', 3],
      ['echo', 1],
    ]);
  });

  it('http: url a required text input, method a select of its enum, headers and body JSON, timeout a bounded integer', () => {
    // Act
    const fields = fieldsFromSchema(servedSchema('http'));

    // Assert
    expect(fields).toEqual([
      {
        name: 'url',
        path: 'payload.url',
        required: true,
        description: 'Target URL (https; see the URL rules).',
        control: { kind: 'text', inputType: 'text', placeholder: null },
      },
      {
        name: 'method',
        path: 'payload.method',
        required: false,
        description: null,
        control: { kind: 'select', options: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], defaultOption: 'POST' },
      },
      {
        name: 'headers',
        path: 'payload.headers',
        required: false,
        description: 'Extra request headers (no hop-by-hop, host or service headers).',
        control: { kind: 'json', placeholder: '{}' },
      },
      {
        name: 'body',
        path: 'payload.body',
        required: false,
        description: 'A string is sent as is; any other JSON value is sent as JSON. null means no body. Not allowed with GET.',
        control: { kind: 'json', placeholder: null },
      },
      {
        name: 'timeoutSeconds',
        path: 'payload.timeoutSeconds',
        required: false,
        description: null,
        control: { kind: 'number', integer: true, minimum: 1, maximum: 30, placeholder: 'default: 10' },
      },
    ]);
  });

  it('email: the `to` and `replyTo` unions take their first scalar branch (one address, an email input); to and subject are required', () => {
    // Act
    const fields = fieldsFromSchema(servedSchema('email'));

    // Assert
    expect(fields.map((field) => [field.path, field.required, field.control])).toEqual([
      ['payload.to', true, { kind: 'text', inputType: 'email', placeholder: null }],
      ['payload.subject', true, { kind: 'text', inputType: 'text', placeholder: null }],
      ['payload.text', false, { kind: 'text', inputType: 'text', placeholder: null }],
      ['payload.html', false, { kind: 'text', inputType: 'text', placeholder: null }],
      ['payload.from', false, { kind: 'text', inputType: 'email', placeholder: null }],
      ['payload.replyTo', false, { kind: 'text', inputType: 'email', placeholder: null }],
    ]);
    expect(fieldAt(fields, 'payload.to').description).toBe('One address or a list of 1..50.');
  });

  it('sms: three text inputs, `to` and `message` required', () => {
    // Act
    const fields = fieldsFromSchema(servedSchema('sms'));

    // Assert
    expect(fields.map((field) => [field.path, field.required, field.control.kind])).toEqual([
      ['payload.to', true, 'text'],
      ['payload.message', true, 'text'],
      ['payload.senderId', false, 'text'],
    ]);
    expect(fieldAt(fields, 'payload.to').description).toBe('Phone number in E.164 form.');
  });

  it('echo: a schema without properties is one required JSON textarea for the whole payload', () => {
    // Act
    const fields = fieldsFromSchema(servedSchema('echo'));

    // Assert
    expect(fields).toEqual([{ name: 'payload', path: PAYLOAD_PATH, required: true, description: 'The payload, a JSON object.', control: { kind: 'json', placeholder: '{}' } }]);
  });
});

describe('fieldsFromSchema beyond the served schemas', () => {
  it('draws a boolean as a checkbox (checked when its default is true) and an object with properties as a nested fieldset', () => {
    // Act
    const fields = fieldsFromSchema(schemaWithNestedObject);

    // Assert
    expect(fieldAt(fields, 'payload.dryRun').control).toEqual({ kind: 'checkbox', defaultChecked: false });
    expect(fieldAt(fields, 'payload.notify').control).toEqual({ kind: 'checkbox', defaultChecked: true });
    const retry = fieldAt(fields, 'payload.retry');
    expect(retry.required).toBe(true);
    expect(retry.control).toEqual({
      kind: 'fieldset',
      fields: [
        { name: 'limit', path: 'payload.retry.limit', required: true, description: null, control: { kind: 'number', integer: true, minimum: 0, maximum: null, placeholder: null } },
        {
          name: 'backoff',
          path: 'payload.retry.backoff',
          required: false,
          description: null,
          control: {
            kind: 'fieldset',
            fields: [{ name: 'base', path: 'payload.retry.backoff.base', required: false, description: null, control: { kind: 'number', integer: false, minimum: null, maximum: null, placeholder: null } }],
          },
        },
      ],
    });
  });

  it.each<[string, string, JsonSchema]>([
    ['a nullable string', 'text', { type: ['string', 'null'] }],
    ['a oneOf whose first branch is an array', 'number', { oneOf: [{ type: 'array' }, { type: 'integer' }] }],
    ['a union without a scalar branch', 'json', { anyOf: [{ type: 'array' }, { type: 'object' }] }],
    ['an array', 'json', { type: 'array', items: { type: 'string' } }],
  ])('draws %s as a %s control', (_name, kind, property) => {
    // Act
    const [field] = fieldsFromSchema({ type: 'object', properties: { value: property } });

    // Assert
    expect(field.control.kind).toBe(kind);
  });
});

describe('pathsOf', () => {
  it('lists the path of every control of a served schema', () => {
    // Act
    const paths = pathsOf(fieldsFromSchema(servedSchema('http')));

    // Assert
    expect(paths).toEqual(['payload.url', 'payload.method', 'payload.headers', 'payload.body', 'payload.timeoutSeconds']);
  });

  it('lists a nested fieldset and then its own controls', () => {
    // Act
    const paths = pathsOf(fieldsFromSchema(schemaWithNestedObject));

    // Assert
    expect(paths).toEqual(['payload.dryRun', 'payload.notify', 'payload.retry', 'payload.retry.limit', 'payload.retry.backoff', 'payload.retry.backoff.base']);
  });

  it('is the whole payload for echo', () => {
    expect(pathsOf(fieldsFromSchema(servedSchema('echo')))).toEqual([PAYLOAD_PATH]);
  });
});

describe('payloadFromForm', () => {
  it('http: sends what was filled in, numbers as numbers and JSON parsed, and leaves empty controls out', () => {
    // Arrange
    const fields = fieldsFromSchema(servedSchema('http'));
    const read = filledForm({
      'payload.url': 'https://example.com/hook',
      'payload.method': '',
      'payload.headers': ' {"X-Trace": "abc"} ',
      'payload.body': '',
      'payload.timeoutSeconds': ' 25 ',
    });

    // Act
    const { payload, problems } = payloadFromForm(fields, read);

    // Assert: method and body stay out, so the service applies its own defaults.
    expect(problems).toEqual([]);
    expect(payload).toEqual({ url: 'https://example.com/hook', headers: { 'X-Trace': 'abc' }, timeoutSeconds: 25 });
    expect(getJobTypeDefinition('http')?.schema.safeParse(payload).success).toBe(true);
  });

  it('http: sends a chosen method and a JSON body of any kind', () => {
    // Arrange
    const fields = fieldsFromSchema(servedSchema('http'));
    const read = filledForm({ 'payload.url': 'https://example.com', 'payload.method': 'PUT', 'payload.body': '"plain text"' });

    // Act
    const { payload, problems } = payloadFromForm(fields, read);

    // Assert
    expect(problems).toEqual([]);
    expect(payload).toEqual({ url: 'https://example.com', method: 'PUT', body: 'plain text' });
  });

  it('email: one address typed into `to` is sent as a string, which the service accepts', () => {
    // Arrange
    const fields = fieldsFromSchema(servedSchema('email'));
    const read = filledForm({ 'payload.to': 'ada@example.com', 'payload.subject': 'Hello', 'payload.text': 'Hi there', 'payload.html': '' });

    // Act
    const { payload, problems } = payloadFromForm(fields, read);

    // Assert
    expect(problems).toEqual([]);
    expect(payload).toEqual({ to: 'ada@example.com', subject: 'Hello', text: 'Hi there' });
    expect(getJobTypeDefinition('email')?.schema.safeParse(payload).success).toBe(true);
  });

  it('sms: sends the texts as typed', () => {
    // Arrange
    const fields = fieldsFromSchema(servedSchema('sms'));
    const read = filledForm({ 'payload.to': '+14155550100', 'payload.message': 'Your code is 1234' });

    // Act
    const { payload, problems } = payloadFromForm(fields, read);

    // Assert
    expect(problems).toEqual([]);
    expect(payload).toEqual({ to: '+14155550100', message: 'Your code is 1234' });
    expect(getJobTypeDefinition('sms')?.schema.safeParse(payload).success).toBe(true);
  });

  it('reports a JSON textarea that does not parse at its path, and leaves it out', () => {
    // Arrange
    const fields = fieldsFromSchema(servedSchema('http'));
    const read = filledForm({ 'payload.url': 'https://example.com', 'payload.headers': '{"X-Trace": ' });

    // Act
    const { payload, problems } = payloadFromForm(fields, read);

    // Assert
    expect(payload).toEqual({ url: 'https://example.com' });
    expect(problems).toEqual([{ path: 'payload.headers', message: expect.stringMatching(/^not valid JSON \(.+\)$/) }]);
  });

  it.each(['ten', '10 s', 'Infinity'])('reports a number input holding %j at its path', (text) => {
    // Arrange
    const fields = fieldsFromSchema(servedSchema('http'));
    const read = filledForm({ 'payload.url': 'https://example.com', 'payload.timeoutSeconds': text });

    // Act
    const { payload, problems } = payloadFromForm(fields, read);

    // Assert
    expect(payload).toEqual({ url: 'https://example.com' });
    expect(problems).toEqual([{ path: 'payload.timeoutSeconds', message: 'must be a number' }]);
  });

  it('sends a checkbox only when it differs from its default, and an empty optional fieldset not at all', () => {
    // Arrange
    const fields = fieldsFromSchema(schemaWithNestedObject);
    const read = filledForm({ 'payload.dryRun': true, 'payload.notify': true, 'payload.retry.limit': '3' });

    // Act
    const { payload, problems } = payloadFromForm(fields, read);

    // Assert: notify is checked as its default says; backoff holds nothing.
    expect(problems).toEqual([]);
    expect(payload).toEqual({ dryRun: true, retry: { limit: 3 } });
  });

  it('sends false for a checkbox unchecked against a default of true, and a required fieldset even when empty', () => {
    // Arrange
    const fields = fieldsFromSchema(schemaWithNestedObject);
    const read = filledForm({ 'payload.dryRun': false, 'payload.notify': false });

    // Act
    const { payload, problems } = payloadFromForm(fields, read);

    // Assert
    expect(problems).toEqual([]);
    expect(payload).toEqual({ notify: false, retry: {} });
  });

  it('keeps a property named __proto__ as an own key of the payload (SPEC §3)', () => {
    // Arrange
    const schema = JSON.parse('{"type":"object","properties":{"__proto__":{"type":"string"}}}') as JsonSchema;
    const fields = fieldsFromSchema(schema);

    // Act
    const { payload } = payloadFromForm(fields, filledForm({ 'payload.__proto__': 'x' }));

    // Assert
    expect(Object.keys(payload)).toEqual(['__proto__']);
    expect(JSON.stringify(payload)).toBe('{"__proto__":"x"}');
    expect(Object.getPrototypeOf(payload)).toBe(Object.prototype);
  });

  describe('echo (the whole payload in one textarea)', () => {
    const fields = fieldsFromSchema(servedSchema('echo'));

    it('sends the parsed object', () => {
      // Act
      const { payload, problems } = payloadFromForm(fields, filledForm({ payload: ' {"n": 1, "tags": ["a"]} ' }));

      // Assert
      expect(problems).toEqual([]);
      expect(payload).toEqual({ n: 1, tags: ['a'] });
    });

    it('sends an empty object when left empty', () => {
      expect(payloadFromForm(fields, filledForm({ payload: '  ' }))).toEqual({ payload: {}, problems: [] });
    });

    it('reports text that does not parse at `payload`', () => {
      // Act
      const { payload, problems } = payloadFromForm(fields, filledForm({ payload: '{n: 1}' }));

      // Assert
      expect(payload).toEqual({});
      expect(problems).toHaveLength(1);
      expect(problems[0].path).toBe(PAYLOAD_PATH);
      expect(problems[0].message).toMatch(/^not valid JSON/);
    });

    it.each(['[1, 2]', 'null', '"text"', '42'])('reports JSON that is not an object (%s) at `payload`', (text) => {
      expect(payloadFromForm(fields, filledForm({ payload: text }))).toEqual({ payload: {}, problems: [{ path: PAYLOAD_PATH, message: 'must be a JSON object' }] });
    });
  });
});

describe('submissionFromForm', () => {
  it('wraps the payload with the envelope that was filled in, numbers parsed and the webhook URL trimmed', () => {
    // Arrange
    const envelope: EnvelopeValues = { idempotencyKey: 'order-42', webhookUrl: ' https://example.com/done ', delaySeconds: '30', maxAttempts: ' 5 ' };

    // Act
    const result = submissionFromForm('echo', { n: 1 }, envelope);

    // Assert
    expect(result).toEqual({
      submission: { type: 'echo', payload: { n: 1 }, webhookUrl: 'https://example.com/done', delaySeconds: 30, maxAttempts: 5 },
      idempotencyKey: 'order-42',
      problems: [],
    });
  });

  it('leaves empty envelope controls out, with no Idempotency-Key', () => {
    // Act
    const result = submissionFromForm('sms', { to: '+14155550100', message: 'hi' }, { ...emptyEnvelope, webhookUrl: '   ' });

    // Assert
    expect(result).toEqual({ submission: { type: 'sms', payload: { to: '+14155550100', message: 'hi' } }, idempotencyKey: null, problems: [] });
  });

  it('sends the idempotency key as typed, so the service judges it', () => {
    expect(submissionFromForm('echo', {}, { ...emptyEnvelope, idempotencyKey: ' key ' }).idempotencyKey).toBe(' key ');
  });

  it('reports a delay or an attempt count that is no number at the envelope path, and leaves it out', () => {
    // Act
    const result = submissionFromForm('echo', {}, { ...emptyEnvelope, delaySeconds: 'soon', maxAttempts: 'many' });

    // Assert
    expect(result.submission).toEqual({ type: 'echo', payload: {} });
    expect(result.problems).toEqual([
      { path: ENVELOPE_PATHS.delaySeconds, message: 'must be a number' },
      { path: ENVELOPE_PATHS.maxAttempts, message: 'must be a number' },
    ]);
  });
});

describe('placeProblems', () => {
  const envelopePaths = Object.values(ENVELOPE_PATHS);

  it('puts each field problem of a 400 next to its control, and keeps one without a control for the alert', () => {
    // Arrange
    const paths = [...pathsOf(fieldsFromSchema(servedSchema('email'))), ...envelopePaths];
    const problem = {
      code: 'validation_failed',
      detail: 'payload.subject: Too small; payload.to.0: must be an email address; runAt: must be in the future; maxAttempts: Too big',
      errors: [
        { path: 'payload.subject', message: 'Too small' },
        { path: 'payload.to.0', message: 'must be an email address' },
        { path: 'runAt', message: 'must be in the future' },
        { path: 'maxAttempts', message: 'Too big' },
      ],
    };

    // Act
    const { placed, unplaced } = placeProblems(problem, paths);

    // Assert: `payload.to.0` (an item of the list branch) belongs to `to`'s control.
    expect([...placed]).toEqual([
      ['payload.subject', ['Too small']],
      ['payload.to', ['must be an email address']],
      ['maxAttempts', ['Too big']],
    ]);
    expect(unplaced).toEqual([{ path: 'runAt', message: 'must be in the future' }]);
  });

  it("places the problems the service finds with its own schema (the real 400's paths)", () => {
    // Arrange: what POST /v1/jobs answers for this email payload (lambdas/jobs/prepare-job.ts).
    const paths = pathsOf(fieldsFromSchema(servedSchema('email')));
    const parsed = getJobTypeDefinition('email')?.schema.safeParse({ to: ['ada@example.com', 'not an address'], text: 'Hi', cc: 'x' });
    if (parsed === undefined || parsed.success) throw new Error('the email schema accepted a payload without a subject');
    const errors = fieldProblems(parsed.error, 'payload');

    // Act
    const { placed, unplaced } = placeProblems({ code: 'validation_failed', detail: '', errors }, paths);

    // Assert: the list item's problem at `to`; the unknown field has no control.
    expect([...placed.keys()].sort()).toEqual(['payload.subject', 'payload.to']);
    expect(placed.get('payload.to')).toEqual(['must be an email address']);
    expect(unplaced).toEqual([{ path: 'payload.cc', message: 'unknown field: cc' }]);
  });

  it('collects several problems of one control in order', () => {
    // Arrange
    const paths = pathsOf(fieldsFromSchema(servedSchema('http')));
    const errors = [
      { path: 'payload.headers.Host', message: 'header Host may not be set' },
      { path: 'payload.headers.bad name', message: 'not a valid header name' },
    ];

    // Act
    const { placed, unplaced } = placeProblems({ code: 'validation_failed', detail: '', errors }, paths);

    // Assert
    expect([...placed]).toEqual([['payload.headers', ['header Host may not be set', 'not a valid header name']]]);
    expect(unplaced).toEqual([]);
  });

  it('places a problem at the deepest control that holds its path, and never at a mere prefix of a name', () => {
    // Arrange
    const paths = pathsOf(fieldsFromSchema(schemaWithNestedObject));
    const errors = [
      { path: 'payload.retry.backoff.base', message: 'Too small' },
      { path: 'payload.retry.limitless', message: 'Unrecognized key' },
      { path: 'payload.retryCount', message: 'Unrecognized key' },
    ];

    // Act
    const { placed, unplaced } = placeProblems({ code: 'validation_failed', detail: '', errors }, paths);

    // Assert
    expect([...placed]).toEqual([
      ['payload.retry.backoff.base', ['Too small']],
      ['payload.retry', ['Unrecognized key']],
    ]);
    expect(unplaced).toEqual([{ path: 'payload.retryCount', message: 'Unrecognized key' }]);
  });

  it('puts any problem inside an echo payload at its single textarea', () => {
    // Act
    const { placed } = placeProblems({ code: 'validation_failed', detail: '', errors: [{ path: 'payload.deep.key', message: 'cannot be stored' }] }, [PAYLOAD_PATH]);

    // Assert
    expect([...placed]).toEqual([[PAYLOAD_PATH, ['cannot be stored']]]);
  });

  it.each<[string, string, string, string]>([
    ['invalid_webhook_url', 'webhookUrl: scheme ftp: is not allowed', 'webhookUrl', 'scheme ftp: is not allowed'],
    ['invalid_target_url', 'payload.url: the host resolves to a private address', 'payload.url', 'the host resolves to a private address'],
    ['invalid_idempotency_key', 'Idempotency-Key must be 1..255 visible ASCII characters.', 'idempotencyKey', 'Idempotency-Key must be 1..255 visible ASCII characters.'],
  ])('places %s, which has no errors list, at its one field, without the path prefix of its detail', (code, detail, path, message) => {
    // Arrange
    const paths = [...pathsOf(fieldsFromSchema(servedSchema('http'))), ...envelopePaths];

    // Act
    const { placed, unplaced } = placeProblems({ code, detail, errors: [] }, paths);

    // Assert
    expect([...placed]).toEqual([[path, [message]]]);
    expect(unplaced).toEqual([]);
  });

  it('places nothing for a code that names no field (its detail is for the alert)', () => {
    // Act
    const { placed, unplaced } = placeProblems({ code: 'unknown_job_type', detail: 'Unknown job type "nope".', errors: [] }, [PAYLOAD_PATH, ...envelopePaths]);

    // Assert
    expect(placed.size).toBe(0);
    expect(unplaced).toEqual([]);
  });

  it('keeps a field problem for the alert when the form has no control for it', () => {
    // Act
    const { placed, unplaced } = placeProblems({ code: 'invalid_target_url', detail: 'payload.url: not https', errors: [] }, pathsOf(fieldsFromSchema(servedSchema('sms'))));

    // Assert
    expect(placed.size).toBe(0);
    expect(unplaced).toEqual([{ path: 'payload.url', message: 'not https' }]);
  });
});
