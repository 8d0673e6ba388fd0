/**
 * Output of edgectl commands in the three formats of `-o`:
 * - table: kubectl-like borderless columns (cli-table3), for people;
 * - json / yaml: the command's document, for scripts. Documents are plain
 *   JSON values (numbers, strings, booleans, null, arrays, objects), so both
 *   formats carry exactly the same data.
 */
import Table from 'cli-table3';
import { stringify as toYaml } from 'yaml';
import { UsageError } from './failure.js';

export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface TableView {
  /** Printed on its own line above the table, e.g. "leader: n1". */
  readonly title?: string;
  readonly head: readonly string[];
  readonly rows: readonly (readonly string[])[];
  /** Printed instead of an empty table. */
  readonly emptyText?: string;
}

/** What a command prints: one document, and how it looks as a table. */
export interface Rendered {
  readonly document: unknown;
  readonly table: TableView;
}

export function parseOutputFormat(text: string): OutputFormat {
  if ((OUTPUT_FORMATS as readonly string[]).includes(text)) return text as OutputFormat;
  throw new UsageError(`-o/--output: ${JSON.stringify(text)} is not one of ${OUTPUT_FORMATS.join(', ')}`);
}

/** The text to print (ends with a newline). */
export function render(format: OutputFormat, rendered: Rendered): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(rendered.document, null, 2)}\n`;
    case 'yaml':
      return toYaml(rendered.document);
    case 'table':
      return renderTable(rendered.table);
  }
}

/** Borderless, uncoloured columns separated by three spaces (as kubectl prints). */
const PLAIN_CHARS = {
  top: '',
  'top-mid': '',
  'top-left': '',
  'top-right': '',
  bottom: '',
  'bottom-mid': '',
  'bottom-left': '',
  'bottom-right': '',
  left: '',
  'left-mid': '',
  mid: '',
  'mid-mid': '',
  right: '',
  'right-mid': '',
  middle: '',
};

function renderTable(view: TableView): string {
  const title = view.title === undefined ? '' : `${view.title}\n`;
  if (view.rows.length === 0) return `${title}${view.emptyText ?? 'No resources found.'}\n`;
  const table = new Table({
    head: [...view.head],
    chars: PLAIN_CHARS,
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 3, compact: true },
  });
  for (const row of view.rows) table.push([...row]);
  // cli-table3 pads the last column too; trailing blanks help nobody.
  const lines = table.toString().split('\n').map((line) => line.trimEnd());
  return `${title}${lines.join('\n')}\n`;
}
