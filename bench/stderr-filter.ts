/**
 * Drops stderr lines containing `text` and counts them. The handlers run in this
 * process, so a warning they print on every request would bury the tables; counting
 * it instead turns the noise into a number the report can show (in Lambda each such
 * line is a CloudWatch Logs line that is paid for).
 */
export function filterStderr(text: string): { dropped(): number; restore(): void } {
  const original = process.stderr.write;
  let dropped = 0;
  process.stderr.write = function write(this: NodeJS.WriteStream, chunk: unknown, ...rest: unknown[]) {
    if (String(chunk).includes(text)) {
      dropped++;
      return true;
    }
    return (original as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as typeof process.stderr.write;
  return { dropped: () => dropped, restore: () => void (process.stderr.write = original) };
}
