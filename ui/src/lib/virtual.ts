// Windowing for long lists: which rows to render for a scroll position.
// Rows have one fixed height, so the window is arithmetic (no measuring),
// and the rows outside it are replaced by two spacers of the right height.

/** The rows to render and the spacer heights around them. */
export interface RowWindow {
  /** First rendered row (inclusive). */
  start: number;
  /** Last rendered row (exclusive). */
  end: number;
  /** Height of the spacer above the first rendered row, in px. */
  before: number;
  /** Height of the spacer below the last rendered row, in px. */
  after: number;
}

/**
 * The window of `count` rows of `rowHeight` px seen through a viewport of
 * `viewport` px scrolled to `scrollTop`, with `overscan` extra rows on each
 * side (so keyboard focus moving to the next row finds it rendered).
 */
export function rowWindow(count: number, rowHeight: number, scrollTop: number, viewport: number, overscan = 4): RowWindow {
  if (count <= 0 || rowHeight <= 0) return { start: 0, end: 0, before: 0, after: 0 };
  const top = Math.max(0, scrollTop);
  const first = Math.min(count - 1, Math.floor(top / rowHeight));
  const visible = Math.max(1, Math.ceil(Math.max(0, viewport) / rowHeight) + 1);
  const start = Math.max(0, first - overscan);
  const end = Math.min(count, first + visible + overscan);
  return { start, end, before: start * rowHeight, after: (count - end) * rowHeight };
}
