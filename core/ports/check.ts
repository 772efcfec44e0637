/**
 * @module
 * One start-up or `pushpool doctor` check's outcome: what was checked, whether it passed, what was
 * seen, and — when it failed — the one thing to do about it.
 */
export interface CheckRow {
  check: string;
  ok: boolean;
  detail: string;
  /** The fix, for a failed check. */
  fix?: string;
}

/** `detail: fix` — the one line a failed check is reported as. */
export function checkLine(row: CheckRow): string {
  return row.fix ? `${row.detail}: ${row.fix}` : row.detail;
}
