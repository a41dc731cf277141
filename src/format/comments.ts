// Comment placement rules on top of prettier's default attachment (which puts each comment next
// to the nearest enclosing, preceding or following node). Without them, comments in unusual
// places would move on every run; the formatter must be idempotent.
import { util } from 'prettier';
import { categories, type CplComment, type FNode } from './nodes.ts';

interface Decorated extends CplComment {
  enclosingNode?: FNode;
  precedingNode?: FNode;
  followingNode?: FNode;
}

/** Nodes that own a line of output: a line comment inside one of them but in no list stays with it. */
const lineOwners = new Set([...categories.Stmt, ...categories.Item, 'Module', 'ConfigEntry', 'Param', 'GenericParam', 'TupleField']);
/** Nodes whose children can each go on their own line, so a line comment between them can stay. */
const lists = new Set(['File', 'Block', 'Config', 'Fn', 'Call', 'Tuple', 'TupleType', 'PTuple', 'Index', 'Binary']);
const genericArgs = new Set(categories.GenericArg);
const withBlock = new Set(['If', 'For', 'Fn', 'Model', 'Inputs', 'Config']);

/** At the end of an `if`'s then block (for comments between `}` and `else`). */
function endOfThen(ifNode: FNode, comment: Decorated): true {
  const then: FNode = ifNode.then;
  if (then.stmts.length) util.addTrailingComment(then.stmts[then.stmts.length - 1], comment);
  else util.addDanglingComment(then, comment, null);
  return true;
}

function handle(comment: Decorated, text: string, placement: 'ownLine' | 'endOfLine' | 'remaining'): boolean {
  const { enclosingNode: encl, precedingNode: prev, followingNode: next } = comment;
  // Between `}` and `else`: keep it at the end of the then block.
  if (encl?.$t === 'If' && prev === encl.then && next) return endOfThen(encl, comment);
  // Between a header (`if c`, `fn f(...)`, `for ...`, `model m`) and its `{`: move it into the
  // block, above the first statement.
  const nextAt = nextCodeIndex(text, comment);
  const nextChar = text.charAt(nextAt);
  if (next?.$t === 'Block' && nextChar === '{') {
    if (next.stmts.length) util.addLeadingComment(next.stmts[0], comment);
    else util.addDanglingComment(next, comment, null);
    return true;
  }
  // Between `@attr` and `fn`/`prim`: keep it under the attribute.
  if (prev?.$t === 'Attribute' && next?.$t !== 'Attribute' && /^(fn|prim)\b/.test(text.slice(nextAt, nextAt + 5))) {
    util.addTrailingComment(prev, comment);
    return true;
  }
  // `fn /* c */ f() {}` (no parameter to attach to): above the function.
  if (encl?.$t === 'Fn' && !prev && next && (next === encl.result || next === encl.body)) {
    util.addLeadingComment(encl, comment);
    return true;
  }
  // `model /* c */ m {`: above the model.
  if ((encl?.$t === 'Model' || encl?.$t === 'Inputs') && next === encl.body) {
    util.addLeadingComment(encl, comment);
    return true;
  }
  // After the last parameter (or generic), before the result type or the body: keep it there.
  if (encl?.$t === 'Fn' && next && (next === encl.result || next === encl.body) && (prev?.$t === 'Param' || prev?.$t === 'GenericParam')) {
    util.addTrailingComment(prev, comment);
    return true;
  }
  if (comment.block || !encl) return false;
  // Between a callee and `(` (or a target and `[`): before the first argument.
  const head = encl.$t === 'Call' ? encl.callee : encl.$t === 'Index' ? encl.target : undefined;
  if (head && prev === head && next && (encl.args ?? encl.indices).includes(next)) {
    util.addLeadingComment(next, comment);
    return true;
  }
  // `a + b + // c` then `d`: the comment follows `b` (the operand it was written after), whether
  // or not the operator chain is flattened when printed.
  if (placement !== 'ownLine' && encl.$t === 'Binary' && prev?.$t === 'Binary') {
    let last = prev;
    while (last.$t === 'Binary') last = last.right;
    util.addTrailingComment(last, comment);
    return true;
  }
  // A second line comment after the same node (`a // x` then `+ // y`): before the next one.
  if (placement !== 'ownLine' && prev && next && prev.comments?.some((c) => c.trailing && !c.block)) {
    util.addLeadingComment(next, comment);
    return true;
  }
  // A line comment inside something printed on one line (a type, a shape, `::<...>`, a
  // statement's head): lift it to the statement, parameter or field that owns the line.
  const inGenerics = encl.$t === 'Call' && (genericArgs.has(prev?.$t ?? '') || genericArgs.has(next?.$t ?? ''));
  if (!lists.has(encl.$t) || inGenerics || (head && prev === head)) {
    let owner: FNode | undefined = encl;
    while (owner && !lineOwners.has(owner.$t)) owner = owner.$parent;
    if (owner) {
      // In the head of an `else if`: same as between `}` and `else`.
      if (owner.$t === 'If' && owner.$parent?.$elseIf) return endOfThen(owner.$parent.$parent!, comment);
      // After the owner if it ends on this line; above it if it holds a block (`if c // x` then `{`).
      if (placement === 'ownLine' || withBlock.has(owner.$t)) util.addLeadingComment(owner, comment);
      else util.addTrailingComment(owner, comment);
      return true;
    }
  }
  return false;
}

function nextCodeIndex(text: string, comment: Decorated): number {
  const i = util.getNextNonSpaceNonCommentCharacterIndex(text, comment.loc.end);
  return i === false ? text.length : i;
}

export const handleComments = {
  ownLine: (c: Decorated, text: string) => handle(c, text, 'ownLine'),
  endOfLine: (c: Decorated, text: string) => handle(c, text, 'endOfLine'),
  remaining: (c: Decorated, text: string) => handle(c, text, 'remaining'),
};
