/**
 * A FIFO of queue entries with O(1) append, O(1) removal of any member, and reading the first k
 * members in O(k) amortised — whatever the queue's length and however many were removed.
 *
 * Why not a Map (insertion-ordered)? Removing from the front of a large Map leaves deleted slots
 * that iteration must skip until the table is rehashed: with 100,000 waiting, reading the head cost
 * ~130× more than with 10 (measured on this machine). Here removal is lazy: the slot stays in the
 * array and is skipped, the head index moves past dead slots for good, and the array is compacted
 * once dead slots outnumber live ones, so every slot is skipped O(1) times on average.
 */
export class Fifo<T extends { readonly userId: string }> {
  /**
   * Cells, not the entries themselves, so that `replace` can swap a member's entry in O(1)
   * without losing its place: a slot is live while the map still points at that very cell.
   */
  private slots: Cell<T>[] = [];
  private head = 0;
  private readonly live = new Map<string, Cell<T>>();

  get size(): number {
    return this.live.size;
  }

  /** Appends `entry`, replacing any entry with the same user id (which then counts as removed). */
  push(entry: T): void {
    const cell = { value: entry };
    this.live.set(entry.userId, cell);
    this.slots.push(cell);
  }

  /** Puts `entry` in place of the member with its user id, keeping the place. False if none. */
  replace(entry: T): boolean {
    const cell = this.live.get(entry.userId);
    if (!cell) return false;
    cell.value = entry;
    return true;
  }

  /** Removes the member with this user id, if any. */
  delete(userId: string): boolean {
    const removed = this.live.delete(userId);
    if (removed) this.compactIfSparse();
    return removed;
  }

  /** The first `k` members, oldest first. */
  first(k: number): T[] {
    const out: T[] = [];
    while (this.head < this.slots.length && !this.isLive(this.slots[this.head] as Cell<T>)) {
      this.head++;
    }
    for (let i = this.head; i < this.slots.length && out.length < k; i++) {
      const slot = this.slots[i] as Cell<T>;
      if (this.isLive(slot)) out.push(slot.value);
    }
    return out;
  }

  values(): T[] {
    return this.first(this.live.size);
  }

  private isLive(slot: Cell<T>): boolean {
    return this.live.get(slot.value.userId) === slot;
  }

  private compactIfSparse(): void {
    const dead = this.slots.length - this.head - this.live.size;
    if (dead > 64 && dead > this.live.size) {
      this.slots = this.slots.slice(this.head).filter((s) => this.isLive(s));
      this.head = 0;
    }
  }
}

interface Cell<T> {
  value: T;
}
