// The Chooser of the non-linear protocols (split from ot-ops.ts), with its cost steps:
//
// - `Chooser`: random OTs keyed on each party's choice bits, in both directions, with long pads.
//   A correlated product b·c (receiver's bit b, sender's ring vector c) is then one message from
//   the sender, d = m1 − m0 − c, and the receiver outputs m_b − b·d = m0 + b·c while the sender
//   outputs −m0 (the ROT → correlated-OT derandomisation of Beaver, "Precomputing oblivious
//   transfer", CRYPTO 1995). One ROT's pad is cut into independent slices (the hash output is
//   pseudorandom per bit), so the same choice bits serve several products — e.g. every Horner
//   step of a polynomial in the same secret variable — for ℓ bits per slice instead of another
//   16-byte IKNP correlated OT. Both directions' corrections go in one exchange (one round).
//   Both parties' ROT messages go out in one flight, and several choosers can be prepared in the
//   same flight (`startChoosers`). A chooser may also be prepared on *random* choice bits r before
//   the real bits b are known (so its preparation rides an earlier flight); its first product then
//   carries e = b ⊕ r beside the corrections, in the same exchange, and both sides fix up locally:
//   b·c = r·c when e = 0 and c − r·c when e = 1 (Beaver's derandomisation, CRYPTO 1995).
// - `andBits`: AND of XOR-shared bits with correlated OT (ALSZ13 f-COT), one call per direction.
import { packMsgs, unpackMsgs } from '../ot/bits.ts';
import type { OtCostModel } from '../ot/cost.ts';
import type { Ring, RingArray } from '../ring.ts';
import { ringOf, xorBits, type Bits, type CostBuilder, type ProtoCtx } from './context.ts';
import { packShifted, shiftedBytes, unpackShifted } from './shifted.ts';
import { exchange, exchangeSend } from './exchange.ts';

/** Word width used to slice ROT pads into ring elements. */
const wordBits = (ell: number): number => (ell > 32 ? 64 : 32);

/**
 * ROT pads in both directions. As receiver this party holds `choices` (myCount bits) and
 * m_b (myCount × width ring elements); as sender m0, m1 (peerCount × width).
 */
export class Chooser {
  readonly ring: Ring;
  /** The bits the ROTs were made with: the real choice bits, or random ones (see `bind`). */
  readonly choices: Bits;
  readonly myCount: number;
  readonly peerCount: number;
  readonly width: number;
  /** Made on random choices: the real ones come later (`bind`), with e = b ⊕ r on the wire. */
  readonly random: boolean;
  private mb: RingArray;
  private m0: RingArray;
  private m1: RingArray;
  private used = 0;
  private real: Bits | null = null;
  /** e = b ⊕ r of each side, once exchanged (random choosers). */
  private eMine: Bits | null = null;
  private ePeer: Bits | null = null;

  constructor(ring: Ring, choices: Bits, peerCount: number, width: number, mb: RingArray, m0: RingArray, m1: RingArray, random = false) {
    this.ring = ring;
    this.choices = choices;
    this.myCount = choices.length;
    this.peerCount = peerCount;
    this.width = width;
    this.mb = mb;
    this.m0 = m0;
    this.m1 = m1;
    this.random = random;
  }

  /** The real choice bits of a chooser made on random ones (before its first product). */
  bind(real: Bits): this {
    if (!this.random) throw new Error('internal: Chooser.bind on a chooser made with its real choices');
    if (real.length !== this.myCount) throw new RangeError(`Chooser.bind: ${real.length} bits, want ${this.myCount}`);
    this.real = real;
    return this;
  }

  /** This party's real choice bits. */
  get bits(): Bits {
    if (!this.random || this.myCount === 0) return this.choices;
    if (!this.real) throw new Error('internal: a random chooser used before bind()');
    return this.real;
  }

  /**
   * One batch of correlated products using the next `L` pad slices: as sender this party supplies
   * `corr` (peerCount × L); returns its shares of b_peer·corr (`asSender`, peerCount × L) and of
   * b_mine·corr_peer (`asReceiver`, myCount × L). `kb` > 0: OT i carries bit j = i mod kb of an
   * operand, its correlation a multiple of 2^j (`shiftedBytes`), so the pads are scaled by 2^j
   * and only the top ℓ − j bits of each correction go on the wire.
   */
  async products(ctx: ProtoCtx, L: number, corr: RingArray, kb = 0): Promise<{ asSender: RingArray; asReceiver: RingArray }> {
    return this.productsSend(ctx, L, corr, kb)();
  }

  /**
   * `products` in two halves: this party's corrections go out now, the returned function receives
   * the peer's and computes the shares (so another protocol's message can share the round:
   * side.ts).
   */
  productsSend(ctx: ProtoCtx, L: number, corr: RingArray, kb = 0): () => Promise<{ asSender: RingArray; asReceiver: RingArray }> {
    const r = this.ring, W = this.width, off = this.used;
    if (off + L > W) throw new RangeError(`Chooser: ${off + L} pad slices needed, only ${W} prepared`);
    if (corr.length !== this.peerCount * L) throw new RangeError(`Chooser: correlation has ${corr.length} elements, want ${this.peerCount * L}`);
    this.used += L;
    const np = this.peerCount, nm = this.myCount;
    const d = r.alloc(np * L), asSender = r.alloc(np * L);
    if (d instanceof Uint32Array) {
      // Reduced as written (no second pass).
      const m0 = this.m0 as Uint32Array, m1 = this.m1 as Uint32Array, c = corr as Uint32Array, s = asSender as Uint32Array, mask = maskOf(r);
      for (let i = 0, j = 0; i < np; i++) {
        for (let l = 0; l < L; l++) {
          const p = i * W + off + l, q = i * L + l;
          d[q] = (((m1[p] - m0[p]) << j) - c[q]) & mask;
          s[q] = -(m0[p] << j) & mask;
        }
        if (kb && ++j === kb) j = 0;
      }
    } else {
      // 64-bit words: BigInt products by 2^j (V8 keeps them unboxed; BigInt shifts it does not).
      const m0 = this.m0 as BigUint64Array, m1 = this.m1 as BigUint64Array, c = corr as BigUint64Array, s = asSender as BigUint64Array, pw = pow2s(kb);
      for (let i = 0; i < np; i++) {
        const w = pw[kb ? i % kb : 0];
        for (let l = 0; l < L; l++) {
          const p = i * W + off + l, q = i * L + l;
          d[q] = (m1[p] - m0[p]) * w - c[q];
          s[q] = -(m0[p] * w);
        }
      }
      r.reduce(d);
      r.reduce(asSender);
    }
    // A random chooser's first product also carries e = b ⊕ r (one bit per OT, each direction).
    const announce = this.random && !this.eMine;
    if (announce) this.eMine = xorBits(this.bits, this.choices);
    const eOut = announce && nm ? packMsgs(this.eMine!, nm, 1) : new Uint8Array(0);
    const eIn = announce && np ? Math.ceil(np / 8) : 0;
    const mine = np ? (kb ? packShifted(r, d, np, L, kb) : r.pack(d)) : new Uint8Array(0);
    const recv = exchangeSend(ctx, concat(eOut, mine), eIn + (kb ? shiftedBytes(r.ell, nm, L, kb) : r.packedBytes(nm * L)));
    return async () => this.received(await recv(), { L, kb, off, eIn, np, nm, announce, asSender, corr });
  }

  private received(got: Uint8Array, q: { L: number; kb: number; off: number; eIn: number; np: number; nm: number; announce: boolean; asSender: RingArray; corr: RingArray }): { asSender: RingArray; asReceiver: RingArray } {
    const r = this.ring, W = this.width, { L, kb, off, eIn, np, nm, announce, asSender, corr } = q;
    if (announce) this.ePeer = np ? unpackMsgs(got.subarray(0, eIn), np, 1) : new Uint8Array(0);
    const asReceiver = r.alloc(nm * L);
    if (nm > 0) {
      const dp = kb ? unpackShifted(r, got.subarray(eIn), nm, L, kb) : r.unpack(got.subarray(eIn), nm * L);
      const b = this.choices;
      if (dp instanceof Uint32Array) {
        const mb = this.mb as Uint32Array, o = asReceiver as Uint32Array, mask = maskOf(r);
        for (let i = 0, j = 0; i < nm; i++) {
          const neg = b[i] ? 0xffffffff : 0;
          for (let l = 0; l < L; l++) {
            const q = i * L + l;
            o[q] = ((mb[i * W + off + l] << j) - (dp[q] & neg)) & mask;
          }
          if (kb && ++j === kb) j = 0;
        }
      } else {
        const mb = this.mb as BigUint64Array, o = asReceiver as BigUint64Array, pw = pow2s(kb);
        for (let i = 0; i < nm; i++) {
          const w = pw[kb ? i % kb : 0];
          for (let l = 0; l < L; l++) {
            const q = i * L + l, m = mb[i * W + off + l] * w;
            o[q] = b[i] ? m - dp[q] : m;
          }
        }
        r.reduce(asReceiver);
      }
    }
    if (this.random) derandomise(r, L, asSender, asReceiver, corr, this.ePeer!, this.eMine!);
    return { asSender, asReceiver };
  }
}

/** b = r ⊕ e: where e = 1 the receiver's share of r·c becomes −(its share) and the sender's c − (its share). */
function derandomise(r: Ring, L: number, asSender: RingArray, asReceiver: RingArray, corr: RingArray, ePeer: Bits, eMine: Bits): void {
  // One loop per array type (monomorphic element accesses), reduced where written.
  if (asSender instanceof Uint32Array) {
    // Branch-free (e is a random bit): with neg = −e (0 or all ones), s + ((c − 2s) & neg) is
    // s or c − s, and (o ⊕ neg) − neg is o or −o.
    const s = asSender, c = corr as Uint32Array, o = asReceiver as Uint32Array, m = maskOf(r);
    for (let i = 0; i < ePeer.length; i++) {
      const neg = -ePeer[i];
      for (let q = i * L; q < i * L + L; q++) s[q] = (s[q] + ((c[q] - 2 * s[q]) & neg)) & m;
    }
    for (let i = 0; i < eMine.length; i++) {
      const neg = -eMine[i];
      for (let q = i * L; q < i * L + L; q++) o[q] = ((o[q] ^ neg) - neg) & m;
    }
  } else {
    const s = asSender, c = corr as BigUint64Array, o = asReceiver as BigUint64Array;
    for (let i = 0; i < ePeer.length; i++) if (ePeer[i]) for (let q = i * L; q < i * L + L; q++) s[q] = c[q] - s[q];
    for (let i = 0; i < eMine.length; i++) if (eMine[i]) for (let q = i * L; q < i * L + L; q++) o[q] = -o[q];
    r.reduce(asSender);
    r.reduce(asReceiver);
  }
}

/** 2^ℓ − 1 of a narrow ring (ℓ ≤ 32), for reducing as a loop writes. */
const maskOf = (r: Ring): number => (r.ell >= 32 ? 0xffffffff : 2 ** r.ell - 1);

/** 2^j for j < kb (at least 2^0), as 64-bit BigInts: shifts by multiplication. */
const pow2Cache: bigint[][] = [];
function pow2s(kb: number): bigint[] {
  return (pow2Cache[kb] ??= Array.from({ length: Math.max(1, kb) }, (_, j) => 1n << BigInt(j)));
}

const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  if (a.length === 0) return b;
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
};

export function padsToRing(bytes: Uint8Array, count: number, width: number, ell: number): RingArray {
  const w = wordBits(ell), len = count * width;
  // The OT engine's pads arrive in a buffer of their own: view it and reduce in place (no copy).
  // Anything else (a view into a larger or misaligned buffer) is copied first.
  const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.byteLength === (len * w) / 8;
  const src = own || bytes.byteOffset % 8 === 0 ? bytes : bytes.slice();
  const a = w === 64 ? new BigUint64Array(src.buffer, src.byteOffset, len) : new Uint32Array(src.buffer, src.byteOffset, len);
  return ringOf(ell).reduce((own ? a : a.slice()) as RingArray);
}

/** What a chooser is made of: this party's choice bits (or a count of random ones), the peer's count. */
export interface ChooserSpec {
  ell: number;
  /** The real choice bits, or `{ random: n }` for n random ones (bound later with `bind`). */
  choices: Bits | { random: number };
  peerCount: number;
  /** Pad slices of Z_2^ell per OT: how many products the chooser serves. */
  width: number;
}

/**
 * Prepare several choosers in one flight: first this party's ROT messages as receiver for every
 * chooser (both parties send at once), then, in `finish`, its sender halves (reading the peer's).
 * Between the two, a party may send more of the same flight (e.g. the leaves of a comparison).
 */
export async function startChoosers(ctx: ProtoCtx, specs: ChooserSpec[]): Promise<() => Promise<Chooser[]>> {
  const mine: { choices: Bits; mb: RingArray }[] = [], free = randomFree(ctx.ot.cost);
  // With a silent backend a chooser on real bits is made on random ones and bound at once: no
  // preparation message, its first product carries e = b ⊕ r (the same bits the chosen COTs' own
  // corrections would have sent), so a protocol that opens by preparing choosers saves that flight.
  const chosen = (sp: ChooserSpec) => sp.choices instanceof Uint8Array && !free;
  for (const sp of specs) {
    const ring = ringOf(sp.ell), bits = sp.width * wordBits(sp.ell);
    if (chosen(sp)) {
      const choices = sp.choices as Bits;
      mine.push({ choices, mb: choices.length ? padsToRing(await ctx.ot.rotRecv(choices, bits), choices.length, sp.width, sp.ell) : ring.alloc(0) });
    } else {
      // Random choice bits: the engine's own (rrot: no message with a silent backend).
      const n = sp.choices instanceof Uint8Array ? sp.choices.length : sp.choices.random, r = n ? await ctx.ot.rrotRecv(n, bits) : { choices: new Uint8Array(0), pads: new Uint8Array(0) };
      mine.push({ choices: r.choices, mb: n ? padsToRing(r.pads, n, sp.width, sp.ell) : ring.alloc(0) });
    }
  }
  return async () => {
    const out: Chooser[] = [];
    for (const [k, sp] of specs.entries()) {
      const ring = ringOf(sp.ell);
      let m0: RingArray = ring.alloc(0), m1: RingArray = ring.alloc(0);
      if (sp.peerCount > 0) {
        // The peer's chooser is random when this party's is (protocols prepare both sides alike).
        const bits = sp.width * wordBits(sp.ell);
        const r = await (chosen(sp) ? ctx.ot.rotSend(sp.peerCount, bits) : ctx.ot.rrotSend(sp.peerCount, bits));
        m0 = padsToRing(r.m0, sp.peerCount, sp.width, sp.ell);
        m1 = padsToRing(r.m1, sp.peerCount, sp.width, sp.ell);
      }
      const c = new Chooser(ring, mine[k].choices, sp.peerCount, sp.width, mine[k].mb, m0, m1, !chosen(sp));
      out.push(sp.choices instanceof Uint8Array && !chosen(sp) ? c.bind(sp.choices) : c);
    }
    return out;
  };
}

/** ROT pads in both directions, in one flight. `width` pad slices of Z_2^ell per OT. */
export async function makeChooser(ctx: ProtoCtx, ell: number, myChoices: Bits | { random: number }, peerCount: number, width: number): Promise<Chooser> {
  return (await (await startChoosers(ctx, [{ ell, choices: myChoices, peerCount, width }]))())[0];
}

/** Counts of a chooser's COTs: server as receiver, client as receiver; `chosen`: made on real bits (else random ones). */
export interface ChooserCounts {
  server: number;
  client: number;
  chosen?: boolean;
}

/**
 * Whether random-choice ROTs need no message on this backend (a silent one: Ferret). Then every
 * chooser is made on random bits (`startChoosers`), and the first product of one made for real
 * bits carries e = b ⊕ r (cost functions: `announce` = this).
 */
export const randomFree = (ot: OtCostModel): boolean => ot.plan.rcot(1).receiverToSender.length === 0;

/** Bytes each party sends to prepare choosers (its receiver halves), as one flight. */
export function choosersFlight(b: CostBuilder, counts: ChooserCounts[]): { c2s: number; s2c: number } {
  for (const c of counts) {
    b.draw('client', c.client);
    b.draw('server', c.server);
  }
  const free = randomFree(b.ot);
  const u = (n: number, chosen?: boolean) => (n > 0 ? (chosen && !free ? b.ot.plan.cot(n) : b.ot.plan.rcot(n)).receiverToSender.reduce((x, y) => x + y, 0) : 0);
  return { c2s: counts.reduce((s, c) => s + u(c.client, c.chosen), 0), s2c: counts.reduce((s, c) => s + u(c.server, c.chosen), 0) };
}

export function makeChooserCost(b: CostBuilder, _ell: number, serverCount: number, clientCount: number): void {
  const f = choosersFlight(b, [{ server: serverCount, client: clientCount, chosen: true }]);
  b.exchange(f.c2s, f.s2c);
}

export function productsCost(b: CostBuilder, ell: number, serverCount: number, clientCount: number, L: number, announce = false, kb = 0): void {
  const r = ringOf(ell);
  // The server sends corrections for the client's choices and vice versa (a random chooser's
  // first product also carries each side's e bits); `kb`: bit-weighted corrections (Chooser.products).
  const e = (n: number) => (announce && n > 0 ? Math.ceil(n / 8) : 0);
  const corr = (n: number) => (kb ? shiftedBytes(ell, n, L, kb) : r.packedBytes(n * L));
  b.exchange(corr(serverCount) + e(clientCount), corr(clientCount) + e(serverCount));
}

// ---- AND of XOR-shared bits ----
