export function Pagination({ page, n, total, onPage, label = 'Pages' }: { page: number; n: number; total: number; onPage: (page: number) => void; label?: string }) {
  const pages = Math.max(1, Math.ceil(total / n));
  if (total <= n && page <= 1) return null;
  const first = total === 0 ? 0 : (page - 1) * n + 1;
  const last = Math.min(total, page * n);
  const shown = new Set<number>([1, pages, page - 1, page, page + 1].filter((p) => p >= 1 && p <= pages));
  const list = [...shown].sort((a, b) => a - b);
  return (
    <nav className="pagination" aria-label={label}>
      <span className="pagination-info">
        {first.toLocaleString('en')}–{last.toLocaleString('en')} of {total.toLocaleString('en')}
      </span>
      <button type="button" className="btn btn-ghost" onClick={() => onPage(page - 1)} disabled={page <= 1} aria-label="Previous page">
        ‹ Prev
      </button>
      {list.map((p, i) => (
        <span key={p} className="pagination-item">
          {i > 0 && list[i - 1]! < p - 1 && <span className="pagination-gap">…</span>}
          <button type="button" className={`btn btn-ghost ${p === page ? 'current' : ''}`} onClick={() => onPage(p)} aria-current={p === page ? 'page' : undefined} aria-label={`Page ${p}`}>
            {p}
          </button>
        </span>
      ))}
      <button type="button" className="btn btn-ghost" onClick={() => onPage(page + 1)} disabled={page >= pages} aria-label="Next page">
        Next ›
      </button>
    </nav>
  );
}
