// Expanding command-line paths: files as given, directories to the .cpl files inside them.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from './args.ts';

export function expandCplPaths(paths: string[]): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new UsageError(`no such file or directory: ${p}`);
    }
    if (st.isDirectory()) {
      for (const e of readdirSync(p).sort()) {
        const full = join(p, e);
        if (statSync(full).isDirectory()) walk(full);
        else if (e.endsWith('.cpl')) out.push(full);
      }
    } else out.push(p);
  };
  paths.forEach(walk);
  return out;
}
