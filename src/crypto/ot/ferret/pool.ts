// A first-in first-out store of COT blocks (16 bytes each) for one direction of the Ferret
// backend: segments of whole iterations' outputs, handed out in order, copied into the caller's
// array so a drained segment can be freed.
export class BlockPool {
  private segments: Uint8Array[] = [];
  private head = 0; // blocks already taken from segments[0]
  /** The next iteration's input (consumedBy(params) blocks), or null before the first. */
  reserve: Uint8Array | null = null;

  get size(): number {
    let s = -this.head;
    for (const g of this.segments) s += g.length >>> 4;
    return s;
  }

  push(blocks: Uint8Array): void {
    if (blocks.length) this.segments.push(blocks);
  }

  take(n: number): Uint8Array {
    const out = new Uint8Array(16 * n);
    let o = 0;
    while (o < out.length) {
      const g = this.segments[0];
      if (!g) throw new Error(`internal: Ferret pool short by ${(out.length - o) / 16} COTs`);
      const m = Math.min(out.length - o, g.length - 16 * this.head);
      out.set(g.subarray(16 * this.head, 16 * this.head + m), o);
      o += m;
      this.head += m >>> 4;
      if (16 * this.head === g.length) {
        this.segments.shift();
        this.head = 0;
      }
    }
    return out;
  }
}
