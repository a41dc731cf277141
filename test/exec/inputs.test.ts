// Random inputs for trying a program: ranges per input (or for all) with --input-range, the
// defaults per encoding, and --save-inputs writing what was drawn in the form --inputs reads.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gatherInputs, randomInputs, readInputs } from '../../src/cli/inputs.ts';
import { compile } from './helpers.ts';

describe('random inputs', () => {
  const p = compile('test/front/programs/loop-grown.cpl'); // x: client act[4, 8], y: client act[1, 8], w: server act[8, 8]

  it('draws each input from its range: --input-range for all, NAME= for one, defaults otherwise', () => {
    const notes: string[] = [];
    const v = gatherInputs(p, { 'random-inputs': '7', 'input-range': ['0,1', 'w=-3,-2'] }, undefined, (s) => notes.push(s));
    const all = (name: string) => Array.from(v[name]);
    for (const x of [...all('x'), ...all('y')]) expect(x >= 0 && x < 1).toBe(true);
    for (const x of all('w')) expect(x >= -3 && x < -2).toBe(true);
    expect(Math.max(...all('x')) - Math.min(...all('x'))).toBeGreaterThan(0.5); // spread over the range, not one value
    expect(notes).toEqual(['random inputs (seed 7): x in [0, 1), y in [0, 1), w in [-3, -2)']);
    const d = randomInputs(p, 7);
    for (const x of Array.from(d.w)) expect(Math.abs(x)).toBeLessThanOrEqual(0.25);
  });

  it('saves the inputs it used, which --inputs reads back unchanged', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cp-inputs-')), 'in.json');
    const v = gatherInputs(p, { 'random-inputs': '3', 'save-inputs': file });
    expect(Object.keys(JSON.parse(readFileSync(file, 'utf8')))).toEqual(['x', 'y', 'w']);
    const back = readInputs(file);
    for (const k of Object.keys(v)) expect(Array.from(back[k])).toEqual(Array.from(v[k]));
  });

  it('refuses bad ranges with a usage error', () => {
    expect(() => gatherInputs(p, { 'random-inputs': '1', 'input-range': ['1,0'] })).toThrow(/LO < HI/);
    expect(() => gatherInputs(p, { 'random-inputs': '1', 'input-range': ['q=0,1'] })).toThrow(/does not declare/);
    expect(() => gatherInputs(p, { inputs: 'x.json', 'input-range': ['0,1'] })).toThrow(/needs --random-inputs/);
  });
});
