/** Options and argument parsers shared by several edgectl commands. */
import { InvalidArgumentError, Option } from 'commander';
import { LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX } from './pages.js';

export const DEFAULT_NAMESPACE = 'default';

/** Commander parser for integer options in [min, max]; a bad value is a usage error (exit 2). */
export function integerArgument(min: number, max: number) {
  return (text: string): number => {
    const n = Number(text);
    if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected an integer in [${min}, ${max}], got ${JSON.stringify(text)}`);
    }
    return n;
  };
}

export const namespaceOption = (description = 'namespace') => new Option('-n, --namespace <namespace>', description).default(DEFAULT_NAMESPACE);

export const limitOption = (what: string) =>
  new Option('--limit <count>', `list at most this many ${what}`).argParser(integerArgument(1, LIST_LIMIT_MAX)).default(LIST_LIMIT_DEFAULT);

export const staleOption = () => new Option('--stale', 'serve from the answering replica without confirming leadership (may be stale)');
