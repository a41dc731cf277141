// Names the checker knows: module members and local variables, in nested scopes.
import type { FnItem, Item, Span } from './ast.ts';
import type { Dim } from './dims.ts';
import type { Module } from './modules.ts';
import type { Enc, Ty, Vis } from './types.ts';

export interface VarEntity {
  kind: 'var';
  name: string;
  ty: Ty;
  span: Span;
  /** Declared by `let`, `input` or a loop: may be reassigned with `=` (loop-carried state). */
  mutable: boolean;
  used: boolean;
  /** Warn when unused (local lets only). */
  warnUnused: boolean;
}
export interface FnEntity {
  kind: 'fn';
  item: FnItem;
  module: Module;
}
export type Entity =
  | VarEntity
  | FnEntity
  | { kind: 'overload'; name: string; members: FnEntity[] }
  | { kind: 'module'; module: Module }
  /** The alias of an import that failed (already reported): uses of it are silent errors. */
  | { kind: 'broken-module'; name: string }
  | { kind: 'alias'; enc: Enc }
  /** A block of shared input declarations, defined as `(inputs) NAME` (apart from values). */
  | { kind: 'inputs'; item: Extract<Item, { kind: 'Inputs' }> }
  /** A generic parameter visible inside a generic function body. */
  | { kind: 'generic-dim'; dim: Dim }
  /** A generic parameter `F: unary` (an activation passed to the function). */
  | { kind: 'generic-fn'; name: string }
  | { kind: 'generic-enc'; enc: Enc }
  | { kind: 'generic-vis'; vis: Vis };

export class Scope {
  private readonly names = new Map<string, Entity>();
  readonly parent: Scope | null;
  constructor(parent: Scope | null = null) {
    this.parent = parent;
  }
  lookup(name: string): Entity | undefined {
    return this.names.get(name) ?? this.parent?.lookup(name);
  }
  own(name: string): Entity | undefined {
    return this.names.get(name);
  }
  define(name: string, e: Entity): void {
    this.names.set(name, e);
  }
  /** Walk up to find the scope that owns `name`. */
  owner(name: string): Scope | undefined {
    return this.names.has(name) ? this : this.parent?.owner(name);
  }
  entries(): IterableIterator<[string, Entity]> {
    return this.names.entries();
  }
}
