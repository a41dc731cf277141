// Comment placement rules on top of prettier's default attachment (which puts each comment next
// to the nearest enclosing, preceding or following node). These cases would otherwise move a
// comment to a different place on every run (the formatter must be idempotent).
import { util } from 'prettier';
import type { CplComment, FNode } from './nodes.ts';

interface Decorated extends CplComment {
  enclosingNode?: FNode;
  precedingNode?: FNode;
  followingNode?: FNode;
}

function handle(comment: Decorated): boolean {
  const { enclosingNode: encl, precedingNode: prev, followingNode: next } = comment;
  // Between `}` and `else`: keep it at the end of the then block.
  if (encl?.$t === 'If' && prev === encl.then && next) {
    const then: FNode = encl.then;
    if (then.stmts.length) util.addTrailingComment(then.stmts[then.stmts.length - 1], comment);
    else util.addDanglingComment(then, comment, null);
    return true;
  }
  // Between a header (`if c`, `} else`, `fn f(...)`, `for ...`, `model m`) and its `{`:
  // move it into the block, above the first statement.
  if (next?.$t === 'Block') {
    if (next.stmts.length) util.addLeadingComment(next.stmts[0], comment);
    else util.addDanglingComment(next, comment, null);
    return true;
  }
  // On its own line between `@attr` and `fn`/`prim`: keep it under the attribute.
  if (prev?.$t === 'Attribute' && next?.$t !== 'Attribute') {
    util.addTrailingComment(prev, comment);
    return true;
  }
  return false;
}

export const handleComments = { ownLine: handle, endOfLine: handle, remaining: handle };
