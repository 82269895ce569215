/**
 * The SDK resolves a command's whole middleware stack on every call (copy,
 * sort and wrap some thirty middlewares): about 0.14 of a 0.5 ms call's CPU
 * here. Its own `cacheMiddleware` option keeps the resolved handler per command
 * class and calls it with each new command; what it lacks is a middleware added
 * to the client after its first call (the twin's fault injection, the bench's
 * meter, a test's injected failure), which the cached handlers would never run.
 * So every change to the client's stack drops the cache: the next call resolves
 * it again.
 *
 * lib-dynamodb's document client refuses the option: each of its commands
 * returns a handler bound to its own instance. `cacheDocumentHandlers` caches
 * the handler of the command it wraps (the DynamoDB command, whose middlewares
 * read only the input they are given) and marshals each call's input through
 * it, as the document client would. A command of another shape, or a call with
 * options (an abort signal), goes the document client's own way.
 */
// The shapes used here, loosely (they live in @smithy/types, not a direct dependency).
type Handler = (command: unknown) => Promise<{ output: unknown }>;
interface Stack {
  concat(from: unknown): unknown;
}
interface ResolvesMiddleware {
  readonly input: unknown;
  resolveMiddleware(stack: unknown, config: unknown, options: undefined): Handler;
}
/** What a lib-dynamodb command holds (protected members, checked at run time). */
interface DocumentCommand {
  readonly middlewareStack?: unknown;
  readonly clientCommand?: ResolvesMiddleware;
  addMarshallingMiddleware?(config: unknown): void;
}

const MUTATORS = ['add', 'addRelativeTo', 'remove', 'removeByTag'] as const;

/** Calls `changed` after each call that changes `stack` (adds or removes a middleware). */
function onStackChange(stack: object, changed: () => void): void {
  const methods = stack as Record<string, unknown>;
  for (const name of MUTATORS) {
    const original = methods[name];
    if (typeof original !== 'function') continue;
    methods[name] = (...args: unknown[]) => {
      changed();
      return (original as (...a: unknown[]) => unknown).apply(stack, args);
    };
  }
}

/** Turns on the SDK's `cacheMiddleware` for `client` (a plain SDK client), dropped at every change of its stack. Returns the client. */
export function cacheHandlers<C extends object>(client: C): C {
  const sdk = client as unknown as { config: { cacheMiddleware?: boolean }; middlewareStack: object; handlers?: unknown };
  sdk.config.cacheMiddleware = true;
  // The SDK's own cache lives in `handlers` (it drops it the same way on a call with options).
  onStackChange(sdk.middlewareStack, () => delete sdk.handlers);
  return client;
}

/** Caches the resolved handler of each document command class of `client` (see above). Returns the client. */
export function cacheDocumentHandlers<C extends object>(documentClient: C): C {
  const client = documentClient as unknown as { config: unknown; middlewareStack: object; send(...args: unknown[]): Promise<unknown> };
  const handlers = new Map<unknown, Handler>();
  onStackChange(client.middlewareStack, () => handlers.clear());
  const ownSend = client.send.bind(client);
  const send = (command: DocumentCommand, ...rest: unknown[]): Promise<unknown> => {
    const inner = command.clientCommand;
    if (rest.some((arg) => arg !== undefined) || !inner || typeof command.addMarshallingMiddleware !== 'function') return ownSend(command, ...rest);
    let handler = handlers.get(command.constructor);
    if (!handler) {
      // What the document command's resolveMiddleware does, keeping the handler rather than binding it to this command.
      command.addMarshallingMiddleware(client.config);
      handler = inner.resolveMiddleware((client.middlewareStack as unknown as Stack).concat(command.middlewareStack), client.config, undefined);
      handlers.set(command.constructor, handler);
    }
    return handler(inner).then((result) => result.output);
  };
  (client as { send: typeof send }).send = send;
  return documentClient;
}
