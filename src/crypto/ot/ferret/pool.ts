// The COTs of one direction of the Ferret backend, served first in, first out: SoftSpokenOT batches and
// carried-over blocks (`carry`), then the usable part of the last iteration's output, which lives
// in one buffer reused by every iteration (growing the trees in fresh memory would cost more in
// page faults than the hashing; ggm.ts). Before an iteration overwrites the buffer, what is left
// of it moves to the carry. `take` hands out a view, not a copy, when the blocks lie in one carried
// piece (the pool owns it and never writes it again); blocks of the buffer are copied, as the next
// iteration overwrites it (a fresh buffer per iteration instead, to lend views of it, cost far more:
// a fresh 173 MB main-iteration buffer took 7–9 s to fault in on a loaded machine, reuse 12–78 ms).
export class BlockPool {
  private carry: Uint8Array[] = [];
  private carryHead = 0; // blocks already taken from carry[0]
  private buf: Uint8Array | null = null;
  private head = 0; // usable blocks of buf: [head, end)
  private end = 0;
  private reserveBuf: Uint8Array | null = null;
  /** The next iteration's input (exactly the COTs it consumes), or null before the first. */
  reserve: Uint8Array | null = null;

  get size(): number {
    let s = this.end - this.head - this.carryHead;
    for (const g of this.carry) s += g.length >>> 4;
    return s;
  }

  /** Blocks made elsewhere (SoftSpokenOT) join the pool. */
  push(blocks: Uint8Array): void {
    if (blocks.length) this.carry.push(blocks);
  }

  /** The buffer an iteration of n outputs writes (4n words); what is left of it moves to the carry. */
  iterationBuffer(n: number): Uint32Array {
    if (this.end > this.head) this.carry.push(this.buf!.slice(16 * this.head, 16 * this.end));
    this.head = this.end = 0;
    if (!this.buf || this.buf.length < 16 * n) this.buf = new Uint8Array(16 * n);
    return new Uint32Array(this.buf.buffer, 0, 4 * n);
  }

  /** After an iteration of n outputs: the first `keep` become the next reserve, the rest usable. */
  afterIteration(n: number, keep: number): void {
    if (!this.reserveBuf || this.reserveBuf.length < 16 * keep) this.reserveBuf = new Uint8Array(16 * keep);
    this.reserve = this.reserveBuf.subarray(0, 16 * keep);
    this.reserve.set(this.buf!.subarray(0, 16 * keep));
    this.head = keep;
    this.end = n;
  }

  /** The next n blocks: a view when they lie in one carried piece (the caller may write it), else a copy. */
  take(n: number): Uint8Array {
    const len = 16 * n;
    if (this.carry.length) {
      const g = this.carry[0], from = 16 * this.carryHead;
      // a copy across pieces, or of a block batch not 4-byte aligned (callers view blocks as words)
      if (len > g.length - from || g.byteOffset % 4 !== 0) return this.move(n, new Uint8Array(len));
      this.carryHead += n;
      if (16 * this.carryHead === g.length) {
        this.carry.shift();
        this.carryHead = 0;
      }
      return g.subarray(from, from + len);
    }
    return this.move(n, new Uint8Array(len));
  }

  /** Drop the next n blocks (COTs a step was predicted to draw and did not). */
  skip(n: number): void {
    this.move(n, null);
  }

  private move(n: number, out: Uint8Array | null): Uint8Array {
    const len = 16 * n;
    let o = 0;
    while (o < len && this.carry.length) {
      const g = this.carry[0];
      const m = Math.min(len - o, g.length - 16 * this.carryHead);
      out?.set(g.subarray(16 * this.carryHead, 16 * this.carryHead + m), o);
      o += m;
      this.carryHead += m >>> 4;
      if (16 * this.carryHead === g.length) {
        this.carry.shift();
        this.carryHead = 0;
      }
    }
    const m = (len - o) >>> 4;
    if (m > this.end - this.head) throw new Error(`internal: Ferret pool short by ${m - (this.end - this.head)} COTs`);
    if (out && this.buf) out.set(this.buf.subarray(16 * this.head, 16 * (this.head + m)), o);
    this.head += m;
    return out ?? new Uint8Array(0);
  }
}
