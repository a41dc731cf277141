// Prettier 3 plugin for CPL (`*.cpl`): `prettier --plugin ./src/format/plugin.ts file.cpl`, or
// through formatCpl (src/format/index.ts). Style: 2-space indent, one statement per line, at most
// one blank line kept between items and statements, lists broken one item per line when a line
// would pass printWidth (default 100). Comments (line and block) are kept.
import type { Plugin, SupportLanguage } from 'prettier';
import { handleComments } from './comments.ts';
import { childKeys, type CplComment, type FNode } from './nodes.ts';
import { parseForFormat } from './parse.ts';
import { printComment, printNode } from './printer.ts';

type Located = FNode | CplComment;

/** String index where a node or comment starts (the AST's byte spans were converted when tagging). */
export const locStart = (node: Located): number => node.loc.start;
export const locEnd = (node: Located): number => node.loc.end;

export const languages: SupportLanguage[] = [
  { name: 'CPL', parsers: ['cpl'], extensions: ['.cpl'], vscodeLanguageIds: ['cpl'] },
];

export const parsers: Plugin<Located>['parsers'] = {
  cpl: {
    parse: (text, options) => parseForFormat(text, options.filepath ?? '<input>'),
    astFormat: 'cpl-ast',
    locStart,
    locEnd,
  },
};

export const printers: Plugin<Located>['printers'] = {
  'cpl-ast': {
    print: (path, options, print) => printNode(path as never, options as never, print as never),
    printComment: (path) => printComment(path as never),
    canAttachComment: (node) => node.$t !== 'Comment' && !(node as FNode).$elseIf,
    isBlockComment: (node) => node.$t === 'Comment' && node.block,
    getVisitorKeys: (node) => childKeys(node.$t),
    handleComments,
  },
};

export const defaultOptions: Plugin['defaultOptions'] = { printWidth: 100, tabWidth: 2, useTabs: false };

const plugin: Plugin<Located> = { languages, parsers, printers, defaultOptions };
export default plugin;
