// Every diagnostic code, as data. docs/diagnostics.md lists the same table (a test checks it).
// Ranges: E01xx syntax, E02xx names and modules, E03xx types, E04xx shapes, E05xx visibility,
// W0xxx warnings.

export interface CodeInfo {
  code: string;
  title: string;
  severity: 'error' | 'warning';
}

const table: [string, string][] = [
  ['E0101', 'unexpected character'],
  ['E0102', 'syntax error'],
  ['E0103', 'unterminated block comment or string'],
  ['E0104', 'invalid number literal'],
  ['E0201', 'unknown name'],
  ['E0202', 'duplicate definition'],
  ['E0203', 'unknown module'],
  ['E0204', 'unknown type or encoding'],
  ['E0205', 'import cycle'],
  ['E0206', 'unknown generic parameter kind'],
  ['E0207', 'assignment to an undeclared or immutable name'],
  ['E0208', 'unknown member of a module'],
  ['E0209', 'overload member is not a primitive'],
  ['E0210', 'unknown inputs block'],
  ['E0211', 'statement other than input in an inputs block'],
  ['E0301', 'type mismatch'],
  ['E0302', 'no overload matches the arguments'],
  ['E0303', 'wrong number of arguments'],
  ['E0304', 'not callable'],
  ['E0305', 'tuple arity mismatch'],
  ['E0306', 'missing return'],
  ['E0307', 'return outside a function'],
  ['E0309', 'invalid encoding parameters'],
  ['E0310', 'recursive function'],
  ['E0311', 'not a compile-time or dimension value'],
  ['E0312', 'cannot infer generic parameter'],
  ['E0313', 'indexing a scalar or tuple'],
  ['E0401', 'shape mismatch'],
  ['E0402', 'rank mismatch'],
  ['E0403', 'index out of range'],
  ['E0404', 'dimension must be a public integer'],
  ['E0405', 'invalid dimension expression'],
  ['E0406', 'loop bound revealed during the run'],
  ['E0501', 'secret value reaches a public place without reveal'],
  ['E0502', 'output to a party that may not see the value'],
  ['E0503', 'condition or loop bound must be public'],
  ['E0504', 'inputs must be private to their owner'],
  ['E0506', 'private value of one party reaches the other party'],
  ['E0507', 'input or output outside a model'],
  ['W0001', 'unused variable'],
  ['W0002', 'reveal of a public value has no effect'],
  ['W0003', 'model has no output'],
];

export const codes: ReadonlyMap<string, CodeInfo> = new Map(
  table.map(([code, title]) => [code, { code, title, severity: code.startsWith('W') ? 'warning' : 'error' }]),
);
