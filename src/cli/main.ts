// Placeholder until the CLI lands (issue 2).
export async function main(argv: string[]): Promise<number> {
  process.stdout.write(`cipherprune: ${argv.join(' ')}\n`);
  return 0;
}
