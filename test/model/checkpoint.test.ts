// safetensors reading (against a file written by Python's safetensors 0.8.0) and every
// checkpoint error, each with its exact message.
import { copyFileSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkpointInputs, configSizes, openCheckpoint, withCheckpointMode } from '../../src/model/checkpoint.ts';
import { encodeSafeTensors, floatToHalf, halfToFloat, parseSafeTensors, readSafeTensors, writeSafeTensors } from '../../src/model/safetensors.ts';
import { compile } from '../exec/helpers.ts';
import { randomWeights, writeCheckpoint } from './helpers.ts';

const fixture = join(import.meta.dirname, 'fixtures', 'python.safetensors');

describe('safetensors', () => {
  it('reads a file written by Python safetensors (F32, F16, F64, I64, 0-d, metadata)', () => {
    // Written by: save_file({"a": (arange(35, float32).reshape(7, 5) - 17) / 8, "half": float16
    // [0.5, -2, 65504, 6.1035156e-05, 5.96e-08], "double": [[1/3, -1e-300], [2.5, 1e300]],
    // "ints": int64 [[1, -2, 3], [4, 5, -6]], "scalar": float32 3.25}, metadata={...})
    const st = readSafeTensors(fixture);
    expect(st.metadata).toEqual({ format: 'np', note: 'written by Python safetensors 0.8.0' });
    expect(st.tensors.get('a')).toMatchObject({ dtype: 'F32', shape: [7, 5] });
    expect(Array.from(st.read('a'))).toEqual(Array.from({ length: 35 }, (_, i) => (i - 17) / 8));
    expect(Array.from(st.read('half'))).toEqual([0.5, -2, 65504, 2 ** -14, 2 ** -24]);
    expect(Array.from(st.read('double'))).toEqual([1 / 3, -1e-300, 2.5, 1e300]);
    expect(Array.from(st.read('ints'))).toEqual([1, -2, 3, 4, 5, -6]);
    expect(st.tensors.get('scalar')!.shape).toEqual([]);
    expect(Array.from(st.read('scalar'))).toEqual([3.25]);
  });

  it('our writer round-trips, and is byte-identical to Python for the same tensors', () => {
    const st = readSafeTensors(fixture);
    const mine = encodeSafeTensors({ a: { dtype: 'F32', shape: [7, 5], data: st.read('a') } });
    expect(Array.from(parseSafeTensors(mine).read('a'))).toEqual(Array.from(st.read('a')));
    const f16 = parseSafeTensors(encodeSafeTensors({ h: { dtype: 'F16', shape: [5], data: st.read('half') } }));
    expect(Array.from(f16.read('h'))).toEqual(Array.from(st.read('half')));
  });

  it('F16 rounding is to nearest even, BF16 widens the high 16 bits', () => {
    for (const x of [0, 1, -1, 0.1, 1 / 3, 1000.7, 65504, 1e-7, -3e-5]) {
      const h = halfToFloat(floatToHalf(x));
      expect(Math.abs(h - x)).toBeLessThanOrEqual(Math.max(Math.abs(x) * 2 ** -11, 2 ** -25));
    }
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00); // tie -> even
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
    const data = Buffer.alloc(8);
    data.writeUInt16LE(0x3fc0, 0); // 1.5
    data.writeUInt16LE(0xc2f7, 2); // -123.5
    const patched = raw({ x: { dtype: 'BF16', shape: [4], data_offsets: [0, 8] } }, data);
    expect(Array.from(parseSafeTensors(patched).read('x'))).toEqual([1.5, -123.5, 0, 0]);
  });
});

describe('checkpoint errors name the tensor, the input and the expected shape', () => {
  // test/model/fixtures/sources.cpl: every kind of input source, at fixed lines.
  const p = compile('test/model/fixtures/sources.cpl');
  const weights = randomWeights(p, 3);
  const fresh = () => writeCheckpoint(p, weights, { dtype: 'F32' });
  type T = Record<string, { dtype: 'F32'; shape: number[]; data: Float64Array }>;
  const tensorsOf = (file: string): T => {
    const st = readSafeTensors(file);
    return Object.fromEntries([...st.tensors.values()].map((i) => [i.name, { dtype: 'F32' as const, shape: i.shape, data: st.read(i.name) }]));
  };
  const rewrite = (dir: string, edit: (t: T) => void) => {
    const t = tensorsOf(join(dir, 'model.safetensors'));
    edit(t);
    writeSafeTensors(join(dir, 'model.safetensors'), t);
  };
  const bind = (dir: string) => () => checkpointInputs(p, openCheckpoint(dir));
  const F = 'test/model/fixtures/sources.cpl';

  it('round trip: every source kind reads back the values it was written from', () => {
    const bound = bind(fresh())();
    for (const k of Object.keys(weights)) expect(Array.from(bound[k])).toEqual(Array.from(weights[k], Math.fround)); // written as F32
    expect(tensorsOf(join(fresh(), 'model.safetensors'))['attn.c_attn.weight'].shape).toEqual([4, 12]);
  });

  it('missing tensor', () => {
    const dir = fresh();
    rewrite(dir, (t) => delete t['classifier.weight']);
    expect(bind(dir)).toThrow(`checkpoint ${dir}: no tensor 'classifier.weight' (input wc (${F}:21) reads "classifier.weight^T")`);
  });

  it('misnamed tensor: the closest name is suggested', () => {
    const dir = fresh();
    rewrite(dir, (t) => {
      t['layer.1.dense.weights'] = t['layer.1.dense.weight'];
      delete t['layer.1.dense.weight'];
    });
    expect(bind(dir)).toThrow(`checkpoint ${dir}: no tensor 'layer.1.dense.weight' (input w (${F}:17) reads "layer.{l}.dense.weight^T", layer 1); did you mean 'layer.1.dense.weights'?`);
  });

  it('misshaped tensors: transposed, too few rows, too few columns', () => {
    const dir = fresh();
    rewrite(dir, (t) => (t['classifier.weight'] = { dtype: 'F32', shape: [4, 2], data: new Float64Array(8) }));
    expect(bind(dir)).toThrow(`checkpoint ${dir}: tensor 'classifier.weight' has shape [4, 2], expected [2, 4] (input wc (${F}:21) reads "classifier.weight^T")`);
    rewrite(dir, (t) => {
      t['classifier.weight'] = { dtype: 'F32', shape: [2, 4], data: new Float64Array(8) };
      t['emb.type.weight'] = { dtype: 'F32', shape: [0, 4], data: new Float64Array(0) };
    });
    expect(bind(dir)).toThrow(`checkpoint ${dir}: tensor 'emb.type.weight' has shape [0, 4], expected [≥1, 4] (input tte (${F}:16) reads "emb.type.weight[0]")`);
    rewrite(dir, (t) => {
      t['emb.type.weight'] = { dtype: 'F32', shape: [2, 4], data: new Float64Array(8) };
      t['attn.c_attn.weight'] = { dtype: 'F32', shape: [4, 8], data: new Float64Array(32) };
    });
    expect(bind(dir)).toThrow(`checkpoint ${dir}: tensor 'attn.c_attn.weight' has shape [4, 8], expected [4, ≥12] (input wv (${F}:19) reads "attn.c_attn.weight[:, 2d:3d]")`);
  });

  it('wrong dtype', () => {
    const dir = fresh();
    const file = join(dir, 'model.safetensors');
    const t = tensorsOf(file);
    const header: Record<string, unknown> = {};
    let off = 0;
    for (const [name, v] of Object.entries(t)) {
      header[name] = { dtype: name === 'classifier.bias' ? 'I32' : 'F32', shape: v.shape, data_offsets: [off, (off += 4 * v.data.length)] };
    }
    writeFileSync(file, raw(header, Buffer.alloc(off)));
    expect(bind(dir)).toThrow(`checkpoint ${dir}: tensor 'classifier.bias' has dtype I32, but input bc (${F}:22) reads "classifier.bias" needs floating point (F32, F16, BF16 or F64)`);
  });

  it('unsupported dtype in the header', () => {
    const file = join(fresh(), 'model.safetensors');
    writeFileSync(file, raw({ 'emb.weight': { dtype: 'U32', shape: [1], data_offsets: [0, 4] } }, Buffer.alloc(4)));
    expect(() => readSafeTensors(file)).toThrow(`${file}: tensor 'emb.weight' has dtype "U32", which is not supported (supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)`);
  });

  it('truncated file', () => {
    const dir = fresh();
    const file = join(dir, 'model.safetensors');
    const size = readFileSync(file).length;
    const last = [...readSafeTensors(file).tensors.values()].at(-1)!;
    truncateSync(file, size - 2);
    expect(() => openCheckpoint(dir)).toThrow(`${file}: tensor '${last.name}' ends at byte ${size} but the file has only ${size - 2} bytes (the file is truncated)`);
    truncateSync(file, 100);
    expect(() => openCheckpoint(dir)).toThrow(`${file}: not a valid safetensors file: the header says ${readFileSync(fresh() + '/model.safetensors').readUInt32LE(0)} bytes of JSON but the file has only 92 after the length (truncated?)`);
    truncateSync(file, 5);
    expect(() => openCheckpoint(dir)).toThrow(`${file}: not a valid safetensors file: the file has 5 bytes, fewer than the 8-byte header length (truncated?)`);
  });

  it('a size that does not match the data offsets', () => {
    const file = join(fresh(), 'model.safetensors');
    writeFileSync(file, raw({ 'emb.weight': { dtype: 'F32', shape: [2, 3], data_offsets: [0, 20] } }, Buffer.alloc(20)));
    expect(() => readSafeTensors(file)).toThrow(`${file}: not a valid safetensors file: tensor 'emb.weight' (F32 [2, 3]) needs 24 bytes but its data_offsets span 20`);
  });

  it('missing files', () => {
    const dir = fresh();
    rmSync(join(dir, 'model.safetensors'));
    expect(() => openCheckpoint(dir)).toThrow(`checkpoint ${dir} has no model.safetensors`);
    rmSync(join(dir, 'config.json'));
    expect(() => openCheckpoint(dir)).toThrow(`checkpoint ${dir} has no config.json`);
    expect(() => openCheckpoint(join(dir, 'nope'))).toThrow(`no checkpoint folder ${join(dir, 'nope')}`);
  });

  it('Hugging Face prefixes: GPT2LMHeadModel names (transformer.h.0...) resolve', () => {
    const g = compile('protocols/gpt2.cpl', 'gpt2_dense');
    const w = randomWeights(g, 4);
    const dir = writeCheckpoint(g, w);
    rewriteAll(dir, (name) => `transformer.${name}`);
    const bound = checkpointInputs(g, openCheckpoint(dir));
    for (const k of Object.keys(w)) expect(Array.from(bound[k])).toEqual(Array.from(w[k]));
  });

  it('config.json sizes: n_inner null is 4 n_embd, num_labels from id2label', () => {
    expect(configSizes({ n_embd: 64, n_inner: null, n_layer: 2, id2label: { 0: 'neg', 1: 'pos' }, layer_norm_epsilon: 1e-5 })).toEqual({ n_embd: 64, n_inner: 256, n_layer: 2, num_labels: 2 });
  });
});

/** A safetensors file from a header object and data bytes. */
function raw(header: Record<string, unknown>, data: Buffer): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, data]);
}

function rewriteAll(dir: string, rename: (n: string) => string) {
  const file = join(dir, 'model.safetensors');
  const st = readSafeTensors(file);
  const t = Object.fromEntries([...st.tensors.values()].map((i) => [rename(i.name), { dtype: 'F64' as const, shape: i.shape, data: st.read(i.name) }]));
  copyFileSync(file, file + '.bak');
  writeSafeTensors(file, t);
}

describe('thresholds.json "exact" (exact mode, docs/tuning.md)', () => {
  const pruned = compile('protocols/bert.cpl', 'bert_cipherprune'), dense = compile('protocols/bert.cpl', 'bert_dense');
  const dir = writeCheckpoint(dense, randomWeights(dense, 1), { thresholds: { 'cipherprune.theta': [0.1, 0.2], 'cipherprune.theta_hi': [0.3, 0.4] } });
  const th = (v: unknown) => writeFileSync(join(dir, 'thresholds.json'), JSON.stringify({ 'cipherprune.theta': [0.1, 0.2], 'cipherprune.theta_hi': [0.3, 0.4], exact: v }));

  it('true: programs that take the thresholds run in exact mode, dense ones do not', () => {
    th(true);
    const ck = openCheckpoint(dir);
    expect(ck.exact).toBe(true);
    expect(withCheckpointMode(pruned, ck).exact).toBe(true);
    expect(withCheckpointMode(dense, ck).exact).toBeUndefined();
    th(false);
    expect(withCheckpointMode(pruned, openCheckpoint(dir)).exact).toBeUndefined();
  });

  it('anything but a boolean is an error naming the file', () => {
    th('yes');
    expect(() => openCheckpoint(dir)).toThrow(/thresholds\.json: "exact" must be true or false, got "yes"/);
    rmSync(dir, { recursive: true });
  });
});
