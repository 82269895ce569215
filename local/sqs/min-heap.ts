/**
 * A binary min-heap. `precedes(a, b)` is true when `a` must come out before `b`.
 * Used for the time-ordered list of delayed and in-flight messages and for the
 * order in which message groups are served.
 */
export class MinHeap<T> {
  private items: T[] = [];

  constructor(private readonly precedes: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    this.items.push(item);
    this.siftUp(this.items.length - 1);
  }

  pop(): T | undefined {
    const items = this.items;
    if (items.length === 0) return undefined;
    const top = items[0];
    const last = items.pop() as T;
    if (items.length > 0) {
      items[0] = last;
      this.siftDown(0);
    }
    return top;
  }

  /** Keeps only the items for which `keep` is true (O(n)); used to shed stale entries. */
  retain(keep: (item: T) => boolean): void {
    this.items = this.items.filter(keep);
    for (let i = (this.items.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  clear(): void {
    this.items = [];
  }

  private siftUp(index: number): void {
    const items = this.items;
    const item = items[index];
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.precedes(item, items[parent])) break;
      items[index] = items[parent];
      index = parent;
    }
    items[index] = item;
  }

  private siftDown(index: number): void {
    const items = this.items;
    const length = items.length;
    const item = items[index];
    for (;;) {
      const left = 2 * index + 1;
      if (left >= length) break;
      const right = left + 1;
      const child = right < length && this.precedes(items[right], items[left]) ? right : left;
      if (!this.precedes(items[child], item)) break;
      items[index] = items[child];
      index = child;
    }
    items[index] = item;
  }
}
