import { useState } from 'react';

/** A search box that searches when submitted (not on every key). */
export function SearchForm({ initial = '', onSearch }: { initial?: string; onSearch: (text: string) => void }) {
  const [text, setText] = useState(initial);
  return (
    <form
      role="search"
      onSubmit={(event) => {
        event.preventDefault();
        onSearch(text.trim());
      }}
    >
      <label>
        Search
        <input type="search" value={text} onChange={(e) => setText(e.target.value)} />
      </label>
      <button type="submit">Search</button>
    </form>
  );
}

/**
 * Previous / next over a list paged by cursor: `page` starts at 1, `total` is
 * the list's exact count (asked for with `count: 'exact'`), `hasNext` whether
 * the page came with a `next_cursor`.
 */
export function Pager({
  page,
  pageSize,
  total,
  hasNext,
  noun,
  onPrevious,
  onNext,
}: {
  page: number;
  pageSize: number;
  total: number | null;
  hasNext: boolean;
  noun: [singular: string, plural: string];
  onPrevious: () => void;
  onNext: () => void;
}) {
  const counted = total ?? 0;
  const pages = Math.max(1, Math.ceil(counted / pageSize), page);
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" disabled={page <= 1} onClick={onPrevious}>
        Previous
      </button>
      <span>
        Page {page} of {pages} ({counted} {counted === 1 ? noun[0] : noun[1]})
      </span>
      <button type="button" disabled={!hasNext} onClick={onNext}>
        Next
      </button>
    </nav>
  );
}
