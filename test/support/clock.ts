/** A clock tests move by hand; pass `clock.now` as the twin's `now`. */
export class TestClock {
  constructor(private current = Date.now()) {}

  readonly now = (): number => this.current;

  set(epochMs: number): void {
    this.current = epochMs;
  }

  advance(ms: number): void {
    this.current += ms;
  }
}
