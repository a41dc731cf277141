// A source file: text, name, and conversions between string indices, byte offsets and
// line/column positions. Spans in the AST and diagnostics are byte offsets (UTF-8).

export class SourceFile {
  readonly path: string;
  readonly text: string;
  private readonly ascii: boolean;
  /** Byte offset of each line start. */
  private readonly lineStarts: number[];
  private readonly bytes: Buffer;

  constructor(path: string, text: string) {
    this.path = path;
    this.text = text;
    this.bytes = Buffer.from(text, 'utf8');
    this.ascii = this.bytes.length === text.length;
    this.lineStarts = [0];
    for (let i = 0; i < this.bytes.length; i++) if (this.bytes[i] === 10) this.lineStarts.push(i + 1);
  }

  /** Byte offset of a string index. */
  byteOf(index: number): number {
    if (this.ascii) return index;
    return Buffer.byteLength(this.text.slice(0, index), 'utf8');
  }

  /** String index of a byte offset. */
  indexOf(byte: number): number {
    if (this.ascii) return byte;
    return this.bytes.subarray(0, byte).toString('utf8').length;
  }

  /** 1-based line and column (column counts characters) of a byte offset. */
  position(byte: number): { line: number; col: number } {
    let lo = 0, hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= byte) lo = mid;
      else hi = mid - 1;
    }
    const lineStart = this.lineStarts[lo];
    const col = this.ascii ? byte - lineStart : this.bytes.subarray(lineStart, byte).toString('utf8').length;
    return { line: lo + 1, col: col + 1 };
  }

  /** Text of a 1-based line, without its newline. */
  line(n: number): string {
    const start = this.lineStarts[n - 1] ?? this.bytes.length;
    const end = n < this.lineStarts.length ? this.lineStarts[n] - 1 : this.bytes.length;
    return this.bytes.subarray(start, Math.max(start, end)).toString('utf8').replace(/\r$/, '');
  }

  get lineCount(): number {
    return this.lineStarts.length;
  }

  /** Source text of a byte span. */
  slice(span: { start: number; end: number }): string {
    return this.ascii ? this.text.slice(span.start, span.end) : this.bytes.subarray(span.start, span.end).toString('utf8');
  }
}
