// Bench only: CPU time (this thread's, medians) of the parts of one Ferret iteration on this thread, per output COT —
// GGM expansion (sender's full trees), the LPN map (the WebAssembly kernel, and the JavaScript
// reference in the same run: `lpnJs`), the LPN matrix stream alone (AES-128-CTR, 4·d bytes per
// COT in the kernel's 40 KB slices: the index generation's share of `lpn`), the TCCR hash over the
// trees' COTs — for the setup and main parameters, and IKNP's bit transpose per COT.
//   node bench/ot/parts.ts [--reps 3] [--params setup,main]
import { createCipheriv, randomFillSync } from 'node:crypto';
import { Ggm } from '../../src/crypto/ot/ggm.ts';
import { lpnEncode } from '../../src/crypto/ot/ferret/lpn.ts';
import { FERRET_MAIN, FERRET_SETUP, type LpnParams } from '../../src/crypto/ot/ferret/params.ts';
import { Tccr } from '../../src/crypto/ot/aes.ts';
import { transpose128 } from '../../src/crypto/ot/transpose.ts';

const arg = (name: string, d: string) => (process.argv.includes(`--${name}`) ? process.argv[process.argv.indexOf(`--${name}`) + 1] : d);
const reps = Number(arg('reps', '3'));
const sets = arg('params', 'setup,main').split(',').map((s) => (s === 'main' ? FERRET_MAIN : FERRET_SETUP));
const rand = (bytes: number) => {
  const b = new Uint8Array(bytes);
  for (let o = 0; o < bytes; o += 65536) randomFillSync(b, o, Math.min(65536, bytes - o));
  return b;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** Median over reps of this thread's CPU time (user + system), ms: robust to other load. */
function time(fn: () => void): number {
  const ts: number[] = [];
  for (let r = 0; r < reps; r++) {
    const c0 = process.threadCpuUsage();
    fn();
    const c1 = process.threadCpuUsage(c0);
    ts.push((c1.user + c1.system) / 1000);
  }
  return median(ts);
}
const ggm = new Ggm(), hash = new Tccr();
const out: Record<string, unknown> = {};
for (const p of sets as LpnParams[]) {
  const buf = new Uint32Array(4 * p.n), x = new Uint32Array(rand(16 * p.k).buffer), roots = rand(16 * p.t), tree = rand(16 * p.t * p.h);
  const g = time(() => ggm.expand(roots, p.t, p.h, buf));
  const l = time(() => lpnEncode(p, x, buf, { impl: 'wasm' }));
  const lj = time(() => lpnEncode(p, x, buf, { impl: 'js' }));
  const zeros = new Uint8Array(4 * p.d * 1024);
  const st = time(() => {
    const c = createCipheriv('aes-128-ctr', new Uint8Array(16), new Uint8Array(16));
    for (let from = 0; from < p.n; from += 1024) c.update(zeros);
  });
  const h = time(() => hash.hash(tree, p.t * p.h, 128, { base: 0, domain: 4 }));
  const ns = (ms: number) => Math.round((ms * 1e6) / p.n * 10) / 10;
  out[p.name] = { n: p.n, ggmMs: g, lpnMs: l, lpnJsMs: lj, hashMs: h, nsPerCot: { ggm: ns(g), lpn: ns(l), lpnJs: ns(lj), lpnStream: ns(st), hash: ns(h), total: ns(g + l + h) } };
  process.stderr.write(`${p.name}: ggm ${g.toFixed(1)} ms, lpn ${l.toFixed(1)} ms (js ${lj.toFixed(1)}), tree hash ${h.toFixed(1)} ms; ns/COT ${JSON.stringify((out[p.name] as { nsPerCot: unknown }).nsPerCot)}\n`);
}
{
  // IKNP's bit transpose of one chunk (2^17 COTs).
  const rows = 1 << 17, cols = Array.from({ length: 128 }, () => new Uint32Array(rand(rows / 8).buffer)), t = new Uint32Array(4 * rows);
  const ms = time(() => transpose128(cols, rows, t));
  out.transpose = { rows, ms, nsPerCot: Math.round((ms * 1e6) / rows * 10) / 10 };
  process.stderr.write(`IKNP transpose: ${ms.toFixed(1)} ms per 2^17 rows, ${(out.transpose as { nsPerCot: number }).nsPerCot} ns/COT\n`);
}
console.log(JSON.stringify(out));
