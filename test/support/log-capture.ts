/**
 * Everything the service writes as logs, kept in memory for a test to read:
 * a Powertools Logger whose every line (and every child's: `createChild` goes
 * through `createLogger`) is the JSON Powertools would print, at DEBUG level so
 * nothing is filtered out; and a tap on stdout, stderr and `console`, which
 * catches whatever does not go through that Logger (EMF metric lines, the SQS
 * endpoint's console errors, a stray `new Logger()`).
 */
import { format } from 'node:util';
import { Logger, type LogItem } from '@aws-lambda-powertools/logger';
import type { ConstructorOptions } from '@aws-lambda-powertools/logger/types';
import { SERVICE_NAME } from '../../lambdas/resources';

export class CapturingLogger extends Logger {
  constructor(
    private readonly sink: string[],
    options: ConstructorOptions = {},
  ) {
    super({ serviceName: SERVICE_NAME, logLevel: 'DEBUG', ...options });
  }

  protected override createLogger(options?: ConstructorOptions): Logger {
    return new CapturingLogger(this.sink, options);
  }

  protected override printLog(_logLevel: number, log: LogItem): void {
    // The same serialisation Powertools prints (its replacer turns errors into name, message and stack).
    this.sink.push(JSON.stringify(log.getAttributes(), this.getJsonReplacer()));
  }
}

export interface OutputTap {
  readonly lines: string[];
  restore(): void;
}

/** Records what is written to stdout, stderr and the console until `restore()` (kept out of the test's own output). */
export function tapProcessOutput(): OutputTap {
  const lines: string[] = [];
  const restorers: Array<() => void> = [];
  for (const stream of [process.stdout, process.stderr]) {
    // eslint-disable-next-line @typescript-eslint/unbound-method -- kept to be put back as it was, never called here
    const write = stream.write;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      lines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    });
    restorers.push(() => {
      stream.write = write;
    });
  }
  for (const method of ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const) {
    // eslint-disable-next-line @typescript-eslint/unbound-method -- kept to be put back as it was, never called here
    const original = console[method];
    console[method] = (...args: unknown[]) => {
      lines.push(format(...args));
    };
    restorers.push(() => {
      console[method] = original;
    });
  }
  return { lines, restore: () => restorers.forEach((restore) => restore()) };
}
