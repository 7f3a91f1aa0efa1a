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
  private slots: T[] = [];
  private head = 0;
  private readonly live = new Map<string, T>();

  get size(): number {
    return this.live.size;
  }

  /** Appends `entry`, replacing any entry with the same user id (which then counts as removed). */
  push(entry: T): void {
    this.live.set(entry.userId, entry);
    this.slots.push(entry);
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
    while (this.head < this.slots.length && !this.isLive(this.slots[this.head] as T)) this.head++;
    for (let i = this.head; i < this.slots.length && out.length < k; i++) {
      const slot = this.slots[i] as T;
      if (this.isLive(slot)) out.push(slot);
    }
    return out;
  }

  values(): T[] {
    return this.first(this.live.size);
  }

  private isLive(slot: T): boolean {
    return this.live.get(slot.userId) === slot;
  }

  private compactIfSparse(): void {
    const dead = this.slots.length - this.head - this.live.size;
    if (dead > 64 && dead > this.live.size) {
      this.slots = this.slots.slice(this.head).filter((s) => this.isLive(s));
      this.head = 0;
    }
  }
}
