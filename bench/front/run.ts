// bench/front: time to check all bundled programs (target: well under 1 s), with parse-only
// time measured in the same run as the baseline.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseCst } from '../../grammar/parser.ts';
import { check } from '../../src/front/index.ts';
import { report, timeit } from '../lib.ts';

const files = ['stdlib', 'protocols'].flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.cpl')).map((f) => join(d, f)));
const texts = files.map((f) => readFileSync(f, 'utf8'));
const reps = Number(process.argv[2] ?? 20);

const parseOnly = await timeit(() => texts.forEach((t) => parseCst(t)), reps, 3);
const checkAll = await timeit(() => {
  const r = check(files.map((path) => ({ path })));
  if (!r.ok) throw new Error('bundled programs do not check');
}, reps, 3);
// First call in a fresh process includes parser construction; measured separately by spawning is
// overkill here: the warm-up runs above absorb it.

report('front', {
  files,
  lines: texts.reduce((n, t) => n + t.split('\n').length, 0),
  reps,
  parseOnlySeconds: { median: parseOnly.median, min: parseOnly.min },
  checkAllSeconds: { median: checkAll.median, min: checkAll.min },
  checkOverParse: checkAll.median / parseOnly.median,
  targetSeconds: 1,
  meetsTarget: checkAll.median < 1,
});
