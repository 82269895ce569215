/**
 * The jobs CLI's human output: aligned tables, status colours only on a TTY and
 * never under NO_COLOR (https://no-color.org: set and not empty), and the spinner
 * `watch` draws on a TTY. `--json` output bypasses all of it.
 */
import { styleText } from 'node:util';
import type { JobStatus } from '../../client';

export interface OutputStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
}

export type Style = Parameters<typeof styleText>[0];

export function colourOn(stream: OutputStream, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && !env.NO_COLOR && env.TERM !== 'dumb';
}

export class Painter {
  constructor(readonly enabled: boolean) {}

  paint(style: Style, text: string): string {
    return this.enabled ? styleText(style, text, { validateStream: false }) : text;
  }

  status(status: JobStatus, text: string = status): string {
    return this.paint(STATUS_STYLES[status], text);
  }
}

const STATUS_STYLES: Record<JobStatus, Style> = {
  queued: 'blue',
  running: 'cyan',
  retry: 'yellow',
  succeeded: 'green',
  fatal: 'red',
  canceled: 'gray',
};

export interface Column<T> {
  readonly header: string;
  readonly value: (row: T) => string;
  /** Colours a cell after it is padded (escape codes take no width). */
  readonly style?: (row: T, padded: string) => string;
}

/** Rows under a header, each column as wide as its widest cell, two spaces apart; the last column is not padded. */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[], painter: Painter): string {
  const cells = rows.map((row) => columns.map((column) => oneLine(column.value(row))));
  const widths = columns.map((column, i) => Math.max(column.header.length, ...cells.map((row) => row[i].length)));
  const last = columns.length - 1;
  const line = (values: readonly string[], style: (i: number, padded: string) => string) =>
    values
      .map((value, i) => style(i, i === last ? value : value.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  const header = line(
    columns.map((column) => column.header),
    (_i, padded) => painter.paint('bold', padded),
  );
  const body = cells.map((values, r) => line(values, (i, padded) => columns[i].style?.(rows[r], padded) ?? padded));
  return `${[header, ...body].join('\n')}\n`;
}

/** `name: value` lines, the values aligned. */
export function fields(pairs: ReadonlyArray<readonly [string, string]>, painter: Painter): string {
  const width = Math.max(...pairs.map(([name]) => name.length)) + 1;
  return pairs.map(([name, value]) => `${painter.paint('dim', `${name}:`.padEnd(width))} ${value}`).join('\n') + '\n';
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ');
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * One status line redrawn in place on a TTY (a frame every 80 ms); elsewhere each
 * new text is printed once on a line of its own, so a log shows every change.
 */
export class StatusLine {
  private text = '';
  private frame = 0;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly stream: OutputStream,
    private readonly painter: Painter,
  ) {}

  update(text: string): void {
    if (text === this.text) return;
    this.text = text;
    if (!this.stream.isTTY) {
      this.stream.write(`${text}\n`);
      return;
    }
    this.timer ??= setInterval(() => this.draw(), 80);
    this.draw();
  }

  /** Clears the line (TTY) and stops drawing. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.stream.isTTY) this.stream.write('\r\x1b[2K');
  }

  private draw(): void {
    this.frame = (this.frame + 1) % FRAMES.length;
    this.stream.write(`\r\x1b[2K${this.painter.paint('cyan', FRAMES[this.frame])} ${this.text}`);
  }
}
